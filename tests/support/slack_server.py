"""A fake Slack: the Web API the bot calls, and signed Events API requests to send it.

`FakeSlack` answers the methods the bot uses (`auth.test`, `chat.*` incl. the
streaming trio, `assistant.threads.setStatus`, `views.open`,
`conversations.replies`, `conversations.list` / `.info` for `channels`, `views.publish`
for the Home tab, kept in `homes`) with realistic payloads, accepts form or JSON bodies,
records every call, and keeps what a person would see in each thread
(`shown(channel, thread_ts)`, also what `conversations.replies` answers unless
`thread_history` scripts it) and the ephemeral notes (`notes()`). `fail(method,
error)` makes a method answer `{"ok": false}`; `fail_http(method, 503)` answers an
HTTP error and `drop(method)` closes the connection, neither doing anything.

`signed(body, secret)` builds the headers Slack signs a request with; the
`event()`, `block_action()`, `view_submission()` helpers build the payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.support.http import FakeServer, Recorded, Response

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SIGNING_SECRET = "test-signing-secret"
TEAM = "T0TEAM"
BOT_USER = "U0BOT"
BOT_ID = "B0BOT"
JSON_FIELDS = ("blocks", "view", "chunks", "attachments", "metadata", "prompts")


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float


@dataclass
class Shown:
    """One message as people see it in Slack."""

    ts: str
    channel: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    streamed: bool = False
    stream_open: bool = False

    def block_types(self) -> list[str]:
        return [b["type"] for b in self.blocks]

    def action_ids(self) -> list[str]:
        return [e.get("action_id", "") for b in self.blocks for e in b.get("elements", [])]


class FakeSlack(FakeServer):
    def __init__(self, token: str = BOT_TOKEN) -> None:
        super().__init__()
        # http.server listens with a backlog of 5: a burst of calls would see refused
        # connections and 1-second SYN retries that real Slack never causes.
        self.httpd.socket.listen(1024)
        self.token = token
        self.socket_url = ""  # what apps.connections.open hands out (see slack_socket.py)
        self.log: list[Call] = []
        self.messages: dict[str, Shown] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.replies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.homes: dict[str, dict[str, Any]] = {}  # the Home tab each user was shown last
        self.channels: dict[str, str] = {}  # id → name, what conversations.list knows
        self.failures: dict[str, deque[str]] = defaultdict(deque)
        self.delays: dict[str, float] = {}
        self._changed = threading.Condition()
        self._ts = itertools.count(1)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    # --- scripting -----------------------------------------------------------
    def fail(self, method: str, error: str = "internal_error", times: int = 1) -> None:
        self.failures[method].extend([error] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """The next calls of `method` lose their connection before Slack acts on them."""
        self.failures[method].extend(["!drop"] * times)

    def fail_http(self, method: str, status: int = 503, times: int = 1) -> None:
        """The next calls of `method` get this HTTP status (Slack having a bad minute)."""
        self.failures[method].extend([f"!{status}"] * times)

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next calls of `method` get a 429 asking to wait `retry_after` s (Retry-After)."""
        self.failures[method].extend([f"!429:{retry_after}"] * times)

    def thread_history(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """What conversations.replies returns for a thread."""
        self.replies[(channel, thread_ts)] = messages

    # --- reading what happened -------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        with self._changed:
            return [c for c in self.log if method is None or c.method == method]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls()]

    def shown(self, channel: str | None = None, thread_ts: str | None = None) -> list[Shown]:
        with self._changed:
            return [
                m
                for m in self.messages.values()
                if (channel is None or m.channel == channel)
                and (thread_ts is None or m.thread_ts == thread_ts)
            ]

    def notes(self) -> list[dict[str, Any]]:
        with self._changed:
            return list(self.ephemerals)

    def wait(self, ready: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until `ready()` is true (checked after every call), or fail the test."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"Slack never saw it; calls: {self.methods()}")
                self._changed.wait(left)

    def wait_answered(self, n: int = 1, timeout: float = 10.0) -> list[Shown]:
        """Wait for `n` finished answers (messages carrying feedback controls)."""
        self.wait(lambda: len(self.answers()) >= n, timeout)
        return self.answers()

    def answers(self) -> list[Shown]:
        with self._changed:  # the server's threads add messages while we read
            return [
                m
                for m in self.messages.values()
                if not m.stream_open and any(b["type"] == "actions" for b in m.blocks)
            ]

    # --- the API ----------------------------------------------------------------
    def handle(self, request: Recorded) -> Response:
        method = request.path.rsplit("/", 1)[-1]
        args = self._args(request)
        token = APP_TOKEN if method == "apps.connections.open" else self.token
        if request.headers.get("authorization") != f"Bearer {token}":
            return Response.json({"ok": False, "error": "invalid_auth"})
        if method in self.delays:
            time.sleep(self.delays[method])
        with self._changed:
            self.log.append(Call(method, args, time.monotonic()))
            failures = self.failures.get(method)
            failure = failures.popleft() if failures else None
            if failure is None:
                payload: dict[str, Any] = self._answer(method, args)
            elif not failure.startswith("!"):
                payload = {"ok": False, "error": failure}
            self._changed.notify_all()
        if failure == "!drop":
            return Response.dropped()
        if failure is not None and failure.startswith("!429:"):
            limited = {"ok": False, "error": "ratelimited"}
            return Response.json(limited, 429, **{"Retry-After": failure.split(":")[1]})
        if failure is not None and failure.startswith("!"):
            return Response(int(failure[1:]), b"<html>Service Unavailable</html>")
        return Response.json(payload)

    @staticmethod
    def _args(request: Recorded) -> dict[str, Any]:
        raw: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
        kind = request.headers.get("content-type", "")
        if request.body and "json" in kind:
            raw.update(json.loads(request.body))
        elif request.body:
            raw.update({k: v[-1] for k, v in parse_qs(request.body.decode()).items()})
        for name in JSON_FIELDS:
            if isinstance(raw.get(name), str):
                raw[name] = json.loads(raw[name])
        return raw

    def _new_ts(self) -> str:
        n = next(self._ts)
        return f"{1700000000 + n}.{n:06d}"

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(args)
        return {"ok": True, **result}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://afina-test.slack.com/",
            "team": "Afina Test",
            "user": "afina",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._new_ts()
        shown = Shown(ts, args["channel"], args.get("thread_ts"), args.get("text", ""))
        shown.blocks = list(args.get("blocks") or [])
        self.messages[ts] = shown
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts}
        return {"channel": args["channel"], "ts": ts, "message": {**message, "text": shown.text}}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        shown = self.messages.get(args["ts"])
        if shown is None:
            return {"ok": False, "error": "message_not_found"}
        shown.text = args.get("text", shown.text)
        shown.blocks = list(args.get("blocks") or shown.blocks)
        return {"channel": args["channel"], "ts": args["ts"], "text": shown.text}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.messages.pop(args["ts"], None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self.ephemerals.append(args)
        return {"message_ts": self._new_ts()}

    @staticmethod
    def _stream_text(args: dict[str, Any]) -> str:
        text = str(args.get("markdown_text") or "")
        for chunk in args.get("chunks") or []:
            if chunk.get("type") == "markdown_text":
                text += chunk.get("text", "")
        return text

    def _chat_startStream(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._new_ts()
        shown = Shown(ts, args["channel"], args["thread_ts"], self._stream_text(args))
        shown.streamed = shown.stream_open = True
        self.messages[ts] = shown
        return {"channel": args["channel"], "ts": ts}

    def _chat_appendStream(self, args: dict[str, Any]) -> dict[str, Any]:
        shown = self.messages[args["ts"]]
        if not shown.stream_open:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        shown.text += self._stream_text(args)
        return {"channel": args["channel"], "ts": args["ts"]}

    def _chat_stopStream(self, args: dict[str, Any]) -> dict[str, Any]:
        shown = self.messages[args["ts"]]
        shown.text += self._stream_text(args)
        shown.blocks = list(args.get("blocks") or [])
        shown.stream_open = False
        message = {"type": "message", "bot_id": BOT_ID, "ts": args["ts"], "text": shown.text}
        return {"channel": args["channel"], "ts": args["ts"], "message": message}

    def _assistant_threads_setStatus(self, args: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": "V0MODAL", **args["view"]}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        self.homes[args["user_id"]] = args["view"]
        return {"view": {"id": "V0HOME", **args["view"]}}

    def _conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        found = [{"id": cid, "name": name} for cid, name in self.channels.items()]
        return {"channels": found, "response_metadata": {"next_cursor": ""}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        name = self.channels.get(args["channel"])
        if name is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"channel": {"id": args["channel"], "name": name, "is_member": True}}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_url}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """What the test scripted for the thread, else what was posted in it."""
        scripted = self.replies.get((args["channel"], args["ts"]))
        if scripted is not None:
            return {"messages": scripted, "has_more": False}
        posted = [
            {"type": "message", "ts": m.ts, "text": m.text, "blocks": m.blocks, "bot_id": BOT_ID}
            for m in self.messages.values()
            if m.channel == args["channel"] and m.thread_ts == args["ts"]
        ]
        return {"messages": posted, "has_more": False}


# --- requests Slack sends the bot -----------------------------------------------
_ids = itertools.count(1)


def signed(body: str, secret: str = SIGNING_SECRET, *, at: float | None = None) -> dict[str, str]:
    """The headers of a request Slack signed with the app's signing secret."""
    stamp = str(int(at if at is not None else time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": f"v0={digest}",
    }


def event(inner: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope around one event."""
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "event": inner,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


def message(
    text: str,
    *,
    user: str = "U0ANA",
    channel: str = "C0GENERAL",
    ts: str | None = None,
    thread_ts: str | None = None,
    kind: str = "message",
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    """A `message` or `app_mention` event from a person."""
    inner: dict[str, Any] = {
        "type": kind,
        "user": user,
        "text": text,
        "ts": ts or f"{1600000000 + next(_ids)}.000100",
        "channel": channel,
        "event_ts": ts,
        **extra,
    }
    if kind == "message":
        inner["channel_type"] = channel_type
    if thread_ts:
        inner["thread_ts"] = thread_ts
    inner["event_ts"] = inner["ts"]
    return inner


def block_action(
    action: dict[str, Any], *, user: str, channel: str, message_ts: str, thread_ts: str | None
) -> str:
    """A `block_actions` interactivity payload, form-encoded the way Slack posts it."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": TEAM},
        "team": {"id": TEAM},
        "api_app_id": "A0APP",
        "trigger_id": f"trigger-{next(_ids)}",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "thread_ts": thread_ts,
        },
        "channel": {"id": channel},
        "message": {"ts": message_ts, "thread_ts": thread_ts, "bot_id": BOT_ID},
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission(view: dict[str, Any], *, user: str, text: str) -> str:
    """The `view_submission` Slack sends when someone submits a modal with `text` typed in."""
    block = next(b for b in view["blocks"] if b["type"] == "input")
    submitted = {
        **view,
        "state": {"values": {block["block_id"]: {block["element"]["action_id"]: {"value": text}}}},
    }
    payload = {
        "type": "view_submission",
        "user": {"id": user, "team_id": TEAM},
        "team": {"id": TEAM},
        "api_app_id": "A0APP",
        "view": submitted,
    }
    return urlencode({"payload": json.dumps(payload)})
