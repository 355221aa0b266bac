"""Citations of drafted bullets: number the sources for the prompt, parse the model's bullets and the
source numbers they cite, and resolve those to documents (:class:`Citations`).

Sources are numbered by document ([1], [2], ...) in the order their passages were given. Whether
the cited documents state a bullet is decided afterwards, by the same verifier as every other bullet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ...index.embedders.base import Embedder
from ...retrieval import Passage
from ...text.sentences import split_sentences
from ..results import Bullet

REATTACH_SUPPORT = 0.7  # cosine to a source sentence at which an uncited item is given that source
_CITATION = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_BULLET_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass
class Sources:
    """Documents numbered in first-appearance order, with their passages."""

    doc_ids: list[str]
    passages: dict[str, list[Passage]]

    @classmethod
    def from_passages(cls, passages: list[Passage]) -> "Sources":
        grouped: dict[str, list[Passage]] = {}
        for p in passages:
            grouped.setdefault(p.doc_id, []).append(p)
        return cls(list(grouped), grouped)

    def number(self, doc_id: str) -> int:
        return self.doc_ids.index(doc_id) + 1

    def rows(self, doc_ids: list[str] | None = None) -> list[dict]:
        """``doc_id``, ``title``, ``source`` and ``date`` of the given (or all) documents: the JSON ``sources``."""
        out = []
        for doc_id in self.doc_ids if doc_ids is None else doc_ids:
            first = self.passages[doc_id][0]
            out.append({"doc_id": doc_id, "title": first.title, "source": first.source, "date": first.date})
        return out

    def render(self, doc_ids: list[str] | None = None) -> str:
        """The sources block of a prompt: ``[n] Title (source, date): text``."""
        lines = []
        for doc_id in doc_ids or self.doc_ids:
            first = self.passages[doc_id][0]
            meta = ", ".join(x for x in (first.source, first.date) if x)
            head = f"[{self.number(doc_id)}] {first.title or doc_id}" + (f" ({meta})" if meta else "")
            body = " ".join(" ".join(p.text.split()) for p in self.passages[doc_id])
            lines.append(f"{head}: {body}")
        return "\n\n".join(lines)

    def sentences(self, doc_ids: list[str] | None = None) -> list[tuple[str, str]]:
        """(doc_id, sentence) pairs of the given documents' passages."""
        out = []
        for doc_id in doc_ids or self.doc_ids:
            for p in self.passages[doc_id]:
                out.extend((doc_id, p.text[s:e]) for s, e in split_sentences(p.text))
        return out


def parse_bullets(text: str) -> list[tuple[str, list[int]]]:
    """Bullet lines (or, failing those, sentences) with the source numbers they cite."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    marked = [ln for ln in lines if _BULLET_MARK.match(ln)]
    if marked:
        items = [_BULLET_MARK.sub("", ln) for ln in marked]
    else:
        joined = " ".join(lines)
        items = [joined[s:e] for s, e in split_sentences(joined)]
    out = []
    for item in items:
        numbers = [int(n) for group in _CITATION.findall(item) for n in re.split(r"[,;]", group)]
        clean = _CITATION.sub("", item)
        clean = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", clean)).strip(" -")
        clean = re.sub(r"^(?:source|sources|fact|answer)\s*\d*\s*:\s*", "", clean, flags=re.IGNORECASE)
        if len(clean.split()) >= 3:
            out.append((clean, list(dict.fromkeys(numbers))))
    return out


class Citations:
    """Turns a model's cited items into bullets citing document ids: numbers that name no given source are
    removed, an uncited item goes to the source whose sentence is closest (cosine at least
    :data:`REATTACH_SUPPORT`) or is dropped, and repeated items are dropped. Whether a bullet's sources
    state it is the verifier's to say, not this class's."""

    def __init__(self, embedder: Embedder, sources: Sources) -> None:
        self.embedder = embedder
        self.sources = sources
        pairs = sources.sentences()
        self._sentence_docs = [d for d, _ in pairs]
        self._sentence_vecs = embedder.embed([s for _, s in pairs]) if pairs else np.zeros((0, 1))

    def _closest(self, vec: np.ndarray) -> tuple[float, str | None]:
        """Cosine of ``vec`` to the closest sentence of any source, and that source."""
        if not self._sentence_docs:
            return -1.0, None
        sims = self._sentence_vecs @ vec
        best = int(np.argmax(sims))
        return float(sims[best]), self._sentence_docs[best]

    def resolve(self, items: list[tuple[str, list[int]]] | list[tuple[str, list[str]]],
                numbered: bool = True) -> list[Bullet]:
        """Bullets from parsed items; ``numbered`` says their citations are source numbers, else document ids."""
        bullets: list[Bullet] = []
        seen: set[str] = set()
        for text, cites in items:
            key = re.sub(r"\W+", " ", text.casefold()).strip()
            if key in seen:
                continue
            seen.add(key)
            notes = []
            if numbered:
                valid = [self.sources.doc_ids[n - 1] for n in cites if 1 <= n <= len(self.sources.doc_ids)]
                if len(valid) < len(cites):
                    notes.append("removed citations to sources that were not given")
            else:
                valid = [d for d in cites if d in self.sources.passages]
            valid = list(dict.fromkeys(valid))
            if not valid:
                score, doc = self._closest(self.embedder.embed([text])[0])
                if doc is None or score < REATTACH_SUPPORT:
                    continue  # no source is clearly about it: drop rather than show an uncited claim
                valid = [doc]
                notes.append("citation attached to the best-supporting source")
            bullets.append(Bullet(text, valid, notes=notes))
        return bullets
