"""Verification: is a sentence the model wrote faithful to the evidence it was handed?

A sentence passes when every figure, date and name in it occurs in the evidence (whole
numbers and words), every figure counts the thing the evidence counts with it ("90,000
enterprises" may not become "90,000 employees"), every role stays with the name the evidence
gives it ("CTO of Alibaba Cloud" may not become "CTO of Tongyi Lab"; a title or a relation such as
"reports to" may not move from one person to another, see :mod:`briefkit.text.binding`), names
and figures it puts side by side stand side by side in one evidence sentence, it neither adds nor
drops a negation, it keeps the evidence's time and certainty (no "will", "next month" or "plans to"
the evidence lacks, no hedge dropped; no total "by February" made a figure "in February", or back,
see :mod:`briefkit.text.periods`), it adds no causal or temporal link ("because", "following",
"after") the evidence does not make, nor a purpose ("steps down ... to take over his role"; see
:mod:`briefkit.text.purpose`), it states no event as further along than its evidence does
("has left" for "is leaving" or "plans to leave"; an announced step, "said he is stepping down",
counts as taken), it keeps who says what its evidence presents only as someone's word ("described
the changes as a reshuffle", "this report dates ... to", "denied", "according to people familiar";
see :mod:`briefkit.text.speech`), it is a plain statement (no question, link, list, headline in
title case, reported clause without a verb or fragment with no verb at all; see :mod:`briefkit.text.form`),
it does not say much in content words the evidence never uses in any form ("a new generation of
three-legged creatures"; see :mod:`briefkit.text.novelty`), and the support scorer (learned or cosine, see
:mod:`briefkit.scoring`) finds the evidence supports it. It does not fix anything: callers replace a failed
sentence with quoted evidence. Other relations between words that are all in the evidence are left to the scorer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.binding import moved_roles, spelled_out
from ..text.figures import TOKENS, disagree, key_terms, miscounted, missing_terms, singularised
from ..text.form import headline_case, verbless, verbless_report
from ..text.lexicon import COMMON_CAPITALISED, MONTH_WORDS, bare, negated
from ..text.novelty import added_words
from ..text.periods import respanned
from ..text.purpose import added_purposes
from ..text.speech import dropped_frames
from ..text.tense import HEDGE, OPEN, TIME, weaker_aspect
from .evidence import sentence_problem

MAX_EVIDENCE_CHARS = 1500  # the scorer sees at most this much of a group's evidence


@dataclass
class Check:
    ok: bool
    support: float  # P(FULL) + P(PARTIAL) / 2 from the support scorer, 0 when not scored
    reasons: list[str]


_ROLES = {"head", "lead", "leader", "chief", "executive", "founder", "president", "chair", "chairman", "chairwoman",
          "director", "officer", "manager", "member", "owner", "partner", "subsidiary", "unit", "division",
          "spokesperson", "spokesman", "spokeswoman", "minister", "governor", "secretary", "boss", "architect",
          "engineer", "researcher",
          "scientist", "analyst", "adviser", "advisor", "consultant", "regulator", "captain", "coach", "investor",
          "shareholder", "supplier", "vendor", "reseller", "distributor", "rival", "competitor"}


def _words(text: str) -> list[str]:
    """Figures and words of ``text`` in order, punctuation left out."""
    return [m.group(0) for m in TOKENS.finditer(text) if m.group(0)[0].isalnum()]


def _word_places(text: str) -> dict[str, list[int]]:
    """Positions of each bare word of ``text`` (figures and words; punctuation not counted)."""
    at: dict[str, list[int]] = {}
    for i, w in enumerate(_words(text)):
        at.setdefault(bare(w), []).append(i)
    return at


def new_roles(sentence: str, evidence: list[str]) -> list[str]:
    """Role words of ``sentence`` ("founder", "executive", "captain") that no evidence sentence uses, itself or
    in an acronym ("executive" for "CEO"): a title the rewrite gave someone ("Yu Bowen, Qwen's founder" from "Yu
    Bowen, who led post-training"; "the chief executive" from "the chief technology officer")."""
    places = _word_places(" ".join(evidence))
    words = {w.rstrip("s") for w in places} | {part for w in places for part in spelled_out(w)}
    found = [m.group(0).lower() for m in TOKENS.finditer(sentence) if m.group(0).lower() in _ROLES]
    return list(dict.fromkeys(w for w in found if w.rstrip("s") not in words))  # acronyms: the term check


def misattributed(sentence: str, evidence: list[str], window: int = 5) -> list[str]:
    """"ROLE of Name" phrases of ``sentence`` ("CTO of Tongyi Lab", "lead of Qwen") whose two words never
    come within ``window`` words of each other in one evidence sentence: the rewrite tied a role to another
    name than its sources did. Roles are acronyms (CEO, CTO) and the words in ``_ROLES``; other relations
    are not checked (a paraphrase such as "evolution of Dodge's" for "Dodge's ... evolved" stays allowed)."""
    places = [_word_places(text) for text in evidence]
    words = _words(sentence)
    wrong = []
    for i in range(1, len(words) - 1):
        head, name = words[i - 1], words[i + 1]
        role = head.lower() in _ROLES or (head.isupper() and head.isalpha() and 2 <= len(head) <= 4)
        if words[i] != "of" or not name[0].isupper() or not role:
            continue
        if not any(abs(a - b) <= window for at in places
                   for a in at.get(bare(head), []) for b in at.get(bare(name), [])):
            wrong.append(f"{head} of {name}")
    return wrong


# Verbs and words of opposite sense: a rewrite that uses one where its evidence has the other, and not the
# word itself, has turned the fact around ("dismissed" -> "confirmed", "prevent" -> "speed up").
_OPPOSITES = [({"confirm", "admit", "approv", "accept"}, {"deny", "denie", "dismis", "reject", "refuse", "rule"}),
              ({"rise", "rose", "risen", "increa", "gain", "grew", "grow", "jump", "climb", "surge", "soar"},
               {"fall", "fell", "fallen", "decrea", "declin", "drop", "lost", "lose", "shrank", "shrink", "slump",
                "plung", "cut"}),
              ({"join", "hire", "appoin"}, {"leave", "left", "quit", "fire", "resign", "depart", "exit"}),
              ({"buy", "bough", "acquir"}, {"sell", "sold"}),
              ({"preven", "avert", "avoid", "stop", "curb"},
               {"cause", "caused", "speed", "trigge", "acceler", "spark"}),
              ({"beat", "exceed", "above", "more"}, {"miss", "missed", "below", "less", "fewer"})]


def reversed_sense(sentence: str, evidence: list[str]) -> list[str]:
    """Words of ``sentence`` whose opposite (:data:`_OPPOSITES`, by prefix) the evidence uses while it does
    not use the word itself."""
    def hits(text: str, prefixes: set[str]) -> set[str]:
        return {w for w in (x.lower() for x in _words(text)) if w.startswith(tuple(prefixes))}

    joined = " ".join(evidence)
    wrong = []
    for a, b in _OPPOSITES:
        for one, other in ((a, b), (b, a)):
            used, theirs = hits(sentence, one), hits(joined, other)
            if used and theirs and not hits(joined, one):
                wrong.append(f"{sorted(used)[0]} for {sorted(theirs)[0]}")
    return wrong


_RUN_BREAKS = frozenset(",;:()\"“”—–")  # punctuation that ends a name ("At DeepMind, Zhou Jingren": two names)


def _names(sentence: str) -> list[tuple[int, int, list[str]]]:
    """Runs of capitalised words past the first word ("Zhou Hao", "Alibaba Cloud"), ended by a comma, colon,
    bracket, quote or dash: (first, last, words), positions counted as :func:`_words` counts them."""
    runs: list[tuple[int, int, list[str]]] = []
    i, broken = -1, False
    for m in TOKENS.finditer(sentence):
        w = m.group(0)
        if not w[0].isalnum():
            broken = broken or w in _RUN_BREAKS
            continue
        i, joins, broken = i + 1, not broken, False
        if i == 0 or not w[0].isupper() or w.lower() in MONTH_WORDS or w in COMMON_CAPITALISED:
            continue
        if joins and runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i, runs[-1][2] + [w])
        else:
            runs.append((i, i, [w]))
    return runs


