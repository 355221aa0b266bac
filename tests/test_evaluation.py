"""The evaluation harness: datasets, SummHay adapters, batch runs (resumable) and reports."""

import json

import pytest

from briefkit.errors import BadInput
from briefkit.evaluation.datasets import load_fact_set, load_question_set
from briefkit.evaluation.summhay import labelled_summaries, load_topic, shipped_system_scores

from conftest import ROOT, SUMMHAY, make_settings


def test_shipped_datasets_load():
    assert len(load_fact_set(ROOT / "eval" / "sample_facts.jsonl")) == 4
    questions = load_question_set(ROOT / "eval" / "sample_questions.jsonl")
    assert sum(q.answer is None for q in questions) == 4


@pytest.mark.parametrize("line,needle", [
    ('{"id": "a", "query": "q", "facts": [{"id": "f", "txt": "x"}]}', "facts.0.text"),
    ('{"id": "a"}', "field query"),
    ("{broken", "malformed JSON"),
])
def test_malformed_fact_sets_name_line_and_field(tmp_path, line, needle):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "query": "q", "facts": []}\n' + line + "\n")
    with pytest.raises(BadInput, match=r"bad.jsonl:2") as err:
        load_fact_set(path)
    assert needle in str(err.value)


def test_summhay_labels_and_shipped_scores():
    path = SUMMHAY / "topic_news1.json"
    topic = load_topic(path)
    assert len(topic.documents) == 100 and len(topic.subtopics) == 9
    summaries = labelled_summaries(path)
    assert len({s.system for s in summaries}) == 78
    first = summaries[0]
    assert set(first.labels) == set(first.insights)
    assert set(first.labels.values()) <= {"FULL", "PARTIAL", "NONE"}
    human = labelled_summaries(SUMMHAY / "human_coverage_judgements.json")
    assert len(human) == 200
    scores = shipped_system_scores(path, "vector_gpt-4o", [topic.subtopics[0].subtopic_id])
    assert 0 <= scores["citation"] <= 100 and 0 < scores["coverage"] <= 100


def test_score_existing_reports_agreement(sample_ws):
    from briefkit.evaluation.agreement import score_existing
    from briefkit.scoring.load import load_support_scorer

    result = score_existing([SUMMHAY / "topic_news2.json"], load_support_scorer("cosine", sample_ws.embedder),
                            limit=60, n_boot=200)
    assert result["labels"] > 300 and result["scorer"] == "cosine"
    assert 0.0 <= result["accuracy"] <= 1.0
    assert result["kappa"] > 0.2  # clearly better than chance on held-out labels
    assert result["kappa_ci"][0] < result["kappa"] < result["kappa_ci"][1]
    assert set(result["systems"][0]) == {"system", "labels", "coverage_labels", "coverage_ours"}


def test_training_on_a_slice_gives_a_loadable_scorer(tmp_path):
    from briefkit.scoring.learned import load_checker
    from briefkit.evaluation.checker_train import train

    meta = train([SUMMHAY / "topic_news1.json"], tmp_path / "w", epochs=3, max_pairs=200, log=lambda m: None)
    assert meta["train_pairs"] == 200 and len(meta["label_bias"]) == 3
    scorer = load_checker(tmp_path / "w")
    probs = scorer.probabilities([("Sales rose 5% in 2024.", "Sales grew 5 percent in 2024."), ("", "x")])
    assert probs.shape == (2, 3) and probs.sum(axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert probs[1].tolist() == [1.0, 0.0, 0.0]  # an empty side is never covered
    # same seed, same data: the same weights
    train([SUMMHAY / "topic_news1.json"], tmp_path / "w2", epochs=3, max_pairs=200, log=lambda m: None)
    assert (tmp_path / "w" / "support-checker.safetensors").read_bytes() == \
        (tmp_path / "w2" / "support-checker.safetensors").read_bytes()


def test_synthetic_hard_negatives():
    import random

    from briefkit.evaluation.checker_train import clause, negate, swap_number

    rng = random.Random(0)
    claim = "Revenue reached $4.5 billion in 2023, up 12% on the year."
    swapped = swap_number(claim, claim, rng)
    assert swapped != claim and "2023" not in swapped  # the year is changed first
    assert negate("The plant was closed in May.") == "The plant was not closed in May."
    assert clause("The firm hired 300 engineers in Berlin, and it opened a lab in Munich.") == \
        "The firm hired 300 engineers in Berlin."
    assert clause("Short claim.") is None


def test_batch_run_resumes_and_writes_report(tmp_path, sample_ws):
    from briefkit.evaluation.report import write_report
    from briefkit.evaluation.runner import read_results, run_spec

    facts = [json.loads(line) for line in (ROOT / "eval" / "sample_facts.jsonl").read_text().splitlines()][:2]
    (tmp_path / "facts.jsonl").write_text("\n".join(json.dumps(f) for f in facts))
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "t"\ndataset = "facts.jsonl"\ncorpus = ["sample"]\n'
                    '[matrix]\nstrategies = ["extractive"]\nk = [3, 6]\n')
    out = tmp_path / "run"
    settings = make_settings(tmp_path / "unused")
    seen = []
    rows = run_spec(spec, out, settings, on_row=seen.append)
    assert len(rows) == 4 and len(seen) == 4  # 2 configurations x 2 items
    # a killed run leaves a truncated line; the rerun ignores it and recomputes nothing finished
    with open(out / "results.jsonl", "a") as fh:
        fh.write('{"config_id": "trunc')
    again = []
    rows = run_spec(spec, out, settings, on_row=again.append)
    assert again == [] and len(rows) == 4
    # drop one finished cell: only that one is recomputed
    lines = (out / "results.jsonl").read_text().splitlines()[:3]
    (out / "results.jsonl").write_text("\n".join(lines) + "\n")
    again = []
    run_spec(spec, out, settings, on_row=again.append)
    assert len(again) == 1 and len(read_results(out / "results.jsonl")) == 4
    report = write_report(read_results(out / "results.jsonl"), out, "t")
    text = report.read_text()
    assert "| configuration |" in text and "extractive k=3" in text and "leadership / lin-exit" in text
    assert (out / "coverage_vs_latency.png").stat().st_size > 1000
    assert (out / "coverage_per_fact.png").stat().st_size > 1000


