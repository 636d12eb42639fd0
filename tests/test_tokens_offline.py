"""Token counting works with no network at all (tiktoken would try to download otherwise)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def test_counts_tokens_with_the_network_cut_off() -> None:
    # A fresh interpreter, so no encoding is cached; every socket connect fails.
    code = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network is off in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        import os
        os.environ["TIKTOKEN_CACHE_DIR"] = os.path.join(os.getcwd(), "empty-cache")
        from bot import tokens
        hi = [{"role": "user", "content": "hi"}]
        print(tokens.count("¿Tenéis champú sólido?"), tokens.count_messages(hi))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text_tokens, message_tokens = map(int, done.stdout.split())
    assert text_tokens > 3
    assert message_tokens == 1 + 4 + 3  # "hi" + per-message + per-reply framing


COUNT = (
    "from bot import tokens; print(tokens.count('¿Tenéis champú sólido? Free shipping over 35 €'))"
)


def count_in_a_new_process(cache: str) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    done = subprocess.run(
        [sys.executable, "-c", COUNT], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_parsed_table_is_cached_and_a_broken_cache_is_read_past(tmp_path: Path) -> None:
    first = count_in_a_new_process(str(tmp_path))
    [cached] = (tmp_path / "afina").glob("cl100k-*.marshal")
    assert count_in_a_new_process(str(tmp_path)) == first  # from the cache
    cached.write_bytes(b"\x00 not marshal at all")
    assert count_in_a_new_process(str(tmp_path)) == first  # the bundled table again
    assert cached.read_bytes() != b"\x00 not marshal at all"  # ...and the cache made anew


def test_a_cache_folder_that_cannot_be_written_changes_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert count_in_a_new_process(str(tmp_path)) == count_in_a_new_process(str(blocked))
