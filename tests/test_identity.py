"""Issue 19: document identity, per-record robustness and the ingest report's words."""

import json
import os

from briefkit.cli.app import main
from briefkit.corpus.readers import decode_bytes


def ingest(capsys, home, *paths):
    code = main(["--home", str(home), "--json", "ingest", *map(str, paths)])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def texts(capsys, home) -> list[str]:
    assert main(["--home", str(home), "--json", "docs", "list"]) == 0
    ids = [d["doc_id"] for d in json.loads(capsys.readouterr().out)["documents"]]
    found = []
    for doc_id in ids:
        assert main(["--home", str(home), "--json", "docs", "show", doc_id]) == 0
        found.append(json.loads(capsys.readouterr().out)["text"])
    return found


def line(**record) -> str:
    return json.dumps(record) + "\n"


A = "The harbour town switched on three tidal turbines this week; together they power 1,200 homes."
B = "A new ferry timetable starts in June, with two extra crossings on weekdays and one on Sundays."
C = "The county council approved a budget for twenty new electric buses, to run from the autumn."


def test_an_edited_record_without_id_or_url_replaces_its_old_version(tmp_path, capsys):  # row 1
    f = tmp_path / "a.jsonl"
    f.write_text(line(title="Tides", text=A) + line(title="Ferries", text=B))
    assert ingest(capsys, tmp_path / "h", f)[1]["added"] == 2
    f.write_text(line(title="Tides", text=A.replace("1,200", "1,500")) + line(title="Ferries", text=B))
    code, report = ingest(capsys, tmp_path / "h", f)
    assert code == 0 and (report["added"], report["replaced"], report["unchanged"]) == (0, 1, 1)
    stored = texts(capsys, tmp_path / "h")
    assert len(stored) == 2 and not any("1,200" in t for t in stored)


def test_two_records_claiming_one_id_are_refused_naming_both(tmp_path, capsys):  # row 2
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(line(id="1", text=A))
    second.write_text(line(id="1", text=B) + line(id="2", text=C))
    code, report = ingest(capsys, tmp_path / "h", first, second)
    assert code == 0 and report["added"] == 2 and report["replaced"] == 0
    [failure] = report["failed"]
    assert failure["path"] == f"{second}:1" and f"id '1' is already used by {first}:1" in failure["error"]
    assert A in texts(capsys, tmp_path / "h")  # the first is not overwritten
    code, report = ingest(capsys, tmp_path / "h", second)  # and not in a later run either
    assert report["failed"][0]["path"] == f"{second}:1" and report["unchanged"] == 1
    first.write_text(line(id="1", text=A.replace("three", "four")))  # the owner of the id may edit it
    assert ingest(capsys, tmp_path / "h", first)[1]["replaced"] == 1


def test_a_file_edited_into_a_copy_of_another_loses_its_old_text(tmp_path, capsys):  # row 3
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "b.txt").write_text(B)
    (folder / "c.txt").write_text(C)
    ingest(capsys, tmp_path / "h", folder)
    (folder / "c.txt").write_text(B)
    code, report = ingest(capsys, tmp_path / "h", folder)
    assert code == 0 and report["skipped_duplicates"] == 1 and report["unchanged"] == 1
    [dup] = report["duplicates"]
    assert dup["path"].endswith("c.txt") and dup["kind"] == "exact" and "removed" in dup
    assert texts(capsys, tmp_path / "h") == [B]  # c's old text is no longer served


def test_a_jsonl_line_with_nul_bytes_costs_that_line_only(tmp_path, capsys):  # row 4
    f = tmp_path / "a.jsonl"
    f.write_bytes(line(id="a", text=A).encode() + b'{"id": "b", "text": "bro\x00ken"}\n'
                  + line(id="c", text=C).encode())
    code, report = ingest(capsys, tmp_path / "h", f)
    assert code == 0 and report["added"] == 2
    [failure] = report["failed"]
    assert failure["path"] == f"{f}:2" and "NUL" in failure["error"]


