"""Nothing lost, nothing twice: steady Slack and Telegram traffic while the bot keeps dying.

    .venv/bin/python -m bench.soak                 # about 3 minutes, then the drain
    .venv/bin/python -m bench.soak --short         # a 40-second smoke run
    .venv/bin/python -m bench.soak --seconds 600 --rate 4

`afina serve` (the real command, a real process) takes signed Slack `app_mention`
events at `/slack/events` and Telegram updates at `/telegram/webhook`, on PostgreSQL
(a throwaway cluster, `../shared/scripts/pg-throwaway`; SQLite when the server
binaries are absent, which the report says), with the OpenAI backend pointed at a
fake model that takes about a second to stream each answer. Questions arrive at a
steady `--rate` a second, alternating Slack and Telegram, each in a thread or a
private chat of its own. Meanwhile:

- the bot is killed with SIGKILL `--kill-every` seconds after it last came up (no
  drain, no flush: questions are mid-answer) and started again at once;
- PostgreSQL is restarted (`pg_ctl restart -m fast`) every `--pg-every` seconds;
- the model fails every `--model-fail-every` seconds: a single 500 (the client's
  own retry answers it) or, every other time, more 500s than it retries (the person
  gets the short "couldn't reach my model" reply, counted apart).

The platforms are played as they behave: a delivery that got no 200 (the bot was
down) is sent again after 1, 2, 5, 10, 30, 60, 120 and 300 s (Slack tries 3 times
over about 6 minutes, Telegram for longer). A person told "not saved, please send it
again" sends it again (a new message).

After the traffic the bot has until every delivery is taken (or given up) and every
question answered, `--drain` seconds at most (recovery runs at start and then every
15 s at most), then it is stopped and the bench prints: questions sent, answered (and
of them: with the model's fallback, after the late apology), answered twice, told to
send again, lost (no answer at all), Telegram answers delivered again into their
placeholder ("not modified": Telegram had the answer already, the bot had not heard) and
stray placeholders, deliveries never taken, and the p50 / p99 time from the first
delivery to the answer; it exits 1 unless 0 are lost and 0 answered
twice. The fakes run in this process; all share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.serve import ROOT, healthy
from bot.channels.telegram.texts import say_in
from bot.errors import NotSaved
from bot.responder import FALLBACK
from tests.support.launch import Afina
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import free_port, wait_for
from tests.support.slack_server import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    FakeSlack,
    event,
    message,
    signed,
)
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user

HOOK_SECRET = "soak-hook-secret"
# A delivery the bot did not take is sent again after these waits (Slack: immediately, after
# 1 min and after 5 min; Telegram keeps trying far longer).
RETRY_AFTER_S = (1, 2, 5, 10, 30, 60, 120, 300)
NOT_SAVED = NotSaved().message
PLACEHOLDERS = (say_in("en", "placeholder"), say_in("es", "placeholder"))  # never written in
FIRST_CUSTOMER = 700_000
SLACK_CHANNEL = "C0GENERAL"
# The shared scripts sit beside the checkout, or beside the folder of worktrees.
PG_THROWAWAY = (
    next(
        (p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()),
        ROOT.parent / "shared",
    )
    / "scripts"
    / "pg-throwaway"
)


@dataclass
class Question:
    """One thing a person asked, and every message they sent to ask it."""

    n: int
    channel: str  # slack | telegram
    first_sent: float
    keys: list[str] = field(default_factory=list)  # Slack: each message's ts; Telegram: chat
    answered_at: float | None = None
    resends: int = 0


@dataclass
class Seen:
    answers: dict[str, int] = field(default_factory=dict)
    not_saved: dict[str, int] = field(default_factory=dict)
    late: int = 0
    fallback: int = 0

    @staticmethod
    def count(keys: list[str], found: dict[str, int]) -> int:
        return sum(found.get(key, 0) for key in keys)


class Platforms:
    """The fake Slack, Telegram and model, and the person sending questions through them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.model = FakeOpenAI().start()
        self.slack = FakeSlack().start()
        self.telegram = FakeTelegram().start()
        for fake in (self.model, self.slack, self.telegram):  # a killed bot resets its
            fake.httpd.handle_error = lambda *_: None  # type: ignore[method-assign]  # calls
        self.model.stream_delay_s = 0.08  # about a second an answer: kills land mid-answer
        self.model.default_answer = (
            "Shipping to the Peninsula takes two working days and costs 4.95 euros; "
            "orders over 50 euros ship free."
        )
        self.questions: list[Question] = []
        self.undelivered = 0  # deliveries that never got a 200, even after every retry
        self.delivering = 0  # deliveries not yet taken nor given up
        self._lock = threading.Lock()
        self._sending = ThreadPoolExecutor(64, thread_name_prefix="platform")
        self._update_ids = iter(range(1, 10**9))
        self._ts = iter(range(1, 10**9))

    # --- sending, as the platforms deliver ------------------------------------------
    def ask(self, channel: str) -> Question:
        with self._lock:
            question = Question(len(self.questions), channel, time.monotonic())
            self.questions.append(question)
        self._send(question)
        return question

    def _send(self, question: Question) -> None:
        n = question.n
        if question.channel == "slack":
            ts = f"{1800000000 + next(self._ts)}.000100"
            text = f"<@{BOT_USER}> how much is shipping to Spain? (question {n})"
            inner = message(text, kind="app_mention", ts=ts, channel=SLACK_CHANNEL)
            body = json.dumps(event(inner, event_id=f"EvSoak{n}x{len(question.keys)}"))
            question.keys.append(ts)
            self._sending.submit(self._deliver, "/slack/events", body, "slack")
        else:
            chat = FIRST_CUSTOMER + n
            update = message_update(
                private_chat(chat), user(chat), f"Do you ship to Canarias? (question {n})"
            )
            update["update_id"] = next(self._update_ids)
            if not question.keys:
                question.keys.append(str(chat))
                self.telegram.chats.setdefault(chat, private_chat(chat))
            self._sending.submit(self._deliver, "/telegram/webhook", json.dumps(update), "telegram")

    def _deliver(self, path: str, body: str, channel: str) -> None:
        with self._lock:
            self.delivering += 1
        try:
            self._deliver_until_taken(path, body, channel)
        finally:
            with self._lock:
                self.delivering -= 1

    def _deliver_until_taken(self, path: str, body: str, channel: str) -> None:
        url = f"http://127.0.0.1:{self.port}{path}"
        for attempt, wait in enumerate((0, *RETRY_AFTER_S)):
            time.sleep(wait)
            if channel == "slack":
                headers = signed(body)
                if attempt:
                    headers |= {"x-slack-retry-num": str(attempt), "x-slack-retry-reason": "fail"}
            else:
                headers = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
            headers["content-type"] = "application/json"
            try:
                if httpx.post(url, content=body, headers=headers, timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass  # the bot is down: the platform tries again
        with self._lock:
            self.undelivered += 1

    # --- what people see ----------------------------------------------------------------
    def seen(self) -> Seen:
        """What the fakes show now: answers and "not saved" notes, by Slack thread and chat.

        An answer is a message with the answer's controls, or the model's fallback (which
        carries no rating buttons on Telegram). A Telegram message is read as it is now,
        its edits applied (the answer is written into a placeholder): it counts once
        however often it was edited, and a second message with the answer counts twice."""
        seen = Seen()
        for shown in self.slack.shown():
            if shown.stream_open:
                continue
            if "actions" in shown.block_types():
                seen.answers[shown.thread_ts] = seen.answers.get(shown.thread_ts, 0) + 1
            elif shown.text == NOT_SAVED:
                seen.not_saved[shown.thread_ts] = seen.not_saved.get(shown.thread_ts, 0) + 1
            elif shown.text.startswith("Sorry for the wait"):
                seen.late += 1
        for call in self.telegram.shown():
            chat, text = str(call.chat_id), str(call["text"])
            if call.buttons or text == FALLBACK:
                seen.answers[chat] = seen.answers.get(chat, 0) + 1
            elif text == NOT_SAVED:
                seen.not_saved[chat] = seen.not_saved.get(chat, 0) + 1
            elif text.startswith(("Sorry for the wait", "Perdona la espera")):
                seen.late += 1
            seen.fallback += text == FALLBACK
        seen.fallback += sum(m.text == FALLBACK for m in self.slack.answers())
        return seen

    def watch(self, stop: threading.Event) -> None:
        """Note when each question is first answered; send again what the bot said it lost."""
        while not stop.wait(0.2):
            seen = self.seen()
            with self._lock:
                open_ = [q for q in self.questions if q.answered_at is None]
            for question in open_:
                if seen.count(question.keys, seen.answers):
                    question.answered_at = time.monotonic()
                elif seen.count(question.keys, seen.not_saved) > question.resends:
                    question.resends += 1  # the person does what they were asked
                    self._send(question)

    def stop(self) -> None:
        self._sending.shutdown(wait=False, cancel_futures=True)
        for fake in (self.model, self.slack, self.telegram):
            fake.stop()


# --- the database -------------------------------------------------------------------------
@dataclass
class Database:
    url: str
    data_dir: str | None  # a PostgreSQL cluster we may restart; None: SQLite
    restarts: int = 0

    def restart(self) -> None:
        if self.data_dir is None:
            return
        pg_ctl = _pg_bin() / "pg_ctl"
        command = [str(pg_ctl), "-D", self.data_dir, "-m", "fast", "-w", "restart"]
        command += ["-l", str(Path(self.data_dir).parent / "log")]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, capture_output=True, check=True, timeout=60)
        self.restarts += 1


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    return found[-1]


