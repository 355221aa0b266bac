"""The saved search index of a briefkit home: dense (FAISS) + sparse (BM25) + metadata.

Layout: ``index/CURRENT`` names a generation folder ``index/gen-N`` holding
``dense.faiss``, ``bm25/`` and ``meta.json`` (format version, embedding model name and
dimension, index kind, embedded chunk count). A save writes a new generation and then replaces
``CURRENT`` atomically, so a killed process leaves the previous generation intact.
:func:`sync_index` makes the index hold exactly the store's chunks (adding missing
ones, removing stale ones), which is how ingest, delete and crash recovery all work.

BM25 is brought in step first (no model needed); then the chunks without a vector are
embedded and saved ``commit_chunks`` at a time, so a killed ingest or rebuild resumes from
its last save. Until then the dense index is *behind* the store: searches serve the
vectors there are (:func:`behind` counts the rest). Processes that save take turns
(``index/LOCK``); a reader that cannot take it saves nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..config import IndexSettings
from ..corpus.store import Store
from ..errors import BriefkitError, IndexMismatch
from ..runtime import atomic_write_text, progress_bar
from .dense import DenseIndex, choose_kind
from .embedders.base import Embedder
from .embedders.models import resolve_embedder
from .sparse import SparseIndex

FORMAT_VERSION = 1
_GENERATION = re.compile(r"gen-\d+")


@dataclass
class IndexMeta:
    format_version: int
    embedder: str
    dim: int
    kind: str
    chunks: int  # chunks with a vector
    rebuild_kind: str | None = None  # while a first build or a rebuild is unfinished: the kind it asked for

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2)


class SearchIndex:
    def __init__(self, root: Path, meta: IndexMeta, dense: DenseIndex, sparse: SparseIndex, generation: int) -> None:
        self.root = root
        self.meta = meta
        self.dense = dense
        self.sparse = sparse
        self.generation = generation
        self.sparse_saved: Path | None = None  # the saved copy of ``sparse``; None once it changes

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
        index = cls(root, meta, dense, sparse, generation)
        index.sparse_saved = folder / "bm25"
        return index

    # --- keeping in step with the store ----------------------------------------------------
    def indexed_ids(self) -> np.ndarray:
        return np.sort(self.sparse.ids)

    def save(self) -> None:
        """Write a new generation and switch ``CURRENT`` to it; generations before the previous one are removed
        (the previous one stays, so that a reader that has just read ``CURRENT`` can still load it).
        BM25 files unchanged since the last save are linked, not written again."""
        self.root.mkdir(parents=True, exist_ok=True)
        generation = max(self.generation, _last_generation(self.root)) + 1
        folder = self.root / f"gen-{generation}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        self.dense.save(folder / "dense.faiss")
        if self.sparse_saved is not None and self.sparse_saved.is_dir():
            _link_files(self.sparse_saved, folder / "bm25")
        else:
            self.sparse.save(folder / "bm25")
        self.meta.chunks = self.dense.ntotal
        atomic_write_text(folder / "meta.json", self.meta.to_json())
        atomic_write_text(self.root / "CURRENT", folder.name)
        previous, self.generation, self.sparse_saved = self.generation, generation, folder / "bm25"
        for old in self.root.glob("gen-*"):
            if old.name not in (folder.name, f"gen-{previous}"):
                shutil.rmtree(old, ignore_errors=True)


def _link_files(source: Path, target: Path) -> None:
    """Hard-link (else copy) every file of ``source`` into a new folder ``target``."""
    target.mkdir()
    for path in source.iterdir():
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)


def _last_generation(root: Path) -> int:
    """The highest ``gen-N`` number in ``root`` (0 if none), so that a new generation never reuses a live one."""
    numbers = [int(p.name[4:]) for p in root.glob("gen-*") if _GENERATION.fullmatch(p.name)]
    return max(numbers, default=0)


@contextmanager
def _turn(root: Path, wait: bool) -> Iterator[bool]:
    """Hold ``root/LOCK`` (an advisory file lock) while this process changes the index; yields whether it is
    held. With ``wait=False`` it is not waited for (the caller then saves nothing); waiting says so on stderr."""
    try:
        import fcntl
    except ImportError:  # no POSIX file locks: saves are not serialised
        yield True
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        fh = open(root / "LOCK", "a")
    except OSError:
        if wait:
            raise
        yield False  # a read-only home: read, save nothing
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            print("notice: another briefkit process is updating the index; waiting for it", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def behind(index: SearchIndex, store: Store) -> int:
    """How many of the store's chunks have no vector in the dense index yet."""
    return len(np.setdiff1d(store.chunk_ids(), index.dense.ids()))


