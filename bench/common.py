"""Helpers for benchmark scripts: the machine description and peak memory."""

from __future__ import annotations

import os
import platform
import resource
import statistics
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


def read_bandwidth_gbs(threads: int = 1, mb: int = 1024, repeats: int = 10) -> float:
    """Memory read bandwidth in GB/s: ``threads`` threads each take the dot product of their slices of
    two ``mb`` MiB float32 arrays (BLAS streams both from memory; numpy releases the GIL). The median
    of ``repeats`` runs, since neighbours on a shared host make single runs swing by +-30%."""
    a = np.ones(mb * 2**20 // 4, dtype=np.float32)
    b = np.ones_like(a)
    edges = np.linspace(0, a.size, threads + 1).astype(int)
    slices = [slice(x, y) for x, y in zip(edges[:-1], edges[1:])]
    from threadpoolctl import threadpool_limits

    times = []
    with ThreadPoolExecutor(threads) as pool, threadpool_limits(1):  # one BLAS thread per Python thread
        for _ in range(repeats):
            t = time.perf_counter()
            list(pool.map(lambda s: np.dot(a[s], b[s]), slices))
            times.append(time.perf_counter() - t)
    return 2 * a.nbytes / statistics.median(times) / 1e9
