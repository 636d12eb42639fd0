"""The pure parts of answering: splitting long answers, the cosmetic budget."""

from __future__ import annotations

from bot.channels.telegram.answering import CosmeticBudget, split_text, utf16_len


def test_split_keeps_every_part_within_the_limit_and_loses_nothing() -> None:
    emoji_heavy = "🌿" * 3000  # two UTF-16 units each: 6000 units
    parts = split_text(emoji_heavy)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == emoji_heavy

    sentences = " ".join(f"Sentence number {n} ends here." for n in range(400))
    parts = split_text(sentences)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert all(p.endswith(".") for p in parts)  # cut after a sentence, not mid-word
    assert " ".join(parts) == sentences
    assert split_text("short") == ["short"]


def test_cosmetic_budget_allows_a_burst_then_refuses() -> None:
    budget = CosmeticBudget(per_second=5)
    assert [budget.take() for _ in range(7)] == [True] * 5 + [False] * 2
