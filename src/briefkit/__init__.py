"""briefkit: cited topic summaries, Q&A and evaluation over a local article corpus.

The library's entry points are importable from here, lazily: ``from briefkit import Workspace,
Settings, summarise, ask``. The heavy parts (torch, transformers, faiss) are imported only by the
modules that need them, so importing this package and running ``briefkit --help`` stay fast.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_ENTRY_POINTS = {
    "Settings": "briefkit.config",
    "Workspace": "briefkit.workspace",
    "summarise": "briefkit.briefs.summarise",
    "ask": "briefkit.briefs.qa",
}
__all__ = ["__version__", *_ENTRY_POINTS]


def __getattr__(name: str):
    if name in _ENTRY_POINTS:
        return getattr(import_module(_ENTRY_POINTS[name]), name)
    raise AttributeError(f"module 'briefkit' has no attribute {name!r}")
