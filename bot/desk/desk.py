"""The desk: which channels take part, what each destination is owed, and posting it once.

Every process has one (`core.desk`), built lazily: its ends come from the channels
these settings set up (`Channel.desk`), so a process that never posts never imports
a platform library. What is owed is read from the database, and every post is
claimed there first, so any number of processes may run `tick` (the worker does,
every DESK_POLL_INTERVAL_S): each card is posted once, each handoff sent once.

- `tick`: hand off answers nobody has delivered yet, retry cards whose post failed,
  post the cards of new open items and of runs that ended, and update cards still
  showing an item as open after it was handled (by a process that died, say).
- `settle(item, handoff)`: right after a reviewer acts, in that process: deliver the
  handoff and update the item's cards at once.
- `notify_run_finished`: `tuning.notify.RunNotifier`, so a run announces itself the
  moment it ends, wherever it ended (`afina train` too).

Destinations: every end's own (Slack's review channel), and each chat a reviewer
opted in with `/notify` (while that person is still a reviewer), which gets the
items made since. Items older than LOOKBACK are not posted anywhere new; they stay
in `afina review`, the Home tab and `/review`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.db import session_scope
from bot.desk import reports
from bot.desk.ends import DeskEnd, DeskError, HandoffNote
from bot.desk.tables import HandoffStatus, ItemStatus
from bot.desk.views import ItemCard
from bot.identity import is_reviewer
from bot.store import desk as store_desk
from bot.store import desk_cards as cards
from bot.tables import ModelVersion, TuningRun, utcnow

if TYPE_CHECKING:
    from bot.app import Core

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)
PER_TICK = 20  # cards posted per destination per tick: a backlog goes out at Slack's pace
RETRY_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Destination:
    name: str  # slack:C123 | telegram:42
    end: DeskEnd
    since: datetime  # items made before this are not owed here


class Desk:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._ends: dict[str, DeskEnd] | None = None
        self._lock = threading.Lock()

    # --- who takes part ---------------------------------------------------------
    def ends(self) -> dict[str, DeskEnd]:
        """Each configured channel's desk end, by channel name (made once, on first use)."""
        with self._lock:
            if self._ends is None:
                from bot.channels import configured

                found: dict[str, DeskEnd] = {}
                for channel in configured(self.core.settings):
                    end = channel.desk(self.core)
                    if end is not None:
                        found[channel.name] = end
                self._ends = found
            return self._ends

    def end_for(self, channel: str) -> DeskEnd | None:
        return self.ends().get(channel)

    @property
    def enabled(self) -> bool:
        return bool(self.ends())

    def destinations(self) -> list[Destination]:
        now = utcnow()
        floor = now - LOOKBACK
        ends = self.ends()
        found = []
        for end in ends.values():
            try:
                names = end.destinations()
            except Exception as exc:
                logger.warning("the %s desk has no destination: %s", end.channel, _said(exc))
                names = []
            found += [Destination(name, end, floor) for name in names]
        with session_scope(self.core.engine) as session:
            opted = list(store_desk.subscriptions(session))
        for sub in opted:
            opted_end = ends.get(sub.destination.partition(":")[0])
            if opted_end is not None and is_reviewer(sub.user_id, self.core.settings):
                found.append(Destination(sub.destination, opted_end, max(floor, sub.created_at)))
        return found

    # --- the loop ----------------------------------------------------------------
    def tick(self) -> int:
        """Do what is owed (see the module docstring); how many cards or messages went out."""
        if not self.enabled:
            return 0
        done = self._handoffs_owed()
        places = self.destinations()
        done += self._retries(places)
        for place in places:
            done += self._items_owed(place)
            done += self._runs_owed(place)
        done += self._stale_cards()
        return done

    def _items_owed(self, place: Destination) -> int:
        with session_scope(self.core.engine) as session:
            owed = list(
                cards.items_owed(session, destination=place.name, since=place.since, limit=PER_TICK)
            )
        return sum(self.post_item(place, item.id or 0) for item in owed)

    def _runs_owed(self, place: Destination) -> int:
        with session_scope(self.core.engine) as session:
            owed = list(
                cards.runs_owed(
                    session, destination=place.name, since=utcnow() - timedelta(days=1), limit=5
                )
            )
        return sum(self.post_run(place, run.id or 0) for run in owed)

    def _retries(self, places: list[Destination]) -> int:
        by_name = {place.name: place for place in places}
        with session_scope(self.core.engine) as session:
            failed = list(cards.cards_to_retry(session, before=utcnow() - RETRY_AFTER, limit=20))
        done = 0
        for card in failed:
            place = by_name.get(card.destination)
            if place is None:
                continue
            with session_scope(self.core.engine) as session:
                if not cards.claim_retry(session, card=card):
                    continue
            if card.item_id is not None:
                done += self._send_item(place, card.id or 0, card.item_id)
            elif card.run_id is not None:
                done += self._send_run(place, card.id or 0, card.run_id)
        return done

    def _stale_cards(self) -> int:
        with session_scope(self.core.engine) as session:
            stale = {card.item_id for card in cards.stale_item_cards(session, limit=20)}
        for item_id in stale:
            if item_id is not None:
                self.refresh_item(item_id)
        return len(stale)

    # --- items ---------------------------------------------------------------------
    def post_item(self, place: Destination, item_id: int) -> int:
        """Claim and post one item's card at one destination; 1 when this process posted it."""
        with session_scope(self.core.engine) as session:
            card_id = cards.claim_card(session, destination=place.name, item_id=item_id)
        if card_id is None:
            return 0  # another process has it
        return self._send_item(place, card_id, item_id)

    def _send_item(self, place: Destination, card_id: int, item_id: int) -> int:
        from bot.desk.actions import card_of

        card = card_of(self.core, item_id)
        try:
            message_id = place.end.post_item(place.name, card)
        except Exception as exc:
            return self._failed(card_id, f"item #{item_id} to {place.name}", exc)
        with session_scope(self.core.engine) as session:
            cards.card_posted(session, card_id=card_id, message_id=message_id, shown=_shows(card))
        return 1

    def refresh_item(self, item_id: int) -> ItemCard:
        """Show an item as it is now on every card it has (each update claimed once)."""
        from bot.desk.actions import card_of

        card = card_of(self.core, item_id)
        state = _shows(card)
        with session_scope(self.core.engine) as session:
            posted = list(cards.cards_of(session, item_id=item_id))
        for row in posted:
            if row.shown == state:
                continue
            with session_scope(self.core.engine) as session:
                if not cards.claim_refresh(session, card_id=row.id or 0, was=row.shown, now=state):
                    continue
            end = self.end_for(row.destination.partition(":")[0])
            if end is None or row.message_id is None:
                continue
            try:
                end.update_item(row.destination, row.message_id, card)
            except Exception as exc:
                logger.warning("updating the card of item #%s failed: %s", item_id, _said(exc))
        return card

    def settle(self, item_id: int, handoff_id: int | None) -> ItemCard:
        """After a reviewer acted: deliver the handoff, then update the item's cards."""
        if handoff_id is not None:
            self.deliver(handoff_id)
        return self.refresh_item(item_id)

    # --- handoffs --------------------------------------------------------------------
    def _handoffs_owed(self) -> int:
        with session_scope(self.core.engine) as session:
            owed = list(store_desk.pending_handoffs(session))
        sent = 0
        for handoff_id in owed:
            item_id = self.deliver(handoff_id)
            if item_id is not None:
                self.refresh_item(item_id)
                sent += 1
        return sent

    def deliver(self, handoff_id: int) -> int | None:
        """Send one handoff if nobody has claimed it; its item's id when this process did."""
        with session_scope(self.core.engine) as session:
            if not store_desk.claim_handoff(session, handoff_id=handoff_id):
                return None
            handoff = store_desk.get_handoff(session, handoff_id=handoff_id)
            reply = store_desk.reply_of(session, reply_id=handoff.reply_id)
            thread, question = store_desk.handoff_place(session, reply=reply)
            note = HandoffNote(
                reply.channel, reply.chat_id, thread, question, handoff.text, handoff.by
            )
            item_id, conversation_id = handoff.item_id, reply.conversation_id
        end = self.end_for(note.channel)
        message_id, error = None, None
        try:
            if end is None:
                raise DeskError(f"{note.channel} is not set up in this process")
            message_id = end.hand_off(note)
        except Exception as exc:
            error = _said(exc)
            logger.warning("handing item #%s back to the customer failed: %s", item_id, error)
        with session_scope(self.core.engine) as session:
            store_desk.finish_handoff(
                session, handoff_id=handoff_id, message_id=message_id, error=error
            )
            if error is None:  # the customer's conversation now holds the team's answer
                store_desk.add_team_message(
                    session,
                    conversation_id=conversation_id,
                    text=note.text,
                    by=note.reviewer,
                    platform_message_id=message_id,
                )
        return item_id

    # --- runs ----------------------------------------------------------------------------
    def notify_run_finished(self, run: TuningRun, version: ModelVersion | None) -> None:
        """`tuning.notify.RunNotifier`: announce the run at every destination, once each."""
        if not self.enabled or run.id is None:
            return
        for place in self.destinations():
            self.post_run(place, run.id)

    def post_run(self, place: Destination, run_id: int) -> int:
        with session_scope(self.core.engine) as session:
            card_id = cards.claim_card(session, destination=place.name, run_id=run_id)
        if card_id is None:
            return 0
        return self._send_run(place, card_id, run_id)

    def _send_run(self, place: Destination, card_id: int, run_id: int) -> int:
        with session_scope(self.core.engine) as session:
            report = reports.report_for(session, run_id=run_id)
        try:
            message_id = place.end.post_run(place.name, report)
        except Exception as exc:
            return self._failed(card_id, f"run #{run_id} to {place.name}", exc)
        with session_scope(self.core.engine) as session:
            cards.card_posted(session, card_id=card_id, message_id=message_id, shown="posted")
        return 1

    def refresh_run(self, run_id: int, note: str) -> reports.RunReport:
        """Show a run as it is now, with what a reviewer just did, on every announcement."""
        with session_scope(self.core.engine) as session:
            report = reports.report_for(session, run_id=run_id, note=note)
            posted = list(cards.cards_of(session, run_id=run_id))
        for row in posted:
            with session_scope(self.core.engine) as session:
                cards.claim_refresh(
                    session, card_id=row.id or 0, was=row.shown, now="posted", note=note
                )
            end = self.end_for(row.destination.partition(":")[0])
            if end is None or row.message_id is None:
                continue
            try:
                end.update_run(row.destination, row.message_id, report)
            except Exception as exc:
                logger.warning("updating run #%s's announcement failed: %s", run_id, _said(exc))
        return report

    def _failed(self, card_id: int, what: str, exc: Exception) -> int:
        reason = _said(exc)
        logger.warning("posting %s failed: %s", what, reason)
        with session_scope(self.core.engine) as session:
            cards.card_failed(session, card_id=card_id, error=reason)
        return 0


def _shows(card: ItemCard) -> str:
    """What a card of this item shows: `open`, or `handled` with the handoff's state."""
    if card.status == ItemStatus.open:
        return ItemStatus.open
    final = card.handoff in (HandoffStatus.sent, HandoffStatus.failed)
    return f"handled:{card.handoff}" if card.handoff and final else "handled"


def _said(exc: BaseException) -> str:
    """A failure in words fit for a log line and the database: an end's own reason, or the
    exception's type (a platform's exception may quote a URL that holds a token)."""
    return str(exc)[:200] if isinstance(exc, DeskError) else type(exc).__name__
