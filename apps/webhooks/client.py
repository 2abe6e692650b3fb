"""The pooled HTTP client that delivers webhooks.

One ``urllib3.PoolManager`` per worker process keeps connections alive per
host. Its connections resolve the host themselves and connect only to an
address ``addresses.resolve`` allows, each time a connection is opened (a
name that now resolves to a private address is refused then, however it
resolved at registration). TLS still verifies the certificate against the
URL's host name. No redirect is followed and urllib3 retries nothing: the
relay's backoff is the only retry.
"""
import socket
import sys
import time
from dataclasses import dataclass
from functools import cache

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from apps.webhooks.addresses import UnsafeUrl, resolve
from apps.webhooks.models import RESPONSE_EXCERPT_BYTES

# Read after the excerpt so the connection can be reused; a longer answer closes it instead.
_DRAIN_LIMIT = 64 * 1024


class _GuardedConnectionMixin:
    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve(self._dns_host, self.port)
        except UnsafeUrl as exc:
            raise NewConnectionError(self, str(exc)) from exc
        error: Exception | None = None
        for address in addresses:
            try:
                sock = urllib3.util.connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except TimeoutError as exc:
                error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection: {exc}")
                error.__cause__ = exc
            else:
                sys.audit("http.client.connect", self, self.host, self.port)
                return sock
        raise error


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


@cache
def pool_manager() -> urllib3.PoolManager:
    manager = urllib3.PoolManager(num_pools=settings.WEBHOOK_POOLS, maxsize=settings.WEBHOOK_CONCURRENCY,
                                  block=False, retries=False)
    manager.pool_classes_by_scheme = {"http": GuardedHTTPConnectionPool, "https": GuardedHTTPSConnectionPool}
    return manager


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status (None when there was no HTTP answer), or the error."""

    status: int | None
    body: str
    duration_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` once: connect within 3 s, all of it within 10 s (the settings), no redirects."""
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT, total=settings.WEBHOOK_TIMEOUT)
    started = time.monotonic()
    try:
        response = pool_manager().request("POST", url, body=body, headers=headers, timeout=timeout,
                                          redirect=False, retries=False, preload_content=False)
    except urllib3.exceptions.HTTPError as exc:
        return Answer(None, "", _ms(started), error=_reason(exc))
    try:
        excerpt = response.read(RESPONSE_EXCERPT_BYTES, decode_content=False)
        rest = response.read(_DRAIN_LIMIT, decode_content=False) if excerpt else b""
        if len(rest) >= _DRAIN_LIMIT:
            response.close()  # too long to read to its end: this connection is not reused
    except urllib3.exceptions.HTTPError as exc:
        response.close()
        return Answer(response.status, "", _ms(started), error=f"Reading the answer failed: {_reason(exc)}")
    finally:
        response.release_conn()
    text = excerpt.decode("utf-8", errors="replace")
    error = "" if 200 <= response.status < 300 else f"The endpoint answered {response.status}."
    return Answer(response.status, text, _ms(started), error=error)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return f"{type(reason).__name__}: {reason}"[:500]
