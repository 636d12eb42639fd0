"""What a reviewer teaches from the console: edit or take back an example, import a file
(preview first, then confirm, and undo later), and act on the review desk's items.

Each goes through the core function the CLI and the chat channels use
(`bot.teaching`, `bot.importer`, `bot.desk.actions`) and is written to the audit
trail with who did it. No HTTP here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from bot.app import Core
from bot.db import session_scope
from bot.desk import actions as desk_actions
from bot.desk.tables import ItemAction
from bot.errors import BadInput
from bot.importer import ImportReport, import_pairs, read_file, undo_batch
from bot.store import console as store_console
from bot.tables import Example
from bot.teaching import edit_answer, take_back
from bot.text import clean_message

SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".ndjson", ".md", ".markdown", ".txt", ".text")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
AUDIT_TEXT = 120


def _audit(core: Core, user: str, action: str, target: str, detail: str = "") -> None:
    with session_scope(core.engine) as session:
        store_console.add_audit(session, user_id=user, action=action, target=target, detail=detail)


# --- examples -----------------------------------------------------------------------


def edit_example(core: Core, *, user: str, example_id: int, answer: str) -> Example:
    """A new answer for an example, used from the next question on (`teaching.edit_answer`)."""
    if not answer.strip():
        raise BadInput("Write the new answer first.")
    text = clean_message(answer, max_chars=core.settings.max_message_chars * 4).text
    with session_scope(core.engine) as session:
        example = edit_answer(session, core.knowledge, example_id=example_id, answer=text, by=user)
        store_console.add_audit(
            session,
            user_id=user,
            action="edited",
            target=f"example:{example_id}",
            detail=text[:AUDIT_TEXT],
        )
    return example


def delete_example(core: Core, *, user: str, example_id: int) -> Example:
    """Take an example back: kept as rejected, with who and when (`teaching.take_back`)."""
    with session_scope(core.engine) as session:
        example = take_back(session, example_id=example_id, by=user)
        store_console.add_audit(
            session, user_id=user, action="took back", target=f"example:{example_id}"
        )
    return example


# --- imports ------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    token: str  # names the uploaded file kept until it is confirmed
    name: str  # the file's name as the reviewer's browser gave it
    report: ImportReport


def _uploads(core: Core) -> Path:
    return core.settings.afina_home / "console-imports"


def _safe_name(name: str) -> str:
    """The file's own name, without any folder a browser might send along."""
    return Path(name.replace("\\", "/")).name[:200] or "upload"


def _kept(core: Core, token: str, name: str) -> Path:
    suffix = Path(name).suffix.lower()
    if not _TOKEN.match(token) or suffix not in SUFFIXES:
        raise BadInput("This import is not waiting any more: upload the file again.")
    path = _uploads(core) / f"{token}{suffix}"
    if not path.is_file():
        raise BadInput("This import is not waiting any more: upload the file again.")
    return path


def preview_import(core: Core, *, user: str, name: str, data: bytes) -> Preview:
    """What importing this file would do (the importer's dry run); nothing is stored yet.
    The file is kept under AFINA_HOME until the reviewer confirms (or uploads another)."""
    name = _safe_name(name)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInput(
            f"{name}: use a .csv (question,answer), a Markdown or text FAQ (.md, .txt) "
            "or a .jsonl (OpenAI chat format) file."
        )
    if not data.strip():
        raise BadInput(f"{name} is empty.")
    token = hashlib.sha256(user.encode() + b"\0" + data).hexdigest()[:32]
    folder = _uploads(core)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{token}{suffix}"
    path.write_bytes(data)
    try:
        rows = list(read_file(path))
        with session_scope(core.engine) as session:
            report = import_pairs(session, rows, created_by=user, batch_name=name, dry_run=True)
            session.rollback()
    except BadInput:
        path.unlink(missing_ok=True)
        raise
    return Preview(token, name, report)


def confirm_import(core: Core, *, user: str, token: str, name: str) -> ImportReport:
    """Import the previewed file as one batch, in use at once; the kept file is removed."""
    name = _safe_name(name)
    path = _kept(core, token, name)
    rows = list(read_file(path))
    with session_scope(core.engine) as session:
        report = import_pairs(
            session, rows, created_by=user, batch_name=name, embedder=core.knowledge.embedder
        )
        store_console.add_audit(
            session,
            user_id=user,
            action="imported",
            target=f"batch:{report.batch_id}",
            detail=f"{name}: {report.imported} examples",
        )
    path.unlink(missing_ok=True)
    return report


def undo_import(core: Core, *, user: str, batch_id: int) -> int:
    """Take every example of a past import out of use (kept as rejected)."""
    with session_scope(core.engine) as session:
        taken = undo_batch(session, batch_id=batch_id, by=user)
        store_console.add_audit(
            session,
            user_id=user,
            action="undid import",
            target=f"batch:{batch_id}",
            detail=f"{taken} examples",
        )
    return taken


# --- the review desk -----------------------------------------------------------------


def act(
    core: Core, *, user: str, item_id: int, action: ItemAction, text: str = ""
) -> desk_actions.Acted:
    """Handle a desk item as the Slack desk does (`bot.desk.actions.act`: the same rules,
    the handoff to the customer included), and write it to the audit trail."""
    limit = core.settings.max_message_chars * 4
    words = clean_message(text, max_chars=limit).text if text.strip() else ""
    acted = desk_actions.act(core, item_id=item_id, user=user, action=action, text=words or None)
    detail = acted.card.done_line()
    _audit(core, user, f"{action} item", f"item:{item_id}", detail[:AUDIT_TEXT])
    return acted
