"""The `model` tier: the real benchmark model (Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M) end to end
through the CLI and llama.cpp, on the sample corpus.

Opt in with `-m model` or BRIEFKIT_MODEL_TESTS=1 (see conftest). The file is looked for at
$BRIEFKIT_BENCH_MODEL, else in the user's cache ($BRIEFKIT_CACHE as it was before the tests
replaced it, and ~/.cache/briefkit); without it the test is skipped with the fetch command.
It checks what the pipeline guarantees (citations, evidence, a verified rewrite), not the
model's quality.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefkit.llm.models import BENCHMARK_GGUF, FETCH_COMMAND, benchmark_path
from conftest import USER_CACHE

pytestmark = pytest.mark.model
ALIAS = "qwen2.5-coder-1.5b"
BENCH_MODEL_ENV = "BRIEFKIT_BENCH_MODEL"


def candidates() -> list[Path]:
    """Where the benchmark GGUF may be: the explicit path, else the user's caches."""
    if os.environ.get(BENCH_MODEL_ENV):
        return [Path(os.environ[BENCH_MODEL_ENV]).expanduser()]
    file = BENCHMARK_GGUF[ALIAS].file
    return list(dict.fromkeys([USER_CACHE / "models" / file, Path.home() / ".cache" / "briefkit" / "models" / file]))


@pytest.fixture(scope="module")
def cli(request) -> list[str]:
    """The CLI on the sample corpus, with the benchmark alias resolving (by a symlink in the tests' cache)
    to the file found; skips when there is none."""
    found = next((p for p in candidates() if p.is_file()), None)
    if found is None:
        pytest.skip(f"benchmark model not found in {', '.join(map(str, candidates()))}; fetch it with"
                    f" `{FETCH_COMMAND.format(ALIAS)}` or set {BENCH_MODEL_ENV}")
    link = benchmark_path(ALIAS)
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(found)
    home = request.getfixturevalue("sample_ws").home
    return [sys.executable, "-c", "from briefkit.cli.app import entry; entry()", "--home", str(home), "--json"]


def run(cli: list[str], *args: str) -> dict:
    done = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_summarise_through_llama_cpp_cites_every_bullet_and_rewrites_some(cli):
    data = run(cli, "summarise", "Qwen team leadership changes", "--model", ALIAS, "--backend", "llamacpp",
               "--no-cache")
    assert data["model"] == ALIAS and data["backend"].startswith("llama.cpp")
    bullets = data["bullets"]
    assert bullets and all(b["citations"] and b["evidence"] for b in bullets)
    assert any(b["origin"] == "model" for b in bullets), [b["text"] for b in bullets]


def test_ask_with_the_auto_backend_answers_with_citations(cli):
    data = run(cli, "ask", "How many downloads did Qwen reach on Hugging Face?", "--model", ALIAS, "--no-cache")
    assert data["model"] == ALIAS and data["backend"].startswith("llama.cpp")  # auto picked llama.cpp
    assert not data["abstained"] and data["citations"] and data["evidence"]
    assert "1 billion" in data["answer"], data["answer"]


def test_a_multi_source_yes_no_is_judged_by_the_model(cli, tmp_path):
    kb = Path(__file__).parent / "data" / "multihop_kb.jsonl"
    home = ["--home", str(tmp_path / "home")]
    own = [*cli[:3], *home, "--json"]
    run(own, "ingest", str(kb))
    data = run(own, "ask", "Does Harbor Daily report that Northwind Energy opened a tidal plant in Cork, while "
                           "Coastline Times says that the tidal plant employs 85 people?",
               "--model", ALIAS, "--no-cache")
    assert data["kind"] == "yes/no" and [h["source"] for h in data["reasoning"]] == ["Harbor Daily", "Coastline Times"]
    assert all(h["verdict"].endswith("(model)") for h in data["reasoning"]), data["reasoning"]
    assert data["answer"].startswith("Yes."), data["reasoning"]


def test_the_model_judges_an_answering_sentence_above_background(cli, tmp_path):
    """The judged selector's question, put to the 1.5B model: a sentence that answers the topic gets a higher
    P(yes) than background about the same bank (SummHay topic 2's hardest subtopic, from the topic file), and
    `summarise` with selector = judged reports the time the model spent judging."""
    from briefkit.attribution.judge import judge
    from briefkit.attribution.plan import Group
    from briefkit.attribution.select import Scored
    from briefkit.attribution.evidence import Evidence
    from briefkit.llm.registry import create_backend

    def group(text: str) -> Group:
        return Group([Scored(Evidence("d", 1, 0, len(text), text), None, 0.0, 0.0, 0.0, 0.0)], [1.0])

    answer = group("After the collapse, banks may now require more substantial collateral from startups before"
                   " lending.")
    background = group("Silicon Valley Bank was founded in 1983 and grew with the technology industry.")
    judge(create_backend("llamacpp", ALIAS, context_tokens=2048), "Changes in credit conditions after SVB?",
          [answer, background])
    assert answer.judge > 0.5 > background.judge, (answer.judge, background.judge)
    config = tmp_path / "judged.toml"
    config.write_text('[summarise]\nselector = "judged"\n')
    data = run([*cli, "--config", str(config)], "summarise", "Qwen team leadership changes", "--model", ALIAS,
               "--strategy", "extractive", "--no-cache")
    assert data["model"] == ALIAS and data["stats"]["judge_s"] > 0 and data["summary"]


def test_a_rewrite_that_drops_who_says_it_is_not_shown_as_the_model_s_words(cli, tmp_path):
    """With the judged selector the 1.5B model rewrote lead-02's dated report ("This report dates Lin's
    resignation to March 4") and the company's description of its changes as plain facts; the verifier now
    shows those sentences quoted, and no bullet in the model's words drops a frame of its evidence."""
    from briefkit.text.speech import dropped_frames

    config = tmp_path / "judged.toml"
    config.write_text('[summarise]\nselector = "judged"\n')
    data = run([*cli, "--config", str(config)], "summarise", "Qwen team leadership changes", "--model", ALIAS,
               "--no-cache")
    rewritten = [(b["text"], [e["text"] for e in b["evidence"]]) for b in data["bullets"] if b["origin"] == "model"]
    assert rewritten, [b["text"] for b in data["bullets"]]  # the model still rewrites other bullets
    assert not [(text, ev) for text, ev in rewritten if dropped_frames(text, ev)]
