"""The verifier on the labelled verification set (eval/verification/pairs.jsonl): what it lets through.

    .venv/bin/python bench/verification.py [--scorer learned|cosine] [--details] [--judge MODEL]

Prints markdown: the headline figures against their targets (accepted unfaithful share at most
2%, faithful model rewrites accepted at least 80%), acceptance per kind, what each rule rejected
(faithful candidates: its cost; unfaithful ones: its catch), and the accepted unfaithful
candidates grouped by kind, the kind with most first (``--details`` adds the rejected faithful ones
with their reasons). The verifier is the summariser's: the chosen support scorer and ``[summarise]
min_support`` from the default settings. ``--judge MODEL`` adds the summariser's rewrite check
(``[summarise] check_rewrites``): the model (llama.cpp) asked whether the evidence states everything in each
candidate the rules accepted, kept at several P(yes) floors. Needs ../shared beside the checkout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scorer", choices=["learned", "cosine"], default="learned")
    parser.add_argument("--details", action="store_true", help="also list the rejected faithful candidates")
    parser.add_argument("--judge", metavar="MODEL",
                        help="the rewrite check with MODEL (e.g. qwen2.5-coder-1.5b) on each accepted candidate")
    args = parser.parse_args()

    from briefkit.attribution.verify import Verifier
    from briefkit.config import Settings
    from briefkit.scoring.load import load_support_scorer
    from briefkit.evaluation.verification_set import PAIRS, figures, load_pairs, run

    pairs = load_pairs()
    min_support = Settings().summarise.min_support
    verifier = Verifier(load_support_scorer(args.scorer), min_support)
    start = time.perf_counter()
    outcomes = run(verifier, pairs)
    seconds = time.perf_counter() - start
    f = figures(outcomes)

    print(f"## Verification set: {len(pairs)} pairs, scorer {args.scorer}, min_support {min_support}\n")
    print(f"{PAIRS.relative_to(PAIRS.parents[2])}; machine: {machine()}; checked in {seconds:.1f} s\n")
    print("| figure | value | target |\n|---|---|---|")
    print(f"| accepted unfaithful share (1 - precision) | {share(f.accepted_unfaithful, f.accepted)} | <= 2% |")
    recall = share(f.model_faithful_accepted, f.model_faithful)
    print(f"| faithful model rewrites accepted (recall) | {recall} | >= 80% |")
    print(f"| faithful hand rewrites accepted | {share(f.hand_faithful_accepted, f.hand_faithful)} | |")
    print("\n| kind | n | accepted | rejected |\n|---|---:|---:|---:|")
    for kind, (n, accepted, rejected) in f.per_kind.items():
        print(f"| {kind} | {n} | {accepted} | {rejected} |")
    print("\nRejections by rule (a candidate rejected by several rules counts under each):\n")
    print("| rule | faithful rejected (cost) | alone | unfaithful rejected (catch) | alone |")
    print("|---|---:|---:|---:|---:|")
    for name in dict.fromkeys([*f.false_rejects, *f.catches]):
        cost, catch = f.false_rejects.get(name, (0, 0)), f.catches.get(name, (0, 0))
        print(f"| {name} | {cost[0]} | {cost[1]} | {catch[0]} | {catch[1]} |")
    still = [o for o in outcomes if o.accepted and not o.pair.faithful]
    kinds = Counter(o.pair.kind for o in still)
    print("\nAccepted unfaithful, by kind (most first): " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    for kind, n in kinds.most_common():
        print(f"\n{kind} ({n}):\n")
        for o in still:
            if o.pair.kind == kind:
                print(f"- {o.pair.id}: {o.pair.candidate}")
    if args.judge:
        judge(args.judge, [o.pair for o in outcomes if o.accepted])
    if args.details:
        print("\nRejected faithful:\n")
        for o in outcomes:
            if not o.accepted and o.pair.faithful:
                print(f"- {o.pair.id} ({o.pair.origin}): {o.pair.candidate} — {'; '.join(o.reasons)}")


def judge(model: str, pairs: list) -> None:
    """The accepted candidates put to ``model`` as the summariser's rewrite check does
    (:mod:`briefkit.attribution.model_check`); prints what each P(yes) floor would keep."""
    from briefkit.attribution import model_check
    from briefkit.config import Settings
    from briefkit.workspace import Workspace

    ws = Workspace(Settings().with_overrides(generation={"backend": "llamacpp", "cache": False}))
    backend = ws.generator(model)
    start = time.perf_counter()
    p_yes = model_check.stated(backend, [p.candidate for p in pairs], [p.evidence for p in pairs])
    seconds = time.perf_counter() - start
    faithful = sum(p.faithful for p in pairs)
    print(f"\nThe model check ({model}) on the {len(pairs)} accepted candidates ({seconds:.0f} s;"
          f" shipped floor {model_check.FLOOR}):\n")
    print("| P(yes) floor | kept | unfaithful share | faithful kept | faithful model rewrites kept |")
    print("|---:|---:|---:|---:|---:|")
    for floor in (0.0, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8):
        kept = [p for p, y in zip(pairs, p_yes) if y >= floor]
        model_kept = sum(p.faithful and p.origin != "hand" for p in kept)
        print(f"| {floor} | {len(kept)} | {share(sum(not p.faithful for p in kept), len(kept))} |"
              f" {sum(p.faithful for p in kept)}/{faithful} | {model_kept} |")


if __name__ == "__main__":
    main()
