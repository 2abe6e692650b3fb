"""The fleet test's short form: ``fleet.run`` for 20 seconds (``make fleet`` runs 60).

PgBouncer in transaction pooling mode in front of a fresh PostgreSQL database, three gunicorn
web processes, two Celery workers, two beats and a Redis of its own; a bank test across the
web processes while one of them and one worker are SIGKILLed and restarted; then the books,
the lost answers and their retries, ``verify_ledger``, the receipts and readiness are checked
(``fleet/checks.py``). About 40 seconds.

It runs in the PostgreSQL pass of the suite (``DATABASE_URL`` names the server; the fleet makes
its own database there). PgBouncer is Debian's ``pgbouncer`` package: ``make fleet`` and
``.ci/run`` install it; elsewhere the test is skipped without it, unless ``REQUIRE_FLEET_TEST=1``
(set by CI), which makes a missing PgBouncer a failure.
"""
import os
import shutil

import pytest

from fleet import pgbouncer
from fleet.run import Options, fleet_run, render
from fleet.stack import Shape

pytestmark = pytest.mark.fleet
DATABASE_URL = os.environ.get("DATABASE_URL", "")
_required = os.environ.get("REQUIRE_FLEET_TEST") == "1"
_missing = [name for name, found in (("pgbouncer", pgbouncer.binary()), ("redis-server",
                                                                         shutil.which("redis-server")))
            if not found]


@pytest.mark.skipif(not DATABASE_URL.startswith(("postgres://", "postgresql://")),
                    reason="the fleet runs on PostgreSQL: it is part of the suite's PostgreSQL pass")
@pytest.mark.skipif(bool(_missing) and not _required,
                    reason=f"{', '.join(_missing)} not installed: apt-get install pgbouncer redis-server "
                           "(make fleet and CI install PgBouncer)")
def test_bank_on_a_fleet_behind_pgbouncer_survives_killed_processes():
    if _missing:
        pytest.fail(f"REQUIRE_FLEET_TEST=1 but {', '.join(_missing)} is missing")
    options = Options(seconds=20, threads=16, postgres_url=DATABASE_URL, shape=Shape(lease_seconds=5))
    report = fleet_run(options, say=print)
    print(render(report, options.shape))
    assert report["failures"] == [], render(report, options.shape)
    assert [kill["process"].split("-")[0] for kill in report["kills"]] == ["web", "worker"]
    assert report["acknowledged"] > 100
    assert report["indeterminate"] == report["lost_committed"] + report["lost_absent"]
    assert report["receipts"] == report["acknowledged"] + report["lost_committed"] + \
        report["retries"]["performed"] + options.users
    assert report["pgbouncer"]["sv_total"] <= options.shape.pool_size