def untied(sentence: str, evidence: list[str], gap: int = 6, slack: int = 6) -> list[str]:
    """Pairs of names ``gap`` or fewer words apart in ``sentence`` ("Zhou Hao replaced Lin") that stand
    within their distance in ``sentence`` plus ``slack`` words of each other in no evidence sentence: the
    rewrite put a name beside another than its sources did (an entity from another sentence, or two events
    merged). Lists ("A and B") are not relations; figures beside names are the count check's business; a
    name beside a plain word is left to the scorer."""
    places = [_word_places(e) for e in evidence]
    runs = _names(sentence)
    words = [w.lower() for w in _words(sentence)]
    wrong = []
    for (_, end, a), (start, _, b) in zip(runs, runs[1:]):
        if start - end - 1 > gap or set(words[end + 1:start]) <= {"and", "or"}:
            continue  # far apart, or a list ("Zhou Hao and Yu Bowen"): no relation to check
        window = start - end + slack
        if not any(abs(i - j) <= window for at in places for x in a for y in b
                   for i in at.get(bare(x), []) for j in at.get(bare(y), [])):
            wrong.append(f"{' '.join(a)} / {' '.join(b)}")
    return wrong


# Causal and temporal links between two facts; "following" and "since" (not "since 2019") are both kinds.
_LINKS = {
    "cause": re.compile(r"\b(?:because|due to|owing to|thanks to|as a result|result(?:s|ed)? in|led to|leads? to|"
                        r"leading to|caus(?:e|es|ed|ing)|prompt(?:s|ed|ing)|in response to|amid|therefore|hence|"
                        r"consequently|driven by|fuel(?:l)?ed by|so that|following|since(?! (?:19|20)\d\d))\b",
                        re.IGNORECASE),
    "sequence": re.compile(r"\b(?:after|afterwards|before|following|prior to|until|subsequently|then|"
                           r"since(?! (?:19|20)\d\d))\b", re.IGNORECASE),
}


