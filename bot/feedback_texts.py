"""What the bot says back to a 👍, a 👎 or a correction, in English and Spanish.

The person's language comes from their channel where it knows it (a Telegram app's
`language_code`); otherwise it is read off their own words (a correction), or the
question they rated.
"""

from __future__ import annotations

from bot.tables import FeedbackKind, ReplyOutcome
from bot.text import is_spanish, looks_english, looks_spanish

_A, _R, _C = FeedbackKind.approve, FeedbackKind.reject, FeedbackKind.correct

EN: dict[object, str] = {
    (_A, "taught"): "Thanks! Learned #{id} «{question}»: I'll answer like this from now on.",
    (_A, "phrasing"): "Thanks! «{asked}» now gets the answer of #{id} «{question}».",
    (_A, "signal"): "Thanks for the 👍, noted.",
    (_A, "known"): "Thanks! I already knew #{id} «{question}».",
    (_A, "nothing"): "Thanks, but that reply {what}, so there is nothing in it to learn. "
    "Correct it (✏️, or /fix TEXT) with the right answer to teach me.",
    (_R, "signal"): "Thanks for telling me; noted for the team's review.",
    (_C, "taught"): "Thanks, learned #{id} «{question}»: I'll use your answer from now on.",
    (_C, "pending"): "Thanks for the correction! A reviewer will check it (#{id} «{question}») "
    "before I use it.",
    (_C, "known"): "Thanks! I already had exactly this answer (#{id} «{question}»).",
    "replaces": " It replaces {older}.",
    ReplyOutcome.abstained: "said I didn't know",
    ReplyOutcome.error: "was an error notice",
}

ES: dict[object, str] = {
    (_A, "taught"): "¡Gracias! Aprendido #{id} «{question}»: a partir de ahora responderé así.",
    (_A, "phrasing"): "¡Gracias! «{asked}» recibe ahora la respuesta de #{id} «{question}».",
    (_A, "signal"): "Gracias por el 👍, anotado.",
    (_A, "known"): "¡Gracias! Ya me sabía #{id} «{question}».",
    (_A, "nothing"): "Gracias, pero esa respuesta {what}, así que no hay nada que aprender. "
    "Corrígela (✏️, o /fix TEXTO) con la respuesta correcta para enseñármela.",
    (_R, "signal"): "Gracias por avisar; queda anotado para la revisión del equipo.",
    (_C, "taught"): "Gracias, aprendido #{id} «{question}»: usaré tu respuesta a partir de ahora.",
    (_C, "pending"): "¡Gracias por la corrección! Un revisor la comprobará (#{id} «{question}») "
    "antes de que la use.",
    (_C, "known"): "¡Gracias! Ya tenía exactamente esta respuesta (#{id} «{question}»).",
    "replaces": " Sustituye a {older}.",
    ReplyOutcome.abstained: "decía que no lo sabía",
    ReplyOutcome.error: "era un aviso de error",
}


def table_for(language: str | None, correction: str, asked: str) -> dict[object, str]:
    """The texts in the person's language: the channel's word for it (`es`, `es-ES`, `en`),
    else their correction's where it reads as one language ("Sí, desde 20 €." reads as
    neither), else the question's."""
    if language:
        return ES if is_spanish(language) else EN
    if looks_spanish(correction):
        return ES
    if looks_english(correction):
        return EN
    return ES if looks_spanish(asked) else EN
