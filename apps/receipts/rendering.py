"""Receipt rendering: pure functions from a transaction to bytes.

No database, storage or Django here: the issuer and the currency come in with
``ReceiptData``. The output is deterministic, so rendering the same transaction
twice gives the same bytes and a re-run overwrites a receipt with an identical file.

A receipt names its issuer, says the transaction is completed and gives the
receipt number, the transaction id, the UTC time, the kind (a refund or a
reversal names its original: "Refund of transaction 42"), both parties with
their user ids, the amount with its currency and, when one was given, the
description (the memo; a reversal's is its reason; a receipt without one has
no such row). The text
receipt and the PDF say the same; a username or a description is printed
whole, wrapped inside the page when long.

The PDF is one A5 page (a name too long for it, which registration refuses,
continues on a second). ``render_pdf_canvas`` draws it with reportlab's canvas
(invariant mode, uncompressed): it is the readable definition of the layout.
Which fonts a receipt uses is decided in ``typesetting``:

- every value in WinAnsiEncoding (ASCII and the Western European letters):
  Helvetica, and production writes the canvas's bytes from a template
  (``render_pdf``, ``render_batch``): the document structure, the font objects and
  the fixed parts of the page are built once per process, and a receipt only adds
  its lines, its document information, its object offsets and the xref table. The
  tests check both give identical bytes.
- any other character: the values are set in DejaVu Sans (embedded) with the
  standard CJK fonts for Chinese, Japanese and Korean, Arabic shaped and
  right-to-left text in display order, drawn by the canvas itself.

The document information holds the title (``Receipt <number>``), the issuer as
author and creator, a subject (``Transfer of 12.34 USD``) and the transaction's
time as creation and modification date.
"""
import hashlib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

from reportlab.lib.pagesizes import A5
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import DummyDoc, PDFString

from apps.core.money import AMOUNT_DECIMAL_PLACES
from apps.core.printable import code_point, unprintable, winansi
from apps.receipts.typesetting import HELVETICA, Run, register_fonts, unicode_lines, winansi_lines


@dataclass(frozen=True)
class Party:
    id: int
    username: str


@dataclass(frozen=True)
class ReceiptData:
    transaction_id: int
    kind: str
    sender: Party | None  # None for a deposit
    receiver: Party | None  # None for a deposit's reversal
    amount: Decimal
    created_at: datetime
    currency: str  # ISO 4217 code
    issuer: str  # who issues the receipt
    description: str = ""  # the memo (a reversal's reason); no row at all when empty
    original_id: int | None = None  # the transaction a refund or a reversal gives back from


@dataclass(frozen=True)
class RenderedReceipt:
    pdf: bytes
    txt: bytes


STATUS = "Completed"  # a receipt exists only for a committed transaction
_KINDS = {"transfer": "Transfer", "deposit": "Deposit", "refund": "Refund", "reversal": "Reversal"}


def receipt_number(*, transaction_id: int, created_at: datetime) -> str:
    """``R-YYYYMMDD-<transaction id, 10 digits>``: stable, unique, sortable."""
    return f"R-{created_at.astimezone(UTC):%Y%m%d}-{transaction_id:010d}"


def receipt_paths(*, transaction_id: int, created_at: datetime) -> tuple[str, str]:
    """Storage names of the PDF and text receipts: receipts/<yyyy>/<mm>/<id>.pdf|.txt."""
    base = f"receipts/{created_at.astimezone(UTC):%Y/%m}/{transaction_id}"
    return f"{base}.pdf", f"{base}.txt"


def format_amount(amount: Decimal, currency: str) -> str:
    """``12.34 USD``: the amount with its currency's 2 minor units, then the ISO code."""
    return f"{amount:.{AMOUNT_DECIMAL_PLACES}f} {currency}"


_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _visible(text: str) -> str:
    """``text`` with each control or format character (tab, NUL, a bidi override) as its code point."""
    if text.isprintable():
        return text
    return "".join(code_point(c) if unicodedata.category(c) in _INVISIBLE else c for c in text)


def _memo(text: str) -> str:
    """A description in any script: a character no receipt font draws is printed as its code point."""
    text = _visible(text)
    missing = unprintable(text)
    return "".join(code_point(c) if c in missing else c for c in text) if missing else text


def _party(party: Party | None, *, missing: str) -> tuple[str, ...]:
    if party is None:
        return tuple(missing.split(" "))
    return (_visible(party.username), f"(user id {party.id})")


