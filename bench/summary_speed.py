"""Benchmark: the generation of a whole summary, per backend, against the memory-bandwidth bound.

    .venv/bin/python bench/summary_speed.py [--models smollm2-135m qwen2.5-coder-1.5b] [--repeats 3]
        [--home DIR] [--transformers smollm2-135m=auto qwen2.5-coder-1.5b=FOLDER] [--topics N]
        [--no-sequential llamacpp transformers] [--keep-requests DIR] [--load-only]

For each model, the rewrite requests that ``summarise`` sends on each seed topic (eval/seed_facts.jsonl,
``auto`` strategy) are captured once and replayed, in alternating order, ``--repeats`` times:

- llama.cpp, the groups as one batch, with the prompts' shared prefix prefilled once and without;
- llama.cpp, one request after another (batch 1), with llama-cpp-python keeping the prefix a prompt shares
  with the one before in its KV cache, and with the cache reset before each request;
- transformers, as one left-padded batch and one request after another, where the model has a transformers
  form (``--transformers MODEL=FOLDER``; ``auto`` is the bundled folder; the 1.5B exists here only as a GGUF,
  so pass a folder de-quantised from it, e.g. with transformers' ``gguf_file=`` loader).

``--load-only`` measures instead what a fresh process pays to load each backend and model (median of
``--repeats``), to add to a batch's time for the whole summary as a one-shot command runs it.

Per configuration: wall seconds of the whole set of requests (medians), generated tokens / wall seconds
(the figure ``stats.tokens_per_s`` reports) and prefill seconds; whether the texts are the same with and
without the shared prefix. Decode tok/s at batch 1 (one request, 64 new tokens) is set against the bound:
memory read bandwidth (measured at the start and the end of the run) / bytes of weights read per token.
The machine is shared, so every figure is a median and the ratios are within one model's rows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backends import torch_weight_bytes  # noqa: E402
from common import machine, read_bandwidth_gbs  # noqa: E402
from summaries import OUT, ROOT, SHARED, workspace  # noqa: E402

LONG_CHAT = [{"role": "user", "content": "Write a long paragraph about the history of the city of Hangzhou."}]


def gguf_bytes_per_token(path: Path) -> int:
    """Weight bytes a decoded token reads: every tensor, except the token-embedding table when the model has
    its own output matrix (then one row of it is read)."""
    from gguf import GGUFReader

    tensors = {t.name: int(t.n_bytes) for t in GGUFReader(str(path)).tensors}
    if "output.weight" in tensors:
        tensors.pop("token_embd.weight", None)
    return sum(tensors.values())


def capture_requests(ws, topics: list[str], model: str, keep: Path | None = None) -> dict[str, list]:
    """The rewrite requests ``summarise`` sends for each topic (one run through llama.cpp); read from ``keep``
    when an earlier run wrote them there, else written there."""
    import briefkit.briefs.strategies.attributed as attributed
    from briefkit.briefs.summarise import summarise
    from briefkit.llm.base import GenerationParams

    if keep is not None and keep.exists():
        saved = json.loads(keep.read_text())
        return {t: (saved[t][0], GenerationParams(**saved[t][1]) if saved[t][1] else None)
                for t in topics if t in saved}

    seen: list = []
    original = attributed.realise

    def recording(backend, requests, params):
        seen.append((requests, params))
        return original(backend, requests, params)

    attributed.realise = recording
    try:
        derived = ws.derive(generation={"backend": "llamacpp", "cache": False})
        out = {}
        for topic in topics:
            seen.clear()
            summarise(derived, topic, model=model)
            out[topic] = seen[0] if seen else ([], None)
    finally:
        attributed.realise = original
    if keep is not None:
        keep.write_text(json.dumps({t: (r, p.key() if p else None) for t, (r, p) in out.items()}))
    return out


def timed(fn) -> tuple[float, list]:
    start = time.perf_counter()
    results = fn()
    return time.perf_counter() - start, results


def configurations(llama, torch_backend, sequential: set[str]) -> dict:
    """name -> function(requests, params) giving the results; each leaves the backend as it found it."""
    def llama_batch(share: bool):
        def run(requests, params):
            llama.share_prefix = share
            try:
                return llama.generate_batch(requests, params)
            finally:
                llama.share_prefix = True
        return run

    def llama_one_by_one(reuse: bool):
        def run(requests, params):
            results = []
            for messages in requests:
                if not reuse:
                    llama.llm.reset()
                results.append(llama.generate(messages, params))
            return results
        return run

    runs = {"llama.cpp batch, shared prefix": llama_batch(True), "llama.cpp batch, whole prompts": llama_batch(False)}
    if "llamacpp" in sequential:
        runs["llama.cpp 1 by 1, prefix kept"] = llama_one_by_one(True)
        runs["llama.cpp 1 by 1, reset"] = llama_one_by_one(False)
    if torch_backend is not None:
        runs["transformers batch"] = lambda requests, params: torch_backend.generate_batch(requests, params)
        if "transformers" in sequential:
            runs["transformers 1 by 1"] = lambda requests, params: [torch_backend.generate(m, params) for m in requests]
    return runs


LOAD_CHILD = """
import sys, time
start = time.perf_counter()
from briefkit.llm.registry import create_backend
kind, model, dtype = sys.argv[1:4]
backend = create_backend(kind, model=model, **({"device": "cpu", "dtype": dtype} if kind == "transformers" else {}))
print(time.perf_counter() - start)
"""


def load_seconds(kind: str, model: str, repeats: int) -> float:
    """Median wall seconds for a fresh process to import briefkit's backend and load ``model`` with it: what a
    one-shot ``summarise`` pays before its first token (llama.cpp's crash probe is cached after the first run)."""
    import subprocess

    from briefkit.llm.auto import cpu_dtype

    runs = [float(subprocess.run([sys.executable, "-c", LOAD_CHILD, kind, model, cpu_dtype()[0]], check=True,
                                 capture_output=True, text=True).stdout.split()[-1]) for _ in range(repeats)]
    return statistics.median(runs)


def decode_at_batch_1(backend) -> float:
    from briefkit.llm.base import GenerationParams

    backend.generate([{"role": "user", "content": "Say hello."}], GenerationParams(max_tokens=4))  # warm-up
    return backend.generate(LONG_CHAT, GenerationParams(max_tokens=64, stop=["\n\n\n"])).decode_tokens_per_s


def run_model(ws, model: str, topics: list[str], torch_folder: str | None, repeats: int, sequential: set[str],
              bandwidth: float, keep: Path | None) -> dict:
    from briefkit.attribution.realise import first_sentence
    from briefkit.llm.auto import cpu_dtype
    from briefkit.llm.registry import create_backend

    captured = capture_requests(ws, topics, model, keep)
    llama = create_backend("llamacpp", model=model)
    torch_backend = None
    if torch_folder:
        torch_backend = create_backend("transformers", model=model if torch_folder == "auto" else torch_folder,
                                       device="cpu", dtype=cpu_dtype()[0])
    weights = {"llama.cpp": gguf_bytes_per_token(llama.path)}
    decode = {"llama.cpp": statistics.median(decode_at_batch_1(llama) for _ in range(repeats))}
    if torch_backend is not None:
        weights["transformers"] = torch_weight_bytes(torch_backend.model)
        decode["transformers"] = statistics.median(decode_at_batch_1(torch_backend) for _ in range(repeats))
    print(f"\n## {model}: {llama.description}; transformers: "
          f"{torch_backend.description if torch_backend else 'not measured'}", flush=True)
    for kind in decode:
        bound = bandwidth * 1e9 / weights[kind]
        print(f"decode at batch 1, {kind}: {decode[kind]:.1f} tok/s; weights read a token {weights[kind] / 1e6:.0f} MB;"
              f" bound {bound:.1f} tok/s; {decode[kind] / bound:.0%} of it;"
              f" reads {decode[kind] * weights[kind] / 1e9:.1f}"
              " GB/s", flush=True)
    runs = configurations(llama, torch_backend, sequential)
    rows: dict = {"decode": decode, "weights": weights, "topics": {}}
    for topic, (requests, params) in captured.items():
        if not requests:
            print(f"{topic}: no rewrite requests")
            continue
        times: dict[str, list[float]] = {name: [] for name in runs}
        prefill: dict[str, list[float]] = {name: [] for name in runs}
        texts: dict[str, list[str]] = {}
        tokens: dict[str, int] = {}
        prefill_tokens: dict[bool, int] = {}
        for r in range(repeats):
            order = list(runs) if r % 2 == 0 else list(reversed(runs))
            for name in order:
                wall, results = timed(lambda: runs[name](requests, params))
                times[name].append(wall)
                prefill[name].append(sum(x.prompt_s for x in results))
                texts[name] = [x.text for x in results]
                tokens[name] = sum(x.completion_tokens for x in results)
                if name.startswith("llama.cpp batch"):
                    prefill_tokens[name.endswith("shared prefix")] = llama._multi.prefill_tokens
        n_prompt = sum(llama.count_tokens(llama.render(m)) for m in requests)
        shared, whole = texts["llama.cpp batch, shared prefix"], texts["llama.cpp batch, whole prompts"]
        same_sentences = sum(first_sentence(a) == first_sentence(b) for a, b in zip(shared, whole))
        print(f"\n{topic}: {len(requests)} requests, {n_prompt} prompt tokens; batch prefill decodes"
              f" {prefill_tokens[True]} tokens with the shared prefix, {prefill_tokens[False]} without;"
              f" same text {sum(a == b for a, b in zip(shared, whole))}/{len(shared)},"
              f" same first sentence {same_sentences}/{len(shared)}")
        print(f"{'configuration':<34} {'wall s':>7} {'prefill s':>9} {'tokens':>6} {'tok/s':>6}"
              f" {'× shared batch':>14}")
        base = statistics.median(times["llama.cpp batch, shared prefix"])
        topic_rows = {}
        for name in runs:
            wall = statistics.median(times[name])
            topic_rows[name] = {"wall_s": wall, "prefill_s": statistics.median(prefill[name]), "tokens": tokens[name],
                                "runs": times[name]}
            print(f"{name:<34} {wall:>7.2f} {topic_rows[name]['prefill_s']:>9.2f} {tokens[name]:>6}"
                  f" {tokens[name] / wall:>6.1f} {wall / base:>13.2f}x", flush=True)
        rows["topics"][topic] = {"requests": len(requests), "prompt_tokens": n_prompt,
                                 "prefill_tokens": {"shared": prefill_tokens[True], "whole": prefill_tokens[False]},
                                 "same_text": sum(a == b for a, b in zip(shared, whole)),
                                 "same_sentence": same_sentences, "runs": topic_rows}
    del llama, torch_backend
    gc.collect()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["smollm2-135m", "qwen2.5-coder-1.5b"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--home", type=Path, default=OUT / "seeds", help="the seeds workspace (ingested if new)")
    parser.add_argument("--transformers", nargs="*", default=["smollm2-135m=auto"], metavar="MODEL=FOLDER",
                        help="models to measure with transformers too, and the folder to load (auto: by name)")
    parser.add_argument("--no-sequential", nargs="*", default=[], choices=["llamacpp", "transformers"],
                        help="skip the one-request-at-a-time rows of these backends")
    parser.add_argument("--keep-requests", type=Path, default=None,
                        help="a folder for the captured requests, so a second run skips the summaries")
    parser.add_argument("--topics", type=int, default=None, help="the first N seed topics only")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--load-only", action="store_true",
                        help="only the fresh-process load time of each backend, to add to the batch times")
    args = parser.parse_args()
    folders = dict(item.split("=", 1) for item in args.transformers)
    print("machine:", machine())
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    from briefkit.llm.cpu import usable_threads

    threads = usable_threads()
    bandwidth = read_bandwidth_gbs(threads)
    print(f"memory read bandwidth ({threads} threads, median of 10): {bandwidth:.1f} GB/s", flush=True)
    topics = [json.loads(line)["query"] for line in (ROOT / "eval" / "seed_facts.jsonl").read_text().splitlines()
              if line.strip()][: args.topics]
    ws = workspace(args.home, sorted((SHARED / "seeds").glob("*.txt")))
    figures = {"machine": machine(), "bandwidth_start": bandwidth, "models": {}}
    if args.load_only:
        for model in args.models:
            kinds = ["llamacpp"] + (["transformers"] if model in folders else [])
            loads = {k: load_seconds(k, model if k == "llamacpp" or folders[model] == "auto" else folders[model],
                                     args.repeats) for k in kinds}
            figures["models"][model] = {"load_s": loads}
            print(f"{model}: load in a fresh process, median of {args.repeats}: "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in loads.items()), flush=True)
        print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1))
        return
    for model in args.models:
        figures["models"][model] = run_model(ws, model, topics, folders.get(model), args.repeats,
                                             {"llamacpp", "transformers"} - set(args.no_sequential), bandwidth,
                                             args.keep_requests / f"{model}.json" if args.keep_requests else None)
    figures["bandwidth_end"] = read_bandwidth_gbs(threads)
    print(f"\nmemory read bandwidth at the end: {figures['bandwidth_end']:.1f} GB/s (the bounds use {bandwidth:.1f})")
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
