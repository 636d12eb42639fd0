"""What a reviewer can do from the console, each through the same core function the
CLI and the chat channels use, and each written to the audit trail with who did it.

No HTTP here: pages call these with the signed-in reviewer's identity, so the rules
(`bot.feedback`, `tuning.registry`, the responder) stay in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import feedback, store
from bot.app import Core
from bot.db import session_scope
from bot.errors import BadInput
from bot.messages import Incoming
from bot.store import browse as store_browse
from bot.store import console as store_console
from bot.store.browse import PLAYGROUND
from bot.tables import FeedbackKind

AUDIT_TEXT = 120  # characters of a question kept in the audit trail


def correct(core: Core, *, user: str, reply_id: int, text: str) -> feedback.Outcome:
    """A reviewer's correction of a reply: an accepted example at once (`bot.feedback`)."""
    with session_scope(core.engine) as session:
        outcome = feedback.give(
            session,
            core.settings,
            reply_id=reply_id,
            user=user,
            kind=FeedbackKind.correct,
            corrected_text=text,
        )
        example = f" → example #{outcome.example_id}" if outcome.example_id else ""
        store_console.add_audit(
            session,
            user_id=user,
            action="corrected",
            target=f"reply:{reply_id}",
            detail=f"{outcome.result}{example}",
        )
    return outcome


def promote(core: Core, *, user: str, version_id: int) -> str:
    """Make a version answer, as `afina promote` does; returns its model id."""
    from tuning import registry
    from tuning.providers.base import ProviderError

    try:
        version = registry.promote(core, version_id)
    except ProviderError as exc:  # e.g. a local adapter that is not on this machine
        raise BadInput(exc.message) from None
    _audit(core, user, "promoted", f"version:{version_id}", version.model_id)
    return version.model_id


def rollback(core: Core, *, user: str) -> tuple[int, int]:
    """Back to the version the active one replaced, as `afina rollback` does: (was, now)."""
    from tuning import registry
    from tuning.providers.base import ProviderError

    try:
        was, now = registry.rollback(core)
    except ProviderError as exc:
        raise BadInput(exc.message) from None
    _audit(core, user, "rolled back", f"version:{was.id}", f"now version {now.id}")
    return was.id or 0, now.id or 0


@dataclass(frozen=True)
class Asked:
    reply_id: int
    compared_id: int | None


def ask(core: Core, *, user: str, text: str, compare_with: int | None = None) -> Asked:
    """Ask as a customer would, on the `playground` channel (kept out of customers' figures);
    with `compare_with`, the same question to that version too, in a conversation of its own."""
    if not text.strip():
        raise BadInput("Write a question first.")
    reply = core.responder.answer(_incoming(user, text, "active"))
    compared = None
    if compare_with is not None:
        with session_scope(core.engine) as session:
            version = store.get_version(session, version_id=compare_with)
        compared = core.responder.answer(
            _incoming(user, text, f"version-{compare_with}"), version=version
        ).reply_id
    target = f"reply:{reply.reply_id}" + (f",reply:{compared}" if compared else "")
    _audit(core, user, "asked in playground", target, text[:AUDIT_TEXT])
    return Asked(reply.reply_id, compared)


def forget_playground(core: Core, *, user: str) -> None:
    """Start the reviewer's playground conversations afresh."""
    with session_scope(core.engine) as session:
        for thread in store_browse.open_threads(session, channel=PLAYGROUND, chat_id=user):
            store.close_conversation_on(
                session.connection(), channel=PLAYGROUND, chat_id=user, thread_id=thread
            )
        store_console.add_audit(session, user_id=user, action="new playground conversation")


def _incoming(user: str, text: str, lane: str) -> Incoming:
    return Incoming(channel=PLAYGROUND, chat_id=user, user_id=user, text=text, thread_id=lane)


def _audit(core: Core, user: str, action: str, target: str, detail: str) -> None:
    with session_scope(core.engine) as session:
        store_console.add_audit(session, user_id=user, action=action, target=target, detail=detail)
