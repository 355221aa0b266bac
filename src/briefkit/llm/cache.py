"""A SQLite cache of generations keyed by model, rendered messages and parameters.

Repeated runs and evaluation sweeps cost nothing the second time. Streaming callers get
the cached text in one piece.
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
    def key(model: str, messages: list[Message], params: GenerationParams) -> str:
        blob = json.dumps({"model": model, "messages": messages, "params": params.key()}, sort_keys=True)
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


class CachedBackend:
    """Wraps a backend; identical requests are answered from the cache."""

    def __init__(self, inner: Backend, cache: GenerationCache) -> None:
        self.inner = inner
        self.cache = cache
        self.model_name = inner.model_name
        self.context_tokens = inner.context_tokens
        self.max_concurrency = getattr(inner, "max_concurrency", 1)

    def generate(
        self, messages: list[Message], params: GenerationParams, on_text: Callable[[str], None] | None = None
    ) -> GenerationResult:
        key = self.cache.key(self.model_name, messages, params)
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
