"""Issue 19, big inputs: embedding saved in slabs (a killed ingest resumes; a read never embeds) and
reading, cleaning and chunking in memory bounded by the file, not by a multiple of it."""

import json
import subprocess
import sys
import time

from test_identity import varied_articles

CLI = [sys.executable, "-c", "from briefkit.cli.app import entry; entry()"]


def embedded_chunks(home) -> int:
    """The number of chunks with a vector in the saved index (0 before the first save)."""
    try:
        name = (home / "index" / "CURRENT").read_text().strip()
        return json.loads((home / "index" / name / "meta.json").read_text())["chunks"]
    except (OSError, ValueError):
        return 0


def test_a_killed_ingest_is_searched_without_embedding_and_resumes_where_it_stopped(tmp_path):  # row 9
    """A real `briefkit ingest` is SIGKILLed while it embeds (after some slabs were saved). A BM25 and a hybrid
    search then embed nothing and say the dense index is behind; the next ingest embeds only the rest."""
    docs, home, config = tmp_path / "docs", tmp_path / "h", tmp_path / "small-slabs.toml"
    varied_articles(docs, 200)
    config.write_text("[corpus]\nchunk_tokens = 24\noverlap_tokens = 0\n\n[index]\ncommit_chunks = 40\n")
    base = [*CLI, "--home", str(home), "--config", str(config)]
    proc = subprocess.Popen([*base, "ingest", str(docs)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not embedded_chunks(home):
        time.sleep(0.02)
    proc.kill()
    proc.wait(10)
    assert proc.returncode == -9, "the ingest finished before it could be killed"
    from briefkit.corpus.store import Store

    total = Store(home / "store.sqlite").counts()[1]
    done = embedded_chunks(home)
    assert 0 < done < total and done % 40 == 0  # whole slabs were saved, the rest was lost with the process

    for mode in ("bm25", "hybrid"):
        search = subprocess.run([*base, "--json", "search", "harbour council", "--mode", mode],
                                capture_output=True, text=True, timeout=120)
        assert search.returncode == 0, search.stderr[-500:]
        assert json.loads(search.stdout)["results"]
        notices = [line for line in search.stderr.splitlines() if "dense index is behind" in line]
        assert notices == [f"notice: the dense index is behind: {total - done} of {total} chunks are not embedded"
                           " yet (an ingest was interrupted or is still running), so searches rank them by BM25"
                           " alone; run `briefkit index update` to embed them"]
        assert embedded_chunks(home) == done  # the search embedded nothing

    resumed = subprocess.run([*base, "--json", "ingest", str(docs)], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-500:]
    report = json.loads(resumed.stdout)
    assert (report["added"], report["unchanged"], report["embedded"]) == (0, 200, total - done)
    assert embedded_chunks(home) == total
    search = subprocess.run([*base, "search", "harbour council", "--mode", "bm25"], capture_output=True, text=True)
    assert search.returncode == 0 and "behind" not in search.stderr


def write_varied_text(path, megabytes: float, seed: int = 7):
    """Paragraphs of made-up sentences, none repeated (so that cleaning and deduplication keep them all)."""
    import random

    rng = random.Random(seed)
    syllables = ["ka", "lo", "mir", "sen", "ta", "vel", "dor", "an", "ri", "pol", "ex", "mu", "zan", "ber", "ot"]
    vocab = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(5000)]
    paragraphs, size = [], 0
    while size < megabytes * 1e6:
        sentences = [" ".join(rng.choices(vocab, k=rng.randint(8, 24))).capitalize() + "." for _ in range(5)]
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    return path


def test_reading_cleaning_and_chunking_a_big_file_stay_within_a_few_times_its_size(tmp_path):  # row 10
    """Ingesting one 3 MB file into a real store allocates at most 12x the file's size at its peak (Python and
    numpy allocations, traced): the old pipeline held every sentence's token ids at once and a MinHash matrix
    of 128 values for every word 5-gram, hundreds of times the file."""
    import tracemalloc

    from briefkit.config import Settings
    from briefkit.corpus.ingest import ingest_articles
    from briefkit.corpus.store import Store
    from briefkit.index.embedders.load import load_embedder

    big = write_varied_text(tmp_path / "big.txt", 3)
    size = big.stat().st_size
    store = Store(tmp_path / "store.sqlite")
    count = load_embedder("all-MiniLM-L6-v2").count_tokens
    settings = Settings().corpus.model_copy(update={"max_file_mb": 10})
    tracemalloc.start()
    try:
        report = ingest_articles(store, [big], settings, count)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.added == 1 and report.chunks > 1000
    print(f"peak {peak / size:.1f}x the file")
    assert peak < 12 * size, f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.1f} MB file"


def test_index_update_embeds_what_an_interrupted_ingest_left(tmp_path, capsys):  # row 9, the remedy
    """Chunks stored but never embedded (the state a kill leaves): a search embeds none of them and says so;
    `briefkit index update` embeds exactly those, after which the notice is gone."""
    from briefkit.cli.app import main
    from briefkit.corpus.ingest import ingest_articles
    from briefkit.workspace import Workspace
    from conftest import make_settings

    varied_articles(tmp_path / "first", 5)
    varied_articles(tmp_path / "later", 8, seed=1)
    home = tmp_path / "h"
    ws = Workspace(make_settings(home))
    ws.ingest([tmp_path / "first"])
    stored = ingest_articles(ws.store, [tmp_path / "later"], ws.settings.corpus, ws.embedder.count_tokens)
    assert stored.added == 8
    capsys.readouterr()
    assert main(["--home", str(home), "--json", "search", "harbour", "--mode", "hybrid"]) == 0
    missing = ws.store.counts()[1] - Workspace(make_settings(home)).index.dense.ntotal
    assert missing > 0 and f"the dense index is behind: {missing} of" in capsys.readouterr().err
    assert main(["--home", str(home), "--json", "index", "update"]) == 0
    assert json.loads(capsys.readouterr().out)["embedded"] == missing
    assert main(["--home", str(home), "--json", "search", "harbour"]) == 0
    assert "behind" not in capsys.readouterr().err
