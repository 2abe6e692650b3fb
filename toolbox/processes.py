"""Child processes in sessions of their own, so that each is stopped (or SIGKILLed) together with
whatever it forked (a gunicorn master and its workers, a Celery worker and its pool); ports."""
import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path


class Processes:
    """The children of a run by name, each logging to ``<logdir>/<name>.log``."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], *, cwd: Path, env: dict) -> subprocess.Popen:
        if name in self.running:
            raise RuntimeError(f"{name} is already running")
        with open(self.logdir / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.running[name] = proc
        return proc

    def pid(self, name: str) -> int | None:
        proc = self.running.get(name)
        return proc.pid if proc else None

    def alive(self, name: str) -> bool:
        proc = self.running.get(name)
        return proc is not None and proc.poll() is None

    def exit_status(self, name: str) -> str:
        proc = self.running.get(name)
        if proc is None or proc.poll() is None:
            return "running"
        code = proc.returncode
        return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"

    def log_path(self, name: str) -> Path:
        return self.logdir / f"{name}.log"

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.log_path(name)
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, name: str, *, sig=signal.SIGTERM, grace: float = 15) -> None:
        """``sig``, ``grace`` seconds to exit, then SIGKILL to whatever is left in its session."""
        proc = self.running.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            if proc.poll() is None:
                proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and everything in its session at once (no shutdown of any kind)."""
        proc = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self, grace: float = 10) -> None:
        for name in list(self.running):
            self.stop(name, grace=grace)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
