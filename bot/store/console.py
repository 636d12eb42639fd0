"""The web console's own rows: sign-in links, sessions, the audit trail, the gate's answers.

Same rules as `bot.store`: keyword-only functions on an open `Session`, the caller
commits. Links and sessions are looked up by the SHA-256 of their secret; the
secret itself is never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.tables import AuditEntry, ConsoleLink, ConsoleSession, GateAnswer, utcnow

# --- sign-in links --------------------------------------------------------------


def add_link(session: Session, *, token_hash: str, user_id: str, expires_at: datetime) -> None:
    session.add(ConsoleLink(token_hash=token_hash, user_id=user_id, expires_at=expires_at))
    session.flush()


def find_link(session: Session, *, token_hash: str) -> ConsoleLink | None:
    return session.exec(select(ConsoleLink).where(ConsoleLink.token_hash == token_hash)).first()


def use_link(session: Session, *, token_hash: str, now: datetime) -> bool:
    """Mark an unused, unexpired link used; False when it was not (used, expired, unknown).

    One conditional UPDATE, so two browsers presenting the same link cannot both win."""
    result = session.execute(
        update(ConsoleLink)
        .where(col(ConsoleLink.token_hash) == token_hash)
        .where(col(ConsoleLink.used_at).is_(None))
        .where(col(ConsoleLink.expires_at) > now)
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- sessions ---------------------------------------------------------------------


def add_session(session: Session, *, token_hash: str, user_id: str, expires_at: datetime) -> None:
    session.add(ConsoleSession(token_hash=token_hash, user_id=user_id, expires_at=expires_at))
    session.flush()


def live_session(session: Session, *, token_hash: str, now: datetime) -> ConsoleSession | None:
    """The session with this cookie hash, unless it ended or expired."""
    return session.exec(
        select(ConsoleSession)
        .where(ConsoleSession.token_hash == token_hash)
        .where(col(ConsoleSession.ended_at).is_(None))
        .where(col(ConsoleSession.expires_at) > now)
    ).first()


def end_sessions(session: Session, *, user_id: str) -> int:
    """End every open session of one user (sign-out everywhere); how many ended."""
    result = session.execute(
        update(ConsoleSession)
        .where(col(ConsoleSession.user_id) == user_id)
        .where(col(ConsoleSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the audit trail --------------------------------------------------------------


def add_audit(
    session: Session, *, user_id: str, action: str, target: str = "", detail: str = ""
) -> AuditEntry:
    entry = AuditEntry(user_id=user_id, action=action, target=target, detail=detail)
    session.add(entry)
    session.flush()
    return entry


def audit_page(
    session: Session, *, offset: int, limit: int, user_id: str | None = None
) -> Sequence[AuditEntry]:
    """Newest first; `limit` rows from `offset` (ask for one more to know if a page follows)."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
    if user_id:
        query = query.where(AuditEntry.user_id == user_id)
    return session.exec(query).all()


def count_audit(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


# --- the gate's answers -------------------------------------------------------------


def add_gate_answers(session: Session, *, run_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Store the gate's rows (see `tuning.evaluate.Gate._score`) for one run, replacing any."""
    for old in session.exec(select(GateAnswer).where(GateAnswer.run_id == run_id)).all():
        session.delete(old)
    for row in rows:
        session.add(
            GateAnswer(
                run_id=run_id,
                example_id=int(row.get("example_id", 0)),
                question=str(row.get("question", "")),
                reference=str(row.get("reference", "")),
                candidate_answer=str(row.get("candidate_answer", "")),
                current_answer=str(row.get("current_answer", "")),
                candidate_score=float(row.get("candidate", 0.0)),
                current_score=float(row.get("current", 0.0)),
                correction=bool(row.get("correction", False)),
                candidate_right=row.get("candidate_right"),
                current_right=row.get("current_right"),
            )
        )
    session.flush()


def gate_answers(session: Session, *, run_id: int, offset: int, limit: int) -> Sequence[GateAnswer]:
    return session.exec(
        select(GateAnswer)
        .where(GateAnswer.run_id == run_id)
        .order_by(col(GateAnswer.id))
        .offset(offset)
        .limit(limit)
    ).all()
