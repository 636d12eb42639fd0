"""The platforms afina answers on. Each folder here is one channel and exposes a `Channel`.

A channel folder owns everything about its platform: events in, answers out with
their feedback controls, its transports (HTTP routes, Socket Mode or long
polling), finishing what it acknowledged when the process stops, delivering an
answer late (its `courier`, for `bot.recovery`), and its checks for `afina
doctor`. Processes never name a platform: `afina serve` mounts the
HTTP side of every configured channel, `afina worker` runs their background side,
`afina run` does both, `afina <channel>` runs one alone, and the doctor asks each
for its checks. Each also takes its part in the review desk (`desk`): its cards,
its buttons, handing reviewers' answers back into its conversations.

Adding a channel is a folder `bot/channels/<name>/` whose `__init__` exposes
`CHANNEL` (an object with the methods of `Channel`) and its module path in
`REGISTERED`. A channel's `__init__` stays light (the platform's library loads only
when a transport starts), so looping over channels costs nothing. The terminal
chat (`console.py`) is no channel in this sense: `afina chat` runs it in the
foreground.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from starlette.routing import Route

    from bot.app import Core
    from bot.checks import Diagnosis
    from bot.config import Settings
    from bot.desk.ends import DeskEnd
    from bot.recovery import Courier
    from bot.worker import Part

REGISTERED = ("bot.channels.slack", "bot.channels.telegram")


@dataclass(frozen=True)
class Placement:
    """Where a configured channel runs, as its settings say."""

    web: bool  # served over HTTP by the web process (`afina serve`)
    background: bool  # run by the worker (Socket Mode, long polling): no public URL needed
    mode: str  # how events arrive: "Socket Mode", "long polling", "over HTTP", "webhook"
    why: str  # the setting that decides it: "SLACK_APP_TOKEN is set"

    def worker_line(self, title: str) -> str:
        """What `afina worker` says about it: it runs it, or the web process does."""
        if self.background:
            return f"{title}: {self.mode}"
        return f"{title}: {self.mode}, answered by the web process ({self.why})"

    def web_note(self, title: str) -> str | None:
        """What `afina serve` says about a channel it does not serve."""
        if self.web:
            return None
        return f"{title} uses {self.mode} ({self.why}): `afina worker` runs it."


class Web(Protocol):
    """A channel's HTTP side in one server process, built once the core is."""

    routes: list[Route]

    async def start(self) -> None:
        """Before the first request (e.g. start the bot, register a webhook)."""

    async def drain(self, grace: float) -> None:
        """After the last request: finish what was acknowledged within `grace` s, logging
        anything abandoned then (a platform never sends an acknowledged event again)."""


class Channel(Protocol):
    name: str  # the command (`afina slack`) and the identity prefix (`slack:U123`)
    title: str  # how people write it: "Slack"
    help: str  # `afina <name> --help`
    paths: tuple[str, ...]  # the HTTP paths it serves when served over HTTP

    def placement(self, settings: Settings) -> Placement | None:
        """Where it runs with these settings; None when it is not set up at all."""

    def require(self, settings: Settings) -> None:
        """Raise `BadInput` naming what is missing to run it at all (its token)."""

    def require_web(self, settings: Settings) -> None:
        """Raise `BadInput` naming what HTTP mode still lacks (a channel set up halfway)."""

    def secrets(self, settings: Settings) -> list[str]:
        """Its configured secrets, which no log line or message may show whole."""

    def reach(self, settings: Settings) -> None:
        """The process's first call to the platform, before the core loads (standard library
        only): `BadInput` in one line if it refuses the token or cannot be reached."""

    def introduce(self, core: Core) -> None:
        """Ask the platform once whether it accepts the token; `BadInput` if it refuses."""

    def web(self, core: Core) -> Web:
        """Its HTTP side (routes, start, drain), for a server process."""

    def background(self, core: Core) -> Part:
        """Its background side (Socket Mode, long polling), for a worker."""

    def courier(self, core: Core) -> Courier | None:
        """How it delivers a question answered late, by any process (`bot.recovery`); None
        when these settings cannot post there."""

    def checks(self, diagnosis: Diagnosis) -> None:
        """Add its lines to `afina doctor`: the settings' shapes, then (when reaching) whether
        the platform accepts the token."""

    def desk(self, core: Core) -> DeskEnd | None:
        """Its part of the review desk (`bot.desk.ends.DeskEnd`): posting and updating cards,
        handing a reviewer's answer back into a conversation; None when it takes no part."""


def registered() -> list[Channel]:
    """Every channel afina knows, in the order the doctor and the processes take them."""
    return [importlib.import_module(path).CHANNEL for path in REGISTERED]


def configured(settings: Settings) -> list[Channel]:
    """The channels these settings set up."""
    return [channel for channel in registered() if channel.placement(settings) is not None]


def served_over_http(settings: Settings) -> list[Channel]:
    """The channels `afina serve` takes; `BadInput` for one set up halfway."""
    served = []
    for channel in registered():
        placement = channel.placement(settings)
        if placement is not None and placement.web:
            channel.require_web(settings)
            served.append(channel)
    return served


def run_in_background(settings: Settings) -> list[Channel]:
    """The channels `afina worker` runs (Socket Mode, long polling)."""
    return [
        channel
        for channel in registered()
        if (placement := channel.placement(settings)) is not None and placement.background
    ]
