"""Delivering a question late into its Slack thread (`bot.recovery.Courier`).

First what the dead process left: the thread's "is thinking…" status is cleared.
An answer that was ready is looked for in the thread before it is posted (its
controls carry the reply id), so an answer that got out just before a crash is
never posted twice. Then the apology for the wait, and the answer with its
controls, posted whole.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.channels.slack import blocks
from bot.channels.slack.answer import Pacing, Place, post_whole
from bot.channels.slack.events import post_key
from bot.recovery import Late

logger = logging.getLogger(__name__)


class SlackCourier:
    def __init__(self, client: WebClient, pacing: Pacing | None = None) -> None:
        self.client = client
        self.pacing = pacing or Pacing()

    def deliver(self, late: Late) -> str | None:
        pending = late.pending
        place = Place(pending.chat_id, pending.thread_id, pending.platform_user)
        self._clear_status(place)
        if pending.reply_id is not None:
            found = self._posted(place, pending.reply_id)
            if found is not None:
                logger.info("question %s: its answer is in the thread already", pending.id)
                return post_key(place.channel, found)
        self.client.chat_postMessage(
            channel=place.channel,
            thread_ts=place.thread_ts,
            text=late.first,
            blocks=blocks.text_blocks(late.first),
        )
        if late.answer is None:
            return None
        answer = late.answer()
        controls = blocks.controls(answer.reply_id, ok=answer.ok)
        ts = post_whole(self.client, place, answer.text, controls, self.pacing.part_chars)
        return post_key(place.channel, ts) if ts else None

    def _clear_status(self, place: Place) -> None:
        try:
            self.client.assistant_threads_setStatus(
                channel_id=place.channel, thread_ts=place.thread_ts, status=""
            )
        except Exception as exc:  # a status is a nicety (and not every thread can carry one)
            logger.debug("clearing the status failed: %s", type(exc).__name__)

    def _posted(self, place: Place, reply_id: int) -> str | None:
        """The ts of the message in the thread that carries this reply's controls, if any."""
        wanted = blocks.controls_id(reply_id)
        try:
            found = self.client.conversations_replies(
                channel=place.channel, ts=place.thread_ts, limit=200
            )
        except SlackApiError as exc:
            logger.info("could not read the thread: %s", exc.response.get("error"))
            return None
        for message in found.get("messages") or []:
            if any(block.get("block_id") == wanted for block in message.get("blocks") or []):
                return str(message.get("ts"))
        return None
