"""The in-memory knowledge stays in step with the database without re-reading it every time."""

from __future__ import annotations

from bot.app import Core
from bot.knowledge import OVERLAP
from bot.tables import utcnow


def test_refresh_moves_its_watermark_on_instead_of_rereading_the_last_import(core: Core) -> None:
    core.knowledge.refresh()  # the demo brand was imported in one go just now
    looked_at = utcnow()
    core.knowledge.refresh()
    watermark = core.knowledge.watermark
    assert watermark is not None and watermark >= looked_at - OVERLAP
