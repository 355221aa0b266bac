"""Batch evaluation runs: a matrix of models x strategies x k x prompts over a fact set.

A run directory holds ``run.json`` (format version and the spec), ``results.jsonl`` (one
line per configuration and item, appended and flushed as each finishes) and the report.
Re-running the same spec skips finished (configuration, item) pairs, so an interrupted run
continues where it stopped; a truncated last line from a kill is ignored.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import resource
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..briefs.summarise import summarise
from ..config import Settings
from ..errors import BadInput
from ..resources import sample_corpus_path
from ..runtime import atomic_write_text, progress_bar
from ..scoring.base import ScorerCoverage
from ..scoring.load import independent_scorer, load_support_scorer
from ..workspace import Workspace
from .datasets import check_gold_docs, load_fact_set
from .summary_eval import score_summary

RUN_FORMAT = 1


class Matrix(BaseModel):
    model_config = ConfigDict(extra="forbid")
    models: list[str] = ["auto"]
    strategies: list[str] = ["auto"]
    k: list[int] = [8]
    prompts: list[str] = ["default"]  # "default" or a folder of prompt files


class RunSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    dataset: str
    corpus: list[str] = Field(default_factory=lambda: ["sample"])
    matrix: Matrix = Matrix()
    max_new_tokens: int | None = None
    concurrency: int = Field(1, ge=1, description="Cells run at once; only server backends (openai) gain from >1.")


def load_spec(path: Path) -> RunSpec:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        return RunSpec.model_validate(data)
    except FileNotFoundError:
        raise BadInput(f"run spec not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"run spec {path} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"run spec {path}: field {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def configurations(matrix: Matrix) -> list[dict]:
    return [{"model": m, "strategy": s, "k": k, "prompts": p}
            for m, s, k, p in itertools.product(matrix.models, matrix.strategies, matrix.k, matrix.prompts)]


def config_id(config: dict) -> str:
    return hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:10]


def config_label(config: dict) -> str:
    prompts = "" if config["prompts"] == "default" else f" prompts={Path(config['prompts']).name}"
    return f"{config['model']} {config['strategy']} k={config['k']}{prompts}"


def read_results(path: Path) -> list[dict]:
    """Rows of a results file; a truncated last line (a killed run) is skipped."""
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def _prepare_dir(out: Path, spec: RunSpec) -> None:
    out.mkdir(parents=True, exist_ok=True)
    meta_path = out / "run.json"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise BadInput(f"{meta_path} is corrupt; use another --out folder") from None
        if meta.get("format") != RUN_FORMAT:
            raise BadInput(f"{out} holds a run of format {meta.get('format')}; this briefkit writes {RUN_FORMAT}:"
                           " use another --out folder")
        if meta.get("spec", {}).get("dataset") != spec.dataset:
            raise BadInput(f"{out} holds a run over another dataset; use another --out folder")
    atomic_write_text(meta_path, json.dumps({"format": RUN_FORMAT, "spec": spec.model_dump()}, indent=2))


def run_spec(spec_path: Path, out: Path, base: Settings, progress: bool = False,
             on_row: Callable[[dict], None] | None = None, scorer_kind: str = "auto") -> list[dict]:
    """Run (or resume) every cell of the spec's matrix; returns all result rows."""
    spec = load_spec(spec_path)
    root = Path(spec_path).resolve().parent
    items = load_fact_set(root / spec.dataset)
    _prepare_dir(out, spec)
    ws = Workspace(base.with_overrides(home=out / "home"), progress=progress)
    corpus = [sample_corpus_path() if c == "sample" else root / c for c in spec.corpus]
    ws.ingest(corpus)
    check_gold_docs(items, {row["doc_id"] for row in ws.store.sources()}, root / spec.dataset)
    scorer = ScorerCoverage(load_support_scorer(scorer_kind, ws.embedder))

    results_path = out / "results.jsonl"
    rows = read_results(results_path)
    done = {(r["config_id"], r["item_id"]) for r in rows}
    cells = [(c, it) for c in configurations(spec.matrix) for it in items if (config_id(c), it.id) not in done]
    bar = progress_bar(progress, len(cells), "eval matrix", "cell", leave=True)

    def run_cell(config: dict, item) -> dict:
        overrides = {"summarise": {"prompts_dir": None if config["prompts"] == "default"
                                                  else str(root / config["prompts"])},
                     "generation": {"max_new_tokens": spec.max_new_tokens}}
        cell_ws = ws.derive(**overrides)
        start = time.perf_counter()
        summary = summarise(cell_ws, item.query, k=config["k"], model=config["model"], strategy=config["strategy"])
        latency = time.perf_counter() - start
        scores = score_summary(summary, {f.id: f.text for f in item.facts},
                               {f.id: set(f.gold_docs) for f in item.facts}, scorer,
                               independent_scorer(cell_ws.support_scorer, ws.embedder))
        return {"config_id": config_id(config), "config": config, "label": config_label(config),
                "item_id": item.id, "model": summary.model, "scorer": scorer.name, "strategy": summary.strategy,
                **scores,
                "latency_s": round(latency, 3), "tokens_per_s": summary.stats.to_json()["tokens_per_s"],
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "summary": summary.text()}

    workers = spec.concurrency if base.generation.backend == "openai" else 1
    if cells:
        ws.retriever  # open the index and build the shared retriever before worker threads use it
    with open(results_path, "a", encoding="utf-8") as fh, ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_cell, config, item) for config, item in cells]
        try:
            for future in as_completed(futures):
                row = future.result()
                fh.write(json.dumps(row) + "\n")  # one finished cell a line: a kill loses at most the cell in flight
                fh.flush()
                os.fsync(fh.fileno())
                rows.append(row)
                if on_row:
                    on_row(row)
                bar.update(1)
        finally:
            for f in futures:
                f.cancel()
            bar.close()
    return rows
