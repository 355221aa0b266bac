"""FAISS dense index over chunk vectors, keyed by chunk id.

``flat`` is exact inner product (IndexIDMap2 over IndexFlatIP); ``ivf`` is an inverted
file (IndexIVFFlat, trained on the vectors it is built with) for large corpora; ``ivfpq``
adds product quantisation (``pq_m`` bytes a vector instead of 4 x dim) for corpora that
must fit a memory budget, at some cost in recall. Vectors are unit-normalised, so inner
product is cosine similarity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def choose_kind(kind: str, n_vectors: int, ivf_min_vectors: int) -> str:
    """Resolve ``auto`` to ``flat`` or ``ivf`` by corpus size."""
    if kind != "auto":
        return kind
    return "ivf" if n_vectors >= ivf_min_vectors else "flat"


class DenseIndex:
    def __init__(self, index, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, kind: str, nprobe: int = 16, pq_m: int = 48) -> "DenseIndex":
        import faiss

        dim = vectors.shape[1]
        if kind in ("ivf", "ivfpq"):
            nlist = max(1, min(int(4 * np.sqrt(len(vectors))), len(vectors) // 39))
            quantizer = faiss.IndexFlatIP(dim)
            if kind == "ivf":
                index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            else:
                if dim % pq_m:
                    raise ValueError(f"pq_m={pq_m} must divide the vector dimension {dim}")
                index = faiss.IndexIVFPQ(quantizer, dim, nlist, pq_m, 8, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
            index.nprobe = min(nprobe, nlist)
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        else:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        dense = cls(index, kind)
        dense.add(vectors, ids)
        return dense

    @classmethod
    def empty(cls, dim: int) -> "DenseIndex":
        """A flat index with no vectors yet (vectors are added as they are embedded)."""
        return cls.build(np.zeros((0, dim), dtype=np.float32), np.zeros(0, dtype=np.int64), "flat")

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        """The chunk ids that have a vector, sorted."""
        import faiss

        if self.kind in ("ivf", "ivfpq"):
            lists = self.index.invlists
            parts = [faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n)).copy()
                     for n in range(lists.nlist) if lists.list_size(n)]
            found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        else:
            found = faiss.vector_to_array(self.index.id_map)
        return np.sort(found.astype(np.int64))

    def converted(self, kind: str, nprobe: int, pq_m: int) -> "DenseIndex":
        """A ``kind`` index holding this flat index's vectors (an index finished in slabs gets its kind at the end)."""
        import faiss

        vectors = self.index.index.reconstruct_n(0, self.ntotal) if self.ntotal else np.zeros((0, self.index.d))
        ids = faiss.vector_to_array(self.index.id_map)
        return DenseIndex.build(np.asarray(vectors, dtype=np.float32), ids, kind, nprobe, pq_m)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> None:
        import faiss

        if len(ids):
            arr = np.ascontiguousarray(ids, dtype=np.int64)
            # IVF with a hashtable direct map only accepts an IDSelectorArray
            is_ivf = self.kind in ("ivf", "ivfpq")
            selector = faiss.IDSelectorArray(len(arr), faiss.swig_ptr(arr)) if is_ivf else faiss.IDSelectorBatch(arr)
            self.index.remove_ids(selector)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, cosine) for one query vector, optionally within ``allowed`` ids."""
        return self.search_many(query.reshape(1, -1), k, allowed)[0]

    def search_many(self, queries: np.ndarray, k: int,
                    allowed: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        """:meth:`search` for each row of ``queries``, in one call (FAISS's per-call overhead is paid once)."""
        import faiss

        if self.ntotal == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return [[] for _ in range(len(queries))]
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            if self.kind in ("ivf", "ivfpq"):
                params = faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
            else:
                params = faiss.SearchParameters(sel=selector)
        scores, ids = self.index.search(np.asarray(queries, dtype=np.float32), min(k, self.ntotal), params=params)
        return [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i != -1]
                for row_ids, row_scores in zip(ids, scores)]

    def vectors(self, ids: list[int]) -> np.ndarray:
        """Stored vectors for ``ids`` (used by MMR); zeros for a chunk not embedded yet."""
        out = np.zeros((len(ids), self.index.d), dtype=np.float32)
        for row, i in enumerate(ids):
            try:
                out[row] = self.index.reconstruct(int(i))
            except RuntimeError:  # not embedded yet: the index is behind the store
                pass
        return out

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str, nprobe: int) -> "DenseIndex":
        import faiss

        index = faiss.read_index(str(path))
        if kind in ("ivf", "ivfpq"):
            index.nprobe = nprobe
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        return cls(index, kind)
