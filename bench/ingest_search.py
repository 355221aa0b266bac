"""Benchmark: ingest throughput vs plain SentenceTransformer.encode, and search latency flat vs IVF.

Usage: python bench/ingest_search.py [--sizes 10000,100000,1000000] [--summhay PATH[,PATH...]]
Prints figures and the machine; the encode baseline runs in the same process on the same chunks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mb  # noqa: E402


def ingest_vs_encode(summhay: Path) -> None:
    """Full ingest per embedding backend against plain SentenceTransformer.encode of the same chunks."""
    from briefkit.config import Settings
    from briefkit.evaluation.retrieval import distinct_docs, precision_at_k
    from briefkit.evaluation.summhay import load_topic, write_documents_jsonl
    from briefkit.index.embedders.torch import SentenceTransformerEmbedder
    from briefkit.index.embedders.onnx import export_for_queries
    from briefkit.workspace import Workspace

    topic = load_topic(summhay)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_documents_jsonl(topic, Path(tmp) / "t.jsonl")
        for backend in ("torch", "onnx-int8"):
            ws = Workspace(Settings().with_overrides(home=Path(tmp) / backend, index={"embedder_backend": backend}))
            ws.embedder.embed(["warm-up"])  # load (and for ONNX, export) outside the timing
            if backend == "torch":
                export_for_queries(ws.settings.index.embedder)  # the one-time query export, also outside
            start = time.perf_counter()
            report = ws.ingest([path])
            seconds = time.perf_counter() - start
            p10 = {mode: float(np.mean([precision_at_k(distinct_docs(ws.search(s.query, k=60, mode=mode), 10),
                                                       s.gold_documents(topic), 10) for s in topic.subtopics]))
                   for mode in ("dense", "hybrid")}
            results[backend] = (seconds, p10)
            if backend == "torch":
                texts = [r.text for r in ws.store.chunks()]
        model = SentenceTransformerEmbedder("all-MiniLM-L6-v2").model  # the plain library, as a user calls it
        start = time.perf_counter()
        model.encode(texts, batch_size=64, show_progress_bar=False)
        encode_s = time.perf_counter() - start
    docs, chunks = report.documents, report.chunks
    print(f"SummHay {summhay.stem}: {docs} documents, {chunks} chunks")
    print(f"plain SentenceTransformer.encode of the {chunks} chunks: {encode_s:.1f}s ="
          f" {chunks / encode_s:.1f} chunks/s")
    for backend, (seconds, p10) in results.items():
        print(f"briefkit ingest ({backend}): {seconds:.1f}s = {docs / seconds:.1f} docs/s,"
              f" {chunks / seconds:.1f} chunks/s;"
              f" speed vs plain encode {encode_s / seconds:.2f}x; precision@10 dense {p10['dense']:.3f},"
              f" hybrid {p10['hybrid']:.3f}")


def search_latency(sizes: list[int], dim: int = 384, queries: int = 200) -> None:
    import faiss

    from briefkit.index.dense import DenseIndex

    rng = np.random.default_rng(0)
    print(f"\nsearch latency, {dim}-d synthetic unit vectors, k=10, {queries} queries")
    print(f"{'vectors':>9} {'kind':>6} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8} {'recall@10':>9} {'index MB':>9}"
          f" {'peak RSS MB':>11}")
    for n in sizes:
        # clustered data so IVF behaves as on real embeddings
        centers = rng.normal(size=(256, dim)).astype(np.float32)
        vecs = centers[rng.integers(0, 256, n)] + 0.5 * rng.normal(size=(n, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        ids = np.arange(n, dtype=np.int64)
        qs = vecs[rng.integers(0, n, queries)] + 0.1 * rng.normal(size=(queries, dim)).astype(np.float32)
        qs /= np.linalg.norm(qs, axis=1, keepdims=True)
        exact = None
        for kind in ("flat", "ivf", "ivfpq"):
            start = time.perf_counter()
            index = DenseIndex.build(vecs, ids, kind, nprobe=16, pq_m=48)
            build_s = time.perf_counter() - start
            times, results = [], []
            for q in qs:
                t = time.perf_counter()
                results.append({i for i, _ in index.search(q, 10)})
                times.append((time.perf_counter() - t) * 1000)
            if kind == "flat":
                exact = results
            recall = np.mean([len(r & e) / 10 for r, e in zip(results, exact)])
            size_mb = faiss.serialize_index(index.index).nbytes / 1e6
            print(f"{n:>9} {kind:>6} {build_s:>8.1f} {np.percentile(times, 50):>8.2f} {np.percentile(times, 95):>8.2f}"
                  f" {recall:>9.3f} {size_mb:>9.1f} {peak_rss_mb():>11.0f}")
            del index
        del vecs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    data = Path(__file__).resolve().parents[2] / "shared/data/summhay"
    parser.add_argument("--summhay", default=f"{data / 'topic_news1.json'},{data / 'topic_news2.json'}",
                        help="SummHay topic files, comma-separated (default: topics 1 and 2)")
    args = parser.parse_args()
    print("machine:", machine())
    if not args.skip_ingest:
        for path in args.summhay.split(","):
            ingest_vs_encode(Path(path))
    if not args.skip_search:
        search_latency([int(s) for s in args.sizes.split(",")])
    print(f"\npeak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
