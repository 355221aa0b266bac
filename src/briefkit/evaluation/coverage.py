"""Coverage labels for the evaluation: the cosine scorer's threshold calibration, and the LLM judge for users
with a strong model. The local scorers themselves (learned, cosine) are in :mod:`briefkit.scoring`."""

from __future__ import annotations

import re

import numpy as np

from ..scoring.base import Match
from ..scoring.cosine import T_FULL, T_PARTIAL, CoverageScorer
from .metrics import cohen_kappa


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


def calibrate(raw: list[tuple[float, bool]], gold: list[str],
              grid: np.ndarray | None = None) -> tuple[float, float, float]:
    """Thresholds (t_full, t_partial) that maximise Cohen's kappa on labelled examples; returns them and kappa."""
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
