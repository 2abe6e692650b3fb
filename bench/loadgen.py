"""The HTTP load generator: a separate process, a fixed number of closed-loop clients.

Each client owns one keep-alive connection (its own aiohttp connector with a
limit of 1), sends a transfer, waits for the answer, and sends the next one.
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

import aiohttp

from bench.stats import summarize


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
    url = plan["url"] + "/api/wallet/transfer/"
    users = plan["users"]
    connector = aiohttp.TCPConnector(limit=1, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        while True:
            now = time.perf_counter()
            if now >= t_end:
                return
            sender, receiver = pick_pair(args.scenario, users, plan["hot"], rng)
            body = json.dumps({"receiver_id": receiver["id"], "amount": amount(rng)})
            headers = {"Authorization": f"Bearer {sender['token']}", "Content-Type": "application/json",
                       "X-Forwarded-Proto": "https"}
            began = time.perf_counter()
            key = None
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    raw = await response.read()
                    status = response.status
                if status != 201:
                    key = str(status)
                    if status == 400:
                        try:
                            key = f"400 {json.loads(raw)['code']}"
                        except (ValueError, KeyError, TypeError):
                            key = "400 ?"
            except (TimeoutError, aiohttp.ClientError) as exc:
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
    await asyncio.gather(*(client(i, args, plan, t_start, t_end, out) for i in range(args.clients)))
    await marker
    cpu = _cpu_seconds() - cpu_before
    return summarize(latencies_s=out["latencies"], ok=out["ok"], errors=dict(out["errors"]),
                     seconds=args.duration, client_cpu_s=cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True)
    parser.add_argument("--scenario", choices=["spread", "hot"], required=True)
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