def retimed(sentence: str, evidence: list[str], core: bool = False) -> list[str]:
    """Ways ``sentence`` changes the evidence's time or certainty: a future or plan ("will", "plans to",
    "next month"), a present ("now") or a relative past ("last week", "previously") that no evidence
    sentence states; a hedge ("may", "reportedly") added; an event stated as further along than any
    evidence sentence states it ("has left" for "is leaving", :func:`~briefkit.text.tense.weaker_aspect`);
    or a hedge or plan that every evidence sentence carries dropped ("plans to launch" -> "launched"), or an
    open question that every one asks answered ("whether it will ship" -> "it will ship").
    ``core``: only a future the source lacks and the event's level count."""
    joined = " ".join(evidence)
    found = [f"{kind} ({m.group(0).lower()})" for kind, pattern in TIME.items()
             if (m := pattern.search(sentence)) and not pattern.search(joined)]
    hedge = HEDGE.search(sentence)
    if hedge and not HEDGE.search(joined):
        found.append(f"hedge ({hedge.group(0).lower()})")
    if core:  # a source may word time and certainty otherwise; only a future it lacks is another fact
        found = [f for f in found if f.startswith("future")]
    further = weaker_aspect(sentence, evidence)
    found += further
    if core:
        return found
    tentative = [bool(HEDGE.search(e) or TIME["future"].search(e)) for e in evidence]
    if tentative and all(tentative) and not (hedge or TIME["future"].search(sentence) or further):
        found.append("drops the evidence's hedge")  # unless the event's level already says so
    elif evidence and all(OPEN.search(e) for e in evidence) and not (OPEN.search(sentence) or hedge):
        found.append("answers the evidence's open question")  # "whether it will" -> "it will"
    return found


def unlinked(sentence: str, evidence: list[str]) -> list[str]:
    """Causal or temporal links ("because", "following", "after") in ``sentence`` of a kind no evidence
    sentence uses: the rewrite joins two facts its sources do not join."""
    used = {kind for kind, pattern in _LINKS.items() if any(pattern.search(e) for e in evidence)}
    found = {m.group(0).lower() for pattern in _LINKS.values() for m in pattern.finditer(sentence)}
    return sorted(w for w in found if not used & {k for k, p in _LINKS.items() if p.fullmatch(w)})


# A rewrite that talks about its input instead of stating its fact ("The quoted text refers to ...")
_META = re.compile(r"\b(?:the|this|that|these) (?:quoted |given |above |source |following )?(?:text|passage|"
                   r"sentences?|excerpt|quotes?|quotation|snippet|statement)s?\b(?! (?:said|says|reads))|"
                   r"\b(?:is a reference to|refers to|mentions that|quoted material)\b", re.IGNORECASE)
# Capitalised only because they open the sentence ("More than 90,000 ..."): not names the evidence must hold
_OPENERS = {"more", "most", "many", "some", "several", "all", "over", "about", "nearly", "almost", "around", "there",
            "when", "while", "although", "since", "because", "if", "their", "our", "both", "each", "other", "such"}
CORE_SHARE = 0.5  # a source that states a sentence's core holds at least this share of its names and figures


