"""One answer on its way into a Slack thread: the status, the streamed text, the controls.

What the person sees:

- If no text has come within `status_after_s`, "is thinking…" shows
  (`assistant.threads.setStatus`) until the answer does.
- Text streams in (`chat.startStream` → `appendStream` → `stopStream`) once it
  has been arriving for `hold_s`, or `flush_chars` of it wait; then it is
  flushed at most every `flush_s` unless much text waits. An answer that is
  complete sooner is posted whole, in one call: a stream opened for text that
  is already complete only costs calls against Slack's rate limits.
- Where streaming is refused (an older workspace, a proxy without the
  methods), the message is posted and then updated instead.
- A message holds at most `part_chars`; a longer answer continues in the next
  message, cut at a clean break chosen with `lookahead_chars` of text in hand.
- The last message carries 👍 / 👎 / ✏️; its `ts` is what reactions map back to.
- A process that froze while its model wrote and finds the question taken over when it
  records the reply deletes what it had shown (`withdraw`): the process that took it
  over posts the answer, after its apology, and the thread shows it once.

The status is set while holding a lock that `finish` also takes, so a slow
status call can never land after the answer and leave "thinking…" behind it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from enum import Enum

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.chat_stream import ChatStream

from bot.channels.slack import blocks
from bot.channels.slack.later import Later
from bot.channels.slack.split import cut_point, fence_fix, split_text, tail_after
from bot.messages import Answer

logger = logging.getLogger(__name__)

THINKING = "is thinking…"
EMPTY = "(the model gave an empty answer)"


@dataclass(frozen=True)
class Pacing:
    """How an answer appears; the defaults suit a person watching and Slack's rate limits."""

    status_after_s: float = 0.2
    hold_s: float = 0.1
    flush_s: float = 0.5
    flush_chars: int = 600
    part_chars: int = 3500
    lookahead_chars: int = 800


@dataclass(frozen=True)
class Place:
    """Where an answer goes: a thread, and who asked (streams in channels name a recipient)."""

    channel: str
    thread_ts: str
    user_id: str
    team_id: str | None = None


class Mode(Enum):
    quiet = "quiet"  # no text shown yet
    stream = "stream"  # chat.startStream / appendStream / stopStream
    update = "update"  # chat.postMessage, then chat.update


class Status:
    """'is thinking…', shown only when the answer has not started within the delay."""

    def __init__(self, client: WebClient, place: Place, later: Later, delay_s: float) -> None:
        self.client = client
        self.place = place
        self.later = later
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._done = False
        self._handle: int | None = None

    def start(self) -> None:
        self._handle = self.later.call_later(self.delay_s, self._show)

    def _show(self) -> None:
        with self._lock:
            if self._done:
                return
            try:
                self.client.assistant_threads_setStatus(
                    channel_id=self.place.channel, thread_ts=self.place.thread_ts, status=THINKING
                )
            except Exception as exc:  # a status is a nicety: it never stops an answer
                logger.debug("setStatus failed: %s", _describe(exc))

    def clear(self) -> None:
        """Cancel a status not yet shown; wait for one being set right now."""
        if self._handle is not None:
            self.later.cancel(self._handle)
        with self._lock:
            self._done = True


