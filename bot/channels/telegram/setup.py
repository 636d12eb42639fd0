"""What the Telegram settings must be: the rules every start enforces, stated once, and the
checks `afina doctor` makes of them.

`afina telegram`, `afina serve`, the worker and `afina doctor` all ask these, so a
rule and its message never differ between them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.checks import Diagnosis, mask, show_url, token_problem, url_problem, value
from bot.errors import BadInput

if TYPE_CHECKING:
    from bot.config import Settings

SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts
TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")  # bot id, colon, secret part
WEBHOOK_PORTS = {443, 80, 88, 8443}  # the only ports Telegram delivers to
NO_TOKEN = "Set TELEGRAM_BOT_TOKEN (from @BotFather) to run the Telegram bot."


def bot_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise BadInput(NO_TOKEN)
    return settings.telegram_bot_token.get_secret_value()


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, checked: webhook mode never runs without one."""
    secret = settings.telegram_webhook_secret
    value = secret.get_secret_value() if secret is not None else ""
    if not value:
        raise BadInput(
            "Webhook mode needs TELEGRAM_WEBHOOK_SECRET: Telegram sends it with every update "
            "and anything without it is refused. Set it (letters, digits, _ or -), or unset "
            "TELEGRAM_WEBHOOK_URL to use long polling."
        )
    if not SECRET_FORMAT.match(value):
        raise BadInput(secret_shape_problem())
    return value


def secret_shape_problem(shown: str = "") -> str:
    """What is wrong with a secret setWebhook would refuse (`shown`: the secret, masked)."""
    named = f"TELEGRAM_WEBHOOK_SECRET ({shown})" if shown else "TELEGRAM_WEBHOOK_SECRET"
    return f"{named} may only use letters, digits, _ and - (1-256 characters)."


def secrets_of(settings: Settings) -> list[str]:
    found = [settings.telegram_bot_token, settings.telegram_webhook_secret]
    return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]


# --- what `afina doctor` says about them ------------------------------------------


def checks(diagnosis: Diagnosis) -> None:
    """The token's shape, the webhook's URL and secret, TELEGRAM_API_URL, then getMe."""
    s = diagnosis.settings
    token = value(s.telegram_bot_token)
    secret = value(s.telegram_webhook_secret)
    if not (token or s.telegram_webhook_url or secret):
        diagnosis.add("telegram", "ok", "not configured (set TELEGRAM_BOT_TOKEN to use Telegram)")
        return
    fails = diagnosis.fails()
    slip = token_problem(token)
    if not token:
        diagnosis.add("telegram", "fail", "TELEGRAM_BOT_TOKEN is not set: ask @BotFather for one")
    elif slip:
        diagnosis.add("telegram", "fail", f"TELEGRAM_BOT_TOKEN ({mask(token)}) {slip}")
    elif not TOKEN_SHAPE.match(token):
        diagnosis.add(
            "telegram",
            "fail",
            f"TELEGRAM_BOT_TOKEN ({mask(token)}) is not shaped like @BotFather's "
            "123456789:ABC-… (digits, a colon, letters)",
        )
    mode = "long polling (no TELEGRAM_WEBHOOK_URL)"
    if s.telegram_webhook_url:
        mode = f"webhook {show_url(s.telegram_webhook_url)}"
        webhook(diagnosis, s.telegram_webhook_url, secret)
    api_problem = url_problem(s.telegram_api_url)
    if api_problem:
        diagnosis.add("telegram", "fail", f"TELEGRAM_API_URL {api_problem}")
    if diagnosis.fails() == fails:
        diagnosis.add("telegram", "ok", f"{mode} · bot token {mask(token)}")
        if diagnosis.reach:
            get_me(diagnosis, token)


def webhook(diagnosis: Diagnosis, url: str, secret: str) -> None:
    problem = url_problem(url)
    parts = urlsplit(url)
    if problem:
        diagnosis.add("telegram", "fail", f"TELEGRAM_WEBHOOK_URL {problem}")
    elif parts.scheme != "https":
        diagnosis.add(
            "telegram",
            "fail",
            "TELEGRAM_WEBHOOK_URL must be https://: Telegram delivers only over TLS",
        )
    elif (parts.port or 443) not in WEBHOOK_PORTS:
        diagnosis.add(
            "telegram",
            "fail",
            f"TELEGRAM_WEBHOOK_URL uses port {parts.port}: Telegram delivers only to "
            "443, 80, 88 or 8443",
        )
    if not secret:
        diagnosis.add("telegram", "fail", "webhook mode needs TELEGRAM_WEBHOOK_SECRET")
    elif not SECRET_FORMAT.match(secret):
        diagnosis.add("telegram", "fail", secret_shape_problem(mask(secret)))


def get_me(diagnosis: Diagnosis, token: str) -> None:
    heard = ask_get_me(diagnosis.settings.telegram_api_url, token, diagnosis.timeout_s)
    if isinstance(heard, str):
        diagnosis.add("telegram", "fail", heard)
        return
    result = heard.get("result") or {}
    diagnosis.add("telegram", "ok", f"getMe: @{result.get('username', '?')}")


def ask_get_me(api_url: str, token: str, timeout_s: float) -> dict[str, Any] | str:
    """What Telegram's getMe answered (its JSON, with `ok`), or what is wrong, in words.

    The standard library only: the doctor and a channel's first call at start (`reach`)
    ask it before PTB is loaded. The token is part of the URL, so neither the URL nor
    the exception is ever shown."""
    from bot.probe import request  # urllib and ssl: only when something reaches out

    answer = request(f"{api_url}{token}/getMe", timeout_s=timeout_s)
    if isinstance(answer, str):
        return f"Bot API at {show_url(api_url)} is unreachable: {answer}"
    payload = answer.json()
    if answer.status in (401, 404):
        # The Bot API answers 401 for a revoked token and 404 for one it cannot parse.
        return f"Telegram refused TELEGRAM_BOT_TOKEN (HTTP {answer.status})"
    if answer.status != 200 or not isinstance(payload, dict) or not payload.get("ok"):
        return f"Telegram's getMe answered HTTP {answer.status}"
    return payload


REACH_TIMEOUT_S = 10.0


def reach(settings: Settings) -> None:
    """Ask getMe before anything heavy loads; one-line `BadInput` if Telegram refuses the token
    or cannot be reached.

    Within a second of the start, with the standard library only, instead of after the
    core and PTB have loaded (2-3 s on a 2-core box, `bench/startup.py`). PTB asks getMe
    again as its Application starts: it offers no way to hand it this answer."""
    heard = ask_get_me(settings.telegram_api_url, bot_token(settings), REACH_TIMEOUT_S)
    if isinstance(heard, str):
        raise BadInput(
            f"{heard}; check TELEGRAM_BOT_TOKEN (from @BotFather) and TELEGRAM_API_URL "
            "(`afina doctor`)."
        )
