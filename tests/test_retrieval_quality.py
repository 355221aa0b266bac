"""Retrieval quality on SummHay topic 1: precision@10 of distinct documents per subtopic query.

A document is relevant to a subtopic when it states at least one of the subtopic's insights.
Levels asserted here were measured on this corpus (see BENCHMARKS.md for the figures).
"""

import pytest

from briefkit.evaluation.retrieval import distinct_docs, precision_at_k
from briefkit.evaluation.summhay import load_topic, write_documents_jsonl
from briefkit.workspace import Workspace

from conftest import SUMMHAY, make_settings


def test_precision_at_k_golden():
    assert precision_at_k(["a", "b", "c", "d"], {"a", "c", "x"}, 4) == 0.5
    assert precision_at_k(["a"], {"a"}, 10) == 0.1  # fewer results than k still divide by k
    with pytest.raises(ValueError):
        precision_at_k([], set(), 0)


@pytest.fixture(scope="module", params=["torch", "onnx-int8"])
def summhay_ws(request, tmp_path_factory):
    topic = load_topic(SUMMHAY / "topic_news1.json")
    folder = tmp_path_factory.mktemp("summhay")
    ws = Workspace(make_settings(folder / "home", index={"embedder_backend": request.param}))
    report = ws.ingest([write_documents_jsonl(topic, folder / "topic1.jsonl")])
    assert report.added == 100
    return topic, ws


def test_precision_at_10_dense_bm25_hybrid(summhay_ws, capsys):
    """The same floor holds for the PyTorch embedder and the faster int8 ONNX one."""
    topic, ws = summhay_ws
    scores = {}
    for mode in ("dense", "bm25", "hybrid"):
        per_query = []
        for sub in topic.subtopics:
            hits = ws.search(sub.query, k=60, mode=mode)
            per_query.append(precision_at_k(distinct_docs(hits, 10), sub.gold_documents(topic), 10))
        scores[mode] = sum(per_query) / len(per_query)
    with capsys.disabled():
        print(f"\nSummHay topic 1 precision@10 ({ws.embedder.backend}):", {m: round(v, 3) for m, v in scores.items()})
    assert scores["dense"] >= 0.75  # measured 0.800
    assert scores["bm25"] >= 0.83  # measured 0.889
    assert scores["hybrid"] >= 0.80  # measured 0.856
