"""Golden tests with hand-worked numbers for every score, and the coverage scorer's behaviour."""

import math

import numpy as np
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
        {"expected": "March 3", "abstained": False, "correct": True, "citations": ["a"], "docs": ["a"],
         "latency_s": 1.0, "support": "FULL"},
        {"expected": "1 billion", "abstained": False, "correct": False, "citations": ["x"], "docs": ["b"],
         "latency_s": 2.0, "support": "NONE"},
        {"expected": "Zhou Hao", "abstained": True, "correct": False, "citations": [], "docs": ["c"], "latency_s": 3.0},
        {"expected": None, "abstained": True, "correct": True, "citations": [], "docs": [], "latency_s": 4.0},
        {"expected": None, "abstained": False, "correct": False, "citations": ["a"], "docs": [], "latency_s": 5.0,
         "support": "PARTIAL"},
    ]
    s = score_answers(rows)
    assert s["accuracy"] == pytest.approx(2 / 5)
    assert s["answer_accuracy"] == pytest.approx(1 / 3)
    assert s["citation_correctness"] == pytest.approx(1 / 2)  # of the two answered, one cites an expected doc
    assert s["abstention_precision"] == pytest.approx(1 / 2)  # two abstentions, one on an unanswerable question
    assert s["abstention_recall"] == pytest.approx(1 / 2)  # two unanswerable, one abstained
    assert s["answer_support"] == pytest.approx(1 / 3)  # three answers given, one fully supported
    assert s["latency_mean_s"] == pytest.approx(3.0)
    assert s["latency_p95_s"] == pytest.approx(4.8)


def test_answer_normalisation():
    assert normalise("It reached 1,025 HP!") == "it reached 1025 hp"
    assert answer_matches("He left on March 3, 2026 [1].", ["March 3"])
    assert not answer_matches("He left in April.", ["March 3"])
    assert answer_matches("T-Head shipped 470,000 chips", ["470000"])


def test_coverage_scorer_behaviour(sample_ws):
    from briefkit.scoring.cosine import CoverageScorer

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
    from briefkit.prompts import load_prompt

    judge = LLMJudgeScorer(smollm2)
    assert judge.parse("FULL 2", 3).label == "FULL" and judge.parse("FULL 2", 3).bullet == 1
    assert judge.parse("Partial, bullet 1.", 3).label == "PARTIAL"
    assert judge.parse("FULL 7", 3).label == "NONE"  # a bullet that does not exist
    assert judge.parse("I think so", 3).label == "NONE"
    fact, bullet = "Qwen passed 1 billion downloads.", "Qwen passed 1 billion downloads on Hugging Face."
    matches = judge.score([fact], [bullet])
    # the verdict is the real model's reply, read by parse(): asked again (greedy, so the same reply), it agrees
    reply = smollm2.generate(load_prompt("judge_coverage").render(bullets=f"1. {bullet}", fact=fact), judge.params).text
    assert reply.strip() and len(matches) == 1 and matches[0] == judge.parse(reply, 1)


def test_more_agreement_statistics_golden():
    from briefkit.evaluation.metrics import balanced_accuracy, pearson, per_label_accuracy

    gold = ["FULL", "FULL", "PARTIAL", "NONE"]
    pred = ["FULL", "PARTIAL", "PARTIAL", "NONE"]
    # recall per gold label: FULL 1/2, PARTIAL 1/1, NONE 1/1 -> balanced (0.5 + 1 + 1) / 3
    assert balanced_accuracy(gold, pred) == pytest.approx(2.5 / 3)
    assert per_label_accuracy(gold, pred) == {"FULL": 0.5, "PARTIAL": 1.0, "NONE": 1.0}
    assert per_label_accuracy(["FULL"], ["NONE"])["PARTIAL"] is None
    # deviations from the mean 2: x -1, 0, 1; y -1, 1, 0; sum of products 1, sums of squares 2 -> r = 1 / 2
    assert pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert pearson([1, 1, 1], [1, 2, 3]) == 0.0  # a constant side has no correlation
    assert kendall_tau([1, 1, 1], [1, 2, 3]) == 0.0


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible():
    from briefkit.evaluation.metrics import bootstrap_ci

    gold = ["FULL"] * 30 + ["NONE"] * 30
    pred = ["FULL"] * 25 + ["NONE"] * 5 + ["NONE"] * 27 + ["FULL"] * 3
    k = cohen_kappa(gold, pred)  # observed 52/60, chance 0.5 -> (52/60 - 0.5) / 0.5
    assert k == pytest.approx((52 / 60 - 0.5) / 0.5)
    lo, hi = bootstrap_ci(cohen_kappa, gold, pred, n=300, seed=1)
    assert lo < k < hi and hi - lo < 0.5
    assert bootstrap_ci(cohen_kappa, gold, pred, n=300, seed=1) == (lo, hi)
    assert bootstrap_ci(cohen_kappa, gold, gold, n=50) == (1.0, 1.0)


