"""Slack events → `Incoming`, and each `Answer` back into the thread it answers.

The bot answers direct messages, @mentions, and follow-ups in a thread it
already answers in (no new mention needed). The thread is the conversation:
a mention inside a thread the bot has not been in first stores the thread's
earlier messages as history. A 👍 reaction on one of its answers approves it.

Bolt acknowledges each event before these listeners run (on the app's worker
pool), so Slack's 3-second deadline never waits on the model. Slack redelivers
an event it thinks was lost; its `event_id` is recorded once, in the database
(for a question, by the core in the same transaction as the question), so a
retry (even to another process) is answered exactly once: not at all while the
first answer is on its way, and late (after an apology) when the process that
took it died before the answer got out. Each answer's delivery is confirmed to
the core once Slack has it (`bot.questions`).
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import threads
from bot.app import Core
from bot.channels.slack.answer import AnswerWriter, Pacing, Place
from bot.channels.slack.later import Later
from bot.channels.slack.notify import tell
from bot.channels.slack.receipts import receipts_of
from bot.db import session_scope
from bot.deliveries import first_delivery
from bot.errors import AfinaError, Repeated, TakenOver
from bot.feedback import give
from bot.messages import Incoming
from bot.recovery import SORRY_LATE
from bot.tables import FeedbackKind

logger = logging.getLogger(__name__)

CHANNEL = "slack"
FILES_NOTE = (
    "I can only read text for now, so I can't open files or images. "
    "Paste the text you'd like me to look at and I'll answer."
)
SORRY = (
    "Sorry, something went wrong on my side and I couldn't answer. Please try again in a minute."
)
APPROVALS = frozenset({"+1", "thumbsup"})
# Message subtypes that are a person saying something; every other subtype is an edit, a
# deletion, a join, a bot post or a channel event, and is not answered.
SPOKEN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})

READABLE_SUBTYPES = SPOKEN_SUBTYPES | {"bot_message"}  # what counts as a thread's history

_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def plain_text(text: str, *, bot_user_id: str | None) -> str:
    """Slack's markup as a person reads it: no @bot, `@U1`, `#general`, `label (url)`."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "" if target[1:] == bot_user_id else f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            return f"@{label or target[1:].split('^')[0]}"
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_LINK.sub(replace, text)).strip()


def thread_of(event: dict[str, Any]) -> str:
    """The thread a message belongs to: its parent's ts, or its own when it starts one."""
    return str(event.get("thread_ts") or event["ts"])


def post_key(channel: str, ts: str) -> str:
    """A Slack message's id: a ts is unique only within its channel."""
    return f"{channel}:{ts}"


def spoken(event: dict[str, Any]) -> bool:
    """A person's new message (not an edit, a join, a bot's post or our own)."""
    return (
        event.get("subtype") in SPOKEN_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(event.get("ts"))
    )


def mentions(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}>" in str(event.get("text") or "")


