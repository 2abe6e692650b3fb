"""Receipt rendering: pure functions from a transaction to bytes.

No database or storage access here. The output is deterministic, so rendering
the same transaction twice gives the same bytes and a re-run overwrites a
receipt with an identical file.

The PDF is one A5 page. ``render_pdf_canvas`` draws it with reportlab's canvas
(invariant mode, uncompressed): it is the readable definition of the layout.
Production writes the same bytes from a template instead (``render_pdf``,
``render_batch``): the document structure, the font objects, the fixed parts of
the page and the row positions are built once per process, and a receipt only
adds its values, its title, its object offsets and the xref table. The tests
check that both give identical bytes, so receipts written by either match.

Text is shown as the canvas shows it: Helvetica with WinAnsiEncoding; a run of
characters that encoding lacks falls back to Symbol (Greek letters, math
signs), then ZapfDingbats, and a character none of them has is drawn as a
black square (ZapfDingbats ``n``).
"""
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from reportlab.lib.pagesizes import A5
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getFont, unicode2T1


@dataclass(frozen=True)
class Party:
    id: int
    username: str


@dataclass(frozen=True)
class ReceiptData:
    transaction_id: int
    kind: str
    sender: Party | None  # None for a deposit
    receiver: Party
    amount: Decimal
    created_at: datetime


@dataclass(frozen=True)
class RenderedReceipt:
    pdf: bytes
    txt: bytes


def receipt_number(*, transaction_id: int, created_at: datetime) -> str:
    """``R-YYYYMMDD-<transaction id, 10 digits>``: stable, unique, sortable."""
    return f"R-{created_at.astimezone(UTC):%Y%m%d}-{transaction_id:010d}"


def receipt_paths(*, transaction_id: int, created_at: datetime) -> tuple[str, str]:
    """Storage names of the PDF and text receipts: receipts/<yyyy>/<mm>/<id>.pdf|.txt."""
    base = f"receipts/{created_at.astimezone(UTC):%Y/%m}/{transaction_id}"
    return f"{base}.pdf", f"{base}.txt"


def _party(party: Party | None) -> str:
    return "(deposit: outside the system)" if party is None else f"{party.username} (user id {party.id})"


def receipt_lines(data: ReceiptData) -> list[tuple[str, str]]:
    when = data.created_at.astimezone(UTC)
    return [
        ("Receipt number", receipt_number(transaction_id=data.transaction_id, created_at=data.created_at)),
        ("Transaction id", str(data.transaction_id)),
        ("Date (UTC)", f"{when:%Y-%m-%d %H:%M:%S} UTC"),
        ("Kind", data.kind),
        ("Sender", _party(data.sender)),
        ("Receiver", _party(data.receiver)),
        ("Amount", f"{data.amount:.2f}"),
    ]


# --- single receipts and batches ----------------------------------------------

def render_text(data: ReceiptData) -> bytes:
    return _text(receipt_lines(data))


def render_pdf(data: ReceiptData) -> bytes:
    return _pdf(data, receipt_lines(data))


def render_batch(items: Sequence[ReceiptData]) -> list[RenderedReceipt]:
    """Both files of each receipt, in order; the same bytes as ``render_pdf`` and ``render_text``."""
    rendered = []
    for data in items:
        lines = receipt_lines(data)
        rendered.append(RenderedReceipt(pdf=_pdf(data, lines), txt=_text(lines)))
    return rendered


def _text(lines: list[tuple[str, str]]) -> bytes:
    out = ["Wallet receipt", "=" * 14, ""]
    out += [f"{label + ':':<16} {value}" for label, value in lines]
    return ("\n".join(out) + "\n").encode()


# --- the layout -----------------------------------------------------------------

_TITLE = "Wallet receipt"
_AUTHOR = "Wallet"
_REGULAR, _BOLD = "Helvetica", "Helvetica-Bold"
_TITLE_SIZE, _ROW_SIZE = 16, 10
_WIDTH, _HEIGHT = A5
_X_LABEL, _X_VALUE, _X_RULE_END = 15 * mm, 50 * mm, _WIDTH - 15 * mm
_Y_TITLE = _HEIGHT - 20 * mm
_TITLE_GAP, _ROW_STEP = 12 * mm, 7 * mm


def _title(number: str) -> str:
    return f"Receipt {number}"


