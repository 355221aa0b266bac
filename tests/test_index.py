"""Store + index: persistence, incremental add, replace, delete, mismatch, corruption, recovery."""

import json

import numpy as np
import pytest

from briefkit.config import Settings
from briefkit.errors import BadInput, BriefkitError, IndexMismatch
from briefkit.index.search_index import SearchIndex
from briefkit.resources import sample_corpus_path
from briefkit.retrieval import alternate, mmr_select, on_cosine_scale
from briefkit.workspace import Workspace
from conftest import SEEDS, counting, make_settings


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


ROWS = [
    {"id": "a", "title": "Tidal power", "source": "Herald", "date": "2026-01-05",
     "text": "The harbour town switched on three tidal turbines that can power 1,200 homes."
             " Engineers will watch fish."},
    {"id": "b", "title": "Qwen release", "source": "Wire", "date": "2026-03-02",
     "text": "Alibaba released the Qwen3.5 Small models in four sizes for phones and laptops. The weights are open."},
    {"id": "c", "title": "Football", "source": "Herald", "date": "2026-03-08",
     "text": "Rovers won the league title on the final day with a three to one win away from home."},
]


def test_ingest_search_and_round_trip(settings_factory, tmp_path):
    settings = settings_factory()
    ws = Workspace(settings)
    report = ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    assert (report.added, report.skipped_duplicates, report.documents) == (3, 0, 3)
    hits = ws.search("open model weights for phones", k=2)
    assert hits[0].doc_id == "b"
    # a fresh process-like workspace reads the saved index and gets the same ranking
    again = Workspace(settings)
    assert [h.chunk_id for h in again.search("open model weights for phones", k=3)] == \
        [h.chunk_id for h in ws.search("open model weights for phones", k=3)]
    assert again.index.meta.embedder == "sentence-transformers/all-MiniLM-L6-v2"
    assert again.index.meta.dim == 384 and again.index.meta.kind == "flat"


def test_reingest_adds_nothing_and_replace_by_id(settings_factory, tmp_path):
    ws = Workspace(settings_factory())
    path = write_jsonl(tmp_path / "a.jsonl", ROWS)
    ws.ingest([path])
    report = ws.ingest([path])
    assert (report.added, report.unchanged, report.skipped_duplicates) == (0, 3, 0)
    changed = [dict(ROWS[0], text="The harbour town switched off its tidal turbines after storms damaged two of them.")]
    report = ws.ingest([write_jsonl(tmp_path / "b.jsonl", changed)])  # the id belongs to a.jsonl: refused
    assert report.replaced == 0 and f"is already used by {path}:1" in report.failed[0]["error"]
    report = ws.ingest([write_jsonl(path, changed + ROWS[1:])])  # its own file may replace it
    assert report.replaced == 1 and report.unchanged == 2 and report.documents == 3
    assert "storms" in ws.search("tidal turbines storms", k=1)[0].text
    assert ws.index.dense.ntotal == ws.store.counts()[1]


