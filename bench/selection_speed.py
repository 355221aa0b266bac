"""What selection costs a summary: corroborate + confirm + plan, against confirm + plan alone.

For each SummHay subtopic (and each seed topic) the stages before selection run once; then the selection
steps run ``--runs`` times in four ways, alternating, and the medians are compared: the hand-weighted
selector without corroboration (confirm the candidate groups' members with the support scorer, plan the
bullets: the default before corroboration); the hand-weighted selector as shipped (a corpus search with
every candidate's lead first, :func:`briefkit.attribution.plan.corroborate`), embedding every sentence the
search finds; the same with the sentence vectors the home's vector cache keeps (HOME/vectors.sqlite: every
run after the first, as for a corpus whose sentences earlier summaries embedded); the learned selector
(with corroboration, embedding every sentence); and, after the cached way's plan, the chosen bullets'
citations (a search of ``citation_k`` passages with each, then :func:`briefkit.attribution.plan.expand`).
Each timed run starts with the support scorer's per-text cache and the memoised sentence filters emptied, as a
new summary's are (a warm cache would time a repeated query, not a summary); the candidates' own passages are
then read again, untimed, as a summary reads them before selection.

    nice -n 10 .venv/bin/python bench/selection_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402
from summaries import OUT, SHARED, SUMMHAY_WORDS, open_topic, workspace  # noqa: E402

from briefkit.attribution import evidence  # noqa: E402
from briefkit.attribution.insight import load_selector  # noqa: E402
from briefkit.attribution.plan import confirm, expand, group_sentences, plan  # noqa: E402
from briefkit.attribution.select import relevant, score  # noqa: E402
from briefkit.attribution.verify import Verifier  # noqa: E402
from briefkit.scoring.base import SupportScorer  # noqa: E402
from briefkit.evaluation.datasets import load_fact_set  # noqa: E402
from briefkit.briefs.strategies.attributed import corroborated  # noqa: E402
from briefkit.index.embedders.cached import uncached  # noqa: E402
from briefkit.briefs.summarise import retrieve_for_topic, summary_evidence  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# (learned selector, corroborated, sentence vectors from the home's vector cache, the chosen bullets' citations)
WAYS = {"hand, no corroboration": (False, False, False, False), "hand": (False, True, False, False),
        "hand, vectors cached": (False, True, True, False), "learned": (True, True, False, False),
        "hand, vectors cached, citations": (False, True, True, True)}


def forget(scorer: SupportScorer) -> None:
    """Empty the support scorer's per-text cache: the learned scorer's encoder's, or the cosine scorer's."""
    if hasattr(scorer, "encoder"):
        scorer.encoder.cache.clear()
    elif hasattr(scorer, "coverage"):
        scorer.coverage._cache.clear()
    else:
        raise TypeError(f"{type(scorer).__name__} has no per-text cache this benchmark knows how to empty")


def selection_s(ws, query: str, k: int, bullets: int, words: int | None, runs: int) -> dict[str, float]:
    """Median seconds of selection on ``query`` for each of :data:`WAYS`."""
    cfg = ws.settings.summarise
    passages = retrieve_for_topic(ws, query, k, None, None, None, cfg.min_relevance)
    every = score(query, summary_evidence(passages)[0], ws.query_embedder)
    scored = relevant(every, cfg.min_relevance)
    verifier = Verifier(ws.support_scorer, cfg.min_support)
    fresh = uncached(ws.query_embedder)  # past the vector cache: embeds every time
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    for _ in range(runs):
        for way, (learned, corroborate, cached, cites) in WAYS.items():
            selector = load_selector() if learned else None
            groups = group_sentences(scored, cfg.group_threshold)  # fresh groups: confirm edits them
            forget(ws.support_scorer)
            evidence.forget()
            summary_evidence(passages)
            start = time.perf_counter()
            if corroborate:
                corroborated(ws, groups, every, ws.query_embedder if cached else fresh)
            chosen = plan(confirm(groups, verifier, keep=3 * bullets, selector=selector), bullets, cfg.max_citations,
                          words, selector)
            if cites:
                corroborated(ws, chosen, every, ws.query_embedder, k=cfg.citation_k)
                expand(chosen, cfg.group_threshold, verifier, cfg.max_citations)
            times[way].append(time.perf_counter() - start)
    return {way: statistics.median(t) for way, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    print(f"# bench/selection_speed.py on {machine()}; load average at start {os.getloadavg()[0]:.2f}")
    rows = []
    for i in (1, 2):
        topic, ws, _, _ = open_topic(SHARED / "data" / "summhay" / f"topic_news{i}.json", "cosine")
        selection_s(ws, topic.subtopics[0].query, 16, 10, SUMMHAY_WORDS, 1)  # warm the scorer up
        for sub in topic.subtopics:
            rows.append((f"topic_news{i}", selection_s(ws, sub.query, 16, 10, SUMMHAY_WORDS, args.runs)))
    seeds = workspace(OUT / "seeds", sorted((SHARED / "seeds").glob("*.txt")))
    for item in load_fact_set(ROOT / "eval" / "seed_facts.jsonl"):
        rows.append(("seeds", selection_s(seeds, item.query, 8, 6, None, args.runs)))
    print("\n| corpus | summaries | " + " | ".join(f"{way} s" for way in WAYS)
          + " | added by corroboration s (max) | added by citations s (max) |")
    print("|---|---:|" + "---:|" * (len(WAYS) + 2))
    for corpus in dict.fromkeys(r[0] for r in rows):
        part = [r[1] for r in rows if r[0] == corpus]
        added = [r["hand"] - r["hand, no corroboration"] for r in part]
        cites = [r["hand, vectors cached, citations"] - r["hand, vectors cached"] for r in part]
        print(f"| {corpus} | {len(part)} | "
              + " | ".join(f"{statistics.fmean(r[way] for r in part):.3f}" for way in WAYS)
              + f" | {statistics.fmean(added):+.3f} ({max(added):+.3f}) |"
                f" {statistics.fmean(cites):+.3f} ({max(cites):+.3f}) |")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
