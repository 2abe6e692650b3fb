"""BENCHMARKS.md: medians of the rounds per cell and revision, new/baseline ratios, the targets."""
import contextlib
import importlib.metadata
import math
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from bench.stats import fmt, format_errors, markdown_table, median

REVS = ("baseline", "new")
CELLS = ("ceiling", "spread", "hot", "read", "e2e", "blackhole", "refund", "holdcap", "plain", "hooks")
CELL_LABELS = {
    "ceiling": "ceiling",
    "spread": "spread",
    "hot": "hot",
    "read": "read",
    "e2e": "spread + worker + beat",
    "blackhole": "spread, broker black-holed",
    "refund": "refund",
    "holdcap": "hold+capture",
    "plain": "spread, beside the webhook cell",
    "hooks": "spread, a webhook endpoint per user",
}
NEW_ONLY = ("refund", "holdcap", "plain", "hooks")  # cells of the new revision alone
CPU_GROUPS = ("service", "PostgreSQL", "Redis", "Celery", "wrk", "pgbench", "other")
NUMERIC = ("per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms", "machine_cpu", "receipts_per_s",
           "celery_ms_per_receipt")
TARGETS = tomllib.loads((Path(__file__).resolve().parent / "targets.toml").read_text())
TOP = TARGETS["top"]


