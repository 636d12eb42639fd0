"""Keyword-only queries over the tables; the only module of the core that writes SQL.

Each function takes an open `Session` and leaves committing to the caller
(`bot.db.session_scope`), so one unit of work commits or fails whole. The
`…_on` functions on every answer's path take a `Connection` instead (from
`bot.db.write_transaction`): plain Core statements, no ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.errors import NotFound
from bot.tables import (
    Conversation,
    Example,
    ExampleSource,
    ExampleStatus,
    ExampleVector,
    Feedback,
    ImportBatch,
    Lease,
    Message,
    ModelVersion,
    ProcessedEvent,
    Reply,
    RunState,
    TuningEvent,
    TuningRun,
    utcnow,
)
from bot.text import content_hash, question_hash


class ActiveVersion(NamedTuple):
    """What answering needs of the active model version (see `bot.responder.choose_target`)."""

    id: int
    provider: str
    model_id: str


class IndexRow(NamedTuple):
    id: int
    question: str
    answer: str
    status: ExampleStatus
    updated_at: datetime
    phrasings: list[str]


# --- conversations and messages ---------------------------------------------


def open_conversation(
    session: Session, *, channel: str, chat_id: str, thread_id: str = ""
) -> Conversation:
    """The open conversation for this chat/thread, or a new one."""
    found = find_open_conversation(session, channel=channel, chat_id=chat_id, thread_id=thread_id)
    if found:
        return found
    conversation = Conversation(channel=channel, chat_id=chat_id, thread_id=thread_id)
    session.add(conversation)
    session.flush()
    return conversation


def find_open_conversation(
    session: Session, *, channel: str, chat_id: str, thread_id: str = ""
) -> Conversation | None:
    """The open conversation for this chat/thread, without opening one."""
    return session.exec(
        select(Conversation)
        .where(Conversation.channel == channel)
        .where(Conversation.chat_id == chat_id)
        .where(Conversation.thread_id == thread_id)
        .where(col(Conversation.closed_at).is_(None))
        .order_by(col(Conversation.id).desc())
        .limit(1)
    ).first()


def get_conversation(session: Session, *, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"No conversation with id {conversation_id}.")
    return conversation


def close_conversation(session: Session, *, channel: str, chat_id: str, thread_id: str = "") -> int:
    """Close the open conversation(s) of a chat so the next message starts afresh."""
    result = session.execute(
        update(Conversation)
        .where(col(Conversation.channel) == channel)
        .where(col(Conversation.chat_id) == chat_id)
        .where(col(Conversation.thread_id) == thread_id)
        .where(col(Conversation.closed_at).is_(None))
        .values(closed_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def add_message(
    session: Session,
    *,
    conversation_id: int,
    role: str,
    text: str,
    user_id: str = "",
    platform_message_id: str | None = None,
) -> Message:
    message = Message(
        conversation_id=conversation_id,
        role=role,
        text=text,
        user_id=user_id,
        platform_message_id=platform_message_id,
    )
    session.add(message)
    session.flush()
    return message


def recent_turns(session: Session, *, conversation_id: int, limit: int) -> list[dict[str, str]]:
    """The last `limit` messages of a conversation as chat turns, oldest first."""
    if limit <= 0:
        return []
    rows = session.exec(
        select(Message.role, Message.text)
        .where(Message.conversation_id == conversation_id)
        .order_by(col(Message.id).desc())
        .limit(limit)
    ).all()
    return [{"role": role, "content": text} for role, text in reversed(rows)]


# --- the answer's path: SQLAlchemy Core on one connection ----------------------
#
# Every answer runs these. Building ORM objects and flushing them cost several times
# what the SQL itself does, so they are plain statements built once at import (with
# bind parameters, so SQLAlchemy compiles each once and reuses it) and run on a
# `Connection`. They write exactly the rows the ORM functions above would.

_FIND_CONVERSATION = (
    sa_select(col(Conversation.id))
    .where(col(Conversation.channel) == bindparam("channel"))
    .where(col(Conversation.chat_id) == bindparam("chat_id"))
    .where(col(Conversation.thread_id) == bindparam("thread_id"))
    .where(col(Conversation.closed_at).is_(None))
    .order_by(col(Conversation.id).desc())
    .limit(1)
)
_ADD_CONVERSATION = insert(Conversation)
_ADD_MESSAGE = insert(Message)
_ADD_REPLY = insert(Reply)
_RECENT_TURNS = (
    sa_select(col(Message.role), col(Message.text))
    .where(col(Message.conversation_id) == bindparam("conversation_id"))
    .order_by(col(Message.id).desc())
    .limit(bindparam("limit"))
)
_ACTIVE_VERSION = (
    sa_select(col(ModelVersion.id), col(ModelVersion.provider), col(ModelVersion.model_id))
    .where(col(ModelVersion.active).is_(True))
    .limit(1)
)


def conversation_id_on(
    connection: Connection, *, channel: str, chat_id: str, thread_id: str
) -> int:
    """`open_conversation`'s id: the open conversation of this chat/thread, or a new one."""
    keys = {"channel": channel, "chat_id": chat_id, "thread_id": thread_id}
    found = connection.execute(_FIND_CONVERSATION, keys).scalar()
    if found is not None:
        return int(found)
    result = connection.execute(_ADD_CONVERSATION, {**keys, "created_at": utcnow()})
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def recent_turns_on(
    connection: Connection, *, conversation_id: int, limit: int
) -> list[dict[str, str]]:
    """`recent_turns` on a connection."""
    if limit <= 0:
        return []
    rows = connection.execute(
        _RECENT_TURNS, {"conversation_id": conversation_id, "limit": limit}
    ).all()
    return [{"role": role, "content": text} for role, text in reversed(rows)]


