"""Generation with transformers + torch on CPU or GPU.

Greedy by default; ``temperature > 0`` samples with a fixed seed. Qwen models get their
chat template with thinking switched off, and any <think> block is stripped from the
output. Timing splits prefill (time to first token) from decoding. ``generate_batch`` runs
many chats in one batched ``generate`` (left padding); the padding token is chosen apart
from end-of-sequence so a repetition penalty on the prompt does not touch the stop token.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from ..errors import ModelUnavailable
from .base import (THINKING_OFF, Backend, GenerationParams, GenerationResult, Message, finish, first_tokens,
                   sampling_filters, share_time, yes_share)
from .models import ModelSpec, check_hub_model, file_identity, resolve_model

if TYPE_CHECKING:
    from ..config import GenerationSettings


class _Timer:
    """A transformers streamer that records when the first new token arrives and streams text."""

    def __init__(self, tokenizer, on_text: Callable[[str], None] | None) -> None:
        self.tokenizer = tokenizer
        self.on_text = on_text
        self.first_token_at: float | None = None
        self._prompt_seen = False
        self._ids: list[int] = []
        self._printed = 0

    def put(self, value) -> None:
        if not self._prompt_seen:
            self._prompt_seen = True
            return
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        if self.on_text:
            self._ids.extend(int(t) for t in value.reshape(-1).tolist())
            text = self.tokenizer.decode(self._ids, skip_special_tokens=True)
            if len(text) > self._printed and not text.endswith("\ufffd"):
                self.on_text(text[self._printed :])
                self._printed = len(text)

    def end(self) -> None:
        pass


class TransformersBackend(Backend):
    """A model folder or Hub id run by transformers; requests one after another, or as one padded batch."""

    @classmethod
    def from_settings(cls, model: str, settings: "GenerationSettings") -> "TransformersBackend":
        return cls(model, device=settings.device, dtype=settings.dtype, threads=settings.threads)

    def __init__(self, model: str = "auto", device: str = "auto", dtype: str = "auto",
                 threads: int | None = None) -> None:
        from ..runtime import quiet_transformers

        quiet_transformers()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        if self.device.startswith("cuda") and not torch.cuda.is_available():  # before any model is read
            hip = getattr(torch.version, "hip", None)
            build = f"CUDA {torch.version.cuda}" if torch.version.cuda else f"ROCm {hip}" if hip else "a CPU-only build"
            raise ModelUnavailable(f"device {self.device!r} was asked for but torch sees no CUDA GPU"
                                   f" (torch {torch.__version__},"
                                   f" {build}); use device \"auto\" or \"cpu\"")
        spec = resolve_model(model)
        check_hub_model(spec)  # not cached and no Hub: one line now, not a download retry loop
        self.spec: ModelSpec = spec
        self.model_name = spec.name
        if threads:
            torch.set_num_threads(threads)
        if dtype == "auto":
            if self.device.startswith("cuda"):  # bf16 where the GPU has it (Ampere and later), else fp16
                torch_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            else:
                torch_dtype = torch.float32
        else:
            torch_dtype = getattr(torch, dtype)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(spec.path)
            self.model = AutoModelForCausalLM.from_pretrained(spec.path, dtype=torch_dtype).to(self.device)
        except Exception as exc:  # noqa: BLE001 - any load failure becomes one line
            hint = ("run `briefkit models pull " + spec.name + "` on a machine with Hub access" if spec.origin == "hub"
                    else "check the folder holds a transformers checkpoint")
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ModelUnavailable(f"cannot load model {spec.name} from {spec.path}: {first}; {hint}") from None
        self.model.eval()
        self.dtype = str(torch_dtype).removeprefix("torch.")
        self.description = f"transformers {self.dtype} on {self.device}"
        config = self.model.config
        text_config = getattr(config, "text_config", None) or config
        self.context_tokens = int(getattr(text_config, "max_position_embeddings", 2048) or 2048)

    def cache_identity(self) -> dict:
        return {"kind": "transformers", "model": file_identity(self.spec.path), "dtype": self.dtype,
                "device": self.device}

    def render(self, messages: list[Message]) -> str:
        """The prompt string the model sees (chat template, thinking off for Qwen)."""
        kwargs = THINKING_OFF if self.spec.qwen else {}
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, **kwargs)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def parameters(self) -> int:
        return int(self.model.num_parameters())

    def _sampling(self, params: GenerationParams) -> dict:
        if params.temperature <= 0:
            return {"do_sample": False, "top_p": None, "top_k": None}
        f = sampling_filters(params, self.spec.qwen)
        # transformers has no presence penalty; the card's other filters apply
        return {"do_sample": True, "temperature": params.temperature, "top_p": f["top_p"], "top_k": f["top_k"] or None}

    def _pad_id(self) -> int:
        """A padding token that is not end-of-sequence (a repetition penalty sees padded prompts)."""
        tok = self.tokenizer
        eos = {tok.eos_token_id, getattr(self.model.generation_config, "eos_token_id", None)}
        for candidate in (tok.pad_token_id, tok.unk_token_id, tok.bos_token_id, 0):
            if candidate is not None and candidate not in eos:
                return int(candidate)
        return int(tok.eos_token_id)

    def yes_probability(self, requests: list[list[Message]]) -> list[float]:
        """P(yes) from the logits of each chat's first reply token (one forward pass a chat, no padding)."""
        import torch

        yes, no = first_tokens(lambda word: self.tokenizer(word, add_special_tokens=False)["input_ids"])
        out = []
        with torch.inference_mode():
            for messages in requests:
                inputs = self.tokenizer(self.render(messages), return_tensors="pt", add_special_tokens=False)
                logits = self.model(**inputs.to(self.device)).logits[0, -1]
                out.append(yes_share(logits.float().cpu().numpy(), yes, no))
        return out

    def generate_batch(self, requests: list[list[Message]], params: GenerationParams,
                       max_batch: int = 16) -> list[GenerationResult]:
        """Answer chats in batches of up to ``max_batch``; each result gets its share of the batch's time
        (prefill shared by prompt tokens, decoding by generated tokens)."""
        results: list[GenerationResult] = []
        for i in range(0, len(requests), max_batch):
            results.extend(self._batch(requests[i:i + max_batch], params))
        return results

    def _batch(self, requests: list[list[Message]], params: GenerationParams) -> list[GenerationResult]:
        import torch

        if len(requests) == 1:
            return [self.generate(requests[0], params)]
        encoded = [self.tokenizer(self.render(m), add_special_tokens=False)["input_ids"] for m in requests]
        width = max(len(ids) for ids in encoded)
        room = self.context_tokens - width
        if room < 1:
            raise ValueError(f"prompt of {width} tokens does not fit the {self.context_tokens}-token context")
        pad = self._pad_id()
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in encoded], device=self.device)
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded], device=self.device)
        torch.manual_seed(params.seed)
        timer = _Timer(self.tokenizer, None)
        start = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids, attention_mask=mask, max_new_tokens=min(params.max_tokens, room),
                stop_strings=params.stop or None, tokenizer=self.tokenizer if params.stop else None, streamer=timer,
                pad_token_id=pad,
                repetition_penalty=params.repetition_penalty if params.repetition_penalty != 1.0 else None,
                **self._sampling(params),
            )
        total = time.perf_counter() - start
        prefill = (timer.first_token_at - start) if timer.first_token_at else total
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) | {self.tokenizer.eos_token_id}
        texts, counts = [], []
        for row in output[:, width:].tolist():
            n = len(row)
            for j, tok in enumerate(row):
                if tok in eos_ids:
                    n = j + 1  # the stop token was generated; what follows is padding
                    break
            counts.append(n)
            texts.append(finish(self.tokenizer.decode(row[:n], skip_special_tokens=True), params.stop))
        n_prompts = [len(ids) for ids in encoded]
        return [GenerationResult(text, n_prompt, n_new, p_s, t_s, self.model_name)
                for text, n_prompt, n_new, (p_s, t_s) in zip(texts, n_prompts, counts,
                                                             share_time(prefill, total, n_prompts, counts))]

    def generate(
        self, messages: list[Message], params: GenerationParams, on_text: Callable[[str], None] | None = None
    ) -> GenerationResult:
        import torch

        prompt = self.render(messages)
        inputs = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self.device)
        n_prompt = int(inputs["input_ids"].shape[1])
        room = self.context_tokens - n_prompt
        if room < 1:
            raise ValueError(f"prompt of {n_prompt} tokens does not fit the {self.context_tokens}-token context")
        torch.manual_seed(params.seed)
        timer = _Timer(self.tokenizer, on_text)
        start = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=min(params.max_tokens, room),
                stop_strings=params.stop or None,
                tokenizer=self.tokenizer if params.stop else None,
                streamer=timer,
                pad_token_id=self._pad_id(),
                repetition_penalty=params.repetition_penalty if params.repetition_penalty != 1.0 else None,
                **self._sampling(params),
            )
        total = time.perf_counter() - start
        new_ids = output[0, n_prompt:]
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        return GenerationResult(
            text=finish(text, params.stop),
            prompt_tokens=n_prompt,
            completion_tokens=int(new_ids.shape[0]),
            prompt_s=(timer.first_token_at - start) if timer.first_token_at else total,
            total_s=total,
            model=self.model_name,
        )
