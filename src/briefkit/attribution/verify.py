"""Verification: is a sentence the model wrote faithful to the evidence it was handed?

A sentence passes when every figure, date and name in it occurs in the evidence (whole
numbers and words), every figure counts the thing the evidence counts with it ("90,000
enterprises" may not become "90,000 employees"), every role stays with the name the evidence
gives it ("CTO of Alibaba Cloud" may not become "CTO of Tongyi Lab"), it neither adds nor drops
a negation, it is a plain statement (no question, link or list), and the support scorer (learned
or cosine, see :mod:`briefkit.evaluation.support`) finds the evidence supports it. It does not
fix anything: callers replace a failed sentence with quoted evidence. Other relations between
words that are all in the evidence are left to the scorer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..citations import YEAR, missing_terms
from ..corpus.readers import MONTH_WORDS
from .evidence import sentence_problem

_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|without|neither|nor|denie[sd]|deny|den[yi]ing|"
                       r"cannot|n't|refused|rejected|failed)\b|n['’]t\b", re.IGNORECASE)
MAX_EVIDENCE_CHARS = 1500  # the scorer sees at most this much of a group's evidence
# Tokens for the count and role checks: figures, words, single symbols.
_TOKENS = re.compile(r"(?P<fig>\d+(?:[.,]\d+)*)%?|[A-Za-z][A-Za-z'’]*|[^\sA-Za-z\d]")
_SKIP = {"hundred", "thousand", "million", "billion", "trillion", "percent", "per", "cent", "%", "-", "new", "more",
         "additional", "other", "extra", "further"}  # between a figure and what it counts
_FUNCTION = {"a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "by", "for", "from", "with", "as", "than",
             "that", "which", "who", "is", "are", "was", "were", "has", "have", "had", "times", "be", "been"}
_CURRENCY = {"$", "€", "£", "¥"}
WINDOW = 4  # words either side of a figure in the evidence that may name what it counts


@dataclass
class Check:
    ok: bool
    support: float  # P(FULL) + P(PARTIAL) / 2 from the support scorer, 0 when not scored
    reasons: list[str]


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _stem(word: str) -> str:
    """Crude: lower case, a plural ending dropped, the first six letters ("downloads" ~ "downloaded")."""
    w = word.lower()
    w = w[:-2] if w.endswith("es") and len(w) > 4 else w[:-1] if w.endswith("s") and len(w) > 3 else w
    return w[:6]


def _figures(text: str) -> list[tuple[str, list[str], int]]:
    """(figure, tokens, index) for each free-standing figure of ``text``: not glued to letters, a hyphen or
    a colon ("Qwen3.5", "COVID-19", "3:30"), not a year, not a day after a month name."""
    tokens, found = [], []
    for m in _TOKENS.finditer(text):
        if m.group("fig") is None:
            tokens.append(m.group(0))
            continue
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "-:"):
            tokens.append(m.group(0))  # part of a name, a version, a time: not a count
            continue
        figure = m.group("fig").replace(",", "")
        year = YEAR.fullmatch(m.group("fig")) is not None  # "2,000" is a count, "2000" a year
        after_month = bool(tokens) and tokens[-1].lower() in MONTH_WORDS
        tokens.append(m.group("fig"))
        if not year and not after_month:
            found.append((figure, tokens, len(tokens) - 1))
    return found


def _counted(tokens: list[str], i: int, n: int = 2) -> list[str]:
    """Up to ``n`` words right after the figure at ``i`` (past scale words and adjectives like "new")
    that name what it counts; empty when a function word or punctuation comes first (not a count)."""
    words, j = [], i + 1
    while j < len(tokens) and tokens[j].lower() in _SKIP:
        j += 1
    while j < len(tokens) and len(words) < n and tokens[j][0].isalpha() and tokens[j].lower() not in _FUNCTION:
        words.append(tokens[j])
        j += 1
    return words


def miscounted(sentence: str, evidence: list[str]) -> list[str]:
    """Figures of ``sentence`` that count something (or carry a currency) the evidence does not give with
    the same figure. A count agrees when one of the words after the figure shares its stem with a word
    within :data:`WINDOW` words of the figure in the evidence ("90,000 enterprises" vs "employees" does not).
    Only checked where the evidence also uses the figure as a count; a figure the evidence lacks is left
    to the term check. It misses swaps of what comes before a figure ("Costs rose 12%") and rejects
    synonyms ("companies" for "enterprises"): a rejected rewrite falls back to a quote."""
    near: dict[str, set[str]] = {}
    money: dict[str, set[str]] = {}
    for text in evidence:
        for figure, tokens, i in _figures(text):
            money.setdefault(figure, set()).add(tokens[i - 1] if i and tokens[i - 1] in _CURRENCY else "")
            if _counted(tokens, i):
                near.setdefault(figure, set()).update(_stem(w) for w in tokens[max(0, i - WINDOW):i + WINDOW + 1]
                                                      if w[0].isalpha())
    wrong = []
    for figure, tokens, i in _figures(sentence):
        symbol = tokens[i - 1] if i and tokens[i - 1] in _CURRENCY else ""
        if symbol and figure in money and symbol not in money[figure]:
            wrong.append(f"{symbol}{tokens[i]}")
            continue
        words = _counted(tokens, i)
        if words and figure in near and not any(_stem(w) in near[figure] for w in words):
            wrong.append(f"{tokens[i]} {' '.join(words)}")
    return wrong


_ROLES = {"head", "lead", "leader", "chief", "founder", "president", "chair", "chairman", "chairwoman",
          "director", "officer", "manager", "member", "owner", "partner", "subsidiary", "unit", "division", "spokesperson",
          "spokesman", "spokeswoman", "minister", "governor", "secretary", "boss", "architect", "engineer", "researcher"}


def _bare(word: str) -> str:
    """Lower case without a possessive ending ("Alibaba's" -> "alibaba")."""
    return re.sub(r"['’]s$", "", word.lower())


def misattributed(sentence: str, evidence: list[str], window: int = 5) -> list[str]:
    """"ROLE of Name" phrases of ``sentence`` ("CTO of Tongyi Lab", "lead of Qwen") whose two words never
    come within ``window`` words of each other in one evidence sentence: the rewrite tied a role to another
    name than its sources did. Roles are acronyms (CEO, CTO) and the words in ``_ROLES``; other relations
    are not checked (a paraphrase such as "evolution of Dodge's" for "Dodge's ... evolved" stays allowed)."""
    places = []
    for text in evidence:
        words = [_bare(m.group(0)) for m in _TOKENS.finditer(text) if m.group(0)[0].isalnum()]
        at: dict[str, list[int]] = {}
        for i, w in enumerate(words):
            at.setdefault(w, []).append(i)
        places.append(at)
    words = [m.group(0) for m in _TOKENS.finditer(sentence) if m.group(0)[0].isalnum()]
    wrong = []
    for i in range(1, len(words) - 1):
        head, name = words[i - 1], words[i + 1]
        role = head.lower() in _ROLES or (head.isupper() and head.isalpha() and 2 <= len(head) <= 4)
        if words[i] != "of" or not name[0].isupper() or not role:
            continue
        if not any(abs(a - b) <= window for at in places for a in at.get(_bare(head), []) for b in at.get(_bare(name), [])):
            wrong.append(f"{head} of {name}")
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
    wrong = misattributed(sentence, evidence)
    if wrong:
        reasons.append("ties words the evidence does not tie: " + ", ".join(wrong))
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
