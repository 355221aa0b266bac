"""Who holds a title or a relation: a rewrite may drop a title but not move one, nor a relation ("reports to X"),
from one name to another. Golden cases by hand, then the verifier, then the sample corpus end to end. The
evidence sentences are the sample corpus's own (checked below)."""

import pytest

from briefkit.attribution.verify import new_roles, rule_problems
from briefkit.briefs.summarise import summarise
from briefkit.evaluation.verification_set import corpus_texts
from briefkit.text.binding import Binding, bindings, moved_roles, spelled_out, title_keys

from conftest import model_worded

TASK_FORCE = ("Alibaba is creating a Foundation Model Task Force that reports directly to chief executive Eddie Wu, "
              "working with chief technology officer Zhou Jingren.")
TOKEN_HUB = ("Alibaba also formed the Alibaba Token Hub, a business group led by Wu that brings together Tongyi Lab, "
             "the model-as-a-service business, the Qwen model unit and the Wukong enterprise platform.")
ZHOU = ("Zhou Jingren, the chief technology officer of Alibaba Cloud, remains in charge of Tongyi Lab, the research "
        "group that builds Qwen.")
MANAGER = ("The title is the club's first in eleven years, and the manager thanked the supporters who travelled for "
           "the match.")
SEEN = ("Alibaba is creating a Foundation Model Task Force that reports directly to Chief Executive Officer Zhou "
        "Jingren.")


def test_the_evidence_is_the_sample_corpus():
    texts = corpus_texts("sample")
    assert TASK_FORCE in texts["lead-04"] and TOKEN_HUB in texts["strat-02"]
    assert ZHOU in texts["lead-03"] and MANAGER in texts["dist-02"]


def test_title_keys_by_hand():
    assert title_keys("Executive") == title_keys("CEO") == ("executive",)
    assert title_keys("technical") == title_keys("CTO") == ("technology",)
    assert title_keys("headed") == title_keys("leader") == ("lead",)
    assert title_keys("chief") == title_keys("Officer") == ()  # too generic to bind anything alone
    assert title_keys("Alibaba") == ()


def test_spelled_out_by_hand():
    assert spelled_out("CEO") == spelled_out("ceo") == ("chief", "executive", "officer")
    assert spelled_out("CTO's") == ("chief", "technology", "officer")
    assert spelled_out("executive") == spelled_out("Alibaba") == ()


@pytest.mark.parametrize("sentence,evidence,found", [
    # a title or role the evidence gives nobody (hand-222, hand-028)
    (ZHOU.replace("chief technology officer", "chief executive"), [ZHOU], ["executive"]),
    ("The club's captain thanked the supporters who travelled.", [MANAGER], ["captain"]),
    ("Robert Hopkins, a bank regulator, expects broader oversight.",
     ["Robert Hopkins, a financial analyst and expert in bank regulations, expects broader oversight."], ["regulator"]),
    # the evidence's own role word, or the acronym it spells out ("CEO" -> "chief executive"), passes
    ("Zhou Jingren, the chief technology officer, remains in charge of Tongyi Lab.", [ZHOU], []),
    ("The club's manager thanked the supporters.", [MANAGER], []),
    ("Eddie Wu, the chief executive, set the roadmap.", ["CEO Eddie Wu set the roadmap."], []),
    ("Robert Hopkins, a financial analyst, expects broader oversight.",
     ["Robert Hopkins, a financial analyst and expert in bank regulations, expects broader oversight."], []),
    # plurals are not checked: "regulators" speaks of no one person's title
    ("Regulators did not flag it.", ["The Fed did not flag it."], []),
])
def test_new_roles_by_hand(sentence, evidence, found):
    assert new_roles(sentence, evidence) == found


def title(name, *keys):
    return Binding(tuple(name.split()), "title", frozenset(keys))


def relation(name, kind):
    return Binding(tuple(name.split()), kind, frozenset())