def add_message_on(
    connection: Connection,
    *,
    conversation_id: int,
    role: str,
    text: str,
    user_id: str = "",
    platform_message_id: str | None = None,
) -> int:
    """`add_message` on a connection; returns the new message's id."""
    result = connection.execute(
        _ADD_MESSAGE,
        {
            "conversation_id": conversation_id,
            "role": role,
            "user_id": user_id,
            "text": text,
            "platform_message_id": platform_message_id,
            "created_at": utcnow(),
        },
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def add_reply_on(connection: Connection, values: dict[str, Any]) -> int:
    """Store a reply from its `Reply` columns on a connection; returns the new reply's id."""
    row = {"error": None, "model_version_id": None, "platform_message_id": None, **values}
    row.setdefault("created_at", utcnow())
    result = connection.execute(_ADD_REPLY, row)
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def active_version_on(connection: Connection) -> ActiveVersion | None:
    """The active version's id, provider and model id (a lighter `active_version`)."""
    row = connection.execute(_ACTIVE_VERSION).first()
    return None if row is None else ActiveVersion(row[0] or 0, row[1], row[2])


_UPSERT_INSERTS: dict[str, Any] = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
_MARK_PROCESSED: dict[str, Any] = {}  # per dialect, built on first use
_FIND_PROCESSED = (
    sa_select(col(ProcessedEvent.id))
    .where(col(ProcessedEvent.channel) == bindparam("channel"))
    .where(col(ProcessedEvent.event_key) == bindparam("event_key"))
)


def mark_processed_on(connection: Connection, *, channel: str, event_key: str) -> bool:
    """Record a platform delivery; False if it was already handled (a retry).

    One `INSERT … ON CONFLICT DO NOTHING`: no read-then-write race between two
    workers handed the same retry, and one statement on every delivery's path.
    """
    values = {"channel": channel, "event_key": event_key, "created_at": utcnow()}
    dialect = connection.dialect.name
    if dialect not in _UPSERT_INSERTS:  # another database: read, then write
        keys = {"channel": channel, "event_key": event_key}
        if connection.execute(_FIND_PROCESSED, keys).first() is not None:
            return False
        connection.execute(insert(ProcessedEvent), values)
        return True
    statement = _MARK_PROCESSED.get(dialect)
    if statement is None:
        statement = (
            _UPSERT_INSERTS[dialect](ProcessedEvent)
            .on_conflict_do_nothing(index_elements=["channel", "event_key"])
            .returning(col(ProcessedEvent.id))
        )
        _MARK_PROCESSED[dialect] = statement
    return connection.execute(statement, values).first() is not None


def forget_processed_on(connection: Connection, *, before: datetime) -> int:
    """Delete the delivery records older than `before`; how many went."""
    statement = delete(ProcessedEvent).where(col(ProcessedEvent.created_at) < before)
    return int(connection.execute(statement).rowcount)


# --- replies ---------------------------------------------------------------


def get_reply(session: Session, *, reply_id: int) -> Reply:
    reply = session.get(Reply, reply_id)
    if reply is None:
        raise NotFound(f"No answer with id {reply_id}: check the id shown under the answer.")
    return reply


def find_reply_by_platform_id(
    session: Session, *, channel: str, platform_message_id: str
) -> Reply | None:
    return session.exec(
        select(Reply)
        .where(Reply.channel == channel)
        .where(Reply.platform_message_id == platform_message_id)
        .order_by(col(Reply.id).desc())
    ).first()


_SET_PLATFORM_ID = (
    update(Reply)
    .where(col(Reply.id) == bindparam("reply_id"))
    .values(platform_message_id=bindparam("posted_as"))  # a column's own name is reserved
)


def set_platform_message_ids_on(connection: Connection, posts: Sequence[tuple[int, str]]) -> None:
    """Remember where replies were posted: (reply id, platform message id) pairs, one batch."""
    if posts:
        rows = [{"reply_id": reply_id, "posted_as": posted_as} for reply_id, posted_as in posts]
        connection.execute(_SET_PLATFORM_ID, rows)


def add_feedback(session: Session, feedback: Feedback) -> Feedback:
    session.add(feedback)
    session.flush()
    return feedback


# --- examples ----------------------------------------------------------------


def find_example_by_hash(session: Session, *, digest: str) -> Example | None:
    return session.exec(select(Example).where(Example.content_hash == digest)).first()


def new_example(
    *,
    prompt: list[dict[str, Any]],
    answer: str,
    source: ExampleSource,
    status: ExampleStatus,
    rejected_answer: str | None = None,
    conversation_key: str = "",
    reply_id: int | None = None,
    created_by: str = "",
    reviewed_by: str | None = None,
) -> Example:
    """An unsaved example with its question and hashes derived from the prompt."""
    question = next((str(m["content"]) for m in reversed(prompt) if m.get("role") == "user"), "")
    return Example(
        question=question,
        prompt=prompt,
        answer=answer,
        rejected_answer=rejected_answer,
        source=source,
        status=status,
        content_hash=content_hash(prompt, answer),
        question_hash=question_hash(question),
        conversation_key=conversation_key,
        reply_id=reply_id,
        created_by=created_by,
        reviewed_by=reviewed_by,
    )


def save_example(session: Session, example: Example) -> Example:
    example.updated_at = utcnow()
    session.add(example)
    session.flush()
    return example


def same_question_examples(session: Session, *, example: Example) -> Sequence[Example]:
    """The other accepted examples asking exactly this question (up to case and accents)."""
    return session.exec(
        select(Example)
        .where(Example.question_hash == example.question_hash)
        .where(Example.status == ExampleStatus.accepted)
        .where(Example.id != example.id)
    ).all()


def get_example(session: Session, *, example_id: int) -> Example:
    example = session.get(Example, example_id)
    if example is None:
        raise NotFound(f"No example with id {example_id}.")
    return example


def list_examples(
    session: Session,
    *,
    status: ExampleStatus | None = None,
    search: str | None = None,
    limit: int = 50,
) -> Sequence[Example]:
    query = select(Example).order_by(col(Example.id).desc()).limit(limit)
    if status is not None:
        query = query.where(Example.status == status)
    if search:
        pattern = f"%{search}%"
        query = query.where(
            col(Example.question).ilike(pattern) | col(Example.answer).ilike(pattern)
        )
    return session.exec(query).all()


def count_examples(session: Session, *, status: ExampleStatus | None = None) -> int:
    query = select(func.count()).select_from(Example)
    if status is not None:
        query = query.where(Example.status == status)
    return int(session.exec(query).one())


_INDEX_ROWS = sa_select(
    col(Example.id),
    col(Example.question),
    col(Example.answer),
    col(Example.status),
    col(Example.updated_at),
    col(Example.phrasings),
).order_by(col(Example.updated_at), col(Example.id))  # lets the updated_at index serve
_INDEX_ROWS_SINCE = _INDEX_ROWS.where(col(Example.updated_at) > bindparam("since"))


def index_rows_on(connection: Connection, *, since: datetime | None) -> Iterator[IndexRow]:
    """What retrieval needs of examples touched strictly after `since` (all when None).

    Every answer asks, so it is one prepared statement. Plain column tuples, not ORM
    objects: the first load reads every example and ORM instances would cost several
    times more. Only that first load is streamed
    (a server-side cursor on PostgreSQL); the answer-time question reads a handful.
    """
    if since is None:
        result = connection.execute(_INDEX_ROWS.execution_options(yield_per=5000))
    else:
        result = connection.execute(_INDEX_ROWS_SINCE, {"since": since})
    for row in result:
        yield IndexRow(row[0] or 0, row[1], row[2], ExampleStatus(row[3]), row[4], row[5] or [])


# --- model versions --------------------------------------------------------


def active_version(session: Session) -> ModelVersion | None:
    return session.exec(
        select(ModelVersion).where(col(ModelVersion.active).is_(True)).limit(1)
    ).first()


def version_by_model_id(session: Session, *, model_id: str) -> ModelVersion | None:
    """The newest version answering as `model_id` (ids are unique in practice)."""
    return session.exec(
        select(ModelVersion)
        .where(ModelVersion.model_id == model_id)
        .order_by(col(ModelVersion.id).desc())
        .limit(1)
    ).first()


def list_versions(session: Session) -> Sequence[ModelVersion]:
    return session.exec(select(ModelVersion).order_by(col(ModelVersion.id))).all()


def get_version(session: Session, *, version_id: int) -> ModelVersion:
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound(f"No model version {version_id}: `afina models` lists them.")
    return version


def activate_version(session: Session, *, version_id: int) -> ModelVersion:
    """Make one version active and every other inactive, in one transaction."""
    version = get_version(session, version_id=version_id)
    session.execute(
        update(ModelVersion).where(col(ModelVersion.id) != version_id).values(active=False)
    )
    version.active = True
    version.activated_at = utcnow()
    session.add(version)
    session.flush()
    return version


def add_version(session: Session, version: ModelVersion, *, activate: bool) -> ModelVersion:
    version.active = False
    session.add(version)
    session.flush()
    if activate:
        activate_version(session, version_id=version.id or 0)
    return version


# --- training snapshots, runs and leases ------------------------------------

SNAPSHOT_COLUMNS = (
    col(Example.id),
    col(Example.prompt),
    col(Example.answer),
    col(Example.rejected_answer),
    col(Example.source),
    col(Example.conversation_key),
    col(Example.content_hash),
    col(Example.updated_at),
)


def max_example_id(session: Session) -> int:
    return int(session.exec(select(func.max(Example.id))).one() or 0)


def count_snapshot(session: Session, *, upto_id: int) -> int:
    """How many accepted examples a snapshot up to `upto_id` reads."""
    query = (
        select(func.count())
        .select_from(Example)
        .where(Example.status == ExampleStatus.accepted)
        .where(col(Example.id) <= upto_id)
    )
    return int(session.exec(query).one())


def count_new_examples(
    session: Session,
    *,
    upto_id: int,
    after_id: int,
    since: datetime,
    seen: Sequence[int] = (),
) -> int:
    """Accepted examples a retrain has not seen: newer ids, or accepted since the last snapshot."""
    recent = col(Example.updated_at) >= since
    if seen:
        recent = recent & col(Example.id).not_in(list(seen))
    query = (
        select(func.count())
        .select_from(Example)
        .where(Example.status == ExampleStatus.accepted)
        .where(col(Example.id) <= upto_id)
        .where(or_(col(Example.id) > after_id, recent))
    )
    return int(session.exec(query).one())


def snapshot_rows(session: Session, *, upto_id: int, batch: int = 5000) -> Iterator[Any]:
    """The accepted examples up to `upto_id` as plain rows (no ORM objects), streamed in id order.

    Rows carry `SNAPSHOT_COLUMNS` in order. On PostgreSQL this is a server-side
    cursor, so a million examples never sit in memory at once.
    """
    query = (
        sa_select(*SNAPSHOT_COLUMNS)
        .where(col(Example.status) == ExampleStatus.accepted)
        .where(col(Example.id) <= upto_id)
        .order_by(col(Example.id))
        .execution_options(yield_per=batch)
    )
    yield from session.execute(query)


def add_run(session: Session, run: TuningRun) -> TuningRun:
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, *, run_id: int) -> TuningRun:
    run = session.get(TuningRun, run_id)
    if run is None:
        raise NotFound(f"No training run {run_id}: `afina runs` lists them.")
    return run


