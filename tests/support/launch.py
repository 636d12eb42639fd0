"""Starting `afina` as a real process with only the settings a test gives it, and stopping it.

Used by the tests that kill a bot mid-answer, that read every log line a
service writes, and by `bench/soak.py`. The process gets a clean environment
(PATH, HOME, the language) plus `env`; stdout and stderr go to one file, read
when it stops, so a chatty process never blocks on a full pipe.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import AFINA

KEPT = ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH", "TEST_DATABASE_URL")


@dataclass
class Afina:
    """One `afina …` process and the file its output goes to."""

    args: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    outputs: list[str] = field(default_factory=list)  # of earlier runs (after a restart)

    def start(self) -> Afina:
        inherited = {k: v for k, v in os.environ.items() if k in KEPT}
        self.cwd.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [AFINA, *self.args],
                env=inherited | self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a process manager stops it; the exit code."""
        return self._end(signal.SIGTERM, timeout)

    def kill(self) -> int:
        """SIGKILL: the machine lost power, the OOM killer struck."""
        return self._end(signal.SIGKILL, 30)

    def _end(self, how: signal.Signals, timeout: float) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(how)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(30)
        self.process = None  # reaped: its pid is free, and no zombie looks alive
        return code
