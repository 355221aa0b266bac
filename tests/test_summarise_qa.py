"""Summaries and answers with the bundled SmolLM2 on the sample corpus, end to end; citation repair of drafts."""

import io
import json

import pytest

from briefkit.attribution.verify import Verifier
from briefkit.llm.base import Backend
from briefkit.briefs.strategies.citations import Citations, Sources, parse_bullets
from briefkit.text.figures import missing_terms
from briefkit.retrieval import Passage
from briefkit.briefs.qa import ask
from briefkit.briefs.summarise import summarise


def P(doc, text, title="t"):
    return Passage(doc, hash(doc) % 1000, title, "src", "2026-03-03", 1.0, text, 0.9)


SOURCES = {"lead-01": "Junyang Lin said on March 3, 2026 that he is stepping down from the Qwen project.",
           "adopt-01": "Qwen models were downloaded more than 1 billion times on Hugging Face by January 2026."}


@pytest.fixture(scope="module")
def citations(sample_ws):
    return Citations(sample_ws.embedder, Sources.from_passages([P(d, t) for d, t in SOURCES.items()]))


def test_parse_bullets_and_citations():
    text = "Here you go:\n- Lin stepped down on March 3 [1].\n* Qwen passed 1 billion downloads [2, 1]\n- ok [1]"
    assert parse_bullets(text) == [("Lin stepped down on March 3.", [1]),
                                   ("Qwen passed 1 billion downloads", [2, 1])]


def test_citation_repair_with_crafted_outputs(citations, sample_ws):
    bullets = citations.resolve(parse_bullets(
        "- Junyang Lin stepped down from Qwen on March 3, 2026 [7]\n"       # cites a source never given
        "- Qwen models passed 1 billion downloads on Hugging Face\n"         # cites nothing
        "- Junyang Lin stepped down from Qwen on March 9, 2026 [1]\n"       # a date the source does not give
        "- Bakeries raised the price of bread by eight percent [2]\n"       # unsupported
        "- The weather on Mars was pleasant and calm all week\n"))          # uncited and unsupported: dropped
    assert len(bullets) == 4
    first, second, third, fourth = bullets
    assert first.citations == ["lead-01"]  # bad number removed, re-attached
    assert "removed citations" in first.notes[0] and "attached" in first.notes[1]
    assert second.citations == ["adopt-01"] and "attached" in second.notes[0]
    assert third.citations == ["lead-01"] and fourth.citations == ["adopt-01"]
    # whether the cited source states each bullet is the verifier's verdict, the same as for every bullet
    checks = Verifier(sample_ws.support_scorer, 0.5).check([b.text for b in bullets],
                                                           [[SOURCES[b.citations[0]]] for b in bullets])
    assert not checks[2].ok and any("9" in r for r in checks[2].reasons)
    assert not checks[3].ok and any("bakeries" in r for r in checks[3].reasons)


def test_figure_check():
    assert missing_terms("Lin left on March 4, 2026", "Lin said on March 3, 2026") == {"4"}
    assert missing_terms("Qwen reached 203 million users", "about 203 million monthly users of Qwen") == set()
    assert missing_terms("Zhou Hao joined Tencent", "Zhou Hao joined Alibaba") == {"tencent"}


def assert_traceable(ws, bullet_or_answer: dict) -> None:
    """Every evidence sentence is an exact span of its stored document, and every citation has evidence."""
    for e in bullet_or_answer["evidence"]:
        assert ws.store.get_document(e["doc_id"]).text[e["start"]:e["end"]] == e["text"]
    assert set(bullet_or_answer["citations"]) == {e["doc_id"] for e in bullet_or_answer["evidence"]}


def test_default_summary_with_smollm2_end_to_end(sample_ws):
    result = summarise(sample_ws, "Qwen downloads and adoption", model="smollm2-135m", max_bullets=4)
    data = result.to_json()
    assert data["model"] == "smollm2-135m" and data["strategy"] == "auto"
    assert 1 <= len(data["bullets"]) <= 4 and len(data["summary"].splitlines()) == len(data["bullets"])
    retrieved = {p.doc_id for p in result.passages}
    for b in data["bullets"]:
        assert b["origin"] in {"model", "quoted"} and b["citations"]
        # from the passages; corroborating documents may not be
        assert any(e["doc_id"] in retrieved for e in b["evidence"])
        assert_traceable(sample_ws, b)
    assert any(len(b["citations"]) >= 2 for b in data["bullets"])  # agreeing outlets are cited together
    assert {s["doc_id"] for s in data["sources"]} == {d for b in data["bullets"] for d in b["citations"]}
    stats = data["stats"]
    assert stats["llm_calls"] == len(data["bullets"]) and stats["prompt_tokens"] > 0
    assert stats["verification"]["model"] + stats["verification"]["quoted"] == len(data["bullets"])


