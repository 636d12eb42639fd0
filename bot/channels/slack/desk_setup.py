"""What `afina doctor` says about the Slack review desk (SLACK_REVIEW_CHANNEL).

Its shape first (a channel id or a `#name`), then, when reaching: that Slack knows
the channel (a `#name` through `conversations.list`, which needs `channels:read` and
`groups:read`) and that the bot is a member of it (`conversations.info`), without
which every card would be refused with `not_in_channel`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from bot.checks import Diagnosis
from bot.probe import request

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
NAME = re.compile(r"^#?[a-z0-9][a-z0-9_\-]{0,79}$")
SCOPES = "add the channels:read and groups:read scopes (slack/manifest.yml) and reinstall the app"


def checks(diagnosis: Diagnosis, token: str) -> None:
    wanted = diagnosis.settings.slack_review_channel.strip()
    if not wanted:
        diagnosis.add(
            "slack",
            "ok",
            "review desk: off (set SLACK_REVIEW_CHANNEL to see customers' "
            "questions, 👎 and suggestions in a channel)",
        )
        return
    if not (CHANNEL_ID.match(wanted) or NAME.match(wanted)):
        diagnosis.add(
            "slack",
            "fail",
            f"SLACK_REVIEW_CHANNEL {wanted!r} is neither a channel id (C0123ABC) nor a #name",
        )
        return
    if not diagnosis.reach:
        diagnosis.add("slack", "ok", f"review desk: {wanted}")
        return
    channel_id = wanted if CHANNEL_ID.match(wanted) else _find(diagnosis, token, wanted)
    if channel_id is not None:
        _membership(diagnosis, token, wanted, channel_id)


def _call(diagnosis: Diagnosis, token: str, method: str, **params: Any) -> dict[str, Any] | str:
    url = diagnosis.settings.slack_api_url.rstrip("/") + f"/{method}?{urlencode(params)}"
    answer = request(
        url, timeout_s=diagnosis.timeout_s, headers={"authorization": f"Bearer {token}"}
    )
    if isinstance(answer, str):
        return answer
    payload = answer.json()
    if answer.status != 200 or not isinstance(payload, dict):
        return f"HTTP {answer.status}"
    return payload


def _error(payload: dict[str, Any]) -> str:
    return re.sub(r"[^a-z_]", "", str(payload.get("error", "")))[:40] or "unknown"


def _find(diagnosis: Diagnosis, token: str, wanted: str) -> str | None:
    """The id of a `#name`, reading every page of channels the bot can see."""
    name, cursor = wanted.lstrip("#"), ""
    for _ in range(50):
        payload = _call(
            diagnosis,
            token,
            "conversations.list",
            types="public_channel,private_channel",
            exclude_archived="true",
            limit=1000,
            cursor=cursor,
        )
        if isinstance(payload, str):
            diagnosis.add("slack", "fail", f"review desk: conversations.list failed ({payload})")
            return None
        if not payload.get("ok"):
            error = _error(payload)
            hint = f": {SCOPES}" if error == "missing_scope" else ""
            diagnosis.add(
                "slack", "fail", f"review desk: Slack refused conversations.list ({error}){hint}"
            )
            return None
        for channel in payload.get("channels") or []:
            if str(channel.get("name", "")).lower() == name.lower():
                return str(channel["id"])
        cursor = str((payload.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            break
    diagnosis.add(
        "slack",
        "fail",
        f"review desk: no channel called {wanted} that the bot can see (create it, or invite "
        "the bot to the private channel; SLACK_REVIEW_CHANNEL may also be the channel's id)",
    )
    return None


def _membership(diagnosis: Diagnosis, token: str, wanted: str, channel_id: str) -> None:
    payload = _call(diagnosis, token, "conversations.info", channel=channel_id)
    if isinstance(payload, str):
        diagnosis.add("slack", "fail", f"review desk: conversations.info failed ({payload})")
        return
    if not payload.get("ok"):
        error = _error(payload)
        hint = f": {SCOPES}" if error == "missing_scope" else ""
        diagnosis.add("slack", "fail", f"review desk: Slack does not know {wanted} ({error}){hint}")
        return
    channel = payload.get("channel") or {}
    shown = f"#{channel.get('name', channel_id)}"
    if not channel.get("is_member"):
        diagnosis.add(
            "slack",
            "fail",
            f"review desk: the bot is not in {shown}: invite it there (/invite @afina), or "
            "no card can be posted",
        )
        return
    diagnosis.add("slack", "ok", f"review desk: {shown} ({channel_id}), the bot is a member")
