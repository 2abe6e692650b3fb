"""BENCHMARKS.md: the tables, the targets with PASS/FAIL, the profile summary."""
import contextlib
import importlib.metadata
import math
import sys
from pathlib import Path

from bench.stats import format_errors, markdown_table

NOTES = Path(__file__).resolve().parent / "NOTES.md"
EXPECTED_ERRORS = {"400 insufficient_funds", "insufficient_funds"}
# ``read`` is a reference, not a target: GET /api/wallet/me/, the lightest authenticated request.
SCENARIOS = ("ceiling", "spread", "hot", "read")


def versions() -> dict:
    found = {"Python": sys.version.split()[0]}
    for name in ("Django", "djangorestframework", "djangorestframework_simplejwt", "psycopg2-binary",
                 "gunicorn", "celery", "uvloop", "pyinstrument"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    try:
        from django.db import connection
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            found["PostgreSQL"] = cursor.fetchone()[0]
    except Exception:
        found["PostgreSQL"] = "unknown"
    return found


def ratio(cells: list[dict], cell: dict) -> float | None:
    if cell["scenario"] == "ceiling":
        return None
    ceiling = next((c for c in cells if c["scenario"] == "ceiling" and c["clients"] == cell["clients"]), None)
    return cell["per_s"] / ceiling["per_s"] if ceiling and ceiling["per_s"] else None


def pct(value) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def main_table(cells: list[dict]) -> str:
    rows = []
    for cell in sorted(cells, key=lambda c: (SCENARIOS.index(c["scenario"]), c["clients"])):
        rows.append([cell["scenario"], cell["clients"], round(cell["per_s"]), cell["p50_ms"], cell["p95_ms"],
                     cell["p99_ms"], format_errors(cell["errors"]), pct(ratio(cells, cell)),
                     pct(cell.get("machine_cpu")),
                     pct(cell["client_cpu_s"] / cell["seconds"]) if cell.get("client_cpu_s") is not None
                     and cell["scenario"] != "ceiling" else "-"])
    return markdown_table(["scenario", "clients", "transfers/s (`read`: requests/s)", "p50 ms", "p95 ms",
                           "p99 ms",
                           "errors (by status / code)", "API / ceiling", "machine CPU",
                           "load generator CPU (of one core)"], rows)


CPU_COLUMNS = ("service", "PostgreSQL", "Redis", "load generator", "Celery worker", "other")


def cpu_table(cells: list[dict]) -> str:
    """Where the machine's CPU went, per successful transfer, by process group."""
    rows = []
    for cell in sorted(cells, key=lambda c: (SCENARIOS.index(c["scenario"]), c["clients"])):
        spent = cell.get("cpu_ms_per_op") or {}
        rows.append([cell["scenario"], cell["clients"],
                     *[f"{spent.get(name, 0.0):.2f}" for name in CPU_COLUMNS], f"{sum(spent.values()):.2f}"])
    return markdown_table(["scenario", "clients", *CPU_COLUMNS, "total"], rows)


def history_table(history: list[dict]) -> str:
    smallest = min(r["rows"] for r in history)
    base = {row["page"]: row["median_ms"] for row in history if row["rows"] == smallest}
    rows = [[f"{row['rows']:,}", row["label"], row["median_ms"], row["p95_ms"],
             f"{row['median_ms'] / base[row['page']]:.2f}x"] for row in history]
    return markdown_table(["transactions of the user", "page", "median ms", "p95 ms",
                           "vs same page at the smallest history"], rows)


def tuning_table(tuning: list[dict]) -> str:
    return markdown_table(["gunicorn", "clients", "transfers/s", "p50 ms", "p99 ms", "errors", "machine CPU"],
                          [[t["config"], t["clients"], round(t["per_s"]), t["p50_ms"], t["p99_ms"],
                            format_errors(t["errors"]), pct(t.get("machine_cpu"))] for t in tuning])


def targets(cells, history, sql, ledger) -> list[tuple[str, str, bool]]:
    def cell(scenario, clients):
        return next((c for c in cells if c["scenario"] == scenario and c["clients"] == clients), None)

    found = []
    unexpected = {f"{c['scenario']}@{c['clients']}": {k: v for k, v in c["errors"].items()
                                                       if k not in EXPECTED_ERRORS} for c in cells}
    unexpected = {k: v for k, v in unexpected.items() if v}
    found.append(("No errors other than `insufficient_funds` in any scenario",
                  "none" if not unexpected else str(unexpected), not unexpected))
    found.append(("Ledger intact afterwards (total conserved, no negative balance)",
                  f"balances {ledger['balances']} = deposits {ledger['deposits']}, "
                  f"{ledger['negative']} negative, {ledger['mismatched_wallets']} wallets off their log",
                  ledger["ok"]))
    top = max((c["clients"] for c in cells), default=None)
    spread, ceiling, hot = cell("spread", top), cell("ceiling", top), cell("hot", top)
    if spread and ceiling:
        r = spread["per_s"] / ceiling["per_s"]
        found.append((f"`spread` at {top} clients ≥ 15% of `ceiling`", f"{r:.1%}", r >= 0.15))
        found.append((f"`spread` at {top} clients p99 < 150 ms", f"{spread['p99_ms']:.1f} ms",
                      spread["p99_ms"] < 150))
    if hot:
        answered = not any(k for k in hot["errors"] if k not in EXPECTED_ERRORS)
        found.append((f"`hot` at {top} clients: every request answered", format_errors(hot["errors"]),
                      answered))
        found.append((f"`hot` at {top} clients p99 < 300 ms", f"{hot['p99_ms']:.1f} ms", hot["p99_ms"] < 300))
    if history:
        small, large = min(r["rows"] for r in history), max(r["rows"] for r in history)
        for page in ("first", "deep"):
            a = next(r for r in history if r["rows"] == small and r["page"] == page)
            b = next(r for r in history if r["rows"] == large and r["page"] == page)
            x = b["median_ms"] / a["median_ms"]
            found.append((f"`history` {page} page at {large:,} rows within 1.5x of {small:,}",
                          f"{x:.2f}x", x <= 1.5))
    found.append(("At most 5 SQL statements per transfer (no idempotency key, auth included)",
                  str(sql["count"]), sql["count"] <= 5))
    return found


def render(*, meta, cells, history, sql, ledger, profile, drain=None) -> tuple[str, list[str]]:
    checks = targets(cells, history, sql, ledger)
    failures = [name for name, _, ok in checks if not ok]
    v = meta["versions"]
    out = [
        "# Benchmarks",
        "",
        "Transfer throughput and latency of the wallet API against PostgreSQL's own ceiling on the same",
        "machine, measured in one run of `make bench` (code in `bench/`).",
        "This file is written by the benchmark.",
        "",
        f"- Date: {meta['date']}" + (" — **quick smoke run, not representative**" if meta["quick"] else ""),
        f"- Machine: {meta['cores']} cores ({meta['cpu_model']}), {meta['platform']}",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- Service: gunicorn `config.wsgi` with the production settings of `config/gunicorn.py` "
        f"({meta['gunicorn']}), `DEBUG=false`, persistent database connections (`CONN_MAX_AGE=600`, "
        "no per-request health check), Redis for the cache and the broker, throttle rates set far "
        "above reach. "
        "Behind a TLS-terminating proxy in production: requests carry `X-Forwarded-Proto: https`, "
        "so the HTTPS redirect and HSTS stay on.",
        "- Receipts: every transfer enqueues its receipt task on commit (the publish to Redis is part "
        "of each request). "
        + ("One Celery worker renders them during the cells, on the same cores."
           if meta["receipts"] else
           "The worker runs on other machines in production; here it is started after the cells, "
           "alone, to measure how fast it drains the queue (below)."),
        "- Load: `bench/loadgen.py`, a separate process: closed-loop clients speaking minimal HTTP/1.1 "
        "over asyncio streams (uvloop), reconnecting whenever the server closes (sync workers close "
        "after each response; the reconnect is inside the latency). It shares the cores with the "
        "service and PostgreSQL; its CPU is in the tables.",
        "- `ceiling`: the exact statements of one real transfer (captured in-process with "
        "`CaptureQueriesContext` and an `execute_wrapper`) replayed straight against PostgreSQL by "
        + ("`pgbench` (PostgreSQL's C client, prepared statements), "
           if cells and next((c for c in cells if c["scenario"] == "ceiling"), {}).get("driver") == "pgbench"
           else "a psycopg2 replay (pgbench was not found; this underestimates the ceiling), ")
        + "one connection per client: random sender and receiver, random amount, `now()`, the new "
        "transaction id read back.",
        f"- Each cell: {meta['warmup']:g} s warm-up, then {meta['duration']:g} s measured. "
        f"Whole run: {meta['elapsed_s']:.0f} s.",
        "",
        "## Transfers",
        "",
        "`spread`: random pairs of 1,000 funded wallets. `hot`: every client sends from the same wallet. "
        "`ceiling`: the same SQL without HTTP, Django or Python web stack. `read`, for reference: "
        "`GET /api/wallet/me/` from random users, the lightest authenticated request (JWT validation, "
        "one query, a small JSON body); it bounds what any request of this stack can reach on this "
        "machine. Transfers/s counts successful transfers; latencies are of every answered request "
        "in the window.",
        "",
        main_table(cells),
        "",
        "CPU per successful transfer (per request for `read`), in ms, by process (the whole "
        "machine's CPU time during the "
        "measured window divided by the transfers in it; 2 cores give 2,000 ms a second):",
        "",
        cpu_table(cells),
        "",
        *(["## Receipts", "",
            f"After the cells, one Celery worker (concurrency 1, alone on the machine) rendered "
            f"{drain['per_s']:.1f} receipts a second from the {drain['queued']:,} queued, "
            f"{drain['cpu_ms_per_receipt']:.1f} ms of CPU each (PDF and text, written to storage, "
            f"row updated).", ""] if drain else []),
        "## History pages",
        "",
        "`GET /api/transactions/` (20 rows a page) for a user with each history size; the deep page starts "
        "90% of the way down (a cursor built for that position). Median of sequential requests, "
        "one connection each.",
        "",
        history_table(history) if history else "(not run)",
        "",
        "## SQL per transfer",
        "",
        f"A transfer without an idempotency key runs **{sql['count']}** statements, authentication included "
        "(transaction control excluded), measured through the Django test client. On top of these, "
        "each request's first database use runs Django's connection health check (`SELECT 1`, "
        "`CONN_HEALTH_CHECKS`, settable by the environment), and BEGIN and COMMIT are round trips too:",
        "",
        "```sql",
        *[s for s in sql["executed"]],
        "```",
        "",
        "## Targets",
        "",
        markdown_table(["target", "measured", "result"],
                       [[name, measured, "PASS" if ok else "**FAIL**"] for name, measured, ok in checks]),
        "",
        f"Ledger check: {ledger}",
        "",
    ]
    if profile:
        out += [
            "## Where a transfer's time goes",
            "",
            f"pyinstrument over {profile['transfers']:,} transfers through `config.wsgi.application` "
            "in-process "
            f"(no HTTP server), {profile['ms_per_transfer']:.2f} ms each on average (profiler overhead "
            f"included); statuses {profile['statuses']}. Self time by area:",
            "",
            markdown_table(["area", "share"], [[name, pct(share)] for name, share in profile["categories"]]),
            "",
            "Top functions by self time:",
            "",
            markdown_table(["function", "share"], [[f"`{name}`", pct(share)]
                                                   for name, share in profile["top_functions"]]),
            "",
        ]
    if NOTES.exists():
        out += [NOTES.read_text().rstrip(), ""]
    return "\n".join(out), failures
