"""Receipt rendering as pure functions: exact text, a PDF a person can read, batches.

No database. ``render_pdf`` writes a receipt whose values Helvetica draws from a
template; ``render_pdf_canvas`` draws it with reportlab's canvas and is the
reference the template must match byte for byte. Any other name is drawn by the
canvas with DejaVu Sans and the standard CJK fonts; what it shows is read back
with pypdf (``extraction_mode="layout"`` gives each line's characters left to
right as printed, so a right-to-left name comes back in display order).
"""
import io
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pypdf
import pytest

from apps.receipts.rendering import (
    RenderedReceipt,
    receipt_lines,
    render_batch,
    render_pdf,
    render_pdf_canvas,
    render_text,
)
from tests.support.receipt_helpers import LABELS, assert_prints_as, receipt, shown_name, shown_rows

# Usernames Helvetica draws (WinAnsiEncoding), some with characters a PDF string escapes.
WINANSI_NAMES = ["alice", "a(b)c", "((", ")", "back\\slash", "\\(", "Zoë", "Œuvre€", "José.Müller-Ærø",
                 "o'brien+pay@example", "", "@" * 150, "x" * 60]
# Names the registration rule accepts in other scripts, and names it refuses that the
# database may still hold (made outside registration).
UNICODE_NAMES = ["Łukasz_Żółć", "Nguyễn_Văn", "Иван_Петров", "Ελένη", "Հայկ", "ნინო", "مريم_الأحمد",
                 "דוד_כהן", "李雷_u1", "やまだ山田", "김민준", "Ж" * 150, "雷" * 150]
LEGACY_NAMES = ["tab\there", "nul\x00", "del\x7f", "o\u0301", "ሰላም", "राम", "evil\u202etxt", "ߊߋ"]


# --- reading a PDF back -------------------------------------------------------------

def xref_offsets(pdf: bytes) -> dict[int, int]:
    """Object number -> byte offset, from the xref table that ``startxref`` points at."""
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))
    assert pdf[startxref:].startswith(b"xref\n")
    lines = pdf[startxref:].split(b"\n")
    first, count = map(int, lines[1].split())
    entries = lines[2:2 + count]
    assert first == 0 and entries[0] == b"0000000000 65535 f "
    offsets = {}
    for number, entry in enumerate(entries[1:], start=1):
        assert re.fullmatch(rb"\d{10} 00000 n ", entry), entry
        offsets[number] = int(entry[:10])
    size = int(re.search(rb"/Size (\d+)", pdf[startxref:]).group(1))
    assert size == count
    return offsets


def content_stream(pdf: bytes) -> bytes:
    """The page's content stream (a Helvetica receipt has no other stream)."""
    match = re.search(rb"/Length (\d+)\n>>\nstream\n", pdf)
    start = match.end()
    length = int(match.group(1))
    assert pdf[start + length:].startswith(b"endstream\nendobj\n")
    return pdf[start:start + length]


def literal_strings(stream: bytes) -> list[bytes]:
    """The literal strings of a content stream, unescaped; fails on an unbalanced one."""
    strings, i = [], 0
    while True:
        i = stream.find(b"(", i)
        if i < 0:
            return strings
        out, depth, i = bytearray(), 1, i + 1
        while True:
            c = stream[i]
            if c == ord("\\"):
                octal = re.match(rb"[0-7]{1,3}", stream[i + 1:i + 4])
                if octal:
                    out.append(int(octal.group(), 8))
                    i += 1 + len(octal.group())
                    continue
                out.append(stream[i + 1])
                i += 2
                continue
            if c == ord("("):
                depth += 1
            elif c == ord(")"):
                depth -= 1
                if depth == 0:
                    break
            out.append(c)
            i += 1
        strings.append(bytes(out))
        i += 1


def assert_well_formed(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-1.")
    assert pdf.endswith(b"%%EOF\n")
    offsets = xref_offsets(pdf)
    assert offsets, "no objects"
    for number, offset in offsets.items():
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number), (number, pdf[offset:offset + 20])
    assert pdf.count(b" 0 obj\n") == len(offsets)


def fonts_of(pdf: bytes) -> set[bytes]:
    return {name.split(b"+")[-1] for name in re.findall(rb"/BaseFont /([\w+-]+)", pdf)}


# --- the text receipt ---------------------------------------------------------------

def test_text_receipt_is_exact():
    assert render_text(receipt()) == (
        b"Receipt\n"
        b"=======\n"
        b"\n"
        b"Issued by:       Wallet\n"
        b"Receipt number:  R-20240506-0000000042\n"
        b"Status:          Completed\n"
        b"Transaction id:  42\n"
        b"Date (UTC):      2024-05-06 07:08:09 UTC\n"
        b"Kind:            Transfer\n"
        b"Sender:          alice (user id 1)\n"
        b"Receiver:        bob (user id 2)\n"
        b"Amount:          12.34 USD\n"
    )


