"""Class balancing of the training split only. The notebook oversampled before splitting, which copied test faces
into training; here validation and test faces are never touched."""

from __future__ import annotations

import numpy as np

from ..errors import FERError
from .fer2013 import NUM_CLASSES

# Each method by name, with the label the app and the CLI show for it.
BALANCE_METHODS = {"oversample": "Oversample the minority classes (RandomOverSampler)",
                   "class_weight": "Weight the loss per class",
                   "none": "None: the data as it is"}
# What each does to training, in a sentence a job's status line and the Train page can show.
BALANCE_IN_WORDS = {"oversample": "balanced by oversampling: the rarer classes' training faces are repeated until every "
                                  "class has as many as the largest",
                    "class_weight": "balanced by class weights: each face of a rarer class counts more in the loss, so "
                                    "every class weighs the same in total",
                    "none": "not balanced: every training face once, as in the data, so commoner classes weigh more"}


def oversample_train(train_labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Indices into the training split, with minority classes repeated until every class is as large as the
    largest (imbalanced-learn's RandomOverSampler, as the notebook used it). Index arrays keep images uint8 and unique in memory."""
    from imblearn.over_sampling import RandomOverSampler

    positions = np.arange(len(train_labels)).reshape(-1, 1)
    sampler = RandomOverSampler(random_state=seed)
    resampled, _ = sampler.fit_resample(positions, train_labels)
    return resampled.ravel()


def class_weights(train_labels: np.ndarray, num_classes: int = NUM_CLASSES) -> dict[int, float]:
    """Keras class weights, one per class 0..num_classes-1, inversely proportional to class frequency, averaging 1
    over the samples."""
    counts = np.bincount(train_labels, minlength=num_classes).astype(float)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = len(train_labels) / (present.sum() * counts[present])
    return {label: float(w) for label, w in enumerate(weights)}


def balanced_training_plan(train_labels: np.ndarray, method: str, seed: int = 0, num_classes: int = NUM_CLASSES):
    """(indices to train on, class weights or None) for a balancing method."""
    if method == "oversample":
        return oversample_train(train_labels, seed), None
    if method == "class_weight":
        return np.arange(len(train_labels)), class_weights(train_labels, num_classes)
    if method == "none":
        return np.arange(len(train_labels)), None
    raise FERError(f"Unknown balancing {method!r}: choose one of {', '.join(BALANCE_METHODS)}.")


def balanced_class_counts(train_labels: np.ndarray, method: str, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Faces per class that training sees after balancing: for "oversample", copies (every class grows to the
    largest, as RandomOverSampler's default does); for "class_weight", the weighted count. Computed from the
    counts alone, so the app server never loads imbalanced-learn; tests check it matches balanced_training_plan."""
    counts = np.bincount(train_labels, minlength=num_classes).astype(float)
    if method == "oversample":
        return np.where(counts > 0, counts.max(), 0.0)
    if method == "class_weight":
        weights = class_weights(train_labels, num_classes)
        return counts * np.array([weights[c] for c in range(num_classes)])
    if method == "none":
        return counts
    raise FERError(f"Unknown balancing {method!r}: choose one of {', '.join(BALANCE_METHODS)}.")
