"""`briefkit eval ...`: SummHay runs and scorer agreement, batch matrices, question sets."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .common import emit, out, state

eval_app = typer.Typer(help="Evaluate summaries and answers against reference facts.", no_args_is_help=True)


@eval_app.command("summhay")
def summhay_cmd(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="SummHay topic files (or the human judgements file with --score-existing)."),
    model: Optional[str] = typer.Option(None, help="Generation model."),
    strategy: Optional[str] = typer.Option(None, help="auto | stuff | map-reduce | extractive"),
    k: Optional[int] = typer.Option(None, "-k", help="Passages per summary."),
    subtopics: Optional[int] = typer.Option(None, help="Only the first N subtopics of each file."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Keep the corpus and index here (default: temporary)."),
    score_existing: bool = typer.Option(False, "--score-existing", help="Score the shipped system summaries instead."),
    limit: Optional[int] = typer.Option(None, help="With --score-existing: only the first N summaries."),
    judge_model: Optional[str] = typer.Option(None, help="Score coverage with this model as an LLM judge."),
) -> None:
    """Run the pipeline on SummHay subtopics, or check the scorer against SummHay's labels."""
    st = state(ctx)
    if score_existing:
        from ..evaluation.agreement import score_existing as run_agreement
        from ..evaluation.coverage import CoverageScorer
        from ..index.embedder import load_embedder

        scorer = CoverageScorer(load_embedder(st.settings.index.embedder))
        data = run_agreement(files, scorer, progress=not st.json, limit=limit)

        def render(d: dict) -> None:
            out.print(f"labels {d['labels']} · accuracy {d['accuracy']:.3f} · Cohen's kappa {d['kappa']:.3f} · "
                      f"Kendall tau over systems {d['kendall_tau'] if d['kendall_tau'] is None else round(d['kendall_tau'], 3)}")
            t = Table("system", "labels", "coverage (labels)", "coverage (ours)")
            for s in d["systems"]:
                t.add_row(s["system"], str(s["labels"]), f"{s['coverage_labels']:.1f}", f"{s['coverage_ours']:.1f}")
            out.print(t)

        emit(st, data, render)
        return
    from ..evaluation.summhay_run import run_summhay

    with tempfile.TemporaryDirectory() as tmp:
        home = out_dir or Path(tmp)
        data = run_summhay(files, st.settings, home, model=model, strategy=strategy, k=k, subtopics=subtopics,
                           progress=not st.json, judge_model=judge_model)

    def render(d: dict) -> None:
        t = Table("subtopic", "coverage", "citation", "joint", "faithfulness", "latency s")
        for s in d["subtopics"]:
            t.add_row(s["query"][:60], f"{s['coverage']:.1f}", f"{s['citation']:.1f}", f"{s['joint']:.1f}",
                      f"{s['faithfulness']:.1f}", f"{s['latency_s']:.1f}")
        t.add_row("[bold]overall[/]", f"{d['coverage']:.1f}", f"{d['citation']:.1f}", f"{d['joint']:.1f}",
                  f"{d['faithfulness']:.1f}", f"{d['latency_mean_s']:.1f}")
        out.print(f"model: {d['model']}")
        out.print(t)
        if d["reference_systems"]:
            r = Table("shipped system (same subtopics, shipped labels)", "coverage", "citation", "joint")
            for name, s in d["reference_systems"].items():
                r.add_row(name, f"{s['coverage']:.1f}", f"{s['citation']:.1f}", f"{s['joint']:.1f}")
            out.print(r)

    emit(st, data, render)


@eval_app.command("export-summhay")
def export_summhay_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A SummHay topic file."),
    out_file: Path = typer.Option(..., "--out", help="JSONL to write (id, title, source, text per document)."),
) -> None:
    """Write a SummHay topic's documents as JSONL for `briefkit ingest`."""
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
    """Find the coverage scorer's thresholds that maximise Cohen's kappa on SummHay labels."""
    from ..evaluation.agreement import calibrate_on
    from ..evaluation.coverage import CoverageScorer
    from ..index.embedder import load_embedder

    st = state(ctx)
    data = calibrate_on(files, CoverageScorer(load_embedder(st.settings.index.embedder)), progress=not st.json)
    emit(st, data, lambda d: out.print(f"t_full {d['t_full']:.2f} · t_partial {d['t_partial']:.2f} · "
                                       f"kappa {d['kappa']:.3f} on {d['labels']} labels"))


@eval_app.command("run")
def run_cmd(
    ctx: typer.Context,
    spec: Path = typer.Argument(..., help="Run spec (TOML): dataset, corpus and a matrix of settings."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Run folder (default: runs/<name> beside the spec)."),
) -> None:
    """Run (or resume) a batch evaluation matrix and write report.md with plots."""
    from ..evaluation.report import aggregate, write_report
    from ..evaluation.runner import load_spec, run_spec

    st = state(ctx)
    parsed = load_spec(spec)
    target = out_dir or spec.resolve().parent / "runs" / parsed.name
    rows = run_spec(spec, target, st.settings, progress=not st.json)
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
) -> None:
    """Score `ask` on a question set: accuracy, citations, abstention, latency."""
    from ..evaluation.datasets import load_question_set
    from ..evaluation.qa_eval import evaluate_questions
    from ..resources import sample_corpus_path

    st = state(ctx)
    items = load_question_set(questions)
    ws = st.workspace()
    if sample:
        ws.ingest([sample_corpus_path()])
    data = evaluate_questions(ws, items, model=model, progress=not st.json)

    def render(d: dict) -> None:
        t = Table("question", "expected", "answer", "ok")
        for r in d["items"]:
            t.add_row(r["question"][:50], str(r["expected"]), r["answer"][:70], "✔" if r["correct"] else "✘")
        out.print(t)
        out.print(f"model {d['model']} · accuracy {d['accuracy']:.2f} (answerable {d['answer_accuracy']:.2f}) · "
                  f"citation correctness {d['citation_correctness']:.2f} · abstention precision "
                  f"{d['abstention_precision']:.2f} recall {d['abstention_recall']:.2f} · "
                  f"latency mean {d['latency_mean_s']:.1f}s p95 {d['latency_p95_s']:.1f}s")

    emit(st, data, render)
