"""Answers that combine sources: evidence for each hop of a question, then an answer composed from the hops.

Each claim of an :class:`~briefkit.briefs.questions.Analysis` is one hop. Its evidence is searched for with the source
(and date) the claim names as filters, and its best sentences are kept with their documents and dates. A hop
whose best sentence does not clear ``[ask] min_hop_relevance`` has no evidence, and the answer abstains naming
it. Otherwise:

- yes/no about sources agreeing ("was there consistency ...", "did X change ..."): the hops conflict when two
  of them give different values for the same quantity (:func:`~briefkit.attribution.verify.disagree`);
- yes/no about what each source says: the hops' claims are supported by their evidence when the support
  scorer's mean expected points reach ``[ask] min_claim_support``, or, with a model of 0.5B+ parameters
  loaded, when the model says yes for at least half the hops;
- yes/no "did A ... before B ...", and "before or after": the publication dates of the hops' documents;
- which one of two sources: the source whose evidence best supports what the question asks about;
- entity: the name the hops' evidence shares (the one in most hops, then most often), never one the question
  itself contains.

What it leaves out: arithmetic across hops, dates stated inside the text (only publication dates are compared)
and coreference between hops.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

from ..attribution.evidence import Evidence, gather
from ..attribution.realise import model_params
from ..attribution.select import Scored, content_words, score
from ..text.figures import disagree
from ..text.lexicon import MONTHS
from .questions import Analysis, Claim

HOP_SENTENCES = 3  # best sentences kept per hop
ENTITY_SENTENCES = 6  # sentences per hop searched for a shared name
JUDGE_MIN_PARAMS = 0.5e9  # smaller models do not judge claims; the scorer does
_CLAIM_LEAD = re.compile(
    r"^.*?\b(?:suggest|say|report|claim|indicate|impl|state|mention|describe|show|attribute|discuss|focus|"
    r"highlight|portray|note|emphasi[sz]|argue|anticipate|present)\w*\s+(?:on\s+|that\s+)?", re.I)
_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’&.-]*(?:[ -](?:[A-Z][\w'’&.-]*|of|de|van|von))*")
# words that open sentences or precede names: never a name, nor the start of one
_NOT_NAMES = re.compile(rf"^(?:{MONTHS}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|I|A|An|The|This|"
                        r"That|These|Those|It|Its|He|She|They|We|You|His|Her|Their|Our|My|But|And|Or|If|When|While|"
                        r"As|In|On|At|For|From|By|To|Of|With|Without|After|Before|Since|So|Yet|Still|Also|There|"
                        r"Here|Now|Then|What|Who|Why|How|Which|Where|One|Two|No|Yes|Not|All|Some|Many|Most|Every|"
                        r"Because|During|Despite|Although|Though|However|Meanwhile|Instead|According|Last|Next|"
                        r"Former|Earlier|Later|Today|Yesterday|Tomorrow|Just|Even|Only|Once|Both|Each|Other|Another|"
                        r"Like|Unlike|Using|Additionally|Furthermore|Moreover|Overall|Hundreds|Thousands|Millions|"
                        r"Dozens|Week|Weeks|Day|Days|Year|Years|Month|Months|Season|Game|Part|Chapter|Episode|"
                        r"Mr|Mrs|Ms|Dr|Sen|Rep|CEO|CFO|CTO|COO|Chief|President|Founder|Judge|Prosecutors?|Attorneys?|"
                        r"Co-founder|Executive|Chairman|Director|Head|Coach|Quarterback|Star|Officials?)$")


_TITLES = re.compile(r"^(?:CEO|CFO|CTO|COO|Chief|President|Founder|Co-founder|Chairman|Chairwoman|Judge|Coach|"
                     r"Quarterback|Senator|Sen|Rep|Minister|Secretary|Director|Officer|Executive|Mr|Mrs|Ms|Dr)\.?$")
_PERSON = re.compile(r"^(?:who|whom|whose|individual|person|people|executive|ceo|founder|co-founder|player|coach|"
                     r"athlete|singer|artist|actor|actress|author|journalist|politician|leader|figure|entrepreneur|"
                     r"billionaire|quarterback|manager|celebrity|star|musician)$", re.I)


@dataclass
class Hop:
    claim: Claim
    evidence: list[Scored] = field(default_factory=list)  # best first
    verdict: str = "no evidence"
    support: float | None = None

    def to_json(self) -> dict:
        return {**self.claim.to_json(), "verdict": self.verdict,
                "support": None if self.support is None else round(self.support, 3),
                "evidence": [{**s.evidence.to_json(), "source": s.evidence.source, "date": s.evidence.date}
                             for s in self.evidence]}


@dataclass
class Composed:
    answer: str
    hops: list[Hop]
    evidence: list[Evidence]  # the sentences the answer rests on
    abstained: bool = False


def answer_score(s: Scored) -> float:
    """How well a sentence answers a question or a hop: 0.6 dense relevance + 0.4 lexical overlap."""
    return 0.6 * s.relevance + 0.4 * s.lexical


def gather_hops(ws, analysis: Analysis, k: int) -> list[Hop]:
    """Evidence for each claim, searched within the source and date it names (a date that finds nothing is
    dropped); sentences on the hop's own words, the whole question's when the claim is short."""
    hops, seen = [], set()
    for claim in analysis.claims:
        if (claim.source, claim.date) in seen and claim.source:
            continue
        seen.add((claim.source, claim.date))
        query = claim.text if len(content_words(claim.text)) >= 4 else analysis.question
        passages = ws.search(query, k=k, mode="hybrid", mmr=False, source=claim.source,
                             since=claim.date, until=claim.date)
        if not passages and claim.date:
            passages = ws.search(query, k=k, mode="hybrid", mmr=False, source=claim.source)
        evidence, _ = gather(passages)
        scored = sorted(score(query, evidence, ws.query_embedder), key=lambda s: -answer_score(s))
        hops.append(Hop(claim, scored[:ENTITY_SENTENCES]))  # entity questions search the most; others keep fewer
    return hops


def compose(ws, analysis: Analysis, hops: list[Hop], floor: float, backend=None) -> Composed:
    """The answer from the hops' evidence, or an abstention naming the first hop without evidence."""
    for hop in hops:
        hop.verdict = "evidence" if hop.evidence and answer_score(hop.evidence[0]) >= floor else "no evidence"
    silent = [h for h in hops if h.verdict == "no evidence"]
    if not hops or (silent and (analysis.kind != "entity" or len(silent) == len(hops))):
        where = _hop_name(silent[0]) if silent else "the question"
        for h in hops:
            h.evidence = h.evidence[:HOP_SENTENCES] if h.verdict == "evidence" else []
        return Composed(f"no evidence for {where}", hops, [], abstained=True)
    hops = [h for h in hops if h.verdict == "evidence"]
    if analysis.kind == "entity":
        docs = {s.evidence.doc_id for h in hops for s in h.evidence}
        return _entity(analysis, hops, {d: ws.store.get_document(d).text for d in docs})
    for h in hops:
        h.evidence = h.evidence[:HOP_SENTENCES]
    if analysis.kind == "temporal order" or analysis.order:
        return _order(analysis, hops)
    if analysis.kind == "comparison":
        return _which(ws, analysis, hops)
    if analysis.polarity:
        return _agreement(analysis, hops)
    return _claims(ws, analysis, hops, backend)


