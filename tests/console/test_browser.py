"""The console in a real browser: headless Chromium (Debian's `chromium` + `chromium-driver`)
driven by Selenium against a real `afina run` process.

A reviewer gets a link from `afina console-link`, signs in on a phone-sized window,
approves a suggested correction on Review, edits an example, corrects a reply,
answers an unanswered question in place, imports a file (preview, confirm), opens a
local run whose loss chart renders, asks in the playground, and reads the audit
trail; then a desktop window. Every
page is saved as a PNG under the test's folder and copied to bench/out/screenshots/.
Nothing here downloads a browser: the binary and the driver are given by path and
Selenium Manager is kept offline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.app import build_core
from bot.config import Settings
from bot.desk.tables import ReviewItem
from bot.tables import AuditEntry, Example, ExampleStatus, Feedback, FeedbackKind
from tests.console import seed
from tests.support.processes import AFINA, free_port, listening, wait_for

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = Path(__file__).resolve().parents[2] / "bench" / "out" / "screenshots"
REVIEWER = "slack:U123"
PHONE, DESKTOP = (390, 844), (1280, 900)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
_NOT_INHERITED = ("AFINA_", "DATABASE_", "OPENAI_", "MODEL_", "SLACK_", "TELEGRAM_", "CONSOLE_")
_NOT_INHERITED += ("PORT", "HOST", "WEB_CONCURRENCY", "TUNING_", "RETRAIN_")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and DRIVER.exists()),
    reason="browser test: needs Debian's chromium and chromium-driver "
    "(apt-get install -y chromium chromium-driver; .ci/run installs them)",
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A seeded database and `afina run` serving it on a free port."""
    port = free_port()
    env = {
        "AFINA_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'afina.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SLACK_REVIEWERS": "U123",
    }
    core = build_core(Settings(database_url=env["DATABASE_URL"], afina_home=env["AFINA_HOME"]))
    reply_id = seed.ask(core)
    canarias = seed.ask(core, "¿Hacéis envíos a Canarias?", user="43")
    seed.rate(core, canarias, user="telegram:43", good=True)
    seed.rate(core, reply_id, user="telegram:42", good=False)
    gift = seed.ask(core, "Do you sell gift cards?", user="44")
    seed.suggest(core, gift, user="telegram:44", text="Yes, from 10 € in the shop 🎁")
    seed.ask(core, "What is the zorblat club?", user="45")
    run_id, _ = seed.local_run(core)
    core.engine.dispose()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    process = subprocess.Popen(
        [AFINA, "run"],
        env=inherited | env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: listening(port) or process.poll() is not None, 90, "afina run")
        assert process.poll() is None, process.communicate()[0]
        yield {"env": inherited | env, "port": port, "reply": reply_id, "run": run_id}
    finally:
        process.terminate()
        process.communicate(timeout=60)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}", "--lang=en-GB"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


