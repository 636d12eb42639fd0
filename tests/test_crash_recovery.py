"""A bot killed while its model answers: every question is answered once, after an apology.

Real `afina` processes are killed with SIGKILL while the fake model holds their
questions (nothing of the process survives: no drain, no flush), then started
again, or their questions are left to other processes: each question is then
answered exactly once, in its own thread or chat, after a short apology, and
Slack's stuck "is thinking…" is cleared. A delivery repeated after the crash is
answered once too, and two processes recovering at the same moment never both
answer (on PostgreSQL as well).
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from bot.app import build_core
from bot.channels.slack import build_slack_app
from bot.config import Settings
from bot.recovery import SORRY_LATE, TOO_LATE, couriers, recover
from bot.tables import Question, QuestionState, Reply
from tests.support.launch import Afina
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import free_port, listening, wait_for
from tests.support.slack_server import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlack,
    Shown,
    event,
    message,
    signed,
)
from tests.support.slack_socket import FakeSocketMode
from tests.support.telegram_server import (
    TOKEN,
    Call,
    FakeTelegram,
    group_chat,
    mention,
    message_update,
    private_chat,
    user,
)
from tests.telegram.harness import polling

HOOK_SECRET = "hook-secret-for-tests"
PLACEHOLDER = "One moment 🌱 I'm writing your answer…"
CUSTOMER = 4242
GROUP = group_chat(-100777)
ASKER = 4343


@dataclass
class World:
    """The fakes a bot talks to, its settings, and the processes started on them."""

    tmp: Path
    database_url: str
    model: FakeOpenAI
    slack: FakeSlack
    telegram: FakeTelegram
    port: int = field(default_factory=free_port)
    started: list[Afina] = field(default_factory=list)

    def env(self, **more: str) -> dict[str, str]:
        return {
            "AFINA_HOME": str(self.tmp / "home"),
            "DATABASE_URL": self.database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.telegram.api_url,
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": self.model.base_url,
            "OPENAI_MAX_RETRIES": "0",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            **more,
        }

    def start(self, *args: str, **more: str) -> Afina:
        name = f"{args[0]}-{len(self.started)}"
        bot = Afina(list(args), self.env(**more), self.tmp, self.tmp / f"{name}.log").start()
        self.started.append(bot)
        return bot

    def settings(self, **more: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.slack.api_url,
            "telegram_bot_token": TOKEN,
            "telegram_api_url": self.telegram.api_url,
            "openai_api_key": "sk-test",
            "openai_base_url": self.model.base_url,
            "openai_max_retries": 0,
        }
        return Settings(**(values | more))

    def listening(self, bot: Afina) -> None:
        wait_for(lambda: listening(self.port) or not bot.running, 90, "the server")
        assert bot.running, bot.output()[-3000:]

    def mention(self, text: str) -> dict[str, Any]:
        """A signed Slack mention posted to the running server; the event it carried."""
        payload = event(message(f"<@{BOT_USER}> {text}", kind="app_mention"))
        self.post_slack(payload)
        return payload

    def post_slack(self, payload: dict[str, Any], retry: int | None = None) -> None:
        body = json.dumps(payload)
        headers = signed(body)
        if retry is not None:
            headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        url = f"http://127.0.0.1:{self.port}/slack/events"
        assert httpx.post(url, content=body, headers=headers, timeout=10).status_code == 200

    def post_update(self, update: dict[str, Any]) -> None:
        url = f"http://127.0.0.1:{self.port}/telegram/webhook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
        assert httpx.post(url, json=update, headers=headers, timeout=10).status_code == 200

    def rows(self, table: type) -> list[Any]:
        engine = build_core(self.settings()).engine
        with Session(engine) as session:
            found = list(session.exec(select(table)).all())
        engine.dispose()
        return found


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    model, slack, telegram = FakeOpenAI().start(), FakeSlack().start(), FakeTelegram().start()
    model.hold_chat()
    made = World(tmp_path, database_url, model, slack, telegram)
    yield made
    model.release_chat()
    for bot in made.started:
        bot.stop()
    for fake in (model, slack, telegram):
        fake.stop()


def thread_of(slack: FakeSlack, asked: dict[str, Any]) -> list[Shown]:
    inner = asked["event"]
    return sorted(slack.shown(inner["channel"], inner["ts"]), key=lambda m: float(m.ts))


def answered_once_after_sorry(slack: FakeSlack, asked: dict[str, Any]) -> Shown:
    """The thread holds the apology, then exactly one answer (with its controls)."""
    shown = thread_of(slack, asked)
    answers = [m for m in shown if "actions" in m.block_types()]
    assert len(answers) == 1, [m.text for m in shown]
    assert [m.text for m in shown] == [SORRY_LATE, answers[0].text], [m.text for m in shown]
    return answers[0]


def placeholders_kept(world: World, count: int) -> None:
    """Wait until `count` Telegram questions have their placeholder's id stored."""
    kept = lambda: sum(bool(q.placeholder_id) for q in world.rows(Question)) >= count  # noqa: E731
    wait_for(kept, 30, "the placeholders")


