"""Question analysis by rules: what kind of answer a question wants, the sources it names, and its sub-claims.

A question like "Did the Verge article say X, while the TechCrunch report says Y?" becomes a yes/no question with
two claims, each tied to the corpus source it names (the search filter of its hop) and to a date when it names
one. Sources are matched against the corpus's own source names (a name's head before " | " or " - " counts:
"CNBC" is "Cnbc | World Business News Leader"); an outlet named in the usual way ("a Bloomberg article",
"reported by Reuters") that the corpus does not have is listed in ``missing``.

What it leaves out: coreference ("the same outlet"), negated questions ("Was there no change ...") beyond the
consistency/change polarity, and questions whose clauses are not separated by commas or "while"/"whereas".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text.dates import normalise_date
from ..text.lexicon import MONTHS
from ..text.tense import event_key

KINDS = ("yes/no", "temporal order", "comparison", "entity", "figure", "date", "open")

_AUX = r"(?:does|did|do|is|was|were|are|has|have|had|can|could|will|would|should)"
_LEAD = r"(?:between|after|before|following|considering|given|based on|in light of|according to|from|in)\b"
_YES_NO = re.compile(rf"^(?:{_AUX}\b|{_LEAD}(?:(?!\b(?:which|what|who)\b)[^?])*?,\s*{_AUX}\b)", re.I)
_ORDER = re.compile(r"\bbefore or after\b|\bafter or before\b|\bearlier or later\b|"
                    r"\bwhich (?:came|was published) first\b", re.I)
_SEQUENCE = re.compile(rf"^{_AUX}\b[^?]*\b(before|after)\b", re.I)
_WHICH = re.compile(r"(?:^|,\s*)(which|what|who|whom|whose)\b([^,?]*)", re.I)
_ONE_OF = re.compile(r"\b(?:article|report|narrative|piece|story|outlet|source|publication|one)\b", re.I)
_FIGURE = re.compile(r"^\s*(?:how (?:many|much|long|far|big|large|old)|"
                     r"what (?:percentage|share|number|amount|price))\b", re.I)
_DATE_Q = re.compile(r"^\s*(?:when|what (?:date|day|year|month)|in which (?:year|month))\b", re.I)
_CHANGE = re.compile(r"\b(?:chang\w*|inconsisten\w*|differ\w*|shift\w*|contradict\w*|diverg\w*|depart\w*)\b", re.I)
_SAME = re.compile(r"\b(?:consisten\w*|agree\w*|align\w*|similar\w*|same|maintain\w*|remain\w*|coheren\w*|uniform)\b",
                   re.I)
_NO_CHANGE = re.compile(r"\b(?:no|not|without|never)\s+(?:any\s+|a\s+)?(?:chang|inconsisten|differ|shift|contradict)",
                        re.I)
_CHOICE = re.compile(r"\b(consistent|the same|similar|agree)\s+or\s+(inconsistent|different|disagree)\b", re.I)
_STATES = re.compile(r"\b(?:suggest|claim|indicate|impl(?:y|ies)|state|say|attribute|describe|portray|argue|anticipate|"
                     r"highlight|mention|show|credit|blame|predict|assert|acknowledge)(?:s|ed)?\b", re.I)
_CLAUSES = re.compile(r",?\s+(?:while|whereas|but)\s+|;\s+|,\s+and\s+(?=(?:the|a|an|does|did|is|was)\b)", re.I)
_NAME = r"[A-Z0-9][\w&.'’-]*(?:\s+(?:[A-Z0-9][\w&.'’-]*|&|of|the|and)){0,5}"
# outlets named the usual ways: "a Bloomberg article", "reported by Reuters", "according to ESPN"
_OUTLET = re.compile(
    rf"\b(?:(?:a|an|the)\s+['‘\"]?(?P<a>{_NAME})['’\"]?\s+"
    rf"(?:article|report|piece|story|review|coverage|feature)s?\b"
    rf"|(?:article|report|piece|story|coverage)s?\s+(?:from|by|in)\s+(?:the\s+)?['‘\"]?(?P<b>{_NAME})"
    rf"|(?:reported|published) by\s+(?:the\s+)?['‘\"]?(?P<c>{_NAME}))")
_GENERIC = {"new", "same", "latest", "recent", "earlier", "later", "first", "second", "other", "another", "both",
            "separate", "previous", "following", "subsequent", "original", "detailed", "in-depth", "which", "one",
            "this", "that", "these", "two"}
# "Who leads X?", "Who is the head of X?": a question about who holds a relation now
_PRESENT_VERB = re.compile(r"^\s*(?:who|whom)\s+(?:currently\s+|now\s+|still\s+)?(?P<v>[a-z]{3,}(?<!s)s)\b", re.I)
_PRESENT_ROLE = re.compile(r"^\s*who\s+(?:is|are)\s+(?:currently\s+|now\s+|still\s+)?(?:in charge of|the\s+(?:\w+\s+)?"
                           r"(?:lead|leader|head|chief|boss|director|manager|chair(?:man|woman)?)\b)", re.I)
_NOT_RELATIONS = {"does", "was", "has", "is", "says", "said"}
_ISO = re.compile(r"\b(20\d\d-\d\d-\d\d)(?:T[\d:+.]+)?\b")
_SPELLED = re.compile(rf"\b(?:{MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? 20\d\d)?\b")


@dataclass(frozen=True)
class Claim:
    """One hop of a question: the clause to search for, the corpus source it names and the date it names."""

    text: str
    source: str | None = None
    date: str | None = None

    def to_json(self) -> dict:
        return {"claim": self.text, "source": self.source, "date": self.date}


@dataclass
class Analysis:
    question: str
    kind: str  # one of KINDS
    sources: list[str] = field(default_factory=list)  # corpus sources named, in order of first mention
    missing: list[str] = field(default_factory=list)  # outlets named that the corpus does not have
    claims: list[Claim] = field(default_factory=list)
    polarity: str | None = None  # yes/no about sources agreeing: "same" (yes = no conflict) or "change"
    order: str | None = None  # "before" / "after": the question asks whether its first hop came before/after
    target: str | None = None  # what a which/who question asks for ("company", "team", "narrative")
    choices: tuple[str, str] | None = None  # "consistent or inconsistent?": the words for yes and for no

    @property
    def multi_hop(self) -> bool:
        """Whether the question needs its hops answered together rather than one best sentence."""
        return self.kind in ("yes/no", "temporal order", "comparison") or (
            self.kind == "entity" and (len(self.claims) > 1 or bool(self.sources)))


def present_relation(question: str) -> str | None:
    """The relation a who-question asks about in the present tense, as an event key
    (:func:`~briefkit.text.tense.event_key`): "lead" for "Who leads the Qwen team?" and "Who is the head of
    Tongyi Lab?", "own" for "Who owns X?"; None for a question in the past ("Who led ...?") or of another
    form. An answer to it must hold the relation now, not only in the past or up to a departure."""
    if m := _PRESENT_VERB.match(question):
        verb = m.group("v").lower()
        return None if verb in _NOT_RELATIONS else event_key(verb)
    return "lead" if _PRESENT_ROLE.match(question) else None


def _aliases(known: list[str]) -> list[tuple[str, str]]:
    """(lower-case alias, source) for each corpus source: its full name and its head before " | " / " - "."""
    out = []
    for s in known:
        out.append((s.lower(), s))
        head = re.split(r"\s+[|–-]\s+", s)[0].strip()
        if head != s and len(head) >= 3:
            out.append((head.lower(), s))
        if head.lower().startswith("the ") and len(head) > 7:
            out.append((head[4:].lower(), s))
    return sorted(out, key=lambda a: -len(a[0]))


def named_sources(text: str, known: list[str]) -> list[tuple[int, str]]:
    """(position, source) for each corpus source ``text`` names, longest alias first, mentions not overlapping."""
    low, taken, found = text.lower(), [], []
    for alias, source in _aliases(known):
        for m in re.finditer(rf"(?<![\w]){re.escape(alias)}(?![\w])", low):
            if not any(a < m.end() and m.start() < b for a, b in taken):
                taken.append((m.start(), m.end()))
                found.append((m.start(), source))
    return sorted(found)


def _outlets(question: str) -> list[str]:
    names = []
    for m in _OUTLET.finditer(question):
        name = next(g for g in m.groups() if g)
        words = name.split()
        while words and words[-1].lower() in {"and", "of", "the", "&"}:
            words.pop()
        if words and words[0].lower() not in _GENERIC and not _SPELLED.match(" ".join(words)):
            names.append(" ".join(words))
    return names


def _date(text: str) -> str | None:
    if m := _ISO.search(text):
        return m.group(1)
    if (m := _SPELLED.search(text)) and re.search(r"20\d\d", m.group(0)):
        return normalise_date(m.group(0).replace("st,", ",").replace("nd,", ",").replace("rd,", ",")
                              .replace("th,", ","))
    return None


def _kind(question: str, n_sources: int) -> tuple[str, str | None]:
    if _ORDER.search(question):
        return "temporal order", None
    if _YES_NO.search(question):
        return "yes/no", None
    if _FIGURE.search(question):
        return "figure", None
    if _DATE_Q.search(question):
        return "date", None
    which = _WHICH.search(question)
    if which:
        noun = ("who" if which.group(1).lower().startswith("who")
                else (which.group(2).split() or [""])[0].strip("'\"").lower())
        if n_sources >= 2 and _ONE_OF.fullmatch(noun or "-") and re.match(r"^\s*between\b", question, re.I):
            return "comparison", noun
        return "entity", noun or which.group(1).lower()
    return "open", None


def analyse(question: str, known_sources: list[str]) -> Analysis:
    """The kind, named sources, missing outlets and claims of ``question``; ``known_sources``: the corpus's."""
    question = " ".join(question.split())
    mentions = named_sources(question, known_sources)
    sources = list(dict.fromkeys(s for _, s in mentions))
    known_low = [a for a, _ in _aliases(known_sources)]
    missing = [o for o in dict.fromkeys(_outlets(question))
               if not any(o.lower() == a or o.lower() in a or a in o.lower() for a in known_low)]
    kind, target = _kind(question, len(sources))
    a = Analysis(question, kind, sources, missing, target=target)
    if kind == "yes/no" and not _STATES.search(question):  # about the sources agreeing, not what each states
        if _SAME.search(question) or _CHANGE.search(question):
            a.polarity = "change" if _CHANGE.search(question) and not _NO_CHANGE.search(question) else "same"
        if choice := _CHOICE.search(question):  # "consistent or inconsistent?": the answer is one of the words
            a.polarity, a.choices = "same", (choice.group(1).capitalize(), choice.group(2).capitalize())
        if a.polarity is None and (seq := _SEQUENCE.search(question)):
            a.order = seq.group(1).lower()
    a.claims = _claims(question, mentions)
    return a