@pytest.mark.parametrize("sentence,found", [
    (TASK_FORCE, [title("Eddie Wu", "executive"), title("Zhou Jingren", "technology"),
                  relation("Eddie Wu", "report to"), relation("Zhou Jingren", "work with")]),
    (SEEN, [title("Zhou Jingren", "executive"), relation("Zhou Jingren", "report to")]),
    (TOKEN_HUB, [relation("Wu", "led by")]),
    # appositives after the name, and a relative clause of leading
    ("Eddie Wu, the chief executive, set the target.", [title("Eddie Wu", "executive")]),
    ("The group answers to Wu, Alibaba's chief executive.", [title("Wu", "executive")]),
    ("Yu Bowen, who led post-training work on Qwen, has left.", [title("Yu Bowen", "lead")]),
    # a list: the title after the comma is the next name's, not an appositive of the first
    ("The task force sits under CEO Eddie Wu, CTO Jingren, and Fanyu.",
     [title("Eddie Wu", "executive"), title("Jingren", "technology")]),
    # a title after a verb, a verb that looks like a title, and a title the patterns do not bind, bind nothing
    ("Alibaba hired Zhou Hao to lead Qwen post-training research.", []),
    ("Junyang Lin has stepped down as technical lead of the project.", []),
    ("Alibaba's chief executive, Eddie Wu, set the target.", []),
])
def test_bindings_by_hand(sentence, found):
    assert bindings(sentence) == found


@pytest.mark.parametrize("claim,evidence,wrong", [
    # the bullet seen with SmolLM2 (the default system): both the title and the relation moved to the other person
    (SEEN, [TASK_FORCE], ["'executive' on Zhou Jingren, the evidence's Eddie Wu",
                          "'report to' Zhou Jingren, the evidence's Eddie Wu"]),
    # a moved title alone; a moved relation alone
    ("The task force reports directly to chief technology officer Eddie Wu.", [TASK_FORCE],
     ["'technology' on Eddie Wu, the evidence's Zhou Jingren"]),
    ("Eddie Wu, the chief technology officer, oversees the task force.", [TASK_FORCE],
     ["'technology' on Eddie Wu, the evidence's Zhou Jingren"]),
    ("The Foundation Model Task Force reports to Zhou Jingren.", [TASK_FORCE],
     ["'report to' Zhou Jingren, the evidence's Eddie Wu"]),
    ("Alibaba formed the Alibaba Token Hub, a business group led by Zhou Jingren.", [TASK_FORCE, TOKEN_HUB],
     ["'led by' Zhou Jingren, the evidence's Wu"]),
    # faithful: titles kept, titles dropped, the name shortened or repeated, the relation kept
    ("Alibaba is creating a Foundation Model Task Force that reports directly to CEO Eddie Wu.", [TASK_FORCE], []),
    ("The Foundation Model Task Force reports directly to Eddie Wu and works with Zhou Jingren.", [TASK_FORCE], []),
    ("The task force reports to Wu, Alibaba's chief executive, and works with CTO Zhou.", [TASK_FORCE], []),
    ("Wu leads the Alibaba Token Hub; Wu's task force works with Zhou Jingren.", [TASK_FORCE, TOKEN_HUB], []),
    # a title the evidence binds to nobody is not this rule's business (the new-role and scorer checks')
    ("Chief executive Eddie Wu set the target.", ["Eddie Wu set a target of 100 billion dollars."], []),
])
def test_moved_roles_by_hand(claim, evidence, wrong):
    assert moved_roles(claim, evidence) == wrong


def test_the_verifier_rejects_a_moved_title_and_keeps_a_dropped_one():
    assert rule_problems(SEEN, [TASK_FORCE]) == [
        "binds a title or relation to another name than the evidence: 'executive' on Zhou Jingren, the evidence's "
        "Eddie Wu, 'report to' Zhou Jingren, the evidence's Eddie Wu"]
    assert rule_problems("Alibaba is creating a Foundation Model Task Force that reports directly to Eddie Wu.",
                         [TASK_FORCE]) == []


def test_the_demo_summary_shows_no_moved_title_in_the_models_words(sample_ws):
    """The default system (SmolLM2) wrote SEEN for TASK_FORCE and it was shown as verified (with 8 passages, the
    default then: with 16 the task force is not among the bullets). The task force is still in the summary, now
    quoted or in words that keep who holds what."""
    result = summarise(sample_ws, "Alibaba AI strategy, results and adoption", k=8, model="smollm2-135m")
    assert any("Task Force" in b.text for b in result.bullets), [b.text for b in result.bullets]
    assert [text for text, evidence in model_worded(result) if moved_roles(text, evidence)] == []
