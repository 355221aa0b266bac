"""The saved search index of a briefkit home: dense (FAISS) + sparse (BM25) + metadata.

Layout: ``index/CURRENT`` names a generation folder ``index/gen-N`` holding
``dense.faiss``, ``bm25/`` and ``meta.json`` (format version, embedding model name and
dimension, index kind, chunk count). A save writes a new generation and then replaces
``CURRENT`` atomically, so a killed process leaves the previous generation intact.
:meth:`SearchIndex.sync` makes the index hold exactly the store's chunks (adding missing
ones, removing stale ones), which is how ingest, delete and crash recovery all work.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import IndexSettings
from ..corpus.store import Store
from ..errors import BriefkitError, IndexMismatch
from ..runtime import atomic_write_text
from .dense import DenseIndex, choose_kind
from .embedder import Embedder, resolve_embedder
from .sparse import SparseIndex

FORMAT_VERSION = 1
_GENERATION = re.compile(r"gen-\d+")


@dataclass
class IndexMeta:
    format_version: int
    embedder: str
    dim: int
    kind: str
    chunks: int

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2)


class SearchIndex:
    def __init__(self, root: Path, meta: IndexMeta, dense: DenseIndex, sparse: SparseIndex, generation: int) -> None:
        self.root = root
        self.meta = meta
        self.dense = dense
        self.sparse = sparse
        self.generation = generation

    # --- open / create ---------------------------------------------------------------------
    @staticmethod
    def read_meta(root: Path) -> tuple[IndexMeta, Path, int] | None:
        pointer = root / "CURRENT"
        if not pointer.exists():
            return None
        remedy = "run `briefkit index rebuild` to rebuild it from the store"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (OSError, ValueError):
            raise BriefkitError(f"the search index is broken: {pointer} cannot be read; {remedy}") from None
        folder = root / name
        if not _GENERATION.fullmatch(name) or not folder.is_dir():
            raise BriefkitError(f"the search index is broken: {pointer} names {name[:40]!r}, which is not a folder"
                                f" in {root}; {remedy}")
        try:
            meta = IndexMeta(**json.loads((folder / "meta.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            raise BriefkitError(f"the search index is broken: {folder / 'meta.json'} is missing or unreadable;"
                                f" {remedy}") from None
        return meta, folder, int(name.split("-")[-1])

    @classmethod
    def open(cls, root: Path, settings: IndexSettings, embedder_name: str | None = None) -> "SearchIndex | None":
        """Open the saved index, checking format and embedder; None when there is none yet."""
        found = cls.read_meta(root)
        if found is None:
            return None
        meta, folder, generation = found
        if meta.format_version != FORMAT_VERSION:
            raise IndexMismatch(
                f"index at {root} has format version {meta.format_version}, this briefkit reads {FORMAT_VERSION};"
                " rebuild it with `briefkit index rebuild`"
            )
        wanted, _ = resolve_embedder(embedder_name or settings.embedder)
        if wanted != meta.embedder:
            raise IndexMismatch(
                f"index was built with embedding model {meta.embedder} ({meta.dim}-d) but {wanted} is configured;"
                f" use --embedder {meta.embedder} or rebuild with `briefkit index rebuild`"
            )
        try:
            dense = DenseIndex.load(folder / "dense.faiss", meta.kind, settings.nprobe)
            sparse = SparseIndex.load(folder / "bm25")
        except Exception as exc:  # noqa: BLE001 - faiss/bm25s raise assorted errors on bad files
            raise BriefkitError(
                f"the search index is broken: the files in {folder} cannot be loaded"
                f" ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__});"
                " run `briefkit index rebuild` to rebuild it from the store"
            ) from None
        if dense.index.d != meta.dim:
            raise IndexMismatch(f"index at {folder} holds {dense.index.d}-d vectors but its metadata says {meta.dim}")
        return cls(root, meta, dense, sparse, generation)

    # --- keeping in step with the store ----------------------------------------------------
    def indexed_ids(self) -> np.ndarray:
        return np.sort(self.sparse.ids)

    def save(self) -> None:
        """Write a new generation and switch ``CURRENT`` to it; old generations are removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        generation = self.generation + 1
        folder = self.root / f"gen-{generation}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        self.dense.save(folder / "dense.faiss")
        self.sparse.save(folder / "bm25")
        self.meta.chunks = self.dense.ntotal
        atomic_write_text(folder / "meta.json", self.meta.to_json())
        atomic_write_text(self.root / "CURRENT", folder.name)
        self.generation = generation
        for old in self.root.glob("gen-*"):
            if old.name != folder.name:
                shutil.rmtree(old, ignore_errors=True)


def _last_generation(root: Path) -> int:
    """The highest ``gen-N`` number in ``root`` (0 if none), so that a new generation never reuses a live one."""
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if _GENERATION.fullmatch(p.name)]
    return max(numbers, default=0)


def sync_index(
    root: Path, store: Store, embedder: Callable[[], Embedder], settings: IndexSettings, progress: bool = False,
    rebuild: bool = False, index: SearchIndex | None = None,
) -> SearchIndex:
    """Bring the saved index (or ``index``, already open) in line with the store's chunks; save if anything changed.

    ``embedder`` is called only when chunks must be embedded, so an index already in step
    with the store opens without loading the embedding model.
    """
    if index is None and not rebuild:
        index = SearchIndex.open(root, settings)
    store_ids = store.chunk_ids()
    if index is None:
        generation = _last_generation(root)  # a rebuild reads nothing of the old index, whatever its state
        records = store.chunks()
        model = embedder()
        vectors = model.embed([r.text for r in records], settings.batch_size, progress)
        kind = choose_kind(settings.kind, len(records), settings.ivf_min_vectors)
        if kind in ("ivf", "ivfpq") and len(records) < 10_000:
            kind = "flat"  # IVF and PQ need enough vectors to train their centroids and codebooks
        dense = DenseIndex.build(vectors.reshape(-1, model.dim), store_ids, kind, settings.nprobe, settings.pq_m)
        sparse = SparseIndex.build([r.text for r in records], store_ids)
        meta = IndexMeta(FORMAT_VERSION, model.name, model.dim, kind, len(records))
        index = SearchIndex(root, meta, dense, sparse, generation)
        index.save()
        return index

    have = index.indexed_ids()
    missing = np.setdiff1d(store_ids, have)
    stale = np.setdiff1d(have, store_ids)
    if len(missing) == 0 and len(stale) == 0:
        return index
    index.dense.remove(stale)
    if len(missing):
        records = store.chunks(missing.tolist())
        vectors = embedder().embed([r.text for r in records], settings.batch_size, progress)
        index.dense.add(vectors, np.array([r.chunk_id for r in records], dtype=np.int64))
    all_records = store.chunks()
    index.sparse = SparseIndex.build([r.text for r in all_records], store_ids)
    index.save()
    return index
