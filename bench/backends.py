"""Benchmark: generation backends against the memory-bandwidth bound, batch 1 and batched.

Usage: python bench/backends.py [--skip-qwen] [--threads N] [--only transformers|llamacpp] [--keep DIR]
Models: the bundled SmolLM2-135M and a Qwen3.5-0.8B-shaped model with random weights (vocab
248,320, hidden 1,024, 24 layers of which 18 linear-attention, tied embeddings), built in a
temporary folder. Backends: transformers fp32 and bf16; llama.cpp with Q8_0 and Q4_0 GGUFs
(quantised here with llama.cpp's own quantiser). For each: prefill tok/s (a ~400-token
prompt), decode tok/s at batch 1, and aggregate tok/s for a batch of 8 short chats (~180
prompt tokens, 40 new tokens) through ``generate_batch``. The bound is the memory read bandwidth,
measured in the same run, divided by the bytes of weights read per token; "reads GB/s" is what
the decode actually streams (weight bytes x decode tok/s).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import machine, read_bandwidth_gbs  # noqa: E402

QWEN08B_TEXT = dict(vocab_size=248320, hidden_size=1024, intermediate_size=3584, num_hidden_layers=24,
                    num_attention_heads=8, num_key_value_heads=2, head_dim=256, linear_key_head_dim=128,
                    linear_value_head_dim=128, linear_num_key_heads=16, linear_num_value_heads=16,
                    linear_conv_kernel_dim=4, max_position_embeddings=32768, tie_word_embeddings=True,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000000.0, "partial_rotary_factor": 0.25,
                                     "mrope_section": [11, 11, 10]})
SENTENCE = "Alibaba released the Qwen3.5 Small models in four sizes, and the team lead stepped down in March. "


def build_qwen_shaped(folder: Path) -> Path:
    """A Qwen3.5-0.8B-shaped text model with random weights, saved with the tiny test tokenizer."""
    import torch
    from transformers import AutoTokenizer
    from transformers.models.qwen3_5 import Qwen3_5Config, Qwen3_5ForConditionalGeneration

    from tiny_qwen import build_tiny_qwen

    build_tiny_qwen(folder / "tok")  # tokenizer and template; its ids fit the bigger vocabulary
    tok = AutoTokenizer.from_pretrained(folder / "tok")
    text = dict(QWEN08B_TEXT, eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"), pad_token_id=tok.pad_token_id)
    config = Qwen3_5Config(text_config=text, vision_config=dict(depth=1, hidden_size=32, intermediate_size=64,
                                                                num_heads=2, out_hidden_size=1024),
                           tie_word_embeddings=True)
    torch.manual_seed(0)
    with torch.device("cpu"):
        model = Qwen3_5ForConditionalGeneration(config).to(torch.bfloat16)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    del model
    gc.collect()
    return folder


def quantize(src: Path, dst: Path, kind: str) -> Path:
    """llama.cpp's quantiser (llama_model_quantize through llama-cpp-python's ctypes binding)."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = {"Q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0, "Q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0}[kind]
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # the quantiser logs every tensor to stderr
    try:
        failed = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params)) != 0
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)
    if failed:
        raise RuntimeError(f"quantising {src} to {kind} failed")
    return dst


def measure(backend, weight_bytes: int, bw: float, label: str, batch: bool = True) -> dict:
    from briefkit.llm.base import GenerationParams

    long_chat = [{"role": "user", "content": SENTENCE * 14 + "\nSummarise in one long paragraph."}]
    backend.generate([{"role": "user", "content": "Say hello."}], GenerationParams(max_tokens=4))  # warm-up
    r = backend.generate(long_chat, GenerationParams(max_tokens=48, repetition_penalty=1.15))
    row = {"label": label, "weights_mb": weight_bytes / 1e6, "prefill": r.prompt_tokens / r.prompt_s,
           "decode": r.decode_tokens_per_s, "prompt_tokens": r.prompt_tokens, "new_tokens": r.completion_tokens}
    row["bound"] = bw * 1e9 / weight_bytes
    if batch:
        chats = [[{"role": "system", "content": "Rewrite the evidence as one cited sentence."},
                  {"role": "user", "content": f"Evidence {i}: " + SENTENCE * 6}] for i in range(8)]
        start = time.perf_counter()
        results = backend.generate_batch(chats, GenerationParams(max_tokens=40, repetition_penalty=1.15))
        wall = time.perf_counter() - start
        row["batch_tok_s"] = sum(x.completion_tokens for x in results) / wall
        row["batch_wall"] = wall
    return row