def _claims(question: str, mentions: list[tuple[int, str]]) -> list[Claim]:
    """One claim per named source (the clause that names it), else one per clause; a clause naming a date
    carries it. Without sources or clauses, the question itself is the one claim."""
    spans, start = [], 0
    for m in _CLAUSES.finditer(question):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(question)))
    clauses = [(a, b, question[a:b].strip(" ,?")) for a, b in spans if question[a:b].strip(" ,?")]
    claims: list[Claim] = []
    if mentions:
        for pos, source in mentions:
            text = next((c for a, b, c in clauses if a <= pos < b), question)
            if sum(a <= p < b for p, _ in mentions for a, b, _ in clauses if a <= pos < b) > 1:
                text = _segment(question, pos, [p for p, _ in mentions], clauses)
            claims.append(Claim(text, source, _date(text)))
        return list(dict.fromkeys(claims))
    return list(dict.fromkeys(Claim(c, None, _date(c)) for _, _, c in clauses))


def _segment(question: str, pos: int, positions: list[int], clauses: list[tuple[int, int, str]]) -> str:
    """In a clause naming several sources, the part that belongs to the mention at ``pos``: from it to the
    next mention (the first mention also takes the clause's opening words, the last takes its end)."""
    start, end, _ = next(c for c in clauses if c[0] <= pos < c[1])
    inside = sorted(p for p in positions if start <= p < end)
    after = min([p for p in inside if p > pos], default=end)
    return question[start if pos == inside[0] else pos:after].strip(" ,?'‘’\"")

