"""Summary quality and latency: SummHay news topics, the seed articles and the Q&A sample set.

SummHay: every subtopic of each topic file is summarised once by each briefkit system and scored
with each local scorer asked for (coverage, citation, joint, faithfulness, latency); the shipped
systems' summaries are re-scored with the same scorers, beside their scores from the shipped GPT-4o labels.
Seeds: eval/seed_facts.jsonl over ../shared/seeds (facts stated, wrong facts, latency).
Q&A: eval/sample_questions.jsonl over the sample corpus.

    .venv/bin/python bench/summaries.py [--part summhay seeds qa latency] [--systems no-llm auto-transformers ...]
    .venv/bin/python bench/summaries.py --part summhay --systems no-llm-hand --scorer cosine learned
    .venv/bin/python bench/summaries.py --part latency --model PATH.gguf

SummHay runs at GPT-4o's length (at most 10 bullets and 250 words) with held-out selector weights: topic
N is summarised by eval/selector-holdout-newsN.json, trained on the other topic (``--selector-weights
shipped`` uses the package's). Each subtopic's funnel shows where insights are lost: coverage by every
retrieved evidence sentence, by the candidate groups' lead sentences, by the bullets shown.
Corpora are ingested once into bench/out/ and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from briefkit.attribution.evidence import gather  # noqa: E402
from briefkit.config import Settings  # noqa: E402
from briefkit.evaluation.summary_eval import score_summary  # noqa: E402
from briefkit.evaluation.summhay import load_topic, shipped_system_scores, write_documents_jsonl  # noqa: E402
from briefkit.evaluation.summhay_run import SUMMHAY_BULLETS, SUMMHAY_WORDS  # noqa: E402
from briefkit.scoring.base import ScorerCoverage
from briefkit.scoring.load import load_support_scorer  # noqa: E402
from briefkit.briefs.summarise import summarise  # noqa: E402
from briefkit.workspace import Workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
OUT = ROOT / "bench" / "out"
# name -> (strategy, generation backend, selector, model); SmolLM2-135M unless a system names another model
BENCH_MODEL = "qwen2.5-coder-1.5b"  # the 1.5B benchmark model (bench/fetch_model.py)
SYSTEMS = {
    "no-llm": ("extractive", "transformers", "learned", "smollm2-135m"),
    "no-llm-hand": ("extractive", "transformers", "hand", "smollm2-135m"),
    "auto-transformers": ("auto", "transformers", "learned", "smollm2-135m"),
    "auto-llamacpp": ("auto", "llamacpp", "learned", "smollm2-135m"),
    "auto-llamacpp-hand": ("auto", "llamacpp", "hand", "smollm2-135m"),
    "stuff-transformers": ("stuff", "transformers", "learned", "smollm2-135m"),
    "judged-1.5b": ("extractive", "llamacpp", "judged", BENCH_MODEL),  # the model judges candidates, never writes
    "auto-judged-1.5b": ("auto", "llamacpp", "judged", BENCH_MODEL),  # it judges and rewrites
    "auto-1.5b-hand": ("auto", "llamacpp", "hand", BENCH_MODEL),  # the default system with the 1.5B model writing
}
MMR_BY: str | None = None  # --mmr-by: [retrieval] mmr_by for every system (None: the configured one)
SHIPPED = ("vector_gpt-4o", "rerank3_gpt-4o", "oracle_gpt-4o", "gemini-1.5-pro", "vector_gpt3.5")


def workspace(home: Path, corpus: list[Path]) -> Workspace:
    ws = Workspace(Settings().with_overrides(home=home), progress=True)
    if not (home / "store.sqlite").exists():
        ws.ingest(corpus)
    return ws


def open_topic(path: Path, scorer_kind: str):
    """A SummHay topic file: (topic, its workspace under bench/out/, the coverage scorer, gold documents per
    insight)."""
    topic = load_topic(path)
    home = OUT / f"summhay-{path.stem}"
    home.mkdir(parents=True, exist_ok=True)
    ws = workspace(home, [write_documents_jsonl(topic, home / "documents.jsonl")])
    return topic, ws, ScorerCoverage(load_support_scorer(scorer_kind, ws.embedder)), topic.insight_documents()


def run_system(ws: Workspace, name: str, query: str, k: int | None, max_bullets: int, max_citations: int = 5,
               max_words: int | None = None, weights: str | None = None):
    strategy, backend, selector, model = SYSTEMS[name]
    derived = ws.derive(generation={"backend": backend, "cache": False}, retrieval={"mmr_by": MMR_BY},
                        summarise={"max_citations": max_citations, "max_words": max_words, "selector": selector,
                                   "selector_weights": weights})
    start = time.perf_counter()
    uses_model = strategy != "extractive" or selector == "judged"
    summary = summarise(derived, query, k=k, model=model if uses_model else None, strategy=strategy,
                        max_bullets=max_bullets)
    return summary, time.perf_counter() - start


def mean(rows: list[dict], key: str) -> float:
    return round(statistics.fmean(r[key] for r in rows), 1) if rows else 0.0


def coverage_of(texts: list[str], insights: dict[str, str], scorer) -> float:
    """SummHay coverage of ``insights`` if every text were a bullet (FULL 100, PARTIAL 50)."""
    points = {"FULL": 100.0, "PARTIAL": 50.0}
    return statistics.fmean(points.get(m.label, 0.0) for m in scorer.score(list(insights.values()), texts))


def selector_weights(path: Path, which: str, system: str) -> str | None:
    """The learned selector's weights ``system`` summarises a topic with: held out (trained on the other topic) or
    shipped (None); None for a system without it."""
    if SYSTEMS[system][2] != "learned" or which != "held-out":
        return None
    return str(ROOT / "eval" / f"selector-holdout-{path.stem.removeprefix('topic_')}.json")


def summhay(paths: list[Path], systems: list[str], scorer_kinds: list[str], k: int, max_citations: int,
            subtopics: int | None, weights: str) -> None:
    """Each system summarises each subtopic once; every summary (and every shipped system's) is scored with each of
    ``scorer_kinds``, and the tables are printed once a scorer."""
    rows: dict[str, dict[str, list[dict]]] = {kind: {s: [] for s in systems} for kind in scorer_kinds}
    shipped: dict[str, dict[str, list[dict]]] = {kind: {} for kind in scorer_kinds}
    funnel: dict[str, list[tuple]] = {kind: [] for kind in scorer_kinds}
    for path in paths:
        topic, ws, first, gold = open_topic(path, scorer_kinds[0])
        scorers = {kind: first if i == 0 else ScorerCoverage(load_support_scorer(kind, ws.embedder))
                   for i, kind in enumerate(scorer_kinds)}
        chosen = topic.subtopics[:subtopics] if subtopics else topic.subtopics
        for name in systems:
            for sub in chosen:
                summary, latency = run_system(ws, name, sub.query, k, SUMMHAY_BULLETS, max_citations, SUMMHAY_WORDS,
                                              selector_weights(path, weights, name))
                st = summary.stats.to_json()
                steps = st["evidence_steps_s"]
                shown = {"topic": path.stem, "latency": latency, "bullets": len(summary.bullets),
                         "words": sum(len(b.text.split()) for b in summary.bullets),
                         "select": steps.get("confirm", 0.0) + steps.get("plan", 0.0), "judge": st["judge_s"],
                         "cites": statistics.fmean(len(b.citations) for b in summary.bullets) if summary.bullets
                         else 0.0, "model_share": st["verification"]["model"] / max(1, len(summary.bullets))}
                retrieved = [e.text for e in gather(summary.passages)[0]] if name == systems[0] else []
                for kind, scorer in scorers.items():
                    scores = score_summary(summary, sub.insights, gold, scorer)
                    rows[kind][name].append({**shown, **{m: scores[m] for m in ("coverage", "citation", "joint",
                                                                                 "faithfulness",
                                                                                 "citation_precision")}})
                    if name == systems[0]:
                        funnel[kind].append((path.stem, sub.subtopic_id, len(sub.insights),
                                             coverage_of(retrieved, sub.insights, scorer),
                                             coverage_of(summary.candidates, sub.insights, scorer), scores["coverage"],
                                             len(summary.bullets)))
                    print(f"  {path.stem} {sub.subtopic_id} {name} ({kind}): cov {scores['coverage']:.0f}"
                          f" cit {scores['citation']:.0f} joint {scores['joint']:.0f} {latency:.1f}s", file=sys.stderr)
        ids = [s.subtopic_id for s in chosen]
        for kind, scorer in scorers.items():
            for system in SHIPPED:
                ours = shipped_system_scores(path, system, ids, scorer)
                labels = shipped_system_scores(path, system, ids)
                if ours and labels:
                    shipped[kind].setdefault(system, []).append({"ours": ours, "labels": labels, "n": len(ids),
                                                                 "topic": path.stem})
    for kind in scorer_kinds:
        print(f"\n## SummHay ({', '.join(p.stem for p in paths)}, {f'first {subtopics}' if subtopics else 'all'}"
              f" subtopics of each; scorer: {kind}; k={k}, at most {SUMMHAY_BULLETS} bullets and {SUMMHAY_WORDS} words,"
              f" at most {max_citations} citations a bullet; selector weights: {weights})")
        report(systems, rows[kind], funnel[kind], shipped[kind])


def report(systems: list[str], rows: dict[str, list[dict]], funnel: list[tuple],
           shipped: dict[str, list[dict]]) -> None:
    """The SummHay tables of one scorer: the systems, the funnel, the shipped systems re-scored, per topic."""
    print("\n| system | coverage | citation | citation precision | joint | faithfulness | bullets | words |"
          " citations a bullet | model wording | select s | judge s | mean s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in systems:
        r = rows[name]
        print(f"| briefkit {name} ({SYSTEMS[name][3]}) | {mean(r, 'coverage')} | {mean(r, 'citation')} |"
              f" {mean(r, 'citation_precision')} | {mean(r, 'joint')} |"
              f" {mean(r, 'faithfulness')} | {mean(r, 'bullets')} | {mean(r, 'words')} |"
              f" {statistics.fmean(x['cites'] for x in r):.2f} |"
              f" {100 * statistics.fmean(x['model_share'] for x in r):.0f}% |"
              f" {statistics.fmean(x['select'] for x in r):.3f} | {statistics.fmean(x['judge'] for x in r):.1f} |"
              f" {statistics.fmean(x['latency'] for x in r):.1f} |")
    print(f"\nFunnel ({systems[0]}): coverage of the subtopic's insights by every retrieved evidence sentence, by the"
          " candidate groups' lead sentences, and by the bullets shown:\n")
    print("| topic | subtopic | insights | retrieved sentences | candidate groups | bullets | bullets shown |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in funnel:
        print(f"| {row[0]} | {row[1]} | {row[2]} | {row[3]:.1f} | {row[4]:.1f} | {row[5]:.1f} | {row[6]} |")
    for stem in dict.fromkeys(r[0] for r in funnel):
        part = [r for r in funnel if r[0] == stem]
        print(f"| {stem} | mean | {statistics.fmean(r[2] for r in part):.1f} |"
              + "".join(f" **{statistics.fmean(r[i] for r in part):.1f}** |" for i in (3, 4, 5))
              + f" {statistics.fmean(r[6] for r in part):.1f} |")
    print("\nShipped systems, re-scored with the same local scorer (and, in brackets, from SummHay's GPT-4o labels):\n")
    print("| system | coverage | citation | joint |")
    print("|---|---:|---:|---:|")
    for system, parts in shipped.items():
        n = sum(p["n"] for p in parts)

        def avg(which: str, metric: str) -> float:
            return round(sum(p[which][metric] * p["n"] for p in parts) / n, 1)

        print(f"| {system} | {avg('ours', 'coverage')} ({avg('labels', 'coverage')}) |"
              f" {avg('ours', 'citation')} ({avg('labels', 'citation')}) |"
              f" {avg('ours', 'joint')} ({avg('labels', 'joint')}) |")
    per_topic(rows, shipped)


def per_topic(rows: dict[str, list[dict]], shipped: dict[str, list[dict]]) -> None:
    """Coverage / citation / joint of each system on each topic, ours and the shipped systems re-scored."""
    print("\nPer topic (coverage / citation / joint; shipped systems re-scored with the same scorer):\n")
    stems = list(dict.fromkeys(r["topic"] for r in next(iter(rows.values()), [])))
    print("| system | " + " | ".join(stems) + " |")
    print("|---|" + "---|" * len(stems))
    for name, r in rows.items():
        cells = [[x for x in r if x["topic"] == t] for t in stems]
        print(f"| briefkit {name} | " + " | ".join(f"{mean(c, 'coverage')} / {mean(c, 'citation')} / {mean(c, 'joint')}"
                                                 for c in cells) + " |")
    for system, parts in shipped.items():
        by = {p["topic"]: p["ours"] for p in parts}
        print(f"| {system} | " + " | ".join(" / ".join(f"{by[t][m]:.1f}" for m in ("coverage", "citation", "joint"))
                                            if t in by else "" for t in stems) + " |")


def seeds(systems: list[str], scorer_kind: str, k: int | None = None) -> None:
    """The seed topics at the user's defaults (``max_bullets``, and ``k`` unless given, from the default profile)."""
    from briefkit.evaluation.datasets import load_fact_set

    items = load_fact_set(ROOT / "eval" / "seed_facts.jsonl")
    ws = workspace(OUT / "seeds", sorted((SHARED / "seeds").glob("*.txt")))
    scorer = ScorerCoverage(load_support_scorer(scorer_kind, ws.embedder))
    print(f"\n## Seed articles (eval/seed_facts.jsonl: {sum(len(i.facts) for i in items)} facts, {len(items)} topics;"
          f" scorer: {scorer_kind}; k={k or ws.settings.summarise.k})")
    print("\n| system | facts stated (full) | partly | citation | joint | wrong bullets | bullets | model wording"
          " | mean s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in systems:
        full = partial = wrong = bullets = worded = 0
        cit, joint, lat = [], [], []
        for item in items:
            facts = {f.id: f.text for f in item.facts}
            gold = {f.id: set(f.gold_docs) for f in item.facts}
            summary, latency = run_system(ws, name, item.query, k, ws.settings.summarise.max_bullets)
            scores = score_summary(summary, facts, gold, scorer)
            full += sum(f["label"] == "FULL" for f in scores["facts"])
            partial += sum(f["label"] == "PARTIAL" for f in scores["facts"])
            shown = len(summary.bullets)
            wrong += round(shown - scores["faithfulness"] * (shown + len(summary.rejected)) / 100)
            bullets += shown
            worded += sum(b.origin == "model" for b in summary.bullets)
            cit.append(scores["citation"])
            joint.append(scores["joint"])
            lat.append(latency)
        total = sum(len(i.facts) for i in items)
        print(f"| {name} | {full}/{total} | {partial} | {statistics.fmean(cit):.1f} | {statistics.fmean(joint):.1f} |"
              f" {wrong} | {bullets} | {worded / max(bullets, 1):.0%} | {statistics.fmean(lat):.1f} |")


def latency(model: str | None) -> None:
    """`briefkit summarise` on the seed topics as a user runs it: a fresh process, default backend and
    settings; ``model`` (e.g. a GGUF path) replaces the default model."""
    import subprocess

    from briefkit.evaluation.datasets import load_fact_set

    home = OUT / "seeds"
    workspace(home, sorted((SHARED / "seeds").glob("*.txt")))
    print(f"\n## `briefkit summarise` on the seed articles, end to end (fresh process, default settings,"
          f" model {model or 'default'})")
    print("\n| topic | wall s | retrieve s | evidence s | generate s | verify s | completion tok/s | model | backend |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for item in load_fact_set(ROOT / "eval" / "seed_facts.jsonl"):
        start = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).parent / "briefkit"), "--home", str(home), "--json",
                               "summarise", item.query, "--no-cache", *(["--model", model] if model else [])],
                              capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        data = json.loads(done.stdout)
        st = data["stats"]
        print(f"| {item.query} | {wall:.1f} | {st['retrieve_s']:.2f} | {st['evidence_s']:.2f} |"
              f" {st['generate_s']:.2f} | {st['verify_s']:.2f} | {st['tokens_per_s']} | {data['model']} |"
              f" {(data['backend'] or '').split(' — ')[0]} |")


