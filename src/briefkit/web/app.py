"""The HTTP API and the page, over one Workspace whose models stay loaded between requests.

Each route parses its request, runs the same checks and library calls as the matching CLI
command, and returns the same JSON as that command's ``--json``. Library errors become a 4xx
(bad input, unknown document) or 5xx with the CLI's one-line message in ``{"error": ...}``.
Summaries, answers, ingests and deletes run on the bounded :class:`~.jobs.JobQueue` (503 when
it is full); searches and document reads run beside it in the server's thread pool.
This module does not start a server: :func:`create_app` returns an ASGI app for uvicorn.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Callable, Optional

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from ..cli.common import check_dates, check_generation, check_k
from ..errors import BadInput, BriefkitError
from ..workspace import Workspace
from .guard import TOKEN_COOKIE, Guard, Limits
from .jobs import JobQueue, QueueFull

STATIC = Path(__file__).resolve().parent / "static"
SEARCH_FIELDS = ("doc_id", "chunk_id", "title", "source", "date", "score", "text")
DOC_FIELDS = ("doc_id", "title", "source", "url", "date", "path", "text")
MAX_UPLOAD_FILES = 200
# The page loads only its own files and talks only to this server; no framing, no content sniffing.
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Content-Security-Policy":
                "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"}


@dataclass
class ServeOptions:
    """How the app guards itself: its token, body limits, queue places, CORS origins, allowed hosts."""

    token: str | None = None
    limits: Limits = field(default_factory=Limits)
    queue_places: int = 4
    cors_origins: list[str] = field(default_factory=list)
    loopback_only: bool = True


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SummariseRequest(_Strict):
    topic: str = Field(..., max_length=500)
    k: Optional[int] = None
    model: Optional[str] = None
    strategy: Optional[str] = None
    since: Optional[str] = None
    until: Optional[str] = None
    source: Optional[str] = None
    max_bullets: Optional[int] = None


class AskRequest(_Strict):
    question: str = Field(..., max_length=2000)
    k: Optional[int] = None
    model: Optional[str] = None


def safe_name(client_name: str | None) -> str:
    """A file name from a client reduced to its last part in letters, digits, ``.``, ``_`` and ``-``;
    never a path, never hidden, never empty. The name keeps its extension, which picks the reader."""
    base = re.split(r"[\\/]", client_name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")[-100:]
    return base or "upload"


def swagger_ui_files() -> Path:
    """Swagger UI 5 (it reads OpenAPI 3.1) as shipped by the swagger-ui-py package, found without importing
    it, so that /docs works without a CDN."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise BriefkitError("swagger-ui-py is not installed; reinstall briefkit (scripts/setup)")
    return Path(spec.submodule_search_locations[0]) / "static"


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "unexpected failure"


def _check_model(ws: Workspace, model: str | None) -> None:
    """A client may pick a model by its alias only: a path or Hub id would let it load files on the server."""
    from ..llm.models import known_names

    if model is not None and model not in known_names():
        raise BadInput(f"unknown model {model!r}; use one of {', '.join(sorted(known_names()))}")
    check_generation(ws.settings, None, None, model)


