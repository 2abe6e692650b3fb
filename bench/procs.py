"""The machine during a benchmark run: CPU accounting by process group, the black-hole broker,
the revisions' trees. The processes themselves are ``toolbox.processes.Processes``."""
import math
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

HERTZ = os.sysconf("SC_CLK_TCK")


# --- CPU accounting --------------------------------------------------------------

def read_proc_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command name, CPU ticks of the process and of its reaped children)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is the state: utime, stime, cutime, cstime are fields 14-17 of stat(5)
        ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        table[int(entry)] = (int(fields[1]), name, ticks)
    return table


def subtree_ticks(table: dict[int, tuple[int, str, int]], roots: set[int]) -> int:
    """CPU ticks of ``roots`` and every live descendant; children that exited and were reaped
    are inside their parent's cumulative figures, so nothing is lost or counted twice."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack, seen = 0, [pid for pid in roots if pid in table], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += table[pid][2]
        stack.extend(children.get(pid, ()))
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])  # guest time is already inside user time
    return total - idle, total


class CpuMeter:
    """Where the machine's CPU goes, by group: the service (one gunicorn and its workers), the Celery
    worker and beat, PostgreSQL (the postmaster and every backend), Redis; "other" is the rest of
    the machine's busy time (the load driver is measured separately, from its own rusage)."""

    def __init__(self, processes):
        self.processes = processes

    def _roots(self, table, service: str | None) -> dict[str, set[int]]:
        roots = {"service": set(), "Celery": set(), "PostgreSQL": set(), "Redis": set()}
        if service and self.processes.pid(service):
            roots["service"].add(self.processes.pid(service))
        for name in self.processes.running:
            if name.startswith("celery"):
                roots["Celery"].add(self.processes.pid(name))
        for pid, (ppid, name, _) in table.items():
            if name == "postgres" and table.get(ppid, (0, ""))[1] != "postgres":
                roots["PostgreSQL"].add(pid)
            elif name.startswith("redis-server"):
                roots["Redis"].add(pid)
        return roots

    def sample(self, service: str | None = None) -> dict:
        """CPU ticks so far by group; ``service`` names the gunicorn instance measured (another one,
        idle, falls into "other")."""
        table = read_proc_table()
        busy, total = machine_ticks()
        groups = {group: subtree_ticks(table, pids) for group, pids in self._roots(table, service).items()}
        return {"groups": groups, "busy": busy, "total": total, "time": time.monotonic()}


def cpu_per_op(before: dict, after: dict, ops: float, *, driver_cpu_s: float | None = None,
               driver: str = "wrk") -> dict:
    """ms of CPU per operation by group between two samples, the driver's own CPU included."""
    if ops <= 0:  # nothing succeeded in the window: no per-operation figure
        return {group: math.nan for group in (*after["groups"], driver, "other")}
    per_op = {}
    accounted = 0
    for group, ticks in after["groups"].items():
        spent = max(0, ticks - before["groups"].get(group, ticks))
        accounted += spent
        per_op[group] = spent / HERTZ * 1000 / ops
    busy = after["busy"] - before["busy"]
    if driver_cpu_s is not None and not math.isnan(driver_cpu_s):
        per_op[driver] = driver_cpu_s * 1000 / ops
        accounted += driver_cpu_s * HERTZ
    per_op["other"] = max(0.0, (busy - accounted) / HERTZ * 1000 / ops)
    return per_op


def machine_share(before: dict, after: dict) -> float:
    """Share of the whole machine's CPU that was busy between two samples."""
    total = after["total"] - before["total"]
    return (after["busy"] - before["busy"]) / total if total > 0 else float("nan")


# --- the black-hole broker ----------------------------------------------------------

class BlackHole:
    """A TCP port that accepts every connection and never answers (a hung broker)."""

    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="black-hole", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(connection)  # held open, never read from nor written to

    def drop_connections(self) -> int:
        dropped, self.accepted = self.accepted, []
        for connection in dropped:
            connection.close()
        return len(dropped)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2)
        self.listener.close()
        self.drop_connections()


# --- the revisions' trees ---------------------------------------------------------------

def git(root: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def worktree_add(repo: Path, rev: str, path: Path) -> str:
    """A detached worktree of ``rev`` at ``path``; returns the commit."""
    commit = git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")
    git(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
    return commit


def worktree_remove(repo: Path, path: Path) -> None:
    git(repo, "worktree", "remove", "--force", str(path), check=False)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
    git(repo, "worktree", "prune", check=False)


def snapshot_working_tree(repo: Path, path: Path) -> list[str]:
    """Copy the working tree's files (tracked and untracked, not ignored) to ``path``.

    The service then runs from a fixed copy: edits made to the working tree during the run do
    not reach it.
    Returns the paths that differ from HEAD (``git status --porcelain``).
    """
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=repo, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = repo / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    return [line for line in git(repo, "status", "--porcelain").splitlines() if line]
