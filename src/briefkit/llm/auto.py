"""The ``auto`` backend: the fastest generation backend that works on this machine.

Order: transformers on a GPU when one is present; else llama.cpp when llama-cpp-python is
installed, the model has a GGUF (the bundled SmolLM2, a Qwen3.5 GGUF alias, a benchmark
model or a .gguf path) and the crash probe passes; else transformers on CPU, in bf16 when the CPU computes
bf16 natively (AVX512_BF16 or AMX) and in fp32 otherwise. The chosen backend carries
``description`` and ``reason`` (why it was chosen); a llama.cpp failure that forces the
fallback is also printed to stderr as one ``notice:`` line. ``model_name`` is unchanged.
"""

from __future__ import annotations

import os
import shutil
import sys

from ..config import GenerationSettings
from ..errors import ModelUnavailable
from .base import Backend
from .llamacpp_backend import LlamaCppBackend, llama_cpp_installed
from .models import GGUF_SUFFIX, QWEN_GGUF, SMOLLM2, resolve_gguf
from .transformers_backend import TransformersBackend


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


class Auto:
    """The ``auto`` entry of the registry: not a backend, the builder that picks one."""

    @staticmethod
    def from_settings(model: str, settings: GenerationSettings) -> Backend:
        return choose_backend(model, settings)


def choose_backend(model: str = "auto", settings: GenerationSettings | None = None) -> Backend:
    """Instantiate the best backend for ``model`` on this machine; see the module docstring."""
    settings = settings or GenerationSettings()
    device, dtype = settings.device, settings.dtype
    if device.startswith("cuda") or (device == "auto" and gpu_present()):
        backend = TransformersBackend(_transformers_model(model), device=device, dtype=dtype, threads=settings.threads)
        backend.reason = "a CUDA GPU is present"
        return backend
    why_not = ""
    if not llama_cpp_installed():
        why_not = "llama-cpp-python is not installed"
    else:
        try:
            resolve_gguf(model)
        except ModelUnavailable as exc:
            why_not = f"no GGUF for {model}: {exc}"
        else:
            try:
                backend = LlamaCppBackend.from_settings(model, settings)
            except ModelUnavailable as exc:
                print(f"notice: llama.cpp cannot be used ({exc}); falling back to transformers", file=sys.stderr)
                why_not = f"llama.cpp failed: {exc}"
            else:
                backend.reason = "llama.cpp is installed and its test decode passed on this CPU"
                return backend
    if dtype == "auto":
        dtype, dtype_reason = cpu_dtype()
    else:
        dtype_reason = "dtype set in the configuration"
    t_model = SMOLLM2 if model == SMOLLM2 + GGUF_SUFFIX else _transformers_model(model)
    backend = TransformersBackend(t_model, device="cpu", dtype=dtype, threads=settings.threads)
    backend.reason = f"{why_not}; {dtype_reason}"
    return backend
