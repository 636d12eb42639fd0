"""What the Telegram channel costs per update, and how it holds up when 200 chats write at once.

    .venv/bin/python -m bench.telegram                  # both parts, well under a minute
    .venv/bin/python -m bench.telegram --updates 300 --burst 200

(a) Per-update overhead. Private text updates go one after another into the real
    `Application.process_update` of the bot `build_telegram_app` makes, each answered by
    the whole path (update id recorded once, typing action, the core responder with an
    instant fake model, the answer posted with its 👍 / 👎 / ✏️ keyboard, its message id
    noted for the next write), against a bare PTB `Application` whose handler only calls
    `reply_text()`, interleaved in the same run against the same fake Bot API. The core's
    own cost (`Responder.answer` alone, same database, same model) is timed too, so the
    Telegram layer's share shows on its own.
    The 1.5x target is read as in bench/slack.py: the channel's own overhead, with the
    core's work taken out of the comparison; the end-to-end ratio is printed too.
(b) Burst. 200 private chats write at once with a model that takes 1 s: the fake Bot API
    serves the 200 updates from `getUpdates` to the bot polling as `afina telegram` does,
    and the time until all 200 answers (with their keyboards) have reached it is measured,
    with typing actions and streamed drafts included, and the bot process's CPU time.
    The same 200 questions then go straight into the core on as many threads, with no
    Telegram at all: the floor under (b) on this machine.

The fake Bot API runs in its own process, so it does not steal the bot's interpreter
lock; the machine's other load still shows in the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler
from telegram.ext import filters as tg_filters

from bot.app import Core, build_core
from bot.channels.telegram import build_telegram_app
from bot.channels.telegram.app import CONCURRENT_ANSWERS, poll, started
from bot.config import Settings
from bot.messages import Incoming
from tests.support.models import ANSWER, FakeModel, with_model
from tests.support.telegram_server import (
    TOKEN,
    FakeTelegram,
    message_update,
    private_chat,
    user,
)

KNOWLEDGE_SETTLES_S = 5.5  # the core re-reads examples younger than 5 s on every answer
BURST_TARGET_S, RATIO_TARGET = 3.0, 1.5


def core_with_model(settings: Settings, seconds: float) -> Core:
    """The bot's core answering ANSWER after `seconds`, streamed in four pieces."""
    return with_model(build_core(settings), FakeModel(delay_s=seconds, pieces=4, spread=True))


# --- the fake Bot API, in its own process -------------------------------------------


def serve_fake(pipe: Connection) -> None:
    fake = FakeTelegram(hold_s=0.2)
    fake.start()
    pipe.send(fake.url)
    pipe.recv()  # until told to stop
    fake.stop()