@contextmanager
def database(home: Path, sqlite: bool) -> Iterator[Database]:
    if sqlite or not PG_THROWAWAY.exists() or not sorted(Path("/usr/lib/postgresql").glob("*/bin")):
        yield Database(f"sqlite:///{home / 'soak.db'}", None)
        return
    started = subprocess.run([str(PG_THROWAWAY)], capture_output=True, text=True, check=True)
    data_dir = started.stderr.strip().rsplit(" stop ", 1)[-1]
    try:  # the cluster is this run's alone (and is restarted under it): its own database
        yield Database(started.stdout.strip(), data_dir)
    finally:
        subprocess.run([str(PG_THROWAWAY), "stop", data_dir], check=False)


# --- the bot --------------------------------------------------------------------------------
class Bot:
    def __init__(self, platforms: Platforms, db: Database, home: Path) -> None:
        self.platforms = platforms
        self.home = home
        self.env = {
            "AFINA_HOME": str(home / "afina"),
            "DATABASE_URL": db.url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": platforms.slack.api_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": platforms.telegram.api_url,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": HOOK_SECRET,
            "OPENAI_API_KEY": "sk-soak",
            "OPENAI_BASE_URL": platforms.model.base_url,
            "OPENAI_MAX_RETRIES": "1",
            "HOST": "127.0.0.1",
            "PORT": str(platforms.port),
        }
        self.process: Afina | None = None
        self.kills = 0
        self.start_s: list[float] = []

    def start(self) -> None:
        started = time.monotonic()
        log = self.home / "afina.log"
        self.process = Afina(["serve"], self.env, self.home, log).start()
        process = self.process
        wait_for(lambda: healthy(self.platforms.port) or not process.running, 180, "afina serve")
        if not process.running:
            raise SystemExit(f"afina serve did not start:\n{process.output()[-3000:]}")
        self.start_s.append(time.monotonic() - started)

    def kill_and_restart(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.kills += 1
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.running:
            self.process.stop()


# --- the run --------------------------------------------------------------------------------
@dataclass
class Plan:
    seconds: float
    rate: float
    kill_every: float
    pg_every: float
    model_fail_every: float
    drain: float


def chaos(plan: Plan, bot: Bot, db: Database, platforms: Platforms, stop: threading.Event) -> None:
    """Kills, database restarts and model failures on their schedules, until `stop`."""
    began = time.monotonic()
    next_kill, next_pg, next_fail = plan.kill_every, plan.pg_every, plan.model_fail_every
    fails = 0
    restarting: threading.Thread | None = None
    while not stop.wait(0.2):
        now = time.monotonic() - began
        if now >= next_fail:
            if not platforms.model.script:  # none left from last time (the bot was down)
                fails += 1
                platforms.model.fail(500, times=1 if fails % 2 else 3)
            next_fail += plan.model_fail_every
        if now >= next_pg:
            db.restart()
            next_pg += plan.pg_every
        if now >= next_kill and (restarting is None or not restarting.is_alive()):
            restarting = threading.Thread(target=bot.kill_and_restart, daemon=True)
            restarting.start()
        if restarting is not None and restarting.is_alive():
            next_kill = now + plan.kill_every  # counted from when it is up again
    if restarting is not None:
        restarting.join()


def run(plan: Plan, sqlite: bool) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="afina-soak-"))
    platforms = Platforms(free_port())
    try:
        with database(home, sqlite) as db:
            bot = Bot(platforms, db, home)
            bot.start()
            figures = traffic(plan, bot, db, platforms)
            bot.stop()
            figures |= {"kills": bot.kills, "pg_restarts": db.restarts}
            figures |= {"database": "PostgreSQL" if db.data_dir else "SQLite"}
            if db.data_dir is None and not sqlite:
                figures["database"] += " (no PostgreSQL server binaries here: no restarts)"
            figures |= {"start_s": statistics.median(bot.start_s), "home": str(home)}
    finally:
        platforms.stop()
    return figures


