"""A local webhook receiver for the tests: a small HTTP server on loopback.

It answers each request with the next status of ``answers`` (then 200), and
records every request (headers, raw body, when it came). Each recorded request
is checked with the receiver's recipe documented in docs/webhooks.md, read
from the page itself, so the recipe users copy is the one tested.
"""
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_recipe():
    """The ``verify_signature`` function of docs/webhooks.md, as a user would paste it."""
    block = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(block, str(DOCS), "exec"), namespace)
    return namespace["verify_signature"]


@dataclass
class Received:
    headers: dict
    body: bytes
    at: float


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    delay: float = 0.0  # seconds each answer takes

    def __post_init__(self):
        self.lock = threading.Lock()
        self.server = None

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append(Received(dict(self.headers), body, time.time()))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                reply = b'{"ok": true}' if status < 300 else b"upstream unavailable"
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.request_queue_size = 128  # a relay opens many connections at once
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"
