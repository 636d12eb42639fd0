"""Las palabras de la consola para enseñar, en español (las claves de `texts_teach`)."""

from __future__ import annotations

TEACH_ES: dict[str, str] = {
    "nav_review": "Revisar",
    "nav_unanswered": "Sin respuesta",
    "nav_import": "Importar",
    # home
    "home_open_suggestions": "{n} sugerencias",
    "home_open_rejected": "{n} 👎",
    "home_open_unanswered": "{n} sin respuesta",
    "home_unanswered_link": "Responderlas →",
    # examples
    "example_phrasings": "También preguntado así",
    "example_batch": "De la importación #{id}",
    "example_edit": "Editar la respuesta",
    "example_new_answer": "La respuesta",
    "example_edit_help": "El bot responde así desde la próxima pregunta.",
    "example_save": "Guardar la respuesta",
    "example_delete": "Retirarlo",
    "example_delete_help": "El bot deja de usarlo al momento; se guarda como rechazado.",
    "example_done_edited": "Guardado: el bot responde así a partir de ahora.",
    "example_done_deleted": "Retirado: el bot ya no usa este ejemplo.",
    # review
    "review_title": "Revisar",
    "review_intro": (
        "Lo que espera a una persona: correcciones sugeridas, respuestas con 👎 y preguntas "
        "que el bot no supo responder; lo mismo que la mesa de revisión en Slack y Telegram."
    ),
    "review_kind": "Tipo",
    "review_status_open": "pendientes",
    "review_status_handled": "resueltos",
    "review_status_all": "todos",
    "item_suggestion": "sugerencia",
    "item_rejected": "con 👎",
    "item_unanswered": "sin respuesta",
    "review_asked_by": "Preguntó {who}",
    "review_raised_by": "lo señaló {who}",
    "review_bot_said": "El bot dijo",
    "review_suggestion": "Respuesta sugerida",
    "review_words": "Tu respuesta",
    "review_words_help": (
        "Pasa a ser un ejemplo aceptado al momento y, donde el canal lo permite, le llega al "
        "cliente."
    ),
    "review_do_approved": "Aprobar",
    "review_do_edited": "Editar y aprobar",
    "review_do_rejected": "Rechazar",
    "review_do_answered": "Responder",
    "review_do_corrected": "Corregir",
    "review_do_dismissed": "Descartar",
    "review_action_approved": "Aprobado",
    "review_action_edited": "Aprobado, editado",
    "review_action_rejected": "Rechazado",
    "review_action_answered": "Respondido",
    "review_action_corrected": "Corregido",
    "review_action_dismissed": "Descartado",
    "review_action_resolved": "Enseñado en el sitio",
    "review_handled": "{action} por {who}, {when}",
    "review_done_approved": "#{id} aprobado: el bot lo usa a partir de ahora.",
    "review_done_edited": "#{id} aprobado con tus palabras.",
    "review_done_rejected": "#{id} rechazado: la sugerencia no se usa.",
    "review_done_answered": "#{id} respondido: el bot lo usa a partir de ahora.",
    "review_done_corrected": "#{id} corregido: el bot lo usa a partir de ahora.",
    "review_done_dismissed": "#{id} descartado.",
    "review_done_resolved": "Hecho.",
    "review_none": "Aquí no espera nada.",
    "review_unknown_action": "Eso no se puede hacer con este elemento.",
    "handoff_pending": "de camino al cliente",
    "handoff_sending": "de camino al cliente",
    "handoff_sent": "enviado al cliente",
    "handoff_failed": "no llegó al cliente",
    "conversation_item_open": "espera en Revisar como #{id}",
    "conversation_item_handled": "resuelto en Revisar (#{id})",
    # unanswered
    "unanswered_title": "Preguntas sin respuesta",
    "unanswered_intro": (
        "{n} preguntas de los últimos {days} días que el bot no supo responder, agrupadas "
        "por lo que preguntan, las más repetidas primero."
    ),
    "unanswered_asked": "preguntada {n}×",
    "unanswered_last": "última {when}",
    "unanswered_who": "Las preguntas (desmarca las que pregunten otra cosa)",
    "unanswered_answer": "La respuesta",
    "unanswered_help": (
        "Pasa a ser un ejemplo aceptado al momento, y cada cliente marcado la recibe en su "
        "chat donde el canal lo permite."
    ),
    "unanswered_send": "Responder",
    "unanswered_dismiss": "Descartar",
    "unanswered_done_answered": "{n} preguntas respondidas: el bot ya lo sabe.",
    "unanswered_done_dismissed": "{n} preguntas descartadas.",
    "unanswered_none": "Nada sin responder: el bot supo todas las preguntas.",
    "unanswered_none_ticked": "Marca al menos una pregunta.",
    "unanswered_write_first": "Escribe antes la respuesta.",
    # import
    "import_title": "Importar ejemplos",
    "import_upload": "Subir un archivo",
    "import_formats": (
        "Un CSV con columnas question,answer, unas preguntas frecuentes en Markdown o texto, "
        "o un JSONL en el formato de chat de OpenAI; hasta {mb} MB. Ves lo que añade antes "
        "de guardar nada."
    ),
    "import_file": "Archivo",
    "import_preview": "Previsualizar",
    "import_preview_of": "Previsualización de {name}",
    "import_would": "{n} ejemplos nuevos · {duplicates} ya conocidos · {bad} líneas omitidas",
    "import_bad_lines": "Líneas que se omitirán",
    "import_new": "Ejemplos nuevos (los {shown} primeros de {n})",
    "import_confirm": "Importar {n} ejemplos",
    "import_cancel": "Cancelar",
    "import_choose_file": "Elige antes un archivo.",
    "import_too_big": "{name} pasa de {mb} MB: divídelo, o usa `afina import` en el servidor.",
    "import_batches": "Importaciones anteriores",
    "import_batch_line": "{n} ejemplos · por {who}",
    "import_undone_by": "deshecha por {who}, {when}",
    "import_undo": "Deshacer",
    "import_none": "Aún no se ha importado nada.",
    "import_done_imported": "{n} ejemplos importados como lote #{id}; ya están en uso.",
    "import_done_undone": "Lote #{id} deshecho: {n} ejemplos retirados (quedan como rechazados).",
    # audit
    "action_edited": "editó un ejemplo",
    "action_took_back": "retiró un ejemplo",
    "action_imported": "importó un archivo",
    "action_undid_import": "deshizo una importación",
    "action_approved_item": "aprobó una sugerencia",
    "action_edited_item": "aprobó una sugerencia, editada",
    "action_rejected_item": "rechazó una sugerencia",
    "action_answered_item": "respondió una pregunta",
    "action_corrected_item": "corrigió una respuesta con 👎",
    "action_dismissed_item": "descartó un elemento",
}
