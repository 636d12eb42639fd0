"""Clicks under an answer: 👍 / 👎, and ✏️ Correct → a modal → a correction.

Every rule (who teaches at once, what waits for review) is `bot.feedback.give`;
this module only reads Slack's payloads and tells the person what happened,
in a note only they can see.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import threads
from bot.app import Core
from bot.channels.slack import blocks
from bot.channels.slack.notify import tell
from bot.db import session_scope
from bot.errors import AfinaError
from bot.feedback import give
from bot.tables import FeedbackKind

logger = logging.getLogger(__name__)

CHANNEL = "slack"
NOT_HERE = (
    "That button belongs to an answer from another conversation, so nothing was recorded. "
    "Use the buttons under the answer itself."
)
STALE_FORM = "This form is no longer valid: press ✏️ Correct under the answer again."


def where(body: dict[str, Any]) -> tuple[str, str]:
    """The channel and thread of the message a button was on."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    thread = (
        container.get("thread_ts")
        or message.get("thread_ts")
        or container.get("message_ts")
        or message.get("ts")
        or ""
    )
    return str(channel), str(thread)


class FeedbackActions:
    """The action and view listeners: 👍 / 👎 clicks, ✏️ Correct, the submitted modal."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def register(self, app: App) -> None:
        app.action(blocks.RATE_ACTION)(self.on_rate)
        app.action(blocks.CORRECT_ACTION)(self.on_correct)
        app.view_submission(blocks.CORRECT_VIEW)(self.on_submit)

    def on_rate(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """👍 or 👎 under an answer."""
        ack()
        channel, thread = where(body)
        user = body["user"]["id"]
        try:
            kind, reply_id = blocks.parse_rating(str(action.get("value") or ""))
        except ValueError:
            logger.warning("unexpected feedback button value %r", action.get("value"))
            return
        text = (
            self._give(user, reply_id, kind) if self._here(reply_id, channel, thread) else NOT_HERE
        )
        tell(client, channel=channel, user=user, thread_ts=thread, text=text)

    def on_correct(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Open the Correct modal with the answer pre-filled (the trigger lasts 3 seconds)."""
        ack()
        channel, thread = where(body)
        try:
            reply_id = int(action.get("value") or "")
            if not self._here(reply_id, channel, thread):
                tell(
                    client,
                    channel=channel,
                    user=body["user"]["id"],
                    thread_ts=thread,
                    text=NOT_HERE,
                )
                return
            answer = threads.reply_text(self.core.engine, reply_id=reply_id)
        except (ValueError, AfinaError):
            tell(
                client,
                channel=channel,
                user=body["user"]["id"],
                thread_ts=thread,
                text="I can't find that answer any more, so it can't be corrected.",
            )
            return
        target = blocks.Correcting(reply_id, channel, thread)
        client.views_open(trigger_id=body["trigger_id"], view=blocks.correct_modal(target, answer))

    def on_submit(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """The corrected answer: taught at once by a reviewer, queued for review otherwise."""
        try:
            target = blocks.Correcting.load(view.get("private_metadata") or "{}")
        except (ValueError, KeyError, TypeError):  # not a form we opened (or a changed one)
            logger.warning("refused a Correct form whose metadata cannot be read")
            ack(response_action="errors", errors={blocks.ANSWER_BLOCK: STALE_FORM})
            return
        if not self._here(target.reply_id, target.channel, target.thread_ts):
            logger.warning("refused a correction of reply %s from elsewhere", target.reply_id)
            ack(response_action="errors", errors={blocks.ANSWER_BLOCK: NOT_HERE})
            return
        user = body["user"]["id"]
        try:
            with session_scope(self.core.engine) as session:
                outcome = give(
                    session,
                    self.core.settings,
                    knowledge=self.core.knowledge,
                    reply_id=target.reply_id,
                    user=f"{CHANNEL}:{user}",
                    kind=FeedbackKind.correct,
                    corrected_text=blocks.submitted_answer(view),
                )
        except AfinaError as exc:  # e.g. an empty answer: say so inside the modal
            ack(response_action="errors", errors={blocks.ANSWER_BLOCK: exc.message})
            return
        ack()
        tell(
            client,
            channel=target.channel,
            user=user,
            thread_ts=target.thread_ts,
            text=outcome.message,
        )

    def _here(self, reply_id: int, channel: str, thread: str) -> bool:
        """The reply a click or a form names was given in this channel and thread."""
        return threads.given_in(
            self.core.engine, reply_id=reply_id, channel=CHANNEL, chat_id=channel, thread_id=thread
        )

    def _give(self, user: str, reply_id: int, kind: FeedbackKind) -> str:
        try:
            with session_scope(self.core.engine) as session:
                outcome = give(
                    session,
                    self.core.settings,
                    knowledge=self.core.knowledge,
                    reply_id=reply_id,
                    user=f"{CHANNEL}:{user}",
                    kind=kind,
                )
            return outcome.message
        except AfinaError as exc:
            return exc.message
