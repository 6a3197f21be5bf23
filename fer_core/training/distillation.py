"""Knowledge distillation, the cheap way: a trained model (the teacher, by default the shipped fer_studio) gives its
probabilities for every training face once, through its LiteRT export, and training learns from labels softened
towards them instead of from one-hot labels alone. The teacher's view of a face ("this angry face looks a little
sad") is information one-hot labels lack, which lets a small network learn in 30 epochs what it could not alone.

The targets stay plain (N, classes) arrays fed to the same categorical cross-entropy, so the recipe is still the
notebook's: one-hot labels, now blended with the teacher's."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import FERError

# Half the target is the label, half the teacher: the label keeps the teacher's mistakes from being learnt as truth.
TEACHER_WEIGHT = 0.5
# Softened at temperature 2 (p^(1/2), renormalised): a confident teacher's second and third guesses still count.
TEMPERATURE = 2.0
# The face and its mirror: the student trains on flipped faces too, and the two views steady the teacher.
TEACHER_VIEWS = "flip"
# A teacher whose top answer matches fewer of the training labels than this does not know this data (another
# label set, synthetic faces): the job then trains on the labels alone, and says so.
MIN_TEACHER_AGREEMENT = 0.5


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(num_classes, dtype=np.float32)[labels]


def teacher_knows(teacher: str | Path, class_names: tuple[str, ...]) -> bool:
    """Whether the teacher answers in these very classes (a teacher of FER2013's seven cannot teach your own)."""
    from ..prediction.model_contract import read_model_info

    return tuple(read_model_info(teacher).class_names) == tuple(class_names)


def teacher_probabilities(teacher: str | Path, images: np.ndarray, class_names: tuple[str, ...]) -> np.ndarray:
    """The teacher's probabilities (N, classes) for uint8 faces (N, 48, 48), from its LiteRT export."""
    from ..prediction.face_classifier import FaceClassifier

    classifier = FaceClassifier(teacher)
    if tuple(classifier.class_names) != tuple(class_names):
        raise FERError(f"The teacher model {Path(teacher).name} knows the classes {', '.join(classifier.class_names)}, "
                       f"not this data's ({', '.join(class_names)}); train without a teacher (--no-distill).")
    return classifier.predict_proba(images, tta=TEACHER_VIEWS)


def soften(probabilities: np.ndarray, temperature: float = TEMPERATURE) -> np.ndarray:
    """Probabilities at a higher temperature: p^(1/T), renormalised (the same as dividing the logits by T)."""
    tempered = np.power(np.clip(probabilities, 1e-7, 1.0), 1.0 / temperature)
    return (tempered / tempered.sum(axis=1, keepdims=True)).astype(np.float32)


def teacher_agreement(labels: np.ndarray, teacher_probs: np.ndarray) -> float:
    """The share of faces whose label is the teacher's top answer."""
    return float((teacher_probs.argmax(axis=1) == labels).mean()) if len(labels) else 0.0


def distilled_targets(labels: np.ndarray, teacher_probs: np.ndarray, weight: float = TEACHER_WEIGHT,
                      temperature: float = TEMPERATURE) -> np.ndarray:
    """Training targets: (1 - weight) × one-hot label + weight × the teacher's softened probabilities, for the faces
    whose label is the teacher's top answer; where the teacher disagrees with the label, the label alone.
    The true class always keeps the largest share, so accuracy against these targets is accuracy against the labels."""
    labels_one_hot = one_hot(labels, teacher_probs.shape[1])
    agrees = (teacher_probs.argmax(axis=1) == labels)[:, None]
    blended = (1.0 - weight) * labels_one_hot + weight * soften(teacher_probs, temperature)
    return np.where(agrees, blended, labels_one_hot).astype(np.float32)
