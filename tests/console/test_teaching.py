"""Teaching from the console: Review (the desk's items and actions), Unanswered (grouped,
answered in place), Import (preview, confirm, undo) and editing or taking back an
example; each action's effect read back from the database and the audit trail."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bot import feedback
from bot.app import Core
from bot.db import session_scope
from bot.desk.tables import ItemAction, ItemKind, ItemStatus, ReviewItem
from bot.tables import (
    AuditEntry,
    Example,
    ExampleSource,
    ExampleStatus,
    FeedbackKind,
    ImportBatch,
    Reply,
    ReplyOutcome,
)
from tests.console import seed
from tests.console.conftest import REVIEWER, csrf_of, sign_in
from tests.support.data import add_example


def rows(core: Core, table: type) -> list:
    with Session(core.engine) as session:
        return list(session.exec(select(table).order_by(col(table.id))).all())  # type: ignore[attr-defined]


def one(core: Core, table: type, row_id: int):  # type: ignore[no-untyped-def]
    with Session(core.engine) as session:
        return session.get(table, row_id)


def audited(core: Core) -> list[tuple[str, str]]:
    return [(e.action, e.target) for e in rows(core, AuditEntry)]


# --- examples -------------------------------------------------------------------------


def test_an_example_is_edited_and_taken_back_from_its_page(
    signed_in: TestClient, console_core: Core
) -> None:
    example_id = add_example(console_core.engine, "Do you sell gift cards?", "Not yet.")
    csrf = csrf_of(signed_in, f"/console/examples/{example_id}")
    page = signed_in.get(f"/console/examples/{example_id}")
    assert f'action="/console/examples/{example_id}/edit"' in page.text
    assert f'action="/console/examples/{example_id}/delete"' in page.text

    no_token = signed_in.post(f"/console/examples/{example_id}/edit", data={"answer": "Yes"})
    assert no_token.status_code == 403
    empty = signed_in.post(
        f"/console/examples/{example_id}/edit", data={"csrf": csrf, "answer": "  "}
    )
    assert empty.status_code == 400 and "Write the new answer first" in empty.text
    new = "Yes: gift cards from 10 € in the shop 🎁"
    done = signed_in.post(
        f"/console/examples/{example_id}/edit",
        data={"csrf": csrf, "answer": new},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=edited")
    edited = one(console_core, Example, example_id)
    assert edited.answer == new and edited.reviewed_by == REVIEWER
    assert edited.status == ExampleStatus.accepted
    assert "Saved: the bot answers like this" in signed_in.get(done.headers["location"]).text
    seed.ask(console_core, "Do you sell gift cards?")
    assert rows(console_core, Reply)[-1].text == new  # the very next question

    gone = signed_in.post(
        f"/console/examples/{example_id}/delete", data={"csrf": csrf}, follow_redirects=False
    )
    assert gone.status_code == 303
    taken = one(console_core, Example, example_id)
    assert taken.status == ExampleStatus.rejected and taken.reviewed_by == REVIEWER
    assert (
        'action="/console/examples/' + f'{example_id}/delete"'
        not in signed_in.get(f"/console/examples/{example_id}").text
    )
    again = signed_in.post(f"/console/examples/{example_id}/delete", data={"csrf": csrf})
    assert again.status_code == 400 and "already taken out" in again.text
    assert signed_in.post("/console/examples/99999/edit", data={"csrf": csrf}).status_code == 404
    assert ("edited", f"example:{example_id}") in audited(console_core)
    assert ("took back", f"example:{example_id}") in audited(console_core)


# --- import ---------------------------------------------------------------------------

JSONL = "\n".join(
    [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "Do you gift-wrap orders?"},
                    {"role": "assistant", "content": "Yes, for 2 € at checkout 🎁"},
                ]
            }
        ),
        "{not json",
        json.dumps({"messages": [{"role": "user", "content": "No answer here"}]}),
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "Can I pick up in Valencia?"},
                    {"role": "assistant", "content": "Yes, at our Ruzafa shop."},
                ]
            }
        ),
    ]
)


def test_an_import_is_previewed_with_its_bad_lines_confirmed_and_undone(
    signed_in: TestClient, console_core: Core
) -> None:
    csrf = csrf_of(signed_in, "/console/import")
    before = len(rows(console_core, Example))
    batches = len(rows(console_core, ImportBatch))  # the demo shop is one
    shown = signed_in.post(
        "/console/import/preview",
        data={"csrf": csrf},
        files={"file": ("faq.jsonl", JSONL.encode(), "application/x-ndjson")},
    )
    assert shown.status_code == 200
    assert "2 new examples · 0 already known · 2 lines skipped" in shown.text
    assert "faq.jsonl:2</span> not valid JSON" in shown.text
    assert "faq.jsonl:3</span> the conversation must end" in shown.text
    assert "Do you gift-wrap orders?" in shown.text
    assert len(rows(console_core, Example)) == before
    assert len(rows(console_core, ImportBatch)) == batches
    token = re.search(r'name="token" value="([0-9a-f]+)"', shown.text)
    assert token is not None

    done = signed_in.post(
        "/console/import/confirm",
        data={"csrf": csrf, "token": token.group(1), "name": "faq.jsonl"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    *_, batch = rows(console_core, ImportBatch)
    assert len(rows(console_core, ImportBatch)) == batches + 1
    assert batch.name == "faq.jsonl" and batch.imported == 2 and batch.created_by == REVIEWER
    new = [e for e in rows(console_core, Example) if e.import_batch_id == batch.id]
    assert {e.question for e in new} == {"Do you gift-wrap orders?", "Can I pick up in Valencia?"}
    assert all(e.status == ExampleStatus.accepted for e in new)
    page = signed_in.get(done.headers["location"])
    assert f"Imported 2 examples as batch #{batch.id}" in page.text
    assert f'action="/console/import/{batch.id}/undo"' in page.text
    replayed = signed_in.post(
        "/console/import/confirm", data={"csrf": csrf, "token": token.group(1), "name": "faq.jsonl"}
    )
    assert replayed.status_code == 400 and len(rows(console_core, ImportBatch)) == batches + 1

    undone = signed_in.post(
        f"/console/import/{batch.id}/undo", data={"csrf": csrf}, follow_redirects=False
    )
    assert undone.status_code == 303
    assert all(
        e.status == ExampleStatus.rejected
        for e in rows(console_core, Example)
        if e.import_batch_id == batch.id
    )
    assert one(console_core, ImportBatch, batch.id or 0).undone_by == REVIEWER
    twice = signed_in.post(f"/console/import/{batch.id}/undo", data={"csrf": csrf})
    assert twice.status_code == 400 and "already undone" in twice.text
    assert ("imported", f"batch:{batch.id}") in audited(console_core)
    assert ("undid import", f"batch:{batch.id}") in audited(console_core)


def test_an_import_refuses_what_it_cannot_read(
    make_client: Callable[..., TestClient], console_core: Core
) -> None:
    client = make_client(console_max_upload_mb=0.001)
    sign_in(client, console_core)
    csrf = csrf_of(client, "/console/import")

    def send(name: str, data: bytes) -> str:
        response = client.post(
            "/console/import/preview", data={"csrf": csrf}, files={"file": (name, data)}
        )
        assert response.status_code in (400, 413), response.status_code
        return response.text

    assert "use a .csv" in send("faq.pdf", b"%PDF")
    assert "not UTF-8" in send("faq.csv", b"question,answer\n\xff\xfe,x\n")
    assert "is over 0.001 MB" in send("big.csv", b"question,answer\n" + b"a?,b\n" * 400)
    assert "Choose a file first" in client.post("/console/import/preview", data={"csrf": csrf}).text
    assert [b.name for b in rows(console_core, ImportBatch)] == ["demo"]
    assert not list((console_core.settings.afina_home / "console-imports").glob("*"))


# --- unanswered -----------------------------------------------------------------------


def test_unanswered_questions_are_grouped_and_answered_in_place(
    signed_in: TestClient, console_core: Core
) -> None:
    first = seed.ask(console_core, "Can I pay with Zorbcoin?", user="42")
    second = seed.ask(console_core, "pay with zorbcoin?", user="43")
    other = seed.ask(console_core, "Who won the glimmer cup in 1998?", user="44")
    seed.ask(console_core, "Can I pay with Zorbcoin?", channel="playground")  # not a customer
    assert all(
        one(console_core, Reply, r).outcome == ReplyOutcome.abstained
        for r in (first, second, other)
    )
    page = signed_in.get("/console/unanswered")
    assert page.status_code == 200 and "3 questions from the last 30 days" in page.text
    groups = page.text.split('<li class="card group"')[1:]
    assert "asked 2×" in groups[0] and "Can I pay with Zorbcoin?" in groups[0]
    assert "pay with zorbcoin?" in groups[0] and "glimmer" not in groups[0]
    assert "asked 1×" in groups[1] and "glimmer" in groups[1]
    items = {i.reply_id: i.id for i in rows(console_core, ReviewItem)}
    csrf = csrf_of(signed_in, "/console/unanswered")
    ticked = {f"item-{items[first]}": "on", f"item-{items[second]}": "on"}
    assert signed_in.post("/console/unanswered", data=ticked).status_code == 403
    no_words = signed_in.post("/console/unanswered", data={"csrf": csrf, **ticked})
    assert no_words.status_code == 400 and "Write the answer first" in no_words.text

    answer = "Yes: Zorbcoin, cards and PayPal 💳"
    done = signed_in.post(
        "/console/unanswered",
        data={"csrf": csrf, "answer": answer, "do": "answered", **ticked},
        follow_redirects=False,
    )
    assert done.status_code == 303
    handled = {i.reply_id: i for i in rows(console_core, ReviewItem)}
    for reply_id in (first, second):
        assert handled[reply_id].status == ItemStatus.handled
        assert handled[reply_id].action == ItemAction.answered
        assert handled[reply_id].handled_by == REVIEWER
        taught = one(console_core, Example, handled[reply_id].taught_example_id)
        assert taught.answer == answer and taught.source == ExampleSource.corrected
    # Two wordings of one question: the later answer stands, the earlier is superseded.
    statuses = [
        one(console_core, Example, handled[r].taught_example_id).status for r in (first, second)
    ]
    assert statuses == [ExampleStatus.superseded, ExampleStatus.accepted]
    assert handled[other].status == ItemStatus.open
    shown = signed_in.get(done.headers["location"])
    assert "Answered 2 questions" in shown.text
    assert f'name="item-{items[first]}"' not in shown.text and "glimmer" in shown.text
    seed.ask(console_core, "can i pay with zorbcoin", user="45")
    assert rows(console_core, Reply)[-1].text == answer
    assert ("answered item", f"item:{items[first]}") in audited(console_core)

    dismissed = signed_in.post(
        "/console/unanswered",
        data={"csrf": csrf, "do": "dismissed", f"item-{items[other]}": "on"},
        follow_redirects=False,
    )
    assert dismissed.status_code == 303
    assert one(console_core, ReviewItem, items[other]).action == ItemAction.dismissed
    assert "Nothing unanswered" in signed_in.get("/console/unanswered").text


# --- review ---------------------------------------------------------------------------


def _desk_items(core: Core) -> dict[ItemKind, ReviewItem]:
    """One item of each kind, made the way the bot makes them."""
    suggested = seed.ask(core, "Do you ship to the UK?", user="42")
    with session_scope(core.engine) as session:  # a customer's ✏️ waits as a suggestion
        feedback.give(
            session,
            core.settings,
            reply_id=suggested,
            user="telegram:42",
            kind=FeedbackKind.correct,
            corrected_text="Yes, to the UK since March 🌿",
        )
    rated = seed.ask(core, seed.SHIPPING, user="43", channel="slack")  # answered, so 👎 counts
    seed.rate(core, rated, user="slack:U43", good=False)
    seed.ask(core, "What is the zorblat club?", user="44")
    return {ItemKind(i.kind): i for i in rows(core, ReviewItem)}


def test_review_lists_the_desks_items_with_filters(
    signed_in: TestClient, console_core: Core
) -> None:
    items = _desk_items(console_core)
    assert set(items) == set(ItemKind)
    page = signed_in.get("/console/review")
    assert page.status_code == 200
    assert all(f'id="item-{i.id}"' in page.text for i in items.values())
    assert "Yes, to the UK since March 🌿" in page.text  # the suggestion
    kinds = signed_in.get("/console/review?kind=suggestion").text
    assert f'id="item-{items[ItemKind.suggestion].id}"' in kinds
    assert f'id="item-{items[ItemKind.rejected].id}"' not in kinds
    slack = signed_in.get("/console/review?channel=slack").text
    assert re.findall(r'id="item-(\d+)"', slack) == [str(items[ItemKind.rejected].id)]
    assert "Nothing waits here" in signed_in.get("/console/review?status=handled").text
    home = signed_in.get("/console/")
    assert re.search(r"Open review items</h2>\s*<p class=\"big\">3<", home.text)


def test_review_actions_are_the_desks(signed_in: TestClient, console_core: Core) -> None:
    items = _desk_items(console_core)
    csrf = csrf_of(signed_in, "/console/review")
    suggestion = items[ItemKind.suggestion]
    assert (
        signed_in.post(f"/console/review/{suggestion.id}", data={"do": "approved"}).status_code
        == 403
    )
    approved = signed_in.post(
        f"/console/review/{suggestion.id}",
        data={"csrf": csrf, "do": "approved", "kind": "suggestion"},
        follow_redirects=False,
    )
    assert approved.status_code == 303 and "kind=suggestion" in approved.headers["location"]
    example = one(console_core, Example, suggestion.example_id or 0)
    assert example.status == ExampleStatus.accepted and example.reviewed_by == REVIEWER
    late = signed_in.post(f"/console/review/{suggestion.id}", data={"csrf": csrf, "do": "rejected"})
    assert late.status_code == 409 and "already handled" in late.text

    rated = items[ItemKind.rejected]
    wrong = signed_in.post(f"/console/review/{rated.id}", data={"csrf": csrf, "do": "approved"})
    assert wrong.status_code == 400
    empty = signed_in.post(f"/console/review/{rated.id}", data={"csrf": csrf, "do": "corrected"})
    assert empty.status_code == 400 and one(console_core, ReviewItem, rated.id).status == "open"
    fixed = "Yes, to the UK in 3-5 working days 🌿"
    signed_in.post(
        f"/console/review/{rated.id}", data={"csrf": csrf, "do": "corrected", "text": fixed}
    )
    after = one(console_core, ReviewItem, rated.id)
    assert after.action == ItemAction.corrected and after.answer_given == fixed
    assert one(console_core, Example, after.taught_example_id).answer == fixed

    unknown = items[ItemKind.unanswered]
    signed_in.post(f"/console/review/{unknown.id}", data={"csrf": csrf, "do": "dismissed"})
    assert one(console_core, ReviewItem, unknown.id).action == ItemAction.dismissed
    handled = signed_in.get("/console/review?status=handled").text
    assert "Approved by slack:UREVIEW" in handled and "Dismissed by" in handled
    assert (
        signed_in.post("/console/review/9999", data={"csrf": csrf, "do": "dismissed"}).status_code
        == 404
    )
    actions = {a for a, _ in audited(console_core)}
    assert {"approved item", "corrected item", "dismissed item"} <= actions
