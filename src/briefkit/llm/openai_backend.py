"""Generation through an OpenAI-compatible HTTP server (vLLM, SGLang, llama.cpp server, Ollama).

Uses the standard library only. Timeouts, retries with exponential backoff on connection
errors, 429 and 5xx; a server that is down or answers garbage is one clear error.
Token counts come from the response's ``usage``; ``count_tokens`` is an estimate (about
four characters a token) used only to plan prompt budgets. Text arrives in one piece
(no streaming).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Callable

from ..errors import ModelUnavailable
from .base import GenerationParams, GenerationResult, Message, sampling_filters, strip_thinking


class OpenAIBackend:
    def __init__(self, model: str = "auto", base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 timeout_s: float = 120.0, retries: int = 3, context_tokens: int = 8192, concurrency: int = 4,
                 **_: object) -> None:
        if not base_url:
            raise ModelUnavailable("the openai backend needs a server: pass --base-url http://HOST:PORT/v1")
        self.base_url = base_url.rstrip("/")
        self.api_key = os.environ.get(api_key_env, "")
        self.timeout_s = timeout_s
        self.retries = retries
        self.context_tokens = context_tokens
        self.max_concurrency = concurrency
        self.model_id = model if model != "auto" else self._first_model()
        self.model_name = f"{self.model_id} @ {self.base_url}"
        self.qwen = "qwen" in self.model_id.lower()
        self.description = f"OpenAI-compatible server {self.base_url}"
        self.reason = "requested"

    def cache_identity(self) -> dict:
        return {"kind": "openai", "base_url": self.base_url, "model": self.model_id}

    def _request(self, path: str, payload: dict | None = None) -> dict:
        url = f"{self.base_url}{path}"
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    body = resp.read()
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code} {exc.reason}"
                if exc.code == 429 or exc.code >= 500:
                    continue
                raise ModelUnavailable(f"server {self.base_url} refused the request: {last}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last = str(getattr(exc, "reason", exc))
                continue
            try:
                return json.loads(body)
            except json.JSONDecodeError:
                raise ModelUnavailable(f"server {self.base_url} answered with something that is not JSON") from None
        raise ModelUnavailable(f"server {self.base_url} is not answering ({last}) after {self.retries + 1} attempts")

    def _first_model(self) -> str:
        data = self._request("/models")
        try:
            return data["data"][0]["id"]
        except (KeyError, IndexError, TypeError):
            raise ModelUnavailable(f"server {self.base_url} lists no models; pass --model NAME") from None

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def generate(self, messages: list[Message], params: GenerationParams,
                 on_text: Callable[[str], None] | None = None) -> GenerationResult:
        payload = {"model": self.model_id, "messages": messages, "max_tokens": params.max_tokens,
                   "temperature": params.temperature, "seed": params.seed}
        if params.stop:
            payload["stop"] = params.stop
        if self.qwen:
            # vLLM and SGLang pass this to the chat template; Qwen3.5 then answers without a <think> block
            payload["chat_template_kwargs"] = {"enable_thinking": False}
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
        except (KeyError, IndexError, TypeError):
            raise ModelUnavailable(f"server {self.base_url} answered without choices[0].message.content") from None
        text = strip_thinking(text)
        if on_text:
            on_text(text)
        prompt_tokens = int(usage.get("prompt_tokens") or self.count_tokens(" ".join(m["content"] for m in messages)))
        completion_tokens = int(usage.get("completion_tokens") or self.count_tokens(text))
        # No streaming, so prefill time is not observable; it is reported as zero.
        return GenerationResult(text, prompt_tokens, completion_tokens, 0.0, total, self.model_name)
