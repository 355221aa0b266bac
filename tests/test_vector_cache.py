"""The sentence-vector cache (``HOME/vectors.sqlite``): the bundled MiniLM behind a real SQLite file.

The embedders that count their calls are subclasses of the real ones sharing the loaded model (named
``Counting...``); every vector they return is the real model's.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from briefkit.index.embedders.base import Embedder
from briefkit.index.embedders.cached import CachedEmbedder, uncached
from briefkit.index.vector_cache import VectorCache
from conftest import counting

TEXTS = ["Alibaba released Qwen3.5 Small in four sizes.", "Rovers won the league on the final day.",
         "T-Head shipped 470,000 AI chips by February 2026.", "Rovers won the league on the final day."]
UNIQUE = list(dict.fromkeys(TEXTS))


def alone(real: Embedder, texts: list[str]) -> np.ndarray:
    """``real``'s vector of each text embedded on its own (what the cache stores for an int8 model)."""
    return real.embed(texts, per_text=True)


@pytest.fixture(scope="module")
def minilm(sample_ws) -> Embedder:
    """The bundled MiniLM as the search embeds queries (onnx-int8), without the cache around it."""
    return uncached(sample_ws.query_embedder)


@pytest.fixture
def cache_file(tmp_path) -> Path:
    return tmp_path / "home" / "vectors.sqlite"


def cached(inner: Embedder, path: Path, **options) -> CachedEmbedder:
    path.parent.mkdir(parents=True, exist_ok=True)
    return CachedEmbedder(inner, VectorCache(path, **options))


