"""Realisation: the model rewrites each evidence group into one sentence, all groups in one batch.

The model sees only the group's sentences (no document numbers, nothing to cite), inside
delimiters that mark them as quoted material, not instructions: citations come from the plan.
Prompts are ``prompts/fuse.md`` (summaries) and ``prompts/phrase_answer.md`` (answers). The
reply's first sentence is kept; verification decides whether it is shown.

Summaries use one of two prompts, by model size (:func:`fuse_prompt`): ``fuse.md`` asks for one
sentence that merges the group (the shared fact once, plus the details only some sources add);
``fuse_small.md``, for models whose name gives fewer than :data:`SMALL_MODEL_PARAMS` parameters
(SmolLM2-135M), only asks for one shorter sentence: a 135M model given the merging instructions
invents facts instead (on the seed topics its share of verified rewrites fell from 78% to 56-61%).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..llm.base import (
    Backend,
    GenerationParams,
    GenerationResult,
    Message,
)
from ..prompts import load_prompt
from ..text.sentences import split_sentences

_LEAD = re.compile(r"^\s*(?:[-*•]\s*|\d+[.)]\s*|(?:sentence|answer|summary|fact)\s*\d*\s*:\s*)+", re.IGNORECASE)
_CITATION = re.compile(r"\s*\[[\d,;\s]+\]")
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)([mb])(?![a-z])", re.IGNORECASE)  # "135m", "1.5B", "0.8b"
SMALL_MODEL_PARAMS = 0.5e9
_TAG = re.compile(r"</?(?:quoted|sources?|facts)>", re.IGNORECASE)  # the prompts' delimiters, if echoed
# A preamble about the input ("The quoted text states that ..."): dropped, the statement after it is verified
_PREAMBLE = re.compile(r"^(?:the|this) (?:quoted |source |given )?(?:text|passage|sentences?|sources?) "
                       r"(?:states?|says?|reports?|notes?|mentions?|explains?)(?: that)?[,:]?\s+", re.IGNORECASE)


def _evidence_block(evidence: list[str]) -> str:
    """One sentence as it is; several as a plain list (tiny models copy list marks less than numbers)."""
    return evidence[0] if len(evidence) == 1 else "\n".join(f"- {e}" for e in evidence)


def model_params(model_name: str | None) -> float | None:
    """Parameters a model's name states ("smollm2-135m" -> 1.35e8, "qwen2.5-coder-1.5b" -> 1.5e9), the last
    size in the name (a path's file name included); None when it states none."""
    found = _SIZE.findall(model_name or "")
    if not found:
        return None
    number, unit = found[-1]
    return float(number) * (1e6 if unit.lower() == "m" else 1e9)


def fuse_prompt(model_name: str | None) -> str:
    """``fuse_small`` for a model whose name gives fewer than :data:`SMALL_MODEL_PARAMS` parameters, else ``fuse``
    (a model of unknown size gets the merging prompt)."""
    params = model_params(model_name)
    return "fuse_small" if params is not None and params < SMALL_MODEL_PARAMS else "fuse"


def fuse_request(evidence: list[str], prompts_dir: str | None = None, model_name: str | None = None) -> list[Message]:
    """The fuse prompt for ``model_name`` (:func:`fuse_prompt`); a prompts folder of one's own without
    ``fuse_small.md`` serves its ``fuse.md`` to every model."""
    name = fuse_prompt(model_name)
    if prompts_dir and not (Path(prompts_dir) / f"{name}.md").exists():
        name = "fuse"
    return load_prompt(name, prompts_dir).render(evidence=_evidence_block(evidence))


def answer_request(question: str, evidence: list[str], prompts_dir: str | None = None) -> list[Message]:
    return load_prompt("phrase_answer", prompts_dir).render(question=question, evidence=_evidence_block(evidence))


def first_sentence(reply: str) -> str:
    """The first sentence of a reply, without list marks, labels, quotes, bracketed numbers or a preamble
    about the input ("The quoted text states that ...")."""
    lines = [ln for ln in _TAG.sub("", reply).splitlines() if ln.strip()]
    if not lines:
        return ""
    text = _CITATION.sub("", _LEAD.sub("", lines[0])).strip().strip("\"“”'")
    if _PREAMBLE.match(text):
        text = _PREAMBLE.sub("", text)
        text = text[:1].upper() + text[1:]
    spans = split_sentences(text)
    text = text[spans[0][0]: spans[0][1]] if spans else text
    text = " ".join(text.split())
    if text and text[-1] not in ".!?\"”’)":
        text += "."
    return text


def fits(backend: Backend, request: list[Message], params: GenerationParams) -> bool:
    """Whether ``request`` and its answer fit the model's context (16 tokens a message for the template)."""
    used = sum(backend.count_tokens(m["content"]) + 16 for m in request)
    return used + params.max_tokens <= backend.context_tokens


def realise(backend: Backend, requests: list[list[Message]],
            params: GenerationParams) -> tuple[list[str], list[GenerationResult]]:
    """Each request's sentence (all in one batch, or concurrently) and the generation results. A request
    too long for the model's context is not sent: its sentence is empty, so the caller quotes instead."""
    sent = [i for i, r in enumerate(requests) if fits(backend, r, params)]
    results = backend.generate_batch([requests[i] for i in sent], params)
    sentences = [""] * len(requests)
    for i, r in zip(sent, results):
        sentences[i] = first_sentence(r.text)
    return sentences, results