def traffic(plan: Plan, bot: Bot, db: Database, platforms: Platforms) -> dict[str, Any]:
    stop_chaos, stop_watch = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=chaos, args=(plan, bot, db, platforms, stop_chaos), daemon=True),
        threading.Thread(target=platforms.watch, args=(stop_watch,), daemon=True),
    ]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - began) < plan.seconds:
        platforms.ask("slack" if n % 2 == 0 else "telegram")
        n += 1
        time.sleep(max(0.0, began + n / plan.rate - time.monotonic()))
    stop_chaos.set()
    threads[0].join()
    deadline = time.monotonic() + plan.drain
    while time.monotonic() < deadline and any(q.answered_at is None for q in platforms.questions):
        time.sleep(0.5)
    time.sleep(2)  # an answer posted twice would show by now
    stop_watch.set()
    threads[1].join()
    return tally(platforms, elapsed)


def tally(platforms: Platforms, elapsed: float) -> dict[str, Any]:
    questions = platforms.questions
    seen = platforms.seen()
    counts = {q.n: seen.count(q.keys, seen.answers) for q in questions}
    waits = sorted(q.answered_at - q.first_sent for q in questions if q.answered_at is not None)
    return {
        "seconds": elapsed,
        "sent": len(questions),
        "slack": sum(q.channel == "slack" for q in questions),
        "telegram": sum(q.channel == "telegram" for q in questions),
        "answered": sum(c >= 1 for c in counts.values()),
        "twice": sum(c > 1 for c in counts.values()),
        "twice_ids": [f"{q.channel}:{q.n}" for q in questions if counts[q.n] > 1][:20],
        "lost": sum(c == 0 for c in counts.values()),
        "lost_ids": [f"{q.channel}:{q.n}" for q in questions if counts[q.n] == 0][:20],
        "fallback": seen.fallback,
        "late": seen.late,
        "resent": sum(q.resends for q in questions),
        "undelivered": platforms.undelivered,
        "p50_s": statistics.median(waits) if waits else float("nan"),
        "p99_s": waits[max(0, round(len(waits) * 0.99) - 1)] if waits else float("nan"),
        "max_s": waits[-1] if waits else float("nan"),
        "model_calls": len(platforms.model.chat_requests()),
        "written_again": sum(
            "not modified" in str((c.result or {}).get("description", ""))
            for c in platforms.telegram.called("editMessageText")
            if isinstance(c.result, dict)
        ),
        "stray": sum(str(m["text"]).startswith(PLACEHOLDERS) for m in platforms.telegram.shown()),
    }


