"""The review desk in Block Kit: item cards, the answer modal, run announcements.

Every button's value is the item's (or run's) id, so a press needs no lookup of the
message it was on; the same buttons work on a card in the review channel and in the
Home tab. People's words go into `mrkdwn` quoted and escaped (`&`, `<`, `>`), so a
question can never mention anyone or open a link on the desk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.desk.reports import RunReport
from bot.desk.tables import ItemAction, ItemKind
from bot.desk.views import LABELS, ItemCard, short
from bot.desk.wording import ENGLISH, Words

Block = dict[str, Any]

ITEM_ACTION = "afina_desk_item"  # every item button; the action is in the block's buttons
ITEM_ACTIONS = {action: f"afina_desk_{action}" for action in LABELS}
ROLLBACK_ACTION = "afina_desk_rollback"
PROMOTE_ACTION = "afina_desk_promote"
CONSOLE_ACTION = "afina_desk_console"
TEXT_VIEW = "afina_desk_text"  # the modal's callback_id
TEXT_BLOCK, TEXT_INPUT = "desk_answer", "text"
INPUT_MAX = 3000
QUOTE_MAX = 1200  # characters of a question or answer shown on a card
STYLES = {
    ItemAction.approved: "primary",
    ItemAction.answered: "primary",
    ItemAction.corrected: "primary",
    ItemAction.rejected: "danger",
}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, limit: int = QUOTE_MAX) -> str:
    body = escape(text if len(text) <= limit else text[: limit - 1] + "…")
    return "\n".join(f">{line}" for line in (body.splitlines() or [""]))


def who(identity: str | None) -> str:
    """`slack:U1` as a mention; anyone else as written (`telegram:42`)."""
    channel, _, user = (identity or "").partition(":")
    if channel == "slack" and user:
        return f"<@{user}>"
    return f"`{escape(identity or 'someone')}`"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    found: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
    }
    if style:
        found["style"] = style
    return found


# --- item cards -------------------------------------------------------------------------


def item_blocks(card: ItemCard, words: Words = ENGLISH, *, compact: bool = False) -> list[Block]:
    """A card: what was asked and answered, the suggestion, who and where; buttons while
    open, what was done and by whom once handled. `compact` for the Home tab's list."""
    limit = 300 if compact else QUOTE_MAX
    blocks: list[Block] = []
    title = card.title_in(words)
    if compact:
        blocks.append(section(f"*{escape(title)}*\n{quote(card.question, limit)}"))
    else:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": title}})
        blocks.append(section(f"*{words.say('slack.question')}*\n{quote(card.question, limit)}"))
    said = words.say("slack.said" if card.kind != ItemKind.unanswered else "slack.answered")
    blocks.append(section(f"*{said}*\n{quote(card.answer, limit)}"))
    if card.suggestion is not None:
        suggested = words.say("slack.suggested", who=who(card.raised_by))
        blocks.append(section(f"*{suggested}*\n{quote(card.suggestion, limit)}"))
    rejected = card.kind == ItemKind.rejected
    rated = words.say("slack.rated", who=who(card.raised_by)) if rejected else ""
    where = escape(card.where_in(words))
    asked = words.say(
        "slack.asked", who=who(card.asked_by), where=where, rated=rated, when=card.created_at
    )
    blocks.append(context(asked))
    if card.open:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"afina_desk_{card.id}",
                "elements": [
                    button(
                        words.say(f"label.{a.value}"), ITEM_ACTIONS[a], str(card.id), STYLES.get(a)
                    )
                    for a in card.choices
                ],
            }
        )
        return blocks
    if card.answer_given:
        given = words.say("slack.given")
        blocks.append(section(f"*{given}*\n{quote(card.answer_given, limit)}"))
    blocks.append(context(f"✅ {card.done_line(words, who=who(card.handled_by))}"))
    return blocks


