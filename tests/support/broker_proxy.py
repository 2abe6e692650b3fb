"""A TCP proxy in front of Redis that can black-hole the broker: accept, then never answer."""
import contextlib
import socket
import threading


class BrokerProxy:
    """Forwards to ``target`` while healthy; in ``blackhole`` mode holds connections silently."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "forward"
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def blackhole(self) -> None:
        """Drop every open connection; new ones are accepted and never answered."""
        with self._lock:
            self.mode = "blackhole"
            self._close_all()

    def forward(self) -> None:
        """Healthy again: held connections are dropped, so clients reconnect through to Redis."""
        with self._lock:
            self.mode = "forward"
            self._close_all()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            self._close_all()

    def _close_all(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._conns = []

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(client)
                if self.mode == "blackhole":
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                self._conns.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
