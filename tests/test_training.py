"""A real training run of a tiny model on synthetic faces, through the same function the CLI and the app use."""

import json

import pytest

from conftest import synthetic_faces, write_csv
from fer_core.model_files import read_model_info
from fer_core.runs import list_runs
from fer_core.training_config import TrainingConfig
from fer_core.errors import FERError


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from fer_core import training

    folder = tmp_path_factory.mktemp("training")
    data = write_csv(folder / "faces.csv", *synthetic_faces(n_per_class=40))
    config = TrainingConfig(data=str(data), arch="tiny_cnn", epochs=3, batch_size=16, learning_rate=3e-2,
                            balance="oversample")
    return training.train(config, runs_dir=folder / "runs", verbose=0, command="pytest")


def test_run_folder_holds_config_curves_checkpoints_and_model(finished_run):
    assert finished_run.status == "finished"
    names = {p.name for p in finished_run.path.iterdir()}
    assert {"config.json", "status.json", "metrics.jsonl", "progress.json", "last.keras", "best.keras",
            "model.keras", "model.json", "evaluation.json", "checkpoint.json"} <= names
    epochs = finished_run.epochs()
    assert [row["epoch"] for row in epochs] == [1, 2, 3]
    for row in epochs:
        assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate"} <= set(row)
    assert epochs[-1]["learning_rate"] < epochs[0]["learning_rate"]  # the cosine schedule decays
    assert finished_run.progress()["batch"] == finished_run.progress()["batches"]


def test_a_tiny_model_learns_the_synthetic_classes(finished_run):
    evaluation = finished_run.evaluation()
    assert evaluation["split"] == "test"
    assert evaluation["accuracy"] > 0.5  # chance is 1/7
    assert evaluation["top3_accuracy"] >= evaluation["accuracy"]
    assert len(evaluation["confusion_matrix"]) == 7


def test_the_model_carries_its_preprocessing_contract(finished_run):
    info = read_model_info(finished_run.model_path)
    assert info.class_names[3] == "happy" and info.input_size == 48 and info.input_range == (0.0, 255.0)
    assert info.tta == "flip"
    assert info.card["architecture"] == "tiny_cnn" and info.card["epochs_completed"] == 3
    assert info.card["evaluation"]["accuracy"] == finished_run.evaluation()["accuracy"]
    assert len(info.card["data_sha1"]) == 40


def test_resume_continues_the_curve_without_repeating_epochs(finished_run):
    from fer_core import training

    config = json.loads((finished_run.path / "config.json").read_text())
    config["epochs"] = 4
    (finished_run.path / "config.json").write_text(json.dumps(config))
    training.resume(finished_run.path, verbose=0)
    assert [row["epoch"] for row in finished_run.epochs()] == [1, 2, 3, 4]
    assert finished_run.status == "finished"
    assert list_runs(finished_run.path.parent) == [finished_run]


@pytest.mark.parametrize("field, value", [("epochs", 0), ("arch", "resnet9000"), ("balance", "smote"),
                                          ("learning_rate", -1.0), ("batch_size", 0)])
def test_bad_settings_are_refused_before_anything_runs(field, value):
    with pytest.raises(FERError):
        TrainingConfig(data="x.csv", **{field: value}).check()