def rows(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT count(*) FROM vectors").fetchone()[0]


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` made read-only for this process (chmod; for root, which chmod does not stop, the immutable flag),
    restored afterwards; skips where neither can stop a write."""
    probe = folder / ".probe"
    os.chmod(folder, 0o555)
    immutable = False
    try:
        if _writable(probe):
            immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode == 0
            if _writable(probe):
                pytest.skip("cannot make a folder read-only here (root without chattr)")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        os.chmod(folder, 0o755)


def _writable(probe: Path) -> bool:
    try:
        probe.write_text("x")
    except OSError:
        return False
    probe.unlink()
    return True


def test_cached_vectors_are_the_wrapped_embedders_and_a_second_call_embeds_nothing(minilm, cache_file):
    inner = counting(minilm)
    first = cached(inner, cache_file).embed(TEXTS)
    assert inner.calls == [UNIQUE]  # one call, each text once
    assert first.shape == (4, 384) and first.dtype == np.float32
    assert np.allclose(first, alone(minilm, TEXTS), atol=1e-6)
    assert np.array_equal(first[1], first[3])

    again = cached(inner, cache_file).embed(list(reversed(TEXTS)))  # a new process's cache on the same file
    assert inner.calls == [UNIQUE]
    assert np.array_equal(again, first[::-1])  # bit for bit, in the order asked
    assert rows(cache_file) == 3


def test_only_the_texts_not_cached_are_embedded_in_one_call(minilm, cache_file):
    inner = counting(minilm)
    embedder = cached(inner, cache_file)
    embedder.embed(TEXTS[:2])
    new = ["Shares of Nvidia rose 4% on Monday.", "The vote was postponed to March."]
    asked = [TEXTS[0], new[0], TEXTS[1], new[1], new[0]]
    out = embedder.embed(asked)
    assert inner.calls == [TEXTS[:2], new]
    assert np.allclose(out, alone(minilm, asked), atol=1e-6)


def test_a_stored_int8_vector_does_not_depend_on_what_was_embedded_with_it(minilm, tmp_path):
    long = ("A much longer sentence, about the central bank's decision to hold its rates for a third month while"
            " inflation eased, pads this batch far beyond the others.")
    batch = [long, TEXTS[1], TEXTS[0]]
    moved = np.abs(minilm.embed([TEXTS[0]])[0] - minilm.embed(batch)[2]).max()
    assert moved > 1e-3  # int8 vectors move with their batch ...
    alone_ = cached(minilm, tmp_path / "a" / "vectors.sqlite").embed([TEXTS[0]])[0]
    with_others = cached(minilm, tmp_path / "b" / "vectors.sqlite").embed(batch)[2]
    assert np.array_equal(alone_, with_others)  # ... the cache's do not


def test_empty_input_embeds_nothing_and_opens_no_file(minilm, cache_file):
    inner = counting(minilm)
    out = cached(inner, cache_file).embed([])
    assert out.shape == (0, 384) and out.dtype == np.float32
    assert inner.calls == [] and not cache_file.exists()


def test_the_wrapper_delegates_what_describes_the_model(minilm, cache_file):
    embedder = cached(minilm, cache_file)
    assert (embedder.name, embedder.dim, embedder.backend) == (minilm.name, 384, "onnx-int8")
    assert embedder.count_tokens(TEXTS) == minilm.count_tokens(TEXTS)
    assert uncached(embedder) is minilm and uncached(minilm) is minilm


def test_another_embedder_never_reads_the_rows_of_the_first(minilm, cache_file):
    from briefkit.index.embedders.load import load_embedder

    cached(minilm, cache_file).embed(TEXTS)
    torch = counting(load_embedder(minilm.name, None, "torch"))
    out = cached(torch, cache_file).embed(TEXTS)
    assert torch.calls == [UNIQUE]
    assert np.allclose(out, load_embedder(minilm.name, None, "torch").embed(TEXTS), atol=1e-6)
    assert not np.allclose(out, alone(minilm, TEXTS), atol=1e-3)  # int8 and torch vectors differ
    assert rows(cache_file) == 6


def test_a_read_only_home_is_bypassed_silently(minilm, cache_file, capsys):
    home = cache_file.parent
    home.mkdir(parents=True)
    with read_only(home):
        inner = counting(minilm)
        out = cached(inner, cache_file).embed(TEXTS)
        out2 = cached(inner, cache_file).embed(TEXTS)
    assert np.allclose(out, alone(minilm, TEXTS), atol=1e-6) and np.array_equal(out, out2)
    assert len(inner.calls) == 2 and not cache_file.exists()
    assert capsys.readouterr().err == ""


def test_a_cache_filled_before_the_home_became_read_only_still_gives_the_vectors(minilm, cache_file, capsys):
    filled = cached(minilm, cache_file)
    expected = filled.embed(TEXTS)
    filled.cache.close()
    with read_only(cache_file.parent):
        out = cached(counting(minilm), cache_file).embed(TEXTS)
    assert np.allclose(out, expected, atol=1e-6)
    assert capsys.readouterr().err == ""


def test_a_damaged_file_is_moved_aside_and_started_afresh(minilm, cache_file, capsys):
    cache_file.parent.mkdir(parents=True)
    cache_file.write_bytes(b"this is not a SQLite database" * 200)
    inner = counting(minilm)
    out = cached(inner, cache_file).embed(TEXTS)
    assert np.allclose(out, alone(minilm, TEXTS), atol=1e-6)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vectors.sqlite.damaged" in err and "started afresh" in err
    assert cache_file.with_name("vectors.sqlite.damaged").read_bytes().startswith(b"this is not")
    cached(inner, cache_file).embed(TEXTS)
    assert len(inner.calls) == 1  # the new file holds them


def test_a_file_with_damaged_pages_is_moved_aside(minilm, cache_file, capsys):
    filled = cached(minilm, cache_file)
    filled.embed(TEXTS)
    filled.cache.close()  # the last connection folds the WAL into the file
    with open(cache_file, "r+b") as f:  # keep the header page, overwrite every table's pages
        f.seek(4096)
        f.write(b"\xff" * (os.path.getsize(cache_file) - 4096))
    inner = counting(minilm)
    out = cached(inner, cache_file).embed(TEXTS)
    assert np.allclose(out, alone(minilm, TEXTS), atol=1e-6)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "damaged" in err
    assert cache_file.with_name("vectors.sqlite.damaged").exists()


def test_a_locked_file_skips_the_write_and_returns_the_vectors(minilm, cache_file, capsys):
    inner = counting(minilm)
    cached(inner, cache_file).embed(TEXTS[:1])  # create the file
    other = sqlite3.connect(cache_file, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        embedder = cached(inner, cache_file, busy_timeout_s=0.1)
        out = [embedder.embed(TEXTS), embedder.embed(TEXTS)]
    finally:
        other.rollback()
        other.close()
    assert inner.calls == [TEXTS[:1], UNIQUE[1:], UNIQUE[1:]]  # the cached one was read; the rest not stored
    assert all(np.allclose(o, alone(minilm, TEXTS), atol=1e-6) for o in out)
    assert capsys.readouterr().err.count("\n") == 1
    assert rows(cache_file) == 1


def test_a_full_disk_skips_the_write_and_returns_the_vectors(minilm, cache_file, capsys):
    inner = counting(minilm)
    embedder = cached(inner, cache_file)
    embedder.embed(TEXTS[:1])
    db = embedder.cache._connection()
    # SQLite's page limit fails a write with the error a full disk gives (SQLITE_FULL).
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    texts = [f"Sentence number {i} about the markets." for i in range(200)]
    out = embedder.embed(texts)
    assert inner.calls == [TEXTS[:1], texts]
    assert np.allclose(out, alone(minilm, texts), atol=1e-6)
    assert "full" in capsys.readouterr().err
    assert rows(cache_file) == 1


def test_a_new_file_waits_for_another_connection_before_switching_to_wal(minilm, cache_file, capsys):
    # What a second process can meet when it opens the file while the first is still creating it: a file not yet
    # in WAL mode that another connection is writing. SQLite fails the switch at once, without its busy timeout.
    cache_file.parent.mkdir(parents=True)
    other = sqlite3.connect(cache_file, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # a write lock on a file in rollback mode
    release = threading.Timer(0.3, other.rollback)
    release.start()
    try:
        embedder = cached(counting(minilm), cache_file, busy_timeout_s=3.0)
        embedder.embed(TEXTS)
    finally:
        release.join()
        other.close()
    assert capsys.readouterr().err == ""
    assert rows(cache_file) == len(UNIQUE)


CHILD = """
import json, sys
import numpy as np
from briefkit.index.embedders.cached import CachedEmbedder
from briefkit.index.embedders.load import load_embedder
from briefkit.index.vector_cache import VectorCache
path, start = sys.argv[1], int(sys.argv[2])
inner = load_embedder("all-MiniLM-L6-v2", None, "onnx")  # fp32: a vector does not move with its batch
embedder = CachedEmbedder(inner, VectorCache(path))
worst = 0.0
for round in range(15):
    texts = [f"Report {i}: the council met on day {i}." for i in range(start + round * 8, start + round * 8 + 40)]
    worst = max(worst, float(np.abs(embedder.embed(texts) - inner.embed(texts)).max()))
print(json.dumps({"worst": worst}))
"""


def test_two_processes_share_one_file(cache_file):
    from briefkit.index.embedders.load import load_embedder

    load_embedder("all-MiniLM-L6-v2", None, "onnx")  # export the fp32 model once, before the two start
    cache_file.parent.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(cache_file), str(start)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for start in (0, 20)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "notice" not in err
        assert json.loads(out)["worst"] < 1e-6
    assert rows(cache_file) == 20 + 14 * 8 + 40  # texts 0 .. 171, each stored once


def test_rows_unread_for_the_kept_days_are_pruned(minilm, cache_file):
    cached(minilm, cache_file).embed(TEXTS)
    with contextlib.closing(sqlite3.connect(cache_file)) as db, db:
        db.execute("UPDATE vectors SET used = used - 61 WHERE key = (SELECT min(key) FROM vectors)")
        db.execute("UPDATE vectors SET used = used - 59 WHERE key = (SELECT max(key) FROM vectors)")
        db.execute("UPDATE meta SET value = value - 1")  # last pruned yesterday
    inner = counting(minilm)
    cached(inner, cache_file, keep_days=60).embed(TEXTS)
    assert len(inner.calls) == 1 and len(inner.calls[0]) == 1  # only the row unread for 61 days was gone
    with contextlib.closing(sqlite3.connect(cache_file)) as db:
        assert db.execute("SELECT count(DISTINCT used) FROM vectors").fetchone()[0] == 1  # all read today


def test_the_workspace_embeds_queries_and_evidence_through_its_cache(settings_factory):
    from briefkit.resources import sample_corpus_path
    from briefkit.workspace import Workspace

    ws = Workspace(settings_factory())
    ws.ingest([sample_corpus_path()])
    assert isinstance(ws.query_embedder, CachedEmbedder)
    sentences = rows(ws.vectors_path)  # ingest put every sentence of the corpus there
    assert sentences > 50
    hits = ws.search("Qwen downloads", mode="dense")
    assert rows(ws.vectors_path) == sentences + 1  # and the query
    inner = counting(uncached(ws.query_embedder))
    ws.query_embedder.inner = inner
    assert [p.chunk_id for p in ws.search("Qwen downloads", mode="dense")] == [p.chunk_id for p in hits]
    assert inner.calls == []
    ws.rebuild()  # a rebuild starts the vectors afresh: the sentences again, not the query
    assert rows(ws.vectors_path) == sentences
