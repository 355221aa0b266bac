"""An ONNX Runtime embedder for sentence-transformers models with mean pooling (e.g. MiniLM).

The model is exported once with torch's dynamo ONNX exporter and, for ``onnx-int8``,
quantised to int8 weights per channel; both files are cached under
``$BRIEFKIT_CACHE/onnx/``. On CPU the int8 model embeds about twice as fast as
sentence-transformers with PyTorch, with vectors at cosine ~0.99 of the originals (see
BENCHMARKS.md). It supports BERT-style encoders with mean pooling only; others should use
the default ``torch`` backend. Needs ``pip install 'briefkit[fast]'``.

An index built with the ``torch`` backend also gets the fp32 export (:func:`export_for_queries`,
at ingest): searches embed their query with it, so a search imports neither torch nor transformers.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ...errors import ModelUnavailable
from ...runtime import cache_root, quiet_transformers
from .base import Embedder
from .models import mean_pooling_folder, model_fingerprint, resolve_embedder

if TYPE_CHECKING:
    from tokenizers import Tokenizer


def _cache_dir(path: str, int8: bool) -> Path:
    where = str(Path(path).resolve()) if Path(path).exists() else path  # a folder, or a Hub id as given
    key = hashlib.sha1(f"{where}|{int8}".encode()).hexdigest()[:12]
    return cache_root() / "onnx" / f"{Path(path).name}-{key}"


def _current(target: Path, path: str, final: Path) -> bool:
    """Whether ``final`` exists and was exported from the model as it is now."""
    try:
        saved = json.loads((target / "source.json").read_text())["fingerprint"]
        return final.exists() and saved == model_fingerprint(path)
    except (OSError, ValueError, KeyError):
        return False


def export_onnx(path: str, target: Path, int8: bool) -> Path:
    """Export (and optionally quantise) the encoder at ``path`` into ``target``, unless an export of the
    model as it is now is already there; returns the model file."""
    final = target / ("model.int8.onnx" if int8 else "model.onnx")
    if _current(target, path, final):
        return final
    write_folder(target, lambda tmp: _export_into(tmp, path, int8))
    return final


def write_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """``fill`` a temporary sibling of ``target``, then put it in ``target``'s place (a reader never sees half
    an export; a failed one leaves nothing behind)."""
    tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        fill(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def _export_into(tmp: Path, path: str, int8: bool) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()

    class Encoder(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = tokenizer(["an example sentence", "a second, longer example sentence"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    exporter_log = logging.getLogger("torch.onnx")  # says "torchvision is not installed" once per op
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    with warnings.catch_warnings():  # the exporter warns about shared axis names and deprecated internals
        warnings.simplefilter("ignore")
        torch.onnx.export(Encoder(model).eval(), tuple(sample[n] for n in names), str(tmp / "model.onnx"),
                          input_names=names, output_names=["last_hidden_state"], dynamo=True, external_data=False,
                          verbose=False, dynamic_shapes={n: {0: batch, 1: seq} for n in names})
    exporter_log.setLevel(level)
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # it logs advice through the root logger, which also gives the root logger a handler for good:
        # silence the advice and take the handler away, so no library's debug lines reach the terminal after
        root_handlers = list(logging.root.handlers)
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(str(tmp / "model.onnx"), str(tmp / "model.int8.onnx"), weight_type=QuantType.QInt8,
                             per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
            logging.root.handlers[:] = root_handlers
    tokenizer.save_pretrained(tmp)
    source = {"model": path, "int8": int8, "fingerprint": model_fingerprint(path)}
    (tmp / "source.json").write_text(json.dumps(source))


def _tokenizer(folder: Path, max_tokens: int) -> "Tokenizer":
    """The folder's fast tokenizer through the ``tokenizers`` library (no transformers import), set to
    truncate at ``max_tokens`` and pad to the longest text of a batch."""
    from tokenizers import Tokenizer

    encode = Tokenizer.from_file(str(folder / "tokenizer.json"))
    config = (json.loads((folder / "tokenizer_config.json").read_text())
              if (folder / "tokenizer_config.json").exists() else {})
    pad = config.get("pad_token") or "[PAD]"
    pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
    encode.enable_truncation(max_length=max_tokens)
    encode.enable_padding(pad_id=encode.token_to_id(pad) or 0, pad_token=pad)
    return encode


def exported(name: str, int8: bool = False) -> Path | None:
    """The cached ONNX export of embedding model ``name`` as the model is now, or None."""
    _, path = resolve_embedder(name)
    target = _cache_dir(path, int8)
    final = target / ("model.int8.onnx" if int8 else "model.onnx")
    return final if _current(target, path, final) else None


def serves_queries(name: str) -> bool:
    """Whether searches may embed queries for a ``torch`` index of ``name`` with its fp32 export: a
    mean-pooling model (the torch backend runs those the same way) whose export is current."""
    _, path = resolve_embedder(name)
    return mean_pooling_folder(path) is not None and onnx_available() and exported(name) is not None


def export_for_queries(name: str) -> None:
    """Make the fp32 export that lets searches embed queries without torch; skipped for models that are
    not mean-pooling and without onnxruntime/onnx/onnxscript. A failed export costs only that speed: one
    warning, remembered (next to the export) so later ingests do not try again for the same model files."""
    _, path = resolve_embedder(name)
    if mean_pooling_folder(path) is None or exported(name) is not None or not onnx_available(export=True):
        return
    target = _cache_dir(path, False)
    failed = target.with_name(target.name + ".failed.json")
    try:
        if json.loads(failed.read_text()) == model_fingerprint(path):
            return
    except (OSError, ValueError):
        pass
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the exporter may print its steps
            export_onnx(path, target, int8=False)
    except Exception as exc:  # noqa: BLE001 - an optimisation; searches fall back to torch
        failed.parent.mkdir(parents=True, exist_ok=True)
        failed.write_text(json.dumps(model_fingerprint(path)))
        logging.getLogger(__name__).warning("could not export %s to ONNX (%s); searches embed queries with torch",
                                            name, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def onnx_available(export: bool = False) -> bool:
    """Whether ONNX Runtime (and, with ``export``, the exporter's onnx and onnxscript) is installed."""
    modules = ("onnxruntime", "onnx", "onnxscript") if export else ("onnxruntime",)
    return all(importlib.util.find_spec(m) is not None for m in modules)


class OnnxEmbedder(Embedder):
    """Runs an exported encoder with ONNX Runtime; tokenises with ``tokenizers``, so neither torch nor
    transformers is imported once the export exists (a search starts in about a second)."""

    preferred_batch = 8  # small length-sorted batches waste less on padding (measured: 15% faster than 64)

    def __init__(self, name: str, int8: bool = True, threads: int | None = None) -> None:
        self.name, path = resolve_embedder(name)
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelUnavailable("the onnx embedder needs onnxruntime: pip install 'briefkit[fast]'") from None
        try:
            model_file = export_onnx(path, _cache_dir(path, int8), int8)
        except ImportError:
            raise ModelUnavailable("exporting to ONNX needs onnx and onnxscript:"
                                   " pip install 'briefkit[fast]'") from None
        # One thread a session call and one call a core: on 2 cores this beats one call on 2 threads by ~20%.
        self.workers = threads or os.cpu_count() or 1
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.max_tokens = mean_pooling_folder(path) or 256
        self.folder = model_file.parent  # the export: model and tokenizer files
        self._encode = _tokenizer(self.folder, self.max_tokens)
        self._count: "Tokenizer | None" = None  # made on first count: a search never counts
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.backend = "onnx-int8" if int8 else "onnx"
        # int8 quantises a batch's activations on one scale: a vector moves with its batch (cosine 0.977-1 measured).
        self.batch_invariant = not int8

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._encode.encode_batch(list(texts))
        columns = {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings],
                   "token_type_ids": [e.type_ids for e in encodings]}
        feeds = {i.name: np.asarray(columns[i.name], dtype=np.int64) for i in self.session.get_inputs()}
        hidden = self.session.run(None, feeds)[0]
        mask = np.asarray(columns["attention_mask"], dtype=np.float32)[..., None]
        return (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)

    def count_tokens(self, texts: list[str]) -> list[int]:
        if self._count is None:  # a copy that neither truncates nor pads
            from tokenizers import Tokenizer

            self._count = Tokenizer.from_str(self._encode.to_str())
            self._count.no_truncation()
            self._count.no_padding()
        return [len(e.ids) for e in self._count.encode_batch(texts, add_special_tokens=False)]
