"""Load check for `briefkit serve`: many searches and a few summaries at once against one server.

Usage: python bench/serve_load.py [--searches 50] [--summaries 4] [--queue 4] [--home DIR]

Starts `briefkit serve` in a child process on a free loopback port over DIR (default: a fresh home
holding the sample corpus, so the generation cache is cold), measures one search and one summary
alone (the baseline, same run), then sends all searches and summaries at the same moment. Prints
p50/p95 latency per kind, the error count, how long each summary waited beyond its own work, and
the machine with its load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine  # noqa: E402

SEARCHES = ["tidal turbines", "bread prices", "Qwen downloads", "council vote", "flour costs", "fish and sediment",
            "open-weight models", "harbour town", "team leadership", "energy bills"]
SUMMARY_TOPICS = ["Qwen adoption", "bakery prices", "Qwen team leadership changes", "harbour tidal pilot",
                  "open-source model releases", "local council decisions"]
BASELINE_TOPIC = "tidal energy"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _briefkit(*args: str) -> list[str]:
    return [sys.executable, "-c", "from briefkit.cli.app import entry; entry()", *args]


async def _timed(client, method: str, path: str, **kwargs) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        response = await client.request(method, path, **kwargs)
        status = response.status_code
    except Exception:  # noqa: BLE001 - a refused or dropped connection is an error to count
        status = 0
    return time.perf_counter() - start, status


async def _load(url: str, searches: int, summaries: int) -> dict:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=3600, limits=httpx.Limits(max_connections=200)) as client:
        alone_search = [(await _timed(client, "GET", "/api/search", params={"q": q}))[0] for q in SEARCHES]
        alone_summary, status = await _timed(client, "POST", "/api/summarise", json={"topic": BASELINE_TOPIC})
        if status != 200:
            raise SystemExit(f"the baseline summary failed with HTTP {status}")
        tasks = [_timed(client, "POST", "/api/summarise", json={"topic": SUMMARY_TOPICS[i % len(SUMMARY_TOPICS)]})
                 for i in range(summaries)]
        tasks += [_timed(client, "GET", "/api/search", params={"q": SEARCHES[i % len(SEARCHES)]})
                  for i in range(searches)]
        start = time.perf_counter()
        results = await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {"alone_search": alone_search, "alone_summary": alone_summary, "summaries": results[:summaries],
            "searches": results[summaries:], "wall": wall}


def _pcts(values: list[float]) -> str:
    return f"p50 {np.percentile(values, 50) * 1000:.0f} ms, p95 {np.percentile(values, 95) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--summaries", type=int, default=4)
    parser.add_argument("--queue", type=int, default=4, help="the server's --queue")
    parser.add_argument("--home", help="a home to serve (default: a fresh one with the sample corpus)")
    args = parser.parse_args()
    print("machine:", machine(), "| load average at start:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or str(Path(tmp) / "home")
        if not args.home:
            subprocess.run(_briefkit("--home", home, "--json", "ingest", "--sample"), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = _free_port()
        server = subprocess.Popen(_briefkit("--home", home, "serve", "--port", str(port), "--queue", str(args.queue)),
                                  stderr=subprocess.DEVNULL)
        try:
            import httpx

            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 300
            while True:
                try:
                    httpx.get(url + "/api/status", timeout=5).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.5)
            r = asyncio.run(_load(url, args.searches, args.summaries))
        finally:
            server.terminate()
            server.wait(timeout=30)
    searches = [t for t, _ in r["searches"]]
    summaries = [t for t, _ in r["summaries"]]
    errors = [s for _, s in r["searches"] + r["summaries"] if s != 200]
    print(f"alone: search {_pcts(r['alone_search'])} ({len(r['alone_search'])} sequential);"
          f" summary {r['alone_summary']:.1f} s (cold generation cache, model warm)")
    print(f"at once: {args.searches} searches + {args.summaries} summaries, queue {args.queue}, wall {r['wall']:.1f} s")
    print(f"  searches: {_pcts(searches)}, max {max(searches) * 1000:.0f} ms;"
          f" p50 vs alone {np.percentile(searches, 50) / np.percentile(r['alone_search'], 50):.1f}x")
    print(f"  summaries: {', '.join(f'{t:.1f}' for t in sorted(summaries))} s"
          f" (one at a time on the worker: the n-th waits for n-1 before it)")
    print(f"  errors: {len(errors)}" + (f" (HTTP {sorted(set(errors))})" if errors else ""))
    print("load average at end:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
