"""What briefkit gives back: bullets and summaries, answers, and the figures of how they were made.
Plain data with their JSON form; the helpers name and number the cited sources."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from ..attribution.evidence import Evidence
from ..llm.base import Backend, GenerationResult
from ..retrieval import Passage


@dataclass
class Bullet:
    text: str
    citations: list[str]  # doc ids, best-supporting first
    supported: bool = True
    support: float = 1.0
    notes: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # the sentences it rests on
    origin: str = "model"  # "model": the model's wording, verified; "quoted": a source sentence
    according_to: str | None = None  # the one source that states it, named when others were retrieved

    def to_json(self) -> dict:
        return {"text": self.text, "citations": self.citations, "origin": self.origin,
                "according_to": self.according_to,
                "evidence": [e.to_json() for e in self.evidence], "supported": self.supported,
                "support": round(self.support, 4), "notes": self.notes}


@dataclass
class Stats:
    """Where the time went and what the verifier did."""

    retrieve_s: float = 0.0
    evidence_s: float = 0.0  # sentences, filter, scoring, grouping
    evidence_steps: dict[str, float] = field(default_factory=dict)  # evidence_s by step (load: the models)
    generate_s: float = 0.0
    prompt_s: float = 0.0
    verify_s: float = 0.0
    judge_s: float = 0.0  # the model judging candidates (the judged selector)
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

    @contextmanager
    def timing(self, figure: str, step: str | None = None) -> Iterator[None]:
        """Adds the block's wall time to the figure named (``verify_s``, ``evidence_s``) and, for a ``step``
        of the evidence stage, to ``evidence_steps[step]``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - start
            setattr(self, figure, getattr(self, figure) + spent)
            if step:
                self.evidence_steps[step] = self.evidence_steps.get(step, 0.0) + spent

    def evidence_step(self, name: str) -> AbstractContextManager[None]:
        """``with stats.evidence_step("group"):`` times one step of the evidence stage."""
        return self.timing("evidence_s", name)

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
            "judge_s": round(self.judge_s, 4),
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


def describe(backend: Backend | None) -> str | None:
    """The backend's own description and the reason it was chosen, when it gives them."""
    if backend is None:
        return None
    parts = [backend.description, backend.reason]
    return " — ".join(p for p in parts if p) or None


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[str]
    abstained: bool
    sources: list[dict]
    model: str
    stats: Stats
    evidence: list[Evidence] = field(default_factory=list)
    origin: str = "model"  # "model": the model's phrasing, verified; "quoted": the evidence sentence
    conflict: list[dict] | None = None  # other sources' differing statements: {doc_id, text}
    notice: str | None = None
    rejected: str | None = None  # the model's phrasing when it failed verification, and why
    backend: str | None = None  # how the model ran and why that backend was chosen
    passages: list[Passage] = field(default_factory=list)
    according_to: str | None = None  # the one source that states it, named when others were retrieved
    kind: str = "open"  # the answer type the question asks for (:data:`briefkit.briefs.questions.KINDS`)
    reasoning: list[dict] = field(default_factory=list)  # multi-source questions: each hop, its evidence, verdict

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": self.citations,
            "abstained": self.abstained,
            "origin": self.origin,
            "according_to": self.according_to,
            "kind": self.kind,
            "reasoning": self.reasoning,
            "evidence": [e.to_json() for e in self.evidence],
            "conflict": self.conflict,
            "sources": self.sources,
            "model": self.model,
            "backend": self.backend,
            "notice": self.notice,
            "rejected": self.rejected,
            "stats": self.stats.to_json(),
        }
