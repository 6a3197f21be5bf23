"""A Stop during the first epoch keeps no model: the epoch cut short is scored by Keras, but a model of part of an
epoch is never published as the run's (it read "kept the best model. 0 epochs…")."""

import os
import signal
import time

from conftest import synthetic_faces, write_csv

from fer_core.training.config import TrainingConfig
from fer_core.training.jobs import start_training_job, stop_training_job

JOB_TIMEOUT = 180


def test_a_stop_during_the_first_epoch_keeps_no_model(tmp_path, monkeypatch):
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    images, labels, usage = synthetic_faces(n_per_class=200, seed=3)  # ~3,800 faces: 120 batches in epoch 1
    data = write_csv(tmp_path / "fer2013.csv", images, labels, usage)
    config = TrainingConfig(data=str(data), arch="tiny_cnn", epochs=5, batch_size=32, augment=False)
    run = start_training_job(config, tmp_path / "runs")
    try:
        deadline = time.time() + JOB_TIMEOUT
        while run.progress().get("phase") != "training" and time.time() < deadline:
            time.sleep(0.05)
        assert run.progress().get("epoch") == 1, run.progress()
        stop_training_job(run)
        while run.status in ("starting", "running") and time.time() < deadline:
            time.sleep(0.2)
        assert run.status == "stopped", run.log_file.read_text()[-2000:]
        assert run.message == "Stopped before the first epoch finished: no model was kept."
        assert run.model_path is None and not run.best_model_file.exists()
        assert [row for row in run.epochs() if not row.get("partial")] == []
        assert not run.offers_resume  # nothing to go on from
    finally:
        pid = run.status_record.get("pid")
        if run.status in ("starting", "running") and pid:
            os.killpg(pid, signal.SIGKILL)
