"""Build a tiny random-weight Qwen3.5 (``qwen3_5``) checkpoint and tokenizer in a folder, and
tiny random-weight GGUF files for llama.cpp (``qwen35`` from that checkpoint, ``qwen2`` directly).

The weights are random, so the text it writes is noise; what the tests check is that the
same loading, chat-template and generation code that users hit works on this architecture.
"""

from __future__ import annotations

from pathlib import Path

# A Qwen-style chat template written for the tests: when ``enable_thinking`` is false the
# assistant turn starts with an empty think block, as Qwen3.5's own template does.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]


def train_tiny_tokenizer():
    """A byte-level BPE tokenizer (``tokenizers.Tokenizer``) of about 400 tokens with Qwen's special tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers, decoders

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ["Alibaba released Qwen3.5 Small in four sizes.", "The tech lead stepped down on March 3, 2026.",
              "system user assistant sources topic question answer bullet"] * 20
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    return tok


def build_tiny_qwen(folder: Path) -> Path:
    import torch
    from transformers import PreTrainedTokenizerFast
    from transformers.models.qwen3_5 import Qwen3_5Config, Qwen3_5ForConditionalGeneration

    folder.mkdir(parents=True, exist_ok=True)
    fast = PreTrainedTokenizerFast(tokenizer_object=train_tiny_tokenizer(), eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)

    vocab = fast.vocab_size + len(SPECIALS)
    text = dict(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
                num_key_value_heads=2, head_dim=16, linear_key_head_dim=16, linear_value_head_dim=16,
                linear_num_key_heads=2, linear_num_value_heads=4, max_position_embeddings=2048,
                eos_token_id=fast.convert_tokens_to_ids("<|im_end|>"), pad_token_id=fast.pad_token_id)
    vision = dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64)
    config = Qwen3_5Config(text_config=text, vision_config=vision)
    torch.manual_seed(0)
    model = Qwen3_5ForConditionalGeneration(config)
    model.save_pretrained(folder)
    return folder


def write_qwen35_gguf(folder: Path, out: Path, float_type: str = "f32", conv_f16: bool = False) -> Path:
    """Write the text model of a ``qwen3_5`` checkpoint folder as a llama.cpp ``qwen35`` GGUF.

    A minimal writer for tests and benchmarks (llama.cpp's converter is not installed): tensor
    names from the ``gguf`` package's name map, the renames and value changes llama.cpp expects
    (A_log -> ssm_a = -exp(A_log), dt_bias -> ssm_dt.bias, conv1d squeezed, the (1 + w) RMSNorm
    weights stored as 1 + w), the tokenizer as a GPT-2 style BPE vocabulary padded to the
    embedding rows. It does not reorder linear-attention value heads (the converter does when
    key and value head counts differ), so outputs match transformers only in shape, not values.
    ``float_type``: ``f32`` or ``f16`` for the 2-D weights (1-D ones and the conv kernel stay f32).
    ``conv_f16`` writes the conv kernel in f16 (whatever ``float_type``): a file llama.cpp loads
    and then aborts on in its first decode (a GGML_ASSERT in ssm_conv), for tests of that failure.
    """
    import json

    import gguf
    import numpy as np
    from safetensors import safe_open

    config = json.loads((folder / "config.json").read_text())
    text = config.get("text_config", config)
    tok = json.loads((folder / "tokenizer.json").read_text())
    tok_config = json.loads((folder / "tokenizer_config.json").read_text())
    n_layers, vocab = text["num_hidden_layers"], text["vocab_size"]
    head_dim = text.get("head_dim") or text["hidden_size"] // text["num_attention_heads"]
    rope = text.get("rope_parameters") or {}
    n_rot = int(head_dim * rope.get("partial_rotary_factor", 1.0))
    sections = list(rope.get("mrope_section") or [n_rot // 4, n_rot // 4, n_rot // 2 - 2 * (n_rot // 4)])

    w = gguf.GGUFWriter(str(out), "qwen35")
    w.add_context_length(text["max_position_embeddings"])
    w.add_embedding_length(text["hidden_size"])
    w.add_block_count(n_layers)
    w.add_feed_forward_length(text["intermediate_size"])
    w.add_head_count(text["num_attention_heads"])
    w.add_head_count_kv(text["num_key_value_heads"])
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_layer_norm_rms_eps(text["rms_norm_eps"])
    w.add_rope_freq_base(rope.get("rope_theta", 10000.0))
    w.add_rope_dimension_count(n_rot)
    w.add_rope_dimension_sections((sections + [0, 0, 0, 0])[:4])
    w.add_ssm_conv_kernel(text["linear_conv_kernel_dim"])
    w.add_ssm_state_size(text["linear_key_head_dim"])
    w.add_ssm_group_count(text["linear_num_key_heads"])
    w.add_ssm_time_step_rank(text["linear_num_value_heads"])
    w.add_ssm_inner_size(text["linear_value_head_dim"] * text["linear_num_value_heads"])
    interval = next((i + 1 for i, t in enumerate(text["layer_types"]) if t == "full_attention"), 4)
    w.add_full_attention_interval(interval)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if float_type == "f16" else gguf.LlamaFileType.ALL_F32)

    _add_tokenizer(w, tok, vocab, "qwen35", tok_config.get("eos_token", "<|im_end|>"),
                   tok_config.get("pad_token", "<|endoftext|>"), tok_config.get("chat_template") or CHAT_TEMPLATE)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN35, n_layers)
    for file in sorted(folder.glob("*.safetensors")):
        with safe_open(str(file), "pt") as f:
            for key in f.keys():
                if "visual" in key or "mtp" in key:
                    continue
                data = f.get_tensor(key).float().numpy()
                hf = key.replace("model.language_model.", "model.")
                if hf.endswith("linear_attn.A_log"):
                    name, data = names.get_name(hf), -np.exp(data)
                elif hf.endswith("linear_attn.dt_bias"):
                    name = names.get_name(hf.replace("dt_bias", "dt_proj"), try_suffixes=(".weight",))
                    name = name.removesuffix(".weight") + ".bias"
                else:
                    name = names.get_name(hf, try_suffixes=(".weight", ".bias"))
                if name is None:
                    raise ValueError(f"no GGUF name for {key}")
                if hf.endswith("conv1d.weight"):
                    data = data.squeeze(1)
                if hf.endswith("norm.weight") and not hf.endswith("linear_attn.norm.weight"):
                    data = data + 1.0
                conv = hf.endswith("conv1d.weight")
                if (conv and conv_f16) or (not conv and data.ndim >= 2 and float_type == "f16"):
                    data = data.astype(np.float16)
                w.add_tensor(name, np.ascontiguousarray(data.astype(np.float32) if data.dtype == np.float64 else data))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return out


def _add_tokenizer(w, tok: dict, vocab: int, pre: str, eos: str, pad: str, template: str) -> None:
    """A ``tokenizer.json`` dict as a GPT-2 style BPE vocabulary padded to ``vocab`` rows, with its chat template."""
    import gguf

    ids = {t: i for t, i in tok["model"]["vocab"].items()}
    specials = {a["content"]: a["id"] for a in tok.get("added_tokens", [])}
    ids.update(specials)
    tokens = [f"[PAD{i}]" for i in range(vocab)]
    types = [gguf.TokenType.UNUSED] * vocab
    for t, i in ids.items():
        if i < vocab:
            tokens[i] = t
            types[i] = gguf.TokenType.CONTROL if t in specials else gguf.TokenType.NORMAL
    merges = [" ".join(m) if isinstance(m, list) else m for m in tok["model"]["merges"]]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_eos_token_id(ids[eos])
    w.add_pad_token_id(ids[pad])
    w.add_add_bos_token(False)
    w.add_chat_template(template)


def write_qwen2_gguf(out: Path, seed: int = 0) -> Path:
    """Write a tiny random-weight Qwen2/2.5 (``qwen2``) GGUF: llama-style blocks whose q, k and v projections
    have biases, f32 weights, the tiny BPE tokenizer, and :data:`CHAT_TEMPLATE`, which would open the answer
    with an empty think block if ``enable_thinking`` were passed (Qwen2.5 has no thinking mode)."""
    import json

    import gguf
    import numpy as np

    hidden, ffn, layers, heads, kv_heads, head_dim = 64, 128, 2, 4, 2, 16
    tok = json.loads(train_tiny_tokenizer().to_str())
    vocab = -(-(max(tok["model"]["vocab"].values()) + len(SPECIALS) + 1) // 32) * 32
    rng = np.random.default_rng(seed)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    w = gguf.GGUFWriter(str(out), "qwen2")
    w.add_context_length(512)
    w.add_embedding_length(hidden)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(1_000_000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    _add_tokenizer(w, tok, vocab, "qwen2", "<|im_end|>", "<|endoftext|>", CHAT_TEMPLATE)
    w.add_tensor("token_embd.weight", weight(vocab, hidden))
    for i in range(layers):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(hidden, dtype=np.float32))
        for name, rows in (("attn_q", heads * head_dim), ("attn_k", kv_heads * head_dim),
                           ("attn_v", kv_heads * head_dim)):
            w.add_tensor(f"blk.{i}.{name}.weight", weight(rows, hidden))
            w.add_tensor(f"blk.{i}.{name}.bias", weight(rows))
        w.add_tensor(f"blk.{i}.attn_output.weight", weight(hidden, heads * head_dim))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(hidden, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", weight(ffn, hidden))
        w.add_tensor(f"blk.{i}.ffn_up.weight", weight(ffn, hidden))
        w.add_tensor(f"blk.{i}.ffn_down.weight", weight(hidden, ffn))
    w.add_tensor("output_norm.weight", np.ones(hidden, dtype=np.float32))
    w.add_tensor("output.weight", weight(vocab, hidden))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return out
