"""Model versions: which one answers, promotion and rollback.

Every version stays: provider, model id, base model, the version it replaced
(`parent_id`), the run that made it and its gate scores. Activating a version
first calls the provider's optional `activate` hook (the self-hosted provider
loads the adapter into its server there), then flips the active flag in one
transaction. The responder reads the active version on every answer, so the
switch takes effect with the next question, in every process.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from bot import store
from bot.app import Core
from bot.db import session_scope
from bot.errors import BadInput
from bot.tables import ModelVersion
from tuning.providers import get_provider
from tuning.providers.base import Provider

ProviderFactory = Callable[[str], Provider]


def _default_factory(core: Core) -> ProviderFactory:
    return lambda name: get_provider(name, core.settings, core)


def activate(
    core: Core, version_id: int, *, providers: ProviderFactory | None = None
) -> ModelVersion:
    """Make `version_id` the one that answers, after its provider has made it servable."""
    with session_scope(core.engine) as session:
        version = store.get_version(session, version_id=version_id)
    make_servable((providers or _default_factory(core))(version.provider), version)
    with session_scope(core.engine) as session:
        return store.activate_version(session, version_id=version_id)


def make_servable(provider: Provider, version: ModelVersion) -> None:
    """Call the provider's optional `activate` hook (see `base.Activates`) for `version`.

    The documented form is `activate(version)`; a provider may instead take the
    two fields it needs, `activate(model_id, artifact_path)`, as the self-hosted
    provider does.
    """
    hook = getattr(provider, "activate", None)
    if hook is None:
        return
    if len(inspect.signature(hook).parameters) >= 2:
        hook(version.model_id, version.artifact_path)
    else:
        hook(version)


def promote(
    core: Core, version_id: int, *, providers: ProviderFactory | None = None
) -> ModelVersion:
    with session_scope(core.engine) as session:
        version = store.get_version(session, version_id=version_id)
        if version.active:
            raise BadInput(f"Version {version_id} ({version.model_id}) is already active.")
    return activate(core, version_id, providers=providers)


def rollback(
    core: Core, *, providers: ProviderFactory | None = None
) -> tuple[ModelVersion, ModelVersion]:
    """Go back to the version the active one replaced; returns (was active, now active)."""
    with session_scope(core.engine) as session:
        current = store.active_version(session)
        if current is None:
            raise BadInput("No version is active, so there is nothing to roll back.")
        if current.parent_id is None:
            raise BadInput(
                f"Version {current.id} ({current.model_id}) replaced nothing: "
                "there is no earlier version to roll back to. `afina models` lists them."
            )
        parent_id = current.parent_id
    return current, activate(core, parent_id, providers=providers)
