"""`briefkit ingest`, `briefkit search`, `briefkit docs ...` and `briefkit index ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from ..errors import BadInput
from ..resources import sample_corpus_path
from .common import GLOBALS_EPILOG, check_dates, check_k, emit, err, out, state

index_app = typer.Typer(help="Inspect or rebuild the search index.\n\nExample: briefkit index stats",
                        no_args_is_help=True, epilog=GLOBALS_EPILOG)
docs_app = typer.Typer(help="List, show or delete stored documents.\n\nExample: briefkit docs list",
                       no_args_is_help=True, epilog=GLOBALS_EPILOG)


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(None, metavar="PATH...",
                                       help="Files or folders (recursive): txt, md, html, jsonl, pdf."),
    sample: bool = typer.Option(False, "--sample", help="Ingest the built-in sample corpus."),
    exclude: list[str] = typer.Option([], "--exclude", metavar="GLOB",
                                      help="Skip files matching this glob (name or path below the folder);"
                                      " repeatable."),
    embedder: Optional[str] = typer.Option(None, metavar="MODEL", help="Embedding model name or folder."),
    embedder_backend: Optional[str] = typer.Option(None, metavar="BACKEND",
                                                   help="torch | onnx | onnx-int8 (faster on CPU)."),
    max_file_mb: Optional[float] = typer.Option(None, metavar="MB", help="Refuse files larger than this."),
) -> None:
    """Add articles to the store and the index.

    An article is known by its file, its URL, or its file and id (JSONL). Re-ingesting it
    unchanged adds nothing; an edited one replaces its old version; a copy of another article
    is skipped as a duplicate. Two records with the same id: the second is refused.

    Example: briefkit ingest notes/ --exclude 'drafts/*'
    """
    st = state(ctx)
    targets = list(paths or [])
    if sample:
        targets.append(sample_corpus_path())
    if not targets:
        raise BadInput("give at least one file or folder to ingest (or --sample)")
    ws = st.workspace(index={"embedder": embedder, "embedder_backend": embedder_backend},
                      corpus={"max_file_mb": max_file_mb})
    report = ws.ingest(targets, exclude=exclude)
    data = report.to_json()

    def render(d: dict) -> None:
        for f in d["failed"]:
            err.print(Text.assemble(("skipped", "yellow"), f" {f['path']}: {f['error']}"))
        for w in d["warnings"]:
            err.print(Text.assemble(("warning", "yellow"), f" {w['path']}: {w['warning']}"))
        out.print(
            f"added {d['added']} document(s), replaced {d['replaced']}, {d['unchanged']} unchanged,"
            f" skipped {d['skipped_duplicates']} duplicate(s),"
            f" {len(d['failed'])} failed; the store holds {d['documents']} documents in {d['chunks']} chunks"
            f" ({ws.home})"
        )

    emit(st, data, render)
    if report.read == 0 and report.failed:
        raise typer.Exit(2)


def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., metavar="QUERY", help="What to look for."),
    k: Optional[int] = typer.Option(None, "-k", metavar="N", help="Number of results [default: retrieval.k, 8]."),
    mode: Optional[str] = typer.Option(None, metavar="MODE",
                                       help="hybrid | dense | bm25 [default: retrieval.mode, hybrid]."),
    mmr: Optional[bool] = typer.Option(None, "--mmr/--no-mmr", help="Diversify results (maximal marginal relevance)."),
    since: Optional[str] = typer.Option(None, metavar="DATE", help="Only documents dated on or after YYYY-MM-DD."),
    until: Optional[str] = typer.Option(None, metavar="DATE", help="Only documents dated on or before YYYY-MM-DD."),
    source: Optional[str] = typer.Option(None, metavar="SOURCE", help="Only documents from this source."),
    embedder: Optional[str] = typer.Option(None, metavar="MODEL", help="Embedding model the index was built with."),
) -> None:
    """Search the corpus; prints ranked passages.

    Example: briefkit search "tidal turbines" -k 3 --mode bm25
    """
    st = state(ctx)
    check_k(k)
    since, until = check_dates(since, until)
    if mode is not None and mode not in ("hybrid", "dense", "bm25"):
        raise BadInput(f"--mode must be hybrid, dense or bm25, got {mode!r}")
    ws = st.workspace(index={"embedder": embedder})
    results = ws.search(query, k=k, mode=mode, mmr=mmr, since=since, until=until, source=source)
    data = {"query": query, "results": [_public(p.to_json()) for p in results]}

    def render(d: dict) -> None:
        if not d["results"]:
            out.print("no matching passages")
        for i, r in enumerate(d["results"], 1):
            out.print(Text.assemble((f"{i}. {r['title'] or r['doc_id']}", "bold"), "  ", (
                f"{r['doc_id']} · {r['source'] or '-'} · {r['date'] or 'undated'} · score {r['score']:.4f}", "dim")))
            text = r["text"] if len(r["text"]) < 400 else r["text"][:400] + "…"
            out.print(f"   {text}\n")

    emit(st, data, render)


def _public(p: dict) -> dict:
    return {key: p[key] for key in ("doc_id", "chunk_id", "title", "source", "date", "score", "text")}


@index_app.command("stats", epilog=GLOBALS_EPILOG)
def index_stats(ctx: typer.Context) -> None:
    """Show the index's size, type and embedding model.

    Example: briefkit index stats --json
    """
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


@index_app.command("rebuild", epilog=GLOBALS_EPILOG)
def index_rebuild(
    ctx: typer.Context,
    embedder: Optional[str] = typer.Option(None, metavar="MODEL", help="Embedding model to rebuild with."),
    kind: Optional[str] = typer.Option(None, metavar="KIND", help="auto | flat | ivf | ivfpq"),
) -> None:
    """Re-embed every chunk and write a fresh index (e.g. after changing the embedding model).

    Example: briefkit index rebuild --kind ivfpq
    """
    st = state(ctx)
    ws = st.workspace(index={"embedder": embedder, "kind": kind})
    index = ws.rebuild()
    emit(st, {"rebuilt": True, **index.meta.__dict__}, lambda d: out.print(
        f"rebuilt a {d['kind']} index of {d['chunks']} chunks with {d['embedder']}"))


@index_app.command("update", epilog=GLOBALS_EPILOG)
def index_update(ctx: typer.Context) -> None:
    """Embed the chunks the index lacks, e.g. after an ingest or rebuild was interrupted (it resumes there).

    Example: briefkit index update
    """
    st = state(ctx)
    ws = st.workspace()
    index = ws.update_index()
    emit(st, {"embedded": ws.embedded, **index.meta.__dict__}, lambda d: out.print(
        f"embedded {d['embedded']} chunk(s); the index holds {d['chunks']} embedded chunks"
        f" ({d['kind']}, {d['embedder']})"))


@docs_app.command("list", epilog=GLOBALS_EPILOG)
def docs_list(ctx: typer.Context) -> None:
    """List stored documents: id, date, source, title, chunks.

    Example: briefkit docs list --json
    """
    st = state(ctx)
    rows = st.workspace().store.list_documents()

    def render(d: dict) -> None:
        if not d["documents"]:
            out.print("no documents yet; add some with `briefkit ingest PATH`")
            return
        t = Table("id", "date", "source", "title", "chunks")
        for r in d["documents"]:
            t.add_row(r["doc_id"], r["date"] or "-", r["source"] or "-", r["title"] or "-", str(r["chunks"]))
        out.print(t)

    emit(st, {"documents": rows}, render)


@docs_app.command("show", epilog=GLOBALS_EPILOG)
def docs_show(ctx: typer.Context, doc_id: str = typer.Argument(..., metavar="ID", help="Document id.")) -> None:
    """Show one document's metadata and stored (cleaned) text.

    Example: briefkit docs show adopt-01
    """
    st = state(ctx)
    doc = st.workspace().store.get_document(doc_id)
    if doc is None:
        raise BadInput(f"no document with id {doc_id!r}; `briefkit docs list` shows the ids")
    data = {k: getattr(doc, k) for k in ("doc_id", "title", "source", "url", "date", "path", "text")}

    def render(d: dict) -> None:
        out.print(d["title"] or d["doc_id"], style="bold")
        for key in ("doc_id", "source", "url", "date", "path"):
            if d[key]:
                out.print(f"{key}: {d[key]}")
        out.print()
        out.print(d["text"])

    emit(st, data, render)


@docs_app.command("delete", epilog=GLOBALS_EPILOG)
def docs_delete(ctx: typer.Context,
                doc_id: str = typer.Argument(..., metavar="ID", help="Document id to remove.")) -> None:
    """Remove a document and its chunks from the store and the index.

    Example: briefkit docs delete doc-3f2a9c1e77b0
    """
    st = state(ctx)
    ws = st.workspace()
    if not ws.delete(doc_id):
        raise BadInput(f"no document with id {doc_id!r}; `briefkit docs list` shows the ids")
    emit(st, {"deleted": doc_id}, lambda d: out.print(f"deleted {doc_id}"))


def register(app: typer.Typer) -> None:
    app.command("ingest", epilog=GLOBALS_EPILOG)(ingest)
    app.command("search", epilog=GLOBALS_EPILOG)(search)
    app.add_typer(docs_app, name="docs")
    app.add_typer(index_app, name="index")
    index_app.command("delete", hidden=True)(docs_delete)  # the old spelling of `docs delete`
