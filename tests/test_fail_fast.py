"""Issue 19: models and backends that cannot work fail at once, in one line, with the documented exit code."""

import json
import socket

import pytest

from briefkit.cli.app import main


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def closed_port() -> int:
    """A local TCP port where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs") / "a.jsonl"
    docs.write_text(json.dumps({"id": "tide", "title": "Tidal pilot", "text": "A harbour town switched on three tidal"
                                " turbines this week; they power 1,200 homes."}) + "\n", encoding="utf-8")
    h = tmp_path_factory.mktemp("home")
    assert main(["--home", str(h), "ingest", str(docs)]) == 0
    return h


@pytest.mark.parametrize("how", ["HF_HUB_OFFLINE", "unreachable endpoint"])
def test_an_uncached_hub_model_without_the_hub_is_one_line(tmp_path, capsys, monkeypatch, how):  # row 14
    if how == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    never = tmp_path / "never-created"
    code, out, err = run(capsys, "--home", str(never), "summarise", "tides", "--model", "no-such-org/no-such-model")
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "no-such-org/no-such-model is not in the local Hugging Face cache" in err and "models pull" in err
    assert not never.exists()  # refused before the store or a model was touched


def test_the_library_path_refuses_an_unreachable_hub_before_loading(monkeypatch):  # row 14, without the CLI
    from briefkit.errors import ModelUnavailable
    from briefkit.llm.transformers_backend import TransformersBackend

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE is set"):
        TransformersBackend(model="no-such-org/no-such-model", device="cpu")


@pytest.mark.parametrize("backend", [[], ["--backend", "llamacpp"], ["--backend", "transformers"]])
def test_a_missing_gguf_is_exit_2_before_anything_loads(tmp_path, capsys, backend):  # row 15
    missing = tmp_path / "nonexistent.gguf"
    code, _, err = run(capsys, "--home", str(tmp_path / "h"), "summarise", "tides", "--model", str(missing), *backend)
    assert code == 2 and err.strip() == (f"error: no such file: {missing}"
                                         " (--model names a .gguf file that does not exist)")
    assert not (tmp_path / "h").exists()


def test_a_missing_gguf_is_bad_input_in_the_library_too(tmp_path):  # row 15
    from briefkit.errors import BadInput
    from briefkit.llm.models import resolve_gguf

    with pytest.raises(BadInput, match="no such file"):
        resolve_gguf(str(tmp_path / "nonexistent.gguf"))


@pytest.mark.parametrize("command", [["summarise", "tides"], ["ask", "How many homes?"]])
def test_a_named_server_that_is_not_there_is_exit_1_with_its_url(home, capsys, command):  # row 16
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, out, err = run(capsys, "--home", str(home), *command, "--backend", "openai", "--base-url", url)
    assert code == 1 and f"server {url} is not answering" in err and out == "", err


def test_a_cached_summary_prints_no_speed(home, capsys):  # row 20
    args = ["--home", str(home), "summarise", "tidal turbines", "--model", "smollm2-135m", "--strategy", "stuff"]
    code, first, err = run(capsys, *args)
    assert code == 0 and "tok/s" in first, err
    code, second, err = run(capsys, *args)
    assert code == 0 and "(cached)" in second and "tok/s" not in second, second
