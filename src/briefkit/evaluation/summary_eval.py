"""Score one summary against reference facts: SummHay coverage/citation/joint, plus faithfulness.

The bullets a user is shown count for coverage and citation. Faithfulness is the share of all
bullets (shown, plus drafts the verifier replaced or hid) whose evidence sentences cover them, fully
or partially, in the judgement of ``checker``: pass a scorer other than the one that gated the bullets
(:func:`briefkit.scoring.load.independent_scorer`) and it is an independent check of the verifier;
the row names the scorer that judged (``faithfulness_scorer``).
"""

from __future__ import annotations

from ..briefs.results import Summary
from ..scoring.base import ScorerCoverage, SupportScorer
from .metrics import summhay_scores


def score_summary(summary: Summary, facts: dict[str, str], gold: dict[str, set[str]], scorer,
                  checker: SupportScorer | None = None) -> dict:
    """``scorer``: anything with ``score(facts, bullets) -> list[Match]`` (a ScorerCoverage, an LLM judge);
    ``checker`` judges faithfulness (default: ``scorer``'s own support scorer, which is then not independent)."""
    shown = summary.bullets
    ids = list(facts)
    matches = scorer.score([facts[i] for i in ids], [b.text for b in shown])
    labels = {fid: (m.label, m.bullet) for fid, m in zip(ids, matches)}
    scores, per_fact = summhay_scores(labels, [set(b.citations) for b in shown], gold)
    total = len(shown) + len(summary.rejected)
    # an LLM judge with no checker given judges faithfulness too
    judge = ScorerCoverage(checker) if checker is not None else scorer
    faithful = sum(judge.score([b.text], [" ".join(e.text for e in b.evidence)])[0].label != "NONE"
                   for b in shown if b.evidence)
    scores["faithfulness_scorer"] = getattr(judge, "name", "judge")
    scores["faithfulness"] = 100 * faithful / total if total else 0.0
    scores["facts"] = [{"fact_id": r.fact_id, "label": r.label, "bullet": r.bullet, "citation_f1": round(r.f1, 4)}
                       for r in per_fact]
    return scores
