"""The SummHay benchmark's topic files (Laban et al., EMNLP 2024) as briefkit inputs.

A topic file holds 100 documents, subtopics with a query and atomic insights, and the
ids of the insights each document states (so the gold documents of an insight are the
documents that include it). This module reads that format; it does not score summaries.
"""

from __future__ import annotations

import json
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
