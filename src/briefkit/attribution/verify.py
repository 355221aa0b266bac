"""Verification: is a sentence the model wrote faithful to the evidence it was handed?

A sentence passes when every figure, date and name in it occurs in the evidence (whole
numbers and words), every figure counts the thing the evidence counts with it ("90,000
enterprises" may not become "90,000 employees"), it neither adds nor drops a negation, it is a plain statement (no
question, link or list), and the support scorer (learned or cosine, see
:mod:`briefkit.evaluation.support`) finds the evidence supports it. It does not fix
anything: callers replace a failed sentence with quoted evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..citations import missing_terms
from .evidence import sentence_problem

_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|without|neither|nor|denie[sd]|deny|den[yi]ing|"
                       r"cannot|n't|refused|rejected|failed)\b|n['’]t\b", re.IGNORECASE)
MAX_EVIDENCE_CHARS = 1500  # the scorer sees at most this much of a group's evidence
_WORDS = re.compile(r"\d+(?:[.,]\d+)*%?|[A-Za-z][A-Za-z'’-]*|[^\sA-Za-z\d]")
_SCALE = {"hundred", "thousand", "million", "billion", "trillion", "percent", "per", "cent", "%"}
_NOT_NOUNS = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "by", "for", "from", "with", "as", "than",
              "that", "which", "who", "is", "are", "was", "were", "has", "have", "had", "more", "new", "times"}
STEM = 6  # words agree when their first six letters do ("downloads" ~ "downloaded", not "enterprises" ~ "employees")


@dataclass
class Check:
    ok: bool
    support: float  # P(FULL) + P(PARTIAL) / 2 from the support scorer, 0 when not scored
    reasons: list[str]


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def counted_word(tokens: list[str], i: int) -> int | None:
    """Index of the word a figure at ``tokens[i]`` counts ("470,000 AI chips" -> "AI"), when the figure is a
    count: directly followed (past scale words like "million") by a word that is not a function word."""
    j = i + 1
    while j < len(tokens) and tokens[j].lower() in _SCALE:
        j += 1
    if j >= len(tokens) or not tokens[j][0].isalpha() or tokens[j].lower() in _NOT_NOUNS:
        return None
    return j


def miscounted(sentence: str, evidence: list[str]) -> list[str]:
    """Figures of ``sentence`` that count something the evidence does not count with the same figure
    (no word sharing its first letters within four words either side of that figure there). Years and
    figures after a month name (dates) are not counts; a figure the evidence lacks is left to the term check."""
    from ..corpus.readers import MONTH_NAMES

    months = {m.lower() for m in MONTH_NAMES}
    near: dict[str, set[str]] = {}
    for text in evidence:
        tokens = _WORDS.findall(text)
        for i, tok in enumerate(tokens):
            if tok[0].isdigit():
                window = tokens[max(0, i - 4):i] + tokens[i + 1:i + 5]
                near.setdefault(tok.rstrip("%").replace(",", ""), set()).update(w.lower()[:STEM] for w in window)
    wrong = []
    tokens = _WORDS.findall(sentence)
    for i, tok in enumerate(tokens):
        figure = tok.rstrip("%").replace(",", "")
        if not tok[0].isdigit() or figure not in near or re.fullmatch(r"(?:19|20)\d\d", figure):
            continue
        if i and tokens[i - 1].lower() in months:
            continue
        j = counted_word(tokens, i)
        if j is not None and tokens[j].lower()[:STEM] not in near[figure]:
            wrong.append(" ".join(tokens[i:j + 1]))
    return wrong


def rule_problems(sentence: str, evidence: list[str]) -> list[str]:
    """What is wrong with ``sentence`` against ``evidence`` without a model: facts, negation, form."""
    reasons = []
    form = sentence_problem(sentence)
    if form and form not in ("too long", "too short"):  # length is judged against the evidence below
        reasons.append(f"not a statement ({form})")
    if len(sentence.split()) < 3:
        reasons.append("too short")
    longest = max((len(e.split()) for e in evidence), default=0)
    if len(sentence.split()) > max(40, int(1.5 * longest)):
        reasons.append("longer than its evidence")
    missing = missing_terms(sentence, " ".join(evidence))
    if missing:
        reasons.append("not in the evidence: " + ", ".join(sorted(missing)))
    wrong = miscounted(sentence, evidence)
    if wrong:
        reasons.append("counts something else than the evidence: " + ", ".join(wrong))
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

    def check(self, sentences: list[str], evidence: list[list[str]]) -> list[Check]:
        checks = [Check(True, 0.0, rule_problems(s, ev)) for s, ev in zip(sentences, evidence)]
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
