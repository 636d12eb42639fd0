"""The App Home tab: the review desk at a glance, for reviewers; a short note for anyone else.

A reviewer sees the open items (the oldest first, with the same buttons as their
cards), the questions the bot could not answer this week, the model answering and
its last gate scores, the next retrain, and "Open the console". Someone who is not
a reviewer sees no customer's words: only what the desk is and who may use it.
"""

from __future__ import annotations

from bot.channels.slack.desk_blocks import (
    CONSOLE_ACTION,
    Block,
    button,
    context,
    escape,
    item_blocks,
    section,
)
from bot.desk.home import Overview

KIND_WORDS = {"suggestion": "suggested", "rejected": "👎", "unanswered": "unanswered"}


def home_view(overview: Overview) -> Block:
    counts = " · ".join(
        f"{n} {KIND_WORDS.get(kind, kind)}" for kind, n in overview.open_counts.items()
    )
    retrain = (
        f"{overview.next_retrain:%Y-%m-%d %H:%M} UTC" if overview.next_retrain else "not scheduled"
    )
    lines = [
        f"*Open items:* {overview.open_total} ({counts})",
        f"*Unanswered this week:* {overview.unanswered_this_week}",
        f"*Answering:* {escape(overview.answering)}",
        f"*Last gate:* {escape(overview.last_scores or 'no run scored yet')}",
        f"*Next retrain:* {retrain} · {overview.new_examples} of {overview.needed} new "
        "examples it needs",
    ]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "afina · review desk"}},
        section("\n".join(lines)),
        {
            "type": "actions",
            "block_id": "afina_home_tools",
            "elements": [button("Open the console", CONSOLE_ACTION, "console", "primary")],
        },
        {"type": "divider"},
    ]
    if not overview.items:
        blocks.append(section("Nothing waits for a reviewer. 🌱"))
    for card in overview.items:
        blocks += item_blocks(card, compact=True)
        blocks.append({"type": "divider"})
    more = overview.open_total - len(overview.items)
    if more > 0:
        blocks.append(context(f"…and {more} more: the review channel, `afina review`, the console"))
    return {"type": "home", "blocks": blocks[:100]}


def stranger_view() -> Block:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "afina"}},
            section(
                "Ask me anything in a DM, or mention me in a channel. Under every answer: "
                "👍 / 👎 and ✏️ Correct.\nThe review desk here is for the bot's reviewers."
            ),
        ],
    }


def console_modal(link: str, minutes: int) -> Block:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "The web console"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [
            section(f"Your sign-in link works once, for {minutes} minutes."),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "afina_console_open",
                        "text": {"type": "plain_text", "text": "Open the console"},
                        "url": link,
                        "style": "primary",
                    }
                ],
            },
        ],
    }
