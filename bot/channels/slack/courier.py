"""Delivering a question late into its Slack thread (`bot.recovery.Courier`).

First what the dead process left: the thread's "is thinking…" status is cleared.
The thread is read once: an answer that was ready is looked for before it is posted
(its controls carry the reply id), so an answer that got out just before a crash is
never posted twice. Then the apology for the wait, unless an earlier try posted it
(it carries the question's id), and the answer with its controls, posted whole.
"""

from __future__ import annotations

import logging
from typing import Any

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
        thread = self._thread(place)
        if pending.reply_id is not None:
            found = _carrying(thread, blocks.controls_id(pending.reply_id))
            if found is not None:
                logger.info("question %s: its answer is in the thread already", pending.id)
                return post_key(place.channel, found)
        if _carrying(thread, blocks.late_id(pending.id)) is None:
            self.client.chat_postMessage(
                channel=place.channel,
                thread_ts=place.thread_ts,
                text=late.first,
                blocks=blocks.late_blocks(late.first, pending.id),
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

    def _thread(self, place: Place) -> list[dict[str, Any]]:
        """The thread's messages as Slack has them (none when it cannot be read)."""
        try:
            found = self.client.conversations_replies(
                channel=place.channel, ts=place.thread_ts, limit=200
            )
        except SlackApiError as exc:
            logger.info("could not read the thread: %s", exc.response.get("error"))
            return []
        return list(found.get("messages") or [])


def _carrying(thread: list[dict[str, Any]], block_id: str) -> str | None:
    """The ts of the thread's message with this block, if any."""
    for message in thread:
        if any(block.get("block_id") == block_id for block in message.get("blocks") or []):
            return str(message.get("ts"))
    return None
