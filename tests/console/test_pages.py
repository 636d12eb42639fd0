"""Every console page for a signed-in reviewer, and each action's effect in the database."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bot import store
from bot.app import Core
from bot.db import session_scope
from bot.desk.tables import ReviewItem
from bot.tables import (
    AuditEntry,
    Conversation,
    Example,
    ExampleSource,
    ExampleStatus,
    Feedback,
    FeedbackKind,
    ModelVersion,
    Reply,
    ReplyOutcome,
)
from tests.console import seed
from tests.console.conftest import REVIEWER, csrf_of
from tests.support.data import add_example


def rows(core: Core, table: type) -> list:
    with Session(core.engine) as session:
        return list(session.exec(select(table).order_by(col(table.id))).all())  # type: ignore[attr-defined]


def test_home_shows_the_model_pending_corrections_feedback_and_the_schedule(
    signed_in: TestClient, console_core: Core
) -> None:
    reply = seed.ask(console_core)
    seed.rate(console_core, reply, user="telegram:42", good=False)
    seed.rate(console_core, seed.ask(console_core, user="43"), user="telegram:43", good=True)
    with session_scope(console_core.engine) as session:  # a customer's ✏️ waits for a reviewer
        from bot import feedback

        feedback.give(
            session,
            console_core.settings,
            reply_id=reply,
            user="telegram:42",
            kind=FeedbackKind.correct,
            corrected_text="You should ship to the UK!",
        )
    seed.rate(console_core, seed.ask(console_core, channel="playground"), user=REVIEWER, good=True)
    page = signed_in.get("/console/")
    assert page.status_code == 200
    assert "examples backend default" in page.text  # the offline bot, no tuned version
    assert re.search(r"Corrections waiting</h2>\s*<p class=\"big\">1<", page.text)
    assert "no worker has scheduled it yet" in page.text
    # This week: one 👍 and one 👎 from customers; the playground's 👍 is not counted.
    this_week = re.findall(
        r"<tr><td>[\d-]+</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>", page.text
    )
    assert this_week[0] == ("1", "1", "1")
    assert "<svg" in page.text and "<script" not in page.text
    # Every question so far had a taught answer; nothing is unanswered yet.
    assert re.search(r"Unanswered this week</h2>\s*<p class=\"big\">0<", page.text)


def test_home_counts_the_questions_the_bot_did_not_know_this_week(
    signed_in: TestClient, console_core: Core
) -> None:
    seed.ask(console_core, "What is the zorblat club?")  # nothing taught about it
    seed.ask(console_core, "Who won the zorblat cup in 1998?", user="43")
    seed.ask(console_core, "What is the zorblat club?", channel="playground")  # not a customer
    seed.ask(console_core)  # a demo answer
    outcomes = [r.outcome for r in rows(console_core, Reply)]
    assert outcomes.count(ReplyOutcome.abstained) == 3
    page = signed_in.get("/console/")
    assert re.search(r"Unanswered this week</h2>\s*<p class=\"big\">2<", page.text)


def test_pages_follow_the_browsers_language(signed_in: TestClient) -> None:
    spanish = signed_in.get("/console/", headers={"accept-language": "es-ES,es;q=0.9,en;q=0.8"})
    assert "Cómo va el bot" in spanish.text and '<html lang="es">' in spanish.text
    english = signed_in.get("/console/", headers={"accept-language": "fr, en;q=0.5, es;q=0.4"})
    assert "How the bot is doing" in english.text
    assert "How the bot is doing" in signed_in.get("/console/").text  # no header: English


def test_examples_search_filters_and_pages(signed_in: TestClient, console_core: Core) -> None:
    engine = console_core.engine
    add_example(engine, "Is 100% cotton ok?", "Yes")
    add_example(engine, "Is 100 cotton ok?", "Also yes")
    add_example(engine, "snake_case or camel?", "snake")
    add_example(engine, "snakeXcase?", "no")
    pending = add_example(engine, "Do you sell gift cards?", "Soon", status=ExampleStatus.pending)

    def ids(path: str) -> list[int]:
        page = signed_in.get(path)
        assert page.status_code == 200
        return [int(n) for n in re.findall(r'href="/console/examples/(\d+)"', page.text)]

    assert len(ids("/console/examples?q=100%25")) == 1  # `%` matches itself
    assert len(ids("/console/examples?q=snake_")) == 1  # and so does `_`
    assert ids("/console/examples?status=pending") == [pending]
    imported = ids("/console/examples?source=imported")
    assert pending in imported and len(imported) == 5
    assert len(ids("/console/examples?source=demo&status=accepted")) == 48  # the demo brand
    for n in range(50):
        add_example(engine, f"Question {n}?", f"Answer {n}")
    first = signed_in.get("/console/examples?source=imported")
    assert 'href="/console/examples?page=2&amp;source=imported"' in first.text
    second = ids("/console/examples?source=imported&page=2")
    assert len(second) == 55 - 50 and not set(second) & set(
        ids("/console/examples?source=imported")
    )
    assert "No examples match" in signed_in.get("/console/examples?q=zzzz-nothing").text


def test_an_example_shows_where_it_came_from(signed_in: TestClient, console_core: Core) -> None:
    # A question the demo answers, so the correction has an original answer it replaces
    # (a correction of "I don't know" has none: there is nothing to prefer it over).
    reply = seed.ask(console_core, "Do you ship to the UK?")
    seed.rate(console_core, reply, user="telegram:42", good=False)
    with session_scope(console_core.engine) as session:
        from bot import feedback

        outcome = feedback.give(
            session,
            console_core.settings,
            reply_id=reply,
            user=REVIEWER,
            kind=FeedbackKind.correct,
            corrected_text="Yes, to the UK too since March 🌿",
        )
    page = signed_in.get(f"/console/examples/{outcome.example_id}")
    assert page.status_code == 200
    assert "Do you ship to the UK?" in page.text
    assert "Yes, to the UK too since March 🌿" in page.text
    assert "original answer (rejected)" in page.text and "only ship within the EU" in page.text
    conversation = rows(console_core, Reply)[-1].conversation_id
    assert f'href="/console/conversations/{conversation}#reply-{reply}"' in page.text
    assert "👎 Bad" in page.text and "✏️ Corrected" in page.text
    assert signed_in.get("/console/examples/99999").status_code == 404


def test_a_conversation_shows_replies_examples_used_and_feedback(
    signed_in: TestClient, console_core: Core
) -> None:
    first = seed.ask(console_core)
    seed.ask(console_core, "And to Italy?")
    seed.rate(console_core, first, user="telegram:42", good=True)
    [conversation] = rows(console_core, Conversation)
    listing = signed_in.get("/console/conversations?channel=telegram")
    assert f'href="/console/conversations/{conversation.id}"' in listing.text
    assert "Do you ship to the UK?" in listing.text and "Replies: 2 · feedback: 1" in listing.text
    assert "No conversations" in signed_in.get("/console/conversations?channel=slack").text

    page = signed_in.get(f"/console/conversations/{conversation.id}")
    assert page.status_code == 200
    assert page.text.count('class="bubble user"') == 2
    assert page.text.count('class="bubble reply"') == 2
    assert 'class="bubble assistant"' not in page.text  # the replies' echoes are left out
    demo_uk = next(e for e in rows(console_core, Example) if e.question == "Do you ship to the UK?")
    assert f'href="/console/examples/{demo_uk.id}"' in page.text  # an example the reply used
    [used] = [u for u in rows(console_core, Reply)[0].used_examples if u["id"] == demo_uk.id]
    assert f"#{demo_uk.id}</a> · {used['score']:.2f}" in page.text  # with its score
    assert "👍 Good" in page.text and "telegram:42" in page.text
    assert page.text.count('action="/console/replies/') == 2
    assert "waits on Review" not in page.text  # both answered, nothing rated 👎

    seed.rate(console_core, first, user="telegram:42", good=False)
    [item] = rows(console_core, ReviewItem)
    page = signed_in.get(f"/console/conversations/{conversation.id}")
    assert f'href="/console/review?status=open#item-{item.id}"' in page.text


def test_correcting_a_reply_teaches_the_bot_as_the_signed_in_reviewer(
    signed_in: TestClient, console_core: Core
) -> None:
    reply = seed.ask(console_core, "What is the zorblat club?")
    answer = "The Zorblat Club is our free loyalty club: 1 point per euro 🌿"
    csrf = csrf_of(signed_in)
    empty = signed_in.post(f"/console/replies/{reply}/correct", data={"csrf": csrf, "text": " "})
    assert empty.status_code == 400 and rows(console_core, Feedback) == []

    done = signed_in.post(
        f"/console/replies/{reply}/correct",
        data={"csrf": csrf, "text": answer},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "done=taught" in done.headers["location"]
    [fix] = rows(console_core, Feedback)
    assert fix.user_id == REVIEWER and fix.is_reviewer and fix.kind == FeedbackKind.correct
    example = next(e for e in rows(console_core, Example) if e.id == fix.example_id)
    assert example.answer == answer and example.status == ExampleStatus.accepted
    assert example.source == ExampleSource.corrected and example.reviewed_by == REVIEWER
    shown = signed_in.get(done.headers["location"])
    assert "Learned" in shown.text and f"Example #{example.id}" in shown.text
    [audit] = [e for e in rows(console_core, AuditEntry) if e.action == "corrected"]
    assert audit.user_id == REVIEWER and audit.target == f"reply:{reply}"
    assert (
        seed.ask(console_core, "what is the zorblat club")
        and rows(console_core, Reply)[-1].text == answer
    )  # the very next similar question
    assert signed_in.post("/console/replies/99999/correct", data={"csrf": csrf}).status_code == 404


def test_a_run_shows_its_loss_curve_gate_and_both_answers(
    signed_in: TestClient, console_core: Core
) -> None:
    run_id, version_id = seed.local_run(console_core)
    page = signed_in.get(f"/console/runs/{run_id}")
    assert page.status_code == 200
    path = re.search(r'class="loss-line" d="(M[^"]+)"', page.text)
    assert path is not None and path.group(1).count("L") == 59  # one point per step
    assert "0.610" in page.text and "0.480" in page.text and "not worse: promoted" in page.text
    assert "Sí, a Canarias llegamos en 5-7 días laborables" in page.text
    assert "Enviamos a toda España peninsular." in page.text
    assert "local job started" in page.text
    assert f'action="/console/versions/{version_id}/promote"' in page.text
    listing = signed_in.get("/console/runs")
    assert f'href="/console/runs/{run_id}"' in listing.text and "afina-local-run-1" in listing.text
    assert signed_in.get("/console/runs/999").status_code == 404


def test_a_real_run_stores_the_gates_answers_for_the_page(
    signed_in: TestClient, console_core: Core
) -> None:
    from tuning.runs import Runs

    runs = Runs(console_core)
    final = runs.follow(runs.start(provider="examples")[0].id or 0)
    page = signed_in.get(f"/console/runs/{final.id}")
    assert final.scores["n"] >= 1
    assert page.text.count('class="pair"') == min(final.scores["n"], 20)
    assert "only local (LoRA) runs record one" in page.text


def test_promote_and_roll_back_through_the_registry(
    signed_in: TestClient, console_core: Core
) -> None:
    from tuning.runs import Runs

    runs = Runs(console_core)
    runs.follow(runs.start(provider="examples")[0].id or 0)
    runs.follow(runs.start(provider="examples")[0].id or 0)
    first, second = rows(console_core, ModelVersion)
    assert second.active and second.parent_id == first.id
    csrf = csrf_of(signed_in, "/console/runs")
    back = signed_in.post("/console/rollback", data={"csrf": csrf}, follow_redirects=False)
    assert back.status_code == 303
    assert [v.active for v in rows(console_core, ModelVersion)] == [True, False]
    again = signed_in.post(
        f"/console/versions/{second.id}/promote", data={"csrf": csrf}, follow_redirects=False
    )
    assert again.status_code == 303
    assert [v.active for v in rows(console_core, ModelVersion)] == [False, True]
    refused = signed_in.post(f"/console/versions/{second.id}/promote", data={"csrf": csrf})
    assert refused.status_code == 400 and "already active" in refused.text
    audit = [(e.action, e.target) for e in rows(console_core, AuditEntry)]
    assert ("rolled back", f"version:{second.id}") in audit
    assert ("promoted", f"version:{second.id}") in audit


def test_the_playground_asks_through_the_responder_and_compares_versions(
    signed_in: TestClient, console_core: Core
) -> None:
    from tuning.runs import Runs

    runs = Runs(console_core)
    runs.follow(runs.start(provider="examples")[0].id or 0)
    [version] = rows(console_core, ModelVersion)
    csrf = csrf_of(signed_in, "/console/playground")
    asked = signed_in.post(
        "/console/playground",
        data={"csrf": csrf, "question": "Do you ship to the UK?", "compare": str(version.id)},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    active, compared = rows(console_core, Reply)
    assert active.channel == compared.channel == "playground"
    assert compared.model_version_id == version.id
    page = signed_in.get(asked.headers["location"])
    # Each side: the answer, the example it used, and that example again in the prompt.
    assert page.text.count("Sadly not, we only ship within the EU") == 2 * 3
    assert "The prompt (2 messages)" in page.text and "Compared version" in page.text
    threads = sorted(c.thread_id for c in rows(console_core, Conversation))
    assert threads == ["active", f"version-{version.id}"]
    empty = signed_in.post("/console/playground", data={"csrf": csrf, "question": "  "})
    assert empty.status_code == 400 and len(rows(console_core, Reply)) == 2

    signed_in.post("/console/playground/new", data={"csrf": csrf})
    assert all(c.closed_at is not None for c in rows(console_core, Conversation))
    actions = [e.action for e in rows(console_core, AuditEntry)]
    assert "asked in playground" in actions and "new playground conversation" in actions
    with session_scope(console_core.engine) as session:
        assert store.count_examples(session, status=ExampleStatus.pending) == 0


def test_the_audit_page_lists_who_did_what(signed_in: TestClient, console_core: Core) -> None:
    reply = seed.ask(console_core)
    csrf = csrf_of(signed_in)
    signed_in.post(f"/console/replies/{reply}/correct", data={"csrf": csrf, "text": "No, sorry."})
    page = signed_in.get("/console/audit")
    assert page.status_code == 200
    for shown in ("sign-in link issued", "signed in", "corrected a reply", f"reply:{reply}"):
        assert shown in page.text
    assert REVIEWER in page.text
