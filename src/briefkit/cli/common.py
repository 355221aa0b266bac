"""What every command shares: global options, the workspace, input checks, and JSON or rich output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import typer
from rich.console import Console

from ..config import Settings, load_settings
from ..errors import BadInput

GLOBALS_EPILOG = ("Global options, before or after the command: --json (JSON on stdout), --home DIR, "
                  "--config FILE, --debug. Exit codes: 0 done, 1 failed, 2 bad usage or input.")

# Markup is off: titles, passages and topics may hold "[/]" or "[red]", which must print as written.
# Styling is given with ``style=`` or :class:`rich.text.Text`, never by markup in a string.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


@dataclass
class State:
    home: Path | None
    config: Path | None
    json: bool
    debug: bool
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config).with_overrides(home=self.home)
        return self._settings

    def workspace(self, **overrides: dict[str, Any]):
        from ..workspace import Workspace

        settings = self.settings.with_overrides(**overrides) if overrides else self.settings
        return Workspace(settings, progress=sys.stderr.isatty() or not self.json)


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def emit(st: State, data: dict, render: Callable[[dict], None]) -> None:
    """Print ``data`` as JSON on stdout with --json, else render it for people."""
    if st.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        render(data)


def readable_help() -> None:
    """Help that reads like a well-kept CLI: ``--mode MODE``, flags without a ``<bool>`` type column."""
    from typer.core import TyperArgument, TyperOption

    def option_type(self, ctx) -> str | None:
        if self.metavar is not None:
            return self.metavar
        return None if self.is_flag else self.name.upper()

    TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]


def check_k(k: int | None) -> None:
    """-k counts passages: 1 or more."""
    if k is not None and k < 1:
        raise BadInput(f"-k must be 1 or more (how many passages to use), got {k}")


def check_dates(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """Both dates as YYYY-MM-DD (common spellings such as 'March 5, 2026' are accepted), ``since`` <= ``until``."""
    from ..text.dates import normalise_date

    found = []
    for flag, value in (("--since", since), ("--until", until)):
        iso = normalise_date(value) if value is not None else None
        if value is not None and (iso is None or len(value.strip()) > 40):
            raise BadInput(f"{flag}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-05")
        found.append(iso)
    if found[0] and found[1] and found[0] > found[1]:
        raise BadInput(f"--since {found[0]} is after --until {found[1]}; swap them or widen the range")
    return found[0], found[1]


def check_generation(settings: Settings, backend: str | None, base_url: str | None, model: str | None) -> None:
    """Refuse an unknown backend, ``openai`` without a server URL, or an unknown model name, before loading anything."""
    from ..llm import models
    from ..llm.registry import BACKENDS

    g = settings.generation
    backend = backend or g.backend
    if backend not in BACKENDS:
        raise BadInput(f"unknown backend {backend!r}; use one of {', '.join(sorted(BACKENDS))}")
    if backend == "openai":
        if not (base_url or g.base_url):
            raise BadInput("--backend openai needs the server's URL: add --base-url http://HOST:PORT/v1"
                           " (or set [generation] base_url in your --config profile)")
        return  # a server names its own models
    name = model or g.model
    if name.lower().endswith(".gguf"):
        models.resolve_gguf(name)  # a missing file: BadInput, before anything loads
    known = set(models.known_names())
    looks_loadable = "/" in name or name.lower().endswith(".gguf") or Path(name).expanduser().exists()
    if name not in known and not looks_loadable:
        raise BadInput(f"unknown model {name!r}; use one of {', '.join(sorted(known))}, a model folder or a"
                       " Hugging Face id (see `briefkit models list`)")
    if backend in ("auto", "transformers") and name not in known and not Path(name).expanduser().exists():
        models.check_hub_model(models.resolve_model(name))  # a Hub id to download: is the Hub there?
