"""What the Slack channel costs per event, and how it holds up when 200 questions arrive at once.

    .venv/bin/python -m bench.slack                 # both parts, about a minute
    .venv/bin/python -m bench.slack --only b --burst 300

(a) Per-event overhead. Signed `app_mention` requests go one after another into the real
    bolt `App.dispatch`, each answered by the whole path (event id recorded once, the core
    responder with an instant fake model, the answer posted with its controls, its ts
    noted for the next write), against a bare bolt app whose handler only calls `say()`,
    interleaved in the same run against the same fake Slack. Each event is timed from the
    request to the end of its listener. The core's own cost (`Responder.answer` alone,
    same database, same model) is measured too, so the Slack layer's share shows alone.
    The 1.5x target is read as the channel's overhead: the bare handler stores nothing,
    so the core's work (storing the question and the answer, retrieval, the prompt: the
    same for every channel, with its own targets in bench/responder.py) is taken out of
    the comparison, once added to the bare side and once subtracted from ours. The plain
    end-to-end ratio is printed as well.
(b) Burst. 200 signed mentions are POSTed at once to `/slack/events` of the app served by
    uvicorn (as `afina slack` runs it), with a model that takes 1 s. Every acknowledgement
    time is measured, and the time until all 200 answers are finished in Slack.

The fake Slack Web API runs in its own process, and so does the app in (b), so neither
steals the other's interpreter lock; the machine's other load still shows in the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltRequest, Say
from slack_sdk import WebClient

from bot.app import Core, build_core
from bot.channels.slack import build_slack_app, slack_asgi
from bot.config import Settings
from bot.messages import Incoming
from tests.support.models import FakeModel, with_model
from tests.support.processes import free_port, listening, wait_for
from tests.support.slack_server import (
    BOT_TOKEN,
    BOT_USER,
    SIGNING_SECRET,
    event,
    message,
    signed,
)

KNOWLEDGE_SETTLES_S = 5.5  # the core re-reads examples younger than 5 s on every answer
RATIO_TARGET = 1.5


def bench_settings(home: Path, api_url: str) -> Settings:
    return Settings(
        afina_home=home,
        database_url=f"sqlite:///{home / 'bench.db'}",
        slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=api_url,
    )


def mention_body(n: int, event_id_prefix: str) -> str:
    asked = message(f"<@{BOT_USER}> how much is shipping? ({n})", kind="app_mention")
    return json.dumps(event(asked, event_id=f"{event_id_prefix}{n:06d}"))


# --- the fake Slack, in its own process -------------------------------------------
def serve_fake_slack(conn: Connection) -> None:
    from tests.support.slack_server import FakeSlack

    fake = FakeSlack()
    fake.start()
    conn.send(fake.api_url)
    while True:
        command = conn.recv()
        if command == "stop":
            break
        if command == "reset":
            with fake._changed:
                fake.log.clear()
                fake.messages.clear()
            conn.send(True)
        elif command == "report":
            done = [
                c.at
                for c in fake.calls()
                if (c.method == "chat.stopStream" and c.args.get("blocks"))
                or (
                    c.method == "chat.postMessage"
                    and any(b.get("type") == "actions" for b in c.args.get("blocks") or [])
                )
            ]
            conn.send({"done_at": done, "methods": fake.methods()})
    fake.stop()


class Remote:
    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=target, args=(child, *args), daemon=True
        )
        self.process.start()

    def ask(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)


# --- (a) per-event overhead -----------------------------------------------------------
class Counting(ThreadPoolExecutor):
    """A listener pool that says when each listener has finished."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)
        self.finished = threading.Semaphore(0)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                self.finished.release()

        return super().submit(run)


def timed_dispatch(app: App, pool: Counting, body: str) -> float:
    headers = signed(body)
    started = time.perf_counter()
    response = app.dispatch(BoltRequest(body=body, headers=headers))
    pool.finished.acquire()
    elapsed = time.perf_counter() - started
    assert response.status == 200, response.body
    return elapsed


def core_answer(core: Core, n: int) -> float:
    """The core alone: the same question through `Responder.answer`, no Slack at all."""
    incoming = Incoming("slack", "C0CORE", "U0ANA", f"how much is shipping? ({n})", f"c{n}")
    started = time.perf_counter()
    core.responder.answer(incoming, on_delta=lambda _piece: None)
    return time.perf_counter() - started


def bare_app(api_url: str, pool: Counting) -> App:
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        listener_executor=pool,
    )

    @app.event("app_mention")
    def answer(say: Say) -> None:
        say("ok")

    return app


def verdict(ratio: float) -> str:
    return f"{ratio:.2f}x ({'met' if ratio <= RATIO_TARGET else 'over'} {RATIO_TARGET}x)"


