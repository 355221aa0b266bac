"""Score `ask` on a question set: answer accuracy, citation correctness, abstention, support, latency.

Support is the support scorer's verdict (learned by default, see :mod:`.support`) on each
given answer against the evidence sentences it was built from: FULL, PARTIAL or NONE.
"""

from __future__ import annotations

import re
import time

import numpy as np

from ..briefs.qa import ask
from ..workspace import Workspace
from .datasets import Question


def normalise(text: str) -> str:
    """Lower case, commas in numbers dropped, punctuation to spaces, spaces collapsed."""
    text = re.sub(r"(?<=\d),(?=\d)", "", text.lower())
    return " ".join(re.sub(r"[^\w.]+", " ", text).replace(". ", " ").split())


def answer_matches(answer: str, expected: list[str]) -> bool:
    got = normalise(answer)
    return any(normalise(e) in got for e in expected)


def score_answers(rows: list[dict]) -> dict:
    """Aggregate per-question rows (see :func:`evaluate_questions`) into the report figures."""
    answerable = [r for r in rows if r["expected"] is not None]
    unanswerable = [r for r in rows if r["expected"] is None]
    abstained = [r for r in rows if r["abstained"]]
    answered = [r for r in answerable if not r["abstained"]]
    given = [r for r in rows if not r["abstained"]]  # every answer shown, right or wrong
    with_docs = [r for r in answered if r["docs"]]
    latencies = [r["latency_s"] for r in rows]
    true_abstentions = sum(1 for r in abstained if r["expected"] is None)
    return {
        "questions": len(rows),
        "accuracy": sum(r["correct"] for r in rows) / len(rows) if rows else 0.0,
        "answer_accuracy": sum(r["correct"] for r in answerable) / len(answerable) if answerable else 0.0,
        "citation_correctness": (sum(bool(set(r["citations"]) & set(r["docs"])) for r in with_docs) / len(with_docs)
                                 if with_docs else 0.0),
        "abstention_precision": true_abstentions / len(abstained) if abstained else 0.0,
        "abstention_recall": true_abstentions / len(unanswerable) if unanswerable else 0.0,
        "answer_support": (sum(r.get("support") == "FULL" for r in given) / len(given) if given else 0.0),
        "latency_mean_s": float(np.mean(latencies)) if latencies else 0.0,
        "latency_p95_s": float(np.percentile(latencies, 95)) if latencies else 0.0,
    }


def evaluate_questions(ws: Workspace, questions: list[Question], model: str | None = None, progress: bool = False,
                       scorer_kind: str = "auto") -> dict:
    from ..scoring.base import cover
    from ..scoring.load import load_support_scorer

    scorer = load_support_scorer(scorer_kind, ws.embedder)
    rows = []
    iterator = questions
    if progress:
        from tqdm import tqdm

        iterator = tqdm(questions, desc="questions", unit="q", leave=False)
    model_name = None
    for q in iterator:
        start = time.perf_counter()
        result = ask(ws, q.question, model=model)
        latency = time.perf_counter() - start
        model_name = result.model
        if q.answer is None:
            correct = result.abstained
        else:
            correct = not result.abstained and answer_matches(result.answer, [q.answer, *q.alternatives])
        rows.append({"id": q.id, "question": q.question, "expected": q.answer, "answer": result.answer,
                     "abstained": result.abstained, "citations": result.citations, "docs": q.docs,
                     "correct": correct, "latency_s": round(latency, 3),
                     "support": None if result.abstained else
                     cover(scorer, [result.answer], [e.text for e in result.evidence])[0].label})
    return {"model": model_name, "scorer": scorer.name, **score_answers(rows), "items": rows}
