"""Train the learned support scorer from SummHay (same as `briefkit eval train-scorer`).

    nice -n 10 .venv/bin/python eval/train_scorer.py --holdout      # train on topic 1, report on topic 2
    nice -n 10 .venv/bin/python eval/train_scorer.py                # the shipped model: both topics
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BRIEFKIT_SHARED", ROOT.parent / "shared")) / "data" / "summhay"


def main() -> None:
    from briefkit.scoring.learned import WEIGHTS_DIR
    from briefkit.evaluation.checker_train import train

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--holdout", choices=["news1", "news2"], nargs="?", const="news2",
                    help="hold this topic out: train on the other, report on it (default news2)")
    ap.add_argument("--out", type=Path, help="weights folder (default: the package's shipped weights, or "
                                             "eval/scorer-holdout-TOPIC with --holdout)")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-human", action="store_true", help="skip the report on the human judgements")
    args = ap.parse_args()
    topics = {"news1": DATA / "topic_news1.json", "news2": DATA / "topic_news2.json"}
    if args.holdout:
        train_files = [p for t, p in topics.items() if t != args.holdout]
        eval_files = [topics[args.holdout]]
        out = args.out or ROOT / "eval" / f"scorer-holdout-{args.holdout}"
    else:
        train_files, eval_files, out = list(topics.values()), None, args.out or WEIGHTS_DIR
    meta = train(train_files, out, eval_files=eval_files, epochs=args.epochs, seed=args.seed,
                 human_file=None if args.no_human else DATA / "human_coverage_judgements.json", progress=True,
                 log=lambda m: print(m, flush=True))
    print(f"wrote {out} in {meta['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