def _hop_name(hop: Hop) -> str:
    where = hop.claim.source or "the question"
    return where + (f" on {hop.claim.date}" if hop.claim.date else "")


def _say(verdict: bool, deciding: list[Evidence], words: tuple[str, str] = ("Yes", "No")) -> str:
    """The verdict as its word, then the sentences that decide it, each with its source and date."""
    quoted = "; ".join(f"{e.source or e.title or e.doc_id}{f' ({e.date})' if e.date else ''}: “{e.text}”"
                       for e in deciding)
    return f"{words[0] if verdict else words[1]}." + (f" {quoted}" if quoted else "")


def _agreement(analysis: Analysis, hops: list[Hop]) -> Composed:
    conflicts = [(a, b) for h1, h2 in combinations(hops, 2) for a in h1.evidence[:1] for b in h2.evidence[:1]
                 if disagree(a.evidence.text, b.evidence.text)]
    for h in hops:
        h.verdict = "conflicts with another hop" if any(h.evidence[0] in pair for pair in conflicts) else "consistent"
    deciding = [s.evidence for pair in conflicts[:1] for s in pair] or [h.evidence[0].evidence for h in hops]
    yes = bool(conflicts) if analysis.polarity == "change" else not conflicts
    return Composed(_say(yes, deciding, analysis.choices or ("Yes", "No")), hops, deciding)


