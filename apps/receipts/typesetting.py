"""Which font draws each character of a PDF receipt, and in which order the characters are shown.

Pure functions, no Django. Three kinds of font, chosen per character:

- **Helvetica**, a PDF standard font (nothing embedded), draws WinAnsiEncoding:
  ASCII and the Western European letters. A receipt whose values all stay in it
  is written from a template (``rendering.py``), the cheap path.
- **DejaVu Sans** (``fonts/DejaVuSans.ttf``: version 2.37, unmodified, as Debian's
  fonts-dejavu-core ships it; license in ``fonts/LICENSE-DejaVu.txt``), embedded as
  a subset of the glyphs used, draws everything else it has a glyph for:
  Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew, Arabic, Lao, Tifinagh, ...
  When a receipt needs it, every value of that receipt is set in it.
- **Chinese, Japanese and Korean** characters use the PDF's standard CJK fonts
  that ship with reportlab (``UnicodeCIDFont``): STSong-Light (Adobe-GB1),
  HeiseiKakuGo-W5 (Adobe-Japan1), HYGothic-Medium (Adobe-Korea1). Like
  Helvetica they are not embedded: the PDF viewer supplies the glyphs (Acrobat's
  Asian font pack; poppler, pdf.js, Chrome and Preview use a CJK system font).
  Which characters each draws comes from Adobe's UCS-2 CMaps for these fonts
  (``apps.core.printable``). Kana in a value selects the Japanese
  font and Hangul the Korean one for that value's Han characters; otherwise
  Han characters are set in the Chinese font, whose CMap covers all of them.

Arabic letters are shaped (arabic-reshaper: each letter's contextual form, and
the lam-alef ligatures), and a line holding right-to-left text is put in display
order by the Unicode Bidirectional Algorithm (python-bidi), with a left-to-right
base direction like every line of the receipt. So a PDF shows what a text editor
shows for the same line of the text receipt.

Which characters are printable at all is ``apps.core.printable``'s rule, which
registration shares. A name that reached the database another way still
renders: each character no font can draw is shown as its code point, ``<U+0915>``.
"""
import re
from collections.abc import Iterable, Sequence
from functools import cache

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from apps.core.printable import (
    ARABIC_LETTERS,
    CHINESE,
    JAPANESE,
    KOREAN,
    SANS,
    WINANSI,
    cjk_chars,
    code_point,
    sans_chars,
    sans_font,
)

HELVETICA = "Helvetica"
_KANA = re.compile("[\u3040-\u30ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\uffa0-\uffdc]")


@cache
def register_fonts() -> None:
    """Make the fonts known to reportlab (once per process); the canvas draws with their names."""
    sans_font()
    for name in (CHINESE, JAPANESE, KOREAN):
        pdfmetrics.registerFont(UnicodeCIDFont(name))



# --- Lines: shaping, wrapping, display order, font runs ---------------------------------

_RESHAPER = arabic_reshaper.ArabicReshaper(configuration={
    # Contextual forms and the lam-alef ligatures (required in Arabic); no optional ligatures,
    # so every shaped character stays one glyph DejaVu Sans has.
    "delete_harakat": False, "delete_tatweel": False, "ARABIC LIGATURE ALLAH": False,
})
# Hebrew, Arabic, N'Ko and the other right-to-left blocks, their presentation forms, and the
# right-to-left historic and Arabic mathematical blocks of the supplementary plane.
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
                            "\U00010800-\U00010fff\U0001e800-\U0001efff]")
_ISOLATE_CHARS = "\u2066\u2067\u2068\u2069"
_ISOLATES = str.maketrans("", "", _ISOLATE_CHARS)
# A code point shown in place of a character is isolated, left to right, so that right-to-left
# text around it neither reorders nor mirrors it (python-bidi implements isolates).
_LRI, _PDI = "\u2066", "\u2069"

Run = tuple[str, str]  # (font name, text)


def _cjk_order(text: str) -> tuple[str, ...]:
    if _KANA.search(text):
        return JAPANESE, CHINESE, KOREAN
    if _HANGUL.search(text):
        return KOREAN, CHINESE, JAPANESE
    return CHINESE, JAPANESE, KOREAN


def _printable_word(word: str, sans: frozenset[str], cjk: dict[str, frozenset[str]]) -> str:
    if all(c in sans for c in word):
        return word
    out = []
    for char in word:
        if char in sans or any(char in covered for covered in cjk.values()):
            out.append(char)
        else:
            out.append(f"{_LRI}{code_point(char)}{_PDI}")
    return "".join(out)


