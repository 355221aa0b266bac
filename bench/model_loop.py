"""The model path side by side: extractive, `auto`, `stuff` and `map-reduce` with each model, in one run.

For every system (strategy and model, llama.cpp backend) on the seed facts, SummHay news topics and the
Q&A sample: coverage, citation, joint, facts stated (seeds), wrong bullets (shown bullets the scorer
finds unsupported by their own evidence), the share of shown bullets in the model's words, the
verifier's rejections by rule (the first phrase of each reason in the bullets' notes and rejected
lists), latency and decode tok/s. Every summary is also written to bench/out/model_loop/ for reading.

    .venv/bin/python bench/model_loop.py [--part seeds summhay qa] [--systems extractive auto:smollm2-135m ...]
        [--subtopics N] [--slow-subtopics N] [--label NAME]

A system is ``STRATEGY[:MODEL]``; ``--slow-subtopics`` caps SummHay subtopics for stuff/map-reduce
(slow with a 1.5B model on 2 cores); a second SummHay table compares every system on the subtopics
all of them ran.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402
from summaries import OUT, ROOT, SHARED, open_topic, workspace  # noqa: E402

from briefkit.evaluation.summary_eval import score_summary  # noqa: E402
from briefkit.evaluation.summhay_run import SUMMHAY_BULLETS  # noqa: E402
from briefkit.scoring.base import ScorerCoverage
from briefkit.scoring.load import load_support_scorer  # noqa: E402
from briefkit.briefs.summarise import summarise  # noqa: E402

SMALL, LARGE = "smollm2-135m", "qwen2.5-coder-1.5b"
DEFAULT_SYSTEMS = ["extractive", f"auto:{SMALL}", f"auto:{LARGE}", f"stuff:{LARGE}", f"map-reduce:{LARGE}"]
SLOW = ("stuff", "map-reduce")


def split(system: str) -> tuple[str, str | None]:
    """``STRATEGY[:MODEL[:PROMPTS_DIR]]`` -> (strategy, model)."""
    strategy, _, model = system.partition(":")
    return strategy, model.partition(":")[0] or None


def prompts_dir(system: str) -> str | None:
    """The third field of a system (a prompts folder to try, e.g. the prompts before a change), else --prompts-dir."""
    return system.split(":", 2)[2] if system.count(":") >= 2 else PROMPTS_DIR


def first_phrase(reason: str) -> str:
    """"not in the evidence: Foo" -> "not in the evidence"; "hedge (may)" -> "hedge"."""
    return reason.split(":")[0].split(" (")[0].strip()


def reasons_of_note(note: str) -> list[str]:
    """The reasons inside "model wording rejected (r1; r2): sentence" or "replaces a drafted bullet (r1; r2)"."""
    head, _, rest = note.partition("(")
    if not rest:
        return []
    end = rest.find("): ")
    body = rest[:end] if end >= 0 else rest[:-1] if rest.endswith(")") else rest
    return [r for r in body.split("; ") if r]


def rejections(summary) -> Counter:
    found: Counter = Counter()
    if summary.strategy in SLOW:
        for b in summary.rejected:
            found.update(first_phrase(r) for r in b.notes)
    else:
        for b in summary.bullets:
            for note in b.notes:
                if note.startswith("model wording rejected"):
                    found.update(first_phrase(r) for r in reasons_of_note(note))
    return found


class Rows:
    """Per-summary rows of one system on one part, and what the run wrote."""

    def __init__(self, label: str, part: str, system: str):
        self.rows: list[dict] = []
        self.reasons: Counter = Counter()
        self.tokens = 0
        self.decode_s = 0.0
        path = OUT / "model_loop" / label / f"{part}-{system.replace(':', '_').replace('/', '_')}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.out = path.open("w")

    def add(self, summary, scores: dict, latency: float, **extra) -> dict:
        st = summary.stats
        self.tokens += st.completion_tokens
        self.decode_s += max(0.0, st.generate_s - st.prompt_s)
        shown = len(summary.bullets)
        faithful = round(scores["faithfulness"] * (shown + len(summary.rejected)) / 100)
        found = rejections(summary)
        self.reasons.update(found)
        row = {"coverage": scores["coverage"], "citation": scores["citation"], "joint": scores["joint"],
               "latency": latency, "bullets": shown, "wrong": shown - faithful,
               "model": sum(b.origin == "model" for b in summary.bullets), **extra}
        self.rows.append(row)
        self.out.write(json.dumps({**row, "summary": summary.to_json(), "facts": scores.get("facts")}) + "\n")
        self.out.flush()
        return row

    def tok_s(self) -> str:
        return f"{self.tokens / self.decode_s:.1f}" if self.decode_s > 0 else "-"

    def share(self, rows: list[dict] | None = None) -> str:
        rows = self.rows if rows is None else rows
        shown = sum(r["bullets"] for r in rows)
        return f"{100 * sum(r['model'] for r in rows) / shown:.0f}%" if shown else "-"

    def reasons_text(self) -> str:
        return "; ".join(f"{k} {v}" for k, v in self.reasons.most_common()) or "-"


THREADS: int | None = None  # --threads: llama.cpp threads (1 on a host shared with other jobs: spinning threads stall)
# --prompts-dir: another prompts folder (to try a prompt before it replaces the shipped one)
PROMPTS_DIR: str | None = None


def run(ws, system: str, query: str, k: int, max_bullets: int, max_citations: int):
    strategy, model = split(system)
    folder = prompts_dir(system)
    extra = {"prompts_dir": folder} if folder else {}
    derived = ws.derive(generation={"backend": "llamacpp", "cache": False, "threads": THREADS},
                        summarise={"max_citations": max_citations, **extra})
    start = time.perf_counter()
    summary = summarise(derived, query, k=k, model=model, strategy=strategy, max_bullets=max_bullets)
    return summary, time.perf_counter() - start


def f1(values) -> str:
    values = list(values)
    return f"{statistics.fmean(values):.1f}" if values else "-"


def seeds(systems: list[str], scorer_kind: str, label: str) -> None:
    from briefkit.evaluation.datasets import load_fact_set

    items = load_fact_set(ROOT / "eval" / "seed_facts.jsonl")
    ws = workspace(OUT / "seeds", sorted((SHARED / "seeds").glob("*.txt")))
    scorer = ScorerCoverage(load_support_scorer(scorer_kind, ws.embedder))
    total = sum(len(i.facts) for i in items)
    table = []
    for system in systems:
        rows = Rows(label, "seeds", system)
        for item in items:
            facts = {f.id: f.text for f in item.facts}
            gold = {f.id: set(f.gold_docs) for f in item.facts}
            summary, latency = run(ws, system, item.query, 8, 6, 5)
            scores = score_summary(summary, facts, gold, scorer)
            rows.add(summary, scores, latency, full=sum(f["label"] == "FULL" for f in scores["facts"]),
                     partial=sum(f["label"] == "PARTIAL" for f in scores["facts"]))
            print(f"  seeds {item.query[:30]} {system}: {rows.rows[-1]['full']} full, model"
                  f" {rows.rows[-1]['model']}/{rows.rows[-1]['bullets']}, {latency:.1f}s", file=sys.stderr)
        r = rows.rows
        table.append(f"| {system} | {sum(x['full'] for x in r)}/{total} | {sum(x['partial'] for x in r)} |"
                     f" {f1(x['citation'] for x in r)} | {f1(x['joint'] for x in r)} | {sum(x['wrong'] for x in r)} |"
                     f" {sum(x['bullets'] for x in r)} | {rows.share()} | {rows.reasons_text()} |"
                     f" {f1(x['latency'] for x in r)} | {rows.tok_s()} |")
    print(f"\n## Seed articles (eval/seed_facts.jsonl: {total} facts, {len(items)} topics; scorer {scorer_kind};"
          " k=8, 6 bullets, llama.cpp)")
    print("\n| system | facts stated (full) | partly | citation | joint | wrong bullets | bullets | model wording"
          " | rejections by rule | mean s | decode tok/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    print("\n".join(table))


def summhay(paths: list[Path], systems: list[str], scorer_kind: str, subtopics: int | None, slow_subtopics: int | None,
            label: str, k: int = 16, max_citations: int = 10) -> None:
    results: dict[tuple[str, str], Rows] = {}
    for path in paths:
        topic, ws, scorer, gold = open_topic(path, scorer_kind)
        for system in systems:
            cap = slow_subtopics if split(system)[0] in SLOW and slow_subtopics else subtopics
            rows = results[(path.stem, system)] = Rows(label, f"summhay-{path.stem}", system)
            for i, sub in enumerate(topic.subtopics[:cap] if cap else topic.subtopics):
                summary, latency = run(ws, system, sub.query, k, SUMMHAY_BULLETS, max_citations)
                scores = score_summary(summary, sub.insights, gold, scorer)
                row = rows.add(summary, scores, latency, index=i)
                print(f"  {path.stem} {sub.subtopic_id} {system}: cov {row['coverage']:.0f} cit {row['citation']:.0f}"
                      f" joint {row['joint']:.0f} model {row['model']}/{row['bullets']} {latency:.1f}s",
                      file=sys.stderr)
    print(f"\n## SummHay ({', '.join(p.stem for p in paths)}; scorer {scorer_kind}; k={k}, {SUMMHAY_BULLETS} bullets,"
          f" at most {max_citations} citations a bullet, llama.cpp)")
    print("\n| topic | system | subtopics | coverage | citation | joint | wrong bullets | bullets | model wording"
          " | rejections by rule | mean s | decode tok/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for (stem, system), rows in results.items():
        r = rows.rows
        print(f"| {stem} | {system} | {len(r)} | {f1(x['coverage'] for x in r)} | {f1(x['citation'] for x in r)} |"
              f" {f1(x['joint'] for x in r)} | {sum(x['wrong'] for x in r)} | {sum(x['bullets'] for x in r)} |"
              f" {rows.share()} | {rows.reasons_text()} | {f1(x['latency'] for x in r)} | {rows.tok_s()} |")
    common = min(len(rows.rows) for rows in results.values()) if results else 0
    if any(len(rows.rows) > common for rows in results.values()):
        print(f"\nThe same, on the first {common} subtopics of each topic (every system ran them):\n")
        print("| topic | system | coverage | citation | joint | model wording | mean s |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for (stem, system), rows in results.items():
            r = [x for x in rows.rows if x["index"] < common]
            print(f"| {stem} | {system} | {f1(x['coverage'] for x in r)} | {f1(x['citation'] for x in r)} |"
                  f" {f1(x['joint'] for x in r)} | {rows.share(r)} | {f1(x['latency'] for x in r)} |")


def qa(models: list[str], scorer_kind: str) -> None:
    from briefkit.evaluation.datasets import load_question_set
    from briefkit.evaluation.qa_eval import answer_matches, score_answers
    from briefkit.scoring.base import cover
    from briefkit.briefs.qa import ask
    from briefkit.resources import sample_corpus_path

    ws = workspace(OUT / "sample", [sample_corpus_path()])
    questions = load_question_set(ROOT / "eval" / "sample_questions.jsonl")
    scorer = load_support_scorer(scorer_kind, ws.embedder)
    print(f"\n## Q&A (eval/sample_questions.jsonl: {len(questions)} questions, sample corpus, llama.cpp)")
    print("\n| model | accuracy | answerable accuracy | citation correctness | abstention P | abstention R"
          " | answer support | model wording | rejections by rule | mean s | decode tok/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    derived = ws.derive(generation={"backend": "llamacpp", "cache": False, "threads": THREADS})
    for model in models:
        rows, reasons, tokens, decode_s, model_words = [], Counter(), 0, 0.0, 0
        for q in questions:
            start = time.perf_counter()
            result = ask(derived, q.question, model=model)
            latency = time.perf_counter() - start
            correct = result.abstained if q.answer is None else (
                not result.abstained and answer_matches(result.answer, [q.answer, *q.alternatives]))
            rows.append({"expected": q.answer, "abstained": result.abstained, "citations": result.citations,
                         "docs": q.docs, "correct": correct, "latency_s": latency,
                         "support": None if result.abstained else
                         cover(scorer, [result.answer], [e.text for e in result.evidence])[0].label})
            model_words += int(not result.abstained and result.origin == "model")
            if result.rejected and result.rejected.endswith(")"):
                depth, i = 0, len(result.rejected) - 1
                while i >= 0:  # the reasons are the last parenthesised part: "phrase (r1; r2)"
                    depth += {")": 1, "(": -1}.get(result.rejected[i], 0)
                    if depth == 0:
                        break
                    i -= 1
                reasons.update(first_phrase(r) for r in result.rejected[i + 1:-1].split("; "))
            tokens += result.stats.completion_tokens
            decode_s += max(0.0, result.stats.generate_s - result.stats.prompt_s)
            if not correct:
                print(f"  wrong ({model}): {q.question} -> {result.answer[:100]}", file=sys.stderr)
        s = score_answers(rows)
        given = sum(not r["abstained"] for r in rows)
        print(f"| {model} | {s['accuracy']:.2f} | {s['answer_accuracy']:.2f} | {s['citation_correctness']:.2f} |"
              f" {s['abstention_precision']:.2f} | {s['abstention_recall']:.2f} | {s['answer_support']:.2f} |"
              f" {100 * model_words / given if given else 0:.0f}% |"
              f" {'; '.join(f'{k} {v}' for k, v in reasons.most_common()) or '-'} |"
              f" {s['latency_mean_s']:.1f} | {tokens / decode_s if decode_s else 0:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", nargs="+", default=["seeds", "summhay", "qa"], choices=["seeds", "summhay", "qa"])
    parser.add_argument("--systems", nargs="+", default=DEFAULT_SYSTEMS)
    parser.add_argument("--qa-models", nargs="+", default=[SMALL, LARGE])
    parser.add_argument("--topics", nargs="+", type=Path,
                        default=[SHARED / "data" / "summhay" / f"topic_news{i}.json" for i in (1, 2)])
    parser.add_argument("--scorer", default="auto", choices=["auto", "learned", "cosine"])
    parser.add_argument("--subtopics", type=int, default=None, help="SummHay: only the first N subtopics of each topic")
    parser.add_argument("--slow-subtopics", type=int, default=None, help="SummHay: at most N for stuff/map-reduce")
    parser.add_argument("--label", default="run", help="bench/out/model_loop/LABEL/ receives every summary")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: briefkit's choice)")
    parser.add_argument("--prompts-dir", default=None, help="prompts folder to use instead of the shipped one")
    args = parser.parse_args()
    global PROMPTS_DIR, THREADS
    PROMPTS_DIR, THREADS = args.prompts_dir, args.threads
    print(f"# bench/model_loop.py on {machine()}; load average at start {os.getloadavg()[0]:.1f};"
          f" llama.cpp threads: {args.threads or 'default'}", flush=True)
    start = time.perf_counter()
    if "seeds" in args.part:
        seeds(args.systems, args.scorer, args.label)
    if "summhay" in args.part:
        summhay(args.topics, args.systems, args.scorer, args.subtopics, args.slow_subtopics, args.label)
    if "qa" in args.part:
        qa(args.qa_models, args.scorer)
    print(f"\nWall {time.perf_counter() - start:.0f} s; load average at end {os.getloadavg()[0]:.1f}"
          f" (1, 5, 15 min: {', '.join(f'{x:.1f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