def test_mixed_utf8_and_cp1252_lines_are_decoded_line_by_line():  # row 5
    data = "Le café est ouvert.\n".encode("utf-8") + "La rivière coûte 5 €.\n".encode("cp1252")
    assert decode_bytes(data) == "Le café est ouvert.\nLa rivière coûte 5 €.\n"


def test_mixed_encodings_in_a_jsonl_file(tmp_path, capsys):  # row 5, per record
    f = tmp_path / "a.jsonl"
    f.write_bytes(json.dumps({"id": "u", "text": A + " Café."}, ensure_ascii=False).encode("utf-8") + b"\n"
                  + json.dumps({"id": "w", "text": B + " Prix: 5 €, rivière."}, ensure_ascii=False).encode("cp1252")
                  + b"\n")
    assert ingest(capsys, tmp_path / "h", f)[1]["added"] == 2
    stored = texts(capsys, tmp_path / "h")
    assert any(t.endswith("Café.") for t in stored) and any("5 €, rivière" in t for t in stored)


def test_an_unreadable_folder_is_reported(tmp_path, capsys, monkeypatch):  # row 6
    folder = tmp_path / "docs"
    locked = folder / "locked"
    locked.mkdir(parents=True)
    (folder / "ok.txt").write_text(A)
    (locked / "hidden.txt").write_text(B)
    os.chmod(locked, 0)
    if os.geteuid() == 0:
        # A FAKE, because root reads any folder: listing `locked` fails as it does for a normal user.
        real_scandir = os.scandir

        def scandir(path="."):
            if not isinstance(path, int) and os.fspath(path) == str(locked):  # an int: a folder opened by fd
                raise PermissionError(13, "Permission denied", str(locked))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        code, report = ingest(capsys, tmp_path / "h", folder)
    finally:
        os.chmod(locked, 0o755)
    assert code == 0 and report["added"] == 1
    assert {"path": str(locked), "error": "cannot read folder: Permission denied"} in report["failed"]


def test_reingesting_unchanged_files_says_unchanged(tmp_path, capsys):  # row 19
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "b.txt").write_text(B)
    (folder / "c.txt").write_text(C)
    home = tmp_path / "h"
    ingest(capsys, home, folder)
    assert main(["--home", str(home), "ingest", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "2 unchanged" in out and "skipped 0 duplicate(s)" in out


def varied_articles(folder, n: int, seed: int = 0) -> list:
    """``n`` short articles of different made-up sentences, one a file (no two alike, none near alike)."""
    import random

    rng = random.Random(seed)
    words = ["harbour", "council", "turbine", "ferry", "budget", "school", "market", "river", "bridge", "library",
             "station", "orchard", "festival", "museum", "clinic", "stadium", "quarry", "canal", "airport", "forest"]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        sentences = [f"The {rng.choice(words)} near {rng.choice(words)} {i} reported {rng.randint(2, 999)} new"
                     f" {rng.choice(words)}s and {rng.randint(2, 999)} {rng.choice(words)}s this week."
                     for _ in range(6)]
        paths.append(folder / f"article-{i:03d}.txt")
        paths[-1].write_text(" ".join(sentences), encoding="utf-8")
    return paths


def test_two_ingests_at_once_report_what_each_wrote(tmp_path):  # row 17
    """Two real processes ingest the same 200 files at the same time: every article is stored once, and the
    reported counts add up to what was written (one process's "added" is the other's "unchanged")."""
    import subprocess
    import sys

    varied_articles(tmp_path / "docs", 200)
    home = tmp_path / "h"
    command = [sys.executable, "-c", "from briefkit.cli.app import entry; entry()", "--home", str(home), "--json",
               "ingest", str(tmp_path / "docs")]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err[-500:] for _, err in results]
    reports = [json.loads(out) for out, _ in results]
    assert sum(r["added"] for r in reports) == 200
    assert all(r["added"] + r["unchanged"] == 200 and r["replaced"] == r["skipped_duplicates"] == 0 for r in reports)
    assert all(r["failed"] == [] for r in reports)
    from briefkit.corpus.store import Store

    store = Store(home / "store.sqlite")
    assert store.counts()[0] == 200
