"""Run briefkit's pipeline on SummHay subtopics and score it as the paper does.

Each topic file's 100 documents become a corpus (ingested once into ``home``); every
subtopic query (or the first N) is summarised, and the summary is scored against the
subtopic's insights with the local coverage scorer and the insights' gold documents.
Shipped systems' scores on the same subtopics (from their shipped labels) are reported
beside ours for comparison.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..briefs.summarise import summarise
from ..config import Settings
from ..scoring.base import ScorerCoverage
from ..scoring.load import independent_scorer, load_support_scorer
from ..workspace import Workspace
from .coverage import LLMJudgeScorer
from .summary_eval import score_summary
from .summhay import load_topic, shipped_system_scores, write_documents_jsonl

SUMMHAY_BULLETS = 10  # the benchmark asks each system for about ten insights a subtopic
SUMMHAY_WORDS = 250  # GPT-4o's shipped summaries: about 9 bullets and 230 words a subtopic
REFERENCE_SYSTEMS = ("vector_gpt3.5", "vector_gpt-4o", "rerank3_gpt-4o", "oracle_gpt-4o", "gemini-1.5-pro")


def run_summhay(paths: list[Path], settings: Settings, home: Path, model: str | None = None,
                strategy: str | None = None, k: int | None = None, subtopics: int | None = None,
                progress: bool = False, judge_model: str | None = None, scorer_kind: str = "auto") -> dict:
    """Summarise each subtopic and score it; ``judge_model`` swaps the local scorer for an LLM judge."""
    per_subtopic = []
    model_name = None
    support = None
    for path in paths:
        topic = load_topic(path)
        topic_home = home / Path(path).stem
        topic_home.mkdir(parents=True, exist_ok=True)
        words = settings.summarise.max_words or SUMMHAY_WORDS  # GPT-4o's length unless the profile sets one
        ws = Workspace(settings.with_overrides(home=topic_home, summarise={"max_words": words}), progress=progress)
        ws.ingest([write_documents_jsonl(topic, topic_home / "documents.jsonl")])
        if judge_model:
            scorer = LLMJudgeScorer(ws.generator(judge_model))
        else:
            support = support or load_support_scorer(scorer_kind, ws.embedder)
            scorer = ScorerCoverage(support)
        chosen = topic.subtopics[:subtopics] if subtopics else topic.subtopics
        gold = topic.insight_documents()
        for sub in chosen:
            start = time.perf_counter()
            summary = summarise(ws, sub.query, k=k, model=model, strategy=strategy, max_bullets=SUMMHAY_BULLETS)
            latency = time.perf_counter() - start
            model_name = summary.model
            scores = score_summary(summary, sub.insights, gold, scorer,
                                   independent_scorer(ws.support_scorer, ws.embedder))
            per_subtopic.append({"file": Path(path).name, "subtopic_id": sub.subtopic_id, "query": sub.query,
                                 "coverage": scores["coverage"], "citation": scores["citation"],
                                 "joint": scores["joint"], "faithfulness": scores["faithfulness"],
                                 "faithfulness_scorer": scores["faithfulness_scorer"],
                                 "latency_s": round(latency, 2), "strategy": summary.strategy,
                                 "bullets": len(summary.bullets)})
        reference = {}
        ids = [s.subtopic_id for s in chosen]
        for system in REFERENCE_SYSTEMS:  # their bullets scored by our scorer (comparable to ours) and by their labels
            ours, labels = shipped_system_scores(path, system, ids, scorer), shipped_system_scores(path, system, ids)
            if ours is not None and labels is not None:
                reference[system] = {**{k_: round(v, 2) for k_, v in ours.items()},
                                     "shipped_labels": {k_: round(v, 2) for k_, v in labels.items()}}
    n = len(per_subtopic) or 1
    mean = {m: sum(s[m] for s in per_subtopic) / n
            for m in ("coverage", "citation", "joint", "faithfulness", "latency_s")}
    return {"coverage": round(mean["coverage"], 2), "citation": round(mean["citation"], 2),
            "joint": round(mean["joint"], 2), "faithfulness": round(mean["faithfulness"], 2),
            "faithfulness_scorer": per_subtopic[0]["faithfulness_scorer"] if per_subtopic else None,
            "latency_mean_s": round(mean["latency_s"], 2), "model": model_name,
            "scorer": f"llm judge {judge_model}" if judge_model else (support.name if support else scorer_kind),
            "subtopics": per_subtopic,
            "reference_systems": reference}
