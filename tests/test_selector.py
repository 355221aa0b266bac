"""The learned content selector: golden features and probabilities, the shipped weights, the config switch,
the planner's word budget and its early stop (crafted groups; the sample corpus end to end)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from briefkit.attribution.evidence import Evidence
from briefkit.attribution.insight import FEATURES, NOVELTY, Selector, features, form, load_selector
from briefkit.attribution.plan import Group, plan
from briefkit.attribution.select import Scored
from briefkit.config import Settings
from briefkit.errors import BadInput, ModelUnavailable
from briefkit.briefs.summarise import summarise

from conftest import ROOT


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def lead(doc: str, text: str, vec: np.ndarray, relevance: float = 0.5, start: int = 0, cosine: float = 0.5) -> Scored:
    return Scored(Evidence(doc, 1, start, start + len(text), text), vec, relevance, 0.0, 0.0, cosine)


def only(feature: str, weight: float, intercept: float = 0.0, stop_below: float = 0.0,
         redundancy: float = 0.0) -> Selector:
    """A selector reading one raw feature (mean 0, scale 1): P = sigmoid(weight * feature + intercept)."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index(feature)] = weight
    return Selector(np.zeros(len(FEATURES)), np.ones(len(FEATURES)), coef, intercept, stop_below, redundancy)


def test_features_of_a_group_by_hand():
    text = "The bank may raise its rates to 5% next year, analysts said."  # 12 words, a figure, a hedge, speech
    s = Scored(Evidence("a", 1, 2500, 2500 + len(text), text), unit(1, 0), 0.6, 0.5, 0.25, 0.4)
    g = Group([s, s, s, s], [1.0] * 4, corroboration=0.75)
    assert form(text) == (12 / 50, 1.0, 1.0, 1.0)
    assert form("Deposits fell sharply in the first quarter of the year.") == (10 / 50, 0.0, 0.0, 0.0)
    x = features([g], novelty=[0.3])
    # relevance, lexical, informativeness, position 2500/5000, log2(4 documents), query cosine, novelty, form,
    # corroboration
    assert x.tolist() == [[0.6, 0.5, 0.25, 0.5, 2.0, 0.4, 0.3, 0.24, 1.0, 1.0, 1.0, 0.75]]
    assert features([g])[0, NOVELTY] == 1.0  # nothing chosen yet


def test_probability_by_hand():
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("support")], coef[FEATURES.index("query_cosine")] = 1.0, 2.0
    mean, scale = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    mean[FEATURES.index("support")], scale[FEATURES.index("query_cosine")] = 1.0, 0.5
    sel = Selector(mean, scale, coef, -1.0, 0.2, 0.3)
    x = np.zeros((2, len(FEATURES)))
    x[0, FEATURES.index("support")], x[0, FEATURES.index("query_cosine")] = 2.0, 0.25  # z = (2-1) + 2*0.5 - 1 = 1
    x[1, FEATURES.index("support")] = 1.0  # z = 0 + 0 - 1 = -1
    assert sel.probability(x) == pytest.approx([1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))])  # 0.7311, 0.2689


@pytest.mark.parametrize("path", [None, ROOT / "eval" / "selector-holdout-news1.json",
                                  ROOT / "eval" / "selector-holdout-news2.json"])
def test_the_weights_files_load(path):
    sel = load_selector(str(path) if path else None)
    data = json.loads((path or ROOT / "src" / "briefkit" / "attribution" / "weights" / "selector.json").read_text())
    assert data["features"] == list(FEATURES) and sel.coef.tolist() == data["coef"]
    assert 0 <= sel.stop_below < 1 and sel.redundancy >= 0
    p = sel.probability(np.zeros((1, len(FEATURES))))[0]
    assert p == pytest.approx(1 / (1 + math.exp(-(sel.intercept - (sel.mean / sel.scale) @ sel.coef))))


def test_a_bad_weights_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text(json.dumps({"features": ["relevance"], "mean": [0], "scale": [1], "coef": [1], "intercept": 0,
                               "stop_below": 0, "redundancy": 0}))
    with pytest.raises(BadInput, match="is not a selector weights file"):
        load_selector(str(bad))
    with pytest.raises(BadInput, match="not found"):
        load_selector(str(tmp_path / "missing.json"))


def test_the_config_switch_is_checked():
    assert Settings().summarise.selector == "hand"  # the learned model is not better held out (eval/SELECTOR.md)
    assert Settings().with_overrides(summarise={"selector": "learned"}).summarise.selector == "learned"
    assert Settings().with_overrides(summarise={"selector": "judged"}).summarise.selector == "judged"
    with pytest.raises(BadInput, match="selector"):
        Settings().with_overrides(summarise={"selector": "magic"})
    from briefkit.config import load_settings

    toml = ROOT / "configs" / "default.toml"
    assert load_settings(toml).summarise.selector == "hand"


