"""An embedder that remembers its vectors: :class:`CachedEmbedder` wraps another and keeps every text's vector in
a :class:`~briefkit.index.vector_cache.VectorCache`, so the sentences a corpus's summaries and answers embed again
and again are embedded once per home (and embedder)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

import numpy as np

from ..vector_cache import VectorCache, text_key
from .base import Embedder
from .models import model_fingerprint, resolve_embedder


def identity(embedder: Embedder) -> str:
    """What an embedder's vectors depend on, hashed: model name, backend, dimension, truncation length and the
    model folder's fingerprint (so torch, onnx and onnx-int8 vectors, or those of replaced weights, never mix)."""
    parts = [embedder.name, embedder.backend, embedder.dim, getattr(embedder, "max_tokens", None),
             model_fingerprint(resolve_embedder(embedder.name)[1])]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


class CachedEmbedder(Embedder):
    """``inner``'s vectors, read from ``cache`` where stored; the rest are embedded by ``inner`` in one call and
    stored in one transaction. A cache that cannot be used only costs speed (see :mod:`..vector_cache`)."""

    def __init__(self, inner: Embedder, cache: VectorCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name, self.dim, self.backend = inner.name, inner.dim, inner.backend
        self.model = identity(inner)

    def embed(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False, bar: Any = None,
              per_text: bool = False) -> np.ndarray:
        """What ``inner.embed(texts)`` returns (one unit-normalised float32 row per text, in order), embedding
        only the texts not in the cache; ``bar`` advances by every text, cached or not.

        An embedder whose vectors move with their batch (onnx-int8: not ``batch_invariant``) embeds each text
        alone (``per_text``), so that a text's vector never depends on what was embedded with it or before it."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        found = self.stored(texts)
        misses = [t for t in dict.fromkeys(texts) if t not in found]
        if misses:
            fresh = self.inner.embed(misses, batch_size=batch_size, progress=progress, bar=bar,
                                     per_text=per_text or not self.inner.batch_invariant)
            self.cache.put(self.model, {text_key(t): v for t, v in zip(misses, fresh)})
            found.update(zip(misses, fresh))
        if bar is not None:
            bar.update(len(texts) - len(misses))
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def stored(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of ``texts``, by text (nothing is embedded)."""
        keys = {t: text_key(t) for t in dict.fromkeys(texts)}
        found = self.cache.get(self.model, list(keys.values()), self.dim)
        return {t: found[k] for t, k in keys.items() if k in found}

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """``inner``'s raw vectors, not cached (``embed`` is the cached path)."""
        return self.inner.embed_batch(texts)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_tokens(texts)


def uncached(embedder: Embedder) -> Embedder:
    """The embedder that computes ``embedder``'s vectors (itself unless it is a :class:`CachedEmbedder`)."""
    return embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
