"""Planning: group sentences that state the same fact across documents; one bullet a group.

Grouping is greedy in order of salience: a sentence joins the group whose lead sentence it
paraphrases (embedding cosine at or above ``threshold``) unless the two state different
figures; a document contributes at most one sentence to a group, and a second sentence of
a document already in its best group is dropped as redundant. A group's citations are its
documents, ranked by how closely their sentence matches the lead, capped at
``max_citations``. Groups are chosen by the learned selector's probability that they state an
insight (:mod:`.insight`), or, with the hand-weighted selector, by salience plus support (how many
documents agree) plus corroboration (plus the model's judgement with the judged selector), within a bullet and
word budget; the chosen ones are shown in date order when most
of them state a date (events), else by rank.
Before choosing, :func:`corroborate` searches the corpus with every group's lead for the closest
sentence of each other document: how closely the rest of the corpus states the fact (news repeats what
matters) weighs in the choice, and after choosing, :func:`expand` adds the documents among them that
state it as members. Before ranking, each member is confirmed by the verifier against the lead
(:func:`confirm`), so support counts only documents whose sentence really states the lead's fact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..index.embedders.base import Embedder
from ..retrieval import Passage
from ..text.dates import MONTH_DAY, MONTH_NUMBER
from ..text.figures import conflict
from .evidence import Evidence, gather, passage_sentences, sentence_problem
from .insight import NOVELTY, Selector
from .select import Scored

SUPPORT_WEIGHT = 0.08  # salience added per doubling of agreeing documents
# Corroboration: how closely another document states a group's lead (the cosine of its closest sentence). News repeats
# what matters: SummHay's insights are each stated by 5 or more of a topic's 100 documents, and alone this cosine ranks
# candidates about as well as the whole hand-weighted sum on topic 1 and better on topic 2 (AUC 0.71 and 0.80 against
# 0.73 and 0.69). A group's score gains CORROBORATION_WEIGHT as that cosine goes from CORROBORATION_FROM (a close
# paraphrase) to 1 (the same sentence), nothing below. Picked on SummHay topics 1 and 2 at label level
# (eval/train_selector.py's candidates; the insights the planned leads state: 47.9 -> 56.0 and 23.1 -> 42.5, and
# 46.1 -> 50.4 and 23.1 -> 44.0 on the candidates re-extracted with the vector cache) and on the seed articles,
# whose five overlapping articles repeat commentary in looser paraphrase: a linear gain (2.0 per unit of cosine,
# 53.8 and 45.2 on SummHay) took their facts stated from 12/27 to 6/27; this one keeps 12/27 (BENCHMARKS.md).
CORROBORATION_WEIGHT = 0.5
CORROBORATION_FROM = 0.8
# Score taken off a group per unit of its lead's cosine to the closest lead already chosen (an MMR-style
# plan). 0.2 was picked on SummHay news topics 1 and 2 (bench/summaries.py --part summhay --systems no-llm
# --scorer cosine; 0.1 and 0.35 did worse): topic 1 joint 33.3 -> 35.0, topic 2 23.3 -> 23.4, the
# seed facts unchanged. Picked on the topics it is reported on: there is no held-out topic.
REDUNDANCY = 0.2
# The judged selector: a group's hand-weighted score gains JUDGE_WEIGHT times the generation model's P(yes) that its
# lead answers the topic (:mod:`.judge`). Chosen leave one topic out on SummHay topics 1 and 2 at label level
# (eval/train_selector.py --judge, the 1.5B benchmark model; eval/SELECTOR.md): the insights the planned leads state
# go from 49.1 and 46.3 to 60.0 and 47.9, and every weight from 1.0 to 2.0 beats none on both topics.
JUDGE_WEIGHT = 1.0
# With the model's judgement in the score, the lead's salience counts this share: the model judges relevance to the
# topic better than the embedding does (among SummHay's judged candidates the dense relevance ranks the leads that
# state an insight at chance on topic 2, AUC 0.49), so the embedding gives way to it. Measured on SummHay topics 1
# and 2 (bench/summaries.py --systems judged-1.5b --mmr-by ranking) and the seed topics: 0.75 and 0.5 both beat 1.0
# on SummHay with both scorers; 0.5 more so, but it costs the seeds a fact (12 -> 11 of 27), 0.75 none
# (BENCHMARKS.md, "Less salience where the model judges"). Picked on the topics it is reported on.
JUDGED_SALIENCE = 0.75


@dataclass
class Group:
    members: list[Scored] = field(default_factory=list)  # the lead first, then by closeness to it
    closeness: list[float] = field(default_factory=list)  # cosine of each member to the lead
    judge: float | None = None  # the model's P(yes) that the lead answers the topic (:mod:`.judge`), if asked
    # Per other document than the lead's: its sentence closest to the lead, among those of the passages a corpus
    # search with the lead found that state no other figures, and that cosine (:func:`corroborate`).
    others: dict[str, tuple[Scored, float]] = field(default_factory=dict)
    corroboration: float = 0.0  # the highest cosine of another document's sentence to the lead, figures aside

    @property
    def lead(self) -> Scored:
        return self.members[0]

    @property
    def doc_ids(self) -> list[str]:
        return [m.evidence.doc_id for m in self.members]

    @property
    def corroborated(self) -> float:
        """What corroboration adds to the hand-weighted score (:data:`CORROBORATION_WEIGHT`)."""
        return CORROBORATION_WEIGHT * max(0.0, self.corroboration - CORROBORATION_FROM) / (1.0 - CORROBORATION_FROM)

    @property
    def judged(self) -> float:
        """What the model's judgement adds to the hand-weighted score: :data:`JUDGE_WEIGHT` times its P(yes) that the
        lead answers the topic (0 when it was not asked)."""
        return 0.0 if self.judge is None else JUDGE_WEIGHT * self.judge

    @property
    def unsupported(self) -> float:
        """The hand-weighted score before support: the lead's salience (:data:`JUDGED_SALIENCE` of it once the model
        has judged the group), corroboration and the model's judgement (what :func:`confirm` ranks by, before the
        members it counts are confirmed)."""
        salience = self.lead.salience if self.judge is None else JUDGED_SALIENCE * self.lead.salience
        return salience + self.corroborated + self.judged

    @property
    def score(self) -> float:
        """The hand-weighted score: :attr:`unsupported` plus support (per doubling of members)."""
        return self.unsupported + SUPPORT_WEIGHT * math.log2(len(self.members))

    def keep(self, indices: list[int]) -> None:
        self.members = [self.members[i] for i in indices]
        self.closeness = [self.closeness[i] for i in indices]

    def rank(self, cap: int | None = None) -> None:
        """The lead first, then the other members by closeness to it; at most ``cap`` of them in all."""
        self.keep(([0] + sorted(range(1, len(self.members)), key=lambda i: -self.closeness[i]))[:cap])


def group_sentences(scored: list[Scored], threshold: float) -> list[Group]:
    """Greedy paraphrase groups over ``scored`` (see the module docstring)."""
    groups: list[Group] = []
    for s in sorted(scored, key=lambda x: -x.salience):
        best, best_sim = None, -1.0
        for g in groups:
            sim = float(s.vector @ g.lead.vector)
            if sim >= threshold and sim > best_sim and not conflict(s.evidence.text, g.lead.evidence.text):
                best, best_sim = g, sim
        if best is not None:
            if s.evidence.doc_id not in best.doc_ids:
                best.members.append(s)
                best.closeness.append(best_sim)
            continue  # joined, or a same-document restatement: redundant either way
        groups.append(Group([s], [1.0]))
    for g in groups:
        g.rank()
    return groups


def confirm(groups: list[Group], verifier, keep: int, selector: Selector | None = None) -> list[Group]:
    """The ``keep`` best groups (by the hand-weighted score without support, which is unconfirmed yet; or by the
    ``selector``'s probability), each member confirmed by the support scorer: its sentence must support the lead
    sentence at least in part, else it leaves the group (its document is not cited)."""
    if selector is None:
        top = sorted(groups, key=lambda g: -g.unsupported)[:keep]
    else:
        p = selector.probability(selector.features(groups)) if groups else []
        top = [groups[i] for i in sorted(range(len(groups)), key=lambda i: -p[i])[:keep]]
    pairs = [(g, i) for g in top for i in range(1, len(g.members))]
    scores = verifier.support([g.lead.evidence.text for g, _ in pairs], [g.members[i].evidence.text for g, i in pairs])
    failed = {(id(g), i) for (g, i), value in zip(pairs, scores) if value < verifier.min_support}
    for g in top:
        g.keep([i for i in range(len(g.members)) if (id(g), i) not in failed])
    return top


def corroboration_sentences(passage: Passage) -> list[Evidence]:
    """The usable sentences of a passage: those :func:`corroborate` may count and cite among the ones it reads, and
    what ingest puts in the vector cache ahead of it (:meth:`briefkit.workspace.Workspace.embed_sentences`)."""
    return gather([passage])[0]


def corroborate(groups: list[Group], search: Callable[[np.ndarray], list[list[Passage]]], embedder: Embedder,
                known: list[Scored] = (), min_passage: float = 0.5) -> None:
    """Search the corpus with each group's lead (``search`` takes the leads' vectors, one row a group, and gives
    each its passages) and set :attr:`Group.corroboration`, the highest cosine to the lead of a usable sentence
    (:func:`~.evidence.sentence_problem`) of another document, and :attr:`Group.others`, per other document its
    closest usable sentence that states no other figures than the lead's (the sentences :func:`expand` may cite).

    Corroboration is a measure of salience, not of agreement: a report of the same event with another count
    still says that the corpus talks about it, so its figures are not checked; a citation's are. Only passages
    at ``min_passage`` cosine or more to the lead are read. Sentences already scored (``known``) or in the
    embedder's cache (:meth:`Embedder.stored`) keep their vectors; the rest are embedded once, if usable. The
    quality filter is asked only as far down each lead's ranking as a verdict can change the result (the
    first usable sentence, then each document's closest), not of every sentence read: the results are those
    of filtering first. Nothing is confirmed here: a close sentence may still state another fact (:func:`expand`
    checks before citing it)."""
    if not groups:
        return
    leads = np.stack([g.lead.vector for g in groups])
    vectors = {(s.evidence.doc_id, s.evidence.start): s.vector for s in known}
    hits = [[p for p in ps if p.relevance >= min_passage] for ps in search(leads)]
    read = {p.chunk_id: passage_sentences(p) for ps in hits for p in ps}
    pending = {(e.doc_id, e.start): e for evs in read.values() for e in evs if (e.doc_id, e.start) not in vectors}
    at_hand = embedder.stored([e.text for e in pending.values()])
    vectors.update((key, at_hand[e.text]) for key, e in pending.items() if e.text in at_hand)
    new = [(key, e) for key, e in pending.items() if key not in vectors and sentence_problem(e.text) is None]
    if new:
        vectors.update(zip([key for key, _ in new], embedder.embed([e.text for _, e in new])))
    row = {key: i for i, key in enumerate(vectors)}
    cosines = np.stack(list(vectors.values())) @ leads.T if vectors else np.zeros((0, len(groups)), leads.dtype)
    embedded = {c: [e for e in evs if (e.doc_id, e.start) in row] for c, evs in read.items()}
    for column, (g, passages) in enumerate(zip(groups, hits)):
        evs = [e for p in passages if p.doc_id != g.lead.evidence.doc_id for e in embedded[p.chunk_id]]
        sims = cosines[[row[(e.doc_id, e.start)] for e in evs], column]
        best: dict[str, tuple[Scored, float]] = {}
        closest: float | None = None
        for i in np.argsort(-sims, kind="stable"):  # closest first: a document's first usable sentence is its closest
            e, sim = evs[i], float(sims[i])
            if e.doc_id in best or sentence_problem(e.text):
                continue
            closest = sim if closest is None else closest
            if not conflict(e.text, g.lead.evidence.text):
                best[e.doc_id] = (Scored(e, vectors[(e.doc_id, e.start)], 0.0, 0.0, 0.0), sim)
        g.others, g.corroboration = best, max(0.0, closest) if closest is not None else 0.0


def expand(groups: list[Group], threshold: float, verifier, max_members: int) -> None:
    """Add to each group, from its :attr:`Group.others`, the documents whose sentence paraphrases the lead (at
    ``threshold`` cosine or more: the grouping rule) and which the support scorer confirms, closest first, until it
    has ``max_members``. Only as many as a group has room for are put to the scorer at a time (a round more for
    those whose room a failure left open). Members stay ranked by closeness. A group that was never corroborated
    gains nothing."""
    queues = [sorted(((sim, member) for doc, (member, sim) in g.others.items()
                      if doc not in g.doc_ids and sim >= threshold), key=lambda x: -x[0]) for g in groups]
    while batch := [(g, sim, member) for g, queue in zip(groups, queues)
                    for sim, member in _take(queue, max_members - len(g.members))]:
        scores = verifier.support([g.lead.evidence.text for g, _, _ in batch], [m.evidence.text for _, _, m in batch])
        for (g, sim, member), value in zip(batch, scores):
            if value >= verifier.min_support:
                g.members.append(member)
                g.closeness.append(sim)
    for g in groups:
        g.rank(max_members)


def _take(items: list, n: int) -> list:
    """Remove and return the first ``n`` items of ``items`` (none when ``n`` <= 0)."""
    taken = items[:max(n, 0)]
    del items[:len(taken)]
    return taken


def event_date(group: Group) -> tuple[int, int, int] | None:
    """(year, month, day) of the first month-day date the group's lead states, if any."""
    found = MONTH_DAY.search(group.lead.evidence.text)
    if not found:
        return None
    month, day, year = found.groups()
    fallback_year = (int((group.lead.evidence.date or "0")[:4] or 0) if (group.lead.evidence.date or "")[:4].isdigit()
                     else 0)
    return int(year) if year else fallback_year, MONTH_NUMBER[month], int(day)


