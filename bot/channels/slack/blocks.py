"""The Block Kit under every answer, and the Correct modal.

👍/👎 are Slack's `feedback_buttons` in a `context_actions` block. That block
only takes feedback buttons and icon buttons, and the only icon Slack offers
is a trash can, so ✏️ Correct is an ordinary button in an `actions` block
right below. Every value carries the reply id, so a click needs no lookup of
the message it was on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.tables import FeedbackKind

RATE_ACTION = "afina_rate"  # the 👍/👎 feedback buttons
CORRECT_ACTION = "afina_correct"  # the ✏️ Correct button
CORRECT_VIEW = "afina_correct"  # the modal's callback_id
ANSWER_BLOCK = "answer"  # the modal's input block
ANSWER_INPUT = "text"
INPUT_MAX = 3000  # Slack's limit for a plain_text_input

Block = dict[str, Any]


def text_blocks(text: str) -> list[Block]:
    """An answer's text as a `markdown` block: Slack renders the model's Markdown as is."""
    return [{"type": "markdown", "text": text}]


def late_blocks(text: str, question_id: int) -> list[Block]:
    """The apology before a late answer, marked with its question so a delivery repeated
    after a crash finds it in the thread (a `markdown` block keeps no block_id)."""
    return [
        {
            "type": "section",
            "block_id": late_id(question_id),
            "text": {"type": "mrkdwn", "text": text},
        }
    ]


def late_id(question_id: int) -> str:
    return f"afina_late_{question_id}"


def controls(reply_id: int, *, ok: bool = True) -> list[Block]:
    """👍 / 👎 / ✏️ Correct for one reply; an error notice gets only Correct (nothing to rate)."""
    blocks: list[Block] = []
    if ok:
        blocks.append(
            {
                "type": "context_actions",
                "block_id": f"afina_rate_{reply_id}",
                "elements": [
                    {
                        "type": "feedback_buttons",
                        "action_id": RATE_ACTION,
                        "positive_button": {
                            "text": {"type": "plain_text", "text": "Good answer"},
                            "accessibility_label": "Mark this answer as good",
                            "value": f"{FeedbackKind.approve}:{reply_id}",
                        },
                        "negative_button": {
                            "text": {"type": "plain_text", "text": "Wrong answer"},
                            "accessibility_label": "Mark this answer as wrong",
                            "value": f"{FeedbackKind.reject}:{reply_id}",
                        },
                    }
                ],
            }
        )
    blocks.append(
        {
            "type": "actions",
            "block_id": controls_id(reply_id),
            "elements": [
                {
                    "type": "button",
                    "action_id": CORRECT_ACTION,
                    "text": {"type": "plain_text", "text": "✏️ Correct", "emoji": True},
                    "value": str(reply_id),
                }
            ],
        }
    )
    return blocks


def controls_id(reply_id: int) -> str:
    """The block under every answer that carries ✏️ Correct: finding it finds the answer."""
    return f"afina_fix_{reply_id}"


def parse_rating(value: str) -> tuple[FeedbackKind, int]:
    """`approve:12` → (approve, 12); raises ValueError for anything else."""
    kind, _, reply_id = value.partition(":")
    chosen = FeedbackKind(kind)
    if chosen == FeedbackKind.correct:
        raise ValueError("a correction needs the modal")
    return chosen, int(reply_id)


@dataclass(frozen=True)
class Correcting:
    """What the Correct modal corrects, and where to confirm it."""

    reply_id: int
    channel: str
    thread_ts: str

    def dump(self) -> str:
        return json.dumps(
            {"reply_id": self.reply_id, "channel": self.channel, "thread_ts": self.thread_ts}
        )

    @classmethod
    def load(cls, raw: str) -> Correcting:
        data = json.loads(raw)
        return cls(int(data["reply_id"]), str(data["channel"]), str(data["thread_ts"]))


def correct_modal(target: Correcting, answer: str) -> Block:
    """A modal with the answer pre-filled, ready to be edited into the right one."""
    return {
        "type": "modal",
        "callback_id": CORRECT_VIEW,
        "private_metadata": target.dump(),
        "title": {"type": "plain_text", "text": "Correct the answer"},
        "submit": {"type": "plain_text", "text": "Teach"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ANSWER_BLOCK,
                "label": {"type": "plain_text", "text": "The answer it should have given"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ANSWER_INPUT,
                    "multiline": True,
                    "initial_value": answer[:INPUT_MAX],
                    "max_length": INPUT_MAX,
                },
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Reviewers teach the bot at once; "
                        "other corrections wait for a reviewer's OK.",
                    }
                ],
            },
        ],
    }


def submitted_answer(view: dict[str, Any]) -> str:
    """The corrected text from a submitted Correct modal ('' when missing)."""
    values = view.get("state", {}).get("values", {})
    return str(values.get(ANSWER_BLOCK, {}).get(ANSWER_INPUT, {}).get("value") or "")