def claim_core(text: str) -> str:
    """A claim without its reporting frame: "Does the Verge article suggest that X" -> "X"."""
    core = _CLAIM_LEAD.sub("", text, count=1).strip(" ,?'\"")
    return core if len(content_words(core)) >= 2 else text


def _claims(ws, analysis: Analysis, hops: list[Hop], backend) -> Composed:
    cfg = ws.settings.ask
    judge = backend is not None and (model_params(backend.model_name) or 0) >= JUDGE_MIN_PARAMS
    verdicts = _judge(backend, hops) if judge else None
    from ..scoring.base import cover

    for n, h in enumerate(hops):
        match = cover(ws.support_scorer, [claim_core(h.claim.text)], [s.evidence.text for s in h.evidence])[0]
        h.support = match.score
        if match.bullet is not None:
            h.evidence.insert(0, h.evidence.pop(match.bullet))
        if verdicts is not None:
            h.verdict = "supported (model)" if verdicts[n] else "not supported (model)"
    mean = sum(h.support for h in hops) / len(hops)  # the scorer: the hops' claims together
    yes = mean >= cfg.min_claim_support
    if verdicts is None:
        for h in hops:
            h.verdict = "supported" if h.support >= cfg.min_claim_support else "not supported"
    else:  # either judge: the model's yes for at least half the hops, or the scorer's mean
        yes = yes or 2 * sum(verdicts) >= len(verdicts)
    weakest = min(hops, key=lambda h: h.support)
    deciding = [h.evidence[0].evidence for h in hops] if yes else [weakest.evidence[0].evidence]
    return Composed(_say(yes, deciding), hops, deciding)


def _judge(backend, hops: list[Hop]) -> list[bool]:
    """The model's yes/no on each hop's claim against its evidence (prompts/judge_claim.md)."""
    from ..llm.base import GenerationParams, yes_no_value
    from ..prompts import load_prompt

    prompt = load_prompt("judge_claim")
    requests = [prompt.render(claim=claim_core(h.claim.text), evidence="\n".join(s.evidence.text for s in h.evidence))
                for h in hops]
    replies = backend.generate_batch(requests, GenerationParams(max_tokens=3, temperature=0.0))
    return [yes_no_value(r.text) == 1.0 for r in replies]


def _order(analysis: Analysis, hops: list[Hop]) -> Composed:
    dated = [(h, h.evidence[0].evidence.date) for h in hops[:2]]
    for h, d in dated:
        h.verdict = f"published {d}" if d else "undated"
    deciding = [h.evidence[0].evidence for h, _ in dated]
    if len(dated) < 2 or not all(d for _, d in dated) or dated[0][1] == dated[1][1]:
        return Composed("The sources' dates do not say which came first.", hops, deciding, abstained=True)
    first_earlier = dated[0][1] < dated[1][1]
    if analysis.kind == "temporal order":
        return Composed(_say(first_earlier, deciding, ("Before", "After")), hops, deciding)
    return Composed(_say(first_earlier == (analysis.order == "before"), deciding), hops, deciding)


