"""Up to a time or within it: a rewrite may not turn a running total "by February 2026" into a figure "in February
2026", nor back. Golden cases by hand, then the verifier, then the sample corpus end to end. The evidence
sentences are the sample corpus's own (checked below)."""

import pytest

from briefkit.attribution.verify import rule_problems
from briefkit.briefs.summarise import summarise
from briefkit.evaluation.verification_set import corpus_texts
from briefkit.text.periods import UP_TO, WITHIN, TimeSpan, respanned, time_spans

from conftest import model_worded

CHIPS = "T-Head, the chip design unit of Alibaba, had shipped 470,000 AI chips in total by February 2026."
DOWNLOADS = ("On its quarterly earnings call Alibaba confirmed that Qwen models had been downloaded more than 1 "
             "billion times on Hugging Face by the end of January 2026.")
USERS = ("The Qwen consumer app reached about 203 million monthly active users in February 2026, according to figures "
         "cited by Reuters, up from roughly 31.05 million in January.")
SEEN = "T-Head, the chip design unit of Alibaba had shipped 470,000 AI chips in February 2026."


def test_the_evidence_is_the_sample_corpus():
    texts = corpus_texts("sample")
    assert CHIPS in texts["strat-03"] and DOWNLOADS in texts["adopt-01"] and USERS in texts["adopt-02"]


@pytest.mark.parametrize("sentence,found", [
    (CHIPS, [TimeSpan("by February 2026", UP_TO, "february", "2026")]),
    (DOWNLOADS, [TimeSpan("by the end of January 2026", UP_TO, "january", "2026")]),
    (USERS, [TimeSpan("in February 2026", WITHIN, "february", "2026"), TimeSpan("in January", WITHIN, "january", "")]),
    ("Revenue rose 34% in the third quarter of 2025.",
     [TimeSpan("in the third quarter of 2025", WITHIN, "q3", "2025")]),
    ("Lin had been with Alibaba since 2019.", [TimeSpan("since 2019", UP_TO, "", "2019")]),
    ("As of March 3, 2026 the app had 200 million users.", [TimeSpan("As of March 3, 2026", UP_TO, "march", "2026")]),
    ("February 2026 shipments rose.", []),  # no preposition: no kind
])
def test_time_spans_by_hand(sentence, found):
    assert time_spans(sentence) == found


@pytest.mark.parametrize("claim,evidence,wrong", [
    # by -> in: the bullet seen with SmolLM2 (the default system); a total becomes one month's figure
    (SEEN, [CHIPS], ["in February 2026 for by February 2026"]),
    ("Qwen models were downloaded more than 1 billion times on Hugging Face during January 2026.", [DOWNLOADS],
     ["during January 2026 for by the end of January 2026"]),
    # in -> by: one month's figure becomes a total; but a mark reached in February was reached by February
    ("T-Head had shipped 50,000 AI chips by February 2026.", ["T-Head shipped 50,000 AI chips in February 2026."],
     ["by February 2026 for in February 2026"]),
    ("The Qwen app had reached about 203 million monthly active users by February 2026.", [USERS], []),
    # the same kind kept, the year dropped or the preposition reworded: faithful
    ("T-Head had shipped 470,000 AI chips by February 2026.", [CHIPS], []),
    ("T-Head had shipped 470,000 AI chips as of February.", [CHIPS], []),
    ("The Qwen app reached about 203 million monthly active users in February.", [USERS], []),
    # a total called a total may say when it crossed a mark
    ("T-Head's total AI chip shipments passed 470,000 in February 2026.", [CHIPS], []),
    # another time, or no figure: not this rule's business
    ("T-Head had shipped 470,000 AI chips in 2025.", [CHIPS], []),
    ("Lin joined Alibaba in 2019.", ["Lin had been with Alibaba since 2019."], []),
])
def test_respanned_by_hand(claim, evidence, wrong):
    assert respanned(claim, evidence) == wrong


def test_the_verifier_rejects_a_total_made_a_months_figure():
    assert rule_problems(SEEN, [CHIPS]) == [
        "turns a total up to a time into a figure within it, or back: in February 2026 for by February 2026"]
    assert rule_problems("T-Head, the chip design unit of Alibaba, had shipped 470,000 AI chips by February 2026.",
                         [CHIPS]) == []


def test_the_demo_summary_shows_no_total_made_a_months_figure(sample_ws):
    """The default system (SmolLM2) wrote SEEN for CHIPS and it was shown as verified. The T-Head figure is still
    in the summary, now quoted or in words that keep it a total."""
    result = summarise(sample_ws, "Alibaba AI strategy, results and adoption", model="smollm2-135m")
    assert any("470,000" in b.text for b in result.bullets), [b.text for b in result.bullets]
    assert [text for text, evidence in model_worded(result) if respanned(text, evidence)] == []