def item_text(card: ItemCard, words: Words = ENGLISH) -> str:
    """The notification text of a card (what Slack shows where blocks cannot be shown)."""
    return f"{card.title_in(words)}: {short(card.question, 150)}"


@dataclass(frozen=True)
class Answering:
    """What the desk's modal answers, and where to confirm it."""

    item_id: int
    action: ItemAction
    channel: str  # where the button was pressed ('' on the Home tab)
    home: bool

    def dump(self) -> str:
        return json.dumps(
            {
                "item": self.item_id,
                "action": self.action,
                "channel": self.channel,
                "home": self.home,
            }
        )

    @classmethod
    def load(cls, raw: str) -> Answering:
        data = json.loads(raw)
        return cls(
            int(data["item"]), ItemAction(data["action"]), str(data["channel"]), bool(data["home"])
        )


def text_modal(
    card: ItemCard, target: Answering, *, hands_off: bool, words: Words = ENGLISH
) -> Block:
    """The reviewer's words for an item, pre-filled with what there is to start from."""
    start = {
        ItemAction.edited: card.suggestion or "",
        ItemAction.corrected: card.answer,
        ItemAction.answered: "",
    }[target.action]
    goes = words.say("slack.goes_out" if hands_off else "slack.goes")
    element: Block = {
        "type": "plain_text_input",
        "action_id": TEXT_INPUT,
        "multiline": True,
        "max_length": INPUT_MAX,
    }
    if start:
        element["initial_value"] = start[:INPUT_MAX]
    return {
        "type": "modal",
        "callback_id": TEXT_VIEW,
        "private_metadata": target.dump(),
        "title": {"type": "plain_text", "text": words.say(f"slack.modal.{target.action.value}")},
        "submit": {
            "type": "plain_text",
            "text": words.say("slack.send" if hands_off else "slack.teach"),
        },
        "close": {"type": "plain_text", "text": words.say("slack.cancel")},
        "blocks": [
            section(f"*{words.say('slack.question')}*\n{quote(card.question, 600)}"),
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": {"type": "plain_text", "text": words.say("slack.the_answer")},
                "element": element,
            },
            context(goes),
        ],
    }


def submitted_text(view: dict[str, Any]) -> str:
    values = view.get("state", {}).get("values", {})
    return str(values.get(TEXT_BLOCK, {}).get(TEXT_INPUT, {}).get("value") or "")


# --- run announcements ---------------------------------------------------------------------


def run_blocks(report: RunReport, words: Words = ENGLISH) -> list[Block]:
    headline = short(report.headline_in(words), 150)
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": headline}}]
    why = report.why_in(words)
    lines = [f"*{words.say('slack.why')}* {escape(why)}"] if why else []
    if report.model_id:
        version = words.say("slack.version", version=report.version_id)
        lines.append(f"*{words.say('slack.model')}* `{escape(report.model_id)}` ({version})")
    scores = report.scores_line(words)
    if scores:
        lines.append(escape(scores))
    lines.append(escape(report.training_line(words)))
    blocks.append(section("\n".join(lines)))
    for sample in report.samples:
        held_out = words.say("slack.held_out")
        blocks.append(section(f"*{held_out}*\n{quote(sample.question, 400)}"))
        candidate, current = words.say("slack.candidate"), words.say("slack.current")
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{candidate}*\n{quote(sample.candidate, 900)}"},
                    {"type": "mrkdwn", "text": f"*{current}*\n{quote(sample.current, 900)}"},
                ],
            }
        )
    buttons = []
    run = str(report.run_id)
    if report.can_roll_back:
        buttons.append(button(words.say("label.rollback"), ROLLBACK_ACTION, run, "danger"))
    if report.can_promote:
        buttons.append(button(words.say("label.promote"), PROMOTE_ACTION, run, "primary"))
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"afina_run_{report.run_id}", "elements": buttons}
        )
    if report.note:
        blocks.append(context(escape(report.note)))
    return blocks
