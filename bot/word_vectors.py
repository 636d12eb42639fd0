"""Single words' embeddings, for telling a word of the other language from a foreign one.

"Do you sell gift cards?" asked of "¿Vendéis tarjetas regalo?" spells none of the
example's words, so every word is weighed by its lift (`bot.foreign`), and some lift
by chance: the plainest translation was held back. Embedded alone, a word and its
translation sit close ("gift" / "regalo", "Sundays" / "domingos"); a word the example does
not speak of sits no closer to its words than to any other ("Canary", "stolen").

A word's vector never changes, so each is embedded once per process (the question's
few and the matched example's, a handful of milliseconds each on first sight).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from bot.embeddings import Embedder, EmbeddingError

CACHE = 20_000  # words kept (384 float32 each: about 30 MiB at most)


class WordVectors:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, words: Sequence[str]) -> np.ndarray | None:
        """(n, dim) L2-normalised vectors of these words, each embedded as a query; None if
        the embedder failed."""
        if not words:
            return None
        with self._lock:
            known = {w: self._cache[w] for w in words if w in self._cache}
        missing = [w for w in dict.fromkeys(words) if w not in known]
        if missing:
            try:
                made = self.embedder.queries(missing)
            except EmbeddingError:
                return None
            fresh = dict(zip(missing, made, strict=True))
            known.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > CACHE:
                    self._cache.popitem(last=False)
        return np.stack([known[w] for w in words])
