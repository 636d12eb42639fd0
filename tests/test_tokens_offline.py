"""Token counting works with no network at all (tiktoken would try to download otherwise)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


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
