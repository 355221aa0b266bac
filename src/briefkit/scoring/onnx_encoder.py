"""The learned checker's int8 encoder on ONNX Runtime: torch's dynamic quantisation, without torch.

The checker's head was trained on features of the bundled MiniLM quantised with
``torch.ao.quantization.quantize_dynamic`` (:class:`.encoders.PairEncoder`). Importing torch and
quantising the model costs seconds at every start, more than a summary's evidence stage takes
otherwise. This module writes, once per version of the model files, an ONNX copy of that int8
model: the fp32 export made for search queries (:mod:`briefkit.index.embedders.onnx`) with each
``Linear`` replaced by what torch's ``quantized::linear_dynamic`` (fbgemm) computes:

- the input tensor quantised to unsigned 7 bits (``reduce_range``) with one scale and zero point
  over the whole (padded) batch, chosen as ``ChooseQuantizationParams`` does (in double);
- values quantised as fbgemm does: ``round_half_even(fma(x, 1/scale, zero_point))``, saturated to uint8
  (the fused multiply-add done in double);
- the int8 weights and scales taken from torch's own quantised modules; the product accumulated in
  int32 (``MatMulInteger``, exact);
- the result dequantised as ``fma(float(acc), scale * weight_scale, bias)``.

Each ``Linear`` then gives torch's output bit for bit on the same input (see the tests). The other
operations (layer norm, GELU, softmax) run in fp32 in ONNX Runtime and differ from torch's in the
last bit; where such a difference moves a value across a rounding boundary of a later quantisation,
the results differ by one quantisation step there, and that spreads. Over the seed articles' sentences
in batches of 64, sentence vectors of the two agree at cosine 0.996 on average (0.978 at worst),
against 0.968 between torch's own vectors of the same sentences in batches with other neighbours
(the int8 encoder's scale is the batch's, see :class:`.encoders.CachedPairEncoder`); the verifier's
verdicts on the verification set (eval/verification) are the same.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..runtime import cache_root
from .encoders import CachedPairEncoder, base_model_path

if TYPE_CHECKING:
    from ..index.embedders.onnx import OnnxEmbedder

FORMAT = 2  # bump when the graph this module writes changes
MODEL_NAME = "model.onnx"
_PROBE = ["Qwen models have passed 1 billion downloads on Hugging Face, Alibaba said on its earnings call.",
          "He stepped down.",
          "Lin Junyang, the technical lead of Alibaba's Qwen team, announced on March 3 that he was leaving."]


def _target(path: str) -> Path:
    key = hashlib.sha1(f"{Path(path).resolve()}|pair-int8-dynamic".encode()).hexdigest()[:12]
    return cache_root() / "onnx" / f"{Path(path).name}-pair-int8-{key}"


def _stamp(path: str) -> dict:
    from ..index.embedders.models import model_fingerprint

    return {"fingerprint": model_fingerprint(path), "format": FORMAT}


def exported(path: str | None = None) -> Path | None:
    """The int8 ONNX model of the checker's encoder as the model files are now, or None."""
    path = path or str(base_model_path())
    target = _target(path)
    try:
        source = json.loads((target / "source.json").read_text())
        current = {k: source[k] for k in ("fingerprint", "format")} == _stamp(path)
    except (OSError, ValueError, KeyError):
        return None
    return target / MODEL_NAME if current and (target / MODEL_NAME).exists() else None


def export_pair_encoder(path: str | None = None) -> Path:
    """Write the int8 ONNX copy of the checker's encoder (needs torch, onnx and onnxscript once); returns
    the model file. The fp32 export for search queries is made first if it is missing."""
    from ..index.embedders.onnx import _cache_dir, export_onnx, write_folder

    path = path or str(base_model_path())
    done = exported(path)
    if done is not None:
        return done
    fp32 = export_onnx(path, _cache_dir(path, False), int8=False)
    write_folder(_target(path), lambda tmp: _export_into(tmp, path, fp32))
    return _target(path) / MODEL_NAME


