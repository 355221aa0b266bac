"""Retrieval metrics: precision@k over distinct documents."""

from __future__ import annotations

from ..retrieval import Passage


def distinct_docs(passages: list[Passage], k: int) -> list[str]:
    """The first ``k`` distinct document ids in ranking order."""
    return list(dict.fromkeys(p.doc_id for p in passages))[:k]


def precision_at_k(ranked_docs: list[str], relevant: set[str], k: int) -> float:
    """Share of the top ``k`` documents that are relevant (denominator ``k``)."""
    if k <= 0:
        raise ValueError("k must be positive")
    return sum(1 for d in ranked_docs[:k] if d in relevant) / k
