"""The 👍 / 👎 / ✏️ buttons under an answer, and the ✏️ prompt the correction replies to.

Callback data is `f:<reply_id>:<kind>:<mac>` (at most ~40 bytes; Telegram allows 64).
The MAC is an HMAC over chat id, reply id and kind, keyed by a secret derived
from the bot token, so the ids need no table and a button cannot be forged or
replayed in another chat to rate someone else's answer. (Telegram only ever
sends back data the bot attached, but clients can be modified; the MAC makes
that irrelevant.) Handlers still check the reply belongs to the chat.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from telegram import Message

from bot.tables import FeedbackKind

_KINDS = {"a": FeedbackKind.approve, "r": FeedbackKind.reject, "c": FeedbackKind.correct}
_CODES = {kind: code for code, kind in _KINDS.items()}
_DATA = re.compile(r"^f:(\d{1,18}):([arc]):([A-Za-z0-9_-]{12})$")
_PROMPT = re.compile(r"\(#(\d{1,18})\)\.?\s*$")
LABELS = {FeedbackKind.approve: "👍", FeedbackKind.reject: "👎", FeedbackKind.correct: "✏️"}
MAC_BYTES = 9  # 72 bits, 12 base64 characters

Keyboard = dict[str, list[list[dict[str, str]]]]  # a `reply_markup` as the Bot API reads it


@dataclass(frozen=True)
class Pressed:
    reply_id: int
    kind: FeedbackKind


class ButtonSigner:
    """Makes and checks callback data for one bot (one token)."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"afina/telegram/feedback-buttons\0" + secret.encode()).digest()

    def _mac(self, chat_id: int, reply_id: int, code: str) -> str:
        message = f"{chat_id}:{reply_id}:{code}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:MAC_BYTES]
        return base64.urlsafe_b64encode(digest).decode()

    def data(self, chat_id: int, reply_id: int, kind: FeedbackKind) -> str:
        code = _CODES[kind]
        return f"f:{reply_id}:{code}:{self._mac(chat_id, reply_id, code)}"

    def verify(self, chat_id: int, data: str | None) -> Pressed | None:
        """The button pressed, or None when the data was not made by us for this chat."""
        match = _DATA.match(data or "")
        if match is None:
            return None
        reply_id, code, mac = int(match[1]), match[2], match[3]
        if not hmac.compare_digest(mac, self._mac(chat_id, reply_id, code)):
            return None
        return Pressed(reply_id, _KINDS[code])

    def keyboard(self, chat_id: int, reply_id: int) -> Keyboard:
        """The 👍 / 👎 / ✏️ row as the Bot API's `reply_markup` JSON.

        Plain data rather than PTB's `InlineKeyboardMarkup`: those objects are built, then
        walked slot by slot back into this very dict, which cost a tenth of sending the
        answer. It goes out through `api_kwargs` (`keyboard_kwargs`)."""
        row = [
            {"text": label, "callback_data": self.data(chat_id, reply_id, kind)}
            for kind, label in LABELS.items()
        ]
        return {"inline_keyboard": [row]}


def keyboard_kwargs(keyboard: Keyboard | None) -> dict[str, Any] | None:
    """`api_kwargs` for a message that carries `keyboard` (None: no keyboard)."""
    return {"reply_markup": keyboard} if keyboard is not None else None


def prompted_reply_id(message: Message) -> int | None:
    """The answer a ✏️ prompt asked about, when `message` replies to one of our prompts."""
    prompt = message.reply_to_message
    if prompt is None or prompt.from_user is None or prompt.from_user.id != message.get_bot().id:
        return None
    match = _PROMPT.search(prompt.text or "")
    return int(match[1]) if match else None
