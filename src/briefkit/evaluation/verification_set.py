"""The labelled verification set: how often does the verifier let an unfaithful rewrite through?

``eval/verification/pairs.jsonl`` holds (evidence group, candidate sentence) pairs labelled
``faithful`` or ``unfaithful`` with the kind of error (see ``eval/verification/README.md``).
Evidence is stored by reference, as character spans of documents in ``../shared`` (the seed
articles' sentences may not be copied into the project): ``{"corpus", "doc", "start", "end"}``
into the raw text of a seed file, a sample-corpus record or a SummHay document. :func:`load_pairs`
resolves them; :func:`run` checks every candidate with a :class:`~briefkit.attribution.verify.Verifier`
and :func:`figures` sums the outcomes up. This module does not label and does not print.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import BadInput
from ..resources import sample_corpus_path

_ROOT = Path(__file__).resolve().parents[3]  # the checkout (eval/ and ../shared are not in a wheel)
PAIRS = _ROOT / "eval" / "verification" / "pairs.jsonl"
CORPORA = ("seeds", "sample", "summhay-news1", "summhay-news2")
KINDS = ("faithful", "tense", "modality", "cause", "role", "count", "negation", "entity", "merge", "unsupported",
         "garbled")


def shared_root() -> Path:
    """``$BRIEFKIT_SHARED``, else ``shared`` beside the checkout."""
    return Path(os.environ.get("BRIEFKIT_SHARED", _ROOT.parent / "shared"))


def corpus_path(corpus: str, shared: Path | None = None) -> Path:
    """The file (or, for the seeds, folder) a corpus is read from."""
    shared = shared or shared_root()
    paths = {"seeds": shared / "seeds", "sample": sample_corpus_path(),
             "summhay-news1": shared / "data" / "summhay" / "topic_news1.json",
             "summhay-news2": shared / "data" / "summhay" / "topic_news2.json"}
    if corpus not in paths:
        raise BadInput(f"unknown corpus {corpus!r}; use one of {', '.join(CORPORA)}")
    if not paths[corpus].exists():
        raise BadInput(f"{paths[corpus]} is missing: the verification set needs ../shared beside the checkout"
                       " (or BRIEFKIT_SHARED)")
    return paths[corpus]


@lru_cache(maxsize=8)
def corpus_texts(corpus: str, shared: Path | None = None) -> dict[str, str]:
    """Raw text of every document of ``corpus`` by its reference name: the seed file's name (the file's
    text, newlines untranslated), the sample record's id (its ``text``), the SummHay ``document_id``
    (its ``document_text``)."""
    path = corpus_path(corpus, shared)
    if corpus == "seeds":
        return {p.name: p.read_bytes().decode("utf-8") for p in sorted(path.glob("*.txt"))}
    if corpus == "sample":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {r["id"]: r["text"] for r in records}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {d["document_id"]: d["document_text"] for d in data["documents"]}


def locate(sentence: str, text: str) -> tuple[int, int] | None:
    """(start, end) of ``sentence`` in ``text`` when the two agree up to whitespace (runs of spaces,
    newlines and no-break spaces count as one space; zero-width spaces are ignored), else None."""
    chars, where = [], []
    for i, ch in enumerate(text):
        if ch == "\u200b":
            continue
        if ch.isspace():
            if chars and chars[-1] == " ":
                continue
            ch = " "
        chars.append(ch)
        where.append(i)
    wanted = " ".join(sentence.replace("\u200b", "").split())
    at = "".join(chars).find(wanted)
    if not wanted or at < 0:
        return None
    return where[at], where[at + len(wanted) - 1] + 1


@dataclass(frozen=True)
class Span:
    corpus: str
    doc: str
    start: int
    end: int


@dataclass
class Pair:
    id: str
    refs: list[Span]
    evidence: list[str]  # the resolved text of each span
    candidate: str
    label: str  # "faithful" or "unfaithful"
    kind: str  # "faithful" or the kind of error
    origin: str  # "smollm2", "qwen2.5-coder-1.5b" or "hand"
    note: str = ""

    @property
    def faithful(self) -> bool:
        return self.label == "faithful"


def _resolve(ref: dict, where: str, shared: Path | None) -> tuple[Span, str]:
    try:
        span = Span(str(ref["corpus"]), str(ref["doc"]), int(ref["start"]), int(ref["end"]))
    except (KeyError, TypeError, ValueError):
        raise BadInput(f"{where}: an evidence reference needs corpus, doc, start and end: {ref!r}") from None
    texts = corpus_texts(span.corpus, shared)
    if span.doc not in texts:
        raise BadInput(f"{where}: no document {span.doc!r} in corpus {span.corpus!r}")
    text = texts[span.doc]
    if not 0 <= span.start < span.end <= len(text):
        raise BadInput(f"{where}: span {span.start}-{span.end} is out of range for {span.corpus}/{span.doc}"
                       f" ({len(text)} characters)")
    return span, text[span.start:span.end]


def load_pairs(path: Path | None = None, shared: Path | None = None) -> list[Pair]:
    """Every pair of the set with its evidence resolved; a bad line, label or span is an error naming its line."""
    path = Path(path or PAIRS)
    pairs, seen = [], set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            row = json.loads(line)
            refs, evidence = zip(*(_resolve(r, where, shared) for r in row["evidence"]))
            pair = Pair(row["id"], list(refs), list(evidence), row["candidate"], row["label"], row["kind"],
                        row["origin"], row.get("note", ""))
        except (json.JSONDecodeError, KeyError, ValueError) as exc:
            raise BadInput(f"{where}: not a valid pair ({exc})") from None
        if pair.label not in ("faithful", "unfaithful") or pair.kind not in KINDS or \
                (pair.kind == "faithful") != pair.faithful:
            raise BadInput(f"{where}: label {pair.label!r} does not go with kind {pair.kind!r}")
        if pair.id in seen:
            raise BadInput(f"{where}: duplicate id {pair.id!r}")
        seen.add(pair.id)
        pairs.append(pair)
    return pairs


@dataclass
class Outcome:
    pair: Pair
    accepted: bool
    reasons: list[str] = field(default_factory=list)


def run(verifier, pairs: list[Pair]) -> list[Outcome]:
    """Check every candidate against its evidence in one batch, as the summariser does."""
    checks = verifier.check([p.candidate for p in pairs], [p.evidence for p in pairs])
    return [Outcome(p, c.ok, list(c.reasons)) for p, c in zip(pairs, checks)]


def rule(reason: str) -> str:
    """The rule behind a verifier reason: its first phrase ("not in the evidence: Lin" -> "not in the evidence")."""
    return re.split(r"\s*[:(]", reason, maxsplit=1)[0].strip()


@dataclass
class Figures:
    accepted: int  # candidates the verifier accepted, all origins
    accepted_unfaithful: int
    model_faithful: int  # faithful candidates written by a model
    model_faithful_accepted: int
    hand_faithful: int
    hand_faithful_accepted: int
    per_kind: dict[str, tuple[int, int, int]]  # kind -> (n, accepted, rejected), in KINDS order
    false_rejects: dict[str, tuple[int, int]]  # rule -> (faithful candidates it rejected, of those by it alone)
    catches: dict[str, tuple[int, int]]  # rule -> (unfaithful candidates it rejected, of those by it alone)

    @property
    def accepted_unfaithful_share(self) -> float:
        """Unfaithful among the accepted: 1 - the precision of acceptance (target at most 0.02)."""
        return self.accepted_unfaithful / self.accepted if self.accepted else 0.0

    @property
    def model_faithful_acceptance(self) -> float:
        """Faithful model rewrites accepted (recall; target at least 0.80)."""
        return self.model_faithful_accepted / self.model_faithful if self.model_faithful else 0.0

    @property
    def hand_faithful_acceptance(self) -> float:
        return self.hand_faithful_accepted / self.hand_faithful if self.hand_faithful else 0.0


def figures(outcomes: list[Outcome]) -> Figures:
    """Acceptance figures over ``outcomes`` (see :class:`Figures`)."""
    accepted = [o for o in outcomes if o.accepted]
    faithful = [o for o in outcomes if o.pair.faithful]
    model = [o for o in faithful if o.pair.origin != "hand"]
    hand = [o for o in faithful if o.pair.origin == "hand"]
    per_kind = {}
    for kind in KINDS:
        of_kind = [o for o in outcomes if o.pair.kind == kind]
        if of_kind:
            n_accepted = sum(o.accepted for o in of_kind)
            per_kind[kind] = (len(of_kind), n_accepted, len(of_kind) - n_accepted)
    return Figures(
        accepted=len(accepted), accepted_unfaithful=sum(not o.pair.faithful for o in accepted),
        model_faithful=len(model), model_faithful_accepted=sum(o.accepted for o in model),
        hand_faithful=len(hand), hand_faithful_accepted=sum(o.accepted for o in hand),
        per_kind=per_kind, false_rejects=_by_rule(o for o in faithful if not o.accepted),
        catches=_by_rule(o for o in outcomes if not o.accepted and not o.pair.faithful),
    )


def _by_rule(rejected) -> dict[str, tuple[int, int]]:
    """rule -> (candidates it rejected, of those rejected by no other rule), most first."""
    rules, alone = Counter(), Counter()
    for o in rejected:
        names = list(dict.fromkeys(rule(r) for r in o.reasons))
        rules.update(names)
        if len(names) == 1:
            alone[names[0]] += 1
    return {r: (n, alone[r]) for r, n in rules.most_common()}
