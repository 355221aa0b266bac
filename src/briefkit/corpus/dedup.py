"""Document-level deduplication: exact by content hash, near-duplicate by MinHash + LSH.

Signatures are 128 MinHash values over word 5-grams (universal hashing, 32-bit), small
enough to store with each document so the LSH table can be rebuilt from the store at the
start of an ingest. LSH uses 16 bands of 8 rows; candidates are confirmed by their
estimated Jaccard similarity against the threshold.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Collection

import numpy as np

NUM_PERM = 128
BANDS, ROWS = 16, 8
_SHINGLE = 5
_PRIME = np.uint64((1 << 31) - 1)
_rng = np.random.default_rng(20260323)
_A = _rng.integers(1, (1 << 31) - 1, NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, NUM_PERM, dtype=np.uint64)


def content_hash(text: str) -> str:
    """SHA-256 of the text with case and whitespace normalised."""
    norm = " ".join(text.casefold().split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def minhash_signature(text: str) -> np.ndarray:
    """MinHash values (uint64, NUM_PERM) over the word 5-grams of ``text``."""
    words = re.findall(r"\w+", text.casefold())
    shingles = {" ".join(words[i : i + _SHINGLE]) for i in range(max(1, len(words) - _SHINGLE + 1))}
    hashes = np.array(
        [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=4).digest(), "little") for s in shingles],
        dtype=np.uint64,
    )
    permuted = (np.outer(hashes, _A) + _B) % _PRIME  # (shingles, NUM_PERM); values < 2^62, no overflow
    return permuted.min(axis=0).astype(np.uint64)


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
