"""The golden set: recorded from the model answering today; the gate holds candidates to it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import build_core
from bot.config import Settings
from bot.demo import demo_examples
from bot.tables import GoldenAnswer, RunState, TuningRun
from tests.support.cli import run
from tests.support.data import add_example, key_on_side, rows
from tests.support.openai_server import FakeOpenAI
from tests.support.together_server import FakeTogether

SERVING = "gpt-4.1-mini"
FIXED = "The Zorblat Club is our free loyalty club: 1 point per euro 🌿"
REFERENCE = {str(p["question"]): str(p["answer"]) for p in demo_examples()}
REFERENCE["What is the zorblat club?"] = FIXED


def reference_answer(messages: list[dict[str, Any]]) -> str:
    return REFERENCE.get(messages[-1]["content"], "I don't know")


def seed_reviewed(email: str = "") -> int:
    """A reviewer's correction that trains (not held out), as feedback stores it; its id."""
    core = build_core(Settings())
    key = key_on_side("console:zorblat", holdout=False)
    question = f"What is the zorblat club?{email}"
    rejected = "We have no loyalty programme."
    example_id = add_example(core.engine, question, FIXED, rejected=rejected, key=key)
    core.engine.dispose()
    return example_id


@pytest.mark.usefixtures("demo")
def test_record_stores_what_the_model_answering_today_says_and_show_lists_it(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    seed_reviewed(" Write to ana.garcia@gmail.com")
    openai_env.answer_as(SERVING, lambda m: f"today: {m[-1]['content'][:20]}")
    recorded = run(capsys, "golden", "record")
    assert recorded.code == 0, recorded.err
    stored = rows(database_url, GoldenAnswer)
    assert f"Golden set #1: {len(stored)} answers by {SERVING}." in recorded.out
    kinds = {r.kind for r in stored}
    assert kinds == {"reviewed", "holdout"}  # the correction, and the held-out demo questions
    (fixed,) = [r for r in stored if r.kind == "reviewed"]
    assert fixed.reference == FIXED and fixed.rejected == "We have no loyalty programme."
    assert "ana.garcia@gmail.com" not in fixed.context[-1]["content"]  # redacted, as for training
    assert fixed.answer.startswith("today: What is the zorblat")
    asked = [r for r in openai_env.chat_requests() if r["model"] == SERVING]
    assert len(asked) == len(stored)
    assert all(r["messages"][0]["role"] == "system" for r in asked)  # voice + conversation only

    shown = run(capsys, "golden", "show")
    assert shown.code == 0 and f"Golden set #1: {len(stored)} answers by {SERVING}" in shown.out
    assert "recorded answer" in shown.out and "approved answer" in shown.out
    listed = run(capsys, "golden", "show", "--json").out
    assert len(json.loads(listed)) == len(stored)
    assert any(row["answer"].startswith("today: What is the zorblat") for row in json.loads(listed))

    again = run(capsys, "golden", "record", "--limit", "3")
    assert again.code == 0 and "Golden set #2: 3 answers" in again.out
    newest = json.loads(run(capsys, "golden", "show", "--json").out)
    assert newest[0]["kind"] == "reviewed"  # corrections are always kept


def test_an_empty_golden_set_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    assert "No golden set yet" in run(capsys, "golden", "show").out


@pytest.mark.usefixtures("demo")
def test_when_the_model_answering_today_is_gone_the_gate_uses_the_golden_answers(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    together_env: FakeTogether,
    openai_env: FakeOpenAI,
) -> None:
    """OpenAI answered well; then it is gone (here: its key revoked). A Together candidate that
    answers worse than what customers got is kept back; one that answers as well ships."""
    seed_reviewed()
    openai_env.answer_as(SERVING, reference_answer)
    assert run(capsys, "golden", "record").code == 0
    openai_env.api_key = "sk-revoked"  # every chat request to the old model now fails

    kept = run(capsys, "train", "--provider", "together")
    assert kept.code == 0, kept.err
    assert "Run #1 not promoted:" in kept.out and "so against" in kept.out
    first = next(r for r in rows(database_url, TuningRun) if r.id == 1)
    assert first.state == RunState.rejected and first.scores["against"] == "golden"

    together_env.answer_tuned(reference_answer)
    shipped = run(capsys, "train", "--provider", "together", "--full")
    assert shipped.code == 0, shipped.err
    assert "Run #2 promoted:" in shipped.out


@pytest.mark.usefixtures("demo")
def test_golden_questions_outside_the_holdout_are_gated_against_their_recorded_answers(
    capsys: pytest.CaptureFixture[str], database_url: str, openai_env: FakeOpenAI
) -> None:
    fixed = seed_reviewed()
    openai_env.answer_as(SERVING, reference_answer)  # today's model has the correction right
    assert run(capsys, "golden", "record").code == 0
    openai_env.answers.pop(SERVING)  # a later current model that says "(fake answer)"

    trained = run(capsys, "train", "--provider", "openai")
    assert trained.code == 0, trained.err
    stored = next(iter(rows(database_url, TuningRun)))
    assert stored.scores["golden"] == 1  # the reviewed correction, trained on, not held out
    assert stored.state == RunState.rejected  # the candidate loses it against the golden answer
    assert "(1 against recorded golden answers)" in (stored.error or "")
    assert stored.scores["corrections_right"] == {"candidate": 0, "current": 1}
    assert stored.scores["regressions"] == [fixed]
