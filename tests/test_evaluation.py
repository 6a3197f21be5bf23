import numpy as np

from fer_core.training.evaluation import evaluate_probabilities


def test_scores_on_a_known_confusion():
    labels = np.array([0, 0, 1, 1, 2, 2])
    probabilities = np.eye(7)[[0, 1, 1, 1, 2, 0]] * 0.9 + 0.1 / 7
    report = evaluate_probabilities(labels, probabilities)
    assert report["accuracy"] == 4 / 6
    assert report["confusion_matrix"][0][:3] == [1, 1, 0]
    assert report["per_class"]["angry"]["precision"] == 0.5
    assert report["per_class"]["disgust"]["recall"] == 1.0
    assert report["per_class"]["disgust"]["precision"] == 2 / 3
    # macro F1 averages only classes that appear in the labels
    assert np.isclose(report["macro_f1"], np.mean([0.5, 0.8, 2 / 3]))


def test_top3_counts_a_hit_in_the_second_or_third_place():
    labels = np.array([3])
    probabilities = np.array([[0.5, 0.3, 0.0, 0.2, 0.0, 0.0, 0.0]])
    report = evaluate_probabilities(labels, probabilities)
    assert report["accuracy"] == 0.0 and report["top3_accuracy"] == 1.0
