"""A fake of Slack's Socket Mode WebSocket: says hello, pushes envelopes, collects the acks.

`FakeSlack.socket_url` points `apps.connections.open` here; `push(payload)` sends
an `events_api` envelope the way Slack does and returns its envelope id;
`acked(envelope_id)` tells whether the app acknowledged it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketMode:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sockets: list[web.WebSocketResponse] = []
        self.acks: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=fake"

    def start(self) -> FakeSocketMode:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        with self._changed:
            self.sockets.append(ws)
            self._changed.notify_all()
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}}
        )
        async for received in ws:
            if received.type == WSMsgType.TEXT:
                with self._changed:
                    self.acks.append(json.loads(received.data))
                    self._changed.notify_all()
        return ws

    def hang_up(self) -> None:
        """Close every connection from Slack's side."""
        for ws in self.sockets:
            asyncio.run_coroutine_threadsafe(ws.close(), self.loop).result(5)

    def wait_connected(self, timeout: float = 10) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self.sockets), timeout):
                raise AssertionError("the app never opened the Socket Mode connection")

    def push(self, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
            "payload": payload,
        }
        sent = asyncio.run_coroutine_threadsafe(self.sockets[-1].send_json(envelope), self.loop)
        sent.result(5)
        return envelope_id

    def acked(self, envelope_id: str, timeout: float = 5) -> float:
        """Seconds it took to see the ack for `envelope_id` (fails the test if never)."""
        started = time.monotonic()
        with self._changed:
            if not self._changed.wait_for(
                lambda: any(a.get("envelope_id") == envelope_id for a in self.acks), timeout
            ):
                raise AssertionError(f"envelope {envelope_id} was never acknowledged")
        return time.monotonic() - started
