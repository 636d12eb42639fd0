"""A fake Telegram Bot API server: scripted updates out, every method call recorded.

The real `telegram.ext.Application` talks to it through `base_url`. Queue updates
with `push(update)` (build them with the helpers at the bottom); `getUpdates`
serves the queue and otherwise holds the long poll briefly, like the real API, and
keeps serving an update until a later call's `offset` confirms it.
Every call is kept as `Call(method, params)` with the form body decoded (JSON
fields such as `reply_markup` parsed), so tests assert on what a user would see.
Failures are scripted per method with `fail_next(...)` (an error answer: a 500, a
429 with `retry_after`), `drop_next(...)` (the connection closes, nothing done)
or `drop_answer_next(...)` (done, then the connection closes before the answer,
as when the bot dies right after Telegram took the call); failed calls are
recorded too (with the error, or None). `sent()` and `shown()` give each posted
message as it reads now, later `editMessageText` calls applied (an edit that
changes nothing is refused as "message is not modified", as Telegram does);
`called("sendMessage")` keeps what was posted at first.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

from tests.support.http import FakeServer, Recorded, Response

TOKEN = "123456:fake-token-never-real"
BOT = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Afina",
    "username": "afina_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None  # what the fake answered (the sent Message for sendMessage)
    at: float = field(default_factory=time.monotonic)  # when the fake answered it

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def message_id(self) -> int:
        """The id of the message this call created (sendMessage)."""
        return int(self.result["message_id"])

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


def _decode(value: str) -> Any:
    """Form fields are strings; the library JSON-encodes everything that is not."""
    if value in ("true", "false"):
        return value == "true"
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram(FakeServer):
    def __init__(self, token: str = TOKEN, *, hold_s: float = 0.1) -> None:
        super().__init__()
        self.token = token
        self.hold_s = hold_s  # longest a getUpdates call waits for an update
        self.updates: deque[dict[str, Any]] = deque()
        self.pushed = self.served = 0  # updates queued by tests / handed to the bot
        self.unconfirmed: list[dict[str, Any]] = []  # served, no later offset confirmed them
        self.confirmed = 0  # updates a later getUpdates confirmed (Telegram forgot them)
        self.polls = self.last_batch_poll = 0  # getUpdates calls so far / the one that got updates
        self.log: list[Call] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.failures: dict[str, deque[Response]] = {}
        self.changed = threading.Condition()
        self._message_ids = itertools.count(1000)
        self.edits: dict[tuple[int, int], Call] = {}  # (chat, message) -> its last edit
        self.deleted: set[tuple[int, int]] = set()
        self.answer_hold_s, self.answer_held = 0.0, False  # see `hold_answer`

    # --- scripting -------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """What TELEGRAM_API_URL should be (the token is appended by the library)."""
        return f"{self.url}/bot"

    def push(self, *updates: dict[str, Any]) -> None:
        with self.changed:
            for update in updates:
                for chat in _chats_in(update):
                    self.chats.setdefault(chat["id"], chat)
                self.updates.append(update)
                self.pushed += 1
            self.changed.notify_all()

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        for _ in range(times):
            self.failures.setdefault(method, deque()).append(Response.json(body, status))

    def hold_answer(self, seconds: float) -> None:
        """The next call that carries an answer (its rating buttons), whatever the method, is
        carried out at once and its answer to the bot held for `seconds`: the window where a
        process killed has had its answer taken by Telegram but not heard so."""
        with self.changed:
            self.answer_hold_s, self.answer_held = seconds, False

    def drop_answer_next(self, method: str, *, times: int = 1) -> None:
        """The next calls of `method` are carried out, then their connection closes before
        the answer reaches the bot (what a process killed in that instant leaves behind)."""
        with self.changed:
            for _ in range(times):
                self.failures.setdefault(method, deque()).append(Response.dropped(after=True))

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """The next calls of `method` lose their connection before Telegram takes them."""
        with self.changed:
            for _ in range(times):
                self.failures.setdefault(method, deque()).append(Response.dropped())

    # --- reading what the bot did ----------------------------------------------
    def called(self, method: str | None = None) -> list[Call]:
        """The calls of one Bot API method (all calls when None), in order."""
        with self.changed:
            return [c for c in self.log if method is None or c.method == method]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages the bot posted (sendMessage, failed ones too), optionally in one chat, as
        they read now: a later edit's text and keyboard replace the posted ones."""
        posted = self.called("sendMessage")
        with self.changed:
            return [self._now(c) for c in posted if chat_id is None or c.chat_id == chat_id]

    def shown(self, chat_id: int | None = None) -> list[Call]:
        """Messages that reached the chat (sendMessage calls Telegram took), as they read now."""
        return [
            c
            for c in self.sent(chat_id)
            if isinstance(c.result, dict)
            and "message_id" in c.result
            and (c.chat_id, c.message_id) not in self.deleted
        ]

    def answered(self, chat_id: int) -> bool:
        """Whether a message in the chat reads as an answer now (it carries rating buttons)."""
        return any(m.buttons for m in self.shown(chat_id))

    def _now(self, posted: Call) -> Call:
        if not isinstance(posted.result, dict) or "message_id" not in posted.result:
            return posted
        edit = self.edits.get((int(posted.params["chat_id"]), posted.message_id))
        if edit is None:
            return posted
        params = {k: v for k, v in posted.params.items() if k != "reply_markup"}
        params |= {k: edit.params[k] for k in ("text", "reply_markup") if k in edit.params}
        return Call(posted.method, params, posted.result | edit.result, edit.at)

    def wait_until(self, predicate: Any, timeout: float = 10.0) -> bool:
        """Block (in a thread) until `predicate(self)` holds or the timeout passes."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    # --- the API ---------------------------------------------------------------------
    def handle(self, request: Recorded) -> Response:
        if request.path.startswith("/_"):
            return self._control(request)
        prefix = f"/bot{self.token}/"
        if not request.path.startswith(prefix):
            return Response.json(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        method = request.path[len(prefix) :]
        params = self._params(request)
        with self.changed:
            queued = self.failures.get(method)
            failure = queued.popleft() if queued else None
        if failure is not None and not failure.after:
            self._record(Call(method, params, None if failure.drop else json.loads(failure.body)))
            return failure
        if method == "getUpdates":
            result: Any = self._get_updates(params)
        else:
            answer = getattr(self, f"api_{method}", None)
            # Everything else (sendChatAction, sendMessageDraft, answerCallbackQuery,
            # setMyCommands, setWebhook, ...) answers `true`, as the real API does.
            try:
                result = True if answer is None else answer(params)
            except Refused as refused:
                self._record(Call(method, params, refused.body))
                return Response.json(refused.body, 400)
        self._record(Call(method, params, result))
        if failure is not None:  # carried out, then the connection was lost
            return failure
        answered = Response.json({"ok": True, "result": result})
        if self._holds(params):
            answered = replace(answered, delay_s=self.answer_hold_s)
        return answered

    def _holds(self, params: dict[str, Any]) -> bool:
        markup = params.get("reply_markup")
        buttoned = isinstance(markup, dict) and "inline_keyboard" in markup
        if not self.answer_hold_s or not buttoned:
            return False
        with self.changed:
            if self.answer_held:
                return False
            self.answer_held = True
            return True

    def _record(self, call: Call) -> None:
        with self.changed:
            self.log.append(call)
            self.changed.notify_all()

    def _control(self, request: Recorded) -> Response:
        """For a fake running in another process (the bench): `/_push` and `/_stats`."""
        if request.path == "/_push":
            self.push(*request.json())
            return Response.json({"ok": True})
        if request.path == "/_stats":
            calls = self.called()
            counts: dict[str, int] = {}
            for call in calls:
                counts[call.method] = counts.get(call.method, 0) + 1
            answers = [
                c.at for c in calls if c.method in ("sendMessage", "editMessageText") and c.buttons
            ]
            return Response.json({"counts": counts, "answered_at": answers})
        return Response.json({"ok": False}, 404)

    @staticmethod
    def _params(request: Recorded) -> dict[str, Any]:
        if not request.body:
            return {}
        if request.headers.get("content-type", "").startswith("application/json"):
            return dict(request.json())
        return {k: _decode(v) for k, v in parse_qsl(request.body.decode(), keep_blank_values=True)}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """As Telegram: a call with `offset` confirms every update below it (they are never
        served again); updates served but not confirmed are served again, then new ones."""
        limit = int(params.get("limit") or 100)
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), self.hold_s)
        deadline = time.monotonic() + wait
        with self.changed:
            self.polls += 1
            if offset:
                kept = [u for u in self.unconfirmed if u["update_id"] >= offset]
                self.confirmed += len(self.unconfirmed) - len(kept)
                self.unconfirmed = kept
            while not self.updates and not self.unconfirmed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self.changed.wait(left)
            batch = self.unconfirmed[:limit]
            fresh = [
                self.updates.popleft() for _ in range(min(limit - len(batch), len(self.updates)))
            ]
            self.unconfirmed += fresh
            self.served += len(fresh)
            self.last_batch_poll = self.polls
            self.changed.notify_all()
            return batch + fresh

    def delivered(self) -> bool:
        """Every pushed update reached the bot: it has asked again since the last batch."""
        with self.changed:
            return self.served == self.pushed and self.polls > self.last_batch_poll

    def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT

    def api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chats.get(chat_id, _chat_for(chat_id)),
            "from": BOT,
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        return message

    def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key in self.deleted:
            raise Refused("Bad Request: message to edit not found")
        before = self._reads(key)
        if before is not None and before == (params.get("text"), params.get("reply_markup")):
            raise Refused(
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message"
            )
        edited = self.api_sendMessage(params)
        edited["message_id"] = key[1]
        edited["edit_date"] = int(time.time())
        with self.changed:
            self.edits[key] = Call("editMessageText", params, edited)
        return edited

    def api_deleteMessage(self, params: dict[str, Any]) -> bool:
        with self.changed:
            self.deleted.add((int(params["chat_id"]), int(params["message_id"])))
        return True

    def _reads(self, key: tuple[int, int]) -> tuple[Any, Any] | None:
        """What a message of ours reads now (text, keyboard); None if the fake never sent it."""
        with self.changed:
            edit = self.edits.get(key)
            if edit is not None:
                return edit.params.get("text"), edit.params.get("reply_markup")
            for call in self.log:
                result = call.result
                ours = call.method == "sendMessage" and isinstance(result, dict)
                if ours and (call.chat_id, result.get("message_id")) == key:
                    return call.params.get("text"), call.params.get("reply_markup")
        return None


class Refused(Exception):
    """A call Telegram refuses with a 400 and this description."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.body = {"ok": False, "error_code": 400, "description": description}


