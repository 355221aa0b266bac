"""The command-line contract: JSON on stdout, one-line errors, exit codes 0/1/2."""

import json

from briefkit.cli.app import main


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ingest_and_search_json(tmp_path, capsys):
    home = str(tmp_path / "home")
    code, out, _ = run(capsys, "--home", home, "--json", "ingest", "--sample")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"added", "skipped_duplicates", "failed", "documents", "chunks"}
    assert data["added"] == 17 and data["skipped_duplicates"] == 1  # the syndicated copy
    code, out, _ = run(capsys, "--home", home, "--json", "ingest", "--sample")
    assert code == 0 and json.loads(out)["added"] == 0
    code, out, _ = run(capsys, "--home", home, "--json", "search", "Qwen downloads on Hugging Face", "-k", "3")
    results = json.loads(out)["results"]
    assert code == 0 and results[0]["doc_id"] == "adopt-01"
    assert set(results[0]) == {"doc_id", "chunk_id", "title", "source", "date", "score", "text"}
    code, out, _ = run(capsys, "--home", home, "search", "tidal energy", "--source", "Harbour Herald", "-k", "1")
    assert code == 0 and "Harbour town switches on tidal energy pilot" in out
    code, out, _ = run(capsys, "--home", home, "--json", "index", "stats")
    assert json.loads(out)["index"]["embedder"] == "sentence-transformers/all-MiniLM-L6-v2"
    code, out, _ = run(capsys, "--home", home, "--json", "summarise", "Qwen adoption", "--strategy", "extractive")
    data = json.loads(out)
    assert code == 0 and data["bullets"] and data["model"] == "none (extractive)"


def test_ingest_of_only_bad_files_exits_2_with_one_line_each(tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    code, out, err = run(capsys, "--home", str(tmp_path / "h"), "--json", "ingest", str(tmp_path))
    assert code == 2
    failed = json.loads(out)["failed"]
    assert len(failed) == 2 and all("\n" not in f["error"] for f in failed)


def test_mixed_good_and_bad_files_exit_0(tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "good.txt").write_text("A harbour town switched on three tidal turbines this week for 1,200 homes.")
    code, out, _ = run(capsys, "--home", str(tmp_path / "h"), "--json", "ingest", str(tmp_path))
    data = json.loads(out)
    assert code == 0 and data["added"] == 1 and len(data["failed"]) == 1


def test_errors_are_one_line_with_exit_codes(tmp_path, capsys):
    code, out, err = run(capsys, "--home", str(tmp_path / "nothing"), "search", "anything")
    assert code == 2 and err.strip().startswith("error:") and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--home", str(tmp_path), "search", "x", "--since", "last week")
    assert code == 2 and "YYYY-MM-DD" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("[index]\nembeder = 'typo'\n")
    code, _, err = run(capsys, "--config", str(bad), "search", "x")
    assert code == 2 and "embeder" in err
    code, _, err = run(capsys, "ingest")
    assert code == 2
    code, _, _ = run(capsys, "--help")
    assert code == 0


def test_shipped_profiles_load_and_match_the_defaults():
    from briefkit.config import Settings, load_settings
    from briefkit.resources import resource_dir

    assert load_settings(resource_dir("configs") / "default.toml") == Settings()
    assert load_settings(resource_dir("configs") / "fast.toml").summarise.strategy == "extractive"