def test_issuer_and_currency_come_with_the_data():
    text = render_text(receipt(issuer="Acme Payments Ltd.", currency="EUR", amount=Decimal("1000"))).decode()
    assert "Issued by:       Acme Payments Ltd.\n" in text
    assert "Amount:          1000.00 EUR\n" in text


def test_deposit_text_receipt_names_no_sender():
    text = render_text(receipt(sender=None, kind="deposit", amount=Decimal("5"))).decode()
    assert "Kind:            Deposit\n" in text
    assert "Sender:          (deposit: outside the system)\n" in text
    assert "Amount:          5.00 USD\n" in text


def test_text_receipt_keeps_any_username_as_utf8():
    text = render_text(receipt(sender="Zoë (a\\b)", receiver="山田")).decode()
    assert "Sender:          Zoë (a\\b) (user id 1)\n" in text
    assert "Receiver:        山田 (user id 2)\n" in text


def test_control_and_format_characters_are_shown_as_code_points():
    text = render_text(receipt(sender="tab\there", receiver="evil\u202etxt")).decode()
    assert "Sender:          tab<U+0009>here (user id 1)\n" in text
    assert "Receiver:        evil<U+202E>txt (user id 2)\n" in text


# --- the PDF: document, layout, metadata ------------------------------------------------

def test_pdf_is_deterministic_and_carries_its_metadata():
    pdf = render_pdf(receipt(issuer="Acme Pay"))
    assert render_pdf(receipt(issuer="Acme Pay")) == pdf
    assert_well_formed(pdf)
    assert b"/MediaBox [ 0 0 419.5276 595.2756 ]" in pdf  # A5
    meta = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    assert meta.title == "Receipt R-20240506-0000000042"
    assert meta.author == "Acme Pay" and meta.creator == "Acme Pay"
    assert meta.subject == "Transfer of 12.34 USD"
    assert meta.creation_date == meta.modification_date == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_pdf_shows_the_title_and_every_row():
    strings = literal_strings(content_stream(render_pdf(receipt())))
    assert strings == [
        b"Receipt",
        b"Issued by", b"Wallet",
        b"Receipt number", b"R-20240506-0000000042",
        b"Status", b"Completed",
        b"Transaction id", b"42",
        b"Date (UTC)", b"2024-05-06 07:08:09 UTC",
        b"Kind", b"Transfer",
        b"Sender", b"alice (user id 1)",
        b"Receiver", b"bob (user id 2)",
        b"Amount", b"12.34 USD",
    ]


def test_escapes_parentheses_and_backslashes():
    pdf = render_pdf(receipt(sender="a(b)c\\d", receiver=")("))
    assert_well_formed(pdf)
    stream = content_stream(pdf)
    assert b"(a\\(b\\)c\\\\d \\(user id 1\\)) Tj" in stream
    assert b"(\\)\\( \\(user id 2\\)) Tj" in stream
    strings = literal_strings(stream)
    assert b"a(b)c\\d (user id 1)" in strings and b")( (user id 2)" in strings


def test_western_european_letters_stay_in_helvetica_with_nothing_embedded():
    pdf = render_pdf(receipt(sender="Zoë", receiver="Œuvre€"))
    assert b"(Zo\\353 \\(user id 1\\)) Tj" in content_stream(pdf)  # ë is 0xEB in WinAnsiEncoding
    assert fonts_of(pdf) == {b"Helvetica", b"Helvetica-Bold"}
    assert b"/FontFile" not in pdf


@pytest.mark.parametrize("name", WINANSI_NAMES)
def test_same_bytes_as_the_reportlab_canvas(name):
    for data in (receipt(sender=name), receipt(sender=None, receiver=name, kind=name),
                 receipt(sender=name, issuer="Zoë (Pay) €", currency="EUR"),
                 receipt(sender=name, receiver="bob", transaction_id=9_999_999_999, amount=Decimal("-0.5"))):
        assert render_pdf(data) == render_pdf_canvas(data)


def test_a_long_name_wraps_inside_the_page():
    name = "@" * 150  # the widest WinAnsi character, as many as registration allows
    rows = shown_rows(render_pdf(receipt(sender=name)))
    assert len(rows["Sender"]) > 2
    assert shown_name(rows["Sender"], 1) == name and rows["Sender"][-1].endswith("@ (user id 1)")
    assert rows["Receiver"] == ["bob (user id 2)"] and rows["Amount"] == ["12.34 USD"]


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_a_name_in_any_accepted_script_prints_as_in_the_text_receipt(name):
    data = receipt(sender=name, receiver=name)
    pdf = render_pdf(data)
    assert render_pdf(data) == pdf  # deterministic on this path too
    rows = shown_rows(pdf)
    text = dict(receipt_lines(data))
    for label in LABELS:
        if label not in ("Sender", "Receiver"):
            assert rows[label] == [text[label]], label
    for label, user_id in (("Sender", 1), ("Receiver", 2)):
        assert_prints_as(shown_name(rows[label], user_id), name)
    assert b"<U+" not in pdf and "<U+" not in str(rows)


