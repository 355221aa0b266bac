"""Train the learned content selector (src/briefkit/attribution/weights/selector.json) from SummHay.

    nice -n 10 .venv/bin/python eval/train_selector.py --holdout news1   # train on topic 2, report on topic 1
    nice -n 10 .venv/bin/python eval/train_selector.py --holdout news2   # train on topic 1, report on topic 2
    nice -n 10 .venv/bin/python eval/train_selector.py                   # the shipped model: both topics

The judged selector adds JUDGE_WEIGHT times the generation model's P(yes) that a candidate answers the topic
(src/briefkit/attribution/judge.py) to the hand-weighted score, whose salience then counts JUDGED_SALIENCE;
--judge MODEL has MODEL (a GGUF run by llama.cpp, the 1.5B benchmark model) judge the candidates and reports the
insights stated for a grid of weights, and the weight each topic would choose for the other (leave one topic out);
it writes no weights:

    nice -n 10 .venv/bin/python eval/train_selector.py --judge qwen2.5-coder-1.5b

Candidates: every subtopic query of a topic runs the summariser's own stages up to the plan (k = 16
passages, the default settings, every group corroborated and its members confirmed). Label of a candidate group: its
lead sentence states an insight of the subtopic, i.e. the lead's document is one of the insight's gold
documents (``insights_included``) and the shipped learned support scorer labels the (lead, insight) pair
FULL or PARTIAL. Candidates and labels are cached in bench/out/selector/ (delete it to rebuild), and so are the
model's judgements, per model, judge prompt and candidates. The judged selector sees, as the summariser does,
only the ``judge_pool`` best candidates of a subtopic by the hand-weighted score.
The planner's settings (redundancy, stop_below) are chosen on the training topic with the real
:func:`briefkit.attribution.plan.plan` over the cached candidates; see eval/SELECTOR.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BRIEFKIT_SHARED", ROOT.parent / "shared")) / "data" / "summhay"
CACHE = ROOT / "bench" / "out" / "selector"
TOPICS = {"news1": DATA / "topic_news1.json", "news2": DATA / "topic_news2.json"}
K = 16  # passages a subtopic, as bench/summaries.py retrieves
BULLETS, WORDS = 10, 250  # the SummHay budget (GPT-4o's length)
C_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
JUDGE_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
REDUNDANCY_GRID = (0.0, 0.1, 0.2, 0.3, 0.5)
STOP_GRID = tuple(round(x, 2) for x in np.arange(0.0, 0.91, 0.05))
STOP_SLACK = 0.0  # stop_below: the highest threshold costing at most this much coverage on the training topic


def extract(name: str) -> list[dict]:
    """Candidate groups of every subtopic of topic ``name`` with features, lead vectors and labels (cached)."""
    out = CACHE / f"{name}.json"
    if out.exists():
        return json.loads(out.read_text())
    from briefkit.attribution.insight import features
    from briefkit.attribution.plan import confirm, group_sentences
    from briefkit.attribution.select import relevant, score
    from briefkit.attribution.verify import Verifier
    from briefkit.config import Settings
    from briefkit.evaluation.summhay import load_topic, write_documents_jsonl
    from briefkit.scoring.base import LABELS
    from briefkit.scoring.load import load_support_scorer
    from briefkit.briefs.strategies.attributed import corroborated
    from briefkit.briefs.summarise import retrieve_for_topic, summary_evidence
    from briefkit.workspace import Workspace

    topic = load_topic(TOPICS[name])
    home = ROOT / "bench" / "out" / f"summhay-topic_{name}"  # the workspace bench/summaries.py uses
    home.mkdir(parents=True, exist_ok=True)
    ws = Workspace(Settings().with_overrides(home=home), progress=True)
    if not (home / "store.sqlite").exists():
        ws.ingest([write_documents_jsonl(topic, home / "documents.jsonl")])
    cfg = ws.settings.summarise
    labeller = load_support_scorer("learned")
    verifier = Verifier(ws.support_scorer, cfg.min_support)
    gold = topic.insight_documents()
    subtopics = []
    for sub in topic.subtopics:
        print(f"{name} {sub.subtopic_id}: candidates", file=sys.stderr, flush=True)
        passages = retrieve_for_topic(ws, sub.query, K, None, None, None, cfg.min_relevance)
        every = score(sub.query, summary_evidence(passages)[0], ws.query_embedder)
        groups = group_sentences(relevant(every, cfg.min_relevance), cfg.group_threshold)
        corroborated(ws, groups, every, ws.query_embedder)
        groups = confirm(groups, verifier, keep=10**9)
        order = sorted(range(len(groups)), key=lambda i: -groups[i].score)  # novelty: against the groups above
        leads = np.stack([g.lead.vector for g in groups])
        novelty = [0.0] * len(groups)
        for rank, i in enumerate(order):
            above = [leads[j] for j in order[:rank]]
            novelty[i] = 1.0 - max([0.0, *(float(leads[i] @ v) for v in above)])
        x = features(groups, novelty)
        pairs = [(gi, iid) for gi in range(len(groups)) for iid in sub.insights]
        probs = labeller.probabilities([(groups[gi].lead.evidence.text, sub.insights[iid]) for gi, iid in pairs])
        covers: list[dict[str, float]] = [{} for _ in groups]  # any document: what the benchmark's scorer credits
        for (gi, iid), p in zip(pairs, probs):
            label = LABELS[int(np.argmax(p))]
            if label != "NONE":
                covers[gi][iid] = 1.0 if label == "FULL" else 0.5
        states = [{i: v for i, v in c.items() if g.lead.evidence.doc_id in gold[i]} for g, c in zip(groups, covers)]
        subtopics.append({"subtopic_id": sub.subtopic_id, "insights": list(sub.insights), "groups": [
            {"x": x[i].tolist(), "vector": groups[i].lead.vector.astype(float).round(5).tolist(),
             "members": len(g.members), "hand": g.score, "text": g.lead.evidence.text,
             "doc_id": g.lead.evidence.doc_id, "start": g.lead.evidence.start, "states": states[i],
             "covers": covers[i]}
            for i, g in enumerate(groups)]})
    CACHE.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(subtopics))
    return subtopics


def judged(name: str, subtopics: list[dict], model: str) -> list[dict]:
    """The subtopics cut to the summariser's judge pool, each candidate with the model's ``judge``
    probability (cached per model, version of prompts/judge_topic.md and candidate texts)."""
    from briefkit.config import Settings

    pool = Settings().summarise.judge_pool
    cut = [{**s, "groups": sorted(s["groups"], key=lambda g: -g["hand"])[:pool]} for s in subtopics]
    key = hashlib.sha1((ROOT / "prompts" / "judge_topic.md").read_bytes())
    key.update(json.dumps([[g["text"] for g in s["groups"]] for s in cut]).encode())
    # per model, prompt and candidates: judgements are stored by position, so other candidates need new ones
    out = CACHE / f"{name}-judge-{Path(model).name.removesuffix('.gguf')}-{key.hexdigest()[:8]}.json"
    if not out.exists():
        from briefkit.attribution.judge import judge
        from briefkit.evaluation.summhay import load_topic
        from briefkit.llm.registry import create_backend

        topic = {sub.subtopic_id: sub.query for sub in load_topic(TOPICS[name]).subtopics}
        backend = create_backend("llamacpp", model)
        values = []
        for sub in cut:
            print(f"{name} {sub['subtopic_id']}: the model judges {len(sub['groups'])} candidates", file=sys.stderr,
                  flush=True)
            groups = groups_of(sub)
            judge(backend, topic[sub["subtopic_id"]], groups)
            values.append([g.judge for g in groups])
        out.write_text(json.dumps(values))
    for sub, values in zip(cut, json.loads(out.read_text())):
        for g, v in zip(sub["groups"], values):
            g["judge"] = v
    return cut


def arrays(subtopics: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and labels."""
    x = np.array([g["x"] for s in subtopics for g in s["groups"]])
    y = np.array([bool(g["states"]) for s in subtopics for g in s["groups"]], dtype=int)
    return x, y