class Conversations:
    """The event listeners; they translate, the core decides."""

    def __init__(self, core: Core, pacing: Pacing, later: Later) -> None:
        self.core = core
        self.pacing = pacing
        self.later = later

    def register(self, app: App) -> None:
        self.receipts = receipts_of(app)
        taking = [self._taking]  # runs before bolt acknowledges (`bot.channels.slack.receipts`)
        app.event("app_mention", matchers=taking)(self.on_mention)
        app.event("message", matchers=taking)(self.on_message)
        app.event("reaction_added")(self.on_reaction)

    def _taking(self, body: dict[str, Any]) -> bool:
        return self.receipts.expect(body.get("event_id"))

    # --- listeners -------------------------------------------------------------
    def on_mention(
        self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """Answer an @mention in the thread it starts or is part of."""
        try:
            if spoken(event):
                self._handle(event, body, client, context, join_thread=True)
        finally:
            self.receipts.done(body.get("event_id"))

    def on_message(
        self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """Answer a DM, or a follow-up in one of the bot's threads; ignore all other chatter."""
        try:
            if not spoken(event):
                return
            if event.get("channel_type") == "im":
                self._handle(event, body, client, context, join_thread=False)
                return
            if not event.get("thread_ts") or mentions(event, context.bot_user_id):
                return  # top-level chatter, or a mention (answered through app_mention)
            if threads.takes_part(
                self.core.engine,
                channel=CHANNEL,
                chat_id=event["channel"],
                thread_id=thread_of(event),
            ):
                self._handle(event, body, client, context, join_thread=False)
        finally:
            self.receipts.done(body.get("event_id"))

    def on_reaction(
        self, event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """A 👍 reaction on one of the bot's answers approves it."""
        item = event.get("item") or {}
        reaction = str(event.get("reaction") or "").split("::")[0]  # drop the skin tone
        if reaction not in APPROVALS or item.get("type") != "message" or not event.get("user"):
            return
        posted = threads.find_post(
            self.core.posts,
            channel=CHANNEL,
            platform_message_id=post_key(item["channel"], item["ts"]),
        )
        if posted is None or not self._first(body):
            return
        try:
            with session_scope(self.core.engine) as session:
                outcome = give(
                    session,
                    self.core.settings,
                    knowledge=self.core.knowledge,
                    reply_id=posted.reply_id,
                    user=f"{CHANNEL}:{event['user']}",
                    kind=FeedbackKind.approve,
                )
            message = outcome.message
        except AfinaError as exc:
            message = exc.message
        tell(
            client,
            channel=item["channel"],
            user=event["user"],
            thread_ts=posted.thread_id,
            text=message,
        )

    # --- answering ---------------------------------------------------------------
    def _handle(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        *,
        join_thread: bool,
    ) -> None:
        files = bool(event.get("files"))
        # A question's delivery is recorded by the core with the question itself; the note
        # about files goes out before that, so such an event is recorded here first.
        if files and not self._first(body):
            return
        place = Place(
            channel=event["channel"],
            thread_ts=thread_of(event),
            user_id=event["user"],
            team_id=context.team_id or body.get("team_id"),
        )
        try:
            if files:
                client.chat_postMessage(
                    channel=place.channel, thread_ts=place.thread_ts, text=FILES_NOTE
                )
            text = plain_text(str(event.get("text") or ""), bot_user_id=context.bot_user_id)
            if files and not text:
                return
            if join_thread and event.get("thread_ts"):
                self._join_thread(client, context, place, before_ts=event["ts"])
            event_id = None if files else body.get("event_id")
            self._answer(client, place, text, event["ts"], event_id and str(event_id))
        except Exception:
            logger.exception("answering Slack event %s failed", body.get("event_id"))

    def _answer(
        self, client: WebClient, place: Place, text: str, ts: str, event_id: str | None
    ) -> None:
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=place.channel,
            user_id=place.user_id,
            text=text,
            thread_id=place.thread_ts,
            platform_message_id=post_key(place.channel, ts),
            delivery_key=event_id,
            route={"team_id": place.team_id} if place.team_id else {},
        )
        writer = AnswerWriter(client, place, self.pacing, self.later)
        writer.start()
        try:
            try:
                taken = self.core.responder.take(incoming)
            finally:  # stored (or refused): Slack may be told 200 now
                self.receipts.done(event_id)
            reply = self.core.responder.reply(taken, on_delta=writer.on_delta)
        except TakenOver:  # this process froze past its claim: another one answers it
            writer.withdraw()
            return
        except Repeated:
            writer.cancel()
            logger.info("Slack redelivered event %s; it was already handled", event_id)
            return
        except AfinaError as exc:  # e.g. a mention with no question in it
            writer.abort(exc.message)
            return
        except Exception:
            logger.exception("the responder failed on a Slack message")
            writer.abort(SORRY)
            return
        if reply.late:  # a redelivery of a question whose first answer never got out
            writer.cancel()
            client.chat_postMessage(
                channel=place.channel, thread_ts=place.thread_ts, text=SORRY_LATE
            )
        try:
            ts_posted = writer.finish(reply)
        except Exception:
            self.core.questions.failed(reply.question_id)  # recovery delivers it later
            raise
        posted_as = post_key(place.channel, ts_posted) if ts_posted else None
        self.core.questions.posted(reply.question_id, reply_id=reply.reply_id, posted_as=posted_as)
        if reply.notice:
            tell(
                client,
                channel=place.channel,
                user=place.user_id,
                thread_ts=place.thread_ts,
                text=reply.notice,
            )

    def _join_thread(
        self, client: WebClient, context: BoltContext, place: Place, *, before_ts: str
    ) -> None:
        """First mention in someone else's thread: its earlier messages become the history."""
        engine = self.core.engine
        if threads.takes_part(
            engine, channel=CHANNEL, chat_id=place.channel, thread_id=place.thread_ts
        ):
            return
        limit = self.core.settings.history_max_messages
        try:
            found = client.conversations_replies(
                channel=place.channel, ts=place.thread_ts, limit=min(max(limit, 1) + 1, 200)
            )
        except SlackApiError as exc:
            logger.warning("could not read the thread's history: %s", exc.response.get("error"))
            return
        turns = [
            turn
            for message in found.get("messages") or []
            if (turn := self._turn(message, context, before_ts)) is not None
        ]
        threads.seed_thread(
            engine,
            channel=CHANNEL,
            chat_id=place.channel,
            thread_id=place.thread_ts,
            turns=turns[-limit:] if limit else [],
        )

    @staticmethod
    def _turn(message: dict[str, Any], context: BoltContext, before_ts: str) -> threads.Turn | None:
        ts = str(message.get("ts") or "")
        subtype = message.get("subtype")
        if not ts or float(ts) >= float(before_ts) or subtype not in READABLE_SUBTYPES:
            return None
        text = plain_text(str(message.get("text") or ""), bot_user_id=context.bot_user_id)
        if not text:
            return None
        ours = bool(message.get("bot_id")) and message.get("bot_id") == context.bot_id
        ours = ours or (bool(message.get("user")) and message.get("user") == context.bot_user_id)
        key = post_key(str(context.channel_id), ts)
        if ours:
            return threads.Turn("assistant", text, "bot", key)
        who = message.get("user") or message.get("bot_id") or "unknown"
        return threads.Turn("user", text, f"{CHANNEL}:{who}", key)

    def _first(self, body: dict[str, Any]) -> bool:
        """False for a delivery already handled (Slack retries with the same event_id)."""
        event_id = body.get("event_id")
        if not event_id:
            return True
        if first_delivery(self.core.engine, channel=CHANNEL, event_key=str(event_id)):
            return True
        logger.info("Slack redelivered event %s; it was already handled", event_id)
        return False
