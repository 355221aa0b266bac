"""The drafted strategies, for strong models: ``stuff`` (all passages in one prompt) and ``map-reduce``
(cited facts from groups of documents, merged while they do not fit).

The model writes and cites at once; :class:`.citations.Citations` resolves its citations to documents,
and the verifier then keeps each bullet, replaces it by its closest source sentence (quoted), or hides it.
Small models do poorly here: the attributed default (:mod:`.attributed`) is for them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from ...attribution import model_check
from ...attribution.evidence import Evidence
from ...attribution.select import Scored
from ...attribution.verify import Verifier
from ...index.embedders.base import Embedder
from ...llm.base import Backend, GenerationParams, GenerationResult
from ...prompts import load_prompt
from ...retrieval import Passage
from ...text.sentences import split_sentences
from ..results import Bullet, Stats
from .base import Job, Written, attribute
from .citations import Citations, Sources, parse_bullets

_PROMPT_OVERHEAD = 160  # template text and chat markup around the sources
QUOTE_MIN_SIMILARITY = 0.6  # a drafted bullet's best evidence sentence must be this close to stand in for it


class Drafted:
    """``stuff`` or ``map-reduce``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, job: Job) -> Written:
        assert job.backend is not None, "a drafted summary needs a model"
        cfg = job.ws.settings.summarise
        condensed = condense(job.embedder, job.topic, job.passages, cfg.sentences_per_passage)
        citations = Citations(job.embedder, Sources.from_passages(condensed))
        drafted, used, notice = draft(job.backend, citations, job.topic, self.name, job.max_bullets,
                                      cfg.context_tokens, job.ws.settings.generation.max_new_tokens, job.params,
                                      job.stats.add, cfg.prompts_dir, job.on_text)
        with job.stats.timing("verify_s"):
            own = model_check.checker(cfg.check_rewrites, job.backend, cfg.prompts_dir)
            shown, rejected = _verify_drafts(drafted, job.scored, job.verifier, job.embedder, job.stats, own)
        notices = [notice] if notice else []
        if rejected:
            notices.append(f"the verifier replaced or hid {len(rejected)} of {len(drafted)} drafted bullets")
        return Written(shown[:job.max_bullets], used, notices, rejected)


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


def draft(backend: Backend, citations: Citations, topic: str, strategy: str, max_bullets: int,
          context_tokens: int, max_new_tokens: int, params: GenerationParams, add: Callable[[GenerationResult], None],
          prompts_dir: str | None,
          on_text: Callable[[str], None] | None = None) -> tuple[list[Bullet], str, str | None]:
    """Drafted, citation-checked bullets, the strategy used and a notice (``stuff`` that does not fit becomes
    map-reduce)."""
    sources = citations.sources
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
        return citations.resolve(parse_bullets(result.text)), strategy, notice
    return (_map_reduce(backend, citations, sources, topic, max_bullets, budget, params, add, prompts_dir),
            strategy, notice)


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


def _map_reduce(backend: Backend, citations: Citations, sources: Sources, topic: str, max_bullets: int,
                budget: int, params: GenerationParams, add: Callable[[GenerationResult], None],
                prompts_dir: str | None) -> list[Bullet]:
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
    for group, result in zip(groups, backend.generate_batch(requests, params)):  # concurrent on server backends
        add(result)
        allowed = {i + 1 for i in group}
        for text, cites in parse_bullets(result.text):
            facts.append((text, [c for c in cites if c in allowed]))
    mapped = citations.resolve(facts)
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
            merged.extend(citations.resolve(parse_bullets(result.text)))
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


def _verify_drafts(drafted: list[Bullet], scored: list[Scored], verifier: Verifier, embedder: Embedder,
                   stats: Stats, own: model_check.Checker | None = None) -> tuple[list[Bullet], list[Bullet]]:
    """Drafted bullets checked against the closest sentences of their cited documents (by the rules, then by
    ``own``, the model's check of its wording, when given).

    A bullet that passes keeps its wording; one that fails is replaced by its closest evidence
    sentence, quoted, when that sentence is close enough to stand in for it, else hidden.
    Returns (shown, rejected).
    """
    if not drafted:
        return [], []
    vectors = embedder.embed([b.text for b in drafted])  # the embedder of ``scored``
    closest: list[list[Evidence]] = []
    best_sim: list[float] = []
    for b, vec in zip(drafted, vectors):
        near = sorted((s for s in scored if s.evidence.doc_id in b.citations), key=lambda s: -float(s.vector @ vec))[:3]
        closest.append([s.evidence for s in near])
        best_sim.append(float(near[0].vector @ vec) if near else -1.0)
    texts, evidence = [b.text for b in drafted], [[e.text for e in ev] for ev in closest]
    checks = verifier.check(texts, evidence)
    model_check.screen(own, texts, evidence, checks)
    passed = [b for b, check in zip(drafted, checks) if check.ok]
    for b, ev, check in zip(drafted, closest, checks):
        if check.ok:
            b.evidence, b.support, b.origin = list(ev), check.support, "model"
    attributed = dict(zip(map(id, passed), attribute(passed, verifier)))  # cite only documents that state it
    shown, rejected = [], []
    seen: set[str] = set()
    for b, ev, sim, check in zip(drafted, closest, best_sim, checks):
        if check.ok and attributed[id(b)]:
            shown.append(b)
            continue
        if check.ok:
            check.reasons.append("its cited sources do not state all of it")
        rejected.append(Bullet(b.text, b.citations, supported=False, support=check.support, notes=check.reasons,
                               evidence=ev))
        if ev and sim >= QUOTE_MIN_SIMILARITY and ev[0].start not in seen:
            seen.add(ev[0].start)
            shown.append(Bullet(" ".join(ev[0].text.split()), [ev[0].doc_id], evidence=[ev[0]], origin="quoted",
                                notes=[f"replaces a drafted bullet ({'; '.join(check.reasons)})"]))
            stats.quoted_bullets += 1
        else:
            stats.hidden_bullets += 1
    stats.model_bullets = sum(b.origin == "model" for b in shown)
    return shown, rejected
