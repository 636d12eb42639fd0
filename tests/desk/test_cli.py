"""`afina review` shows the desk's unanswered questions and 👎'd answers, and acts on them."""

from __future__ import annotations

import pytest

from tests.support.cli import run

ANSWER = "The Zorblat Club is our free loyalty club: 1 point per euro, 100 points = 5 € off."


@pytest.mark.usefixtures("demo")
def test_review_lists_unanswered_and_thumbs_down_and_answers_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    unknown = run(capsys, "ask", "--json", "What is the zorblat club?").json()
    known = run(capsys, "ask", "--json", "Do you ship to the UK?").json()
    assert run(capsys, "feedback", str(known["reply_id"]), "--bad", "--user", "slack:U9").code == 0

    listed = run(capsys, "review")
    assert listed.code == 0, listed.err
    assert "2 on the review desk" in listed.out
    assert "What is the zorblat club?" in listed.out and "unanswered" in listed.out
    assert "Do you ship to the UK?" in listed.out and "rejected" in listed.out

    answered = run(capsys, "review", "--item", "1", "--text", ANSWER)
    assert answered.code == 0, answered.err
    assert "Answered #1: the bot uses it from now on." in answered.out
    again = run(capsys, "review", "--item", "1", "--dismiss")
    assert again.code == 1 and "#1 was already handled: Answered by console:" in again.err
    assert run(capsys, "review", "--item", "2").code == 1  # neither --text nor --dismiss

    later = run(capsys, "ask", "--json", "Tell me about the zorblat club").json()
    assert ANSWER in later["text"]
    assert "1 on the review desk" in run(capsys, "review").out
    assert unknown["reply_id"] == 1