@pytest.mark.parametrize(("name", "shown"), [
    # meem (initial) reh (final) yeh (initial) meem (final), shown right to left
    ("مريم", "\ufee2\ufef3\ufeae\ufee3"),
    # digits stay left to right, at the left end of the right-to-left run
    ("مريم_22", "22_\ufee2\ufef3\ufeae\ufee3"),
    # lam and alef become one glyph (the required ligature), then noon (initial), alef (final)
    ("لانا", "\ufe8e\ufee7\ufefb"),
    ("דוד_כהן", "ןהכ_דוד"),
])
def test_right_to_left_names_are_shaped_and_shown_in_reading_order(name, shown):
    rows = shown_rows(render_pdf(receipt(sender=name)))
    assert rows["Sender"] == [f"{shown} (user id 1)"]


def test_cjk_names_use_the_standard_cjk_fonts_and_other_scripts_the_embedded_sans():
    pdf = render_pdf(receipt(sender="李雷_u1", receiver="やまだ山田"))
    assert {b"STSong-Light", b"HeiseiKakuGo-W5", b"DejaVuSans", b"Helvetica-Bold"} <= fonts_of(pdf)
    assert b"/FontFile2" in pdf  # DejaVu Sans is embedded (a subset)
    korean = render_pdf(receipt(sender=None, kind="deposit", receiver="김민준"))
    assert b"HYGothic-Medium" in fonts_of(korean)


def test_a_very_long_cjk_name_wraps_on_full_width_lines():
    rows = shown_rows(render_pdf(receipt(sender="雷" * 150)))
    assert "".join(rows["Sender"][:-1]) + rows["Sender"][-1] == "雷" * 150 + " (user id 1)"
    assert len({len(line) for line in rows["Sender"][:-1]}) == 1  # every full line holds as many


@pytest.mark.parametrize("name", LEGACY_NAMES)
def test_a_name_registration_refuses_still_renders_with_code_points_for_what_cannot_print(name):
    data = receipt(sender=name, receiver=name[::-1], kind=name)
    pdf = render_pdf(data)
    assert pdf == render_pdf(data) == render_pdf_canvas(data)
    rows = shown_rows(pdf)
    assert rows["Amount"] == ["12.34 USD"]
    assert "<U+" in rows["Sender"][0]


def test_a_name_too_long_for_one_page_continues_on_a_second():
    pdf = render_pdf(receipt(sender="雷" * 1200))  # far beyond the 150 characters registration allows
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 2
    assert shown_rows(pdf)["Amount"] == ["12.34 USD"]


def test_batch_gives_the_single_receipt_bytes():
    items = [receipt(), receipt(sender=None, kind="deposit"),
             *(receipt(sender=n, transaction_id=i) for i, n in enumerate(WINANSI_NAMES + UNICODE_NAMES))]
    rendered = render_batch(items)
    assert rendered == [RenderedReceipt(pdf=render_pdf(d), txt=render_text(d)) for d in items]
    assert render_batch(list(reversed(items))) == list(reversed(rendered))  # no state between receipts
    assert render_batch([]) == []


def test_receipts_module_needs_no_django():
    code = "import sys, apps.receipts.rendering; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- with poppler, when installed (CI installs it: there its absence fails instead of skipping) ---

def _poppler_missing(tool: str) -> bool:
    return shutil.which(tool) is None and not os.environ.get("CI")


@pytest.mark.skipif(_poppler_missing("pdftotext"), reason="poppler-utils is not installed")
@pytest.mark.parametrize("name", ["@" * 150, "Ж" * 150, "مريم" * 37, "李雷_u1", "Zoë"])
def test_nothing_is_printed_past_the_right_margin(tmp_path, name):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(render_pdf(receipt(sender=name, receiver=name)))
    result = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True)
    boxes = re.findall(rb'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', result.stdout)
    assert len(boxes) > 10
    page_width, margin = 419.5276, 15 / 25.4 * 72
    assert max(float(x_max) for _, x_max in boxes) <= page_width - margin + 0.01
    assert min(float(x_min) for x_min, _ in boxes) >= margin - 0.01


@pytest.mark.skipif(_poppler_missing("pdftoppm"), reason="poppler-utils is not installed")
def test_poppler_renders_without_complaint(tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(render_pdf(receipt(sender="a(b)\\", receiver="Иван_Ελένη_مريم")))
    result = subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")],
                            capture_output=True, check=True)
    assert result.stderr == b""
    assert (tmp_path / "page-1.png").read_bytes().startswith(b"\x89PNG")
