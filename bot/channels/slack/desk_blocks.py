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
MODAL_TITLES = {
    ItemAction.edited: "Edit the suggestion",
    ItemAction.answered: "Answer the question",
    ItemAction.corrected: "Correct the answer",
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


def item_blocks(card: ItemCard, *, compact: bool = False) -> list[Block]:
    """A card: what was asked and answered, the suggestion, who and where; buttons while
    open, what was done and by whom once handled. `compact` for the Home tab's list."""
    limit = 300 if compact else QUOTE_MAX
    blocks: list[Block] = []
    if compact:
        blocks.append(section(f"*{escape(card.title)}*\n{quote(card.question, limit)}"))
    else:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": card.title}})
        blocks.append(section(f"*Question*\n{quote(card.question, limit)}"))
    said = "The bot said" if card.kind != ItemKind.unanswered else "The bot answered"
    blocks.append(section(f"*{said}*\n{quote(card.answer, limit)}"))
    if card.suggestion is not None:
        blocks.append(
            section(f"*Suggested by {who(card.raised_by)}*\n{quote(card.suggestion, limit)}")
        )
    raised = f" · rated 👎 by {who(card.raised_by)}" if card.kind == ItemKind.rejected else ""
    asked = f"Asked by {who(card.asked_by)} in {escape(card.where)}{raised}"
    blocks.append(context(f"{asked} · {card.created_at:%Y-%m-%d %H:%M} UTC"))
    if card.open:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"afina_desk_{card.id}",
                "elements": [
                    button(LABELS[a], ITEM_ACTIONS[a], str(card.id), STYLES.get(a))
                    for a in card.choices
                ],
            }
        )
        return blocks
    if card.answer_given:
        blocks.append(section(f"*Answer given*\n{quote(card.answer_given, limit)}"))
    done = card.done_line().replace(f"by {card.handled_by}", f"by {who(card.handled_by)}", 1)
    blocks.append(context(f"✅ {done}"))
    return blocks


def item_text(card: ItemCard) -> str:
    """The notification text of a card (what Slack shows where blocks cannot be shown)."""
    return f"{card.title}: {short(card.question, 150)}"


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


def text_modal(card: ItemCard, target: Answering, *, hands_off: bool) -> Block:
    """The reviewer's words for an item, pre-filled with what there is to start from."""
    start = {
        ItemAction.edited: card.suggestion or "",
        ItemAction.corrected: card.answer,
        ItemAction.answered: "",
    }[target.action]
    goes = (
        "It goes to the customer in their chat, from the team, and the bot uses it from now "
        "on. Leave out personal details: other customers may get this answer too."
        if hands_off
        else "The bot uses it from now on. Leave out personal details: other customers "
        "may get this answer too."
    )
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
        "title": {"type": "plain_text", "text": MODAL_TITLES[target.action]},
        "submit": {"type": "plain_text", "text": "Send" if hands_off else "Teach"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"*Question*\n{quote(card.question, 600)}"),
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": {"type": "plain_text", "text": "The answer"},
                "element": element,
            },
            context(goes),
        ],
    }


def submitted_text(view: dict[str, Any]) -> str:
    values = view.get("state", {}).get("values", {})
    return str(values.get(TEXT_BLOCK, {}).get(TEXT_INPUT, {}).get("value") or "")


# --- run announcements ---------------------------------------------------------------------


def run_blocks(report: RunReport) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": short(report.headline, 150)}}
    ]
    lines = [f"*Why:* {escape(report.why)}"] if report.why else []
    if report.model_id:
        lines.append(f"*Model:* `{escape(report.model_id)}` (version {report.version_id})")
    scores = report.scores_line()
    if scores:
        lines.append(escape(scores))
    lines.append(escape(report.training_line()))
    blocks.append(section("\n".join(lines)))
    for sample in report.samples:
        blocks.append(section(f"*Held-out question*\n{quote(sample.question, 400)}"))
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Candidate*\n{quote(sample.candidate, 900)}"},
                    {"type": "mrkdwn", "text": f"*Answering today*\n{quote(sample.current, 900)}"},
                ],
            }
        )
    buttons = []
    if report.can_roll_back:
        buttons.append(button("Roll back", ROLLBACK_ACTION, str(report.run_id), "danger"))
    if report.can_promote:
        buttons.append(button("Promote anyway", PROMOTE_ACTION, str(report.run_id), "primary"))
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"afina_run_{report.run_id}", "elements": buttons}
        )
    if report.note:
        blocks.append(context(escape(report.note)))
    return blocks
