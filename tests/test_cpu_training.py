"""The default job that trains on a CPU: the fer_fast architecture, learning from a teacher (distillation), the
chance-level verdict, the whole-job time estimate, and one set of defaults for the page, the CLI and the bench."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import synthetic_faces, write_csv

from fer_core.prediction.model_contract import read_model_info
from fer_core.training.config import TrainingConfig, resolve_precision
from fer_core.training.distillation import distilled_targets, soften, teacher_agreement
from fer_core.training.evaluation import chance_level_verdict, evaluate_probabilities
from fer_core.training.job_clock import JobClock, job_seconds, seconds_per_batch_from_runs
from fer_core.training.runs import TrainingRun


@pytest.fixture(scope="module")
def faces_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cpu_training")
    return write_csv(folder / "faces.csv", *synthetic_faces(n_per_class=40))


@pytest.fixture(scope="module")
def fer_fast_run(faces_csv, tmp_path_factory):
    """Two real epochs of the default architecture, with the default recipe apart from the teacher."""
    from fer_core.training import recipe

    config = TrainingConfig(data=str(faces_csv), epochs=2, batch_size=32, distill_from=None)
    assert config.arch == "fer_fast"
    return recipe.train(config, runs_dir=tmp_path_factory.mktemp("runs"), verbose=0, command="pytest")


def test_fer_fast_trains_end_to_end_and_serves(fer_fast_run):
    from fer_core.prediction.predictor import Predictor

    assert fer_fast_run.status == "finished", fer_fast_run.message
    card = read_model_info(fer_fast_run.model_path).card
    assert card["architecture"] == "fer_fast" and card["epochs_completed"] == 2
    assert card["precision"] == resolve_precision("auto")
    assert card["cpu"] and card["reproduce"].startswith("python -m fer_core train --data ")
    assert "--epochs 2" in card["reproduce"] and "--no-distill" in card["reproduce"]
    rows = fer_fast_run.epochs()
    assert all(row["seconds_per_batch"] > 0 for row in rows)
    assert fer_fast_run.progress()["phase"] == "done"
    # The model served and downloaded carries no optimizer state: a fraction of the resume checkpoint's size.
    assert fer_fast_run.model_path.stat().st_size < 0.6 * (fer_fast_run.path / "best.keras").stat().st_size
    # What Predict does with it: the LiteRT export answers for a face.
    faces, _, _ = synthetic_faces(n_per_class=1)
    probabilities = Predictor(fer_fast_run.model_path).classifier.predict_proba(faces[:3])
    assert probabilities.shape == (3, 7) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)


def test_fer_fast_is_cheap_where_cpu_time_goes():
    """The design: a fifth of fer_vgg's multiply-adds per face (the cost of a CPU epoch), with fewer weights."""
    from bench.training_epoch import multiply_adds
    from fer_core.training.architectures import build_model

    fast, vgg = build_model("fer_fast"), build_model("fer_vgg")
    assert multiply_adds(fast) * 4 < multiply_adds(vgg)
    assert fast.count_params() < vgg.count_params()
    assert fast.output_shape == (None, 7) and fast.layers[-1].dtype_policy.name == "float32"


def test_a_teacher_that_knows_the_data_softens_the_labels(faces_csv, tmp_path):
    from fer_core.training import recipe

    teacher = recipe.train(TrainingConfig(data=str(faces_csv), arch="tiny_cnn", epochs=4, batch_size=16,
                                            learning_rate=3e-2, balance="oversample", distill_from=None,
                                            precision="float32"),
                             runs_dir=tmp_path / "teacher", verbose=0)
    assert teacher.evaluation()["accuracy"] > 0.5
    student = recipe.train(TrainingConfig(data=str(faces_csv), arch="tiny_cnn", epochs=1, batch_size=16,
                                            learning_rate=3e-2, distill_from=str(teacher.model_path)),
                             runs_dir=tmp_path / "student", verbose=0)
    note = read_model_info(student.model_path).card["teacher"]
    assert note["used"] and note["agreement_with_training_labels"] > 0.5
    assert note["architecture"] == "tiny_cnn" and note["test_accuracy"] == teacher.evaluation()["accuracy"]


