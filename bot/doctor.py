"""`afina doctor`: what is configured, whether it has the right shape, and whether it answers.

`diagnose(settings)` returns one `Check` per thing a person might need to fix,
each a single line that names the setting to change. It reads settings and, when
asked, knocks on doors (the database, the model endpoint, Slack, Telegram, the
LoRA server) with a short timeout; it never changes anything.

Secrets never leave this module whole: tokens and keys are shown as `xoxb-…a1b2`,
database passwords as `***`, and a failed request is summarised (connection
refused, no answer, HTTP 401) instead of quoting the exception, whose text can
hold a URL (Telegram puts the token in every URL) or a server's echo of the key.
As a last guard every message is scrubbed of every configured secret.

`log_startup_report(settings)` is the same diagnosis without network calls,
logged once when a long-running process starts.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import logging
import re
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from bot.backends import hf
from bot.config import Settings

logger = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail"]

# OpenAI stopped taking fine-tuning jobs from new organisations and stops for everyone then.
OPENAI_FINE_TUNING_ENDS = date(2027, 1, 6)
OPENAI_API_HOST = "api.openai.com"
DEFAULT_TIMEOUT_S = 3.0
# Known token prefixes say what kind of token it is and are not secret, so they stay visible.
_PUBLIC_PREFIXES = (
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxe-",
    "xapp-",
    "sk-proj-",
    "sk-svcacct-",
    "sk-admin-",
    "sk-",
)
_TELEGRAM_TOKEN = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")  # bot id, colon, secret part
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts
_TELEGRAM_WEBHOOK_PORTS = {443, 80, 88, 8443}  # the only ports Telegram delivers to
_SLACK_SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis: what was looked at, how it went, what to do."""

    name: str
    status: Status
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def mask(secret: str) -> str:
    """`xoxb-…a1b2`: the kind of token and enough of its end to tell two apart, never more.

    The last four characters show only on long secrets, where they give nothing away."""
    prefix = next((p for p in _PUBLIC_PREFIXES if secret.startswith(p)), "")
    bot_id = _TELEGRAM_TOKEN.match(secret)
    if not prefix and bot_id:
        prefix = bot_id.group(1) + ":"  # a Telegram bot's id is public (it is in every link)
    rest = secret[len(prefix) :]
    return f"{prefix}…{rest[-4:] if len(rest) >= 16 else ''}"


