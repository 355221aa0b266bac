"""Load an embedder by model name and backend (``torch``, ``onnx``, ``onnx-int8``), once per process."""

from __future__ import annotations

from ...runtime import loaded_once
from .base import Embedder
from .models import mean_pooling_folder, resolve_embedder
from .torch import MeanPoolingEmbedder, SentenceTransformerEmbedder


def _torch_embedder(name: str, device: str | None) -> Embedder:
    canonical, path = resolve_embedder(name)
    max_len = mean_pooling_folder(path)
    if max_len is not None:
        return MeanPoolingEmbedder(canonical, path, max_len, device)
    return SentenceTransformerEmbedder(name, device)


def _onnx(name: str, device: str | None, int8: bool) -> Embedder:
    from .onnx import OnnxEmbedder

    return OnnxEmbedder(name, int8=int8)


EMBEDDERS = {
    "torch": _torch_embedder,
    "onnx": lambda name, device: _onnx(name, device, int8=False),
    "onnx-int8": lambda name, device: _onnx(name, device, int8=True),
}


def load_embedder(name: str, device: str | None = None, backend: str = "torch") -> Embedder:
    """Load (once per process) the embedder ``name`` with a registered backend (torch, onnx, onnx-int8)."""
    if backend not in EMBEDDERS:
        from ...errors import BadInput

        raise BadInput(f"unknown embedding backend {backend!r}; use one of {', '.join(EMBEDDERS)}")
    return loaded_once(("embedder", name, device, backend), lambda: EMBEDDERS[backend](name, device))