def control(url: str, path: str, payload: Any = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url + path, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


# --- (a) per-update overhead ----------------------------------------------------------


def bare_app(api_url: str) -> Application:  # type: ignore[type-arg]
    async def reply_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(ANSWER)

    application = ApplicationBuilder().token(TOKEN).base_url(api_url).job_queue(None).build()
    application.add_handler(MessageHandler(tg_filters.TEXT, reply_only))
    return application


def private_update(application: Any, chat_id: int, text: str) -> Update:
    raw = message_update(private_chat(chat_id), user(chat_id), text)
    return Update.de_json(raw, application.bot)


class Timer:
    """Wall and CPU time (this process, every thread) of each timed call."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000


def verdict(ratio: float) -> str:
    return f"{ratio:.2f}x ({'met' if ratio <= RATIO_TARGET else 'over'} {RATIO_TARGET}x)"


async def overhead(settings: Settings, api_url: str, n: int) -> dict[str, float]:
    core = core_with_model(settings, 0.0)
    time.sleep(KNOWLEDGE_SETTLES_S)
    ours, bare = build_telegram_app(core, settings), bare_app(api_url)
    timers = {"bare": Timer(), "ours": Timer(), "core": Timer()}
    async with started(ours), started(bare):
        for i in range(-20, n):  # 20 rounds of warm-up; a new chat each time
            for name, application, chat in (("bare", bare, 100_000), ("ours", ours, 200_000)):
                update = private_update(application, chat + i, "How much is shipping?")
                wall, cpu = time.perf_counter(), time.process_time()
                await application.process_update(update)
                if i >= 0:
                    timers[name].add(time.perf_counter() - wall, time.process_time() - cpu)
            chat_id = str(300_000 + i)
            wall, cpu = time.perf_counter(), time.process_time()
            core.responder.answer(Incoming("telegram", chat_id, chat_id, "How much is shipping?"))
            if i >= 0:
                timers["core"].add(time.perf_counter() - wall, time.process_time() - cpu)
    core.engine.dispose()
    bare_t, ours_t, core_t = timers["bare"], timers["ours"], timers["core"]
    print(f"(a) per-update cost, instant model, {n} updates each, medians:")
    print("                                              wall       CPU")
    for label, timer in (
        ("bare PTB handler, reply_text() only", bare_t),
        ("core alone (Responder.answer)", core_t),
        ("afina telegram, whole path", ours_t),
    ):
        print(f"    {label:<38} {timer.wall_ms:7.2f} ms {timer.cpu_ms:7.2f} ms")
    base = bare_t.wall_ms + core_t.wall_ms
    print(f"    afina telegram vs bare handler + the same core: {verdict(ours_t.wall_ms / base)}")
    layer = (ours_t.wall_ms - core_t.wall_ms) / bare_t.wall_ms
    print(f"    Telegram layer alone ((afina - core) / bare):    {verdict(layer)}")
    end_to_end = ours_t.wall_ms / bare_t.wall_ms
    print(f"    end to end (afina / bare, core included):        {verdict(end_to_end)}")
    return {"bare_ms": bare_t.wall_ms, "ours_ms": ours_t.wall_ms, "core_ms": core_t.wall_ms}


# --- (b) the burst ----------------------------------------------------------------------


async def burst(settings: Settings, api_url: str, fake_url: str, chats: int) -> float:
    core = core_with_model(settings, 1.0)
    time.sleep(KNOWLEDGE_SETTLES_S)
    application = build_telegram_app(core, settings)
    stop = asyncio.Event()
    running = asyncio.create_task(poll(application, stop))
    while not (application.running and application.updater and application.updater.running):
        await asyncio.sleep(0.01)
    before = control(fake_url, "/_stats")  # part (a) used the same fake
    updates = [
        message_update(private_chat(500_000 + i), user(500_000 + i), "How much is shipping?")
        for i in range(chats)
    ]
    started_at, cpu = time.monotonic(), time.process_time()
    control(fake_url, "/_push", updates)
    stats: dict[str, Any] = {}
    deadline = started_at + 60
    while time.monotonic() < deadline:
        stats = control(fake_url, "/_stats")
        if len(stats["answered_at"]) - len(before["answered_at"]) >= chats:
            break
        await asyncio.sleep(0.02)
    cpu = time.process_time() - cpu
    stop.set()
    await running
    core.engine.dispose()
    done = sorted(at - started_at for at in stats["answered_at"][len(before["answered_at"]) :])
    wall = done[-1] if len(done) >= chats else float("inf")
    counts = {k: v - before["counts"].get(k, 0) for k, v in stats["counts"].items()}
    print(f"(b) burst: {chats} private chats at once, a model that takes 1 s:")
    print(
        f"    all {len(done)} answered in {wall:.2f} s wall "
        f"(first {done[0]:.2f} s, median {statistics.median(done):.2f} s) "
        f"(target <= {BURST_TARGET_S:.0f} s: {'met' if wall <= BURST_TARGET_S else 'MISSED'})"
    )
    print(
        f"    the bot process used {cpu:.2f} s of CPU ({cpu / chats * 1000:.1f} ms an answer); "
        f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"    calls: {counts.get('sendMessage', 0)} sendMessage, "
        f"{counts.get('sendChatAction', 0)} sendChatAction, "
        f"{counts.get('sendMessageDraft', 0)} sendMessageDraft, "
        f"{counts.get('getUpdates', 0)} getUpdates"
    )
    return wall


def core_burst(settings: Settings, chats: int) -> float:
    """The floor under (b): the same burst straight into the core, no Telegram at all."""
    core = core_with_model(settings, 1.0)
    time.sleep(KNOWLEDGE_SETTLES_S)
    questions = [
        Incoming("telegram", str(700_000 + i), str(700_000 + i), "How much is shipping?")
        for i in range(chats)
    ]
    started_at, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(CONCURRENT_ANSWERS) as pool:
        list(pool.map(lambda q: core.responder.answer(q, on_delta=lambda _: None), questions))
    wall, cpu = time.perf_counter() - started_at, time.process_time() - cpu
    core.engine.dispose()
    print(
        f"    the same burst into the core alone (Responder.answer on {CONCURRENT_ANSWERS} "
        f"threads, no Telegram): {wall:.2f} s wall, {cpu:.2f} s CPU"
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=300, help="updates timed in (a)")
    parser.add_argument("--burst", type=int, default=200, help="chats writing at once in (b)")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve_fake, args=(theirs,), daemon=True)
    server.start()
    fake_url = ours.recv()
    api_url = f"{fake_url}/bot"
    with tempfile.TemporaryDirectory() as home:
        for part in ("overhead", "burst", "core"):
            settings = Settings(
                afina_home=Path(home),
                database_url=f"sqlite:///{home}/{part}.db",
                telegram_bot_token=TOKEN,  # type: ignore[arg-type]
                telegram_api_url=api_url,
            )
            if part == "overhead":
                asyncio.run(overhead(settings, api_url, args.updates))
            elif part == "burst":
                asyncio.run(burst(settings, api_url, fake_url, args.burst))
            else:
                core_burst(settings, args.burst)
    ours.send("stop")
    server.join(timeout=10)


if __name__ == "__main__":
    main()
