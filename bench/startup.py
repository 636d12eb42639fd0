"""How fast afina starts, and whether the first answer after a start costs more than the next.

    .venv/bin/python -m bench.startup              # a few minutes on a busy 2-core box
    .venv/bin/python -m bench.startup --runs 5 --settle 1

Printed, each beside its target (min / median / max over the runs):

- `afina --help` wall, a whole process, with the venv's bytecode and without it (the same
  code under PYTHONPYCACHEPREFIX pointing at an empty folder: what every start paid before
  set-up compiled the bytecode), and `afina ask --help`;
- `import bot.cli` alone, timed inside the process;
- `afina slack` (HTTP mode) and `afina telegram` (long polling): from the process's start to
  its first call to the platform (the fake's clock: Slack's auth.test, Telegram's getMe,
  asked before the core loads so that a refused token is one line within a second), and to
  taking questions (Slack: /slack/events listening; Telegram: its first getUpdates);
- the first answer after start against later ones: the first question is asked `--settle`
  seconds after it takes questions (the time a warm-up in the background has; the last
  run asks the moment it takes them), then three more; each is timed from the request (Slack:
  the signed event POSTed to /slack/events; Telegram: the update queued for getUpdates) to
  the answer with its feedback buttons at the fake. The model is the fake OpenAI server,
  answering at once, through the real `openai` client; the database holds the demo shop's
  examples with their vectors (local embeddings), so retrieval does its real work.

Everything runs against the fakes in `tests/support/` on 127.0.0.1; nothing reaches the
network. The machine's load is printed first: on a shared box, read the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.http import Recorded, Response
from tests.support.openai_server import FakeOpenAI
from tests.support.processes import AFINA, free_port, listening, wait_for
from tests.support.slack_server import BOT_TOKEN, BOT_USER, SIGNING_SECRET, FakeSlack, event, signed
from tests.support.slack_server import message as slack_message
from tests.support.telegram_server import TOKEN, FakeTelegram, message_update, private_chat, user

HELP_TARGET_S = 0.5
READY_TARGET_S = 1.0
FIRST_ANSWER_EXTRA_S = 0.2
QUESTIONS = (
    "How much is shipping?",
    "¿Tenéis productos para el pelo rizado?",
    "Do you ship to the Canary Islands?",
    "¿Cuánto tarda un pedido en llegar?",
)
CUSTOMER = 42
_NOT_INHERITED = ("SLACK_", "TELEGRAM_", "DATABASE_", "AFINA_", "OPENAI_", "MODEL_", "PORT")


def spread(values: list[float]) -> str:
    if not values:
        return "no runs"
    return (
        f"{min(values):6.3f} / {statistics.median(values):6.3f} / {max(values):6.3f} s"
        f"  (n={len(values)})"
    )


def line(name: str, values: list[float], target: str) -> None:
    print(f"  {name:<44} {spread(values):<36} {target}")


def timed_runs(command: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
    return walls


def base_env(home: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    return inherited | {"AFINA_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'a.db'}"}


# --- the CLI -------------------------------------------------------------------------------
def bench_cli(runs: int) -> None:
    print("The CLI")
    compiled = timed_runs([AFINA, "--help"], runs)
    line("afina --help (bytecode compiled)", compiled, f"target ≤ {HELP_TARGET_S} s")
    with tempfile.TemporaryDirectory() as empty:
        # Python looks for bytecode only under the prefix (empty) and writes none there.
        uncompiled_env = os.environ | {"PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}
        uncompiled = timed_runs([AFINA, "--help"], max(2, runs // 2), uncompiled_env)
    line("afina --help (no bytecode, as before set-up)", uncompiled, "for comparison")
    line("afina ask --help", timed_runs([AFINA, "ask", "--help"], runs), "quick too")
    probe = "import time; t = time.perf_counter(); import bot.cli; print(time.perf_counter() - t)"
    imports = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        imports.append(float(done.stdout))
    line("import bot.cli (inside the process)", imports, "was 2.0-2.4 s")


# --- the channels ----------------------------------------------------------------------------
class Clock:
    """When the fake was first called, on this process's clock."""

    def __init__(self) -> None:
        self.first_call: float | None = None

    def tick(self) -> None:
        if self.first_call is None:
            self.first_call = time.perf_counter()


class TimedSlack(FakeSlack):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()

    def handle(self, request: Recorded) -> Response:
        self.clock.tick()
        return super().handle(request)


class TimedTelegram(FakeTelegram):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.polling = Clock()  # the first getUpdates: from then on it takes questions

    def handle(self, request: Recorded) -> Response:
        self.clock.tick()
        if request.path.endswith("/getUpdates"):
            self.polling.tick()
        return super().handle(request)


def prepared_database(folder: Path) -> Path:
    """One database with the demo shop's examples and their vectors, copied for each run."""
    home = folder / "seed"
    home.mkdir()
    subprocess.run([AFINA, "demo"], env=base_env(home), capture_output=True, check=True)
    return home / "a.db"


