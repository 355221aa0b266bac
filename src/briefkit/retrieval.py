"""Retrieval over a :class:`SearchIndex`: dense, BM25 or hybrid (reciprocal rank fusion),
with optional MMR diversity and date/source filters.

Results are :class:`Passage` objects with the chunk's text and document metadata. Each
passage also carries its dense cosine to the query (``relevance``), which callers use to
decide whether anything relevant was found at all.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import zip_longest
from typing import Callable

import numpy as np

from .corpus.store import ChunkRecord, Store
from .errors import BadInput
from .index.embedders.base import Embedder
from .index.search_index import SearchIndex


@dataclass
class Passage:
    doc_id: str
    chunk_id: int
    title: str | None
    source: str | None
    date: str | None
    score: float
    text: str
    relevance: float = 0.0
    start: int = 0  # offset of ``text`` in the document's stored text

    @classmethod
    def of_chunk(cls, chunk: ChunkRecord, score: float = 0.0, relevance: float = 0.0) -> "Passage":
        """A stored chunk as a passage, with its search score and dense relevance."""
        return cls(chunk.doc_id, chunk.chunk_id, chunk.title, chunk.source, chunk.date, score, chunk.text, relevance,
                   chunk.start)

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 6)
        data["relevance"] = round(self.relevance, 6)
        return data


def rrf_fuse(rankings: list[list[int]], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score(id) = sum over rankings of 1 / (k + rank), rank from 1."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def on_cosine_scale(scores: np.ndarray, cosines: np.ndarray) -> np.ndarray:
    """``scores`` (a fused or BM25 ranking's) mapped linearly onto the range of ``cosines``: the ranking's order on
    the scale of MMR's redundancy term, a cosine. Equal scores all map to the highest cosine."""
    span = float(scores.max() - scores.min())
    if span <= 0:
        return np.full(len(scores), float(cosines.max()))
    return cosines.min() + (cosines.max() - cosines.min()) * (scores - scores.min()) / span


def alternate(lists: list[list[int]]) -> list[int]:
    """The items of ``lists`` taken in turn (the first list's first, the second's first, ...), each once."""
    return list(dict.fromkeys(item for row in zip_longest(*lists) for item in row if item is not None))


def mmr_select(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float, groups: list[str] | None = None,
               group_penalty: float = 0.0) -> list[int]:
    """Maximal marginal relevance: pick ``k`` rows balancing each row's ``relevance`` against its highest cosine to
    the rows already picked.

    ``groups`` (e.g. doc ids) with ``group_penalty`` > 0 additionally discourage picking a
    second row from a group already chosen.
    """
    n = len(vectors)
    if n == 0:
        return []
    rel = np.asarray(relevance, dtype=float)
    chosen: list[int] = []
    sim_to_chosen = np.full(n, -np.inf)
    for _ in range(min(k, n)):
        redundancy = np.where(np.isfinite(sim_to_chosen), sim_to_chosen, 0.0)
        score = lam * rel - (1 - lam) * redundancy
        if groups is not None and group_penalty:
            taken = {groups[c] for c in chosen}
            score = score - group_penalty * np.array([g in taken for g in groups], dtype=float)
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        sim_to_chosen = np.maximum(sim_to_chosen, vectors @ vectors[best])
    return chosen


class Retriever:
    """Searches one index; the embedder is loaded (through ``embedder()``) only when a query needs a vector."""

    def __init__(self, index: SearchIndex, store: Store, embedder: Callable[[], Embedder]) -> None:
        self.index = index
        self.store = store
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    def neighbours(self, vectors: np.ndarray, k: int, since: str | None = None, until: str | None = None,
                   source: str | None = None) -> list[list[Passage]]:
        """The ``k`` passages closest to each row of ``vectors`` (texts the caller embedded with this retriever's
        embedder), by dense search alone, in one index call and one store read; no MMR, no BM25."""
        allowed = self.store.filtered_chunk_ids(since, until, source) if since or until or source else None
        hits = self.index.dense.search_many(vectors, k, allowed)
        ids = sorted({i for row in hits for i, _ in row})
        records = {r.chunk_id: r for r in self.store.chunks(ids)}
        stored = dict(zip(ids, self.index.dense.vectors(ids)))
        return [[Passage.of_chunk(records[i], score, float(stored[i] @ vec)) for i, score in row if i in records]
                for vec, row in zip(vectors, hits)]

    def search(
        self,
        query: str,
        k: int = 8,
        mode: str = "hybrid",
        candidates: int = 50,
        rrf_k: int = 60,
        mmr: bool = False,
        mmr_lambda: float = 0.7,
        doc_penalty: float = 0.0,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
        vector: np.ndarray | None = None,
        mmr_by: str = "cosine",
    ) -> list[Passage]:
        """Top ``k`` passages for ``query``; ``vector``: its embedding, when the caller already has it from
        this retriever's embedder. With ``mmr`` or ``doc_penalty``, MMR picks the ``k`` from the mode's best hits
        by ``mmr_by``: their dense cosine to the query, the mode's own ranking (for hybrid, the fused one), or both
        (MMR picks half the ``k``, rounded up, by each, taken in turn, the cosine's first; a passage both pick
        comes once, so there may be fewer than ``k``)."""
        if not query.strip():
            raise BadInput("the query is empty")
        if mode not in {"hybrid", "dense", "bm25"}:
            raise BadInput(f"unknown search mode {mode!r}; use hybrid, dense or bm25")
        if mmr_by not in {"cosine", "ranking", "both"}:
            raise BadInput(f"unknown MMR relevance {mmr_by!r}; use cosine, ranking or both")
        allowed = None
        if since or until or source:
            allowed = self.store.filtered_chunk_ids(since, until, source)
        pool = max(candidates, k * 4 if mmr or doc_penalty else k)
        needs_vector = mode != "bm25" or mmr or doc_penalty
        qvec = (vector if vector is not None else self.embedder.embed([query])[0]) if needs_vector else None
        dense_hits = self.index.dense.search(qvec, pool, allowed) if mode != "bm25" else []
        sparse_hits = self.index.sparse.search(query, pool, allowed) if mode != "dense" else []
        if mode == "dense":
            ranked = dense_hits
        elif mode == "bm25":
            ranked = sparse_hits
        else:
            ranked = rrf_fuse([[i for i, _ in dense_hits], [i for i, _ in sparse_hits]], rrf_k)[:pool]
        if not ranked:
            return []
        ids = [i for i, _ in ranked]
        scores = dict(ranked)
        vectors = self.index.dense.vectors(ids) if qvec is not None else None
        relevance = vectors @ qvec if qvec is not None else np.zeros(len(ids))  # BM25 alone: no dense score
        records = {r.chunk_id: r for r in self.store.chunks(ids)}  # one read serves MMR and the results
        if mmr or doc_penalty:
            keep = [n for n, i in enumerate(ids) if i in records]
            orders = ("cosine", "ranking") if mmr_by == "both" else (mmr_by,)
            if mode == "dense":  # its own ranking is the cosine's: one MMR serves
                orders = ("cosine",)
            cosines, pool_vectors, docs = relevance[keep], vectors[keep], [records[ids[n]].doc_id for n in keep]
            picks = []
            for order_by in orders:  # what MMR ranks by: the dense cosines, or the mode's own scores on their scale
                by = cosines
                if order_by == "ranking" and keep:
                    by = on_cosine_scale(np.array([scores[ids[n]] for n in keep]), cosines)
                order = mmr_select(by, pool_vectors, math.ceil(k / len(orders)), mmr_lambda if mmr else 1.0,
                                   groups=docs, group_penalty=doc_penalty)
                picks.append([keep[o] for o in order])
            picked = alternate(picks)[:k]
        else:
            picked = list(range(min(k, len(ids))))
        out = []
        for p in picked:
            rec = records.get(ids[p])
            if rec is None:
                continue
            out.append(Passage.of_chunk(rec, scores[ids[p]], float(relevance[p])))
        return out
