"""The console's words for teaching: Review, Unanswered, Import, editing an example.

Kept apart from `texts` so each file stays small; `texts.EN` takes these in. The
Spanish ones are in `texts_teach_es`, with the same keys and placeholders.
"""

from __future__ import annotations

TEACH_EN: dict[str, str] = {
    "nav_review": "Review",
    "nav_unanswered": "Unanswered",
    "nav_import": "Import",
    # home
    "home_open_suggestions": "{n} suggestions",
    "home_open_rejected": "{n} 👎",
    "home_open_unanswered": "{n} unanswered",
    "home_unanswered_link": "Answer them →",
    # examples
    "example_phrasings": "Also asked as",
    "example_batch": "From import batch #{id}",
    "example_edit": "Edit the answer",
    "example_new_answer": "The answer",
    "example_edit_help": "The bot answers with it from the next question on.",
    "example_save": "Save the answer",
    "example_delete": "Take it back",
    "example_delete_help": "The bot stops using it at once; it is kept as rejected.",
    "example_done_edited": "Saved: the bot answers like this from now on.",
    "example_done_deleted": "Taken back: the bot no longer uses this example.",
    # review
    "review_title": "Review",
    "review_intro": (
        "What waits for a person: suggested corrections, answers rated 👎 and questions the "
        "bot could not answer; the same items as the review desk in Slack and Telegram."
    ),
    "review_kind": "Kind",
    "review_status_open": "waiting",
    "review_status_handled": "handled",
    "review_status_all": "all",
    "item_suggestion": "suggestion",
    "item_rejected": "rated 👎",
    "item_unanswered": "unanswered",
    "review_asked_by": "Asked by {who}",
    "review_raised_by": "raised by {who}",
    "review_bot_said": "The bot said",
    "review_suggestion": "Suggested answer",
    "review_words": "Your answer",
    "review_words_help": (
        "It becomes an accepted example at once and, where the channel allows, goes back "
        "to the customer."
    ),
    "review_do_approved": "Approve",
    "review_do_edited": "Edit and approve",
    "review_do_rejected": "Reject",
    "review_do_answered": "Answer",
    "review_do_corrected": "Correct",
    "review_do_dismissed": "Dismiss",
    "review_action_approved": "Approved",
    "review_action_edited": "Approved, edited",
    "review_action_rejected": "Rejected",
    "review_action_answered": "Answered",
    "review_action_corrected": "Corrected",
    "review_action_dismissed": "Dismissed",
    "review_action_resolved": "Taught in place",
    "review_handled": "{action} by {who}, {when}",
    "review_done_approved": "Approved #{id}: the bot uses it from now on.",
    "review_done_edited": "Approved #{id} in your words.",
    "review_done_rejected": "Rejected #{id}: the suggestion is not used.",
    "review_done_answered": "Answered #{id}: the bot uses it from now on.",
    "review_done_corrected": "Corrected #{id}: the bot uses it from now on.",
    "review_done_dismissed": "Dismissed #{id}.",
    "review_done_resolved": "Done.",
    "review_none": "Nothing waits here.",
    "review_unknown_action": "That is not something this item can do.",
    "handoff_pending": "on its way to the customer",
    "handoff_sending": "on its way to the customer",
    "handoff_sent": "sent to the customer",
    "handoff_failed": "could not reach the customer",
    "conversation_item_open": "waits on Review as #{id}",
    "conversation_item_handled": "handled on Review (#{id})",
    # unanswered
    "unanswered_title": "Unanswered questions",
    "unanswered_intro": (
        "{n} questions from the last {days} days the bot could not answer, grouped by "
        "what they ask, most asked first."
    ),
    "unanswered_asked": "asked {n}×",
    "unanswered_last": "last {when}",
    "unanswered_who": "The questions (untick any that asks something else)",
    "unanswered_answer": "The answer",
    "unanswered_help": (
        "It becomes an accepted example at once, and each customer ticked gets it in their "
        "chat where the channel allows."
    ),
    "unanswered_send": "Answer",
    "unanswered_dismiss": "Dismiss",
    "unanswered_done_answered": "Answered {n} questions: the bot knows it from now on.",
    "unanswered_done_dismissed": "Dismissed {n} questions.",
    "unanswered_none": "Nothing unanswered: the bot knew every question.",
    "unanswered_none_ticked": "Tick at least one question.",
    "unanswered_write_first": "Write the answer first.",
    # import
    "import_title": "Import examples",
    "import_upload": "Upload a file",
    "import_formats": (
        "A CSV with question,answer columns, a Markdown or text FAQ, or a JSONL file in "
        "OpenAI's chat format; up to {mb} MB. You see what it adds before anything is stored."
    ),
    "import_file": "File",
    "import_preview": "Preview",
    "import_preview_of": "Preview of {name}",
    "import_would": "{n} new examples · {duplicates} already known · {bad} lines skipped",
    "import_bad_lines": "Lines that will be skipped",
    "import_new": "New examples (first {shown} of {n})",
    "import_confirm": "Import {n} examples",
    "import_cancel": "Cancel",
    "import_choose_file": "Choose a file first.",
    "import_too_big": "{name} is over {mb} MB: split it, or use `afina import` on the server.",
    "import_batches": "Past imports",
    "import_batch_line": "{n} examples · by {who}",
    "import_undone_by": "undone by {who}, {when}",
    "import_undo": "Undo",
    "import_none": "Nothing was imported yet.",
    "import_done_imported": "Imported {n} examples as batch #{id}; they are in use now.",
    "import_done_undone": "Batch #{id} undone: {n} examples taken out (kept as rejected).",
    # audit
    "action_edited": "edited an example",
    "action_took_back": "took an example back",
    "action_imported": "imported a file",
    "action_undid_import": "undid an import",
    "action_approved_item": "approved a suggestion",
    "action_edited_item": "approved a suggestion, edited",
    "action_rejected_item": "rejected a suggestion",
    "action_answered_item": "answered a question",
    "action_corrected_item": "corrected a 👎 answer",
    "action_dismissed_item": "dismissed an item",
}
