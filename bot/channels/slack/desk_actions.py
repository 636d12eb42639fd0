"""Presses on the review desk in Slack: item buttons, the answer modal, runs, the Home tab.

Thin: who may act and what each action does is `bot.desk.actions`; runs' buttons are
`bot.desk.runs`. A press by someone who is not a reviewer changes nothing and gets a
note only they see; a press on an item already handled says who handled it (and
brings that card up to date). Slow work (teaching, the handoff, updating every card)
runs after the acknowledgement, so Slack's 3-second deadline never waits on it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.app import Core
from bot.channels.slack import desk_blocks
from bot.channels.slack.desk_blocks import Answering
from bot.channels.slack.desk_home import console_modal, home_view, stranger_view
from bot.channels.slack.notify import tell
from bot.desk import actions, runs
from bot.desk.actions import AlreadyHandled
from bot.desk.home import overview
from bot.desk.tables import ItemAction
from bot.desk.views import NEEDS_TEXT
from bot.desk.wording import words_for
from bot.errors import AfinaError
from bot.identity import is_reviewer
from bot.signin import console_link

logger = logging.getLogger(__name__)

CHANNEL = "slack"
ITEM_PRESS = re.compile(r"^afina_desk_(approved|edited|rejected|answered|corrected|dismissed)$")


class DeskActions:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.words = words_for(core.settings.slack_desk_language)  # the whole team's

    def register(self, app: App) -> None:
        app.action(ITEM_PRESS)(self.on_item)
        app.view_submission(desk_blocks.TEXT_VIEW)(self.on_text)
        app.action(desk_blocks.ROLLBACK_ACTION)(self.on_run)
        app.action(desk_blocks.PROMOTE_ACTION)(self.on_run)
        app.action(desk_blocks.CONSOLE_ACTION)(self.on_console)
        app.action("afina_console_open")(lambda ack: ack())  # a link button: Slack opens it
        app.event("app_home_opened")(self.on_home)

    # --- items ----------------------------------------------------------------------
    def on_item(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Approve / Reject / Dismiss act at once; Edit / Answer / Correct open the modal."""
        ack()
        user, where, home = _presser(body)
        try:
            item_id = int(action.get("value") or "")
            chosen = ItemAction(ITEM_PRESS.match(action["action_id"])[1])  # type: ignore[index]
        except (ValueError, TypeError, KeyError):
            logger.warning("unexpected desk button %r", action.get("action_id"))
            return
        try:
            words = self.words
            if chosen in NEEDS_TEXT:
                card = actions.can_act(self.core, item_id=item_id, user=user, words=words)
                target = Answering(item_id, chosen, where, home)
                hands_off = actions.would_hand_off(self.core, card)
                modal = desk_blocks.text_modal(card, target, hands_off=hands_off, words=words)
                client.views_open(trigger_id=body["trigger_id"], view=modal)
                return
            acted = actions.act(self.core, item_id=item_id, user=user, action=chosen, words=words)
            said = acted.message
        except AlreadyHandled as exc:
            self.core.desk.refresh_item(item_id)
            said = exc.message
        except AfinaError as exc:  # NotReviewer among them: nothing changed
            said = exc.message
        self._reply(client, body, user, where, home, said)

    def on_text(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """The reviewer's answer from the modal: taught, handed back, every card updated."""
        target = Answering.load(view.get("private_metadata") or "{}")
        user = f"{CHANNEL}:{body['user']['id']}"
        text = desk_blocks.submitted_text(view)
        words = self.words
        if not text.strip():
            errors = {desk_blocks.TEXT_BLOCK: words.say("act.no_words")}
            ack(response_action="errors", errors=errors)
            return
        try:
            actions.can_act(self.core, item_id=target.item_id, user=user, words=words)
        except AfinaError as exc:
            ack(response_action="errors", errors={desk_blocks.TEXT_BLOCK: exc.message})
            return
        ack()  # the modal closes; the rest happens after
        try:
            said = actions.act(
                self.core,
                item_id=target.item_id,
                user=user,
                action=target.action,
                text=text,
                words=words,
            ).message
        except AfinaError as exc:
            said = exc.message
        self._reply(client, body, user, target.channel, target.home, said)

    # --- runs ----------------------------------------------------------------------
    def on_run(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Roll back a promoted run, or promote a rejected one anyway (reviewers only)."""
        ack()
        user, where, home = _presser(body)
        try:
            run_id = int(action.get("value") or "")
        except ValueError:
            return
        rollback = action.get("action_id") == desk_blocks.ROLLBACK_ACTION
        try:
            said = (
                runs.roll_back(self.core, run_id=run_id, user=user, words=self.words)
                if rollback
                else runs.promote_anyway(self.core, run_id=run_id, user=user, words=self.words)
            )
        except AfinaError as exc:
            said = exc.message
        self._reply(client, body, user, where, home, said)

    # --- the Home tab --------------------------------------------------------------------
    def on_home(self, event: dict[str, Any], client: WebClient) -> None:
        """Show the desk on the Home tab (reviewers), or what the bot is (anyone else)."""
        if event.get("tab", "home") == "home" and event.get("user"):
            self.publish_home(client, str(event["user"]))

    def publish_home(self, client: WebClient, slack_user: str) -> None:
        if is_reviewer(f"{CHANNEL}:{slack_user}", self.core.settings):
            view = home_view(overview(self.core), self.words)
        else:
            view = stranger_view(self.words)
        client.views_publish(user_id=slack_user, view=view)

    def on_console(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """A one-time sign-in link to the web console, in a modal only the reviewer sees."""
        ack()
        user = f"{CHANNEL}:{body['user']['id']}"
        try:
            link = console_link(self.core, user)
        except AfinaError:
            return  # the Home tab shows the button to reviewers only
        minutes = max(1, self.core.settings.console_link_ttl_s // 60)
        modal = console_modal(link, minutes, self.words)
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    # --- telling the presser -----------------------------------------------------------------
    def _reply(
        self, client: WebClient, body: dict[str, Any], user: str, where: str, home: bool, said: str
    ) -> None:
        slack_user = user.partition(":")[2]
        if home:
            self.publish_home(client, slack_user)  # the item's place on the tab says what changed
            return
        if where:
            tell(client, channel=where, user=slack_user, thread_ts=None, text=said)


def _presser(body: dict[str, Any]) -> tuple[str, str, bool]:
    """Who pressed (`slack:U1`), in which channel ('' on the Home tab), and whether on Home."""
    container = body.get("container") or {}
    home = (body.get("view") or {}).get("type") == "home" or container.get("type") == "view"
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return f"{CHANNEL}:{body['user']['id']}", "" if home else str(channel), home
