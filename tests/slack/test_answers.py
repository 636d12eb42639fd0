"""Asking the bot in Slack: where it answers, how the answer appears, and what it ignores."""

from __future__ import annotations

from typing import Any

from bot.channels.slack.answer import Pacing
from bot.channels.slack.events import FILES_NOTE
from bot.responder import FALLBACK
from bot.tables import Message, ProcessedEvent, Reply
from tests.slack.conftest import STREAMED
from tests.support.openai_server import SlowOpenAI
from tests.support.slack_server import BOT_ID, BOT_USER, message

SHIPPING = "Free on orders over €35"


def assert_controls(shown: Any, reply: Reply) -> None:
    """👍/👎 in a context_actions block and ✏️ Correct, all carrying this reply's id."""
    assert shown.block_types()[-2:] == ["context_actions", "actions"]
    rate = shown.blocks[-2]["elements"][0]
    assert rate["type"] == "feedback_buttons"
    assert rate["positive_button"]["value"] == f"approve:{reply.id}"
    assert rate["negative_button"]["value"] == f"reject:{reply.id}"
    assert shown.blocks[-1]["elements"][0]["value"] == str(reply.id)


def test_dm_is_answered_in_its_thread_with_feedback_controls(start_bot: Any) -> None:
    bot = start_bot()
    asked = message("How much is shipping?", channel="D0ANA", channel_type="im")
    bot.deliver(asked)

    (answer,) = bot.slack.wait_answered()
    bot.drain()
    (reply,) = bot.rows(Reply)
    assert (answer.channel, answer.thread_ts) == ("D0ANA", asked["ts"])
    assert SHIPPING in answer.text and answer.blocks[0] == {"type": "markdown", "text": reply.text}
    assert_controls(answer, reply)
    assert reply.platform_message_id == f"D0ANA:{answer.ts}"  # reactions map back through it


def test_mention_is_answered_in_a_thread_with_a_status_then_a_stream(
    start_bot: Any, slow_openai: SlowOpenAI
) -> None:
    slow_openai.delay_s = 0.4
    slow_openai.reply("Free on orders over €35 🌱 Below that it's €3.95 in mainland Spain.")
    bot = start_bot(
        pacing=Pacing(status_after_s=0.1, hold_s=0.0),
        openai_api_key="sk-test",
        openai_base_url=slow_openai.base_url,
    )
    asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
    bot.deliver(asked)

    (answer,) = bot.slack.wait_answered()
    assert (answer.channel, answer.thread_ts) == ("C0GENERAL", asked["ts"])
    assert answer.streamed and answer.text.startswith(SHIPPING)
    methods = bot.slack.methods()
    status = methods.index("assistant.threads.setStatus")
    assert status < methods.index("chat.startStream") < methods.index("chat.stopStream")
    start = bot.slack.calls("chat.startStream")[0].args
    assert (start["recipient_user_id"], start["recipient_team_id"]) == ("U0ANA", "T0TEAM")
    assert bot.slack.calls("assistant.threads.setStatus")[0].args["status"] == "is thinking…"
    (reply,) = bot.rows(Reply)
    assert_controls(answer, reply)
    assert slow_openai.chat_requests()[0]["messages"][-1]["content"] == "how much is shipping?"


