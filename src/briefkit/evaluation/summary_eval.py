"""Score one summary against reference facts: SummHay coverage/citation/joint, plus faithfulness.

Only the bullets a user is shown (those their sources support) count for coverage and
citation; faithfulness is the share of all generated bullets that their sources support.
"""

from __future__ import annotations

from ..summarise import Summary
from .coverage import CoverageScorer
from .metrics import summhay_scores


def score_summary(summary: Summary, facts: dict[str, str], gold: dict[str, set[str]], scorer: CoverageScorer) -> dict:
    shown = [b for b in summary.bullets if b.supported]
    ids = list(facts)
    matches = scorer.score([facts[i] for i in ids], [b.text for b in shown])
    labels = {fid: (m.label, m.bullet) for fid, m in zip(ids, matches)}
    scores, per_fact = summhay_scores(labels, [set(b.citations) for b in shown], gold)
    total = len(summary.bullets)
    scores["faithfulness"] = 100 * sum(b.supported for b in summary.bullets) / total if total else 0.0
    scores["facts"] = [{"fact_id": r.fact_id, "label": r.label, "bullet": r.bullet, "citation_f1": round(r.f1, 4)}
                       for r in per_fact]
    return scores
