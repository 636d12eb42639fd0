"""For tests and benches that start `afina` as a real process: where it is, a port, waiting."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

AFINA = str(Path(sys.executable).parent / "afina")  # the console script beside this Python


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_for(ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `ready` every 50 ms; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