def test_a_long_streamed_answer_continues_in_clean_messages(start_bot: Any) -> None:
    bot = start_bot(pacing=Pacing(hold_s=0.0, flush_s=0.0, part_chars=120, lookahead_chars=40))
    bot.deliver(message("How much is shipping?", channel="D0ANA", channel_type="im"))

    bot.slack.wait_answered()
    bot.drain()
    (reply,) = bot.rows(Reply)
    parts = bot.slack.shown("D0ANA")
    assert len(parts) > 1 and all(len(p.text) <= 120 for p in parts)
    assert " ".join(p.text for p in parts).split() == reply.text.split()  # nothing lost
    assert all(p.text == p.text.strip() for p in parts)
    assert [bool(p.blocks) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert "chat.appendStream" in bot.slack.methods()


def test_where_streaming_is_refused_the_answer_is_posted_then_updated(start_bot: Any) -> None:
    bot = start_bot(pacing=STREAMED)
    bot.slack.fail("chat.startStream", "not_allowed_token_type", times=5)
    bot.deliver(message("How much is shipping?", channel="D0ANA", channel_type="im"))

    (answer,) = bot.slack.wait_answered()
    assert not answer.streamed and SHIPPING in answer.text
    assert "chat.update" in bot.slack.methods()


def test_thread_follow_up_without_a_mention_uses_the_history(start_bot: Any) -> None:
    bot = start_bot()
    first = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
    bot.deliver(first)
    bot.slack.wait_answered()

    follow_up = message("and to France?", ts="1700009999.000200", thread_ts=first["ts"])
    bot.deliver(follow_up)
    answers = bot.slack.wait_answered(2)

    assert [a.thread_ts for a in answers] == [first["ts"], first["ts"]]
    second = bot.rows(Reply)[-1]
    turns = [(m["role"], m["content"]) for m in second.prompt[1:]]
    assert turns[0] == ("user", "how much is shipping?")
    assert turns[1][0] == "assistant" and SHIPPING in turns[1][1]
    assert turns[-1] == ("user", "and to France?")


def test_a_mention_in_someone_elses_thread_reads_the_thread_first(start_bot: Any) -> None:
    bot = start_bot()
    root = "1700000500.000100"
    bot.slack.thread_history(
        "C0GENERAL",
        root,
        [
            {
                "type": "message",
                "user": "U0BEA",
                "text": "Customer asks about a refund",
                "ts": root,
            },
            {
                "type": "message",
                "bot_id": "B0OTHER",
                "subtype": "bot_message",
                "text": "Ticket #42 opened",
                "ts": "1700000501.000100",
            },
            {
                "type": "message",
                "subtype": "channel_join",
                "user": "U0CAT",
                "text": "<@U0CAT> has joined",
                "ts": "1700000502.000100",
            },
        ],
    )
    asked = message(
        f"<@{BOT_USER}> what do we tell them?",
        ts="1700000503.000100",
        thread_ts=root,
        kind="app_mention",
    )
    bot.deliver(asked)
    bot.slack.wait_answered()

    (reply,) = bot.rows(Reply)
    assert [(m["role"], m["content"]) for m in reply.prompt[1:]] == [
        ("user", "Customer asks about a refund"),
        ("user", "Ticket #42 opened"),
        ("user", "what do we tell them?"),
    ]


def test_chatter_edits_joins_and_bots_are_ignored(start_bot: Any) -> None:
    bot = start_bot()
    bot.deliver(message("lunch anyone?"))  # a channel message, no mention, no thread of ours
    bot.deliver(message("in a stranger's thread", thread_ts="1600000000.000001"))
    bot.deliver(message("I'm a bot", channel="D0ANA", channel_type="im", bot_id="B0OTHER"))
    bot.deliver(message("mine", channel="D0ANA", channel_type="im", user=BOT_USER, bot_id=BOT_ID))
    bot.deliver(message("", subtype="channel_join"))
    edited = message("", channel="D0ANA", channel_type="im", subtype="message_changed")
    edited["message"] = {"text": "How much is shipping?", "user": "U0ANA"}
    bot.deliver(edited)
    bot.drain()

    assert bot.slack.shown() == [] and bot.rows(Message) == []
    assert bot.rows(ProcessedEvent) == []  # nothing to remember either


def test_a_retried_event_is_answered_once(start_bot: Any) -> None:
    bot = start_bot()
    asked = message("How much is shipping?", channel="D0ANA", channel_type="im")
    bot.deliver(asked, event_id="Ev0RETRIED")
    bot.deliver(asked, event_id="Ev0RETRIED")
    retried = bot.send(
        {"type": "event_callback", "team_id": "T0TEAM", "event_id": "Ev0RETRIED", "event": asked},
        retry=1,
    )
    assert retried.status == 200
    bot.drain()

    assert len(bot.slack.answers()) == 1
    assert len(bot.rows(Reply)) == 1


def test_files_get_a_short_note_and_their_text_is_still_answered(start_bot: Any) -> None:
    bot = start_bot()
    picture = {"id": "F0PIC", "name": "rash.jpg", "mimetype": "image/jpeg"}
    bot.deliver(
        message("", channel="D0ANA", channel_type="im", subtype="file_share", files=[picture])
    )
    bot.deliver(
        message(
            "How much is shipping?",
            channel="D0ANA",
            channel_type="im",
            subtype="file_share",
            files=[picture],
        )
    )
    bot.slack.wait_answered()
    bot.drain()

    notes = [m for m in bot.slack.shown("D0ANA") if m.text == FILES_NOTE]
    assert len(notes) == 2 and all(not n.blocks for n in notes)
    assert len(bot.slack.answers()) == 1


def test_a_retried_event_with_a_file_gets_one_note_and_one_answer(start_bot: Any) -> None:
    bot = start_bot()
    picture = {"id": "F0PIC", "name": "rash.jpg", "mimetype": "image/jpeg"}
    asked = message(
        "How much is shipping?",
        channel="D0ANA",
        channel_type="im",
        subtype="file_share",
        files=[picture],
    )
    bot.deliver(asked, event_id="Ev0FILE")
    bot.deliver(asked, event_id="Ev0FILE")
    bot.slack.wait_answered()
    bot.drain()

    assert len([m for m in bot.slack.shown("D0ANA") if m.text == FILES_NOTE]) == 1
    assert len(bot.slack.answers()) == 1
    assert len(bot.rows(ProcessedEvent)) == 1


def test_a_failing_model_gets_a_polite_message_in_the_thread(
    start_bot: Any, fake_openai: Any
) -> None:
    fake_openai.fail(500, times=3)
    bot = start_bot(
        openai_api_key="sk-test", openai_base_url=fake_openai.base_url, openai_max_retries=0
    )
    asked = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
    bot.deliver(asked)

    (answer,) = bot.slack.wait_answered()
    assert answer.thread_ts == asked["ts"] and answer.text == FALLBACK
    assert answer.block_types() == ["markdown", "actions"]  # nothing to rate; Correct stays


def test_a_mention_with_no_question_gets_asked_for_one(start_bot: Any) -> None:
    bot = start_bot()
    asked = message(f"<@{BOT_USER}>", kind="app_mention")
    bot.deliver(asked)
    bot.drain()

    (shown,) = bot.slack.shown("C0GENERAL", asked["ts"])
    assert "empty" in shown.text and shown.block_types() == ["markdown"]  # nothing to rate


def test_a_mention_in_one_of_its_threads_is_answered_once(start_bot: Any) -> None:
    bot = start_bot()
    first = message(f"<@{BOT_USER}> how much is shipping?", kind="app_mention")
    bot.deliver(first)
    bot.slack.wait_answered()
    again = f"<@{BOT_USER}> and to France?"
    ts = "1700009999.000300"
    bot.deliver(message(again, ts=ts, thread_ts=first["ts"], kind="app_mention"))
    bot.deliver(message(again, ts=ts, thread_ts=first["ts"]))  # Slack sends both events
    bot.drain()

    assert len(bot.slack.answers()) == 2 and len(bot.rows(Reply)) == 2


def test_a_long_answer_ready_at_once_is_posted_in_clean_parts(start_bot: Any) -> None:
    bot = start_bot(pacing=Pacing(status_after_s=30, hold_s=30, flush_chars=10**6, part_chars=80))
    bot.deliver(message("How much is shipping?", channel="D0ANA", channel_type="im"))
    bot.slack.wait_answered()
    bot.drain()

    parts = bot.slack.shown("D0ANA")
    (reply,) = bot.rows(Reply)
    assert len(parts) > 1 and all(len(p.text) <= 80 for p in parts)
    assert " ".join(p.text for p in parts).split() == reply.text.split()
    assert [p.block_types()[-1] for p in parts] == ["markdown"] * (len(parts) - 1) + ["actions"]
    assert reply.platform_message_id == f"D0ANA:{parts[-1].ts}"  # the part with the controls


def test_a_question_cut_to_the_limit_is_answered_and_the_asker_told(start_bot: Any) -> None:
    bot = start_bot(max_message_chars=100)
    bot.deliver(message("How much is shipping? " * 10, channel="D0ANA", channel_type="im"))
    bot.slack.wait_answered()
    bot.drain()

    (note,) = bot.slack.notes()
    assert note["user"] == "U0ANA" and "100 characters" in note["text"]
