"""Calibrate `ask`'s relevance floor on the sample question set: for every question, the answer
score of the best evidence sentence that holds what the question asks for (no floor), and
the share of answer/abstain decisions each floor gets right.

    .venv/bin/python bench/calibrate_ask.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from briefkit.attribution.evidence import gather  # noqa: E402
from briefkit.attribution.select import score  # noqa: E402
from briefkit.config import Settings  # noqa: E402
from briefkit.evaluation.datasets import load_question_set  # noqa: E402
from briefkit.briefs.qa import answer_score, candidates  # noqa: E402
from briefkit.resources import sample_corpus_path  # noqa: E402
from briefkit.workspace import Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    print(machine())
    ws = Workspace(Settings().with_overrides(home=Path(tempfile.mkdtemp()) / "home"))
    ws.ingest([sample_corpus_path()])
    k = ws.settings.ask.k
    rows = []
    for q in load_question_set(ROOT / "eval" / "sample_questions.jsonl"):
        passages = ws.retriever.search(q.question, k=k, mode="hybrid")
        found = candidates(q.question, score(q.question, gather(passages)[0], ws.embedder), floor=-1.0)
        best = answer_score(found[0]) if found else -1.0
        rows.append((q.answer is not None, best))
        print(f"{'answerable  ' if q.answer else 'unanswerable'} {best:6.3f}  {q.question}")
    print("\nfloor  decisions right")
    for floor in np.round(np.arange(0.30, 0.71, 0.05), 2):
        right = sum((best >= floor) == answerable for answerable, best in rows)
        print(f"{floor:5.2f}  {right}/{len(rows)}")


if __name__ == "__main__":
    main()
