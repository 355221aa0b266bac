"""Tense and aspect: a citation states a claim at its level or a stronger one, and a present-tense who-question
is not answered by a past or departing holder. Golden cases by hand, then the sample corpus end to end."""

import re

import pytest

from briefkit.attribution.verify import rule_problems
from briefkit.briefs.qa import ABSTENTION, ask, holds_answer
from briefkit.briefs.questions import present_relation
from briefkit.briefs.summarise import summarise
from briefkit.text.tense import DONE, PLANNED, UNDER_WAY, ends_relation, event_key, verb_groups, weaker_aspect

YU_LEAVING = "Yu Bowen, who ran post-training for Qwen, is also leaving the company."
YU_LEFT = ("A second senior researcher, Yu Bowen, who led post-training work on Qwen, has also left Alibaba, "
           "according to people familiar with the team.")


def levels(sentence):
    return [(g.key, g.level, g.negated) for g in verb_groups(sentence)]


def test_verb_groups_read_the_level_of_each_verb():
    assert levels(YU_LEAVING) == [("lead", DONE, False), ("depart", UNDER_WAY, False)]  # "ran", "is also leaving"
    assert levels("Lin will step down next month.") == [("depart", PLANNED, False)]
    assert levels("Alibaba plans to open the lab.") == [("open", PLANNED, False)]
    assert levels("The model is expected to be released in May.")[-1] == ("relea", PLANNED, False)
    assert levels("Lin may leave.") == [("depart", PLANNED, False)]
    assert levels("Lin has not left.") == [("depart", DONE, True)]
    # in a source, an announced step is reported as taken (the labelled set's hand-092 and qwen-001 read it so)
    announced = verb_groups("Lin said on March 3, 2026 that he is stepping down.")[-1]
    assert (announced.key, announced.level, announced.reported, announced.stated) == ("depart", UNDER_WAY, True, DONE)
    assert event_key("stepped", down=True) == event_key("quit") == event_key("leaving") == "depart"
    assert event_key("joined") == event_key("joining") == "join"


@pytest.mark.parametrize("claim,evidence,wrong", [
    # done claimed, the source has it under way or planned: weaker
    ("Yu Bowen has also left Alibaba.", [YU_LEAVING], ["done for under way (left / is also leaving)"]),
    ("Lin stepped down.", ["Lin is expected to step down."],
     ["done for planned (stepped down / expected to step down)"]),
    ("Lin has left Alibaba.", ["Lin will leave Alibaba."], ["done for planned (left / will leave)"]),
    ("Lin is leaving Alibaba.", ["Lin plans to quit Alibaba."], ["under way for planned (is leaving / plans to quit)"]),
    # the reverse direction: the source states more than the claim
    ("Yu Bowen is also leaving Alibaba.", [YU_LEFT], []),
    ("Lin will leave Alibaba.", ["Lin is leaving Alibaba."], []),
    # negated on the source's side: a "has not left" states no departure
    ("Lin has left.", ["Lin has not left, but he is leaving."], ["done for under way (left / is leaving)"]),
    ("Lin has not left.", ["Lin is leaving."], []),  # a negated claim: the negation check's business
    # relative clauses: each verb against the same event in the source
    ("Yu Bowen, who led post-training for Qwen, has also left Alibaba.", [YU_LEAVING],
     ["done for under way (left / is also leaving)"]),
    ("Yu Bowen, who is leaving, led post-training.", [YU_LEAVING], []),
    ("Zhou Hao has joined Alibaba.", ["Zhou Hao, who is joining Alibaba, will lead post-training."],
     ["done for under way (joined / is joining)"]),
    # reported speech: said he is stepping down states the step
    ("Lin has stepped down.", ["Lin said on March 3, 2026 that he is stepping down from the project."], []),
    ("Lin announced he is stepping down.", ["Lin is stepping down, he wrote on X."], []),  # the claim's own level
    # an event the source does not name is not judged here
    ("Lin has left Alibaba.", ["Alibaba is hiring new researchers."], []),
])
def test_weaker_aspect_by_hand(claim, evidence, wrong):
    assert weaker_aspect(claim, evidence) == wrong


