"""Train through the real job mechanism: a tiny model for one epoch on the built-in sample, in its own process."""

import os
import signal
import time
from pathlib import Path

from app_fixtures import install_model_run
from streamlit.testing.v1 import AppTest

from fer_core.training.runs import list_runs

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
JOB_TIMEOUT_SECONDS = 120


def wait_for_the_job(runs_dir: Path):
    deadline = time.time() + JOB_TIMEOUT_SECONDS
    while time.time() < deadline:
        runs = list_runs(runs_dir)
        if runs and runs[0].status not in ("starting", "running"):
            return runs[0]
        time.sleep(1)
    raise AssertionError(f"the training job did not finish in {JOB_TIMEOUT_SECONDS} s: {list_runs(runs_dir)}")


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    return at.switch_page("app_pages/train.py").run()


def test_start_watch_refuse_a_second_start_and_show_the_finished_run():
    runs_dir = Path(os.environ["FER_RUNS_DIR"])
    at = train_page()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)

    at.selectbox(key="train_arch").set_value("tiny_cnn")
    at.number_input(key="train_epochs").set_value(1)
    at.checkbox(key="train_bfloat16").check()
    at.number_input(key="train_weight_decay").set_value(0.001)
    at.button(key="start_training").click().run()
    assert not at.exception and not at.error
    run = list_runs(runs_dir)[0]
    assert run.config["arch"] == "tiny_cnn" and run.config["epochs"] == 1
    assert run.config["precision"] == "mixed_bfloat16" and run.config["weight_decay"] == 0.001
    assert f"Running: {run.name}" in [s.value for s in at.subheader]  # the live panel found the job

    # A reload, or a second browser, re-attaches to the same job and cannot start another. The job is frozen
    # meanwhile (SIGSTOP), so a fast machine cannot finish it before the second start is tried.
    job_pid = run.status_record["pid"]
    os.kill(job_pid, signal.SIGSTOP)
    try:
        other_browser = train_page()
        assert f"Running: {run.name}" in [s.value for s in other_browser.subheader]
        assert other_browser.button(key="start_training").disabled
        assert any(f"A job is running ({run.name})" in c.value for c in other_browser.caption)
        assert len(list_runs(runs_dir)) == 1
    finally:
        os.kill(job_pid, signal.SIGCONT)

    finished = wait_for_the_job(runs_dir)
    assert finished.status == "finished", finished.message
    at.run()
    assert not at.exception
    assert any("finished" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"].endswith("%")
    assert len(at.dataframe) == 2  # the history table and the opened run's per-class scores

    # The shipped model is Predict's default; "Use for prediction" makes this run's model the one it uses.
    assert at.session_state["model_path"] != str(finished.model_path)
    at.button(key=f"use-{finished.name}").click().run()
    assert at.session_state["model_path"] == str(finished.model_path)
    assert "Predict uses this model." in [s.value for s in at.success]


def test_training_turned_off_hides_start(monkeypatch):
    monkeypatch.setenv("FER_TRAINING", "off")
    at = train_page()
    assert not at.exception
    assert any("turned off" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "start_training"]


def test_a_wrong_password_is_refused(monkeypatch):
    monkeypatch.setenv("FER_TRAINING", "password")
    monkeypatch.setenv("FER_TRAINING_PASSWORD", "open sesame")
    at = train_page()
    at.text_input(key="training_password").input("guess")
    at.button(key="start_training").click().run()
    assert [e.value for e in at.error] == ["That training password is not right."]
    assert list_runs(os.environ["FER_RUNS_DIR"]) == []


def test_an_older_run_can_become_the_model_predict_uses(tiny_model, monkeypatch, tmp_path):
    monkeypatch.setattr("ui.sidebar.SHIPPED_MODEL", tmp_path / "no_shipped_model.keras")
    runs_dir = Path(os.environ["FER_RUNS_DIR"])
    older = install_model_run(runs_dir, "20260101-000000-tiny_cnn", tiny_model, started_at=1)
    newer = install_model_run(runs_dir, "20260102-000000-tiny_cnn", tiny_model, started_at=2)
    at = train_page()
    assert at.session_state["model_path"] == str(newer)  # with no shipped model, the newest run is the default
    at.selectbox(key="open_run").set_value(older.parent.name).run()
    at.button(key=f"use-{older.parent.name}").click().run()
    assert not at.exception
    assert at.session_state["model_path"] == str(older)
    assert "Predict uses this model." in [s.value for s in at.success]


def test_the_expert_settings_sit_in_advanced_with_their_defaults_shown():
    from fer_core.training.config import TrainingConfig

    defaults = TrainingConfig.defaults()
    at = train_page()
    assert not at.exception
    advanced = [e for e in at.expander if e.label.startswith("Advanced")]
    assert len(advanced) == 1
    inside = {w.key: w for w in advanced[0].number_input} | {w.key: w for w in advanced[0].checkbox}
    assert set(inside) == {"train_learning_rate", "train_weight_decay", "train_random_erasing", "train_distill",
                           "train_bfloat16"}
    assert inside["train_learning_rate"].value == defaults.learning_rate
    assert inside["train_weight_decay"].value == defaults.weight_decay
    assert inside["train_random_erasing"].value == defaults.random_erasing
    captions = " ".join(c.value for c in advanced[0].caption)
    assert f"learning rate {defaults.learning_rate:g}" in captions and f"weight decay {defaults.weight_decay:g}" in captions
    # The balancing choice says what it does to the job.
    assert any("not balanced: every training face once" in c.value for c in at.caption)
    at.radio(key="train_balance").set_value("oversample").run()
    assert any("balanced by oversampling" in c.value for c in at.caption)


def fake_running_run(runs_dir: Path) -> Path:
    """A running job's folder whose process is alive: this test's own process stands in for the job."""
    import json

    run = runs_dir / "20261201-000000-tiny_cnn"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"arch": "tiny_cnn", "epochs": 5}))
    (run / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid(), "started_at": time.time()}))
    rows = [{"epoch": e, "loss": 1.5 - e / 10, "accuracy": 0.3 + e / 20, "val_loss": 1.6 - e / 10,
             "val_accuracy": 0.28 + e / 20, "seconds": 3.0} for e in (1, 2)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return run


def test_start_is_disabled_with_a_sentence_while_a_job_runs(monkeypatch, tmp_path):
    runs_dir = tmp_path / "runs"
    run = fake_running_run(runs_dir)
    monkeypatch.setenv("FER_RUNS_DIR", str(runs_dir))
    at = train_page()
    assert not at.exception
    assert at.button(key="start_training").disabled
    assert any(f"A job is running ({run.name}): one job runs at a time" in c.value for c in at.caption)


def test_a_running_jobs_curves_are_drawn_once(monkeypatch, tmp_path):
    """The Running panel draws the job's curves as they grow; the history below opens the same run and says where
    they are instead of drawing them a second time."""
    import json

    runs_dir = tmp_path / "runs"
    run = runs_dir / "20261201-000000-tiny_cnn"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"arch": "tiny_cnn", "epochs": 5}))
    # This test's own process stands in for the job: a running job whose process is alive.
    (run / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid(), "started_at": time.time()}))
    rows = [{"epoch": e, "loss": 1.5 - e / 10, "accuracy": 0.3 + e / 20, "val_loss": 1.6 - e / 10,
             "val_accuracy": 0.28 + e / 20, "seconds": 3.0} for e in (1, 2)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    monkeypatch.setenv("FER_RUNS_DIR", str(runs_dir))
    at = train_page()
    assert not at.exception
    assert f"Running: {run.name}" in [s.value for s in at.subheader]
    assert len(at.get("plotly_chart")) == 1
    assert "Its curves so far are in the Running panel above." in [c.value for c in at.caption]
