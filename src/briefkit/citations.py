"""Cited bullets: number the sources, parse model output, and check every citation.

Sources are numbered by document ([1], [2], ...) in the order their passages were given.
After generation, a citation to a number that was not given is removed; a bullet left
with no citation is attached to the passage that supports it best, or dropped; a bullet
whose cited passages do not support it (cosine of the bullet to their best sentence,
with the embedder) or that names a number or name absent from them is kept but marked
``supported=False``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .corpus.chunk import split_sentences
from .index.embedder import Embedder
from .retrieval import Passage

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][a-zA-Z]+(?:[-'][A-Za-z]+)*")
_COMMON = {"The", "This", "That", "These", "Those", "It", "Its", "In", "On", "At", "By", "For", "And", "But", "A", "An",
           "As", "With", "From", "Source", "Sources", "According", "After", "Before", "He", "She", "They", "We", "His", "Her"}


def _plain(text: str) -> str:
    """Curly apostrophes made straight and possessive 's removed, so "Lin’s" and "Lin's" both read "Lin"."""
    return re.sub(r"(?<=\w)'s\b", "", text.replace("’", "'"))


YEAR = re.compile(r"(?:19|20)\d\d")  # a figure that is (most likely) a year


def figures(text: str) -> set[str]:
    """The numbers in ``text``, thousands separators dropped ("470,000" -> "470000")."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def key_terms(text: str) -> set[str]:
    """Numbers and capitalised names in ``text`` (lower-cased), the facts a summary must not invent."""
    text = _plain(text)
    numbers = figures(text)
    names = {m.group(0).lower() for m in _NAME.finditer(text) if m.group(0) not in _COMMON}
    return numbers | names


def missing_terms(claim: str, evidence: str) -> set[str]:
    """Key terms of ``claim`` that do not occur in ``evidence`` as whole numbers or words.

    "8" is not found in "0.8", nor "Lin" in "Linux"; "2026" is found in "March 3, 2026";
    "Lin's" is found in "Lin".
    """
    evidence = _plain(evidence)
    numbers = figures(evidence)
    words = set(re.findall(r"[a-z]+(?:[-'][a-z]+)*", evidence.lower()))
    words |= {part for w in words for part in re.split(r"[-']", w)}
    return {t for t in key_terms(claim) if t not in (numbers if t[0].isdigit() else words)}


REATTACH_SUPPORT = 0.7  # an uncited claim needs closer evidence than a cited one to be kept
_CITATION = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_BULLET_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass
class Bullet:
    text: str
    citations: list[str]  # doc ids, best-supporting first
    supported: bool = True
    support: float = 1.0
    notes: list[str] = field(default_factory=list)
    evidence: list = field(default_factory=list)  # briefkit.attribution.evidence.Evidence: the sentences it rests on
    origin: str = "model"  # "model": the model's wording, verified; "quoted": a source sentence
    according_to: str | None = None  # the one source that states it, named when others were retrieved

    def to_json(self) -> dict:
        return {"text": self.text, "citations": self.citations, "origin": self.origin, "according_to": self.according_to,
                "evidence": [e.to_json() for e in self.evidence], "supported": self.supported,
                "support": round(self.support, 4), "notes": self.notes}


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


class CitationChecker:
    """Repairs and scores citations of bullets against the sources they were given."""

    def __init__(self, embedder: Embedder, sources: Sources, min_support: float) -> None:
        self.embedder = embedder
        self.sources = sources
        self.min_support = min_support
        pairs = sources.sentences()
        self._sentence_docs = [d for d, _ in pairs]
        self._sentence_vecs = embedder.embed([s for _, s in pairs]) if pairs else np.zeros((0, 1))

    def evidence(self, doc_ids: list[str]) -> str:
        """The text of the given documents' passages."""
        return " ".join(p.text for d in doc_ids for p in self.sources.passages.get(d, []))

    def support(self, text: str, doc_ids: list[str]) -> float:
        """Cosine of ``text`` to the best sentence of the given documents' passages."""
        return self._support(self.embedder.embed([text])[0], doc_ids)[0]

    def _support(self, vec: np.ndarray, doc_ids: list[str] | None) -> tuple[float, str | None]:
        best, best_doc = -1.0, None
        if len(self._sentence_docs) == 0:
            return best, best_doc
        sims = self._sentence_vecs @ vec
        for i, doc in enumerate(self._sentence_docs):
            if (doc_ids is None or doc in doc_ids) and sims[i] > best:
                best, best_doc = float(sims[i]), doc
        return best, best_doc

    def check(self, items: list[tuple[str, list[int]]] | list[tuple[str, list[str]]], numbered: bool = True) -> list[Bullet]:
        """Turn parsed items into checked bullets; ``numbered`` says citations are source numbers."""
        if not items:
            return []
        vecs = self.embedder.embed([text for text, _ in items])
        bullets: list[Bullet] = []
        seen: set[str] = set()
        for (text, cites), vec in zip(items, vecs):
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
                score, doc = self._support(vec, None)
                if doc is None or score < max(self.min_support, REATTACH_SUPPORT):
                    continue  # no source clearly supports it: drop rather than show an uncited claim
                valid = [doc]
                notes.append("citation attached to the best-supporting source")
            score, _ = self._support(vec, valid)
            missing = missing_terms(text, self.evidence(valid))
            if missing:
                notes.append("not in the cited sources: " + ", ".join(sorted(missing)))
            supported = score >= self.min_support and not missing
            bullets.append(Bullet(text, valid, supported=supported, support=max(score, 0.0), notes=notes))
        return bullets
