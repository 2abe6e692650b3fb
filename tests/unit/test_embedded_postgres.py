"""The embedded default database: one sentence when it cannot start, never a traceback."""
import os
import subprocess
import sys

import pytest
from django.conf import settings

from config import embedded_postgres

ROOT = settings.BASE_DIR


def _run(*args, env_extra=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EMBEDDED_DATABASE_DIR")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**env, "DEBUG": "true", **(env_extra or {})})


def test_a_folder_that_cannot_be_made_stops_manage_py_with_one_sentence(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run("manage.py", "check", env_extra={"EMBEDDED_DATABASE_DIR": str(blocker / "postgres")})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"The embedded PostgreSQL in {blocker / 'postgres'} could not start: ")


def test_a_stale_pid_file_naming_another_process_is_said_in_one_sentence(tmp_path):
    data = tmp_path / "pg"
    started = _run("-m", "config.embedded_postgres", "start", str(data))
    assert started.returncode == 0, started.stderr
    pid_file = (data / "postmaster.pid").read_text().splitlines()
    assert embedded_postgres.stop(data)
    # The machine restarted and the pid in the left-over file now belongs to another process.
    (data / "postmaster.pid").write_text("\n".join([str(os.getpid()), *pid_file[1:]]) + "\n")
    result = _run("-m", "config.embedded_postgres", "start", str(data))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "a stale" in line and "postmaster.pid names a process that is not this server" in line
    (data / "postmaster.pid").unlink()  # what the sentence says to do; then it starts
    again = _run("-m", "config.embedded_postgres", "start", str(data))
    assert again.returncode == 0, again.stderr
    assert embedded_postgres.stop(data)


@pytest.mark.parametrize("args", [[], ["restart"], ["start", "a", "b"]])
def test_the_command_line_says_how_to_use_it(args):
    result = _run("-m", "config.embedded_postgres", *args)
    assert (result.returncode, result.stderr.strip()) == (
        2, "usage: python -m config.embedded_postgres {start|stop} [DATA_DIR]")


def test_three_processes_starting_one_new_folder_at_once_share_one_server(tmp_path):
    data = tmp_path / "pg"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EMBEDDED_DATABASE_DIR")}
    command = [sys.executable, "-m", "config.embedded_postgres", "start", str(data)]
    starts = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for _ in range(3)]
    try:
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in starts]
        assert outcomes == [(0, "")] * 3
        postmasters = subprocess.run(["pgrep", "-f", f"postgres -D {data}"], capture_output=True, text=True)
        assert len(postmasters.stdout.split()) == 1  # one initdb, one server
    finally:
        embedded_postgres.stop(data)