def save_run(session: Session, run: TuningRun) -> TuningRun:
    run.updated_at = utcnow()
    session.add(run)
    session.flush()
    return run


def list_runs(session: Session, *, limit: int = 20) -> Sequence[TuningRun]:
    return session.exec(select(TuningRun).order_by(col(TuningRun.id).desc()).limit(limit)).all()


def open_runs(session: Session) -> Sequence[TuningRun]:
    """Runs not yet in a final state, oldest first."""
    final = [
        RunState.promoted.value,
        RunState.rejected.value,
        RunState.failed.value,
        RunState.cancelled.value,
    ]
    return session.exec(
        select(TuningRun).where(col(TuningRun.state).not_in(final)).order_by(col(TuningRun.id))
    ).all()


def last_run(session: Session, *, provider: str, states: Sequence[RunState]) -> TuningRun | None:
    return session.exec(
        select(TuningRun)
        .where(TuningRun.provider == provider)
        .where(col(TuningRun.state).in_([s.value for s in states]))
        .order_by(col(TuningRun.id).desc())
        .limit(1)
    ).first()


def add_run_event(session: Session, *, run_id: int, message: str, level: str = "info") -> None:
    session.add(TuningEvent(run_id=run_id, message=message, level=level))
    session.flush()


def run_events(session: Session, *, run_id: int, after_id: int = 0) -> Sequence[TuningEvent]:
    return session.exec(
        select(TuningEvent)
        .where(TuningEvent.run_id == run_id)
        .where(col(TuningEvent.id) > after_id)
        .order_by(col(TuningEvent.id))
    ).all()


