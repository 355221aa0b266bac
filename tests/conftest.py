"""Shared fixtures: real SQLite, real FAISS, the bundled MiniLM and SmolLM2; nothing downloads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BRIEFKIT_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
SUMMHAY = SHARED / "data" / "summhay"
# The user's model cache, before the session fixture points BRIEFKIT_CACHE at a temporary folder.
USER_CACHE = Path(os.environ.get("BRIEFKIT_CACHE") or Path.home() / ".cache" / "briefkit")
MODEL_TESTS_ENV = "BRIEFKIT_MODEL_TESTS"


def pytest_collection_modifyitems(config, items):
    """The `model` tier (real models, minutes) runs only when asked: `-m model` or BRIEFKIT_MODEL_TESTS=1."""
    if "model" in (config.getoption("markexpr") or "") or os.environ.get(MODEL_TESTS_ENV, "") not in ("", "0"):
        return
    skip = pytest.mark.skip(reason=f"model tier: run it with `-m model` or {MODEL_TESTS_ENV}=1")
    for item in items:
        if item.get_closest_marker("model"):
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _model_cache(tmp_path_factory):
    """One converted SmolLM2 per test session (or the developer's existing cache)."""
    if "BRIEFKIT_CACHE" not in os.environ:
        os.environ["BRIEFKIT_CACHE"] = str(tmp_path_factory.mktemp("briefkit-cache"))
    yield


def make_settings(home: Path, **sections):
    from briefkit.config import Settings

    return Settings().with_overrides(home=home, **sections)


def model_worded(result) -> list[tuple[str, list[str]]]:
    """The bullets of a summary shown in the model's words, each with its evidence sentences."""
    return [(b.text, [e.text for e in b.evidence]) for b in result.bullets if b.origin == "model"]


@pytest.fixture
def settings_factory(tmp_path):
    return lambda **sections: make_settings(tmp_path / "home", **sections)


@pytest.fixture(scope="session")
def sample_ws(tmp_path_factory):
    """A workspace holding the built-in sample corpus (ingested once per session)."""
    from briefkit.resources import sample_corpus_path
    from briefkit.workspace import Workspace

    ws = Workspace(make_settings(tmp_path_factory.mktemp("sample-home")))
    ws.ingest([sample_corpus_path()])
    return ws


@pytest.fixture(scope="session")
def smollm2(sample_ws):
    """The bundled SmolLM2 loaded once through the same path users hit."""
    return sample_ws.generator("smollm2-135m")


def counting(real):
    """A counting copy of the embedder ``real`` (a subclass of its class sharing its loaded model): ``.calls``
    lists the texts of each ``embed`` call. A test double that counts; the vectors are the real model's."""

    class Counting(type(real)):  # type: ignore[misc, valid-type]
        def embed(self, texts, *args, **kwargs):
            self.calls.append(list(texts))
            return super().embed(texts, *args, **kwargs)

    Counting.__name__ = f"Counting{type(real).__name__}"
    copy = object.__new__(Counting)
    copy.__dict__.update(real.__dict__)
    copy.calls = []
    return copy
