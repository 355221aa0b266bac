"""The generation model's check of its own rewrites (briefkit.attribution.model_check) and the summariser's use
of it: which models are asked, what they are asked, and what a doubted rewrite becomes."""

from __future__ import annotations

import pytest

from briefkit.attribution import model_check
from briefkit.attribution.evidence import Evidence
from briefkit.attribution.plan import Group
from briefkit.attribution.select import Scored
from briefkit.attribution.verify import Verifier
from briefkit.briefs.results import Bullet, Stats
from briefkit.briefs.strategies.attributed import _verify_rewrites
from briefkit.briefs.strategies.drafted import _verify_drafts
from briefkit.briefs.qa import ask
from briefkit.briefs.summarise import summarise
from briefkit.config import Settings
from briefkit.errors import BadInput
from briefkit.llm.cache import CachedBackend
from briefkit.llm.registry import create_backend
from briefkit.prompts import PromptError, load_prompt
from test_attribution import ScriptedBackend, scripted_ws

SMOLLM2_PARAMETERS = 134_515_008  # SmolLM2-135M-Instruct, embeddings tied (counted once by both backends)


def test_backends_report_the_models_own_parameter_count_and_auto_asks_only_large_models(smollm2):
    llama = create_backend("llamacpp", model="smollm2-135m", context_tokens=2048)
    torch_ = create_backend("transformers", model="smollm2-135m", dtype="float32")
    server = create_backend("openai", model="m", base_url="http://127.0.0.1:9/v1")  # never contacted
    assert isinstance(smollm2, CachedBackend)  # what the workspace hands the summariser: it reports its model's
    assert llama.parameters() == torch_.parameters() == smollm2.parameters() == SMOLLM2_PARAMETERS
    assert server.parameters() is None
    assert not model_check.wanted("auto", llama) and not model_check.wanted("auto", smollm2)  # 135M: under 1B
    assert not model_check.wanted("auto", server)  # unknown size: asked only with "on"
    assert model_check.wanted("on", llama) and model_check.wanted("on", server) and not model_check.wanted("off", llama)
    with pytest.raises(BadInput, match="check_rewrites: Input should be 'auto', 'on' or 'off'"):
        Settings().with_overrides(summarise={"check_rewrites": "maybe"})


def test_stated_asks_the_prompt_file_with_every_evidence_sentence_on_its_own_line():
    llama = create_backend("llamacpp", model="smollm2-135m", context_tokens=2048)
    evidence = [["Alibaba opened Qwen Chat to users worldwide.", "The service launched in March."],
                ["Bread prices rose by eight percent."]]
    sentences = ["Alibaba opened Qwen Chat worldwide in March.", "Bread prices fell."]
    p = model_check.stated(llama, sentences, evidence)
    prompt = load_prompt("check_rewrite")
    asked = [prompt.render(evidence="\n".join(ev), sentence=s) for s, ev in zip(sentences, evidence)]
    assert "<quoted>\nAlibaba opened Qwen Chat to users worldwide.\nThe service launched in March.\n</quoted>" \
        in asked[0][1]["content"]
    assert p == pytest.approx(llama.yes_probability(asked), abs=1e-4) and all(0.0 < x < 1.0 for x in p)
    assert model_check.stated(llama, [], []) == []


class ScriptedCheck:
    """A fake of the model check: the real model cannot be steered to a chosen P(yes). Returns the next scripted
    probability for each sentence it is asked about and records what it was asked."""

    def __init__(self, values: list[float]) -> None:
        self.values, self.asked = list(values), []

    def __call__(self, sentences: list[str], evidence: list[list[str]]) -> list[float]:
        self.asked.extend(zip(sentences, evidence))
        return [self.values.pop(0) for _ in sentences]


LEAD = "Alibaba made Qwen3.5-Max Preview available worldwide through Qwen Chat during the week."
REWRITE = "Alibaba made Qwen3.5-Max Preview available worldwide through Qwen Chat."
OTHER = "Alibaba released the Qwen3.5 Small family in four sizes on Monday."
RETIMED = "Alibaba will release the Qwen3.5 Small family in four sizes next month."  # the rules reject it


def _groups(ws) -> list[Group]:
    """One-sentence groups: LEAD (document "max") and OTHER ("small")."""
    vectors = ws.embedder.embed([LEAD, OTHER])
    return [Group([Scored(Evidence(doc, 0, 0, len(text), text), vec, 0.6, 0.0, 0.0)], [1.0])
            for doc, text, vec in zip(("max", "small"), (LEAD, OTHER), vectors)]


def _doubted(p: float) -> str:
    return f"the model doubts its sources state all of it: P(yes) {p:.3f}"


@pytest.mark.parametrize("p_yes, origin", [(0.3, "quoted"), (model_check.FLOOR, "model"), (0.9, "model")])
def test_a_rewrite_the_model_doubts_is_quoted_and_one_the_rules_reject_is_never_asked(sample_ws, p_yes, origin):
    lead, rewrite, retimed, groups = LEAD, REWRITE, RETIMED, _groups(sample_ws)
    check = ScriptedCheck([p_yes])
    bullets = _verify_rewrites(groups, [rewrite, retimed], Verifier(sample_ws.support_scorer, 0.5), check)
    assert check.asked == [(rewrite, [lead])]
    assert bullets[0].origin == origin
    assert bullets[0].text == (rewrite if origin == "model" else lead)
    doubted = [n for n in bullets[0].notes if "model doubts" in n]
    assert doubted == ([f"model wording rejected ({_doubted(p_yes)}): {rewrite}"] if origin == "quoted" else [])
    assert bullets[1].origin == "quoted" and "changes time or certainty" in bullets[1].notes[0]
    unchecked = _verify_rewrites(groups, [rewrite, retimed], Verifier(sample_ws.support_scorer, 0.5))
    assert unchecked[0].origin == "model"


