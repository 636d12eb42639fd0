"""Customers asking the bot on Telegram: private chats, groups, topics, commands, media."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram import records
from bot.channels.telegram.answering import utf16_len
from bot.db import session_scope
from bot.importer import import_pairs
from bot.responder import FALLBACK
from bot.tables import Conversation, Message, ProcessedEvent, Reply
from tests.support.openai_server import FakeOpenAI
from tests.support.telegram_server import (
    TOKEN,
    bot_message,
    group_chat,
    mention,
    message_update,
    private_chat,
    user,
)
from tests.telegram.harness import CUSTOMER, Running

UK = "Do you ship to the UK?"
UK_ANSWER = "Sadly not, we only ship within the EU for now"


async def test_private_message_gets_an_answer_with_feedback_buttons(bot: Running) -> None:
    chat = private_chat(CUSTOMER)
    bot.fake.push(message_update(chat, user(CUSTOMER), UK))
    [sent] = await bot.answer_in(CUSTOMER)

    assert sent["text"].startswith(UK_ANSWER)
    assert [b["text"] for b in sent.buttons] == ["👍", "👎", "✏️"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in sent.buttons)
    assert "reply_parameters" not in sent.params  # a private chat needs no quoting

    [reply] = bot.rows(Reply)
    assert reply.chat_id == str(CUSTOMER)
    # A 👍 reaction on the message finds the reply (its id is written with the next answer).
    assert records.answer_at(bot.core, chat_id=CUSTOMER, message_id=sent.message_id) == reply.id
    inbound = next(m for m in bot.rows(Message) if m.role == "user")
    assert inbound.text == UK and inbound.user_id == f"telegram:{CUSTOMER}"


async def test_slow_answer_shows_typing_and_streams_a_draft_before_the_real_message(
    start_bot: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.stream_delay_s = 0.08
    words = "Yes! We ship to every EU country in 3 to 5 days 🌿"
    fake_openai.reply(words)
    bot = await start_bot(
        model_backend="openai", openai_base_url=fake_openai.base_url, openai_api_key="sk-test"
    )
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "Do you ship to Italy?"))
    [sent] = await bot.answer_in(CUSTOMER)

    drafts = bot.fake.called("sendMessageDraft")
    assert len(drafts) >= 2, "a 1 s answer shows several draft steps"
    assert {int(d["draft_id"]) for d in drafts} != {0} and len({d["draft_id"] for d in drafts}) == 1
    texts = [d["text"] for d in drafts]
    assert all(words.startswith(t) for t in texts)
    assert texts == sorted(texts, key=len) and len(set(texts)) == len(texts)
    assert sent["text"] == words and sent.buttons
    log = bot.fake.called()
    [typing] = bot.fake.called("sendChatAction")
    assert typing["action"] == "typing"
    assert log.index(typing) < log.index(drafts[0])
    [placeholder] = bot.fake.called("sendMessage")  # posted at once, the answer written in
    [written] = bot.fake.called("editMessageText")
    assert placeholder["text"] == "One moment 🌱 I'm writing your answer…"
    assert written["message_id"] == str(sent.message_id) == str(placeholder.message_id)
    assert max(log.index(d) for d in drafts) < log.index(written), "no draft after the answer"


async def test_group_answers_mentions_replies_and_ask_but_not_chatter(bot: Running) -> None:
    group, ana = group_chat(), user(CUSTOMER)
    chatter = message_update(group, ana, "anyone tried the new shampoo bar?")
    asked = f"@afina_test_bot {UK}"
    mentioned = message_update(group, ana, asked, entities=mention(asked))
    bot.fake.push(chatter, mentioned)
    [first] = await bot.answer_in(group["id"])
    assert first["text"].startswith(UK_ANSWER)
    assert first["reply_parameters"]["message_id"] == mentioned["message"]["message_id"]

    follow_up = message_update(
        group, ana, "and to Ireland?", reply_to=bot_message(group, first.message_id, first["text"])
    )
    bot.fake.push(follow_up)
    await bot.answer_in(group["id"], 2)
    command = message_update(group, ana, "/ask What payment methods do you accept?")
    bot.fake.push(command)
    answers = await bot.answer_in(group["id"], 3)
    await bot.settle()

    quoted = [a["reply_parameters"]["message_id"] for a in bot.fake.sent(group["id"])]
    assert quoted == [
        mentioned["message"]["message_id"],
        follow_up["message"]["message_id"],
        command["message"]["message_id"],
    ]
    assert "Bizum" in answers[2]["text"]
    questions = [m.text for m in bot.rows(Message) if m.role == "user"]
    assert questions == [UK, "and to Ireland?", "What payment methods do you accept?"]
    assert not [d for d in bot.fake.called("sendMessageDraft")], "drafts are for private chats"


async def test_forum_topics_answer_in_their_topic_with_their_own_history(bot: Running) -> None:
    forum, ana = group_chat(-1002, forum=True), user(CUSTOMER)
    for topic in (7, 9):
        text = f"@afina_test_bot {UK}"
        bot.fake.push(message_update(forum, ana, text, entities=mention(text), thread_id=topic))
    sent = await bot.answer_in(forum["id"], 2)
    assert sorted(int(s["message_thread_id"]) for s in sent) == [7, 9]
    threads = sorted(c.thread_id for c in bot.rows(Conversation))
    assert threads == ["7", "9"]


async def test_start_help_and_new(bot: Running) -> None:
    chat = private_chat(CUSTOMER)
    bot.fake.push(message_update(chat, user(CUSTOMER, "Lucía", "es"), "/start"))
    [hello] = await bot.answer_in(CUSTOMER)
    assert hello["text"].startswith("¡Hola, Lucía!") and "Verdalia" in hello["text"]

    bot.fake.push(message_update(chat, user(CUSTOMER), "/help"))
    assert "/ask" in (await bot.answer_in(CUSTOMER, 2))[1]["text"]
    bot.fake.push(message_update(chat, user(CUSTOMER), UK))
    await bot.answer_in(CUSTOMER, 3)
    bot.fake.push(message_update(chat, user(CUSTOMER), "/new"))
    await bot.answer_in(CUSTOMER, 4)
    bot.fake.push(message_update(chat, user(CUSTOMER), UK))
    await bot.answer_in(CUSTOMER, 5)

    first, second = sorted(bot.rows(Conversation), key=lambda c: c.id or 0)
    assert first.closed_at is not None and second.closed_at is None
    assert "Fresh start" in bot.fake.sent(CUSTOMER)[3]["text"]


async def test_stickers_photos_and_voice_get_a_text_only_note(bot: Running) -> None:
    chat, ana = private_chat(CUSTOMER), user(CUSTOMER)
    sticker = {"file_id": "s1", "file_unique_id": "s1", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
    photo = [{"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}]
    voice = {"file_id": "v1", "file_unique_id": "v1", "duration": 3}
    bot.fake.push(
        message_update(chat, ana, sticker=sticker),
        message_update(chat, ana, photo=photo),
        message_update(chat, ana, voice=voice),
        message_update(group_chat(), ana, sticker=sticker),  # not for us: ignored
    )
    notes = await bot.answer_in(CUSTOMER, 3)
    await bot.settle()
    assert [n["text"] for n in notes] == [notes[0]["text"]] * 3
    assert "only read text" in notes[0]["text"]
    assert bot.fake.sent(group_chat()["id"]) == []
    assert bot.rows(Reply) == []


async def test_model_failure_gets_a_polite_message_without_buttons(
    start_bot: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail(500, times=5)
    bot = await start_bot(
        model_backend="openai",
        openai_base_url=fake_openai.base_url,
        openai_api_key="sk-test",
        openai_max_retries=0,
    )
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), UK))
    [sent] = await bot.answer_in(CUSTOMER)
    assert sent["text"] == FALLBACK
    assert "reply_markup" not in sent.params


async def test_long_answer_is_split_cleanly_with_buttons_on_the_last_part(bot: Running) -> None:
    paragraph = "Our zorblat guide, step by step. " + "Rinse, lather and smile again. " * 40
    long_answer = "\n\n".join(f"{n}. {paragraph.strip()}" for n in range(1, 6))
    assert len(long_answer) > 4096
    with session_scope(bot.core.engine) as session:
        import_pairs(session, [(1, [{"role": "user", "content": "zorblat guide"}], long_answer)])
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "zorblat guide?"))
    await bot.until(lambda fake: any(c.buttons for c in fake.sent(CUSTOMER)), timeout=60)
    await bot.settle()
    parts = bot.fake.sent(CUSTOMER)
    assert len(parts) == 2
    assert all(utf16_len(p["text"]) <= 4096 for p in parts)
    assert parts[0]["text"].endswith(".") and parts[1]["text"][0].isdigit()  # cut at a paragraph
    assert "\n\n".join(p["text"] for p in parts) == long_answer
    assert not parts[0].buttons and parts[1].buttons
    [reply] = bot.rows(Reply)
    assert records.answer_at(bot.core, chat_id=CUSTOMER, message_id=parts[1].message_id) == reply.id


async def test_repeated_update_is_answered_once(bot: Running) -> None:
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), UK)
    bot.fake.push(update, update)
    await bot.answer_in(CUSTOMER)
    bot.fake.push(update, message_update(private_chat(CUSTOMER), user(CUSTOMER), "/help"))
    await bot.answer_in(CUSTOMER, 2)
    await bot.settle()
    assert len(bot.fake.sent(CUSTOMER)) == 2
    assert len(bot.rows(Reply)) == 1


async def test_repeated_group_updates_are_answered_once(bot: Running) -> None:
    group, ana = group_chat(), user(CUSTOMER)
    asked = f"@afina_test_bot {UK}"
    mentioned = message_update(group, ana, asked, entities=mention(asked))
    empty = message_update(group, ana, "@afina_test_bot", entities=mention("@afina_test_bot"))
    chatter = message_update(group, ana, "anyone tried the new shampoo bar?")
    bot.fake.push(mentioned, empty, chatter, mentioned, empty, chatter)
    await bot.answer_in(group["id"], 2)
    await bot.settle()
    texts = sorted(m["text"] for m in bot.fake.sent(group["id"]))
    assert len(texts) == 2 and texts[0].startswith(UK_ANSWER) and "/ask" in texts[1]
    assert len(bot.rows(Reply)) == 1
    assert len(bot.rows(ProcessedEvent)) == 2  # the chatter nobody answered needs no record


async def test_rate_limit_answer_is_retried_after_the_wait(bot: Running) -> None:
    bot.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot.fake.fail_next("editMessageText", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), UK))
    await bot.until(lambda fake: len(fake.called("editMessageText")) == 2, timeout=15)
    await bot.settle()
    refused, placeholder = bot.fake.called("sendMessage")  # the placeholder, after its wait
    assert refused.result["error_code"] == 429 and placeholder.at - refused.at >= 1.0
    limited, written = bot.fake.called("editMessageText")  # the answer, after its wait
    assert limited.result["error_code"] == 429 and written.at - limited.at >= 1.0
    assert limited["text"] == written["text"] and written.buttons
    [answer] = bot.fake.shown(CUSTOMER)
    assert answer["text"] == written["text"] and answer.buttons


async def test_errors_are_logged_with_context_never_the_token(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    bot.fake.fail_next("sendMessage", 400, "Bad Request: message thread not found")
    update = message_update(private_chat(CUSTOMER), user(CUSTOMER), UK)
    bot.fake.push(update)
    sorry = await bot.answer_in(CUSTOMER, 2)
    assert "went wrong" in sorry[1]["text"]
    failure = next(r for r in caplog.records if r.levelname == "ERROR")
    text = failure.getMessage()
    assert f"update {update['update_id']} (chat {CUSTOMER}, user {CUSTOMER})" in text
    assert "message thread not found" in text.lower()
    assert "/sendMessage" in caplog.text  # httpx logged the calls...
    assert TOKEN not in caplog.text  # ...with the token masked


async def test_a_message_with_nothing_readable_gets_told_so(bot: Running) -> None:
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "\x07\x08"))
    [said] = await bot.answer_in(CUSTOMER)
    assert said["text"].startswith("The message is empty")
    assert bot.rows(Reply) == []
