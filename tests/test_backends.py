"""llama.cpp and OpenAI-compatible backends, against real engines: the bundled GGUF in
llama-cpp-python, and llama-cpp-python's OpenAI-compatible server on loopback."""

import http.server
import json
import math
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from briefkit.errors import ModelUnavailable
from briefkit.attribution.verify import Verifier
from briefkit.llm.base import GenerationParams, yes_no_value, yes_share
from briefkit.llm.registry import create_backend
from briefkit.llm.models import smollm2_gguf
from briefkit.briefs.summarise import summarise

pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `scripts/setup --dev`")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """llama-cpp-python's OpenAI-compatible server with a GGUF (the bundled SmolLM2 by default), on loopback."""

    def __init__(self, model=None, alias: str = "smollm2-135m") -> None:
        self.model = model or smollm2_gguf()
        self.alias = alias
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = None

    def start(self) -> "Server":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", "4096", "--model_alias", self.alias],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/models", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("llama.cpp server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def server():
    srv = Server().start()
    yield srv
    srv.stop()


def _check_written(ws, result):
    """The backend wrote: at least one bullet is in the model's words, and each such bullet passes the
    verifier against its evidence; every citation rests on an exact span of the cited document."""
    verifier = Verifier(ws.support_scorer, ws.settings.summarise.min_support)
    written = [b for b in result.bullets if b.origin == "model"]
    assert written, [b.notes for b in result.bullets]
    assert all(verifier.check([b.text], [[e.text for e in b.evidence]])[0].ok for b in written)
    for b in result.bullets:
        assert b.citations and set(b.citations) == {e.doc_id for e in b.evidence}
        assert all(ws.store.get_document(e.doc_id).text[e.start:e.end] == e.text for e in b.evidence)


def test_llamacpp_backend_generates_with_token_accounting():
    backend = create_backend("llamacpp", model="smollm2-135m", context_tokens=4096)
    messages = [{"role": "user", "content": "Name three colours."}]
    prompt = backend.render(messages)
    assert prompt.startswith("<|im_start|>") and prompt.endswith("<|im_start|>assistant\n")
    result = backend.generate(messages, GenerationParams(max_tokens=12))
    assert result.prompt_tokens == backend.count_tokens(prompt)
    assert 0 < result.completion_tokens <= 12 and result.text
    assert result.model == "smollm2-135m"


YES_NO_CHATS = [[{"role": "user", "content": q + " Answer yes or no."}] for q in (
    "Is Paris the capital of France?", "Is the sun colder than ice?", "Is water wet?", "Do fish live in water?")]


def test_yes_share_and_reply_reading_by_hand():
    assert yes_share([0.0, math.log(3.0), 5.0], yes=[0], no=[1]) == pytest.approx(0.25)  # 1 / (1 + 3); token 2 ignored
    assert yes_share([0.0, 0.0, 0.0], yes=[0, 1], no=[2]) == pytest.approx(2 / 3)  # two spellings of yes
    assert yes_share([1000.0, 0.0], yes=[0], no=[1]) == pytest.approx(1.0)  # no overflow
    assert [yes_no_value(t) for t in ("Yes, it is.", " no.", "NO", "Maybe", "")] == [1.0, 0.0, 0.0, 0.5, 0.5]


def test_llamacpp_and_transformers_read_the_same_yes_probability():
    """Both read P(yes) from the first reply token's logits: they agree with each other (Q4_1 against fp32) and
    with the greedy reply, and a chat scored after another (its cached prefix re-used) scores as it does alone."""
    llama = create_backend("llamacpp", model="smollm2-135m", context_tokens=2048)
    torch_ = create_backend("transformers", model="smollm2-135m", dtype="float32")
    p_llama, p_torch = llama.yes_probability(YES_NO_CHATS), torch_.yes_probability(YES_NO_CHATS)
    assert all(0.0 < p < 1.0 for p in p_llama + p_torch)
    # Q4_1 against fp32: up to 0.052 apart on a llama.cpp built for AVX2 only (0.32 against 0.26), less with AVX-512
    assert p_llama == pytest.approx(p_torch, abs=0.08)
    replies = [yes_no_value(r.text) for r in llama.generate_batch(YES_NO_CHATS, GenerationParams(max_tokens=3))]
    assert [p > 0.5 for p, r in zip(p_llama, replies) if r != 0.5] == [r == 1.0 for r in replies if r != 0.5]
    assert llama.yes_probability(YES_NO_CHATS[-1:]) == pytest.approx(p_llama[-1:], abs=1e-4)
    llama.generate(YES_NO_CHATS[0], GenerationParams(max_tokens=8))  # generation in between leaves no stale cache
    assert llama.yes_probability(YES_NO_CHATS[1:2]) == pytest.approx(p_llama[1:2], abs=1e-4)


def test_a_server_backend_reads_yes_from_the_greedy_reply(server):
    """The default yes_probability (no logits): the greedy reply read as 1, 0 or 0.5."""
    backend = create_backend("openai", model="smollm2-135m", base_url=server.url)
    replies = [r.text for r in backend.generate_batch(YES_NO_CHATS, GenerationParams(max_tokens=3))]
    assert backend.yes_probability(YES_NO_CHATS) == [yes_no_value(t) for t in replies]


def test_summarise_with_llamacpp_backend(sample_ws):
    ws = sample_ws.derive(generation={"backend": "llamacpp", "cache": False})
    result = summarise(ws, "Qwen adoption figures", model="smollm2-135m", k=4)
    assert result.model == "smollm2-135m" and result.backend.startswith("llama.cpp")
    _check_written(ws, result)


def test_summarise_through_openai_compatible_server(sample_ws, server):
    ws = sample_ws.derive(generation={"backend": "openai", "base_url": server.url, "cache": False})
    result = summarise(ws, "Qwen3.5 model releases", k=4)
    assert result.model == f"smollm2-135m @ {server.url}"
    assert result.stats.completion_tokens > 0 and result.stats.prompt_tokens > 0
    _check_written(ws, result)


def test_server_down_is_one_clear_error():
    backend = create_backend("openai", model="m", base_url=f"http://127.0.0.1:{free_port()}/v1", retries=1, timeout_s=2)
    with pytest.raises(ModelUnavailable, match="not answering"):
        backend.generate([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=4))
    with pytest.raises(ModelUnavailable, match="not answering"):  # `auto` asks the server for its model list
        create_backend("openai", model="auto", base_url=f"http://127.0.0.1:{free_port()}/v1", retries=0)


def test_server_answering_garbage_is_one_clear_error():
    class Garbage(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>not an API</html>")

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        backend = create_backend("openai", model="m", base_url=f"http://127.0.0.1:{httpd.server_port}/v1", retries=0)
        with pytest.raises(ModelUnavailable, match="not JSON"):
            backend.generate([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=4))
    finally:
        httpd.shutdown()


class StubOpenAI(http.server.BaseHTTPRequestHandler):
    """Test double for an OpenAI-compatible server: HTTP/1.1 keep-alive, answers the queued status codes
    first (then 200), and records each request's payload and client port (one port per TCP connection)."""

    protocol_version = "HTTP/1.1"
    statuses: list[int] = []
    payloads: list[dict] = []
    ports: set[int] = set()

    def do_POST(self):
        type(self).ports.add(self.client_address[1])
        type(self).payloads.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        body = json.dumps({"choices": [{"message": {"content": "red, green, blue"}}],
                           "usage": {"prompt_tokens": 7, "completion_tokens": 5}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    handler = type("Stub", (StubOpenAI,), {"statuses": [], "payloads": [], "ports": set()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{httpd.server_port}/v1"
    yield handler
    httpd.shutdown()


def test_openai_backend_reuses_one_connection(stub):
    backend = create_backend("openai", model="m", base_url=stub.url, concurrency=1)
    for _ in range(3):
        result = backend.generate([{"role": "user", "content": "colours?"}], GenerationParams(max_tokens=4))
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("red, green, blue", 7, 5)
    assert len(stub.payloads) == 3 and len(stub.ports) == 1  # keep-alive: no new TCP connection per request


def test_openai_backend_retries_429_and_5xx_and_reports_4xx_in_one_line(stub):
    backend = create_backend("openai", model="Qwen3.5-0.8B", base_url=stub.url, retries=2)
    stub.statuses[:] = [503, 429]
    assert backend.generate([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=4)).text
    assert len(stub.payloads) == 3
    assert stub.payloads[-1]["chat_template_kwargs"] == {"enable_thinking": False}  # Qwen answers without <think>
    stub.statuses[:] = [503, 503, 503]
    with pytest.raises(ModelUnavailable, match=r"not answering \(HTTP 503 Service Unavailable\) after 3 attempts"):
        backend.generate([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=4))
    stub.statuses[:] = [400]
    with pytest.raises(ModelUnavailable, match=r"refused the request: HTTP 400 Bad Request$"):
        backend.generate([{"role": "user", "content": "hi"}], GenerationParams(max_tokens=4))


def test_eval_run_survives_a_server_killed_mid_run(tmp_path):
    from briefkit.config import Settings
    from briefkit.evaluation.runner import read_results, run_spec

    facts = [json.loads(line) for line in
             (__import__("conftest").ROOT / "eval" / "sample_facts.jsonl").read_text().splitlines()][:2]
    (tmp_path / "facts.jsonl").write_text("\n".join(json.dumps(f) for f in facts))
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "t"\ndataset = "facts.jsonl"\nmax_new_tokens = 48\n'
                    '[matrix]\nmodels = ["smollm2-135m"]\nstrategies = ["stuff"]\nk = [3, 4]\n')
    srv = Server().start()
    settings = Settings().with_overrides(generation={"backend": "openai", "base_url": srv.url, "retries": 1,
                                                     "timeout_s": 30, "cache": False})
    out = tmp_path / "run"
    try:
        with pytest.raises(ModelUnavailable, match="not answering"):
            run_spec(spec, out, settings, on_row=lambda row: srv.stop())  # the server dies after the first cell
        assert len(read_results(out / "results.jsonl")) == 1
        srv.start()
        resumed = []
        rows = run_spec(spec, out, settings, on_row=resumed.append)
        assert len(resumed) == 3 and len(rows) == 4
    finally:
        srv.stop()
