"""A Spanish team's Slack desk (`SLACK_DESK_LANGUAGE=es`): cards, modal, replies and Home tab."""

from __future__ import annotations

import json
from typing import Any

from bot.desk.tables import ItemAction, ReviewItem
from tests.desk.conftest import SLACK_REVIEWER, STRANGER, card_text, labels
from tests.desk.test_home import open_home

CUSTOMER = 42
QUESTION = "¿Qué es el club zorblat?"
ANSWER = "Nuestro club de fidelidad: gratis, con un 5 % de vuelta en cada compra."


async def test_a_spanish_team_reads_and_works_the_slack_desk_in_spanish(start_desk: Any) -> None:
    desk = await start_desk(slack_desk_language="es")
    await desk.ask(CUSTOMER, QUESTION)  # nothing taught about it: a question for the desk
    assert await desk.tick() == 1
    [card] = desk.cards()
    shown = card_text(card)
    assert "Pregunta que el bot no supo responder" in shown and "*Pregunta*" in shown
    assert "Preguntó `telegram:42` en Telegram, chat privado 42" in shown
    assert labels(card) == ["Responder", "Descartar"]

    await desk.press(card, "Descartar", who=STRANGER)  # not a reviewer: told so, in Spanish
    await desk.until_slack(lambda: desk.slack.calls("chat.postEphemeral"))
    told = desk.slack.calls("chat.postEphemeral")[-1].args["text"]
    assert told.startswith("Solo los revisores del bot pueden usar el panel de revisión")

    await desk.press(card, "Responder")
    view = await desk.modal()
    assert view["title"]["text"] == "Responder la pregunta"
    assert (view["submit"]["text"], view["close"]["text"]) == ("Enviar", "Cancelar")
    assert "Le llega al cliente en su chat" in json.dumps(view, ensure_ascii=False)
    await desk.submit(view, ANSWER)

    await desk.telegram.until(lambda fake: any(ANSWER in m["text"] for m in fake.sent(CUSTOMER)))
    await desk.until_slack(lambda: "Respondida por <@U0REV>" in card_text(desk.cards()[0]))
    shown = card_text(desk.cards()[0])
    assert "*Respuesta dada*" in shown and labels(desk.cards()[0]) == []
    await desk.until_slack(lambda: len(desk.slack.calls("chat.postEphemeral")) >= 2)
    told = desk.slack.calls("chat.postEphemeral")[-1].args["text"]
    assert told.startswith("Respondida #") and "el bot la usa a partir de ahora" in told
    [item] = desk.rows(ReviewItem)
    assert (item.action, item.handled_by) == (ItemAction.answered, f"slack:{SLACK_REVIEWER}")

    home = json.dumps(await open_home(desk, SLACK_REVIEWER), ensure_ascii=False)
    assert "afina · panel de revisión" in home
    assert "*Pendientes:* 0" in home and "*Sin respuesta esta semana:* 1" in home
    assert "*Último control:* ningún entrenamiento puntuado todavía" in home
    assert "Nada espera a un revisor" in home and "Abrir la consola" in home
    stranger = json.dumps(await open_home(desk, STRANGER), ensure_ascii=False)
    assert "Pregúntame lo que quieras" in stranger and QUESTION not in stranger
