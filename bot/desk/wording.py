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
    "run.scores": "Gate ({metric}, {scored} held-out questions): candidate {candidate} · "
    "answering today {current}",
    "run.trained": "Trained on {count} examples ({new} new, {method}){tokens}{cost}",
    "run.tokens": " · {tokens} tokens",
    "run.cost": " · cost ${cost}",
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
    # Slack's Block Kit cards, modal and Home tab (`bot.channels.slack.desk_blocks`, `desk_home`)
    "slack.question": "Question",
    "slack.said": "The bot said",
    "slack.answered": "The bot answered",
    "slack.suggested": "Suggested by {who}",
    "slack.rated": " · rated 👎 by {who}",
    "slack.asked": "Asked by {who} in {where}{rated} · {when:%Y-%m-%d %H:%M} UTC",
    "slack.given": "Answer given",
    "slack.modal.edited": "Edit the suggestion",
    "slack.modal.answered": "Answer the question",
    "slack.modal.corrected": "Correct the answer",
    "slack.send": "Send",
    "slack.teach": "Teach",
    "slack.cancel": "Cancel",
    "slack.the_answer": "The answer",
    "slack.goes_out": "It goes to the customer in their chat, from the team, and the bot uses it "
    "from now on. Leave out personal details: other customers may get this answer too.",
    "slack.goes": "The bot uses it from now on. Leave out personal details: other customers "
    "may get this answer too.",
    "slack.why": "Why:",
    "slack.model": "Model:",
    "slack.version": "version {version}",
    "slack.held_out": "Held-out question",
    "slack.candidate": "Candidate",
    "slack.current": "Answering today",
    "slack.from_team": "From the team",
    "home.title": "afina · review desk",
    "home.open": "Open items:",
    "home.kind.suggestion": "suggested",
    "home.kind.rejected": "👎",
    "home.kind.unanswered": "unanswered",
    "home.week": "Unanswered this week:",
    "home.answering": "Answering:",
    "home.version": "version {version} · ",
    "home.last_gate": "Last gate:",
    "home.gate": "candidate {candidate} · answering then {current} ({metric}), run #{run} {state}",
    "home.no_gate": "no run scored yet",
    "home.state.promoted": "promoted",
    "home.state.rejected": "rejected",
    "home.next": "Next retrain:",
    "home.not_scheduled": "not scheduled",
    "home.needs": "{new} of {needed} new examples it needs",
    "home.console": "Open the console",
    "home.empty": "Nothing waits for a reviewer. 🌱",
    "home.more": "…and {more} more: the review channel, `afina review`, the console",
    "home.stranger": "Ask me anything in a DM, or mention me in a channel. Under every answer: "
    "👍 / 👎 and ✏️ Correct.\nThe review desk here is for the bot's reviewers.",
    "console.title": "The web console",
    "console.close": "Close",
    "console.link": "Your sign-in link works once, for {minutes} minutes.",
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
    "{candidate} · el que responde hoy {current}",
    "run.trained": "Entrenado con {count} ejemplos ({new} nuevos, {method}){tokens}{cost}",
    "run.tokens": " · {tokens} tokens",
    "run.cost": " · coste {cost} $",
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
    "slack.question": "Pregunta",
    "slack.said": "El bot dijo",
    "slack.answered": "El bot respondió",
    "slack.suggested": "Sugerida por {who}",
    "slack.rated": " · valorada con 👎 por {who}",
    "slack.asked": "Preguntó {who} en {where}{rated} · {when:%Y-%m-%d %H:%M} UTC",
    "slack.given": "Respuesta dada",
    "slack.modal.edited": "Editar la sugerencia",
    "slack.modal.answered": "Responder la pregunta",
    "slack.modal.corrected": "Corregir la respuesta",
    "slack.send": "Enviar",
    "slack.teach": "Enseñar",
    "slack.cancel": "Cancelar",
    "slack.the_answer": "La respuesta",
    "slack.goes_out": "Le llega al cliente en su chat, de parte del equipo, y el bot la usa a "
    "partir de ahora. No incluyas datos personales: otros clientes pueden recibir esta "
    "respuesta.",
    "slack.goes": "El bot la usa a partir de ahora. No incluyas datos personales: otros "
    "clientes pueden recibir esta respuesta.",
    "slack.why": "Por qué:",
    "slack.model": "Modelo:",
    "slack.version": "versión {version}",
    "slack.held_out": "Pregunta reservada",
    "slack.candidate": "Candidato",
    "slack.current": "El que responde hoy",
    "slack.from_team": "De parte del equipo",
    "home.title": "afina · panel de revisión",
    "home.open": "Pendientes:",
    "home.kind.suggestion": "sugeridas",
    "home.kind.rejected": "👎",
    "home.kind.unanswered": "sin respuesta",
    "home.week": "Sin respuesta esta semana:",
    "home.answering": "Responde:",
    "home.version": "versión {version} · ",
    "home.last_gate": "Último control:",
    "home.gate": "candidato {candidate} · el que respondía {current} ({metric}), "
    "entrenamiento #{run} {state}",
    "home.no_gate": "ningún entrenamiento puntuado todavía",
    "home.state.promoted": "promovido",
    "home.state.rejected": "rechazado",
    "home.next": "Próximo reentrenamiento:",
    "home.not_scheduled": "sin programar",
    "home.needs": "{new} de los {needed} ejemplos nuevos que necesita",
    "home.console": "Abrir la consola",
    "home.empty": "Nada espera a un revisor. 🌱",
    "home.more": "…y {more} más: el canal de revisión, `afina review`, la consola",
    "home.stranger": "Pregúntame lo que quieras por mensaje directo, o mencióname en un canal. "
    "Bajo cada respuesta: 👍 / 👎 y ✏️ Corregir.\nEl panel de revisión es para los revisores "
    "del bot.",
    "console.title": "La consola web",
    "console.close": "Cerrar",
    "console.link": "Tu enlace de acceso funciona una vez, durante {minutes} minutos.",
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

    def decimal(self, number: float, digits: int = 3) -> str:
        """`0.812` in English, `0,812` in Spanish."""
        written = f"{number:.{digits}f}"
        return written.replace(".", ",") if self.language == "es" else written


ENGLISH = Words("en", EN)
SPANISH = Words("es", ES)


def words_for(language: str | None) -> Words:
    """A Telegram `language_code` (`es`, `es-ES`, `en`) or a stored one; English otherwise."""
    return SPANISH if is_spanish(language) else ENGLISH
