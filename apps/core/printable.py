"""Which characters a receipt can print: the one rule users and receipts share.

Pure functions over the receipt fonts' coverage (the fonts themselves and how a
receipt sets its lines are ``apps.receipts.typesetting``'s):

- **Helvetica**, a PDF standard font, draws WinAnsiEncoding: ASCII and the Western
  European letters.
- **DejaVu Sans** (``apps/receipts/fonts/DejaVuSans.ttf``) draws everything else it
  has a glyph for, Arabic letters only where the shaper knows their forms.
- **Chinese, Japanese and Korean**: the PDF's standard CJK fonts, within Adobe's
  UCS-2 CMaps (the tables below; ``tests/unit/test_receipt_fonts.py`` checks them
  against the CMaps when poppler-data is installed).

A character is *printable* when one of these fonts draws it as meant: not a
control, format character or combining mark; no N'Ko (a joining script no shaper
here handles). Registration refuses a username with any other character
(``unprintable``); a memo shows each such character as its code point.
"""
import re
import unicodedata
from functools import cache
from pathlib import Path

from arabic_reshaper.letters import LETTERS_ARABIC
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SANS_FONT_FILE = Path(__file__).resolve().parents[1] / "receipts" / "fonts" / "DejaVuSans.ttf"
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


def _round_trip(chars: str, codec: str) -> set[str]:
    """The characters of ``chars`` that ``codec`` encodes and decodes back to themselves."""
    back = chars.encode(codec, errors="replace").decode(codec, errors="replace")
    if len(back) != len(chars):  # cannot happen for these codecs: each character is one unit
        raise RuntimeError(f"{codec} does not keep one character per character")
    return {c for c, b in zip(chars, back, strict=True) if c == b}


@cache
def cjk_chars() -> dict[str, frozenset[str]]:
    chars = {}
    for font, ranges in _CJK_RANGES.items():
        covered = {chr(c) for low, high in ranges for c in range(low, high + 1)}
        if codec := _HAN_CODECS.get(font):
            for low, high in _HAN_BLOCKS:
                covered |= _round_trip("".join(map(chr, range(low, high + 1))), codec)
        chars[font] = frozenset(covered)
    return chars


# --- DejaVu Sans ----------------------------------------------------------------------

ARABIC_LETTERS = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_NKO = re.compile("[\u07c0-\u07ff]")


@cache
def sans_font() -> TTFont:
    font = TTFont(SANS, str(SANS_FONT_FILE))
    pdfmetrics.registerFont(font)
    return font


def _drawn_as_meant(char: str, glyphs) -> bool:
    category = unicodedata.category(char)
    if category[0] in "CM" or category in ("Zl", "Zp"):
        return False
    if _NKO.match(char):
        return False
    if ARABIC_LETTERS.match(char) and category[0] == "L":
        forms = LETTERS_ARABIC.get(char)
        return forms is not None and all(ord(form) in glyphs for form in forms if form)
    return True


@cache
def sans_chars() -> frozenset[str]:
    glyphs = sans_font().face.charToGlyph
    return frozenset(c for c in map(chr, glyphs) if _drawn_as_meant(c, glyphs))


PRINTABLE_SCRIPTS = "Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew, Arabic, Chinese, Japanese and Korean"


def unprintable(text: str) -> list[str]:
    """The distinct characters of ``text`` that no receipt font draws as meant, in order."""
    if winansi(text):
        return []
    sans, cjk = sans_chars(), cjk_chars()
    missing = []
    for char in text:
        if char in WINANSI or char in sans or any(char in covered for covered in cjk.values()):
            continue
        if char not in missing:
            missing.append(char)
    return missing


def code_point(char: str) -> str:
    return f"<U+{ord(char):04X}>"
