"""Plain metrics with no model behind them: agreement statistics and SummHay's scores.

SummHay (Laban et al., 2024) scores one summary against a subtopic's insights: an insight
counts 1 when fully covered, 0.5 when partly covered, 0 otherwise (coverage); for each
covered insight, the documents cited by the covering bullet are compared with the
insight's gold documents (precision, recall, F1; the citation score is the mean F1 over
covered insights); the joint score is the mean over all insights of coverage x F1.
All three are reported on a 0-100 scale.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations

LABELS = ("FULL", "PARTIAL", "NONE")
POINTS = {"FULL": 1.0, "PARTIAL": 0.5, "NONE": 0.0}


def accuracy(gold: list[str], pred: list[str]) -> float:
    if not gold or len(gold) != len(pred):
        raise ValueError("need two label lists of the same, non-zero length")
    return sum(g == p for g, p in zip(gold, pred)) / len(gold)


def cohen_kappa(gold: list[str], pred: list[str]) -> float:
    """Cohen's kappa: (observed agreement - chance agreement) / (1 - chance agreement)."""
    n = len(gold)
    observed = accuracy(gold, pred)
    g, p = Counter(gold), Counter(pred)
    chance = sum(g[c] * p[c] for c in set(g) | set(p)) / (n * n)
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def kendall_tau(x: list[float], y: list[float]) -> float:
    """Kendall's tau-b between two score lists (ties handled as in tau-b)."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("need two lists of the same length, at least 2")
    concordant = discordant = ties_x = ties_y = 0
    for i, j in combinations(range(len(x)), 2):
        dx, dy = x[i] - x[j], y[i] - y[j]
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif (dx > 0) == (dy > 0):
            concordant += 1
        else:
            discordant += 1
    denom = ((concordant + discordant + ties_x) * (concordant + discordant + ties_y)) ** 0.5
    return (concordant - discordant) / denom if denom else 0.0


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
