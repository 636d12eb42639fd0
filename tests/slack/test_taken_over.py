"""A process that froze past its claim takes back what it had shown of the answer.

Another process took the question over meanwhile and posts the answer itself (see
`tests/test_crash_recovery.py`), so the thread must not keep this one's half answer.
Through the real bolt `App` against the fake Web API, with a model that streams.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from bot.app import build_core
from bot.backends.base import ChatMessages, Completion, OnDelta
from bot.channels.slack import build_slack_app
from bot.tables import Question, Reply
from tests.slack.conftest import STREAMED, Bot
from tests.support.demo import with_demo
from tests.support.models import FakeModel, with_model
from tests.support.slack_server import BOT_USER, FakeSlack, message


class TakenOverMidAnswer(FakeModel):
    """Streams half its answer; then another process takes the question over; then the rest."""

    def __init__(self, engine: Any) -> None:
        super().__init__(pieces=4)
        self.engine = engine

    def complete(
        self, messages: ChatMessages, *, model: str, on_delta: OnDelta | None = None
    ) -> Completion:
        parts = self.parts()
        for i, part in enumerate(parts):
            if on_delta is not None:
                on_delta(part)
            if i == 1:  # what another process's recovery does once the claim lapsed
                with Session(self.engine) as session:
                    for question in session.exec(select(Question)).all():
                        question.owner = "another-process"
                        session.add(question)
                    session.commit()
        return Completion("".join(parts), model, prompt_tokens=20, completion_tokens=20)


def test_a_half_streamed_answer_is_taken_back_when_the_question_was_taken_over(
    slack_settings: Any, fake_slack: FakeSlack
) -> None:
    settings = slack_settings()
    core = build_core(settings)
    with_demo(settings.resolved_database_url)
    core = with_model(core, TakenOverMidAnswer(core.engine))
    bot = Bot(build_slack_app(core, settings, pacing=STREAMED), core, fake_slack, settings)
    asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
    bot.deliver(asked)
    bot.drain()
    assert fake_slack.calls("chat.startStream")  # half of it was shown
    assert fake_slack.shown("C0GENERAL", asked["ts"]) == []  # and then taken back
    streamed = {c.args["ts"] for c in fake_slack.calls("chat.appendStream")}
    assert streamed and [c.args["ts"] for c in fake_slack.calls("chat.delete")] == sorted(streamed)
    assert bot.rows(Reply) == []  # the other process records and posts the answer
    core.engine.dispose()
