"""An HTTP proxy in front of a live server that can lose an answer on its way back.

It forwards every request. For the first ``times`` requests to ``lose`` (method,
path) it forwards the request, lets the server finish it, then closes the
client's connection without a byte of the answer: the client cannot know
whether its request was carried out.
"""
import http.client
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class AnswerLosingProxy:
    def __init__(self, target_url: str, lose: tuple[str, str], times: int = 1):
        self.target = urlsplit(target_url)
        self.lose, self.to_lose = lose, times
        self.seen: list[dict] = []  # the headers of every request to ``lose``
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _should_lose(self, method: str, path: str, headers) -> bool:
        if (method, path.split("?")[0]) != self.lose:
            return False
        with self.lock:
            self.seen.append(dict(headers))
            if self.to_lose > 0:
                self.to_lose -= 1
                return True
        return False

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                upstream.close()
                if proxy._should_lose(self.command, self.path, self.headers):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)  # the answer is lost
                    return
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _forward

            def log_message(self, *args):
                pass

        return Handler
