"""Scores for a model on a split: accuracy, top-3 accuracy, macro F1, per-class precision/recall/F1 and the
confusion matrix. Plain numpy in, plain data out."""

from __future__ import annotations

import numpy as np

from .labels import CLASS_NAMES


def evaluate_probabilities(labels: np.ndarray, probabilities: np.ndarray,
                           class_names: tuple[str, ...] = CLASS_NAMES) -> dict:
    labels = np.asarray(labels)
    n_classes = len(class_names)
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    top3 = np.argsort(-probabilities, axis=1)[:, :3]
    true_positive = np.diag(confusion).astype(float)
    predicted_count = confusion.sum(axis=0).astype(float)
    actual_count = confusion.sum(axis=1).astype(float)
    precision = np.divide(true_positive, predicted_count, out=np.zeros(n_classes), where=predicted_count > 0)
    recall = np.divide(true_positive, actual_count, out=np.zeros(n_classes), where=actual_count > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros(n_classes), where=denominator > 0)
    present = actual_count > 0
    return {
        "n": int(len(labels)),
        "accuracy": float((predicted == labels).mean()) if len(labels) else 0.0,
        "top3_accuracy": float((top3 == labels[:, None]).any(axis=1).mean()) if len(labels) else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                   "support": int(actual_count[i])}
            for i, name in enumerate(class_names)
        },
        "confusion_matrix": confusion.tolist(),
        "class_names": list(class_names),
    }
