"""Issue 19: terminal output of document text, homes that do not exist, and repairing a broken index or store."""

import gc
import json

import pytest

from briefkit.cli.app import main

ODD_TITLE = "Tidal [/] turbines [red] switched on [citation needed]"


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def home(tmp_path, capsys):
    """A home holding three short articles, one titled and written with Rich markup look-alikes."""
    docs = tmp_path / "docs.jsonl"
    rows = [
        {"id": "odd", "title": ODD_TITLE,
         "text": "A harbour town switched on three tidal turbines [citation needed] that power [bold]1,200 homes[/]."},
        {"id": "wind", "title": "Wind farm expands",
         "text": "The offshore wind farm added twelve turbines this spring."},
        {"id": "solar", "title": "Solar roofs",
         "text": "Solar panels now cover half of the school roofs in the county."},
    ]
    docs.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    h = tmp_path / "home"
    code, _, err = run(capsys, "--home", str(h), "ingest", str(docs))
    assert code == 0, err
    return h


def test_document_and_user_text_prints_as_written(home, capsys):  # row 7
    code, out, err = run(capsys, "--home", str(home), "docs", "list")
    assert code == 0 and "[/]" in out and "[red]" in out and "[citation needed]" in out, err
    code, out, err = run(capsys, "--home", str(home), "docs", "show", "odd")
    assert code == 0 and ODD_TITLE in out and "[bold]1,200 homes[/]" in out, err
    code, out, err = run(capsys, "--home", str(home), "search", "tidal turbines", "--mode", "bm25", "-k", "1")
    assert code == 0 and ODD_TITLE in out and "[citation needed]" in out, err
    code, out, err = run(capsys, "--home", str(home), "summarise", "tidal [/] power [red]", "--strategy", "extractive")
    assert code == 0 and "tidal [/] power [red]" in out and "[citation needed]" in out, err


@pytest.mark.parametrize("command", [["docs", "list"], ["docs", "show", "x"], ["search", "x"], ["index", "stats"],
                                     ["index", "rebuild"], ["summarise", "x", "--strategy", "extractive"]])
def test_read_only_commands_never_create_a_home(tmp_path, capsys, command):  # row 12
    missing = tmp_path / "mistyped"
    code, out, err = run(capsys, "--home", str(missing), *command)
    assert code == 2 and err.strip() == f"error: no briefkit home at {missing}; check --home, or create one with" \
                                        " `briefkit ingest PATH`", err
    assert not missing.exists()


def test_a_file_given_as_home_is_refused_plainly(tmp_path, capsys):  # row 13
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    for command in (["docs", "list"], ["ingest", "--sample"]):
        code, _, err = run(capsys, "--home", str(a_file), *command)
        assert code == 2 and f"--home {a_file} is a file, not a briefkit home folder" in err and "Errno" not in err


@pytest.mark.parametrize("damage", ["missing generation", "corrupt meta", "garbage pointer"])
def test_index_rebuild_repairs_any_broken_index(home, capsys, damage):  # row 8
    index = home / "index"
    current = (index / "CURRENT").read_text().strip()
    if damage == "missing generation":
        (index / "CURRENT").write_text("gen-99")
    elif damage == "corrupt meta":
        (index / current / "meta.json").write_text("{not json")
    else:
        (index / "CURRENT").write_bytes(b"\xff\xfe../../etc")
    code, _, err = run(capsys, "--home", str(home), "search", "tidal", "--mode", "bm25")
    assert code == 1 and "the search index is broken" in err and "`briefkit index rebuild`" in err
    assert "Error" not in err and len(err.strip().splitlines()) == 1, err
    code, out, err = run(capsys, "--home", str(home), "--json", "index", "rebuild")
    assert code == 0 and json.loads(out)["chunks"] == 3, err
    code, out, _ = run(capsys, "--home", str(home), "--json", "search", "tidal turbines", "--mode", "bm25", "-k", "1")
    assert code == 0 and json.loads(out)["results"][0]["doc_id"] == "odd"


def _closed_store(home):
    """The home's store file with no connection of this process left open on it (each CLI run is a process)."""
    gc.collect()
    for extra in ("store.sqlite-wal", "store.sqlite-shm"):
        (home / extra).unlink(missing_ok=True)
    return home / "store.sqlite"


@pytest.mark.parametrize("damage", ["deleted", "emptied"])
def test_a_lost_store_never_silently_empties_the_index(home, capsys, damage):  # row 11
    store = _closed_store(home)
    if damage == "deleted":
        store.unlink()
    else:
        store.write_bytes(b"")
    code, _, err = run(capsys, "--home", str(home), "search", "tidal", "--mode", "bm25")
    assert code == 1 and f"the store {store} is missing or empty" in err and "ingest your articles again" in err
    code, out, _ = run(capsys, "--home", str(home), "--json", "index", "stats")
    assert code == 1
    meta = json.loads((home / "index" / (home / "index" / "CURRENT").read_text() / "meta.json").read_text())
    assert meta["chunks"] == 3  # the index was not emptied by reading
    extra = home.parent / "more.txt"
    extra.write_text("A new article about the harbour's ferry timetable, changed for the summer season.")
    code, out, err = run(capsys, "--home", str(home), "--json", "ingest", str(extra))
    assert code == 0, err
    warnings = json.loads(out)["warnings"]
    assert code == 0 and any("the store was missing or empty while the index held 3 chunks" in w["warning"]
                             for w in warnings), out


def test_a_damaged_store_names_the_file_and_the_remedy(home, capsys):  # row 11
    store = _closed_store(home)
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2])
    code, _, err = run(capsys, "--home", str(home), "docs", "list")
    assert code == 1 and f"the store {store} is damaged" in err and "restore it from a backup" in err, err
    store.write_bytes(b"this is not a database at all" * 200)
    code, _, err = run(capsys, "--home", str(home), "search", "tidal", "--mode", "bm25")
    assert code == 1 and f"the store {store} is damaged" in err, err


def test_ctrl_c_says_interrupted_and_exits_130(home):  # row 18
    """A real SIGINT to a real process, sent while it waits for a question (so the timing is certain)."""
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "from briefkit.cli.app import entry; entry()", "--home", str(home),
                             "ask"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr.readline().startswith("Ask about your corpus")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "interrupted", err
