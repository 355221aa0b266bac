"""What this machine's CPU and memory offer, read from /proc (Linux); empty answers elsewhere.

Used to pick a backend and dtype (native bf16), to key the llama.cpp probe cache by CPU, and
to refuse a model that cannot fit in memory before loading it. Nothing here imports torch.
"""

from __future__ import annotations

import functools
import os
import platform
from pathlib import Path


@functools.lru_cache(maxsize=1)
def _cpuinfo() -> tuple[str, frozenset[str]]:
    model, flags = platform.processor() or platform.machine(), frozenset()
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return model, flags
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and value.strip():
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = frozenset(value.split())
        if flags and model:
            break
    return model, flags


def cpu_model() -> str:
    """The CPU's model name, e.g. 'AMD EPYC' or 'Intel(R) Xeon(R) Platinum 8488C'."""
    return _cpuinfo()[0]


def cpu_flags() -> frozenset[str]:
    """Instruction-set flags of the first CPU (Linux names: avx2, avx512f, amx_bf16, ...)."""
    return _cpuinfo()[1]


def native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512_BF16 or AMX_BF16), so bf16 can beat fp32."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def simd_summary() -> str:
    """The vector extensions that matter for inference, as one short string."""
    wanted = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni",
              "amx_tile", "amx_int8", "amx_bf16"]
    have = cpu_flags()
    return " ".join(f for f in wanted if f in have) or "unknown"


def mem_available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (bytes), or None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def usable_threads() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