def version_for_run(session: Session, *, run_id: int) -> ModelVersion | None:
    return session.exec(select(ModelVersion).where(ModelVersion.run_id == run_id)).first()


def get_lease(session: Session, *, name: str) -> Lease | None:
    return session.get(Lease, name)


def take_lease(
    session: Session, *, name: str, owner: str, until: datetime, replace: str | None = None
) -> bool:
    """Hold the named lease until `until` if it is free, expired, ours, or held by `replace`.

    Compare-and-set in one statement, so two processes can never both win.
    """
    now = utcnow()
    holders = [owner] if replace is None else [owner, replace]
    result = session.execute(
        update(Lease)
        .where(col(Lease.name) == name)
        .where(or_(col(Lease.expires_at) < now, col(Lease.owner).in_(holders)))
        .values(owner=owner, expires_at=until)
    )
    if int(result.rowcount or 0):  # type: ignore[attr-defined]
        return True
    if session.get(Lease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, owner=owner, expires_at=until))
    except IntegrityError:  # another process inserted it first
        return False
    return True


def drop_lease(session: Session, *, name: str, owner: str) -> None:
    lease = session.get(Lease, name)
    if lease is not None and lease.owner == owner:
        session.delete(lease)
        session.flush()


# --- example vectors, phrasings, import batches (issue 12) -----------------------


