"""The HTTP load generator: a separate process, a fixed number of closed-loop clients.

Each client owns one connection and speaks minimal HTTP/1.1 over asyncio
streams (uvloop when installed): it writes a transfer request (or, for
the ``read`` reference, ``GET /api/wallet/me/``), reads the
status line, headers and ``Content-Length`` body, and sends the next one,
reconnecting whenever the server closes the connection (gunicorn's sync
workers close after every response; the reconnect is part of the latency).
A full client library (aiohttp) cost about 0.5 ms of CPU per request on the
same 2 cores as the service; this one costs a small fraction of that.
Requests completing during the warm-up are not recorded; the measurement
window is the next ``duration`` seconds. Writes one JSON summary to ``--out``.

    python -m bench.loadgen --plan plan.json --scenario spread --clients 32 \
        --warmup 3 --duration 10 --out result.json
"""
import argparse
import asyncio
import json
import random
import resource
import time
from collections import Counter
from urllib.parse import urlsplit

from bench.stats import summarize

PATH = "/api/wallet/transfer/"
READ_PATH = "/api/wallet/me/"  # the lightest authenticated request: JWT and one query


class HttpConnection:
    """One HTTP/1.1 connection that reopens itself when the server closes it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = head.lower()
        marker = headers.find(b"\r\ncontent-length:")
        if marker < 0:
            raise ValueError("response without Content-Length")
        length = int(headers[marker + 17:headers.index(b"\r\n", marker + 2)])
        body = await self.reader.readexactly(length)
        if b"\r\nconnection: close" in headers:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def transfer_request(host: str, token: str, body: bytes) -> bytes:
    return (f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Forwarded-Proto: https\r\n\r\n").encode() + body


def read_request(host: str, token: str) -> bytes:
    return (f"GET {READ_PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"X-Forwarded-Proto: https\r\n\r\n").encode()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def amount(rng: random.Random) -> str:
    return f"{rng.randint(1, 100) / 100:.2f}"


def pick_pair(scenario: str, users: list[dict], hot: int, rng: random.Random) -> tuple[dict, dict]:
    if scenario == "hot":
        sender = users[hot]
        receiver = users[rng.randrange(len(users) - 1)]
        if receiver is sender:
            receiver = users[-1]
        return sender, receiver
    sender, receiver = rng.sample(users, 2)
    return sender, receiver


async def client(index: int, args, plan: dict, t_start: float, t_end: float, out: dict) -> None:
    rng = random.Random(index * 7919 + hash(args.scenario) % 1000)
    url = urlsplit(plan["url"])
    connection = HttpConnection(url.hostname, url.port)
    users = plan["users"]
    while True:
        if time.perf_counter() >= t_end:
            connection.close()
            return
        if args.scenario == "read":
            raw, expected = read_request(url.netloc, rng.choice(users)["token"]), 200
        else:
            sender, receiver = pick_pair(args.scenario, users, plan["hot"], rng)
            body = json.dumps({"receiver_id": receiver["id"], "amount": amount(rng)}).encode()
            raw, expected = transfer_request(url.netloc, sender["token"], body), 201
        began = time.perf_counter()
        key = None
        try:
            status, answer = await connection.request(raw)
            if status != expected:
                key = str(status)
                if status == 400:
                    try:
                        key = f"400 {json.loads(answer)['code']}"
                    except (ValueError, KeyError, TypeError):
                        key = "400 ?"
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
            connection.close()
            key = f"client {type(exc).__name__}"
        done = time.perf_counter()
        if t_start <= began and done <= t_end:
            out["latencies"].append(done - began)
            if key is None:
                out["ok"] += 1
            else:
                out["errors"][key] += 1


async def run(args) -> dict:
    with open(args.plan) as handle:
        plan = json.load(handle)
    out = {"latencies": [], "ok": 0, "errors": Counter()}
    t0 = time.perf_counter()
    t_start = t0 + args.warmup
    t_end = t_start + args.duration
    cpu_before = None

    async def mark_cpu():
        nonlocal cpu_before
        await asyncio.sleep(args.warmup)
        cpu_before = _cpu_seconds()

    marker = asyncio.create_task(mark_cpu())
    clients = asyncio.gather(*(client(i, args, plan, t_start, t_end, out) for i in range(args.clients)))
    await asyncio.wait_for(clients, timeout=args.warmup + args.duration + 60)  # a hung server fails the run
    await marker
    cpu = _cpu_seconds() - cpu_before
    return summarize(latencies_s=out["latencies"], ok=out["ok"], errors=dict(out["errors"]),
                     seconds=args.duration, client_cpu_s=cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True)
    parser.add_argument("--scenario", choices=["spread", "hot", "read"], required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        import uvloop
        result = uvloop.run(run(args))
    except ImportError:  # pragma: no cover - optional speed-up
        result = asyncio.run(run(args))
    with open(args.out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
