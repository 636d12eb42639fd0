"""A fake OpenAI-compatible server: chat completions (whole and streamed), scriptable failures.

Queue answers with `reply("text")` and failures with `fail(429)`, `fail(500)` or
`stall(seconds)`; with nothing queued it answers "(fake answer)". Every request
is recorded, so tests assert on exactly what the bot sent.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any

from tests.fakes.http import FakeServer, Recorded, Response


class FakeOpenAI(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.script: deque[Response | str] = deque()
        self.default_answer = "(fake answer)"
        self.stream_delay_s = 0.0  # pause between streamed words, to look like a slow model

    # --- scripting -----------------------------------------------------------
    def reply(self, text: str) -> None:
        self.script.append(text)

    def fail(self, status: int, times: int = 1) -> None:
        for _ in range(times):
            self.script.append(
                Response.json(
                    {"error": {"message": "fake failure", "type": "server_error"}},
                    status,
                    **{"retry-after-ms": "1", "x-should-retry": "true"},
                )
            )

    def stall(self, seconds: float, times: int = 1) -> None:
        for _ in range(times):
            self.script.append(
                Response(200, b"{}", {"content-type": "application/json"}, None, seconds)
            )

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.calls("/chat/completions")]

    # --- the API -------------------------------------------------------------
    def handle(self, request: Recorded) -> Response:
        if request.path.endswith("/chat/completions") and request.method == "POST":
            return self.chat(request)
        return self.other(request)

    def other(self, request: Recorded) -> Response:
        return Response.json({"error": {"message": f"no route {request.path}"}}, 404)

    def chat(self, request: Recorded) -> Response:
        step = self.script.popleft() if self.script else self.default_answer
        if isinstance(step, Response):
            return step
        body = request.json()
        model = body.get("model", "fake-model")
        if body.get("stream"):
            return self._stream(step, model)
        return Response.json(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": step},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        )

    def _stream(self, text: str, model: str) -> Response:
        def event(payload: dict[str, Any]) -> bytes:
            return f"data: {json.dumps(payload)}\n\n".encode()

        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
        }
        words = text.split(" ")
        chunks = [
            event(
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": {"content": w + (" " if i < len(words) - 1 else "")}}
                    ],
                }
            )
            for i, w in enumerate(words)
        ]
        chunks.append(
            event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
        chunks.append(
            event(
                {
                    **base,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": 11,
                        "completion_tokens": len(words),
                        "total_tokens": 11 + len(words),
                    },
                }
            )
        )
        chunks.append(b"data: [DONE]\n\n")
        return Response(
            200,
            b"",
            {"content-type": "text/event-stream"},
            chunks,
            chunk_delay_s=self.stream_delay_s,
        )
