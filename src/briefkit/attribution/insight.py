"""Learned content selection: the probability that a candidate group's lead sentence states an insight.

A logistic regression over features briefkit already computes for a group (see :data:`FEATURES`):
its lead's dense and lexical relevance and informativeness, where the lead sits in its document,
how many documents state it, the lead's own cosine to the query, its novelty against the groups
already chosen, the lead's form (length, a figure, a hedge or forecast, reported speech), and how closely
another document of the corpus states it (:func:`briefkit.attribution.plan.corroborate`).
The weights are package data (``weights/selector.json``, trained by ``eval/train_selector.py``,
described in ``eval/SELECTOR.md``). This module scores; choosing groups is
:func:`briefkit.attribution.plan.plan`'s job. It does not train. (The judged selector is not a model of
its own: it adds the generation model's judgement to the hand-weighted score, :attr:`.plan.Group.judged`.)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import BadInput

WEIGHTS = Path(__file__).with_name("weights") / "selector.json"
FEATURES = ("relevance", "lexical", "informativeness", "position", "support", "query_cosine", "novelty",
            "words", "figure", "hedge", "speech", "corroboration")
NOVELTY = FEATURES.index("novelty")
POSITION_CHARS = 5000.0  # a lead this far into its document or further has position 1 (SummHay: ~800 words)
WORDS_SCALE = 50.0
_WORD = re.compile(r"[A-Za-z0-9][\w'’.,-]*")
_DIGIT = re.compile(r"\d")
_HEDGE = re.compile(r"\b(?:may|might|could|would|should|will|expected?|expects|likely|potential(?:ly)?|possibly|"
                    r"anticipated?|forecasts?|predicts?|projected)\b", re.IGNORECASE)
_SPEECH = re.compile(r"[\"“”]|\b(?:said|says|according to|told|stated|noted)\b", re.IGNORECASE)


def form(text: str) -> tuple[float, float, float, float]:
    """The sentence's form: (words / 50 capped at 1, has a figure, has a hedge or forecast, reports speech)."""
    return (min(1.0, len(_WORD.findall(text)) / WORDS_SCALE), float(bool(_DIGIT.search(text))),
            float(bool(_HEDGE.search(text))), float(bool(_SPEECH.search(text))))


def features(groups: list, novelty: list[float] | None = None) -> np.ndarray:
    """(groups, :data:`FEATURES`) for groups of :mod:`.plan`; ``novelty`` defaults to 1 (nothing chosen yet)."""
    rows = []
    for i, g in enumerate(groups):
        lead = g.lead
        rows.append([lead.relevance, lead.lexical, lead.informativeness,
                     min(1.0, lead.evidence.start / POSITION_CHARS), math.log2(len(g.members)), lead.query_cosine,
                     1.0 if novelty is None else novelty[i], *form(lead.evidence.text), g.corroboration])
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


@dataclass(frozen=True)
class Selector:
    """A fitted model: standardised features, logistic coefficients, and the planner's two settings."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    stop_below: float  # the planner stops when no group left reaches this share of the first one's probability
    redundancy: float  # taken off a group's probability per unit of cosine to the closest chosen lead

    @property
    def names(self) -> list[str]:
        return list(FEATURES)

    def features(self, groups: list, novelty: list[float] | None = None) -> np.ndarray:
        """The rows this selector reads for ``groups`` (:func:`features`)."""
        return features(groups, novelty)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(states an insight) for each row of ``x`` (columns in :attr:`names` order)."""
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {"features": self.names, "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept, "stop_below": self.stop_below,
                "redundancy": self.redundancy}


def from_json(data: dict) -> Selector:
    """A selector from its JSON form; features must be :data:`FEATURES` in order."""
    names = data.get("features")
    if names != list(FEATURES):
        raise ValueError(f"features {names} are not {list(FEATURES)}")
    arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
    if any(a.shape != (len(names),) for a in arrays) or not np.all(arrays[1] > 0):
        raise ValueError("mean, scale and coef need one value a feature, scales above 0")
    return Selector(*arrays, float(data["intercept"]), float(data["stop_below"]), float(data["redundancy"]))


@lru_cache(maxsize=8)
def load_selector(path: str | None = None) -> Selector:
    """The shipped selector, or the one in the JSON file ``path``; a bad file is a one-line :class:`BadInput`."""
    where = Path(path) if path else WEIGHTS
    try:
        return from_json(json.loads(where.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise BadInput(f"selector weights not found: {where}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"{where} is not a selector weights file ({exc})") from None
