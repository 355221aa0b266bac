"""`briefkit serve`'s API over real HTTP: a uvicorn server on loopback, the sample corpus, the bundled models.

Each test starts its own server (a second or less) so that the token, the limits and the queue size
can differ; the workspace is the session's sample workspace, or a fresh home for ingest and delete.
"""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from briefkit.cli.app import main
from briefkit.web.app import ServeOptions, create_app, safe_name
from briefkit.web.guard import Limits
from live_server import live_server

TOKEN = "a-long-enough-test-token"


def events(body: str) -> list[tuple[str, dict]]:
    """Server-sent events as (event, data) pairs."""
    found = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((lines["event"], json.loads(lines["data"])))
    return found


@pytest.fixture
def server(sample_ws):
    with live_server(create_app(sample_ws)) as url:
        yield url


def test_search_and_docs_mirror_the_cli_json(server, sample_ws, capsys):
    home = str(sample_ws.home)
    with httpx.Client(base_url=server) as http:
        api = http.get("/api/search", params={"q": "tidal energy", "k": 3, "mode": "bm25"}).json()
        main(["--home", home, "--json", "search", "tidal energy", "-k", "3", "--mode", "bm25"])
        assert api == json.loads(capsys.readouterr().out)
        docs = http.get("/api/docs").json()
        main(["--home", home, "--json", "docs", "list"])
        assert docs == json.loads(capsys.readouterr().out)
        shown = http.get("/api/docs/dist-01").json()
        main(["--home", home, "--json", "docs", "show", "dist-01"])
        assert shown == json.loads(capsys.readouterr().out)
        status = http.get("/api/status").json()
        assert status["documents"] == len(docs["documents"]) and status["queue"] == {"places": 4, "taken": 0}
        assert "/api/summarise" in http.get("/openapi.json").json()["paths"]
        docs_page = http.get("/docs").text  # Swagger UI from the package, not from a CDN: works offline
        assert "/docs-assets/swagger-ui-bundle.js" in docs_page and "cdn" not in docs_page
        assert http.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
        page = http.get("/")
        assert page.status_code == 200 and 'id="topic"' in page.text
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "openSource" in http.get("/static/app.js").text


def test_bad_requests_get_4xx_with_the_cli_one_line_message(server):
    with httpx.Client(base_url=server) as http:
        cases = [
            (http.post("/api/summarise", json={"topic": "  "}), 400, "the topic is empty"),
            (http.post("/api/summarise", json={"topic": "tides", "k": 0}), 400, "-k must be 1 or more"),
            (http.post("/api/summarise", json={"topic": "tides", "since": "last week"}), 400, "YYYY-MM-DD"),
            (http.post("/api/summarise", json={"topic": "tides", "model": "/etc/passwd"}), 400, "unknown model"),
            (http.post("/api/summarise", json={"topic": "tides", "colour": "red"}), 400, "colour"),
            (http.post("/api/summarise", content=b"{not json", headers={"content-type": "application/json"}), 400, ""),
            (http.post("/api/ask", json={"question": ""}), 400, "the question is empty"),
            (http.get("/api/search", params={"q": "x", "mode": "fuzzy"}), 400, "hybrid, dense or bm25"),
            (http.get("/api/docs/no-such-doc"), 404, "no document with id 'no-such-doc'"),
            (http.delete("/api/docs/no-such-doc"), 404, "no document with id 'no-such-doc'"),
        ]
    for response, status, message in cases:
        error = response.json()["error"]
        assert response.status_code == status and message in error and "\n" not in error, (response.url, error)


def test_summary_evidence_offsets_point_at_the_stored_text(server):
    with httpx.Client(base_url=server, timeout=600) as http:
        data = http.post("/api/summarise", json={"topic": "tidal energy"}).json()
        assert data["bullets"] and data["model"] and {b["origin"] for b in data["bullets"]} <= {"model", "quoted"}
        for bullet in data["bullets"]:
            for ev in bullet["evidence"]:
                text = http.get(f"/api/docs/{ev['doc_id']}").json()["text"]
                assert text[ev["start"]:ev["end"]] == ev["text"]


