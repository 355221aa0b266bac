"""BM25 sparse index (bm25s) over chunk texts, keyed by chunk id.

bm25s has no incremental add, so the index is rebuilt from the store's chunks when they
change; that takes about a second per 10k chunks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class SparseIndex:
    def __init__(self, retriever, ids: np.ndarray) -> None:
        self.retriever = retriever
        self.ids = ids

    @classmethod
    def build(cls, texts: list[str], ids: np.ndarray) -> "SparseIndex":
        import bm25s

        retriever = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(texts, stopwords="en", show_progress=False)
            retriever.index(tokens, show_progress=False)
        return cls(retriever, np.asarray(ids, dtype=np.int64))

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        import bm25s

        if len(self.ids) == 0 or k <= 0:
            return []
        words = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
        vocab = self.retriever.vocab_dict or {}
        words = [w for w in words if w in vocab]
        if not words:
            return []
        mask = None
        if allowed is not None:
            mask = np.isin(self.ids, allowed).astype(np.float32)
            if not mask.any():
                return []
        try:
            docs, scores = self.retriever.retrieve(
                [words], k=min(k, len(self.ids)), show_progress=False, weight_mask=mask, n_threads=1
            )
        except ValueError:
            return []
        return [(int(self.ids[d]), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if len(self.ids):
            self.retriever.save(str(folder), show_progress=False)
        np.save(folder / "ids.npy", self.ids)

    @classmethod
    def load(cls, folder: Path) -> "SparseIndex":
        import bm25s

        ids = np.load(folder / "ids.npy")
        retriever = bm25s.BM25.load(str(folder), show_progress=False) if len(ids) else bm25s.BM25()
        return cls(retriever, ids)