def qa() -> None:
    from briefkit.evaluation.datasets import load_question_set
    from briefkit.evaluation.qa_eval import evaluate_questions
    from briefkit.resources import sample_corpus_path

    ws = workspace(OUT / "sample", [sample_corpus_path()])
    questions = load_question_set(ROOT / "eval" / "sample_questions.jsonl")
    print("\n## Q&A (eval/sample_questions.jsonl, sample corpus, SmolLM2-135M)")
    print("\n| backend | accuracy | answerable accuracy | citation correctness | abstention P | abstention R"
          " | mean s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for backend in ("transformers", "llamacpp"):
        r = evaluate_questions(ws.derive(generation={"backend": backend, "cache": False}), questions, "smollm2-135m")
        print(f"| {backend} | {r['accuracy']:.2f} | {r['answer_accuracy']:.2f} | {r['citation_correctness']:.2f} |"
              f" {r['abstention_precision']:.2f} | {r['abstention_recall']:.2f} | {r['latency_mean_s']:.1f} |")
        for item in r["items"]:
            if not item["correct"]:
                print(f"  wrong: {item['question']} -> {item['answer'][:100]}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", nargs="+", default=["summhay", "seeds", "qa", "latency"],
                        choices=["summhay", "seeds", "qa", "latency"])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument("--topics", nargs="+", type=Path,
                        default=[SHARED / "data" / "summhay" / f"topic_news{i}.json" for i in (1, 2)])
    parser.add_argument("--scorer", nargs="+", default=["auto"], choices=["auto", "learned", "cosine"],
                        help="coverage scorers: SummHay scores every summary with each; seeds use the first")
    parser.add_argument("-k", type=int, default=None,
                        help="passages a summary: SummHay 16 unless given, seeds the profile's")
    parser.add_argument("--max-citations", type=int, default=10, help="SummHay: citations a bullet (gold: ~10 docs)")
    parser.add_argument("--subtopics", type=int, default=None, help="SummHay: only the first N subtopics of each topic")
    parser.add_argument("--selector-weights", default="held-out", choices=["held-out", "shipped"],
                        help="SummHay: each topic's held-out selector (trained on the other topic) or the shipped one")
    parser.add_argument("--mmr-by", choices=["cosine", "ranking", "both"], default=None,
                        help="what MMR ranks a summary's passages by, for every system (default: the configured one)")
    parser.add_argument("--model", default=None,
                        help="the model --part latency summarises with (default: briefkit's; other parts ignore it)")
    args = parser.parse_args()
    global MMR_BY
    MMR_BY = args.mmr_by
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"# bench/summaries.py on {machine()}; load average at start {os.getloadavg()[0]:.1f}"
          + (f"; MMR by {MMR_BY}" if MMR_BY else ""))
    if "summhay" in args.part:
        summhay(args.topics, args.systems, args.scorer, args.k or 16, args.max_citations, args.subtopics,
                args.selector_weights)
    if "seeds" in args.part:
        seeds(args.systems, args.scorer[0], args.k)
    if "qa" in args.part:
        qa()
    if "latency" in args.part:
        latency(args.model)


if __name__ == "__main__":
    main()