def answers_in(telegram: FakeTelegram, chat_id: int | None = None) -> list[Call]:
    """The messages in a chat that read as an answer (they carry its rating buttons)."""
    return [m for m in telegram.shown(chat_id) if m.buttons]


def answered_in_the_placeholder_then_sorry(telegram: FakeTelegram, chat_id: int) -> Call:
    """The chat holds one answer, written into the placeholder posted before the crash (never
    posted as a message of its own), then the apology quoting it; the answer."""
    answer, sorry = telegram.shown(chat_id)
    assert answer.buttons and answers_in(telegram, chat_id) == [answer]
    assert sorry["text"].startswith("Sorry for the wait") and not sorry.buttons
    assert sorry["reply_parameters"]["message_id"] == answer.message_id
    [posted] = [
        c
        for c in telegram.called("sendMessage")
        if isinstance(c.result, dict) and c.result.get("message_id") == answer.message_id
    ]
    assert posted["text"] == PLACEHOLDER and not posted.buttons
    assert not [c for c in telegram.called("sendMessage") if c.chat_id == chat_id and c.buttons]
    return answer


def slack_answers(slack: FakeSlack, asked: dict[str, Any]) -> int:
    return sum("actions" in m.block_types() for m in thread_of(slack, asked))


def test_serve_killed_mid_answer_answers_each_question_once_when_it_starts_again(
    world: World,
) -> None:
    first = world.start(
        "serve",
        TELEGRAM_WEBHOOK_URL="https://bot.example/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET=HOOK_SECRET,
    )
    world.listening(first)
    shipping = world.mention("how much is shipping?")
    refills = world.mention("do you sell refills?")
    private = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to Canarias?")
    text = "@afina_test_bot do you ship abroad?"
    grouped = message_update(GROUP, user(ASKER), text, entities=mention(text))
    world.post_update(private)
    world.post_update(grouped)
    world.model.wait_answering(4)
    world.slack.wait(lambda: bool(world.slack.calls("assistant.threads.setStatus")), 20)
    placeholders_kept(world, 2)
    first.kill()  # mid-answer: "is thinking…" shows, nothing was answered
    assert world.slack.answers() == [] and not answers_in(world.telegram)

    world.model.release_chat()
    again = world.start(
        "serve",
        TELEGRAM_WEBHOOK_URL="https://bot.example/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET=HOOK_SECRET,
    )
    world.slack.wait_answered(2, timeout=90)
    assert world.telegram.wait_until(lambda fake: len(fake.shown()) >= 4, 60), again.output()
    for asked in (shipping, refills):
        answered_once_after_sorry(world.slack, asked)
    cleared = [c.args for c in world.slack.calls("assistant.threads.setStatus")]
    for asked in (shipping, refills):
        assert {
            "channel_id": asked["event"]["channel"],
            "thread_ts": asked["event"]["ts"],
            "status": "",
        }.items() <= next(
            a for a in cleared if a.get("thread_ts") == asked["event"]["ts"] and a["status"] == ""
        ).items()
    answered_in_the_placeholder_then_sorry(world.telegram, CUSTOMER)
    answer = answered_in_the_placeholder_then_sorry(world.telegram, GROUP["id"])
    assert answer["reply_parameters"]["message_id"] == grouped["message"]["message_id"]

    # Slack and Telegram deliver again what they think was lost: answered already.
    world.post_slack(shipping, retry=1)
    world.post_update(private)
    world.listening(again)
    world.slack.wait(lambda: len(world.slack.calls("chat.postMessage")) >= 4, 5)
    again.stop()
    assert slack_answers(world.slack, shipping) == 1
    assert len(world.telegram.shown(CUSTOMER)) == 2
    states = {q.state for q in world.rows(Question)}
    assert states == {QuestionState.posted}, states
    assert len(world.rows(Reply)) == 4