def render_pdf_canvas(data: ReceiptData) -> bytes:
    """The receipt drawn with reportlab's canvas: the reference ``render_pdf`` reproduces."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A5, invariant=1, pageCompression=0)
    pdf.setTitle(_title(receipt_number(transaction_id=data.transaction_id, created_at=data.created_at)))
    pdf.setAuthor(_AUTHOR)
    y = _Y_TITLE
    pdf.setFont(_BOLD, _TITLE_SIZE)
    pdf.drawString(_X_LABEL, y, _TITLE)
    y -= _TITLE_GAP
    for label, value in receipt_lines(data):
        pdf.setFont(_BOLD, _ROW_SIZE)
        pdf.drawString(_X_LABEL, y, label)
        pdf.setFont(_REGULAR, _ROW_SIZE)
        pdf.drawString(_X_VALUE, y, value)
        y -= _ROW_STEP
    pdf.line(_X_LABEL, y, _X_RULE_END, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- the PDF template -------------------------------------------------------------
# Object numbers, with k fonts: 1 the font dictionary, 2..k+1 the fonts, then the
# page, the catalog, the document information, the page tree and the content stream.
# Helvetica is /F1 (the canvas's initial font) and Helvetica-Bold /F2 (the title's);
# a fallback font takes the next name when a receipt first uses it.

_BASE_FONTS = {_REGULAR: "/F1", _BOLD: "/F2"}
_FALLBACKS = {name: [getFont(name), *getFont(name).substitutionFonts] for name in _BASE_FONTS}
_LEADING = {size: fp_str(size * 1.2) for size in (_TITLE_SIZE, _ROW_SIZE)}

# A string in a content stream: octal for bytes outside printable ASCII, a backslash before \ ( ).
_ESCAPE = {c: f"\\{c:03o}" for c in (*range(32), *range(127, 256))}
_ESCAPE.update({ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)"})


def _escape(raw: bytes) -> str:
    return raw.decode("latin-1").translate(_ESCAPE)


def _font_switch(name: str, size: int) -> str:
    return f"{name} {fp_str(size)} Tf {_LEADING[size]} TL"


def _show(text: str, font: str, size: int, fonts: list[str]) -> str:
    """The operators that show ``text`` in ``font``; a fallback font used is added to ``fonts``."""
    if text and text.isascii() and text.isprintable():  # all in WinAnsiEncoding: one run
        return f"({text.translate(_ESCAPE)}) Tj"
    ops, current = [], font
    for face, raw in unicode2T1(text, _FALLBACKS[font]):
        if face.fontName != current:
            current = face.fontName
            name = _BASE_FONTS.get(current)
            if name is None:
                if current not in fonts:
                    fonts.append(current)
                name = f"/F{len(_BASE_FONTS) + 1 + fonts.index(current)}"
            ops.append(_font_switch(name, size))
        ops.append(f"({_escape(raw)}) Tj")
    if current != font:
        ops.append(_font_switch(_BASE_FONTS[font], size))
    return " ".join(ops)


def _draw(x: float, y: float, shown: str) -> str:
    return f"BT 1 0 0 1 {fp_str(x, y)} Tm {shown} T* ET\n"


_STREAM_HEAD = "".join((
    f"1 0 0 1 0 0 cm  BT /F1 12 Tf {fp_str(12 * 1.2)} TL ET\n",
    f"BT {_font_switch('/F2', _TITLE_SIZE)} ET\n",
    _draw(_X_LABEL, _Y_TITLE, _show(_TITLE, _BOLD, _TITLE_SIZE, [])),
))
_LABEL_FONT = f"BT {_font_switch('/F2', _ROW_SIZE)} ET\n"
_VALUE_FONT = f"BT {_font_switch('/F1', _ROW_SIZE)} ET\n"


def _row_positions(count: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """For each row: where its label and its value start; the rule line below each count of rows."""
    ys = [_Y_TITLE - _TITLE_GAP]
    for _ in range(count):
        ys.append(ys[-1] - _ROW_STEP)  # the canvas accumulates y the same way
    return (tuple(f"BT 1 0 0 1 {fp_str(_X_LABEL, y)} Tm " for y in ys),
            tuple(f"BT 1 0 0 1 {fp_str(_X_VALUE, y)} Tm " for y in ys),
            tuple(f"n {fp_str(_X_LABEL, y)} m {fp_str(_X_RULE_END, y)} l S\n \n" for y in ys))


_MAX_ROWS = 64  # far below the bottom of the page already
_LABEL_AT, _VALUE_AT, _RULE_BELOW = _row_positions(_MAX_ROWS)


def _stream(lines: list[tuple[str, str]], fonts: list[str]) -> bytes:
    """The page's content stream; the fallback fonts it uses are added to ``fonts``."""
    if len(lines) > _MAX_ROWS:
        raise ValueError(f"A receipt has at most {_MAX_ROWS} rows.")
    out = [_STREAM_HEAD]
    for i, (label, value) in enumerate(lines):
        out += (_LABEL_FONT, _LABEL_AT[i], _show(label, _BOLD, _ROW_SIZE, fonts), " T* ET\n",
                _VALUE_FONT, _VALUE_AT[i], _show(value, _REGULAR, _ROW_SIZE, fonts), " T* ET\n")
    out.append(_RULE_BELOW[len(lines)])
    return "".join(out).encode("latin-1")

