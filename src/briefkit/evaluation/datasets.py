"""Evaluation datasets (JSONL, one item a line), validated with the line and field named.

Fact sets (summaries)::

    {"id": "leadership", "query": "Qwen team leadership changes",
     "facts": [{"id": "f1", "text": "Junyang Lin stepped down on March 3, 2026.", "gold_docs": ["lead-01"]}]}

Question sets (Q&A); ``answer`` is null for a question the corpus cannot answer::

    {"id": "q1", "question": "When did Junyang Lin step down?", "answer": "March 3",
     "alternatives": ["March 4"], "docs": ["lead-01", "lead-02"]}
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import BadInput


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Fact(_Item):
    id: str
    text: str
    gold_docs: list[str] = []


class FactItem(_Item):
    id: str
    query: str
    facts: list[Fact]


class Question(_Item):
    id: str
    question: str
    answer: str | None
    alternatives: list[str] = []
    docs: list[str] = []


def _load(path: Path, model: type[_Item]) -> list:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BadInput(f"dataset not found: {path}") from None
    except UnicodeDecodeError:
        raise BadInput(f"dataset {path} is not UTF-8 text") from None
    items, seen = [], set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = model.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise BadInput(f"{path}:{n}: malformed JSON ({exc.msg})") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(item)"
            raise BadInput(f"{path}:{n}: field {where}: {err['msg']}") from None
        if item.id in seen:
            raise BadInput(f"{path}:{n}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise BadInput(f"dataset {path} has no items")
    return items


def load_fact_set(path: Path) -> list[FactItem]:
    return _load(path, FactItem)


def load_question_set(path: Path) -> list[Question]:
    return _load(path, Question)


def check_gold_docs(items: list[FactItem], known: set[str], path: Path) -> None:
    """Fail when a fact names gold documents that the index does not hold."""
    missing = sorted({d for it in items for f in it.facts for d in f.gold_docs} - known)
    if missing:
        raise BadInput(f"{path}: gold documents not in the index: {', '.join(missing[:5])}"
                       + (" ..." if len(missing) > 5 else "") + "; ingest the corpus the fact set was written for")
