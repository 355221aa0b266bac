"""Who says it: a rewrite may not state as fact what its source presents only as someone's word (a
characterisation, a disputed date, a claim, a denial, hearsay, another's quoted words). Golden cases by hand,
then the verifier. The evidence sentences are the sample corpus's own (checked below)."""

import pytest

from briefkit.attribution.verify import rule_problems
from briefkit.evaluation.verification_set import corpus_texts
from briefkit.text.speech import attributed, dropped_frames, frames

DATES = "This report dates Lin's resignation to March 4, 2026, one day later than the date given in earlier coverage."
DESCRIBED = ("The company described the changes as a reshuffle meant to bring in new talent and to expand its AI "
             "leadership rather than shrink it.")
DENIED = ("Alibaba denied that the Qwen team was resigning collectively and called the moves part of a leadership "
          "reshuffle.")
HEARSAY = ("A second senior researcher, Yu Bowen, who led post-training work on Qwen, has also left Alibaba, "
           "according to people familiar with the team.")
SELF = "Junyang Lin has stepped down as technical lead of Alibaba's Qwen project, he announced on X on March 3."
QUOTED = '"This is a reshuffle, not a retreat," an Alibaba spokesperson said of the Qwen departures.'
QUOTED_SELF = '"I am stepping down from the Qwen project," Lin wrote on X on March 3.'


def test_the_evidence_is_the_sample_corpus():
    texts = corpus_texts("sample")
    assert DATES in texts["lead-02"] and DESCRIBED in texts["lead-02"] and HEARSAY in texts["lead-02"]
    assert SELF in texts["lead-05"] and DENIED in texts["lead-05"]


@pytest.mark.parametrize("sentence,found", [
    (DATES, ["dates ... to"]),
    (DESCRIBED, ["described ... as"]),
    (DENIED, ["called ... a", "denied"]),
    (HEARSAY, ["according to people", "people familiar"]),
    (QUOTED, ["quoted words"]),
    ("Alibaba executives dismissed suggestions of a collective resignation.", ["dismissed"]),
    ("The startup claims a 60 percent cut in inference cost.", ["claims"]),
    # plain reports of one's own act, measurements and calls for something are no frames
    (SELF, []),
    ("The app reached 203 million users, according to figures cited by Reuters.", []),
    ("Analysts called for a review of the deal.", []),
    ("Lin joined Alibaba in 2019.", []),
])
def test_frames_by_hand(sentence, found):
    assert frames(sentence) == found


def test_a_quotation_is_a_self_report_when_its_speaker_is_the_subject():
    assert frames(QUOTED_SELF) == ["quoted words"]  # no subject given: someone else's words
    assert frames(QUOTED_SELF, subject="Lin is stepping") == []
    assert frames('"We will keep our open-source strategy," he said.', subject="Alibaba keeps") == []  # a pronoun


@pytest.mark.parametrize("sentence,says", [
    ("Market Ledger dates Lin's resignation to March 4, 2026.", True),
    ("The company described the changes as a reshuffle.", True),
    ("Alibaba denies resignation of Qwen team.", True),
    ("Yu Bowen has left Alibaba, people familiar with the team say.", True),
    ("The changes were described by the company as a reshuffle.", True),  # a passive with its agent
    ("Lin's resignation was announced on March 4, 2026.", False),  # a passive with none says nobody
    ("The changes were described as a reshuffle.", False),
    ("The company's leadership structure was reorganized to attract new talent.", False),
])
def test_attributed_by_hand(sentence, says):
    assert attributed(sentence) is says


@pytest.mark.parametrize("claim,evidence,dropped", [
    # the two bullets seen with the 1.5B model on the sample corpus: a report's date and a company's
    # description stated as fact
    ("Lin's resignation was announced on March 4, 2026.", [DATES], ["dates ... to"]),
    ("The company's leadership structure was reorganized to attract new talent and enhance AI capabilities.",
     [DESCRIBED], ["described ... as"]),
    # the frame kept: passes
    ("One report dates Lin's resignation to March 4, 2026.", [DATES], []),
    ("The company called the changes a reshuffle to bring in new talent.", [DESCRIBED], []),
    # denied, then stated as a negated fact or as the other half of the sentence
    ("The Qwen team was not resigning collectively.", [DENIED], ["called ... a", "denied"]),
    ("Alibaba denies a collective resignation of the Qwen team.", [DENIED], []),
    # hearsay dropped; kept
    ("Yu Bowen, who led post-training work on Qwen, has also left Alibaba.", [HEARSAY],
     ["according to people", "people familiar"]),
    ("Yu Bowen has also left Alibaba, according to people familiar with the team.", [HEARSAY], []),
    # one evidence sentence states the content without a frame: the rewrite may state it too
    ("Yu Bowen has left Alibaba.", [HEARSAY, "Yu Bowen, who ran post-training for Qwen, has left the company."], []),
    # a self-report of one's own act is stated as fact in news, and by the labelled set
    ("Junyang Lin has stepped down as technical lead of Alibaba's Qwen project.", [SELF], []),
    ("Lin is stepping down from the Qwen project.", [QUOTED_SELF], []),
    # someone else's quoted words: dropping the speaker states them as fact
    ("The Qwen departures are a reshuffle, not a retreat.", [QUOTED], ["quoted words"]),
    ("An Alibaba spokesperson said the Qwen departures are a reshuffle.", [QUOTED], []),
    # a framed sentence that does not carry the claim does not count
    ("Lin joined Alibaba in 2019.", [DATES, "Lin joined Alibaba in 2019 and moved to Qwen in 2023."], []),
])
def test_dropped_frames_by_hand(claim, evidence, dropped):
    assert dropped_frames(claim, evidence) == dropped


def test_the_verifier_rejects_a_dropped_frame_with_its_reason_and_keeps_citations_alone():
    claim = "The company's leadership structure was reorganized to attract new talent and enhance AI capabilities."
    assert "drops who says it: described ... as" in rule_problems(claim, [DESCRIBED])
    assert not [r for r in rule_problems("Lin's resignation was announced on March 4, 2026.", [DATES])
                if not r.startswith("drops who says it")]  # the rule alone catches it
    # the citation ("core") check asks whether a source states a bullet's core, not how it words who says it
    assert not [r for r in rule_problems(claim, [DESCRIBED], core=True) if r.startswith("drops who")]
