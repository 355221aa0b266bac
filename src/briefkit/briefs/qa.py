"""Retrieval Q&A, evidence first: a short answer resting on source sentences, or an abstention.

The stages are those of summaries (:mod:`briefkit.attribution`): the sentences of the
retrieved passages are scored for the question; a sentence is a candidate when it clears
the relevance floor (``[ask] min_relevance``, calibrated on the sample question set) and
holds what the question asks for (a figure for "how many", a date for "when", a name for
"who"). No candidate: abstain. Otherwise the model phrases a short answer from the best
candidate; the answer is verified against it and, when it fails, the candidate sentence
itself is the answer, quoted. Candidates from other documents that state the same thing
with other figures or dates are shown side by side, each with its source.
"""

from __future__ import annotations

import re
import time

from ..attribution import model_check
from ..attribution.evidence import gather
from ..attribution.realise import answer_request, realise
from ..attribution.select import Scored, content_words, score
from ..attribution.verify import Verifier
from ..errors import BadInput, ModelUnavailable
from ..llm.base import GenerationParams
from ..text.figures import conflict, disagree, key_terms, stem
from ..text.lexicon import MONTHS
from ..text.tense import ends_relation
from ..workspace import Workspace
from .multihop import Hop, answer_score, compose, gather_hops
from .questions import Analysis, Claim, analyse, present_relation
from .results import Answer, Stats, describe, sole_source, source_rows

