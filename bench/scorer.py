"""Throughput of the support scorers on SummHay (bullet, insight) pairs, learned against cosine.

    nice -n 10 .venv/bin/python bench/scorer.py [N_SUMMARIES]

Two figures per scorer: pairs/s on the pairs of real summaries (each bullet meets every
insight of its subtopic, as in `eval summhay --score-existing`; texts are encoded once), and
pairs/s when every pair brings two texts never seen before (the worst case, as in a verifier
checking fresh sentences). Each scorer is loaded once before timing; the machine is printed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, peak_rss_mb  # noqa: E402

DATA = Path(os.environ.get("BRIEFKIT_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "data" / "summhay"


def main() -> None:
    import torch

    from briefkit.evaluation.summhay import labelled_summaries, strip_citations
    from briefkit.scoring.load import load_support_scorer

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    summaries = labelled_summaries(DATA / "topic_news2.json")[:n]
    pairs = [(strip_citations(b), c) for s in summaries for c in s.insights.values() for b in s.bullets
             if strip_citations(b)]
    fresh = [(f"{t} ({i})", f"{c} [{i}]") for i, (t, c) in enumerate(pairs[:1000])]  # every text new
    print(f"machine: {machine()}; torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.1f}")
    print(f"{len(pairs)} pairs from {n} summaries of topic_news2; {len(fresh)} all-new pairs")
    for kind in ("learned", "cosine"):
        scorer = load_support_scorer(kind)
        scorer.probabilities(pairs[:32])  # warm up
        for name, batch in (("summaries", pairs), ("all-new texts", fresh)):
            cache = getattr(getattr(scorer, "encoder", None), "cache", None) or getattr(
                getattr(scorer, "coverage", None), "_cache", None)
            if cache is not None:
                cache.clear()
            start = time.perf_counter()
            scorer.probabilities(batch)
            dt = time.perf_counter() - start
            print(f"{kind:8s} {name:14s} {len(batch) / dt:8.0f} pairs/s ({dt:.1f} s)")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
