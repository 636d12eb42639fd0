"""What the bot tells reviewers on Telegram about the desk, in English and Spanish.

(The cards themselves are written by `bot.desk.wording`, in the same language: the
reviewer's app's, kept with their `/notify` for the cards the desk pushes. The Slack
desk's cards are in English.)
"""

from __future__ import annotations

from telegram import User

from bot.text import is_spanish

_EN = {
    "private": "Send me {command} in a private chat: the desk shows customers' questions.",
    "not_reviewer": "Only the bot's reviewers can use the review desk.",
    "empty": "Nothing waits for a reviewer 🌱",
    "heading": "{total} open on the desk:",
    "done": "That's all for now 🌱",
    "notify_on": (
        "You'll get the desk's new cards here as they come: suggestions, 👎'd answers, "
        "questions I couldn't answer, and the end of every training run. /notify off stops them."
    ),
    "notify_again": "You already get the desk's cards here. /notify off stops them.",
    "notify_off": "No more desk cards here. /notify turns them back on.",
    "notify_was_off": "This chat gets no desk cards. /notify turns them on.",
    "ask_words": "Reply with the answer ✏️",
    "after_reply": "{said}\n/review shows the next one ({left} open).",
    "empty_words": "Please send the answer as text ✏️",
}

_ES = {
    "private": "Envíame {command} en un chat privado: el panel muestra preguntas de clientes.",
    "not_reviewer": "Solo los revisores del bot pueden usar el panel de revisión.",
    "empty": "No hay nada pendiente de revisión 🌱",
    "heading": "Pendientes en el panel: {total}",
    "done": "Eso es todo por ahora 🌱",
    "notify_on": (
        "Te llegarán aquí las tarjetas nuevas del panel: sugerencias, respuestas con 👎, "
        "preguntas que no supe responder y el final de cada entrenamiento. /notify off las para."
    ),
    "notify_again": "Ya recibes aquí las tarjetas del panel. /notify off las para.",
    "notify_off": "Ya no recibirás tarjetas del panel aquí. /notify las vuelve a activar.",
    "notify_was_off": "Este chat no recibe tarjetas del panel. /notify las activa.",
    "ask_words": "Responde con la respuesta ✏️",
    "after_reply": "{said}\n/review muestra la siguiente ({left} pendientes).",
    "empty_words": "Envíame la respuesta como texto ✏️",
}


def say(key: str, user: User | None, **values: object) -> str:
    language = (user.language_code or "") if user else ""
    table = _ES if is_spanish(language) else _EN
    return table[key].format(**values)