def test_the_plan_takes_groups_by_probability_less_redundancy():
    a = Group([lead("a", "Deposits fell 10% in March at the bank.", unit(1, 0, 0), cosine=0.9)], [1.0])
    a2 = Group([lead("b", "Deposits fell by a tenth at the bank in March.", unit(0.8, 0.6, 0), cosine=0.8)], [1.0])
    c = Group([lead("c", "Startups now pledge more collateral for loans.", unit(0, 0, 1), cosine=0.6)], [1.0])
    # P = sigmoid(4 * cosine - 3): a 0.6457, a2 0.5498, c 0.3543; a2 costs 0.5 * 0.8 = 0.4 once a is chosen
    sel = only("query_cosine", 4.0, -3.0, redundancy=0.5)
    assert [g.lead.evidence.doc_id for g in plan([c, a2, a], 2, 5, selector=sel)] == ["a", "c"]
    assert [g.lead.evidence.doc_id
            for g in plan([c, a2, a], 2, 5, selector=only("query_cosine", 4.0, -3.0))] == ["a", "b"]


def test_the_hand_weighted_plan_prefers_what_other_documents_state():
    """Salience + 0.08 per doubling of members + 0.5 x (corroboration - 0.8) / 0.2, by hand: a (0.55 * 0.8 = 0.44,
    corroborated 0.79: below the floor, nothing) scores 0.44 and b (0.55 * 0.6 = 0.33, corroborated 0.96: + 0.4)
    0.73; confirm keeps b, and the plan takes it first."""
    from briefkit.attribution.plan import CORROBORATION_FROM, CORROBORATION_WEIGHT, confirm

    a = Group([lead("a", "The bank opened a new branch in the city centre.", unit(1, 0), relevance=0.8)], [1.0],
              corroboration=0.79)
    b = Group([lead("b", "Deposits fell 10% in March at the bank.", unit(0, 1), relevance=0.6)], [1.0],
              corroboration=0.96)
    assert (CORROBORATION_WEIGHT, CORROBORATION_FROM) == (0.5, 0.8)
    assert (a.score, b.score) == (pytest.approx(0.44), pytest.approx(0.73))

    class NoMembersToCheck:  # test double: confirm only asks about members beyond the lead, and these have none
        min_support = 0.5

        def support(self, claims, evidence):
            assert claims == [] and evidence == []
            return []

    assert confirm([a, b], NoMembersToCheck(), keep=1) == [b]
    assert [g.lead.evidence.doc_id for g in plan([a, b], 2, 5)] == ["b", "a"]


def test_the_judged_plan_adds_the_models_yes_to_the_hand_weighted_score():
    """The judged selector: 0.75 of the salience plus 1.0 x the model's P(yes), by hand. a (salience 0.55 * 1.0 =
    0.55, judged 0.5: 0.4125 + 0.5 = 0.9125) and b (0.55 * 0.2 = 0.11, judged 0.9: 0.0825 + 0.9 = 0.9825); at full
    salience a would lead (1.05 against 1.01). A group the model was not asked about keeps its whole salience and
    gains nothing. confirm and the plan take b first."""
    from briefkit.attribution.plan import JUDGE_WEIGHT, JUDGED_SALIENCE, confirm

    a = Group([lead("a", "The bank opened a new branch in the city centre.", unit(1, 0), relevance=1.0)], [1.0],
              judge=0.5)
    b = Group([lead("b", "Deposits fell 10% in March at the bank.", unit(0, 1), relevance=0.2)], [1.0], judge=0.9)
    unasked = Group([lead("c", "Deposits fell 10% in March at the bank.", unit(0, 1), relevance=0.6)], [1.0])
    assert (JUDGE_WEIGHT, JUDGED_SALIENCE) == (1.0, 0.75)
    assert (a.score, b.score, unasked.score) == (pytest.approx(0.9125), pytest.approx(0.9825), pytest.approx(0.33))

    class NoMembersToCheck:  # test double: confirm only asks about members beyond the lead, and these have none
        min_support = 0.5

        def support(self, claims, evidence):
            return []

    assert confirm([a, b], NoMembersToCheck(), keep=1) == [b]
    assert [g.lead.evidence.doc_id for g in plan([a, b], 2, 5)] == ["b", "a"]


