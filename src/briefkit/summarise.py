"""Cited topic summaries: retrieve diverse passages, write bullets, check every citation.

Strategies:
- ``stuff``: all passages in one prompt (when they fit the context budget);
- ``map-reduce``: extract cited facts from groups of passages, then merge them
  (recursively while they do not fit), keeping the citations;
- ``extractive``: no LLM; salient sentences chosen by relevance and MMR, each cited;
- ``auto``: ``stuff`` if the passages fit, else ``map-reduce``; ``extractive`` when no
  generation model can be loaded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .corpus.chunk import split_sentences
from .citations import Bullet, CitationChecker, Sources, parse_bullets
from .errors import BadInput, ModelUnavailable
from .retrieval import Passage, mmr_select
from .llm.base import Backend, GenerationParams, GenerationResult, generate_all
from .prompts import load_prompt
from .workspace import Workspace

STRATEGIES = ("auto", "stuff", "map-reduce", "extractive")
_PROMPT_OVERHEAD = 160  # template text and chat markup around the sources


@dataclass
class Stats:
    retrieve_s: float = 0.0
    generate_s: float = 0.0
    prompt_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    cached_calls: int = 0

    def add(self, result: GenerationResult) -> None:
        self.generate_s += result.total_s if not result.cached else 0.0
        self.prompt_s += result.prompt_s if not result.cached else 0.0
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
        self.calls += 1
        self.cached_calls += int(result.cached)

    def to_json(self) -> dict:
        decode_s = self.generate_s - self.prompt_s
        return {
            "retrieve_s": round(self.retrieve_s, 4),
            "generate_s": round(self.generate_s, 4),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens_per_s": round(self.completion_tokens / decode_s, 2) if decode_s > 0 else 0.0,
            "llm_calls": self.calls,
            "cached_calls": self.cached_calls,
        }


@dataclass
class Summary:
    topic: str
    bullets: list[Bullet]
    sources: list[dict]
    model: str
    strategy: str
    stats: Stats
    notice: str | None = None
    passages: list[Passage] = field(default_factory=list)

    def shown(self, show_unsupported: bool = True) -> list[Bullet]:
        return [b for b in self.bullets if b.supported or show_unsupported]

    def cited_sources(self, show_unsupported: bool = True) -> list[dict]:
        """Sources cited by the shown bullets, in order of first citation (their numbers in ``text``)."""
        order = list(dict.fromkeys(d for b in self.shown(show_unsupported) for d in b.citations))
        by_id = {s["doc_id"]: s for s in self.sources}
        return [by_id[d] for d in order if d in by_id]

    def text(self, show_unsupported: bool = True) -> str:
        numbers = {s["doc_id"]: i for i, s in enumerate(self.cited_sources(show_unsupported), 1)}
        return "\n".join(f"- {b.text} " + "".join(f"[{numbers[d]}]" for d in b.citations)
                         for b in self.shown(show_unsupported))

    def to_json(self) -> dict:
        return {
            "topic": self.topic,
            "summary": self.text(),
            "bullets": [b.to_json() for b in self.bullets],
            "sources": self.cited_sources(),
            "model": self.model,
            "strategy": self.strategy,
            "notice": self.notice,
            "stats": self.stats.to_json(),
        }


def retrieve_for_topic(ws: Workspace, topic: str, k: int, since: str | None, until: str | None,
                       source: str | None, min_relevance: float) -> list[Passage]:
    """Hybrid retrieval diversified across documents (MMR with a same-document penalty)."""
    r = ws.settings.retrieval
    passages = ws.retriever.search(
        topic, k=k, mode="hybrid", candidates=max(r.candidates, 4 * k), rrf_k=r.rrf_k, mmr=True,
        mmr_lambda=r.mmr_lambda, doc_penalty=0.15, since=since, until=until, source=source,
    )
    return _relevant(passages, [p.relevance for p in passages], min_relevance)


def _relevant(items: list, relevance: list[float], min_relevance: float, share_of_best: float = 0.5) -> list:
    """Items at or above ``min_relevance`` and at least ``share_of_best`` of the best item's relevance.

    The relative floor keeps diversification (MMR) from pulling in an off-topic document when
    the on-topic ones are clearly more similar.
    """
    if not items:
        return []
    floor = max(min_relevance, share_of_best * max(relevance))
    return [item for item, r in zip(items, relevance) if r >= floor]


def condense(ws: Workspace, topic: str, passages: list[Passage], keep: int) -> list[Passage]:
    """Keep the ``keep`` sentences of each passage most similar to the topic, in their order.

    Small models write better from a few pointed sentences than from whole chunks, and the
    prompt gets shorter; ``keep=0`` leaves passages whole.
    """
    if keep <= 0 or not passages:
        return passages
    spans = [split_sentences(p.text) for p in passages]
    flat = [p.text[s:e] for p, sp in zip(passages, spans) for s, e in sp]
    sims = ws.embedder.embed(flat) @ ws.embedder.embed([topic])[0]
    out, pos = [], 0
    for p, sp in zip(passages, spans):
        scores = sims[pos : pos + len(sp)]
        pos += len(sp)
        chosen = sorted(np.argsort(-scores)[:keep])
        text = " ".join(p.text[sp[i][0] : sp[i][1]] for i in chosen)
        out.append(replace(p, text=text))
    return out


def summarise(
    ws: Workspace,
    topic: str,
    k: int | None = None,
    model: str | None = None,
    strategy: str | None = None,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    max_bullets: int | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Summary:
    """Summarise ``topic`` from the workspace's corpus with cited bullets."""
    cfg = ws.settings.summarise
    strategy = requested = strategy or cfg.strategy
    if strategy not in STRATEGIES:
        raise BadInput(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if not topic.strip():
        raise BadInput("the topic is empty")
    k = k or cfg.k
    max_bullets = max_bullets or cfg.max_bullets
    stats = Stats()
    start = time.perf_counter()
    passages = retrieve_for_topic(ws, topic, k, since, until, source, cfg.min_relevance)
    stats.retrieve_s = time.perf_counter() - start

    passages = condense(ws, topic, passages, cfg.sentences_per_passage)

    backend: Backend | None = None
    notice = None
    if strategy != "extractive":
        try:
            backend = ws.generator(model)
        except ModelUnavailable as exc:
            if strategy != "auto" or model not in (None, "auto"):
                raise
            notice = f"no generation model could be loaded ({exc}); fell back to the extractive strategy"
            strategy = "extractive"
    model_name = backend.model_name if backend else "none (extractive)"
    sources = Sources.from_passages(passages)
    source_rows = sources.rows()
    if not passages:
        return Summary(topic, [], [], model_name, strategy, stats,
                       notice=f"no passages in the corpus are relevant to {topic!r}; nothing to summarise")

    if strategy == "extractive":
        bullets = _extractive(ws, topic, sources, max_bullets)
        return Summary(topic, bullets, source_rows, model_name, strategy, stats, notice, passages)

    assert backend is not None
    checker = CitationChecker(ws.embedder, sources, cfg.min_support)
    room = backend.context_tokens - ws.settings.generation.max_new_tokens - _PROMPT_OVERHEAD
    budget = max(128, min(cfg.context_tokens, room))
    fits = backend.count_tokens(sources.render()) <= budget
    if strategy == "auto":
        strategy = "stuff" if fits else "map-reduce"
    elif strategy == "stuff" and not fits:
        notice = f"the passages do not fit {model_name}'s context budget ({budget} tokens); used map-reduce"
        strategy = "map-reduce"
    params = ws.generation_params()
    if strategy == "stuff":
        messages = load_prompt("summarise", cfg.prompts_dir).render(sources=sources.render(), topic=topic, max_bullets=max_bullets)
        result = backend.generate(messages, params, on_text)
        stats.add(result)
        drafted = parse_bullets(result.text)
        bullets = checker.check(drafted)
        n_drafted = len(drafted)  # the checker drops uncited claims that no source supports
    else:
        bullets = _map_reduce(backend, checker, sources, topic, max_bullets, budget, params, stats, cfg.prompts_dir)
        n_drafted = len(bullets)
    supported = sum(b.supported for b in bullets)
    if (requested == "auto" and supported * 2 < n_drafted) or not supported:
        if requested == "auto":
            # An unreliable draft: show sentences from the sources instead; keep the draft, flagged, in JSON.
            notice = (f"{model_name} wrote {supported} of {n_drafted} bullets that their sources support;"
                      " showing extractive bullets instead")
            for b in bullets:
                b.supported = False
                b.notes.append("replaced by the extractive fallback")
            return Summary(topic, _extractive(ws, topic, sources, max_bullets) + bullets, source_rows, model_name,
                           f"{strategy}+extractive", stats, notice, passages)
        notice = (notice + "; " if notice else "") + "the model wrote nothing the sources support"
    return Summary(topic, bullets[:max_bullets], source_rows, model_name, strategy, stats, notice, passages)


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
                budget: int, params: GenerationParams, stats: Stats, prompts_dir: str | None) -> list[Bullet]:
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
        stats.add(result)
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
            stats.add(result)
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


def _extractive(ws: Workspace, topic: str, sources: Sources, max_bullets: int) -> list[Bullet]:
    pairs = [(d, s) for d, s in sources.sentences() if len(s.split()) >= 6]
    if not pairs:
        return []
    vecs = ws.embedder.embed([s for _, s in pairs])
    query = ws.embedder.embed([topic])[0]
    relevance = vecs @ query
    order = mmr_select(query, vecs, max_bullets, ws.settings.retrieval.mmr_lambda)
    kept = _relevant(order, [float(relevance[i]) for i in order], ws.settings.summarise.min_relevance)
    return [Bullet(" ".join(pairs[i][1].split()), [pairs[i][0]], supported=True, support=1.0) for i in kept]
