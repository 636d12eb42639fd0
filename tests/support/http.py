"""A tiny threaded HTTP server on 127.0.0.1 that records every request.

The fakes of outside services (OpenAI, Slack, Telegram) are subclasses: they
speak the real HTTP API, so the real client libraries can be pointed at them.
A `Response.dropped()` closes the connection without answering, the way a reset
or a proxy giving up looks to a client.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, list[str]] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None  # streamed with chunked transfer when set
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0  # pause before each streamed chunk (a slow model)
    drop: bool = False  # close the connection without a word: a reset, a proxy that gave up
    after: bool = False  # (a fake that honours it) carry the call out first, then drop

    @classmethod
    def dropped(cls, *, after: bool = False) -> Response:
        return cls(drop=True, after=after)

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Response:
        return cls(
            status, json.dumps(payload).encode(), {"content-type": "application/json", **headers}
        )


class FakeServer:
    """Subclasses implement `handle(request) -> Response`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; with Nagle's algorithm on, the
            # client's delayed ACK adds ~40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                request = Recorded(
                    self.command,
                    split.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    parse_qs(split.query),
                )
                with fake._lock:
                    fake.requests.append(request)
                response = fake.handle(request)
                if response.delay_s:
                    threading.Event().wait(response.delay_s)
                if response.drop:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._write(response)

            def _write(self, response: Response) -> None:
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                if response.chunks is None:
                    self.send_header("content-length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                    return
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for chunk in response.chunks:
                    if response.chunk_delay_s:
                        threading.Event().wait(response.chunk_delay_s)
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # A short poll interval lets `stop()` return at once instead of after 0.5 s.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle(self, request: Recorded) -> Response:
        raise NotImplementedError  # subclasses speak a concrete API

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def calls(self, path_suffix: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]
