"""Generation backends by name. Each entry names, by import path, a class whose ``from_settings(model,
settings)`` builds the backend from the ``[generation]`` settings it uses, so choosing one imports only
that backend's libraries. ``auto`` is such a builder too: it picks one of the others for the machine."""

from __future__ import annotations

from importlib import import_module

from pydantic import ValidationError

from ..config import GenerationSettings
from ..errors import BadInput
from .base import Backend

BACKENDS = {
    "auto": "briefkit.llm.auto:Auto",
    "transformers": "briefkit.llm.transformers_backend:TransformersBackend",
    "llamacpp": "briefkit.llm.llamacpp_backend:LlamaCppBackend",
    "openai": "briefkit.llm.openai_backend:OpenAIBackend",
}


def backend_from_settings(name: str, model: str, settings: GenerationSettings) -> Backend:
    """The backend registered as ``name`` for ``model``, built from the ``[generation]`` settings."""
    try:
        module, attr = BACKENDS[name].split(":")
    except KeyError:
        raise BadInput(f"unknown backend {name!r}; use one of {', '.join(sorted(BACKENDS))}") from None
    return getattr(import_module(module), attr).from_settings(model, settings)


def create_backend(name: str, model: str = "auto", **settings: object) -> Backend:
    """The backend registered as ``name`` for ``model``; ``settings`` are ``[generation]`` fields, and a
    field that does not exist is bad input, never silently ignored."""
    try:
        parsed = GenerationSettings(**settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"backend setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return backend_from_settings(name, model, parsed)
