"""Questions that combine sources: the analysis (golden), then `ask` end to end on a five-article corpus written
for these tests (real ingest, MiniLM, FAISS, BM25, the support scorer), then the multi-hop benchmark's scoring."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from conftest import make_settings

from briefkit.briefs.multihop import claim_core, names
from briefkit.briefs.questions import analyse, named_sources

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "tests" / "data" / "multihop_kb.jsonl"
KNOWN = ["Harbor Daily", "Coastline Times", "Grid Weekly", "Metro Sports", "City Ledger",
         "Cnbc | World Business News Leader", "The Independent - Sports"]


# --- analysis -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, kind", [
    ("Did Harbor Daily and Coastline Times agree on the plant's output?", "yes/no"),
    ("Between the Harbor Daily report and the Grid Weekly report, was there consistency on the homes?", "yes/no"),
    ("Was the Harbor Daily report published before or after the Coastline Times report?", "temporal order"),
    ("Between the Harbor Daily article and the Metro Sports article, which article mentions a coach?", "comparison"),
    ("Which coach, according to Metro Sports and City Ledger, will stay with the Rovers?", "entity"),
    ("Considering a Bloomberg article and a Reuters report, which network did she partner with?", "entity"),
    ("How many homes does the Cork plant power?", "figure"),
    ("When did the Cork plant open?", "date"),
])
def test_answer_kind(question, kind):
    assert analyse(question, KNOWN).kind == kind


def test_sources_are_matched_by_full_name_and_by_head():
    found = named_sources("Did CNBC and The Independent - Sports and harbor daily agree?", KNOWN)
    assert [s for _, s in found] == ["Cnbc | World Business News Leader", "The Independent - Sports", "Harbor Daily"]


def test_outlets_the_corpus_lacks_are_missing_and_known_ones_are_not():
    a = analyse("Considering a Bloomberg article and the report by Harbor Daily, which company did it name?", KNOWN)
    assert a.missing == ["Bloomberg"]
    assert a.sources == ["Harbor Daily"]
    # names that are not outlets, after "report on", are not taken for one
    assert analyse("Did Harbor Daily's report on Northwind Energy agree with Grid Weekly?", KNOWN).missing == []


def test_claims_one_per_named_source_with_its_date():
    a = analyse("Does Harbor Daily report on 2026-03-02 that the plant powers 40,000 homes, while Grid Weekly "
                "says on April 15, 2026 that it supplies 55,000 homes?", KNOWN)
    assert [(c.source, c.date) for c in a.claims] == [("Harbor Daily", "2026-03-02"), ("Grid Weekly", "2026-04-15")]
    assert a.claims[1].text.startswith("Grid Weekly says")
    assert a.polarity is None  # says what each source states: the claims are checked, not agreement


def test_polarity_and_order():
    assert analyse("Was the Harbor Daily report consistent with the Grid Weekly report?", KNOWN).polarity == "same"
    assert analyse("Did the coverage by Harbor Daily change after the Grid Weekly report?", KNOWN).polarity == "change"
    assert analyse("Did Coastline Times cover the plant before Harbor Daily did?", KNOWN).order == "before"


def test_claim_core_and_names():
    assert claim_core("Does the Harbor Daily article suggest that the plant cost 120 million euros") == \
        "the plant cost 120 million euros"
    assert names("During the trial, CEO Sam Bankman-Fried's lawyers met Judge Lewis Kaplan in New York.") == \
        ["Sam Bankman-Fried", "Lewis Kaplan", "New York"]


# --- ask, end to end ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kb_ws(tmp_path_factory):
    from briefkit.workspace import Workspace



    ws = Workspace(make_settings(tmp_path_factory.mktemp("multihop-home")))
    ws.ingest([KB])
    return ws


def _ask(ws, question):
    from briefkit.briefs.qa import ask

    return ask(ws, question, model="none")


def test_entity_is_the_name_the_hops_share(kb_ws):
    a = _ask(kb_ws, "Which coach, according to Metro Sports and City Ledger, will stay with the Rovers?")
    assert a.answer == "Ana Silva." and not a.abstained
    assert set(a.citations) == {"metro-1", "ledger-1"}
    assert [h["source"] for h in a.reasoning] == ["Metro Sports", "City Ledger"]
    assert all(h["verdict"] == "names Ana Silva" for h in a.reasoning)


def test_agreement_is_no_when_the_hops_give_other_figures(kb_ws):
    a = _ask(kb_ws, "Was the reporting on how many homes the Cork tidal plant powers consistent between "
                    "Harbor Daily and Grid Weekly?")
    assert a.answer.startswith("No.") and "55,000" in a.answer and "40,000" in a.answer
    assert {h["verdict"] for h in a.reasoning} == {"conflicts with another hop"}
    b = _ask(kb_ws, "Was the reporting on how many homes the Cork tidal plant powers consistent between "
                    "Harbor Daily and Coastline Times?")
    assert b.answer.startswith("Yes.")
    assert set(b.citations) == {"harbor-1", "coast-1"}


def test_before_or_after_compares_publication_dates(kb_ws):
    a = _ask(kb_ws, "Was the Harbor Daily report on the Cork tidal plant published before or after the "
                    "Coastline Times report on the plant?")
    assert a.kind == "temporal order" and a.answer.startswith("Before.")
    assert [h["verdict"] for h in a.reasoning] == ["published 2026-03-02", "published 2026-03-09"]
    b = _ask(kb_ws, "Did Coastline Times report on the Cork tidal plant's homes before Harbor Daily reported "
                    "on the plant's homes?")
    assert b.answer.startswith("No.")


def test_claims_supported_by_each_hop_give_yes(kb_ws):
    a = _ask(kb_ws, "Does Harbor Daily report that Northwind Energy opened a tidal plant in Cork, while "
                    "Coastline Times says that the tidal plant employs 85 people?")
    assert a.answer.startswith("Yes."), a.reasoning
    assert [h["verdict"] for h in a.reasoning] == ["supported", "supported"]
    assert set(a.citations) == {"harbor-1", "coast-1"}


def test_abstains_naming_the_missing_outlet_or_the_silent_hop(kb_ws):
    a = _ask(kb_ws, "What did a Bloomberg article say about the Cork tidal plant?")
    assert a.abstained and "Bloomberg" in a.answer
    b = _ask(kb_ws, "Did Metro Sports and Harbor Daily both report on the volcanic eruption in Iceland?")
    assert b.abstained and "no evidence for Metro Sports" in b.answer
    assert b.citations == []


def test_single_fact_questions_keep_the_single_hop_path(kb_ws):
    a = _ask(kb_ws, "How many homes can the Cork tidal plant power?")
    assert a.kind == "figure" and a.reasoning == [] and not a.abstained
    assert "40,000" in a.answer and "55,000" in a.answer  # the conflict, shown side by side as before


def test_ask_json_carries_reasoning(kb_ws, tmp_path):
    from typer.testing import CliRunner

    from briefkit.cli.app import app

    result = CliRunner().invoke(app, ["--home", str(kb_ws.home), "--json", "ask", "--model", "none",
                                      "Which coach, according to Metro Sports and City Ledger, will stay with the"
                                      " Rovers?"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "entity" and len(data["reasoning"]) == 2
    assert data["reasoning"][0]["evidence"][0]["doc_id"] == "metro-1"


# --- the benchmark's scoring ----------------------------------------------------------------------------------

def _bench():
    spec = importlib.util.spec_from_file_location("bench_multihop", ROOT / "bench" / "multihop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_scoring_by_hand():
    bench = _bench()
    assert bench.correct("Yes", "Yes. Harbor Daily: “...”", False)
    assert bench.correct("Consistent", "Yes. both say 40,000", False)
    assert not bench.correct("no", "Yes. No sources differ", False)
    assert bench.correct("Sam Bankman-Fried", "Sam Bankman-Fried.", False)
    assert not bench.correct("Sam Bankman-Fried", "Bankman-Fried.", False)
    assert bench.correct("Insufficient information.", "The corpus does not contain ...", True)
    assert not bench.correct("Google", "The corpus does not contain ...", True)
    rows = [  # hand-worked: 2 of 4 right; cited 2 gold of 2, 1 of 2; one right abstention, one wrong
        {"type": "inference", "correct": True, "abstained": False, "cited": ["a", "b"], "gold_docs": ["a", "b"],
         "seconds": 1.0},
        {"type": "comparison", "correct": False, "abstained": False, "cited": ["a", "c"], "gold_docs": ["a"],
         "seconds": 2.0},
        {"type": "null", "correct": True, "abstained": True, "cited": [], "gold_docs": [], "seconds": 3.0},
        {"type": "comparison", "correct": False, "abstained": True, "cited": [], "gold_docs": ["d"], "seconds": 6.0},
    ]
    f = bench.score(rows)
    assert f["accuracy"] == 0.5
    assert f["by_type"] == {"comparison": 0.0, "inference": 1.0, "null": 1.0}
    assert f["citation_precision"] == pytest.approx((1.0 + 0.5) / 2)
    assert f["abstention_precision"] == 0.5 and f["abstention_recall"] == 1.0
    assert f["s_per_question"] == 3.0


def test_knowledge_base_is_one_document_per_article():
    bench = _bench()
    q = [{"evidence": [{"url": "u1", "title": "T", "source": "S", "published_at": "2023-10-01T10:00:00+00:00",
                        "fact": "First."}, {"url": "u1", "title": "T", "source": "S",
                                            "published_at": "2023-10-01T10:00:00+00:00", "fact": "Second."}]},
         {"evidence": [{"url": "u1", "title": "T", "source": "S", "published_at": "2023-10-01T10:00:00+00:00",
                        "fact": "First."}]}]
    kb = bench.knowledge_base(q)
    assert len(kb) == 1 and kb[0]["text"] == "First.\n\nSecond." and kb[0]["date"] == "2023-10-01"