def test_a_teacher_that_does_not_know_the_data_is_left_out(fer_fast_run, faces_csv, tmp_path):
    """The shipped FER2013 model sees these synthetic grey squares as nonsense: the job says so and uses the labels."""
    from fer_core.training import recipe

    run = recipe.train(TrainingConfig(data=str(faces_csv), arch="tiny_cnn", epochs=1, batch_size=16),
                         runs_dir=tmp_path / "runs", verbose=0)
    note = read_model_info(run.model_path).card["teacher"]
    assert note["model"] == "fer_studio.keras"
    assert not note["used"] and note["agreement_with_training_labels"] < 0.5


def test_distilled_targets_keep_the_label_on_top():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, 500)
    teacher = rng.dirichlet(np.ones(7), 500).astype(np.float32)
    teacher[:250] = np.eye(7)[labels[:250]] * 0.6 + 0.4 / 7  # half agree with their label
    targets = distilled_targets(labels, teacher)
    assert np.allclose(targets.sum(axis=1), 1, atol=1e-5)
    assert (targets.argmax(axis=1) == labels).all()
    agrees = teacher.argmax(axis=1) == labels
    assert np.array_equal(targets[~agrees], np.eye(7, dtype=np.float32)[labels[~agrees]])  # disagreement: the label
    assert (targets[agrees] < 1).all() and (targets[agrees] > 0).all()  # agreement: some weight on every class
    assert teacher_agreement(labels, teacher) == pytest.approx(agrees.mean())
    hot = soften(np.array([[0.9, 0.1]]), temperature=2.0)
    assert hot[0, 1] > 0.1 and hot.sum() == pytest.approx(1)


def _evaluation(labels, predicted):
    return evaluate_probabilities(np.asarray(labels), np.eye(7)[np.asarray(predicted)])


def test_a_model_that_answers_one_class_is_flagged_with_why_and_what_to_try():
    labels = np.repeat(np.arange(7), [40, 5, 40, 80, 50, 30, 50])
    evaluation = _evaluation(labels, np.full(len(labels), 1))  # "disgust" for every face
    verdict = chance_level_verdict(evaluation, labels, epochs=2, train_faces=2869)
    assert verdict["flagged"]
    assert "Not better than guessing" in verdict["reason"] and "“disgust” for 100% of the faces" in verdict["reason"]
    assert "only 2 epochs" in verdict["reason"] and "2,869 faces" in verdict["reason"]
    # Always answering the commonest class is chance too, however high its accuracy looks.
    assert chance_level_verdict(_evaluation(labels, np.full(len(labels), 3)), labels)["flagged"]


def test_a_model_that_learnt_something_is_not_flagged():
    labels = np.repeat(np.arange(7), 50)
    predicted = labels.copy()
    predicted[::3] = (predicted[::3] + 1) % 7  # two thirds right
    verdict = chance_level_verdict(_evaluation(labels, predicted), labels, epochs=30, train_faces=28709)
    assert verdict == {"flagged": False, "chance_accuracy": pytest.approx(1 / 7), "reason": ""}


def test_a_flagged_run_is_marked_in_the_model_picker_and_on_the_train_page(tiny_model, tmp_path, monkeypatch):
    import os
    from pathlib import Path

    from app_fixtures import install_model_run
    from streamlit.testing.v1 import AppTest

    runs_dir = Path(os.environ["FER_RUNS_DIR"])
    model = install_model_run(runs_dir, "20260101-000000-tiny_cnn", tiny_model)
    labels = np.repeat(np.arange(7), 10)
    evaluation = _evaluation(labels, np.full(len(labels), 6))
    evaluation["chance_level"] = chance_level_verdict(evaluation, labels, epochs=1, train_faces=300)
    (model.parent / "evaluation.json").write_text(json.dumps(evaluation))
    app = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    at = at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert any("Not better than guessing" in w.value for w in at.warning)
    picker = at.sidebar.selectbox(key="model_path")
    assert any("no better than chance" in option for option in picker.options)  # AppTest lists the labels