def mask_database_url(url: str) -> str:
    """The database URL with its password (and any password in the query) as `***`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not a URL SQLAlchemy understands: show only what cannot be a secret.
        return url.split("://", 1)[0] + "://…" if "://" in url else "(not a URL)"
    hidden = {k: "***" for k in parsed.query if "password" in k.lower()}
    return parsed.update_query_dict(hidden).render_as_string(hide_password=True)


def show_url(url: str) -> str:
    """A service URL without a password in it (`https://user:***@host/`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def diagnose(
    settings: Settings, *, reach: bool = True, timeout_s: float = DEFAULT_TIMEOUT_S
) -> list[Check]:
    """Every check, in the order a person would fix them.

    `reach=False` skips the calls to outside services (model endpoint, Slack,
    Telegram, LoRA server); the database is always checked, with a short timeout,
    because nothing works without it."""
    return _Doctor(settings, reach=reach, timeout_s=timeout_s).run()


def log_startup_report(settings: Settings) -> list[Check]:
    """Log each problem (warning or error) and one summary line; no calls to outside services.

    Call it once the core is built (the database is migrated by then), so a fresh
    database does not read as a problem."""
    checks = diagnose(settings, reach=False)
    for check in checks:
        if check.status == "fail":
            logger.error("%s: %s", check.name, check.message)
        elif check.status == "warn":
            logger.warning("%s: %s", check.name, check.message)
    logger.info("%s", summary_line(settings, checks))
    return checks


def summary_line(settings: Settings, checks: list[Check], *, hint: bool = True) -> str:
    """`backend openai · tuning local · slack, telegram · 1 problem, 2 warnings (afina doctor)`."""
    channels = [
        name
        for name, token in (
            ("slack", settings.slack_bot_token),
            ("telegram", settings.telegram_bot_token),
        )
        if _value(token)
    ]
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    health = "all good"
    if fails or warns:
        health = f"{_plural(fails, 'problem')}, {_plural(warns, 'warning')}"
        health += " (see `afina doctor`)" if hint else ""
    return (
        f"afina · backend {settings.backend} · tuning {settings.tuning_provider} · "
        f"channels {', '.join(channels) or 'terminal only'} · {health}"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


# --- talking to services ---------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect instead of following it: urllib would carry the key to the new host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _request(
    url: str,
    *,
    timeout_s: float,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> _Answer | str:
    """An answer with any HTTP status, or a short phrase saying why none came."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _opener.open(request, timeout=timeout_s) as response:
            return _Answer(int(response.status), response.read(1 << 20))
    except urllib.error.HTTPError as exc:
        return _Answer(int(exc.code), exc.read(1 << 20))
    except urllib.error.URLError as exc:
        return _why(exc.reason, timeout_s)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return _why(exc, timeout_s)


def _why(reason: object, timeout_s: float) -> str:
    """What went wrong, in words that hold nothing from the request."""
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(reason, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(reason, OSError) and "timed out" in str(reason):
        return f"no answer within {timeout_s:g} s"
    return f"unreachable ({type(reason).__name__})"


def _url_problem(value: str) -> str | None:
    """Why `value` is not a usable http(s) URL, or None."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    if value != value.strip():
        return "has spaces around it"
    return None


def _token_problem(value: str) -> str | None:
    """Copy-paste slips that make any token fail: spaces, quotes, line breaks."""
    if any(ch.isspace() for ch in value):
        return "holds spaces or a line break (a copy-paste slip?)"
    if value[:1] in "\"'" or value[-1:] in "\"'":
        return "is wrapped in quotes: leave them out of the value"
    return None


# --- the checks --------------------------------------------------------------------


class _Doctor:
    def __init__(self, settings: Settings, *, reach: bool, timeout_s: float) -> None:
        self.settings = settings
        self.reach = reach
        self.timeout_s = timeout_s
        self.checks: list[Check] = []
        self.active: Any = None  # the active ModelVersion, when the database could be read

    def run(self) -> list[Check]:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("database", self.database),
            ("backend", self.backend),
            ("tuning", self.tuning),
            ("local model", self.local_model),
            ("slack", self.slack),
            ("telegram", self.telegram),
            ("schedule", self.schedule),
        ]
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # a bug in one check must not hide the others
                logger.debug("doctor check %s crashed", name, exc_info=True)
                self.add(name, "fail", f"could not be checked ({type(exc).__name__})")
        return [self._scrubbed(c) for c in self.checks]

    def add(self, name: str, status: Status, message: str) -> None:
        self.checks.append(Check(name, status, message))

    def _fails(self) -> int:
        return sum(c.status == "fail" for c in self.checks)

    def _scrubbed(self, check: Check) -> Check:
        """The last guard: no configured secret appears whole in any message."""
        message = check.message
        for secret in self._secrets():
            message = message.replace(secret, mask(secret))
        return Check(check.name, check.status, message)

    def _secrets(self) -> list[str]:
        s = self.settings
        found = [
            _value(v)
            for v in (
                s.openai_api_key,
                s.slack_bot_token,
                s.slack_app_token,
                s.slack_signing_secret,
                s.telegram_bot_token,
                s.telegram_webhook_secret,
            )
        ]
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        with contextlib.suppress(ArgumentError):
            found.append(make_url(s.resolved_database_url).password or "")
        # Longest first, so a secret that contains another is masked whole. Short ones are
        # left alone: a password such as `afina` would garble every "afina migrate" hint,
        # and no message is built from a password anyway.
        return sorted((f for f in found if len(f) >= 8), key=len, reverse=True)

    # --- database ---------------------------------------------------------------
    def database(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
        from sqlalchemy.pool import NullPool

        from bot.db import normalise_url

        url = self.settings.resolved_database_url
        shown = mask_database_url(url)
        try:
            parsed = make_url(normalise_url(url))
        except ArgumentError:
            self.add("database", "fail", f"DATABASE_URL is not a database URL ({shown})")
            return
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            where = parsed.database or ""
            if not where or where == ":memory:":
                self.add("database", "warn", f"{shown}: in memory, nothing is kept")
                return
            if not Path(where).expanduser().is_file():
                # The doctor changes nothing: creating the file is the first real command's job.
                self.add(
                    "database",
                    "warn",
                    f"{shown}: no database file yet; `afina migrate` (or any command) creates it",
                )
                return
            connect_args["timeout"] = self.timeout_s
        elif parsed.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = max(2, round(self.timeout_s))  # libpq's minimum
        try:
            engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
        except (NoSuchModuleError, ImportError):
            self.add("database", "fail", f"{shown}: no driver installed for this kind of database")
            return
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                self.add("database", "ok", f"{shown} · reachable")
                self.migrations(engine, connection)
        except SQLAlchemyError as exc:
            self.add("database", "fail", f"{shown} · {self._db_failure(exc)}")
        finally:
            engine.dispose()

    def _db_failure(self, exc: Exception) -> str:
        text = str(getattr(exc, "orig", None) or exc).lower()
        for needle, phrase in (
            ("refused", "unreachable: connection refused"),
            ("timeout", f"unreachable: no answer within {self.timeout_s:g} s"),
            ("timed out", f"unreachable: no answer within {self.timeout_s:g} s"),
            ("translate host name", "unreachable: host name not found"),
            ("name or service not known", "unreachable: host name not found"),
            ("password authentication failed", "the server refused the user name or password"),
            ("does not exist", "the server has no such database or user"),
            ("database is locked", "locked by another process for too long"),
            ("unable to open", "the file cannot be opened"),
            ("not a database", "the file is not a SQLite database"),
        ):
            if needle in text:
                return phrase
        return f"cannot connect ({type(getattr(exc, 'orig', None) or exc).__name__})"

    def migrations(self, engine: Any, connection: Any) -> None:
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from sqlmodel import Session

        from bot import store
        from bot.db import alembic_config

        script = ScriptDirectory.from_config(alembic_config(engine))
        heads = set(script.get_heads())
        current = set(MigrationContext.configure(connection).get_current_heads())
        known = {rev.revision for rev in script.walk_revisions()}
        if current == heads:
            self.add("migrations", "ok", f"at head ({', '.join(sorted(heads))})")
            with Session(bind=connection) as session:
                self.active = store.active_version(session)
            return
        if not current:
            self.add(
                "migrations",
                "warn",
                "no tables yet: run `afina migrate` (every afina process also migrates on start)",
            )
        elif current - known:
            self.add(
                "migrations",
                "fail",
                f"the database is at revision {', '.join(sorted(current - known))}, which this "
                "code does not know: a newer afina migrated it; run that version here too",
            )
        else:
            self.add(
                "migrations",
                "warn",
                f"the database is at {', '.join(sorted(current))}, the code at "
                f"{', '.join(sorted(heads))}: run `afina migrate` "
                "(every afina process also migrates on start)",
            )

    # --- the model that answers --------------------------------------------------
    def backend(self) -> None:
        from bot.responder import choose_target

        s = self.settings
        how = (
            "MODEL_BACKEND"
            if s.model_backend
            else ("OPENAI_API_KEY is set" if s.backend == "openai" else "no OPENAI_API_KEY")
        )
        target = choose_target(s, self.active)
        version = f" (version #{target.version_id})" if target.version_id else ""
        answers = (
            "offline, from the closest accepted example"
            if s.backend == "examples"
            else f"answers as {target.model or '(no model set)'}{version}"
        )
        self.add("backend", "ok", f"{s.backend} ({how}) · {answers}")
        if self.active is not None and target.version_id is None:
            self.add(
                "backend",
                "warn",
                f"the active version #{self.active.id} ({self.active.provider}, "
                f"{self.active.model_id}) cannot be served by the {s.backend} backend, so "
                f"answers come from {target.model}: set MODEL_BACKEND to serve it",
            )
        if s.backend == "openai":
            self.openai_key("the openai backend")
            self.openai_endpoint(target.model)

    def _openai_base(self) -> str:
        return (self.settings.openai_base_url or f"https://{OPENAI_API_HOST}/v1").rstrip("/")

    def _talks_to_openai(self) -> bool:
        return urlsplit(self._openai_base()).hostname == OPENAI_API_HOST

    def openai_key(self, needed_by: str) -> None:
        """The key's shape, once, however many parts use it."""
        if any(c.name == "openai key" for c in self.checks):
            return
        key = _value(self.settings.openai_api_key)
        if not key:
            if self._talks_to_openai():
                self.add("openai key", "fail", f"{needed_by} needs OPENAI_API_KEY (sk-…)")
            else:
                self.add(
                    "openai key",
                    "ok",
                    "no OPENAI_API_KEY: fine for a server that does not ask for one",
                )
            return
        problem = _token_problem(key)
        if problem:
            self.add("openai key", "fail", f"OPENAI_API_KEY ({mask(key)}) {problem}")
        elif self._talks_to_openai() and not key.startswith("sk-"):
            self.add(
                "openai key",
                "fail",
                f"OPENAI_API_KEY ({mask(key)}) is not an OpenAI key: those start with sk-",
            )
        else:
            self.add("openai key", "ok", f"OPENAI_API_KEY {mask(key)}")

    def openai_endpoint(self, model: str) -> None:
        base = self._openai_base()
        problem = _url_problem(base)
        if problem:
            self.add("model endpoint", "fail", f"OPENAI_BASE_URL {problem}")
            return
        where = show_url(base)
        if not self.reach or any(
            c.name == "openai key" and c.status == "fail" for c in self.checks
        ):
            return  # a key already known to be wrong would only be refused again
        key = _value(self.settings.openai_api_key)
        headers = {"authorization": f"Bearer {key}"} if key else {}
        answer = _request(f"{base}/models", timeout_s=self.timeout_s, headers=headers)
        if isinstance(answer, str):
            self.add("model endpoint", "fail", f"{where} is unreachable: {answer}")
        elif answer.status in (401, 403):
            refused = "OPENAI_API_KEY was refused" if key else "it wants an OPENAI_API_KEY"
            self.add(
                "model endpoint", "fail", f"{where} answers, but {refused} (HTTP {answer.status})"
            )
        elif answer.status == 404:
            self.add("model endpoint", "warn", f"{where} answers, but has no /models (HTTP 404)")
        elif answer.status != 200:
            self.add("model endpoint", "fail", f"{where} answered HTTP {answer.status}")
        else:
            payload = answer.json()
            data = payload.get("data") if isinstance(payload, dict) else None
            ids = [str(m.get("id")) for m in data if isinstance(m, dict)] if data else []
            if ids and model and model not in ids:
                listed = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
                self.add(
                    "model endpoint",
                    "warn",
                    f"{where} is reachable but does not list {model} (it serves {listed})",
                )
            else:
                self.add(
                    "model endpoint", "ok", f"{where} · reachable · {_plural(len(ids), 'model')}"
                )

    # --- tuning -------------------------------------------------------------------
    def tuning(self) -> None:
        s = self.settings
        provider = s.tuning_provider
        if provider == "examples":
            self.add("tuning", "ok", "examples (offline retrieval index; no training)")
        elif provider == "openai":
            self.add("tuning", "ok", f"openai fine-tuning of {s.tuning_base_model}")
            self.openai_key("TUNING_PROVIDER=openai")
            self.add("tuning", *self._openai_deadline())
            if not any(c.name == "model endpoint" for c in self.checks):
                self.openai_endpoint("")  # the key is checked where the jobs will go
        else:
            self.add("tuning", "ok", "local (LoRA on this machine's GPU)")
        if s.lora_server_url:
            self.lora_server(s.lora_server_url)

    @staticmethod
    def _openai_deadline() -> tuple[Status, str]:
        when = OPENAI_FINE_TUNING_ENDS.isoformat()
        if date.today() >= OPENAI_FINE_TUNING_ENDS:
            return (
                "fail",
                f"OpenAI stopped accepting fine-tuning jobs on {when}: set TUNING_PROVIDER=local",
            )
        return (
            "warn",
            f"OpenAI stops accepting new fine-tuning jobs on {when}: "
            "consider TUNING_PROVIDER=local",
        )

    def lora_server(self, url: str) -> None:
        problem = _url_problem(url)
        if problem:
            self.add("lora server", "fail", f"LORA_SERVER_URL {problem}")
            return
        # The same rule as tuning.local.lora_server.base_url: with or without /v1, one server.
        base = url.rstrip("/").removesuffix("/v1")
        where = show_url(base)
        if not self.reach:
            self.add("lora server", "ok", f"{where} (not contacted)")
            return
        key = _value(self.settings.openai_api_key)
        headers = {"authorization": f"Bearer {key}"} if key else {}
        answer = _request(f"{base}/v1/models", timeout_s=self.timeout_s, headers=headers)
        if isinstance(answer, str):
            self.add("lora server", "fail", f"LORA_SERVER_URL {where} is unreachable: {answer}")
        elif answer.status in (401, 403):
            self.add(
                "lora server",
                "fail",
                f"{where} refused the request (HTTP {answer.status}): "
                "set OPENAI_API_KEY to its key",
            )
        elif answer.status != 200:
            self.add("lora server", "fail", f"{where} answered HTTP {answer.status}")
        else:
            self.add("lora server", "ok", f"{where} · reachable")

    def local_model(self) -> None:
        """The `local` extra and the base model, for the transformers backend or local tuning."""
        s = self.settings
        users = [
            who
            for who, uses in (
                ("MODEL_BACKEND=transformers", s.backend == "transformers"),
                ("TUNING_PROVIDER=local", s.tuning_provider == "local"),
            )
            if uses
        ]
        if not users:
            return
        modules = hf.TRAIN_MODULES if s.tuning_provider == "local" else hf.SERVE_MODULES
        missing = [name for name in modules if not _importable(name)]
        if missing:
            self.add(
                "local extra",
                "fail",
                f"{' and '.join(users)} need {', '.join(missing)}: {hf.INSTALL_HINT}",
            )
        else:
            self.add("local extra", "ok", f"{', '.join(modules)} installed")
        self.base_model(" and ".join(users))

    def base_model(self, needed_by: str) -> None:
        if not self.settings.local_base_model:
            self.add("base model", "fail", f"{needed_by} needs LOCAL_BASE_MODEL (a model folder)")
            return
        try:
            # The loader's own rules, so the doctor and a real start never disagree.
            source = hf.base_model_source(self.settings.local_base_model)
        except hf.LocalModelError as exc:
            self.add("base model", "fail", exc.message)
        except ImportError:  # a hub id, and no huggingface_hub to look in its cache
            self.add(
                "base model",
                "fail",
                f"LOCAL_BASE_MODEL={self.settings.local_base_model} looks like a hub id, and "
                f"the Hugging Face cache cannot be read without the `local` extra",
            )
        else:
            self.add("base model", "ok", f"LOCAL_BASE_MODEL {source}")

    # --- channels -----------------------------------------------------------------
    def slack(self) -> None:
        s = self.settings
        bot, app, signing = (
            _value(s.slack_bot_token),
            _value(s.slack_app_token),
            _value(s.slack_signing_secret),
        )
        if not (bot or app or signing):
            self.add("slack", "ok", "not configured (set SLACK_BOT_TOKEN to answer in Slack)")
            return
        fails = self._fails()
        if not bot:
            self.add("slack", "fail", "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token")
        else:
            self._shape("slack", "SLACK_BOT_TOKEN", bot, "xoxb-", "a bot token")
        if app:
            self._shape("slack", "SLACK_APP_TOKEN", app, "xapp-", "an app-level token")
            mode = "Socket Mode (SLACK_APP_TOKEN is set; no public URL needed)"
        else:
            mode = f"HTTP at /slack/events on port {s.port}"
            if not signing:
                self.add(
                    "slack",
                    "fail",
                    "HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)",
                )
        if signing and not _SLACK_SIGNING_SECRET.match(signing):
            self.add(
                "slack",
                "warn",
                f"SLACK_SIGNING_SECRET ({mask(signing)}) does not look like Slack's "
                "(32 hex characters): requests will fail verification",
            )
        api_problem = _url_problem(s.slack_api_url)
        if api_problem:
            self.add("slack", "fail", f"SLACK_API_URL {api_problem}")
        if self._fails() == fails:
            self.add("slack", "ok", f"{mode} · bot token {mask(bot)}")
            if self.reach:
                self.slack_auth(bot)

    def _shape(self, name: str, variable: str, value: str, prefix: str, kind: str) -> None:
        problem = _token_problem(value)
        if problem:
            self.add(name, "fail", f"{variable} ({mask(value)}) {problem}")
        elif not value.startswith(prefix):
            self.add(
                name,
                "fail",
                f"{variable} ({mask(value)}) is not {kind} (those start with {prefix})",
            )

    def slack_auth(self, token: str) -> None:
        url = self.settings.slack_api_url.rstrip("/") + "/auth.test"
        answer = _request(
            url,
            method="POST",
            timeout_s=self.timeout_s,
            headers={
                "authorization": f"Bearer {token}",
                "content-type": "application/x-www-form-urlencoded",
            },
        )
        where = show_url(self.settings.slack_api_url)
        if isinstance(answer, str):
            self.add("slack", "fail", f"Slack API at {where} is unreachable: {answer}")
            return
        payload = answer.json()
        if answer.status != 200 or not isinstance(payload, dict):
            self.add("slack", "fail", f"Slack's auth.test answered HTTP {answer.status}")
        elif not payload.get("ok"):
            # Slack's error codes (invalid_auth, token_revoked, …) hold nothing secret.
            error = re.sub(r"[^a-z_]", "", str(payload.get("error", "")))[:40] or "unknown"
            self.add("slack", "fail", f"Slack refused SLACK_BOT_TOKEN ({error})")
        else:
            self.add(
                "slack",
                "ok",
                f"auth.test: bot @{payload.get('user', '?')} in {payload.get('team', '?')}",
            )

    def telegram(self) -> None:
        s = self.settings
        token = _value(s.telegram_bot_token)
        secret = _value(s.telegram_webhook_secret)
        if not (token or s.telegram_webhook_url or secret):
            self.add("telegram", "ok", "not configured (set TELEGRAM_BOT_TOKEN to use Telegram)")
            return
        fails = self._fails()
        slip = _token_problem(token)
        if not token:
            self.add("telegram", "fail", "TELEGRAM_BOT_TOKEN is not set: ask @BotFather for one")
        elif slip:
            self.add("telegram", "fail", f"TELEGRAM_BOT_TOKEN ({mask(token)}) {slip}")
        elif not _TELEGRAM_TOKEN.match(token):
            self.add(
                "telegram",
                "fail",
                f"TELEGRAM_BOT_TOKEN ({mask(token)}) is not shaped like @BotFather's "
                "123456789:ABC-… (digits, a colon, letters)",
            )
        mode = "long polling (no TELEGRAM_WEBHOOK_URL)"
        if s.telegram_webhook_url:
            mode = f"webhook {show_url(s.telegram_webhook_url)}"
            self.telegram_webhook(s.telegram_webhook_url, secret)
        api_problem = _url_problem(s.telegram_api_url)
        if api_problem:
            self.add("telegram", "fail", f"TELEGRAM_API_URL {api_problem}")
        if self._fails() == fails:
            self.add("telegram", "ok", f"{mode} · bot token {mask(token)}")
            if self.reach:
                self.telegram_auth(token)

    def telegram_webhook(self, url: str, secret: str) -> None:
        problem = _url_problem(url)
        parts = urlsplit(url)
        if problem:
            self.add("telegram", "fail", f"TELEGRAM_WEBHOOK_URL {problem}")
        elif parts.scheme != "https":
            self.add(
                "telegram",
                "fail",
                "TELEGRAM_WEBHOOK_URL must be https://: Telegram delivers only over TLS",
            )
        elif (parts.port or 443) not in _TELEGRAM_WEBHOOK_PORTS:
            self.add(
                "telegram",
                "fail",
                f"TELEGRAM_WEBHOOK_URL uses port {parts.port}: Telegram delivers only to "
                "443, 80, 88 or 8443",
            )
        if not secret:
            self.add("telegram", "fail", "webhook mode needs TELEGRAM_WEBHOOK_SECRET")
        elif not _TELEGRAM_SECRET.match(secret):
            self.add(
                "telegram",
                "fail",
                f"TELEGRAM_WEBHOOK_SECRET ({mask(secret)}) may only use letters, digits, _ and - "
                "(1-256 characters)",
            )

    def telegram_auth(self, token: str) -> None:
        # The token is part of the URL, so neither the URL nor the exception is ever shown.
        answer = _request(
            f"{self.settings.telegram_api_url}{token}/getMe", timeout_s=self.timeout_s
        )
        where = show_url(self.settings.telegram_api_url)
        if isinstance(answer, str):
            self.add("telegram", "fail", f"Bot API at {where} is unreachable: {answer}")
            return
        payload = answer.json()
        if answer.status in (401, 404):
            # The Bot API answers 401 for a revoked token and 404 for one it cannot parse.
            self.add(
                "telegram", "fail", f"Telegram refused TELEGRAM_BOT_TOKEN (HTTP {answer.status})"
            )
        elif answer.status != 200 or not isinstance(payload, dict) or not payload.get("ok"):
            self.add("telegram", "fail", f"Telegram's getMe answered HTTP {answer.status}")
        else:
            result = payload.get("result") or {}
            self.add("telegram", "ok", f"getMe: @{result.get('username', '?')}")

    # --- schedule -----------------------------------------------------------------
    def schedule(self) -> None:
        from apscheduler.triggers.cron import CronTrigger

        expression = self.settings.retrain_cron
        try:
            trigger = CronTrigger.from_crontab(expression)
        except ValueError as exc:
            self.add("schedule", "fail", f"RETRAIN_CRON={expression!r} is not a cron line: {exc}")
            return
        upcoming = trigger.get_next_fire_time(None, datetime.now(trigger.timezone))
        when = f"next {upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "never fires"
        self.add(
            "schedule",
            "ok",
            f"retrain at RETRAIN_CRON={expression!r} ({when}) when "
            f"{self.settings.retrain_min_new_examples}+ examples are new",
        )


def _importable(name: str) -> bool:
    """Installed, without importing it: torch takes seconds and gigabytes to import."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False