def test_agreement_by_label_and_by_system_golden():
    from briefkit.evaluation.agreement import agreement

    gold = ["FULL", "NONE", "FULL", "PARTIAL", "NONE", "NONE"]
    pred = ["FULL", "NONE", "PARTIAL", "PARTIAL", "NONE", "FULL"]
    systems = ["a", "a", "b", "b", "c", "c"]
    got = agreement(gold, pred, systems, n_boot=50)
    assert got["accuracy"] == pytest.approx(4 / 6)
    # system coverage (gold / ours): a 50/50, b 75/50, c 0/50
    assert [(s["coverage_labels"], s["coverage_ours"]) for s in got["systems"]] == [(50, 50), (75, 50), (0, 50)]
    assert got["pearson"] == 0.0 and got["kendall_tau"] == 0.0  # ours is constant across systems
    assert got["distribution"] == {"FULL": 2, "PARTIAL": 2, "NONE": 2}


def test_cosine_support_probabilities_follow_its_labels(sample_ws):
    from briefkit.scoring.cosine import CoverageScorer
    from briefkit.scoring.base import LABELS, cover
    from briefkit.scoring.cosine import CosineSupportScorer

    cos = CosineSupportScorer(sample_ws.embedder)
    fact = "T-Head had shipped 470,000 AI chips by February 2026."
    bullets = ["Alibaba's chip unit T-Head shipped 470,000 AI chips by February 2026.",
               "T-Head had shipped 520,000 AI chips by February 2026.",
               "Rovers won the football league on the final day.", ""]
    probs = cos.probabilities([(b, fact) for b in bullets])
    assert probs.shape == (4, 3) and probs.sum(axis=1) == pytest.approx([1.0] * 4)
    old = CoverageScorer(sample_ws.embedder)
    for b, p in zip(bullets[:3], probs):
        (m,) = old.score([fact], [b])
        assert LABELS[int(p.argmax())] == m.label
    assert probs[3].tolist() == [1.0, 0.0, 0.0]
    (best,) = cover(cos, [fact], list(reversed(bullets)))
    assert best.label == "FULL" and best.bullet == 3


