"""Support scorers: does a text (a summary bullet, an evidence sentence) cover or support a claim?

One interface for every verdict briefkit makes about coverage or support: a scorer maps
(evidence_or_bullet_text, claim_text) pairs to probabilities of NONE, PARTIAL and FULL.
Two implementations: the learned cross-encoder (:mod:`.checker`, the default when its
weights load) and the cosine scorer (MiniLM cosine plus key-term overlap, the documented
fallback). :func:`cover` turns pair probabilities into one coverage verdict per claim
(the best bullet), which is what SummHay scoring needs. This module does not train.
"""

from __future__ import annotations

import re
import sys
from typing import Protocol, runtime_checkable

import numpy as np

from .coverage import CoverageScorer, Match, T_FULL, T_PARTIAL, _features

LABELS = ("NONE", "PARTIAL", "FULL")  # column order of every probabilities() array
KINDS = ("auto", "learned", "cosine")


@runtime_checkable
class SupportScorer(Protocol):
    name: str

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """pairs of (evidence_or_bullet_text, claim_text) → array (n, 3): P(NONE), P(PARTIAL), P(FULL)."""
        ...


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class CosineSupportScorer:
    """The calibrated cosine scorer, its score mapped to a probability-like 3-vector.

    P(at least PARTIAL) and P(FULL) are logistic curves centred on the calibrated
    thresholds (width ``spread``); a number or negation conflict caps P(FULL) at a tenth,
    so the arg-max agrees with :meth:`CoverageScorer.label`. The values are not calibrated
    probabilities: they only order pairs and reproduce the thresholded labels.
    """

    name = "cosine"

    def __init__(self, embedder=None, t_full: float = T_FULL, t_partial: float = T_PARTIAL, spread: float = 0.04) -> None:
        if embedder is None:
            from ..config import Settings
            from ..index.embedder import load_embedder

            embedder = load_embedder(Settings().index.embedder)
        self.coverage = CoverageScorer(embedder, t_full, t_partial)
        self.spread = spread

    def scores(self, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Combined cosine score and conflict flag of each pair (the old scorer's raw numbers)."""
        if not pairs:
            return np.zeros(0), np.zeros(0, dtype=bool)
        pairs = [(t or "", c or "") for t, c in pairs]
        texts = [t or " " for t, _ in pairs]
        claims = [c or " " for _, c in pairs]
        a, b = self.coverage._vectors(texts), self.coverage._vectors(claims)
        sims = np.einsum("ij,ij->i", a, b)
        out, conflicts = np.zeros(len(pairs)), np.zeros(len(pairs), dtype=bool)
        for i, (text, claim) in enumerate(pairs):
            if not text.strip() or not claim.strip():
                continue  # nothing covers, or nothing to cover: score 0
            recall, conflict = _features(claim, text)
            out[i] = float(sims[i]) * (0.7 + 0.3 * recall) * (0.85 if conflict else 1.0)
            conflicts[i] = conflict
        return out, conflicts

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        if not pairs:
            return np.zeros((0, 3))
        pairs = [(t or "", c or "") for t, c in pairs]
        score, conflict = self.scores(pairs)
        p_any = _sigmoid((score - self.coverage.t_partial) / self.spread)
        p_full = np.minimum(_sigmoid((score - self.coverage.t_full) / self.spread), p_any)
        p_full = np.where(conflict, np.minimum(p_full, 0.1 * p_any), p_full)
        blank = np.array([not t.strip() or not c.strip() for t, c in pairs], dtype=bool)
        p_any, p_full = np.where(blank, 0.0, p_any), np.where(blank, 0.0, p_full)  # nothing covers: certain NONE
        return np.stack([1.0 - p_any, p_any - p_full, p_full], axis=1)


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


_LOADED: dict = {}


def load_support_scorer(kind: str = "auto", embedder=None) -> SupportScorer:
    """'auto' = learned if its weights load, else cosine with a notice on stderr; 'learned'; 'cosine'."""
    from ..errors import BadInput, ModelUnavailable

    if kind not in KINDS:
        raise BadInput(f"unknown scorer {kind!r}; use one of {', '.join(KINDS)}")
    if kind == "cosine":
        return CosineSupportScorer(embedder)
    try:
        from . import checker

        if checker.WEIGHTS_DIR not in _LOADED:  # load the encoder and head once per process
            _LOADED[checker.WEIGHTS_DIR] = checker.load_checker(checker.WEIGHTS_DIR)
        return _LOADED[checker.WEIGHTS_DIR]
    except ModelUnavailable as exc:
        if kind == "learned":
            raise
        print(f"notice: {exc}; using the cosine scorer instead", file=sys.stderr)
        return CosineSupportScorer(embedder)
