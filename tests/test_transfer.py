"""Transfer learning: a new head on the shipped model's features, the default for classes that are not FER2013's."""

import numpy as np
import pytest

from fer_core.data.fer2013 import CLASS_NAMES
from fer_core.errors import FERError
from fer_core.training.config import SHIPPED_MODEL, TrainingConfig
from fer_core.training.transfer import resolve_transfer

OWN = ("eyes_closed", "smile", "tongue_out")


def test_auto_transfers_for_own_classes_and_trains_fer2013_from_scratch():
    assert resolve_transfer("auto", OWN) == "head"
    assert resolve_transfer("auto", CLASS_NAMES) == "off"
    assert resolve_transfer("head_and_last_block", CLASS_NAMES) == "head_and_last_block"
    assert TrainingConfig.defaults().transfer == "auto"


def test_runs_recorded_before_transfer_existed_resume_from_scratch():
    old = TrainingConfig.from_dict({"data": "x.csv", "arch": "tiny_cnn", "distill_from": None})
    assert old.transfer == "off"


def test_a_missing_base_model_or_an_unknown_choice_is_a_sentence(tmp_path):
    with pytest.raises(FERError, match="does not exist; train from scratch"):
        TrainingConfig(data="x", transfer="head", transfer_base=str(tmp_path / "none.keras")).check()
    with pytest.raises(FERError, match="Unknown transfer choice"):
        TrainingConfig(data="x", transfer="everything").check()


def test_from_scratch_round_trips_through_the_command_line():
    from fer_core.cli import build_parser

    config = TrainingConfig(data="faces", transfer="off")
    assert "--from-scratch" in config.command_line()
    args = build_parser().parse_args(config.command_line().split()[3:])
    assert args.from_scratch and args.transfer == "auto"


def test_only_the_new_head_trains_unless_the_last_block_is_asked_for():
    from keras import layers

    from fer_core.training.transfer import build_transfer_model

    head = build_transfer_model(SHIPPED_MODEL, len(OWN), train_last_block=False)
    block = build_transfer_model(SHIPPED_MODEL, len(OWN), train_last_block=True)
    assert head.output_shape == (None, 3) and block.output_shape == (None, 3)
    head_weights = sum(int(np.prod(w.shape)) for w in head.trainable_weights)
    block_weights = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
    assert head_weights == 256 * 3 + 3  # the new softmax alone
    assert block_weights > 100 * head_weights  # the last convolution block and dense layer too
    for model in (head, block):  # batch norm keeps the base's statistics either way
        features = model.layers[1]
        assert not any(layer.trainable_weights for layer in features.layers
                       if isinstance(layer, layers.BatchNormalization))


def test_a_model_no_better_than_chance_on_own_classes_is_told_to_start_from_the_shipped_model():
    from fer_core.training.evaluation import chance_level_verdict, evaluate_probabilities

    labels = np.array([0, 1, 2] * 4)
    probabilities = np.tile([0.9, 0.05, 0.05], (12, 1))
    verdict = chance_level_verdict(evaluate_probabilities(labels, probabilities, OWN), labels, epochs=30,
                                   train_faces=48)
    assert verdict["flagged"] and "start from the shipped model" in verdict["reason"]


@pytest.fixture(scope="module")
def own_photos(tmp_path_factory):
    from own_classes_fixtures import make_face_photo_folder

    return make_face_photo_folder(tmp_path_factory.mktemp("own") / "photos", per_class=12)


def test_a_head_only_job_runs_the_frozen_layers_once_per_photo_and_view_not_every_epoch(own_photos, tmp_path,
                                                                                        monkeypatch):
    import keras

    from fer_core.data.dataset import load_fer2013
    from fer_core.training import recipe, transfer

    seen = []

    def counted(features, faces, on_faces=None):
        seen.append(len(faces))
        return transfer.frozen_features(features, faces, on_faces)

    monkeypatch.setattr(recipe, "frozen_features", counted)
    monkeypatch.setattr(transfer, "FEATURE_VIEWS", 2)
    run = recipe.train(TrainingConfig(data=str(own_photos), epochs=5, batch_size=8), runs_dir=tmp_path, verbose=0)
    splits = load_fer2013(own_photos).splits
    assert seen == [len(splits.train)] * 2 + [len(splits.validation)]  # 2 augmented views, then validation once
    assert len(run.epochs()) == 5 and run.status == "finished"
    served = keras.saving.load_model(run.best_model_file, compile=False)
    assert served.input_shape == (None, 48, 48, 1) and served.output_shape == (None, 3)  # the whole model, not the head
    assert run.progress()["phase"] == "done"