def _kind(data: ReceiptData) -> tuple[str, ...]:
    """``Transfer``, or ``Refund of transaction 42``: a return names what it gives back from."""
    kind = tuple(_visible(_KINDS.get(data.kind, data.kind)).split(" "))
    if data.original_id is None:
        return kind
    return (*kind, "of", "transaction", str(data.original_id))


Row = tuple[str, tuple[str, ...]]  # a label and its value's words (joined by single spaces)


def _rows(data: ReceiptData) -> list[Row]:
    when = data.created_at.astimezone(UTC)
    return [
        ("Issued by", tuple(_visible(data.issuer).split(" "))),
        ("Receipt number", (receipt_number(transaction_id=data.transaction_id, created_at=data.created_at),)),
        ("Status", (STATUS,)),
        ("Transaction id", (str(data.transaction_id),)),
        ("Date (UTC)", (f"{when:%Y-%m-%d}", f"{when:%H:%M:%S}", "UTC")),
        ("Kind", _kind(data)),
        ("Sender", _party(data.sender, missing="(deposit: outside the system)")),
        ("Receiver", _party(data.receiver, missing="(reversal: back outside the system)")),
        ("Amount", tuple(format_amount(data.amount, data.currency).split(" "))),
        *([("Reason" if data.kind == "reversal" else "Description",
            tuple(_memo(data.description).split(" ")))] if data.description else []),
    ]


def receipt_lines(data: ReceiptData) -> list[tuple[str, str]]:
    """The receipt's rows as (label, value), as the text receipt prints them."""
    return [(label, " ".join(words)) for label, words in _rows(data)]


# --- single receipts and batches ----------------------------------------------

def render_text(data: ReceiptData) -> bytes:
    return _text(_rows(data))


def render_pdf(data: ReceiptData) -> bytes:
    return _pdf(data, _rows(data))


def render_batch(items: Sequence[ReceiptData]) -> list[RenderedReceipt]:
    """Both files of each receipt, in order; the same bytes as ``render_pdf`` and ``render_text``."""
    rendered = []
    for data in items:
        rows = _rows(data)
        rendered.append(RenderedReceipt(pdf=_pdf(data, rows), txt=_text(rows)))
    return rendered


_TITLE = "Receipt"


def _text(rows: list[Row]) -> bytes:
    out = [_TITLE, "=" * len(_TITLE), ""]
    out += [f"{label + ':':<16} {' '.join(words)}" for label, words in rows]
    return ("\n".join(out) + "\n").encode()


# --- the layout -----------------------------------------------------------------

_BOLD = "Helvetica-Bold"
_TITLE_SIZE, _ROW_SIZE = 16, 10
_WIDTH, _HEIGHT = A5
_X_LABEL, _X_VALUE, _X_RULE_END = 15 * mm, 50 * mm, _WIDTH - 15 * mm
_VALUE_WIDTH = _X_RULE_END - _X_VALUE  # a value wraps within the rule's end
_Y_TITLE, _Y_BOTTOM = _HEIGHT - 20 * mm, 15 * mm
_TITLE_GAP, _ROW_STEP, _LINE_STEP = 12 * mm, 7 * mm, _ROW_SIZE * 1.2

Lines = list[list[Run]]  # a value's lines, each a list of (font, text) runs in display order


def _layout(rows: list[Row]) -> tuple[bool, list[tuple[str, Lines]]]:
    """Whether Helvetica draws every value, and each row's value as lines of font runs."""
    if all(winansi(word) for _, words in rows for word in words):
        return True, [(label, [[(HELVETICA, line)] for line in winansi_lines(
            words, font=HELVETICA, size=_ROW_SIZE, limit=_VALUE_WIDTH)]) for label, words in rows]
    register_fonts()
    return False, [(label, unicode_lines(words, size=_ROW_SIZE, limit=_VALUE_WIDTH)) for label, words in rows]


@dataclass(frozen=True)
class _Info:
    title: str
    author: str
    subject: str
    date: str  # a PDF date string

    @classmethod
    def of(cls, data: ReceiptData) -> "_Info":
        when = data.created_at.astimezone(UTC)
        return cls(
            title=f"Receipt {receipt_number(transaction_id=data.transaction_id, created_at=data.created_at)}",
            author=data.issuer,
            subject=f"{_KINDS.get(data.kind, data.kind)} of {format_amount(data.amount, data.currency)}",
            date=f"D:{when:%Y%m%d%H%M%S}+00'00'",
        )


