"""Wall and CPU time of small `briefkit` commands, each in a fresh process.

Usage: python bench/cli_latency.py [--runs N]
Builds a home with the sample corpus once, then times `--help`, a BM25 search and a hybrid
search (query embedded with the ONNX export the ingest made, and with torch); the baseline is a bare
`python -c pass` start in the same run. Prints the machine, the load average and the medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

BRIEFKIT = [sys.executable, "-c", "from briefkit.cli.app import entry; entry()"]


def timed(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + sys) of ``runs`` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        home = ["--home", str(Path(tmp) / "home")]
        subprocess.run(BRIEFKIT + home + ["ingest", "--sample"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        # the last case runs with an empty cache folder, so there is no ONNX export and the query is embedded with torch
        no_export = {**os.environ, "BRIEFKIT_CACHE": str(Path(tmp) / "empty-cache")}
        cases: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "python -c pass (baseline)": ([sys.executable, "-c", "pass"], None),
            "briefkit --help": (BRIEFKIT + ["--help"], None),
            "briefkit search --mode bm25": (BRIEFKIT + home + ["search", "Qwen downloads", "--mode", "bm25", "-k", "3"],
                                            None),
            "briefkit search (hybrid)": (BRIEFKIT + home + ["search", "Qwen downloads", "-k", "3"], None),
            "briefkit search (hybrid, no ONNX export: torch)": (BRIEFKIT + home
                                                                + ["search", "Qwen downloads", "-k", "3"],
                                                                no_export),
        }
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}; median of {args.runs} runs")
        base = None
        print("| command | wall s | CPU s | wall / baseline |\n|---|---:|---:|---:|")
        for name, (cmd, env) in cases.items():
            wall, cpu = timed(cmd, args.runs, env)
            base = base or wall
            print(f"| `{name}` | {wall:.2f} | {cpu:.2f} | {wall / base:.1f}x |")


if __name__ == "__main__":
    main()
