"""Qwen through llama.cpp: a tiny random-weight qwen35 GGUF written from the tiny transformers
model, generated through the llamacpp backend and through llama-cpp-python's OpenAI-compatible
server with the openai backend; a tiny random-weight qwen2 (Qwen2.5) GGUF through the llamacpp
backend. Random weights write noise; the checks are the code paths."""

import subprocess
import sys

import pytest

from briefkit.errors import ModelUnavailable
from briefkit.llm.base import GenerationParams
from briefkit.llm.registry import create_backend

from test_backends import Server
from tiny_qwen import build_tiny_qwen, write_qwen2_gguf, write_qwen35_gguf

pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `scripts/setup --dev`")


@pytest.fixture(scope="module")
def tiny_qwen_gguf(tmp_path_factory):
    folder = build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen3_5"))
    return write_qwen35_gguf(folder, folder / "tiny-qwen35.gguf")


def test_tiny_qwen35_gguf_generates_through_the_llamacpp_backend(tiny_qwen_gguf):
    backend = create_backend("llamacpp", model=str(tiny_qwen_gguf), context_tokens=512)
    assert backend.architecture == "qwen35" and backend.qwen and backend.thinking
    messages = [{"role": "user", "content": "Who stepped down?"}]
    prompt = backend.render(messages)
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")  # thinking switched off
    result = backend.generate(messages, GenerationParams(max_tokens=8))
    assert result.prompt_tokens == backend.count_tokens(prompt)
    assert 1 <= result.completion_tokens <= 8 and "<think>" not in result.text
    sampled = backend.generate(messages, GenerationParams(max_tokens=8, temperature=0.7, seed=3))
    assert 1 <= sampled.completion_tokens <= 8  # the card's top_p/top_k/presence penalty apply
    batch = backend.generate_batch([messages, [{"role": "user", "content": "Name the release."}]],
                                   GenerationParams(max_tokens=6))
    assert [r.text for r in batch][0] == backend.generate(messages, GenerationParams(max_tokens=6)).text



def test_tiny_qwen35_writes_the_same_with_its_shared_prompt_prefix_prefilled_once(tiny_qwen_gguf):
    """Qwen3.5 keeps a recurrent state beside its KV cache: copying sequence 0's prefix must copy both."""
    from briefkit.attribution.realise import fuse_request

    backend = create_backend("llamacpp", model=str(tiny_qwen_gguf), context_tokens=512)
    groups = (["Alibaba released Qwen3.5 Small in four sizes."], ["The tech lead stepped down on March 3, 2026."],
              ["The team lead, Lin, left the Qwen team.", "Lin left the team."], ["Qwen models passed 700 downloads."])
    requests = [fuse_request(g, None, backend.model_name) for g in groups]
    params = GenerationParams(max_tokens=64, repetition_penalty=1.1)
    shared = [r.text for r in backend.generate_batch(requests, params)]
    assert backend._multi.shared_tokens > 20
    backend.share_prefix = False
    whole = [r.text for r in backend.generate_batch(requests, params)]
    assert backend._multi.shared_tokens == 0
    assert shared == whole and len(set(whole)) > 1  # each sequence continued its own prompt

def test_a_qwen2_gguf_loads_without_a_switch_with_its_own_template_and_no_thinking(tmp_path, monkeypatch):
    """Qwen2.5's family (the benchmark model's): accepted from its header alone, rendered with the GGUF's
    template without enable_thinking (this template would open a think block if it were passed false)."""
    from briefkit.llm.gguf_file import ALLOW_ANY_ENV

    monkeypatch.delenv(ALLOW_ANY_ENV, raising=False)
    path = write_qwen2_gguf(tmp_path / "tiny-qwen2.gguf")
    backend = create_backend("llamacpp", model=str(path), context_tokens=256)
    assert (backend.architecture, backend.qwen, backend.thinking) == ("qwen2", True, False)
    messages = [{"role": "user", "content": "Who stepped down?"}]
    assert backend.render(messages) == "<|im_start|>user\nWho stepped down?<|im_end|>\n<|im_start|>assistant\n"
    result = backend.generate(messages, GenerationParams(max_tokens=4))
    assert 1 <= result.completion_tokens <= 4 and result.prompt_tokens == backend.count_tokens(backend.render(messages))