def render_pdf_canvas(data: ReceiptData) -> bytes:
    """The receipt drawn with reportlab's canvas: the reference ``render_pdf`` reproduces."""
    return _canvas(data, _layout(_rows(data))[1])


def _canvas(data: ReceiptData, rows: list[tuple[str, Lines]]) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    info = _Info.of(data)
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A5, invariant=1, pageCompression=0)
    pdf.setTitle(info.title)
    pdf.setAuthor(info.author)
    pdf.setCreator(info.author)
    pdf.setSubject(info.subject)
    pdf.setDateFormatter(lambda *_: info.date)
    y = _Y_TITLE
    pdf.setFont(_BOLD, _TITLE_SIZE)
    pdf.drawString(_X_LABEL, y, _TITLE)
    y -= _TITLE_GAP
    for label, lines in rows:
        for i, runs in enumerate(lines):
            if i:
                y -= _LINE_STEP
            if y < _Y_BOTTOM:  # only a name far longer than registration allows
                pdf.showPage()
                y = _Y_TITLE
            if i == 0:
                pdf.setFont(_BOLD, _ROW_SIZE)
                pdf.drawString(_X_LABEL, y, label)
            _draw_runs(pdf, y, runs)
        y -= _ROW_STEP
    if y < _Y_BOTTOM:
        pdf.showPage()
        y = _Y_TITLE
    pdf.line(_X_LABEL, y, _X_RULE_END, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_runs(pdf, y: float, runs: list[Run]) -> None:
    if len(runs) == 1:
        font, text = runs[0]
        pdf.setFont(font, _ROW_SIZE)
        pdf.drawString(_X_VALUE, y, text)
    elif runs:
        shown = pdf.beginText(_X_VALUE, y)
        for font, text in runs:
            shown.setFont(font, _ROW_SIZE)
            shown.textOut(text)
        pdf.drawText(shown)


# --- the PDF template (values all in Helvetica) ----------------------------------------
# Object numbers: 1 the font dictionary, 2 Helvetica (/F1, the canvas's initial font),
# 3 Helvetica-Bold (/F2, the title's), 4 the page, 5 the catalog, 6 the document
# information, 7 the page tree, 8 the content stream.

# A string in a content stream: octal for bytes outside printable ASCII, a backslash before \ ( ).
_ESCAPE = {c: f"\\{c:03o}" for c in (*range(32), *range(127, 256))}
_ESCAPE.update({ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)"})
_DUMMY_DOC = DummyDoc()


def _shown(text: str) -> str:
    """The operator showing ``text`` in WinAnsiEncoding, as the canvas writes it (nothing for "")."""
    if not text:
        return ""
    if text.isascii():
        return f"({text.translate(_ESCAPE)}) Tj"
    return f"({text.encode('winansi').decode('latin-1').translate(_ESCAPE)}) Tj"


def _info_string(text: str) -> str:
    """A document information string, as reportlab writes it (UTF-16 beyond PDFDocEncoding)."""
    if text.isascii() and text.isprintable():
        return f"({text.translate(_ESCAPE)})"
    return PDFString(text).format(_DUMMY_DOC).decode("latin-1")


def _font_switch(name: str, size: int) -> str:
    return f"BT {name} {fp_str(size)} Tf {fp_str(size * 1.2)} TL ET\n"


@cache
def _at(x: float, y: float) -> str:
    return f"BT 1 0 0 1 {fp_str(x, y)} Tm "


@cache
def _rule(y: float) -> str:
    return f"n {fp_str(_X_LABEL, y)} m {fp_str(_X_RULE_END, y)} l S\n \n"


_STREAM_HEAD = "".join((
    f"1 0 0 1 0 0 cm  BT /F1 12 Tf {fp_str(12 * 1.2)} TL ET\n",
    _font_switch("/F2", _TITLE_SIZE),
    _at(_X_LABEL, _Y_TITLE), _shown(_TITLE), " T* ET\n",
))
_LABEL_FONT = _font_switch("/F2", _ROW_SIZE)
_VALUE_FONT = _font_switch("/F1", _ROW_SIZE)
_END = " T* ET\n"


_Y_FIRST_ROW = _Y_TITLE - _TITLE_GAP


def _stream(rows: list[tuple[str, Lines]]) -> bytes | None:
    """The page's content stream; None when the receipt does not fit one page."""
    out = [_STREAM_HEAD]
    y = _Y_FIRST_ROW
    for label, lines in rows:
        for i, runs in enumerate(lines):
            if i:
                y -= _LINE_STEP
            if y < _Y_BOTTOM:
                return None
            if i == 0:
                out += (_LABEL_FONT, _at(_X_LABEL, y), _shown(label), _END)
            out += (_VALUE_FONT, _at(_X_VALUE, y), _shown(runs[0][1]), _END)
        y -= _ROW_STEP
    if y < _Y_BOTTOM:
        return None
    out.append(_rule(y))
    return "".join(out).encode("latin-1")


_HEADER = b"%PDF-1.3\n%\x93\x8c\x8b\x9e ReportLab Generated PDF document (opensource)\n"
_FONT = "<<\n/BaseFont /{name} /Encoding /WinAnsiEncoding /Name /F{i} /Subtype /Type1 /Type /Font\n>>"
_PAGE = ("<<\n/Contents 8 0 R /MediaBox [ 0 0 {mediabox} ] /Parent 7 0 R /Resources <<\n"
         "/Font 1 0 R /ProcSet [ /PDF /Text /ImageB /ImageC /ImageI ]\n>> /Rotate 0 /Trans <<\n\n>> \n"
         "  /Type /Page\n>>")
_INFO = ("<<\n/Author {author} /CreationDate {date} /Creator {author} /Keywords () /ModDate {date} "
         "/Producer (ReportLab PDF Library - \\(opensource\\)) \n"
         "  /Subject {subject} /Title {title} /Trapped /False\n>>")
_TRAILER = ("trailer\n<<\n/ID \n[<{id}><{id}>]\n% ReportLab generated PDF document -- digest (opensource)\n\n"
            "/Info 6 0 R\n/Root 5 0 R\n/Size 9\n>>\nstartxref\n{startxref}\n%%EOF\n")
# The document id: an MD5 of a fixed prefix (invariant mode's fixed time), title, author, subject, keywords.
_ID_SEED = hashlib.md5(b"a reportlab document" + ascii(946684800.0).encode(), usedforsecurity=False)


def _obj(number: int, body: str | bytes) -> bytes:
    if isinstance(body, str):
        body = body.encode("latin-1")
    return b"%d 0 obj\n%s\nendobj\n" % (number, body)


def _skeleton() -> tuple[bytes, bytes, bytes]:
    """The objects before the document information, their xref entries, and the page tree."""
    objects = [_obj(1, "<<\n/F1 2 0 R /F2 3 0 R\n>>"),
               _obj(2, _FONT.format(name=HELVETICA, i=1)), _obj(3, _FONT.format(name=_BOLD, i=2)),
               _obj(4, _PAGE.format(mediabox=fp_str(_WIDTH, _HEIGHT))),
               _obj(5, "<<\n/PageMode /UseNone /Pages 7 0 R /Type /Catalog\n>>")]
    offsets, at = [], len(_HEADER)
    for o in objects:
        offsets.append(at)
        at += len(o)
    xref = b"xref\n0 9\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return _HEADER + b"".join(objects), xref, _obj(7, "<<\n/Count 1 /Kids [ 4 0 R ] /Type /Pages\n>>")


_HEAD, _XREF_HEAD, _PAGES = _skeleton()


def _pdf(data: ReceiptData, rows: list[Row]) -> bytes:
    helvetica, lines = _layout(rows)
    stream = _stream(lines) if helvetica else None
    if stream is None:
        return _canvas(data, lines)
    info = _Info.of(data)
    author = _info_string(info.author)
    info_obj = _obj(6, _INFO.format(author=author, date=f"({info.date})", subject=_info_string(info.subject),
                                    title=_info_string(info.title)))
    contents = _obj(8, b"<<\n/Length %d\n>>\nstream\n%sendstream" % (len(stream), stream))
    at_info = len(_HEAD)
    at_pages = at_info + len(info_obj)
    at_contents = at_pages + len(_PAGES)
    at_xref = at_contents + len(contents)
    digest = _ID_SEED.copy()
    digest.update(f"{info.title}{info.author}{info.subject}".encode())
    return b"".join((
        _HEAD, info_obj, _PAGES, contents, _XREF_HEAD,
        b"%010d 00000 n \n%010d 00000 n \n%010d 00000 n \n" % (at_info, at_pages, at_contents),
        _TRAILER.format(id=digest.hexdigest(), startxref=at_xref).encode(),
    ))