def test_the_eta_counts_validation_and_the_final_evaluation():
    clock = JobClock(batches=100, batch_size=128, validation_faces=3435, test_faces=3435, test_views=6)
    assert clock.remaining(5, 10) is None  # nothing timed yet: no guess
    for _ in range(clock.WARMUP_BATCHES):
        clock.add_batch(5.0)  # tracing and compiling: left out
    for _ in range(20):
        clock.add_batch(0.2)
    training_only = 10 * 0.2 + 5 * 100 * 0.2
    assert clock.remaining(5, 10) > training_only + 6 * clock.per_validation()
    clock.validation_seconds = 3.0
    evaluation = clock.evaluation_seconds()
    assert clock.remaining(5, 10) == pytest.approx(training_only + 6 * 3.0 + evaluation)
    assert clock.remaining(0, 0, validation_left=0.0) == pytest.approx(evaluation)


def test_the_estimate_before_start_uses_earlier_runs_on_this_cpu(tmp_path):
    from fer_core.training.config import cpu_description

    run = TrainingRun(tmp_path / "20260101-000000-fer_fast")
    run.path.mkdir()
    (run.path / "config.json").write_text(json.dumps({"arch": "fer_fast", "batch_size": 128}))
    run.write_status("finished", precision="float32", cpu=cpu_description())
    for epoch in (1, 2):
        run.append_epoch({"epoch": epoch, "seconds": 40.0, "seconds_per_batch": 0.15})
    assert seconds_per_batch_from_runs([run.summary()], "fer_fast", 128, "float32", cpu_description()) == (0.15, 1)
    assert seconds_per_batch_from_runs([run.summary()], "fer_fast", 64, "float32", cpu_description()) is None
    assert seconds_per_batch_from_runs([run.summary()], "fer_fast", 128, "float32", "another CPU") is None

    from fer_core.training import jobs

    config = TrainingConfig(data="x.csv", precision="float32", distill_from=None)
    estimate = jobs.estimate_job(config, 28709, 3435, 3435, tmp_path)
    assert estimate.basis == "from 1 earlier fer_fast run on this machine"
    assert estimate.seconds == pytest.approx(job_seconds(30, 128, 0.15, 28709, 3435, 3435, 6, taught=False))
    assert 30 * 225 * 0.15 < estimate.seconds < 30 * 225 * 0.15 * 1.3
    other = dataclasses.replace(config, arch="fer_vgg")
    assert jobs.estimate_job(other, 28709, 3435, 3435, tmp_path, calibrate=False) is None


def test_the_page_the_cli_and_the_bench_share_one_set_of_defaults():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from bench import training_epoch
    from fer_core.cli import build_parser

    defaults = TrainingConfig.defaults()
    args = build_parser().parse_args(["train", "--data", "x.csv"])
    assert (args.arch, args.epochs, args.batch_size, args.learning_rate, args.weight_decay, args.balance,
            args.precision, args.distill_from) == (defaults.arch, defaults.epochs, defaults.batch_size,
                                                   defaults.learning_rate, defaults.weight_decay, defaults.balance,
                                                   defaults.precision, defaults.distill_from)
    assert training_epoch.default_job() == defaults

    app = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=60).run()
    at = at.switch_page("app_pages/train.py").run()
    assert at.selectbox(key="train_arch").value == defaults.arch
    assert at.number_input(key="train_epochs").value == defaults.epochs
    assert at.selectbox(key="train_batch_size").value == defaults.batch_size
    assert at.number_input(key="train_learning_rate").value == pytest.approx(defaults.learning_rate)
    assert at.radio(key="train_balance").value == defaults.balance
    assert at.checkbox(key="train_distill").value is True
    assert at.checkbox(key="train_bfloat16").value == (resolve_precision(defaults.precision) == "mixed_bfloat16")


def test_the_card_command_reproduces_the_job():
    from fer_core.cli import build_parser

    config = TrainingConfig(data="my data.csv", arch="fer_vgg", epochs=12, balance="oversample", augment=False,
                            distill_from=None, precision="float32", warmup=False, weight_decay=0.0)
    args = build_parser().parse_args(_split(config.command_line()))
    rebuilt = TrainingConfig(data=args.data, arch=args.arch, epochs=args.epochs, batch_size=args.batch_size,
                             learning_rate=args.learning_rate, weight_decay=args.weight_decay,
                             warmup=not args.no_warmup, balance=args.balance,
                             augment=not args.no_augment, precision=args.precision,
                             distill_from=None if args.no_distill else args.distill_from)
    assert rebuilt == config


