"""The labelled verification set: loading by reference, the figures (hand-worked), and the verifier's targets."""

from __future__ import annotations

import hashlib
import json

import pytest

from briefkit.errors import BadInput
from briefkit.evaluation.verification_set import Outcome, Pair, figures, load_pairs, locate, rule, run

from conftest import SHARED, make_settings

needs_shared = pytest.mark.skipif(
    not (SHARED / "seeds").is_dir() or not (SHARED / "data" / "summhay").is_dir(),
    reason="the verification set's evidence lives in ../shared (seeds, SummHay), missing here")


@needs_shared
def test_loader_resolves_spans_golden():
    pairs = {p.id: p for p in load_pairs()}
    assert len(pairs) >= 300
    sample = pairs["hand-001"]  # the sample corpus record rel-03, its first sentence
    ref = sample.refs[0]
    assert (ref.corpus, ref.doc, ref.start, ref.end) == ("sample", "rel-03", 0, 141)
    assert sample.evidence[0].startswith("The Qwen3.5 native vision-language series is now available on Microsoft")
    assert sample.label == "unfaithful" and sample.kind == "tense" and sample.origin == "hand"
    seed = pairs["hand-079"]  # a seed article: checked by length and hash, its sentences stay out of the project
    assert seed.refs[0].doc == "002_d90d97a656b21b82.txt" and seed.evidence[0].startswith("The Qwen3.5")
    assert len(seed.evidence[0]) == 193
    assert hashlib.sha256(seed.evidence[0].encode()).hexdigest()[:12] == "9ae189bd364c"
    summhay = pairs["hand-140"]  # three SummHay documents stating the same fact
    assert [r.doc for r in summhay.refs] == ["c1J8engfoo1vlwnjmUbwf209", "y6rUv4miZZ053zFxFnYlj9Xw",
                                             "XTlfr6j7TqAk8zL4QGeHfuM3"]
    assert all(e.startswith("Following the SVB collapse, stocks of regional banks experienced a 20% decline")
               for e in summhay.evidence)


@needs_shared
def test_loader_errors_name_the_line(tmp_path):
    row = {"id": "x", "evidence": [{"corpus": "sample", "doc": "rel-03", "start": 0, "end": 99999}],
           "candidate": "c", "label": "faithful", "kind": "faithful", "origin": "hand"}
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(BadInput, match=r"pairs.jsonl:1: span 0-99999 is out of range for sample/rel-03"):
        load_pairs(path)
    row["evidence"][0]["end"], row["kind"] = 10, "tense"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(BadInput, match="does not go with kind"):
        load_pairs(path)


def test_loader_without_shared_is_a_clear_error(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({"id": "x", "evidence": [{"corpus": "seeds", "doc": "a.txt", "start": 0, "end": 5}],
                                "candidate": "c", "label": "faithful", "kind": "faithful", "origin": "hand"}) + "\n")
    with pytest.raises(BadInput, match="is missing: the verification set needs ../shared"):
        load_pairs(path, shared=tmp_path / "nowhere")


def test_locate_ignores_whitespace_differences():
    text = "Intro.\n\nThe  team\u00a0shipped\nit on time. Next."
    start, end = locate("The team shipped it on time.", text)
    assert text[start:end] == "The  team\u00a0shipped\nit on time."
    assert locate("Not there.", text) is None


def _pair(pid: str, kind: str, origin: str) -> Pair:
    return Pair(pid, [], ["evidence"], "candidate", "faithful" if kind == "faithful" else "unfaithful", kind, origin)


def test_figures_golden():
    outcomes = [
        Outcome(_pair("a", "faithful", "smollm2"), True),
        Outcome(_pair("b", "faithful", "smollm2"), False,
                ["not in the evidence: Lin", "the evidence does not support it (0.31)"]),
        Outcome(_pair("c", "faithful", "qwen2.5-coder-1.5b"), False, ["not in the evidence: Wu"]),
        Outcome(_pair("d", "faithful", "hand"), True),
        Outcome(_pair("e", "count", "hand"), True),
        Outcome(_pair("f", "count", "hand"), False, ["counts something else than the evidence: 90,000 developers"]),
        Outcome(_pair("g", "tense", "smollm2"), False, ["changes time or certainty: will"]),
        Outcome(_pair("h", "entity", "qwen2.5-coder-1.5b"), True),
    ]
    f = figures(outcomes)
    # accepted: a, d, e, h; of them unfaithful: e, h -> 2/4
    assert (f.accepted, f.accepted_unfaithful, f.accepted_unfaithful_share) == (4, 2, 0.5)
    # faithful model rewrites a, b, c: only a accepted -> 1/3; hand faithful d: 1/1
    assert (f.model_faithful, f.model_faithful_accepted) == (3, 1)
    assert f.model_faithful_acceptance == pytest.approx(1 / 3)
    assert (f.hand_faithful, f.hand_faithful_acceptance) == (1, 1.0)
    assert f.per_kind == {"faithful": (4, 2, 2), "tense": (1, 0, 1), "count": (2, 1, 1), "entity": (1, 1, 0)}
    assert list(f.per_kind) == ["faithful", "tense", "count", "entity"]  # KINDS order
    # b is rejected by two rules, c by one: "not in the evidence" rejected 2 (1 alone), the scorer 1 (0 alone)
    assert f.false_rejects == {"not in the evidence": (2, 1), "the evidence does not support it": (1, 0)}
    # unfaithful rejected: f (count rule alone), g (time rule alone)
    assert f.catches == {"counts something else than the evidence": (1, 1), "changes time or certainty": (1, 1)}


def test_rule_is_the_first_phrase():
    assert rule("not in the evidence: Lin, Wu") == "not in the evidence"
    assert rule("the evidence does not support it (0.31)") == "the evidence does not support it"
    assert rule("not a statement (question)") == "not a statement"
    assert rule("adds a negation") == "adds a negation"


def _measured(tmp_path):
    from briefkit.attribution.verify import Verifier
    from briefkit.workspace import Workspace

    ws = Workspace(make_settings(tmp_path / "home"))
    verifier = Verifier(ws.support_scorer, ws.settings.summarise.min_support)  # as summarise() builds it
    return figures(run(verifier, load_pairs()))


@needs_shared
def test_verifier_keeps_its_measured_level(tmp_path):
    """A regression guard at the level measured on 2026-11-26 (BENCHMARKS.md): 86/280 accepted candidates
    unfaithful, 163/177 faithful model rewrites accepted. A change that lets more through fails here."""
    f = _measured(tmp_path)
    assert f.accepted_unfaithful_share <= 0.31, f"accepted unfaithful {f.accepted_unfaithful}/{f.accepted}"
    assert f.model_faithful_acceptance >= 0.90, \
        f"faithful model rewrites accepted {f.model_faithful_accepted}/{f.model_faithful}"


@needs_shared
@pytest.mark.xfail(strict=True,
                   reason="target not met: about 20% of accepted candidates are unfaithful (BENCHMARKS.md)")
def test_verifier_meets_its_targets(tmp_path):
    f = _measured(tmp_path)
    assert f.accepted_unfaithful_share <= 0.02, f"accepted unfaithful {f.accepted_unfaithful}/{f.accepted}"
    assert f.model_faithful_acceptance >= 0.80, \
        f"faithful model rewrites accepted {f.model_faithful_accepted}/{f.model_faithful}"