def _chat_for(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Customer"}
    return {"id": chat_id, "type": "supergroup", "title": "Group"}


def _chats_in(update: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for key in ("message", "message_reaction"):
        if key in update:
            found.append(update[key]["chat"])
    if "callback_query" in update and "message" in update["callback_query"]:
        found.append(update["callback_query"]["message"]["chat"])
    return found


# --- building updates the way Telegram sends them -------------------------------------

_update_ids = itertools.count(1)
_incoming_ids = itertools.count(1)


def user(user_id: int, first_name: str = "Ana", language_code: str = "en") -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Ana"}


def group_chat(chat_id: int = -1001, *, forum: bool = False) -> dict[str, Any]:
    chat = {"id": chat_id, "type": "supergroup", "title": "Verdalia fans"}
    if forum:
        chat["is_forum"] = True
    return chat


def bot_message(chat: dict[str, Any], message_id: int, text: str) -> dict[str, Any]:
    """A message the bot sent earlier, as Telegram quotes it in replies and callbacks."""
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": BOT,
        "text": text,
    }


def message_update(
    chat: dict[str, Any],
    sender: dict[str, Any],
    text: str | None = None,
    *,
    update_id: int | None = None,
    reply_to: dict[str, Any] | None = None,
    thread_id: int | None = None,
    entities: list[dict[str, Any]] | None = None,
    **content: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_incoming_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": sender,
        **content,
    }
    if text is not None:
        message["text"] = text
        found = list(entities or [])
        if text.startswith("/"):
            command = text.split()[0]
            found.insert(0, {"type": "bot_command", "offset": 0, "length": len(command)})
        if found:
            message["entities"] = found
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
    return {"update_id": update_id or next(_update_ids), "message": message}


def mention(text: str, username: str = str(BOT["username"])) -> list[dict[str, Any]]:
    """The mention entity Telegram adds for `@username` inside `text`."""
    at = f"@{username}"
    return [{"type": "mention", "offset": text.index(at), "length": len(at)}]


def callback_update(
    sender: dict[str, Any], message: dict[str, Any], data: str, *, update_id: int | None = None
) -> dict[str, Any]:
    return {
        "update_id": update_id or next(_update_ids),
        "callback_query": {
            "id": f"cq{next(_update_ids)}",
            "from": sender,
            "chat_instance": "fake-instance",
            "message": message,
            "data": data,
        },
    }


def reaction_update(
    chat: dict[str, Any], message_id: int, sender: dict[str, Any], emoji: str = "👍"
) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "message_reaction": {
            "chat": chat,
            "message_id": message_id,
            "user": sender,
            "date": int(time.time()),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": emoji}],
        },
    }
