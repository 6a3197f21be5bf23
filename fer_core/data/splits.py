"""Which faces train, which validate, which test. FER2013's Usage decides when present: Training → train,
PublicTest → validation, PrivateTest → test. Without PrivateTest, test falls back to validation (and says so);
without any Usage, a stratified split with a fixed seed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .fer2013 import USAGE_TO_SPLIT

STRATIFIED_FRACTIONS = {"validation": 0.1, "test": 0.1}
# A class this large keeps at least one validation and one test face, so a small class is still scored.
HELD_OUT_FROM_CLASS_SIZE = 5


@dataclass(frozen=True)
class SplitIndices:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    notes: tuple[str, ...] = field(default=())

    def __getitem__(self, split: str) -> np.ndarray:
        return {"train": self.train, "validation": self.validation, "test": self.test}[split]


def split_indices(labels: np.ndarray, usage: np.ndarray, seed: int = 0) -> SplitIndices:
    usage = np.asarray(usage, dtype=object)
    by_split = {split: np.flatnonzero(usage == value) for value, split in USAGE_TO_SPLIT.items()}
    known = sum(len(v) for v in by_split.values())
    unknown = _unknown_values(usage)
    if known == 0:
        return _stratified(labels, seed, unknown)
    notes = []
    if known < len(labels):
        found = f" ({unknown})" if unknown else ""
        notes.append(f"{len(labels) - known} rows with an unknown Usage{found} were left out of every split.")
    if len(by_split["train"]) == 0:
        notes.append("The file has no Training rows, so there is nothing to train on.")
    if len(by_split["test"]) == 0 and len(by_split["validation"]):
        by_split["test"] = by_split["validation"]
        notes.append("No PrivateTest rows: the test split is the validation split (PublicTest).")
    elif len(by_split["validation"]) == 0 and len(by_split["test"]):
        by_split["validation"] = by_split["test"]
        notes.append("No PublicTest rows: the validation split is the test split (PrivateTest).")
    elif len(by_split["validation"]) == 0:
        notes.append("The file has no PublicTest or PrivateTest rows, so nothing is held out to validate or test on.")
    return SplitIndices(by_split["train"], by_split["validation"], by_split["test"], tuple(notes))


def _unknown_values(usage: np.ndarray, shown: int = 5) -> str:
    """The Usage values that are none of FER2013's three, quoted, for a note: at most `shown`, each cut short."""
    values = sorted({str(v) for v in usage if v and v not in USAGE_TO_SPLIT})
    quoted = ", ".join(repr(v if len(v) <= 40 else v[:40] + "…") for v in values[:shown])
    return quoted + (f" and {len(values) - shown} more" if len(values) > shown else "")


def stratified_split(labels: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Sorted indices per split (train, validation, test): STRATIFIED_FRACTIONS of every class held out, the same
    faces for the same labels and seed."""
    rng = np.random.default_rng(seed)
    parts = {"train": [], "validation": [], "test": []}
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        least = 1 if len(members) >= HELD_OUT_FROM_CLASS_SIZE else 0
        n_val = max(int(round(len(members) * STRATIFIED_FRACTIONS["validation"])), least)
        n_test = max(int(round(len(members) * STRATIFIED_FRACTIONS["test"])), least)
        parts["validation"].append(members[:n_val])
        parts["test"].append(members[n_val : n_val + n_test])
        parts["train"].append(members[n_val + n_test :])
    return {k: np.sort(np.concatenate(v)) if v else np.zeros(0, np.int64) for k, v in parts.items()}


def _stratified(labels: np.ndarray, seed: int, unknown: str = "") -> SplitIndices:
    joined = stratified_split(labels, seed)
    why = (f"The Usage column holds none of {', '.join(USAGE_TO_SPLIT)} (it holds {unknown})" if unknown
           else "The file has no Usage column")
    note = (f"{why}: a stratified split with seed {seed} made "
            f"{len(joined['train'])} train, {len(joined['validation'])} validation and {len(joined['test'])} test faces.")
    return SplitIndices(joined["train"], joined["validation"], joined["test"], (note,))
