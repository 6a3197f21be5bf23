"""Data-quality analysis: exact duplicates within and across splits, near-blank faces, balancing counts."""

import numpy as np
import pytest

from fer_core.data import quality
from fer_core.data.balance import balanced_class_counts, balanced_training_plan
from fer_core.data.dataset import FERDataset
from fer_core.data.fer2013 import NUM_CLASSES


@pytest.fixture
def dataset():
    """Noisy faces, each unique, with class c's band of bright rows at 6c–6c+5; every class in every split."""
    rng = np.random.default_rng(0)
    labels = np.tile(np.arange(NUM_CLASSES), 3 * 6)
    usage = np.repeat(np.array(["Training", "PublicTest", "PrivateTest"], dtype=object), NUM_CLASSES * 6)
    images = rng.integers(0, 120, (len(labels), 48, 48), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 6 * label : 6 * label + 6] = 230
    return FERDataset(images, labels, usage)


def test_clean_synthetic_data_has_no_findings(dataset):
    report = quality.data_quality(dataset)
    assert report.duplicate_groups == [] and report.near_blank == []
    assert report.duplicate_images == 0 and report.across_splits == 0


def test_duplicates_are_found_within_and_across_splits(dataset):
    splits = dataset.splits
    a, b, c = splits.train[:3]
    test_face = splits.test[0]
    dataset.images[b] = dataset.images[a]  # a within-train twin
    dataset.images[test_face] = dataset.images[c]  # a test face that also trains
    dataset.images[splits.train[3]] = dataset.images[c]  # …and a third copy, in training
    report = quality.data_quality(dataset)

    groups = {group.indices: group for group in report.duplicate_groups}
    assert set(groups) == {tuple(sorted((a, b))), tuple(sorted((c, test_face, splits.train[3])))}
    assert len(report.duplicate_groups[0].indices) == 3  # largest group first
    assert report.duplicate_images == 5 and report.redundant_copies == 3
    assert report.within_split == {"train": 2, "validation": 0, "test": 0}
    assert report.across_splits == 1 and report.leaked_into_evaluation == 1


def test_twins_with_different_labels_are_flagged(dataset):
    first = np.flatnonzero(dataset.labels == 0)[0]
    other = np.flatnonzero(dataset.labels == 3)[0]
    dataset.images[other] = dataset.images[first]
    report = quality.data_quality(dataset)
    assert report.conflicting_labels == 1


def test_a_hash_collision_is_never_reported_as_a_duplicate():
    images = np.zeros((3, 48, 48), np.uint8)
    images[0, 0, 0], images[1, 0, 1], images[2] = 1, 1, images[0]
    groups = quality.find_duplicate_groups(images)
    assert [g.tolist() for g in groups] == [[0, 2]]


def test_near_blank_images_are_flat_or_almost_one_value(dataset):
    black, speckled, dim = 0, 5, 9
    dataset.images[black] = 0
    dataset.images[speckled] = 200
    dataset.images[speckled, :4, :] = np.arange(192).reshape(4, 48)  # 8% other values: std is large, still blank
    dataset.images[dim] = 100 + (np.arange(48 * 48) % 3).reshape(48, 48)  # std ≈ 0.8
    report = quality.data_quality(dataset)
    assert set(report.near_blank) == {black, speckled, dim}
    assert report.near_blank[0] == black and report.near_blank_std[0] == 0.0


def test_the_built_in_sample_has_its_known_flaws():
    from fer_core import load_fer2013
    from fer_core.data.sampling import BUILT_IN_SAMPLE

    report = quality.data_quality(load_fer2013(BUILT_IN_SAMPLE))
    assert report.duplicate_images > 0 and len(report.near_blank) >= 1


@pytest.mark.parametrize("method", ["oversample", "class_weight", "none"])
def test_balanced_counts_match_the_training_plan(dataset, method):
    train_labels = dataset.labels[dataset.splits.train]
    indices, weights = balanced_training_plan(train_labels, method)
    expected = np.bincount(train_labels[indices], minlength=NUM_CLASSES).astype(float)
    if weights is not None:
        expected *= np.array([weights[c] for c in range(NUM_CLASSES)])
    np.testing.assert_allclose(balanced_class_counts(train_labels, method), expected)


def test_mean_faces_and_histogram(dataset):
    means = quality.class_mean_faces(dataset.images, dataset.labels)
    assert means.shape == (NUM_CLASSES, 48, 48) and means.dtype == np.uint8
    assert means[2, 12:18].mean() > 200  # class 2's bright band sits at rows 12–17
    histogram = quality.pixel_histogram(dataset.images)
    assert histogram.shape == (256,) and histogram.sum() == dataset.images.size


def test_the_pixel_histogram_counted_in_chunks_equals_one_bincount_of_every_pixel():
    import numpy as np

    from fer_core.data.quality import _CHUNK, pixel_histogram

    images = np.random.default_rng(3).integers(0, 256, (2 * _CHUNK + 17, 48, 48), dtype=np.uint8)
    assert pixel_histogram(images).tolist() == np.bincount(images.ravel(), minlength=256).tolist()
