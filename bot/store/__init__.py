"""Keyword-only queries over the tables; the only part of the core that writes SQL.

Split by what it holds, each module with one way of writing its queries (its
docstring says which, and why):

- `conversations`: conversations, messages, replies as an answer writes them,
  where answers were posted (Core statements on a connection: every answer's path);
- `feedback`: replies looked up for feedback, and feedback (ORM, in a session);
- `examples`: examples one at a time, and import batches (ORM, in a session);
- `snapshots`: every accepted example as plain rows: retrieval, training (Core);
- `vectors`: the embedder's vectors of each example (Core on a connection);
- `versions`: model versions, tuning runs, their events (ORM, in a session);
- `leases`: named leases by compare-and-set (Core, in a session);
- `deliveries`: platform deliveries already handled (Core on a connection);
- `questions`: questions owed an answer, their claims, and an asker's history (Core).

Every function takes an open `Session` or `Connection` and leaves committing to the
caller (`bot.db.session_scope`, `bot.db.write_transaction`), so one unit of work
commits or fails whole. `from bot import store; store.fn(...)` reaches all of them.
"""

from bot.store.conversations import (
    ActiveVersion,
    active_version_on,
    add_message_on,
    add_reply_on,
    close_conversation_on,
    conversation_id_on,
    find_post_on,
    open_conversation_id_on,
    recent_turns_on,
    reply_place_on,
    set_platform_message_ids_on,
)
from bot.store.deliveries import forget_processed_on, mark_processed_on
from bot.store.examples import (
    accepted_examples,
    add_import_batch,
    count_examples,
    examples_by_source,
    examples_of_batch,
    find_example_by_hash,
    get_example,
    get_import_batch,
    list_examples,
    list_import_batches,
    new_example,
    retire_examples,
    same_question_examples,
    save_example,
)
from bot.store.feedback import add_feedback, get_reply
from bot.store.leases import drop_lease, get_lease, take_lease
from bot.store.questions import (
    Pending,
    add_question_on,
    asker_turns_on,
    claim_on,
    close_on,
    open_questions_on,
    question_for_delivery_on,
    question_on,
    release_on,
    renew_on,
    reply_text_on,
    set_answered_on,
    set_placeholder_on,
)
from bot.store.snapshots import (
    SNAPSHOT_COLUMNS,
    IndexRow,
    count_new_examples,
    count_snapshot,
    index_rows_on,
    max_example_id,
    snapshot_rows,
)
from bot.store.vectors import VectorRow, replace_vectors_on, touch_examples_on, vectors_on
from bot.store.versions import (
    activate_version,
    active_version,
    add_run,
    add_run_event,
    add_version,
    get_run,
    get_version,
    last_run,
    list_runs,
    list_versions,
    open_runs,
    run_events,
    save_run,
    version_by_model_id,
    version_for_run,
)

__all__ = [
    "SNAPSHOT_COLUMNS",
    "ActiveVersion",
    "IndexRow",
    "Pending",
    "VectorRow",
    "accepted_examples",
    "activate_version",
    "active_version",
    "active_version_on",
    "add_feedback",
    "add_import_batch",
    "add_message_on",
    "add_question_on",
    "add_reply_on",
    "add_run",
    "add_run_event",
    "add_version",
    "asker_turns_on",
    "claim_on",
    "close_conversation_on",
    "close_on",
    "conversation_id_on",
    "count_examples",
    "count_new_examples",
    "count_snapshot",
    "drop_lease",
    "examples_by_source",
    "examples_of_batch",
    "find_example_by_hash",
    "find_post_on",
    "forget_processed_on",
    "get_example",
    "get_import_batch",
    "get_lease",
    "get_reply",
    "get_run",
    "get_version",
    "index_rows_on",
    "last_run",
    "list_examples",
    "list_import_batches",
    "list_runs",
    "list_versions",
    "mark_processed_on",
    "max_example_id",
    "new_example",
    "open_conversation_id_on",
    "open_questions_on",
    "open_runs",
    "question_for_delivery_on",
    "question_on",
    "recent_turns_on",
    "release_on",
    "renew_on",
    "replace_vectors_on",
    "reply_place_on",
    "reply_text_on",
    "retire_examples",
    "run_events",
    "same_question_examples",
    "save_example",
    "save_run",
    "set_answered_on",
    "set_placeholder_on",
    "set_platform_message_ids_on",
    "snapshot_rows",
    "take_lease",
    "touch_examples_on",
    "vectors_on",
    "version_by_model_id",
    "version_for_run",
]
