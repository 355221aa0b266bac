"""Retrieval Q&A: a short answer grounded in retrieved passages, with citations, or an abstention.

The answer abstains when retrieval finds nothing relevant enough, when the model says the
sources do not hold the answer, or when a number, date or name in the answer is absent
from every given passage. When the most similar sentences of different sources give
different dates or figures, the answer says so and cites both.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from .citations import CitationChecker, Sources, missing_terms, parse_bullets
from .errors import BadInput
from .retrieval import Passage
from .prompts import load_prompt
from .summarise import Stats, condense
from .workspace import Workspace

ABSTAIN_MARK = "NOT IN SOURCES"
ABSTENTION = "The corpus does not contain an answer to this question."
_MONTH_DAY = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December) (\d{1,2})\b")


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[str]
    abstained: bool
    sources: list[dict]
    model: str
    stats: Stats
    conflict: str | None = None
    rejected: str | None = None  # a draft answer replaced by an abstention, and why
    passages: list[Passage] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": self.citations,
            "abstained": self.abstained,
            "sources": self.sources,
            "model": self.model,
            "conflict": self.conflict,
            "rejected": self.rejected,
            "stats": self.stats.to_json(),
        }


def ask(ws: Workspace, question: str, k: int | None = None, model: str | None = None) -> Answer:
    """Answer ``question`` from the corpus, citing documents, or abstain."""
    cfg = ws.settings.ask
    question = " ".join(question.split())
    if not question:
        raise BadInput("the question is empty")
    if len(question) > cfg.max_question_chars:
        raise BadInput(f"the question is {len(question)} characters long; the limit is {cfg.max_question_chars}")
    stats = Stats()
    start = time.perf_counter()
    r = ws.settings.retrieval
    passages = ws.retriever.search(question, k=k or cfg.k, mode="hybrid", candidates=r.candidates, rrf_k=r.rrf_k)
    passages = [p for p in passages if p.relevance >= cfg.min_relevance]
    stats.retrieve_s = time.perf_counter() - start
    backend = ws.generator(model)

    def abstain(reason: str | None = None, draft: str | None = None) -> Answer:
        return Answer(question, ABSTENTION, [], True, [], backend.model_name, stats,
                      rejected=f"{draft} ({reason})" if draft else None, passages=passages)

    if not passages:
        return abstain()
    passages = condense(ws, question, passages, ws.settings.summarise.sentences_per_passage)
    sources = Sources.from_passages(passages)
    messages = load_prompt("answer").render(sources=sources.render(), question=question)
    params = ws.generation_params()
    params.max_tokens = min(params.max_tokens, 96)
    result = backend.generate(messages, params)
    stats.add(result)
    draft = result.text.strip()
    if not draft or ABSTAIN_MARK.lower() in draft.lower() or _says_unknown(draft):
        return abstain()

    checker = CitationChecker(ws.embedder, sources, ws.settings.summarise.min_support)
    verdict = verify_answer(draft, checker, ws)
    if verdict.reason:
        return abstain(verdict.reason, draft)
    return Answer(question, verdict.text, verdict.citations, False, sources.rows(verdict.citations),
                  backend.model_name, stats, conflict=verdict.conflict, passages=passages)


@dataclass
class Verdict:
    text: str
    citations: list[str]
    reason: str | None = None  # why the draft must be replaced by an abstention
    conflict: str | None = None


def verify_answer(draft: str, checker: CitationChecker, ws: Workspace) -> Verdict:
    """Check a drafted answer against the passages it was given.

    Citations to sources not given are dropped; an uncited answer is attached to its best
    source. The answer is rejected when a number, date or name in it appears in no passage,
    or when the passages holding its figures do not support it. Citations move to the
    passages that hold the figures; a date that other sources give differently is reported.
    """
    sources = checker.sources
    items = parse_bullets(draft)
    text = " ".join(t for t, _ in items) or " ".join(draft.split())
    checked = checker.check([(text, [c for _, cites in items for c in cites])])
    if not checked:
        return Verdict(text, [], "no given passage supports it")
    absent = missing_terms(text, checker.evidence(sources.doc_ids))
    if absent:
        return Verdict(text, [], "not in any passage: " + ", ".join(sorted(absent)))
    citations = checked[0].citations
    if missing_terms(text, checker.evidence(citations)):  # the figures are in other passages: cite those
        holding = [d for d in sources.doc_ids if not missing_terms(text, checker.evidence([d]))]
        citations = holding[:2] or citations
    if checker.support(text, citations) < checker.min_support:
        return Verdict(text, [], "the cited passages do not support it")
    conflict, others = _find_conflict(ws, sources, text, citations)
    if conflict:
        citations = list(dict.fromkeys(citations + others))
        text = f"{text} Sources disagree: {conflict}"
    return Verdict(text, citations, None, conflict)


def _says_unknown(text: str) -> bool:
    lowered = text.lower()
    return any(p in lowered for p in ("do not contain", "does not contain", "don't contain", "no information",
                                      "not mentioned", "cannot answer", "can't answer", "not provided"))


def _find_conflict(ws: Workspace, sources: Sources, answer: str, cited: list[str]) -> tuple[str | None, list[str]]:
    """Different month-day dates for the answer's claim in the most similar sentences of other sources."""
    answer_dates = {f"{m} {d}" for m, d in _MONTH_DAY.findall(answer)}
    if not answer_dates:
        return None, []
    pairs = [(d, s) for d, s in sources.sentences() if _MONTH_DAY.search(s)]
    if not pairs:
        return None, []
    sims = ws.embedder.embed([s for _, s in pairs]) @ ws.embedder.embed([answer])[0]
    claims: dict[str, str] = {}
    for (doc, sentence), sim in sorted(zip(pairs, sims), key=lambda x: -x[1]):
        if sim < 0.5:
            break
        dates = {f"{m} {d}" for m, d in _MONTH_DAY.findall(sentence)}
        if dates and doc not in claims:
            claims[doc] = sorted(dates)[0]
    differing = {d: v for d, v in claims.items() if v not in answer_dates}
    if not differing:
        return None, []
    agreeing = [d for d, v in claims.items() if v in answer_dates] or cited
    parts = [f"{next(iter(sorted(answer_dates)))} in {', '.join(agreeing)}"]
    parts += [f"{v} in {d}" for d, v in differing.items()]
    return "; ".join(parts) + ".", list(differing)