def words(group: Group) -> int:
    """Words of the group's lead: what its bullet costs in a word budget (a quoted bullet is its lead)."""
    return len(group.lead.evidence.text.split())


def plan(groups: list[Group], max_bullets: int, max_citations: int, max_words: int | None = None,
         selector: Selector | None = None) -> list[Group]:
    """At most ``max_bullets`` groups, their leads at most ``max_words`` words in all, each capped at
    ``max_citations`` members, in reading order.

    Groups are taken greedily by value less redundancy times the cosine to the closest lead already
    taken, so that two groups saying nearly the same thing below the grouping threshold do not both take
    a bullet. Without a ``selector`` the value is :attr:`Group.score` and the penalty :data:`REDUNDANCY`
    (the hand-weighted plan). With one, the value is its probability that the group states an insight
    (novelty measured against the leads taken so far) and the penalty its ``redundancy``; after the first
    group, none whose probability is below ``stop_below`` times the first one's is taken, so a summary stops
    when nothing left is nearly as likely an insight as its first bullet (a share, not a fixed probability,
    carries across topics whose base rates differ). A group too long for the words left is skipped for a
    shorter one."""
    chosen: list[Group] = []
    groups = sorted(groups, key=lambda g: -g.score)  # ties go to the hand-weighted rank
    if groups:
        leads = np.stack([g.lead.vector for g in groups])
        closest = np.zeros(len(groups))  # cosine of each lead to the closest chosen lead
        x = selector.features(groups) if selector is not None else None
        hand = np.array([g.score for g in groups])
        cost = np.array([words(g) for g in groups])
        open_ = np.ones(len(groups), dtype=bool)
        left = max_words if max_words is not None else math.inf
        first = 0.0  # the first chosen group's probability
        while len(chosen) < max_bullets:
            if selector is None:
                value = hand - REDUNDANCY * closest
            else:
                x[:, NOVELTY] = 1.0 - closest
                p = selector.probability(x)
                open_ &= p >= selector.stop_below * first
                value = p - selector.redundancy * closest
            open_ &= cost <= left
            if not open_.any():
                break
            best = int(np.argmax(np.where(open_, value, -np.inf)))
            open_[best] = False
            left -= cost[best]
            chosen.append(groups[best])
            if selector is not None and len(chosen) == 1:
                first = float(p[best])
            closest = np.maximum(closest, leads @ leads[best])
    for g in chosen:
        g.rank(max_citations)
    dated = [event_date(g) for g in chosen]
    if len(chosen) >= 3 and sum(d is not None for d in dated) * 2 > len(chosen):
        # Mostly events: tell them in order; undated groups keep their rank after the dated ones.
        order = sorted(range(len(chosen)), key=lambda i: (dated[i] is None, dated[i] or (0, 0, 0), i))
        chosen = [chosen[i] for i in order]
    return chosen
