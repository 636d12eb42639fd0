"""Slack's part of the review desk: cards in SLACK_REVIEW_CHANNEL, handoffs into threads.

SLACK_REVIEW_CHANNEL is a channel id (`C0123…`, `G…`) or a `#name`; a name is found
once with `conversations.list` (scopes `channels:read`, `groups:read`: a private
channel shows only once the bot is in it). Cards and announcements are posted with
`chat.postMessage` and updated in place with `chat.update`. A reviewer's answer to a
Slack question goes into the question's thread, marked as the team's.

Any process can do all of it with the bot token alone (no Socket Mode, no HTTP
endpoint of its own): the desk calls this from wherever a card is owed.
"""

from __future__ import annotations

import re
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.channels.slack import desk_blocks
from bot.config import Settings
from bot.desk.ends import DeskError, HandoffNote
from bot.desk.reports import RunReport
from bot.desk.views import ItemCard
from bot.desk.wording import words_for

CHANNEL = "slack"
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
LOOK_AGAIN_S = 300.0  # a #name not found is looked up again after this (the bot may be invited)


def review_channel(client: WebClient, wanted: str) -> str:
    """The id of SLACK_REVIEW_CHANNEL (an id as it is; a `#name` looked up); `DeskError` when
    no channel the bot can see has that name."""
    wanted = wanted.strip()
    if CHANNEL_ID.match(wanted):
        return wanted
    name = wanted.lstrip("#").lower()
    cursor = None
    while True:
        page = client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
        )
        for channel in page.get("channels") or []:
            if str(channel.get("name", "")).lower() == name:
                return str(channel["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            raise DeskError(
                f"SLACK_REVIEW_CHANNEL {wanted}: no channel the bot can see is called that "
                "(a private channel needs the bot invited first)"
            )


def refused(exc: SlackApiError) -> DeskError:
    return DeskError(f"Slack refused: {exc.response.get('error') if exc.response else 'error'}")


class SlackDesk:
    """`bot.desk.ends.DeskEnd` for Slack."""

    channel = CHANNEL

    def __init__(self, settings: Settings, client: WebClient | None = None) -> None:
        from bot.channels.slack.app import make_client

        self.settings = settings
        self.client = client or make_client(settings)
        self.words = words_for(settings.slack_desk_language)
        self._channel_id: str | None = None
        self._missing_until = 0.0
        self._lock = threading.Lock()

    def destinations(self) -> list[str]:
        wanted = self.settings.slack_review_channel
        if not wanted:
            return []
        with self._lock:
            if self._channel_id is None:
                if time.monotonic() < self._missing_until:
                    return []  # said once; looked up again in a few minutes
                try:
                    self._channel_id = review_channel(self.client, wanted)
                except (SlackApiError, DeskError) as exc:
                    self._missing_until = time.monotonic() + LOOK_AGAIN_S
                    raise (refused(exc) if isinstance(exc, SlackApiError) else exc) from None
        return [f"{CHANNEL}:{self._channel_id}"]

    def post_item(self, destination: str, card: ItemCard) -> str:
        text, blocks = self._item(card)
        return self._post(destination, text, blocks)

    def update_item(self, destination: str, message_id: str, card: ItemCard) -> None:
        self._update(message_id, *self._item(card))

    def post_run(self, destination: str, report: RunReport) -> str:
        return self._post(destination, *self._run(report))

    def update_run(self, destination: str, message_id: str, report: RunReport) -> None:
        self._update(message_id, *self._run(report))

    def _item(self, card: ItemCard) -> tuple[str, list[desk_blocks.Block]]:
        words = self.words
        return desk_blocks.item_text(card, words), desk_blocks.item_blocks(card, words)

    def _run(self, report: RunReport) -> tuple[str, list[desk_blocks.Block]]:
        return report.headline_in(self.words), desk_blocks.run_blocks(report, self.words)

    def hand_off(self, note: HandoffNote) -> str:
        """The reviewer's answer in the question's thread, marked as the team's."""
        by = desk_blocks.who(note.reviewer) if note.reviewer.startswith("slack:") else ""
        team = self.words.say("slack.from_team")
        head = f"💬 *{team}* ({by})" if by else f"💬 *{team}*"
        text = f"{head}\n{note.text}"
        try:
            response = self.client.chat_postMessage(
                channel=note.chat_id,
                thread_ts=note.thread_id or None,
                text=text,
                blocks=[{"type": "markdown", "text": text}],
            )
        except SlackApiError as exc:
            raise refused(exc) from None
        return f"{note.chat_id}:{response['ts']}"

    def _post(self, destination: str, text: str, blocks: list[desk_blocks.Block]) -> str:
        channel = destination.partition(":")[2]
        try:
            response = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except SlackApiError as exc:
            raise refused(exc) from None
        return f"{channel}:{response['ts']}"

    def _update(self, message_id: str, text: str, blocks: list[desk_blocks.Block]) -> None:
        channel, _, ts = message_id.partition(":")
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            raise refused(exc) from None
