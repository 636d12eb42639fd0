"""The in-memory knowledge stays in step with the database without re-reading it every time."""

from __future__ import annotations

from bot.app import Core, build_core
from bot.config import Settings
from bot.db import session_scope
from bot.knowledge import OVERLAP
from bot.tables import utcnow
from bot.teaching import edit_answer


def test_refresh_moves_its_watermark_on_instead_of_rereading_the_last_import(core: Core) -> None:
    core.knowledge.refresh()  # the demo brand was imported in one go just now
    looked_at = utcnow()
    core.knowledge.refresh()
    watermark = core.knowledge.watermark
    assert watermark is not None and watermark >= looked_at - OVERLAP


def test_the_same_question_asked_after_another_process_edits_its_example_gets_the_new_answer(
    settings: Settings, demo: int
) -> None:
    # The prompt and the backend share one search per question; a change seen by a
    # refresh in between must never be hidden behind it.
    asking, editing = build_core(settings), build_core(settings)
    try:
        question = "How long does shipping take?"
        asking.knowledge.refresh()
        before = asking.knowledge.closest(question, k=4)[0]
        asking.knowledge.closest(question, k=4)  # asked again: the shared search
        with session_scope(editing.engine) as session:
            edit_answer(
                session,
                editing.knowledge,
                example_id=before.example_id,
                answer="Two working days, tracked.",
                by="console:test",
            )
        asking.knowledge.refresh()
        after = asking.knowledge.closest(question, k=4)
        assert after[0].example_id == before.example_id
        assert after[0].answer == "Two working days, tracked."
        assert [m.score for m in asking.knowledge.closest(question, k=4, min_score=1.1)] == []
    finally:
        asking.engine.dispose()
        editing.engine.dispose()
