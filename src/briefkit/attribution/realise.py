"""Realisation: the model rewrites each evidence group into one sentence, all groups in one batch.

The model sees only the group's sentences (no document numbers, nothing to cite), inside
delimiters that mark them as quoted material, not instructions: citations come from the plan. Prompts are ``prompts/fuse.md`` (summaries) and
``prompts/phrase_answer.md`` (answers). The reply's first sentence is kept; verification
decides whether it is shown.
"""

from __future__ import annotations

import re

from ..corpus.chunk import split_sentences
from ..llm.base import Backend, GenerationParams, GenerationResult, Message, generate_all
from ..prompts import load_prompt

_LEAD = re.compile(r"^\s*(?:[-*•]\s*|\d+[.)]\s*|(?:sentence|answer|summary|fact)\s*\d*\s*:\s*)+", re.IGNORECASE)
_CITATION = re.compile(r"\s*\[[\d,;\s]+\]")
_TAG = re.compile(r"</?(?:quoted|sources?|facts)>", re.IGNORECASE)  # the prompts' delimiters, if echoed


def _evidence_block(evidence: list[str]) -> str:
    """One sentence as it is; several as a plain list (tiny models copy list marks less than numbers)."""
    return evidence[0] if len(evidence) == 1 else "\n".join(f"- {e}" for e in evidence)


def fuse_request(evidence: list[str], prompts_dir: str | None = None) -> list[Message]:
    return load_prompt("fuse", prompts_dir).render(evidence=_evidence_block(evidence))


def answer_request(question: str, evidence: list[str], prompts_dir: str | None = None) -> list[Message]:
    return load_prompt("phrase_answer", prompts_dir).render(question=question, evidence=_evidence_block(evidence))


def first_sentence(reply: str) -> str:
    """The first sentence of a reply, without list marks, labels, quotes or bracketed numbers."""
    lines = [ln for ln in _TAG.sub("", reply).splitlines() if ln.strip()]
    if not lines:
        return ""
    text = _CITATION.sub("", _LEAD.sub("", lines[0])).strip().strip("\"“”'")
    spans = split_sentences(text)
    text = text[spans[0][0]: spans[0][1]] if spans else text
    text = " ".join(text.split())
    if text and text[-1] not in ".!?\"”’)":
        text += "."
    return text


def realise(backend: Backend, requests: list[list[Message]],
            params: GenerationParams) -> tuple[list[str], list[GenerationResult]]:
    """Each request's sentence and its generation result, all requests in one batch (or concurrently)."""
    results = generate_all(backend, requests, params) if requests else []
    return [first_sentence(r.text) for r in results], results
