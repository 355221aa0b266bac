"""Every Python line of the project within the line length pyproject.toml sets for ruff (characters, not bytes)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("src", "bench", "eval", "tests")


def too_long(limit: int) -> list[str]:
    """``path:line (length)`` for each line over ``limit`` characters."""
    out = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if len(line) > limit:
                    out.append(f"{path.relative_to(ROOT)}:{number} ({len(line)})")
    return out


def test_no_line_is_longer_than_the_configured_limit():
    limit = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["line-length"]
    assert limit == 120
    assert too_long(limit) == []
    assert too_long(40), "the check finds long lines when there are some"
