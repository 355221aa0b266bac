"""The cosine scorer: MiniLM cosine of a claim and a text, weighted by how many of the claim's key terms
(numbers, dates, names) the text repeats; a text that gives another value for the claim's figure or flips
its negation cannot fully cover it. Thresholds were calibrated on SummHay topic 1's shipped labels (78
systems' summaries) by maximising Cohen's kappa; topic 2 and the human judgements are held out.
:class:`CosineSupportScorer` maps its score to the scorer interface of :mod:`.base`."""

from __future__ import annotations

import numpy as np

from ..index.embedders.base import Embedder
from ..text.figures import disagree, key_terms
from ..text.lexicon import negated
from .base import Match

# Calibrated on SummHay topic_news1 (see `briefkit eval calibrate`); documented in BENCHMARKS.md.
T_FULL = 0.64


T_PARTIAL = 0.42


def _features(fact: str, bullet: str) -> tuple[float, bool]:
    """(share of the fact's key terms found in the bullet, conflict on numbers or negation)."""
    terms = key_terms(fact)
    lowered = bullet.lower().replace(",", "")
    recall = sum(t in lowered for t in terms) / len(terms) if terms else 1.0
    return recall, disagree(fact, bullet) or negated(fact) != negated(bullet)


class CoverageScorer:
    def __init__(self, embedder: Embedder, t_full: float = T_FULL, t_partial: float = T_PARTIAL) -> None:
        self.embedder = embedder
        self.t_full = t_full
        self.t_partial = t_partial
        self._cache: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if new:
            for t, v in zip(new, self.embedder.embed(new)):
                self._cache[t] = v
        return np.vstack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1))

    def raw_scores(self, facts: list[str], bullets: list[str]) -> list[tuple[float, int | None, bool]]:
        """Per fact: (combined score, best bullet, conflict with that bullet)."""
        if not bullets:
            return [(0.0, None, False) for _ in facts]
        sims = self._vectors(facts) @ self._vectors(bullets).T
        out = []
        for i, fact in enumerate(facts):
            best = (-1.0, None, False)
            for j, bullet in enumerate(bullets):
                recall, conflict = _features(fact, bullet)
                score = float(sims[i, j]) * (0.7 + 0.3 * recall) * (0.85 if conflict else 1.0)
                if score > best[0]:
                    best = (score, j, conflict)
            out.append(best)
        return out

    def label(self, score: float, conflict: bool, t_full: float | None = None, t_partial: float | None = None) -> str:
        t_full = self.t_full if t_full is None else t_full
        t_partial = self.t_partial if t_partial is None else t_partial
        if score >= t_full and not conflict:
            return "FULL"
        if score >= t_partial:
            return "PARTIAL"
        return "NONE"

    def score(self, facts: list[str], bullets: list[str]) -> list[Match]:
        return [Match(self.label(s, c), j if self.label(s, c) != "NONE" else None, s)
                for s, j, c in self.raw_scores(facts, bullets)]


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

    def __init__(self, embedder=None, t_full: float = T_FULL, t_partial: float = T_PARTIAL,
                 spread: float = 0.04) -> None:
        if embedder is None:
            from ..config import Settings
            from ..index.embedders.load import load_embedder

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