def test_run_folder_from_another_version_is_refused(tmp_path):
    from briefkit.evaluation.runner import run_spec

    spec = tmp_path / "spec.toml"
    spec.write_text('name = "t"\ndataset = "f.jsonl"\n')
    (tmp_path / "f.jsonl").write_text('{"id": "a", "query": "q", "facts": []}\n')
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text('{"format": 99}')
    with pytest.raises(BadInput, match="format 99"):
        run_spec(spec, out, make_settings(tmp_path / "h"))
    assert json.loads((out / "run.json").read_text()) == {"format": 99}  # nothing overwritten


def test_fact_set_with_unknown_gold_documents_is_refused(tmp_path):
    from briefkit.evaluation.runner import run_spec

    (tmp_path / "f.jsonl").write_text(json.dumps(
        {"id": "a", "query": "q", "facts": [{"id": "x", "text": "t", "gold_docs": ["no-such-doc"]}]}) + "\n")
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "t"\ndataset = "f.jsonl"\n[matrix]\nstrategies = ["extractive"]\n')
    with pytest.raises(BadInput, match="no-such-doc"):
        run_spec(spec, tmp_path / "run", make_settings(tmp_path / "h"))


def test_eval_summhay_cli_on_one_subtopic(tmp_path, capsys):
    from briefkit.cli.app import main

    code = main(["--json", "eval", "summhay", str(SUMMHAY / "topic_news1.json"), "--subtopics", "1",
                 "--strategy", "extractive", "--out", str(tmp_path / "sh")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(data) >= {"coverage", "citation", "joint", "model", "subtopics"}
    assert len(data["subtopics"]) == 1 and data["coverage"] > 0
    assert "vector_gpt-4o" in data["reference_systems"]
    assert data["scorer"] == "learned"  # the shipped scorer is the default


def test_score_existing_cli_puts_learned_beside_cosine(capsys):
    from briefkit.cli.app import main

    code = main(["--json", "eval", "summhay", str(SUMMHAY / "human_coverage_judgements.json"), "--score-existing",
                 "--limit", "12"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    names = [s["scorer"] for s in data["scorers"]]
    assert names == ["learned", "cosine", "gpt-4o (SummHay judge)"]
    assert all(len(s["kappa_ci"]) == 2 and s["labels"] == data["scorers"][0]["labels"] for s in data["scorers"])
    assert main(["eval", "summhay", str(SUMMHAY / "topic_news1.json"), "--score-existing", "--scorer", "bert"]) == 2


def test_eval_qa_cli(tmp_path, capsys, sample_ws):
    from briefkit.cli.app import main

    qs = tmp_path / "q.jsonl"
    qs.write_text("\n".join([
        json.dumps({"id": "a", "question": "How many downloads did Qwen reach on Hugging Face?",
                    "answer": "1 billion", "docs": ["adopt-01"]}),
        json.dumps({"id": "b", "question": "What is the population of the Mars colony?", "answer": None}),
    ]))
    code = main(["--json", "--home", str(sample_ws.home), "eval", "qa", str(qs), "--model", "smollm2-135m"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["model"] == "smollm2-135m"
    assert data["accuracy"] == 1.0 and data["abstention_recall"] == 1.0 and data["citation_correctness"] == 1.0


def test_train_scorer_cli_rejects_bad_input(tmp_path, capsys):
    from briefkit.cli.app import main

    out = ["--out", str(tmp_path / "weights")]
    assert main(["eval", "train-scorer", str(tmp_path / "missing.json"), *out]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["eval", "train-scorer", str(SUMMHAY / "topic_news1.json"), "--epochs", "0", *out]) == 2
    assert "--epochs" in capsys.readouterr().err
    # no --out: refused, so the installed package's shipped weights are never overwritten
    assert main(["eval", "train-scorer", str(SUMMHAY / "topic_news1.json")]) == 2
    assert "--out" in capsys.readouterr().err
    assert not (tmp_path / "weights").exists()
