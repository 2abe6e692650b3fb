"""The documentation's promises that code can keep: the commands it gives exist, and the
configuration reference (generated from ``.env.example`` when the site is built) names every
variable the settings read."""
import importlib.util
import re
import subprocess

from django.conf import settings

ROOT = settings.BASE_DIR
_spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
hooks = importlib.util.module_from_spec(_spec)  # docs/hooks.py: the MkDocs hooks
_spec.loader.exec_module(hooks)

SETTINGS_SOURCES = [ROOT / "config" / "settings.py", ROOT / "config" / "gunicorn.py"]
READ = re.compile(r"""(?:env(?:\.\w+)?\(|environ(?:\.get)?[\[(])\s*["']([A-Z][A-Z0-9_]+)["']""")


def make_targets() -> set[str]:
    """The targets ``make`` knows, from its own database (``make -pRrq``)."""
    done = subprocess.run(["make", "-pRrq", "-f", str(ROOT / "Makefile")], cwd=ROOT,
                          capture_output=True, text=True)
    return {line.split(":", 1)[0] for line in done.stdout.splitlines()
            if re.match(r"^[a-z][\w-]*:", line)}


def test_every_make_command_the_readme_and_docs_give_is_a_target():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    given = {name for page in pages for name in re.findall(r"`make ([a-z][\w-]*)", page.read_text())}
    assert {"run", "test", "docs", "docs-serve", "bench", "fleet"} <= given
    assert given - make_targets() == set()


def test_the_configuration_reference_names_every_variable_the_settings_read():
    read = {name for path in SETTINGS_SOURCES for name in READ.findall(path.read_text())}
    reference = hooks.render_reference((ROOT / ".env.example").read_text())
    assert read, "no variable found: the pattern no longer matches how settings read the environment"
    assert {name for name in read if f"`{name}`" not in reference} == set()


def test_the_reference_groups_variables_under_their_section_and_comment():
    text = "# --- Database ---\n# Where the data lives.\nDATABASE_URL=postgres://db/x\n# CONN_MAX_AGE=600\n"
    (section, groups), = hooks.env_reference(text)
    assert section == "Database"
    assert groups == [([("DATABASE_URL", "postgres://db/x", False), ("CONN_MAX_AGE", "600", True)],
                       "Where the data lives.")]
    assert "example: `600`" in hooks.render_reference(text)
