"""Locate files shipped with the package: prompts, configs and the sample corpus.

In a wheel, ``prompts/`` and ``configs/`` are copied into the package; in an editable
checkout they are read from the repository's top level.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder ``name`` (``prompts`` or ``configs``) wherever it is installed."""
    for candidate in (_PACKAGE / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"briefkit resource folder {name!r} is missing from the installation")


def sample_corpus_path() -> Path:
    """The built-in sample corpus (JSONL, written for the demo)."""
    return _PACKAGE / "data" / "sample_corpus.jsonl"