def test_the_head_on_precomputed_features_is_the_transfer_model_and_learns_as_the_per_epoch_path(own_photos):
    import keras

    from fer_core.data.dataset import load_fer2013
    from fer_core.training.batches import FaceBatches, FeatureBatches
    from fer_core.training.distillation import one_hot
    from fer_core.training.recipe import compile_for_training
    from fer_core.training.transfer import build_transfer_model, frozen_features, frozen_layers, head_on_features

    dataset = load_fer2013(own_photos)
    train, validation = dataset.splits.train, dataset.splits.validation
    targets = one_hot(dataset.labels, dataset.num_classes)
    keras.utils.set_random_seed(0)
    model = build_transfer_model(SHIPPED_MODEL, 3, train_last_block=False)
    head = head_on_features(model)
    faces = dataset.images[validation]
    features = frozen_features(frozen_layers(model), faces)
    # The head on the features is the same function as the whole model on the photos.
    assert np.allclose(head(features, training=False), model(faces[..., None].astype("float32"), training=False),
                       atol=1e-5)

    config = TrainingConfig(data="x", epochs=15, batch_size=8)
    compile_for_training(model, config)
    model.fit(FaceBatches(dataset.images, targets, train, 8, False, 0, shuffle=True), epochs=15, verbose=0)
    per_epoch = float((model.predict(faces[..., None].astype("float32"), verbose=0).argmax(1)
                       == dataset.labels[validation]).mean())

    keras.utils.set_random_seed(0)
    cached = build_transfer_model(SHIPPED_MODEL, 3, train_last_block=False)
    cached_head = head_on_features(cached)
    compile_for_training(cached_head, config)
    train_features = frozen_features(frozen_layers(cached), dataset.images[train])[None]
    cached_head.fit(FeatureBatches(train_features, targets[train], 8, 0), epochs=15, verbose=0)
    once = float((cached.predict(faces[..., None].astype("float32"), verbose=0).argmax(1)
                  == dataset.labels[validation]).mean())
    assert once == pytest.approx(per_epoch, abs=0.15)
    assert once > 0.6  # three looks a model can tell apart: well above chance (1/3)


def test_the_views_a_head_only_job_computes_fit_its_epochs_and_memory():
    from fer_core.training.transfer import FEATURE_VIEWS, feature_views

    assert feature_views(60, 30, augment=False) == 1
    assert feature_views(60, 30, augment=True) == FEATURE_VIEWS
    assert feature_views(60, 3, augment=True) == 3
    assert 1 <= feature_views(28_709, 30, augment=True) < FEATURE_VIEWS


def test_the_train_page_estimates_own_classes_from_this_machines_timings(own_photos, monkeypatch, tmp_path):
    """No fixed 'About 20 seconds': the line is the job clock's, from a timing remembered in the runs folder."""
    import json
    import os
    import zipfile
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from fer_core.training import jobs
    from fer_core.training.config import cpu_description

    archive = tmp_path / "faces.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for photo in own_photos.rglob("*.jpg"):
            bundle.write(photo, photo.relative_to(own_photos.parent))
    runs = Path(os.environ["FER_RUNS_DIR"])
    runs.mkdir(parents=True, exist_ok=True)
    timing = {"seconds_per_batch": 0.01, "forward_seconds_per_face": 0.004}
    (runs / jobs.CALIBRATION_NAME).write_text(json.dumps({f"head on fer_studio/128/float32/{cpu_description()}": timing}))
    monkeypatch.setenv("FER_DATA_DIRS", str(tmp_path))
    app = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=120).run()
    at.sidebar.radio(key="data_source").set_value("server").run()
    at.sidebar.text_input(key="data_path").set_value(str(archive)).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    lines = [c.value for c in at.caption if c.value.startswith("About ")]
    assert len(lines) == 1 and "from a timing of head on fer_studio's training batches on this machine" in lines[0]
    assert not any("20 seconds" in c.value for c in at.caption)
    assert all("(seconds" not in option for option in at.radio(key="train_transfer").options)


def test_a_heads_calibration_tells_keras_cost_per_epoch_from_its_batches():
    """Where each epoch's start costs more than its batches (as Keras's does for a head), the calibration counts
    that cost once an epoch, not inside every batch's time."""
    import time

    import keras

    from fer_core.training.calibration import _timed_batches

    class SlowStart(keras.utils.PyDataset):  # each epoch's first batch waits 0.3 s: a fixed cost per epoch
        def __len__(self):
            return 3

        def __getitem__(self, batch):
            if batch == 0:
                time.sleep(0.3)
            return np.zeros((8, 4), "float32"), keras.utils.to_categorical(np.arange(8) % 2, 2)

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    clock = _timed_batches(model, SlowStart(), epochs=5)
    # Keras may fetch part of the next epoch's first batch before that epoch begins: at least some of the wait shows.
    assert 0.1 < clock.epoch_seconds < 0.45
    assert clock.per_batch < 0.05
    assert clock.warmup_seconds >= 0
