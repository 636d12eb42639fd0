"""The one place the Slack app is assembled: bolt `App` + our listeners + a sized worker pool."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web.slack_response import SlackResponse

from bot.app import Core
from bot.channels.slack import handshake
from bot.channels.slack.actions import FeedbackActions
from bot.channels.slack.answer import Pacing
from bot.channels.slack.desk_actions import DeskActions
from bot.channels.slack.events import Conversations
from bot.channels.slack.later import Later
from bot.channels.slack.setup import auth_test_url, bot_token, signing_secret_problem
from bot.checks import show_url
from bot.config import Settings
from bot.errors import BadInput
from bot.pool import DrainingPool
from bot.probe import why

logger = logging.getLogger(__name__)

# Every listener runs on this pool after bolt has acknowledged the request: each answer
# holds a worker for as long as the model takes (seconds, mostly waiting on the network),
# and the quick listeners behind button clicks and modal submissions queue on the same
# pool. Bolt's default of 5 workers would make the 6th simultaneous question wait for
# the first to finish, and a click queued behind them could miss Slack's 3-second
# deadline to open a modal. A waiting thread costs a little memory and no CPU, so the
# pool is sized for a burst: 200 questions at once still leave workers for clicks.
WORKERS = 256
SEND_RETRIES = 3  # tries after the first, for a call that failed on the way
# "is thinking…" calls are short and must never take a worker an answer needs.
STATUS_WORKERS = 8


class _TokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns it goes unused beside our client; the client
    carries that very token, so the warning would only puzzle whoever reads the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class _SaidByUs(logging.Filter):
    """slack_sdk logs every failed request at ERROR before raising it; whoever called says what
    failed in their own words (one line at start, a warning beside an answer)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to send a request to Slack API server")


class AnyServerError(ServerErrorRetryHandler):
    """slack_sdk's handler sends again after a 500 or a 503 only; a 502 or a 504 from a proxy on
    the way is as transient."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code >= 500


logging.getLogger("slack_bolt.App").addFilter(_TokenNotice())
logging.getLogger("slack_sdk.web.base_client").addFilter(_SaidByUs())


class HandshakenClient(WebClient):
    """A WebClient whose first auth.test is the one `handshake.reach` already asked, if it did:
    bolt asks auth.test as its App is built, and Slack need not be asked twice."""

    def auth_test(self, **kwargs: Any) -> SlackResponse:
        url = auth_test_url(self.base_url)
        heard = handshake.take(url, kwargs.get("token", self.token)) if len(kwargs) <= 1 else None
        if heard is None:
            return super().auth_test(**kwargs)
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={},
            data=heard,
            headers={},
            status_code=200,
        )


def make_client(settings: Settings) -> WebClient:
    """A Web API client for SLACK_API_URL that sends a call again, with back-off, after a
    transient failure: a dropped or reset connection, a timeout, any 5xx, a 429 (waiting
    as Slack's Retry-After asks). A finished answer is never lost to a bad second."""
    base_url = settings.slack_api_url.rstrip("/") + "/"
    return HandshakenClient(
        token=bot_token(settings),
        base_url=base_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(
                max_retry_count=SEND_RETRIES,
                error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError],
            ),
            AnyServerError(max_retry_count=SEND_RETRIES),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_slack_app(
    core: Core,
    settings: Settings | None = None,
    client: WebClient | None = None,
    *,
    pacing: Pacing | None = None,
    executor: Executor | None = None,
) -> App:
    """The bolt app with every listener; checks the token with Slack (auth.test) once.

    `executor` runs the listeners (default: a pool of WORKERS threads)."""
    settings = settings or core.settings
    client = client or make_client(settings)
    secret = settings.slack_signing_secret
    problem = signing_secret_problem(settings)
    if problem:
        raise BadInput(problem)
    executor = executor or ThreadPoolExecutor(WORKERS, thread_name_prefix="slack")
    try:
        app = App(
            client=client,
            signing_secret=secret.get_secret_value() if secret else None,
            request_verification_enabled=secret is not None,
            process_before_response=False,
            listener_executor=executor,
        )
    except BoltError as exc:
        raise BadInput(f"Slack refused SLACK_BOT_TOKEN: {exc}") from None
    except OSError as exc:  # urllib's URLError and socket errors: Slack's API cannot be reached
        raise BadInput(unreachable(settings, exc, client.timeout)) from None
    statuses = ThreadPoolExecutor(STATUS_WORKERS, thread_name_prefix="slack-status")
    Conversations(core, pacing or Pacing(), Later(statuses.submit)).register(app)
    FeedbackActions(core).register(app)
    DeskActions(core).register(app)
    return app


def unreachable(settings: Settings, exc: OSError, timeout_s: float) -> str:
    """One line for a Slack API that cannot be reached (the error itself may quote the URL)."""
    reason = why(getattr(exc, "reason", exc), timeout_s)
    return (
        f"Slack's API at {show_url(settings.slack_api_url)} cannot be reached ({reason}); "
        "check SLACK_API_URL and the network."
    )


def answer_pool() -> DrainingPool:
    """The pool the listeners run on in a process that must drain it when it stops."""
    return DrainingPool(WORKERS, "slack")


def drain_answers(answers: DrainingPool, grace: float, deadline: str) -> bool:
    """Write every answer already acknowledged (Slack never sends an acknowledged event again),
    within `grace` seconds; whether all were. `deadline` names the limit in the log line."""
    if answers.unfinished:
        logger.info("finishing %d Slack answers before stopping", answers.unfinished)
    left = answers.drain(grace)
    if left:
        logger.warning(
            "%s ran out; Slack answers abandoned: %d in progress, %d not started",
            deadline,
            left.running,
            left.dropped,
        )
    return not left
