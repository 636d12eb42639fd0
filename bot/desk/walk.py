"""The desk one item at a time (Telegram's `/review`, `afina review`), and who opted in.

`/notify` opts a reviewer's chat in to the desk's cards: a subscription per
destination, kept in the database so every process posts there; it counts only
while its owner is still a reviewer (checked at every post, `Desk.destinations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.db import session_scope
from bot.desk.actions import check_reviewer, view
from bot.desk.tables import ItemKind
from bot.desk.views import ItemCard
from bot.store import desk as store_desk

if TYPE_CHECKING:
    from bot.app import Core


def open_cards(
    core: Core,
    *,
    after_id: int = 0,
    limit: int = 200,
    kinds: list[ItemKind] | None = None,
    channels: list[str] | None = None,
) -> list[ItemCard]:
    """Open items after `after_id`, oldest first, of these kinds, asked in these channels
    (every one when None): what a reviewer's list shows (`/review`, `afina review`, the
    console's Review page). Acting on one is `bot.desk.actions.act`."""
    with session_scope(core.engine) as session:
        items = store_desk.open_items(
            session, limit=limit, after_id=after_id, kinds=kinds, channels=channels
        )
        return [view(session, item) for item in items]


def next_open(core: Core, *, user: str, after_id: int = 0) -> tuple[ItemCard | None, int]:
    """For a reviewer: the first open item after `after_id`, and how many are open in all."""
    check_reviewer(core, user)
    found = open_cards(core, after_id=after_id, limit=1)
    with session_scope(core.engine) as session:
        total = sum(store_desk.count_open(session).values())
    return (found[0] if found else None), total


def subscribe(core: Core, *, user: str, destination: str, language: str = "") -> bool:
    """Opt `destination` in to the desk's cards for reviewer `user`, written in `language`;
    False if it was already."""
    check_reviewer(core, user)
    with session_scope(core.engine) as session:
        return store_desk.subscribe(
            session, destination=destination, user_id=user, language=language
        )


def language_of(core: Core, *, destination: str) -> str:
    """The language of a subscribed chat's reviewer ("" when not known)."""
    with session_scope(core.engine) as session:
        return store_desk.subscription_language(session, destination=destination)


def unsubscribe(core: Core, *, destination: str) -> bool:
    with session_scope(core.engine) as session:
        return store_desk.unsubscribe(session, destination=destination)
