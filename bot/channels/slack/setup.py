"""What the Slack settings must be: the rules every start enforces, stated once, and the
checks `afina doctor` makes of them.

`afina slack`, `afina serve`, the bolt app and `afina doctor` all ask these, so
a rule and its message never differ between them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.checks import Diagnosis, mask, show_url, token_shape, url_problem, value
from bot.errors import BadInput

if TYPE_CHECKING:
    from bot.config import Settings

NO_BOT_TOKEN = "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…)."
NO_SIGNING_SECRET = (
    "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify that requests come "
    "from Slack (or set SLACK_APP_TOKEN for Socket Mode)."
)
NO_APP_TOKEN = "SLACK_APP_TOKEN is not set: create an app-level token (xapp-…)."
SIGNING_SECRET_SHAPE = re.compile(r"^[0-9a-f]{32}$")


def bot_token(settings: Settings) -> str:
    """SLACK_BOT_TOKEN, which every mode needs."""
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise BadInput(NO_BOT_TOKEN)
    return settings.slack_bot_token.get_secret_value()


def signing_secret_problem(settings: Settings) -> str | None:
    """HTTP mode verifies every request with the signing secret; only Socket Mode goes without."""
    if settings.slack_signing_secret is None and settings.slack_app_token is None:
        return NO_SIGNING_SECRET
    return None


def secrets_of(settings: Settings) -> list[str]:
    found = [settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret]
    return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]


# --- what `afina doctor` says about them ------------------------------------------


def checks(diagnosis: Diagnosis) -> None:
    """Token shapes, the mode these settings choose, SLACK_API_URL, then Slack's auth.test."""
    s = diagnosis.settings
    bot, app, signing = (
        value(s.slack_bot_token),
        value(s.slack_app_token),
        value(s.slack_signing_secret),
    )
    if not (bot or app or signing):
        diagnosis.add("slack", "ok", "not configured (set SLACK_BOT_TOKEN to answer in Slack)")
        if s.slack_review_channel:
            diagnosis.add("slack", "fail", "SLACK_REVIEW_CHANNEL is set but SLACK_BOT_TOKEN is not")
        return
    fails = diagnosis.fails()
    if not bot:
        diagnosis.add("slack", "fail", NO_BOT_TOKEN)
    else:
        token_shape(diagnosis, "slack", "SLACK_BOT_TOKEN", bot, "xoxb-", "a bot token")
    if app:
        token_shape(diagnosis, "slack", "SLACK_APP_TOKEN", app, "xapp-", "an app-level token")
        mode = "Socket Mode (SLACK_APP_TOKEN is set; no public URL needed)"
    else:
        mode = f"HTTP at /slack/events on port {s.port}"
    problem = signing_secret_problem(s)
    if problem:
        diagnosis.add("slack", "fail", problem)
    if signing and not SIGNING_SECRET_SHAPE.match(signing):
        diagnosis.add(
            "slack",
            "warn",
            f"SLACK_SIGNING_SECRET ({mask(signing)}) does not look like Slack's "
            "(32 hex characters): requests will fail verification",
        )
    api_problem = url_problem(s.slack_api_url)
    if api_problem:
        diagnosis.add("slack", "fail", f"SLACK_API_URL {api_problem}")
    if diagnosis.fails() == fails:
        diagnosis.add("slack", "ok", f"{mode} · bot token {mask(bot)}")
        if diagnosis.reach:
            auth_test(diagnosis, bot)
        if not diagnosis.has("slack", "fail"):
            from bot.channels.slack import desk_setup

            desk_setup.checks(diagnosis, bot)


def auth_test(diagnosis: Diagnosis, token: str) -> None:
    heard = ask_auth_test(diagnosis.settings.slack_api_url, token, diagnosis.timeout_s)
    if isinstance(heard, str):
        diagnosis.add("slack", "fail", heard)
        return
    who = f"bot @{heard.get('user', '?')} in {heard.get('team', '?')}"
    diagnosis.add("slack", "ok", f"auth.test: {who}")


def auth_test_url(api_url: str) -> str:
    return api_url.rstrip("/") + "/auth.test"


def ask_auth_test(api_url: str, token: str, timeout_s: float) -> dict[str, Any] | str:
    """What Slack's auth.test answered (its JSON, with `ok`), or what is wrong, in words.

    The standard library only: the doctor and a channel's first call at start
    (`bot.channels.slack.handshake`) ask it before slack_sdk is loaded."""
    from bot.probe import request  # urllib and ssl: only when something reaches out

    answer = request(
        auth_test_url(api_url),
        method="POST",
        timeout_s=timeout_s,
        headers={
            "authorization": f"Bearer {token}",
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    where = show_url(api_url)
    if isinstance(answer, str):
        return f"Slack API at {where} is unreachable: {answer}"
    payload = answer.json()
    if answer.status != 200 or not isinstance(payload, dict):
        return f"Slack's auth.test answered HTTP {answer.status}"
    if not payload.get("ok"):
        # Slack's error codes (invalid_auth, token_revoked, …) hold nothing secret.
        error = re.sub(r"[^a-z_]", "", str(payload.get("error", "")))[:40] or "unknown"
        return f"Slack refused SLACK_BOT_TOKEN ({error})"
    return payload