def test_summary_with_smollm2_stuff_shows_only_verified_bullets(sample_ws):
    result = summarise(sample_ws, "Qwen3.5 Small model sizes", model="smollm2-135m", strategy="stuff", k=4)
    data = result.to_json()
    assert data["strategy"] == "stuff" and data["stats"]["prompt_tokens"] > 0
    v = data["stats"]["verification"]
    drafted = v["model"] + len(data["rejected"])
    assert drafted >= 1 and data["bullets"], "the model drafted nothing usable, or everything was hidden"
    assert v["model"] + v["quoted"] == len(data["bullets"]) and len(data["rejected"]) == v["quoted"] + v["hidden"]
    retrieved = {p.doc_id for p in result.passages}
    verifier = Verifier(sample_ws.support_scorer, sample_ws.settings.summarise.min_support)
    for b in result.bullets:
        assert b.citations and set(b.citations) <= retrieved and b.evidence
        assert_traceable(sample_ws, b.to_json())
        if b.origin == "quoted":  # a source sentence stands in for a rejected draft
            assert b.text == " ".join(b.evidence[0].text.split())
        else:  # the model's words are shown only when they pass the verifier against their evidence
            assert verifier.check([b.text], [[e.text for e in b.evidence]])[0].ok


class Recording(Backend):
    """The real backend, with every request it answers written down (a spy, not a fake: replies are the model's)."""

    def __init__(self, inner: Backend) -> None:
        self.inner, self.prompts = inner, []
        self.model_name, self.context_tokens = inner.model_name, inner.context_tokens

    def generate(self, messages, params, on_text=None):
        self.prompts.append(messages[-1]["content"])
        return self.inner.generate(messages, params, on_text)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)

    def parameters(self):
        return self.inner.parameters()


def test_map_reduce_on_more_passages_than_fit(sample_ws, monkeypatch):
    tight = sample_ws.derive(summarise={"context_tokens": 256}, generation={"max_new_tokens": 48})
    spy = Recording(tight.generator("smollm2-135m"))
    monkeypatch.setattr(tight, "generator", lambda model=None: spy)
    result = summarise(tight, "Alibaba AI strategy and results", model="smollm2-135m", strategy="stuff", k=8)
    assert result.strategy == "map-reduce" and "context budget" in result.notice
    maps = [p for p in spy.prompts if "Merge these into" not in p]
    reduces = [p for p in spy.prompts if "Merge these into" in p]
    assert len(maps) >= 2 and len(reduces) >= 1  # several groups of documents, then the merge of their facts
    assert result.stats.calls == len(spy.prompts)
    # the merged draft reached the verifier: each drafted bullet is shown, or rejected with the verifier's reasons
    v = result.stats
    assert v.model_bullets + len(result.rejected) >= 1
    assert (len(result.bullets) == v.model_bullets + v.quoted_bullets
            and len(result.rejected) == v.quoted_bullets + v.hidden_bullets)
    assert all(r.notes and not r.supported for r in result.rejected)
    retrieved = {p.doc_id for p in result.passages}
    for b in result.bullets:
        assert b.citations and set(b.citations) <= retrieved


def test_extractive_needs_no_model_and_quotes_its_evidence(sample_ws):
    result = summarise(sample_ws, "Qwen downloads and adoption", strategy="extractive", k=5)
    assert result.model == "none (extractive)" and result.bullets and result.stats.calls == 0
    assert all(b.origin == "quoted" and b.text == " ".join(b.evidence[0].text.split()) for b in result.bullets)
    assert {d for b in result.bullets for d in b.citations} & {"adopt-01", "adopt-02", "adopt-03", "adopt-04"}


def test_off_topic_summary_says_so(sample_ws):
    result = summarise(sample_ws, "volcanic eruptions in Iceland", strategy="extractive")
    assert result.bullets == [] and "nothing in the corpus is relevant" in result.notice


def test_cache_makes_a_repeat_free(sample_ws):
    first = summarise(sample_ws, "Qwen3.5-Max Preview", model="smollm2-135m", strategy="stuff", k=3)
    again = summarise(sample_ws, "Qwen3.5-Max Preview", model="smollm2-135m", strategy="stuff", k=3)
    assert again.stats.cached_calls == again.stats.calls == 1
    assert again.to_json()["bullets"] == first.to_json()["bullets"]


def test_factual_question_is_answered_from_evidence(sample_ws):
    result = ask(sample_ws, "How many downloads did Qwen reach on Hugging Face?", model="smollm2-135m")
    data = result.to_json()
    assert not result.abstained, data
    assert "billion" in result.answer.lower() and {"adopt-01", "adopt-04"} & set(result.citations)
    assert data["origin"] in {"model", "quoted"}
    assert_traceable(sample_ws, data)
    assert [s["doc_id"] for s in data["sources"]] == result.citations


