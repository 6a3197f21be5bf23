"""Scores for a model on a split: accuracy, top-3 accuracy, macro F1, per-class precision/recall/F1 and the
confusion matrix. Plain numpy in, plain data out."""

from __future__ import annotations

import hashlib

import numpy as np

from ..data.fer2013 import CLASS_NAMES


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


# A model within 2 points of always answering the commonest class has learnt nothing worth serving.
CHANCE_MARGIN = 0.02
# Answering one class for this share of the faces means it has collapsed onto that class.
ONE_CLASS_SHARE = 0.9


def chance_level_verdict(evaluation: dict, labels: np.ndarray, epochs: int | None = None,
                         train_faces: int | None = None) -> dict:
    """Whether a model's scores are at or below chance, and if so a sentence saying so, why, and what to try.
    Chance is the better of a uniform guess and always answering the test split's commonest class."""
    labels = np.asarray(labels)
    names = evaluation["class_names"]
    if len(labels) == 0:
        return {"flagged": False, "chance_accuracy": None, "reason": ""}
    counts = np.bincount(labels, minlength=len(names))
    commonest = int(counts.argmax())
    chance = max(counts.max() / len(labels), 1 / len(names))
    predicted = np.asarray(evaluation["confusion_matrix"]).sum(axis=0)
    favourite = int(predicted.argmax())
    favourite_share = predicted.max() / max(predicted.sum(), 1)
    flagged = evaluation["accuracy"] <= chance + CHANCE_MARGIN or favourite_share >= ONE_CLASS_SHARE
    if not flagged:
        return {"flagged": False, "chance_accuracy": float(chance), "reason": ""}
    reason = (f"Not better than guessing: it scores {evaluation['accuracy']:.1%} on the test split, and always "
              f"answering “{names[commonest]}” would score {counts.max() / len(labels):.1%}.")
    if favourite_share >= ONE_CLASS_SHARE:
        reason += f" It answers “{names[favourite]}” for {favourite_share:.0%} of the faces."
    causes = []
    if epochs is not None and epochs < 10:
        causes.append(f"it trained for only {epochs} epoch{'s' if epochs != 1 else ''}")
    if train_faces is not None and train_faces < 5000:
        causes.append(f"on only {train_faces:,} faces")
    if causes and tuple(names) != CLASS_NAMES:
        reason += (f" Probably because {' '.join(causes)}: start from the shipped model (transfer learning, the default "
                   "for your own classes), or add photos.")
    elif causes:
        reason += f" Probably because {' '.join(causes)}: train for more epochs (30 is the default) or on more data (the full FER2013)."
    else:
        reason += " Try the default settings (the learning rate may be too high), or more data."
    return {"flagged": True, "chance_accuracy": float(chance), "reason": reason}


def faces_digest(images: np.ndarray, labels: np.ndarray) -> str:
    """The sha1 of the scored faces and their labels: two scores compare only when this matches, whatever file
    (.csv or .csv.gz, a copy or a sample) the faces came from."""
    digest = hashlib.sha1(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
    digest.update(np.asarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def score_caveats(test_is_validation: bool, photo_split: str = "") -> list[str]:
    """Why a test score may read higher than the model will do on faces it never met, one sentence each."""
    caveats = []
    if test_is_validation:
        caveats.append("Optimistic: your test folder's photos also picked the best epoch (they are the validation "
                       "photos too)." if photo_split else
                       "Optimistic: these test faces also picked the best epoch (they are the validation faces too).")
    if photo_split == "photo":
        caveats.append("Optimistic: the photos were split one by one, so the same person may be in train and test.")
    elif photo_split == "folders sharing people":
        caveats.append("Optimistic: by their file names, some people have photos both in train/ and in test/.")
    return caveats


def same_faces(evaluation: dict, other: dict) -> bool:
    """Whether two evaluations scored the very same faces (so their scores can be set side by side)."""
    return bool(evaluation.get("faces_sha1")) and evaluation.get("faces_sha1") == other.get("faces_sha1")


def scored_on(evaluation: dict) -> str:
    """Which faces a score is on, in words: "345 test faces of fer2013_sample.csv.gz"."""
    n, data = evaluation.get("n"), evaluation.get("data")
    faces = f"{n:,} {evaluation.get('split', 'test')} faces" if isinstance(n, int) else "its test faces"
    return f"{faces} of {data}" if data else faces


def score_on_faces(card: dict, faces_sha1: str | None) -> dict | None:
    """A model card's score on these faces: its own evaluation, or one in `also_scored_on`; None if it has none."""
    if not faces_sha1:
        return None
    scores = [card.get("evaluation") or {}, *card.get("also_scored_on", [])]
    return next((score for score in scores if score.get("faces_sha1") == faces_sha1 and "accuracy" in score), None)
