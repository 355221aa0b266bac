"""A briefkit home: the store, the embedder and the search index, loaded lazily and once.

This is the library entry point that the CLI and the evaluation harness share:
``Workspace(settings).ingest(paths)``, ``.search(query)``, ``.delete(doc_id)``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .corpus.ingest import IngestReport, ingest_articles
from .corpus.store import Store
from .errors import BadInput, BriefkitError
from .index.embedders.base import Embedder
from .index.embedders.cached import CachedEmbedder
from .index.embedders.load import load_embedder
from .index.embedders.models import token_counter
from .index.search_index import SearchIndex, behind, sync_index
from .index.vector_cache import VectorCache
from .retrieval import Passage, Retriever
from .runtime import Lazy, progress_bar

if TYPE_CHECKING:
    import numpy as np

    from .llm.base import Backend, GenerationParams
    from .llm.cache import GenerationCache
    from .scoring.base import SupportScorer


SENTENCE_CHUNKS = 500  # chunks whose sentences are embedded at a time at ingest (see Workspace.embed_sentences)


class Workspace:
    """One home's store, embedder, index and generators; each is loaded on first use and kept.

    A BM25 search never loads the embedding model: the index opens without it, and it is
    loaded only when chunks must be embedded or a query needs a vector. Only ingest, ``index
    update`` and ``index rebuild`` embed chunks; a read finds the dense index as it is (behind
    the store after an interrupted ingest) and says so once on stderr.
    """

    def __init__(self, settings: Settings, progress: bool = False) -> None:
        self.settings = settings
        self.home = settings.resolved_home()
        self.progress = progress
        self._creating = False  # only ingest may create the home and its store
        self.store_was_lost = False  # set when an ingest had to start a new store next to an existing index
        self.embedded = 0  # chunks embedded by the last sync of the index
        self._store: Lazy[Store] = Lazy(self._open_store)
        self._embedder: Lazy[Embedder] = Lazy(self._load_embedder)
        self._index: Lazy[SearchIndex] = Lazy(self._open_index)
        self._query_embedder: Lazy[Embedder] = Lazy(self._load_query_embedder)
        self._retriever: Lazy[Retriever] = Lazy(lambda: Retriever(self.index, self.store, self._query_embedder.get))
        self._generation_cache: Lazy["GenerationCache"] = Lazy(self._open_generation_cache)
        self._support_scorer: Lazy["SupportScorer"] = Lazy(self._load_support_scorer)
        self._generators: dict[tuple[str, str, str], Backend] = {}

    @property
    def store(self) -> Store:
        return self._store.get()

    @property
    def store_path(self) -> Path:
        return self.home / "store.sqlite"

    def _open_store(self) -> Store:
        """Open the store; only an ingest creates a home or a store, and a lost store is never silently replaced.

        A missing or empty ``store.sqlite`` next to an index means the documents are gone while their
        index is not: reading is refused (naming the file), and an ingest goes on but warns loudly.
        """
        if self.home.exists() and not self.home.is_dir():
            raise BadInput(f"--home {self.home} is a file, not a briefkit home folder; give a folder")
        lost = not self.store_path.exists() or self.store_path.stat().st_size == 0
        if lost and not self._creating:
            if (self.index_root / "CURRENT").exists():
                raise BriefkitError(
                    f"the store {self.store_path} is missing or empty, but {self.index_root} holds an index of its"
                    " documents; restore store.sqlite from a backup, or ingest your articles again")
            if not self.store_path.exists():
                raise BadInput(f"no briefkit home at {self.home}; check --home, or create one with"
                               " `briefkit ingest PATH`")
        self.store_was_lost = lost and (self.index_root / "CURRENT").exists()
        self.home.mkdir(parents=True, exist_ok=True)
        return Store(self.store_path)

    @property
    def embedder(self) -> Embedder:
        return self._embedder.get()

    def _load_embedder(self) -> Embedder:
        i = self.settings.index
        return load_embedder(i.embedder, i.device, i.embedder_backend)

    @property
    def query_embedder(self) -> Embedder:
        """What embeds queries and evidence sentences: the index's vectors, from the fastest copy of its
        model that gives them, read back from ``vectors.sqlite`` when embedded before (see
        :meth:`_load_query_embedder`)."""
        return self._query_embedder.get()

    @property
    def vectors_path(self) -> Path:
        return self.home / "vectors.sqlite"

    def _load_query_embedder(self) -> Embedder:
        """The query model (:meth:`_query_model`) behind the home's sentence-vector cache (``vectors.sqlite``):
        a sentence embedded once for this home and model is read back afterwards."""
        return CachedEmbedder(self._query_model(), VectorCache(self.vectors_path))

    def _query_model(self) -> Embedder:
        """What embeds search queries: for a ``torch`` index of a mean-pooling model on CPU, the model's
        fp32 ONNX export made at ingest (vectors at cosine > 0.9999 of torch's, the same ranking; no
        torch or transformers import, so a hybrid search starts in under a second instead of about
        five); else the embedder itself."""
        i = self.settings.index
        if i.embedder_backend == "torch" and (i.device or "cpu") == "cpu":
            from .index.embedders.onnx import serves_queries

            if serves_queries(i.embedder):
                try:
                    return load_embedder(i.embedder, i.device, "onnx")
                except Exception:  # noqa: BLE001 - a broken onnxruntime costs speed, not the search
                    pass
        return self.embedder

    def _export_query_encoder(self) -> None:
        """After chunks were embedded: for a ``torch`` embedder, export the model to ONNX once for fast query
        starts (mean-pooling models only, when onnxruntime, onnx and onnxscript are installed; about 10 s);
        unless the checker reads the index's own onnx-int8 encoder, the learned support checker's int8 encoder
        (a few seconds), so that a summary imports no torch."""
        if not self._embedder.loaded:
            return
        if self.settings.index.embedder_backend == "torch":
            from .index.embedders.onnx import export_for_queries

            export_for_queries(self.settings.index.embedder)
        if self.settings.summarise.scorer != "cosine":
            from .scoring.onnx_encoder import ensure_exported, shares_encoder

            if not shares_encoder(self.embedder):
                ensure_exported()

    @property
    def index_root(self) -> Path:
        return self.home / "index"

    @property
    def index(self) -> SearchIndex:
        """The saved index, with BM25 in step with the store; its dense part may be behind (nothing is embedded
        here: :meth:`update_index` or an ingest does that)."""
        return self._index.get()

    def _open_index(self) -> SearchIndex:
        """The index for reading: synced with the store without embedding anything (a search must not start
        hours of embedding); chunks still without a vector are counted in one notice on stderr."""
        existing = SearchIndex.open(self.index_root, self.settings.index)
        docs, _ = self.store.counts()
        if existing is None and docs == 0:
            raise BadInput(f"the index in {self.home} is empty; add articles with `briefkit ingest PATH`")
        index = self._sync(existing, embed=False)
        missing = behind(index, self.store)
        if missing:
            print(f"notice: the dense index is behind: {missing} of {len(index.sparse.ids)} chunks are not embedded"
                  " yet (an ingest was interrupted or is still running), so searches rank them by BM25 alone; run"
                  " `briefkit index update` to embed them", file=sys.stderr)
        return index

    def _sync(self, existing: SearchIndex | None, rebuild: bool = False, embed: bool = True) -> SearchIndex:
        index, self.embedded = sync_index(self.index_root, self.store, self._embedder.get, self.settings.index,
                                          self.progress, rebuild=rebuild, index=existing, embed=embed)
        self._index.set(index)
        self._retriever.reset()
        self._export_query_encoder()
        return index

    @property
    def retriever(self) -> Retriever:
        return self._retriever.get()

    def derive(self, **overrides: dict) -> "Workspace":
        """The same home with some settings changed, sharing what is already loaded (store, models, index)."""
        other = Workspace(self.settings.with_overrides(**overrides), self.progress)
        if other.home == self.home:
            other._store = self._store
            other._generation_cache = self._generation_cache
        if other.settings.index == self.settings.index:  # same embedder and index: share them
            other._embedder, other._query_embedder = self._embedder, self._query_embedder
            other._index, other._retriever = self._index, self._retriever
        other._generators = self._generators
        return other

    def ingest(self, paths: list[Path], exclude: list[str] | None = None) -> IngestReport:
        """Add (or replace edited) articles from ``paths``, then bring the index in line with the store."""
        # Check the saved index against the configured embedder before any work is done.
        existing = self._index.get() if self._index.loaded else SearchIndex.open(self.index_root, self.settings.index)
        self._creating = True
        try:
            store = self.store
        finally:
            self._creating = False
        import numpy as np

        count = token_counter(self.settings.index.embedder) or (lambda t: self.embedder.count_tokens(t))
        before = store.chunk_ids()
        report = ingest_articles(store, paths, self.settings.corpus, count, self.progress, exclude=exclude)
        if self.store_was_lost and existing is not None:
            report.warnings.append({"path": str(self.store_path), "warning": (
                f"the store was missing or empty while the index held {existing.meta.chunks} chunks; a new store was"
                " started and the index now holds only what this ingest stored")})
        self._sync(existing)
        report.embedded = self.embedded
        if self.settings.index.sentence_vectors:
            self.embed_sentences(np.setdiff1d(self.store.chunk_ids(), before))
        return report

    def embed_sentences(self, chunk_ids: "np.ndarray") -> int:
        """Put the sentences of these chunks in the vector cache (``vectors.sqlite``) as summaries read them, so that
        a summary's corroboration search, which reads the sentences of about ten passages for every candidate,
        finds them embedded; returns how many sentences were read. Done at ingest and rebuild unless ``[index]
        sentence_vectors`` is off: the first summaries of a corpus then cost what later ones do. Nothing is stored
        when the cache cannot be written (it only costs speed)."""
        from .attribution.plan import corroboration_sentences

        read = 0
        bar = progress_bar(self.progress, len(chunk_ids), "embedding sentences", "chunk")
        try:
            for start in range(0, len(chunk_ids), SENTENCE_CHUNKS):  # a batch at a time: a big corpus's vectors
                batch = self.store.chunks(chunk_ids[start:start + SENTENCE_CHUNKS].tolist())  # never all in memory
                texts = list(dict.fromkeys(e.text for r in batch for e in corroboration_sentences(Passage.of_chunk(r))))
                if texts:
                    self.query_embedder.embed(texts)
                read += len(texts)
                bar.update(len(batch))
        finally:
            bar.close()
        return read

    def delete(self, doc_id: str) -> bool:
        """Remove a document and its chunks from the store and the index (embedding nothing)."""
        removed = self.store.delete_document(doc_id)
        if removed:
            self._sync(self._index.get() if self._index.loaded else None, embed=False)
        return removed

    def update_index(self) -> SearchIndex:
        """Embed the chunks the index lacks (an interrupted ingest or rebuild continues from its last save)."""
        existing = SearchIndex.open(self.index_root, self.settings.index)
        if existing is None and self.store.counts()[0] == 0:
            raise BadInput(f"the index in {self.home} is empty; add articles with `briefkit ingest PATH`")
        return self._sync(existing)

    def rebuild(self) -> SearchIndex:
        """Re-embed every chunk into a fresh index generation; a rebuild that was interrupted (same embedder and
        kind) continues from its last save instead."""
        try:
            current = SearchIndex.open(self.index_root, self.settings.index)
        except BriefkitError:  # a broken index, or one of another embedder: start afresh
            current = None
        if current is not None and current.meta.rebuild_kind == self.settings.index.kind:
            return self._sync(current)
        self._clear_vectors()
        index = self._sync(None, rebuild=True)
        if self.settings.index.sentence_vectors:
            self.embed_sentences(self.store.chunk_ids())
        return index

    def _clear_vectors(self) -> None:
        """Empty the sentence-vector cache: a rebuild starts every vector afresh."""
        cache = VectorCache(self.vectors_path)
        cache.clear()
        cache.close()

    @property
    def generation_cache(self) -> "GenerationCache":
        return self._generation_cache.get()

    def _open_generation_cache(self) -> "GenerationCache":
        from .llm.cache import GenerationCache

        return GenerationCache(self.home / "generations.sqlite")

    @property
    def support_scorer(self) -> "SupportScorer":
        """The scorer behind every support verdict (``[summarise] scorer``: auto, learned or cosine)."""
        return self._support_scorer.get()

    def _load_support_scorer(self) -> "SupportScorer":
        from .scoring.load import load_support_scorer

        return load_support_scorer(self.settings.summarise.scorer, embedder=self.query_embedder, share_encoder=True)

    def generator(self, model: str | None = None) -> "Backend":
        """The generation backend for ``model`` (default from settings), loaded once; behind the cache if enabled."""
        from .llm.cache import CachedBackend
        from .llm.registry import backend_from_settings

        g = self.settings.generation
        key = (g.backend, model or g.model, g.base_url or "")
        if key not in self._generators:
            self._generators[key] = backend_from_settings(g.backend, key[1], g)
        backend = self._generators[key]
        return CachedBackend(backend, self.generation_cache) if g.cache else backend

    def generation_params(self) -> "GenerationParams":
        from .llm.base import GenerationParams

        g = self.settings.generation
        return GenerationParams(max_tokens=g.max_new_tokens, temperature=g.temperature, seed=g.seed,
                                repetition_penalty=g.repetition_penalty)

    def search(self, query: str, k: int | None = None, mode: str | None = None, mmr: bool | None = None,
               since: str | None = None, until: str | None = None, source: str | None = None) -> list[Passage]:
        r = self.settings.retrieval
        return self.retriever.search(
            query, k=k or r.k, mode=mode or r.mode, candidates=r.candidates, rrf_k=r.rrf_k,
            mmr=r.mmr if mmr is None else mmr, mmr_lambda=r.mmr_lambda, mmr_by=r.mmr_by, since=since, until=until,
            source=source,
        )
