"""`briefkit ingest`, `briefkit search` and `briefkit index ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..errors import BadInput
from ..resources import sample_corpus_path
from .common import emit, err, out, state

index_app = typer.Typer(help="Inspect or rebuild the search index.", no_args_is_help=True)


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(None, help="Files or folders (recursive): txt, md, html, jsonl, pdf."),
    sample: bool = typer.Option(False, "--sample", help="Ingest the built-in sample corpus."),
    embedder: Optional[str] = typer.Option(None, help="Embedding model name or folder."),
    embedder_backend: Optional[str] = typer.Option(None, help="torch | onnx | onnx-int8 (faster on CPU)."),
    max_file_mb: Optional[float] = typer.Option(None, help="Refuse files larger than this."),
) -> None:
    """Add articles to the store and the index. Re-ingesting the same content adds nothing."""
    st = state(ctx)
    targets = list(paths or [])
    if sample:
        targets.append(sample_corpus_path())
    if not targets:
        raise BadInput("give at least one file or folder to ingest (or --sample)")
    ws = st.workspace(index={"embedder": embedder, "embedder_backend": embedder_backend},
                      corpus={"max_file_mb": max_file_mb})
    report = ws.ingest(targets)
    data = report.to_json()

    def render(d: dict) -> None:
        for f in d["failed"]:
            err.print(f"[yellow]skipped[/] {f['path']}: {f['error']}")
        out.print(
            f"added {d['added']} document(s), replaced {d['replaced']}, skipped {d['skipped_duplicates']} duplicate(s),"
            f" {len(d['failed'])} failed; the store holds {d['documents']} documents in {d['chunks']} chunks ({ws.home})"
        )

    emit(st, data, render)
    if report.read == 0 and report.failed:
        raise typer.Exit(2)


def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(8, "-k", help="Number of results."),
    mode: str = typer.Option("hybrid", help="hybrid | dense | bm25"),
    mmr: bool = typer.Option(False, "--mmr", help="Diversify results (maximal marginal relevance)."),
    since: Optional[str] = typer.Option(None, help="Only documents dated on or after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, help="Only documents dated on or before YYYY-MM-DD."),
    source: Optional[str] = typer.Option(None, help="Only documents from this source."),
    embedder: Optional[str] = typer.Option(None, help="Embedding model the index was built with."),
) -> None:
    """Search the corpus; prints ranked passages."""
    st = state(ctx)
    _check_dates(since, until)
    ws = st.workspace(index={"embedder": embedder})
    results = ws.search(query, k=k, mode=mode, mmr=mmr, since=since, until=until, source=source)
    data = {"query": query, "results": [_public(p.to_json()) for p in results]}

    def render(d: dict) -> None:
        if not d["results"]:
            out.print("no matching passages")
        for i, r in enumerate(d["results"], 1):
            out.print(f"[bold]{i}. {r['title'] or r['doc_id']}[/]  [dim]{r['doc_id']} · {r['source'] or '-'} · "
                      f"{r['date'] or 'undated'} · score {r['score']:.4f}[/]")
            text = r["text"] if len(r["text"]) < 400 else r["text"][:400] + "…"
            out.print(f"   {text}\n")

    emit(st, data, render)


def _public(p: dict) -> dict:
    return {key: p[key] for key in ("doc_id", "chunk_id", "title", "source", "date", "score", "text")}


def _check_dates(*values: str | None) -> None:
    from ..corpus.readers import normalise_date

    for v in values:
        if v is not None and normalise_date(v) != v:
            raise BadInput(f"dates must be YYYY-MM-DD, got {v!r}")


@index_app.command("stats")
def index_stats(ctx: typer.Context) -> None:
    """Show the index's size, type and embedding model."""
    st = state(ctx)
    ws = st.workspace()
    docs, chunks = ws.store.counts()
    from ..index.search_index import SearchIndex

    found = SearchIndex.read_meta(ws.index_root)
    meta = found[0].__dict__ if found else None
    size = sum(f.stat().st_size for f in found[1].rglob("*") if f.is_file()) if found else 0
    data = {"home": str(ws.home), "documents": docs, "chunks": chunks, "index": meta, "index_bytes": size}

    def render(d: dict) -> None:
        t = Table(show_header=False)
        t.add_row("home", d["home"])
        t.add_row("documents", str(d["documents"]))
        t.add_row("chunks", str(d["chunks"]))
        if d["index"]:
            for key in ("kind", "embedder", "dim", "chunks", "format_version"):
                t.add_row(f"index {key}", str(d["index"][key]))
            t.add_row("index size", f"{d['index_bytes'] / 1e6:.2f} MB")
        else:
            t.add_row("index", "none yet")
        out.print(t)

    emit(st, data, render)


@index_app.command("rebuild")
def index_rebuild(
    ctx: typer.Context,
    embedder: Optional[str] = typer.Option(None, help="Embedding model to rebuild with."),
    kind: Optional[str] = typer.Option(None, help="auto | flat | ivf | ivfpq"),
) -> None:
    """Re-embed every chunk and write a fresh index (e.g. after changing the embedding model)."""
    st = state(ctx)
    ws = st.workspace(index={"embedder": embedder, "kind": kind})
    index = ws.rebuild()
    emit(st, {"rebuilt": True, **index.meta.__dict__}, lambda d: out.print(
        f"rebuilt a {d['kind']} index of {d['chunks']} chunks with {d['embedder']}"))


@index_app.command("delete")
def index_delete(ctx: typer.Context, doc_id: str = typer.Argument(..., help="Document id to remove.")) -> None:
    """Remove a document and its chunks from the store and the index."""
    st = state(ctx)
    ws = st.workspace()
    if not ws.delete(doc_id):
        raise BadInput(f"no document with id {doc_id!r}")
    emit(st, {"deleted": doc_id}, lambda d: out.print(f"deleted {doc_id}"))
