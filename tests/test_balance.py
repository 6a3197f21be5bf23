import numpy as np
from conftest import synthetic_faces, write_csv

from fer_core import load_fer2013
from fer_core.data.balance import balanced_training_plan, class_weights, oversample_train


def test_oversampling_equalises_classes_with_training_faces_only(tmp_path):
    dataset = load_fer2013(write_csv(tmp_path / "f.csv", *synthetic_faces(n_per_class=15)))
    splits = dataset.splits
    plan = oversample_train(dataset.labels[splits.train], seed=0)
    balanced = splits.train[plan]
    counts = np.bincount(dataset.labels[balanced], minlength=7)
    assert len(set(counts)) == 1
    # The notebook's leak: no validation or test face, by index or by pixels, reaches the balanced training set.
    assert not set(balanced) & (set(splits.validation) | set(splits.test))
    held_out = {dataset.images[i].tobytes() for i in np.concatenate([splits.validation, splits.test])}
    assert not any(dataset.images[i].tobytes() in held_out for i in balanced)


def test_oversampling_is_seeded():
    labels = np.array([0] * 10 + [1] * 2 + [2] * 5)
    np.testing.assert_array_equal(oversample_train(labels, 3), oversample_train(labels, 3))


def test_class_weights_favour_rare_classes():
    labels = np.array([0] * 90 + [1] * 10)
    weights = class_weights(labels)
    assert weights[1] > weights[0]
    assert np.isclose(weights[0] * 90 + weights[1] * 10, 100)


def test_none_keeps_the_training_split_as_is():
    labels = np.array([0, 0, 1])
    indices, weights = balanced_training_plan(labels, "none")
    assert list(indices) == [0, 1, 2] and weights is None
