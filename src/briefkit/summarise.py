"""Cited topic summaries, attribution first.

The default (``auto``) runs the stages of :mod:`briefkit.attribution`: retrieve passages,
take their sentences as evidence (furniture filtered out), score them for the topic, group
the sentences that state the same fact across documents, let the model rewrite each group
into one sentence (all groups in one batch), and verify each rewrite against its group. A
verified rewrite is shown as the model's wording; a failed one is replaced by the group's
best source sentence, quoted. Citations are the group's documents, never the model's guess,
and every bullet carries the sentences it rests on.

Strategies: ``auto`` (the above; without a loadable model, the same without rewriting, with
a notice), ``extractive`` (no model: every bullet quotes its group's best sentence),
``stuff`` and ``map-reduce`` (the model drafts and cites, see :mod:`briefkit.drafting`; the
same verifier then keeps, quotes or hides each drafted bullet and reports how many).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from .attribution.evidence import Evidence, gather
from .attribution.insight import load_selector
from .attribution.plan import Group, confirm, expand, group_sentences, plan
from .attribution.realise import fuse_request, realise
from .attribution.select import Scored, relevant, score
from .attribution.verify import Verifier
from .citations import Bullet, CitationChecker, Sources
from .drafting import condense, draft
from .errors import BadInput, ModelUnavailable
from .index.embedder import Embedder
from .llm.base import GenerationParams, GenerationResult
from .retrieval import Passage
from .workspace import Workspace

STRATEGIES = ("auto", "stuff", "map-reduce", "extractive")
FUSE_MAX_TOKENS = 64  # one sentence
FUSE_SENTENCES = 3  # a small model fuses a few sentences well; the rest of the group is cited, not rewritten
QUOTE_MIN_SIMILARITY = 0.6  # a drafted bullet's best evidence sentence must be this close to stand in for it


@dataclass
class Stats:
    """Where the time went and what the verifier did."""

    retrieve_s: float = 0.0
    evidence_s: float = 0.0  # sentences, filter, scoring, grouping
    evidence_steps: dict[str, float] = field(default_factory=dict)  # evidence_s by step (load: the models)
    generate_s: float = 0.0
    prompt_s: float = 0.0
    verify_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    cached_calls: int = 0
    timed_tokens: tuple[int, int] = (0, 0)  # prompt and completion tokens of the calls not served from the cache
    sentences: int = 0  # evidence sentences kept after the filter
    filtered: dict[str, int] = field(default_factory=dict)  # sentences removed, by reason
    model_bullets: int = 0  # shown in the model's wording
    quoted_bullets: int = 0  # the model's wording failed verification (or no model): source quoted
    hidden_bullets: int = 0  # drafted bullets with no evidence to stand in for them

    def add(self, result: GenerationResult) -> None:
        self.generate_s += result.total_s if not result.cached else 0.0
        self.prompt_s += result.prompt_s if not result.cached else 0.0
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
        self.calls += 1
        self.cached_calls += int(result.cached)
        if not result.cached:
            prompt, completion = self.timed_tokens
            self.timed_tokens = (prompt + result.prompt_tokens, completion + result.completion_tokens)

    def to_json(self) -> dict:
        """The figures as JSON. ``tokens_per_s`` is generated tokens over ``generate_s``, the wall time of the
        model calls with their prefill: the same figure whether the backend decodes the requests one after
        another or as one batch (cached answers count neither tokens' time nor seconds; a server backend's
        concurrent requests add up their own times)."""
        prompt, completion = self.timed_tokens
        return {
            "retrieve_s": round(self.retrieve_s, 4),
            "evidence_s": round(self.evidence_s, 4),
            "evidence_steps_s": {k: round(v, 4) for k, v in self.evidence_steps.items()},
            "generate_s": round(self.generate_s, 4),
            "verify_s": round(self.verify_s, 4),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens_per_s": round(completion / self.generate_s, 2) if self.generate_s > 0 else 0.0,
            "prefill_tokens_per_s": round(prompt / self.prompt_s, 2) if self.prompt_s > 0 else 0.0,
            "llm_calls": self.calls,
            "cached_calls": self.cached_calls,
            "evidence_sentences": self.sentences,
            "filtered_sentences": dict(sorted(self.filtered.items())),
            "verification": {"model": self.model_bullets, "quoted": self.quoted_bullets, "hidden": self.hidden_bullets},
        }


@dataclass
class Summary:
    topic: str
    bullets: list[Bullet]  # what is shown, in order; each verified, with citations and evidence
    sources: list[dict]  # the cited documents, numbered in order of first citation
    model: str
    strategy: str
    stats: Stats
    notice: str | None = None
    passages: list[Passage] = field(default_factory=list)
    rejected: list[Bullet] = field(default_factory=list)  # drafted bullets the verifier hid or replaced
    backend: str | None = None  # how the model ran and why that backend was chosen
    candidates: list[str] = field(default_factory=list)  # lead sentences of the groups the plan chose among

    def text(self, evidence: bool = False) -> str:
        """The bullets with [n] source numbers; quoted bullets in quotation marks; ``evidence`` adds their sentences."""
        numbers = {s["doc_id"]: i for i, s in enumerate(self.sources, 1)}
        lines = []
        for b in self.bullets:
            body = f"“{b.text}”" if b.origin == "quoted" else b.text
            body = f"According to {b.according_to}: {body}" if b.according_to else body
            lines.append(f"- {body} " + "".join(f"[{numbers[d]}]" for d in b.citations))
            if evidence:
                lines.extend(f"    [{numbers[e.doc_id]}] {e.text}" for e in b.evidence if e.doc_id in numbers)
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "topic": self.topic,
            "summary": self.text(),
            "bullets": [b.to_json() for b in self.bullets],
            "sources": self.sources,
            "model": self.model,
            "backend": self.backend,
            "strategy": self.strategy,
            "notice": self.notice,
            "rejected": [b.to_json() for b in self.rejected],
            "stats": self.stats.to_json(),
        }


def source_rows(citations: list[str], evidence: list[Evidence]) -> list[dict]:
    """One row per cited document, in order of first citation, with the metadata its evidence carries
    (a cited document may come from the support search rather than the first retrieval)."""
    rows: dict[str, dict] = {}
    for e in evidence:
        rows.setdefault(e.doc_id, {"doc_id": e.doc_id, "title": e.title, "source": e.source, "date": e.date})
    return [rows[d] for d in dict.fromkeys(citations) if d in rows]


def source_name(row: dict) -> str:
    """What a reader calls a source: its outlet, else its title, else its id."""
    return row.get("source") or row.get("title") or row["doc_id"]


def sole_source(citations: list[str], rows: list[dict], passages: list[Passage]) -> str | None:
    """The name of the one document a claim cites, when several documents were retrieved: such a claim
    is shown "According to Anon Blog: ...", not as a plain fact. None otherwise."""
    if len(citations) != 1 or len({p.doc_id for p in passages}) < 2:
        return None
    return next((source_name(r) for r in rows if r["doc_id"] == citations[0]), None)


def name_single_sources(bullets: list[Bullet], rows: list[dict], passages: list[Passage]) -> None:
    """Each bullet's ``according_to`` (:func:`sole_source`)."""
    for b in bullets:
        b.according_to = sole_source(b.citations, rows, passages)


