"""One tokens-per-second figure for every backend, and ``auto`` choosing by whole-request time (with the
bundled SmolLM2 through llama.cpp and transformers)."""

import importlib.util
import json

import pytest

from briefkit.llm.base import GenerationResult, create_backend
from briefkit.summarise import Stats


def test_tokens_per_s_is_generated_tokens_over_the_whole_requests_wall_time():
    stats = Stats()
    # two requests of one batch: each carries its share of the prefill and of the decoding
    stats.add(GenerationResult("a", 100, 20, prompt_s=1.0, total_s=3.0, model="m"))
    stats.add(GenerationResult("b", 50, 10, prompt_s=0.5, total_s=2.0, model="m"))
    stats.add(GenerationResult("c", 80, 40, prompt_s=0.1, total_s=0.2, model="m", cached=True))  # no time spent
    data = stats.to_json()
    assert data["generate_s"] == 5.0 and data["completion_tokens"] == 70
    assert data["tokens_per_s"] == 6.0  # (20 + 10) / 5.0; decode only would give 30 / 3.5 = 8.57
    assert data["prefill_tokens_per_s"] == 100.0  # (100 + 50) / 1.5


needs_llama_cpp = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                                     reason="llama-cpp-python is installed by `scripts/setup --dev`")


def _record_path(context_tokens: int = 2048):
    """Where `auto` keeps the measured rates for the bundled SmolLM2 on this machine."""
    from briefkit.llm.auto import _speed_record_path, _transformers_form, cpu_dtype

    llama = create_backend("llamacpp", model="smollm2-135m", context_tokens=context_tokens)
    return _speed_record_path(llama, _transformers_form(llama.model_name), cpu_dtype()[0], None)


@needs_llama_cpp
@pytest.mark.parametrize(("rates", "chosen"), [({"llamacpp": 50.0, "transformers": 80.0}, "TransformersBackend"),
                                               ({"llamacpp": 50.0, "transformers": 52.0}, "LlamaCppBackend"),
                                               ({"llamacpp": 80.0, "transformers": 50.0}, "LlamaCppBackend")])
def test_auto_keeps_the_backend_that_finished_the_summary_batch_first(rates, chosen):
    path = _record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    original = path.read_text() if path.exists() else None
    path.write_text(json.dumps(dict(rates, dtype="x")))
    try:
        backend = create_backend("auto", model="smollm2-135m", context_tokens=2048)
    finally:
        path.unlink()
        if original is not None:
            path.write_text(original)
    assert type(backend).__name__ == chosen and backend.model_name == "smollm2-135m"
    if chosen == "LlamaCppBackend":  # llama.cpp works (the crash probe) and finished first
        assert "test decode passed" in backend.reason and "llama.cpp" in backend.description
    assert f"llama.cpp {rates['llamacpp']:.1f}" in backend.reason and f"{rates['transformers']:.1f}" in backend.reason


@needs_llama_cpp
def test_auto_measures_both_backends_once_and_remembers_the_rates(capsys):
    path = _record_path()
    original = path.read_text() if path.exists() else None
    path.unlink(missing_ok=True)
    try:
        first = create_backend("auto", model="smollm2-135m", context_tokens=2048)
        assert "measuring llama.cpp and transformers" in capsys.readouterr().err
        record = json.loads(path.read_text())
        assert record["llamacpp"] > 0 and record["transformers"] > 0
        faster = "TransformersBackend" if record["transformers"] >= 1.1 * record["llamacpp"] else "LlamaCppBackend"
        assert type(first).__name__ == faster
        again = create_backend("auto", model="smollm2-135m", context_tokens=2048)
        assert type(again).__name__ == faster and "measuring" not in capsys.readouterr().err
    finally:
        if original is not None:
            path.write_text(original)


@needs_llama_cpp
def test_a_model_only_llama_cpp_runs_is_not_measured(tmp_path):
    from briefkit.llm.auto import _transformers_form
    from briefkit.llm.models import smollm2_gguf

    copy = tmp_path / "smollm2-copy.gguf"
    copy.write_bytes(smollm2_gguf().read_bytes())
    assert _transformers_form(str(copy)) is None and _transformers_form("smollm2-135m") is not None
    backend = create_backend("auto", model=str(copy), context_tokens=2048)
    assert type(backend).__name__ == "LlamaCppBackend" and "finishes" not in backend.reason

