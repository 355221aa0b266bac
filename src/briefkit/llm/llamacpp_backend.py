"""Generation with llama.cpp (llama-cpp-python) from GGUF files, on CPU.

Before loading, the GGUF's header is checked (architecture, chat template, truncation) and
its size against free memory; before the first decode in a process, a child process decodes
two tokens (``probe.py``) so a build that crashes on this CPU becomes one error instead of
killing the process. The prompt is rendered with the GGUF's own chat template (thinking
switched off for the families that have it, read from the GGUF's architecture: Qwen3 and
Qwen3.5; Qwen2.5 has none) and tokenized once; generation is streamed to time prefill (first
token) apart from decoding. ``generate_batch`` decodes greedy requests together, one
sequence each in a second context (``llamacpp_batch.py``), prefilling the prompts' shared prefix once
(``share_prefix``); one request after another, llama-cpp-python itself keeps the prefix a prompt shares with
the previous one in the KV cache. Install: ``scripts/setup --dev`` (portable build; see README).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import ModelUnavailable
from .base import (THINKING_OFF, Backend, GenerationParams, GenerationResult, Message, finish, first_tokens,
                   sampling_filters, share_time, yes_share)
from .models import file_identity, resolve_gguf

if TYPE_CHECKING:
    from ..config import GenerationSettings


def llama_cpp_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


class LlamaCppBackend(Backend):
    """A GGUF run by llama.cpp in this process; greedy requests of a batch decoded together."""

    share_prefix = True  # batched requests prefill their common prefix once (False: for comparison)

    @classmethod
    def from_settings(cls, model: str, settings: "GenerationSettings") -> "LlamaCppBackend":
        return cls(model, threads=settings.threads, context_tokens=settings.context_tokens)

    def __init__(self, model: str = "auto", threads: int | None = None, context_tokens: int = 8192,
                 probe: bool = True, allow_any_architecture: bool | None = None, n_batch: int = 512,
                 flash_attn: bool = False) -> None:
        from .cpu import usable_threads
        from .gguf_file import check_gguf, check_memory

        self.model_name, path = resolve_gguf(model)
        self.path: Path = path
        header = check_gguf(path, allow_any_architecture)
        check_memory(path)
        if not llama_cpp_installed():
            raise ModelUnavailable("the llamacpp backend needs llama-cpp-python: run `scripts/setup --dev`"
                                   " or pip install 'briefkit[llamacpp]'")
        if probe:
            from .probe import ensure_decodes

            ensure_decodes(path, self.model_name)
        from llama_cpp import Llama

        self.threads = threads or usable_threads()
        trained = int(header.metadata.get(f"{header.architecture}.context_length", 0) or 0)
        n_ctx = min(context_tokens, trained) if trained else context_tokens
        try:
            self.llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=self.threads,
                             n_threads_batch=self.threads, n_batch=n_batch, flash_attn=flash_attn, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelUnavailable(f"llama.cpp cannot load {path}: {exc}") from None
        self.context_tokens = int(self.llm.n_ctx())
        self.architecture = header.architecture
        self.qwen = header.qwen or "qwen" in self.model_name.lower()  # Qwen sampling defaults
        self.thinking = header.thinking  # the chat template takes enable_thinking
        self.bos = self._token_text(header.metadata.get("tokenizer.ggml.bos_token_id"))
        self.eos = self._token_text(header.metadata.get("tokenizer.ggml.eos_token_id"))
        self._template = self._compile(header.chat_template or "")
        self.description = f"llama.cpp ({self.threads} threads), {path.name}"

    @staticmethod
    def _compile(source: str):
        from jinja2.exceptions import TemplateError
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str):
            raise TemplateError(message)

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals.update(raise_exception=raise_exception,
                           strftime_now=lambda fmt: time.strftime(fmt))
        try:
            return env.from_string(source)
        except TemplateError as exc:
            raise ModelUnavailable(f"the GGUF's chat template does not parse: {exc}") from None

    def cache_identity(self) -> dict:
        from importlib.metadata import version

        return {"kind": "llamacpp", "model": file_identity(self.path), "llama_cpp": version("llama-cpp-python")}

    def parameters(self) -> int:
        import llama_cpp

        return int(llama_cpp.llama_model_n_params(self.llm.model))

    def _token_text(self, token_id: object) -> str:
        if token_id is None:
            return ""
        return self.llm.detokenize([int(token_id)], special=True).decode("utf-8", errors="ignore")

    def render(self, messages: list[Message]) -> str:
        """The prompt string the model sees (the GGUF's chat template, thinking off where the family has it)."""
        extra = THINKING_OFF if self.thinking else {}
        return self._template.render(messages=messages, add_generation_prompt=True, bos_token=self.bos,
                                     eos_token=self.eos, **extra)

    def _tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self._tokens(text))

    def generate(self, messages: list[Message], params: GenerationParams,
                 on_text: Callable[[str], None] | None = None) -> GenerationResult:
        tokens = self._tokens(self.render(messages))
        n_prompt = len(tokens)
        if n_prompt >= self.context_tokens:
            raise ValueError(f"prompt of {n_prompt} tokens does not fit the {self.context_tokens}-token context")
        sampling = {"temperature": params.temperature}
        if params.temperature > 0:
            f = sampling_filters(params, self.qwen)
            sampling.update(top_p=f["top_p"], top_k=f["top_k"], presence_penalty=f["presence_penalty"], min_p=0.0)
        start = time.perf_counter()
        first = None
        pieces: list[str] = []
        completion = 0
        stream = self.llm.create_completion(
            tokens, max_tokens=min(params.max_tokens, self.context_tokens - n_prompt), stop=params.stop or None,
            seed=params.seed, repeat_penalty=params.repetition_penalty, stream=True, **sampling,
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
        return GenerationResult(finish("".join(pieces), params.stop), n_prompt, completion,
                                (first - start) if first else total, total, self.model_name)

    def yes_probability(self, requests: list[list[Message]]) -> list[float]:
        """P(yes) from the logits of each chat's first reply token. One chat after another on the main
        context: a chat re-uses the prefix it shares with the one before (a question asked of many
        sentences is prefilled once when the sentence comes last)."""
        import llama_cpp
        import numpy as np

        yes, no = first_tokens(lambda word: self.llm.tokenize(word.encode("utf-8"), add_bos=False, special=False))
        out = []
        for messages in requests:
            tokens = self._tokens(self.render(messages))
            if len(tokens) >= self.context_tokens:
                raise ValueError(f"prompt of {len(tokens)} tokens does not fit the {self.context_tokens}-token context")
            past = self.llm.input_ids[:self.llm.n_tokens]
            keep = 0
            while keep < min(len(past), len(tokens) - 1) and past[keep] == tokens[keep]:
                keep += 1
            self.llm.n_tokens = keep  # eval() drops the cache from here on
            self.llm.eval(tokens[keep:])
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, -1),
                                           shape=(self.llm.n_vocab(),))
            out.append(yes_share(logits, yes, no))
        return out

    def generate_batch(self, requests: list[list[Message]], params: GenerationParams,
                       max_seqs: int = 8) -> list[GenerationResult]:
        """Greedy requests decoded together, up to ``max_seqs`` sequences per llama.cpp batch (one weight
        read per step for all); sampled requests one after another. Each result gets its share of the
        batch's time (prefill by prompt tokens, decoding by generated tokens)."""
        if params.temperature > 0 or len(requests) < 2:
            return [self.generate(messages, params) for messages in requests]
        results: list[GenerationResult] = []
        for i in range(0, len(requests), max_seqs):
            results.extend(self._batch(requests[i:i + max_seqs], params))
        return results

    def _decoder(self, n_seq: int, n_ctx: int):
        from .llamacpp_batch import MultiSequenceDecoder

        current = getattr(self, "_multi", None)
        if current is None or current.n_seq < n_seq or current.n_ctx_per_seq < n_ctx:
            if current is not None:
                current.close()
            n_ctx = max(n_ctx, getattr(current, "n_ctx_per_seq", 0))
            self._multi = MultiSequenceDecoder(self.llm, max(n_seq, getattr(current, "n_seq", 0)), n_ctx)
            self._multi.n_ctx_per_seq = n_ctx
        return self._multi

    def _batch(self, requests: list[list[Message]], params: GenerationParams) -> list[GenerationResult]:
        import llama_cpp

        prompts = [self._tokens(self.render(m)) for m in requests]
        longest = max(len(p) for p in prompts)
        if longest >= self.context_tokens:
            raise ValueError(f"prompt of {longest} tokens does not fit the {self.context_tokens}-token context")
        budget = [min(params.max_tokens, self.context_tokens - len(p)) for p in prompts]
        need = min(self.context_tokens, -(-(longest + max(budget)) // 256) * 256)
        decoder = self._decoder(len(prompts), need)
        vocab = decoder.vocab

        def text_of(ids: list[int]) -> str:
            if ids and llama_cpp.llama_vocab_is_eog(vocab, ids[-1]):
                ids = ids[:-1]
            return self.llm.detokenize(ids).decode("utf-8", errors="ignore")

        def hit_stop(_: int, ids: list[int]) -> bool:
            return bool(params.stop) and any(s in text_of(ids) for s in params.stop)

        outs, prefill, total = decoder.generate(prompts, budget, params.repetition_penalty, hit_stop, self.share_prefix)
        counts = [len(o) - (1 if o and llama_cpp.llama_vocab_is_eog(vocab, o[-1]) else 0) for o in outs]
        n_prompts = [len(p) for p in prompts]
        return [GenerationResult(finish(text_of(out), params.stop), n_prompt, n_new, p_s, t_s, self.model_name)
                for out, n_prompt, n_new, (p_s, t_s) in zip(outs, n_prompts, counts,
                                                            share_time(prefill, total, n_prompts, counts))]