def per_event(events: int, home: Path, fake: Remote, api_url: str) -> dict[str, float]:
    seeded = time.monotonic()
    settings = bench_settings(home, api_url)
    core = with_model(build_core(settings), FakeModel())
    ours_pool, bare_pool = Counting(), Counting()
    ours = build_slack_app(core, settings, executor=ours_pool)
    bare = bare_app(api_url, bare_pool)
    for n in range(20):  # warm both paths: imports, connections, the tokenizer
        timed_dispatch(ours, ours_pool, mention_body(n, "EvWarmOurs"))
        timed_dispatch(bare, bare_pool, mention_body(n, "EvWarmBare"))
    time.sleep(max(0.0, KNOWLEDGE_SETTLES_S - (time.monotonic() - seeded)))
    fake.ask("reset")

    ours_times: list[float] = []
    bare_times: list[float] = []
    core_times: list[float] = []
    for n in range(events):  # interleaved, so all three see the same machine load
        bare_times.append(timed_dispatch(bare, bare_pool, mention_body(n, "EvBare")))
        ours_times.append(timed_dispatch(ours, ours_pool, mention_body(n, "EvOurs")))
        core_times.append(core_answer(core, n))
    methods = fake.ask("report")["methods"]
    ours_pool.shutdown()
    bare_pool.shutdown()
    core.engine.dispose()

    bare_ms = statistics.median(bare_times) * 1000
    ours_ms = statistics.median(ours_times) * 1000
    core_ms = statistics.median(core_times) * 1000
    methods = [m for m in methods if m != "chat.postMessage"] + ["chat.postMessage"] * (
        methods.count("chat.postMessage") - events  # the bare handler posted one each
    )
    calls = {m: methods.count(m) / events for m in sorted(set(methods))}
    print(f"(a) per-event time, median of {events} events each (interleaved, same fake Slack):")
    print(f"    bare bolt handler, say() only      {bare_ms:7.2f} ms")
    print(f"    afina, end to end                  {ours_ms:7.2f} ms")
    print(f"      of which the core responder      {core_ms:7.2f} ms  (DB + retrieval + prompt)")
    print(f"      the Slack layer (the rest)       {ours_ms - core_ms:7.2f} ms")
    print(
        f"    afina slack vs bare handler + the same core: {verdict(ours_ms / (bare_ms + core_ms))}"
    )
    layer = (ours_ms - core_ms) / bare_ms
    print(f"    Slack layer alone ((afina - core) / bare):    {verdict(layer)}")
    print(f"    end to end (afina / bare, core included):     {verdict(ours_ms / bare_ms)}")
    shown = ", ".join(f"{m} {k:.2f}" for m, k in calls.items())
    print(f"    Slack calls per event: {shown}")
    return {"bare_ms": bare_ms, "ours_ms": ours_ms, "core_ms": core_ms}


# --- (b) a burst of 200 with a 1-second model -------------------------------------------
def serve_app(conn: Connection, home: str, api_url: str, port: int, delay_s: float) -> None:
    import logging

    import uvicorn

    logging.basicConfig(level=logging.WARNING)
    settings = bench_settings(Path(home), api_url)
    core = with_model(build_core(settings), FakeModel(delay_s=delay_s))
    app = build_slack_app(core, settings)
    server = uvicorn.Server(
        uvicorn.Config(slack_asgi(app), host="127.0.0.1", port=port, log_level="warning")
    )

    def commands() -> None:
        while conn.recv() != "stop":  # anything else asks for the CPU time used so far
            used = os.times()
            conn.send(used.user + used.system)
        server.should_exit = True

    threading.Thread(target=commands).start()
    server.run()


def post(url: str, body: str) -> tuple[float, float, int]:
    request = urllib.request.Request(url, data=body.encode(), headers=signed(body), method="POST")
    sent = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as response:
        status = int(response.status)
    return sent, time.monotonic(), status


def burst(n: int, home: Path, fake: Remote, api_url: str) -> dict[str, float]:
    port = free_port()
    app = Remote(serve_app, str(home), api_url, port, 1.0)
    url = f"http://127.0.0.1:{port}/slack/events"
    wait_for(lambda: listening(port), 60, "the app to listen")
    started = time.monotonic()
    for i in range(3):  # warm the path once
        post(url, mention_body(i, "EvWarmBurst"))
    wait_for(lambda: len(fake.ask("report")["done_at"]) >= 3, 30, "the warm-up answers")
    time.sleep(max(0.0, KNOWLEDGE_SETTLES_S - (time.monotonic() - started)))
    fake.ask("reset")
    cpu_before = app.ask("cpu")

    bodies = [mention_body(i, "EvBurst") for i in range(n)]
    gate = threading.Barrier(n)
    results: list[tuple[float, float, int]] = []

    def send(body: str) -> None:
        gate.wait()
        results.append(post(url, body))

    senders = [threading.Thread(target=send, args=(body,)) for body in bodies]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    first_sent = min(r[0] for r in results)
    wait_for(lambda: len(fake.ask("report")["done_at"]) >= n, 60, "all answers")
    report = fake.ask("report")
    cpu_s = app.ask("cpu") - cpu_before
    app.stop()

    acks = sorted(r[1] - r[0] for r in results)
    finished = max(report["done_at"]) - first_sent
    statuses = {r[2] for r in results}
    print(f"(b) {n} mentions at once, model takes 1 s, served by uvicorn as `afina slack`:")
    print(
        f"    ack: max {acks[-1] * 1000:.0f} ms · p95 {acks[int(len(acks) * 0.95) - 1] * 1000:.0f}"
        f" ms · median {statistics.median(acks) * 1000:.0f} ms (target: every ack < 3 s);"
        f" HTTP statuses {sorted(statuses)}"
    )
    print(
        f"    all {len(report['done_at'])} answers finished in Slack {finished:.2f} s after the"
        f" first was sent (target <= 3 s)"
    )
    per_answer = cpu_s / n * 1000
    print(f"    the app process used {cpu_s:.2f} s of CPU for them ({per_answer:.1f} ms an answer)")
    return {"ack_max_s": acks[-1], "all_answered_s": finished}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200, help="events per app in (a)")
    parser.add_argument("--burst", type=int, default=200, help="mentions at once in (b)")
    parser.add_argument("--only", choices=["a", "b"], help="run one part only")
    args = parser.parse_args()
    fake = Remote(serve_fake_slack)
    api_url = fake.conn.recv()
    try:
        with tempfile.TemporaryDirectory() as a_home, tempfile.TemporaryDirectory() as b_home:
            if args.only != "b":
                per_event(args.events, Path(a_home), fake, api_url)
            if args.only != "a":
                burst(args.burst, Path(b_home), fake, api_url)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