def describe(backend) -> str | None:
    """The backend's own description and the reason it was chosen, when it gives them."""
    if backend is None:
        return None
    parts = [getattr(backend, "description", None), getattr(backend, "reason", None)]
    return " — ".join(p for p in parts if p) or None


def retrieve_for_topic(ws: Workspace, topic: str, k: int, since: str | None, until: str | None,
                       source: str | None, min_relevance: float) -> list[Passage]:
    """Hybrid retrieval diversified across documents (MMR with a same-document penalty), off-topic passages dropped."""
    r = ws.settings.retrieval
    passages = ws.retriever.search(
        topic, k=k, mode="hybrid", candidates=max(r.candidates, 4 * k), rrf_k=r.rrf_k, mmr=True,
        mmr_lambda=r.mmr_lambda, doc_penalty=0.15, since=since, until=until, source=source,
    )
    if not passages:
        return []
    floor = max(min_relevance, 0.5 * max(p.relevance for p in passages))
    return [p for p in passages if p.relevance >= floor]


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
    """Summarise ``topic`` from the workspace's corpus: verified bullets, each with citations and evidence."""
    cfg = ws.settings.summarise
    strategy = strategy or cfg.strategy
    if strategy not in STRATEGIES:
        raise BadInput(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if not topic.strip():
        raise BadInput("the topic is empty")
    if (k is not None and k < 1) or (max_bullets is not None and max_bullets < 1):
        raise BadInput("-k and --max-bullets must be at least 1")
    k = k or cfg.k
    max_bullets = max_bullets or cfg.max_bullets
    stats = Stats()
    start = time.perf_counter()
    passages = retrieve_for_topic(ws, topic, k, since, until, source, cfg.min_relevance)
    stats.retrieve_s = time.perf_counter() - start

    backend, notice = None, None
    if strategy != "extractive":
        try:
            backend = ws.generator(model)
        except ModelUnavailable as exc:
            if strategy != "auto" or model not in (None, "auto") or ws.settings.generation.backend != "auto":
                raise  # a model, backend or strategy the user named is not silently replaced
            notice = f"no generation model could be loaded ({exc}); showing source sentences without rewriting"
    model_name = backend.model_name if backend else "none (extractive)"

    def result(bullets: list[Bullet], used: str, note: str | None, rejected: list[Bullet] | None = None,
               candidates: list[str] | None = None) -> Summary:
        rows = source_rows([d for b in bullets for d in b.citations], [e for b in bullets for e in b.evidence])
        name_single_sources(bullets, rows, passages)
        return Summary(topic, bullets, rows, model_name, used, stats, note, passages,
                       rejected or [], describe(backend), candidates or [])

    if not passages:
        return result([], strategy, f"nothing in the corpus is relevant to {topic!r}; nothing to summarise")

    start = time.perf_counter()
    steps = _Steps(stats.evidence_steps)
    with steps("load"):
        embedder = ws.query_embedder  # evidence is embedded as queries are: the fastest copy of the index's model
    with steps("gather"):
        evidence, stats.filtered = gather(passages)
    with steps("score"):
        all_scored = score(topic, evidence, embedder)
        scored = relevant(all_scored, cfg.min_relevance)
    stats.sentences = len(scored)
    with steps("load"):
        verifier = Verifier(ws.support_scorer, cfg.min_support)
    params = ws.generation_params()

    if strategy in ("stuff", "map-reduce"):
        assert backend is not None
        stats.evidence_s = time.perf_counter() - start
        condensed = condense(embedder, topic, passages, cfg.sentences_per_passage)
        checker = CitationChecker(embedder, Sources.from_passages(condensed), 0.0)
        drafted, used, draft_notice = draft(backend, checker, topic, strategy, max_bullets, cfg.context_tokens,
                                            ws.settings.generation.max_new_tokens, params, stats.add,
                                            cfg.prompts_dir, on_text)
        start = time.perf_counter()
        shown, rejected = _verify_drafts(drafted, all_scored, verifier, embedder, stats)
        stats.verify_s = time.perf_counter() - start
        notes = [n for n in (notice, draft_notice) if n]
        if rejected:
            notes.append(f"the verifier replaced or hid {len(rejected)} of {len(drafted)} drafted bullets")
        return result(shown[:max_bullets], used, "; ".join(notes) or None, rejected)

    selector = load_selector(cfg.selector_weights) if cfg.selector == "learned" else None
    with steps("group"):
        groups = group_sentences(scored, cfg.group_threshold)
    with steps("confirm"):
        groups = confirm(groups, verifier, keep=3 * max_bullets, selector=selector)
    candidates = [g.lead.evidence.text for g in groups]
    with steps("plan"):
        groups = plan(groups, max_bullets, cfg.max_citations, cfg.max_words, selector)
    if cfg.support_k:
        leads = {g.lead.evidence.text: g.lead.vector for g in groups}  # already embedded, by the query embedder

        def search(text: str) -> list[Passage]:
            return ws.retriever.search(text, k=cfg.support_k, mode="dense", since=since, until=until, source=source,
                                       vector=leads.get(text))

        with steps("expand"):  # every sentence scored above is embedded once, relevant or not
            expand(groups, search, embedder, cfg.group_threshold, verifier, cfg.max_citations, known=all_scored)
    stats.evidence_s = time.perf_counter() - start
    if backend is None:
        start = time.perf_counter()
        bullets = [_quote(g, []) for g in groups]
        _attribute(bullets, verifier)
        stats.verify_s = time.perf_counter() - start
        used = "extractive"
    else:
        fuse = GenerationParams(max_tokens=FUSE_MAX_TOKENS, temperature=params.temperature, seed=params.seed,
                                repetition_penalty=params.repetition_penalty)
        sentences, results = realise(backend, [fuse_request(_fused(g), cfg.prompts_dir, backend.model_name)
                                                  for g in groups], fuse)
        for r in results:
            stats.add(r)
        start = time.perf_counter()
        bullets = _verify_rewrites(groups, sentences, verifier)
        stats.verify_s = time.perf_counter() - start
        used = "auto"
    stats.model_bullets = sum(b.origin == "model" for b in bullets)
    stats.quoted_bullets = len(bullets) - stats.model_bullets
    if not bullets:
        notice = notice or f"no sentence of the retrieved passages states a fact about {topic!r}"
    return result(bullets, used, notice, candidates=candidates)


class _Steps:
    """``with steps("name"):`` adds the block's wall time to ``times[name]``."""

    def __init__(self, times: dict[str, float]) -> None:
        self.times = times

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start


def _fused(group: Group) -> list[str]:
    """The sentences the model rewrites: the group's lead and its closest paraphrases."""
    return [m.evidence.text for m in group.members[:FUSE_SENTENCES]]


def _quote(group: Group, notes: list[str]) -> Bullet:
    lead = group.lead.evidence
    return Bullet(" ".join(lead.text.split()), group.doc_ids, support=1.0, notes=notes,
                  evidence=[m.evidence for m in group.members], origin="quoted")


def _attribute(bullets: list[Bullet], verifier: Verifier) -> list[bool]:
    """Keep in each bullet's citations and evidence only the documents whose own sentence states the
    bullet's core (the verifier in ``core`` mode, one sentence at a time), then check that what is left
    still supports the whole bullet. A quoted bullet always keeps the sentence it quotes. Returns, per
    bullet, whether it still stands."""
    pairs = [(b, e) for b in bullets for e in b.evidence]
    checks = verifier.check([b.text for b, _ in pairs], [[e.text] for _, e in pairs], core=True)
    holds = {(id(b), id(e)) for (b, e), c in zip(pairs, checks) if c.ok}
    for b in bullets:
        quoted = " ".join(b.text.split())
        kept = [e for e in b.evidence if (id(b), id(e)) in holds
                or (b.origin == "quoted" and " ".join(e.text.split()) == quoted)]
        dropped = len({e.doc_id for e in b.evidence}) - len({e.doc_id for e in kept})
        if dropped:
            b.notes.append(f"{dropped} document(s) of its group not cited: their sentence does not state it")
        b.evidence = kept
        b.citations = list(dict.fromkeys(e.doc_id for e in kept))
    model = [b for b in bullets if b.origin == "model" and b.evidence]
    whole = dict(zip(map(id, model), verifier.check([b.text for b in model], [[e.text for e in b.evidence[:4]]
                                                                                for b in model])))
    return [bool(b.evidence) and (b.origin != "model" or whole[id(b)].ok) for b in bullets]


def _verify_rewrites(groups: list[Group], sentences: list[str], verifier: Verifier) -> list[Bullet]:
    """The model's sentence where it passes verification against its group and against the documents
    left to cite it, else the group's lead, quoted. Either way a bullet cites only the documents whose
    own sentence states it (:func:`_attribute`)."""
    checks = verifier.check(sentences, [_fused(g) for g in groups])
    bullets = []
    for group, sentence, check in zip(groups, sentences, checks):
        if check.ok:
            bullets.append(Bullet(sentence, group.doc_ids, support=check.support,
                                  evidence=[m.evidence for m in group.members], origin="model"))
        else:
            bullets.append(_quote(group, [f"model wording rejected ({'; '.join(check.reasons)}): {sentence}"]))
    for i, ok in enumerate(_attribute(bullets, verifier)):
        if not ok:  # the documents that state its core do not support all of it: quote the lead instead
            bullets[i] = _quote(groups[i], [f"model wording rejected (its cited sources do not state all of it):"
                                            f" {sentences[i]}"])
            _attribute([bullets[i]], verifier)
    return bullets


def _verify_drafts(drafted: list[Bullet], scored: list[Scored], verifier: Verifier, embedder: Embedder,
                   stats: Stats) -> tuple[list[Bullet], list[Bullet]]:
    """Drafted bullets checked against the closest sentences of their cited documents.

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
        own = sorted((s for s in scored if s.evidence.doc_id in b.citations), key=lambda s: -float(s.vector @ vec))[:3]
        closest.append([s.evidence for s in own])
        best_sim.append(float(own[0].vector @ vec) if own else -1.0)
    checks = verifier.check([b.text for b in drafted], [[e.text for e in ev] for ev in closest])
    passed = [b for b, check in zip(drafted, checks) if check.ok]
    for b, ev, check in zip(drafted, closest, checks):
        if check.ok:
            b.evidence, b.support, b.origin = list(ev), check.support, "model"
    attributed = dict(zip(map(id, passed), _attribute(passed, verifier)))  # cite only documents that state it
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
