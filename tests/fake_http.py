"""A tiny threaded HTTP server on 127.0.0.1 for tests: answers from Python callables, records requests.

Tests never reach the internet: fake feeds, a fake IndexNow and a fake Telegram Bot API run here.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering at all
    trickle: float = 0.0  # seconds between single bytes of the body (headers first)
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes


class FakeServer:
    """``routes``: path -> callable(Recorded) -> Reply (or a Reply). Unknown paths answer 404."""

    def __init__(self, routes: dict | None = None):
        self.routes: dict = dict(routes or {})
        self.requests: list[Recorded] = []
        self.closing = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body,
                               time.monotonic())
                outer.requests.append(rec)
                route = outer.routes.get(self.path.split("?", 1)[0])
                reply = route(rec) if callable(route) else route
                if reply is None:
                    reply = Reply(404, b"not found")
                data = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
                if reply.delay and outer.closing.wait(reply.delay):
                    return
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.content_length:
                        self.send_header("Content-Length", str(len(data)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    if reply.trickle:
                        for i in range(len(data)):
                            if outer.closing.wait(reply.trickle):
                                return
                            self.wfile.write(data[i:i + 1])
                            self.wfile.flush()
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            do_GET = do_POST = do_HEAD = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def hits(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
