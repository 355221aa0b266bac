"""Load the support scorer by name: ``learned`` (once per process), ``cosine``, or ``auto`` (learned if
its weights load, else cosine with a notice)."""

from __future__ import annotations

import sys

from ..index.embedders.cached import uncached
from ..runtime import loaded_once
from .base import SupportScorer
from .cosine import CosineSupportScorer

KINDS = ("auto", "learned", "cosine")


def load_support_scorer(kind: str = "auto", embedder=None, share_encoder: bool = False) -> SupportScorer:
    """'auto' = learned if its weights load, else cosine with a notice on stderr; 'learned'; 'cosine'.
    ``share_encoder``: the learned scorer reads its token states from ``embedder`` when that is the
    search's onnx-int8 MiniLM (:func:`.onnx_encoder.shares_encoder`), else from its own encoder."""
    from ..errors import BadInput, ModelUnavailable

    if kind not in KINDS:
        raise BadInput(f"unknown scorer {kind!r}; use one of {', '.join(KINDS)}")
    if kind == "cosine":
        return CosineSupportScorer(embedder)
    try:
        from . import learned
        from .onnx_encoder import OnnxPairEncoder, shares_encoder

        folder = learned.WEIGHTS_DIR
        model = uncached(embedder)  # the session is the model's, not the cache's around it
        shared = model if share_encoder and shares_encoder(model) else None

        def load() -> SupportScorer:
            return learned.load_checker(folder, encoder=OnnxPairEncoder.sharing(shared) if shared else None)

        return loaded_once(("support scorer", str(folder), id(shared.session) if shared else None), load)
    except ModelUnavailable as exc:
        if kind == "learned":
            raise
        print(f"notice: {exc}; using the cosine scorer instead", file=sys.stderr)
        return CosineSupportScorer(embedder)


def independent_scorer(gate: SupportScorer, embedder=None) -> SupportScorer:
    """A scorer other than ``gate``, to check what ``gate`` let through: the cosine scorer for the learned
    one, the learned scorer for the cosine one (``gate`` itself only when the learned weights do not load)."""
    from ..errors import ModelUnavailable

    if gate.name != "cosine":
        return CosineSupportScorer(embedder)
    try:
        return load_support_scorer("learned", embedder)
    except ModelUnavailable:
        return gate

