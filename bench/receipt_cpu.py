"""CPU time of receipt rendering, per receipt: ``python -m bench.receipt_cpu [N]``.

Pure functions, no database and no Django settings. Each path renders the same
N receipts (PDF and text) five times; the figure is the median of the five runs
of ``time.process_time``, divided by N. Two sets of names:

- ``ascii``: usernames Helvetica draws (the PDF is written from a template);
- ``embedded``: usernames in Latin beyond Western Europe, Cyrillic, Greek, Hebrew,
  Arabic, Chinese, Japanese and Korean (DejaVu Sans embedded, the CJK fonts,
  Arabic shaped, right-to-left reordered: drawn by reportlab's canvas).

Paths: ``canvas``, reportlab's canvas per PDF then the text (the layout's
reference); ``single``, ``render_pdf`` then ``render_text`` per receipt;
``batch``, ``render_batch`` over the N receipts (what the relay calls).
The target is at most 5 ms per receipt for ASCII names.
"""
import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from apps.receipts.rendering import (
    Party,
    ReceiptData,
    render_batch,
    render_pdf,
    render_pdf_canvas,
    render_text,
)

NAMES = {
    "ascii": ["alice", "bob", "carol_1984", "o'brien+pay@example", "dave.smith", "eve-42", "frank_the_tank",
              "grace@example.com"],
    "embedded": ["Łukasz_Żółć", "Иван_Петров", "Ελένη", "مريم_الأحمد", "דוד_כהן", "李雷_u1", "やまだ山田",
                 "김민준"],
}
TARGET_MS = 5.0


def sample(n: int, names: Sequence[str]) -> list[ReceiptData]:
    """N receipts like the service's: mostly transfers, some deposits."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items = []
    for i in range(n):
        receiver = Party(id=i % 977 + 1, username=names[i % len(names)])
        sender_name = names[(i * 3 + 1) % len(names)]
        sender = None if i % 10 == 0 else Party(id=i % 601 + 2, username=sender_name)
        items.append(ReceiptData(
            transaction_id=1_000_000 + i, kind="deposit" if sender is None else "transfer",
            sender=sender, receiver=receiver, amount=Decimal(i * 37 % 100_000) / 100 + Decimal("0.01"),
            created_at=start + timedelta(seconds=i * 97), currency="USD", issuer="Wallet",
        ))
    return items


def _canvas(items: Sequence[ReceiptData]) -> None:
    for data in items:
        render_pdf_canvas(data), render_text(data)


def _single(items: Sequence[ReceiptData]) -> None:
    for data in items:
        render_pdf(data), render_text(data)


def _batch(items: Sequence[ReceiptData]) -> None:
    render_batch(items)


PATHS: dict[str, Callable[[Sequence[ReceiptData]], None]] = {
    "canvas": _canvas, "single": _single, "batch": _batch,
}


def cpu_ms_per_receipt(path: Callable[[Sequence[ReceiptData]], None], items: Sequence[ReceiptData],
                       repeats: int = 5) -> float:
    path(items[:10])  # warm up: imports, font files and tables, templates
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        path(items)
        runs.append(time.process_time() - started)
    return statistics.median(runs) * 1000 / len(items)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=500, help="receipts per run (default 500)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"CPU per receipt (PDF and text), median of {args.repeats} runs of {args.n} receipts")
    print(f"{'names':<9} {'path':<7} {'ms':>8}   vs canvas")
    for names, usernames in NAMES.items():
        items = sample(args.n, usernames)
        results = {name: cpu_ms_per_receipt(path, items, args.repeats) for name, path in PATHS.items()}
        for name, ms in results.items():
            print(f"{names:<9} {name:<7} {ms:8.3f}   {results['canvas'] / ms:6.1f}x")
        if names == "ascii":
            verdict = "PASS" if results["batch"] <= TARGET_MS else "FAIL"
            print(f"{verdict}: ASCII names, batch {results['batch']:.3f} ms <= {TARGET_MS} ms per receipt")


if __name__ == "__main__":
    main()
