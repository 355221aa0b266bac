"""How far the local coverage scorer agrees with SummHay's labels and with people.

Scores the shipped system summaries of SummHay topic files (or the human judgements
file) with :class:`CoverageScorer` and compares per-insight labels (accuracy, Cohen's
kappa) and the ranking of systems by mean coverage (Kendall's tau).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .coverage import CoverageScorer, calibrate
from .metrics import POINTS, accuracy, cohen_kappa, kendall_tau
from .summhay import LabelledSummary, labelled_summaries, strip_citations


def _raw(scorer: CoverageScorer, summaries: list[LabelledSummary], progress: bool = False):
    rows = []  # (system, gold label, score, conflict)
    iterator = summaries
    if progress:
        from tqdm import tqdm

        iterator = tqdm(summaries, desc="scoring summaries", unit="summary", leave=False)
    for s in iterator:
        ids = list(s.insights)
        bullets = [strip_citations(b) for b in s.bullets if strip_citations(b)]
        for fid, (score, _, conflict) in zip(ids, scorer.raw_scores([s.insights[i] for i in ids], bullets)):
            rows.append((s.system, s.labels.get(fid, "NONE"), score, conflict))
    return rows


def score_existing(paths: list[Path], scorer: CoverageScorer, progress: bool = False, limit: int | None = None) -> dict:
    """Agreement of ``scorer`` with the shipped labels of ``paths``."""
    summaries = [s for p in paths for s in labelled_summaries(p)]
    if limit:
        summaries = summaries[:limit]
    rows = _raw(scorer, summaries, progress)
    gold = [g for _, g, _, _ in rows]
    pred = [scorer.label(s, c) for _, _, s, c in rows]
    by_system: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (system, g, _, _), p in zip(rows, pred):
        by_system[system].append((g, p))
    systems = [
        {"system": name, "labels": len(pairs), "coverage_labels": 100 * sum(POINTS[g] for g, _ in pairs) / len(pairs),
         "coverage_ours": 100 * sum(POINTS[p] for _, p in pairs) / len(pairs)}
        for name, pairs in sorted(by_system.items())
    ]
    tau = kendall_tau([s["coverage_labels"] for s in systems], [s["coverage_ours"] for s in systems]) \
        if len(systems) > 1 else None
    return {
        "accuracy": accuracy(gold, pred),
        "kappa": cohen_kappa(gold, pred),
        "kendall_tau": tau,
        "labels": len(gold),
        "thresholds": {"full": scorer.t_full, "partial": scorer.t_partial},
        "systems": systems,
    }


def calibrate_on(paths: list[Path], scorer: CoverageScorer, progress: bool = False) -> dict:
    """Search the thresholds that maximise kappa on the labels of ``paths``."""
    rows = _raw(scorer, [s for p in paths for s in labelled_summaries(p)], progress)
    t_full, t_partial, kappa = calibrate([(s, c) for _, _, s, c in rows], [g for _, g, _, _ in rows])
    return {"t_full": t_full, "t_partial": t_partial, "kappa": kappa, "labels": len(rows)}
