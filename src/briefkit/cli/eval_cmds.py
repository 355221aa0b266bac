"""`briefkit eval ...`: SummHay runs and scorer agreement, batch matrices, question sets."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from .common import emit, out, state

eval_app = typer.Typer(help="Evaluate summaries and answers against reference facts.\n\n"
                        "Example: briefkit eval qa eval/sample_questions.jsonl --sample", no_args_is_help=True)
SCORER_HELP = "Coverage scorer: auto (learned if its weights load, else cosine), learned, cosine."


def check_scorer(kind: str) -> str:
    from ..errors import BadInput
    from ..scoring.load import KINDS

    if kind not in KINDS:
        raise BadInput(f"unknown scorer {kind!r}; use one of {', '.join(KINDS)}")
    return kind


def _ci(ci) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""


def render_agreement(d: dict) -> None:
    """Learned and cosine agreement side by side (one column per scorer)."""
    scorers = d["scorers"]
    t = Table("statistic", *[f"{s['scorer']} (95% CI)" for s in scorers], title=f"agreement with the labels of "
              f"{', '.join(Path(f).name for f in d['files'])} ({scorers[0]['labels']} labels)")

    def row(name: str, key: str) -> None:
        vals = [s.get(key) for s in scorers]
        t.add_row(name, *["n/a" if v is None else f"{v:.3f} {_ci(s.get(key + '_ci'))}" for v, s in zip(vals, scorers)])

    row("Cohen's kappa", "kappa")
    row("balanced accuracy", "balanced_accuracy")
    t.add_row("accuracy", *[f"{s['accuracy']:.3f}" for s in scorers])
    for lab in ("FULL", "PARTIAL", "NONE"):
        t.add_row(f"accuracy on gold {lab}", *["n/a" if s["per_label_accuracy"][lab] is None
                                               else f"{s['per_label_accuracy'][lab]:.3f}" for s in scorers])
    row(f"Kendall tau over {len(scorers[0]['systems'])} systems", "kendall_tau")
    row("Pearson over systems", "pearson")
    out.print(t)


@eval_app.command("summhay")
def summhay_cmd(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="SummHay topic files (or the human judgements file with"
                                       " --score-existing)."),
    model: Optional[str] = typer.Option(None, help="Generation model."),
    strategy: Optional[str] = typer.Option(None, help="auto | stuff | map-reduce | extractive"),
    k: Optional[int] = typer.Option(None, "-k", help="Passages per summary."),
    subtopics: Optional[int] = typer.Option(None, help="Only the first N subtopics of each file."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Keep the corpus and index here (default: temporary)."),
    score_existing: bool = typer.Option(False, "--score-existing", help="Score the shipped system summaries instead."),
    limit: Optional[int] = typer.Option(None, help="With --score-existing: only the first N summaries."),
    judge_model: Optional[str] = typer.Option(None, help="Score coverage with this model as an LLM judge."),
    scorer: str = typer.Option("auto", "--scorer", help=SCORER_HELP),
) -> None:
    """Run the pipeline on SummHay subtopics, or check the scorer against SummHay's labels.

    Example: briefkit eval summhay ../shared/data/summhay/topic_news2.json --score-existing
    """
    st = state(ctx)
    if score_existing:
        from ..evaluation.agreement import compare_scorers
        from ..scoring.load import load_support_scorer

        check_scorer(scorer)
        chosen = load_support_scorer(scorer)
        scorers = [chosen] if chosen.name == "cosine" else [chosen, load_support_scorer("cosine")]
        data = compare_scorers(files, scorers, progress=not st.json, limit=limit)
        emit(st, data, render_agreement)
        return
    from ..evaluation.summhay_run import run_summhay

    with tempfile.TemporaryDirectory() as tmp:
        home = out_dir or Path(tmp)
        data = run_summhay(files, st.settings, home, model=model, strategy=strategy, k=k, subtopics=subtopics,
                           progress=not st.json, judge_model=judge_model, scorer_kind=check_scorer(scorer))

    def render(d: dict) -> None:
        t = Table("subtopic", "coverage", "citation", "joint", "faithfulness", "latency s")
        for s in d["subtopics"]:
            t.add_row(s["query"][:60], f"{s['coverage']:.1f}", f"{s['citation']:.1f}", f"{s['joint']:.1f}",
                      f"{s['faithfulness']:.1f}", f"{s['latency_s']:.1f}")
        t.add_row(Text("overall", style="bold"), f"{d['coverage']:.1f}", f"{d['citation']:.1f}", f"{d['joint']:.1f}",
                  f"{d['faithfulness']:.1f}", f"{d['latency_mean_s']:.1f}")
        out.print(f"model: {d['model']} · coverage scored by {d['scorer']} · faithfulness judged by"
                  f" {d['faithfulness_scorer']}")
        out.print(t)
        if d["reference_systems"]:
            r = Table("shipped system, same subtopics, scored like ours (from its shipped labels)", "coverage",
                      "citation", "joint")
            for name, s in d["reference_systems"].items():
                r.add_row(name, *(f"{s[m]:.1f} ({s['shipped_labels'][m]:.1f})"
                                  for m in ("coverage", "citation", "joint")))
            out.print(r)

    emit(st, data, render)


@eval_app.command("export-summhay")
def export_summhay_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A SummHay topic file."),
    out_file: Path = typer.Option(..., "--out", help="JSONL to write (id, title, source, text per document)."),
) -> None:
    """Write a SummHay topic's documents as JSONL for `briefkit ingest`.

    Example: briefkit eval export-summhay ../shared/data/summhay/topic_news1.json --out news1.jsonl
    """
    from ..evaluation.summhay import load_topic, write_documents_jsonl

    st = state(ctx)
    topic = load_topic(file)
    write_documents_jsonl(topic, out_file)
    emit(st, {"documents": len(topic.documents), "out": str(out_file)},
         lambda d: out.print(f"wrote {d['documents']} documents to {d['out']}"))


@eval_app.command("calibrate")
def calibrate_cmd(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="SummHay topic files whose shipped labels to fit."),
) -> None:
    """Find the coverage scorer's thresholds that maximise Cohen's kappa on SummHay labels.

    Example: briefkit eval calibrate ../shared/data/summhay/topic_news1.json ../shared/data/summhay/topic_news2.json
    """
    from ..evaluation.agreement import calibrate_on
    from ..index.embedders.load import load_embedder
    from ..scoring.cosine import CoverageScorer

    st = state(ctx)
    data = calibrate_on(files, CoverageScorer(load_embedder(st.settings.index.embedder)), progress=not st.json)
    emit(st, data, lambda d: out.print(f"t_full {d['t_full']:.2f} · t_partial {d['t_partial']:.2f} · "
                                       f"kappa {d['kappa']:.3f} on {d['labels']} labels"))


@eval_app.command("run")
def run_cmd(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="Run spec (TOML): dataset, corpus and a matrix of settings."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Run folder (default: runs/<name> beside the spec)."),
    scorer: str = typer.Option("auto", "--scorer", help=SCORER_HELP),
) -> None:
    """Run (or resume) a batch evaluation matrix and write report.md with plots.

    Example: briefkit eval run eval/sample_run.toml --out runs/sample
    """
    from ..evaluation.report import aggregate, write_report
    from ..evaluation.runner import load_spec, run_spec

    st = state(ctx)
    parsed = load_spec(spec)
    target = out_dir or spec.resolve().parent / "runs" / parsed.name
    rows = run_spec(spec, target, st.settings, progress=not st.json, scorer_kind=check_scorer(scorer))
    report = write_report(rows, target, parsed.name)
    data = {"report": str(report), "results": str(target / "results.jsonl"), "configurations": aggregate(rows)}
    emit(st, data, lambda d: out.print(f"report written to {d['report']}\n" + report.read_text(encoding="utf-8")
                                       .split("## Facts")[0], markup=False))


@eval_app.command("qa")
def qa_cmd(
    ctx: typer.Context,
    questions: Path = typer.Argument(..., help="Question set (JSONL)."),
    model: Optional[str] = typer.Option(None, help="Generation model."),
    sample: bool = typer.Option(False, "--sample", help="Ingest the built-in sample corpus first."),
    scorer: str = typer.Option("auto", "--scorer", help=SCORER_HELP),
) -> None:
    """Score `ask` on a question set: accuracy, citations, abstention, latency.

    Example: briefkit eval qa eval/sample_questions.jsonl --sample
    """
    from ..evaluation.datasets import load_question_set
    from ..evaluation.qa_eval import evaluate_questions
    from ..resources import sample_corpus_path

    st = state(ctx)
    items = load_question_set(questions)
    ws = st.workspace()
    if sample:
        ws.ingest([sample_corpus_path()])
    data = evaluate_questions(ws, items, model=model, progress=not st.json, scorer_kind=check_scorer(scorer))

    def render(d: dict) -> None:
        t = Table("question", "expected", "answer", "ok")
        for r in d["items"]:
            t.add_row(r["question"][:50], str(r["expected"]), r["answer"][:70], "✔" if r["correct"] else "✘")
        out.print(t)
        out.print(f"model {d['model']} · accuracy {d['accuracy']:.2f} (answerable {d['answer_accuracy']:.2f}) · "
                  f"citation correctness {d['citation_correctness']:.2f} · abstention precision "
                  f"{d['abstention_precision']:.2f} recall {d['abstention_recall']:.2f} · "
                  f"answers supported by their evidence ({d['scorer']} scorer) {d['answer_support']:.2f} · "
                  f"latency mean {d['latency_mean_s']:.1f}s p95 {d['latency_p95_s']:.1f}s")

    emit(st, data, render)


@eval_app.command("train-scorer")
def train_scorer_cmd(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="SummHay topic files to train on."),
    out_dir: Path = typer.Option(..., "--out", help="Folder to write the weights to (required: the shipped weights "
                                                    "belong to the installed package and are never overwritten)."),
    held_out: Optional[list[Path]] = typer.Option(None, "--eval", help="Topic files to report agreement on."),
    human: Optional[Path] = typer.Option(None, "--human", help="Human judgements file to report agreement on."),
    seed: int = typer.Option(13, help="Random seed."),
    epochs: int = typer.Option(20, help="Epochs over the training pairs."),
) -> None:
    """Train the learned coverage / support scorer on SummHay labels (a few minutes on 2 cores).

    Example: briefkit eval train-scorer ../shared/data/summhay/topic_news1.json
    --eval ../shared/data/summhay/topic_news2.json --out /tmp/scorer
    """
    import sys

    from ..errors import BadInput
    from ..evaluation.checker_train import train

    st = state(ctx)
    for f in [*files, *(held_out or []), *([human] if human else [])]:
        if not Path(f).is_file():
            raise BadInput(f"file not found: {f}")
    if epochs < 1:
        raise BadInput("--epochs must be at least 1")
    meta = train(files, out_dir, eval_files=held_out or None, seed=seed, epochs=epochs,
                 human_file=human, progress=not st.json, log=lambda m: print(m, file=sys.stderr))
    emit(st, {"out": str(out_dir), **meta},
         lambda d: out.print(f"wrote {d['out']} ({d['train_pairs']} pairs, {d['total_seconds']:.0f} s)"))
