"""`briefkit summarise`, `briefkit ask` and `briefkit models ...`."""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from ..errors import BadInput
from .common import (
    GLOBALS_EPILOG,
    check_dates,
    check_generation,
    check_k,
    emit,
    err,
    out,
    state,
)

models_app = typer.Typer(help="List or download generation models.\n\nExample: briefkit models list",
                         no_args_is_help=True, epilog=GLOBALS_EPILOG)


def _stream_to_terminal(json_mode: bool):
    """Stream model text to stderr in human mode, dimmed, so people see progress."""
    if json_mode or not sys.stderr.isatty():
        return None
    return lambda piece: err.print(piece, end="", style="dim")


def _render_sources(sources: list[dict]) -> None:
    for i, s in enumerate(sources, 1):
        meta = " · ".join(x for x in (s.get("source"), s.get("date")) if x)
        out.print(f"  [{i}] {s.get('title') or s['doc_id']}" + (f" — {meta}" if meta else "") + f"  ({s['doc_id']})")


def _render_reasoning(reasoning: list[dict], numbers: dict[str, int]) -> None:
    """Each hop of a multi-source answer: what it searched for, where, its verdict and its sentences."""
    for n, hop in enumerate(reasoning, 1):
        where = " · ".join(x for x in (hop.get("source"), hop.get("date")) if x) or "any source"
        out.print(f"  hop {n} ({where}): {hop['verdict']}")
        out.print(f"    claim: {hop['claim']}", style="dim")
        for e in hop["evidence"]:
            out.print(f"    [{numbers.get(e['doc_id'], '-')}] {e['text']}")


