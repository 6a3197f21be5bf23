"""Data-parallel training (fer_core/training/devices.py, docs/scale.md) without GPUs: Keras on JAX's CPU backend,
split by XLA into 2 virtual devices, in a child process (this one's Keras may already run on TensorFlow). The same job
on 2 devices and on 1, from the same seed, must take the same steps; each device must hold half of each batch; a run
started on one count must resume on the other."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import synthetic_faces, write_csv

from fer_core.cli import main
from fer_core.training.devices import TrainingDevices
from fer_core.training.runs import TrainingRun, list_runs

REPO = Path(__file__).resolve().parent.parent
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="data-parallel training runs on Keras's JAX backend and jax is not installed "
                                      "(pip install -r requirements-dev.txt)")

# The child trains through the CLI, and records how every array fed to the devices was split among them.
TRAIN_AND_RECORD_SHARDS = """
import json, sys
from keras.src.backend.jax import distribution_lib

from fer_core.cli import main

shards, distribute = [], distribution_lib.distribute_data_input

def recorded(batch, layout, batch_dim_name):
    array = distribute(batch, layout, batch_dim_name)
    shards.append({"shape": list(array.shape), "devices": [str(shard.device) for shard in array.addressable_shards],
                   "shard_rows": [shard.data.shape[0] for shard in array.addressable_shards]})
    return array

distribution_lib.distribute_data_input = recorded
code = main(sys.argv[2:])
open(sys.argv[1], "w").write(json.dumps(shards))
sys.exit(code)
"""
# 50 training faces in batches of 16: 16, 16, 16 and 2, all even, so no face is cut and both jobs see the same batches.
# float32: bfloat16's rounding (8 bits of mantissa) would hide the comparison below (docs/scale.md measures both).
JOB = ["--arch", "tiny_cnn", "--epochs", "2", "--batch-size", "16", "--from-scratch", "--no-distill", "--seed", "3",
       "--precision", "float32", "--quiet"]
# GSPMD keeps a single device's maths over the global batch (the loss's mean, batch norm's statistics and the
# gradient's sum are global); only the order of float32 sums across devices differs, about 1e-7 relative per sum.
# Measured on this job: 1.2e-7 at most (docs/scale.md); a dozen steps on another CPU may grow it tenfold, hence 1e-5.
# A batch split wrongly (per-device means or statistics, a half dropped or doubled) moves the loss by percents.
LOSS_TOLERANCE = 1e-5


def _train_on_jax(tmp_path: Path, name: str, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    shards_file = tmp_path / f"{name}-shards.json"
    done = subprocess.run([sys.executable, "-c", TRAIN_AND_RECORD_SHARDS, str(shards_file), "train", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, json.loads(shards_file.read_text())


def _run_in(folder: Path) -> TrainingRun:
    [run] = list_runs(folder)
    return run


def _losses(run: TrainingRun) -> np.ndarray:
    return np.array([[row["loss"], row["val_loss"]] for row in run.epochs()])


def _card(run: TrainingRun) -> dict:
    return json.loads(run.path.joinpath("model.json").read_text())["card"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same job, trained on 2 devices and on 1, each then resumed for a third epoch on the other count."""
    tmp_path = tmp_path_factory.mktemp("distributed")
    images, labels, usage = synthetic_faces(n_per_class=8)
    data = write_csv(tmp_path / "fer2013.csv", images, labels, usage)
    runs, shards = {}, {}
    for devices in ("2", "1"):
        out = tmp_path / f"on-{devices}"
        _, shards[devices] = _train_on_jax(tmp_path, devices, "--data", str(data), "--out", str(out),
                                           "--devices", devices, *JOB)
        runs[devices] = _run_in(out)
    cards = {devices: _card(run) for devices, run in runs.items()}
    for started_on, resumed_on in (("2", "1"), ("1", "2")):
        config = json.loads(runs[started_on].config_file.read_text())
        config["epochs"] = 3
        runs[started_on].config_file.write_text(json.dumps(config))
        _train_on_jax(tmp_path, f"{started_on}-to-{resumed_on}", "--resume", str(runs[started_on].path),
                      "--devices", resumed_on, "--quiet")
    return runs, shards, cards


@needs_jax
def test_two_devices_and_one_take_the_same_steps(two_runs):
    runs, _, _ = two_runs
    on_two, on_one = _losses(runs["2"])[:2], _losses(runs["1"])[:2]
    assert np.isfinite(on_two).all()
    np.testing.assert_allclose(on_two, on_one, rtol=LOSS_TOLERANCE)


