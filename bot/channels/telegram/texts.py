"""What the bot says on Telegram besides its answers, in English and Spanish.

The language follows the person's Telegram app (`language_code`); the answers
themselves come from the model, which already replies in the customer's language.
"""

from __future__ import annotations

from telegram import User

from bot.text import is_spanish

_EN = {
    "start": (
        "Hi{name}! I'm {brand}'s assistant 🌱 Ask me anything about our products, "
        "orders or shipping and I'll answer right here.\n\n"
        "Under every answer you can tap 👍 if it helped, 👎 if it didn't, or ✏️ to tell me "
        "what I should have said. /help shows everything I can do."
    ),
    "help": (
        "How to talk to me 🌱\n"
        "• Here in private, just write your question.\n"
        "• In a group, mention me (@{username}), reply to one of my messages, or use "
        "/ask followed by your question.\n"
        "• 👍 / 👎 under an answer tells the team how I did; ✏️ lets you send the right answer.\n"
        "• /new starts a fresh conversation (I forget what we said before).\n"
        "I only read text, not photos, stickers or voice notes."
    ),
    "new": "Fresh start 🌱 I've forgotten our earlier messages; what can I do for you?",
    "ask_empty": "Write your question after /ask, e.g. /ask do you ship to the Canary Islands?",
    "text_only": (
        "I can only read text for now 🌱 Please type your question and I'll answer right away."
    ),
    "unknown_command": "I don't know that command. /help shows what I can do.",
    "broken": (
        "Sorry, something went wrong on my side and I couldn't answer. "
        "Please try again in a minute 🌱"
    ),
    "button_invalid": (
        "This button has expired or doesn't belong to this chat. "
        "Ask me again and rate the new answer."
    ),
    "placeholder": "One moment 🌱 I'm writing your answer…",
    "late": (
        "Sorry for the wait 🌱 Something went wrong on my side, but I had your message: "
        "my answer is just above."
    ),
    "too_late": (
        "Sorry 🌱 I missed your message earlier and couldn't answer it in time. "
        "Ask me again and I'll answer right away."
    ),
    "correct_toast": "Send me the right answer ✏️",
    "correct_prompt": (
        "✏️ What should I have said? Reply to this message with the right answer (#{reply_id})."
    ),
    "correction_empty": "Please send the corrected answer as text ✏️",
    "console_link": (
        "Your sign-in link to the console (it works once, for {minutes} minutes):\n{link}"
    ),
    "console_private": "Send me /console in a private chat and I'll give you a sign-in link.",
    "console_not_reviewer": "Only the bot's reviewers can open the console.",
}

_ES = {
    "start": (
        "¡Hola{name}! Soy el asistente de {brand} 🌱 Pregúntame lo que quieras sobre "
        "productos, pedidos o envíos y te respondo aquí mismo.\n\n"
        "Debajo de cada respuesta puedes pulsar 👍 si te ayudó, 👎 si no, o ✏️ para "
        "decirme qué debería haber dicho. /help te lo explica todo."
    ),
    "help": (
        "Cómo hablar conmigo 🌱\n"
        "• Aquí en privado, escribe tu pregunta sin más.\n"
        "• En un grupo, mencióname (@{username}), responde a uno de mis mensajes o usa "
        "/ask seguido de tu pregunta.\n"
        "• 👍 / 👎 bajo una respuesta le dice al equipo qué tal lo hice; ✏️ te deja "
        "enviarme la respuesta correcta.\n"
        "• /new empieza una conversación nueva (olvido lo que hablamos antes).\n"
        "Solo leo texto: ni fotos, ni stickers, ni notas de voz."
    ),
    "new": "Empezamos de cero 🌱 He olvidado lo que hablamos; ¿en qué te ayudo?",
    "ask_empty": "Escribe tu pregunta después de /ask, p. ej. /ask ¿enviáis a Canarias?",
    "text_only": "De momento solo entiendo texto 🌱 Escríbeme tu pregunta y te respondo enseguida.",
    "unknown_command": "No conozco ese comando. /help te cuenta lo que sé hacer.",
    "broken": (
        "Perdona, algo ha fallado por mi parte y no he podido responder. "
        "Prueba de nuevo en un minuto 🌱"
    ),
    "button_invalid": (
        "Este botón ha caducado o no es de este chat. Pregúntame de nuevo y valora la "
        "nueva respuesta."
    ),
    "placeholder": "Un momento 🌱 Estoy escribiendo tu respuesta…",
    "late": (
        "Perdona la espera 🌱 Algo falló por mi parte, pero tenía tu mensaje: "
        "mi respuesta está justo arriba."
    ),
    "too_late": (
        "Perdona 🌱 No pude responder a tu mensaje a tiempo. "
        "Pregúntame de nuevo y te respondo enseguida."
    ),
    "correct_toast": "Envíame la respuesta correcta ✏️",
    "correct_prompt": (
        "✏️ ¿Qué debería haber dicho? Responde a este mensaje con la respuesta correcta "
        "(#{reply_id})."
    ),
    "correction_empty": "Envíame la respuesta corregida como texto ✏️",
    "console_link": (
        "Tu enlace para entrar en la consola (sirve una vez, durante {minutes} minutos):\n{link}"
    ),
    "console_private": "Envíame /console en un chat privado y te doy un enlace para entrar.",
    "console_not_reviewer": "Solo los revisores del bot pueden abrir la consola.",
}


def say(key: str, user: User | None, **values: object) -> str:
    """The text `key` in the person's language, filled in with `values`."""
    return say_in((user.language_code or "") if user else "", key, **values)


def say_in(language: str, key: str, **values: object) -> str:
    """The text `key` in a language (a Telegram `language_code`), filled in with `values`."""
    table = _ES if is_spanish(language) else _EN
    return table[key].format(**values)
