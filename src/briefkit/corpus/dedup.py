"""Document-level deduplication: exact by content hash, near-duplicate by MinHash + LSH.

Signatures are 128 MinHash values over word 5-grams (universal hashing, 32-bit), small
enough to store with each document so the LSH table can be rebuilt from the store at the
start of an ingest. LSH uses 16 bands of 8 rows; candidates are confirmed by their
estimated Jaccard similarity against the threshold.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict, deque
from typing import Collection, Iterator

import numpy as np

NUM_PERM = 128
BANDS, ROWS = 16, 8
_SHINGLE = 5
_PRIME = np.uint64((1 << 31) - 1)
_rng = np.random.default_rng(20260323)
_A = _rng.integers(1, (1 << 31) - 1, NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, NUM_PERM, dtype=np.uint64)


_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s")
_PIECE = 1 << 18  # characters cased and split at a time
_BLOCK = 2048  # shingles hashed and permuted at a time: memory stays flat however long the text


def _pieces(text: str) -> Iterator[str]:
    """``text`` in consecutive pieces of about ``_PIECE`` characters, cut at whitespace (no word is split)."""
    start = 0
    while start < len(text):
        space = _SPACE.search(text, start + _PIECE) if start + _PIECE < len(text) else None
        end = space.start() if space else len(text)
        yield text[start:end]
        start = end


def content_hash(text: str) -> str:
    """SHA-256 of the text with case and whitespace normalised (words joined by one space); a long text is
    hashed a piece at a time, never split into one list of words."""
    digest = hashlib.sha256()
    separator = b""
    for piece in _pieces(text):
        words = piece.casefold().split()
        if words:
            digest.update(separator + " ".join(words).encode("utf-8"))
            separator = b" "
    return digest.hexdigest()


def _shingles(text: str) -> Iterator[str]:
    """The word 5-grams of ``text`` in order (repeats included); a text of fewer words is one shingle."""
    window: deque[str] = deque(maxlen=_SHINGLE)
    produced = False
    for match in (m for piece in _pieces(text) for m in _WORD.finditer(piece.casefold())):
        window.append(match.group())
        if len(window) == _SHINGLE:
            produced = True
            yield " ".join(window)
    if not produced:
        yield " ".join(window)


def minhash_signature(text: str) -> np.ndarray:
    """MinHash values (uint64, NUM_PERM) over the distinct word 5-grams of ``text``, computed a block of
    shingles at a time (a repeated shingle cannot change a minimum)."""
    signature = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    for block in _blocks(_shingles(text), _BLOCK):
        hashes = np.unique(np.array(
            [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little") for s in block],
            dtype=np.uint64,
        ))
        permuted = (np.outer(hashes, _A) + _B) % _PRIME  # (shingles, NUM_PERM); values < 2^62, no overflow
        np.minimum(signature, permuted.min(axis=0), out=signature)
    return signature


def _blocks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    block: list[str] = []
    for item in items:
        block.append(item)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


class NearDuplicateIndex:
    """LSH table of signatures; ``find`` returns the most similar document at or above the threshold."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._buckets: dict[tuple[int, bytes], set[str]] = defaultdict(set)
        self._sigs: dict[str, np.ndarray] = {}

    @staticmethod
    def _keys(signature: np.ndarray) -> list[tuple[int, bytes]]:
        return [(band, signature[band * ROWS : (band + 1) * ROWS].tobytes()) for band in range(BANDS)]

    def add(self, doc_id: str, signature: np.ndarray) -> None:
        self.remove(doc_id)
        for key in self._keys(signature):
            self._buckets[key].add(doc_id)
        self._sigs[doc_id] = signature

    def remove(self, doc_id: str) -> None:
        signature = self._sigs.pop(doc_id, None)
        if signature is not None:
            for key in self._keys(signature):
                self._buckets[key].discard(doc_id)

    def find(self, signature: np.ndarray, exclude: Collection[str | None] = ()) -> str | None:
        """The most similar indexed document at or above the threshold, leaving out the ids in ``exclude``."""
        candidates = set().union(*(self._buckets.get(key, set()) for key in self._keys(signature)))
        candidates.difference_update(exclude)
        best, best_sim = None, 0.0
        for cand in sorted(candidates):
            sim = jaccard_estimate(self._sigs[cand], signature)
            if sim >= self.threshold and sim > best_sim:
                best, best_sim = cand, sim
        return best