def _split(command: str) -> list[str]:
    import shlex

    return shlex.split(command)[3:]  # after "python -m fer_core"


def test_older_runs_resume_with_the_recipe_they_started_with():
    config = TrainingConfig.from_dict({"data": "x.csv", "arch": "fer_vgg", "epochs": 16, "batch_size": 128,
                                       "learning_rate": 1e-3, "balance": "none", "precision": "float32"})
    assert config.weight_decay == 0.0 and config.distill_from is None and not config.warmup


def test_scoring_in_chunks_gives_the_same_probabilities(fer_fast_run, monkeypatch):
    """Faces are scored a chunk at a time (bounded memory for the teacher's pass and the evaluation): same answers."""
    from fer_core.prediction import face_classifier as runtime
    from fer_core.prediction.face_classifier import FaceClassifier
    from fer_core.training import publishing

    faces, _, _ = synthetic_faces(n_per_class=3)
    classifier = FaceClassifier(fer_fast_run.model_path)
    whole = classifier.predict_proba(faces, tta="flip_zoom")
    monkeypatch.setattr(runtime, "FACES_PER_CHUNK", 4)
    assert np.allclose(classifier.predict_proba(faces, tta="flip_zoom"), whole, atol=1e-6)

    import keras

    model = keras.saving.load_model(fer_fast_run.model_path, compile=False)
    keras_whole = publishing.predict_with_tta(model, faces, "flip_zoom")
    monkeypatch.setattr(publishing, "FACES_PER_CHUNK", 4)
    assert np.allclose(publishing.predict_with_tta(model, faces, "flip_zoom"), keras_whole, atol=1e-5)


def test_the_estimate_counts_keras_cost_per_epoch_once_an_epoch_and_the_first_epoch_once():
    """A head's epoch of 3 batches pays Keras's cost per epoch once, not once a batch; the first epoch's tracing is
    paid once, whatever the epochs; a timed teacher replaces the 1,000 faces/s constant."""
    base = job_seconds(30, 128, 0.004, 329, 41, 41, 6, taught=False, validation_seconds=0.03)
    per_epoch = job_seconds(30, 128, 0.004, 329, 41, 41, 6, taught=False, validation_seconds=0.03, epoch_seconds=0.25)
    assert per_epoch - base == pytest.approx(30 * 0.25)  # 3 batches an epoch, counted 30 times, not 90
    first = job_seconds(30, 128, 0.004, 329, 41, 41, 6, taught=False, validation_seconds=0.03, first_epoch_seconds=9.0)
    assert first - base == pytest.approx(9.0)
    two_epochs = job_seconds(2, 128, 0.2, 28709, 3435, 3435, 6, taught=False)
    assert job_seconds(2, 128, 0.2, 28709, 3435, 3435, 6, taught=False, first_epoch_seconds=40.0) \
        == pytest.approx(two_epochs + 40.0)
    from fer_core.training import job_clock

    constant = job_seconds(2, 128, 0.2, 28709, 3435, 3435, 6, taught=True)
    assert constant - two_epochs == pytest.approx(28709 / job_clock.TEACHER_FACES_PER_SECOND)
    timed = job_seconds(2, 128, 0.2, 28709, 3435, 3435, 6, taught=True, teacher_seconds_per_face=0.003,
                        teacher_load_seconds=2.0)
    assert timed - two_epochs == pytest.approx(2.0 + 28709 * 0.003)
    exported = job_seconds(2, 128, 0.2, 28709, 3435, 3435, 6, taught=False, export_seconds=4.0)
    assert two_epochs - exported == pytest.approx(job_clock.EXPORT_SECONDS - 4.0)  # timed here, not the constant


def test_a_running_head_jobs_clock_counts_the_epoch_cost_for_epochs_not_begun():
    clock = JobClock(batches=3, batch_size=128, validation_faces=41, test_faces=41, test_views=6)
    clock.batch_seconds, clock.validation_seconds = [0.004], 0.03
    without = clock.remaining(5, 2)
    clock.epoch_seconds = 0.25
    assert clock.remaining(5, 2) - without == pytest.approx(5 * 0.25)  # this epoch's start is behind it
    assert clock.remaining(5, 3) - clock.remaining(5, 2) == pytest.approx(0.25 + 0.004)


