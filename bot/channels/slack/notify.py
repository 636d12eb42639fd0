"""Ephemeral notes: only the person who acted sees them, in the thread they acted in."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


def tell(client: WebClient, *, channel: str, user: str, thread_ts: str | None, text: str) -> None:
    """Show `text` to one person only; a refusal (e.g. they left the channel) is only logged."""
    try:
        client.chat_postEphemeral(
            channel=channel, user=user, text=text, thread_ts=thread_ts or None
        )
    except SlackApiError as exc:
        logger.warning("ephemeral note refused: %s", exc.response.get("error"))
