"""How many Slack events a second `afina serve` takes, with 1 and with 2 worker processes.

    .venv/bin/python -m bench.serve                          # about a minute
    .venv/bin/python -m bench.serve --events 2000 --clients 16
    TEST_DATABASE_URL=postgresql://… .venv/bin/python -m bench.serve   # an existing server

Signed `app_mention` events are POSTed to `/slack/events` of `afina serve` (the real
command, a real process) by `--clients` concurrent senders, one connection per request
as Slack delivers them. The model is the offline `examples` backend (instant: it
answers from the closest demo example), so the figures are the cost of the HTTP
acknowledgement and of the answer path (database, retrieval, the posted answer), not a
model's. The database is PostgreSQL: a fresh database for each run, on the server in
TEST_DATABASE_URL / DATABASE_URL when set, else on a throwaway cluster started here
(`../shared/scripts/pg-throwaway`) and stopped at the end. The fake Slack Web API runs
in its own process.

Printed for each worker count: requests/s (events acknowledged per second, from the
first send to the last acknowledgement), the acknowledgement's p50 and p99 latency,
and the time until every answer was posted in Slack. The answers are written while
later events arrive, on the same cores, so they slow the acknowledgements down; the
same number of message edits (acknowledged and ignored) afterwards shows what the
HTTP path alone takes. All processes share this machine's cores (on a 2-core machine
the senders, PostgreSQL and the fake Slack take a share), so a second worker helps
only as far as a core is free.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.support.processes import AFINA, free_port, wait_for
from tests.support.slack_server import BOT_TOKEN, BOT_USER, SIGNING_SECRET, event, message, signed

ROOT = Path(__file__).resolve().parents[1]
PG_THROWAWAY = ROOT.parent / "shared" / "scripts" / "pg-throwaway"
WARM_UP = 20  # events answered before timing: imports, connections, the tokenizer
KNOWLEDGE_SETTLES_S = 5.5  # the core re-reads examples younger than 5 s on every answer


# --- the fake Slack Web API, in its own process ---------------------------------------
def serve_fake_slack(conn: Connection) -> None:
    from tests.support.slack_server import FakeSlack

    fake = FakeSlack()
    fake.start()
    conn.send(fake.api_url)
    while (command := conn.recv()) != "stop":
        if command == "answers":
            conn.send(len(fake.answers()))
    fake.stop()


class FakeSlackProcess:
    def __init__(self) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve_fake_slack, args=(child,), daemon=True
        )
        self.process.start()
        self.api_url: str = self.conn.recv()

    def answers(self) -> int:
        self.conn.send("answers")
        return int(self.conn.recv())

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)


# --- PostgreSQL ---------------------------------------------------------------------
@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL: the one given in the environment, else a throwaway cluster."""
    given = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if given.startswith(("postgres://", "postgresql")):
        yield given
        return
    started = subprocess.run([str(PG_THROWAWAY)], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise SystemExit(f"could not start PostgreSQL:\n{started.stderr}")
    found = re.search(r" stop (\S+)$", started.stderr.strip())
    try:
        yield started.stdout.strip()
    finally:
        if found:
            subprocess.run([str(PG_THROWAWAY), "stop", found.group(1)], check=False)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """An empty database on `server_url` for one run, dropped afterwards."""
    from bot.db import normalise_url

    server_url = normalise_url(server_url)
    name = f"afina_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- afina serve ----------------------------------------------------------------------
def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def start_serve(workers: int, database_url: str, api_url: str, home: Path) -> Any:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TELEGRAM_", "OPENAI_", "DATABASE_", "AFINA_"))
    }
    env |= {
        "AFINA_HOME": str(home),
        "DATABASE_URL": database_url,
        "MODEL_BACKEND": "examples",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [AFINA, "serve", "--workers", str(workers)],
        env=env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not healthy(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"afina serve did not start:\n{process.communicate()[1]}")
        time.sleep(0.1)
    return process, port


def mention_body(prefix: str, n: int) -> str:
    asked = message(f"<@{BOT_USER}> how much is shipping to Spain? ({n})", kind="app_mention")
    return json.dumps(event(asked, event_id=f"Ev{prefix}{n:07d}"))


def edit_body(prefix: str, n: int) -> str:
    """A message edit: acknowledged and ignored, so it costs only the HTTP path and bolt."""
    edited = message(f"shipping? ({n})", subtype="message_changed")
    return json.dumps(event(edited, event_id=f"Ev{prefix}{n:07d}"))


def post(port: int, body: str) -> tuple[float, float, int]:
    """One delivery on its own connection, as Slack makes it; (sent, acknowledged, status)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = time.perf_counter()
    conn.request("POST", "/slack/events", body=body.encode(), headers=signed(body))
    response = conn.getresponse()
    response.read()
    done = time.perf_counter()
    conn.close()
    return sent, done, response.status


def send_all(port: int, bodies: list[str], clients: int) -> list[tuple[float, float, int]]:
    """`clients` senders share the events; each sends its next one when the last is acked."""
    results: list[tuple[float, float, int]] = []
    lock = threading.Lock()
    todo = iter(bodies)
    gate = threading.Barrier(clients)

    def sender() -> None:
        gate.wait()
        while True:
            with lock:
                body = next(todo, None)
            if body is None:
                return
            outcome = post(port, body)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=sender) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def one_run(
    workers: int, server_url: str, fake: FakeSlackProcess, events: int, clients: int
) -> dict[str, float]:
    with fresh_database(server_url) as database_url, tempfile.TemporaryDirectory() as home:
        seeded = time.monotonic()  # `afina serve` loads the demo examples as it starts
        process, port = start_serve(workers, database_url, fake.api_url, Path(home))
        try:
            before = fake.answers()
            for outcome in send_all(
                port, [mention_body(f"W{workers}", n) for n in range(WARM_UP)], 4
            ):
                assert outcome[2] == 200, outcome
            wait_for(lambda: fake.answers() >= before + WARM_UP, 60, "the warm-up answers")
            time.sleep(max(0.0, KNOWLEDGE_SETTLES_S - (time.monotonic() - seeded)))

            before = fake.answers()
            bodies = [mention_body(f"M{workers}", n) for n in range(events)]
            results = send_all(port, bodies, clients)
            first_sent = min(r[0] for r in results)
            wait_for(lambda: fake.answers() >= before + events, 300, "every answer")
            all_answered = time.perf_counter() - first_sent
            edits = send_all(port, [edit_body(f"E{workers}", n) for n in range(events)], clients)
        finally:
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=60)
    statuses = sorted({r[2] for r in results + edits})
    if statuses != [200]:
        raise SystemExit(f"statuses {statuses}:\n{errors}")
    return {
        **figures(results, ""),
        "answered_s": all_answered,
        "answers_per_s": events / all_answered,
        **figures(edits, "edits_"),
    }


def figures(results: list[tuple[float, float, int]], prefix: str) -> dict[str, float]:
    """Requests/s from the first send to the last acknowledgement, and latency percentiles."""
    acks = sorted(done - sent for sent, done, _ in results)
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    return {
        prefix + "rps": len(results) / elapsed,
        prefix + "p50_ms": statistics.median(acks) * 1000,
        prefix + "p99_ms": acks[max(0, round(len(acks) * 0.99) - 1)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="timed events per run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent senders")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare"
    )
    args = parser.parse_args()
    fake = FakeSlackProcess()
    try:
        with postgres_server() as server_url:
            runs = {
                n: one_run(n, server_url, fake, args.events, args.clients) for n in args.workers
            }
    finally:
        fake.stop()

    print(
        f"afina serve · {args.events} signed app_mention events · {args.clients} concurrent "
        f"senders · PostgreSQL · instant model (examples) · {os.cpu_count()} CPU cores"
    )
    header = "".join(f"{f'{n} worker' + ('s' if n > 1 else ''):>14}" for n in runs)
    print(f"{'':28}{header}")
    rows = [
        ("mentions, each answered", None, ""),
        ("  requests/s (acknowledged)", "rps", "{:14.0f}"),
        ("  ack latency p50 (ms)", "p50_ms", "{:14.1f}"),
        ("  ack latency p99 (ms)", "p99_ms", "{:14.1f}"),
        ("  all answered after (s)", "answered_s", "{:14.2f}"),
        ("  answers/s", "answers_per_s", "{:14.0f}"),
        ("edits, acknowledged only", None, ""),
        ("  requests/s", "edits_rps", "{:14.0f}"),
        ("  ack latency p50 (ms)", "edits_p50_ms", "{:14.1f}"),
        ("  ack latency p99 (ms)", "edits_p99_ms", "{:14.1f}"),
    ]
    for label, key, form in rows:
        values = "" if key is None else "".join(form.format(run[key]) for run in runs.values())
        print(f"{label:28}{values}".rstrip())


if __name__ == "__main__":
    main()
