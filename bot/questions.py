"""Every question is answered at least once and delivered exactly once, across crashes.

A question is stored with the person's message (`bot.store.questions`), claimed
by the process answering it. The claim lasts RECOVER_AFTER_S and this process
renews it while it works (a slow model, a send retried with back-off), so a
live answer is never taken over. When the process dies its claims stop being
renewed: on the same host they are free at once (its pid is gone, as for leases,
`bot.leases.dead_here`), elsewhere once they lapse. Then any process's recovery
(`bot.recovery`) claims the question by compare-and-set, so two never both
answer it, and its channel delivers it.

The reply is recorded only while the claim is still ours, and the question is
marked delivered (`posted`) in a write of its own right after the platform took
the answer: a crash can then repeat an answer only in the milliseconds between
the two (and Slack's delivery looks for the answer in the thread first).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from bot import store
from bot.db import write_transaction
from bot.leases import dead_here, new_owner
from bot.store.questions import Pending
from bot.tables import QuestionState, utcnow

logger = logging.getLogger(__name__)


class Questions:
    """This process's claims on questions: taken, renewed while it works, given up."""

    def __init__(self, engine: Engine, *, hold_s: float, owner: str | None = None) -> None:
        self.engine = engine
        self.hold_s = hold_s
        self.owner = owner or new_owner()
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    def until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.hold_s)

    # --- this process's work -----------------------------------------------------
    def hold(self, question_id: int) -> None:
        """Keep renewing our claim on this question until it is delivered or given up."""
        with self._lock:
            self._held.add(question_id)
            if self._renewer is None:
                self._renewer = threading.Thread(
                    target=_renew_every,
                    args=(weakref.ref(self), self.hold_s / 3),
                    name="question-claims",
                    daemon=True,
                )
                self._renewer.start()

    def holds(self, question_id: int) -> bool:
        with self._lock:
            return question_id in self._held

    def let_go(self, question_id: int) -> None:
        """Stop holding a question without a word to the database (done, or someone else's)."""
        self._drop(question_id)

    def _drop(self, question_id: int) -> None:
        with self._lock:
            self._held.discard(question_id)

    def renew(self) -> int:
        """Hold every claim in hand for another RECOVER_AFTER_S; how many are still ours."""
        with self._lock:
            held = sorted(self._held)
        if not held:
            return 0
        with write_transaction(self.engine) as connection:
            return store.renew_on(
                connection, owner=self.owner, question_ids=held, until=self.until()
            )

    def placed(self, question_id: int, placeholder_id: str) -> None:
        """A message now stands where the answer will be written (Telegram's placeholder): kept
        before the answer goes out, so a delivery repeated after a crash edits that message."""
        with write_transaction(self.engine) as connection:
            store.set_placeholder_on(
                connection, question_id=question_id, placeholder_id=placeholder_id
            )

    def posted(self, question_id: int | None, *, reply_id: int, posted_as: str | None) -> None:
        """The platform took the answer: the question is done (written now, not batched)."""
        if question_id is None:
            return
        try:
            with write_transaction(self.engine) as connection:
                store.close_on(
                    connection,
                    question_id=question_id,
                    state=QuestionState.posted,
                    reply_id=reply_id,
                    posted_as=posted_as,
                )
        finally:
            self._drop(question_id)

    def closed(self, question_id: int, state: QuestionState) -> None:
        """Done without an answer: a note was posted instead (`noted`), or nothing (`expired`)."""
        try:
            with write_transaction(self.engine) as connection:
                store.close_on(connection, question_id=question_id, state=state)
        finally:
            self._drop(question_id)

    def failed(self, question_id: int | None) -> None:
        """Answering or delivering it failed here: stop holding it, so recovery takes it (at
        once if the database lets us say so, else when the claim lapses)."""
        if question_id is None:
            return
        self._drop(question_id)
        try:
            with write_transaction(self.engine) as connection:
                store.release_on(connection, question_id=question_id, owner=self.owner)
        except Exception as exc:  # the database is the likely cause: the claim lapses instead
            logger.warning("question %s: claim left to lapse (%s)", question_id, type(exc).__name__)

    # --- taking questions over ------------------------------------------------------
    def take_on(self, connection: Connection, question: Pending) -> Pending | None:
        """Claim an open question that nobody works on now: as it stands once ours (its reply
        may have come meanwhile), or None if someone works on it."""
        if not self.free(question):
            return None
        taken = store.claim_on(
            connection,
            question_id=question.id,
            owner=self.owner,
            until=self.until(),
            was_owner=question.owner,
            was_until=question.claimed_until,
        )
        if not taken:
            return None
        self.hold(question.id)
        return store.question_on(connection, question_id=question.id)

    def free(self, question: Pending, now: datetime | None = None) -> bool:
        """Whether an open question may be taken: unclaimed, its claim lapsed, or its holder died
        on this host; never while this process itself works on it."""
        if question.state not in (QuestionState.asked, QuestionState.answered):
            return False
        if question.owner == self.owner and self.holds(question.id):
            return False
        lapsed = question.claimed_until is None or question.claimed_until < (now or utcnow())
        return not question.owner or lapsed or dead_here(question.owner)

    def due(self, channels: Sequence[str], *, limit: int = 50) -> list[Pending]:
        """Claim the open questions of these channels that nobody works on; the ones we got."""
        with self.engine.connect() as connection:
            found = store.open_questions_on(connection, channels=channels, limit=limit)
        now = utcnow()
        taken = []
        for question in found:
            if not self.free(question, now):
                continue
            with write_transaction(self.engine) as connection:
                mine = self.take_on(connection, question)
            if mine is not None:
                taken.append(mine)
        return taken


def _renew_every(ref: weakref.ref[Questions], every_s: float) -> None:
    """The claims' heartbeat; ends when its `Questions` is gone."""
    while True:
        time.sleep(every_s)
        questions = ref()
        if questions is None:
            return
        try:
            questions.renew()
        except Exception as exc:  # kept trying: the database may be back by the next beat
            logger.warning("could not renew question claims: %s", type(exc).__name__)
        del questions
