"""Benchmark: generation backends on the bundled SmolLM2, and eval-matrix concurrency.

Usage: python bench/backends.py
- prefill and decode tokens/s per backend (transformers, llama.cpp, OpenAI-compatible
  llama.cpp server on loopback), each set against the memory-bandwidth bound measured in
  the same run (copy bandwidth / bytes of weights read per token);
- end-to-end `summarise` latency per backend on the sample corpus (stuff strategy);
- eval-matrix throughput with 1 vs 4 concurrent requests against the loopback server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mb  # noqa: E402
from generation import copy_bandwidth_gbs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def start_server(gguf: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2-135m"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(180):
        try:
            urllib.request.urlopen(url + "/models", timeout=2).read()
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start")


def main() -> None:
    from briefkit.config import Settings
    from briefkit.evaluation.runner import run_spec
    from briefkit.llm.base import GenerationParams
    from briefkit.llm.models import smollm2_gguf
    from briefkit.resources import sample_corpus_path
    from briefkit.summarise import summarise
    from briefkit.workspace import Workspace

    print("machine:", machine())
    bw = copy_bandwidth_gbs()
    gguf = smollm2_gguf()
    proc, url = start_server(gguf)
    try:
        prompt = " ".join(["Alibaba released the Qwen3.5 Small models in four sizes."] * 60)
        messages = [{"role": "user", "content": prompt + "\nSummarise in one long paragraph."}]
        params = GenerationParams(max_tokens=96, repetition_penalty=1.15)
        print(f"memory copy bandwidth: {bw:.1f} GB/s\n")
        print(f"{'backend':<13} {'weights MB':>10} {'prefill tok/s':>13} {'decode tok/s':>12} {'bound tok/s':>11}"
              f" {'of bound':>8} {'summarise s':>11}")
        with tempfile.TemporaryDirectory() as tmp:
            base = Workspace(Settings().with_overrides(home=Path(tmp) / "h", generation={"cache": False}))
            base.ingest([sample_corpus_path()])
            for backend, weights in (("transformers", None), ("llamacpp", gguf.stat().st_size),
                                     ("openai", gguf.stat().st_size)):
                ws = base.derive(generation={"backend": backend, "base_url": url})
                gen = ws.generator("smollm2-135m")
                inner = getattr(gen, "inner", gen)
                if weights is None:
                    weights = sum(p.numel() * p.element_size() for p in inner.model.parameters())
                # warm-up on another prompt: llama.cpp reuses the KV cache of a repeated prompt prefix
                gen.generate([{"role": "user", "content": "Say hello."}], GenerationParams(max_tokens=4))
                r = gen.generate(messages, params)
                prefill = r.prompt_tokens / r.prompt_s if r.prompt_s > 0 else float("nan")
                decode = r.decode_tokens_per_s if r.prompt_s > 0 else r.completion_tokens / r.total_s
                bound = bw * 1e9 / weights
                start = time.perf_counter()
                summarise(ws, "Qwen team leadership changes", model="smollm2-135m", strategy="stuff")
                e2e = time.perf_counter() - start
                print(f"{backend:<13} {weights / 1e6:>10.0f} {prefill:>13.0f} {decode:>12.1f} {bound:>11.0f}"
                      f" {decode / bound:>8.1%} {e2e:>11.1f}")
        print("(openai: no streaming, so its prefill is not observable and decode is completion tokens / total time)")

        spec = Path(tempfile.mkdtemp()) / "spec.toml"
        (spec.parent / "facts.jsonl").write_text((ROOT / "eval" / "sample_facts.jsonl").read_text())
        print("\neval matrix against the loopback server (4 items x 2 configurations, stuff, 48 new tokens):")
        timings = {}
        for workers in (1, 4):
            spec.write_text(f'name = "c{workers}"\ndataset = "facts.jsonl"\nmax_new_tokens = 48\nconcurrency = {workers}\n'
                            '[matrix]\nmodels = ["smollm2-135m"]\nstrategies = ["stuff"]\nk = [4, 6]\n')
            settings = Settings().with_overrides(generation={"backend": "openai", "base_url": url, "cache": False})
            start = time.perf_counter()
            rows = run_spec(spec, spec.parent / f"run{workers}", settings)
            timings[workers] = time.perf_counter() - start
            print(f"  {workers} concurrent: {len(rows)} cells in {timings[workers]:.1f}s = {len(rows) / timings[workers]:.2f} cells/s")
        print(f"  speed-up 4 vs 1: {timings[1] / timings[4]:.2f}x (llama-cpp-python's server runs one request at a time;"
              " vLLM or SGLang batch concurrent requests)")
    finally:
        proc.kill()
    print(f"\npeak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