def test_a_calibration_times_real_batches_once_and_is_remembered(tmp_path, monkeypatch):
    """The Train page's 'Estimate the time': a few real batches timed in a child process, remembered per CPU."""
    from fer_core.training import jobs

    seconds = jobs.calibrated_seconds_per_batch(tmp_path, "tiny_cnn", 32, "float32")
    assert seconds is not None and 0 < seconds < 5
    [remembered] = json.loads((tmp_path / jobs.CALIBRATION_NAME).read_text()).values()
    assert remembered["seconds_per_batch"] == seconds
    # The job's fixed costs on this machine as it is: starting a TensorFlow process, the first batches' compiling.
    assert remembered["startup_seconds"] > 0 and remembered["warmup_seconds"] >= 0
    assert remembered["export_seconds"] > 0  # this model's save and LiteRT export, timed here

    def no_second_timing(*args, **kwargs):
        raise AssertionError("timed again instead of remembering")

    monkeypatch.setattr(jobs.subprocess, "run", no_second_timing)
    assert jobs.calibrated_seconds_per_batch(tmp_path, "tiny_cnn", 32, "float32") == seconds
    estimate = jobs.estimate_job(TrainingConfig(data="x.csv", arch="tiny_cnn", batch_size=32, precision="float32",
                                                distill_from=None), 2000, 300, 300, tmp_path)
    assert estimate.basis == "from a timing of tiny_cnn's training batches on this machine"
    assert estimate.seconds > 30 * (2000 // 32) * seconds + remembered["startup_seconds"]


def test_no_calibration_runs_while_a_job_holds_the_lock(tmp_path):
    from fer_core.training import jobs

    lock = jobs.acquire_job_lock(tmp_path)
    try:
        assert jobs.calibrated_seconds_per_batch(tmp_path, "tiny_cnn", 32, "float32") is None
    finally:
        import os

        os.close(lock)


def _finished_run(folder, name, seconds_per_batch, started_at, arch="fer_fast", **config):
    from fer_core.training.config import cpu_description

    run = TrainingRun(folder / name)
    run.path.mkdir()
    (run.path / "config.json").write_text(json.dumps({"arch": arch, "batch_size": 128, **config}))
    run.write_status("finished", precision="float32", cpu=cpu_description(), started_at=started_at)
    run.append_epoch({"epoch": 1, "seconds": 40.0, "seconds_per_batch": seconds_per_batch})
    return run


def test_one_slow_run_does_not_set_the_estimate(tmp_path):
    """The issue's case: one run slowed by other work on the machine. It is one vote beside the earlier runs, the
    calibration and the shipped card; the estimate is their median."""
    from fer_core.training import jobs
    from fer_core.training.config import cpu_description

    for number, (per_batch, started) in enumerate([(0.15, 1.0), (0.16, 2.0), (0.60, 3.0)]):  # the newest is slow
        _finished_run(tmp_path, f"run{number}", per_batch, started)
    (tmp_path / jobs.CALIBRATION_NAME).write_text(json.dumps({f"fer_fast/128/float32/{cpu_description()}": 0.14}))
    card = {"architecture": "fer_fast", "config": {"batch_size": 128}, "precision": "float32", "cpu": cpu_description(),
            "epoch_history": [{"seconds_per_batch": 0.17}]}
    config = TrainingConfig(data="x.csv", precision="float32", distill_from=None)
    estimate = jobs.estimate_job(config, 28709, 3435, 3435, tmp_path, shipped_cards=(card,))
    median = job_seconds(30, 128, 0.16, 28709, 3435, 3435, 6, taught=False)  # median of 0.14, 0.15, 0.16, 0.17, 0.60
    assert estimate.seconds == pytest.approx(median)
    assert estimate.basis == ("from the median of 3 earlier fer_fast runs on this machine, a timing of fer_fast's "
                              "training batches on this machine and the shipped fer_fast model's training on this CPU")

    import shutil

    for name in ("run0", "run1"):  # the slow run alone, with the card and the calibration: outvoted too
        shutil.rmtree(tmp_path / name)
    estimate = jobs.estimate_job(config, 28709, 3435, 3435, tmp_path, shipped_cards=(card,))
    assert estimate.seconds == pytest.approx(job_seconds(30, 128, 0.17, 28709, 3435, 3435, 6, taught=False))


def test_a_transfer_run_never_counts_towards_a_from_scratch_estimate(tmp_path):
    from fer_core.training import jobs
    from fer_core.training.config import SHIPPED_MODEL

    _finished_run(tmp_path, "transfer", 0.53, 1.0, transfer="head", transfer_base=str(SHIPPED_MODEL))
    config = TrainingConfig(data="x.csv", precision="float32", distill_from=None)
    assert jobs.estimate_job(config, 28709, 3435, 3435, tmp_path) is None
    head = dataclasses.replace(config, transfer="head")
    assert jobs.estimate_job(head, 300, 60, 60, tmp_path) is None  # no time per face for its frozen layers yet


def test_the_estimate_before_start_is_the_live_eta_at_the_first_batch(monkeypatch, tmp_path):
    """Same arithmetic: what a job's clock says after its first timed batch, plus loading, is the estimate."""
    from fer_core.training import job_clock, jobs

    seen = []
    remaining = job_clock.JobClock.remaining

    def watched(self, *args, **kwargs):
        seen.append(remaining(self, *args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(job_clock.JobClock, "remaining", watched)
    (tmp_path / jobs.CALIBRATION_NAME).write_text(json.dumps(
        {f"head on fer_studio/32/float32/{job_clock_cpu()}": {"seconds_per_batch": 0.01,
                                                              "forward_seconds_per_face": 0.004}}))
    config = TrainingConfig(data="photos", batch_size=32, transfer="head")
    estimate = jobs.estimate_job(config, 300, 60, 60, tmp_path, photos=450)
    assert len(seen) == 1
    assert estimate.seconds == pytest.approx(seen[0] + job_clock.LOAD_SECONDS + 450 * job_clock.PHOTO_SECONDS)

    clock = JobClock(-(-300 // 32), 32, 60, 60, 6, feature_faces=8 * 300 + 60)  # the job's own clock, in the job
    clock.forward_per_face = 0.004
    clock.batch_seconds = [0.01]
    assert clock.remaining(29, clock.batches, feature_faces_left=clock.feature_faces) == pytest.approx(seen[0])
    assert seen[0] > (8 * 300 + 60) * 0.004  # the frozen layers' pass is in it


def job_clock_cpu():
    from fer_core.training.config import cpu_description

    return cpu_description()


def test_the_estimate_times_reading_this_folders_photos(tmp_path, monkeypatch):
    from fer_core.data import image_folder
    from fer_core.training import jobs

    (tmp_path / jobs.CALIBRATION_NAME).write_text(json.dumps(
        {f"head on fer_studio/32/float32/{job_clock_cpu()}": {"seconds_per_batch": 0.01,
                                                              "forward_seconds_per_face": 0.004}}))
    photos = tmp_path / "photos"
    (photos / "happy").mkdir(parents=True)
    config = TrainingConfig(data=str(photos), batch_size=32, transfer="head")
    estimates = {}
    for per_photo in (0.01, 0.2):
        monkeypatch.setattr(image_folder, "seconds_per_photo", lambda path, per_photo=per_photo: per_photo)
        estimates[per_photo] = jobs.estimate_job(config, 300, 60, 60, tmp_path, photos=100).seconds
    assert estimates[0.2] - estimates[0.01] == pytest.approx(100 * 0.19)


def test_reading_a_folders_photos_is_timed_on_the_photos_themselves(tmp_path):
    import io

    from PIL import Image

    from fer_core.data.image_folder import seconds_per_photo

    assert seconds_per_photo(tmp_path) is None  # no photos yet
    for name in ("happy", "sad"):
        (tmp_path / name).mkdir()
        for number in range(3):
            buffer = io.BytesIO()
            Image.new("L", (48, 48), 40 * number).save(buffer, "PNG")
            (tmp_path / name / f"{number}.png").write_bytes(buffer.getvalue())
    assert 0 < seconds_per_photo(tmp_path) < 5
