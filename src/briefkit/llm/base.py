"""What a generation backend is: its request and result types, and a base class with the logic every
backend shares (stop strings, thinking blocks, a batch's time split, a default batch).

A backend implements one method, :meth:`Backend.generate`. Everything else has a default it may
override: ``count_tokens`` (an estimate), ``parameters`` (unknown), ``generate_batch`` (``generate`` one after
another, or concurrently up to ``max_concurrency``), ``yes_probability`` (the greedy reply read as 1, 0 or 0.5;
backends with logits read the first token's probabilities), ``cache_identity``. Backends are chosen by name in
:mod:`.registry`; caching wraps any backend (:class:`briefkit.llm.cache.CachedBackend`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Callable

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




# The chat-template switch that turns thinking off for the families that think (Qwen3, Qwen3.5).
THINKING_OFF = {"enable_thinking": False}


def finish(text: str, stop: list[str]) -> str:
    """A reply as shown: cut at the first stop string, any thinking block removed."""
    for s in stop:
        if s in text:
            text = text[: text.index(s)]
    return strip_thinking(text)


def share_time(prefill_s: float, total_s: float, prompt_tokens: list[int],
               new_tokens: list[int]) -> list[tuple[float, float]]:
    """Each request's (prefill, total) seconds of a batch decoded together: the prefill shared by prompt
    tokens, the decoding by generated tokens."""
    per_prompt = prefill_s / max(1, sum(prompt_tokens))
    per_new = (total_s - prefill_s) / max(1, sum(new_tokens))
    return [(per_prompt * p, per_prompt * p + per_new * n) for p, n in zip(prompt_tokens, new_tokens)]


YES_NO = (("yes", "Yes", "YES"), ("no", "No", "NO"))  # spellings of a reply's first word


def yes_no_value(reply: str) -> float:
    """1.0 when a reply starts with yes, 0.0 with no, else 0.5."""
    word = re.match(r"\W*(\w*)", reply).group(1).lower()
    return {"yes": 1.0, "no": 0.0}.get(word, 0.5)


def first_tokens(tokenize: Callable[[str], list[int]]) -> tuple[list[int], list[int]]:
    """The distinct first tokens of the yes and of the no spellings (:data:`YES_NO`)."""
    yes, no = ({tokenize(w)[0] for w in words} for words in YES_NO)
    return sorted(yes - no), sorted(no - yes)


def yes_share(logits, yes: list[int], no: list[int]) -> float:
    """P(yes) / (P(yes) + P(no)) from next-token logits (a 1-d array) and the two token sets."""
    import numpy as np

    z = np.asarray(logits, dtype=np.float64)
    top = max(z[yes].max(), z[no].max())
    p_yes, p_no = np.exp(z[yes] - top).sum(), np.exp(z[no] - top).sum()
    return float(p_yes / (p_yes + p_no))


class Backend(ABC):
    """A generation backend: :meth:`generate` is required; the rest are defaults a backend may override."""

    model_name: str  # shown to the user with every result
    context_tokens: int  # the model's context window
    max_concurrency: int = 1  # requests ``generate_batch`` may run at once (a server takes several)
    description: str = ""  # how it runs ("llama.cpp (2 threads), model.gguf")
    reason: str = "requested"  # why it was chosen (the ``auto`` backend says why)

    @abstractmethod
    def generate(self, messages: list[Message], params: GenerationParams,
                 on_text: Callable[[str], None] | None = None) -> GenerationResult:
        """Answer a chat; ``on_text`` receives streamed text pieces when given."""

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text``: an estimate of four characters a token unless the backend has a tokenizer."""
        return max(1, len(text) // 4)

    def generate_batch(self, requests: list[list[Message]], params: GenerationParams) -> list[GenerationResult]:
        """Answer several chats, in order: ``generate`` one after another, or concurrently up to
        ``max_concurrency``. Backends that decode several sequences at once override it."""
        if self.max_concurrency <= 1 or len(requests) < 2:
            return [self.generate(m, params) for m in requests]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(requests))) as pool:
            return list(pool.map(lambda m: self.generate(m, params), requests))

    def yes_probability(self, requests: list[list[Message]]) -> list[float]:
        """For chats that end in a yes-or-no question, P(yes) among {yes, no} for each. This default reads
        the greedy reply: 1.0 for yes, 0.0 for no, 0.5 for anything else. Backends that see the logits
        override it with the first token's probabilities (:func:`yes_share`)."""
        replies = self.generate_batch(requests, GenerationParams(max_tokens=3, temperature=0.0))
        return [yes_no_value(r.text) for r in replies]

    def parameters(self) -> int | None:
        """The model's parameter count, or None when the backend cannot tell (a server's model)."""
        return None

    def cache_identity(self) -> dict:
        """What distinguishes this backend's outputs, for the generation cache's key."""
        return {"kind": type(self).__name__, "model": self.model_name}

