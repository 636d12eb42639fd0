"""`afina review`'s desk part: questions the bot could not answer and 👎'd answers.

Pending suggestions are listed by `afina review` itself (they are pending examples);
this lists the other open desk items and lets a reviewer answer, correct or dismiss
one from the terminal, with the same rules as the Slack desk (`bot.desk.actions`):
the answer teaches the bot at once and goes back to the customer who asked.
"""

from __future__ import annotations

from rich.table import Table

from bot.app import Core
from bot.cli.teach import short
from bot.desk import actions, walk
from bot.desk.tables import ItemAction, ItemKind
from bot.desk.views import ItemCard

LISTED = [ItemKind.unanswered, ItemKind.rejected]  # suggestions: the pending examples' table
TEXT_ACTIONS = {ItemKind.unanswered: ItemAction.answered, ItemKind.rejected: ItemAction.corrected}


def open_items(the_core: Core) -> list[ItemCard]:
    return walk.open_cards(the_core, kinds=LISTED)


def items_table(cards: list[ItemCard]) -> Table:
    table = Table(title=f"{len(cards)} on the review desk (unanswered, rated 👎)")
    for name in ("item", "kind", "question", "the bot said", "asked by", "where"):
        table.add_column(name, overflow="fold")
    for card in cards:
        table.add_row(
            f"#{card.id}",
            card.kind,
            short(card.question),
            short(card.answer),
            card.asked_by,
            card.where,
        )
    return table


def handle(the_core: Core, *, item_id: int, text: str | None, reviewer: str) -> str:
    """Answer or correct an item with `text`, or dismiss it (no text); what was done."""
    card = actions.card_of(the_core, item_id)
    if text is None:
        action = ItemAction.dismissed
    else:
        action = TEXT_ACTIONS.get(card.kind, ItemAction.edited)
    return actions.act(the_core, item_id=item_id, user=reviewer, action=action, text=text).message
