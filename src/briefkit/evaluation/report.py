"""Reports of batch runs: report.md with tables, per-fact hit/miss tables and PNG plots."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from ..runtime import atomic_write_text
from .metrics import POINTS

_MARK = {"FULL": "✔", "PARTIAL": "½", "NONE": "✘"}


def aggregate(rows: list[dict]) -> list[dict]:
    """One line per configuration: mean scores, mean and p95 latency, tokens/s, peak memory."""
    by_config: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_config[r["config_id"]].append(r)
    out = []
    for cid, group in by_config.items():
        lat = [r["latency_s"] for r in group]
        out.append({
            "config_id": cid, "label": group[0]["label"], "model": group[0]["model"], "items": len(group),
            **{m: float(np.mean([r[m] for r in group])) for m in ("coverage", "citation", "joint", "faithfulness")},
            "latency_mean_s": float(np.mean(lat)), "latency_p95_s": float(np.percentile(lat, 95)),
            "tokens_per_s": float(np.mean([r["tokens_per_s"] for r in group])),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in group),
        })
    return sorted(out, key=lambda a: -a["joint"])


def markdown_table(aggregates: list[dict]) -> str:
    head = ("| configuration | model | items | coverage | citation | joint | faithfulness | mean s | p95 s |"
            " tok/s | peak MB |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for a in aggregates:
        lines.append(f"| {a['label']} | {a['model']} | {a['items']} | {a['coverage']:.1f} | {a['citation']:.1f} |"
                     f" {a['joint']:.1f} | {a['faithfulness']:.1f} | {a['latency_mean_s']:.1f} |"
                     f" {a['latency_p95_s']:.1f} | {a['tokens_per_s']:.1f} | {a['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def fact_table(rows: list[dict], aggregates: list[dict]) -> str:
    """Rows: item/fact; columns: configurations; cells ✔ full, ½ partial, ✘ missed."""
    labels = [a["label"] for a in aggregates]
    cells: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for r in rows:
        for f in r["facts"]:
            cells[(r["item_id"], f["fact_id"])][r["label"]] = f["label"]
    lines = ["| item / fact | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for (item, fact), got in sorted(cells.items()):
        lines.append(f"| {item} / {fact} | " + " | ".join(_MARK.get(got.get(lab, ""), "·") for lab in labels) + " |")
    return "\n".join(lines)


def plots(rows: list[dict], aggregates: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def save(fig, name: str) -> Path:
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        return out / name

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for a in aggregates:
        ax.scatter(a["latency_mean_s"], a["coverage"], s=60)
        ax.annotate(a["label"], (a["latency_mean_s"], a["coverage"]), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")
    ax.set_xlabel("mean latency per summary (s)")
    ax.set_ylabel("coverage (0-100)")
    ax.set_title("Coverage vs latency per configuration")
    ax.grid(alpha=0.3)
    files = [save(fig, "coverage_vs_latency.png")]

    facts = sorted({(r["item_id"], f["fact_id"]) for r in rows for f in r["facts"]})
    fig, ax = plt.subplots(figsize=(max(7, 0.35 * len(facts)), 4.5))
    width = 0.8 / max(1, len(aggregates))
    for n, a in enumerate(aggregates):
        got = {(r["item_id"], f["fact_id"]): 100 * POINTS[f["label"]]
               for r in rows if r["label"] == a["label"] for f in r["facts"]}
        ax.bar(np.arange(len(facts)) + n * width, [got.get(f, 0.0) for f in facts], width, label=a["label"])
    ax.set_xticks(np.arange(len(facts)) + 0.4 - width / 2)
    ax.set_xticklabels([f"{i}/{f}" for i, f in facts], rotation=70, ha="right", fontsize=7)
    ax.set_ylabel("coverage of the fact")
    ax.set_title("Coverage per reference fact")
    ax.legend(fontsize=7)
    files.append(save(fig, "coverage_per_fact.png"))
    return files


def write_report(rows: list[dict], out: Path, title: str) -> Path:
    aggregates = aggregate(rows)
    images = plots(rows, aggregates, out)
    judges = ", ".join(sorted({r.get("faithfulness_scorer", "?") for r in rows})) or "?"
    text = [f"# Evaluation report: {title}", "",
            "Scores are SummHay-style on a 0-100 scale: coverage (full 100, partial 50), citation F1 of the covering"
            " bullet against the fact's gold documents, joint (coverage x citation per fact), faithfulness (share of"
            " bullets, shown or rejected, whose own evidence sentences cover them, judged by the"
            f" {judges} scorer, chosen to differ from the one that let the bullets through)."
            " Peak MB is the process's peak resident memory.", "",
            markdown_table(aggregates), "", "## Facts hit and missed", "", "✔ full · ½ partial · ✘ missed", "",
            fact_table(rows, aggregates), "", "## Plots", ""]
    text += [f"![{p.stem}]({p.name})" for p in images]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(text) + "\n")
    return path