@needs_jax
def test_each_device_holds_half_of_each_batch(two_runs):
    _, shards, _ = two_runs
    training_batches = [fed for fed in shards["2"] if fed["shape"][1:] == [48, 48, 1] and fed["shape"][0] <= 16]
    assert len(training_batches) >= 4 * 2  # 4 batches an epoch, 2 epochs
    for fed in shards["2"]:  # faces and targets, training and validation
        assert len(set(fed["devices"])) == 2
        assert fed["shard_rows"] == [fed["shape"][0] // 2] * 2
    assert shards["1"] == []  # one device: nothing is split


@needs_jax
def test_the_card_records_the_devices_the_run_used(two_runs):
    _, _, cards = two_runs
    assert {key: cards["2"]["hardware"][key] for key in ("backend", "device_kind", "devices", "hosts")} == \
        {"backend": "jax", "device_kind": "cpu", "devices": 2, "hosts": 1}
    assert cards["1"]["hardware"]["devices"] == 1
    assert "--devices 2" in cards["2"]["reproduce"] and "--devices" not in cards["1"]["reproduce"]


@needs_jax
def test_a_run_started_on_two_devices_resumes_on_one_and_the_other_way(two_runs):
    runs, _, _ = two_runs
    for started_on, resumed_on in (("2", "1"), ("1", "2")):
        run = runs[started_on]
        assert [row["epoch"] for row in run.epochs()] == [1, 2, 3] and run.status == "finished"
        assert _card(run)["hardware"]["devices"] == int(resumed_on)
    # Both resumed from checkpoints that agree, and the third epoch's batches are the same on either count.
    np.testing.assert_allclose(_losses(runs["2"])[2], _losses(runs["1"])[2], rtol=LOSS_TOLERANCE)


def test_tensorflow_refuses_several_devices_with_a_sentence(fer_csv, tmp_path, capsys):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("this process's Keras does not run on TensorFlow")
    code = main(["train", "--data", str(fer_csv), "--out", str(tmp_path / "runs"), "--devices", "2", *JOB])
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "KERAS_BACKEND=jax" in error and "--devices 1" in error
    assert list_runs(tmp_path / "runs") == []  # refused before a run folder was made


@pytest.mark.parametrize("typed", ["0", "two", "-1"])
def test_a_device_count_that_is_not_one_is_refused(fer_csv, tmp_path, capsys, typed):
    assert main(["train", "--data", str(fer_csv), "--out", str(tmp_path / "runs"), "--devices", typed, *JOB]) == 2
    assert "Devices must be \"all\" or a whole number" in capsys.readouterr().err


def test_an_epoch_cut_for_two_devices_leaves_no_batch_empty_or_odd():
    """51 faces in batches of 16 on 2 devices: 16, 16, 16 and 2 (the 51st waits for another epoch's shuffle)."""
    # Imported here, not at the top: collecting this module must not load TensorFlow into the test process, where
    # a later import of streamlit-webrtc's libsrtp (the Collect page's tests) crashes beside TensorFlow's BoringSSL.
    from fer_core.training.batches import FaceBatches

    two = TrainingDevices(("device 0", "device 1"))
    images, targets = np.zeros((51, 48, 48), np.uint8), np.zeros((51, 7), np.float32)
    batches = FaceBatches(images, targets, np.arange(51), 16, False, 0, shuffle=True, devices=two)
    assert [len(batches[i][0]) for i in range(len(batches))] == [16, 16, 16, 2]
    one = FaceBatches(images, targets, np.arange(51), 16, False, 0, shuffle=True)
    assert [len(one[i][0]) for i in range(len(one))] == [16, 16, 16, 3]  # one device: as before
    assert two.even_batch(256) == 256 and TrainingDevices(tuple(range(3))).even_batch(256) == 255


def test_each_host_feeds_its_own_part_of_a_global_batch():
    """4 devices on 2 hosts: host 0 the first half of each (cut) global batch, host 1 the second, never both."""
    batch = np.arange(19)
    parts = [TrainingDevices(tuple(range(4)), hosts=2, host_index=host).local_part(batch) for host in (0, 1)]
    assert [part.tolist() for part in parts] == [list(range(8)), list(range(8, 16))]


def _train_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=60).run()
    return at.switch_page("app_pages/train.py").run()


def test_the_train_page_offers_gpus_only_where_there_are_several_and_jax_can_use_them(monkeypatch):
    from fer_core.training import devices

    at = _train_page()
    assert not at.exception and not [box for box in at.selectbox if box.key == "train_devices"]  # this CPU: as before

    monkeypatch.setattr(devices, "visible_accelerators", lambda: 4)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    at = _train_page()
    assert any("has 4 GPUs" in caption.value and "KERAS_BACKEND=jax" in caption.value for caption in at.caption)

    monkeypatch.setenv("KERAS_BACKEND", "jax")
    at = _train_page()
    choice = at.selectbox(key="train_devices")
    assert choice.options == ["1 of 4", "2 of 4", "4 of 4"] and choice.value == 1  # 3 does not split 128 faces
    choice.set_value(4).run()
    assert not at.exception
