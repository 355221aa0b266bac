"""The embedder base: a backend implements ``embed_batch`` (and ``count_tokens`` for chunking); batching,
normalisation and progress live here."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Sequence

import numpy as np

from ...runtime import map_batches, progress_bar


class Embedder(ABC):
    """Base: subclasses implement ``embed_batch``; ``embed`` batches, normalises and shows progress."""

    name: str
    dim: int
    backend: str = "torch"
    preferred_batch: int | None = None  # a backend's own best batch size, overriding the configured one
    workers: int = 1  # batches embedded at once
    batch_invariant: bool = True  # a text's vector does not depend on the other texts of its batch

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Raw vectors for one batch; batching, ordering and normalisation are done by `embed`."""

    @abstractmethod
    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens of each text under the model's tokenizer, without special tokens."""

    def stored(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors of those of ``texts`` that are at hand without running the model, by text: none here; a
        cache's (:class:`~briefkit.index.embedders.cached.CachedEmbedder`)."""
        return {}

    def embed(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False, bar: Any = None,
              per_text: bool = False) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text.

        Texts are sorted by length so that a batch pads little; a backend with ``workers`` > 1
        runs that many batches at once (its ``embed_batch`` must then be thread-safe). ``bar``: a
        progress bar of the caller's to advance (and leave open) instead of a new one. ``per_text``:
        each text in a batch of its own, so that its vector depends on it alone (see ``batch_invariant``).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch_size = 1 if per_text else self.preferred_batch or batch_size
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        own_bar = bar is None
        bar = progress_bar(progress, len(texts), "embedding", "chunk") if own_bar else bar

        def run(start: int) -> None:
            idx = order[start : start + batch_size]
            vecs = np.asarray(self.embed_batch([texts[i] for i in idx]), dtype=np.float32)
            out[idx] = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            bar.update(len(idx))

        map_batches(run, range(0, len(texts), batch_size), self.workers)
        if own_bar:
            bar.close()
        return out
