"""What no page may show or allow: secrets, scripts, framing; and texts in both languages."""

from __future__ import annotations

import re
import string
from collections.abc import Callable

from starlette.testclient import TestClient

from bot.app import build_core
from bot.console.texts import EN
from bot.console.texts_es import ES
from bot.signin import console_link
from tests.console import seed
from tests.console.conftest import REVIEWER, csrf_of, follow_link, link_path
from tests.support.openai_server import FakeOpenAI
from tests.support.slack_server import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack

SECRETS = {
    "openai_api_key": "sk-console-secret-0123456789abcdef",
    "slack_bot_token": BOT_TOKEN,  # the tokens the fake Slack accepts
    "slack_app_token": APP_TOKEN,
    "slack_signing_secret": SIGNING_SECRET,
    "telegram_bot_token": "123456:console-secret-telegram-token",
    "telegram_webhook_secret": "console_secret_webhook",
}


def test_no_page_ever_shows_a_secret(
    make_client: Callable[..., TestClient],
    console_settings: Callable[..., object],
    fake_slack: FakeSlack,
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reply("We ship within the EU in 3-5 days 🌿")
    configured = {
        **SECRETS,
        "slack_api_url": fake_slack.api_url,
        "openai_base_url": fake_openai.base_url,
        "openai_max_retries": 0,
    }
    client = make_client(**configured)
    core = build_core(console_settings(**configured))  # type: ignore[arg-type]
    reply = seed.ask(core)
    seed.rate(core, reply, user="telegram:42", good=False)  # an item on the Review page
    run_id, version_id = seed.local_run(core)
    bodies = [client.get("/console/signin").text]
    link = console_link(core, REVIEWER)
    bodies.append(client.get(link_path(link)).text)
    signed = follow_link(client, link)
    bodies.append(str(signed.headers))
    csrf = csrf_of(client)
    asked = client.post("/console/playground", data={"csrf": csrf, "question": "UK?"})
    fixed = client.post(f"/console/replies/{reply}/correct", data={"csrf": csrf, "text": "No."})
    bodies += [asked.text, fixed.text]
    for path in (
        "/console/",
        "/console/examples",
        "/console/examples/1",
        "/console/conversations",
        f"/console/conversations/{reply}",
        "/console/runs",
        f"/console/runs/{run_id}",
        "/console/playground",
        "/console/audit",
        "/console/review?status=all",
        "/console/unanswered",
        "/console/import",
        "/console/examples/99999",
    ):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        bodies += [response.text, str(response.headers)]
    bodies.append(client.post("/console/rollback", data={"csrf": "no"}).text)
    bodies.append(client.post(f"/console/versions/{version_id}/promote", data={"csrf": csrf}).text)
    core.engine.dispose()
    everything = "\n".join(bodies)
    assert "We ship within the EU" in everything  # the pages really rendered, with answers
    assert 'id="item-' in everything  # the Review page too
    for name, secret in SECRETS.items():
        assert secret not in everything, name
        assert secret.split(":")[-1][-12:] not in everything, name


def test_pages_forbid_scripts_frames_caching_and_referrers(signed_in: TestClient) -> None:
    for path in ("/console/", "/console/signin", "/console/static/console.css"):
        headers = signed_in.get(path).headers
        assert "script-src" not in headers["content-security-policy"]  # default-src 'none'
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    assert signed_in.get("/console/").headers["cache-control"] == "no-store"
    page = signed_in.get("/console/").text
    assert "<script" not in page and 'style="' not in page  # nothing the policy would block


def test_every_text_is_in_english_and_spanish_with_the_same_placeholders() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert set(EN) == set(ES)
    for key, text in EN.items():
        assert fields(text) == fields(ES[key]), key
    used = set()
    from pathlib import Path

    import bot.console

    folder = Path(bot.console.__file__).parent
    for source in [*folder.glob("templates/*.html"), *folder.glob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']""", source.read_text()))
    used.discard("key")  # the nav's loop variable: its keys are checked below as nav_*
    prefixes = {key for key in used if key.endswith("_")}  # t("kind_" ~ kind) and the like
    assert used - prefixes <= set(EN), used - prefixes - set(EN)
    assert all(any(key.startswith(p) for key in EN) for p in prefixes), prefixes
