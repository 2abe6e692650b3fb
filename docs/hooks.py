"""MkDocs hooks: the configuration reference read from ``.env.example``, and ``schema.yml``
published with the site so the API reference page can render and offer it.

The reference is generated at build time, so the page cannot drift from the file operators
copy: each ``# --- Section ---`` line starts a table, each variable (set, or commented out
as an example) is a row, and the comment lines just above a group of variables describe it.
"""
import html
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- configuration-reference -->"
SECTION = re.compile(r"^#\s*---\s*(.+?)\s*---\s*$")
VARIABLE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]+)=(.*)$")


def env_reference(text: str) -> list[tuple[str, list[tuple[list[tuple[str, str, bool]], str]]]]:
    """``[(section, [(variables, description)])]``; a variable is ``(name, value, commented)``."""
    sections: list = []
    comment: list[str] = []
    group: list[tuple[str, str, bool]] = []

    def close_group():
        nonlocal group, comment
        if group:
            sections[-1][1].append((group, " ".join(comment)))
            group, comment = [], []

    for raw in text.splitlines():
        line = raw.strip()
        if match := SECTION.match(line):
            close_group()
            comment = []
            sections.append((match.group(1), []))
        elif match := VARIABLE.match(line):
            if not sections:
                sections.append(("General", []))
            group.append((match.group(2), match.group(3).strip(), bool(match.group(1))))
        elif line.startswith("#"):
            close_group()
            comment.append(line.lstrip("#").strip())
        else:
            close_group()
            comment = []
    close_group()
    return sections


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def _value(value: str) -> str:
    return f"`{_cell(value)}`" if value else "empty"


def render_reference(text: str) -> str:
    out = []
    for title, groups in env_reference(text):
        if not groups:
            continue
        out += [f"### {title}", "", "| variable | in `.env.example` | meaning |", "|---|---|---|"]
        for variables, description in groups:
            names = "<br>".join(f"`{name}`" for name, _, _ in variables)
            values = "<br>".join(("example: " if commented else "") + _value(value)
                                 for _, value, commented in variables)
            out.append(f"| {names} | {values} | {_cell(description)} |")
        out.append("")
    return "\n".join(out)


def on_files(files, config):
    files.append(File.generated(config, "api/schema.yml", abs_src_path=str(ROOT / "schema.yml")))
    return files


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        reference = render_reference((ROOT / ".env.example").read_text())
        markdown = markdown.replace(MARKER, reference)
    return markdown
