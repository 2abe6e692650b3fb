"""Which characters the receipt fonts print, checked against the fonts and Adobe's CMaps.

Registration accepts a username of word characters (``^[\\w.@+-]+\\Z``); each of
them must either print on a receipt or be refused. No database.
"""
import os
import re
import unicodedata
from pathlib import Path

import pytest

from apps.core import printable as coverage
from apps.core.printable import CHINESE, JAPANESE, KOREAN, WINANSI, unprintable, winansi
from apps.receipts.typesetting import unicode_lines

USERNAME_CHAR = re.compile(r"[\w.@+-]")
CMAPS = Path("/usr/share/poppler/cMap")  # Debian's poppler-data: Adobe's CMap resources
CMAP_OF = {CHINESE: "Adobe-GB1/UniGB-UCS2-H", JAPANESE: "Adobe-Japan1/UniJIS-UCS2-H",
           KOREAN: "Adobe-Korea1/UniKS-UCS2-H"}
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def username_chars() -> list[str]:
    return [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and USERNAME_CHAR.fullmatch(chr(c))]


def mapped_by(cmap: Path) -> set[str]:
    """The characters a UCS-2 CMap maps to a glyph (a CID other than 0)."""
    text = cmap.read_text(encoding="latin-1")
    chars = set()
    for block in re.findall(r"begincidrange(.*?)endcidrange", text, re.S):
        for low, high, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\d+)", block):
            first = int(low, 16) + (int(cid) == 0)  # CID 0 is .notdef: not a glyph
            chars.update(map(chr, range(first, int(high, 16) + 1)))
    for block in re.findall(r"begincidchar(.*?)endcidchar", text, re.S):
        for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s*(\d+)", block):
            if int(cid):
                chars.add(chr(int(code, 16)))
    return chars


@pytest.mark.parametrize("name", ["alice", "Zoë", "Łukasz_Żółć", "Nguyễn", "Иван", "Ελένη", "Հայկ", "ნინო",
                                  "مريم_الأحمد", "لانا", "۱۲۳", "דוד_כהן", "李雷_u1", "やまだ山田", "김민준",
                                  "ｱｲｳ", "\uff5a\uff4f\uff45", "ㄅㄆ", "a.b@c+d-e_f", "x" * 150])
def test_names_in_the_covered_scripts_print(name):
    assert unprintable(name) == []


@pytest.mark.parametrize(("name", "missing"), [
    ("राम", ["र", "म"]),  # Devanagari: no font here (its vowel sign is not a word character either)
    ("\u07ca\u07cb", ["\u07ca", "\u07cb"]),  # N'Ko joins its letters; no shaper here does that
    ("ٮ", ["ٮ"]),  # an Arabic letter DejaVu Sans has, but not its joining forms
    ("ሰላም", ["ሰ", "ላ", "ም"]),  # Ethiopic
    ("𠀀x", ["𠀀"]),  # CJK Extension B: outside the UCS-2 CMaps
    ("o\u0301", ["\u0301"]),  # a combining mark alone (registration refuses it anyway)
    ("a\tb\x00", ["\t", "\x00"]),
])
def test_what_no_font_prints_is_named(name, missing):
    assert [c for c in unprintable(name) if c in missing] == missing


def test_every_username_character_prints_or_is_refused_and_printable_ones_have_a_glyph():
    sans = coverage.sans_font().face.charToGlyph
    cjk = coverage.cjk_chars()
    printable = [c for c in username_chars() if not unprintable(c)]
    assert len(printable) > 40_000  # the Latin, Greek, Cyrillic, Hebrew, Arabic and CJK letters ...
    for char in printable:
        assert char in WINANSI or ord(char) in sans or any(char in covered for covered in cjk.values()), char
        assert unicodedata.category(char)[0] not in "CM"


# CI installs Debian's poppler-data: there its absence fails the test instead of skipping it.
@pytest.mark.skipif(not CMAPS.is_dir() and not os.environ.get("CI"),
                    reason="poppler-data (Adobe's CMaps) is not installed")
@pytest.mark.parametrize("font", [CHINESE, JAPANESE, KOREAN])
def test_cjk_tables_agree_with_adobes_cmaps(font):
    mapped = mapped_by(CMAPS / CMAP_OF[font])
    ours = coverage.cjk_chars()[font]
    assert ours <= mapped, sorted(ours - mapped)[:20]  # never a character the viewer cannot map
    sans = {chr(c) for c in coverage.sans_font().face.charToGlyph}
    words = {c for c in mapped if USERNAME_CHAR.fullmatch(c)} - sans
    if font == CHINESE:
        assert words <= ours  # every word character its CMap maps
    else:
        assert {c for c in words if not HAN.match(c)} <= ours
        assert len({c for c in ours if HAN.match(c)}) > 4000  # Han: what cp932 / EUC-KR encode


def test_helvetica_draws_winansi_only_and_dejavu_sans_all_of_it_too():
    assert winansi("Zoë Œuvre € ‰") and not winansi("Łukasz") and not winansi("tab\t")
    assert coverage.sans_chars() >= WINANSI  # a receipt switching to DejaVu Sans loses nothing


def test_right_to_left_text_around_a_code_point_keeps_it_whole():
    # a character no font has, inside an Arabic name: the code point reads left to right
    (line,) = unicode_lines(["مر\u0915يم"], size=10, limit=1000)
    shown = "".join(text for _, text in line)
    assert "<U+0915>" in shown
    assert unicodedata.normalize("NFKC", shown.replace("<U+0915>", "")[::-1]) == "مريم"
