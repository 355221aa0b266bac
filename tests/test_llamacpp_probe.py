"""Crash containment and the `auto` backend, with real llama.cpp and the bundled SmolLM2 GGUF.

The crashing child is a test double: BRIEFKIT_LLAMA_PROBE_CMD points the probe at a Python
child that really dies of SIGSEGV (it reads address 0), standing in for a llama.cpp build
that crashes on this CPU, which cannot be produced on demand."""

import os
import sys

import pytest

from briefkit.errors import ModelUnavailable
from briefkit.llm.base import GenerationParams
from briefkit.llm.registry import create_backend
from briefkit.llm.cache import CachedBackend, GenerationCache
from briefkit.llm.models import smollm2_gguf

pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `scripts/setup --dev`")

SEGFAULTING_CHILD = f'{sys.executable} -c "import ctypes; ctypes.string_at(0)"'


@pytest.fixture
def crashing_probe(monkeypatch):
    monkeypatch.setenv("BRIEFKIT_LLAMA_PROBE_CMD", SEGFAULTING_CHILD)


def test_a_crash_in_the_probe_is_one_line_naming_the_signal_and_the_fix(crashing_probe):
    with pytest.raises(ModelUnavailable) as info:
        create_backend("llamacpp", model="smollm2-135m")
    message = str(info.value)
    assert "crashed (SIGSEGV) in a test decode of smollm2-135m" in message
    assert "scripts/setup --dev" in message and "\n" not in message


def test_auto_falls_back_to_transformers_with_a_notice(crashing_probe, capsys):
    backend = create_backend("auto", model="smollm2-135m")
    assert type(backend).__name__ == "TransformersBackend" and backend.model_name == "smollm2-135m"
    assert "SIGSEGV" in backend.reason
    assert backend.dtype == ("bfloat16" if {"avx512_bf16", "amx_bf16"} & set(open("/proc/cpuinfo").read().split())
                             else "float32")
    assert "notice: llama.cpp cannot be used" in capsys.readouterr().err


def test_probe_runs_once_per_build_cpu_and_file(tmp_path, monkeypatch):
    from briefkit.llm import probe

    monkeypatch.setenv("BRIEFKIT_CACHE", str(tmp_path))
    monkeypatch.setattr(probe, "_passed", set())
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(smollm2_gguf().read_bytes())
    assert probe.ensure_decodes(gguf, "copy") is True  # the real child decoded
    assert probe.ensure_decodes(gguf, "copy") is False  # this process remembers
    monkeypatch.setattr(probe, "_passed", set())
    assert probe.ensure_decodes(gguf, "copy") is False  # another process: the stamp in the cache folder
    os.utime(gguf, ns=(1, 1))
    assert probe.ensure_decodes(gguf, "copy") is True  # a changed file is probed again


def test_a_gguf_llama_cpp_cannot_load_is_a_clear_error_from_the_probe(tmp_path):
    from briefkit.llm.probe import run_probe

    data = bytearray(smollm2_gguf().read_bytes())
    bad = tmp_path / "bad.gguf"
    data[8:16] = (10**9).to_bytes(8, "little")  # an absurd tensor count: the header passes no sanity check
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable, match="llama.cpp cannot run bad: "):
        run_probe(bad, "bad")


def test_auto_picks_llama_cpp_when_it_works():
    backend = create_backend("auto", model="smollm2-135m", context_tokens=2048)
    assert type(backend).__name__ == "LlamaCppBackend" and backend.model_name == "smollm2-135m"
    assert "test decode passed" in backend.reason and "llama.cpp" in backend.description


def test_same_prompt_through_another_backend_is_not_served_from_cache(tmp_path):
    cache = GenerationCache(tmp_path / "cache.sqlite")
    messages = [{"role": "user", "content": "Name a colour."}]
    params = GenerationParams(max_tokens=6)
    llama = CachedBackend(create_backend("llamacpp", model="smollm2-135m", context_tokens=2048), cache)
    torch_backend = CachedBackend(create_backend("transformers", model="smollm2-135m"), cache)
    assert llama.model_name == torch_backend.model_name == "smollm2-135m"
    assert not llama.generate(messages, params).cached
    assert llama.generate(messages, params).cached
    assert not torch_backend.generate(messages, params).cached
    batch = llama.generate_batch([messages, [{"role": "user", "content": "Name a fruit."}]], params)
    assert [r.cached for r in batch] == [True, False]
