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
from itertools import islice
from typing import Callable, Iterator

from ..text.sentences import iter_sentences

TokenCounter = Callable[[list[str]], list[int]]



@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    text: str
    n_tokens: int


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


_COUNT_BATCH = 256  # sentences whose tokens are counted in one tokenizer call


def _units(text: str, count: TokenCounter, budget: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, tokens) of each sentence, an over-long one split at word boundaries; tokens are counted a
    batch of sentences at a time, so a long text never has all its sentences in memory at once."""
    spans = iter_sentences(text)
    while batch := list(islice(spans, _COUNT_BATCH)):
        for (s, e), n in zip(batch, count([text[s:e] for s, e in batch])):
            if n <= budget:
                yield s, e, n
            else:
                pieces = _split_long(text, s, e, budget, count)
                yield from ((ps, pe, pn) for (ps, pe), pn in zip(pieces, count([text[a:b] for a, b in pieces])))


def chunk_text(text: str, count: TokenCounter, budget: int, overlap: int) -> list[Chunk]:
    """Pack sentences into chunks of at most ``budget`` tokens, repeating up to ``overlap``
    tokens of trailing sentences at the start of the next chunk."""
    return list(iter_chunks(text, count, budget, overlap))


def iter_chunks(text: str, count: TokenCounter, budget: int, overlap: int) -> Iterator[Chunk]:
    """The chunks of :func:`chunk_text`, made as they are consumed: only the sentences of the chunk being
    packed are held, whatever the length of ``text``."""
    if budget < 1:
        raise ValueError("budget must be positive")
    source = _units(text, count, budget)
    units: list[tuple[int, int, int]] = []  # a window of the units; units[k] is unit number base + k

    def have(k: int) -> bool:
        """Whether window position ``k`` exists, reading units from the text as needed."""
        while len(units) <= k:
            nxt = next(source, None)
            if nxt is None:
                return False
            units.append(nxt)
        return True

    i = 0
    while have(i):
        j, total = i, 0
        while have(j) and total + units[j][2] <= budget:
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
        yield Chunk(start, end, chunk_str, n_tokens)
        if not have(j):
            return
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= overlap:
            back -= 1
            carried += units[back][2]
        del units[:back]  # the next chunk starts at unit ``back``; nothing before it is needed again
        i = 0
