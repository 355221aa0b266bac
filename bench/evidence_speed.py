"""Where a summary's time goes, stage by stage: `briefkit summarise` in a fresh process per run.

    .venv/bin/python bench/evidence_speed.py [--runs N] [--strategy extractive|auto] [--model M]
                                             [--baseline-src DIR | --no-baseline] [--summhay N]

Topics: the three seed topics (eval/seed_facts.jsonl over ../shared/seeds) and two over the sample
corpus, and with ``--summhay N`` the first N subtopic queries of SummHay topic_news1 (100 documents);
each home is ingested once into bench/out/. Per topic, the median over ``--runs`` fresh
processes of the wall time and of the stages the summary reports in ``stats``: retrieve, evidence
by step (load: the sentence embedder and support scorer; gather; score; group; confirm; plan;
expand), generate and verify, and the process's CPU time (user + system; on a busy machine the
wall time is longer). These runs start from an empty sentence-vector cache (``HOME/vectors.sqlite``
removed: cold); each is followed by the same summary again (warm: its sentences' vectors are read
from the cache), reported as its evidence and score times and their ratio to the cold run's, beside the
same summary without the cache (as before it; ``cold/none`` is the cache's cost on a first run). The
baseline, run interleaved with it so both see the same load, is
the same code with the evidence embedded and the support checker's encoder run by torch (as before
the ONNX paths), or with ``--baseline-src`` the package of another checkout (e.g. ``git archive
COMMIT src | tar -x -C DIR``, then DIR/src) run in this venv; ``x`` is its median evidence time over
ours. Prints the machine and the load average before and after.

With ``--summhay N`` a second table measures, in this process, what a summary's corroboration embeds: the first
``--sentences`` distinct sentences of the passages a subtopic query finds, embedded by the query model without
the cache, then through an empty cache (cold) and again (warm); medians of ``--runs``, ratios within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OUT = ROOT / "bench" / "out"
BRIEFKIT = [sys.executable, "-c", "from briefkit.cli.app import entry; entry()"]
SAMPLE_TOPICS = ("Qwen team leadership changes", "Qwen downloads and adoption")
STEPS = ("load", "gather", "score", "group", "corroborate", "confirm", "plan", "expand")

# The baseline child: the same CLI with torch encoders for the evidence sentences and the support checker.
TORCH_CHILD = """
from briefkit.scoring import encoders, learned
from briefkit.workspace import Workspace
learned.pair_encoder = lambda quantize=True: encoders.PairEncoder(quantize=quantize)
Workspace.query_embedder = property(lambda self: self.embedder)
from briefkit.cli.app import entry
entry()
"""
# The same CLI without the sentence-vector cache: what every run cost before it.
UNCACHED_CHILD = """
from briefkit.workspace import Workspace
Workspace._load_query_embedder = Workspace._query_model
from briefkit.cli.app import entry
entry()
"""


def homes(summhay: int = 0) -> list[tuple[Path, str]]:
    """(home, topic) pairs; the homes are ingested on first use."""
    seeds, sample = OUT / "seeds", OUT / "sample"
    if not (seeds / "store.sqlite").exists():
        subprocess.run(BRIEFKIT + ["--home", str(seeds), "ingest", *map(str, sorted((SHARED / "seeds").glob("*.txt")))],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not (sample / "store.sqlite").exists():
        subprocess.run(BRIEFKIT + ["--home", str(sample), "ingest", "--sample"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    queries = [json.loads(line)["query"] for line in (ROOT / "eval" / "seed_facts.jsonl").read_text().splitlines()
               if line.strip()]
    cases = [(seeds, q) for q in queries] + [(sample, t) for t in SAMPLE_TOPICS]
    if summhay:
        from briefkit.evaluation.summhay import load_topic, write_documents_jsonl

        topic, home = load_topic(SHARED / "data" / "summhay" / "topic_news1.json"), OUT / "summhay-topic_news1"
        if not (home / "store.sqlite").exists():
            home.mkdir(parents=True, exist_ok=True)
            documents = write_documents_jsonl(topic, home / "documents.jsonl")
            subprocess.run(BRIEFKIT + ["--home", str(home), "ingest", str(documents)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cases += [(home, sub.query) for sub in topic.subtopics[:summhay]]
    return cases


def sentences_cold_warm(home: Path, queries: list[str], count: int, runs: int) -> None:
    """Embedding ``count`` evidence sentences of each query's passages: no cache, cold cache, warm cache."""
    import tempfile

    from briefkit.briefs.summarise import summary_evidence
    from briefkit.config import Settings
    from briefkit.index.embedders.cached import CachedEmbedder, uncached
    from briefkit.index.vector_cache import VectorCache
    from briefkit.workspace import Workspace

    ws = Workspace(Settings().with_overrides(home=home))
    model = uncached(ws.query_embedder)
    print(f"\n{home.name}, {model.name} ({model.backend}), this process, median of {runs}:\n")
    print("| query | sentences | no cache s | cold s | warm s | warm/cold | cold/no cache |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for query in queries:
        texts = list(dict.fromkeys(e.text for e in summary_evidence(ws.search(query, k=4 * count // 5))[0]))[:count]
        times: dict[str, list[float]] = {"none": [], "cold": [], "warm": []}
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                cached = CachedEmbedder(model, VectorCache(Path(tmp) / "vectors.sqlite"))
                for name, embed in (("none", model.embed), ("cold", cached.embed), ("warm", cached.embed)):
                    start = time.perf_counter()
                    embed(texts)
                    times[name].append(time.perf_counter() - start)
                cached.cache.close()
        none, cold, warm = (statistics.median(times[n]) for n in ("none", "cold", "warm"))
        print(f"| {query} | {len(texts)} | {none:.2f} | {cold:.2f} | {warm:.3f} | {warm / cold:.3f} |"
              f" {cold / none:.2f} |")


def forget_vectors(home: Path) -> None:
    """Remove the home's sentence-vector cache (no briefkit process is running on it)."""
    for suffix in ("", "-wal", "-shm"):
        (home / f"vectors.sqlite{suffix}").unlink(missing_ok=True)


def run_once(cmd: list[str], home: Path, topic: str, strategy: str, model: str | None, src: str | None = None) -> dict:
    args = ["--home", str(home), "--json", "summarise", topic, "--strategy", strategy, "--no-cache",
            *(["--model", model] if model else [])]
    env = {**os.environ, "PYTHONPATH": src} if src else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd + args, capture_output=True, text=True, check=True, env=env)
    stats = json.loads(done.stdout)["stats"]
    stats["wall_s"] = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats["cpu_s"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return stats


def median(runs: list[dict], key: str, step: str | None = None) -> float:
    return statistics.median(r.get("evidence_steps_s", {}).get(step, 0.0) if step else r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--strategy", default="extractive", choices=["extractive", "auto"])
    parser.add_argument("--model", default=None, help="the generation model with --strategy auto")
    parser.add_argument("--baseline-src", default=None, help="the baseline is the briefkit package under this folder")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    parser.add_argument("--summhay", type=int, default=0, help="add the first N subtopics of SummHay topic_news1")
    parser.add_argument("--sentences", type=int, default=1000, help="with --summhay: sentences embedded per query")
    parser.add_argument("--sentences-only", action="store_true", help="with --summhay: only the second table")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    OUT.mkdir(parents=True, exist_ok=True)
    cases = homes(args.summhay)
    if not args.sentences_only:
        fresh_processes(cases, args)
    summhay = [(home, topic) for home, topic in cases if home.name.startswith("summhay")]
    if summhay:
        load_before = os.getloadavg()[0]
        sentences_cold_warm(summhay[0][0], [topic for _, topic in summhay], args.sentences, args.runs)
        print(f"\nMachine: {machine()}; load average {load_before:.1f} at start, {os.getloadavg()[0]:.1f} at end.")


def fresh_processes(cases: list[tuple[Path, str]], args: argparse.Namespace) -> None:
    """The first table: each topic's `briefkit summarise` in fresh processes, cold, warm and without the cache."""
    load_before = os.getloadavg()[0]
    ours: dict[tuple, list[dict]] = {case: [] for case in cases}
    warm: dict[tuple, list[dict]] = {case: [] for case in cases}
    none: dict[tuple, list[dict]] = {case: [] for case in cases}
    base: dict[tuple, list[dict]] = {case: [] for case in cases}
    label = "baseline" if args.baseline_src else "torch encoders"
    for _ in range(args.runs):  # interleaved, so that both see the same load
        for home, topic in cases:
            forget_vectors(home)
            ours[home, topic].append(run_once(BRIEFKIT, home, topic, args.strategy, args.model))
            warm[home, topic].append(run_once(BRIEFKIT, home, topic, args.strategy, args.model))
            warm[home, topic][-1]["cache_mib"] = sum(f.stat().st_size for f in home.glob("vectors.sqlite*")) / 2**20
            none[home, topic].append(run_once([sys.executable, "-c", UNCACHED_CHILD], home, topic, args.strategy,
                                              args.model))
            if args.baseline_src:
                base[home, topic].append(run_once(BRIEFKIT, home, topic, args.strategy, args.model, args.baseline_src))
            elif not args.no_baseline:
                base[home, topic].append(run_once([sys.executable, "-c", TORCH_CHILD], home, topic, args.strategy,
                                                  args.model))
    print(f"# bench/evidence_speed.py on {machine()}; load average {load_before:.1f} at start,"
          f" {os.getloadavg()[0]:.1f} at end; `briefkit summarise --strategy {args.strategy}`, fresh process,"
          f" median of {args.runs}" + (f"; baseline: the package in {args.baseline_src}" if args.baseline_src else "")
          + "\n")
    head = ["corpus: topic", "wall s", "process CPU s", "retrieve s", "evidence s", *(f"{s} s" for s in STEPS),
            "generate s", "verify s", "warm: evidence s", "score s", "corroborate s", "evidence warm/cold",
            "cache MiB", "no cache: evidence s", "score s", "corroborate s", "evidence cold/none"]
    if not args.no_baseline:
        head += [f"{label}: wall s", "process CPU s", "evidence s", "x"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for home, topic in cases:
        r, w, n, b = ours[home, topic], warm[home, topic], none[home, topic], base[home, topic]
        row = [f"{home.name}: {topic}", f"{median(r, 'wall_s'):.2f}", f"{median(r, 'cpu_s'):.2f}",
               f"{median(r, 'retrieve_s'):.2f}", f"{median(r, 'evidence_s'):.2f}",
               *(f"{median(r, '', s):.2f}" for s in STEPS), f"{median(r, 'generate_s'):.2f}",
               f"{median(r, 'verify_s'):.2f}", f"{median(w, 'evidence_s'):.2f}", f"{median(w, '', 'score'):.2f}",
               f"{median(w, '', 'corroborate'):.2f}", f"{median(w, 'evidence_s') / median(r, 'evidence_s'):.2f}",
               f"{median(w, 'cache_mib'):.1f}", f"{median(n, 'evidence_s'):.2f}", f"{median(n, '', 'score'):.2f}",
               f"{median(n, '', 'corroborate'):.2f}", f"{median(r, 'evidence_s') / median(n, 'evidence_s'):.2f}"]
        if not args.no_baseline:
            t = median(b, "evidence_s")
            row += [f"{median(b, 'wall_s'):.2f}", f"{median(b, 'cpu_s'):.2f}", f"{t:.2f}",
                    f"{t / median(r, 'evidence_s'):.1f}x"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
