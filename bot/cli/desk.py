"""`afina review`'s desk part: questions the bot could not answer and 👎'd answers.

Pending suggestions are listed by `afina review` itself (they are pending examples);
this lists the other open desk items and lets a reviewer answer, correct or dismiss
one from the terminal, with the same rules as the Slack desk (`bot.desk.actions`):
the answer teaches the bot at once and goes back to the customer who asked.
"""

from __future__ import annotations

from bot.app import Core
from bot.cli.teach import short
from bot.desk import actions, walk
from bot.desk.tables import ItemAction, ItemKind
from bot.desk.views import ItemCard

LISTED = [ItemKind.unanswered, ItemKind.rejected]  # suggestions: the pending examples' table
TEXT_ACTIONS = {ItemKind.unanswered: ItemAction.answered, ItemKind.rejected: ItemAction.corrected}


def open_items(the_core: Core) -> list[ItemCard]:
    return walk.open_cards(the_core, kinds=LISTED)


def items_lines(cards: list[ItemCard]) -> list[str]:
    """The open desk items, a few lines each (long questions stay whole: no table folds them)."""
    lines = [f"{len(cards)} on the review desk (unanswered, rated 👎):"]
    for card in cards:
        raised = f", rated 👎 by {card.raised_by}" if card.kind == ItemKind.rejected else ""
        lines.append(f"#{card.id} {card.kind} · asked by {card.asked_by} in {card.where}{raised}")
        lines.append(f"   Q: {short(card.question, 200)}")
        lines.append(f"   the bot said: {short(card.answer, 200)}")
    return lines


def handle(the_core: Core, *, item_id: int, text: str | None, reviewer: str) -> str:
    """Answer or correct an item with `text`, or dismiss it (no text); what was done."""
    card = actions.card_of(the_core, item_id)
    if text is None:
        action = ItemAction.dismissed
    else:
        action = TEXT_ACTIONS.get(card.kind, ItemAction.edited)
    return actions.act(the_core, item_id=item_id, user=reviewer, action=action, text=text).message
