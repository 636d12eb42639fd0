"""The terminal chat: type a question, get an answer, teach with /good, /bad, /fix.

Like every channel it only translates: a line becomes an `Incoming`, an `Answer`
becomes printed text, and slash commands become feedback through the core.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.app import Core
from bot.db import session_scope
from bot.errors import AfinaError
from bot.feedback import give
from bot.messages import Incoming
from bot.tables import FeedbackKind

HELP = (
    "Type a question. Then: /good (👍 teach this answer), /bad (👎), "
    "/fix TEXT (teach the right answer), /new (fresh conversation), /quit."
)


@dataclass
class ConsoleChat:
    core: Core
    user: str  # the platform id part of `console:ID`
    write: Callable[[str], None]
    chat_id: str = ""
    last_reply_id: int | None = None

    def __post_init__(self) -> None:
        if not self.chat_id:
            self.chat_id = uuid.uuid4().hex[:12]

    def handle(self, line: str) -> bool:
        """Handle one typed line; False when the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        command, _, rest = line.partition(" ")
        try:
            if command in {"/quit", "/exit", "/q"}:
                return False
            if command == "/help":
                self.write(HELP)
            elif command == "/new":
                self.chat_id = uuid.uuid4().hex[:12]
                self.last_reply_id = None
                self.write("(new conversation)")
            elif command in {"/good", "/bad", "/fix"}:
                self._feedback(command, rest)
            elif command.startswith("/"):
                self.write(f"Unknown command {command}. {HELP}")
            else:
                self._ask(line)
        except AfinaError as exc:
            self.write(f"! {exc.message}")
        return True

    def _ask(self, text: str) -> None:
        pieces: list[str] = []
        reply = self.core.responder.answer(
            Incoming(channel="console", chat_id=self.chat_id, user_id=self.user, text=text),
            on_delta=pieces.append,
        )
        self.last_reply_id = reply.reply_id
        if reply.notice:
            self.write(f"({reply.notice})")
        self.write(f"afina › {reply.text}")
        self.write(f"        [#{reply.reply_id} · /good · /bad · /fix TEXT]")

    def _feedback(self, command: str, rest: str) -> None:
        if self.last_reply_id is None:
            self.write("Nothing to rate yet: ask something first.")
            return
        kind = {"/good": FeedbackKind.approve, "/bad": FeedbackKind.reject}.get(
            command, FeedbackKind.correct
        )
        if kind == FeedbackKind.correct and not rest.strip():
            self.write("Write the right answer after /fix, e.g. /fix We ship in 24h.")
            return
        with session_scope(self.core.engine) as session:
            outcome = give(
                session,
                self.core.settings,
                knowledge=self.core.knowledge,
                reply_id=self.last_reply_id,
                user=f"console:{self.user}",
                kind=kind,
                corrected_text=rest if kind == FeedbackKind.correct else None,
            )
        self.write(outcome.message)
