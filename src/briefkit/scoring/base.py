"""What a support scorer is, and coverage verdicts from any scorer.

A scorer maps (text, claim) pairs, the text a summary bullet or an evidence sentence, to the probabilities
of NONE, PARTIAL and FULL (columns in :data:`LABELS` order). :func:`cover` turns them into one verdict per
claim: the label of its best text, which is what SummHay scoring needs. Implementations:
:mod:`.learned` (the default when its weights load) and :mod:`.cosine` (the documented fallback);
:func:`briefkit.scoring.load.load_support_scorer` chooses. Nothing here trains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

LABELS = ("NONE", "PARTIAL", "FULL")  # column order of every probabilities() array


@dataclass
class Match:
    label: str
    bullet: int | None
    score: float


@runtime_checkable
class SupportScorer(Protocol):
    name: str

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """pairs of (evidence_or_bullet_text, claim_text) → array (n, 3): P(NONE), P(PARTIAL), P(FULL)."""
        ...


def expected_points(probs: np.ndarray) -> np.ndarray:
    """SummHay points expected under ``probs``: P(FULL) + 0.5 P(PARTIAL)."""
    return probs[:, 2] + 0.5 * probs[:, 1] if len(probs) else np.zeros(0)


_WORD = re.compile(r"\w+")


def shortlist(claim: str, texts: list[str], k: int | None) -> list[int]:
    """Indices of the ``k`` texts sharing the most words with ``claim`` (all when ``k`` is None).

    A cheap first stage for costly scorers: a text that shares fewer words with the claim
    than k others is almost never its best cover.
    """
    if k is None or len(texts) <= k:
        return list(range(len(texts)))
    words = set(_WORD.findall(claim.lower()))
    overlap = [len(words & set(_WORD.findall(t.lower()))) for t in texts]
    return sorted(sorted(range(len(texts)), key=lambda j: -overlap[j])[:k])


def candidate_pairs(scorer: SupportScorer, claims: list[str], texts: list[str]) -> list[list[int]]:
    """Per claim, the texts the scorer will judge (its ``shortlist`` attribute, if any)."""
    k = getattr(scorer, "shortlist", None)
    return [shortlist(c, texts, k) for c in claims]


def best_cover(probs: np.ndarray, candidates: list[int], bias: np.ndarray | None = None) -> Match:
    """The verdict for one claim from its candidates' (n, 3) probabilities: the arg-max label of
    the candidate with the highest expected points (``bias`` is added to the log-probabilities)."""
    if not candidates:
        return Match("NONE", None, 0.0)
    if bias is not None:
        z = np.log(np.clip(probs, 1e-9, None)) + bias
        probs = np.exp(z - z.max(axis=1, keepdims=True))
        probs = probs / probs.sum(axis=1, keepdims=True)
    points = expected_points(probs)
    j = int(np.argmax(points))
    label = LABELS[int(np.argmax(probs[j]))]
    return Match(label, candidates[j] if label != "NONE" else None, float(points[j]))


def cover(scorer: SupportScorer, claims: list[str], texts: list[str]) -> list[Match]:
    """Coverage of each claim by a list of texts (bullets): the label of the best text.

    The (text, claim) pairs are scored (a costly scorer sees only its shortlist); the text with
    the highest expected points covers the claim, and its arg-max label is the verdict
    (``Match.score`` = its expected points).
    """
    if not texts or not claims:
        return [Match("NONE", None, 0.0) for _ in claims]
    cands = candidate_pairs(scorer, claims, texts)
    pairs = [(texts[j], c) for c, js in zip(claims, cands) for j in js]
    probs = scorer.probabilities(pairs)
    out, at = [], 0
    for js in cands:
        out.append(best_cover(probs[at:at + len(js)], js))
        at += len(js)
    return out


class ScorerCoverage:
    """Adapter: the ``score(facts, bullets)`` interface the evaluation code uses, over any SupportScorer."""

    def __init__(self, scorer: SupportScorer) -> None:
        self.scorer = scorer
        self.name = scorer.name

    def score(self, facts: list[str], bullets: list[str]) -> list[Match]:
        return cover(self.scorer, facts, bullets)
