"""The HTTP load: wrk (C, event loop) with the Lua scripts of ``bench/wrk/``.

wrk keeps ``clients`` connections busy in a closed loop over ``threads`` threads and
reconnects whenever the server closes a connection (gunicorn's sync workers close after
every response). ``transfer.lua`` posts transfers (``spread`` or ``hot``), ``read.lua``
reads ``GET /api/wallet/me/``, ``refund.lua`` refunds part of a received transfer, ``holdcap.lua``
creates a hold and has its payee capture it; each counts every answer by status (and error
``code`` for 4xx/5xx) per thread and prints one ``WRK_JSON {...}`` line from ``done()``, parsed here.
Latency is wrk's: from writing the request on an open connection to the last byte of the
answer (time waiting in the server's accept queue included, the TCP connect itself not).
"""
import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "wrk"
MARKER = "WRK_JSON "
SOCKET_ERRORS = ("connect", "read", "write", "timeout")
# Per scenario, the status that counts as one operation, and the statuses of its intermediate
# steps (answered and fine, not an operation: a hold's 201 before its capture's 200).
EXPECTED_STATUS = {"spread": 201, "hot": 201, "read": 200, "refund": 201, "holdcap": 200}
STEP_STATUS = {"holdcap": (201,)}


def wrk_command(*, url: str, scenario: str, clients: int, duration: float, tokens: Path,
                timeout_s: float = 10, stop_after: int = 0, wrk: str = "wrk") -> list[str]:
    """The wrk command line for one cell (2 threads, 1 for a single client)."""
    threads = 1 if clients < 2 else 2
    if scenario == "read":
        script, extra = LUA_DIR / "read.lua", []
    elif scenario in ("spread", "hot"):
        script, extra = LUA_DIR / "transfer.lua", [scenario, str(stop_after)]
    elif scenario in ("refund", "holdcap"):
        script, extra = LUA_DIR / f"{scenario}.lua", ["", str(stop_after)]  # their default amounts
    else:
        raise ValueError(f"unknown HTTP scenario {scenario!r}")
    return [wrk, "-t", str(threads), "-c", str(clients), "-d", f"{max(1, math.ceil(duration))}s",
            "--latency", "--timeout", f"{timeout_s:g}s", "-s", str(script), url, "--", str(tokens), *extra]


def parse_wrk_output(stdout: str) -> dict:
    """The JSON summary printed by ``bench/wrk/common.lua``'s ``done()``."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    raise ValueError("wrk printed no WRK_JSON summary line:\n" + stdout[-2000:])


def summarize_wrk(raw: dict, expected: int, steps: tuple[int, ...] = ()) -> dict:
    """One cell from wrk's summary: successes per second, latency in ms, errors by kind.

    ``errors`` maps each answer other than ``expected`` ("400 insufficient_funds", "503 ...")
    and each socket error ("socket timeout", ...) to its count. ``in_flight`` counts the requests
    written but neither answered nor failed when the run ended (in a closed loop, up to one per
    connection). wrk's percentiles cover answered requests only, so a run that answered nothing,
    or fewer requests than it left hanging, has an unbounded p99 (``math.inf``), not a small one.
    """
    seconds = raw["duration_us"] / 1e6
    statuses = {str(key): int(count) for key, count in raw["statuses"].items()}
    ok = statuses.pop(str(expected), 0)
    step_count = sum(statuses.pop(str(status), 0) for status in steps)
    errors = dict(statuses)
    socket_errors = raw.get("errors", {})
    for kind in SOCKET_ERRORS:
        if socket_errors.get(kind):
            errors[f"socket {kind}"] = int(socket_errors[kind])
    latency = raw["latency_us"]
    answered = ok + step_count + sum(statuses.values())
    lost = int(socket_errors.get("read", 0)) + int(socket_errors.get("write", 0))
    in_flight = max(0, int(raw.get("sent", answered)) - answered - lost)
    unbounded = answered == 0 or in_flight > answered

    def ms(value):
        return math.inf if unbounded else value / 1000

    return {
        "ok": ok,
        "answered": answered,
        **({"steps": step_count} if steps else {}),
        "in_flight": in_flight,
        "per_s": ok / seconds if seconds > 0 else math.nan,
        "seconds": seconds,
        "p50_ms": latency["p50"] / 1000 if answered else math.inf,
        "p95_ms": ms(latency["p95"]),
        "p99_ms": ms(latency["p99"]),
        "max_ms": ms(latency["max"]),
        "errors": dict(sorted(errors.items())),
    }


class WrkRun:
    """wrk as a child process; its output goes to a file and its CPU comes from ``wait4``."""

    def __init__(self, command: list[str], workdir: Path):
        self.command = command
        self.out_path = workdir / f"wrk-{time.time_ns()}.out"
        self.cpu_s = math.nan
        self.returncode = None
        with open(self.out_path, "w") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

    def running(self) -> bool:
        if self.returncode is None:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self._reaped(status, usage)
        return self.returncode is None

    def _reaped(self, status, usage) -> None:
        self.returncode = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.returncode  # already reaped: Popen must not wait again
        self.cpu_s = usage.ru_utime + usage.ru_stime

    def interrupt(self) -> None:
        """End the run early: wrk stops its threads on SIGINT and still prints its summary."""
        if self.running():
            self.proc.send_signal(signal.SIGINT)

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self.wait(timeout=10)

    def wait(self, timeout: float) -> dict:
        """Wait for the end of the run; its JSON summary (CPU seconds in ``self.cpu_s``)."""
        deadline = time.monotonic() + timeout
        while self.running():
            if time.monotonic() > deadline:
                self.proc.kill()
                _, status, usage = os.wait4(self.proc.pid, 0)
                self._reaped(status, usage)
                raise RuntimeError(f"wrk did not finish within {timeout:.0f} s")
            time.sleep(0.02)
        output = self.out_path.read_text(errors="replace")
        self.out_path.unlink(missing_ok=True)
        if self.returncode != 0:
            raise RuntimeError(f"wrk failed ({self.returncode}): {output.strip()[-800:]}")
        return parse_wrk_output(output)
