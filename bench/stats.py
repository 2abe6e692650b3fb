"""Pure helpers: percentiles, per-cell summaries and Markdown tables."""
import math
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0..100) by the nearest-rank method; NaN when empty."""
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError("pct must be within 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def summarize(*, latencies_s: Sequence[float], ok: int, errors: dict[str, int], seconds: float,
              client_cpu_s: float | None = None) -> dict:
    """One benchmark cell: throughput of successful operations and latency of all answered ones."""
    return {
        "ok": ok,
        "per_s": ok / seconds if seconds > 0 else math.nan,
        "p50_ms": percentile(latencies_s, 50) * 1000,
        "p95_ms": percentile(latencies_s, 95) * 1000,
        "p99_ms": percentile(latencies_s, 99) * 1000,
        "max_ms": max(latencies_s) * 1000 if latencies_s else math.nan,
        "errors": dict(sorted(errors.items())),
        "seconds": seconds,
        "client_cpu_s": client_cpu_s,
    }


def format_errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{key}: {count}" for key, count in sorted(errors.items())) or "none"


def fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned, text left-aligned."""
    rows = [[fmt(cell) for cell in row] for row in rows]
    header = "| " + " | ".join(headers) + " |"
    align = []
    for index in range(len(headers)):
        numeric = rows and all(_looks_numeric(row[index]) for row in rows)
        align.append("---:" if numeric else "---")
    lines = [header, "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    cleaned = text.replace(",", "").replace("%", "").replace("x", "").strip()
    if cleaned in ("-", "∞"):
        return True
    try:
        float(cleaned)
    except ValueError:
        return False
    return True
