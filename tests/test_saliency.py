"""Occlusion saliency: where hiding the face lowers the class, and how it is drawn."""

from __future__ import annotations

import numpy as np
import pytest

from fer_core.errors import FERError
from fer_core.prediction.face_classifier import FaceClassifier
from fer_core.prediction.saliency import overlay, saliency_map


class TopLeftClassifier:
    """A stand-in whose class 0 is the brightness of the face's top-left 16×16 corner, and nothing else."""

    class_names = ("corner", "rest")

    def predict_proba(self, crops):
        corner = np.asarray(crops, np.float32)[:, :16, :16].mean(axis=(1, 2)) / 255
        return np.stack([corner, 1 - corner], axis=1)


@pytest.fixture
def corner_face() -> np.ndarray:
    face = np.zeros((48, 48), np.uint8)
    face[:16, :16] = 255
    return face


def test_saliency_lies_where_the_prediction_looks(corner_face):
    heat = saliency_map(TopLeftClassifier(), corner_face, 0)
    assert heat.shape == (48, 48) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() == pytest.approx(1)
    assert heat[:16, :16].mean() > 0.3
    assert (heat[24:, :] == 0).all() and (heat[:, 24:] == 0).all()  # hiding these never touches the corner


def test_a_class_that_only_gains_has_no_saliency(corner_face):
    assert (saliency_map(TopLeftClassifier(), corner_face, 1) == 0).all()


def test_saliency_with_a_real_model(tiny_model):
    classifier = FaceClassifier(tiny_model)
    face = np.random.default_rng(1).integers(0, 256, (48, 48), dtype=np.uint8)
    top = int(classifier.predict_proba(face).argmax())
    heat = saliency_map(classifier, face, top)
    assert heat.shape == (48, 48) and np.isfinite(heat).all()
    assert 0 <= heat.min() and heat.max() <= 1


def test_unknown_class_is_refused(corner_face):
    with pytest.raises(FERError, match="no class 2"):
        saliency_map(TopLeftClassifier(), corner_face, 2)


def test_overlay_keeps_the_face_where_nothing_matters(corner_face):
    heat = np.zeros((48, 48), np.float32)
    heat[:8, :8] = 1
    picture = overlay(corner_face, heat)
    assert picture.shape == (48, 48, 3) and picture.dtype == np.uint8
    assert np.array_equal(picture[20:, 20:], np.repeat(corner_face[20:, 20:, None], 3, axis=2))
    assert not np.array_equal(picture[:8, :8], np.repeat(corner_face[:8, :8, None], 3, axis=2))