class AnswerWriter:
    def __init__(self, client: WebClient, place: Place, pacing: Pacing, later: Later) -> None:
        self.client = client
        self.place = place
        self.pacing = pacing
        self.mode = Mode.quiet
        self.status = Status(client, place, later, pacing.status_after_s)
        self._first_text_at: float | None = None
        self._last_flush = 0.0
        self._received = ""  # every delta so far, as the model sent it
        self._pending = ""  # text not yet shown
        self._shown = ""  # text shown in the current message
        self._stream: ChatStream | None = None
        self._ts: str | None = None  # the current message, once it exists
        self._broken = False  # showing the answer live failed; it is posted whole at the end
        self._opened: list[str] = []  # every message this answer showed so far (its ts)

    # --- while the model writes ---------------------------------------------
    def start(self) -> None:
        self.status.start()

    def on_delta(self, piece: str) -> None:
        """Take the next piece of the answer; never raises (the model must not see Slack errors)."""
        self._received += piece
        self._pending += piece
        if self._broken:
            return
        now = time.monotonic()
        if self.mode is Mode.quiet:
            if self._first_text_at is None:
                self._first_text_at = now
            if (
                now - self._first_text_at < self.pacing.hold_s
                and len(self._pending) < self.pacing.flush_chars
            ):
                return
            self.status.clear()
            self.mode = Mode.stream
        elif (
            now - self._last_flush < self.pacing.flush_s
            and len(self._pending) < self.pacing.flush_chars
        ):
            return
        self._last_flush = now
        try:
            self._flush(final=False)
        except Exception as exc:  # Slack or the network: finish() posts the answer whole
            logger.warning("showing the answer as it streams failed: %s", _describe(exc))
            self._broken = True

    # --- when the answer is complete ------------------------------------------
    def finish(self, reply: Answer) -> str | None:
        """Show the rest of the answer with its controls; returns the ts that carries them."""
        self.status.clear()
        controls = blocks.controls(reply.reply_id, ok=reply.ok)
        if self.mode is not Mode.quiet:
            if not self._broken and reply.text.startswith(self._received):
                self._pending += reply.text[len(self._received) :]
                try:
                    self._flush(final=True)
                    return self._close(controls)
                except Exception as exc:
                    logger.warning("ending the streamed answer failed: %s", _describe(exc))
            # The model failed mid-answer, or Slack did: end what was shown, post the answer.
            self._end_quietly()
        return self._post_whole(reply.text, controls)

    def cancel(self) -> None:
        """Show nothing: the question turned out to be answered already."""
        self.status.clear()

    def withdraw(self) -> None:
        """Take back what was shown: another process took the question over while the model
        wrote (this one froze past its claim), and it posts the answer. Best effort: a
        message Slack will not delete is logged, and stays."""
        self.status.clear()
        self._end_quietly()
        for ts in self._opened:
            try:
                self.client.chat_delete(channel=self.place.channel, ts=ts)
            except Exception as exc:
                logger.warning("could not take back a streamed message: %s", _describe(exc))
        self._opened = []

    def abort(self, text: str) -> None:
        """End whatever was shown and post a short message instead of an answer."""
        self.status.clear()
        self._end_quietly()
        self._post(text, [])

    # --- internals ---------------------------------------------------------------
    def _flush(self, *, final: bool) -> None:
        """Move pending text into messages, starting a new one at a clean break when full."""
        limit = self.pacing.part_chars
        while True:
            total = self._shown + self._pending
            if len(total.rstrip()) <= limit:
                room = len(self._pending)
                if not final:  # near a message's end, hold text back to choose where to cut
                    room = min(room, limit - self.pacing.lookahead_chars - len(self._shown))
                if room > 0:
                    self._push(self._pending[:room])
                    self._pending = self._pending[room:]
                return
            at = cut_point(total, limit, not_before=len(self._shown))
            close, reopen = fence_fix(total[:at])
            self._push(total[len(self._shown) : at].rstrip() + close)
            self._close([])
            self._pending = tail_after(reopen, total[at:])

    def _push(self, text: str) -> None:
        """Show more text in the current message, opening it if needed."""
        if not text:
            return
        if self.mode is Mode.stream:
            try:
                self._stream_append(text)
                self._shown += text
                return
            except SlackApiError as exc:
                if self._stream is not None and self._stream.ts:
                    raise  # it broke midway; the caller falls back
                logger.info("chat.startStream refused (%s): posting, then updating", _describe(exc))
                self.mode = Mode.update
                self._stream = None
        self._shown += text
        self._show_update([])

    def _stream_append(self, text: str) -> None:
        if self._stream is None:
            self._stream = self.client.chat_stream(
                buffer_size=1,  # we decide when to flush; every append is one call
                channel=self.place.channel,
                thread_ts=self.place.thread_ts,
                recipient_user_id=self.place.user_id,
                recipient_team_id=self.place.team_id,
            )
        self._stream.append(markdown_text=text)
        if self._stream.ts and self._stream.ts not in self._opened:
            self._opened.append(self._stream.ts)

    def _show_update(self, controls: list[blocks.Block]) -> None:
        content = blocks.text_blocks(self._shown) + controls
        if self._ts is None:
            response = self.client.chat_postMessage(
                channel=self.place.channel,
                thread_ts=self.place.thread_ts,
                text=self._shown,
                blocks=content,
            )
            self._ts = str(response["ts"])
            self._opened.append(self._ts)
        else:
            self.client.chat_update(
                channel=self.place.channel, ts=self._ts, text=self._shown, blocks=content
            )

    def _close(self, controls: list[blocks.Block]) -> str | None:
        """End the current message (with controls when given); returns its ts."""
        ts: str | None = None
        if self._stream is not None:
            self._stream.stop(blocks=controls or None)
            ts = self._stream.ts
        elif self._ts is not None:
            if controls:
                self._show_update(controls)
            ts = self._ts
        self._stream, self._ts, self._shown = None, None, ""
        return ts

    def _end_quietly(self) -> None:
        try:
            self._close([])
        except Exception as exc:
            logger.warning("could not end the streamed message: %s", _describe(exc))
        self._stream, self._ts, self._shown, self._pending = None, None, "", ""

    def _post_whole(self, text: str, controls: list[blocks.Block]) -> str | None:
        return post_whole(self.client, self.place, text, controls, self.pacing.part_chars)

    def _post(self, text: str, controls: list[blocks.Block]) -> str:
        return post(self.client, self.place, text, controls)


def post_whole(
    client: WebClient, place: Place, text: str, controls: list[blocks.Block], part_chars: int
) -> str | None:
    """An answer posted in one go (split where long), controls under the last part; its ts."""
    parts = split_text(text or EMPTY, part_chars)
    ts = None
    for i, part in enumerate(parts):
        ts = post(client, place, part, controls if i == len(parts) - 1 else [])
    return ts


def post(client: WebClient, place: Place, text: str, controls: list[blocks.Block]) -> str:
    response = client.chat_postMessage(
        channel=place.channel,
        thread_ts=place.thread_ts,
        text=text,
        blocks=blocks.text_blocks(text) + controls,
    )
    return str(response["ts"])


def _describe(exc: Exception) -> str:
    """A Slack error code, or the exception's type: never a token or a request body."""
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error"))
    return type(exc).__name__
