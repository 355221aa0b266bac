"""Local coverage scorer: is each reference fact FULL, PARTIAL or NONE in a summary?

For every fact the best-matching bullet is found by cosine similarity (the embedder),
weighted by how many of the fact's key terms (numbers, dates, names) the bullet repeats.
A bullet that states a different number or flips a negation is penalised and cannot fully
cover a fact.
Thresholds were calibrated on SummHay topic 1's shipped labels (eval_summaries of 78
systems) by maximising Cohen's kappa; topic 2 and the human judgements are held out.
An LLM judge (any generation backend) is available for users with a strong model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..citations import key_terms
from ..index.embedder import Embedder

# Calibrated on SummHay topic_news1 (see `briefkit eval calibrate`); documented in BENCHMARKS.md.
T_FULL = 0.64
T_PARTIAL = 0.42
_NEGATION = re.compile(r"\b(?:not|no|never|none|without|denies|denied|neither|nor|n't)\b", re.IGNORECASE)
_NUM = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class Match:
    label: str
    bullet: int | None
    score: float


def _features(fact: str, bullet: str) -> tuple[float, bool]:
    """(share of the fact's key terms found in the bullet, conflict on numbers or negation)."""
    terms = key_terms(fact)
    lowered = bullet.lower().replace(",", "")
    recall = sum(t in lowered for t in terms) / len(terms) if terms else 1.0
    fact_nums, bullet_nums = set(_NUM.findall(fact.replace(",", ""))), set(_NUM.findall(bullet.replace(",", "")))
    number_conflict = bool(fact_nums - bullet_nums and bullet_nums - fact_nums)  # a figure replaced by another
    negation_conflict = bool(_NEGATION.search(fact)) != bool(_NEGATION.search(bullet))
    return recall, number_conflict or negation_conflict


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


def calibrate(raw: list[tuple[float, bool]], gold: list[str], grid: np.ndarray | None = None) -> tuple[float, float, float]:
    """Thresholds (t_full, t_partial) that maximise Cohen's kappa on labelled examples; returns them and kappa."""
    from .metrics import cohen_kappa

    grid = np.round(np.arange(0.30, 0.90, 0.02), 2) if grid is None else grid
    scorer = CoverageScorer.__new__(CoverageScorer)
    best = (T_FULL, T_PARTIAL, -1.0)
    for tp in grid:
        for tf in grid[grid >= tp]:
            pred = [scorer.label(s, c, tf, tp) for s, c in raw]
            k = cohen_kappa(gold, pred)
            if k > best[2]:
                best = (float(tf), float(tp), k)
    return best


class LLMJudgeScorer:
    """Coverage labels from a generation backend (for users with a strong model).

    One call per fact with the numbered bullets; the reply must start with FULL, PARTIAL or
    NONE and may give a bullet number. An unparseable reply counts as NONE. Same interface
    as :class:`CoverageScorer`.
    """

    _REPLY = re.compile(r"\b(FULL|PARTIAL|NONE)\b\D*(\d+)?", re.IGNORECASE)

    def __init__(self, backend, params=None, prompts_dir: str | None = None) -> None:
        from ..llm.base import GenerationParams

        self.backend = backend
        self.params = params or GenerationParams(max_tokens=12)
        self.prompts_dir = prompts_dir

    def score(self, facts: list[str], bullets: list[str]) -> list[Match]:
        from ..prompts import load_prompt

        if not bullets:
            return [Match("NONE", None, 0.0) for _ in facts]
        numbered = "\n".join(f"{i}. {b}" for i, b in enumerate(bullets, 1))
        prompt = load_prompt("judge_coverage", self.prompts_dir)
        out = []
        for fact in facts:
            reply = self.backend.generate(prompt.render(bullets=numbered, fact=fact), self.params).text
            out.append(self.parse(reply, len(bullets)))
        return out

    def parse(self, reply: str, n_bullets: int) -> Match:
        found = self._REPLY.search(reply)
        if not found:
            return Match("NONE", None, 0.0)
        label = found.group(1).upper()
        number = int(found.group(2)) if found.group(2) else 0
        if label == "NONE" or not 1 <= number <= n_bullets:
            return Match("NONE", None, 0.0)
        return Match(label, number - 1, 1.0 if label == "FULL" else 0.5)
