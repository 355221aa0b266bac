"""A briefkit home: the store, the embedder and the search index, loaded lazily and once.

This is the library entry point that the CLI and the evaluation harness share:
``Workspace(settings).ingest(paths)``, ``.search(query)``, ``.delete(doc_id)``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .corpus.ingest import IngestReport, ingest_articles
from .corpus.store import Store
from .errors import BadInput
from .index.embedder import Embedder, load_embedder
from .retrieval import Passage, Retriever
from .index.search_index import SearchIndex, sync_index

if TYPE_CHECKING:
    from .llm.base import Backend, GenerationParams
    from .llm.cache import GenerationCache


class Workspace:
    def __init__(self, settings: Settings, progress: bool = False) -> None:
        self.settings = settings
        self.home = settings.resolved_home()
        self.progress = progress
        self._generators: dict[tuple[str, str, str], Backend] = {}

    @cached_property
    def store(self) -> Store:
        return Store(self.home / "store.sqlite")

    @cached_property
    def embedder(self) -> Embedder:
        i = self.settings.index
        return load_embedder(i.embedder, i.device, i.embedder_backend)

    @property
    def index_root(self) -> Path:
        return self.home / "index"

    @cached_property
    def index(self) -> SearchIndex:
        """The saved index, synced with the store (this also completes an interrupted ingest)."""
        existing = SearchIndex.open(self.index_root, self.settings.index)
        docs, _ = self.store.counts()
        if existing is None and docs == 0:
            raise BadInput(f"the index in {self.home} is empty; add articles with `briefkit ingest PATH`")
        return sync_index(self.index_root, self.store, self.embedder, self.settings.index, self.progress,
                          index=existing)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.store, self.embedder)

    def derive(self, **overrides: dict) -> "Workspace":
        """The same home with some settings changed, sharing what is already loaded (store, models, index)."""
        other = Workspace(self.settings.with_overrides(**overrides), self.progress)
        shared = ("store", "embedder", "index", "retriever", "generation_cache")
        other.__dict__.update({k: self.__dict__[k] for k in shared if k in self.__dict__})
        if other.settings.index != self.settings.index:  # another embedder or index: nothing to share
            for k in shared:
                other.__dict__.pop(k, None)
        other._generators = self._generators
        return other

    def ingest(self, paths: list[Path]) -> IngestReport:
        # Check the saved index against the configured embedder before any work is done.
        existing = self.__dict__.get("index") or SearchIndex.open(self.index_root, self.settings.index)
        report = ingest_articles(self.store, paths, self.settings.corpus, self.embedder.count_tokens, self.progress)
        self.__dict__["index"] = sync_index(
            self.index_root, self.store, self.embedder, self.settings.index, self.progress, index=existing
        )
        self.__dict__.pop("retriever", None)
        return report

    def delete(self, doc_id: str) -> bool:
        """Remove a document and its chunks from the store and the index."""
        removed = self.store.delete_document(doc_id)
        if removed:
            self.__dict__["index"] = sync_index(self.index_root, self.store, self.embedder, self.settings.index)
            self.__dict__.pop("retriever", None)
        return removed

    def rebuild(self) -> SearchIndex:
        self.__dict__["index"] = sync_index(
            self.index_root, self.store, self.embedder, self.settings.index, self.progress, rebuild=True
        )
        self.__dict__.pop("retriever", None)
        return self.index

    @cached_property
    def generation_cache(self) -> "GenerationCache":
        from .llm.cache import GenerationCache

        return GenerationCache(self.home / "generations.sqlite")

    def generator(self, model: str | None = None) -> "Backend":
        """The generation backend for ``model`` (default from settings), loaded once; behind the cache if enabled."""
        from .llm.base import create_backend
        from .llm.cache import CachedBackend

        g = self.settings.generation
        key = (g.backend, model or g.model, g.base_url or "")
        if key not in self._generators:
            self._generators[key] = create_backend(
                g.backend, model=key[1], device=g.device, dtype=g.dtype, threads=g.threads, base_url=g.base_url,
                api_key_env=g.api_key_env, timeout_s=g.timeout_s, retries=g.retries, concurrency=g.concurrency,
                context_tokens=g.context_tokens,
            )
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
            mmr=r.mmr if mmr is None else mmr, mmr_lambda=r.mmr_lambda, since=since, until=until, source=source,
        )