_HEADER = b"%PDF-1.3\n%\x93\x8c\x8b\x9e ReportLab Generated PDF document (opensource)\n"
_FONT = "<<\n/BaseFont /{name} {encoding}/Name /F{i} /Subtype /Type1 /Type /Font\n>>"
_PAGE = ("<<\n/Contents {contents} 0 R /MediaBox [ 0 0 {mediabox} ] /Parent {pages} 0 R /Resources <<\n"
         "/Font 1 0 R /ProcSet [ /PDF /Text /ImageB /ImageC /ImageI ]\n>> /Rotate 0 /Trans <<\n\n>> \n"
         "  /Type /Page\n>>")
_MEDIABOX = fp_str(_WIDTH, _HEIGHT)
_CATALOG = "<<\n/PageMode /UseNone /Pages {pages} 0 R /Type /Catalog\n>>"
_INFO = ("<<\n/Author ({author}) /CreationDate (D:20000101000000+00'00') /Creator (anonymous) /Keywords () "
         "/ModDate (D:20000101000000+00'00') /Producer (ReportLab PDF Library - \\(opensource\\)) \n"
         "  /Subject (unspecified) /Title ({title}) /Trapped /False\n>>")
_TRAILER = ("trailer\n<<\n/ID \n[<{id}><{id}>]\n% ReportLab generated PDF document -- digest (opensource)\n\n"
            "/Info {info} 0 R\n/Root {root} 0 R\n/Size {size}\n>>\nstartxref\n{startxref}\n%%EOF\n")
# The document id: an MD5 of a fixed prefix (the fixed creation time), the title, author, subject, keywords.
_ID_SEED = hashlib.md5(b"a reportlab document" + ascii(946684800.0).encode(), usedforsecurity=False)


def _obj(number: int, body: str | bytes) -> bytes:
    if isinstance(body, str):
        body = body.encode("latin-1")
    return b"%d 0 obj\n%s\nendobj\n" % (number, body)


class _Skeleton:
    """The bytes shared by every receipt that uses the same fonts, with their offsets."""

    def __init__(self, fonts: tuple[str, ...]) -> None:
        names = [*_BASE_FONTS, *fonts]
        k = len(names)
        self.page, self.catalog, self.info, self.pages, self.contents = range(k + 2, k + 7)
        font_refs = " ".join(f"/F{i} {i + 1} 0 R" for i in range(1, k + 1))
        objects = [_obj(1, f"<<\n{font_refs}\n>>")]
        for i, name in enumerate(names, start=1):
            encoding = "/Encoding /WinAnsiEncoding " if name in _BASE_FONTS else ""
            objects.append(_obj(i + 1, _FONT.format(name=name, encoding=encoding, i=i)))
        page = _PAGE.format(contents=self.contents, pages=self.pages, mediabox=_MEDIABOX)
        objects.append(_obj(self.page, page))
        objects.append(_obj(self.catalog, _CATALOG.format(pages=self.pages)))
        self.head = _HEADER + b"".join(objects)
        offsets, at = [], len(_HEADER)
        for o in objects:
            offsets.append(at)
            at += len(o)
        self.xref_head = b"xref\n0 %d\n0000000000 65535 f \n" % (k + 7) + b"".join(
            b"%010d 00000 n \n" % offset for offset in offsets)
        self.pages_obj = _obj(self.pages, f"<<\n/Count 1 /Kids [ {self.page} 0 R ] /Type /Pages\n>>")
        self.trailer = {"info": self.info, "root": self.catalog, "size": k + 7}


_SKELETONS: dict[tuple[str, ...], _Skeleton] = {}


def _pdf(data: ReceiptData, lines: list[tuple[str, str]]) -> bytes:
    title = _title(receipt_number(transaction_id=data.transaction_id, created_at=data.created_at))  # ASCII
    fonts: list[str] = []
    stream = _stream(lines, fonts)
    key = tuple(fonts)
    skeleton = _SKELETONS.get(key)
    if skeleton is None:
        skeleton = _SKELETONS[key] = _Skeleton(key)
    info = _obj(skeleton.info, _INFO.format(author=_AUTHOR, title=_escape(title.encode("ascii"))))
    contents = _obj(skeleton.contents, b"<<\n/Length %d\n>>\nstream\n%sendstream" % (len(stream), stream))
    at_info = len(skeleton.head)
    at_pages = at_info + len(info)
    at_contents = at_pages + len(skeleton.pages_obj)
    at_xref = at_contents + len(contents)
    digest = _ID_SEED.copy()
    digest.update(f"{title}{_AUTHOR}unspecified".encode())
    return b"".join((
        skeleton.head, info, skeleton.pages_obj, contents, skeleton.xref_head,
        b"%010d 00000 n \n%010d 00000 n \n%010d 00000 n \n" % (at_info, at_pages, at_contents),
        _TRAILER.format(id=digest.hexdigest(), startxref=at_xref, **skeleton.trailer).encode(),
    ))
