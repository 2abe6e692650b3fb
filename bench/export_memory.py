"""Peak memory of the CSV export: 10,000 rows against 1,000,000, each in a fresh process.

    SECRET_KEY=... DATABASE_URL=postgres://postgres@127.0.0.1:5432/wallet_bench \\
        python -m bench.export_memory [--rows 10000 1000000]

PostgreSQL only (the histories are written straight in SQL by ``bench.seed``). The
database is migrated, then one user per size gets a history of that many transfers
(plus its funding deposit), and the tables are analyzed. Each export then runs in a
fresh Python process through the real view (``transactions/export.csv``, authenticated, every filter off), the
streamed body read and dropped chunk by chunk as a server would send it. Printed per
size: rows and bytes exported, the process's RSS high-water mark (``ru_maxrss``) before
and after the export, and the peak of Python allocations during it (``tracemalloc``).
The export reads keyset batches of 2,000 rows, so the peak should not grow with the
history: the 1,000,000-row figure within 1.5x of the 10,000-row one.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

from bench import django_setup


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(user_id: int) -> dict:
    """Export one user's history through the view; what it cost."""
    django_setup()
    from rest_framework.test import APIRequestFactory, force_authenticate

    from apps.transactions.urls import export_view
    from apps.users.models import User

    user = User.objects.get(pk=user_id)
    request = APIRequestFactory().get("/api/transactions/export.csv")
    force_authenticate(request, user=user)
    before = _max_rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    response = export_view(request)
    lines = size = 0
    for chunk in response.streaming_content:
        lines += 1
        size += len(chunk)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 200
    return {"rows": lines - 1, "bytes": size, "seconds": round(seconds, 2),
            "max_rss_before_mib": round(before, 1), "max_rss_mib": round(_max_rss_mib(), 1),
            "tracemalloc_peak_mib": round(peak / 2**20, 2)}


def prepare(rows: list[int]) -> dict[int, int]:
    """Migrate, and a user with ``n`` transfers and one deposit per size."""
    django_setup()
    from django.core.management import call_command

    from bench.seed import analyze, create_history, create_users

    call_command("migrate", verbosity=0)
    users = {}
    stamp = int(time.time())
    for n in rows:
        owner, other = create_users(f"export-{stamp}-{n}-", 2)
        create_history(owner=owner, other=other, rows=n)  # and its funding deposit: n + 1 entries
        users[n] = owner.pk
    analyze()  # fresh statistics, as autovacuum would keep them: the planner sees a deep history
    return users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return
    users = prepare(args.rows)
    results = {}
    for n, user_id in users.items():
        out = subprocess.run([sys.executable, "-m", "bench.export_memory", "--child", str(user_id)],
                             check=True, capture_output=True, text=True, env=os.environ).stdout
        results[n] = json.loads(out.strip().splitlines()[-1])
        print(f"{n:>9,} entries: {json.dumps(results[n])}", flush=True)
    if len(results) > 1:
        small, big = results[min(results)], results[max(results)]
        print(f"max RSS ratio {big['max_rss_mib'] / small['max_rss_mib']:.2f}x, "
              f"tracemalloc peak ratio {big['tracemalloc_peak_mib'] / small['tracemalloc_peak_mib']:.2f}x")


if __name__ == "__main__":
    main()