def test_sources_that_differ_are_shown_side_by_side(sample_ws):
    result = ask(sample_ws, "When did Junyang Lin step down?", model="smollm2-135m")
    assert not result.abstained and "March 3" in result.answer
    assert result.conflict and result.conflict[0]["doc_id"] == "lead-02" and "March 4" in result.conflict[0]["text"]
    assert "lead-02" in result.citations and ({"lead-01", "lead-05"} & set(result.citations))


def test_unanswerable_questions_abstain(sample_ws):
    for question in ("What is the population of the Mars colony?", "How old is Eddie Wu?"):
        result = ask(sample_ws, question, model="smollm2-135m")
        assert result.abstained and result.citations == [] and result.evidence == []
        assert "does not contain" in result.answer


def test_bad_questions_are_clear_errors(sample_ws):
    from briefkit.errors import BadInput

    with pytest.raises(BadInput, match="empty"):
        ask(sample_ws, "   ")
    with pytest.raises(BadInput, match="limit"):
        ask(sample_ws, "why " * 1000)


def test_interactive_loop_keeps_the_model_loaded(sample_ws, monkeypatch, capsys):
    from briefkit.cli.app import main

    monkeypatch.setattr("sys.stdin",
                        io.StringIO("How many downloads did Qwen reach on Hugging Face?\n\nexit\nignored\n"))
    code = main(["--home", str(sample_ws.home), "--json", "ask", "--model", "smollm2-135m"])
    assert code == 0
    out, decoder, answers, pos = capsys.readouterr().out, json.JSONDecoder(), [], 0
    while pos < len(out):
        if out[pos].isspace():
            pos += 1
            continue
        obj, pos = decoder.raw_decode(out, pos)
        answers.append(obj)
    assert len(answers) == 1  # the blank line is skipped, `exit` stops before "ignored"
    assert answers[0]["question"].startswith("How many downloads")
    assert {"adopt-01", "adopt-04"} & set(answers[0]["citations"])


def test_cli_evidence_flag_prints_the_sentences(sample_ws, capsys):
    from briefkit.cli.app import main

    code = main(["--home", str(sample_ws.home), "summarise", "Qwen downloads and adoption", "--strategy",
                 "extractive", "--evidence", "--max-bullets", "2"])
    out = capsys.readouterr().out
    assert code == 0
    bullets = [ln for ln in out.splitlines() if ln.startswith("- ")]
    evidence = [ln for ln in out.splitlines() if ln.startswith("    [")]
    assert len(bullets) == 2 and len(evidence) >= 2 and "Sources:" in out


def test_extractive_summary_imports_no_torch_and_matches_the_torch_encoders(sample_ws, tmp_path):
    """A summary in a new process embeds its evidence with the search's ONNX encoder and runs the support
    checker's int8 encoder on ONNX Runtime: torch is never imported, and the bullets, citations and
    evidence are those of the torch encoders (the torch embedder and the torch int8 checker)."""
    import subprocess
    import sys

    from briefkit.index.embedders.cached import CachedEmbedder
    from briefkit.index.embedders.onnx import onnx_available
    from briefkit.index.vector_cache import VectorCache
    from briefkit.scoring.encoders import PairEncoder
    from briefkit.scoring.learned import load_checker
    from briefkit.workspace import Workspace

    if not onnx_available(export=True):
        pytest.skip("needs onnxruntime, onnx and onnxscript (pip install '.[fast]')")
    topics = ["Qwen team leadership changes", "Qwen downloads and adoption"]
    child = f"""
import json, sys
from briefkit.config import Settings
from briefkit.briefs.summarise import summarise
from briefkit.workspace import Workspace
ws = Workspace(Settings().with_overrides(home={str(sample_ws.home)!r}))
out = [summarise(ws, t, strategy="extractive").to_json() for t in {topics!r}]
print(json.dumps({{"summaries": out, "imported": sorted(m for m in ("torch", "transformers") if m in sys.modules)}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout)
    assert out["imported"] == []
    torch_ws = Workspace(sample_ws.settings)
    torch_ws._query_embedder.set(CachedEmbedder(sample_ws.embedder, VectorCache(tmp_path / "vectors.sqlite")))  # cold
    torch_ws._support_scorer.set(load_checker(encoder=PairEncoder()))
    for topic, got in zip(topics, out["summaries"]):
        expected = summarise(torch_ws, topic, strategy="extractive").to_json()
        assert [b.pop("support", None) for b in got["bullets"]] == [b.pop("support", None) for b in expected["bullets"]]
        assert (got["bullets"], got["sources"]) == (expected["bullets"], expected["sources"])
        assert got["bullets"]
