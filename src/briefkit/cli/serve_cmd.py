"""`briefkit serve`: the JSON API and the page on a local HTTP server (uvicorn)."""

from __future__ import annotations

from typing import Optional

import typer

from ..errors import BadInput
from .common import GLOBALS_EPILOG, err, state


def serve_cmd(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", metavar="HOST", help="Address to listen on; any but loopback needs --token."),
    port: int = typer.Option(8765, metavar="N", help="Port to listen on."),
    token: Optional[str] = typer.Option(None, metavar="T", envvar="BRIEFKIT_TOKEN",
                                        help="Every request must carry it (Authorization: Bearer T)."),
    max_upload_mb: float = typer.Option(50.0, metavar="MB", help="Largest upload to /api/ingest."),
    queue: int = typer.Option(4, metavar="N",
                              help="Summaries, answers and ingests running or waiting at once; more get 503."),
    cors: list[str] = typer.Option([], "--cors", metavar="ORIGIN",
                                   help="Allow this web origin to call the API; repeatable."),
) -> None:
    """Serve the JSON API and the page: summaries whose every citation opens on its source.

    Loopback only unless --host says otherwise, and then --token is required. OpenAPI docs at /docs.

    Example: briefkit serve --port 8765   (then open http://127.0.0.1:8765/)
    """
    from ..web.guard import Limits, is_loopback
    from ..web.serve import run

    st = state(ctx)
    loopback = is_loopback(host)
    if not loopback and not token:
        raise BadInput(f"--host {host} would open the server beyond this machine; add --token T (a long random"
                       " string) so that every request must carry it")
    if token is not None and len(token) < 16:
        raise BadInput("--token must be at least 16 characters long")
    if not 0 < port < 65536 or queue < 1 or max_upload_mb <= 0:
        raise BadInput("--port must be 1-65535, --queue at least 1 and --max-upload-mb above 0")
    from ..web.app import ServeOptions

    options = ServeOptions(token=token, limits=Limits(upload_bytes=int(max_upload_mb * 1e6)), queue_places=queue,
                           cors_origins=list(cors), loopback_only=loopback)
    err.print(f"briefkit serve: http://{host if ':' not in host else f'[{host}]'}:{port}/ (API docs at /docs);"
              " Ctrl-C stops", markup=False)
    run(st.workspace(), options, host, port)


def register(app: typer.Typer) -> None:
    app.command("serve", epilog=GLOBALS_EPILOG)(serve_cmd)