def test_the_plan_stops_early_when_nothing_more_is_likely_an_insight():
    gs = [Group([lead(d, f"Sentence number {i} states some fact about the bank.", unit(i + 1, 1, 0), cosine=c)],
                [1.0]) for i, (d, c) in enumerate([("a", 0.9), ("b", 0.7), ("c", 0.3), ("d", 0.2)])]
    # P = sigmoid(10 * cosine - 5): 0.982, 0.881, 0.119, 0.047; stop below half the first's keeps two of four
    chosen = plan(gs, 4, 5, selector=only("query_cosine", 10.0, -5.0, stop_below=0.5))
    assert [g.lead.evidence.doc_id for g in chosen] == ["a", "b"]
    assert len(plan(gs, 4, 5, selector=only("query_cosine", 10.0, -5.0))) == 4  # no stop: the budget fills
    # the stop is a share of the first bullet's probability, not a probability: P 0.40, 0.30, 0.11 with 0.5
    # keeps 0.40 and 0.30 (a fixed 0.5 would have kept only the first)
    low = [Group([lead(d, f"Sentence number {i} states some fact about the bank.", unit(i + 1, 1, 0), cosine=c)],
                 [1.0]) for i, (d, c) in enumerate([("a", 0.4595), ("b", 0.4153), ("c", 0.291)])]
    half = only("query_cosine", 10.0, -5.0, stop_below=0.5)
    assert [g.lead.evidence.doc_id for g in plan(low, 4, 5, selector=half)] == ["a", "b"]
    # nothing else is as likely as the first: the first group alone, never an empty summary
    never = only("query_cosine", 10.0, -5.0, stop_below=1.0)
    assert [g.lead.evidence.doc_id for g in plan(gs, 4, 5, selector=never)] == ["a"]


def test_the_word_budget_skips_a_long_group_for_a_shorter_one():
    long_ = Group([lead("a", " ".join(["word"] * 30) + ".", unit(1, 0, 0), relevance=0.9)], [1.0])
    short = [Group([lead(d, "Five words in this one.", unit(0, i + 1, 1), relevance=0.5)], [1.0])
             for i, d in enumerate("bc")]
    assert [g.lead.evidence.doc_id for g in plan([long_, *short], 3, 5, max_words=12)] == ["b", "c"]
    assert [g.lead.evidence.doc_id for g in plan([long_, *short], 3, 5, max_words=35)] == ["a", "b"]


def test_summarise_switches_selector_and_stops_early_end_to_end(sample_ws, tmp_path):
    never = tmp_path / "never.json"
    never.write_text(json.dumps({**load_selector().to_json(), "stop_below": 1.0}))
    query = "Qwen downloads and adoption"
    hand = summarise(sample_ws, query, k=8, strategy="extractive")
    learned = summarise(sample_ws.derive(summarise={"selector": "learned"}), query, k=8, strategy="extractive")
    stopped = summarise(sample_ws.derive(summarise={"selector": "learned", "selector_weights": str(never)}), query,
                        k=8, strategy="extractive")
    assert hand.bullets and learned.bullets and learned.candidates
    assert stopped.candidates and len(stopped.bullets) == 1  # nothing is as likely as the best: it alone, no padding
    budget = summarise(sample_ws.derive(summarise={"selector": "learned", "max_words": 40}), query, k=8,
                       strategy="extractive")
    assert sum(len(b.text.split()) for b in budget.bullets) <= 40


def test_the_judged_selector_asks_the_model_about_the_best_candidates_end_to_end(sample_ws, monkeypatch):
    """extractive + judged: the model (SmolLM2 through llama.cpp) judges the judge_pool best candidates and never
    writes; the bullets come from that pool. Without a loadable model it is the hand-weighted selector, said so."""
    query = "Qwen team leadership changes"
    ws = sample_ws.derive(summarise={"selector": "judged", "judge_pool": 3}, generation={"cache": False})
    judged = summarise(ws, query, k=8, strategy="extractive", model="smollm2-135m")
    assert judged.model == "smollm2-135m" and judged.stats.judge_s > 0 and judged.stats.calls == 0
    assert 0 < len(judged.bullets) <= 3 and len(judged.candidates) <= 3
    assert all(b.origin == "quoted" for b in judged.bullets)
    hand = summarise(sample_ws, query, k=8, strategy="extractive")
    assert set(judged.candidates) <= set(hand.candidates)  # the pool is the hand-weighted best
    none = sample_ws.derive(summarise={"selector": "judged"})

    def unavailable(model=None):  # a stand-in for a machine where no model loads
        raise ModelUnavailable("no weights here")

    monkeypatch.setattr(none, "generator", unavailable)
    fallback = summarise(none, query, k=8, strategy="extractive")
    assert "hand-weighted selector" in fallback.notice and fallback.stats.judge_s == 0
    assert [b.text for b in fallback.bullets] == [b.text for b in hand.bullets]
