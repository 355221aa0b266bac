"""Prompt templates: files in ``prompts/`` with ``### system`` and ``### user`` sections and
``{{name}}`` placeholders. Rendering fails on a missing or unused variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import BadInput
from .llm.base import Message
from .resources import resource_dir

_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
_SECTION = re.compile(r"^### (system|user)\s*$", re.MULTILINE)


class PromptError(BadInput):
    """A template is malformed or was rendered with the wrong variables."""


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str

    @property
    def variables(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.system)) | set(_PLACEHOLDER.findall(self.user))

    def render(self, **values: object) -> list[Message]:
        missing = self.variables - values.keys()
        if missing:
            raise PromptError(f"prompt {self.name!r} needs variable(s) {', '.join(sorted(missing))}")
        unused = values.keys() - self.variables
        if unused:
            raise PromptError(f"prompt {self.name!r} has no placeholder for {', '.join(sorted(unused))}")

        def fill(template: str) -> str:
            return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template).strip()

        messages = [{"role": "user", "content": fill(self.user)}]
        if self.system.strip():
            messages.insert(0, {"role": "system", "content": fill(self.system)})
        return messages


def parse_prompt(name: str, text: str) -> Prompt:
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], parts[2::2]))
    if "user" not in sections:
        raise PromptError(f"prompt {name!r} has no '### user' section")
    return Prompt(name, sections.get("system", "").strip(), sections["user"].strip())


@lru_cache(maxsize=32)
def load_prompt(name: str, folder: str | None = None) -> Prompt:
    """Load ``name`` (e.g. ``summarise``) from ``folder`` when it holds one (an override), else the shipped one."""
    shipped = resource_dir("prompts") / f"{name}.md"
    path = Path(folder) / f"{name}.md" if folder else shipped
    if not path.exists():
        path = shipped
    if not path.exists():
        raise PromptError(f"prompt file {name}.md not found in {folder or shipped.parent}")
    return parse_prompt(name, path.read_text(encoding="utf-8"))
