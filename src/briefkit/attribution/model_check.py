"""The generation model checks its own rewrites: does the quoted evidence state everything in the sentence?

A second stage after the verifier's rules (:mod:`.verify`), for rewrites only: the model's probability of
"yes" to prompts/check_rewrite.md must reach :data:`FLOOR`, else the summariser quotes the source. Only a
model of :data:`MIN_PARAMETERS` or more answers this question better than chance (BENCHMARKS.md,
"The model checks its rewrites"), so ``check_rewrites = "auto"`` asks only such a model; a backend that cannot
tell its size (a server) is asked. The check does not see the rest of the document, and one call a rewrite
is its cost (about 1.2 s with the 1.5B benchmark model on 2 cores).
"""

from __future__ import annotations

from typing import Literal

from ..llm.base import Backend
from ..prompts import load_prompt

# The 1.5B benchmark model's P(yes) on the verification set's candidates the rules accept: at 0.6 the
# unfaithful share falls from 19.9% to 11.5% while 157 of 181 faithful model rewrites stay (164 without it).
FLOOR = 0.6
# SmolLM2-135M's P(yes) ranks unfaithful candidates above faithful ones (AUC 0.41); the 1.5B model's 0.87.
MIN_PARAMETERS = 1_000_000_000

Mode = Literal["auto", "on", "off"]


def wanted(mode: Mode, backend: Backend) -> bool:
    """Whether ``mode`` has ``backend`` check its rewrites (``auto``: a model of at least MIN_PARAMETERS)."""
    if mode != "auto":
        return mode == "on"
    size = backend.parameters()
    return size is None or size >= MIN_PARAMETERS


def stated(backend: Backend, sentences: list[str], evidence: list[list[str]],
           prompts_dir: str | None = None) -> list[float]:
    """The model's P(yes) that each sentence's evidence (its sentences, one a line) states all of it."""
    prompt = load_prompt("check_rewrite", prompts_dir)
    requests = [prompt.render(evidence="\n".join(ev), sentence=s) for s, ev in zip(sentences, evidence)]
    return backend.yes_probability(requests) if requests else []
