"""Receipt rendering as pure functions: exact text, a well-formed deterministic PDF, batches.

No database. ``render_pdf`` writes the PDF from a template; ``render_pdf_canvas``
draws it with reportlab's canvas and is the reference it must match byte for byte.
"""
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from apps.transactions.receipts import (
    Party,
    ReceiptData,
    RenderedReceipt,
    render_batch,
    render_pdf,
    render_pdf_canvas,
    render_text,
)

ODD_NAMES = [
    "a(b)c", "((", ")", "back\\slash", "\\(", "Zoë", "Łukasz", "Иван", "山田", "Ελένη", "✓ok", "😀",
    "Œuvre€", "tab\there", "nul\x00", "del\x7f", "o\u0301", "",
]


def receipt(sender: str | None = "alice", receiver: str = "bob", **changes) -> ReceiptData:
    fields = {
        "transaction_id": 42, "kind": "transfer", "amount": Decimal("12.34"),
        # 09:08:09 at UTC+2: the receipt shows UTC
        "created_at": datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2))),
        "sender": None if sender is None else Party(id=1, username=sender),
        "receiver": Party(id=2, username=receiver),
    }
    return ReceiptData(**{**fields, **changes})


# --- a minimal PDF reader: enough to check the structure and the shown text --------

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
    stream = content_stream(pdf)
    assert stream.isascii()
    # every string closes: the rule line comes after the last one
    assert stream.rstrip().endswith(b"l S")
    literal_strings(stream)


# --- the text receipt ---------------------------------------------------------------

def test_text_receipt_is_exact():
    assert render_text(receipt()) == (
        b"Wallet receipt\n"
        b"==============\n"
        b"\n"
        b"Receipt number:  R-20240506-0000000042\n"
        b"Transaction id:  42\n"
        b"Date (UTC):      2024-05-06 07:08:09 UTC\n"
        b"Kind:            transfer\n"
        b"Sender:          alice (user id 1)\n"
        b"Receiver:        bob (user id 2)\n"
        b"Amount:          12.34\n"
    )


def test_deposit_text_receipt_names_no_sender():
    text = render_text(receipt(sender=None, kind="deposit", amount=Decimal("5"))).decode()
    assert "Sender:          (deposit: outside the system)\n" in text
    assert "Amount:          5.00\n" in text


def test_text_receipt_keeps_any_username_as_utf8():
    text = render_text(receipt(sender="Zoë (a\\b)", receiver="山田")).decode()
    assert "Sender:          Zoë (a\\b) (user id 1)\n" in text
    assert "Receiver:        山田 (user id 2)\n" in text


# --- the PDF --------------------------------------------------------------------------

def test_pdf_is_deterministic_and_well_formed():
    pdf = render_pdf(receipt())
    assert render_pdf(receipt()) == pdf
    assert_well_formed(pdf)
    assert b"/Title (Receipt R-20240506-0000000042)" in pdf and b"/Author (Wallet)" in pdf
    assert b"/MediaBox [ 0 0 419.5276 595.2756 ]" in pdf  # A5


def test_pdf_shows_the_title_and_every_row():
    strings = literal_strings(content_stream(render_pdf(receipt())))
    assert strings == [
        b"Wallet receipt",
        b"Receipt number", b"R-20240506-0000000042",
        b"Transaction id", b"42",
        b"Date (UTC)", b"2024-05-06 07:08:09 UTC",
        b"Kind", b"transfer",
        b"Sender", b"alice (user id 1)",
        b"Receiver", b"bob (user id 2)",
        b"Amount", b"12.34",
    ]


def test_escapes_parentheses_and_backslashes():
    pdf = render_pdf(receipt(sender="a(b)c\\d", receiver=")("))
    assert_well_formed(pdf)
    stream = content_stream(pdf)
    assert b"(a\\(b\\)c\\\\d \\(user id 1\\)) Tj" in stream
    assert b"(\\)\\( \\(user id 2\\)) Tj" in stream
    strings = literal_strings(stream)
    assert b"a(b)c\\d (user id 1)" in strings and b")( (user id 2)" in strings


def test_latin_letters_are_winansi_and_others_fall_back():
    stream = content_stream(render_pdf(receipt(sender="Zoë", receiver="Иван")))
    assert b"(Zo\\353 \\(user id 1\\)) Tj" in stream  # ë is 0xEB in WinAnsiEncoding
    # no Helvetica glyph for Cyrillic: a black square each (ZapfDingbats "n"), then back to Helvetica
    assert b"/F3 10 Tf 12 TL (nnnn) Tj /F1 10 Tf 12 TL ( \\(user id 2\\)) Tj" in stream


@pytest.mark.parametrize("name", ODD_NAMES)
def test_any_username_gives_a_well_formed_pdf(name):
    pdf = render_pdf(receipt(sender=name, receiver=name[::-1], kind=name))
    assert_well_formed(pdf)
    fonts = re.findall(rb"/BaseFont /([\w-]+)", pdf)
    assert fonts[:2] == [b"Helvetica", b"Helvetica-Bold"]
    assert set(fonts) <= {b"Helvetica", b"Helvetica-Bold", b"Symbol", b"ZapfDingbats"}
    assert len(fonts) == len(set(fonts))
    for used in set(re.findall(rb"(/F\d) \d+ Tf", content_stream(pdf))):
        assert used + b" " in pdf.split(b"endobj", 1)[0]  # in the page's font dictionary


@pytest.mark.parametrize("name", [*ODD_NAMES, "alice", "Zoë ✓ Ελ 山田 (x)"])
def test_same_bytes_as_the_reportlab_canvas(name):
    for data in (receipt(sender=name), receipt(sender=None, receiver=name, kind=name),
                 receipt(sender=name, receiver="bob", transaction_id=9_999_999_999, amount=Decimal("-0.5"))):
        assert render_pdf(data) == render_pdf_canvas(data)


def test_batch_gives_the_single_receipt_bytes():
    items = [receipt(), receipt(sender=None, kind="deposit"), *(receipt(sender=n, transaction_id=i)
                                                                for i, n in enumerate(ODD_NAMES))]
    rendered = render_batch(items)
    assert rendered == [RenderedReceipt(pdf=render_pdf(d), txt=render_text(d)) for d in items]
    assert render_batch(list(reversed(items))) == list(reversed(rendered))  # no state between receipts
    assert render_batch([]) == []


def test_receipts_module_needs_no_django():
    code = "import sys, apps.transactions.receipts; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- with poppler, when installed -------------------------------------------------------

@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_poppler_extracts_every_field(tmp_path):
    data = receipt(sender="Zoë (a\\b)", receiver="Łukasz",
                   created_at=datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC))
    path = tmp_path / "receipt.pdf"
    path.write_bytes(render_pdf(data))
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    assert result.stderr == b""
    text = result.stdout.decode()
    for expected in ("Wallet receipt", "R-20241231-0000000042", "2024-12-31 23:59:59 UTC", "transfer",
                     "Zoë (a\\b) (user id 1)", "ukasz (user id 2)", "12.34"):
        assert expected in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
def test_poppler_renders_without_complaint(tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(render_pdf(receipt(sender="a(b)\\", receiver="Иван 山田 ✓")))
    result = subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")],
                            capture_output=True, check=True)
    assert result.stderr == b""
    assert (tmp_path / "page-1.png").read_bytes().startswith(b"\x89PNG")
