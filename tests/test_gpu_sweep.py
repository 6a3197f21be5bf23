"""The GPU sweep (scripts/gpu_sweep.py, docs/gpu_sweep.md), run here as its trial: a pack made from a small synthetic
FER2013, one candidate for one epoch at an eighth of its widths, on JAX's CPU backend in a child process (the suite's
own Keras runs on TensorFlow). It must leave a scored card and a run folder that ship_model.py can take."""

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

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                reason="the GPU sweep runs on Keras's JAX backend and jax is not installed here "
                                       "(pip install jax: docs/gpu_sweep.md)")


def _run(*args, timeout=300):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_pack_keeps_public_test_exact_and_training_close(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    from gpu_pack import read_pack, write_pack

    images, labels, usage = synthetic_faces(n_per_class=40, usages=("Training", "PublicTest", "PrivateTest"))
    about = write_pack(images, labels, usage, ("a",) * 7, "digest", tmp_path / "pack.npz")
    pack = read_pack(tmp_path / "pack.npz")
    training, public = usage == "Training", usage == "PublicTest"
    assert np.array_equal(pack["public_test_images"], images[public])  # lossless: it chooses and scores
    assert np.array_equal(pack["public_test_labels"], labels[public])
    assert np.array_equal(pack["training_labels"], labels[training])
    assert pack["training_images"].shape == images[training].shape  # PrivateTest is not packed
    assert np.abs(pack["training_images"].astype(int) - images[training]).mean() < 4
    assert about["training_faces"] == training.sum() and about["training_psnr_db"] > 30


def test_sweep_writes_a_scored_card_and_a_model_ship_model_takes(tmp_path):
    images, labels, usage = synthetic_faces(n_per_class=10, usages=("Training", "PublicTest"))
    csv = write_csv(tmp_path / "fer2013.csv", images, labels, usage)
    packed = _run(REPO / "scripts" / "gpu_pack.py", "--data", csv, "--out", tmp_path / "pack.npz")
    assert packed.returncode == 0, packed.stderr
    out = tmp_path / "out"
    sweep = _run(REPO / "scripts" / "gpu_sweep.py", "--pack", tmp_path / "pack.npz", "--out", out,
                 "--candidates", "vgg", "--epochs", "1", "--width-scale", "0.125", "--batch-size", "16")
    assert sweep.returncode == 0, sweep.stdout[-3000:] + sweep.stderr[-3000:]

    result = json.loads((out / "sweep.json").read_text())
    [vgg] = result["candidates"]
    assert vgg["status"] == "scored" and result["winner"] == result["servable"] == "vgg"
    assert [row["epoch"] for row in vgg["history"]] == [1]
    assert vgg["public_test"]["n"] == (usage == "PublicTest").sum()
    assert 0.0 <= vgg["public_test"]["accuracy"] <= 1.0 and vgg["epochs"] == 1
    card = vgg["card"]
    assert card["backend"] == "jax" and "cpu" in card["device"].lower()
    assert card["command"].startswith("KERAS_BACKEND=jax python scripts/gpu_sweep.py --pack")
    assert card["evaluation"]["split"] == "PublicTest" and card["evaluation"]["tta"] == "flip_zoom"
    assert "vgg" in sweep.stdout.splitlines()[-2]  # the table ends the output: the device reply shows its tail

    # The winner is a run folder scripts/ship_model.py takes, with a model Keras on TensorFlow loads.
    from fer_core.prediction.model_contract import read_model_info
    from fer_core.training.runs import TrainingRun

    run = TrainingRun(out / "winner")
    assert run.model_path is not None and len(run.epochs()) == 1
    assert not (out / "servable").exists()  # the winner is small enough to serve itself
    info = read_model_info(run.model_path)
    assert info.architecture == "fer_vgg" and info.tta == "flip_zoom" and info.card["evaluation"]["runtime"] == "Keras"
    import keras

    model = keras.saving.load_model(run.model_path, compile=False)
    assert model.name == "fer_vgg" and model.output_shape == (None, 7)
    assert all(layer.dtype_policy.name == "float32" for layer in model.layers)
    probabilities = np.load(out / "winner_train_probabilities.npz")["probabilities"]
    assert probabilities.shape == ((usage == "Training").sum(), 7)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