def test_auto_picks_llama_cpp_for_a_qwen35_gguf(tiny_qwen_gguf):
    backend = create_backend("auto", model=str(tiny_qwen_gguf), context_tokens=512)
    assert type(backend).__name__ == "LlamaCppBackend" and backend.model_name == str(tiny_qwen_gguf)


def test_tiny_qwen35_through_the_server_and_the_openai_backend(tiny_qwen_gguf):
    srv = Server(model=tiny_qwen_gguf, alias="tiny-qwen3.5").start()
    try:
        backend = create_backend("openai", model="auto", base_url=srv.url, retries=0, timeout_s=60)
        assert backend.model_id == "tiny-qwen3.5" and backend.qwen
        result = backend.generate([{"role": "user", "content": "Who stepped down?"}], GenerationParams(max_tokens=8))
        assert result.completion_tokens >= 1 and result.prompt_tokens > 5 and "<think>" not in result.text
    finally:
        srv.stop()


def test_a_truncated_qwen35_gguf_is_refused_before_llama_cpp_opens_it(tiny_qwen_gguf, tmp_path):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_qwen_gguf.read_bytes()[:-1000])
    with pytest.raises(ModelUnavailable, match="truncated"):
        create_backend("llamacpp", model=str(cut))


def test_a_gguf_llama_cpp_aborts_on_is_an_error_naming_the_assert_not_the_cpu(tmp_path):
    """A real abort: llama.cpp's ssm_conv asserts an f32 kernel; this file has it in f16."""
    folder = build_tiny_qwen(tmp_path / "tiny")
    bad = write_qwen35_gguf(folder, tmp_path / "conv-f16.gguf", conv_f16=True)
    stopped = r"stopped in a test decode .*: ops.cpp:\d+: GGML_ASSERT\(src1->nb\[0\] == sizeof\(float\)\) failed; "
    with pytest.raises(ModelUnavailable, match=stopped + ".*cannot run this model file") as err:
        create_backend("llamacpp", model=str(bad), context_tokens=512)
    assert "CPU" not in str(err.value) and "\n" not in str(err.value)
    good = write_qwen35_gguf(folder, tmp_path / "f16.gguf", float_type="f16")
    assert create_backend("llamacpp", model=str(good), context_tokens=512).generate(
        [{"role": "user", "content": "Hi"}], GenerationParams(max_tokens=2)).completion_tokens >= 1


def test_qwen_gguf_alias_resolves_from_the_hugging_face_cache_and_summarises(tiny_qwen_gguf, sample_ws, tmp_path):
    """The alias path a user with Hub access takes after `briefkit models pull qwen3.5-0.8b-gguf`: the file sits
    in the Hugging Face cache layout (models--OWNER--NAME/snapshots/REV/FILE, refs/main). Here the tiny
    random-weight GGUF stands in for the real file; `models list` sees it, `auto` prefers it, and a summary
    runs through it (its noise is rejected by the verifier, so the bullets are quoted)."""
    import json
    import os

    from briefkit.llm.models import QWEN_GGUF

    repo, filename = QWEN_GGUF["qwen3.5-0.8b"]
    entry = tmp_path / "hub" / f"models--{repo.replace('/', '--')}"
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text("0" * 40)
    snapshot = entry / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / filename).write_bytes(tiny_qwen_gguf.read_bytes())
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub")}
    cli = [sys.executable, "-c", "from briefkit.cli.app import entry; entry()", "--home", str(sample_ws.home), "--json"]

    listed = json.loads(subprocess.run([*cli, "models", "list"], env=env, capture_output=True, text=True,
                                       check=True).stdout)["models"]
    row = next(r for r in listed if r["name"] == "qwen3.5-0.8b-gguf")
    assert row["available"] and row["where"] == str(snapshot / filename)
    for model in ("qwen3.5-0.8b-gguf", None):  # by alias, and as what `auto` picks
        args = [*cli, "summarise", "Qwen team leadership changes", "--no-cache", "--max-bullets", "2"]
        done = subprocess.run(args + (["--model", model] if model else []), env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["model"] == "qwen3.5-0.8b-gguf" and data["backend"].startswith("llama.cpp")
        assert 1 <= len(data["bullets"]) <= 2 and all(b["evidence"] and b["citations"] for b in data["bullets"])
        assert data["stats"]["completion_tokens"] > 0 and data["stats"]["llm_calls"] >= 1  # the model did write
