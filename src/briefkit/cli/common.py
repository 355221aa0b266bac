"""What every command shares: global options, the workspace, and JSON or rich output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import typer
from rich.console import Console

from ..config import Settings, load_settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


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
