"""The review desk on Telegram: a card's text, its buttons, and the answer prompt.

Cards are plain text (no parse mode), so nothing a customer wrote can format or
link anything. Buttons carry signed callback data like the feedback buttons:
`d:<item>:<code>:<mac>` for an item, `u:<run>:<code>:<mac>` for a run, the MAC over
the chat too, so a button works only in the chat it was sent to. `w` after an item's
code marks a `/review` walk (its card also offers Skip, and acting shows the next).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from telegram import Message

from bot.channels.telegram.buttons import Keyboard
from bot.desk.reports import RunReport
from bot.desk.tables import ItemAction, ItemKind
from bot.desk.views import ItemCard, short
from bot.desk.wording import ENGLISH, Words

ITEM_CODES = {
    ItemAction.approved: "a",
    ItemAction.edited: "e",
    ItemAction.rejected: "r",
    ItemAction.answered: "n",
    ItemAction.corrected: "c",
    ItemAction.dismissed: "x",
}
ACTIONS = {code: action for action, code in ITEM_CODES.items()}
SKIP, ROLLBACK, PROMOTE = "s", "b", "p"
_DATA = re.compile(r"^([du]):(\d{1,18}):([aerncxsbp])(w?):([A-Za-z0-9_-]{12})$")
_PROMPT = re.compile(r"\(desk item (\d{1,18})\)\s*$")
QUOTE = 900  # characters of each text on a card (Telegram allows 4096 in all)
TEXT_ACTION = {
    ItemKind.suggestion: ItemAction.edited,
    ItemKind.rejected: ItemAction.corrected,
    ItemKind.unanswered: ItemAction.answered,
}


@dataclass(frozen=True)
class DeskPress:
    what: str  # "d" (an item) | "u" (a run)
    target: int
    code: str
    walking: bool

    @property
    def action(self) -> ItemAction | None:
        return ACTIONS.get(self.code)


class DeskSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"afina/telegram/desk-buttons\0" + secret.encode()).digest()

    def _mac(self, chat_id: int, body: str) -> str:
        digest = hmac.new(self._key, f"{chat_id}:{body}".encode(), hashlib.sha256).digest()[:9]
        return base64.urlsafe_b64encode(digest).decode()

    def data(self, chat_id: int, what: str, target: int, code: str, walking: bool = False) -> str:
        body = f"{what}:{target}:{code}{'w' if walking else ''}"
        return f"{body}:{self._mac(chat_id, body)}"

    def verify(self, chat_id: int, data: str | None) -> DeskPress | None:
        match = _DATA.match(data or "")
        if match is None:
            return None
        body = f"{match[1]}:{match[2]}:{match[3]}{match[4]}"
        if not hmac.compare_digest(match[5], self._mac(chat_id, body)):
            return None
        return DeskPress(match[1], int(match[2]), match[3], bool(match[4]))

    def item_keyboard(
        self, chat_id: int, card: ItemCard, *, walking: bool, words: Words = ENGLISH
    ) -> Keyboard | None:
        row = [
            {
                "text": words.say(f"label.{a.value}"),
                "callback_data": self.data(chat_id, "d", card.id, ITEM_CODES[a], walking),
            }
            for a in card.choices
        ]
        if walking and card.open:
            row.append(
                {
                    "text": words.say("label.skip"),
                    "callback_data": self.data(chat_id, "d", card.id, SKIP, True),
                }
            )
        return {"inline_keyboard": [row]} if row else None

    def run_keyboard(
        self, chat_id: int, report: RunReport, words: Words = ENGLISH
    ) -> Keyboard | None:
        row = []
        if report.can_roll_back:
            row.append(
                {
                    "text": words.say("label.rollback"),
                    "callback_data": self.data(chat_id, "u", report.run_id, ROLLBACK),
                }
            )
        if report.can_promote:
            row.append(
                {
                    "text": words.say("label.promote"),
                    "callback_data": self.data(chat_id, "u", report.run_id, PROMOTE),
                }
            )
        return {"inline_keyboard": [row]} if row else None


def item_text(card: ItemCard, *, heading: str = "", words: Words = ENGLISH) -> str:
    lines = [heading] if heading else []
    asked = words.say(
        "card.asked", where=card.where_in(words), who=card.asked_by, when=card.created_at
    )
    lines += [card.title_in(words), asked, ""]
    lines += [words.say("card.question"), short_block(card.question), ""]
    lines += [words.say("card.said"), short_block(card.answer)]
    if card.kind == ItemKind.rejected:
        lines.append(words.say("card.rated", who=card.raised_by))
    if card.suggestion is not None:
        lines += ["", words.say("card.suggested", who=card.raised_by), short_block(card.suggestion)]
    if not card.open:
        lines += ["", f"✅ {card.done_line(words)}"]
        if card.answer_given:
            lines += [words.say("card.given"), short_block(card.answer_given)]
    return "\n".join(lines)


def short_block(text: str) -> str:
    return text if len(text) <= QUOTE else text[: QUOTE - 1].rstrip() + "…"


def run_text(report: RunReport, words: Words = ENGLISH) -> str:
    lines = [report.headline_in(words)]
    why = report.why_in(words)
    if why:
        lines.append(words.say("run.why", why=why))
    if report.model_id:
        lines.append(words.say("run.model", model=report.model_id, version=report.version_id))
    scores = report.scores_line(words)
    if scores:
        lines.append(scores)
    lines.append(report.training_line(words))
    for sample in report.samples:
        lines += [
            "",
            words.say("run.sample", question=short(sample.question, 300)),
            words.say("run.candidate", answer=short(sample.candidate, 500)),
            words.say("run.current", answer=short(sample.current, 500)),
        ]
    if report.note:
        lines += ["", report.note]
    return "\n".join(lines)


def prompt_text(card: ItemCard, words: Words = ENGLISH) -> str:
    """The ForceReply prompt asking a reviewer for their words; its end names the item
    (in English in every language: it is how the reply is told apart)."""
    what = words.say(f"prompt.{card.kind.value}")
    asked = words.say("prompt", what=what, question=short(card.question, 80))
    return f"{asked} (desk item {card.id})"


def prompted_item(message: Message) -> int | None:
    """The desk item a reply answers, when it replies to one of our desk prompts."""
    prompt = message.reply_to_message
    if prompt is None or prompt.from_user is None or prompt.from_user.id != message.get_bot().id:
        return None
    match = _PROMPT.search(prompt.text or "")
    return int(match[1]) if match else None
