"""Summaries and answers with the bundled SmolLM2 on the sample corpus; citation repair; Q&A checks."""

import io
import json

import pytest

from briefkit.citations import CitationChecker, Sources, missing_terms, parse_bullets
from briefkit.retrieval import Passage
from briefkit.qa import ask
from briefkit.summarise import summarise


def P(doc, text, title="t"):
    return Passage(doc, hash(doc) % 1000, title, "src", "2026-03-03", 1.0, text, 0.9)


@pytest.fixture(scope="module")
def checker(sample_ws):
    sources = Sources.from_passages([
        P("lead-01", "Junyang Lin said on March 3, 2026 that he is stepping down from the Qwen project."),
        P("adopt-01", "Qwen models were downloaded more than 1 billion times on Hugging Face by January 2026."),
    ])
    return CitationChecker(sample_ws.embedder, sources, min_support=0.55)


def test_parse_bullets_and_citations():
    text = "Here you go:\n- Lin stepped down on March 3 [1].\n* Qwen passed 1 billion downloads [2, 1]\n- ok [1]"
    assert parse_bullets(text) == [("Lin stepped down on March 3.", [1]),
                                   ("Qwen passed 1 billion downloads", [2, 1])]


def test_citation_repair_with_crafted_outputs(checker):
    bullets = checker.check(parse_bullets(
        "- Junyang Lin stepped down from Qwen on March 3, 2026 [7]\n"       # cites a source never given
        "- Qwen models passed 1 billion downloads on Hugging Face\n"         # cites nothing
        "- Junyang Lin stepped down from Qwen on March 9, 2026 [1]\n"       # a date the source does not give
        "- Bakeries raised the price of bread by eight percent [2]\n"       # unsupported
        "- The weather on Mars was pleasant and calm all week\n"))          # uncited and unsupported: dropped
    assert len(bullets) == 4
    first, second, third, fourth = bullets
    assert first.citations == ["lead-01"] and first.supported  # bad number removed, re-attached
    assert "removed citations" in first.notes[0]
    assert second.citations == ["adopt-01"] and second.supported
    assert not third.supported and "9" in third.notes[-1]
    assert not fourth.supported and fourth.citations == ["adopt-01"]


def test_figure_check():
    assert missing_terms("Lin left on March 4, 2026", "Lin said on March 3, 2026") == {"4"}
    assert missing_terms("Qwen reached 203 million users", "about 203 million monthly users of Qwen") == set()
    assert missing_terms("Zhou Hao joined Tencent", "Zhou Hao joined Alibaba") == {"tencent"}


def test_summary_with_smollm2_cites_only_retrieved_documents(sample_ws):
    result = summarise(sample_ws, "Qwen3.5 Small model sizes", model="smollm2-135m", strategy="stuff", k=4)
    data = result.to_json()
    assert data["model"] == "smollm2-135m" and data["strategy"] == "stuff"
    retrieved = {p.doc_id for p in result.passages}
    assert data["bullets"], data
    for bullet in data["bullets"]:
        assert bullet["citations"] and set(bullet["citations"]) <= retrieved
    assert {s["doc_id"] for s in data["sources"]} <= retrieved
    assert set(data["stats"]) >= {"retrieve_s", "generate_s", "prompt_tokens", "completion_tokens", "tokens_per_s"}
    assert data["stats"]["prompt_tokens"] > 0


def test_map_reduce_on_more_passages_than_fit(sample_ws):
    tight = sample_ws.derive(summarise={"context_tokens": 256}, generation={"max_new_tokens": 48})
    result = summarise(tight, "Alibaba AI strategy and results", model="smollm2-135m", strategy="auto", k=8)
    assert result.strategy.startswith("map-reduce")
    assert result.stats.calls >= 3  # several map calls and at least one reduce
    retrieved = {p.doc_id for p in result.passages}
    for b in result.bullets:
        assert b.citations and set(b.citations) <= retrieved


def test_extractive_needs_no_model_and_cites(sample_ws):
    result = summarise(sample_ws, "Qwen downloads and adoption", strategy="extractive", k=5)
    assert result.model == "none (extractive)" and result.bullets
    assert all(len(b.citations) == 1 for b in result.bullets)
    assert {d for b in result.bullets for d in b.citations} & {"adopt-01", "adopt-02", "adopt-03"}


