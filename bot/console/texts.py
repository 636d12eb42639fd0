"""Every word the console shows, in English and Spanish; the browser's language picks.

`texts_for(accept_language)` reads the `Accept-Language` header (quality values
respected) and falls back to English. Templates call `t("key", name=value)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.console.texts_es import ES
from bot.console.texts_teach import TEACH_EN

EN: dict[str, str] = {
    "footer": "the console for the people who teach the bot",
    "signed_in_as": "Signed in as",
    "sign_out": "Sign out",
    "nav_home": "Home",
    "nav_examples": "Examples",
    "nav_conversations": "Conversations",
    "nav_runs": "Runs",
    "nav_playground": "Playground",
    "nav_audit": "Audit",
    "pages": "Pages",
    "previous": "Previous",
    "next": "Next",
    "page_n": "Page {n}",
    "any": "Any",
    "filter": "Apply",
    "search": "Search",
    "status": "Status",
    "source": "Source",
    "channel": "Channel",
    "question": "Question",
    "answer": "Answer",
    "feedback": "Feedback",
    "reviewer": "reviewer",
    "created": "Created",
    "updated": "Updated",
    "reviewed_by": "Reviewed by",
    "closed": "closed",
    "since": "since {when}",
    "started": "Started {when}",
    "started_at": "When",
    "tokens": "{n} tokens",
    "model": "Model",
    "provider": "Provider",
    "run": "Run",
    "score": "Score",
    "version": "Version",
    "answering": "answering",
    "promote": "Promote",
    "role_user": "Customer",
    "role_assistant": "Bot",
    "role_system": "Instructions",
    "kind_approve": "👍 Good",
    "kind_reject": "👎 Bad",
    "kind_correct": "✏️ Corrected",
    "status_pending": "pending",
    "status_accepted": "accepted",
    "status_rejected": "rejected",
    "status_superseded": "superseded",
    "source_approved": "approved",
    "source_corrected": "corrected",
    "source_imported": "imported",
    "source_demo": "demo",
    "state_collecting": "collecting",
    "state_uploading": "uploading",
    "state_training": "training",
    "state_evaluating": "evaluating",
    "state_promoted": "promoted",
    "state_rejected": "kept back",
    "state_failed": "failed",
    "state_cancelled": "cancelled",
    # sign-in
    "signin_title": "Sign in to the console",
    "signin_how": "How to sign in",
    "signin_intro": (
        "The console has no passwords. Reviewers get a one-time sign-in link from the bot:"
    ),
    "signin_terminal": "On the server",
    "signin_telegram": "send /console to the bot in a private chat.",
    "signin_slack": "press “Open the console” on the bot's Home tab.",
    "signin_once": "A link works once, for {minutes} minutes.",
    "signin_why_signed_out": "Your session has ended or expired. Ask for a new link.",
    "signin_why_ended": "You are signed out, on every device.",
    "link_title": "Sign in",
    "link_intro": "This link signs you in as:",
    "link_button": "Sign in",
    "link_once": "The link stops working once you have used it.",
    "problem_used": "This link cannot be used",
    "problem_used_help": (
        "It has been used already or it has expired: each link signs in once, for a few "
        "minutes. Ask the bot for a new one."
    ),
    "problem_not_reviewer": "Only reviewers can open the console",
    "problem_not_reviewer_help": "This person is not a reviewer of the bot (any more).",
    "problem_csrf": "This form has expired",
    "problem_csrf_help": (
        "The page you sent it from is too old or came from somewhere else. Go back, reload "
        "the page and try again."
    ),
    "problem_not_found": "Not found",
    "problem_not_found_help": "There is nothing at this address.",
    "problem_back": "Back to the console",
    # home
    "home_title": "How the bot is doing",
    "home_model": "Answering now",
    "home_version": "Version #{id} · {backend}",
    "home_no_version": "{backend} backend default; no tuned version yet",
    "home_pending": "Corrections waiting",
    "home_pending_link": "Review the pending examples →",
    "home_open_items": "Open review items",
    "home_unanswered": "Unanswered this week",
    "home_next_retrain": "Next retrain",
    "home_no_schedule": "no worker has scheduled it yet",
    "home_new_examples": "{new} new accepted examples ({needed} needed)",
    "home_examples": "Accepted examples",
    "home_examples_detail": "{pending} pending · {rejected} rejected · {superseded} superseded",
    "home_last_run": "Last run",
    "home_no_runs": "No retrain yet",
    "home_feedback": "Feedback by week",
    "home_good": "helpful",
    "home_bad": "not helpful",
    "home_week_of": "Week of",
    "home_no_feedback": "No 👍 or 👎 in the last eight weeks yet.",
    # examples
    "examples_title": "Examples",
    "examples_search_hint": "Words in the question or the answer",
    "examples_none": "No examples match.",
    "example_n": "Example #{id}",
    "example_rejected": "The bot's original answer (rejected)",
    "example_origin": "Where it came from",
    "example_no_conversation": "Not from a conversation (imported or demo)",
    "example_context": "The conversation the model saw",
    "conversation": "Conversation",
    # conversations
    "conversations_title": "Conversations",
    "conversations_none": "No conversations yet.",
    "conversations_no_question": "(no question)",
    "conversations_counts": "Replies: {replies} · feedback: {feedback}",
    "conversation_n": "Conversation #{id}",
    "reply_n": "Reply #{id}",
    "reply_failed": "The model failed; the person got the apology.",
    "used_examples": "Examples used ({n})",
    "used_none": "No example was close enough.",
    "used_gone": "no longer stored",
    "correct_reply": "Correct this answer",
    "correct_label": "What the bot should have said",
    "correct_help": "Your answer is used from the very next similar question.",
    "correct_save": "Save the correction",
    "done_taught": "Learned: the bot answers like this from now on.",
    "done_known": "The bot already had exactly this answer.",
    "done_pending": "Saved; it waits for a reviewer.",
    "done_signal": "Noted.",
    # runs
    "runs_title": "Retraining",
    "runs_list": "Runs",
    "runs_none": "No runs yet: `afina train` starts one, or the schedule does.",
    "runs_examples": "{train} trained ({new} new) · {holdout} held out",
    "runs_score": "gate {candidate} vs {current}",
    "run_n": "Run #{id}",
    "run_base": "Base model",
    "run_examples": "Examples",
    "run_tokens": "Trained tokens",
    "versions": "Model versions",
    "versions_none": "No versions yet.",
    "rollback": "Roll back",
    "rollback_help": "Back to the version the active one replaced.",
    "done_promoted": "Version #{id} now answers.",
    "done_rolled_back": "Rolled back: version #{id} now answers.",
    "gate": "The gate",
    "gate_detail": "{metric} on {n} held-out questions, margin {margin}",
    "gate_corrections": "corrections kept {candidate} vs {current} of {n}",
    "gate_passed": "not worse: promoted",
    "gate_failed": "worse: kept back",
    "gate_answers": "Held-out questions, both answers",
    "candidate": "New model",
    "current": "Answering today",
    "reference": "Approved answer:",
    "loss": "Training loss",
    "loss_axes": "Loss (vertical) per training step (horizontal)",
    "loss_none": "No loss curve: only local (LoRA) runs record one.",
    "tokens_per_s": "{n} tokens/s",
    "events": "What happened",
    # playground
    "playground_title": "Playground",
    "playground_intro": (
        "Ask as a customer would. Answers are stored on the playground channel and never "
        "counted with customers' figures."
    ),
    "playground_question": "Question",
    "playground_hint": "Do you ship to the Canary Islands?",
    "playground_compare": "Also ask",
    "playground_no_compare": "only the model answering now",
    "playground_ask": "Ask",
    "playground_new": "New conversation",
    "playground_active": "Answering now",
    "playground_other": "Compared version",
    "playground_prompt": "The prompt ({n} messages)",
    # audit
    "audit_title": "Audit trail",
    "audit_intro": "Every action taken in the console, and every sign-in link, newest first.",
    "audit_none": "Nothing yet.",
    "audit_when": "When",
    "audit_who": "Who",
    "audit_what": "What",
    "audit_on": "On",
    "audit_detail": "Detail",
    "action_link_issued": "sign-in link issued",
    "action_signed_in": "signed in",
    "action_signed_out": "signed out everywhere",
    "action_corrected": "corrected a reply",
    "action_promoted": "promoted a version",
    "action_rolled_back": "rolled back",
    "action_asked_in_playground": "asked in the playground",
    "action_new_playground_conversation": "new playground conversation",
}
EN.update(TEACH_EN)

LANGUAGES = {"en": EN, "es": ES}


@dataclass(frozen=True)
class Texts:
    lang: str
    table: dict[str, str]

    def __call__(self, key: str, **values: object) -> str:
        return self.table.get(key, EN[key]).format(**values)

    def get(self, key: str, default: str) -> str:
        """For keys that may not exist (an audit action added later)."""
        found = self.table.get(key, EN.get(key))
        return default if found is None else found


def texts_for(accept_language: str) -> Texts:
    """The texts of the best language the browser asks for that we have; English otherwise."""
    best, best_q = "en", -1.0
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= position * 1e-6  # equal weights: the first listed wins
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return Texts(best, LANGUAGES[best])
