"""New words: a rewrite that says much in content words its evidence never uses is not verified, while a faithful
rewording passes. Golden cases by hand, then the verifier. The evidence sentences are the sample corpus's own
(checked below)."""

import pytest

from briefkit.attribution.verify import rule_problems
from briefkit.evaluation.verification_set import corpus_texts
from briefkit.text.novelty import MIN_NEW, MIN_SHARE, added_words, new_words
from briefkit.text.purpose import added_purposes

from conftest import model_worded

SMALL = ("The Qwen team released the Qwen3.5 Small family with four model sizes: about 0.8 billion, 2 billion, "
         "4 billion and 9 billion parameters.")
LIN = ("Junyang Lin, the engineer most associated in public with Alibaba's Qwen models, said on March 3, 2026 that "
       "he is stepping down from the project.")
AZURE = ("The Qwen3.5 native vision-language series is now available on Microsoft Azure, the first large Western "
         "cloud to carry the Qwen3.5 generation.")
MAX = ("Unlike the open-weight Qwen3.5 and Qwen3.5 Small series, the Max Preview is offered only as a hosted API.")
# SmolLM2 with the transformers backend on the sample corpus, shown as "in the model's words, verified"
SEEN = ("Qwen3.5 - A small family of four named Qwen has been announced for a new generation of three-legged "
        "creatures!")


def test_the_evidence_is_the_sample_corpus():
    texts = corpus_texts("sample")
    assert SMALL in texts["rel-01"] and LIN in texts["lead-01"] and AZURE in texts["rel-03"]
    assert MAX in texts["rel-02"]


@pytest.mark.parametrize("sentence,evidence,found", [
    # invented: five content words the evidence has in no form ("small", "family", "four" it has; "new" is a
    # stop word; "Qwen" and "Qwen3.5" are names, the term check's)
    (SEEN, [SMALL], ["named", "announced", "generation", "three-legged", "creatures"]),
    # faithful rewordings: an irregular past and a particle ("stepped down" for "stepping down"), "left" as the
    # same departure, plural and tense endings ("carrying", "carries"), -ly, an -ing form
    ("Junyang Lin stepped down from Alibaba's Qwen project.", [LIN], []),
    ("Junyang Lin has left the project, he said on March 3, 2026.", [LIN], []),
    ("The Qwen team releases a Small family in four sizes.", [SMALL], []),
    ("The series is natively available on Microsoft Azure, the first large Western cloud carrying it.", [AZURE], []),
    ("Microsoft Azure carries the series.", [AZURE], []),
    # hyphens: a word known whole or by its parts; a hyphenated word with an unknown part is new
    ("The vision-language series is available on Azure.", [AZURE], []),
    ("The vision and language series is available on Azure.", [AZURE], []),
    ("Qwen3.5 Small is open-weight; the Max Preview is a hosted API.", [MAX], []),
    ("The open weights of Qwen3.5 Small are hosted.", [MAX], []),
    ("The three-legged series is available on Azure.", [AZURE], ["three-legged"]),
    # a title the repo treats as the same ("head" for "lead") is no new word; "firm" for "team" is
    ("Qwen's head engineer said he is stepping down.", [LIN, "He was the technical lead of Qwen."], []),
    ("The Qwen firm released the Small family.", [SMALL], ["firm"]),
    # a new word in two forms is one new word
    ("Production will stop when the plant stops.", ["Production ends in 2023."], ["stop", "plant"]),
])
def test_new_words_by_hand(sentence, evidence, found):
    assert new_words(sentence, evidence) == found


def test_the_threshold_by_hand():
    assert (MIN_NEW, MIN_SHARE) == (3, 0.35)
    # 5 new of 8 content words (small, family, four, named, announced, generation, three-legged, creatures)
    assert added_words(SEEN, [SMALL]) == ["named", "announced", "generation", "three-legged", "creatures"]
    # 2 new words (firm, shipped) are too few, whatever their share
    assert new_words("The Qwen firm shipped the Small family.", [SMALL]) == ["firm", "shipped"]
    assert added_words("The Qwen firm shipped the Small family.", [SMALL]) == []
    # 3 new (firm, shipped, flagship) of 9 content words: a third, below 35%
    long = "The Qwen firm shipped the flagship Small family with four model sizes and their parameters released."
    assert new_words(long, [SMALL]) == ["firm", "shipped", "flagship"]
    assert added_words(long, [SMALL]) == []
    # the same 3 new of 6 content words: a half
    short = "The firm shipped the flagship Small family with four sizes."
    assert added_words(short, [SMALL]) == ["firm", "shipped", "flagship"]


def test_the_verifier_rejects_invented_words_and_keeps_a_paraphrase():
    assert ("adds words the evidence does not have: named, announced, generation, three-legged, creatures"
            in rule_problems(SEEN, [SMALL]))
    assert rule_problems("Junyang Lin said on March 3, 2026 that he is stepping down from the Qwen project.",
                         [LIN]) == []


def test_the_demo_summary_shows_no_invented_words_in_the_models_words(sample_ws):
    """The default system with the transformers backend wrote SEEN for SMALL and it was shown as verified. The
    family's sizes are still in the summary, now quoted or in the evidence's words. The same summary showed
    "Junyang Lin steps down ... to take over his role as technical lead." (a purpose its evidence never gives,
    smol-174) as verified too: no bullet in the model's words adds a purpose (see test_purpose.py)."""
    from briefkit.briefs.summarise import summarise
    from briefkit.workspace import Workspace

    ws = Workspace(sample_ws.settings.with_overrides(generation={"backend": "transformers"}))
    result = summarise(ws, "Qwen3.5 model releases", model="smollm2-135m")
    assert any(e.doc_id == "rel-01" for b in result.bullets for e in b.evidence), [b.text for b in result.bullets]
    assert [text for text, evidence in model_worded(result) if added_words(text, evidence)] == []
    assert [text for text, evidence in model_worded(result) if added_purposes(text, evidence)] == []
