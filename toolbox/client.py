"""One HTTP request on its own connection to 127.0.0.1, as sent behind a TLS-terminating proxy
(``X-Forwarded-Proto: https``, so the service's HTTPS redirect and HSTS stay on)."""
import http.client
import json
import time
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    body: bytes
    headers: http.client.HTTPMessage
    seconds: float

    def json(self):
        return json.loads(self.body or b"null")


def request(port: int, method: str, path: str, *, token: str | None = None, body: dict | None = None,
            headers: dict | None = None, timeout: float = 30) -> Answer:
    """The answer; a connection refused, reset or timed out raises ``OSError`` or
    ``http.client.HTTPException``."""
    sent = {"X-Forwarded-Proto": "https", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload, sent["Content-Type"] = json.dumps(body), "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        began = time.perf_counter()
        connection.request(method, path, payload, sent)
        response = connection.getresponse()
        raw = response.read()
        return Answer(response.status, raw, response.headers, time.perf_counter() - began)
    finally:
        connection.close()
