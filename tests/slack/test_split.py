"""Long answers become several Slack messages cut where a reader would cut them."""

from __future__ import annotations

from bot.channels.slack.split import split_text


def test_a_short_answer_stays_one_message() -> None:
    assert split_text("  Free over €35.  ", 100) == ["Free over €35."]


def test_paragraphs_then_lines_then_sentences_are_preferred() -> None:
    para = "The first paragraph, a bit long.\n\nSecond paragraph, longer than the first one is."
    assert split_text(para, 60) == [
        "The first paragraph, a bit long.",
        "Second paragraph, longer than the first one is.",
    ]
    sentences = "One sentence that runs a while. Another one follows it here, longer still."
    assert split_text(sentences, 50) == [
        "One sentence that runs a while.",
        "Another one follows it here, longer still.",
    ]


def test_words_are_never_cut_when_there_is_a_space() -> None:
    text = " ".join(f"word{i}" for i in range(200))
    parts = split_text(text, 97)
    assert all(len(p) <= 97 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_a_single_huge_word_is_cut_hard() -> None:
    assert split_text("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_a_code_block_cut_in_two_is_closed_and_reopened() -> None:
    code = "\n".join(f"print({i})" for i in range(30))
    parts = split_text(f"Run this:\n```python\n{code}\n```\nDone.", 120)
    assert len(parts) > 1
    for part in parts:
        assert part.count("```") % 2 == 0  # every message renders its code block
    assert parts[1].startswith("```python\n")
