"""The ``auto`` backend: the fastest generation backend that works on this machine.

Order: transformers on a GPU when one is present; else llama.cpp when llama-cpp-python is
installed, the model has a GGUF (the bundled SmolLM2, a Qwen3.5 GGUF alias, a benchmark
model or a .gguf path) and the crash probe passes; else transformers on CPU, in bf16 when the CPU computes
bf16 natively (AVX512_BF16 or AMX) and in fp32 otherwise. The chosen backend carries
``description`` and ``reason`` (why it was chosen); a llama.cpp failure that forces the
fallback is also printed to stderr as one ``notice:`` line. ``model_name`` is unchanged.

When llama.cpp works and the same model also has a local transformers form (the bundled SmolLM2,
a downloaded Qwen3.5 folder beside its GGUF), the backend that finishes a summary's batch of rewrites
first wins, not the one with the faster single stream: both answer :data:`SPEED_CHATS` rewrite requests
as one batch, and the one with more generated tokens per wall second of the whole batch is kept
(transformers needs :data:`TRANSFORMERS_MARGIN` more, since it holds more memory). The figures are
remembered in the cache folder per llama.cpp build, CPU, files, torch version, dtype and threads, so only
the first process on a machine pays for the measurement (two such batches on each backend, plus loading
torch).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time

from ..errors import ModelUnavailable
from .base import Backend, GenerationParams, generate_all
from .models import GGUF_SUFFIX, QWEN_GGUF, SMOLLM2, resolve_gguf, resolve_model

SPEED_CHATS = 6  # the default summary's bullets: one rewrite request each
SPEED_TOKENS = 16
TRANSFORMERS_MARGIN = 1.1
_SPEED_EVIDENCE = ("Alibaba released the Qwen3.5 Small models in four sizes on March 2, 2026.",
                   "The technical lead of the Qwen team stepped down after the release.",
                   "Alibaba's cloud revenue grew 26% in the quarter, the company said on Thursday.",
                   "Qwen models passed 700 million downloads on Hugging Face by the end of the year.",
                   "Alibaba plans to invest 380 billion yuan in AI infrastructure over three years.",
                   "Developers built more than 180,000 derivative models on top of Qwen.")


def gpu_present() -> bool:
    """A CUDA device torch can use (checked only when the NVIDIA driver is there: importing torch is slow)."""
    if not (shutil.which("nvidia-smi") or os.path.exists("/proc/driver/nvidia")):
        return False
    import torch

    return torch.cuda.is_available()


def cpu_dtype() -> tuple[str, str]:
    """(dtype, reason) for transformers on this CPU."""
    from .cpu import native_bf16

    if native_bf16():
        return "bfloat16", "the CPU has native bf16 (avx512_bf16/amx_bf16): bf16 halves weight traffic"
    return "float32", "the CPU has no native bf16, so fp32 is faster"


def _transformers_model(model: str) -> str:
    """The transformers-loadable name of ``model`` (a GGUF alias maps to its transformers alias)."""
    alias = model.removesuffix(GGUF_SUFFIX)
    if alias in QWEN_GGUF:
        return alias
    if model.lower().endswith(".gguf"):
        raise ModelUnavailable(f"{model} is a GGUF file and llama.cpp cannot run it here; transformers needs a"
                               " model folder or alias")
    return model


def choose_backend(model: str = "auto", device: str = "auto", dtype: str = "auto", **kwargs) -> Backend:
    """Instantiate the best backend for ``model`` on this machine; see the module docstring."""
    from .transformers_backend import TransformersBackend

    if device.startswith("cuda") or (device == "auto" and gpu_present()):
        backend = TransformersBackend(model=_transformers_model(model), device=device, dtype=dtype, **kwargs)
        backend.reason = "a CUDA GPU is present"
        return backend
    from .llamacpp_backend import LlamaCppBackend, llama_cpp_installed

    why_not = ""
    if not llama_cpp_installed():
        why_not = "llama-cpp-python is not installed"
    else:
        try:
            resolve_gguf(model)
        except ModelUnavailable as exc:
            why_not = f"no GGUF for {model}: {exc}"
        else:
            llama_kwargs = {k: v for k, v in kwargs.items() if k in ("threads", "context_tokens")}
            try:
                backend = LlamaCppBackend(model=model, **llama_kwargs)
            except ModelUnavailable as exc:
                print(f"notice: llama.cpp cannot be used ({exc}); falling back to transformers", file=sys.stderr)
                why_not = f"llama.cpp failed: {exc}"
            else:
                backend.reason = "llama.cpp is installed and its test decode passed on this CPU"
                return _faster_of(backend, dtype, kwargs)
    if dtype == "auto":
        dtype, dtype_reason = cpu_dtype()
    else:
        dtype_reason = "dtype set in the configuration"
    t_model = SMOLLM2 if model == SMOLLM2 + GGUF_SUFFIX else _transformers_model(model)
    backend = TransformersBackend(model=t_model, device="cpu", dtype=dtype, **kwargs)
    backend.reason = f"{why_not}; {dtype_reason}"
    return backend


def whole_request_rate(backend: Backend, chats: int = SPEED_CHATS, runs: int = 2) -> float:
    """Generated tokens per wall second of a summary-shaped request: ``chats`` rewrite prompts answered
    through :func:`generate_all` (one batch where the backend batches), greedy, :data:`SPEED_TOKENS` each;
    the best of ``runs`` (the first run pays one-time costs, and neighbours on a shared host slow single runs)."""
    from ..attribution.realise import fuse_request

    evidence = [_SPEED_EVIDENCE[i % len(_SPEED_EVIDENCE)] for i in range(chats)]
    requests = [fuse_request([e], None, backend.model_name) for e in evidence]
    best = 0.0
    for _ in range(runs):
        start = time.perf_counter()
        results = generate_all(backend, requests, GenerationParams(max_tokens=SPEED_TOKENS))
        best = max(best, sum(r.completion_tokens for r in results) / (time.perf_counter() - start))
    return best


def _transformers_form(llama_name: str):
    """The local transformers checkpoint of the model a GGUF alias names, or None (a .gguf path, a benchmark
    model, or a Qwen3.5 folder that is not downloaded)."""
    alias = llama_name.removesuffix(GGUF_SUFFIX)
    if alias != SMOLLM2 and alias not in QWEN_GGUF:
        return None
    try:
        spec = resolve_model(alias)
    except ModelUnavailable:
        return None
    return spec if spec.origin != "hub" else None


def _speed_record_path(llama, spec, dtype: str, threads: int | None):
    """Where the measured rates for this pair of backends on this machine are kept."""
    from importlib.metadata import version

    from ..runtime import cache_root
    from .cache import file_identity
    from .probe import probe_key

    parts = [probe_key(llama.path), file_identity(spec.path), version("torch"), dtype, threads, SPEED_CHATS,
             SPEED_TOKENS]
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]
    return cache_root() / "backend-speed" / f"{key}.json"


def _faster_of(llama, dtype: str, kwargs: dict) -> Backend:
    """``llama``, or transformers on the same model when it answers a summary's batch sooner (module docstring)."""
    from ..runtime import atomic_write_text
    from .transformers_backend import TransformersBackend

    spec = _transformers_form(llama.model_name)
    if spec is None:
        return llama
    dtype = cpu_dtype()[0] if dtype == "auto" else dtype
    threads = kwargs.get("threads")
    path = _speed_record_path(llama, spec, dtype, threads)
    torch_backend = None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        print("notice: measuring llama.cpp and transformers on a summary-shaped batch (once on this machine)",
              file=sys.stderr)
        try:
            torch_backend = TransformersBackend(model=spec.name, device="cpu", dtype=dtype, **kwargs)
        except ModelUnavailable:
            return llama
        record = {"llamacpp": round(whole_request_rate(llama), 2),
                  "transformers": round(whole_request_rate(torch_backend), 2), "dtype": dtype}
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(record))
    figures = (f"a summary's batch of {SPEED_CHATS} rewrites: llama.cpp {record['llamacpp']:.1f},"
               f" transformers {dtype} {record['transformers']:.1f} generated tokens per second of the whole batch")
    if record["transformers"] < TRANSFORMERS_MARGIN * record["llamacpp"]:
        llama.reason += f"; it finishes {figures}"
        return llama
    del llama
    if torch_backend is None:
        torch_backend = TransformersBackend(model=spec.name, device="cpu", dtype=dtype, **kwargs)
    torch_backend.reason = f"transformers finishes {figures} (llama.cpp works too)"
    return torch_backend
