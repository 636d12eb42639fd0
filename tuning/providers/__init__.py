"""Fine-tuning providers behind one interface (see `base.Provider`), found by name.

`examples` (offline retrieval index), `openai` (hosted fine-tuning jobs on any
OpenAI-compatible API), `together` (hosted LoRA on Together AI, served on its
OpenAI-compatible endpoint) and `local` (LoRA on your own GPU,
`tuning.local.provider`, imported only when asked for so torch never loads for
the others).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import BadInput
from tuning.providers.base import Provider

if TYPE_CHECKING:
    from bot.app import Core

NAMES = ("examples", "openai", "together", "local")


def get_provider(name: str, settings: Settings, core: Core) -> Provider:
    """The provider called `name`, ready to start, poll and cancel jobs."""
    if name == "examples":
        from tuning.providers.examples import ExamplesProvider

        return ExamplesProvider(core.knowledge)
    if name == "openai":
        from tuning.providers.openai_ft import OpenAIProvider

        return OpenAIProvider(settings)
    if name == "together":
        from tuning.providers.together import TogetherProvider

        return TogetherProvider(settings)
    if name == "local":
        try:
            from tuning.local.provider import LocalProvider  # type: ignore[import-not-found,unused-ignore]
        except ModuleNotFoundError as exc:
            if exc.name and not exc.name.startswith("tuning"):
                raise BadInput(
                    f"The local provider needs {exc.name}: install the extra with "
                    "`uv pip install -e '.[local]'` (see README)."
                ) from None
            raise BadInput(
                "The local provider is not part of this installation yet: "
                "use --provider together, openai or examples."
            ) from None
        provider: Provider = LocalProvider(settings)
        return provider
    raise BadInput(f"Unknown provider '{name}'. Available: {', '.join(NAMES)}.")