def test_off_topic_summary_says_so(sample_ws):
    result = summarise(sample_ws, "volcanic eruptions in Iceland", strategy="extractive")
    assert result.bullets == [] and "no passages" in result.notice


def test_cache_makes_a_repeat_free(sample_ws):
    first = summarise(sample_ws, "Qwen3.5-Max Preview", model="smollm2-135m", strategy="stuff", k=3)
    again = summarise(sample_ws, "Qwen3.5-Max Preview", model="smollm2-135m", strategy="stuff", k=3)
    assert again.stats.cached_calls == again.stats.calls == 1
    assert again.to_json()["bullets"] == first.to_json()["bullets"]


def test_factual_question_is_answered_with_a_valid_citation(sample_ws):
    result = ask(sample_ws, "How many downloads did Qwen reach on Hugging Face?", model="smollm2-135m")
    assert not result.abstained, result.rejected
    assert "billion" in result.answer.lower()
    assert "adopt-01" in result.citations
    assert {s["doc_id"] for s in result.sources} == set(result.citations)


def test_unanswerable_question_abstains(sample_ws):
    result = ask(sample_ws, "What is the population of the Mars colony?", model="smollm2-135m")
    assert result.abstained and result.citations == []
    assert "does not contain" in result.answer


def test_bad_questions_are_clear_errors(sample_ws):
    from briefkit.errors import BadInput

    with pytest.raises(BadInput, match="empty"):
        ask(sample_ws, "   ")
    with pytest.raises(BadInput, match="limit"):
        ask(sample_ws, "why " * 1000)


def test_interactive_loop_keeps_the_model_loaded(sample_ws, monkeypatch, capsys):
    from briefkit.cli.app import main

    monkeypatch.setattr("sys.stdin", io.StringIO("How many downloads did Qwen reach on Hugging Face?\n\nexit\nignored\n"))
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
    assert answers[0]["question"].startswith("How many downloads") and "adopt-01" in answers[0]["citations"]


def test_stuff_that_does_not_fit_switches_to_map_reduce(sample_ws):
    tight = sample_ws.derive(summarise={"context_tokens": 256}, generation={"max_new_tokens": 32})
    result = summarise(tight, "Qwen adoption figures", model="smollm2-135m", strategy="stuff", k=6)
    assert result.strategy.startswith("map-reduce") and "context budget" in result.notice


@pytest.fixture(scope="module")
def qa_checker(sample_ws):
    sources = Sources.from_passages([
        P("lead-01", "Junyang Lin said on March 3, 2026 that he is stepping down from the Qwen project."),
        P("lead-02", "This report dates Lin's resignation to March 4, 2026, one day later than earlier coverage."),
        P("adopt-01", "Qwen models were downloaded more than 1 billion times on Hugging Face by January 2026."),
    ])
    return CitationChecker(sample_ws.embedder, sources, min_support=0.55)


def test_verify_answer_with_crafted_drafts(sample_ws, qa_checker):
    from briefkit.qa import verify_answer

    ok = verify_answer("Qwen was downloaded more than 1 billion times on Hugging Face [3].", qa_checker, sample_ws)
    assert ok.reason is None and ok.citations == ["adopt-01"]
    invented = verify_answer("Qwen was downloaded 5 billion times on Hugging Face [3].", qa_checker, sample_ws)
    assert invented.reason and "5" in invented.reason
    recited = verify_answer("Qwen was downloaded more than 1 billion times on Hugging Face [1].", qa_checker, sample_ws)
    assert recited.reason is None and recited.citations == ["adopt-01"]  # moved to the passage with the figure
    unrelated = verify_answer("Qwen models were downloaded by many people [3].", qa_checker, sample_ws)
    assert unrelated.reason is None or "support" in unrelated.reason


def test_disagreeing_sources_are_reported_and_both_cited(sample_ws, qa_checker):
    from briefkit.qa import verify_answer

    verdict = verify_answer("Junyang Lin stepped down on March 3, 2026 [1].", qa_checker, sample_ws)
    assert verdict.reason is None
    assert set(verdict.citations) == {"lead-01", "lead-02"}
    assert "March 4" in verdict.conflict and "Sources disagree" in verdict.text
