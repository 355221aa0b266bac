"""Time, certainty and aspect: the words that say when a fact holds and how sure its source is.

``TIME``, ``HEDGE`` and ``OPEN`` find the kinds of time word (a future or plan, "now", a relative past), the
hedges and proposals ("may", "reportedly", "push for") and open questions ("whether", "unclear").
:func:`verb_groups` reads the aspect of each verb a sentence puts in a verb group: planned (``will leave``,
``plans to leave``, ``is expected to leave``, ``may leave``), under way (``is leaving``) or done (``has left``,
``left``, ``was hired``). In a source, an under-way verb reported by a speech verb ("said on March 3 that he is
stepping down") counts as done: news report an announced departure as a departure, and the labelled verification
set does too.
:func:`weaker_aspect` finds the verbs of a claim that its sources state only at a weaker level ("has
left" against "is leaving"). :func:`ends_relation` tells whether a sentence states a relation ("lead")
as past or ended.

What it leaves out: verbs in the simple present ("Lin leaves Alibaba"), verbs without an auxiliary
after "to" ("hired to lead"), nouns ("his departure") for aspect, and any parse beyond word patterns:
a verb's subject is not checked, so two events of one verb in one sentence share a level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import negated as negated_words

# A kind of time word in a rewrite must occur in its evidence. "may" is a hedge only in lower case ("May 2026").
TIME = {
    "future": re.compile(r"\bwill\b|['’]ll\b|\bshall\b|\bgoing to\b|\b(?:plan(?:s|ned|ning)?|intend(?:s|ed)?|"
                         r"aim(?:s|ed)?|expect(?:s|ed)?|scheduled|poised|slated|set|about|yet) to\b|\bupcoming\b|"
                         r"\bsoon\b|\btomorrow\b|\bnext (?:week|month|year|quarter|spring|summer|autumn|fall|winter)\b|"
                         r"\blater this\b|\bin the (?:coming|next)\b|\bforthcoming\b", re.IGNORECASE),
    "now": re.compile(r"\b(?:now|currently|still|already|today|tonight)\b", re.IGNORECASE),
    "past": re.compile(r"\b(?:yesterday|recently|ago|last (?:week|month|year|quarter)|previously|formerly|former|"
                       r"earlier)\b", re.IGNORECASE),
}
_WHETHER = r"(?<!regardless of )whether(?! or not)"  # an open question, not "whether or not" (either way)
HEDGE = re.compile(r"\b(?:might|could|would|should|possibly|perhaps|probably|likely|unlikely|reportedly|allegedly|"
                   r"rumou?red|expect(?:s|ed)?|considering|potential(?:ly)?|appears? to|seems? to|suggests?|"
                   r"push(?:es|ed|ing)? for|advocat(?:ed|ing)|"  # a proposal, not a fact
                   rf"{_WHETHER}|(?<!even )(?<!as )if(?! any\b)|unless|provided that)\b|"  # open, conditional
                   r"(?-i:\bmay\b)", re.IGNORECASE)

# An open question: what the sentence says may or may not happen ("whether the release will carry ...", "is unclear")
OPEN = re.compile(rf"\b(?:{_WHETHER}|(?:is|are|was|were|remains?|still) (?:unknown|unclear|undecided|uncertain)|"
                  r"not yet (?:known|clear|decided))\b", re.IGNORECASE)

PLANNED, UNDER_WAY, DONE = 1, 2, 3
LEVELS = {PLANNED: "planned", UNDER_WAY: "under way", DONE: "done"}

# Verbs of one event class share a key: "has left" and "is stepping down" speak of one departure.
IRREGULAR = {"left": "leave", "led": "lead", "ran": "run", "quit": "quit", "took": "take", "taken": "take",
              "sold": "sell", "bought": "buy", "began": "begin", "begun": "begin", "went": "go", "gone": "go",
              "made": "make", "built": "build", "held": "hold", "won": "win", "lost": "lose", "shut": "shut",
              "became": "become", "come": "come", "came": "come", "gave": "give", "given": "give", "rose": "rise",
              "risen": "rise", "fell": "fall", "fallen": "fall", "grew": "grow", "grown": "grow", "spent": "spend",
              "brought": "bring", "wrote": "write", "written": "write", "set": "set", "cut": "cut",
              "paid": "pay", "struck": "strike", "hit": "hit", "put": "put", "sent": "send", "told": "tell",
              "said": "say", "found": "find", "got": "get", "kept": "keep", "met": "meet", "shown": "show",
              "laid": "lay", "saw": "see", "seen": "see", "knew": "know", "known": "know", "meant": "mean",
              "chose": "choose", "chosen": "choose", "spoke": "speak", "stood": "stand", "drew": "draw",
              "drove": "drive", "sought": "seek", "taught": "teach", "caught": "catch", "heard": "hear"}
_CLASSES = {"depart": {"leav", "quit", "resig", "depar", "exit", "retir", "step down"},
            "lead": {"lead", "head", "run", "manag", "direc", "overs", "chair", "helm"}}
_ADVERBS = (r"(?:(?:also|now|still|already|just|recently|reportedly|officially|formally|quietly|soon|finally|"
            r"effectively|not|never|n['’]t|to|be|been|being|expected|set|due|likely)\s+)*")
_FUTURE = re.compile(r"\b(?:will|shall|would|may|might|could|['’]ll|(?:plans?|planned|planning|intends?|intended|"
                     r"aims?|aimed|expects?|expected|set|poised|slated|scheduled|going|about|due|likely|hop(?:es|ing)|"
                     r"wants?|prepar(?:es|ing|ed))\s+to)\s+" + _ADVERBS +
                     r"(?P<v>[a-z]+)(?P<down> down)?", re.IGNORECASE)
_UNDER_WAY = re.compile(r"\b(?:is|are|am|was|were|been)\s+" + _ADVERBS + r"(?P<v>[a-z]{2,}ing)(?P<down> down)?\b",
                        re.IGNORECASE)
_DONE = re.compile(r"\b(?P<v>[a-z]{2,}ed|" + "|".join(IRREGULAR) + r")(?P<down> down)?\b", re.IGNORECASE)
_SPEECH = re.compile(r"\b(?:said|says|announced|announces|told|tells|confirmed|confirms|stated|states|wrote|"
                     r"posted|declared|revealed)\b", re.IGNORECASE)


@dataclass(frozen=True)
class VerbGroup:
    """A verb of a sentence with its aspect: the matched words, the event key, the level, negated or not."""

    text: str
    key: str
    level: int
    negated: bool
    start: int  # where the verb starts
    end: int  # where the group ends
    reported: bool = False  # under way after a speech verb: "said ... that he is stepping down"

    @property
    def stated(self) -> int:
        """The level a source states: an announced step ("said he is stepping down") is reported as taken."""
        return DONE if self.reported else self.level


def event_key(word: str, down: bool = False) -> str:
    """The event a verb form speaks of: "leaving", "left" and "quit" are "depart"; "led" and "runs" are
    "lead"; other verbs their crude stem ("joining", "joined" -> "join")."""
    w = word.lower()
    w = IRREGULAR.get(w, w)
    for end in ("ing", "ied", "ies", "ed", "es", "s"):
        if w.endswith(end) and len(w) - len(end) >= 3:
            w = w[: -len(end)] + ("y" if end in ("ied", "ies") else "")
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # stepped -> step, shipped -> ship
    w = w.rstrip("e")[:5] if len(w) > 4 else w.rstrip("e") or w
    w = "step down" if w == "step" and down else w
    return next((cls for cls, keys in _CLASSES.items() if w in keys), w)


def verb_groups(sentence: str) -> list[VerbGroup]:
    """The verbs of ``sentence`` with their aspect, in order: planned, under way, done (see the module)."""
    found: dict[int, VerbGroup] = {}
    for pattern, level in ((_FUTURE, PLANNED), (_UNDER_WAY, UNDER_WAY), (_DONE, DONE)):
        for m in pattern.finditer(sentence):
            at = m.start("v")
            if at in found or m.group("v").lower() in {"being", "going", "according", "including", "following"}:
                continue
            if level == DONE and m.group("v").lower() in {"need", "speed", "seed", "feed", "hundred", "red", "bed"}:
                continue
            reported = level == UNDER_WAY and bool(_SPEECH.search(sentence[:m.start()][-90:]))
            negated = negated_words(m.group(0)) or negated_words(sentence[max(0, m.start() - 8):m.start()])
            found[at] = VerbGroup(m.group(0).strip(), event_key(m.group("v"), bool(m.group("down"))), level,
                                  negated, at, m.end(), reported)
    return sorted(found.values(), key=lambda g: g.start)


def weaker_aspect(claim: str, evidence: list[str]) -> list[str]:
    """Verbs ``claim`` states at a higher level than any evidence sentence states the same event ("has left"
    where the evidence has only "is leaving" or "plans to leave"), each as "CLAIM for EVIDENCE". An event the
    evidence does not name, and negated verbs on either side, are left to the other checks; a claim at a
    lower level than its evidence ("is leaving" for "has left") passes: the evidence states more."""
    theirs: dict[str, VerbGroup] = {}
    for sentence in evidence:
        for g in verb_groups(sentence):
            if not g.negated and (g.key not in theirs or g.stated > theirs[g.key].stated):
                theirs[g.key] = g
    wrong = []
    for g in verb_groups(claim):  # the claim's own level: "he said he is leaving" claims no departure done
        best = theirs.get(g.key)
        if not g.negated and best is not None and best.stated < g.level:
            wrong.append(f"{LEVELS[g.level]} for {LEVELS[best.stated]} ({g.text} / {best.text})")
    return list(dict.fromkeys(wrong))


_PERFECT = re.compile(r"\b(?:has|have|['’]ve)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
_BY = re.compile(r"\s+by\b", re.IGNORECASE)
# a verb in the present or to come: "to lead", "who leads", "Wu heads"; a role held now: "remains in charge"
_NOW_VERB = re.compile(r"(?:\bto|\bwho|\bthat|\bwhich|\bnow|\bstill|\bcurrently|\balso|\b[A-Z]\w+)\s+(?P<v>[a-z]+)\b")
_HELD = {"lead": re.compile(r"\b(?:in charge|at the helm)\b", re.IGNORECASE)}
_DEPARTURE_NOUNS = re.compile(r"\b(?:departure|exit|resignation)s?\b", re.IGNORECASE)


def ends_relation(sentence: str, relation: str) -> bool:
    """Whether ``sentence`` states the relation ``relation`` (an event key such as "lead") only as past or
    ended. It does when it does not state the relation as held now or to come ("to lead", "who leads",
    "has led", "led by", "remains in charge") and either states it in the past ("who led post-training")
    or states a departure ("has stepped down as technical lead", "announced that he was leaving", "the
    departure of"): who leaves holds no relation now. A sentence with neither does not end it."""
    groups = verb_groups(sentence)
    mine = [g for g in groups if g.key == relation]
    past = [g for g in mine if g.level == DONE and not _PERFECT.search(sentence[:g.start])
            and not _BY.match(sentence[g.end:])]
    held = _HELD.get(relation)
    now = (len(past) < len(mine) or (held is not None and bool(held.search(sentence)))
           or any(event_key(m.group("v")) == relation and not m.group("v").endswith(("ed", "ing"))
                  and m.group("v") not in IRREGULAR for m in _NOW_VERB.finditer(sentence)))
    if now:
        return False
    departs = any(g.key == "depart" and not g.negated for g in groups)
    return bool(past) or departs or bool(_DEPARTURE_NOUNS.search(sentence))
