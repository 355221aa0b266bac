"""Content selection: score evidence sentences for a topic or question.

Each sentence gets its dense relevance (the mean of its own cosine to the query and its
passage's: a sentence is read in the context of its passage), its
lexical overlap with the query's content words, and its informativeness (specific facts:
figures, dates, names). Salience combines the three; support across documents and
redundancy are the planner's business (:mod:`briefkit.attribution.plan`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..index.embedders.base import Embedder
from ..text.figures import NUMBER
from ..text.lexicon import MONTH_WORDS, STOP_WORDS
from .evidence import Evidence

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)*")

W_DENSE, W_LEXICAL, W_INFO = 0.55, 0.2, 0.25


@dataclass
class Scored:
    evidence: Evidence
    vector: np.ndarray
    relevance: float  # dense: mean of the sentence's and its passage's cosine to the query
    lexical: float  # share of the query's content words the sentence contains
    informativeness: float  # 0..1, from figures, dates and names
    query_cosine: float = 0.0  # the sentence's own cosine to the query (without its passage's)

    @property
    def salience(self) -> float:
        return W_DENSE * self.relevance + W_LEXICAL * self.lexical + W_INFO * self.informativeness


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, with a plural ``s`` removed."""
    words = (w.lower().strip("'’") for w in _TOKEN.findall(text))
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in STOP_WORDS and len(w) > 1}


def informativeness(text: str) -> float:
    """Specific facts in a sentence: figures, month names and capitalised names past the first word, scaled to 0..1."""
    tokens = _TOKEN.findall(text)
    numbers = len(NUMBER.findall(text))
    months = sum(t.lower() in MONTH_WORDS for t in tokens)
    names = sum(t[0].isupper() and t.lower() not in MONTH_WORDS for t in tokens[1:])
    return min(1.0, (1.0 * numbers + 0.75 * months + 0.5 * names) / 4.0)


def score(query: str, evidence: list[Evidence], embedder: Embedder) -> list[Scored]:
    """Score every sentence against ``query`` (one embedding call for all of them)."""
    if not evidence:
        return []
    vectors = embedder.embed([query] + [e.text for e in evidence])
    qvec, svecs = vectors[0], vectors[1:]
    wanted = content_words(query)
    out = []
    for ev, vec in zip(evidence, svecs):
        lexical = len(wanted & content_words(ev.text)) / len(wanted) if wanted else 0.0
        cosine = float(vec @ qvec)
        out.append(Scored(ev, vec, 0.5 * cosine + 0.5 * ev.passage_relevance, lexical, informativeness(ev.text),
                          cosine))
    return out


def relevant(scored: list[Scored], min_relevance: float, share_of_best: float = 0.5) -> list[Scored]:
    """Sentences at or above an absolute relevance floor and a share of the best sentence's relevance."""
    if not scored:
        return []
    floor = max(min_relevance, share_of_best * max(s.relevance for s in scored))
    return [s for s in scored if s.relevance >= floor]
