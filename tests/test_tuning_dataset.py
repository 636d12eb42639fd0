"""Training files: exact content, redaction, the validation report, the split, incremental sets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core, build_core
from bot.db import session_scope
from bot.tables import utcnow
from tests.support.cli import run
from tests.support.data import add_example
from tuning.dataset import Incremental, build_dataset, holdout_side, read_report
from tuning.providers.base import Rules

VOICE = "Be kind. Sé amable."
SYSTEM = {"role": "system", "content": VOICE}
RULES = Rules(min_examples=1, max_example_tokens=4096)


@pytest.fixture
def bare(make_settings: Any) -> Iterator[Core]:
    """A core with no demo data, a short voice and no holdout unless a test asks for one."""
    built = build_core(make_settings(system_prompt=VOICE, tuning_holdout_share=0.0))
    yield built
    built.engine.dispose()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def build(core: Core, folder: Path, **kwargs: Any) -> Any:
    with session_scope(core.engine) as session:
        return build_dataset(session, core.settings, folder, rules=RULES, **kwargs)


def test_sft_and_dpo_lines_are_exact(bare: Core, tmp_path: Path) -> None:
    add_example(bare.engine, "How much is shipping?", "Free over €35 🌿")
    add_example(
        bare.engine,
        "Do you ship to Lyon?",
        "Yes: 3–5 working days 🌱",
        context=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "¡Hola! 🌿"}],
    )
    add_example(
        bare.engine, "What is the zorblat club?", "Our free loyalty club 🌿", rejected="No idea."
    )
    built = build(bare, tmp_path / "out")

    assert lines(built.files["sft"]) == [
        dumps(
            {
                "messages": [
                    SYSTEM,
                    {"role": "user", "content": "How much is shipping?"},
                    {"role": "assistant", "content": "Free over €35 🌿"},
                ]
            }
        ),
        dumps(
            {
                "messages": [
                    SYSTEM,
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "¡Hola! 🌿", "weight": 0},
                    {"role": "user", "content": "Do you ship to Lyon?"},
                    {"role": "assistant", "content": "Yes: 3–5 working days 🌱"},
                ]
            }
        ),
        dumps(
            {
                "messages": [
                    SYSTEM,
                    {"role": "user", "content": "What is the zorblat club?"},
                    {"role": "assistant", "content": "Our free loyalty club 🌿"},
                ]
            }
        ),
    ]
    assert lines(built.files["dpo"]) == [
        dumps(
            {
                "input": {
                    "messages": [SYSTEM, {"role": "user", "content": "What is the zorblat club?"}]
                },
                "preferred_output": [{"role": "assistant", "content": "Our free loyalty club 🌿"}],
                "non_preferred_output": [{"role": "assistant", "content": "No idea."}],
            }
        )
    ]
    messages = [json.loads(line) for line in lines(built.files["messages"])]
    assert messages[1] == {  # the taught answer is the only assistant turn; the rest is context
        "messages": [
            {
                "role": "system",
                "content": f"{VOICE}\n\nThe conversation so far:\nuser: Hi\nassistant: ¡Hola! 🌿",
            },
            {"role": "user", "content": "Do you ship to Lyon?"},
            {"role": "assistant", "content": "Yes: 3–5 working days 🌱"},
        ]
    }
    assert lines(built.files["dpo_trl"]) == [
        dumps(
            {
                "prompt": [SYSTEM, {"role": "user", "content": "What is the zorblat club?"}],
                "chosen": [{"role": "assistant", "content": "Our free loyalty club 🌿"}],
                "rejected": [{"role": "assistant", "content": "No idea."}],
            }
        )
    ]
    assert built.report.train == 3 and built.report.pairs == 1 and built.report.train_tokens > 0


def test_messages_file_loads_with_hugging_face_datasets(bare: Core, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    add_example(bare.engine, "Vegan?", "100% 🌱")
    add_example(
        bare.engine,
        "And the bottles?",
        "Recycled glass 🌿",
        context=[{"role": "user", "content": "Vegan?"}, {"role": "assistant", "content": "Yes"}],
    )
    built = build(bare, tmp_path / "out")
    loaded = datasets.load_dataset("json", data_files=str(built.files["messages"]), split="train")
    assert loaded.num_rows == 2
    assert loaded[1]["messages"][-1] == {"role": "assistant", "content": "Recycled glass 🌿"}


def test_personal_data_is_redacted_and_counted(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings(
        system_prompt="Be kind. Humans answer at hola@verdalia.example.",
        tuning_holdout_share=0.0,
        redact_patterns=["ORD-\\d{6}"],
    )
    core = build_core(settings)
    add_example(
        core.engine,
        "I'm ana.garcia@gmail.com, call me on +34 612 345 678 about ORD-123456",
        "Sure! Or write to hola@verdalia.example 🌿",
    )
    add_example(
        core.engine,
        "Refund to ES91 2100 0418 4502 0005 1332 please, I paid with 4111 1111 1111 1111",
        "Done: refunds take 3–5 days, order 12345 of 2026-05-07 🌱",
    )
    built = build(core, tmp_path / "out")
    text = built.files["sft"].read_text(encoding="utf-8")
    for secret in ("ana.garcia", "612 345", "ES91", "4111", "ORD-123456"):
        assert secret not in text
    assert "I'm [EMAIL], call me on [PHONE] about [REDACTED]" in text
    assert "Refund to [IBAN] please, I paid with [CARD]" in text
    assert "hola@verdalia.example" in text  # the shop's own address is not personal data
    assert "order 12345 of 2026-05-07" in text  # order numbers and dates stay
    counted = {kind: n for kind, n in built.report.redacted.items() if n}
    assert counted == {"email": 1, "phone": 1, "card": 1, "iban": 1, "custom": 1}
    stored = read_report(tmp_path / "out")  # report.json says the same
    assert "Redacted: 1 email, 1 phone, 1 card, 1 iban, 1 custom." in stored.lines()
    core.engine.dispose()


def test_validation_report_says_what_was_dropped_and_why(
    make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(
        system_prompt="Be kind.", tuning_holdout_share=0.0, tuning_max_example_tokens=64
    )
    core = build_core(settings)
    good = add_example(core.engine, "Vegan?", "Always 🌱")
    long = add_example(core.engine, "Tell me everything", "word " * 80)
    ends_wrong = add_example(core.engine, "x", "y")
    first = add_example(core.engine, "Mail me at a@one.example", "Will do 🌿")
    dup = add_example(core.engine, "Mail me at b@two.example", "Will do 🌿")
    bad_role = add_example(core.engine, "Hi", "Hello", context=[{"role": "tool", "content": "t"}])
    with session_scope(core.engine) as session:  # a context that ends with the bot speaking
        from bot import store

        row = store.get_example(session, example_id=ends_wrong)
        row.prompt = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "z"}]
        store.save_example(session, row)
    with session_scope(core.engine) as session:
        built = build_dataset(
            session, settings, tmp_path / "out", rules=Rules(min_examples=10, max_example_tokens=64)
        )
    report = built.report
    assert report.train == 2 and report.read == 6
    assert report.dropped == {"too_long": 1, "no_question": 1, "duplicate": 1, "bad_role": 1}
    assert report.dropped_ids["duplicate"] == [dup]
    text = "\n".join(report.lines())
    assert f"Dropped 1: longer than 64 tokens (#{long})." in text
    assert f"the context does not end with a user message (#{ends_wrong})" in text
    assert f"(compared after normalising case, accents, spacing and redaction) (#{dup})" in text
    assert f"a role other than user or assistant (#{bad_role})" in text
    assert (
        "Too few training examples: 2 after the checks above, the provider needs at least 10"
        in (text)
    )
    assert not report.ok
    kept = [json.loads(line)["messages"][1]["content"] for line in lines(built.files["sft"])]
    assert kept == ["Vegan?", "Mail me at [EMAIL]"]
    assert good and first
    core.engine.dispose()


@pytest.mark.usefixtures("demo")
def test_export_command_writes_every_file_with_its_report(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    result = run(capsys, "export", "--out", str(tmp_path / "exp"))
    assert result.code == 0, result.err
    assert "Read 48 accepted examples" in result.out
    names = {p.name for p in (tmp_path / "exp").iterdir()}
    assert names == {
        "sft.jsonl",
        "dpo.jsonl",
        "messages.jsonl",
        "dpo_trl.jsonl",
        "holdout.jsonl",
        "report.json",
    }
    held = len(lines(tmp_path / "exp" / "holdout.jsonl"))
    assert len(lines(tmp_path / "exp" / "sft.jsonl")) + held == 48


def test_split_is_stable_and_keeps_conversations_whole(make_settings: Any, tmp_path: Path) -> None:
    core = build_core(make_settings(system_prompt="x", tuning_holdout_share=0.3))
    for n in range(120):
        add_example(core.engine, f"question {n}", f"answer {n}", key=f"chat:{n % 60}")
    first = build(core, tmp_path / "one")
    held = {json.loads(line)["conversation_key"] for line in lines(first.files["holdout"])}
    assert 10 <= len(held) <= 30  # about 30% of 60 conversations
    for n in range(120, 200):  # later turns of the same chats, and new chats
        add_example(core.engine, f"question {n}", f"answer {n}", key=f"chat:{n % 90}")
    second = build(core, tmp_path / "two")
    held_again = [json.loads(line) for line in lines(second.files["holdout"])]
    keys_again = {row["conversation_key"] for row in held_again}
    assert held <= keys_again  # once held out, always held out
    trained = {
        json.loads(line)["messages"][1]["content"] for line in lines(second.files["messages"])
    }
    for row in held_again:  # nothing of a held-out conversation is ever trained on
        assert row["messages"][-1]["content"] not in trained
    assert all(
        holdout_side(k, seed=42, share=0.3) for k in keys_again
    )  # the side is a pure function of the key
    core.engine.dispose()


def test_incremental_set_is_new_rows_plus_a_replay_sample(bare: Core, tmp_path: Path) -> None:
    for n in range(100):
        add_example(bare.engine, f"old {n}", f"old answer {n}")
    since = utcnow() + timedelta(milliseconds=1)
    with session_scope(bare.engine) as session:
        from bot import store

        after = store.max_example_id(session)
    for n in range(20):
        add_example(bare.engine, f"new {n}", f"new answer {n}")
    inc = Incremental(after_id=after, since=since, replay_share=0.3, seed="42:2")
    built = build(bare, tmp_path / "inc", incremental=inc)
    questions = [json.loads(line)["messages"][1]["content"] for line in lines(built.files["sft"])]
    assert sum(q.startswith("new") for q in questions) == 20
    assert sum(q.startswith("old") for q in questions) == 6  # 30% of 20
    assert built.report.new == 20 and built.report.replay == 6
    again = build(bare, tmp_path / "again", incremental=inc)  # a restart writes the same file
    assert lines(again.files["sft"]) == lines(built.files["sft"])
