"""`DrainingPool`: work it accepted runs on drain, within a bound; nothing new is taken."""

from __future__ import annotations

import threading
import time

import pytest

from bot.pool import DrainingPool


def test_drain_runs_queued_work_that_has_not_started_yet() -> None:
    pool = DrainingPool(1, "test")
    gate = threading.Event()
    done: list[int] = []
    first = pool.submit(gate.wait)
    queued = [pool.submit(done.append, n) for n in range(5)]  # behind the only thread
    assert pool.unfinished == 6 and not any(f.done() for f in queued)

    gate.set()
    left = pool.drain(timeout=10)

    assert not left and first.result() is True
    assert done == [0, 1, 2, 3, 4] and pool.unfinished == 0


def test_drain_refuses_new_work() -> None:
    pool = DrainingPool(2, "test")
    pool.drain(timeout=1)
    with pytest.raises(RuntimeError, match="draining"):
        pool.submit(print, "late")


def test_drain_gives_up_at_the_deadline_and_reports_what_it_left() -> None:
    pool = DrainingPool(1, "test")
    stuck = threading.Event()
    running = pool.submit(stuck.wait)
    never = [pool.submit(print, "never") for _ in range(3)]

    started = time.monotonic()
    left = pool.drain(timeout=0.2)

    assert 0.2 <= time.monotonic() - started < 2
    assert (left.running, left.dropped) == (1, 3)
    assert all(f.cancelled() for f in never) and not running.done()
    stuck.set()
    assert running.result(timeout=5) is True


def test_threads_are_daemons_so_a_drain_that_gives_up_lets_the_process_exit() -> None:
    pool = DrainingPool(4, "test")
    gate = threading.Event()
    pool.submit(gate.wait)
    named = [t for t in threading.enumerate() if t.name.startswith("test_")]
    assert named and all(t.daemon for t in named)
    gate.set()
    pool.drain(timeout=5)


def test_threads_are_reused_and_capped() -> None:
    pool = DrainingPool(3, "capped")
    for _ in range(20):
        pool.submit(time.sleep, 0).result(timeout=5)  # one at a time: one thread suffices
    gate = threading.Event()
    blocked = [pool.submit(gate.wait) for _ in range(10)]
    threads = [t for t in threading.enumerate() if t.name.startswith("capped_")]
    assert 1 <= len(threads) <= 3
    gate.set()
    assert all(f.result(timeout=5) for f in blocked)
    assert not pool.drain(timeout=5)


def test_exceptions_reach_the_future() -> None:
    pool = DrainingPool(1, "test")
    failed = pool.submit(int, "not a number")
    with pytest.raises(ValueError):
        failed.result(timeout=5)
    assert not pool.drain(timeout=5)


def test_shutdown_waits_like_an_executor() -> None:
    pool = DrainingPool(2, "test")
    done: list[int] = []
    for n in range(10):
        pool.submit(done.append, n)
    pool.shutdown(wait=True)
    assert sorted(done) == list(range(10))