def print_row(row: dict) -> None:
    batch = f"{row['batch_tok_s']:>9.1f} {row['batch_wall']:>7.1f}" if "batch_tok_s" in row else f"{'':>9} {'':>7}"
    print(f"{row['label']:<34} {row['weights_mb']:>8.0f} {row['prefill']:>9.0f} {row['decode']:>8.1f}"
          f" {row['bound']:>8.0f} {row['decode'] / row['bound']:>7.1%} {row['decode'] * row['weights_mb'] / 1e3:>6.1f}"
          f" {batch}", flush=True)


def torch_weight_bytes(model) -> int:
    """Bytes read per decoded token: every parameter once (tied embeddings count once, as lm_head)."""
    seen, total = set(), 0
    for p in model.parameters():
        if p.data_ptr() not in seen:
            seen.add(p.data_ptr())
            total += p.numel() * p.element_size()
    return total


def run_model(name: str, torch_model: str, gguf_f16: Path, tmp: Path, bw: float, threads: int,
              backends: tuple[str, ...]) -> None:
    from briefkit.llm.llamacpp_backend import LlamaCppBackend
    from briefkit.llm.transformers_backend import TransformersBackend

    for dtype in ("float32", "bfloat16") if "transformers" in backends else ():
        b = TransformersBackend(model=torch_model, device="cpu", dtype=dtype, threads=threads)
        print_row(measure(b, torch_weight_bytes(b.model), bw, f"{name} transformers {dtype}"))
        del b
        gc.collect()
    for kind in ("Q8_0", "Q4_0") if "llamacpp" in backends else ():
        path = quantize(gguf_f16, tmp / f"{name}-{kind}.gguf", kind)
        b = LlamaCppBackend(model=str(path), threads=threads, context_tokens=2048, allow_any_architecture=True)
        print_row(measure(b, path.stat().st_size, bw, f"{name} llama.cpp {kind}"))
        del b
        gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-qwen", action="store_true")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the models and GGUFs in this folder (e.g. for bench/summaries.py --model)")
    parser.add_argument("--only", choices=["transformers", "llamacpp"], default=None,
                        help="measure one backend (e.g. llamacpp with another llama-cpp-python build on PYTHONPATH)")
    args = parser.parse_args()
    from briefkit.llm.cpu import simd_summary, usable_threads
    from briefkit.llm.models import ensure_smollm2, smollm2_gguf

    threads = args.threads or usable_threads()
    backends = (args.only,) if args.only else ("transformers", "llamacpp")
    print("machine:", machine())
    print("cpu flags:", simd_summary())
    if "llamacpp" in backends:
        import llama_cpp

        print("llama-cpp-python:", llama_cpp.__version__, "from", Path(llama_cpp.__file__).parent)
        stamp = Path(sys.prefix) / "llama-cpp-build.txt"  # written by scripts/setup
        if stamp.exists() and Path(llama_cpp.__file__).is_relative_to(sys.prefix):
            print("llama.cpp build:", stamp.read_text().strip())
    print(f"threads: {threads}; load average at start: {os.getloadavg()[0]:.1f}")
    bw = read_bandwidth_gbs(threads)
    print(f"memory read bandwidth ({threads} threads, median of 10): {bw:.1f} GB/s\n")
    print(f"{'model / backend':<34} {'weights':>8} {'prefill':>9} {'decode':>8} {'bound':>8} {'of bound':>7}"
          f" {'reads':>6} {'batch8':>9} {'wall s':>7}")
    print(f"{'':<34} {'MB':>8} {'tok/s':>9} {'tok/s':>8} {'tok/s':>8} {'':>7} {'GB/s':>6} {'tok/s':>9} {'':>7}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        run_model("SmolLM2-135M", str(ensure_smollm2()), smollm2_gguf(), tmp, bw, threads, backends)
        if not args.skip_qwen:
            from tiny_qwen import write_qwen35_gguf

            folder = build_qwen_shaped(tmp / "qwen08b")
            gguf = write_qwen35_gguf(folder, tmp / "qwen08b-f16.gguf", float_type="f16")
            run_model("Qwen3.5-0.8B-shaped", str(folder), gguf, tmp, bw, threads, backends)
    print(f"\nmemory read bandwidth at the end: {read_bandwidth_gbs(threads):.1f} GB/s (the bound uses {bw:.1f})")
    print(f"load average at end: {os.getloadavg()[0]:.1f} (other processes share these cores when above 0)")


if __name__ == "__main__":
    main()