ABSTENTION = "The corpus does not contain an answer to this question."
ANSWER_MAX_TOKENS = 48
# Cosine at which another source's sentence, naming the same entity, speaks to the same point. 0.45 until int8
# evidence vectors were embedded one sentence at a time (the vector cache); at 0.43 the answers, citations and
# conflicts on eval/sample_questions.jsonl are those of before.
SAME_CLAIM = 0.43
_WANTS = [  # what a question asks for, and how a sentence shows it holds it
    (re.compile(r"^\s*how (?:old|young)\b|\bage of\b", re.I),
     re.compile(r"\b\d+[- ]years?[- ]old\b|\baged? \d+", re.I)),
    (re.compile(r"^\s*(?:how (?:many|much|long|far|big|large)|what (?:percentage|share|number|amount|price)|"
                r"what is the (?:price|cost|number|population|revenue)|what was the (?:price|cost|number|revenue))\b|"
                r"\b(?:price|cost|revenue|population)\b", re.I), re.compile(r"\d")),
    (re.compile(r"^\s*(?:when|what (?:date|day|year|month)|in which (?:year|month))\b", re.I),
     re.compile(rf"\b(?:{MONTHS})\b|\b(?:19|20)\d\d\b")),
    (re.compile(r"^\s*(?:who|whom|whose)\b", re.I), re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+ [A-Z][a-z]+")),
]


def holds_answer(question: str, sentence: str) -> bool:
    """Whether ``sentence`` holds the kind of thing ``question`` asks for (any sentence does for other questions).
    A question in the present tense about who holds a relation ("Who leads X?") is not answered by a
    sentence that states the relation only as past or ended ("Y, who led X, has left")."""
    relation = present_relation(question)
    if relation and ends_relation(sentence, relation):
        return False
    for wants, shows in _WANTS:
        if wants.search(question):
            return bool(shows.search(sentence))
    return True


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def states_answer(question: str, answer: str, sentence: str) -> bool:
    """Whether ``sentence`` holds at least half of what ``answer`` adds to ``question`` (its words that
    the question lacks, stemmed): "disbanded" for "What happened to the Qwen team?", not just "Qwen team"."""
    focus = _stems(answer) - _stems(question)
    return not focus or len(focus & _stems(sentence)) * 2 >= len(focus)


def candidates(question: str, scored: list[Scored], floor: float) -> list[Scored]:
    """Sentences that clear the floor and hold what the question asks for, best first."""
    found = [s for s in scored if answer_score(s) >= floor and holds_answer(question, s.evidence.text)]
    return sorted(found, key=lambda s: -answer_score(s))


def ask(ws: Workspace, question: str, k: int | None = None, model: str | None = None) -> Answer:
    """Answer ``question`` from the corpus with the sentences it rests on, or abstain."""
    cfg = ws.settings.ask
    question = " ".join(question.split())
    if not question:
        raise BadInput("the question is empty")
    if len(question) > cfg.max_question_chars:
        raise BadInput(f"the question is {len(question)} characters long; the limit is {cfg.max_question_chars}")
    if k is not None and k < 1:
        raise BadInput("-k must be at least 1")
    stats = Stats()
    analysis = analyse(question, ws.store.source_names())
    backend, notice = None, None
    try:
        backend = None if model == "none" else ws.generator(model)
    except ModelUnavailable as exc:
        if model not in (None, "auto") or ws.settings.generation.backend != "auto":
            raise  # a model or backend the user named is not silently replaced
        notice = f"no generation model could be loaded ({exc}); answering with the evidence sentence"
    model_name = backend.model_name if backend else "none (evidence only)"
    if analysis.missing or analysis.multi_hop:
        return _ask_hops(ws, analysis, k or cfg.k, backend, model_name, notice, stats)

    start = time.perf_counter()
    r = ws.settings.retrieval
    passages = ws.retriever.search(question, k=k or cfg.k, mode="hybrid", candidates=r.candidates, rrf_k=r.rrf_k)
    stats.retrieve_s = time.perf_counter() - start

    start = time.perf_counter()
    evidence, stats.filtered = gather(passages)
    scored = score(question, evidence, ws.query_embedder)  # as summarise() embeds evidence
    found = candidates(question, scored, cfg.min_relevance)
    stats.sentences = len(scored)
    stats.evidence_s = time.perf_counter() - start
    if not found:
        return Answer(question, ABSTENTION, [], True, [], model_name, stats, notice=notice, passages=passages,
                      backend=describe(backend))

    best = found[0]
    agreeing, differing = _other_sources(question, best, scored)
    verifier = Verifier(ws.support_scorer, ws.settings.summarise.min_support)
    text, origin, rejected = " ".join(best.evidence.text.split()), "quoted", None
    if backend is not None:
        params = GenerationParams(max_tokens=ANSWER_MAX_TOKENS, temperature=0.0, seed=ws.settings.generation.seed,
                                  repetition_penalty=ws.settings.generation.repetition_penalty)
        phrased, results = realise(backend, [answer_request(question, [best.evidence.text])], params)
        for r in results:
            stats.add(r)
        start = time.perf_counter()
        check = verifier.check(phrased, [[best.evidence.text]])[0]
        if check.ok and not holds_answer(question, phrased[0]):
            check.ok = False
            check.reasons.append("does not hold what the question asks for")
        # the model's check of its wording, as the summariser's settings have it
        own = model_check.checker(ws.settings.summarise.check_rewrites, backend, ws.settings.summarise.prompts_dir)
        model_check.screen(own, phrased, [[best.evidence.text]], [check])
        stats.verify_s = time.perf_counter() - start
        if check.reasons:
            rejected = f"{phrased[0]} ({'; '.join(check.reasons)})"
        else:
            text, origin = phrased[0], "model"
    # another document is cited only when its own sentence states the answer, not just the question's words
    checks = verifier.check([text] * len(agreeing), [[s.evidence.text] for s in agreeing], core=True)
    support = [best.evidence] + [s.evidence for s, c in zip(agreeing, checks)
                                 if c.ok and states_answer(question, text, s.evidence.text)]
    stats.model_bullets, stats.quoted_bullets = int(origin == "model"), int(origin == "quoted")
    shown_conflict = None
    if differing:
        shown_conflict = [{"doc_id": s.evidence.doc_id, "text": " ".join(s.evidence.text.split())} for s in differing]
        text += " Other sources differ: " + "; ".join(f"“{c['text']}”" for c in shown_conflict)
        support += [s.evidence for s in differing]
    citations = list(dict.fromkeys(e.doc_id for e in support))
    rows = source_rows(citations, support)
    return Answer(question, text, citations, False, rows, model_name, stats,
                  evidence=support, origin=origin, conflict=shown_conflict, notice=notice, rejected=rejected,
                  passages=passages, backend=describe(backend), according_to=sole_source(citations, rows, passages),
                  kind=analysis.kind)


def _ask_hops(ws: Workspace, analysis: Analysis, k: int, backend, model_name: str, notice: str | None,
              stats: Stats) -> Answer:
    """A question naming outlets the corpus lacks, or one that combines sources (:mod:`briefkit.briefs.multihop`)."""
    if analysis.missing:
        why = "the corpus has no articles from " + " or ".join(analysis.missing)
        hops = [Hop(Claim(analysis.question, s), verdict="not in the corpus") for s in analysis.missing]
    else:
        start = time.perf_counter()
        hops = gather_hops(ws, analysis, k)
        stats.retrieve_s = time.perf_counter() - start
        start = time.perf_counter()
        composed = compose(ws, analysis, hops, ws.settings.ask.min_hop_relevance, backend)
        stats.evidence_s = time.perf_counter() - start
        hops, why = composed.hops, composed.answer if composed.abstained else None
    reasoning = [h.to_json() for h in hops]
    if why is not None:
        return Answer(analysis.question, f"{ABSTENTION} ({why})", [], True, [], model_name, stats, notice=notice,
                      backend=describe(backend), kind=analysis.kind, reasoning=reasoning)
    citations = list(dict.fromkeys(e.doc_id for e in composed.evidence))
    return Answer(analysis.question, composed.answer, citations, False, source_rows(citations, composed.evidence),
                  model_name, stats, evidence=composed.evidence, origin="composed", notice=notice,
                  backend=describe(backend), kind=analysis.kind, reasoning=reasoning)


def _other_sources(question: str, best: Scored, scored: list[Scored]) -> tuple[list[Scored], list[Scored]]:
    """Sentences of other documents on the same point as ``best`` (close, naming a common name, holding what the
    question asks for): those whose figures do not differ, and those that give another value for the same
    quantity (:func:`~briefkit.attribution.verify.disagree`), two of each at most. A sentence with other
    figures about something else is neither."""
    names = {t for t in key_terms(best.evidence.text) if not t[0].isdigit()}
    agreeing, differing, seen = [], [], {best.evidence.doc_id}
    for s in sorted(scored, key=lambda x: -answer_score(x)):
        text = s.evidence.text
        if (s.evidence.doc_id in seen or float(s.vector @ best.vector) < SAME_CLAIM
                or not names & key_terms(text) or not holds_answer(question, text)):
            continue
        if disagree(best.evidence.text, text):
            differing.append(s)
        elif not conflict(best.evidence.text, text):
            agreeing.append(s)
        else:
            continue  # other figures, about something else: neither agreement nor a conflict
        seen.add(s.evidence.doc_id)
    return agreeing[:2], differing[:2]
