"""Plain metrics with no model behind them: agreement statistics and SummHay's scores.

Agreement statistics wrap scikit-learn and SciPy (kappa, balanced accuracy, Kendall tau-b,
Pearson) and add a percentile bootstrap for confidence intervals.

SummHay (Laban et al., 2024) scores one summary against a subtopic's insights: an insight
counts 1 when fully covered, 0.5 when partly covered, 0 otherwise (coverage); for each
covered insight, the documents cited by the covering bullet are compared with the
insight's gold documents (precision, recall, F1; the citation score is the mean F1 over
covered insights); the joint score is the mean over all insights of coverage x F1.
All three are reported on a 0-100 scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scoring.base import LABELS

POINTS = {"FULL": 1.0, "PARTIAL": 0.5, "NONE": 0.0}


def accuracy(gold: list[str], pred: list[str]) -> float:
    if not gold or len(gold) != len(pred):
        raise ValueError("need two label lists of the same, non-zero length")
    return sum(g == p for g, p in zip(gold, pred)) / len(gold)


def cohen_kappa(gold: list[str], pred: list[str]) -> float:
    """Cohen's kappa (scikit-learn); 1.0 when both sides use one and the same label throughout."""
    from sklearn.metrics import cohen_kappa_score

    accuracy(gold, pred)  # same checks on the inputs
    if len(set(gold) | set(pred)) == 1:
        return 1.0
    return float(cohen_kappa_score(gold, pred))


def kendall_tau(x: list[float], y: list[float]) -> float:
    """Kendall's tau-b between two score lists (SciPy); 0.0 when either side is constant."""
    from scipy.stats import kendalltau

    if len(x) != len(y) or len(x) < 2:
        raise ValueError("need two lists of the same length, at least 2")
    tau = kendalltau(x, y).statistic
    return 0.0 if tau != tau else float(tau)  # NaN: a constant side


def pearson(x: list[float], y: list[float]) -> float:
    """Pearson's r (SciPy); 0.0 when either side is constant."""
    import numpy as np
    from scipy.stats import pearsonr

    if len(x) != len(y) or len(x) < 2:
        raise ValueError("need two lists of the same length, at least 2")
    if np.std(x) == 0 or np.std(y) == 0:
        return 0.0
    return float(pearsonr(x, y).statistic)


def balanced_accuracy(gold: list[str], pred: list[str]) -> float:
    """Mean over the gold labels present of the share predicted right (scikit-learn)."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score

    accuracy(gold, pred)
    with warnings.catch_warnings():  # a predicted label absent from gold is fine here: it counts as wrong
        warnings.simplefilter("ignore", UserWarning)
        return float(balanced_accuracy_score(gold, pred))


def per_label_accuracy(gold: list[str], pred: list[str]) -> dict[str, float | None]:
    """For each label, the share of items with that gold label that got it (None if absent)."""
    return {lab: (sum(p == lab for g, p in zip(gold, pred) if g == lab) / n if (n := gold.count(lab)) else None)
            for lab in reversed(LABELS)}  # best first, as reports list them


def bootstrap_ci(stat, *columns: list, n: int = 1000, seed: int = 0, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(*columns)``, resampling rows (items) with replacement."""
    import numpy as np

    rng = np.random.default_rng(seed)
    size = len(columns[0])
    arrays = [np.asarray(c, dtype=object) for c in columns]
    values = []
    for _ in range(n):
        idx = rng.integers(0, size, size)
        values.append(stat(*[a[idx].tolist() for a in arrays]))
    lo, hi = np.nanpercentile(np.asarray(values, dtype=float), [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(lo), float(hi)


def prf(cited: set[str], gold: set[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of cited documents against gold documents."""
    hit = len(cited & gold)
    p = hit / len(cited) if cited else 0.0
    r = hit / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class FactResult:
    fact_id: str
    label: str  # FULL | PARTIAL | NONE
    bullet: int | None  # index of the covering bullet
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0


def summhay_scores(labels: dict[str, tuple[str, int | None]], bullet_citations: list[set[str]],
                   gold: dict[str, set[str]]) -> tuple[dict, list[FactResult]]:
    """Coverage, citation and joint scores (0-100) of one summary, with per-fact details.

    ``labels`` maps fact id to (label, covering bullet index); ``bullet_citations`` holds the
    documents each bullet cites; ``gold`` maps fact id to its gold documents.
    """
    results = []
    for fact_id, (label, bullet) in labels.items():
        res = FactResult(fact_id, label, bullet)
        if label != "NONE" and bullet is not None and 0 <= bullet < len(bullet_citations):
            res.precision, res.recall, res.f1 = prf(bullet_citations[bullet], gold.get(fact_id, set()))
        results.append(res)
    covered = [r for r in results if r.label != "NONE"]
    n = len(results) or 1
    scores = {
        "coverage": 100 * sum(POINTS[r.label] for r in results) / n,
        "citation": 100 * sum(r.f1 for r in covered) / len(covered) if covered else 0.0,
        "joint": 100 * sum(POINTS[r.label] * r.f1 for r in results) / n,
        "citation_precision": 100 * sum(r.precision for r in covered) / len(covered) if covered else 0.0,
        "citation_recall": 100 * sum(r.recall for r in covered) / len(covered) if covered else 0.0,
    }
    return scores, results
