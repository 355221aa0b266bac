"""The command-line contract: JSON on stdout, one-line errors, exit codes 0/1/2."""

import json

import pytest

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
    assert data["added"] == 20 and data["skipped_duplicates"] == 1  # the syndicated copy
    code, out, _ = run(capsys, "--home", home, "--json", "ingest", "--sample")
    assert code == 0 and json.loads(out)["added"] == 0
    code, out, _ = run(capsys, "--home", home, "--json", "search", "Qwen downloads on Hugging Face", "-k", "3")
    results = json.loads(out)["results"]
    assert code == 0 and results[0]["doc_id"] in {"adopt-01", "adopt-04"}  # two outlets report the figure
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
    code, _, err = run(capsys, "ingest")
    assert code == 2 and err.startswith("error:")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "Usage: briefkit" in out


def test_global_options_work_after_the_command(tmp_path, capsys):
    home = tmp_path / "home"
    code, out, _ = run(capsys, "ingest", "--sample", "--json", "--home", str(home))
    assert code == 0 and json.loads(out)["added"] == 20 and (home / "store.sqlite").exists()
    code, out, _ = run(capsys, "search", "tidal energy", f"--home={home}", "-k", "1", "--json", "--mode", "bm25")
    assert code == 0 and len(json.loads(out)["results"]) == 1
    code, out, _ = run(capsys, "docs", "list", "--home", str(home), "--json")
    assert code == 0 and len(json.loads(out)["documents"]) == 20


@pytest.mark.parametrize("args, says", [
    (["search"], "Missing argument 'QUERY'"),
    (["search", "x", "-k", "many"], "'-k'"),
    (["search", "x", "--no-such-flag"], "--no-such-flag"),
    (["no-such-command"], "no-such-command"),
])
def test_usage_errors_exit_2_with_one_plain_line_and_the_usage(capsys, args, says):
    code, _, err = run(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 2, err
    assert lines[0].startswith("error: ") and says in lines[0]
    assert lines[1].startswith("usage: briefkit") and "--help" in lines[1]
    assert not any(name in err for name in ("MissingParameter", "BadParameter", "NoSuchOption", "UsageError"))


@pytest.mark.parametrize("args, says", [
    (["search", "x", "-k", "0"], "-k must be 1 or more"),
    (["search", "x", "-k", "-3"], "-k must be 1 or more"),
    (["summarise", "x", "-k", "0"], "-k must be 1 or more"),
    (["search", "x", "--since", "2026-03-05", "--until", "2026-01-01"], "is after --until"),
    (["search", "x", "--until", "2026-02-30"], "--until: '2026-02-30' is not a date; write it as YYYY-MM-DD"),
    (["summarise", "x", "--since", "soon"], "--since: 'soon' is not a date"),
    (["summarise", "x", "--backend", "openai"], "--base-url"),
    (["ask", "x", "--backend", "openai"], "--base-url"),
    (["summarise", "x", "--backend", "gpu-magic"], "unknown backend 'gpu-magic'"),
    (["summarise", "x", "--model", "gpt-9"], "unknown model 'gpt-9'"),
    (["ask", "x", "--model", "gpt-9"], "briefkit models list"),
])
def test_bad_input_is_refused_before_anything_loads(tmp_path, capsys, args, says):
    home = tmp_path / "never-created"
    code, out, err = run(capsys, *args, "--home", str(home))
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err
    assert out == "" and not home.exists()  # refused before the store, the index or a model was touched


def _commands(group, path=()):
    import typer

    command = typer.main.get_command(group) if not hasattr(group, "commands") else group
    for name, sub in command.commands.items():
        if sub.hidden:
            continue
        if hasattr(sub, "commands"):
            yield from _commands(sub, path + (name,))
        else:
            yield path + (name,)


def test_help_reads_plainly_with_an_example_per_command(capsys):
    from briefkit.cli.app import app

    commands = list(_commands(app))
    assert ("docs", "list") in commands and ("ingest",) in commands and ("eval", "qa") in commands
    for command in commands:
        code, out, _ = run(capsys, *command, "--help")
        assert code == 0 and "<bool>" not in out and "<str>" not in out and "<int>" not in out, out
        assert "Example: briefkit " + " ".join(command) in " ".join(out.split()), command
        assert "--json" in out  # the global options are documented on every command


def test_docs_list_show_delete(tmp_path, capsys):
    home = str(tmp_path / "home")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "tidal.md").write_text("# Tidal pilot\n\nThe harbour town's three tidal turbines can power 1,200 homes.\n")
    (notes / "league.txt").write_text("Rovers won the league title on the final day with a three to one win away.")
    assert run(capsys, "--home", home, "ingest", str(notes))[0] == 0
    code, out, _ = run(capsys, "--home", home, "--json", "docs", "list")
    docs = {d["title"]: d for d in json.loads(out)["documents"]}
    assert code == 0 and set(docs) == {"Tidal pilot", "league"}  # no title: the file name, not an internal id
    tidal = docs["Tidal pilot"]["doc_id"]
    code, out, _ = run(capsys, "--home", home, "--json", "docs", "show", tidal)
    assert code == 0 and "1,200 homes" in json.loads(out)["text"] and json.loads(out)["path"].endswith("tidal.md")
    code, _, err = run(capsys, "--home", home, "docs", "show", "no-such-id")
    assert code == 2 and "docs list" in err
    assert run(capsys, "--home", home, "docs", "delete", tidal)[0] == 0
    code, out, _ = run(capsys, "--home", home, "--json", "search", "tidal turbines homes", "--mode", "bm25")
    assert all(r["doc_id"] != tidal for r in json.loads(out)["results"])