def fit(subtopics: list[dict]):
    """Logistic regression on standardised features, its L2 strength chosen by log-loss in 3-fold
    cross-validation over the training subtopics (folds never split a subtopic); returns a Selector
    with placeholder planner settings."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import GroupKFold

    from briefkit.attribution.insight import Selector

    warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")  # their 1.10 API notices
    x, y = arrays(subtopics)
    folds = np.array([i for i, s in enumerate(subtopics) for _ in s["groups"]])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    model = LogisticRegressionCV(Cs=C_GRID, cv=list(GroupKFold(3).split(z, y, folds)), scoring="neg_log_loss",
                                 max_iter=2000).fit(z, y)
    print(f"C chosen by cross-validation: {model.C_[0]}")
    return Selector(mean, scale, model.coef_[0].astype(float), float(model.intercept_[0]), 0.0, 0.0)


def groups_of(sub: dict) -> list:
    """The cached candidates as plan groups (members stand in for the confirmed ones: only their count is read)."""
    from briefkit.attribution.evidence import Evidence
    from briefkit.attribution.insight import FEATURES
    from briefkit.attribution.plan import Group
    from briefkit.attribution.select import Scored

    out = []
    for g in sub["groups"]:
        rel, lex, info, _, _, cos = g["x"][:6]
        ev = Evidence(g["doc_id"], 0, g["start"], g["start"] + len(g["text"]), g["text"],
                      passage_relevance=2 * rel - cos)
        lead = Scored(ev, np.asarray(g["vector"], dtype=np.float32), rel, lex, info, cos)
        grp = Group([lead] * g["members"], [1.0] * g["members"], judge=g.get("judge"),
                    corroboration=g["x"][FEATURES.index("corroboration")])
        grp.states = g["states"]
        out.append(grp)
    return out


def planned_coverage(subtopics: list[dict], selector, bullets: int = BULLETS, words: int | None = WORDS) -> dict:
    """Mean over subtopics of the insights the chosen leads state (labels: FULL 100, PARTIAL 50), with the
    real planner; plus mean bullets and words."""
    from briefkit.attribution.plan import plan, words as lead_words

    cov, n, w = [], [], []
    for sub in subtopics:
        chosen = plan(groups_of(sub), bullets, 10, words, selector)
        points = {i: max([0.0, *(g.states.get(i, 0.0) for g in chosen)]) for i in sub["insights"]}
        cov.append(100 * statistics.fmean(points.values()))
        n.append(len(chosen))
        w.append(sum(lead_words(g) for g in chosen))
    return {"coverage": statistics.fmean(cov), "bullets": statistics.fmean(n), "words": statistics.fmean(w)}


def candidate_coverage(subtopics: list[dict]) -> float:
    """Coverage if every candidate lead were a bullet (the ceiling of any plan over these candidates)."""
    return statistics.fmean(100 * statistics.fmean(max([0.0, *(g["states"].get(i, 0.0) for g in s["groups"])])
                                                   for i in s["insights"]) for s in subtopics)


def tune(subtopics: list[dict], selector):
    """Redundancy that maximises planned coverage on ``subtopics``, then the highest stop_below within
    :data:`STOP_SLACK` of it."""
    from dataclasses import replace

    by_r = {r: planned_coverage(subtopics, replace(selector, redundancy=r))["coverage"] for r in REDUNDANCY_GRID}
    r = max(by_r, key=lambda k: (by_r[k], -k))
    best = by_r[r]
    stop = max(t for t in STOP_GRID
               if planned_coverage(subtopics, replace(selector, redundancy=r, stop_below=t))["coverage"]
               >= best - STOP_SLACK)
    return replace(selector, redundancy=r, stop_below=stop)


def auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def judge_weights(data: dict[str, list[dict]], model: str) -> None:
    """Insights the hand-weighted plan's leads state with the judge's weight on a grid, each topic's judge pool
    judged by ``model``; then, leave one topic out, the weight each topic chooses and what it gives the other."""
    from briefkit.attribution import plan as planning

    cut = {name: judged(name, subs, model) for name, subs in data.items()}
    by_weight: dict[float, dict[str, float]] = {}
    shipped = planning.JUDGE_WEIGHT
    try:  # the plan reads the weight from its module: set it for each point of the grid, then put it back
        for w in JUDGE_GRID:
            planning.JUDGE_WEIGHT = w
            by_weight[w] = {name: planned_coverage(subs, None)["coverage"] for name, subs in cut.items()}
            print(f"judge weight {w}: " + ", ".join(f"{n} label coverage {c:.1f}" for n, c in by_weight[w].items()))
    finally:
        planning.JUDGE_WEIGHT = shipped
    for held in cut:
        (other,) = [n for n in cut if n != held]
        best = max(JUDGE_GRID, key=lambda w: (by_weight[w][other], -w))
        print(f"chosen on {other}: {best} -> {held} {by_weight[best][held]:.1f} (no judge: {by_weight[0.0][held]:.1f})")


def main() -> None:
    from dataclasses import replace

    from briefkit.attribution.insight import WEIGHTS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--holdout", choices=list(TOPICS), help="train on the other topic and report on this one")
    ap.add_argument("--judge", metavar="MODEL", help="report the judged selector's weight grid, MODEL judging "
                                                     "(a GGUF or its alias); trains nothing")
    ap.add_argument("--out", type=Path, help="weights file (default: the shipped one, or "
                                             "eval/selector-holdout-TOPIC.json with --holdout)")
    args = ap.parse_args()
    data = {name: extract(name) for name in TOPICS}
    if args.judge:
        judge_weights(data, args.judge)
        return
    train = [s for name, subs in data.items() if name != args.holdout for s in subs]
    selector = tune(train, fit(train))
    out = args.out or (ROOT / "eval" / f"selector-holdout-{args.holdout}.json" if args.holdout else WEIGHTS)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(selector.to_json(), indent=1) + "\n")
    x, y = arrays(train)
    print(f"trained on {len(y)} candidate groups ({y.mean():.1%} state an insight); "
          f"redundancy {selector.redundancy}, stop_below {selector.stop_below}; wrote {out}")
    print("standardised coefficients: " + ", ".join(f"{f} {c:+.2f}" for f, c in zip(selector.names, selector.coef)))
    for name, subs in data.items():
        held = "held out" if name == args.holdout else "trained on" if args.holdout else "trained on (both)"
        x, y = arrays(subs)
        rows = {"selector": planned_coverage(subs, selector), "selector, no early stop":
                planned_coverage(subs, replace(selector, stop_below=0.0)), "hand": planned_coverage(subs, None)}
        print(f"\n{name} ({held}): {len(y)} candidates, {y.mean():.1%} positive; AUC selector "
              f"{auc(y, selector.probability(x)):.3f}, hand salience"
              f" {auc(y, np.array([g['hand'] for s in subs for g in s['groups']])):.3f}"
              f"; all candidates cover {candidate_coverage(subs):.1f}")
        for label, r in rows.items():
            print(f"  {label}: label coverage {r['coverage']:.1f}, {r['bullets']:.1f} bullets, {r['words']:.0f} words")


if __name__ == "__main__":
    main()