def test_token_is_required_on_every_request_when_set(sample_ws):
    app = create_app(sample_ws, ServeOptions(token=TOKEN, loopback_only=False))
    with live_server(app) as url, httpx.Client(base_url=url) as http:
        for path in ("/", "/api/status", "/api/docs", "/static/app.js", "/docs", "/openapi.json"):
            refused = http.get(path)
            assert refused.status_code == 401 and "token" in refused.json()["error"], path
        assert http.get("/api/docs", headers={"Authorization": "Bearer wrong-token-of-some-length"}).status_code == 401
        assert http.get("/api/docs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        page = http.get("/", params={"token": TOKEN})  # opening the page keeps the token in a strict cookie
        assert page.status_code == 200 and "samesite=strict" in page.headers["set-cookie"].lower()
        assert http.get("/api/docs").status_code == 200  # the client sends the cookie back
    assert create_app(sample_ws).state.jobs.places == 4


def test_loopback_server_refuses_other_host_names(server):
    with httpx.Client(base_url=server) as http:
        assert http.get("/api/status", headers={"Host": "attacker.example"}).status_code == 421
        assert http.get("/api/status", headers={"Host": "localhost:1234"}).status_code == 200


def test_request_and_upload_size_limits(sample_ws):
    app = create_app(sample_ws, ServeOptions(limits=Limits(upload_bytes=20_000, body_bytes=1_000)))
    with live_server(app) as url, httpx.Client(base_url=url) as http:
        big = http.post("/api/summarise", json={"topic": "t" * 2_000})
        assert big.status_code == 413 and "limit" in big.json()["error"]
        upload = http.post("/api/ingest", files={"files": ("big.txt", b"word " * 10_000, "text/plain")})
        assert upload.status_code == 413

        def chunks():  # no Content-Length: the limit holds as the bytes arrive
            yield b"{" + b'"topic": "' + b"x" * 600
            yield b"x" * 600 + b'"}'

        streamed = http.post("/api/summarise", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and "limit" in streamed.json()["error"]


def test_full_generation_queue_gets_503_while_searches_still_answer(sample_ws):
    app = create_app(sample_ws, ServeOptions(queue_places=1))
    release = threading.Event()
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        held = app.state.jobs.start(release.wait)  # the worker is busy with a long job
        try:
            refused = http.post("/api/ask", json={"question": "How many homes can the turbines power?"})
            assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
            assert "queue is full" in refused.json()["error"]
            assert http.delete("/api/docs/dist-01").status_code == 503  # writes queue too; nothing deleted
            found = http.get("/api/search", params={"q": "tidal turbines", "k": 2})
            assert found.status_code == 200 and found.json()["results"]
        finally:
            release.set()
        held.result(timeout=10)
        assert http.get("/api/docs/dist-01").status_code == 200
        assert http.get("/api/status").json()["queue"]["taken"] == 0


def test_no_cors_unless_asked(sample_ws):
    origin = {"Origin": "http://elsewhere.example"}
    with live_server(create_app(sample_ws)) as url, httpx.Client(base_url=url) as http:
        assert "access-control-allow-origin" not in http.get("/api/status", headers=origin).headers
    app = create_app(sample_ws, ServeOptions(cors_origins=["http://elsewhere.example"]))
    with live_server(app) as url, httpx.Client(base_url=url) as http:
        allowed = http.get("/api/status", headers=origin).headers
        assert allowed["access-control-allow-origin"] == "http://elsewhere.example"


def test_upload_ingests_under_a_safe_name_with_progress_events_then_delete(settings_factory, tmp_path):
    from briefkit.workspace import Workspace

    ws = Workspace(settings_factory())
    article = ("The river authority opened a new fish ladder beside the weir on Tuesday. Salmon counts upstream "
               "are expected to double within three seasons, the authority said in its annual report.")
    files = [("files", ("../../escape/../notes.txt", article.encode(), "text/plain")),
             ("files", ("empty.txt", b"", "text/plain"))]
    with live_server(create_app(ws)) as url, httpx.Client(base_url=url, timeout=600) as http:
        response = http.post("/api/ingest", files=files)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        found = events(response.text)
        assert [e for e, _ in found] == ["stage", "stage", "done"]
        assert [d["stage"] for _, d in found[:2]] == ["received", "ingesting"]
        report = found[-1][1]
        assert report["added"] == 1 and len(report["failed"]) == 1 and report["documents"] == 1
        [doc] = http.get("/api/docs").json()["documents"]
        stored = http.get(f"/api/docs/{doc['doc_id']}").json()
        assert ".." not in stored["path"] and stored["path"].endswith("-notes.txt")
        assert not (tmp_path / "escape").exists()
        assert (http.get("/api/search", params={"q": "salmon fish ladder"}).json()["results"][0]["doc_id"]
                == doc["doc_id"])
        assert http.delete(f"/api/docs/{doc['doc_id']}").json() == {"deleted": doc["doc_id"]}
        assert http.get("/api/docs").json() == {"documents": []}


@pytest.mark.parametrize("given, safe", [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\report.pdf", "report.pdf"), (".hidden.md", "hidden.md"),
    ("névé notes.txt", "n_v_notes.txt"), ("", "upload"), (None, "upload"), ("..", "upload"),
])
def test_client_file_names_never_become_paths(given, safe):
    assert safe_name(given) == safe


def test_serve_beyond_loopback_needs_a_token(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "--token" in err and len(err.strip().splitlines()) == 1
    assert main(["serve", "--host", "0.0.0.0", "--token", "short"]) == 2
