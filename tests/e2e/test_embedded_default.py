"""The embedded default from a clean clone: what `make run` does, with nothing but Python.

A clone of this checkout with no ``DATABASE_URL`` and no broker: migrate (which starts the
private PostgreSQL under the clone's ``var/postgres``), the service's processes as
``scripts/run.sh`` runs them, ``/readyz``, a transfer, its receipt ready, Ctrl-C (everything
stops, the database server too), then a second start that still has the transfer.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.http import free_port

ROOT = Path(settings.BASE_DIR)
PASSWORD = "a-long-enough-password-1"


def _env() -> dict:
    dropped = ("DATABASE_URL", "CELERY_BROKER_URL", "EMBEDDED_DATABASE_DIR", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1"}


def _call(method: str, url: str, body=None, token=None) -> tuple[int, dict | bytes]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def _wait(predicate, what: str, proc: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the service exited ({proc.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


class Service:
    def __init__(self, clone: Path, port: int):
        self.clone, self.port, self.starts = clone, port, 0

    def start(self) -> float:
        self.starts += 1
        self.log = self.clone / f"run-{self.starts}.log"
        began = time.monotonic()
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                ["sh", "scripts/run.sh"], cwd=self.clone, stdout=log, stderr=subprocess.STDOUT,
                env={**_env(), "PY": sys.executable, "PORT": str(self.port), "WEB_CONCURRENCY": "1",
                     "CELERY_CONCURRENCY": "1"},
                start_new_session=True)
        _wait(lambda: _call("GET", f"{self.url}/readyz")[0] == 200, "/readyz", self.proc, self.log)
        return time.monotonic() - began

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Ctrl-C, as a person at the terminal sends it: to the whole process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            pytest.fail(f"Ctrl-C did not stop the service:\n{self.log.read_text()[-3000:]}")


@pytest.fixture
def clone(tmp_path):
    path = tmp_path / "wallet"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(path)], check=True)
    # The working tree as it is (a clone has the last commit only): uncommitted edits too.
    changed = subprocess.run(["git", "ls-files", "-m"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    for name in changed:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, path / name)
    secret = f"embedded-e2e-{time.time_ns()}-0123456789abcdefghijkl"
    (path / ".env").write_text(f"DEBUG=true\nSECRET_KEY={secret}\n")
    yield path
    subprocess.run([sys.executable, "-m", "config.embedded_postgres", "stop"], cwd=path,
                   env=_env(), capture_output=True)


@pytest.mark.e2e
def test_make_run_defaults_start_serve_stop_and_keep_their_data(clone):
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=clone, env=_env(),
                             capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    assert (clone / "var" / "postgres" / "PG_VERSION").exists()

    service = Service(clone, free_port())
    service.start()
    _call("POST", f"{service.url}/api/auth/register/", {"username": "ana", "password": PASSWORD})
    _call("POST", f"{service.url}/api/auth/register/", {"username": "ben", "password": PASSWORD})
    deposit = subprocess.run([sys.executable, "manage.py", "deposit", "ana", "25.00"], cwd=clone, env=_env(),
                             capture_output=True, text=True)
    assert deposit.returncode == 0, deposit.stderr
    _, tokens = _call("POST", f"{service.url}/api/auth/token/", {"username": "ana", "password": PASSWORD})
    _, me = _call("GET", f"{service.url}/api/users/lookup/?username=ben", token=tokens["access"])
    status, sent = _call("POST", f"{service.url}/api/wallet/transfer/",
                         {"receiver_id": me["id"], "amount": "7.50"}, token=tokens["access"])
    assert status == 201, sent
    receipt = f"{service.url}/api/transactions/{sent['transaction']['id']}/receipt/"
    _wait(lambda: _call("GET", receipt, token=tokens["access"])[0] == 200, "the receipt", service.proc,
          service.log)
    service.stop()
    assert not (clone / "var" / "postgres" / "postmaster.pid").exists(), \
        f"Ctrl-C left the database running:\n{service.log.read_text()[-3000:]}"

    service.start()  # the second start: the data is still there
    _, tokens = _call("POST", f"{service.url}/api/auth/token/", {"username": "ana", "password": PASSWORD})
    status, wallet = _call("GET", f"{service.url}/api/wallet/me/", token=tokens["access"])
    assert (status, wallet["balance"]) == (200, "17.50")
    status, history = _call("GET", f"{service.url}/api/transactions/", token=tokens["access"])
    assert [item["id"] for item in history["results"]][:1] == [sent["transaction"]["id"]]
    service.stop()
