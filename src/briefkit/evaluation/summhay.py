"""The SummHay benchmark's topic files (Laban et al., EMNLP 2024) as briefkit inputs.

A topic file holds 100 documents, subtopics with a query and atomic insights, and the
ids of the insights each document states (so the gold documents of an insight are the
documents that include it). This module reads that format; it does not score summaries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput


@dataclass(frozen=True)
class Subtopic:
    subtopic_id: str
    query: str
    insights: dict[str, str]  # insight_id -> text

    def gold_documents(self, topic: "Topic") -> set[str]:
        """Documents that state at least one of this subtopic's insights."""
        ids = set(self.insights)
        return {d for d, included in topic.doc_insights.items() if ids & included}


@dataclass(frozen=True)
class Topic:
    topic: str
    documents: dict[str, str]  # document_id -> text
    doc_insights: dict[str, set[str]]
    subtopics: list[Subtopic]

    def insight_documents(self) -> dict[str, set[str]]:
        """insight_id -> the documents that state it (the gold citations of SummHay's scores)."""
        gold: dict[str, set[str]] = {}
        for doc, included in self.doc_insights.items():
            for insight in included:
                gold.setdefault(insight, set()).add(doc)
        return gold


def load_topic(path: Path) -> Topic:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        documents = {d["document_id"]: d["document_text"] for d in data["documents"]}
        doc_insights = {d["document_id"]: set(d.get("insights_included", [])) for d in data["documents"]}
        subtopics = [
            Subtopic(s["subtopic_id"], s["query"], {i["insight_id"]: i["insight"] for i in s["insights"]})
            for s in data["subtopics"]
        ]
    except FileNotFoundError:
        raise BadInput(f"SummHay file not found: {path}") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise BadInput(f"{path} is not a SummHay topic file ({type(exc).__name__}: {exc})") from None
    return Topic(data.get("topic", ""), documents, doc_insights, subtopics)


def write_documents_jsonl(topic: Topic, out: Path, source: str = "summhay") -> Path:
    """Write the topic's documents as briefkit JSONL (``id``, ``title``, ``source``, ``text``)."""
    with open(out, "w", encoding="utf-8") as fh:
        for doc_id, text in topic.documents.items():
            title = text.strip().splitlines()[0][:120] if text.strip() else doc_id
            fh.write(json.dumps({"id": doc_id, "title": title, "source": source, "text": text}) + "\n")
    return out


_SUMMHAY_LABEL = {"FULL_COVERAGE": "FULL", "PARTIAL_COVERAGE": "PARTIAL", "NO_COVERAGE": "NONE",
                  "fully_covered": "FULL", "partially_covered": "PARTIAL", "not_covered": "NONE"}


@dataclass(frozen=True)
class LabelledSummary:
    """A shipped system summary with its coverage label per insight."""

    system: str
    subtopic_id: str
    bullets: list[str]
    insights: dict[str, str]
    labels: dict[str, str]  # insight_id -> FULL | PARTIAL | NONE


def strip_citations(line: str) -> str:
    return re.sub(r"\[[\d,\s]+\]", "", line).strip(" *-•\t")


def labelled_summaries(path: Path) -> list[LabelledSummary]:
    """Shipped summaries and labels from a topic file, or from the human judgements file."""
    import ast

    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out: list[LabelledSummary] = []
    if isinstance(raw, list):  # human_coverage_judgements.json
        for row in raw:
            def parsed(value):  # the file stores some fields as Python literals in strings
                return ast.literal_eval(value) if isinstance(value, str) else value

            insights = {i["insight_id"]: i["insight"] for i in parsed(row["reference_insights"])}
            labels = {a["insight_id"]: _SUMMHAY_LABEL[a["coverage"]] for a in parsed(row["annotation"])}
            out.append(LabelledSummary(row["summkey"].replace("summary_subtopic_", ""), row["subtopic_id"],
                                       list(row["summary"]), insights, labels))
        return out
    topic = load_topic(path)
    subtopics = {s["subtopic_id"]: s for s in raw["subtopics"]}
    for sub in topic.subtopics:
        data = subtopics[sub.subtopic_id]
        for key, lines in data.get("summaries", {}).items():
            evals = data.get("eval_summaries", {}).get(key)
            if evals is None:
                continue
            labels = {i: "NONE" for i in sub.insights}
            for e in evals:
                if e.get("insight_id") in labels:
                    labels[e["insight_id"]] = _SUMMHAY_LABEL.get(e.get("coverage"), "NONE")
            out.append(LabelledSummary(key.replace("summary_subtopic_", ""), sub.subtopic_id, list(lines),
                                       sub.insights, labels))
    return out


def _shipped_labels(insights: list[dict], evaluations: list[dict]) -> dict[str, tuple[str, int | None]]:
    """insight_id -> (label, covering bullet index) from SummHay's GPT-4o evaluation of one summary."""
    labels: dict[str, tuple[str, int | None]] = {i["insight_id"]: ("NONE", None) for i in insights}
    for e in evaluations:
        if e["insight_id"] in labels and e["coverage"] in ("FULL_COVERAGE", "PARTIAL_COVERAGE"):
            try:
                idx = int(e["bullet_id"]) - 1
            except (TypeError, ValueError):
                idx = None
            labels[e["insight_id"]] = (_SUMMHAY_LABEL[e["coverage"]], idx)
    return labels


def shipped_system_scores(path: Path, system: str, subtopic_ids: list[str], scorer=None) -> dict | None:
    """SummHay scores of a shipped system on the given subtopics: from its shipped (GPT-4o) labels, or,
    with ``scorer`` (anything with ``score(facts, bullets)``), from that scorer's verdicts on its bullets,
    so that it can be compared with briefkit's own summaries scored the same way."""
    from .metrics import summhay_scores

    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    topic = load_topic(path)
    position = {d: str(i + 1) for i, d in enumerate(topic.documents)}
    gold_pos = {ins: {position[d] for d in docs} for ins, docs in topic.insight_documents().items()}
    key = f"summary_subtopic_{system}"
    totals, n = {"coverage": 0.0, "citation": 0.0, "joint": 0.0}, 0
    for sub in raw["subtopics"]:
        if sub["subtopic_id"] not in subtopic_ids or key not in sub.get("eval_summaries", {}):
            continue
        lines = sub["summaries"][key]
        cites = [{n_ for g in re.findall(r"\[([\d,\s]+)\]", ln) for n_ in re.split(r"[,\s]+", g) if n_} for ln in lines]
        if scorer is not None:
            matches = scorer.score([i["insight"] for i in sub["insights"]], [strip_citations(ln) for ln in lines])
            labels = {i["insight_id"]: (m.label, m.bullet) for i, m in zip(sub["insights"], matches)}
        else:
            labels = _shipped_labels(sub["insights"], sub["eval_summaries"][key])
        scores, _ = summhay_scores(labels, cites, gold_pos)
        for k in totals:
            totals[k] += scores[k]
        n += 1
    return {k: v / n for k, v in totals.items()} if n else None
