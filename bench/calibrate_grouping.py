"""Calibrate the planner's paraphrase grouping on SummHay: when do two sentences from different
documents state the same fact?

For every insight and each of its gold documents, the document's sentence closest to the
insight (cosine >= 0.55) is taken as that document's statement of it. Pairs of statements of the
same insight from different documents are positives; statements of different insights of the
same subtopic are negatives. Prints precision, recall and F0.5 (precision counts double: a wrong
group means a wrong citation) at each cosine threshold.

    .venv/bin/python bench/calibrate_grouping.py ../shared/data/summhay/topic_news1.json ...
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from briefkit.text.figures import conflict  # noqa: E402
from briefkit.config import Settings  # noqa: E402
from briefkit.text.sentences import split_sentences  # noqa: E402
from briefkit.evaluation.summhay import load_topic  # noqa: E402
from briefkit.index.embedders.load import load_embedder  # noqa: E402


def statements(path: Path, embedder) -> list[tuple[str, str, str, np.ndarray]]:
    """(subtopic, insight, doc, sentence vector) for each gold document's closest sentence to an insight."""
    topic = load_topic(path)
    out = []
    for doc_id, text in topic.documents.items():
        insights = [(s.subtopic_id, i, s.insights[i]) for s in topic.subtopics for i in s.insights
                    if i in topic.doc_insights[doc_id]]
        if not insights:
            continue
        sentences = [text[a:b] for a, b in split_sentences(text)]
        svec = embedder.embed(sentences)
        ivec = embedder.embed([t for _, _, t in insights])
        for (sub, ins, _), iv in zip(insights, ivec):
            sims = svec @ iv
            best = int(np.argmax(sims))
            if sims[best] >= 0.55:
                out.append((sub, ins, doc_id, sentences[best], svec[best]))
    return out


def main(paths: list[str]) -> None:
    print(machine())
    embedder = load_embedder(Settings().index.embedder)
    rows = [r for p in paths for r in statements(Path(p), embedder)]
    pairs = []
    for a, b in itertools.combinations(rows, 2):
        if a[0] != b[0] or a[2] == b[2]:
            continue  # other subtopic, or the same document
        same = a[1] == b[1]
        pairs.append((float(a[4] @ b[4]), conflict(a[3], b[3]), same))
    print(f"{len(rows)} statements, {len(pairs)} cross-document pairs, {sum(p[2] for p in pairs)} of the same insight")
    print("cosine >=  precision  recall   F0.5")
    for threshold in np.round(np.arange(0.50, 0.91, 0.02), 2):
        pred = [sim >= threshold and not clash for sim, clash, _ in pairs]
        tp = sum(p and t for p, (*_, t) in zip(pred, pairs))
        fp = sum(p and not t for p, (*_, t) in zip(pred, pairs))
        fn = sum((not p) and t for p, (*_, t) in zip(pred, pairs))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f05 = 1.25 * prec * rec / (0.25 * prec + rec) if prec + rec else 0.0
        print(f"{threshold:9.2f} {prec:10.3f} {rec:7.3f} {f05:6.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
