"""Every sentence of the review desk's cards and run reports, in English and Spanish.

A card is plain data (`bot.desk.views`, `bot.desk.reports`); a channel renders it in a
reviewer's language where it knows one (a Telegram app's `language_code`, kept with a
`/notify`), in English otherwise. `words_for(language).say(key, **values)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.text import is_spanish

EN = {
    "title.suggestion": "Suggested correction",
    "title.rejected": "Answer rated 👎",
    "title.unanswered": "Question the bot could not answer",
    "label.approved": "Approve",
    "label.edited": "Edit",
    "label.rejected": "Reject",
    "label.answered": "Answer",
    "label.corrected": "Correct",
    "label.dismissed": "Dismiss",
    "label.skip": "Skip ▶",
    "label.rollback": "Roll back",
    "label.promote": "Promote anyway",
    "done.approved": "Approved",
    "done.edited": "Approved, edited",
    "done.rejected": "Rejected",
    "done.answered": "Answered",
    "done.corrected": "Corrected",
    "done.dismissed": "Dismissed",
    "done.resolved": "Taught in place",
    "place.slack": "Slack",
    "place.telegram": "Telegram",
    "place.console": "the terminal",
    "place.playground": "the console's playground",
    "chat.private": "private chat",
    "chat.group": "group",
    "chat.dm": "DM",
    "chat.channel": "channel",
    "waiting": "Waiting for a reviewer",
    "done_line": "{done} by {who}{when}{handoff}",
    "done_at": " at {when:%Y-%m-%d %H:%M} UTC",
    "handoff.going": " · on its way to the customer",
    "handoff.sent": " · sent to the customer",
    "handoff.failed": " · could not reach the customer ({error})",
    "card.asked": "{where} · asked by {who} · {when:%Y-%m-%d %H:%M} UTC",
    "card.question": "Question:",
    "card.said": "The bot said:",
    "card.rated": "(rated 👎 by {who})",
    "card.suggested": "Suggested by {who}:",
    "card.given": "Answer given:",
    "prompt.suggestion": "your version of the suggested answer",
    "prompt.rejected": "the right answer",
    "prompt.unanswered": "the answer",
    "prompt": "✏️ Reply to this message with {what} to «{question}». It teaches the bot at once "
    "(and goes to the customer, from the team); leave out personal details.",
    "run.headline": "Training run #{run} ({provider}): {state}",
    "run.promoted": "✅ promoted: it answers now",
    "run.rejected": "🚫 not promoted: the gate kept it back",
    "run.failed": "❌ failed",
    "run.cancelled": "⏹ cancelled",
    "run.gate_passed": "the gate passed: not worse than the model answering today, "
    "no correction lost",
    "run.not_gated": "the {provider} provider is not gated: it answers at once",
    "run.why": "Why: {why}",
    "run.model": "Model: {model} (version {version})",
    "run.scores": "Gate ({metric}, {scored} held-out questions): candidate {candidate:.3f} · "
    "answering today {current:.3f}",
    "run.trained": "Trained on {count} examples ({new} new, {method}){tokens}{cost}",
    "run.tokens": " · {tokens} tokens",
    "run.cost": " · cost ${cost:.2f}",
    "run.sample": "Held-out question: {question}",
    "run.candidate": "• candidate: {answer}",
    "run.current": "• answering today: {answer}",
    "run.cannot_roll_back": "Run #{run}'s version {version} is not the one answering now (or "
    "replaced nothing): there is nothing to roll back. `afina models` lists them.",
    "run.rolled_back": "Rolled back: version {version} ({model}) answers again.",
    "run.cannot_promote": "Run #{run} has no kept-back version to promote (it answers already, "
    "or the run was not rejected).",
    "run.promoted_told": "Promoted: version {version} ({model}) answers now.",
    "act.not_reviewer": "Only the bot's reviewers can act on the review desk; nothing was changed.",
    "act.handled": "#{item} was already handled: {done}.",
    "act.no_words": "Write the answer first: it is what the customer and the bot will get.",
    "act.rejected": "Rejected #{item}: the suggestion is not used.",
    "act.dismissed": "Dismissed #{item}.",
    "act.approved": "Approved",
    "act.edited": "Approved in your words",
    "act.answered": "Answered",
    "act.corrected": "Corrected",
    "act.taught": "{done} #{item}: the bot uses it from now on{reach}.",
}

ES = {
    "title.suggestion": "Corrección sugerida",
    "title.rejected": "Respuesta valorada con 👎",
    "title.unanswered": "Pregunta que el bot no supo responder",
    "label.approved": "Aprobar",
    "label.edited": "Editar",
    "label.rejected": "Rechazar",
    "label.answered": "Responder",
    "label.corrected": "Corregir",
    "label.dismissed": "Descartar",
    "label.skip": "Saltar ▶",
    "label.rollback": "Volver atrás",
    "label.promote": "Promover igualmente",
    "done.approved": "Aprobada",
    "done.edited": "Aprobada, editada",
    "done.rejected": "Rechazada",
    "done.answered": "Respondida",
    "done.corrected": "Corregida",
    "done.dismissed": "Descartada",
    "done.resolved": "Enseñada en su sitio",
    "place.slack": "Slack",
    "place.telegram": "Telegram",
    "place.console": "la terminal",
    "place.playground": "el campo de pruebas de la consola",
    "chat.private": "chat privado",
    "chat.group": "grupo",
    "chat.dm": "mensaje directo",
    "chat.channel": "canal",
    "waiting": "Esperando a un revisor",
    "done_line": "{done} por {who}{when}{handoff}",
    "done_at": " el {when:%Y-%m-%d} a las {when:%H:%M} UTC",
    "handoff.going": " · de camino al cliente",
    "handoff.sent": " · enviada al cliente",
    "handoff.failed": " · no llegó al cliente ({error})",
    "card.asked": "{where} · preguntó {who} · {when:%Y-%m-%d %H:%M} UTC",
    "card.question": "Pregunta:",
    "card.said": "El bot dijo:",
    "card.rated": "(valorada con 👎 por {who})",
    "card.suggested": "Sugerida por {who}:",
    "card.given": "Respuesta dada:",
    "prompt.suggestion": "tu versión de la respuesta sugerida",
    "prompt.rejected": "la respuesta correcta",
    "prompt.unanswered": "la respuesta",
    "prompt": "✏️ Responde a este mensaje con {what} a «{question}». El bot la aprende al "
    "momento (y le llega al cliente, de parte del equipo); no incluyas datos personales.",
    "run.headline": "Entrenamiento #{run} ({provider}): {state}",
    "run.promoted": "✅ promovido: ya responde",
    "run.rejected": "🚫 no promovido: el control de calidad lo retuvo",
    "run.failed": "❌ falló",
    "run.cancelled": "⏹ cancelado",
    "run.gate_passed": "pasó el control: no es peor que el modelo que responde hoy y no "
    "pierde ninguna corrección",
    "run.not_gated": "el proveedor {provider} no pasa control: responde al momento",
    "run.why": "Por qué: {why}",
    "run.model": "Modelo: {model} (versión {version})",
    "run.scores": "Control ({metric}, {scored} preguntas reservadas): candidato "
    "{candidate:.3f} · el que responde hoy {current:.3f}",
    "run.trained": "Entrenado con {count} ejemplos ({new} nuevos, {method}){tokens}{cost}",
    "run.tokens": " · {tokens} tokens",
    "run.cost": " · coste ${cost:.2f}",
    "run.sample": "Pregunta reservada: {question}",
    "run.candidate": "• candidato: {answer}",
    "run.current": "• el que responde hoy: {answer}",
    "run.cannot_roll_back": "La versión {version} del entrenamiento #{run} no es la que responde "
    "ahora (o no sustituyó a ninguna): no hay nada que deshacer. `afina models` las lista.",
    "run.rolled_back": "Vuelta atrás: la versión {version} ({model}) responde de nuevo.",
    "run.cannot_promote": "El entrenamiento #{run} no tiene una versión retenida que promover "
    "(ya responde, o el entrenamiento no se rechazó).",
    "run.promoted_told": "Promovido: la versión {version} ({model}) responde ahora.",
    "act.not_reviewer": "Solo los revisores del bot pueden usar el panel de revisión; no se "
    "ha cambiado nada.",
    "act.handled": "#{item} ya estaba atendida: {done}.",
    "act.no_words": "Escribe primero la respuesta: es lo que recibirán el cliente y el bot.",
    "act.rejected": "Rechazada #{item}: la sugerencia no se usa.",
    "act.dismissed": "Descartada #{item}.",
    "act.approved": "Aprobada",
    "act.edited": "Aprobada con tus palabras",
    "act.answered": "Respondida",
    "act.corrected": "Corregida",
    "act.taught": "{done} #{item}: el bot la usa a partir de ahora{reach}.",
}


@dataclass(frozen=True)
class Words:
    """The desk's sentences in one language."""

    language: str  # "en" | "es"
    table: dict[str, str]

    def say(self, key: str, **values: object) -> str:
        return self.table[key].format(**values)

    def count(self, number: int) -> str:
        """`12,345` in English, `12.345` in Spanish."""
        grouped = f"{number:,}"
        return grouped.replace(",", ".") if self.language == "es" else grouped


ENGLISH = Words("en", EN)
SPANISH = Words("es", ES)


def words_for(language: str | None) -> Words:
    """A Telegram `language_code` (`es`, `es-ES`, `en`) or a stored one; English otherwise."""
    return SPANISH if is_spanish(language) else ENGLISH