def test_load_support_scorer_falls_back_with_a_notice(tmp_path, monkeypatch, capsys, sample_ws):
    from briefkit.errors import BadInput, ModelUnavailable
    from briefkit.scoring import learned as checker
    from briefkit.scoring.load import load_support_scorer

    with pytest.raises(BadInput):
        load_support_scorer("bert")
    (tmp_path / "support-checker.safetensors").write_bytes(b"\x00not a safetensors file")
    (tmp_path / "support-checker.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        checker.load_checker(tmp_path)
    monkeypatch.setattr(checker, "WEIGHTS_DIR", tmp_path)
    scorer = load_support_scorer("auto", sample_ws.embedder)
    assert scorer.name == "cosine"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be loaded" in err and "cosine" in err
    with pytest.raises(ModelUnavailable):
        load_support_scorer("learned")


@pytest.fixture(scope="module")
def learned():
    from briefkit.scoring.learned import load_checker

    return load_checker()  # the shipped weights; a missing or broken file fails here, loudly


CLAIM = "T-Head had shipped 470,000 AI chips by February 2026."


@pytest.mark.parametrize("text,claim,expected", [
    ("By February 2026 Alibaba's chip unit T-Head had delivered 470,000 AI chips.", CLAIM, "FULL"),
    ("T-Head had shipped 520,000 AI chips by February 2026.", CLAIM, "NONE"),  # another number
    ("T-Head had shipped 470,000 AI chips by February 2023.", CLAIM, "NONE"),  # another year
    ("T-Head had not shipped 470,000 AI chips by February 2026.", CLAIM, "NONE"),  # contradiction
    ("Rovers won the football league on the final day of the season.", CLAIM, "NONE"),
    ("The Demon 170 makes 1,025 hp on E85.",
     "The Demon 170 makes 1,025 hp on E85 and runs the quarter mile in 8.91 seconds, a record for a production car.",
     "PARTIAL"),
])
def test_shipped_learned_scorer_verdicts(learned, text, claim, expected):
    from briefkit.scoring.base import LABELS

    probs = learned.probabilities([(text, claim)])
    assert LABELS[int(probs[0].argmax())] == expected, probs.round(3).tolist()


def test_learned_scorer_handles_odd_input(learned):
    long_text = " ".join(["The committee met again and discussed the budget at length."] * 200) + " " + CLAIM
    probs = learned.probabilities([("", CLAIM), (CLAIM, "   "), (long_text, CLAIM),
                                   ("T-Head a livré 470 000 puces IA en février 2026.", CLAIM),
                                   ("平头哥到2026年2月已出货47万颗AI芯片。", CLAIM)])
    assert probs.shape == (5, 3) and np.isfinite(probs).all()
    assert probs.sum(axis=1) == pytest.approx([1.0] * 5, abs=1e-5)
    assert probs[0].tolist() == [1.0, 0.0, 0.0] and probs[1].tolist() == [1.0, 0.0, 0.0]


def _needs_onnx_export():
    from briefkit.index.embedders.onnx import onnx_available

    if not onnx_available(export=True):
        pytest.skip("needs onnxruntime, onnx and onnxscript (pip install '.[fast]')")


def test_onnx_linear_is_torchs_dynamic_int8_linear(tmp_path):
    """The rewrite of a Linear (MatMul by the weight, Add of ``inner.<module>.bias``) computes what torch's
    dynamic int8 Linear computes, bit for bit: per-batch 7-bit activation scale and zero point, fbgemm's
    rounding, int32 accumulation, the fused dequantisation. Inputs with an outlier, as MiniLM's have."""
    _needs_onnx_export()
    import onnx
    import onnxruntime as ort
    import torch
    from onnx import TensorProto, helper, numpy_helper

    from briefkit.scoring.encoders import quantize_model
    from briefkit.scoring.onnx_encoder import build_graph

    torch.manual_seed(0)
    k, n = 384, 96
    holder = torch.nn.Module()
    holder.lin = torch.nn.Linear(k, n)
    weight, bias = holder.lin.weight.detach().numpy().T.copy(), holder.lin.bias.detach().numpy()
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["mm"]), helper.make_node("Add", ["mm", "inner.lin.bias"], ["y"])],
        "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "s", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "s", n])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "inner.lin.bias")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]), str(tmp_path / "fp32.onnx"))
    quantised = quantize_model(holder)
    assert build_graph(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", quantised) == 1
    session = ort.InferenceSession(str(tmp_path / "int8.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for shape, spread in [((1, 7), 1.0), ((3, 20), 2.0), ((64, 40), 3.0), ((8, 33), 0.01)]:
        x = (rng.standard_normal((*shape, k)) * spread).astype(np.float32)
        x[0, 0, 5] = 40 * spread  # an outlier sets the scale, as in MiniLM's activations
        with torch.inference_mode():
            expected = quantised.lin(torch.from_numpy(x)).numpy()
        assert np.array_equal(session.run(None, {"x": x})[0], expected), shape


def test_onnx_pair_encoder_tracks_the_torch_encoder():
    """The checker's encoder on ONNX Runtime: the same tokens as torch (truncated at 128), sentence vectors
    at cosine 0.98 or more on average to torch's in the same batch (torch's own vectors of the same texts
    encoded one at a time are further off), the same verdicts."""
    _needs_onnx_export()
    from briefkit.scoring.encoders import PairEncoder
    from briefkit.scoring.learned import load_checker
    from briefkit.scoring.onnx_encoder import OnnxPairEncoder, onnx_pair_encoder
    from briefkit.scoring.base import LABELS

    ours, reference = onnx_pair_encoder(), PairEncoder()
    assert isinstance(ours, OnnxPairEncoder)
    texts = sorted([CLAIM, "By February 2026 Alibaba's chip unit T-Head had delivered 470,000 AI chips.",
                    "Rovers won the football league on the final day of the season.", "ok",
                    "Qwen models have passed 1 billion downloads on Hugging Face, Alibaba said on its earnings call.",
                    "Lin Junyang announced on March 3 that he was stepping down as technical lead of the Qwen team.",
                    " ".join(["The committee met again and discussed the budget at length."] * 30)], key=len)
    (_, tm), (_, om) = reference.hidden(texts), ours.hidden(texts)
    assert np.array_equal(tm, om) and tm.shape[1] == 128
    torch_vectors = reference.encode(texts)
    cos = [float(a @ b) for (a, _), (b, _) in zip(torch_vectors, ours.encode(texts))]
    alone = PairEncoder()  # torch again, each text in a batch of its own: int8 activations are scaled per batch
    cos_alone = [float(a @ alone.encode([t])[0][0]) for (a, _), t in zip(torch_vectors, texts)]
    assert np.mean(cos) > 0.98 and np.mean(cos) > np.mean(cos_alone), (cos, cos_alone)
    pairs = [(t, CLAIM) for t in texts[:-1]]
    by_torch, by_onnx = load_checker(encoder=reference), load_checker(encoder=ours)
    assert [LABELS[i] for i in by_torch.probabilities(pairs).argmax(1)] == \
        [LABELS[i] for i in by_onnx.probabilities(pairs).argmax(1)]


def test_a_failed_checker_export_falls_back_to_torch_once(tmp_path, monkeypatch, caplog):
    """When the ONNX copy cannot be made, the checker runs on torch with one warning; later loads do not
    try again for the same model files."""
    _needs_onnx_export()
    from briefkit.scoring import onnx_encoder as checker_onnx
    from briefkit.scoring.encoders import PairEncoder
    from briefkit.scoring.learned import pair_encoder

    monkeypatch.setenv("BRIEFKIT_CACHE", str(tmp_path))

    def broken(path=None):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(checker_onnx, "export_pair_encoder", broken)
    assert checker_onnx.ensure_exported() is None
    assert "exporter exploded" in caplog.text and "runs on torch" in caplog.text
    monkeypatch.setattr(checker_onnx, "export_pair_encoder", lambda path=None: pytest.fail("tried again"))
    assert isinstance(pair_encoder(), PairEncoder)


def test_the_learned_scorer_reads_the_search_encoder_of_an_int8_index(sample_ws):
    """One encoder per process: with the default onnx-int8 index, the learned scorer's token states come from
    the search embedder's own ONNX session, and its verdicts match those of its separate int8 encoder."""
    from briefkit.index.embedders.cached import uncached
    from briefkit.scoring.base import LABELS
    from briefkit.scoring.learned import load_checker
    from briefkit.scoring.onnx_encoder import OnnxPairEncoder

    if sample_ws.settings.index.embedder_backend != "onnx-int8" or sample_ws.support_scorer.name != "learned":
        pytest.skip("needs the default onnx-int8 index and the learned scorer")
    scorer = sample_ws.support_scorer
    assert (isinstance(scorer.encoder, OnnxPairEncoder)
            and scorer.encoder.session is uncached(sample_ws.query_embedder).session)
    pairs = [("Qwen models passed 1 billion downloads on Hugging Face.", "Qwen passed a billion downloads."),
             ("Junyang Lin stepped down as technical lead of Qwen on March 3.", "Lin left the Qwen team."),
             ("Rovers won the league title on the final day.", "Qwen passed a billion downloads.")]
    own = load_checker()  # its separate int8 encoder
    assert [LABELS[i] for i in scorer.probabilities(pairs).argmax(1)] == \
        [LABELS[i] for i in own.probabilities(pairs).argmax(1)]
    assert LABELS[int(scorer.probabilities(pairs[2:]).argmax())] == "NONE"


def test_the_shared_encoder_runs_its_batches_on_every_core_in_order(sample_ws):
    """The learned scorer reads the search embedder's session as the embedder runs it: small length-sorted batches,
    several at once. Each text keeps its own batch's states: run two at a time or one at a time, the same numbers."""
    from briefkit.index.embedders.cached import uncached
    from briefkit.scoring.onnx_encoder import OnnxPairEncoder

    embedder = uncached(sample_ws.query_embedder)
    if sample_ws.settings.index.embedder_backend != "onnx-int8":
        pytest.skip("needs the default onnx-int8 index")
    encoder = OnnxPairEncoder.sharing(embedder)
    assert (encoder.batch_size, encoder.workers) == (embedder.preferred_batch, embedder.workers)
    texts = [f"Report {i}: the Qwen team {'shipped another model ' * (i % 4 + 1)}in March." for i in range(30)]
    encoder.workers = 2
    parallel = encoder.encode(texts)
    encoder.cache.clear()
    encoder.workers = 1
    serial = encoder.encode(texts)
    assert len(serial) == len(encoder.cache) == len(texts)  # four batches of 8 or fewer, every text encoded
    for (vec_a, tok_a), (vec_b, tok_b) in zip(parallel, serial):
        assert np.array_equal(vec_a, vec_b) and np.array_equal(tok_a, tok_b)
