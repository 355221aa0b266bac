"""Golden tests with hand-worked numbers for every score, and the coverage scorer's behaviour."""

import math

import pytest

from briefkit.evaluation.metrics import accuracy, cohen_kappa, kendall_tau, prf, summhay_scores
from briefkit.evaluation.qa_eval import answer_matches, normalise, score_answers


def test_prf_golden():
    assert prf({"a", "b"}, {"a"}) == (0.5, 1.0, pytest.approx(2 / 3))
    assert prf(set(), {"a"}) == (0.0, 0.0, 0.0)


def test_summhay_scores_golden():
    # f1: FULL by bullet 0 citing {a, b}, gold {a}: P 1/2, R 1, F1 2/3
    # f2: PARTIAL by bullet 1 citing {c}, gold {c, d}: P 1, R 1/2, F1 2/3
    # f3: not covered
    # coverage (1 + 0.5 + 0) / 3 = 50; citation mean F1 over covered = 66.67;
    # joint (1 * 2/3 + 0.5 * 2/3 + 0) / 3 = 33.33
    scores, per_fact = summhay_scores(
        {"f1": ("FULL", 0), "f2": ("PARTIAL", 1), "f3": ("NONE", None)},
        [{"a", "b"}, {"c"}],
        {"f1": {"a"}, "f2": {"c", "d"}, "f3": {"e"}},
    )
    assert scores["coverage"] == pytest.approx(50.0)
    assert scores["citation"] == pytest.approx(200 / 3)
    assert scores["joint"] == pytest.approx(100 / 3)
    assert scores["citation_precision"] == pytest.approx(75.0)
    assert scores["citation_recall"] == pytest.approx(75.0)
    assert [r.f1 for r in per_fact] == [pytest.approx(2 / 3), pytest.approx(2 / 3), 0.0]


def test_agreement_statistics_golden():
    gold = ["FULL", "FULL", "PARTIAL", "NONE"]
    pred = ["FULL", "PARTIAL", "PARTIAL", "NONE"]
    assert accuracy(gold, pred) == 0.75
    # chance = (2*1 + 1*2 + 1*1) / 16 = 0.3125; kappa = (0.75 - 0.3125) / 0.6875
    assert cohen_kappa(gold, pred) == pytest.approx(0.4375 / 0.6875)
    assert cohen_kappa(gold, gold) == 1.0
    # one discordant pair of six: (5 - 1) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    # tie in x: C = 2, D = 0, one x-tie: 2 / sqrt(3 * 2)
    assert kendall_tau([1, 1, 2], [1, 2, 3]) == pytest.approx(2 / math.sqrt(6))


def test_qa_scores_golden():
    rows = [
        {"expected": "March 3", "abstained": False, "correct": True, "citations": ["a"], "docs": ["a"], "latency_s": 1.0},
        {"expected": "1 billion", "abstained": False, "correct": False, "citations": ["x"], "docs": ["b"], "latency_s": 2.0},
        {"expected": "Zhou Hao", "abstained": True, "correct": False, "citations": [], "docs": ["c"], "latency_s": 3.0},
        {"expected": None, "abstained": True, "correct": True, "citations": [], "docs": [], "latency_s": 4.0},
        {"expected": None, "abstained": False, "correct": False, "citations": ["a"], "docs": [], "latency_s": 5.0},
    ]
    s = score_answers(rows)
    assert s["accuracy"] == pytest.approx(2 / 5)
    assert s["answer_accuracy"] == pytest.approx(1 / 3)
    assert s["citation_correctness"] == pytest.approx(1 / 2)  # of the two answered, one cites an expected doc
    assert s["abstention_precision"] == pytest.approx(1 / 2)  # two abstentions, one on an unanswerable question
    assert s["abstention_recall"] == pytest.approx(1 / 2)  # two unanswerable, one abstained
    assert s["latency_mean_s"] == pytest.approx(3.0)
    assert s["latency_p95_s"] == pytest.approx(4.8)


def test_answer_normalisation():
    assert normalise("It reached 1,025 HP!") == "it reached 1025 hp"
    assert answer_matches("He left on March 3, 2026 [1].", ["March 3"])
    assert not answer_matches("He left in April.", ["March 3"])
    assert answer_matches("T-Head shipped 470,000 chips", ["470000"])


def test_coverage_scorer_behaviour(sample_ws):
    from briefkit.evaluation.coverage import CoverageScorer

    scorer = CoverageScorer(sample_ws.embedder)
    fact = "T-Head had shipped 470,000 AI chips by February 2026."
    bullets = ["Alibaba's chip unit T-Head shipped 470,000 AI chips by February 2026.",
               "T-Head had shipped 520,000 AI chips by February 2026.",
               "Rovers won the football league on the final day."]
    full, = scorer.score([fact], bullets[:1])
    assert full.label == "FULL" and full.bullet == 0
    conflict, = scorer.score([fact], bullets[1:2])
    assert conflict.label in ("PARTIAL", "NONE")  # a different number never fully covers
    none, = scorer.score([fact], bullets[2:])
    assert none.label == "NONE" and none.bullet is None
    best, = scorer.score([fact], list(reversed(bullets)))
    assert best.bullet == 2  # the matching bullet is found wherever it sits


def test_llm_judge_parses_replies_and_runs_on_a_real_model(smollm2):
    from briefkit.evaluation.coverage import LLMJudgeScorer

    judge = LLMJudgeScorer(smollm2)
    assert judge.parse("FULL 2", 3).label == "FULL" and judge.parse("FULL 2", 3).bullet == 1
    assert judge.parse("Partial, bullet 1.", 3).label == "PARTIAL"
    assert judge.parse("FULL 7", 3).label == "NONE"  # a bullet that does not exist
    assert judge.parse("I think so", 3).label == "NONE"
    matches = judge.score(["Qwen passed 1 billion downloads."], ["Qwen passed 1 billion downloads on Hugging Face."])
    assert len(matches) == 1 and matches[0].label in {"FULL", "PARTIAL", "NONE"}