def rule_problems(sentence: str, evidence: list[str], core: bool = False) -> list[str]:
    """What is wrong with ``sentence`` against ``evidence`` without a model: facts, negation, form.

    ``core``: does the evidence state the sentence's core (is it a fair citation for it)? Then the form is
    not judged, and instead of every name and figure being in the evidence, :data:`CORE_SHARE` of them
    must be, and links and names side by side are not checked (a source sentence may word them otherwise,
    "reach it through DingTalk"); counts, roles, time and negation still are."""
    reasons = []
    joined = " ".join(evidence)
    if core:
        terms = key_terms(sentence)
        held = len(terms - missing_terms(sentence, joined)) / len(terms) if terms else 1.0
        if held < CORE_SHARE:
            reasons.append(f"states too little of it ({held:.0%} of its names and figures)")
        if any(disagree(sentence, e) for e in evidence):
            reasons.append("gives another value for the same quantity")
    else:
        form = ("about the text" if _META.search(sentence) else sentence_problem(sentence)
                or ("headline" if headline_case(sentence, evidence) else None)
                or ("a reported clause without a verb" if verbless_report(sentence) else None)
                or ("no verb" if verbless(sentence) else None))
        if form and form not in ("too long", "too short"):  # length is judged against the evidence below
            reasons.append(f"not a statement ({form})")
        if len(sentence.split()) < 3:
            reasons.append("too short")
        longest = max((len(e.split()) for e in evidence), default=0)
        if len(sentence.split()) > max(40, int(1.5 * longest)):
            reasons.append("longer than its evidence")
        missing = missing_terms(sentence, joined) - _OPENERS
        if missing:
            reasons.append("not in the evidence: " + ", ".join(sorted(missing)))
    relations = [("counts something else than the evidence", miscounted),
                 ("ties words the evidence does not tie", misattributed),
                 ("changes time or certainty", lambda s, e: retimed(s, e, core))]
    if not core:  # a source sentence may word these otherwise and still state the core
        relations += [("names a role the evidence does not", new_roles),
                      ("binds a title or relation to another name than the evidence", moved_roles),
                      ("turns a word of the evidence around", reversed_sense),
                      ("makes one of what the evidence counts as several", singularised),
                      ("turns a total up to a time into a figure within it, or back", respanned),
                      ("puts names together that the evidence does not", untied),
                      ("adds a link the evidence does not make", unlinked),
                      ("adds a purpose or aim the evidence does not give", added_purposes),
                      ("drops who says it", dropped_frames),
                      ("adds words the evidence does not have", added_words)]
    named = _word_places(joined)
    for message, find in relations:
        wrong = find(sentence, evidence)
        if core and find is misattributed:  # a source that does not name the role at all may state the core
            wrong = [w for w in wrong if bare(w.split()[0]) in named]
        if wrong:
            reasons.append(f"{message}: {', '.join(wrong)}")
    if negated(sentence) and not any(negated(e) for e in evidence):
        reasons.append("adds a negation")
    elif evidence and all(negated(e) for e in evidence) and not negated(sentence):
        reasons.append("drops a negation")
    return reasons


class Verifier:
    """Checks sentences against their evidence with the rules and a support scorer, in one batch."""

    def __init__(self, scorer, min_support: float) -> None:
        self.scorer = scorer
        self.min_support = min_support

    def support(self, sentences: list[str], evidence: list[str]) -> list[float]:
        """The scorer's support of each sentence by its evidence text, P(FULL) + P(PARTIAL) / 2, no rules."""
        if not sentences:
            return []
        probs = self.scorer.probabilities([(e[:MAX_EVIDENCE_CHARS], s) for s, e in zip(sentences, evidence)])
        return [float(p[2] + 0.5 * p[1]) for p in probs]

    def check(self, sentences: list[str], evidence: list[list[str]], core: bool = False) -> list[Check]:
        """Each sentence against its evidence: the rules, then the scorer. ``core``: the evidence need only
        state the sentence's core (a citation check; see :func:`rule_problems`)."""
        checks = [Check(True, 0.0, rule_problems(s, ev, core)) for s, ev in zip(sentences, evidence)]
        todo = [i for i, c in enumerate(checks) if not c.reasons and sentences[i].strip()]
        scores = self.support([sentences[i] for i in todo], [" ".join(evidence[i]) for i in todo])
        for i, value in zip(todo, scores):
            checks[i].support = value
            if value < self.min_support:
                checks[i].reasons.append(f"the evidence does not support it ({value:.2f})")
        for c, s in zip(checks, sentences):
            if not s.strip():
                c.reasons.append("empty")
            c.ok = not c.reasons
        return checks