def versions(postgres: str = "unknown") -> dict:
    found = {"Python": sys.version.split()[0]}
    for name in ("Django", "djangorestframework", "djangorestframework_simplejwt", "psycopg2-binary",
                 "gunicorn", "celery", "kombu", "redis", "pyinstrument"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    found["PostgreSQL"] = postgres
    for tool, flag in (("wrk", "-v"), ("pgbench", "--version")):
        if shutil.which(tool):
            done = subprocess.run([tool, flag], capture_output=True, text=True)
            first = (done.stdout or done.stderr).strip().splitlines()[:1]
            found[tool] = first[0].split(" Copyright")[0].replace(f"{tool} ", "") if first else "?"
    return found


# --- medians and ratios ----------------------------------------------------------------

def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def median_of(values) -> float:
    """Median of the values that were measured (None and NaN skipped); NaN when none was."""
    return median(_finite(values))


def ratio(new, base) -> float:
    """new / baseline; NaN when either is missing or the baseline is zero or unbounded."""
    if new is None or base is None or math.isnan(new) or math.isnan(base) or base == 0 or math.isinf(base):
        return math.nan
    return new / base


def aggregate(records: list[dict]) -> dict:
    """(cell, clients) -> revision -> medians over the rounds (errors summed, runs listed)."""
    grouped: dict = {}
    for record in records:
        key = (record["cell"], record["clients"])
        grouped.setdefault(key, {}).setdefault(record["rev"], []).append(record)
    out: dict = {}
    for key, by_rev in grouped.items():
        for rev, runs in by_rev.items():
            runs = sorted(runs, key=lambda r: r.get("round", 0))
            summary = {"runs": len(runs), "per_s_runs": [r["per_s"] for r in runs],
                       "p99_runs": [r["p99_ms"] for r in runs]}
            for name in NUMERIC:
                summary[name] = median_of([r.get(name) for r in runs])
            errors: dict = {}
            for run in runs:
                for kind, count in run.get("errors", {}).items():
                    errors[kind] = errors.get(kind, 0) + count
            summary["errors"] = dict(sorted(errors.items()))
            # requests still unanswered when a run ended whose latency had no bound (see summarize_wrk)
            summary["hanging"] = sum(r.get("in_flight", 0) for r in runs if math.isinf(r.get("p99_ms", 0)))
            groups = sorted({g for r in runs for g in r.get("cpu_ms", {})})
            summary["cpu_ms"] = {group: median_of([r.get("cpu_ms", {}).get(group, 0.0) for r in runs])
                                 for group in groups}
            if any("backlog_start" in r for r in runs):
                growth = [r["backlog_end"] - r["backlog_start"] for r in runs if "backlog_start" in r]
                summary["backlog_growth"] = median_of(growth)
                summary["backlog_runs"] = [(r["backlog_start"], r["backlog_end"]) for r in runs
                                           if "backlog_start" in r]
            if any("table_rows" in r for r in runs):
                summary["table_rows"] = [r["table_rows"] for r in runs if "table_rows" in r]
            out.setdefault(key, {})[rev] = summary
    return out


def get(agg: dict, cell: str, clients: int, rev: str, metric: str) -> float:
    value = agg.get((cell, clients), {}).get(rev, {})
    if metric.startswith("cpu:"):
        return value.get("cpu_ms", {}).get(metric[4:], math.nan)
    return value.get(metric, math.nan)


def unanswered(errors: dict[str, int], documented: dict[str, set[str]]) -> dict[str, int]:
    """The answers that are not "201 or a documented 4xx": socket errors, 5xx, and 4xx statuses
    (or error codes of a status) that the revision's schema does not list for the transfer."""
    bad = {}
    for key, count in errors.items():
        status, _, code = key.partition(" ")
        allowed = (status.isdigit() and status.startswith("4") and status in documented
                   and not (code and documented[status] and code not in documented[status]))
        if not allowed:
            bad[key] = count
    return bad


# --- targets -------------------------------------------------------------------------------------

def _x(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "∞" if math.isinf(value) else f"{value:.2f}x"


def _floor(target: dict) -> float:
    return target.get("at_least", target.get("at_most"))


def _meets(target: dict, value: float) -> bool | None:
    if value is None or math.isnan(value):
        return None
    return value >= target["at_least"] if "at_least" in target else value <= target["at_most"]


def targets(agg: dict, *, sql: dict, history: list[dict], drains: list[dict], ledgers: dict,
            documented: dict[str, set[str]], declared: list[dict] | None = None,
            operations: dict[str, dict[str, set[str]]] | None = None
            ) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, PASS/FAIL or None when not measured) for each target of
    ``bench/targets.toml`` (or ``declared``), the new revision against the baseline.

    ``documented`` holds the transfer's documented answers (status -> error codes), ``operations``
    those of other operations by name, for the targets that name one (``operation``)."""
    found = []

    def g(cell, rev, metric, clients=TOP):
        return get(agg, cell, clients, rev, metric)

    for target in TARGETS["target"] if declared is None else declared:
        kind = target["kind"]
        name = target["name"].replace("{floor:.0%}", f"{_floor(target) or 0:.0%}").replace(
            "{floor}", f"{_floor(target)}").replace("{top}", str(TOP))
        if kind == "ratio":
            a, b = g(*target["of"]), g(*target["to"])
            x, digits = ratio(a, b), target.get("digits", 1)
            measured = f"{_x(x)} ({fmt(a, digits)} vs {fmt(b, digits)} {target['unit']})"
            errors = agg.get((target.get("errors_of"), TOP), {}).get("new", {}).get("errors")
            found.append((name, measured + (f"; errors {format_errors(errors)}" if errors else ""),
                          _meets(target, x)))
        elif kind == "answered":
            cell = agg.get((target["cell"], TOP), {}).get("new")
            if cell is None:
                found.append((name, "not run", None))
                continue
            allowed = (documented if "operation" not in target
                       else (operations or {}).get(target["operation"], {}))
            bad = unanswered(cell["errors"], allowed)
            found.append((name, format_errors(cell["errors"]) + (f"; not allowed: {format_errors(bad)}"
                                                                 if bad else ""), not bad))
        elif kind == "healthy":
            healthy = {}
            for (cell, clients), by_rev in agg.items():
                if cell not in target["cells"] or "new" not in by_rev:
                    continue
                if bad := unanswered(by_rev["new"]["errors"], {} if cell == "read" else documented):
                    healthy[f"{cell}@{clients}"] = bad
            found.append((name, "; ".join(f"{k}: {format_errors(v)}" for k, v in healthy.items()) or "none",
                          not healthy))
        elif kind == "sql":
            count, before = ((sql.get(rev) or {}).get("count") for rev in ("new", "baseline"))
            found.append((name, "-" if count is None else f"{count} (baseline {fmt(before)})",
                          _meets(target, math.nan if count is None else count)))
        elif kind == "history":
            if not history:
                label = name.format(page="first and deep", large="1,000,000", small="10,000")
                found.append((label, "not run", None))
                continue
            small, large = min(r["rows"] for r in history), max(r["rows"] for r in history)
            for page in ("first", "deep"):
                a, b = (next((r["median_ms"] for r in history if r["rows"] == rows and r["page"] == page
                              and r.get("median_ms") is not None), None) for rows in (small, large))
                label = name.format(page=page, large=f"{large:,}", small=f"{small:,}")
                if a is None or b is None:
                    found.append((label, "failed", False))
                else:
                    found.append((label, f"{_x(ratio(b, a))} ({fmt(b)} vs {fmt(a)} ms)",
                                  _meets(target, ratio(b, a))))
        elif kind == "backlog":
            e2e = agg.get(("e2e", TOP), {}).get("new", {})
            found.append((name, ", ".join(f"{a:,} → {b:,}" for a, b in e2e.get("backlog_runs", [])) or "-",
                          _meets(target, e2e.get("backlog_growth", math.nan))))
        elif kind == "drain":
            drain = next((d for d in drains if d["rev"] == "new"), None)
            found.append((name, "not run" if drain is None else f"{drain['per_s']:.1f}/s",
                          None if drain is None else _meets(target, drain["per_s"])))
        elif kind == "share":
            share = ratio(g(target["of"], "new", "per_s"), g(target["to"], "new", "per_s"))
            before = ratio(g(target["of"], "baseline", "per_s"), g(target["to"], "baseline", "per_s"))
            found.append((name, "-" if math.isnan(share) else f"{share:.1%} (baseline {before:.1%})",
                          _meets(target, share)))
        elif kind == "ledger":
            for rev in REVS:
                ledger = ledgers.get(rev)
                found.append((name.format(rev=rev), "-" if ledger is None else f"verify_ledger {ledger}",
                              None if ledger is None else ledger == "clean"))
        else:
            raise ValueError(f"bench/targets.toml: unknown kind of target {kind!r}")
    return found


# --- tables ------------------------------------------------------------------------------------------

def _runs(values) -> str:
    return " / ".join(fmt(v, 0) if v == v and v >= 100 else fmt(v) for v in values)


def _sorted_cells(agg: dict) -> list[tuple[str, int]]:
    return sorted(agg, key=lambda key: (CELLS.index(key[0]), key[1]))


def _problems(summary: dict) -> str:
    if not summary:
        return "-"
    text = format_errors(summary.get("errors", {}))
    if summary.get("hanging"):
        text += f"; {summary['hanging']} unanswered when the run ended"
    return text


def ab_table(agg: dict) -> str:
    rows = []
    for cell, clients in _sorted_cells(agg):
        if cell in NEW_ONLY:  # a table of their own
            continue
        base, new = agg[(cell, clients)].get("baseline", {}), agg[(cell, clients)].get("new", {})
        row = [CELL_LABELS[cell], clients]
        for metric in ("per_s", "p99_ms", "cpu:service"):
            a, b = get(agg, cell, clients, "baseline", metric), get(agg, cell, clients, "new", metric)
            if metric == "cpu:service" and cell == "ceiling":
                row += ["-", "-", "-"]
            else:
                digits = 2 if metric.startswith("cpu") else 1
                row += [fmt(a, digits), fmt(b, digits), _x(ratio(b, a))]
        row += [f"{_runs(base.get('per_s_runs', []))} · {_runs(new.get('per_s_runs', []))}",
                f"{_problems(base)} · {_problems(new)}"]
        rows.append(row)
    return markdown_table(["cell", "clients", "base /s", "new /s", "new/base", "base p99 ms", "new p99 ms",
                           "p99 new/base", "base service ms/op", "new service ms/op", "CPU new/base",
                           "rounds /s (base · new)", "errors (base · new)"], rows)


def _by_revision(agg: dict):
    """(cell, clients, revision, summary) for every measured cell, in the report's order."""
    for cell, clients in _sorted_cells(agg):
        for rev in REVS:
            if summary := agg[(cell, clients)].get(rev):
                yield CELL_LABELS[cell], clients, rev, summary


def latency_table(agg: dict) -> str:
    rows = [[cell, clients, rev, s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"],
             f"{s['machine_cpu']:.0%}" if s["machine_cpu"] == s["machine_cpu"] else "-"]
            for cell, clients, rev, s in _by_revision(agg)]
    return markdown_table(["cell", "clients", "revision", "p50 ms", "p95 ms", "p99 ms", "max ms",
                           "machine CPU"], rows)


def cpu_table(agg: dict) -> str:
    rows = [[cell, clients, rev, *[fmt(s["cpu_ms"].get(group, 0.0), 2) for group in CPU_GROUPS],
             fmt(sum(s["cpu_ms"].values()), 2)] for cell, clients, rev, s in _by_revision(agg)]
    return markdown_table(["cell", "clients", "revision", *CPU_GROUPS, "total"], rows)


def ceiling_table(agg: dict, clients_list) -> str:
    rows = []
    for clients in clients_list:
        for rev in REVS:
            ceiling = agg.get(("ceiling", clients), {}).get(rev)
            spread = agg.get(("spread", clients), {}).get(rev)
            if not ceiling or not spread:
                continue
            sizes = ceiling.get("table_rows", [])
            rows.append([clients, rev, ceiling["per_s"], spread["per_s"],
                         f"{ratio(spread['per_s'], ceiling['per_s']):.1%}",
                         " / ".join(f"{s['transactions']:,}" for s in sizes),
                         " / ".join(f"{s['ledger_entries']:,}" for s in sizes)])
    return markdown_table(["clients", "revision", "ceiling /s", "spread /s", "spread / ceiling",
                           "transactions rows (per round)", "ledger entry rows (per round)"], rows)


def e2e_table(agg: dict, records: list[dict]) -> str:
    rows = []
    for rev in REVS:
        e2e = sorted((r for r in records if r["rev"] == rev and r["cell"] == "e2e"), key=lambda r: r["round"])
        for run in e2e:
            only = next((r for r in records if r["rev"] == rev and r["cell"] == "spread"
                         and r["clients"] == TOP and r["round"] == run["round"]), None)
            rows.append([rev, run["round"] + 1, run["per_s"], only["per_s"] if only else math.nan,
                         _x(ratio(run["per_s"], only["per_s"] if only else math.nan)),
                         run.get("receipts_per_s", math.nan),
                         f"{run.get('backlog_start', '-'):,} → {run.get('backlog_end', '-'):,}"
                         if "backlog_start" in run else "-",
                         f"{run['backlog_end'] - run['backlog_start']:+,}" if "backlog_start" in run else "-",
                         f"{run['cpu_ms'].get('service', 0):.2f}",
                         fmt(run.get("celery_ms_per_receipt", math.nan))])
    return markdown_table(["revision", "round", "transfers/s", "transfer-only /s (same round)", "ratio",
                           "receipts rendered /s", "backlog start → end", "growth",
                           "service ms/transfer", "Celery ms/receipt"], rows)


def drain_table(drains: list[dict]) -> str:
    rows = [[d["rev"], f"{d['burst_sent']:,}", d["burst_per_s"], format_errors(d["burst_errors"]),
             f"{d['owed_before']:,}", d["startup_s"], d.get("first_s", math.nan), d["per_s"],
             f"{d['rendered']:,}", f"{d['left']:,}", d["drain_s"], d["celery_ms_per_receipt"]]
            for d in drains]
    return markdown_table(["revision", "burst transfers", "burst /s", "burst errors", "receipts owed",
                           "worker start-up s", "first receipt after s", "receipts /s", "rendered", "left",
                           "followed s", "Celery ms/receipt"], rows)


def history_table(history: list[dict]) -> str:
    measured = [r for r in history if r.get("median_ms") is not None]
    smallest = min((r["rows"] for r in history), default=0)
    base = {r["page"]: r["median_ms"] for r in measured if r["rows"] == smallest}
    rows = []
    for r in history:
        label = r["page"] + (f" (row {r['depth']:,})" if r["page"] == "deep" else "")
        if r.get("median_ms") is None:
            rows.append([f"{r['rows']:,}", label, "failed", "-", r.get("error", "")[:80]])
        else:
            rows.append([f"{r['rows']:,}", label, r["median_ms"], r["p95_ms"],
                         _x(ratio(r["median_ms"], base.get(r["page"], math.nan)))])
    return markdown_table(["transactions of the user", "page", "median ms", "p95 ms",
                           "vs same page at the smallest history"], rows)


# --- the document -------------------------------------------------------------------------------------

def new_only_table(agg: dict) -> str:
    rows = []
    for cell in NEW_ONLY:
        s = agg.get((cell, TOP), {}).get("new")
        if not s:
            continue
        rows.append([CELL_LABELS[cell], TOP, s["per_s"], s["p50_ms"], s["p99_ms"],
                     fmt(s["cpu_ms"].get("service", math.nan), 2), _runs(s["per_s_runs"]), _problems(s)])
    return markdown_table(["cell", "clients", "/s", "p50 ms", "p99 ms", "service ms/op", "rounds /s",
                           "other answers and errors"], rows)


def deliveries_text(deliveries: dict | None) -> str:
    if not deliveries:
        return "(not run)"
    if deliveries.get("error"):
        return f"Failed: `{deliveries['error']}`"
    return (f"{deliveries['delivered']:,} of {deliveries['owed']:,} owed deliveries sent in "
            f"{deliveries['seconds']:.1f} s by {deliveries['processes']} relay processes: "
            f"**{deliveries['per_s']:.0f} deliveries/s** ({deliveries['requests']:,} requests received, "
            f"{deliveries['pending']:,} still pending).")


def render(*, meta, records, history, drains, ledgers, sql, documented, operations=None, deliveries=None,
           profile=None) -> tuple[str, list[str]]:
    agg = aggregate(records)
    checks = targets(agg, sql=sql, history=history, drains=drains, ledgers=ledgers, documented=documented,
                     operations=operations)
    failures = [name for name, _, ok in checks if ok is not True]
    v = meta["versions"]
    ceiling_driver = next((r.get("driver") for r in records if r["cell"] == "ceiling"), None)
    out = [
        "# Benchmarks",
        "",
        "The wallet API measured A/B: a baseline revision and the new code, alternated in one run of",
        "`make bench` on the same machine (code in `bench/`). This file is written by the benchmark.",
        "",
        f"- Date: {meta['date']}" + (" — **quick smoke run, not representative**" if meta["quick"] else ""),
        f"- Baseline: {meta['baseline']}. New: {meta['new']}.",
        f"- Machine: {meta['cores']} cores ({meta['cpu_model']}), {meta['platform']}",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        "- Each revision runs from its own tree (a git worktree; the working tree as copied at the start) "
        "in the same venv, against its own fresh PostgreSQL database, migrated and seeded by its own "
        f"code the same way ({meta['pool']:,} funded users, JWTs minted in-process). Both services run side "
        "by side; each cell is measured baseline, new"
        + (", baseline, new" if meta["rounds"] == 2 else f" ({meta['rounds']} rounds)" if meta["rounds"] > 2
           else "")
        + " back to back, so that the machine's drift falls on both alike; figures are medians of the "
        "rounds (of two: their mean).",
        "- Service: gunicorn `config.wsgi` with each revision's `config/gunicorn.py`"
        + (f" (`--workers {meta['workers']}`)" if meta.get("workers") else "")
        + ", `DEBUG=false`, persistent database connections (`CONN_MAX_AGE=600`), Redis for the cache and "
        "the broker, throttle rates set far above reach. Behind a TLS-terminating proxy in production: "
        "every request carries `X-Forwarded-Proto: https`, so the HTTPS redirect and HSTS stay on.",
        "- Load: `wrk` (`bench/wrk/*.lua`), closed loop, 2 threads (1 for one client), `--timeout 10s`; "
        "it reconnects whenever the server closes the connection. Latency is wrk's: from writing the "
        "request to the end of the answer, time in the server's accept queue included. Every answer is "
        "counted by status and error code in the Lua `response()` callback.",
        "- `ceiling`: the exact statements of one transfer captured from each revision "
        "(`CaptureQueriesContext` and an `execute_wrapper`), replayed straight against PostgreSQL by "
        + ("`pgbench` (prepared statements)" if ceiling_driver == "pgbench" else
           "a psycopg2 replay (pgbench was not found; this underestimates the ceiling)")
        + ", one connection per client. Not a stable yardstick across runs; within one run it shows the "
        "share of the database's own capacity the API reaches.",
        f"- Each cell: {meta['warmup']:g} s warm-up (a separate wrk run), then {meta['duration']:g} s "
        f"measured. Whole run: {meta['elapsed_s'] / 60:.1f} min.",
        *([f"- Cells run (`--cells`): {', '.join(meta['cells'])}; the targets of the others are not "
            "measured."] if meta.get("cells") else []),
        *[f"- Note: {note}" for note in meta.get("notes", [])],
        "",
        "## A/B: medians per cell",
        "",
        "`spread`: random pairs among the funded wallets. `hot`: every client sends from the same wallet. "
        "`read`: `GET /api/wallet/me/` from random users, the lightest authenticated request. `ceiling`: "
        "the transfer's SQL without HTTP or Python. `spread + worker + beat`: `spread` while one Celery "
        "worker (`--concurrency 1`) and `celery beat` run on the same cores rendering receipts. `spread, "
        "broker black-holed`: `spread` with `CELERY_BROKER_URL` pointing at a port that accepts connections "
        "and never answers. /s counts successful transfers (`read`: answered reads); service ms/op is the "
        "CPU of gunicorn's processes (utime + stime from `/proc`) in the measured window divided by the "
        "successful operations. A p99 of ∞: the run answered nothing, or fewer requests than it left "
        "unanswered at its end (wrk's percentiles cover answered requests only).",
        "",
        ab_table(agg),
        "",
        "### Latency and machine CPU",
        "",
        latency_table(agg),
        "",
        "### CPU per operation by process (ms)",
        "",
        "Medians over the rounds; each process group's utime + stime (reaped children included) in the "
        "measured window divided by the successful operations; wrk and pgbench from their own rusage; "
        "`other` is the rest of the machine's busy time. 2 cores give 2,000 ms a second.",
        "",
        cpu_table(agg),
        "",
        "## Refunds, holds and webhooks (new revision only)",
        "",
        "Features the baseline may not have, measured on the new revision alone after the A/B cells, "
        f"at {TOP} clients, on its database seeded a second time (another pool of the same size, so the "
        "A/B cells ran on the same data on both sides). `refund`: a random user of that pool refunds "
        "0.01 of the transfer of 100.00 they received (`POST /api/transactions/{id}/refund/`); /s counts "
        "the 201s. `hold+capture`: a random payer creates a hold of 0.05 for a random payee "
        "(`POST /api/holds/`, 201) and the payee captures it (`POST /api/holds/{id}/capture/`, 200); "
        "/s counts completed pairs, the latencies cover both requests, the holds' 201s are not errors. "
        "`spread, a webhook endpoint per user`: `spread` among users who each have one enabled endpoint "
        "for `transfer.sent` and `transfer.received` (two owed deliveries per transfer, written in the "
        "transfer's transaction; no relay runs), against `spread, beside the webhook cell`, the plain "
        "`spread` measured just before it in each round.",
        "",
        new_only_table(agg),
        "",
        "### Webhook deliveries",
        "",
        "`bench/webhook_delivery.py` of the new revision in a fresh database: owed deliveries written "
        "through real transfers (one endpoint per receiving user), then two relay processes running "
        "the relay task's loop, timed until none is pending; the receiver is a threaded HTTP server on "
        "loopback answering 200.",
        "",
        deliveries_text(deliveries),
        "",
        "## The ceiling and the table sizes it ran on",
        "",
        ceiling_table(agg, meta["clients"]),
        "",
        "## End to end: transfers while receipts are rendered",
        "",
        "Owed receipts (backlog) = transactions minus ready receipts, at the start and the end of the "
        "measured window; the transfer-only rate is `spread`@32 of the same revision and round, measured "
        "a few minutes earlier in the same run.",
        "",
        e2e_table(agg, records),
        "",
        "## Receipt drain after a burst",
        "",
        "Each revision on a fresh database of its own (PostgreSQL, Redis as the broker), 100 funded users. "
        f"Without a worker, wrk sends a burst of about {meta['drain_burst']:,} transfers (8 clients); the "
        "service stops, then one worker (`--concurrency 1`) and beat start. From the moment the worker "
        "answers Celery's ping, ready receipts are counted every 0.1 s until none is owed or "
        f"{meta['drain_cap']:g} s have passed; receipts/s is what was rendered divided by that time (the "
        "worker's own start-up excluded, the wait for the first batch included). Owed: transactions "
        "without a ready receipt, the 100 funding deposits included.",
        "",
        drain_table(drains) if drains else "(not run)",
        "",
        "## History pages (new revision)",
        "",
        "`GET /api/transactions/` (20 rows a page) for a user with each history size, in a separate "
        "database of the new revision; the deep page starts 90% of the way down (a cursor built for "
        f"that position). {meta['history_samples']} requests of each page after "
        f"{meta['history_warmup']} warm-up ones, the pages taken in turn in a shuffled order, one "
        "request at a time, a new connection each.",
        "",
        history_table(history) if history else "(not run)",
        "",
        "## SQL per transfer",
        "",
    ]
    for rev in REVS:
        captured = sql.get(rev) or {}
        out += [f"{rev.capitalize()}: **{captured.get('count', '-')}** statements without an idempotency "
                "key, authentication included, transaction control excluded (through the Django test client)"
                + (f"; the ceiling could not replay them: {captured['replay_error']}"
                   if captured.get("replay_error") else "") + ":", "", "```sql",
                *captured.get("executed", []), "```", ""]
    out += [
        "## Targets",
        "",
        "Judged on the new revision against the baseline of the same run (medians of the rounds). "
        "Not measured counts as not passed.",
        "",
        markdown_table(["target", "measured", "result"],
                       [[name, measured, "PASS" if ok else ("not measured" if ok is None else "**FAIL**")]
                        for name, measured, ok in checks]),
        "",
    ]
    if profile:
        out += [
            "## Where a transfer's time goes (new revision)",
            "",
            f"pyinstrument over {profile['transfers']:,} transfers through `config.wsgi.application` "
            f"in-process (no HTTP server), {profile['ms_per_transfer']:.2f} ms each on average (profiler "
            f"overhead included); statuses {profile['statuses']}. Self time by area:",
            "",
            markdown_table(["area", "share"],
                           [[name, f"{share:.1%}"] for name, share in profile["categories"]]),
            "",
            "Top functions by self time:",
            "",
            markdown_table(["function", "share"], [[f"`{name}`", f"{share:.1%}"]
                                                   for name, share in profile["top_functions"]]),
            "",
        ]
    out += ["How to read these figures, and dated readings of earlier runs: [Notes](notes.md).", ""]
    return "\n".join(out), failures
