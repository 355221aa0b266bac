"""Benchmark: peak memory and stage times of `briefkit ingest` on one big, varied text file.

Usage: python bench/big_file.py [--mb 50] [--embed-chunks 4096] [--stop-after 300] [--src PATH] [--keep DIR]
                                [--config TOML]

Writes a deterministic file of made-up but varied sentences (no line repeats, so cleaning and
deduplication keep it whole), then runs `briefkit ingest FILE --max-file-mb 60` in a child
process with a fresh home and watches it from outside: when the document and its chunks are in
the store (read, clean, dedup, chunk, store), when the index's first generation is saved (BM25),
and how many chunks have been embedded. Embedding 50 MB (about 50,000 chunks) takes about half an
hour on 2 cores, so by default the child is stopped (SIGKILL) once ``--embed-chunks`` chunks are
embedded and saved, or ``--stop-after`` seconds after the document was stored (an older briefkit
saves no vectors before the end). Peak RSS is the child's ``ru_maxrss``. ``--src`` runs another
briefkit source tree (e.g. a worktree of an older commit) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SYLLABLES = ["ka", "lo", "mir", "sen", "ta", "vel", "dor", "an", "ri", "pol", "ex", "mu", "zan", "qui", "ber", "ot",
             "nal", "fi", "gra", "hu", "ste", "win", "cor", "le", "mas", "ju", "tri", "ven", "os", "pha"]


def write_varied_text(path: Path, megabytes: float, seed: int = 19) -> int:
    """Write about ``megabytes`` MB of paragraphs of random sentences over a 20,000-word made-up vocabulary;
    returns the byte size. The same seed gives the same file."""
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(1, 4))) for _ in range(30_000)})[:20_000]
    target, written = int(megabytes * 1e6), 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("A varied text for the big-file benchmark\n\n")
        while written < target:
            sentences = []
            for _ in range(rng.randint(3, 7)):
                words = rng.choices(vocab, k=rng.randint(8, 24))
                if rng.random() < 0.3:
                    words.insert(rng.randrange(len(words)), str(rng.randint(2, 99_999)))
                sentences.append(" ".join(words).capitalize() + rng.choice([".", ".", ".", "!", "?"]))
            paragraph = " ".join(sentences) + "\n\n"
            fh.write(paragraph)
            written += len(paragraph)
    return path.stat().st_size


def _count(db_path: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0


def _embedded(home: Path) -> int:
    try:
        name = (home / "index" / "CURRENT").read_text().strip()
        return int(json.loads((home / "index" / name / "meta.json").read_text())["chunks"])
    except (OSError, ValueError, KeyError):
        return -1  # no index saved yet


def run(src: Path, file: Path, home: Path, embed_chunks: int, stop_after: float, config: Path | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src), HF_HUB_OFFLINE="1")
    command = [sys.executable, "-c", "from briefkit.cli.app import entry; entry()", "--home", str(home), "ingest",
               str(file), "--max-file-mb", "60", *(["--config", str(config)] if config else [])]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stored = indexed = None
    embedded = 0
    while proc.poll() is None:
        now = time.perf_counter() - start
        if stored is None and _count(home / "store.sqlite", "SELECT count(*) FROM chunks"):
            stored = now
        found = _embedded(home)
        if found >= 0 and indexed is None:
            indexed = now
        embedded = max(embedded, found)
        if embedded >= embed_chunks or (stored is not None and now - stored > stop_after):
            proc.kill()
            break
        time.sleep(0.2)
    proc.wait()
    total = time.perf_counter() - start
    chunks = _count(home / "store.sqlite", "SELECT count(*) FROM chunks")
    return {"stored_s": stored, "index_saved_s": indexed, "embedded": max(embedded, _embedded(home)),
            "chunks": chunks, "total_s": total, "finished": proc.returncode == 0, "returncode": proc.returncode,
            "stderr_tail": proc.stderr.read()[-300:] if proc.stderr else "",
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--embed-chunks", type=int, default=4096, help="stop once this many chunks are embedded")
    parser.add_argument("--stop-after", type=float, default=300.0, help="or this many seconds after storing")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the briefkit source tree to run")
    parser.add_argument("--keep", type=Path, help="write the file and the home here (else a temporary folder)")
    parser.add_argument("--config", type=Path, help="a briefkit TOML profile for the ingest (e.g. [index] batch_size)")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average at start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / "big.txt"
        t = time.perf_counter()
        size = write_varied_text(file, args.mb)
        print(f"file: {size / 1e6:.1f} MB of varied text, written in {time.perf_counter() - t:.1f}s")
        r = run(args.src.resolve(), file, folder / "home", args.embed_chunks, args.stop_after, args.config)
    print(f"briefkit from {args.src}" + (f" with --config {args.config}" if args.config else ""))
    print(f"read + clean + dedup + chunk + store: {r['stored_s']:.1f}s" if r["stored_s"] else "never stored")
    print(f"first index save (BM25, no vectors yet): {r['index_saved_s']:.1f}s" if r["index_saved_s"] else
          "no index saved before the stop")
    ending = "finished" if r["finished"] else "killed" if r["returncode"] == -9 else f"exit {r['returncode']}"
    print(f"chunks: {r['chunks']}; embedded and saved: {max(r['embedded'], 0)}; stopped at {r['total_s']:.1f}s"
          f" ({ending})")
    if r["returncode"] not in (0, -9):
        print(r["stderr_tail"])
    print(f"peak RSS of the ingest process: {r['peak_rss_mb']:.0f} MB")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