def test_an_edited_file_replaces_its_old_version(settings_factory, tmp_path):
    """Same path, new text: one document, the old chunks and vectors gone, search serves the new figure."""
    ws = Workspace(settings_factory())
    notes = tmp_path / "notes"
    notes.mkdir()
    short = notes / "tidal.md"
    short.write_text("# Tidal pilot\n\nThe harbour town's three tidal turbines can power 1,200 homes,"
                     " engineers said.\n")
    long_body = " ".join(next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8").split())
    long = notes / "long.txt"
    long.write_text(long_body, encoding="utf-8")
    first = ws.ingest([notes])
    assert (first.added, first.replaced) == (2, 0)
    old_ids = {d["doc_id"] for d in ws.store.list_documents()}
    old_chunks = set(ws.store.chunk_ids().tolist())

    short.write_text("# Tidal pilot\n\nThe harbour town's four tidal turbines can power 2,400 homes, engineers said.\n")
    long.write_text(long_body + " A late correction: the figures above were revised on Friday.", encoding="utf-8")
    report = ws.ingest([notes])
    assert (report.added, report.replaced, report.skipped_duplicates) == (0, 2, 0)  # long edit is no near-duplicate
    assert report.documents == 2
    assert not old_ids & {d["doc_id"] for d in ws.store.list_documents()}
    assert not old_chunks & set(ws.store.chunk_ids().tolist())
    assert ws.index.indexed_ids().tolist() == ws.store.chunk_ids().tolist()
    hit = ws.search("how many homes do the tidal turbines power", k=1, mode="bm25")[0]
    assert "2,400" in hit.text and "1,200" not in hit.text
    again = Workspace(ws.settings).ingest([notes])  # unchanged now: nothing to do
    assert (again.added, again.replaced, again.unchanged, again.skipped_duplicates) == (0, 0, 2, 0)


def test_exclude_globs_skip_files(settings_factory, tmp_path):
    notes = tmp_path / "notes"
    (notes / "drafts").mkdir(parents=True)
    body = "The harbour town switched on three tidal turbines that can power 1,200 homes this week."
    (notes / "keep.txt").write_text(body)
    (notes / "drafts" / "wip.txt").write_text(body.replace("three", "two"))
    (notes / "old.md").write_text(body.replace("three", "five"))
    report = Workspace(settings_factory()).ingest([notes], exclude=["drafts/*", "*.md"])
    assert report.added == 1 and report.documents == 1


def test_filters_by_date_and_source(settings_factory, tmp_path):
    ws = Workspace(settings_factory())
    ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    for mode in ("hybrid", "dense", "bm25"):
        query = "turbines league weights"  # a word of each article, so that BM25 finds each too
        hits = ws.search(query, k=5, mode=mode, source="herald")
        assert {h.doc_id for h in hits} == {"a", "c"}, mode  # both Herald articles, and only those
        hits = ws.search(query, k=5, mode=mode, since="2026-03-01", until="2026-03-05")
        assert {h.doc_id for h in hits} == {"b"}, mode


def test_mmr_weighs_relevance_against_redundancy():
    vectors = np.array([[0.6, 0.8], [0.6, 0.8], [1.0, 0.0]])  # rows 0 and 1 say the same; row 2's cosine to them 0.6
    relevance = np.array([1.0, 1.0, 0.6])
    # lambda 0.7: row 0 first (0.7); then row 1 scores 0.7 * 1.0 - 0.3 * 1.0 = 0.4 and row 2 0.7 * 0.6 - 0.3 * 0.6
    # = 0.24, so the repeat still comes second
    assert mmr_select(relevance, vectors, 3, 0.7) == [0, 1, 2]
    # lambda 0.4: row 1 scores 0.4 - 0.6 = -0.2, row 2 0.24 - 0.36 = -0.12: the new row comes before the repeat
    assert mmr_select(relevance, vectors, 3, 0.4) == [0, 2, 1]
    # a second row of document "x" loses 0.5 on top: at lambda 1, row 1 (1.0 - 0.5) falls behind row 2 (0.6)
    assert mmr_select(relevance, vectors, 3, 1.0, groups=["x", "x", "y"], group_penalty=0.5) == [0, 2, 1]


def test_alternate_takes_each_list_in_turn_and_each_item_once():
    assert alternate([[1, 2, 3], [2, 4]]) == [1, 2, 4, 3]  # 1, 2 | 2 (seen), 4 | 3
    assert alternate([[5], []]) == [5] and alternate([]) == []


def test_a_ranking_goes_onto_the_cosine_scale_in_its_own_order():
    cosines = np.array([0.2, 0.6, 0.4])
    # scores 3, 1, 2 span 2 and the cosines 0.2 .. 0.6: 3 -> 0.6, 1 -> 0.2, 2 -> 0.2 + 0.4 * (2 - 1) / 2 = 0.4
    assert np.allclose(on_cosine_scale(np.array([3.0, 1.0, 2.0]), cosines), [0.6, 0.2, 0.4])
    assert np.allclose(on_cosine_scale(np.array([5.0, 5.0, 5.0]), cosines), [0.6, 0.6, 0.6])


def test_mmr_by_ranking_keeps_the_hybrid_searchs_order(sample_ws):
    """``mmr_by = "ranking"``: a diversified hybrid search ranks by the fused order, so at lambda 1 it returns the
    plain hybrid search's passages in its order; by cosine it returns the dense order instead, and by both half of
    each."""
    retriever, query = sample_ws.retriever, "Qwen team leadership changes"
    fused = [p.chunk_id for p in retriever.search(query, k=10, mode="hybrid")]
    dense = [p.chunk_id for p in retriever.search(query, k=10, mode="dense")]
    assert fused != dense  # the case under test: BM25 moves the fused order off the dense one
    by = {how: [p.chunk_id for p in retriever.search(query, k=10, mode="hybrid", mmr=True, mmr_lambda=1.0, mmr_by=how)]
          for how in ("ranking", "cosine", "both")}
    assert by["ranking"] == fused and by["cosine"] == dense
    # both: five by each order, taken in turn, the dense one first, a passage both pick once
    assert by["both"] == alternate([dense[:5], fused[:5]])
    assert set(by["both"]) - set(dense[:5])  # the fused order brings in a passage the dense five lack
    # never more than k (1: the cosine's first alone); a dense search's own ranking is its cosine, so both is cosine
    assert [p.chunk_id for p in retriever.search(query, k=1, mmr=True, mmr_lambda=1.0, mmr_by="both")] == dense[:1]
    assert [p.chunk_id for p in retriever.search(query, k=10, mode="dense", mmr=True, mmr_by="both")] == [
        p.chunk_id for p in retriever.search(query, k=10, mode="dense", mmr=True)]
    with pytest.raises(BadInput, match="MMR relevance"):
        retriever.search(query, mmr=True, mmr_by="bm25")
    with pytest.raises(BadInput, match="mmr_by"):
        Settings().with_overrides(retrieval={"mmr_by": "bm25"})


def test_neighbours_of_many_vectors_match_one_dense_search_each_and_keep_the_filters(settings_factory, tmp_path):
    """The corroboration search: one index call for many vectors gives each the passages a dense search with that
    vector alone gives (same chunks, order and relevance), within the date and source filters."""
    ws = Workspace(settings_factory())
    ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    texts = ["The offshore wind farm added turbines", "league results this weekend"]
    vectors = ws.query_embedder.embed(texts)
    many = ws.retriever.neighbours(vectors, 2)
    for text, vec, found in zip(texts, vectors, many):
        one = ws.retriever.search(text, k=2, candidates=2, mode="dense", vector=vec)
        assert [(p.chunk_id, p.doc_id) for p in found] == [(p.chunk_id, p.doc_id) for p in one] and len(found) == 2
        assert [p.relevance for p in found] == pytest.approx([p.relevance for p in one])
        assert found[0].relevance >= found[1].relevance
    assert {p.doc_id for row in ws.retriever.neighbours(vectors, 5, source="herald") for p in row} == {"a", "c"}
    assert ws.retriever.neighbours(vectors[:0], 3) == []


def test_ingest_puts_every_new_sentence_in_the_vector_cache_and_a_summary_embeds_none(settings_factory, tmp_path):
    """The sentences of the chunks an ingest adds are embedded once, at ingest, as a summary reads them; a summary's
    corroboration search then finds them all in the cache, and ingesting the same files again embeds nothing."""
    from briefkit.attribution.plan import corroboration_sentences
    from briefkit.briefs.summarise import summarise
    from briefkit.index.vector_cache import text_key
    from briefkit.retrieval import Passage

    ws = Workspace(settings_factory())
    ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    cached = ws.query_embedder
    texts = [e.text for r in ws.store.chunks(ws.store.chunk_ids().tolist())
             for e in corroboration_sentences(Passage.of_chunk(r))]
    assert len(texts) >= len(ROWS)
    assert len(cached.cache.get(cached.model, [text_key(t) for t in texts], cached.dim)) == len(set(texts))
    assert ws.embed_sentences(np.setdiff1d(ws.store.chunk_ids(), ws.store.chunk_ids())) == 0
    off = Workspace(make_settings(tmp_path / "off", index={"sentence_vectors": False}))  # a home of its own
    off.ingest([write_jsonl(tmp_path / "b.jsonl", ROWS)])
    assert not off.query_embedder.cache.get(cached.model, [text_key(t) for t in texts], cached.dim)

    counted = counting(cached.inner)  # what reaches the model past the cache
    cached.inner = counted
    summary = summarise(ws, "tidal turbines in the harbour town", strategy="extractive")
    assert summary.bullets and summary.stats.evidence_steps.get("corroborate") is not None
    # no stored sentence is embedded again; only the query, if anything
    assert not {t for call in counted.calls for t in call} & set(texts)


def test_delete_removes_from_store_and_index(settings_factory, tmp_path):
    ws = Workspace(settings_factory())
    ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    assert ws.delete("b")
    assert all(h.doc_id != "b" for h in ws.search("Qwen release", k=5))
    assert ws.index.dense.ntotal == ws.store.counts()[1]
    assert not ws.delete("b")


def test_index_built_with_another_embedder_is_a_clear_error(settings_factory, tmp_path):
    ws = Workspace(settings_factory())
    ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    other = Workspace(settings_factory(index={"embedder": "some-org/other-embedder"}))
    with pytest.raises(IndexMismatch, match="all-MiniLM-L6-v2"):
        other.search("anything")
    with pytest.raises(IndexMismatch):
        other.ingest([tmp_path / "a.jsonl"])  # refused before anything is stored
    assert other.store.counts()[0] == 3


def test_corrupt_index_is_a_clear_error_and_rebuild_recovers(settings_factory, tmp_path):
    settings = settings_factory()
    ws = Workspace(settings)
    ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    folder = SearchIndex.read_meta(ws.index_root)[1]
    (folder / "dense.faiss").write_bytes(b"not a faiss index")
    broken = Workspace(settings)
    with pytest.raises(BriefkitError, match="corrupt"):
        broken.search("tidal")
    fixed = Workspace(settings)
    fixed.rebuild()
    assert fixed.search("tidal", k=1)[0].doc_id == "a"


def test_interrupted_ingest_is_completed_by_the_next_run(settings_factory, tmp_path):
    """Documents stored but never indexed (a kill before the index save) are indexed next time."""
    from briefkit.corpus.ingest import ingest_articles

    settings = settings_factory()
    ws = Workspace(settings)
    ws.ingest([write_jsonl(tmp_path / "a.jsonl", ROWS[:1])])
    # simulate the kill: store written, index not synced
    ingest_articles(ws.store, [write_jsonl(tmp_path / "b.jsonl", ROWS[1:])], settings.corpus, ws.embedder.count_tokens)
    stale = SearchIndex.open(ws.index_root, settings.index)
    assert stale.dense.ntotal < ws.store.counts()[1]
    resumed = Workspace(settings)
    report = resumed.ingest([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert report.added == 0 and report.unchanged == 3
    assert resumed.index.dense.ntotal == resumed.store.counts()[1]
    assert resumed.search("football league", k=1)[0].doc_id == "c"


def test_empty_home_says_so(settings_factory):
    with pytest.raises(BadInput, match="empty"):
        Workspace(settings_factory()).search("anything")


def test_ivf_index_is_used_when_forced_on_enough_vectors():
    from briefkit.index.dense import DenseIndex

    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(3000, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(100, 3100)
    flat = DenseIndex.build(vecs, ids, "flat")
    ivf = DenseIndex.build(vecs, ids, "ivf", nprobe=64)
    hits = [i for i, _ in ivf.search(vecs[5], 10)]
    exact = [i for i, _ in flat.search(vecs[5], 10)]
    assert hits[0] == exact[0] == 105
    assert len(set(hits) & set(exact)) >= 8
    ivf.remove(np.array([105]))
    assert 105 not in [i for i, _ in ivf.search(vecs[5], 10)]


def test_ivfpq_index_fits_its_budget_and_keeps_recall():
    import faiss

    from briefkit.index.dense import DenseIndex

    rng = np.random.default_rng(1)
    centers = rng.normal(size=(64, 32)).astype(np.float32)
    vecs = centers[rng.integers(0, 64, 20000)] + 0.3 * rng.normal(size=(20000, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(20000)
    flat = DenseIndex.build(vecs, ids, "flat")
    pq = DenseIndex.build(vecs, ids, "ivfpq", nprobe=32, pq_m=16)
    recall = np.mean([len({i for i, _ in pq.search(vecs[q], 10)} & {i for i, _ in flat.search(vecs[q], 10)}) / 10
                      for q in range(0, 20000, 400)])
    assert recall >= 0.5
    flat_bytes = faiss.serialize_index(flat.index).nbytes
    pq_bytes = faiss.serialize_index(pq.index).nbytes
    assert pq_bytes < flat_bytes / 2  # 16 code bytes + id instead of 128 bytes a vector


def test_onnx_int8_embedder_matches_torch(sample_ws):
    from briefkit.index.embedders.load import load_embedder

    texts = ["Alibaba released Qwen3.5 Small in four sizes.", "Rovers won the league on the final day.",
             "T-Head shipped 470,000 AI chips by February 2026, most of them to outside customers."]
    torch_vecs = sample_ws.embedder.embed(texts)
    onnx = load_embedder("all-MiniLM-L6-v2", None, "onnx-int8")
    assert onnx.backend == "onnx-int8" and onnx.dim == 384 and onnx.name == sample_ws.embedder.name
    onnx_vecs = onnx.embed(texts)
    assert np.allclose(np.linalg.norm(onnx_vecs, axis=1), 1.0, atol=1e-5)
    assert (torch_vecs * onnx_vecs).sum(axis=1).min() > 0.97
    assert onnx.count_tokens(texts) == sample_ws.embedder.count_tokens(texts)


def _kill_ingest_when(home, docs, sql: str) -> int:
    """Run `briefkit ingest docs` in a child process and SIGKILL it once ``sql`` counts rows > 0."""
    import sqlite3
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", "from briefkit.cli.app import entry; entry()", "--home", str(home),
                             "ingest", str(docs)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(home / "store.sqlite", timeout=1) as db:
                seen = db.execute(sql).fetchone()[0]
        except sqlite3.Error:
            seen = 0
        if seen:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait(10)
    assert proc.returncode == -9, "the ingest finished before it could be killed"
    return seen


def test_ingest_killed_with_sigkill_is_completed_by_the_next_run(tmp_path):
    """A real `briefkit ingest` process is killed (SIGKILL) once documents reach the store, first while
    adding, then while replacing edited versions; each next run leaves every article once, in its
    newest version, with the index holding exactly the store's chunks."""
    from briefkit.evaluation.summhay import load_topic, write_documents_jsonl
    from conftest import SUMMHAY, make_settings

    # 20 articles and 3 edits keep the test short (the recovery runs embed every chunk they index)
    docs = write_documents_jsonl(load_topic(SUMMHAY / "topic_news1.json"), tmp_path / "t.jsonl")
    rows = [json.loads(line) for line in docs.read_text(encoding="utf-8").splitlines()][:20]
    write_jsonl(docs, rows)
    home = tmp_path / "home"
    stored = _kill_ingest_when(home, docs, "SELECT count(*) FROM documents")
    assert 0 < stored < 20
    ws = Workspace(make_settings(home))
    report = ws.ingest([docs])
    assert report.documents == 20 and report.added + report.unchanged == 20
    assert ws.index.dense.ntotal == ws.store.counts()[1] == len(ws.index.sparse.ids)

    edited = {row["id"] for row in rows[::7]}
    for row in rows:
        if row["id"] in edited:
            row["text"] += " Correction: this article was revised after publication."
    write_jsonl(docs, rows)
    revised = _kill_ingest_when(home, docs, "SELECT count(*) FROM documents WHERE text LIKE '%Correction: this%'")
    assert 0 < revised <= len(edited) == 3
    ws = Workspace(make_settings(home))
    report = ws.ingest([docs])
    assert report.documents == 20 and report.replaced + report.unchanged == 20 and report.added == 0
    assert report.replaced <= len(edited) - revised
    texts = {row["id"]: ws.store.get_document(row["id"]).text for row in rows}
    assert all(("Correction: this article was revised" in t) == (i in edited) for i, t in texts.items())
    assert ws.index.indexed_ids().tolist() == ws.store.chunk_ids().tolist()
    assert len(ws.index.sparse.ids) == ws.store.counts()[1]


def test_bm25_search_on_a_saved_index_never_loads_the_embedder(settings_factory, tmp_path):
    settings = settings_factory()
    Workspace(settings).ingest([write_jsonl(tmp_path / "a.jsonl", ROWS)])
    fresh = Workspace(settings)
    assert fresh.search("tidal turbines", k=1, mode="bm25")[0].doc_id == "a"
    assert not fresh._embedder.loaded  # the index opened and BM25 ranked without the embedding model
    fresh.search("tidal turbines", k=1, mode="hybrid")
    assert fresh._query_embedder.loaded
    from briefkit.index.embedders.onnx import serves_queries

    # a torch index with the ONNX export embeds queries without the torch model; any other index, with its own
    separate = settings.index.embedder_backend == "torch" and serves_queries(settings.index.embedder)
    assert fresh._embedder.loaded != separate


def test_mean_pooling_embedder_matches_sentence_transformers(sample_ws):
    """The fast start path (transformers only) gives the vectors sentence-transformers gives."""
    from briefkit.index.embedders.load import load_embedder
    from briefkit.index.embedders.torch import MeanPoolingEmbedder, SentenceTransformerEmbedder

    fast = load_embedder("all-MiniLM-L6-v2", None, "torch")
    assert isinstance(fast, MeanPoolingEmbedder)
    reference = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    texts = ["Alibaba released Qwen3.5 Small in four sizes.", "ok", "word " * 400]  # the last is truncated
    assert np.abs(fast.embed(texts) - reference.embed(texts)).max() < 1e-5
    assert fast.count_tokens(texts) == reference.count_tokens(texts)
    assert fast.name == reference.name and fast.dim == reference.dim


def test_hybrid_search_embeds_queries_without_importing_torch(settings_factory):
    """Ingest with the torch embedder leaves an fp32 ONNX export; a new process then embeds queries
    with it (no torch, no transformers imported) and ranks exactly as torch query vectors do."""
    import json
    import subprocess
    import sys

    from briefkit.index.embedders.onnx import exported, onnx_available
    from briefkit.retrieval import Retriever

    if not onnx_available(export=True):
        pytest.skip("needs onnxruntime, onnx and onnxscript (pip install '.[fast]')")
    torch_ws = Workspace(settings_factory(index={"embedder_backend": "torch"}))
    torch_ws.ingest([sample_corpus_path()])
    assert exported("all-MiniLM-L6-v2") is not None  # made by that ingest
    queries = ["Qwen downloads on Hugging Face", "who leads the Qwen team", "T-Head chip shipments"]
    child = f"""
import json, sys
from briefkit.config import Settings
from briefkit.workspace import Workspace
ws = Workspace(Settings().with_overrides(home={str(torch_ws.home)!r}, index={{"embedder_backend": "torch"}}))
ids = [[p.chunk_id for p in ws.search(q, k=5, mode='hybrid')] for q in {queries!r}]
heavy = ("torch", "transformers", "sentence_transformers")
imported = sorted(m for m in heavy if m in sys.modules)
print(json.dumps({{"ids": ids, "backend": ws._query_embedder.get().backend, "imported": imported}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout)
    assert out["backend"] == "onnx" and out["imported"] == []
    by_torch = Retriever(torch_ws.index, torch_ws.store, lambda: torch_ws.embedder)
    r = torch_ws.settings.retrieval
    assert out["ids"] == [[p.chunk_id for p in by_torch.search(q, k=5, candidates=r.candidates, rrf_k=r.rrf_k)]
                          for q in queries]
    onnx_vecs = torch_ws._query_embedder.get().embed(queries)
    assert (onnx_vecs * torch_ws.embedder.embed(queries)).sum(axis=1).min() > 0.9999


def test_the_query_export_follows_the_model_files(tmp_path):
    """An export is used only while the model's files are those it was made from: after the weights change
    (a retrained model saved in place), queries go back to torch until the next ingest exports again."""
    import os
    import shutil

    from briefkit.index.embedders.models import bundled_minilm
    from briefkit.index.embedders.onnx import export_for_queries, exported, onnx_available, serves_queries

    if not onnx_available(export=True):
        pytest.skip("needs onnxruntime, onnx and onnxscript (pip install '.[fast]')")
    model = tmp_path / "my-minilm"
    shutil.copytree(bundled_minilm(), model)
    assert not serves_queries(str(model))
    export_for_queries(str(model))
    assert exported(str(model)) is not None and serves_queries(str(model))
    weights = model / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    assert exported(str(model)) is None and not serves_queries(str(model))


def test_the_int8_export_prints_nothing_and_leaves_logging_alone(tmp_path):
    """ONNX Runtime's quantiser logs advice through the root logger, which gave the root logger a handler:
    the first ingest printed that advice, and later bm25s debug lines reached the terminal. In a fresh
    process (pytest installs root handlers of its own, which would hide both)."""
    import os
    import subprocess
    import sys

    from briefkit.index.embedders.onnx import onnx_available

    if not onnx_available(export=True):
        pytest.skip("needs onnxruntime, onnx and onnxscript")
    child = """
import logging
from briefkit.index.embedders.models import resolve_embedder
from briefkit.index.embedders.onnx import _cache_dir, export_onnx
_, path = resolve_embedder("all-MiniLM-L6-v2")
export_onnx(path, _cache_dir(path, True), True)
logging.getLogger("bm25s").debug("a debug line")
print(len(logging.root.handlers))
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True,
                          env={**os.environ, "BRIEFKIT_CACHE": str(tmp_path)})
    assert done.stdout.strip() == "0" and "pre-processing" not in done.stderr and "debug line" not in done.stderr
