"""Assembling the core once per process: settings → engine → migrations → responder."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot import index_snapshot, store
from bot.backends.base import ModelBackend
from bot.config import Settings, get_settings
from bot.db import engine_for, migrate, session_scope
from bot.embeddings import make_embedder
from bot.knowledge import Knowledge
from bot.posts import PostLog
from bot.questions import Questions
from bot.responder import Responder

if TYPE_CHECKING:
    from bot.desk.desk import Desk

logger = logging.getLogger(__name__)


@dataclass
class Core:
    settings: Settings
    engine: Engine
    knowledge: Knowledge
    responder: Responder
    # `bot.warmup`: the thread loading what answering needs, started once per process.
    warming: threading.Thread | None = field(default=None, repr=False, compare=False)
    warming_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def warm_up(self) -> threading.Thread:
        """Load what answering needs in the background (`bot.warmup`); once per core."""
        from bot import warmup

        return warmup.start(self)

    @property
    def posts(self) -> PostLog:
        """Where answers were posted; the responder writes them along with its next answer."""
        return self.responder.posts

    @property
    def questions(self) -> Questions:
        """This process's claims on the questions it answers (`bot.questions`)."""
        return self.responder.questions

    @cached_property
    def desk(self) -> Desk:
        """The review desk (its channels' parts are made on first use)."""
        from bot.desk.desk import Desk

        return Desk(self)


def build_core(settings: Settings | None = None) -> Core:
    """Settings → engine → migrations → knowledge → responder. Never seeds any data:
    the demo brand loads only when asked (`afina demo`)."""
    settings = settings or get_settings()
    engine = engine_for(settings)
    migrate(engine)
    embedder = make_embedder(settings)
    snapshot = None
    if settings.index_snapshot:
        snapshot = index_snapshot.path_for(
            settings.afina_home, settings.resolved_database_url, embedder.tag if embedder else None
        )
    knowledge = Knowledge(engine, embedder, snapshot=snapshot)
    backends = BackendCache(settings, knowledge)
    responder = Responder(
        settings=settings, engine=engine, knowledge=knowledge, backends=backends.get
    )
    return Core(settings=settings, engine=engine, knowledge=knowledge, responder=responder)


class BackendCache:
    """Makes each backend once, on first use, so the offline bot never imports what it won't use."""

    def __init__(self, settings: Settings, knowledge: Knowledge) -> None:
        self.settings = settings
        self.knowledge = knowledge

    @cache  # noqa: B019  (one BackendCache per process; the cache is the point)
    def get(self, name: str) -> ModelBackend:
        if name == "openai":
            from bot.backends.openai_chat import OpenAIChat

            return OpenAIChat(self.settings)
        if name == "together":  # versions trained at Together, on its OpenAI-compatible API
            from bot.backends.openai_chat import OpenAIChat, client_for

            settings = self.settings
            client = client_for(settings, settings.together_base_url, settings.together_api_key)
            return OpenAIChat(settings, client=client)
        if name == "examples":
            from bot.backends.examples import ExamplesBackend

            return ExamplesBackend(self.knowledge, self.settings)
        if name == "transformers":
            from bot.backends.transformers_chat import TransformersChat

            return TransformersChat(self.settings, find_adapter=self.adapter_path)
        raise ValueError(f"unknown model backend {name!r}")

    def adapter_path(self, model_id: str) -> str | None:
        """Where the version answering as `model_id` keeps its LoRA adapter, if it has one."""
        with session_scope(self.knowledge.engine) as session:
            version = store.version_by_model_id(session, model_id=model_id)
            return version.artifact_path if version else None
