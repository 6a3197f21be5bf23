"""The training faces' augmentation: the affine warp, and random erasing where asked."""

from __future__ import annotations

import numpy as np
import pytest

from fer_core.errors import FERError
from fer_core.training.augment import ERASED_SHARE, augment_batch, erase_rectangles
from fer_core.training.config import TrainingConfig


def faces(count: int = 64) -> np.ndarray:
    return np.full((count, 48, 48), 128, np.uint8)


def test_without_erasing_the_batch_is_what_it_always_was():
    images = np.random.default_rng(0).integers(0, 256, (16, 48, 48), dtype=np.uint8)
    plain = augment_batch(images, np.random.default_rng(1))
    assert np.array_equal(augment_batch(images, np.random.default_rng(1), erasing=0.0), plain)


def test_erasing_covers_one_rectangle_of_a_bounded_share_of_each_chosen_face():
    erased = faces()
    erase_rectangles(erased, np.random.default_rng(3), probability=1.0)
    for face in erased:
        rows, columns = np.nonzero(face != 128)
        assert rows.size > 0
        height, width = rows.max() - rows.min() + 1, columns.max() - columns.min() + 1
        assert height * width <= ERASED_SHARE[1] * 48 * 48 * 1.2  # one rectangle, never the whole face
        assert (face != 128).sum() <= height * width


def test_erasing_touches_about_the_share_of_faces_asked_for():
    erased = faces(2000)
    erase_rectangles(erased, np.random.default_rng(4), probability=0.25)
    share = np.mean([(face != 128).any() for face in erased])
    assert 0.2 < share < 0.3


def test_a_share_outside_0_to_1_is_refused_with_a_sentence():
    with pytest.raises(FERError, match="Random erasing is a share of faces"):
        TrainingConfig(data="x.csv", random_erasing=1.5).check()


def test_the_card_command_asks_for_the_same_erasing():
    assert "--random-erasing 0.25" in TrainingConfig(data="x.csv", random_erasing=0.25).command_line()
    assert "--random-erasing" not in TrainingConfig(data="x.csv").command_line()