def _which(ws, analysis: Analysis, hops: list[Hop]) -> Composed:
    from ..scoring.base import cover

    asked = re.split(r",\s*(?=which\b)", analysis.question, flags=re.I)[-1]
    for h in hops:
        h.support = cover(ws.support_scorer, [asked], [s.evidence.text for s in h.evidence])[0].score
        h.verdict = f"support {h.support:.2f} for what is asked"
    best = max(hops, key=lambda h: h.support or 0.0)
    return Composed(f"{best.claim.source or best.evidence[0].evidence.title}.", hops, [best.evidence[0].evidence])


def names(text: str) -> list[str]:
    """Capitalised names in ``text`` ("Sam Bankman-Fried", "Google"), possessives dropped, common words and
    titles out ("FTX CEO Sam Bankman-Fried" -> "Sam Bankman-Fried")."""
    found = []
    for m in _NAME.finditer(text):
        name = re.sub(r"['’]s?$", "", m.group(0).rstrip(".,-&"))
        words = [w for w in name.split() if not re.search(r"-(?:based|born|led|owned|backed|era|style)$", w)]
        titles = [i for i, w in enumerate(words) if _TITLES.match(w)]
        if titles:
            words = words[titles[-1] + 1:]
        while words and (_NOT_NAMES.match(words[0]) or words[0] in {"of", "de", "van", "von"}):
            words.pop(0)
        if words and not (len(words) == 1 and len(words[0]) < 2):
            found.append(" ".join(words))
    return found


def _usual_form(key: str, form: str, seen: Counter) -> str:
    """The most frequent name of two to four words ending in ``key`` among the names ``seen`` in the documents
    ("Altman" -> "Sam Altman"), else ``form``."""
    forms = [n for n in seen if n.lower().split()[-1] == key and 2 <= len(n.split()) <= 4]
    return max(forms, key=lambda n: (seen[n], len(n))) if forms else form


def _entity(analysis: Analysis, hops: list[Hop], documents: dict[str, str]) -> Composed:
    asked = analysis.question.lower()
    outlets = [s.lower() for s in analysis.sources]
    person = bool(_PERSON.search(analysis.target or ""))
    tally: dict[str, dict] = {}  # last word -> {hop: its first sentence naming it}, weight, a form seen
    for n, h in enumerate(hops):
        for s in h.evidence[:ENTITY_SENTENCES]:
            for name in dict.fromkeys(names(s.evidence.text)):
                low = name.lower()
                if low in asked or any(low in o for o in outlets):
                    continue
                t = tally.setdefault(low.split()[-1], {"hops": {}, "weight": 0.0, "form": name})
                t["hops"].setdefault(n, s)
                t["weight"] += answer_score(s)
    seen = Counter(n for text in documents.values() for n in names(text))  # read once, not once per name
    for key, t in tally.items():
        t["form"] = _usual_form(key, t["form"], seen)
    if person:  # "who" / "which individual": a first and last name, not an acronym or a company
        tally = {k: t for k, t in tally.items() if len(t["form"].split()) >= 2 and not t["form"].isupper()}
    if not tally:
        for h in hops:
            h.evidence = h.evidence[:HOP_SENTENCES]
        return Composed("no name in the evidence answers it", hops, [], abstained=True)
    best = max(tally.values(), key=lambda t: (len(t["hops"]), t["weight"]))
    for n, h in enumerate(hops):
        first = best["hops"].get(n)
        h.verdict = f"names {best['form']}" if first else f"does not name {best['form']}"
        h.evidence = (([first] if first else [])
                      + [s for s in h.evidence if s is not first][:HOP_SENTENCES - bool(first)])
    deciding = list({s.evidence.doc_id: s.evidence for s in best["hops"].values()}.values())
    return Composed(f"{best['form']}.", hops, deciding)