@pytest.fixture
def recorded(monkeypatch) -> list[tuple[str, float]]:
    """What the real model check is asked, with the P(yes) it gives (a recording wrapper around the real one)."""
    asked: list[tuple[str, float]] = []
    real = model_check.stated

    def recording(backend, sentences, evidence, prompts_dir=None):
        p = real(backend, sentences, evidence, prompts_dir)
        asked.extend(zip(sentences, p))
        return p

    monkeypatch.setattr(model_check, "stated", recording)
    return asked


def test_summarise_with_the_check_on_quotes_exactly_the_rewrites_the_model_doubts(sample_ws, recorded):
    """End to end with the real SmolLM2 asked (``on``; ``auto`` leaves a 135M model unasked): every rewrite that
    passed the rules is put to the model once, those under the floor are quoted with the model's P(yes), the
    others keep the model's wording; ``auto`` writes the summary ``off`` does."""
    ws = sample_ws.derive(generation={"cache": False})
    topic = "Qwen adoption figures"
    off = summarise(ws.derive(summarise={"check_rewrites": "off"}), topic, model="smollm2-135m", k=8)
    auto = summarise(ws.derive(summarise={"check_rewrites": "auto"}), topic, model="smollm2-135m", k=8)
    assert recorded == [] and [b.text for b in auto.bullets] == [b.text for b in off.bullets]
    on = summarise(ws.derive(summarise={"check_rewrites": "on"}), topic, model="smollm2-135m", k=8)
    assert recorded, "no rewrite passed the rules: the check was never reached"
    notes = [n for b in on.bullets for n in b.notes]
    for sentence, p in recorded:
        if p < model_check.FLOOR:
            assert f"model wording rejected ({_doubted(p)}): {sentence}" in notes
            assert sentence not in [b.text for b in on.bullets]
        else:
            assert not any(_doubted(p) in n for n in notes)
            assert sentence in [b.text for b in on.bullets] or \
                f"model wording rejected (its cited sources do not state all of it): {sentence}" in notes


@pytest.mark.parametrize("p_yes, origin", [(0.3, "quoted"), (0.9, "model")])
def test_a_drafted_bullet_the_model_doubts_is_rejected_with_its_reason(sample_ws, p_yes, origin):
    """``stuff`` / ``map-reduce``: a drafted bullet the rules pass is put to the model with the closest sentences
    of the documents it cites; under the floor it joins ``rejected`` with the model's P(yes) among its reasons
    and its closest sentence is quoted in its place."""
    lead, rewrite, retimed, groups = LEAD, REWRITE, RETIMED, _groups(sample_ws)
    check = ScriptedCheck([p_yes])
    shown, rejected = _verify_drafts([Bullet(rewrite, ["max"]), Bullet(retimed, ["small"])],
                                     [g.lead for g in groups], Verifier(sample_ws.support_scorer, 0.5),
                                     sample_ws.embedder, Stats(), check)
    assert check.asked == [(rewrite, [lead])]
    assert (shown[0].origin, shown[0].text) == (origin, rewrite if origin == "model" else lead)
    doubted = [n for b in rejected if b.text == rewrite for n in b.notes]
    assert doubted == ([_doubted(p_yes)] if origin == "quoted" else [])
    assert [b.text for b in rejected if b.text == retimed] == [retimed]


@pytest.mark.parametrize("p_yes, origin", [(0.3, "quoted"), (0.9, "model")])
def test_an_answer_phrasing_the_model_doubts_gives_way_to_the_quoted_sentence(sample_ws, monkeypatch, p_yes, origin):
    """``ask``: a phrasing the rules pass is put to the model (the settings' ``check_rewrites``); under the floor the
    evidence sentence is the answer, quoted, and the phrasing is reported as rejected with the model's P(yes)."""
    phrasing = "Developers have built more than 180,000 derivative models on Qwen."
    backend = ScriptedBackend({"derivative models": phrasing})  # the scripted backend of test_attribution
    ws = scripted_ws(sample_ws.derive(summarise={"check_rewrites": "on"}), monkeypatch, backend)
    check = ScriptedCheck([p_yes])
    monkeypatch.setattr(model_check, "stated", lambda b, sentences, evidence, prompts_dir=None:
                        check(sentences, evidence))
    answer = ask(ws, "How many derivative models have developers built on Qwen?")
    assert [s for s, _ in check.asked] == [phrasing] and "180,000" in check.asked[0][1][0]
    assert answer.origin == origin
    if origin == "quoted":
        assert answer.answer.startswith(" ".join(check.asked[0][1][0].split()))
        assert answer.rejected == f"{phrasing} ({_doubted(p_yes)})"
    else:
        assert answer.answer.startswith(phrasing) and answer.rejected is None


def test_a_prompts_folder_overrides_only_the_prompts_it_holds(tmp_path):
    (tmp_path / "summarise.md").write_text("### user\nMine: {{topic}}", encoding="utf-8")
    assert load_prompt("summarise", str(tmp_path)).user == "Mine: {{topic}}"
    assert load_prompt("check_rewrite", str(tmp_path)) == load_prompt("check_rewrite")  # the shipped one
    with pytest.raises(PromptError, match=r"prompt file nowhere\.md not found in"):
        load_prompt("nowhere", str(tmp_path))