class Run:
    """One process of `afina slack` or `afina telegram` against its fakes."""

    def __init__(self, platform: str, seed: Path, folder: Path, openai: FakeOpenAI) -> None:
        self.platform = platform
        self.home = Path(tempfile.mkdtemp(dir=folder))
        shutil.copy(seed, self.home / "a.db")
        self.port = free_port()
        env = base_env(self.home) | {
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": openai.base_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
        self.fake: TimedSlack | TimedTelegram
        if platform == "slack":
            self.fake = TimedSlack()
            env |= {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": self.fake.api_url,
            }
        else:
            self.fake = TimedTelegram()
            env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": self.fake.api_url}
        self.fake.start()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [AFINA, platform], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.asked = 0

    def ready_s(self) -> float:
        clock = self.fake.clock
        wait_for(lambda: clock.first_call is not None or self.gone(), 120, "a first call")
        if clock.first_call is None:
            raise SystemExit(f"afina {self.platform} exited: {self.output()}")
        return clock.first_call - self.started

    def gone(self) -> bool:
        return self.process.poll() is not None

    def takes_questions(self) -> float:
        """Seconds from the start until it takes questions: Slack's /slack/events listening,
        Telegram's first getUpdates."""
        if isinstance(self.fake, TimedTelegram):
            polling = self.fake.polling
            wait_for(lambda: polling.first_call is not None or self.gone(), 120, "getUpdates")
            if polling.first_call is None:
                raise SystemExit(f"afina telegram exited: {self.output()}")
            return polling.first_call - self.started
        wait_for(lambda: listening(self.port) or self.gone(), 120, "/slack/events")
        return time.perf_counter() - self.started

    def ask(self, text: str) -> float:
        """Seconds from the question to the answer with its buttons at the fake."""
        self.asked += 1
        started = time.perf_counter()
        if isinstance(self.fake, TimedSlack):
            asked = slack_message(f"<@{BOT_USER}> {text}", kind="app_mention")
            body = json.dumps(event(asked))
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.port}/slack/events",
                data=body.encode(),
                headers=signed(body),
                method="POST",
            )
            urllib.request.urlopen(request, timeout=30).close()
            self.fake.wait_answered(self.asked, timeout=60)
        else:
            fake = self.fake
            fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), text))
            answered = fake.wait_until(lambda f: len(buttoned(f)) >= self.asked, timeout=60)
            if not answered:
                raise SystemExit(f"afina telegram did not answer: {self.output()}")
        return time.perf_counter() - started

    def output(self) -> str:
        self.stop()
        out, err = self.process.communicate(timeout=30)
        return (out + err).decode(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.fake.stop()


def buttoned(fake: FakeTelegram) -> list[Any]:
    """The answers (with their 👍 👎 ✏️) the customer got."""
    return [
        c
        for c in fake.called()
        if c.method in ("sendMessage", "editMessageText") and c.chat_id == CUSTOMER and c.buttons
    ]


def bench_channel(platform: str, runs: int, settle: float, seed: Path, folder: Path) -> None:
    print(f"afina {platform} ({'HTTP mode' if platform == 'slack' else 'long polling'})")
    openai = FakeOpenAI()
    openai.start()
    ready, taking, first, warm, at_once = [], [], [], [], []
    try:
        for number in range(runs + 1):
            run = Run(platform, seed, folder, openai)
            try:
                ready.append(run.ready_s())
                taking.append(run.takes_questions())
                if number == runs:  # the last run asks the moment the process can take it
                    at_once.append(run.ask(QUESTIONS[0]))
                    continue
                time.sleep(settle)
                first.append(run.ask(QUESTIONS[0]))
                warm.extend(run.ask(text) for text in QUESTIONS[1:])
            finally:
                run.stop()
    finally:
        openai.stop()
    line("start → first call to the platform", ready, f"target ≤ {READY_TARGET_S} s")
    line("start → taking questions", taking, "after the core has loaded")
    line(f"first answer, asked {settle:g} s after that", first, "")
    line("later answers", warm, "")
    extra = [f - statistics.median(warm) for f in first] if warm else []
    line("first minus the later ones' median", extra, f"target ≤ {FIRST_ANSWER_EXTRA_S} s")
    line("first answer, asked as soon as it can be", at_once, "for comparison")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per figure")
    parser.add_argument("--settle", type=float, default=2.0, help="s before the first question")
    parser.add_argument(
        "--only", choices=("cli", "slack", "telegram"), action="append", help="just these parts"
    )
    args = parser.parse_args()
    parts = args.only or ["cli", "slack", "telegram"]
    print(f"bench.startup · {load()}")
    steps: dict[str, Callable[[], None]] = {"cli": lambda: bench_cli(args.runs)}
    with tempfile.TemporaryDirectory() as folder:
        seed = prepared_database(Path(folder)) if set(parts) - {"cli"} else Path()
        for platform in ("slack", "telegram"):
            steps[platform] = lambda p=platform: bench_channel(  # type: ignore[misc]
                p, args.runs, args.settle, seed, Path(folder)
            )
        for part in parts:
            steps[part]()
    print(f"done · {load()}")


if __name__ == "__main__":
    main()
