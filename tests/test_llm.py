"""Generation layer: the Qwen3.5 code path on a tiny random model, SmolLM2, the cache, prompts."""

import json

import pytest

from briefkit.errors import ModelUnavailable
from briefkit.llm.base import GenerationParams, create_backend, strip_thinking
from briefkit.llm.cache import CachedBackend, GenerationCache
from briefkit.llm.models import resolve_model
from briefkit.prompts import PromptError, load_prompt, parse_prompt

from tiny_qwen import build_tiny_qwen


@pytest.fixture(scope="module")
def tiny_qwen_dir(tmp_path_factory):
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen3_5"))


def test_tiny_qwen3_5_loads_and_generates_through_the_user_path(tiny_qwen_dir):
    assert json.loads((tiny_qwen_dir / "config.json").read_text())["model_type"] == "qwen3_5"
    backend = create_backend("transformers", model=str(tiny_qwen_dir))
    assert backend.spec.qwen and backend.model.config.model_type.startswith("qwen3_5")
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who stepped down?"}]
    prompt = backend.render(messages)
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")  # thinking switched off
    result = backend.generate(messages, GenerationParams(max_tokens=8, seed=1))
    assert result.prompt_tokens == backend.count_tokens(prompt)
    assert 1 <= result.completion_tokens <= 8
    assert result.model == str(tiny_qwen_dir)
    assert "<think>" not in result.text
    again = backend.generate(messages, GenerationParams(max_tokens=8, seed=1))
    assert again.text == result.text  # greedy decoding is deterministic


def test_strip_thinking():
    assert strip_thinking("<think>hmm</think>\n- fact [1]") == "- fact [1]"
    assert strip_thinking("- a [1]<think>never closed") == "- a [1]"


def test_unknown_or_broken_model_is_one_clear_error(tmp_path):
    with pytest.raises(ModelUnavailable, match="unknown model"):
        resolve_model("not-a-model")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match="cannot load model"):
        create_backend("transformers", model=str(tmp_path))
    (tmp_path / "empty-folder").mkdir()
    with pytest.raises(ModelUnavailable, match="no config.json"):
        resolve_model(str(tmp_path / "empty-folder"))


def test_smollm2_generates_with_token_counts(smollm2):
    assert smollm2.model_name == "smollm2-135m"
    result = smollm2.generate([{"role": "user", "content": "What is the capital of France?"}],
                              GenerationParams(max_tokens=12))
    assert "Paris" in result.text
    assert result.prompt_tokens > 5 and 0 < result.completion_tokens <= 12
    assert result.total_s >= result.prompt_s > 0


def test_generation_cache_hits(tmp_path, smollm2):
    cached = CachedBackend(smollm2.inner, GenerationCache(tmp_path / "cache.sqlite"))
    messages = [{"role": "user", "content": "Name a colour."}]
    first = cached.generate(messages, GenerationParams(max_tokens=6))
    second = cached.generate(messages, GenerationParams(max_tokens=6))
    assert not first.cached and second.cached and second.text == first.text
    other = cached.generate(messages, GenerationParams(max_tokens=7))
    assert not other.cached  # parameters are part of the key


def test_prompts_fail_on_missing_or_unused_variables():
    prompt = load_prompt("summarise")
    assert prompt.variables == {"sources", "topic", "max_bullets"}
    with pytest.raises(PromptError, match="topic"):
        prompt.render(sources="[1] x", max_bullets=3)
    with pytest.raises(PromptError, match="extra"):
        prompt.render(sources="[1] x", topic="t", max_bullets=3, extra=1)
    messages = prompt.render(sources="[1] x", topic="Qwen", max_bullets=3)
    assert messages[0]["role"] == "system" and "Topic: Qwen" in messages[1]["content"]
    with pytest.raises(PromptError):
        parse_prompt("bad", "### system\nno user part")
