"""The form of a rewrite: a headline in title case and a reported clause without a verb are no statements, so the
bullet falls back to its quoted sentence. Golden cases by hand, then the verifier. The evidence sentences are the
sample corpus's own (checked below)."""

import pytest

from briefkit.attribution.evidence import sentence_problem
from briefkit.attribution.verify import rule_problems
from briefkit.briefs.summarise import summarise
from briefkit.evaluation.verification_set import corpus_texts
from briefkit.text.form import headline_case, verbless, verbless_report

from conftest import model_worded

AZURE = ("The Qwen3.5 native vision-language series is now available on Microsoft Azure, the first large Western "
         "cloud to carry the Qwen3.5 generation.")
DOWNLOADS = ("On its quarterly earnings call Alibaba confirmed that Qwen models had been downloaded more than 1 "
             "billion times on Hugging Face by the end of January 2026.")
LLAMA = ("Qwen models have passed 1 billion downloads on Hugging Face, Alibaba said on its earnings call, which puts "
         "the family ahead of Meta's Llama.")
HEADLINE = "Qwen 3.5 Native Vision Language Series Available on Microsoft Azure."
FUSED = ("Alibaba confirmed that Qwen models had been downloaded more than 1 billion times on Hugging Face, and "
         "Alibaba said the family ahead of Meta's Llama.")


def test_the_evidence_is_the_sample_corpus():
    texts = corpus_texts("sample")
    assert AZURE in texts["rel-03"] and DOWNLOADS in texts["adopt-01"] and LLAMA in texts["adopt-04"]


@pytest.mark.parametrize("sentence,found", [
    # the transformers backend's bullet (README demo): five words the evidence writes in lower case
    (HEADLINE, ["Native", "Vision", "Language", "Series", "Available"]),
    ("Alibaba Launches Qwen3.5 On Azure.", []),  # "Launches" is not in the evidence (the name check's business)
    # sentence case with proper nouns: the capitals are the evidence's own
    ("The Qwen3.5 native vision-language series is now on Microsoft Azure, the first large Western cloud.", []),
    # one word capitalised by the model ("Small Family") is no headline
    ("The Qwen3.5 Native vision-language series is now available on Microsoft Azure.", []),
])
def test_headline_case_by_hand(sentence, found):
    assert headline_case(sentence, [AZURE]) == found


def test_a_title_before_a_name_may_take_capitals():
    evidence = ["The task force reports directly to chief executive Eddie Wu."]
    assert headline_case("The task force reports directly to Chief Executive Eddie Wu.", evidence) == []


def test_the_evidence_filter_is_unchanged_for_a_headline_with_a_period():
    assert sentence_problem(HEADLINE) is None  # source sentences keep their filter; only rewrites are judged


@pytest.mark.parametrize("sentence,found", [
    # SmolLM2's bullet (llama.cpp, the default system): "which puts the family ahead" lost its verb
    (FUSED, ["the family ahead of Meta's Llama"]),
    ("Alibaba said that Qwen3.5 available on Azure.", ["Qwen3.5 available on Azure"]),
    # clauses with a verb, objects and prepositions after the reporting verb
    ("Alibaba said the family is ahead of Meta's Llama.", []),
    ("Wu said revenue grew 34% in the quarter.", []),
    ("Alibaba said Qwen leads Meta's Llama in downloads.", []),
    ("Lin has stepped down, he announced on X on March 3.", []),
    ("Alibaba confirmed the figures on its earnings call.", []),  # an object, not a clause
    ("Tensions between the United States and China over AI persist.", []),  # "States" is a name
    ("Alibaba said it would keep its open-source strategy.", []),
])
def test_verbless_report_by_hand(sentence, found):
    assert verbless_report(sentence) == found


@pytest.mark.parametrize("sentence,found", [
    # SmolLM2 fragments in the verification set (smol-102, smol-105): no word that can be a verb
    ("The 1964 introduction of the 426 Hemi engine, a pivotal moment in high-performance automotive history.", True),
    ("Tim Draper, born on June 11th, in California.", True),
    ("Qwen3.5 now on Microsoft Azure.", True),
    # a verb of any kind: in -s, in -ed, an auxiliary, an irregular past ("laid", "saw")
    ("Alibaba launches task force.", False),
    ("Dodge, founded in 1900 by two brothers.", False),  # a participle counts: left to a parser
    ("The series is now on Microsoft Azure.", False),
    ("Eddie Wu laid out the roadmap.", False),
    ("Analysts saw the hire as a sign.", False),
])
def test_verbless_by_hand(sentence, found):
    assert verbless(sentence) is found


def test_the_verifier_rejects_both_forms():
    assert rule_problems(HEADLINE, [AZURE]) == ["not a statement (headline)"]
    assert rule_problems(FUSED, [DOWNLOADS, LLAMA]) == ["not a statement (a reported clause without a verb)"]
    assert rule_problems("Alibaba said Qwen models had passed 1 billion downloads on Hugging Face, which puts the "
                         "family ahead of Meta's Llama.", [DOWNLOADS, LLAMA]) == []


def test_the_demo_summary_shows_no_verbless_report_in_the_models_words(sample_ws):
    """The default system (SmolLM2) wrote FUSED for DOWNLOADS and LLAMA and it was shown as verified. The downloads
    figure is still in the summary, now quoted or in words with a verb."""
    result = summarise(sample_ws, "Qwen3.5 model releases", model="smollm2-135m")
    assert any("1 billion" in b.text for b in result.bullets), [b.text for b in result.bullets]
    assert [text for text, _ in model_worded(result) if verbless_report(text)] == []


def test_the_verifier_rejects_a_fragment_with_no_verb():
    assert "not a statement (no verb)" in rule_problems("Tim Draper, born on June 11th, in California.",
                                                        ["Tim Draper was born on June 11th in California."])
    assert rule_problems("Tim Draper was born in California.",
                         ["Tim Draper was born on June 11th in California."]) == []