def create_app(ws: Workspace, options: ServeOptions | None = None) -> FastAPI:
    """The API and page over ``ws``; the caller serves it (uvicorn) and owns ``ws``."""
    options = options or ServeOptions()
    jobs = JobQueue(options.queue_places)
    app = FastAPI(title="briefkit", summary="Cited summaries, answers and search over your own articles.",
                  version="1", docs_url=None, redoc_url=None)
    app.state.workspace, app.state.jobs = ws, jobs

    @app.exception_handler(BriefkitError)
    async def _briefkit_error(request: Request, exc: BriefkitError) -> JSONResponse:
        return _error(400 if exc.exit_code == 2 else 500, str(exc))

    @app.exception_handler(QueueFull)
    async def _queue_full(request: Request, exc: QueueFull) -> JSONResponse:
        return _error(503, str(exc), {"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query"))
        return _error(400, f"{where}: {first['msg']}" if where else str(first["msg"]))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, _one_line(exc))

    async def queued(job: Callable[[], dict]) -> dict:
        return await asyncio.wrap_future(jobs.start(job))

    @app.get("/api/status", summary="What the server runs: home, corpus size, embedder, generation, queue")
    def status() -> dict:
        docs, chunks = ws.store.counts()
        s = ws.settings
        return {"home": str(ws.home), "documents": docs, "chunks": chunks,
                "embedder": {"model": s.index.embedder, "backend": s.index.embedder_backend},
                "generation": {"model": s.generation.model, "backend": s.generation.backend},
                "queue": {"places": jobs.places, "taken": jobs.taken}, "token_required": options.token is not None}

    @app.get("/api/search", summary="Ranked passages (as `briefkit search --json`)")
    def search(q: str = Query(..., max_length=1000, description="What to look for."),
               k: Optional[int] = None, mode: Optional[str] = None, since: Optional[str] = None,
               until: Optional[str] = None, source: Optional[str] = None) -> dict:
        check_k(k)
        since, until = check_dates(since, until)
        if mode is not None and mode not in ("hybrid", "dense", "bm25"):
            raise BadInput(f"--mode must be hybrid, dense or bm25, got {mode!r}")
        results = ws.search(q, k=k, mode=mode, since=since, until=until, source=source)
        return {"query": q, "results": [{key: p.to_json()[key] for key in SEARCH_FIELDS} for p in results]}

    @app.post("/api/summarise", summary="A cited summary (as `briefkit summarise --json`)")
    async def summarise_route(body: SummariseRequest) -> dict:
        from ..briefs.summarise import summarise

        check_k(body.k)
        since, until = check_dates(body.since, body.until)
        _check_model(ws, body.model)
        return await queued(lambda: summarise(ws, body.topic, k=body.k, model=body.model, strategy=body.strategy,
                                              since=since, until=until, source=body.source,
                                              max_bullets=body.max_bullets).to_json())

    @app.post("/api/ask", summary="A cited answer or an abstention (as `briefkit ask --json`)")
    async def ask_route(body: AskRequest) -> dict:
        from ..briefs.qa import ask

        check_k(body.k)
        _check_model(ws, body.model)
        return await queued(lambda: ask(ws, body.question, k=body.k, model=body.model).to_json())

    @app.get("/api/docs", summary="Stored documents (as `briefkit docs list --json`)")
    def docs_list() -> dict:
        return {"documents": ws.store.list_documents()}

    @app.get("/api/docs/{doc_id}", summary="One document's metadata and stored text (as `briefkit docs show --json`)")
    def docs_show(doc_id: str) -> dict:
        doc = ws.store.get_document(doc_id)
        if doc is None:
            raise HTTPException(404, f"no document with id {doc_id!r}; `briefkit docs list` shows the ids")
        return {key: getattr(doc, key) for key in DOC_FIELDS}

    @app.delete("/api/docs/{doc_id}", summary="Remove a document from the store and the index")
    async def docs_delete(doc_id: str) -> dict:
        if not await queued(lambda: ws.delete(doc_id)):
            raise HTTPException(404, f"no document with id {doc_id!r}; `briefkit docs list` shows the ids")
        return {"deleted": doc_id}

    @app.post("/api/ingest", summary="Upload files to ingest; progress as server-sent events",
              response_description="`text/event-stream`: `stage` events, then `done` with the ingest report "
                                   "(as `briefkit ingest --json`) or `failed` with {status, error}")
    async def ingest_route(files: list[UploadFile] = File(..., description="txt, md, html, jsonl or pdf")):
        if len(files) > MAX_UPLOAD_FILES:
            raise BadInput(f"{len(files)} files in one upload; the limit is {MAX_UPLOAD_FILES}")
        folder = Path(tempfile.mkdtemp(prefix="briefkit-upload-"))
        try:
            paths = await _save_uploads(files, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        events: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def job() -> dict:
            loop.call_soon_threadsafe(events.put_nowait, ("stage", {"stage": "ingesting", "files": len(paths)}))
            try:
                return ws.ingest(paths).to_json()
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        try:
            running = asyncio.wrap_future(jobs.start(job))
        except QueueFull:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return StreamingResponse(_ingest_events(len(paths), running, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    @app.get("/", include_in_schema=False)
    def page(token: Optional[str] = None) -> FileResponse:
        response = FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)
        if token is not None and options.token is not None:  # the guard has checked it: keep it for the page
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="briefkit API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_files()), name="docs-assets")
    app.add_middleware(Guard, token=options.token, limits=options.limits, loopback_only=options.loopback_only)
    if options.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=options.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    app.router.on_shutdown.append(jobs.shutdown)
    return app


async def _save_uploads(files: list[UploadFile], folder: Path) -> list[Path]:
    """Each upload written under ``folder`` as ``NNN-<safe name>``: the client's name is never a path."""
    paths = []
    for i, upload in enumerate(files):
        path = folder / f"{i:03d}-{safe_name(upload.filename)}"
        with open(path, "wb") as out:
            while chunk := await upload.read(1 << 20):
                out.write(chunk)
        paths.append(path)
    return paths


def _sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def _ingest_events(files: int, running: "asyncio.Future[dict]",
                         events: "asyncio.Queue[tuple[str, dict]]") -> AsyncIterator[bytes]:
    """``stage`` events (received, ingesting), then ``done`` with the report or ``failed`` with the error."""
    yield _sse("stage", {"stage": "received", "files": files})
    while not running.done():
        getter = asyncio.ensure_future(events.get())
        await asyncio.wait({getter, running}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            yield _sse(*getter.result())
        else:
            getter.cancel()
    while not events.empty():
        yield _sse(*events.get_nowait())
    try:
        report = running.result()
    except BriefkitError as exc:
        yield _sse("failed", {"status": 400 if exc.exit_code == 2 else 500, "error": str(exc)})
        return
    except Exception as exc:  # noqa: BLE001 - the stream has started: the error travels as an event
        yield _sse("failed", {"status": 500, "error": _one_line(exc)})
        return
    yield _sse("done", report)
