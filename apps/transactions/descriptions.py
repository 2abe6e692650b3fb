"""The memo a transfer or a deposit may carry: its rules in plain Python.

The model (the column's size) and the request field (``fields.py``) both
import these, so each rule is written once.
"""
import unicodedata

DESCRIPTION_MAX_LENGTH = 140
# Control characters (C0, DEL, C1) and the line and paragraph separators: a memo is one line.
# Lone surrogates (which only a JSON escape can smuggle in) are refused too; no text has them.
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Unicode's Bidi_Control characters make a memo read as something it is not (a right-to-left
# override shows "txt.exe" for "exe.txt") in the history, the export and on receipts. The
# joiners that Arabic and Indic text need (U+200C, U+200D) are not among them.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
DESCRIPTION_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]*$"


def control_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in _CONTROL_CATEGORIES]


def bidi_controls(text: str) -> list[str]:
    return [c for c in text if c in BIDI_CONTROLS]


def description_normalized(text: str) -> str:
    """NFC: an accent typed as a combining mark is stored, compared and printed as one character."""
    return unicodedata.normalize("NFC", text)