def _fonts_of(text: str, order: Sequence[str], sans: frozenset[str],
              cjk: dict[str, frozenset[str]]) -> list[str]:
    fonts = []
    for char in text:
        if char in sans or char in "\u2066\u2069":
            fonts.append(SANS)
            continue
        fonts.append(next((font for font in order if char in cjk[font]), SANS))
    return fonts


def _width_of(fonts: list[str], text: str, size: float) -> list[float]:
    return [0.0 if c in "\u2066\u2069" else pdfmetrics.stringWidth(c, font, size)
            for font, c in zip(fonts, text, strict=True)]


def _wrap(words: Sequence[str], widths: Sequence[Sequence[float]], space: float,
          limit: float) -> list[list[tuple[int, int, int]]]:
    """Greedy line breaking: each line a list of (word index, start, end) pieces.

    Words are joined by one space and broken between them; a word longer than a
    line is broken between two characters.
    """
    lines: list[list[tuple[int, int, int]]] = [[]]
    used = 0.0
    for i, word_widths in enumerate(widths):
        total = sum(word_widths)
        gap = space if lines[-1] else 0.0
        if used + gap + total <= limit:
            lines[-1].append((i, 0, len(words[i])))
            used += gap + total
            continue
        if lines[-1]:
            lines.append([])
            used = 0.0
        start = 0
        while True:
            end, width = start, 0.0
            while end < len(word_widths) and (end == start or width + word_widths[end] <= limit):
                width += word_widths[end]
                end += 1
            lines[-1].append((i, start, end))
            used = width
            if end == len(word_widths):
                break
            lines.append([])
            start = end
    return lines


def winansi_lines(words: Sequence[str], *, font: str, size: float, limit: float) -> list[str]:
    """``words`` joined by spaces and broken into lines of at most ``limit`` points in ``font``."""
    text = " ".join(words)
    if len(text) * _WINANSI_WIDEST[font] * size <= limit or \
            pdfmetrics.stringWidth(text, font, size) <= limit:
        return [text]
    widths = [[pdfmetrics.stringWidth(c, font, size) for c in word] for word in words]
    lines = _wrap(words, widths, pdfmetrics.stringWidth(" ", font, size), limit)
    return [" ".join(words[i][start:end] for i, start, end in line) for line in lines]


def unicode_lines(words: Sequence[str], *, size: float, limit: float) -> list[list[Run]]:
    """``words`` as lines of font runs in display order: shaped, wrapped, reordered."""
    sans, cjk = sans_chars(), cjk_chars()
    shaped = [_printable_word(word, sans, cjk) for word in words]
    shaped = [_RESHAPER.reshape(w) if ARABIC_LETTERS.search(w) else w for w in shaped]
    order = _cjk_order(" ".join(words))
    fonts = [_fonts_of(word, order, sans, cjk) for word in shaped]
    widths = [_width_of(f, word, size) for f, word in zip(fonts, shaped, strict=True)]
    lines = []
    for line in _wrap(shaped, widths, pdfmetrics.stringWidth(" ", SANS, size), limit):
        text, line_fonts = [], []
        for n, (i, start, end) in enumerate(line):
            if n:
                text.append(" ")
                line_fonts.append(SANS)
            text.append(shaped[i][start:end])
            line_fonts.extend(fonts[i][start:end])
        lines.append(_runs(_display_order("".join(text), line_fonts)))
    return lines


def _display_order(text: str, fonts: list[str]) -> list[tuple[str, str]]:
    """The line's characters with their fonts, left to right as shown."""
    if not _RIGHT_TO_LEFT.search(text):
        return [(font, c) for font, c in zip(fonts, text, strict=True) if c not in _ISOLATE_CHARS]
    # A character's font does not depend on its position, so the visual string's fonts are
    # found again per character; mirrored characters (brackets) keep the sans font.
    font_of = dict(zip(text, fonts, strict=True))
    shown = get_display(text, base_dir="L").translate(_ISOLATES)
    return [(font_of.get(c, SANS), c) for c in shown]


def _runs(chars: Iterable[tuple[str, str]]) -> list[Run]:
    runs: list[list[str]] = []
    for font, char in chars:
        if runs and runs[-1][0] == font:
            runs[-1].append(char)
        else:
            runs.append([font, char])
    return [(run[0], "".join(run[1:])) for run in runs]


def _widest(font: str) -> float:
    """The widest WinAnsi character of ``font``, per point of font size."""
    return max(pdfmetrics.stringWidth(c, font, 1) for c in WINANSI)


_WINANSI_WIDEST = {HELVETICA: _widest(HELVETICA)}
