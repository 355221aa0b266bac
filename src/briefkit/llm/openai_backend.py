"""Generation through an OpenAI-compatible HTTP server (vLLM, SGLang, llama.cpp server, Ollama).

One pooled ``httpx.Client`` per backend (keep-alive, up to ``max_concurrency`` connections, shared by
the threads of ``generate_batch``). Timeouts, retries with exponential backoff on transport errors, 429
and 5xx; a server that is down or answers garbage is one clear error. Token counts come from the
response's ``usage``; ``count_tokens`` is an estimate (about four characters a token) used only to
plan prompt budgets. Text arrives in one piece (no streaming).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Callable

import httpx

from ..errors import ModelUnavailable
from .base import THINKING_OFF, Backend, GenerationParams, GenerationResult, Message, finish, sampling_filters

if TYPE_CHECKING:
    from ..config import GenerationSettings


class OpenAIBackend(Backend):
    """A model served over HTTP; a batch's requests run concurrently (``concurrency`` at once)."""

    @classmethod
    def from_settings(cls, model: str, settings: "GenerationSettings") -> "OpenAIBackend":
        return cls(model, base_url=settings.base_url, api_key_env=settings.api_key_env, timeout_s=settings.timeout_s,
                   retries=settings.retries, context_tokens=settings.context_tokens, concurrency=settings.concurrency)

    def __init__(self, model: str = "auto", base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 timeout_s: float = 120.0, retries: int = 3, context_tokens: int = 8192, concurrency: int = 4) -> None:
        if not base_url:
            raise ModelUnavailable("the openai backend needs a server: pass --base-url http://HOST:PORT/v1")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.context_tokens = context_tokens
        self.max_concurrency = max(1, concurrency)
        api_key = os.environ.get(api_key_env, "")
        self._client = httpx.Client(
            base_url=self.base_url + "/", timeout=timeout_s,
            headers={"Authorization": f"Bearer {api_key}"} if api_key else None,
            limits=httpx.Limits(max_connections=self.max_concurrency, max_keepalive_connections=self.max_concurrency))
        self.model_id = model if model != "auto" else self._first_model()
        self.model_name = f"{self.model_id} @ {self.base_url}"
        self.qwen = "qwen" in self.model_id.lower()
        self.description = f"OpenAI-compatible server {self.base_url}"

    def cache_identity(self) -> dict:
        return {"kind": "openai", "base_url": self.base_url, "model": self.model_id}

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def _request(self, path: str, payload: dict | None = None) -> dict:
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
            try:
                if payload is None:
                    resp = self._client.get(path.lstrip("/"))
                else:
                    resp = self._client.post(path.lstrip("/"), json=payload)
            except httpx.TransportError as exc:
                last = str(exc) or type(exc).__name__
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code} {resp.reason_phrase}"
                continue
            if resp.status_code >= 400:
                raise ModelUnavailable(f"server {self.base_url} refused the request: "
                                       f"HTTP {resp.status_code} {resp.reason_phrase}")
            try:
                return resp.json()
            except ValueError:
                raise ModelUnavailable(f"server {self.base_url} answered with something that is not JSON") from None
        raise ModelUnavailable(f"server {self.base_url} is not answering ({last}) after {self.retries + 1} attempts")

    def _first_model(self) -> str:
        data = self._request("/models")
        try:
            return data["data"][0]["id"]
        except (KeyError, IndexError, TypeError):
            raise ModelUnavailable(f"server {self.base_url} lists no models; pass --model NAME") from None

    def generate(self, messages: list[Message], params: GenerationParams,
                 on_text: Callable[[str], None] | None = None) -> GenerationResult:
        payload = {"model": self.model_id, "messages": messages, "max_tokens": params.max_tokens,
                   "temperature": params.temperature, "seed": params.seed}
        if params.stop:
            payload["stop"] = params.stop
        if self.qwen:
            # vLLM and SGLang pass this to the chat template; Qwen3.5 then answers without a <think> block
            payload["chat_template_kwargs"] = THINKING_OFF
        if params.temperature > 0:
            f = sampling_filters(params, self.qwen)
            payload.update(top_p=f["top_p"], presence_penalty=f["presence_penalty"])
            if f["top_k"]:
                payload["top_k"] = f["top_k"]  # vLLM and llama.cpp extension
        if params.repetition_penalty != 1.0:
            payload["repeat_penalty"] = params.repetition_penalty  # llama.cpp and vLLM extension
        start = time.perf_counter()
        data = self._request("/chat/completions", payload)
        total = time.perf_counter() - start
        try:
            text = data["choices"][0]["message"]["content"] or ""
            usage = data.get("usage") or {}
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ModelUnavailable(f"server {self.base_url} answered without choices[0].message.content") from None
        text = finish(text, params.stop)
        if on_text:
            on_text(text)
        prompt_tokens = int(usage.get("prompt_tokens") or self.count_tokens(" ".join(m["content"] for m in messages)))
        completion_tokens = int(usage.get("completion_tokens") or self.count_tokens(text))
        # No streaming, so prefill time is not observable; it is reported as zero.
        return GenerationResult(text, prompt_tokens, completion_tokens, 0.0, total, self.model_name)