class VectorRow(NamedTuple):
    example_id: int
    kind: str  # question | answer | phrasing
    position: int
    text_hash: str
    vector: bytes


_VECTORS = sa_select(
    col(ExampleVector.example_id),
    col(ExampleVector.kind),
    col(ExampleVector.position),
    col(ExampleVector.text_hash),
    col(ExampleVector.vector),
).where(col(ExampleVector.embedder) == bindparam("embedder"))


def vectors_on(
    connection: Connection, *, embedder: str, example_ids: Sequence[int] | None = None
) -> Iterator[VectorRow]:
    """Stored vectors of one embedder: all of them in one streamed read, or some examples'."""
    if example_ids is None:
        result = connection.execute(
            _VECTORS.execution_options(yield_per=10_000), {"embedder": embedder}
        )
        for row in result:
            yield VectorRow(row[0], row[1], row[2], row[3], row[4])
        return
    ids = list(example_ids)
    for start in range(0, len(ids), 500):  # under every database's limit on parameters
        statement = _VECTORS.where(col(ExampleVector.example_id).in_(ids[start : start + 500]))
        for row in connection.execute(statement, {"embedder": embedder}):
            yield VectorRow(row[0], row[1], row[2], row[3], row[4])


def replace_vectors_on(
    connection: Connection, *, example_id: int, embedder: str, rows: Sequence[VectorRow]
) -> None:
    """Make these the example's vectors for this embedder (older ones go)."""
    connection.execute(
        delete(ExampleVector)
        .where(col(ExampleVector.example_id) == example_id)
        .where(col(ExampleVector.embedder) == embedder)
    )
    if rows:
        now = utcnow()
        connection.execute(
            insert(ExampleVector),
            [
                {
                    "example_id": example_id,
                    "embedder": embedder,
                    "kind": row.kind,
                    "position": row.position,
                    "text_hash": row.text_hash,
                    "vector": row.vector,
                    "created_at": now,
                }
                for row in rows
            ],
        )


