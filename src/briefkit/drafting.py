"""Draft-then-check strategies for strong models: ``stuff`` (all passages in one prompt) and
``map-reduce`` (cited facts from groups of documents, merged while they do not fit).

The model writes and cites at once; :class:`briefkit.citations.CitationChecker` repairs the
citations, and the summariser's verifier then keeps, quotes or hides each bullet. Small
models do poorly here: the attribute-first default (:mod:`briefkit.summarise`) is for them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from .citations import Bullet, CitationChecker, Sources, parse_bullets
from .corpus.chunk import split_sentences
from .index.embedder import Embedder
from .llm.base import Backend, GenerationParams, GenerationResult, generate_all
from .prompts import load_prompt
from .retrieval import Passage

_PROMPT_OVERHEAD = 160  # template text and chat markup around the sources


def condense(embedder: Embedder, topic: str, passages: list[Passage], keep: int) -> list[Passage]:
    """Keep the ``keep`` sentences of each passage most similar to the topic, in their order.

    Small models write better from a few pointed sentences than from whole chunks, and the
    prompt gets shorter; ``keep=0`` leaves passages whole.
    """
    if keep <= 0 or not passages:
        return passages
    spans = [split_sentences(p.text) for p in passages]
    flat = [p.text[s:e] for p, sp in zip(passages, spans) for s, e in sp]
    sims = embedder.embed(flat) @ embedder.embed([topic])[0]
    out, pos = [], 0
    for p, sp in zip(passages, spans):
        scores = sims[pos : pos + len(sp)]
        pos += len(sp)
        chosen = sorted(np.argsort(-scores)[:keep])
        text = " ".join(p.text[sp[i][0] : sp[i][1]] for i in chosen)
        out.append(replace(p, text=text))
    return out


def draft(backend: Backend, checker: CitationChecker, topic: str, strategy: str, max_bullets: int,
          context_tokens: int, max_new_tokens: int, params: GenerationParams, add: Callable[[GenerationResult], None],
          prompts_dir: str | None, on_text: Callable[[str], None] | None = None) -> tuple[list[Bullet], str, str | None]:
    """Drafted, citation-checked bullets, the strategy used and a notice (``stuff`` that does not fit becomes map-reduce)."""
    sources = checker.sources
    room = backend.context_tokens - max_new_tokens - _PROMPT_OVERHEAD
    budget = max(128, min(context_tokens, room))
    notice = None
    if strategy == "stuff" and backend.count_tokens(sources.render()) > budget:
        notice = f"the passages do not fit {backend.model_name}'s context budget ({budget} tokens); used map-reduce"
        strategy = "map-reduce"
    if strategy == "stuff":
        messages = load_prompt("summarise", prompts_dir).render(sources=sources.render(), topic=topic,
                                                                max_bullets=max_bullets)
        result = backend.generate(messages, params, on_text)
        add(result)
        return checker.check(parse_bullets(result.text)), strategy, notice
    return _map_reduce(backend, checker, sources, topic, max_bullets, budget, params, add, prompts_dir), strategy, notice


def _groups_within(items: list[str], cost: Callable[[str], int], budget: int) -> list[list[int]]:
    """Greedy consecutive groups of item indices whose summed cost stays within ``budget``."""
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, item in enumerate(items):
        c = cost(item)
        if current and used + c > budget:
            groups.append(current)
            current, used = [], 0
        current.append(i)
        used += c
    if current:
        groups.append(current)
    return groups


def _map_reduce(backend: Backend, checker: CitationChecker, sources: Sources, topic: str, max_bullets: int,
                budget: int, params: GenerationParams, add: Callable[[GenerationResult], None], prompts_dir: str | None) -> list[Bullet]:
    # Map: facts from groups of documents that fit the budget. A single document longer than the
    # budget is cut to fit (its later passages are dropped from that call).
    doc_blocks = [sources.render([d]) for d in sources.doc_ids]
    facts: list[tuple[str, list[int]]] = []
    groups = _groups_within(doc_blocks, backend.count_tokens, budget)
    requests = [
        load_prompt("map_extract", prompts_dir).render(
            sources=_truncate_tokens(backend, "\n\n".join(doc_blocks[i] for i in group), budget),
            topic=topic, max_bullets=max_bullets)
        for group in groups
    ]
    for group, result in zip(groups, generate_all(backend, requests, params)):  # concurrent on server backends
        add(result)
        allowed = {i + 1 for i in group}
        for text, cites in parse_bullets(result.text):
            facts.append((text, [c for c in cites if c in allowed]))
    mapped = checker.check(facts)
    if not mapped:
        return []
    # Reduce: merge while the facts do not fit one call, then once more to order and trim.
    current = mapped
    for _ in range(4):
        lines = [f"- {b.text} " + "".join(f"[{sources.number(d)}]" for d in b.citations) for b in current]
        groups = _groups_within(lines, backend.count_tokens, budget)
        merged: list[Bullet] = []
        for group in groups:
            messages = load_prompt("reduce_merge", prompts_dir).render(
                topic=topic, facts="\n".join(lines[i] for i in group), max_bullets=max_bullets)
            result = backend.generate(messages, params)
            add(result)
            merged.extend(checker.check(parse_bullets(result.text)))
        if not merged:
            return current[:max_bullets]  # the merge produced nothing usable: keep the mapped facts
        current = merged
        if len(groups) == 1:
            break
    return current


def _truncate_tokens(backend: Backend, text: str, budget: int) -> str:
    while backend.count_tokens(text) > budget and len(text) > 200:
        text = text[: int(len(text) * 0.9)]
    return text