def summarise_cmd(
    ctx: typer.Context,
    topic: str = typer.Argument(..., help="What the summary is about."),
    k: Optional[int] = typer.Option(None, "-k", help="Passages to retrieve."),
    model: Optional[str] = typer.Option(None, help="auto, qwen3.5-0.8b, smollm2-135m, a folder or a Hub id."),
    strategy: Optional[str] = typer.Option(None, help="auto | stuff | map-reduce | extractive"),
    since: Optional[str] = typer.Option(None, help="Only documents dated on or after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, help="Only documents dated on or before YYYY-MM-DD."),
    source: Optional[str] = typer.Option(None, help="Only documents from this source."),
    max_bullets: Optional[int] = typer.Option(None, help="Most bullets to show."),
    evidence: bool = typer.Option(False, "--evidence", help="Show the source sentences under each bullet."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the generation cache."),
    backend: Optional[str] = typer.Option(None, help="transformers | llamacpp | openai"),
    base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible server URL (with --backend openai)."),
) -> None:
    """Write a cited summary of TOPIC from the corpus.

    Example: briefkit summarise "Qwen team leadership changes" -k 6 --since 2026-01-01
    """
    from ..briefs.summarise import summarise

    st = state(ctx)
    check_k(k)
    since, until = check_dates(since, until)
    check_generation(st.settings, backend, base_url, model)
    ws = st.workspace(generation={"cache": False if no_cache else None, "backend": backend, "base_url": base_url})
    result = summarise(ws, topic, k=k, model=model, strategy=strategy, since=since, until=until, source=source,
                       max_bullets=max_bullets, on_text=_stream_to_terminal(st.json))

    def render(d: dict) -> None:
        if _stream_to_terminal(st.json):
            err.print()
        cached = (" (cached)" if d["stats"]["llm_calls"] and d["stats"]["cached_calls"] == d["stats"]["llm_calls"]
                  else "")
        out.print(Text.assemble((topic, "bold"), "  ",
                                (f"model: {d['model']}{cached} · strategy: {d['strategy']}", "dim")))
        if d["backend"]:
            out.print(f"backend: {d['backend']}", style="dim")
        if d["notice"]:
            out.print(d["notice"], style="yellow")
        out.print(result.text(evidence=evidence) or "(nothing to show)")
        v = d["stats"]["verification"]
        if d["strategy"] != "extractive" and d["bullets"]:
            out.print(f"{v['model']} bullet(s) in the model's words, verified; {v['quoted']} quoted from the sources"
                      + (f"; {v['hidden']} drafted bullet(s) hidden" if v["hidden"] else ""), style="dim")
        if d["sources"]:
            out.print("\nSources:")
            _render_sources(d["sources"])
        s = d["stats"]
        speed = f" · {s['tokens_per_s']} tok/s" if s["tokens_per_s"] else ""  # a cached result decoded nothing now
        judged = f"judge {s['judge_s']:.2f}s · " if s["judge_s"] else ""  # only the judged selector judges
        out.print(f"retrieve {s['retrieve_s']:.2f}s · evidence {s['evidence_s']:.2f}s · "
                  f"{judged}generate {s['generate_s']:.2f}s · "
                  f"{s['prompt_tokens']} prompt + {s['completion_tokens']} completion tokens{speed}", style="dim")

    emit(st, result.to_json(), render)


def ask_cmd(
    ctx: typer.Context,
    question: Optional[str] = typer.Argument(None, help="The question; leave out for an interactive session."),
    k: Optional[int] = typer.Option(None, "-k", help="Passages to retrieve."),
    model: Optional[str] = typer.Option(None, help="auto, none (no model: evidence, rules and the support scorer),"
                                        " qwen3.5-0.8b, smollm2-135m, a folder or a Hub id."),
    evidence: bool = typer.Option(False, "--evidence", help="Show the source sentences the answer rests on (and, for"
                                  " questions that combine sources, each hop with its verdict)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the generation cache."),
    backend: Optional[str] = typer.Option(None, help="transformers | llamacpp | openai"),
    base_url: Optional[str] = typer.Option(None, help="OpenAI-compatible server URL (with --backend openai)."),
) -> None:
    """Answer QUESTION from the corpus with citations, or say the corpus does not contain it.

    Leave QUESTION out for an interactive session (Ctrl-D or `exit` leaves).

    Example: briefkit ask "How many homes can the tidal turbines power?"
    """
    from ..briefs.qa import ask

    st = state(ctx)
    check_k(k)
    if model != "none":
        check_generation(st.settings, backend, base_url, model)
    ws = st.workspace(generation={"cache": False if no_cache else None, "backend": backend, "base_url": base_url})

    def answer_one(q: str) -> None:
        result = ask(ws, q, k=k, model=model)

        def render(d: dict) -> None:
            if d["notice"]:
                out.print(d["notice"], style="yellow")
            if d["abstained"]:
                out.print("abstained: ", style="yellow", end="")
            numbers = {row["doc_id"]: i for i, row in enumerate(d["sources"], 1)}
            marks = "".join(f"[{numbers[c]}]" for c in d["citations"] if c in numbers)
            body = f"“{d['answer']}”" if d["origin"] == "quoted" and not d["abstained"] else d["answer"]
            body = f"According to {d['according_to']}: {body}" if d.get("according_to") else body
            out.print(body + (f" {marks}" if marks else ""))
            if evidence and d.get("reasoning"):
                _render_reasoning(d["reasoning"], numbers)
            elif evidence:
                for e in d["evidence"]:
                    out.print(f"    [{numbers.get(e['doc_id'], '?')}] {e['text']}")
            if d["sources"]:
                _render_sources(d["sources"])
            out.print(f"model: {d['model']}" + (f" · {d['backend']}" if d["backend"] else "")
                      + f" · {d['stats']['generate_s']:.2f}s", style="dim")

        emit(st, result.to_json(), render)

    if question is not None:
        answer_one(question)
        return
    # Interactive: the model and index stay loaded between questions.
    if not st.json:
        err.print("Ask about your corpus; Ctrl-D or `exit` leaves.")
    while True:
        if not st.json and sys.stdin.isatty():
            err.print("? ", end="")
        line = sys.stdin.readline()
        if not line or line.strip() in {"exit", "quit"}:
            break
        if not line.strip():
            continue
        try:
            answer_one(line.strip())
        except BadInput as exc:
            err.print(f"error: {exc}", style="red")


@models_app.command("list")
def models_list(ctx: typer.Context) -> None:
    """Show model aliases and whether each is available on this machine.

    Example: briefkit models list
    """
    from ..llm.models import available_models

    st = state(ctx)
    rows = available_models()

    def render(d: dict) -> None:
        t = Table("name", "id", "available", "where")
        for r in d["models"]:
            t.add_row(r["name"], r["id"], "yes" if r["available"] else "no", r["where"])
        out.print(t)
        out.print("`auto` uses qwen3.5-0.8b when available, else smollm2-135m", style="dim")

    emit(st, {"models": rows}, render)


@models_app.command("pull")
def models_pull(ctx: typer.Context, name: str = typer.Argument(..., help="Alias or Hugging Face id.")) -> None:
    """Download a model from the Hugging Face Hub (needs network access to the Hub).

    Example: briefkit models pull qwen3.5-0.8b
    """
    from ..llm.models import pull

    st = state(ctx)
    path = pull(name)
    emit(st, {"model": name, "path": path}, lambda d: out.print(f"downloaded {name} to {path}"))


def register(app: typer.Typer) -> None:
    app.command("summarise", epilog=GLOBALS_EPILOG)(summarise_cmd)
    app.command("summarize", hidden=True)(summarise_cmd)
    app.command("ask", epilog=GLOBALS_EPILOG)(ask_cmd)
    app.add_typer(models_app, name="models")
