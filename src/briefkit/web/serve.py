"""Run the app with uvicorn, after warming the models a request would otherwise wait for."""

from __future__ import annotations

import sys

from ..workspace import Workspace
from .app import ServeOptions, create_app


def warm(ws: Workspace) -> None:
    """Open the index and load the query embedder and support scorer now, so the first request is fast.
    An empty home is left as it is (the page offers ingest); the generation model loads on first use."""
    docs, _ = ws.store.counts()
    if docs:
        ws.index
        ws.query_embedder
        ws.support_scorer


def run(ws: Workspace, options: ServeOptions, host: str, port: int) -> None:
    """Serve until interrupted (blocks)."""
    import uvicorn

    print("loading the index and embedder…", file=sys.stderr)
    warm(ws)
    uvicorn.run(create_app(ws, options), host=host, port=port, log_level="warning", server_header=False)
