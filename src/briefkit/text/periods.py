"""Up to a time or within it: whether a figure counts everything until a date or only what happened then.

"had shipped 470,000 AI chips in total by February 2026" gives a running total; "shipped 470,000 AI chips
in February 2026" gives one month's figure. The preposition before the time tells them apart: "by", "as
of", "since", "until", "till", "through", "up to" make a span that runs up to or from the time
(``UP_TO``); "in", "on", "during" place the fact within it (``WITHIN``). :func:`time_spans` finds each
time of a sentence with its kind; :func:`respanned` finds a rewrite that states a figure's time with the
other kind than its evidence does.

What it leaves out: sentences without a figure (other than the dates themselves), so "had been with
Alibaba since 2019" may still become "joined Alibaba in 2019"; times with no preposition before them
("February 2026 shipments"); relative times ("last month"); "in total", "so far" and "to date" without
a time (a claim that calls its figure a total may say "in February": when the total crossed a mark);
whether the two figures are the same quantity (the count check's business).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .figures import NUMBER
from .lexicon import MONTHS

UP_TO, WITHIN = "up to", "within"
_KINDS = {"by": UP_TO, "as of": UP_TO, "since": UP_TO, "until": UP_TO, "till": UP_TO, "through": UP_TO,
          "up to": UP_TO, "in": WITHIN, "on": WITHIN, "during": WITHIN}
_YEAR = r"(?:19|20)\d\d"
_TIME = re.compile(
    rf"\b(?P<prep>by|as of|since|until|till|through|up to|in|on|during)\s+"
    rf"(?:(?:the\s+)?(?:end|start|beginning|middle|close)\s+of\s+)?(?:(?:early|late|mid)[\s-])?"
    rf"(?:(?P<month>{MONTHS})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+(?P<myear>{_YEAR}))?"
    rf"|(?:the\s+)?(?P<quarter>first|second|third|fourth|Q[1-4])\s+quarter(?:\s+of\s+(?P<qyear>{_YEAR}))?"
    rf"|(?P<year>{_YEAR}))\b", re.IGNORECASE)
_QUARTERS = {"first": "q1", "second": "q2", "third": "q3", "fourth": "q4"}
# A claim that says its figure is a running total may say when it crossed a mark ("cumulative revenue
# surpassed RMB 100 billion in February" for "cumulative revenue through February surpassed ...").
# A level reached ("reached 203 million users in February") has been reached by then too: "by February" keeps it.
_MARK = re.compile(r"\b(?:reach(?:es|ed)?|hit|pass(?:es|ed)?|surpass(?:es|ed)?|cross(?:es|ed)?|top(?:s|ped)?|"
                   r"exceed(?:s|ed)?)\b", re.IGNORECASE)
_TOTAL = re.compile(r"\b(?:cumulative(?:ly)?|in total|total|so far|to date|altogether|all[- ]time)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TimeSpan:
    """A time of a sentence with the preposition before it: its kind (``UP_TO`` or ``WITHIN``)."""

    text: str  # as written, preposition included: "by February 2026"
    kind: str
    unit: str  # "february", "q1" or "" for a bare year
    year: str  # "" when not given

    def same_time(self, other: TimeSpan) -> bool:
        """One time: the same month or quarter (or both a bare year) and no two different years."""
        return self.unit == other.unit and (self.year == other.year or not self.year or not other.year)


def time_spans(sentence: str) -> list[TimeSpan]:
    """The times of ``sentence`` that follow a preposition of a kind (see the module), in order."""
    found = []
    for m in _TIME.finditer(sentence):
        prep = " ".join(m.group("prep").lower().split())
        quarter = m.group("quarter")
        unit = (m.group("month") or "").lower() or _QUARTERS.get((quarter or "").lower(), (quarter or "").lower())
        year = m.group("myear") or m.group("qyear") or m.group("year") or ""
        found.append(TimeSpan(" ".join(m.group(0).split()), _KINDS[prep], unit, year))
    return found


def _has_figure(sentence: str) -> bool:
    """Whether ``sentence`` gives a number besides the numbers of its times."""
    return bool(NUMBER.search(_TIME.sub(" ", sentence)))


def respanned(claim: str, evidence: list[str]) -> list[str]:
    """Times of ``claim`` whose kind (up to, within) is not the kind any evidence sentence gives the same
    time, while one gives it the other kind, each as "CLAIM'S for EVIDENCE'S" ("in February 2026 for by
    February 2026"). Only a claim that gives a figure is checked (see the module); a claim that calls it
    a total ("cumulative", "in total") may place it within a time, and a mark reached within a time
    ("reached 203 million users in February") may be said reached by it."""
    if not _has_figure(claim):
        return []
    theirs = [t for e in evidence for t in time_spans(e)]
    wrong = []
    for mine in time_spans(claim):
        same = [t for t in theirs if t.same_time(mine)]
        if (mine.kind == WITHIN and _TOTAL.search(claim)) or (mine.kind == UP_TO and _MARK.search(claim)):
            continue
        if same and all(t.kind != mine.kind for t in same):
            wrong.append(f"{mine.text} for {same[0].text}")
    return list(dict.fromkeys(wrong))
