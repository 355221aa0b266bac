"""Embedders run by torch: any sentence-transformers model, or (faster to start) a mean-pooling model on
transformers alone."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...errors import ModelUnavailable
from ...runtime import quiet_transformers
from .base import Embedder
from .models import resolve_embedder


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
                f"cannot load embedding model {name!r} from {path}:"
                f" {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
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
                f"cannot load embedding model {name!r} from {path}:"
                f" {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
        self._torch = torch
        self.max_tokens = max_tokens
        self.dim = int(self.model.config.hidden_size)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        enc = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_tokens,
                             return_tensors="pt")
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        with torch.inference_mode():
            hidden = self.model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).float().cpu().numpy()

    def count_tokens(self, texts: list[str]) -> list[int]:
        enc = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]
