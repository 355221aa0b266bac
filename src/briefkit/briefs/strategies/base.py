"""What a summary strategy gets and gives: a :class:`Job` (the topic, its retrieved passages and scored
evidence sentences, the verifier and the model) in, a :class:`Written` (the bullets, verified) out.
Every strategy shows only what :class:`briefkit.attribution.verify.Verifier` passed, and cites a
document only where its own sentence states the bullet (:func:`attribute`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from ...attribution.select import Scored
from ...attribution.verify import Verifier
from ...index.embedders.base import Embedder
from ...llm.base import Backend, GenerationParams
from ...retrieval import Passage
from ...workspace import Workspace
from ..results import Bullet, Stats


@dataclass
class Job:
    """One summary to write."""

    ws: Workspace
    topic: str
    passages: list[Passage]  # retrieved, relevant
    scored: list[Scored]  # every evidence sentence of the passages, scored for the topic
    relevant: list[Scored]  # those above the relevance floor
    embedder: Embedder  # the one that embedded ``scored``
    verifier: Verifier
    backend: Backend | None  # None: no model, the bullets quote their sources
    params: GenerationParams
    max_bullets: int
    stats: Stats
    filters: dict = field(default_factory=dict)  # since, until, source: the retrieval's filters
    on_text: Callable[[str], None] | None = None


@dataclass
class Written:
    bullets: list[Bullet]  # shown, in order
    strategy: str  # the strategy that wrote them (``stuff`` that does not fit becomes ``map-reduce``)
    notices: list[str] = field(default_factory=list)
    rejected: list[Bullet] = field(default_factory=list)  # drafted bullets the verifier hid or replaced
    candidates: list[str] = field(default_factory=list)  # lead sentences of the groups the plan chose among


class Strategy(Protocol):
    def run(self, job: Job) -> Written:
        """Write and verify the job's bullets."""
        ...


def attribute(bullets: list[Bullet], verifier: Verifier) -> list[bool]:
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
