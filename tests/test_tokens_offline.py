"""Token counting works with no network at all (tiktoken would try to download otherwise)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

from bot import bpe, tokens


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
    [table] = (tmp_path / "afina").glob("cl100k-*.bpe")
    assert count_in_a_new_process(str(tmp_path)) == first  # from the cache
    good = table.read_bytes()
    table.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one bit off: the checksum tells
    assert count_in_a_new_process(str(tmp_path)) == first
    assert table.read_bytes() == good  # made anew
    cached.write_bytes(b"\x00 not marshal at all")
    table.unlink()
    assert count_in_a_new_process(str(tmp_path)) == first  # the bundled table again
    assert cached.read_bytes() != b"\x00 not marshal at all"  # ...and the cache made anew
    assert table.read_bytes() == good


def safe_characters() -> list[str]:
    return [chr(code) for low, high in bpe.SAFE for code in range(low, high + 1)]


def test_counts_without_tiktoken_are_tiktokens_for_every_character_counted_so() -> None:
    table, encoding = tokens.table(), tokens.encoding()
    assert table is not None
    for c in safe_characters():
        for text in (c, f"a{c}", f"{c}b", f" {c} ", f"'{c}", f"1{c}2", c * 3, f"x{c}\n"):
            for more in (text, f"\n{text}s", f"'s{text}'ll", f"  {text}  x", f"¿{text}?\r\n"):
                assert table.count(more) == len(encoding.encode_ordinary(more)), (more, hex(ord(c)))


def test_counts_without_tiktoken_are_tiktokens_on_mixed_text() -> None:
    table, encoding = tokens.table(), tokens.encoding()
    assert table is not None
    rng = random.Random(12)
    alphabet = safe_characters() + list("aeiou etnsrl   \n\n\t'''0123456789") * 30
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(3000)]
    texts += [path.read_text() for path in Path("bot").glob("*.py")]
    for text in texts:
        assert table.count(text) in (None, len(encoding.encode_ordinary(text))), text


def test_what_it_cannot_count_tiktoken_counts() -> None:
    table, encoding = tokens.table(), tokens.encoding()
    assert table is not None
    for text in ("Привет, мир", "你好", "tab\x0bbed", " " * 300, "ab" * 80):
        assert table.count(text) is None  # another script, a control character, a long piece
        assert tokens.count(text) == len(encoding.encode_ordinary(text))
    asked = "¿Tenéis champú? 🌿"
    assert tokens.count(asked) == len(encoding.encode_ordinary(asked))


def test_a_cache_folder_that_cannot_be_written_changes_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert count_in_a_new_process(str(tmp_path)) == count_in_a_new_process(str(blocked))
