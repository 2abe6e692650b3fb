"""The bank test's client: random transfers among funded users over real HTTP.

Each transfer is an ``Attempt`` with its own Idempotency-Key, sent to the web processes in
round robin. A port that refused a connection is passed over for a second, as a load
balancer's passive health check would; the attempt itself stays recorded. Every attempt
ends acknowledged (201), refused (a 4xx with its code) or indeterminate (no answer, or a
5xx: the client cannot know whether the money moved).
"""
import http.client
import itertools
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from toolbox import client

TRANSFER = "/api/wallet/transfer/"
REPLAYED = "Idempotent-Replayed"
PASS_OVER_SECONDS = 1.0


@dataclass
class Attempt:
    """One intended transfer and what came back for it."""

    key: str
    sender: int
    receiver: int
    amount: str
    port: int = 0
    status: int | None = None
    code: str = ""  # the error body's code of a 4xx or 5xx
    failure: str = ""  # why the outcome is unknown: refused, reset, timeout, 5xx
    txn_id: int | None = None
    replayed: bool = False

    @property
    def body(self) -> dict:
        return {"receiver_id": self.receiver, "amount": self.amount}

    @property
    def acknowledged(self) -> bool:
        return self.status == 201

    @property
    def indeterminate(self) -> bool:
        return bool(self.failure)

    def again(self) -> "Attempt":
        """The same request (key, parties, amount) with no outcome yet: a client's retry."""
        return Attempt(key=self.key, sender=self.sender, receiver=self.receiver, amount=self.amount)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused"  # never reached a server
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionError | http.client.HTTPException):
        return "reset"  # sent, answer lost (reset, closed, truncated)
    return f"error {type(exc).__name__}"


class Client:
    """Sends attempts to ``ports`` on 127.0.0.1 in round robin, one connection per request
    (gunicorn's sync workers close the connection after each answer anyway)."""

    def __init__(self, ports: list[int], tokens: dict[int, str], timeout: float = 15):
        self.ports, self.tokens, self.timeout = ports, tokens, timeout
        self.turn = itertools.count()
        self.passed_over: dict[int, float] = {}

    def next_port(self) -> int:
        now = time.monotonic()
        for _ in range(len(self.ports)):
            port = self.ports[next(self.turn) % len(self.ports)]
            if self.passed_over.get(port, 0) <= now:
                return port
        return self.ports[next(self.turn) % len(self.ports)]  # all passed over: try anyway

    def send(self, attempt: Attempt) -> Attempt:
        attempt.port = self.next_port()
        try:
            answer = client.request(attempt.port, "POST", TRANSFER, token=self.tokens[attempt.sender],
                                    body=attempt.body, timeout=self.timeout,
                                    headers={"Idempotency-Key": attempt.key, "Connection": "close"})
        except (OSError, http.client.HTTPException) as exc:
            attempt.failure = _failure(exc)
            if attempt.failure == "refused":
                self.passed_over[attempt.port] = time.monotonic() + PASS_OVER_SECONDS
            return attempt
        attempt.status = answer.status
        body = answer.json() if answer.body.startswith(b"{") else {}
        if answer.status == 201:
            attempt.txn_id = body["transaction"]["id"]
            attempt.replayed = answer.headers.get(REPLAYED) == "true"
        else:
            attempt.code = body.get("code", "")
            if answer.status >= 500:
                attempt.failure = f"{answer.status} {attempt.code}".strip()
        return attempt


class Load:
    """``threads`` closed loops of random transfers among ``users`` until ``stop()``."""

    def __init__(self, client: Client, users: list[int], *, threads: int, seed: int):
        self.client, self.users, self.threads = client, users, threads
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self.workers = [threading.Thread(target=self._loop, args=(self.rng.getrandbits(64),), daemon=True,
                                         name=f"bank-{n}") for n in range(threads)]

    def _loop(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stopping.is_set():
            sender, receiver = rng.sample(self.users, 2)
            amount = str(Decimal(rng.randint(1, 2000)).scaleb(-2))  # 0.01 to 20.00
            attempt = Attempt(key=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                              sender=sender, receiver=receiver, amount=amount)
            self.client.send(attempt)
            with self.lock:
                self.attempts.append(attempt)

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def counts(self) -> tuple[int, int]:
        """(acknowledged, indeterminate) so far."""
        with self.lock:
            done = list(self.attempts)
        return sum(a.acknowledged for a in done), sum(a.indeterminate for a in done)

    def stop(self) -> list[Attempt]:
        self.stopping.set()
        for worker in self.workers:
            worker.join(timeout=self.client.timeout + 5)
        return list(self.attempts)
