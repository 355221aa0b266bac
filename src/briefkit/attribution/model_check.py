"""The generation model checks its own wording: does the quoted evidence state everything in the sentence?

A second stage after the verifier's rules (:mod:`.verify`) for what a model wrote (a summary's rewrites and
drafted bullets, an answer's phrasing): the model's probability of "yes" to prompts/check_rewrite.md must
reach :data:`FLOOR`, else the source is quoted instead (or the drafted bullet replaced). Of the two models
measured, SmolLM2-135M answers this worse than chance and the 1.5B benchmark model well (BENCHMARKS.md, "The
model checks its own wording"), so ``check_rewrites = "auto"`` asks a model of :data:`MIN_PARAMETERS` or more; a
backend that cannot tell its size (a server, which reads a greedy yes or no, unmeasured) is asked only with
``"on"``. The check sees only the sentence's evidence, not the rest of the document; its cost is one prefill a
sentence (about 1.3 s with the 1.5B model on 2 cores).
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from ..config import CheckRewrites
from ..llm.base import Backend
from ..prompts import load_prompt
from .verify import Check

# The 1.5B benchmark model's P(yes) on the verification set's candidates the rules accept: at 0.6 the
# unfaithful share falls from 19.9% to 11.5% while 157 of 181 faithful model rewrites stay (164 without it).
FLOOR = 0.6
# SmolLM2-135M's P(yes) ranks unfaithful candidates above faithful ones (AUC 0.41); the 1.5B model's 0.87.
MIN_PARAMETERS = 1_000_000_000

Checker = Callable[[list[str], list[list[str]]], list[float]]  # (sentences, their evidence) -> P(yes) each


def wanted(mode: CheckRewrites, backend: Backend) -> bool:
    """Whether ``mode`` has ``backend`` check its wording (``auto``: a model known to have MIN_PARAMETERS)."""
    if mode != "auto":
        return mode == "on"
    size = backend.parameters()
    return size is not None and size >= MIN_PARAMETERS


def stated(backend: Backend, sentences: list[str], evidence: list[list[str]],
           prompts_dir: str | None = None) -> list[float]:
    """The model's P(yes) that each sentence's evidence (its sentences, one a line) states all of it."""
    prompt = load_prompt("check_rewrite", prompts_dir)
    requests = [prompt.render(evidence="\n".join(ev), sentence=s) for s, ev in zip(sentences, evidence)]
    return backend.yes_probability(requests) if requests else []


def checker(mode: CheckRewrites, backend: Backend | None, prompts_dir: str | None = None) -> Checker | None:
    """:func:`stated` bound to ``backend`` when ``mode`` has it check (:func:`wanted`), else None."""
    if backend is None or not wanted(mode, backend):
        return None
    return partial(stated, backend, prompts_dir=prompts_dir)


def screen(own: Checker | None, sentences: list[str], evidence: list[list[str]], checks: list[Check]) -> None:
    """Put the sentences whose rule checks passed to ``own`` (nothing without it); one under :data:`FLOOR`
    fails its check, the model's P(yes) among its reasons."""
    passed = [i for i, c in enumerate(checks) if c.ok]
    if own is None or not passed:
        return
    for i, p in zip(passed, own([sentences[i] for i in passed], [evidence[i] for i in passed])):
        if p < FLOOR:
            checks[i].ok = False
            checks[i].reasons.append(doubt(p))


def doubt(p: float) -> str:
    """The reason a sentence with P(yes) ``p`` under the floor is turned down."""
    return f"the model doubts its sources state all of it: P(yes) {p:.3f}"
