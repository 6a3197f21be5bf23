"""A face's ranking, one shape everywhere: best first, each a `Ranked(label, probability)` in Python, which is
`{"label": ..., "probability": ...}` in JSON and CSV, like a Hugging Face pipeline's `[{label, score}]`. The photo
predictor, the video timeline, the CLI and the pages all build it here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class Ranked(NamedTuple):
    label: str
    probability: float

    def to_dict(self) -> dict:
        return {"label": self.label, "probability": self.probability}


def rank(probabilities: np.ndarray, class_names: Sequence[str], top_k: int, digits: int | None = None) -> list[Ranked]:
    """The top_k classes of one row of probabilities, best first (ties keep the class order)."""
    order = np.argsort(-probabilities, kind="stable")[:top_k]
    values = (float(probabilities[i]) for i in order)
    return [Ranked(class_names[i], round(p, digits) if digits is not None else p) for i, p in zip(order, values)]


def ranking_to_dicts(ranking: Sequence[Ranked]) -> list[dict]:
    return [Ranked(*item).to_dict() for item in ranking]