def report(plan: Plan, f: dict[str, Any]) -> None:
    print(
        f"afina serve soak · {f['seconds']:.0f} s at {plan.rate:g} questions/s "
        f"(Slack {f['slack']}, Telegram webhook {f['telegram']}) · {f['database']} · "
        f"{os.cpu_count()} CPU cores"
    )
    print(
        f"  faults: {f['kills']} SIGKILLs of the bot (median restart {f['start_s']:.1f} s), "
        f"{f['pg_restarts']} PostgreSQL restarts, model failing every "
        f"{plan.model_fail_every:g} s"
    )
    print(f"  messages sent        {f['sent']}")
    print(f"  answered             {f['answered']}")
    print(f"    with the fallback  {f['fallback']}  (the model failed past its retries)")
    print(f"    after the apology  {f['late']}  (recovered after a kill)")
    print(f"  told to send again   {f['resent']}  (the database was down; they did)")
    print(f"  answered twice       {f['twice']}  {' '.join(f['twice_ids'])}".rstrip())
    print(f"  lost                 {f['lost']}  {' '.join(f['lost_ids'])}".rstrip())
    print(
        f"  Telegram: {f['written_again']} answers delivered again into their placeholder "
        f"(already there: 'not modified'), {f['stray']} stray placeholders left"
    )
    print(f"  never delivered      {f['undelivered']}  (no 200 after every platform retry)")
    print(
        f"  time to answer       p50 {f['p50_s']:.2f} s · p99 {f['p99_s']:.2f} s · "
        f"max {f['max_s']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180, help="how long traffic runs")
    parser.add_argument("--rate", type=float, default=2.0, help="questions a second")
    parser.add_argument("--kill-every", type=float, default=30, help="SIGKILL the bot (s)")
    parser.add_argument("--pg-every", type=float, default=45, help="restart PostgreSQL (s)")
    parser.add_argument("--model-fail-every", type=float, default=7, help="model 500s (s)")
    parser.add_argument("--drain", type=float, default=600, help="most time left to answer (s)")
    parser.add_argument("--short", action="store_true", help="a 40-second smoke run")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    plan = Plan(
        args.seconds, args.rate, args.kill_every, args.pg_every, args.model_fail_every, args.drain
    )
    if args.short:
        plan = Plan(40, args.rate, 15, 25, 6, args.drain)
    figures = run(plan, args.sqlite)
    report(plan, figures)
    if figures["lost"] or figures["twice"]:
        raise SystemExit(f"the bot's log: {figures['home']}/afina.log")
    shutil.rmtree(figures["home"], ignore_errors=True)


if __name__ == "__main__":
    main()
