"""The prompt keeps within PROMPT_TOKEN_BUDGET: the newest turns of a long conversation, all
of a short one, and the counts are tiktoken's whether or not anything had to be counted."""

from __future__ import annotations

from pathlib import Path

from bot import tokens
from bot.app import build_core
from bot.config import Settings


def core_with(tmp_path: Path, budget: int):  # type: ignore[no-untyped-def]
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        afina_home=tmp_path,
        prompt_token_budget=budget,
        embeddings_backend="none",
    )
    return build_core(settings)


def history(turns: int) -> list[dict[str, str]]:
    said = "¿Me podéis decir si el pedido 4411 ya ha salido del almacén de Zaragoza?"
    answered = "Sí, salió ayer por la tarde y llegará mañana antes de las 14:00."
    return [
        {
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"{i}: {said if i % 2 == 0 else answered}",
        }
        for i in range(turns)
    ]


def test_a_short_conversation_is_kept_whole(tmp_path: Path) -> None:
    core = core_with(tmp_path, 3000)
    turns = history(6)
    prompt = core.responder.build_prompt("¿Y el 4412?", turns)
    assert prompt[1:-1] == turns
    assert prompt[-1] == {"role": "user", "content": "¿Y el 4412?"}
    assert tokens.count_messages(prompt) <= 3000


def test_a_long_conversation_keeps_its_newest_turns_within_the_budget(tmp_path: Path) -> None:
    core = core_with(tmp_path, 400)
    turns = history(60)  # far more bytes than 400 tokens
    prompt = core.responder.build_prompt("¿Y el 4412?", turns)
    kept = prompt[1:-1]
    assert 0 < len(kept) < len(turns)
    assert kept == turns[-len(kept) :]  # the newest, in order
    assert tokens.count_messages(prompt) <= 400
    # ...and no more could have been kept: one older turn would not have fitted.
    older = [prompt[0], turns[-len(kept) - 1], *kept, prompt[-1]]
    assert tokens.count_messages(older) > 400


def test_the_byte_bound_never_undercounts() -> None:
    for text in ("", "hola", "¿Enviáis a Canarias? 🚲", "ΑΒΓ дом 東京 🙂🙂", "x" * 5000):
        assert tokens.count(text) <= tokens.at_most(text)