def test_the_citation_check_and_the_rewrite_check_share_the_rule():
    claim = "Yu Bowen, a senior researcher who led post-training for Qwen, has also left Alibaba."
    expected = ["changes time or certainty: done for under way (left / is also leaving)"]
    assert [r for r in rule_problems(claim, [YU_LEAVING], core=True) if r.startswith("changes")] == expected
    assert [r for r in rule_problems(claim, [YU_LEAVING]) if r.startswith("changes")] == expected
    assert not [r for r in rule_problems(claim, [YU_LEFT], core=True) if r.startswith("changes")]
    assert not [r for r in rule_problems(claim, [YU_LEAVING, YU_LEFT]) if r.startswith("changes")]  # one states it


@pytest.mark.parametrize("question,relation", [
    ("Who leads the Qwen team?", "lead"), ("Who is the head of Tongyi Lab?", "lead"),
    ("Who is in charge of Tongyi Lab?", "lead"), ("Who currently runs the lab?", "lead"), ("Who owns Azure?", "own"),
    ("Who led post-training for Qwen?", None), ("Who has left Alibaba?", None), ("Who said that?", None),
    ("When did Junyang Lin step down?", None),
])
def test_present_relation_of_a_question(question, relation):
    assert present_relation(question) == relation


@pytest.mark.parametrize("sentence,ended", [
    (YU_LEFT, True),  # "who led": past; "has also left": a departure
    (YU_LEAVING, True),
    ("Junyang Lin has stepped down as technical lead of Alibaba's Qwen project.", True),
    ("The release came a day before Junyang Lin announced that he was leaving the Qwen team.", True),
    ("Alibaba has hired Zhou Hao, previously at Google DeepMind, to lead post-training research for Qwen.", False),
    ("Zhou Jingren remains in charge of Tongyi Lab, the research group that builds Qwen.", False),
    ("Alibaba formed the Alibaba Token Hub, a business group led by Wu.", False),  # passive: led now
    ("Wu has led the group since 2020.", False),
    ("Alibaba released Qwen3.5 Small in four sizes.", False),  # says nothing of the relation
])
def test_ends_relation_by_hand(sentence, ended):
    assert ends_relation(sentence, "lead") is ended


def test_a_present_question_is_not_held_by_a_past_holder_but_a_past_question_is():
    assert not holds_answer("Who leads post-training for Qwen?", YU_LEFT)
    assert holds_answer("Who led post-training for Qwen?", YU_LEFT)


DONE_DEPARTURE = re.compile(r"\b(?:has|have)\s+(?:also\s+)?left\b|\bstepped down\b|\bquit\b|\bdeparted\b", re.I)


def test_demo_summary_cites_no_in_progress_departure_for_a_done_one(sample_ws):
    """The README demo: "Yu Bowen ... has also left Alibaba" cited lead-05, whose sentence says he "is also
    leaving the company". A bullet that says a departure is done cites only sentences that say it is done (or
    report it announced); a bullet about Yu Bowen is still shown."""
    result = summarise(sample_ws, "Qwen team leadership changes", model="smollm2-135m")
    yu = [b for b in result.bullets if "Yu Bowen" in b.text]
    assert yu, [b.text for b in result.bullets]
    for b in result.bullets:
        if DONE_DEPARTURE.search(b.text):
            cited = [" ".join(e.text.split()) for e in b.evidence]
            assert YU_LEAVING not in cited, (b.text, cited)
            assert b.citations == list(dict.fromkeys(e.doc_id for e in b.evidence))


@pytest.mark.parametrize("model", ["none", "smollm2-135m"])
def test_who_leads_the_qwen_team_is_not_answered_by_who_left(sample_ws, model):
    """It answered with the Yu Bowen departure sentence ("who led post-training ... has also left")."""
    result = ask(sample_ws, "Who leads the Qwen team?", model=model)
    assert "Yu Bowen" not in result.answer and "Junyang Lin" not in result.answer, result.answer
    if not result.abstained:
        assert any(name in result.answer for name in ("Zhou Jingren", "Zhou Hao", "Wu")), result.answer
    else:
        assert result.answer.startswith(ABSTENTION)