def _export_into(tmp: Path, path: str, fp32: Path) -> None:
    import torch

    from .encoders import PairEncoder

    reference = PairEncoder()  # quantize_dynamic is deterministic: the same int8 weights as every torch run
    build_graph(fp32, tmp / MODEL_NAME, reference.model)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (fp32.parent / name).exists():
            shutil.copy(fp32.parent / name, tmp / name)
    # A guard against a broken rewrite: the same tokens, and sentence vectors close to torch's.
    ours = OnnxPairEncoder.from_file(tmp / MODEL_NAME, threads=1)
    (ts, tm), (xs, xm) = reference.hidden(_PROBE), ours.hidden(_PROBE)
    if ts.shape != xs.shape or not np.array_equal(tm, xm):
        raise RuntimeError("the ONNX copy tokenises differently from torch")
    for i in range(len(_PROBE)):
        a, b = ts[i, :int(tm[i].sum())].mean(0), xs[i, :int(xm[i].sum())].mean(0)
        cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        if cos < 0.9:
            raise RuntimeError(f"the ONNX copy's vectors differ from torch's (cosine {cos:.3f})")
    (tmp / "source.json").write_text(json.dumps({**_stamp(path), "model": path, "torch": torch.__version__}))


def build_graph(fp32: Path, out: Path, qmodel) -> int:
    """Rewrite the fp32 export ``fp32`` into ``out`` with each ``Linear`` (a MatMul by a weight followed by
    the Add of ``inner.<module>.bias``) computed as torch's dynamic int8 ``qmodel`` computes it. Returns
    how many were replaced; raises when the graph or the weights are not what this expects."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(fp32))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    extra = []

    def const(name: str, value, dtype) -> str:
        extra.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    f0, d0, d127 = const("q_f0", 0.0, np.float32), const("q_d0", 0.0, np.float64), const("q_d127", 127.0, np.float64)
    f1, u0 = const("q_f1", 1.0, np.float32), const("q_u0", 0, np.uint8)
    D, F, U8 = TensorProto.DOUBLE, TensorProto.FLOAT, TensorProto.UINT8
    n = helper.make_node
    nodes, dropped, quantised = [], set(), {}
    for node in graph.node:
        if id(node) in dropped:
            continue
        weight = node.input[1] if node.op_type == "MatMul" and len(node.input) == 2 else None
        after = consumers.get(node.output[0], []) if weight in inits else []
        bias = [i for i in (after[0].input if len(after) == 1 and after[0].op_type == "Add" else [])
                if i.startswith("inner.") and i.endswith(".bias")]
        if not bias:
            nodes.append(node)
            continue
        module = bias[0][len("inner."):-len(".bias")]
        linear = qmodel.get_submodule(module)
        wq = linear.weight()
        w_int = wq.int_repr().numpy().T.copy()  # (in, out), as the MatMul takes it
        w_scale = np.float32(wq.q_scale())
        w_fp32 = numpy_helper.to_array(inits[weight])
        if wq.q_zero_point() != 0 or w_int.shape != w_fp32.shape or \
                np.abs(w_fp32 - w_int * w_scale).max() > 0.51 * w_scale + 1e-6:
            raise RuntimeError(f"the weights of {module} do not match the fp32 export")
        x = node.input[0]
        if x not in quantised:  # Q, K and V share their input: quantise it once, as torch would three times
            s = f"q{len(quantised)}"
            nodes += [
                # ChooseQuantizationParams(min(x, 0), max(x, 0), qmin 0, qmax 127) in double
                n("ReduceMin", [x], [f"{s}_min0"], keepdims=0), n("ReduceMax", [x], [f"{s}_max0"], keepdims=0),
                n("Min", [f"{s}_min0", f0], [f"{s}_minf"]), n("Max", [f"{s}_max0", f0], [f"{s}_maxf"]),
                n("Cast", [f"{s}_minf"], [f"{s}_min"], to=D), n("Cast", [f"{s}_maxf"], [f"{s}_max"], to=D),
                n("Sub", [f"{s}_max", f"{s}_min"], [f"{s}_range"]), n("Div", [f"{s}_range", d127], [f"{s}_scale_d"]),
                n("Div", [f"{s}_min", f"{s}_scale_d"], [f"{s}_lo"]),
                n("Div", [f"{s}_max", f"{s}_scale_d"], [f"{s}_hi"]),
                n("Neg", [f"{s}_lo"], [f"{s}_zp_lo"]), n("Sub", [d127, f"{s}_hi"], [f"{s}_zp_hi"]),
                n("Abs", [f"{s}_lo"], [f"{s}_abs_lo"]), n("Abs", [f"{s}_hi"], [f"{s}_abs_hi"]),
                n("Neg", [f"{s}_abs_lo"], [f"{s}_err_lo"]), n("Sub", [d127, f"{s}_abs_hi"], [f"{s}_err_hi"]),
                n("Less", [f"{s}_err_lo", f"{s}_err_hi"], [f"{s}_use_lo"]),
                n("Where", [f"{s}_use_lo", f"{s}_zp_lo", f"{s}_zp_hi"], [f"{s}_zp0"]),
                n("Clip", [f"{s}_zp0", d0, d127], [f"{s}_zp1"]), n("Round", [f"{s}_zp1"], [f"{s}_zp_d"]),
                n("Cast", [f"{s}_zp_d"], [f"{s}_zp"], to=U8),
                n("Cast", [f"{s}_scale_d"], [f"{s}_scale"], to=F), n("Div", [f1, f"{s}_scale"], [f"{s}_inv"]),
                n("Cast", [f"{s}_inv"], [f"{s}_inv_d"], to=D),
                # fbgemm's quantisation: fma(x, 1/scale, zero_point) in float, rounded half to even, saturated
                n("Cast", [x], [f"{s}_x_d"], to=D), n("Mul", [f"{s}_x_d", f"{s}_inv_d"], [f"{s}_xs_d"]),
                n("Add", [f"{s}_xs_d", f"{s}_zp_d"], [f"{s}_t_d"]), n("Cast", [f"{s}_t_d"], [f"{s}_t"], to=F),
                n("QuantizeLinear", [f"{s}_t", f1, u0], [f"{s}_q"]),  # scale 1: only the rounding and clipping
            ]
            quantised[x] = s
        s, p, add = quantised[x], module.replace(".", "_"), after[0]
        nodes += [
            n("MatMulInteger", [f"{s}_q", const(f"{p}_wq", w_int, np.int8), f"{s}_zp"], [f"{p}_acc"]),
            n("Mul", [f"{s}_scale", const(f"{p}_wscale", w_scale, np.float32)], [f"{p}_mult"]),
            n("Cast", [f"{p}_mult"], [f"{p}_mult_d"], to=D),
            # fbgemm goes through float(acc): the same while |acc| < 2**24, far above these sums' size
            n("Cast", [f"{p}_acc"], [f"{p}_acc_d"], to=D),
            n("Mul", [f"{p}_acc_d", f"{p}_mult_d"], [f"{p}_y_d"]),
            n("Add", [f"{p}_y_d", const(f"{p}_bias_d", linear.bias().detach().numpy(), np.float64)], [f"{p}_yb_d"]),
            n("Cast", [f"{p}_yb_d"], [add.output[0]], to=F),
        ]
        dropped.add(id(add))
    expected = sum(type(m).__name__ == "Linear" and "quantized" in type(m).__module__ and not name.startswith("pooler")
                   for name, m in qmodel.named_modules())
    if len(dropped) != expected:
        raise RuntimeError(f"replaced {len(dropped)} of {expected} linear layers in the fp32 export")
    used = {i for node in nodes for i in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + extra)
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return len(dropped)


class OnnxPairEncoder(CachedPairEncoder):
    """The checker's encoder run by ONNX Runtime (imports neither torch nor transformers): its own int8 copy
    (:meth:`from_file`), or the search embedder's session (:meth:`sharing`)."""

    def __init__(self, session, folder: Path, max_length: int = 128, cache_size: int = 50_000) -> None:
        from ..index.embedders.onnx import _tokenizer

        self.session = session
        self.inputs = [i.name for i in session.get_inputs()]
        self._encode = _tokenizer(Path(folder), max_length)
        self.max_length = max_length
        self.cache = {}
        self.cache_size = cache_size

    @classmethod
    def from_file(cls, model_file: Path, threads: int | None = None) -> "OnnxPairEncoder":
        """A session of its own on ``model_file``."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        # One batch a call (the batch is part of the result), so both cores work on it; no spinning
        # between the small operations, which costs other processes' time on a shared machine.
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        return cls(session, Path(model_file).parent)

    @classmethod
    def sharing(cls, embedder: "OnnxEmbedder") -> "OnnxPairEncoder":
        """The search embedder's own session, read for token states: one encoder in the process, run as the
        embedder runs it (a thread a call, small length-sorted batches on every core at once)."""
        encoder = cls(embedder.session, embedder.folder)
        encoder.batch_size, encoder.workers = embedder.preferred_batch, embedder.workers
        return encoder

    def hidden(self, batch: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self._encode.encode_batch(list(batch))
        columns = {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings],
                   "token_type_ids": [e.type_ids for e in encodings]}
        feeds = {name: np.asarray(columns[name], dtype=np.int64) for name in self.inputs}
        return self.session.run(None, feeds)[0], np.asarray(columns["attention_mask"], dtype=np.int64)


def ensure_exported() -> Path | None:
    """The ONNX copy of the checker's int8 encoder, exported first if needed; None without onnxruntime or
    when the export failed (remembered per version of the model files: one warning, then torch)."""
    from ..index.embedders.onnx import onnx_available

    if not onnx_available():
        return None
    path = str(base_model_path())
    model_file = exported(path)
    if model_file is not None:
        return model_file
    failed = _target(path).with_name(_target(path).name + ".failed.json")
    try:
        if json.loads(failed.read_text()) == _stamp(path):
            return None
    except (OSError, ValueError):
        pass
    if not onnx_available(export=True):
        return None
    try:
        return export_pair_encoder(path)
    except Exception as exc:  # noqa: BLE001 - an optimisation; the checker falls back to torch
        failed.parent.mkdir(parents=True, exist_ok=True)
        failed.write_text(json.dumps(_stamp(path)))
        logging.getLogger(__name__).warning("could not export the support checker's encoder to ONNX (%s); it runs"
                                            " on torch", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return None


def onnx_pair_encoder() -> OnnxPairEncoder | None:
    """:class:`OnnxPairEncoder` on the export (made now if needed), or None (see :func:`ensure_exported`)."""
    model_file = ensure_exported()
    if model_file is None:
        return None
    try:
        return OnnxPairEncoder.from_file(model_file)
    except Exception as exc:  # noqa: BLE001 - a broken onnxruntime or file costs speed, not the checker
        logging.getLogger(__name__).warning("cannot load %s (%s); the support checker's encoder runs on torch",
                                            model_file, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return None


def shares_encoder(embedder) -> bool:
    """Whether the checker can read its token states from ``embedder``: the bundled MiniLM in ``onnx-int8``
    (held out, the checker's kappa with it is that of its own encoder: BENCHMARKS.md)."""
    from ..index.embedders.models import MINILM
    from ..index.embedders.onnx import OnnxEmbedder

    return isinstance(embedder, OnnxEmbedder) and embedder.backend == "onnx-int8" and embedder.name == MINILM
