"""Purpose and result: a rewrite that says why or to what end something was done, when its evidence does not,
is not verified; an infinitive its evidence has (the same verb, or reworded after the same word) passes. Golden
cases by hand, then the verifier. The evidence sentences are the sample corpus's own (checked below)."""

import pytest

from briefkit.attribution.verify import rule_problems
from briefkit.evaluation.verification_set import corpus_texts
from briefkit.text.purpose import added_purposes, purposes

LIN = ("Junyang Lin, the engineer most associated in public with Alibaba's Qwen models, said on March 3, 2026 that "
       "he is stepping down from the project.")
LIN_X = "Junyang Lin has stepped down as technical lead of Alibaba's Qwen project, he announced on X on March 3."
HIRE = ("Alibaba has hired Zhou Hao, previously a senior staff research scientist at Google DeepMind, to lead "
        "post-training research for Qwen.")
AZURE = ("The Qwen3.5 native vision-language series is now available on Microsoft Azure, the first large Western "
         "cloud to carry the Qwen3.5 generation.")
LOAF = "Independent bakeries in the county raised the price of a standard loaf by about 8 percent this month."
TURBINES = ("Engineers will watch the effect on fish and on sediment for two years before the council decides "
            "whether to expand the scheme.")
CHIPS = "More than 60 percent of them went to outside customers, spread over more than 400 enterprise clients."
# SmolLM2 with the transformers backend on the sample corpus, shown as "in the model's words, verified" (smol-174)
SEEN = "Junyang Lin steps down from Alibaba's Qwen project to take over his role as technical lead."


def test_the_evidence_is_the_sample_corpus():
    texts = corpus_texts("sample")
    assert LIN in texts["lead-01"] and LIN_X in texts["lead-05"] and HIRE in texts["lead-03"]
    assert AZURE in texts["rel-03"] and LOAF in texts["dist-03"] and TURBINES in texts["dist-01"]
    assert CHIPS in texts["strat-03"]


def test_purposes_by_hand():
    found = purposes(SEEN)
    assert [c.shown for c in found] == ["to take"]
    assert (found[0].verb, found[0].following, found[0].heads, found[0].plan) == (
        "take", "over", ["steps", "project"], False)
    # a plan's complement; "in order to" and an adverb after "to"
    plan = purposes("Dodge plans to quickly build 3,300 cars in order to meet demand.")
    assert [(c.shown, c.verb, c.plan) for c in plan] == [("to build", "build", True),
                                                         ("in order to meet", "meet", False)]
    # "to" before a noun, an adjective, a gerund, a plural, an -ed word, a figure or a name is no infinitive;
    # after "due", "led", "according" it is a preposition
    assert purposes("Net income fell 66 percent due to heavy spending.") == []
    assert purposes("The models range from 0.8 to 9 billion parameters and moved to Azure.") == []
    assert purposes("Focused lending led to greater stability and to vulnerabilities.") == []
    assert purposes("Its approach to transforming cars points to increased power.") == []
    # base verbs that look like those: "-eed", "-ss", "-ing" of five letters
    assert [c.verb for c in purposes("It wants to speed up, to access chips and to bring in talent.")] == [
        "speed", "access", "bring"]


@pytest.mark.parametrize("sentence,evidence,found", [
    # invented purposes: the evidence states the step, never why
    (SEEN, [LIN, LIN_X], ["to take"]),
    ("Junyang Lin has stepped down from the Qwen project to focus on research.", [LIN_X], ["to focus"]),
    (LOAF[:-1] + " in order to cover higher wages.", [LOAF], ["in order to cover"]),
    ("Engineers will watch the effect on fish for two years so that the council can expand the scheme.",
     [TURBINES], ["so that"]),
    # both events in the evidence, but not the one as the other's purpose: "will lead" is no "to lead"
    ("Lin stepped down to lead a startup.", ["Lin stepped down. He will lead a startup."], ["to lead"]),
    # faithful: the evidence's own infinitive, in any light form of the same verb
    ("Zhou Hao was hired to lead post-training research for Qwen.", [HIRE], []),
    ("Zhou Hao was hired to head post-training research.", [HIRE], []),  # "head" is a form of "lead"
    ("The reveal was designed to maximize press attention.", ["The reveal was aimed at maximizing attention."], []),
    # the evidence attaches an infinitive to the same word; the rewrite rewords its verb
    ("Azure is the first large Western cloud to offer the Qwen3.5 generation.", [AZURE], []),
    ("Alibaba launches a task force to boost model work.", ["Alibaba set up a task force to accelerate work."], []),
    # a plan or expectation: its verb in any form in the evidence (the plan itself is the time check's)
    ("Alibaba plans to release the weights.", ["Alibaba will release the weights."], []),
    ("Dodge is set to launch the Charger in 2024.", ["Dodge is set to launch the Charger in 2024."], []),
    ("The turbines are expected to power 1,200 homes.", ["The turbines are expected to supply power to homes."], []),
    ("Dodge plans to integrate electric drives.", ["Dodge plans to sell electric cars."], ["to integrate"]),
    # "to" before a noun phrase the evidence has ("outside customers"): a destination, no purpose
    ("T-Head shipped most chips to outside customers.", [CHIPS], []),
    ("Most chips were shipped to external customers.", ["Over 60% serve external customers."], []),
    # "so that" where the evidence has a purpose mark of its own
    ("It was cut so that it fits.", ["It was cut in order to fit."], []),
])
def test_added_purposes_by_hand(sentence, evidence, found):
    assert added_purposes(sentence, evidence) == found


def test_the_verifier_rejects_an_invented_purpose_and_keeps_the_evidence_one():
    assert "adds a purpose or aim the evidence does not give: to take" in rule_problems(SEEN, [LIN, LIN_X])
    assert rule_problems("Alibaba has hired Zhou Hao to lead post-training research.", [HIRE]) == []