def test_worker_killed_mid_answer_recovers_socket_mode_and_polling(world: World) -> None:
    socket = FakeSocketMode().start()
    world.slack.socket_url = socket.url
    try:
        first = world.start("worker", SLACK_APP_TOKEN=APP_TOKEN)
        socket.wait_connected(90)
        asked = event(message(f"<@{BOT_USER}> do you ship?", kind="app_mention"))
        socket.push(asked)
        world.telegram.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Refills?"))
        world.model.wait_answering(2)
        placeholders_kept(world, 1)
        first.kill()

        world.model.release_chat()
        world.start("worker", SLACK_APP_TOKEN=APP_TOKEN)  # its scheduler's recovery job
        world.slack.wait_answered(1, timeout=90)
        assert world.telegram.wait_until(lambda fake: len(fake.shown(CUSTOMER)) >= 2, 60)
        answered_once_after_sorry(world.slack, asked)
        answered_in_the_placeholder_then_sorry(world.telegram, CUSTOMER)
    finally:
        for bot in world.started:  # before the socket: it waits for its connections to close
            bot.stop()
        socket.stop()


def killed_with_questions(world: World, count: int) -> list[dict[str, Any]]:
    """`afina slack` killed while the model holds `count` questions; their events."""
    bot = world.start("slack")
    world.listening(bot)
    asked = [world.mention(f"question number {n}?") for n in range(count)]
    world.model.wait_answering(count)
    bot.kill()
    world.model.release_chat()
    return asked


