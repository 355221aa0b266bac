"""Generation with transformers + torch on CPU or GPU.

Greedy by default; ``temperature > 0`` samples with a fixed seed. Qwen models get their
chat template with thinking switched off, and any <think> block is stripped from the
output. Timing splits prefill (time to first token) from decoding.
"""

from __future__ import annotations

import time
from typing import Callable

from ..errors import ModelUnavailable
from .base import GenerationParams, GenerationResult, Message, strip_thinking
from .models import ModelSpec, resolve_model


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


class TransformersBackend:
    max_concurrency = 1  # one model in one process: requests run one after another

    def __init__(self, model: str = "auto", device: str = "auto", dtype: str = "auto", threads: int | None = None,
                 **_: object) -> None:
        spec = resolve_model(model)
        self.spec: ModelSpec = spec
        self.model_name = spec.name
        from ..runtime import quiet_transformers

        quiet_transformers()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        if dtype == "auto":
            torch_dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        else:
            torch_dtype = getattr(torch, dtype)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(spec.path)
            self.model = AutoModelForCausalLM.from_pretrained(spec.path, dtype=torch_dtype).to(self.device)
        except Exception as exc:  # noqa: BLE001 - any load failure becomes one line
            hint = "run `briefkit models pull " + spec.name + "` on a machine with Hub access" if spec.origin == "hub" else "check the folder holds a transformers checkpoint"
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ModelUnavailable(f"cannot load model {spec.name} from {spec.path}: {first}; {hint}") from None
        self.model.eval()
        config = self.model.config
        text_config = getattr(config, "text_config", None) or config
        self.context_tokens = int(getattr(text_config, "max_position_embeddings", 2048) or 2048)

    def render(self, messages: list[Message]) -> str:
        """The prompt string the model sees (chat template, thinking off for Qwen)."""
        kwargs = {"enable_thinking": False} if self.spec.qwen else {}
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, **kwargs)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

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
        sampling = {"do_sample": True, "temperature": params.temperature} if params.temperature > 0 else {"do_sample": False}
        start = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=min(params.max_tokens, room),
                stop_strings=params.stop or None,
                tokenizer=self.tokenizer if params.stop else None,
                streamer=timer,
                pad_token_id=self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id,
                top_p=None, top_k=None,
                repetition_penalty=params.repetition_penalty if params.repetition_penalty != 1.0 else None,
                **sampling,
            )
        total = time.perf_counter() - start
        new_ids = output[0, n_prompt:]
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        for s in params.stop:
            if s in text:
                text = text[: text.index(s)]
        return GenerationResult(
            text=strip_thinking(text),
            prompt_tokens=n_prompt,
            completion_tokens=int(new_ids.shape[0]),
            prompt_s=(timer.first_token_at - start) if timer.first_token_at else total,
            total_s=total,
            model=self.model_name,
        )
