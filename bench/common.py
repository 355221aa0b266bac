"""Helpers for benchmark scripts: the machine description and peak memory."""

from __future__ import annotations

import os
import platform
import resource
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_bandwidth_gbs(threads: int = 1, mb: int = 1024, repeats: int = 5) -> float:
    """Best memory copy bandwidth (bytes read + written per second, GB/s) of `threads` threads,
    each copying its own slice of a 1 GiB array (numpy releases the GIL while copying)."""
    src = np.ones(mb * 2**20 // 8)
    dst = np.empty_like(src)
    edges = np.linspace(0, src.size, threads + 1).astype(int)
    slices = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            t = time.perf_counter()
            list(pool.map(lambda s: np.copyto(dst[s], src[s]), slices))
            best = min(best, time.perf_counter() - t)
    return 2 * src.nbytes / best / 1e9