def sync_index(
    root: Path, store: Store, embedder: Callable[[], Embedder], settings: IndexSettings, progress: bool = False,
    rebuild: bool = False, index: SearchIndex | None = None, embed: bool = True,
) -> tuple[SearchIndex, int]:
    """Bring the saved index (or ``index``, already open) in line with the store's chunks, saving what changed;
    returns the index and how many chunks it embedded.

    ``embedder`` is called only when chunks must be embedded (or, with no index at all, for its
    dimension), so an index already in step with the store opens without loading the embedding
    model. ``embed=False`` (read-only commands) embeds nothing and saves only when no other process
    is changing the index; the dense index may then stay behind. ``rebuild`` starts a new index
    that re-embeds every chunk.
    """
    with _turn(root, wait=embed) as held:
        if rebuild:
            index = None
        elif held and index is not None and index.generation != _saved_generation(root):
            index = SearchIndex.open(root, settings)  # another process saved since: continue from its work
        elif index is None:
            index = SearchIndex.open(root, settings)
        if index is None:
            model = embedder()
            meta = IndexMeta(FORMAT_VERSION, model.name, model.dim, "flat", 0, rebuild_kind=settings.kind)
            index = SearchIndex(root, meta, DenseIndex.empty(model.dim), SparseIndex.build([], np.zeros(0)),
                                _last_generation(root))
        if _match_sparse(index, store) and held:
            index.save()
        embedded = _embed_missing(index, store, embedder, settings, progress) if embed and held else 0
        if embed and held and index.meta.rebuild_kind is not None:
            _finish_build(index, settings)
    return index, embedded


def _saved_generation(root: Path) -> int:
    found = SearchIndex.read_meta(root)
    return found[2] if found else 0


def _match_sparse(index: SearchIndex, store: Store) -> bool:
    """Drop vectors of chunks the store no longer has and rebuild BM25 when its chunks differ from the store's;
    True if anything changed."""
    store_ids = store.chunk_ids()
    stale = np.setdiff1d(index.dense.ids(), store_ids)
    index.dense.remove(stale)
    if np.array_equal(index.indexed_ids(), store_ids):
        return len(stale) > 0
    records = store.chunks(store_ids.tolist())
    ids, texts = np.array([r.chunk_id for r in records], dtype=np.int64), [r.text for r in records]
    del records  # hold only the texts while BM25 tokenises them
    index.sparse = SparseIndex.build(texts, ids)
    index.sparse_saved = None
    return True


def _embed_missing(index: SearchIndex, store: Store, embedder: Callable[[], Embedder], settings: IndexSettings,
                   progress: bool) -> int:
    """Embed the store's chunks that have no vector, saving a generation after every ``commit_chunks``."""
    missing = np.setdiff1d(store.chunk_ids(), index.dense.ids())
    if not len(missing):
        return 0
    model = embedder()
    bar = progress_bar(progress, len(missing), "embedding", "chunk")
    done = 0
    try:
        for start in range(0, len(missing), settings.commit_chunks):
            records = store.chunks(missing[start : start + settings.commit_chunks].tolist())
            vectors = model.embed([r.text for r in records], settings.batch_size, bar=bar)
            index.dense.add(vectors, np.array([r.chunk_id for r in records], dtype=np.int64))
            index.save()
            done += len(records)
    finally:
        bar.close()
    return done


def _finish_build(index: SearchIndex, settings: IndexSettings) -> None:
    """A first build or rebuild whose chunks are all embedded gets the kind it asked for (built flat until now)."""
    count = index.dense.ntotal
    kind = choose_kind(index.meta.rebuild_kind or "auto", count, settings.ivf_min_vectors)
    if kind in ("ivf", "ivfpq") and count < 10_000:
        kind = "flat"  # IVF and PQ need enough vectors to train their centroids and codebooks
    if kind != index.dense.kind:
        index.dense = index.dense.converted(kind, settings.nprobe, settings.pq_m)
    index.meta.kind, index.meta.rebuild_kind = kind, None
    index.save()