def test_retrieval_profile_keys_set_the_search_defaults(tmp_path, capsys):
    profile = tmp_path / "p.toml"
    profile.write_text("[retrieval]\nk = 2\nmode = \"bm25\"\n")
    home = str(tmp_path / "home")
    assert run(capsys, "--home", home, "ingest", "--sample")[0] == 0
    code, out, _ = run(capsys, "--home", home, "--config", str(profile), "--json", "search", "Qwen")
    assert code == 0 and len(json.loads(out)["results"]) == 2


def test_unknown_config_key_names_the_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("# my profile\n[index]\nkind = 'flat'\nembeder = 'typo'\n")
    code, _, err = run(capsys, "--config", str(bad), "search", "x")
    assert code == 2 and f"{bad}, line 4" in err and "index.embeder" in err


def test_shipped_profiles_load_and_match_the_defaults():
    from briefkit.config import Settings, load_settings
    from briefkit.resources import resource_dir

    assert load_settings(resource_dir("configs") / "default.toml") == Settings()
    assert load_settings(resource_dir("configs") / "fast.toml").summarise.strategy == "extractive"


def test_default_toml_lists_every_key_with_a_comment_and_nothing_else():
    """Both ways: each model field is in default.toml (set, or commented out when it has no value), and
    each key there is a field; every key line carries a one-line comment."""
    import re

    from pydantic import BaseModel

    from briefkit.config import Settings
    from briefkit.resources import resource_dir

    fields = set()
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields |= {f"{name}.{sub}" for sub in annotation.model_fields}
        else:
            fields.add(name)
    listed, section = set(), None
    for line in (resource_dir("configs") / "default.toml").read_text(encoding="utf-8").splitlines():
        header = re.fullmatch(r"\[(\w+)\]", line.strip())
        if header:
            section = header.group(1)
            continue
        key = re.match(r"#? ?(\w+) = ", line)
        if key:
            listed.add(f"{section}.{key.group(1)}" if section else key.group(1))
            assert "#" in line.split(" = ", 1)[1], f"no comment for {key.group(1)}"
    assert listed == fields
