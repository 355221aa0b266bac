"""A bounded queue for slow work (summaries, answers, ingests): one worker thread, a fixed number of places.

Generation runs here so that searches and document reads, which run in the server's own thread
pool, never wait behind a model. When every place is taken, :meth:`JobQueue.submit` refuses at
once (the API answers 503) instead of letting requests pile up. It does not reorder or cancel jobs.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")


class QueueFull(Exception):
    """Every place in the queue is taken."""


class JobQueue:
    """Runs jobs one at a time on a worker thread; at most ``places`` jobs (running or waiting) at once."""

    def __init__(self, places: int = 4) -> None:
        if places < 1:
            raise ValueError("the generation queue needs at least one place")
        self.places = places
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefkit-generate")
        self._lock = threading.Lock()
        self._taken = 0

    @property
    def taken(self) -> int:
        """Jobs running or waiting now."""
        return self._taken

    def start(self, job: Callable[[], T]) -> "Future[T]":
        """Queue ``job`` and return its future (``asyncio.wrap_future`` makes it awaitable); :class:`QueueFull`
        when no place is free."""
        with self._lock:
            if self._taken >= self.places:
                raise QueueFull(f"the generation queue is full ({self.places} requests running or waiting); "
                                "try again in a moment")
            self._taken += 1
        try:
            future = self._executor.submit(job)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _: self._release())
        return future

    def _release(self) -> None:
        with self._lock:
            self._taken -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