def test_a_redelivery_after_the_crash_is_answered_once_after_an_apology(world: World) -> None:
    [asked] = killed_with_questions(world, 1)
    core = build_core(world.settings())  # the next process: Slack redelivers before it looks
    app = build_slack_app(core)
    body = json.dumps(asked)
    headers = signed(body) | {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    from slack_bolt import BoltRequest

    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    world.slack.wait_answered(1, timeout=30)
    assert not recover(core, couriers(core))  # nothing left to recover
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200  # once more
    app.listener_runner.listener_executor.shutdown(wait=True)
    answered_once_after_sorry(world.slack, asked)
    core.engine.dispose()


def test_a_process_killed_after_its_apology_leaves_the_thread_one_apology(world: World) -> None:
    """Killed mid-answer, then the next process killed too, after its apology went out and
    while its model answered: the third says sorry no more and answers once."""
    quick = {"RECOVER_AFTER_S": "2"}
    first = world.start("slack", **quick)
    world.listening(first)
    asked = world.mention("do you sell refills?")
    world.model.wait_answering(1)
    first.kill()
    second = world.start("slack", **quick)  # its recovery says sorry, then asks the model
    said_sorry = lambda: [m.text for m in thread_of(world.slack, asked)] == [SORRY_LATE]  # noqa: E731
    world.slack.wait(said_sorry, 60)
    world.model.wait_answering(2)
    second.kill()
    world.model.release_chat()
    world.start("slack", **quick)
    world.slack.wait_answered(1, timeout=90)
    answered_once_after_sorry(world.slack, asked)
    wait_for(
        lambda: {q.state for q in world.rows(Question)} == {QuestionState.posted}, 30, "posted"
    )


def test_two_processes_recovering_at_once_answer_each_question_once(world: World) -> None:
    asked = killed_with_questions(world, 6)
    cores = [build_core(world.settings()) for _ in range(2)]
    results: list[Any] = []
    go = threading.Barrier(2)

    def recover_now(core: Any) -> None:
        by = couriers(core)
        go.wait()
        results.append(recover(core, by))

    threads = [threading.Thread(target=recover_now, args=(core,)) for core in cores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(result.answered for result in results) == 6, results
    for question in asked:
        answered_once_after_sorry(world.slack, question)
    assert len(world.model.chat_requests()) == 6 + 6  # killed mid-answer, then once each
    for core in cores:
        core.engine.dispose()


def test_a_question_found_too_late_gets_a_note_instead(world: World) -> None:
    [asked] = killed_with_questions(world, 1)
    asked_before = len(world.model.chat_requests())
    core = build_core(world.settings(recover_within_s=0))
    done = recover(core, couriers(core))
    core.engine.dispose()
    assert (done.answered, done.noted) == (0, 1)
    [note] = thread_of(world.slack, asked)
    assert note.text == TOO_LATE and not note.action_ids()
    assert len(world.model.chat_requests()) == asked_before  # the model was not asked again
    assert {q.state for q in world.rows(Question)} == {QuestionState.noted}


def test_a_frozen_process_loses_its_questions_to_a_running_one_once_its_claim_lapses(
    world: World,
) -> None:
    """A process that stops without dying (frozen, cut off from the database) keeps no
    question: once its claim lapses a running process answers it after an apology (waiting
    as Telegram's 429 asks), and the frozen one, back, answers nothing."""
    webhook = {
        "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": HOOK_SECRET,
        "RECOVER_AFTER_S": "2",
    }
    frozen = world.start("serve", **webhook)
    world.listening(frozen)
    asked = world.mention("how much is shipping?")
    world.post_update(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Canarias?"))
    world.model.wait_answering(2)
    placeholders_kept(world, 1)
    assert frozen.process is not None
    frozen.process.send_signal(signal.SIGSTOP)
    try:
        world.model.release_chat()
        world.telegram.fail_next("sendMessage", 429, "Too Many Requests", retry_after=1)
        world.start("serve", PORT=str(free_port()), **webhook)  # no traffic: only recovery
        world.slack.wait_answered(1, timeout=90)
        assert world.telegram.wait_until(lambda fake: len(fake.shown(CUSTOMER)) >= 2, 60)
    finally:
        frozen.process.send_signal(signal.SIGCONT)
    wait_for(lambda: frozen.output().count("was taken over") >= 2, 30, "the frozen one")
    answered_once_after_sorry(world.slack, asked)
    answer, limited, sorry = world.telegram.sent(CUSTOMER)  # the placeholder, written in
    assert limited.result["error_code"] == 429 and sorry.at - limited.at >= 1.0
    assert answered_in_the_placeholder_then_sorry(world.telegram, CUSTOMER) == answer
    assert {q.state for q in world.rows(Question)} == {QuestionState.posted}
    assert len(world.rows(Reply)) == 2  # the frozen process's reply was never written


def test_a_telegram_update_delivered_again_after_the_crash_is_answered_once(
    world: World,
) -> None:
    killed = world.start("telegram")
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you sell refills?")
    world.telegram.push(update)
    world.model.wait_answering(1)
    placeholders_kept(world, 1)
    killed.kill()  # the update was taken from Telegram; its question is stored, unanswered
    world.model.release_chat()
    settings = world.settings()
    core = build_core(settings)

    async def delivered_again() -> None:  # the next process, before its recovery looks
        async with polling(core, settings, world.telegram) as running:
            world.telegram.push(update)
            await running.until(lambda fake: len(fake.shown(CUSTOMER)) >= 2, timeout=30)
            world.telegram.push(update)  # and once more: answered already
            await running.settle()

    asyncio.run(delivered_again())
    assert not recover(core, couriers(core))  # nothing left owed
    core.engine.dispose()
    answered_in_the_placeholder_then_sorry(world.telegram, CUSTOMER)
    assert {q.state for q in world.rows(Question)} == {QuestionState.posted}


WEBHOOK = {
    "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook",
    "TELEGRAM_WEBHOOK_SECRET": HOOK_SECRET,
}


def killed_once_telegram_took_the_answer(world: World) -> Question:
    """`afina serve` SIGKILLed after Telegram took the answer (the call with its buttons)
    and before the bot heard so; then started again. The question, as the kill left it."""
    world.model.release_chat()
    world.telegram.hold_answer(60)  # Telegram takes the answer; the bot waits to hear so
    killed = world.start("serve", **WEBHOOK)
    world.listening(killed)
    world.post_update(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Refills?"))
    assert world.telegram.wait_until(lambda fake: bool(answers_in(fake, CUSTOMER)), 60)
    killed.kill()
    [question] = world.rows(Question)
    assert question.state == QuestionState.answered  # its delivery was never recorded
    world.telegram.hold_answer(0)
    world.start("serve", **WEBHOOK)
    return question


def test_an_answer_telegram_took_just_before_the_kill_is_not_posted_again(world: World) -> None:
    """SIGKILL after Telegram took the answer (written into the placeholder) and before the
    bot heard so and recorded the delivery: the next process delivers it again, into the
    same message, and the person sees one answer (then the apology), never two."""
    killed_once_telegram_took_the_answer(world)
    assert world.telegram.wait_until(lambda fake: len(fake.shown(CUSTOMER)) >= 2, 60)
    wait_for(
        lambda: {q.state for q in world.rows(Question)} == {QuestionState.posted}, 30, "posted"
    )
    answer = answered_in_the_placeholder_then_sorry(world.telegram, CUSTOMER)
    taken, again = world.telegram.called("editMessageText")
    assert again["message_id"] == taken["message_id"] == str(answer.message_id)
    assert "not modified" in again.result["description"]


def test_a_long_answer_delivered_again_after_a_kill_posts_no_part_twice(world: World) -> None:
    """A two-part answer: SIGKILL after Telegram took its last part and before the delivery
    was recorded. The next process writes both parts into the same two messages again, so
    the chat reads the answer once: two parts, then the apology."""
    paragraph = "Refills, step by step. " + "Bring the bottle, we weigh it and fill it. " * 50
    long_answer = "\n\n".join(f"{n}. {paragraph.strip()}" for n in range(1, 3))
    assert 4096 < len(long_answer) < 8000
    world.model.reply(long_answer)
    question = killed_once_telegram_took_the_answer(world)
    assert len((question.placeholder_id or "").split(",")) == 2  # both parts' messages kept
    assert world.telegram.wait_until(lambda fake: len(fake.shown(CUSTOMER)) >= 3, 60)
    wait_for(
        lambda: {q.state for q in world.rows(Question)} == {QuestionState.posted}, 30, "posted"
    )
    first, second, sorry = world.telegram.shown(CUSTOMER)
    assert "\n\n".join((first["text"], second["text"])) == long_answer
    assert not first.buttons and second.buttons and not sorry.buttons
    assert sorry["text"].startswith("Sorry for the wait")
    posted = [c["text"] for c in world.telegram.called("sendMessage") if c.chat_id == CUSTOMER]
    assert posted[:2] == [PLACEHOLDER, "…"]  # every part went into a message posted before
    edits = [c for c in world.telegram.called("editMessageText") if c.chat_id == CUSTOMER]
    assert [e["message_id"] for e in edits] == [str(first.message_id), str(second.message_id)] * 2


@contextmanager
def writes_held(world: World) -> Iterator[None]:
    """Another connection holds the database's write lock: no question can be stored."""
    engine = create_engine(world.database_url)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.begin()
            connection.execute(text("LOCK TABLE processedevent IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def test_an_update_polling_fetched_is_confirmed_only_once_stored(world: World) -> None:
    """SIGKILL after `afina telegram` fetched an update and before its question was stored
    (the database held it up): Telegram was never told it arrived, so it hands it to the
    next process, which answers it."""
    world.model.release_chat()
    killed = world.start("telegram", SQLITE_BUSY_TIMEOUT_S="120")
    assert world.telegram.wait_until(lambda fake: fake.polls >= 1, 90), killed.output()
    with writes_held(world):
        world.telegram.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Refills?"))
        assert world.telegram.wait_until(lambda fake: fake.served == 1, 30)
        # PTB's own updater asks for the next batch at once, which confirms this one:
        assert not world.telegram.wait_until(lambda fake: fake.polls > fake.last_batch_poll, 0.5)
        assert len(world.telegram.unconfirmed) == 1 and world.telegram.confirmed == 0
        killed.kill()
    assert world.rows(Question) == []  # it was never stored

    world.start("telegram")
    assert world.telegram.wait_until(lambda fake: bool(answers_in(fake, CUSTOMER)), 60)
    assert world.telegram.wait_until(lambda fake: fake.confirmed == 1, 30)
    [answer] = world.telegram.shown(CUSTOMER)
    [asked] = world.model.chat_requests()  # asked once, by the next process
    assert answer.buttons and "Refills?" in asked["messages"][-1]["content"]
    wait_for(
        lambda: {q.state for q in world.rows(Question)} == {QuestionState.posted}, 30, "posted"
    )
