"""A run keeps its data: another visitor's uploads do not evict the upload a stopped run resumes from, and where it
is gone anyway, Resume says in one sentence which file to upload again, by its own name, never a server path."""

import json
import os
import time
from pathlib import Path

import pytest
from app_fixtures import FakeUpload

from fer_core.errors import JobError
from fer_core.training import jobs
from fer_core.training.runs import TrainingRun, uploads_dir, uploads_needed
from ui import cached


def stopped_run(runs: Path, name: str, data: Path, state: str = "stopped", epochs: int = 3) -> TrainingRun:
    run = TrainingRun(runs / name)
    run.path.mkdir(parents=True)
    run.config_file.write_text(json.dumps({"arch": "tiny_cnn", "epochs": epochs, "data": str(data)}))
    run.status_file.write_text(json.dumps({"state": state, "started_at": 1.0}))
    run.checkpoint_file.write_text(json.dumps({"epoch": 1, "best_val_accuracy": 0.5}))
    run.last_model_file.write_bytes(b"weights")
    return run


def test_other_visitors_uploads_do_not_evict_a_stopped_runs_data(tmp_path):
    runs = tmp_path / "runs"
    cap = 2_500  # room for two uploads of 1,000 bytes
    first = cached.saved_upload(FakeUpload("oc_good.zip", b"a" * 1000), uploads_dir(runs), cap)
    run = stopped_run(runs, "20260101-000000-tiny_cnn", first)
    os.utime(first.parent, (time.time() - 3600,) * 2)  # the oldest upload: first in line for eviction
    assert uploads_needed(runs) == [first.parent]
    for i in range(5):
        cached.saved_upload(FakeUpload(f"other{i}.csv", bytes([i]) * 1000), uploads_dir(runs), cap)
    assert first.exists(), "the stopped run's upload was evicted"
    assert len(list(uploads_dir(runs).iterdir())) == 2  # the cap still holds: the run's upload and the newest
    assert run.missing_data_sentence() is None


def test_a_finished_runs_upload_may_go_and_a_failed_resume_names_the_file_to_upload_again(tmp_path):
    runs = tmp_path / "runs"
    upload = cached.saved_upload(FakeUpload("oc_good.zip", b"a" * 1000), uploads_dir(runs), 10_000)
    finished = stopped_run(runs, "20260101-000000-tiny_cnn", upload, state="finished")
    assert uploads_needed(runs) == []  # nothing will read it again
    assert finished.data_name == "oc_good.zip"

    run = stopped_run(runs, "20260101-000001-tiny_cnn", upload)
    (upload).unlink()  # evicted by a server with too little room for both
    with pytest.raises(JobError) as refused:
        jobs.resume_training_job(run, runs)
    sentence = str(refused.value)
    assert sentence == ("The data run 20260101-000001-tiny_cnn trained on, oc_good.zip, is no longer on the server "
                        "(uploads are kept within the server's space for them): upload oc_good.zip again in the "
                        "sidebar, the same file, then press Resume.")
    assert "/" not in sentence and run.status == "stopped"  # no server path, and no job started

    again = cached.saved_upload(FakeUpload("oc_good.zip", b"a" * 1000), uploads_dir(runs), 10_000)
    assert again == upload and run.missing_data_sentence() is None  # the same bytes land where the run looks


def test_a_run_on_a_server_file_is_named_by_its_path(tmp_path):
    data = tmp_path / "fer2013.csv"
    data.write_text("x")
    run = stopped_run(tmp_path / "runs", "20260101-000000-tiny_cnn", data)
    assert not run.trained_on_upload and run.data_name == str(data)


def test_the_train_page_names_another_visitors_upload_only_as_an_upload(tmp_path):
    from streamlit.testing.v1 import AppTest

    runs = Path(os.environ["FER_RUNS_DIR"])
    upload = cached.saved_upload(FakeUpload("holiday_secret.zip", b"a" * 1000), uploads_dir(runs), 10_000)
    stopped_run(runs, "20260101-000000-tiny_cnn", upload, epochs=1)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=60).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    captions = [caption.value for caption in at.caption]
    assert "Data: a file a visitor uploaded" in captions
    assert any(" · 1 epoch · batch" in caption for caption in captions), captions
    shown = " ".join(captions + [block.value for block in at.markdown])
    assert "holiday_secret" not in shown and "uploads" not in shown


def test_an_interrupted_run_says_what_is_known_of_why(tmp_path):
    run = stopped_run(tmp_path / "runs", "20260101-000000-tiny_cnn", tmp_path / "fer2013.csv", state="running")
    run.write_status("running", pid=2 ** 22 + 12345, message="Training tiny_cnn on 285 faces of 7 classes (none).")
    run.append_epoch({"epoch": 1, "val_accuracy": 0.4})
    assert run.status == "interrupted"
    assert run.shown_message == (
        "The training process stopped after 1 epoch of 3: it was ended from outside (out of memory, a restart of the "
        "server or a kill), so it could not say why. Resume goes on from the last finished epoch. Its last message: "
        "Training tiny_cnn on 285 faces of 7 classes (none).")
    run.log_file.write_text("Epoch 2/3\nMemoryError: Unable to allocate 1.2 GiB\n")
    assert "after 1 epoch of 3: it ran out of memory." in run.shown_message
