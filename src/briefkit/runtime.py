"""Small process-wide helpers every layer shares: a lazy value holder, the one cache of loaded models,
the model cache folder, atomic file writes, batches on several threads, progress bars and quiet
transformers logging.

Nothing here imports a heavy library at module level, and nothing here knows about
articles, indexes or models; it sits below corpus, index and llm so they need not import
one another.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Lazy(Generic[T]):
    """A value built by ``factory`` on first ``get()`` (once, also when threads ask at the same time);
    it can be replaced (``set``) or dropped (``reset``)."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._loaded = False
        self._lock = threading.RLock()  # re-entrant: a factory may read other Lazy values

    @property
    def loaded(self) -> bool:
        return self._loaded

    def get(self) -> T:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._value = self._factory()
                    self._loaded = True
        return self._value  # type: ignore[return-value]

    def set(self, value: T) -> None:
        with self._lock:
            self._value, self._loaded = value, True

    def reset(self) -> None:
        with self._lock:
            self._value, self._loaded = None, False


_MODELS: dict[tuple, Lazy] = {}
_MODELS_LOCK = threading.Lock()


def loaded_once(key: tuple, factory: Callable[[], T]) -> T:
    """The one instance of a loaded model per process for ``key`` (built by ``factory`` the first time):
    every embedder and scorer is cached here, and a :class:`Workspace` only decides when to ask."""
    with _MODELS_LOCK:
        holder = _MODELS.setdefault(key, Lazy(factory))
    return holder.get()


def map_batches(run: Callable[[T], R], batches: Iterable[T], workers: int) -> list[R]:
    """``run`` on each batch, in order: on ``workers`` threads at once when there are several batches (``run``
    must then be thread-safe; a model session whose calls use one thread each keeps every core busy)."""
    batches = list(batches)
    if workers <= 1 or len(batches) <= 1:
        return [run(b) for b in batches]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, batches))


def cache_root() -> Path:
    """Where converted models and exported embedders live: ``$BRIEFKIT_CACHE``, else ``~/.cache/briefkit``."""
    return Path(os.environ.get("BRIEFKIT_CACHE", Path.home() / ".cache" / "briefkit"))


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file, fsync and rename, so readers see the old or the new file, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class _NoBar:
    """Stands in for a progress bar when progress is off."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def progress_bar(enabled: bool, total: int, desc: str, unit: str, leave: bool = False) -> Any:
    """A tqdm bar on stderr when ``enabled``, else an object with the same update/close methods."""
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=leave)


def quiet_transformers() -> None:
    """Silence transformers' info logs and weight-loading bars; briefkit shows its own progress."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
