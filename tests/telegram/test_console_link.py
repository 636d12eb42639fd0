"""`/console` on Telegram: a reviewer gets a one-time sign-in link in private, nobody else does."""

from __future__ import annotations

import re

from sqlmodel import Session, select
from starlette.testclient import TestClient

from bot.tables import ConsoleLink, ConsoleSession
from bot.web import create_app
from tests.support.telegram_server import group_chat, message_update, private_chat, user
from tests.telegram.harness import CUSTOMER, REVIEWER, Running


async def test_a_reviewer_gets_a_link_that_signs_them_in(bot: Running) -> None:
    bot.fake.push(message_update(private_chat(REVIEWER), user(REVIEWER, "Marta", "es"), "/console"))
    [sent] = await bot.answer_in(REVIEWER)
    assert sent["text"].startswith("Tu enlace para entrar en la consola")
    assert sent["link_preview_options"] == {"is_disabled": True}  # Telegram opens no preview
    link = re.search(r"http://\S+/console/link/\S+", sent["text"])
    assert link is not None and link.group(0).startswith("http://localhost:3000/console/link/")
    [stored] = bot.rows(ConsoleLink)
    assert stored.user_id == f"telegram:{REVIEWER}" and stored.used_at is None

    with TestClient(create_app(bot.core.settings), base_url="http://localhost:3000") as browser:
        path = link.group(0).split("3000", 1)[1]
        check = re.search(r'name="check" value="([^"]+)"', browser.get(path).text)
        assert check is not None
        browser.post(path, data={"check": check.group(1)})
        assert f"telegram:{REVIEWER}" in browser.get("/console/").text
    with Session(bot.core.engine) as session:
        [opened] = session.exec(select(ConsoleSession)).all()
    assert opened.user_id == f"telegram:{REVIEWER}"


async def test_customers_get_no_link_and_groups_are_told_to_ask_in_private(bot: Running) -> None:
    bot.fake.push(message_update(private_chat(CUSTOMER), user(CUSTOMER), "/console"))
    [refused] = await bot.answer_in(CUSTOMER)
    assert refused["text"] == "Only the bot's reviewers can open the console."
    group = group_chat()
    bot.fake.push(message_update(group, user(REVIEWER), "/console"))
    [note] = await bot.answer_in(group["id"])
    assert "private chat" in note["text"] and "/console/link/" not in note["text"]
    assert bot.rows(ConsoleLink) == []
