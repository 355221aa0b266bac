"""Generation layer: the Qwen3.5 code path on a tiny random model, SmolLM2, the cache, prompts."""

import json

import pytest

from briefkit.errors import BadInput, ModelUnavailable
from briefkit.llm.base import GenerationParams, strip_thinking
from briefkit.llm.registry import create_backend
from briefkit.llm.cache import CachedBackend, GenerationCache
from briefkit.llm.models import resolve_model
from briefkit.prompts import PromptError, load_prompt, parse_prompt

from tiny_qwen import build_tiny_qwen


@pytest.fixture(scope="module")
def smollm2_torch():
    """SmolLM2 through transformers in fp32, whatever backend `auto` would pick on this machine."""
    return create_backend("transformers", model="smollm2-135m", dtype="float32")


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


def test_smollm2_generates_with_token_counts(smollm2_torch):
    assert smollm2_torch.model_name == "smollm2-135m"
    result = smollm2_torch.generate([{"role": "user", "content": "What is the capital of France?"}],
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


def test_batched_greedy_generation_equals_sequential(smollm2_torch):
    backend = smollm2_torch
    chats = [[{"role": "user", "content": q}] for q in
             ("What is the capital of France?", "Name two primary colours.", "Say hello in one word.")]
    params = GenerationParams(max_tokens=10, repetition_penalty=1.15)
    sequential = [backend.generate(m, params) for m in chats]
    batched = backend.generate_batch(chats, params)
    assert [r.text for r in batched] == [r.text for r in sequential]
    assert [r.completion_tokens for r in batched] == [r.completion_tokens for r in sequential]
    assert [r.prompt_tokens for r in batched] == [r.prompt_tokens for r in sequential]
    assert all(0 < r.prompt_s <= r.total_s for r in batched)


def test_cuda_without_a_gpu_is_one_clear_error_before_loading(monkeypatch):
    import torch
    import transformers

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded before the device was checked")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", no_loading)
    with pytest.raises(ModelUnavailable, match=r"^device 'cuda' was asked for but torch sees no CUDA GPU .*use device"):
        create_backend("transformers", model="smollm2-135m", device="cuda")


def test_transformers_on_cuda_generates_in_half_precision_and_batches(tiny_qwen_dir):
    """Runs where torch sees a CUDA GPU (skipped elsewhere): the same user path as on CPU."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine")
    backend = create_backend("transformers", model="smollm2-135m", device="auto")
    half = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    assert backend.device == "cuda" and backend.dtype == half and backend.description.endswith("on cuda")
    assert next(backend.model.parameters()).is_cuda
    chats = [[{"role": "user", "content": q}] for q in ("Name two primary colours.", "Say hello in one word.")]
    params = GenerationParams(max_tokens=8)
    batched, sequential = backend.generate_batch(chats, params), [backend.generate(c, params) for c in chats]
    # half-precision texts may differ
    assert [r.prompt_tokens for r in batched] == [r.prompt_tokens for r in sequential]
    assert all(1 <= r.completion_tokens <= 8 for r in batched)
    qwen = create_backend("transformers", model=str(tiny_qwen_dir), device="cuda")
    assert qwen.generate(chats[0], params).completion_tokens >= 1


def test_truncated_foreign_or_missing_gguf_is_one_clear_error(tmp_path):
    from briefkit.llm.gguf_file import check_gguf, check_memory
    from briefkit.llm.models import resolve_gguf, smollm2_gguf

    source = smollm2_gguf()
    assert check_gguf(source).architecture == "llama"
    data = source.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) // 2])  # tensor data cut short
    with pytest.raises(ModelUnavailable, match="truncated: the tensors need 98362432 bytes"):
        check_gguf(cut)
    cut.write_bytes(data[:5000])  # inside the vocabulary
    with pytest.raises(ModelUnavailable, match="truncated: its GGUF header ends early"):
        check_gguf(cut)
    (tmp_path / "text.gguf").write_text("not a model")
    with pytest.raises(ModelUnavailable, match="not a GGUF file"):
        check_gguf(tmp_path / "text.gguf")
    # 1.1 x 98.4 MB + 256 MiB
    with pytest.raises(ModelUnavailable, match="needs about 0.4 GiB of memory and 0.1 GiB is available"):
        check_memory(source, available=100 * 2**20)
    with pytest.raises(ModelUnavailable, match="unknown model 'qwen9-gguf'"):
        resolve_gguf("qwen9-gguf")
    with pytest.raises(BadInput, match="no such file"):  # bad input (exit 2), not a model that failed to load
        resolve_gguf(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelUnavailable, match="models pull qwen3.5-2b-gguf"):
        resolve_gguf("qwen3.5-2b-gguf")  # an alias not downloaded here


def test_gguf_of_another_architecture_needs_explicit_allow_and_qwen_families_do_not(tmp_path, monkeypatch):
    import numpy as np
    from gguf import GGUFWriter

    from briefkit.llm.gguf_file import ALLOW_ANY_ENV, check_gguf

    def write(architecture: str):
        path = tmp_path / f"{architecture}.gguf"
        writer = GGUFWriter(str(path), architecture)
        writer.add_chat_template("{{ messages[0]['content'] }}")
        writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path

    monkeypatch.delenv(ALLOW_ANY_ENV, raising=False)
    with pytest.raises(ModelUnavailable, match=r"is a gpt2 model; briefkit supports Qwen \(qwen2, qwen3, qwen35\)"):
        check_gguf(write("gpt2"))
    assert check_gguf(write("gpt2"), allow_any=True).architecture == "gpt2"
    # Qwen2/2.5 has no thinking mode; Qwen3 and Qwen3.5 have one that the chat template switches off.
    for architecture, thinking in (("qwen2", False), ("qwen3", True), ("qwen35", True), ("llama", False)):
        header = check_gguf(write(architecture))
        assert (header.architecture, header.qwen, header.thinking) == (architecture, architecture != "llama", thinking)


def test_pull_without_the_hub_is_one_clear_error():
    from briefkit.llm.models import pull

    with pytest.raises(ModelUnavailable, match="could not download unsloth/Qwen3.5-0.8B-GGUF/Qwen3.5-0.8B-Q8_0.gguf"):
        pull("qwen3.5-0.8b-gguf")  # HF_HUB_OFFLINE=1 in the tests, as when the Hub is unreachable
    with pytest.raises(ModelUnavailable, match="unknown model"):
        pull("nonsense-gguf")


def test_qwen_sampling_follows_the_model_card_when_unset():
    from briefkit.llm.base import sampling_filters

    assert sampling_filters(GenerationParams(temperature=0.7), qwen=True) == {"top_p": 0.8, "top_k": 20,
                                                                              "presence_penalty": 1.5}
    assert sampling_filters(GenerationParams(temperature=0.7, top_k=5), qwen=True)["top_k"] == 5
    assert sampling_filters(GenerationParams(temperature=0.7), qwen=False) == {"top_p": 1.0, "top_k": 0,
                                                                               "presence_penalty": 0.0}
