"""Purpose and result: a rewrite may not say why, or to what end, something was done when its evidence does not.

"Junyang Lin steps down from Alibaba's Qwen project to take over his role as technical lead" gives a purpose
("to take over") for a step its evidence only reports. A to-infinitive after a statement ("to take over",
"in order to expand", "so as to cut") or a "so that" clause says why or to what end; :func:`purposes` finds
them in a sentence, and :func:`added_purposes` finds those of a rewrite that its evidence does not give. A
clause of the rewrite is given when an evidence sentence

- has an infinitive or a purpose phrase ("to lead", "aimed at maximizing") with the same verb in a light form
  (:func:`~briefkit.text.novelty.light_forms`: "hired to lead" for "hired to lead", "designed to maximize"
  for "aimed at maximizing"), or
- attaches an infinitive, not a plan's, to the same word: one of the three lower-case content words before
  "to" ("a task force to boost" for "a task force to accelerate", "the first Western cloud to offer it" for
  "the first large Western cloud to carry": the evidence gives a purpose there, the rewrite rewords its verb).

A plan or expectation ("plans to release", "is set to", "aims to", "expected to": the future words of
:data:`~briefkit.text.tense.TIME`) is given when the evidence uses its verb in any form: whether the plan is
the evidence's is the time check's business ("plans to release" for "will release" passes here; "plans to
build" for "plans to manufacture" does not). A "so that" clause is given when the evidence has one, or "in
order to" or "so as to".

What it leaves out: "to" before a noun or an adjective ("due to the losses", "from 0.8 to 9 billion", "led to
greater stability"): the word after "to" counts as a verb unless it is grammar, a figure or a name, ends in a
gerund's -ing, an -ed or a plural -s, follows a word that takes "to" as a preposition (:data:`PREPOSITIONAL`),
or is written in the evidence before the same next word and never after "to" or a modal ("shipped ... to
external customers" for "serving external customers"), so an uncommon noun after "to" may still be read as a
verb; synonyms ("build" for "manufacture"); purposes said in other words ("for", "aimed at", "with the aim
of") in the rewrite; and whether the evidence's clause belongs to the same event as the rewrite's.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .lexicon import GRAMMAR_WORDS
from .novelty import light_forms
from .tense import TIME

# Words after which "to" is a preposition, not the mark of an infinitive ("due to", "led to", "a testament to").
PREPOSITIONAL = frozenset("""due thanks owing according prior led lead leads leading attributed attributable
testament close next up compared relative similar crucial central key addition contrast regard respect return
access commitment committed approach contributed contributes contribute improvements improvement came comes come
exposure related subject devoted dedicated""".split())
_TO = re.compile(r"\b(?P<mark>(?:in order|so as)\s+to|to)\s+(?:(?:not|also|further|then|[a-z]+ly)\s+)?"
                 r"(?P<v>[A-Za-z][A-Za-z'’-]*)")
_SO_THAT = re.compile(r"\bso that\b", re.IGNORECASE)
_GERUND = re.compile(r"\b(?:at|for|toward|towards)\s+(?P<v>[a-z]{3,}ing)\b", re.IGNORECASE)  # "aimed at maximizing"
_PURPOSE_MARKS = re.compile(r"\bso that\b|\bin order to\b|\bso as to\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_MODALS = ("will", "would", "can", "could", "may", "might", "must", "shall", "should", "do", "does", "did")
HEAD_WORDS = 3  # the lower-case content words before "to" that a clause is attached to


def _is_verb(word: str) -> bool:
    """Whether ``word``, after "to", can be a verb in its base form (see the module)."""
    w = word.lower()
    if not word.islower() or w in GRAMMAR_WORDS or len(w) < 2:
        return False
    if w.endswith("ing") and len(w) > 5:  # "to transforming"; "to bring" is a verb
        return False
    if w.endswith("ed") and not w.endswith("eed") and len(w) > 4:  # "to increased"; "to speed" is a verb
        return False
    return not (w.endswith("s") and not w.endswith(("ss", "us", "is")))  # "to vulnerabilities"; "to access"


def _heads(text: str, end: int) -> list[str]:
    """The last :data:`HEAD_WORDS` lower-case content words of ``text`` before ``end``."""
    words = [w for w in _WORD.findall(text[:end]) if w.islower() and w not in GRAMMAR_WORDS]
    return words[-HEAD_WORDS:]


class Clause(NamedTuple):
    """An infinitive clause of a sentence: ``shown`` as written ("to take"), its verb in lower case, the word
    after the verb, the lower-case content words before "to" (at most :data:`HEAD_WORDS`), and whether it
    completes a plan or expectation ("plans to release")."""

    shown: str
    verb: str
    following: str
    heads: list[str]
    plan: bool


def purposes(sentence: str) -> list[Clause]:
    """The infinitive clauses of ``sentence`` (see the module) in order. Infinitives after a word of
    :data:`PREPOSITIONAL` or before a word that is no verb are left out."""
    plans = {m.end() for m in TIME["future"].finditer(sentence)}
    found = []
    for m in _TO.finditer(sentence):
        before = re.search(r"([A-Za-z]+)\s+$", sentence[:m.start()])  # the word right before, no comma between
        if not _is_verb(m.group("v")) or (before and before.group(1).lower() in PREPOSITIONAL):
            continue
        after = _WORD.findall(sentence[m.end():])
        found.append(Clause(f"{' '.join(m.group('mark').split())} {m.group('v')}", m.group("v").lower(),
                            after[0].lower() if after else "", _heads(sentence, m.start()),
                            m.end("mark") in plans))
    return found


def _modifier(clause: Clause, evidence: str) -> bool:
    """Whether the evidence writes the clause's verb before the same word ("external customers") and never
    after "to" or a modal: there it modifies a noun, so the rewrite's "to" is no infinitive ("shipped ... to
    external customers")."""
    word, following = re.escape(clause.verb), re.escape(clause.following)
    if not following or not re.search(rf"\b{word}\s+{following}\b", evidence, re.IGNORECASE):
        return False
    return not re.search(rf"\b(?:to|{'|'.join(_MODALS)})\s+{word}\b", evidence, re.IGNORECASE)


def _forms(words: list[str]) -> set[str]:
    """The light forms of ``words``, lower-cased, together."""
    return {f for w in words for f in light_forms(w.lower())}


def added_purposes(sentence: str, evidence: list[str]) -> list[str]:
    """The purpose and result clauses of ``sentence`` that no evidence sentence gives (see the module), as
    written: ["to take"], ["so that"]."""
    joined = " ".join(evidence)
    theirs = [c for e in evidence for c in purposes(e)]
    verbs = _forms([c.verb for c in theirs] + [m.group("v") for m in _GERUND.finditer(joined)])
    heads = _forms([h for c in theirs if not c.plan for h in c.heads])
    used = _forms(_WORD.findall(joined))
    wrong = []
    for clause in purposes(sentence):
        forms = light_forms(clause.verb)
        given = forms & used if clause.plan else forms & verbs or _forms(clause.heads) & heads
        if given or _modifier(clause, joined):
            continue
        wrong.append(clause.shown)
    if _SO_THAT.search(sentence) and not _PURPOSE_MARKS.search(joined):
        wrong.append("so that")
    return list(dict.fromkeys(wrong))
