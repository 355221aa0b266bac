"""How far a support scorer agrees with SummHay's labels and with people.

Scores the shipped system summaries of SummHay topic files (GPT-4o labels) or of the human
judgements file (human labels) with any :class:`~.support.SupportScorer`, then compares
per-insight labels (accuracy per label, Cohen's kappa, balanced accuracy) and the ranking of
systems by mean coverage (Kendall tau-b, Pearson), each with a bootstrap 95% interval
(items resampled for label statistics, systems for system-level ones). It also fits the
cosine scorer's thresholds (`eval calibrate`). It does not train the learned scorer.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from ..runtime import progress_bar
from ..scoring.base import LABELS, SupportScorer, best_cover, candidate_pairs
from .metrics import (
    POINTS,
    accuracy,
    balanced_accuracy,
    bootstrap_ci,
    cohen_kappa,
    kendall_tau,
    pearson,
    per_label_accuracy,
)
from .summhay import LabelledSummary, labelled_summaries, strip_citations


def _bullets(summary: LabelledSummary) -> list[str]:
    return [b for b in (strip_citations(x) for x in summary.bullets) if b]


def pair_probabilities(scorer: SupportScorer, summaries: list[LabelledSummary], progress: bool = False,
                       chunk: int = 2048) -> list[list[tuple[list[int], np.ndarray]]]:
    """Per summary and insight, (candidate bullets, their (n, 3) probabilities), batched across summaries."""
    pairs, layout = [], []
    for s in summaries:
        bullets = _bullets(s)
        claims = [s.insights[i] for i in s.insights]
        cands = candidate_pairs(scorer, claims, bullets)
        layout.append(cands)
        pairs.extend((bullets[j], c) for c, js in zip(claims, cands) for j in js)
    bar = progress_bar(progress, len(pairs), f"scoring pairs ({scorer.name})", "pair")
    parts = []
    for start in range(0, len(pairs), chunk):
        parts.append(scorer.probabilities(pairs[start:start + chunk]))
        bar.update(min(chunk, len(pairs) - start))
    bar.close()
    flat = np.concatenate(parts) if parts else np.zeros((0, 3))
    out, at = [], 0
    for cands in layout:
        per = []
        for js in cands:
            per.append((js, flat[at:at + len(js)]))
            at += len(js)
        out.append(per)
    return out


def verdicts(scored: list[tuple[list[int], np.ndarray]], bias: np.ndarray | None = None) -> list[str]:
    """One label per insight of a summary (see :func:`.support.best_cover`)."""
    return [best_cover(p, js, bias).label for js, p in scored]


def agreement(gold: list[str], pred: list[str], systems: list[str], n_boot: int = 1000) -> dict:
    """Label- and system-level agreement of ``pred`` with ``gold``, with bootstrap 95% intervals."""
    out = {"labels": len(gold), "accuracy": accuracy(gold, pred), "kappa": cohen_kappa(gold, pred),
           "balanced_accuracy": balanced_accuracy(gold, pred), "per_label_accuracy": per_label_accuracy(gold, pred),
           "distribution": {lab: pred.count(lab) for lab in reversed(LABELS)}}
    out["kappa_ci"] = bootstrap_ci(cohen_kappa, gold, pred, n=n_boot)
    out["balanced_accuracy_ci"] = bootstrap_ci(balanced_accuracy, gold, pred, n=n_boot)
    by_system: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for system, g, p in zip(systems, gold, pred):
        by_system[system].append((g, p))
    rows = [{"system": name, "labels": len(pairs),
             "coverage_labels": 100 * sum(POINTS[g] for g, _ in pairs) / len(pairs),
             "coverage_ours": 100 * sum(POINTS[p] for _, p in pairs) / len(pairs)}
            for name, pairs in sorted(by_system.items())]
    out["systems"] = rows
    if len(rows) > 2:
        x, y = [r["coverage_labels"] for r in rows], [r["coverage_ours"] for r in rows]
        out["kendall_tau"], out["pearson"] = kendall_tau(x, y), pearson(x, y)
        out["kendall_tau_ci"] = bootstrap_ci(kendall_tau, x, y, n=n_boot)
        out["pearson_ci"] = bootstrap_ci(pearson, x, y, n=n_boot)
    else:
        out["kendall_tau"] = out["pearson"] = out["kendall_tau_ci"] = out["pearson_ci"] = None
    return out


def _load(paths: list[Path], limit: int | None) -> list[LabelledSummary]:
    summaries = [s for p in paths for s in labelled_summaries(p)]
    return summaries[:limit] if limit else summaries


def score_existing(paths: list[Path], scorer: SupportScorer, progress: bool = False, limit: int | None = None,
                   n_boot: int = 1000) -> dict:
    """Agreement of ``scorer`` with the shipped labels of ``paths`` (topic files or human judgements)."""
    summaries = _load(paths, limit)
    probs = pair_probabilities(scorer, summaries, progress)
    gold, pred, systems = [], [], []
    for s, p in zip(summaries, probs):
        ids = list(s.insights)
        gold += [s.labels.get(i, "NONE") for i in ids]
        pred += verdicts(p)
        systems += [s.system] * len(ids)
    return {"scorer": scorer.name, **agreement(gold, pred, systems, n_boot)}


def judge_reference(path: Path, judge: str = "gpt-4o", n_boot: int = 1000, limit: int | None = None) -> dict | None:
    """Agreement of SummHay's own LLM judge (its predictions shipped in the human judgements
    file) with the human labels: the reference a local scorer is measured against. None for a
    file without such predictions (the topic files)."""
    import ast
    import json

    from .summhay import _SUMMHAY_LABEL

    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    key = f"predictions_prompted_{judge}"
    if not isinstance(raw, list) or not raw or key not in raw[0]:
        return None
    gold, pred, systems = [], [], []
    for row, s in zip(raw[:limit] if limit else raw, _load([path], limit)):
        preds = row[key]
        preds = ast.literal_eval(preds) if isinstance(preds, str) else preds
        by_id = {p["insight_id"]: _SUMMHAY_LABEL.get(p["coverage"], "NONE") for p in preds}
        for i in s.insights:
            gold.append(s.labels.get(i, "NONE"))
            pred.append(by_id.get(i, "NONE"))
            systems.append(s.system)
    return {"scorer": f"{judge} (SummHay judge)", **agreement(gold, pred, systems, n_boot)}


def compare_scorers(paths: list[Path], scorers: list[SupportScorer], progress: bool = False,
                    limit: int | None = None, n_boot: int = 1000) -> dict:
    """``score_existing`` for several scorers on the same summaries, side by side; on the human
    judgements file alone, SummHay's GPT-4o judge is added as the reference."""
    results = [score_existing(paths, s, progress, limit, n_boot) for s in scorers]
    if len(paths) == 1 and (ref := judge_reference(paths[0], n_boot=n_boot, limit=limit)) is not None:
        results.append(ref)
    return {"files": [str(p) for p in paths], "scorers": results}


def calibrate_on(paths: list[Path], scorer, progress: bool = False) -> dict:
    """Search the cosine scorer's thresholds that maximise kappa on the labels of ``paths``."""
    from .coverage import calibrate

    rows = []
    iterator = [s for p in paths for s in labelled_summaries(p)]
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="scoring summaries", unit="summary", leave=False)
    for s in iterator:
        ids = list(s.insights)
        for fid, (score, _, conflict) in zip(ids, scorer.raw_scores([s.insights[i] for i in ids], _bullets(s))):
            rows.append((s.labels.get(fid, "NONE"), score, conflict))
    t_full, t_partial, kappa = calibrate([(s, c) for _, s, c in rows], [g for g, _, _ in rows])
    return {"t_full": t_full, "t_partial": t_partial, "kappa": kappa, "labels": len(rows)}
