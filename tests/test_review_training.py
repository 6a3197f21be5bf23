"""The Train page reads one summary of each run per rerun, a job's config.json is written and checked once at each
boundary, and the page's figures of the default job come from the model cards."""

import io
import json
import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fer_core.shipped_models import MODELS_DIR, SHIPPED_MODEL
from fer_core.training import jobs
from fer_core.training.config import TrainingConfig
from fer_core.training.runs import TrainingRun, read_runs

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def make_runs(runs_dir: Path) -> None:
    """Three finished runs and a running one (this test's own process stands in for its job)."""
    rows = [{"epoch": e, "loss": 1.0, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.3 + e / 10, "seconds": 3.0}
            for e in (1, 2)]
    for i, state in enumerate(["finished", "finished", "finished", "running"]):
        run = runs_dir / f"2026120{i + 1}-000000-tiny_cnn"
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps({"arch": "tiny_cnn", "epochs": 5}))
        status = {"state": state, "started_at": time.time() - 600 + i}
        status.update({"pid": os.getpid()} if state == "running" else {"ended_at": time.time()})
        (run / "status.json").write_text(json.dumps(status))
        (run / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
        if state == "running":
            (run / "progress.json").write_text(json.dumps({"phase": "training", "epoch": 3, "epochs": 5}))
        else:
            (run / "evaluation.json").write_text(json.dumps({"accuracy": 0.5}))


def test_read_runs_lists_the_folder_once_and_reads_each_file_of_a_run_once(tmp_path, monkeypatch):
    runs_dir = tmp_path / "runs"
    make_runs(runs_dir)
    opened, listed = [], []
    real_open, real_listdir = io.open, os.listdir

    def counting_open(file, *args, **kwargs):
        opened.append(Path(file))
        return real_open(file, *args, **kwargs)

    def counting_listdir(path="."):
        listed.append(Path(path))
        return real_listdir(path)

    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(os, "listdir", counting_listdir)
    runs = read_runs(runs_dir)
    monkeypatch.undo()

    assert listed == [runs_dir]
    in_runs = [path for path in opened if path.is_relative_to(runs_dir)]
    assert len(in_runs) == len(set(in_runs)) == 4 * 4  # config, status, metrics, and progress or evaluation
    assert [run.name for run in runs] == sorted((p.name for p in runs_dir.iterdir()), reverse=True)
    running, finished = runs[0], runs[1]
    assert running.active and running.progress["epoch"] == 3 and running.evaluation is None
    assert not finished.active and finished.evaluation == {"accuracy": 0.5} and finished.progress == {}
    assert finished.finished_epochs == 2 and finished.best_val_accuracy == pytest.approx(0.5)


def test_a_runs_summary_says_what_its_run_says(tmp_path):
    make_runs(tmp_path / "runs")
    for run in map(TrainingRun, (tmp_path / "runs").iterdir()):
        summary = run.summary()
        assert (summary.status, summary.message, summary.shown_message) == (run.status, run.message, run.shown_message)
        assert (summary.best_val_accuracy, summary.data_name, summary.offers_resume) == \
            (run.best_val_accuracy, run.data_name, run.offers_resume)
        assert summary.epochs == tuple(run.epochs()) and summary.config == run.config


def test_the_bench_reads_a_run_through_its_properties(tmp_path):
    run = TrainingRun(tmp_path)
    assert (run.final_model_file.name, run.final_card_file.name) == ("model.keras", "model.json")


def test_a_start_writes_config_json_once_and_checks_the_config_once(tmp_path, monkeypatch):
    """The page hands its config to the job starter, which checks it and writes it; the job reads it back from the
    file (TrainingConfig.from_dict checks it there) and does not write it again."""
    checks, written = [], []
    real_check, real_write = TrainingConfig.check, jobs.write_json_atomically
    monkeypatch.setattr(TrainingConfig, "check", lambda self: checks.append(self) or real_check(self))
    monkeypatch.setattr(jobs, "write_json_atomically", lambda path, data: written.append(path) or real_write(path, data))

    class NoProcess:
        pid = os.getpid()

        def __init__(self, *args, **kwargs):
            pass

        def wait(self):
            return 0

    config = TrainingConfig(data="x.csv", arch="tiny_cnn", epochs=1, distill_from=None, transfer="off")
    with monkeypatch.context() as started_without_a_process:
        started_without_a_process.setattr(jobs.subprocess, "Popen", NoProcess)
        run = jobs.start_training_job(config, tmp_path / "runs")
    assert len(checks) == 1 and written == [run.config_file]
    assert run.status == "starting" and run.status_record["pid"] == os.getpid()  # the page can show it at once

    from fer_core.training import recipe

    monkeypatch.setattr(recipe, "_load_leanly", lambda path, skip_bad_rows: None)
    monkeypatch.setattr(recipe, "_fit", lambda *args: {"state": "finished", "message": "done"})
    monkeypatch.setattr(recipe, "write_json_atomically", lambda path, data: written.append(path))
    written.clear()
    recipe.train(TrainingConfig.from_dict(run.config), run=run, verbose=0)
    assert written == [] and len(checks) == 2  # from_dict's check, at the file → job boundary
    assert TrainingConfig.from_dict(run.config) == config


def test_the_default_jobs_figures_come_from_its_card():
    at = AppTest.from_file(APP, default_timeout=60).run().switch_page("app_pages/train.py").run()
    assert not at.exception
    default = json.loads((MODELS_DIR / f"{TrainingConfig.defaults().arch}.json").read_text())["card"]
    shipped = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())["card"]
    line = next(c.value for c in at.caption if c.value.startswith("What to expect: the default job"))
    assert f"in {round(default['wall_clock_seconds'] / 60)} minutes" in line
    assert f"scored {default['evaluation']['accuracy']:.1%} on PublicTest" in line
    assert f"({shipped['evaluation']['accuracy']:.1%}) trained for {shipped['epochs_completed']} epochs" in line
