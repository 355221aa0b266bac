"""Sentence-aware chunking with a token budget and overlap.

Sentences are found with a punctuation rule (paragraph breaks always end a sentence);
tokens are counted with the embedder's tokenizer, passed in as a function. A chunk is a
span of whole sentences within the budget; a sentence longer than the budget is split
at word boundaries. Chunks carry character offsets into the text they came from.
It does not know about documents or storage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

TokenCounter = Callable[[list[str]], list[int]]

_SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*[•\-*\d])")


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    text: str
    n_tokens: int


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences (whitespace trimmed)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_BOUNDARY.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    out = []
    for start, end in spans:
        seg = text[start:end]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if end - trail > start + lead:
            out.append((start + lead, end - trail))
    return out


def _split_long(text: str, start: int, end: int, budget: int, count: TokenCounter) -> list[tuple[int, int]]:
    """Split an over-long span at word boundaries into pieces within ``budget`` tokens."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        lo, hi = i + 1, len(words)
        # binary search the largest j with tokens(words[i:j]) <= budget
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count([text[words[i][0] : words[mid - 1][1]]])[0] <= budget:
                lo = mid
            else:
                hi = mid - 1
        j = max(lo, i + 1)
        pieces.append((words[i][0], words[j - 1][1]))
        i = j
    return pieces


def chunk_text(text: str, count: TokenCounter, budget: int, overlap: int) -> list[Chunk]:
    """Pack sentences into chunks of at most ``budget`` tokens, repeating up to ``overlap``
    tokens of trailing sentences at the start of the next chunk."""
    if budget < 1:
        raise ValueError("budget must be positive")
    spans = split_sentences(text)
    if not spans:
        return []
    lengths = count([text[s:e] for s, e in spans])
    units: list[tuple[int, int, int]] = []
    for (s, e), n in zip(spans, lengths):
        if n <= budget:
            units.append((s, e, n))
        else:
            pieces = _split_long(text, s, e, budget, count)
            for (ps, pe), pn in zip(pieces, count([text[a:b] for a, b in pieces])):
                units.append((ps, pe, pn))

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and total + units[j][2] <= budget:
            total += units[j][2]
            j += 1
        j = max(j, i + 1)
        start, end = units[i][0], units[j - 1][1]
        chunk_str = text[start:end]
        n_tokens = count([chunk_str])[0]
        while n_tokens > budget and j - 1 > i:  # joins can add tokens; shrink until it fits
            j -= 1
            end = units[j - 1][1]
            chunk_str = text[start:end]
            n_tokens = count([chunk_str])[0]
        chunks.append(Chunk(start, end, chunk_str, n_tokens))
        if j >= len(units):
            break
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= overlap:
            back -= 1
            carried += units[back][2]
        i = back
    return chunks
