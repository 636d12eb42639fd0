"""Questions left unanswered are answered later, once, by whichever process finds them first.

The core decides what is owed (`bot.questions` claims a question nobody works
on); each channel's `Courier` knows how to deliver into its platform: clear what
the question left behind (Slack's "is thinking…"), say sorry for the wait, and
post the answer with its controls. A question the model never answered is
answered now; one whose answer was ready but never got out is sent as it was
(never replaced by an apology). Found later than RECOVER_WITHIN_S without an
answer, it gets a polite note instead; after a day it is closed without a word.

Every process that starts runs `recover` once, and then now and then: the
worker as a scheduler job (`bot.scheduler`), any other service on a thread of
its own (`Recovering`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from bot.errors import Repeated
from bot.messages import Answer
from bot.store.questions import Pending
from bot.tables import QuestionState, utcnow

if TYPE_CHECKING:
    from bot.app import Core
    from bot.channels import Channel

logger = logging.getLogger(__name__)

SORRY_LATE = (
    "Sorry for the wait: something went wrong on my side, but I had your message. "
    "Here is my answer. / Perdona la espera: algo falló por mi parte, pero tenía tu "
    "mensaje. Aquí va mi respuesta."
)
TOO_LATE = (
    "Sorry, I missed your message earlier and couldn't answer it in time. Please ask me "
    "again and I'll answer right away. / Perdona, no pude responder a tu mensaje a tiempo. "
    "Pregúntame de nuevo y te respondo enseguida."
)
EXPIRED_AFTER = timedelta(days=1)  # nobody waits for an answer, or a note, this long
EVERY_S = 15.0  # how often a running process looks (at most; see `every`)


@dataclass(frozen=True)
class Late:
    """One question to deliver late: what to say first, and its answer (None: say only that).

    `placed` keeps the platform id of a message posted before the answer that the answer
    is then written into (Telegram), so a delivery repeated after a crash edits it."""

    pending: Pending
    first: str
    answer: Callable[[], Answer] | None
    placed: Callable[[str], None] | None = None


class Courier(Protocol):
    """How a channel delivers a late question into its platform (`Channel.courier`)."""

    def deliver(self, late: Late) -> str | None:
        """Clear what the question left behind, post `late.first`, then the answer
        `late.answer()` gives with its controls; the platform id of the answer's message.

        Raise when it could not be delivered (the question is then tried again later)."""


@dataclass
class Recovered:
    answered: int = 0
    noted: int = 0
    expired: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.answered or self.noted or self.expired or self.failed)


def couriers(core: Core, channels: list[Channel] | None = None) -> dict[str, Courier]:
    """The couriers of the configured channels (or of `channels`) that can post now."""
    from bot.channels import configured

    found: dict[str, Courier] = {}
    for channel in configured(core.settings) if channels is None else channels:
        courier = channel.courier(core)
        if courier is not None:
            found[channel.name] = courier
    return found


def recover(core: Core, by: Mapping[str, Courier], *, limit: int = 50) -> Recovered:
    """Claim every question of these channels that nobody works on, and deliver it."""
    done = Recovered()
    if not by:
        return done
    for pending in core.questions.due(list(by), limit=limit):
        _deliver(core, by[pending.channel], pending, done)
    if done:
        logger.info(
            "recovered questions: %d answered, %d noted, %d expired, %d to try again",
            done.answered,
            done.noted,
            done.expired,
            done.failed,
        )
    return done


def _deliver(core: Core, courier: Courier, pending: Pending, done: Recovered) -> None:
    questions = core.questions
    age = utcnow() - pending.created_at
    if age > EXPIRED_AFTER:
        questions.closed(pending.id, QuestionState.expired)
        done.expired += 1
        return
    answered: list[Answer] = []

    def answer() -> Answer:
        answered.append(core.responder.answer_pending(pending))
        return answered[-1]

    try:
        if pending.reply_id is None and age.total_seconds() > core.settings.recover_within_s:
            courier.deliver(Late(pending, TOO_LATE, None))
            questions.closed(pending.id, QuestionState.noted)
            done.noted += 1
            return
        placed = functools.partial(questions.placed, pending.id)
        posted_as = courier.deliver(Late(pending, SORRY_LATE, answer, placed))
        reply_id = answered[-1].reply_id if answered else pending.reply_id
        questions.posted(pending.id, reply_id=reply_id or 0, posted_as=posted_as)
        done.answered += 1
    except Repeated:  # another process took it over meanwhile: it delivers
        questions.let_go(pending.id)
    except Exception as exc:
        logger.warning(
            "question %s on %s could not be delivered yet: %s",
            pending.id,
            pending.channel,
            type(exc).__name__,
        )
        questions.failed(pending.id)
        done.failed += 1


def every(core: Core) -> float:
    """How often a running process looks: often enough that a lapsed claim waits little."""
    return min(EVERY_S, max(core.settings.recover_after_s / 2, 1.0))


class Recovering:
    """Recovery on a thread of its own, for a process without a scheduler: once as it starts,
    then every `every(core)` seconds. A `bot.worker.Part`."""

    name = "recovery of unanswered questions"

    def __init__(self, core: Core, channels: list[Channel] | None = None) -> None:
        self.core = core
        self.channels = channels
        self.failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="recovery", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        by = couriers(self.core, self.channels)
        while True:
            try:
                recover(self.core, by)
            except Exception as exc:  # the database is away: look again next time
                logger.warning("recovery could not look for questions: %s", type(exc).__name__)
            if self._stop.wait(every(self.core)):
                return

    def halt(self) -> None:
        self._stop.set()

    def wait(self, timeout: float) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
