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
from bot.desk.home import Overview, Scored
from bot.desk.wording import ENGLISH, Words


def home_view(overview: Overview, words: Words = ENGLISH) -> Block:
    counts = " · ".join(
        f"{n} {words.table.get(f'home.kind.{kind}', kind)}"
        for kind, n in overview.open_counts.items()
    )
    retrain = (
        f"{overview.next_retrain:%Y-%m-%d %H:%M} UTC"
        if overview.next_retrain
        else words.say("home.not_scheduled")
    )
    version = overview.answering_version
    answering = (words.say("home.version", version=version) if version else "") + overview.answering
    needs = words.say("home.needs", new=overview.new_examples, needed=overview.needed)
    lines = [
        f"*{words.say('home.open')}* {overview.open_total} ({counts})",
        f"*{words.say('home.week')}* {overview.unanswered_this_week}",
        f"*{words.say('home.answering')}* {escape(answering)}",
        f"*{words.say('home.last_gate')}* {escape(_gate(overview.last_scored, words))}",
        f"*{words.say('home.next')}* {retrain} · {needs}",
    ]
    console = words.say("home.console")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": words.say("home.title")}},
        section("\n".join(lines)),
        {
            "type": "actions",
            "block_id": "afina_home_tools",
            "elements": [button(console, CONSOLE_ACTION, "console", "primary")],
        },
        {"type": "divider"},
    ]
    if not overview.items:
        blocks.append(section(words.say("home.empty")))
    for card in overview.items:
        blocks += item_blocks(card, words, compact=True)
        blocks.append({"type": "divider"})
    more = overview.open_total - len(overview.items)
    if more > 0:
        blocks.append(context(words.say("home.more", more=more)))
    return {"type": "home", "blocks": blocks[:100]}


def _gate(scored: Scored | None, words: Words) -> str:
    if scored is None:
        return words.say("home.no_gate")
    return words.say(
        "home.gate",
        candidate=words.decimal(scored.candidate),
        current=words.decimal(scored.current),
        metric=scored.metric,
        run=scored.run_id,
        state=words.table.get(f"home.state.{scored.state}", scored.state),
    )


def stranger_view(words: Words = ENGLISH) -> Block:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "afina"}},
            section(words.say("home.stranger")),
        ],
    }


def console_modal(link: str, minutes: int, words: Words = ENGLISH) -> Block:
    opens = words.say("home.console")
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": words.say("console.title")},
        "close": {"type": "plain_text", "text": words.say("console.close")},
        "blocks": [
            section(words.say("console.link", minutes=minutes)),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "afina_console_open",
                        "text": {"type": "plain_text", "text": opens},
                        "url": link,
                        "style": "primary",
                    }
                ],
            },
        ],
    }
