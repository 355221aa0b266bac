"""Benchmark: prefill/decode tokens/s of the bundled model against the memory-bandwidth bound,
and the end-to-end `summarise` latency breakdown (sample corpus, SummHay topic 1, extractive).

Usage: python bench/generation.py
The bound: decoding reads every weight once per token, so decode tok/s cannot exceed
(memory read bandwidth) / (weight bytes); both are measured here in the same run.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, peak_rss_mb, read_bandwidth_gbs  # noqa: E402


def main() -> None:
    from briefkit.config import Settings
    from briefkit.evaluation.summhay import load_topic, write_documents_jsonl
    from briefkit.llm.base import GenerationParams
    from briefkit.resources import sample_corpus_path
    from briefkit.briefs.summarise import summarise
    from briefkit.workspace import Workspace

    print("machine:", machine())
    bw = read_bandwidth_gbs()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Settings().with_overrides(home=Path(tmp) / "sample", generation={"cache": False}))
        ws.ingest([sample_corpus_path()])
        backend = ws.generator("smollm2-135m")
        inner = backend
        weights = sum(p.numel() * p.element_size() for p in inner.model.parameters())
        prompt = " ".join(["Alibaba released the Qwen3.5 Small models in four sizes."] * 60)
        messages = [{"role": "user", "content": prompt + "\nSummarise in one long paragraph."}]
        inner.generate([{"role": "user", "content": "Say hello."}], GenerationParams(max_tokens=4))  # warm-up
        r = inner.generate(messages, GenerationParams(max_tokens=96, repetition_penalty=1.15))
        prefill = r.prompt_tokens / r.prompt_s
        decode = r.decode_tokens_per_s
        bound = bw * 1e9 / weights
        print(f"\nmodel {inner.model_name}: {weights / 1e6:.0f} MB of weights ({next(inner.model.parameters()).dtype})")
        print(f"prefill: {r.prompt_tokens} tokens in {r.prompt_s:.2f}s = {prefill:.0f} tok/s")
        print(f"decode: {r.completion_tokens} tokens = {decode:.1f} tok/s")
        print(f"memory read bandwidth: {bw:.1f} GB/s -> bandwidth bound {bound:.0f} tok/s; "
              f"decode reaches {decode / bound:.1%} of it (weights x decode tok/s = {weights * decode / 1e9:.2f} GB/s)")

        rows = []
        for label, strat in (("sample corpus, auto", "auto"), ("sample corpus, extractive", "extractive")):
            t = time.perf_counter()
            s = summarise(ws, "Qwen team leadership changes", model="smollm2-135m", strategy=strat)
            rows.append((label, s, time.perf_counter() - t))
        topic = load_topic(Path(__file__).resolve().parents[2] / "shared/data/summhay/topic_news1.json")
        ws2 = Workspace(Settings().with_overrides(home=Path(tmp) / "summhay", generation={"cache": False}))
        ws2._generators = ws._generators  # the same loaded model
        ws2.ingest([write_documents_jsonl(topic, Path(tmp) / "t1.jsonl")])
        for label, strat in (("SummHay topic 1, auto", "auto"), ("SummHay topic 1, extractive", "extractive")):
            t = time.perf_counter()
            s = summarise(ws2, topic.subtopics[0].query, model="smollm2-135m", strategy=strat)
            rows.append((label, s, time.perf_counter() - t))
    print(f"\n{'run':<30} {'strategy':<22} {'retrieve s':>10} {'generate s':>10} {'other s':>8} {'total s':>8}"
          f" {'bullets':>7}")
    for label, s, total in rows:
        st = s.stats
        other = total - st.retrieve_s - st.generate_s
        print(f"{label:<30} {s.strategy:<22} {st.retrieve_s:>10.2f} {st.generate_s:>10.2f} {other:>8.2f} {total:>8.2f}"
              f" {sum(b.supported for b in s.bullets):>7}")
    print(f"\npeak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
