"""A real training run of a tiny model on synthetic faces, through the same function the CLI and the app use."""

import dataclasses
import json

import pytest
from conftest import synthetic_faces, write_csv

from fer_core.errors import FERError
from fer_core.prediction.model_contract import read_model_info
from fer_core.training.config import TrainingConfig
from fer_core.training.runs import list_runs


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from fer_core.training import recipe

    folder = tmp_path_factory.mktemp("training")
    data = write_csv(folder / "faces.csv", *synthetic_faces(n_per_class=40))
    config = TrainingConfig(data=str(data), arch="tiny_cnn", epochs=3, batch_size=16, learning_rate=3e-2,
                            balance="oversample", precision="float32")
    return recipe.train(config, runs_dir=folder / "runs", verbose=0, command="pytest")


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
    assert info.tta == "flip_zoom"  # trained with augmentation: served with the mirrored, zoomed views
    assert info.card["architecture"] == "tiny_cnn" and info.card["epochs_completed"] == 3
    assert info.card["evaluation"]["accuracy"] == finished_run.evaluation()["accuracy"]
    assert len(info.card["data_sha1"]) == 40


def test_resume_continues_the_curve_without_repeating_epochs(finished_run):
    from fer_core.training import recipe

    config = json.loads((finished_run.path / "config.json").read_text())
    config["epochs"] = 4
    (finished_run.path / "config.json").write_text(json.dumps(config))
    recipe.resume(finished_run.path, verbose=0)
    assert [row["epoch"] for row in finished_run.epochs()] == [1, 2, 3, 4]
    assert finished_run.status == "finished"
    assert list_runs(finished_run.path.parent) == [finished_run]


@pytest.mark.parametrize("field, value", [("epochs", 0), ("arch", "resnet9000"), ("balance", "smote"),
                                          ("learning_rate", -1.0), ("batch_size", 0), ("precision", "float8"),
                                          ("init_from", "no/such/model.keras")])
def test_bad_settings_are_refused_before_anything_runs(field, value):
    with pytest.raises(FERError):
        TrainingConfig(data="x.csv", **{field: value}).check()


def test_a_bfloat16_run_started_from_a_model_serves_float32_and_says_where_it_started(finished_run, tmp_path):
    import keras

    from fer_core.training import recipe

    start = finished_run.model_path
    config = TrainingConfig(data=finished_run.config["data"], arch="tiny_cnn", epochs=1, batch_size=16,
                            learning_rate=1e-3, balance="oversample", precision="mixed_bfloat16", init_from=str(start))
    run = recipe.train(config, runs_dir=tmp_path / "runs", verbose=0, command="pytest")
    assert run.status == "finished"
    assert keras.config.dtype_policy().name == "float32"  # the process is left as it was found
    served = keras.saving.load_model(run.model_path)
    assert {layer.dtype_policy.name for layer in served.layers} == {"float32"}
    card, start_card = read_model_info(run.model_path).card, read_model_info(start).card
    assert card["config"]["precision"] == "mixed_bfloat16"
    assert card["initialised_from"] == str(start)
    # The card counts both trainings the weights have had, stage by stage.
    assert [stage["epochs"] for stage in card["stages"]] == [start_card["epochs_completed"], 1]
    assert [stage["precision"] for stage in card["stages"]] == ["float32", "mixed_bfloat16"]
    assert card["epochs_completed"] == start_card["epochs_completed"] + 1
    assert card["train_seconds"] == pytest.approx(start_card["train_seconds"] + run.epochs()[0]["seconds"])
    # The weights really came from the start model: after one gentle epoch it is well ahead of the same run from scratch.
    fresh = recipe.train(dataclasses.replace(config, init_from=None), runs_dir=tmp_path / "fresh", verbose=0)
    assert run.epochs()[0]["val_accuracy"] > fresh.epochs()[0]["val_accuracy"] + 0.1


def test_the_card_counts_the_start_model_as_it_was_when_the_run_began(finished_run, tmp_path, monkeypatch):
    import shutil

    from fer_core.prediction.model_contract import info_path
    from fer_core.training import publishing, recipe

    start = tmp_path / "start" / "model.keras"
    start.parent.mkdir()
    shutil.copyfile(finished_run.model_path, start)
    shutil.copyfile(info_path(finished_run.model_path), info_path(start))
    epochs_then = read_model_info(start).card["epochs_completed"]
    as_float32 = publishing.as_float32

    def ship_over_the_start_model_then(model, arch):  # runs after fit, before the card is written
        replaced = json.loads(info_path(start).read_text())
        replaced["card"]["epochs_completed"] = epochs_then + 100
        info_path(start).write_text(json.dumps(replaced))
        return as_float32(model, arch)

    monkeypatch.setattr(publishing, "as_float32", ship_over_the_start_model_then)
    config = TrainingConfig(data=finished_run.config["data"], arch="tiny_cnn", epochs=1, batch_size=16,
                            init_from=str(start))
    run = recipe.train(config, runs_dir=tmp_path / "runs", verbose=0)
    card = read_model_info(run.model_path).card
    assert [stage["epochs"] for stage in card["stages"]] == [epochs_then, 1]
    assert card["epochs_completed"] == epochs_then + 1


def test_a_run_cannot_start_from_another_architecture(finished_run, tmp_path):
    from fer_core.training import recipe

    config = TrainingConfig(data=finished_run.config["data"], arch="seed_cnn", epochs=1,
                            init_from=str(finished_run.model_path))
    with pytest.raises(FERError, match="tiny_cnn model; it cannot start a seed_cnn run"):
        recipe.train(config, runs_dir=tmp_path / "runs", verbose=0)
