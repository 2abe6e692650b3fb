"""The fleet test's report: the figures of a run, and their text."""
from collections import Counter

from fleet.bank import Attempt
from fleet.stack import Shape


def summarize(attempts: list[Attempt], *, seconds: float, threads: int, users: int,
              kills: list[dict]) -> dict:
    """The load's figures: what was sent, acknowledged, refused (by status and code), lost."""
    acknowledged = sum(a.acknowledged for a in attempts)
    refused = Counter(f"{a.status} {a.code}" for a in attempts
                      if a.status and not a.failure and not a.acknowledged)
    return {
        "load_s": seconds, "threads": threads, "users": users,
        "transfers": len(attempts), "acknowledged": acknowledged,
        "acknowledged_per_s": round(acknowledged / seconds, 1),
        "refused": dict(refused), "indeterminate": sum(a.indeterminate for a in attempts),
        "indeterminate_by": dict(Counter(a.failure for a in attempts if a.indeterminate)),
        "replayed_during_load": sum(a.replayed for a in attempts), "kills": kills,
    }


def render(report: dict, shape: Shape) -> str:
    """The report as a few lines of text, ending with PASS or FAIL and what failed."""
    pgb = report.get("pgbouncer", {})
    lines = [
        "Fleet report",
        f"  processes: PgBouncer (transaction pooling, pool {shape.pool_size}), Redis, {shape.webs} web "
        f"(gunicorn x{shape.web_concurrency}), {shape.workers} Celery workers, {shape.beats} beats",
        "  faults: " + "; ".join(f"{k['process']} SIGKILLed at {k['at_s']} s, ready again after "
                                  f"{k['back_after_s']} s" for k in report.get("kills", [])),
        f"  transfers: {report.get('transfers')} sent in {report.get('load_s')} s by {report.get('threads')} "
        f"threads; {report.get('acknowledged')} acknowledged ({report.get('acknowledged_per_s')}/s), "
        f"refused {report.get('refused')}",
        f"  indeterminate: {report.get('indeterminate')} {report.get('indeterminate_by')}: "
        f"{report.get('lost_committed')} had committed, {report.get('lost_absent')} had not; "
        f"retried with their keys: {report.get('retries')}",
        f"  books: verify_ledger {report.get('verify_ledger')}",
        f"  receipts: {report.get('receipts')} ready, drained {report.get('drain_s')} s after the load "
        f"({report.get('receipts_reclaimed')} claimed again after the worker's lease)",
        f"  PgBouncer: {pgb.get('cl_active')} client connections on at most {pgb.get('sv_total')} server "
        f"connections, up to {pgb.get('cl_waiting')} clients waiting; {pgb.get('transactions')} "
        f"transactions, {pgb.get('client_wait_s')} s waited in all",
        f"  readiness: {report.get('readiness')}",
        f"  time: start-up {report.get('startup_s')} s, wall {report.get('wall_s')} s",
    ]
    failures = report.get("failures") or []
    lines.append("  RESULT: " + ("PASS" if not failures else f"FAIL ({len(failures)})"))
    lines += [f"    - {line}" for line in failures[:50]]
    return "\n".join(lines)
