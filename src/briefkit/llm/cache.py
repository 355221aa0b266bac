"""A SQLite cache of generations keyed by everything that changes the output.

The key holds the backend's identity (kind, model file or folder with its size and mtime,
dtype, device, server URL: ``cache_identity()`` on each backend), the messages and the
parameters, so the same prompt through another backend or a changed model file is not
served from the cache. Results served from it carry ``cached=True``. Repeated runs and
evaluation sweeps cost nothing the second time; streaming callers get the text in one piece.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Callable

from .base import Backend, GenerationParams, GenerationResult, Message


class GenerationCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, result TEXT NOT NULL)")

    @staticmethod
    def key(identity: dict | str, messages: list[Message], params: GenerationParams) -> str:
        blob = json.dumps({"backend": identity, "messages": messages, "params": params.key()}, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> GenerationResult | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM generations WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        data["cached"] = True
        return GenerationResult(**data)

    def put(self, key: str, result: GenerationResult) -> None:
        data = {k: v for k, v in result.__dict__.items() if k != "cached"}
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO generations(key, result) VALUES (?, ?)", (key, json.dumps(data)))


class CachedBackend(Backend):
    """Wraps a backend; identical requests to an identical backend are answered from the cache."""

    def __init__(self, inner: Backend, cache: GenerationCache) -> None:
        self.inner = inner
        self.cache = cache
        self.model_name = inner.model_name
        self.context_tokens = inner.context_tokens
        self.max_concurrency = inner.max_concurrency
        self.description = inner.description
        self.reason = inner.reason
        self.identity = inner.cache_identity()

    def cache_identity(self) -> dict:
        return self.identity

    def generate_batch(self, requests: list[list[Message]], params: GenerationParams) -> list[GenerationResult]:
        """Cached answers where present; the rest in one batch on the inner backend."""
        keys = [self.cache.key(self.identity, m, params) for m in requests]
        results: list[GenerationResult | None] = [self.cache.get(k) for k in keys]
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            fresh = self.inner.generate_batch([requests[i] for i in missing], params)
            for i, result in zip(missing, fresh):
                self.cache.put(keys[i], result)
                results[i] = result
        return results  # type: ignore[return-value]

    def generate(
        self, messages: list[Message], params: GenerationParams, on_text: Callable[[str], None] | None = None
    ) -> GenerationResult:
        key = self.cache.key(self.identity, messages, params)
        hit = self.cache.get(key)
        if hit is not None:
            if on_text:
                on_text(hit.text)
            return hit
        result = self.inner.generate(messages, params, on_text)
        self.cache.put(key, result)
        return result

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def yes_probability(self, requests: list[list[Message]]) -> list[float]:
        """The inner backend's (not cached: a probability is not a generation)."""
        return self.inner.yes_probability(requests)

    def parameters(self) -> int | None:
        return self.inner.parameters()
