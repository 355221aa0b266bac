"""The attributed strategies, ``auto`` and ``extractive``: evidence first.

The scored sentences that state the same fact across documents are grouped; a corpus search with each
group's lead finds how closely other documents state it; the plan chooses groups within the bullet (and
word) budget, and the documents found that state a chosen group's fact join its citations; the model
rewrites each group into one sentence (all groups in one batch) and each rewrite is verified against
its group, then by the model itself (``check_rewrites``: by default a model of 1B parameters or more;
:mod:`...attribution.model_check`). A verified rewrite that keeps every figure of the group's lead is shown as
the model's wording;
a failed one, or one that drops a figure (true but thinner than its source), gives way to the group's best
sentence, quoted. Without a model (``extractive``, or ``auto`` when none loads) every bullet is quoted.
Citations are the groups' documents that state the bullet, never the model's guess.
"""

from __future__ import annotations

from ...attribution import model_check
from ...attribution.insight import Selector, load_selector
from ...attribution.judge import judge
from ...attribution.plan import Group, confirm, corroborate, expand, group_sentences, plan
from ...attribution.realise import fuse_request, realise
from ...attribution.select import Scored
from ...attribution.verify import Verifier
from ...llm.base import GenerationParams
from ...text.figures import stated_figures
from ...index.embedders.base import Embedder
from ...workspace import Workspace
from ..results import Bullet
from .base import Job, Written, attribute

FUSE_MAX_TOKENS = 64  # one sentence
FUSE_SENTENCES = 3  # a small model fuses a few sentences well; the rest of the group is cited, not rewritten


class Attributed:
    """``auto`` (the model rewrites each group) or ``extractive`` (it never does)."""

    def __init__(self, rewrite: bool) -> None:
        self.rewrite = rewrite

    def run(self, job: Job) -> Written:
        cfg = job.ws.settings.summarise
        selector = _selector(job)
        with job.stats.evidence_step("group"):
            groups = group_sentences(job.relevant, cfg.group_threshold)
        with job.stats.evidence_step("corroborate"):  # every sentence scored above is embedded once
            corroborated(job.ws, groups, job.scored, job.embedder, job.filters)
        if cfg.selector == "judged" and job.backend is not None:
            groups = sorted(groups, key=lambda g: -g.score)[:cfg.judge_pool]
            with job.stats.timing("judge_s"):
                judge(job.backend, job.topic, groups, cfg.prompts_dir)
        with job.stats.evidence_step("confirm"):
            groups = confirm(groups, job.verifier, keep=3 * job.max_bullets, selector=selector)
        candidates = [g.lead.evidence.text for g in groups]
        with job.stats.evidence_step("plan"):
            groups = plan(groups, job.max_bullets, cfg.max_citations, cfg.max_words, selector)
        with job.stats.evidence_step("expand"):
            if cfg.citation_k > cfg.support_k:  # a deeper search for the chosen bullets' citations
                corroborated(job.ws, groups, job.scored, job.embedder, job.filters, k=cfg.citation_k)
            expand(groups, cfg.group_threshold, job.verifier, cfg.max_citations)
        if job.backend is None or not self.rewrite:
            with job.stats.timing("verify_s"):
                bullets = [_quote(g, []) for g in groups]
                attribute(bullets, job.verifier)
            return _written(job, bullets, "extractive", candidates)
        p = job.params
        fuse = GenerationParams(max_tokens=FUSE_MAX_TOKENS, temperature=p.temperature, seed=p.seed,
                                repetition_penalty=p.repetition_penalty)
        requests = [fuse_request(_fused(g), cfg.prompts_dir, job.backend.model_name) for g in groups]
        sentences, results = realise(job.backend, requests, fuse)
        for r in results:
            job.stats.add(r)
        with job.stats.timing("verify_s"):
            own = model_check.checker(cfg.check_rewrites, job.backend, cfg.prompts_dir)
            bullets = _verify_rewrites(groups, sentences, job.verifier, own)
        return _written(job, bullets, "auto", candidates)


def corroborated(ws: Workspace, groups: list[Group], known: list[Scored], embedder: Embedder,
                 filters: dict | None = None, k: int | None = None) -> None:
    """:func:`corroborate` ``groups`` with a dense search of the workspace's corpus, ``k`` passages a lead (default
    ``support_k``) within ``filters`` (since, until, source); sentences in ``known`` are not embedded again. Nothing
    is searched when ``k`` is 0."""
    k = ws.settings.summarise.support_k if k is None else k
    if k:
        corroborate(groups, lambda vectors: ws.retriever.neighbours(vectors, k, **(filters or {})), embedder,
                    known=known)


def _selector(job: Job) -> Selector | None:
    """The learned selector when it is configured; None for the hand-weighted plan (the judged selector's too: the
    model's judgement joins the hand-weighted score, :attr:`Group.judged`)."""
    cfg = job.ws.settings.summarise
    return load_selector(cfg.selector_weights) if cfg.selector == "learned" else None


def _written(job: Job, bullets: list[Bullet], used: str, candidates: list[str]) -> Written:
    job.stats.model_bullets = sum(b.origin == "model" for b in bullets)
    job.stats.quoted_bullets = len(bullets) - job.stats.model_bullets
    notices = [] if bullets else [f"no sentence of the retrieved passages states a fact about {job.topic!r}"]
    return Written(bullets, used, notices, candidates=candidates)


def _fused(group: Group) -> list[str]:
    """The sentences the model rewrites: the group's lead and its closest paraphrases."""
    return [m.evidence.text for m in group.members[:FUSE_SENTENCES]]


def _quote(group: Group, notes: list[str]) -> Bullet:
    lead = group.lead.evidence
    return Bullet(" ".join(lead.text.split()), group.doc_ids, support=1.0, notes=notes,
                  evidence=[m.evidence for m in group.members], origin="quoted")


def _verify_rewrites(groups: list[Group], sentences: list[str], verifier: Verifier,
                     own: model_check.Checker | None = None) -> list[Bullet]:
    """The model's sentence where it passes verification against its group and against the documents left to
    cite it, keeps every figure of the group's lead and, with ``own`` (the model's check of its wording),
    reaches :data:`model_check.FLOOR`; else the lead, quoted. Either way a bullet cites only the documents whose
    own sentence states it (:func:`_attribute`)."""
    fused = [_fused(g) for g in groups]
    checks = verifier.check(sentences, fused)
    for group, sentence, c in zip(groups, sentences, checks):
        lost = sorted(stated_figures(group.lead.evidence.text) - stated_figures(sentence))
        if c.ok and lost:
            c.ok, c.reasons = False, [f"drops figures of its source: {', '.join(lost)}"]
    model_check.screen(own, sentences, fused, checks)
    bullets = [Bullet(sentence, group.doc_ids, support=c.support, evidence=[m.evidence for m in group.members],
                      origin="model") if c.ok else
               _quote(group, [f"model wording rejected ({'; '.join(c.reasons)}): {sentence}"])
               for group, sentence, c in zip(groups, sentences, checks)]
    for i, ok in enumerate(attribute(bullets, verifier)):
        if not ok:  # the documents that state its core do not support all of it: quote the lead instead
            bullets[i] = _quote(groups[i], [f"model wording rejected (its cited sources do not state all of it):"
                                            f" {sentences[i]}"])
            attribute([bullets[i]], verifier)
    return bullets