class Pages:
    """What the reviewer does, and a screenshot of each page they see."""

    def __init__(self, driver: Any, base: str, folder: Path) -> None:
        self.driver, self.base, self.folder = driver, base, folder
        folder.mkdir(parents=True, exist_ok=True)

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def wait(self, css: str, timeout: float = 15) -> Any:
        """The element once the page that has it has loaded (after a click that navigates)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        located = expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
        return WebDriverWait(self.driver, timeout).until(located)

    def type(self, element: Any, text: str) -> None:
        """Type into a field as a person does. ChromeDriver refuses characters beyond the
        BMP (an emoji: "only supports characters in the BMP"), so those are added by script,
        in their place, each with the input event typing fires."""
        for run in re.findall(r"[\u0000-\uffff]+|[^\u0000-\uffff]+", text):
            if ord(run[0]) <= 0xFFFF:
                element.send_keys(run)
            else:
                self.driver.execute_script(
                    "arguments[0].value += arguments[1];"
                    "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                    element,
                    run,
                )

    def all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def shot(self, name: str, size: tuple[int, int]) -> None:
        """The whole page at this window width (the window grows to the page's height)."""
        width, height = size
        self.driver.set_window_size(width, height)
        full = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(width, max(height, min(int(full) + 120, 5000)))
        self.driver.save_screenshot(str(self.folder / f"{name}.png"))
        self.driver.set_window_size(width, height)


def test_a_reviewer_uses_the_console_from_a_phone(
    served: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    link = subprocess.run(
        [AFINA, "console-link", "--user", REVIEWER],
        env=served["env"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.split()[0]
    base = f"http://127.0.0.1:{served['port']}"
    assert link.startswith(f"{base}/console/link/")  # the default CONSOLE_URL fits `afina run`
    pages = Pages(browser, base, tmp_path / "screenshots")
    browser.set_window_size(*PHONE)

    browser.get(link)
    assert REVIEWER in pages.find(".identity").text
    pages.shot("phone-01-sign-in", PHONE)
    pages.find("form button.primary").click()
    assert "How the bot is doing" in pages.wait("section.cards").find_element("xpath", "..").text
    pages.shot("phone-02-home", PHONE)

    pages.open("/console/review")
    pages.shot("phone-03-review", PHONE)
    pages.find("form.act-approved button").click()  # the customer's suggested gift-card answer
    assert "Approved" in pages.wait(".note.ok").text
    pages.shot("phone-03b-approved", PHONE)

    pages.open("/console/examples")
    pages.all(".rows a.row")[0].click()  # the newest: the suggestion just approved
    pages.wait("details.edit summary").click()
    box = pages.find("details.edit textarea")
    box.clear()
    pages.type(box, "Yes: gift cards from 10 € in the shop and online 🎁")
    pages.shot("phone-03c-editing-example", PHONE)
    pages.find("details.edit button.primary").click()
    assert "Saved" in pages.wait(".note.ok").text
    assert "and online 🎁" in pages.find(".prose.answer").text  # the emoji typed by script too
    pages.shot("phone-03d-example-edited", PHONE)

    pages.open("/console/conversations")
    pages.shot("phone-03-conversations", PHONE)
    pages.all(".rows a.row")[-1].click()  # the oldest: the UK question
    pages.wait(f"#reply-{served['reply']}")
    pages.find(f"#reply-{served['reply']} details.correct summary").click()
    box = pages.find(f"#reply-{served['reply']} textarea")
    box.clear()
    pages.type(box, "No, sorry: we ship within the EU only, in 3-5 days 🌿")
    pages.shot("phone-04-correcting", PHONE)
    pages.find(f"#reply-{served['reply']} form button.primary").click()
    assert "Learned" in pages.wait(".note.ok").text
    pages.shot("phone-05-corrected", PHONE)

    pages.find(".note.ok a").click()  # the example the correction became
    assert "we ship within the EU only" in pages.wait(".prose.answer").text
    pages.shot("phone-06-example", PHONE)
    pages.open("/console/examples?q=ship")
    assert pages.all(".rows a.row")
    pages.shot("phone-07-examples", PHONE)

    pages.open("/console/unanswered")
    group = pages.find("li.group")
    assert "zorblat" in group.text
    pages.type(
        group.find_element("css selector", "textarea"),
        "The Zorblat Club is our free loyalty club: 1 point per euro 🌿",
    )
    pages.shot("phone-12-unanswered", PHONE)
    group.find_element("css selector", "button.primary").click()
    assert "Answered 1 questions" in pages.wait(".note.ok").text
    pages.shot("phone-13-answered", PHONE)

    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer\nDo you gift-wrap?,Yes for 2 €\nBroken line\n")
    pages.open("/console/import")
    pages.find("input[type=file]").send_keys(str(faq))
    pages.find("form.upload button.primary").click()
    assert "faq.csv:3" in pages.wait(".bad-lines").text
    pages.shot("phone-14-import-preview", PHONE)
    pages.find("form.confirm button.primary").click()
    assert "Imported 1 examples" in pages.wait(".note.ok").text
    pages.shot("phone-15-imported", PHONE)

    pages.open(f"/console/runs/{served['run']}")
    path = pages.find("svg path.loss-line")
    assert path.get_attribute("d").startswith("M") and path.size["width"] > 200
    pages.shot("phone-08-run", PHONE)
    pages.open("/console/runs")
    pages.shot("phone-09-runs", PHONE)

    pages.open("/console/playground")
    pages.find("textarea[name=question]").send_keys("Do you ship to the UK?")
    pages.find("form.ask button.primary").click()
    assert "we ship within the EU only" in pages.wait(".answer-text").text  # learned at once
    pages.shot("phone-10-playground", PHONE)
    pages.open("/console/audit")
    assert "corrected a reply" in pages.find("table.audit").text
    pages.shot("phone-11-audit", PHONE)

    for name, path_ in (
        ("home", "/console/"),
        ("run", f"/console/runs/{served['run']}"),
        ("review", "/console/review?status=all"),
        ("import", "/console/import"),
    ):
        pages.open(path_)
        pages.shot(f"desktop-{name}", DESKTOP)
    pages.open("/console/conversations")
    pages.all(".rows a.row")[-1].click()
    pages.wait(".timeline")
    pages.shot("desktop-conversation", DESKTOP)

    database = Settings(database_url=served["env"]["DATABASE_URL"]).resolved_database_url
    core = build_core(Settings(database_url=database, afina_home=served["env"]["AFINA_HOME"]))
    with Session(core.engine) as session:
        [fix] = session.exec(
            select(Feedback)
            .where(Feedback.reply_id == served["reply"])
            .where(Feedback.kind == FeedbackKind.correct)
        ).all()
        example = session.get(Example, fix.example_id)
        actions = {e.action for e in session.exec(select(AuditEntry)).all()}
        items = {i.kind: i for i in session.exec(select(ReviewItem)).all()}
        edited = session.exec(select(Example).where(col(Example.reviewed_by) == REVIEWER)).all()
    core.engine.dispose()
    assert fix.user_id == REVIEWER and fix.is_reviewer
    assert example is not None and example.status == ExampleStatus.accepted
    assert {"signed in", "corrected", "asked in playground"} <= actions
    assert {"approved item", "edited", "answered item", "imported"} <= actions
    assert items["suggestion"].action == "approved" and items["suggestion"].handled_by == REVIEWER
    assert any("and online" in e.answer for e in edited)
    assert any(e.answer.startswith("The Zorblat Club") for e in edited)

    SHOTS.mkdir(parents=True, exist_ok=True)
    for png in pages.folder.glob("*.png"):
        shutil.copy(png, SHOTS / png.name)
    print(f"screenshots: {pages.folder} (copied to {SHOTS})")