def touch_examples_on(connection: Connection, *, example_ids: Sequence[int]) -> None:
    """Stamp examples as changed so every process's index takes them in again."""
    ids = list(example_ids)
    for start in range(0, len(ids), 500):
        connection.execute(
            update(Example)
            .where(col(Example.id).in_(ids[start : start + 500]))
            .values(updated_at=utcnow())
        )


def add_import_batch(session: Session, batch: ImportBatch) -> ImportBatch:
    session.add(batch)
    session.flush()
    return batch


def get_import_batch(session: Session, *, batch_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"No import batch {batch_id}: `afina import --batches` lists them.")
    return batch


def list_import_batches(session: Session, *, limit: int = 20) -> Sequence[ImportBatch]:
    return session.exec(select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)).all()


def examples_of_batch(session: Session, *, batch_id: int) -> Sequence[Example]:
    return session.exec(
        select(Example).where(Example.import_batch_id == batch_id).order_by(col(Example.id))
    ).all()


def examples_by_source(session: Session, *, source: ExampleSource) -> Sequence[Example]:
    return session.exec(
        select(Example).where(Example.source == source).order_by(col(Example.id))
    ).all()


def retire_examples(
    session: Session, *, example_ids: Sequence[int], by: str, status: ExampleStatus
) -> int:
    """Take examples out of use (rejected or superseded), saying who and when.

    Rows are kept, never deleted: every process's index hears of a change through
    `updated_at`, and a deleted row would stay findable in the processes that had it.
    """
    if not example_ids:
        return 0
    now = utcnow()
    result = session.execute(
        update(Example)
        .where(col(Example.id).in_(list(example_ids)))
        .where(col(Example.status) != status)
        .values(status=status, reviewed_by=by, reviewed_at=now, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def accepted_examples(session: Session, *, limit: int = 10_000) -> Sequence[Example]:
    return session.exec(
        select(Example)
        .where(Example.status == ExampleStatus.accepted)
        .order_by(col(Example.id))
        .limit(limit)
    ).all()
