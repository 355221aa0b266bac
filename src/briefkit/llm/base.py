"""The generation backend protocol, its result type and the registry of backends by name.

A backend implements one method, :meth:`Backend.generate`; it may add ``generate_batch``
(many chats at once), which :func:`generate_all` prefers. Caching lives in
:class:`briefkit.llm.cache.CachedBackend`, which wraps any backend. ``auto`` picks a backend
for the machine (see ``auto.py``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Callable, Protocol

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": str}


@dataclass
class GenerationParams:
    max_tokens: int = 256
    temperature: float = 0.0
    stop: list[str] = field(default_factory=list)
    seed: int = 0
    repetition_penalty: float = 1.0
    # Sampling filters, used only when temperature > 0; None lets the backend apply the model card's advice.
    top_p: float | None = None
    top_k: int | None = None
    presence_penalty: float | None = None

    def key(self) -> dict:
        return asdict(self)


@dataclass
class GenerationResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    prompt_s: float  # time to first token (prefill)
    total_s: float
    model: str
    cached: bool = False

    @property
    def decode_tokens_per_s(self) -> float:
        decode_s = self.total_s - self.prompt_s
        return self.completion_tokens / decode_s if decode_s > 0 else 0.0


class Backend(Protocol):
    """What every generation backend provides."""

    model_name: str  # shown to the user with every result
    context_tokens: int  # the model's context window

    def generate(
        self, messages: list[Message], params: GenerationParams, on_text: Callable[[str], None] | None = None
    ) -> GenerationResult:
        """Answer a chat; ``on_text`` receives streamed text pieces when given."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` under this model's tokenizer."""
        ...


# Qwen3.5 model card, non-thinking mode for general tasks: temperature 0.7, top_p 0.8, top_k 20,
# presence_penalty 1.5. Applied when a caller samples (temperature > 0) and leaves these unset.
QWEN_NON_THINKING = {"top_p": 0.8, "top_k": 20, "presence_penalty": 1.5}


def sampling_filters(params: GenerationParams, qwen: bool) -> dict:
    """top_p, top_k and presence_penalty for a sampled request: the caller's, else the card's for Qwen, else off."""
    card = QWEN_NON_THINKING if qwen else {"top_p": 1.0, "top_k": 0, "presence_penalty": 0.0}
    return {k: getattr(params, k) if getattr(params, k) is not None else v for k, v in card.items()}


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


def strip_thinking(text: str) -> str:
    """Remove any <think>...</think> block (an unterminated one runs to the end)."""
    return _THINK.sub("", text).strip()


def _transformers(**kwargs):
    from .transformers_backend import TransformersBackend

    return TransformersBackend(**kwargs)


def _openai(**kwargs):
    from .openai_backend import OpenAIBackend

    return OpenAIBackend(**kwargs)


def _llamacpp(**kwargs):
    from .llamacpp_backend import LlamaCppBackend

    return LlamaCppBackend(**kwargs)


def _auto(**kwargs):
    from .auto import choose_backend

    return choose_backend(**kwargs)


BACKENDS: dict[str, Callable[..., Backend]] = {
    "auto": _auto, "transformers": _transformers, "openai": _openai, "llamacpp": _llamacpp,
}


def generate_all(backend: Backend, requests: list[list[Message]], params: GenerationParams) -> list[GenerationResult]:
    """Answer several chats, in order: one ``generate_batch`` call when the backend has it, else
    ``generate`` concurrently up to the backend's ``max_concurrency`` (1 if unset)."""
    if not requests:
        return []
    batch = getattr(backend, "generate_batch", None)
    if batch is not None and len(requests) > 1:
        return batch(requests, params)
    workers = max(1, int(getattr(backend, "max_concurrency", 1)))
    if workers == 1 or len(requests) < 2:
        return [backend.generate(m, params) for m in requests]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(requests))) as pool:
        return list(pool.map(lambda m: backend.generate(m, params), requests))


def create_backend(name: str, **kwargs) -> Backend:
    """Instantiate the backend registered as ``name``."""
    from ..errors import BadInput

    try:
        factory = BACKENDS[name]
    except KeyError:
        raise BadInput(f"unknown backend {name!r}; available: {', '.join(sorted(BACKENDS))}") from None
    return factory(**kwargs)
