"""Which font draws each character of a PDF receipt, and in which order the characters are shown.

Pure functions, no Django. Three kinds of font, chosen per character:

- **Helvetica**, a PDF standard font (nothing embedded), draws WinAnsiEncoding:
  ASCII and the Western European letters. A receipt whose values all stay in it
  is written from a template (``receipts.py``), the cheap path.
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
  (the tables below; ``tests/test_receipt_fonts.py`` checks them against the
  CMaps when poppler-data is installed). Kana in a value selects the Japanese
  font and Hangul the Korean one for that value's Han characters; otherwise
  Han characters are set in the Chinese font, whose CMap covers all of them.

Arabic letters are shaped (arabic-reshaper: each letter's contextual form, and
the lam-alef ligatures), and a line holding right-to-left text is put in display
order by the Unicode Bidirectional Algorithm (python-bidi), with a left-to-right
base direction like every line of the receipt. So a PDF shows what a text editor
shows for the same line of the text receipt.

A character is *printable* when one of these fonts draws it as meant: not a
control, format character or combining mark; an Arabic letter only if the
shaper knows its forms and DejaVu Sans has them; no N'Ko (a joining script no
shaper here handles); CJK only within the CMaps. Registration refuses a
username with any other character (``unprintable``). A name that reached the
database another way still renders: each character no font can draw is shown
as its code point, ``<U+0915>``.
"""
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import arabic_reshaper
from arabic_reshaper.letters import LETTERS_ARABIC
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
HELVETICA = "Helvetica"
SANS = "DejaVuSans"
CHINESE, JAPANESE, KOREAN = "STSong-Light", "HeiseiKakuGo-W5", "HYGothic-Medium"

# --- Helvetica: WinAnsiEncoding -----------------------------------------------------


def _winansi_chars() -> frozenset[str]:
    import reportlab.pdfbase.rl_codecs  # noqa: F401  (registers the "winansi" codec)

    chars = set()
    for code in range(32, 256):
        try:
            char = bytes([code]).decode("winansi")
        except UnicodeDecodeError:
            continue
        if char.isprintable():  # not the no-break space or the soft hyphen
            chars.add(char)
    return frozenset(chars)


WINANSI = _winansi_chars()


def winansi(text: str) -> bool:
    """Whether Helvetica draws every character of ``text``."""
    return (text.isascii() and text.isprintable()) or all(c in WINANSI for c in text)


# --- CJK: Adobe's UCS-2 CMaps ---------------------------------------------------------
# Word characters (what a username may hold) each CMap maps to a glyph, outside the
# Han blocks and outside what DejaVu Sans draws. Han characters: the Chinese CMap maps
# U+4E00-9FA5 and U+3400-4DB5 (in its ranges); the Japanese and Korean ones exactly
# or at least the characters their legacy encodings have (cp932, EUC-KR).

_CJK_RANGES = {
    CHINESE: (
        (0x2474, 0x249B), (0x3005, 0x3007), (0x3021, 0x3029), (0x3033, 0x3035), (0x3038, 0x303A),
        (0x3041, 0x3094), (0x309D, 0x309E), (0x30A1, 0x30FA), (0x30FC, 0x30FE), (0x3105, 0x312C),
        (0x31A0, 0x31B7), (0x3220, 0x3229), (0x3400, 0x4DB5), (0x4E00, 0x9FA5), (0xF92C, 0xF92C),
        (0xFA0D, 0xFA0F), (0xFA11, 0xFA11), (0xFA13, 0xFA14), (0xFA18, 0xFA18), (0xFA1F, 0xFA21),
        (0xFA23, 0xFA24), (0xFA27, 0xFA29), (0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
    ),
    JAPANESE: (
        (0x210A, 0x210A), (0x246A, 0x2490), (0x24EA, 0x24EA), (0x3005, 0x3007), (0x3033, 0x3035),
        (0x3041, 0x3094), (0x309D, 0x309E), (0x30A1, 0x30FA), (0x30FC, 0x30FE), (0x3220, 0x3229),
        (0x3280, 0x3289), (0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0xFF66, 0xFF9F),
    ),
    KOREAN: (
        (0x246A, 0x2487), (0x3041, 0x3093), (0x30A1, 0x30F6), (0x30FC, 0x30FC), (0x3131, 0x318E),
        (0xAC00, 0xD7A3), (0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
    ),
}
_HAN_CODECS = {JAPANESE: "cp932", KOREAN: "euc_kr"}
_HAN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_KANA = re.compile("[\u3040-\u30ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\uffa0-\uffdc]")


def _round_trip(chars: str, codec: str) -> set[str]:
    """The characters of ``chars`` that ``codec`` encodes and decodes back to themselves."""
    back = chars.encode(codec, errors="replace").decode(codec, errors="replace")
    if len(back) != len(chars):  # cannot happen for these codecs: each character is one unit
        raise RuntimeError(f"{codec} does not keep one character per character")
    return {c for c, b in zip(chars, back, strict=True) if c == b}


@cache
def _cjk_chars() -> dict[str, frozenset[str]]:
    chars = {}
    for font, ranges in _CJK_RANGES.items():
        covered = {chr(c) for low, high in ranges for c in range(low, high + 1)}
        if codec := _HAN_CODECS.get(font):
            for low, high in _HAN_BLOCKS:
                covered |= _round_trip("".join(map(chr, range(low, high + 1))), codec)
        chars[font] = frozenset(covered)
    return chars


# --- DejaVu Sans ----------------------------------------------------------------------

_ARABIC_LETTERS = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_NKO = re.compile("[\u07c0-\u07ff]")


@cache
def _sans() -> TTFont:
    font = TTFont(SANS, str(FONTS_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(font)
    return font


def _drawn_as_meant(char: str, glyphs) -> bool:
    category = unicodedata.category(char)
    if category[0] in "CM" or category in ("Zl", "Zp"):
        return False
    if _NKO.match(char):
        return False
    if _ARABIC_LETTERS.match(char) and category[0] == "L":
        forms = LETTERS_ARABIC.get(char)
        return forms is not None and all(ord(form) in glyphs for form in forms if form)
    return True


@cache
def _sans_chars() -> frozenset[str]:
    glyphs = _sans().face.charToGlyph
    return frozenset(c for c in map(chr, glyphs) if _drawn_as_meant(c, glyphs))


@cache
def register_fonts() -> None:
    """Make the fonts known to reportlab (once per process); the canvas draws with their names."""
    _sans()
    for name in (CHINESE, JAPANESE, KOREAN):
        pdfmetrics.registerFont(UnicodeCIDFont(name))


PRINTABLE_SCRIPTS = "Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew, Arabic, Chinese, Japanese and Korean"


def unprintable(text: str) -> list[str]:
    """The distinct characters of ``text`` that no receipt font draws as meant, in order."""
    if winansi(text):
        return []
    sans, cjk = _sans_chars(), _cjk_chars()
    missing = []
    for char in text:
        if char in WINANSI or char in sans or any(char in covered for covered in cjk.values()):
            continue
        if char not in missing:
            missing.append(char)
    return missing


def code_point(char: str) -> str:
    return f"<U+{ord(char):04X}>"


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
    sans, cjk = _sans_chars(), _cjk_chars()
    shaped = [_printable_word(word, sans, cjk) for word in words]
    shaped = [_RESHAPER.reshape(w) if _ARABIC_LETTERS.search(w) else w for w in shaped]
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
