"""Train: start a job on the active data, watch it live, and look back at every run.

The job runs in its own process (fer_core.jobs); this page only starts it and reads its run folder, so a reload,
a second browser or a restarted server finds the same job."""

import time

import pandas as pd
import streamlit as st

from fer_core import jobs
from fer_core.balance import BALANCE_METHODS
from fer_core.errors import FERError
from fer_core.models import ARCHITECTURES, DEFAULT_ARCHITECTURE
from fer_core.runs import TrainingRun, list_runs
from fer_core.training_config import TrainingConfig, cpu_has_bfloat16
from ui import charts, sidebar
from ui.plain_text import plain

ARCHITECTURE_LABELS = {"fer_vgg": "fer_vgg: compact VGG with batch norm (best)",
                       "seed_cnn": "seed_cnn: the original notebook's CNN",
                       "tiny_cnn": "tiny_cnn: a smoke test, trains in seconds"}
BALANCE_LABELS = {"oversample": "oversample", "class_weight": "class weights", "none": "none"}
BATCH_SIZES = [32, 64, 128, 256]
STATUS_BOXES = {"finished": st.success, "stopped": st.warning, "interrupted": st.warning, "failed": st.error}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def progress_line(progress: dict) -> tuple[float, str]:
    epoch, epochs = progress.get("epoch", 0), progress.get("epochs", 0)
    batch, batches = progress.get("batch", 0), progress.get("batches", 0)
    if not epochs or not batches:
        return 0.0, "Loading the data and building the model…"
    done = min(((epoch - 1) + batch / batches) / epochs, 1.0)
    return done, f"Epoch {epoch}/{epochs} · batch {batch}/{batches} · about {duration(progress.get('eta_seconds'))} left"


def stop_job(run: TrainingRun, settings, password: str) -> None:
    try:
        settings.check_training_allowed(password)  # stopping a job needs the same right as starting one
        jobs.stop_training_job(run)
    except FERError as error:
        st.toast(plain(error))


@st.fragment(run_every=2)
def live_job(runs_dir, settings, password: str) -> None:
    """Re-reads the run folder every 2 seconds; the job itself never runs here."""
    run = jobs.active_run(runs_dir)
    if run is None:
        if st.session_state.pop("watched_run", None):
            st.rerun()  # the job this page watched has ended: redraw the history with its result
        st.caption("No training job is running.")
        return
    st.session_state["watched_run"] = run.name
    with st.container(border=True):
        st.subheader(f"Running: {run.name}")
        done, line = progress_line(run.progress())
        st.progress(done, text=line)
        if run.stop_requested:
            st.caption("Stopping after the current batch; the best model so far is kept…")
        elif settings.training_off_reason is None:
            st.button("Stop", icon=":material/stop:", on_click=stop_job, args=(run, settings, password))
        if run.message:
            st.caption(plain(run.message))
        if epochs := run.epochs():
            st.plotly_chart(charts.training_curves_figure(epochs), key=f"live-{run.name}-{len(epochs)}")


def show_run(run: TrainingRun, settings, password: str) -> None:
    status = run.status
    STATUS_BOXES.get(status, st.info)(f"**{status}**: {plain(run.message or 'no message')}")
    config = run.config
    st.caption(plain(" · ".join(f"{k} {v}" for k, v in config.items() if k != "data")
                     + f" · data {config.get('data', '?')}"))
    if epochs := run.epochs():
        st.plotly_chart(charts.training_curves_figure(epochs), key=f"curves-{run.name}")
    evaluation = run.evaluation()
    if evaluation:
        accuracy, top3, f1 = st.columns(3)
        accuracy.metric("Test accuracy", f"{evaluation['accuracy']:.1%}")
        top3.metric("Top-3 accuracy", f"{evaluation['top3_accuracy']:.1%}")
        f1.metric("Macro F1", f"{evaluation['macro_f1']:.3f}")
        for note in evaluation.get("split_notes") or []:
            st.caption(plain(note))
        matrix_column, table_column = st.columns([3, 2])
        matrix_column.plotly_chart(charts.confusion_matrix_figure(evaluation["confusion_matrix"],
                                                                  evaluation["class_names"]))
        per_class = pd.DataFrame(evaluation["per_class"]).T.rename_axis("class").reset_index()
        table_column.dataframe(per_class, hide_index=True, column_config={
            "precision": st.column_config.NumberColumn(format="%.2f"),
            "recall": st.column_config.NumberColumn(format="%.2f"),
            "f1": st.column_config.NumberColumn(format="%.2f"),
            "support": st.column_config.NumberColumn(format="%d"),
        })

    download, use, resume = st.columns(3)
    if run.model_path is not None:
        model_path = run.model_path
        download.download_button("Download model.keras", data=model_path.read_bytes,  # read only when clicked
                                 file_name=f"{run.name}.keras", mime="application/octet-stream",
                                 icon=":material/download:")
        if st.session_state.get("model_path") == str(model_path):
            use.success("Predict uses this model.")
        else:
            use.button("Use for prediction", icon=":material/mood:", on_click=sidebar.use_model,
                       args=(str(model_path),), key=f"use-{run.name}")
    if status in ("stopped", "interrupted") and (run.path / "checkpoint.json").exists() \
            and settings.training_off_reason is None:
        if resume.button("Resume", icon=":material/play_arrow:", key=f"resume-{run.name}"):
            try:
                settings.check_training_allowed(password)
                jobs.resume_training_job(run, settings.runs_dir)
            except FERError as error:
                st.error(plain(error))
            else:
                st.rerun()


settings = sidebar.hosted_settings()
runs_dir = settings.runs_dir

st.title("Train a model")
try:
    data_file = sidebar.chosen_data_file(settings)
except FERError as error:
    st.error(plain(error))
    st.stop()
st.markdown(f"Training data: **{plain(data_file.label)}**" + (" (bad rows skipped)" if data_file.skip_bad_rows else ""))

password = ""
if reason := settings.training_off_reason:
    st.info(reason)
else:
    if settings.needs_password:
        password = st.text_input("Training password", type="password", key="training_password")
    with st.form("training_settings"):
        architecture = st.selectbox("Architecture", list(ARCHITECTURES), format_func=ARCHITECTURE_LABELS.get,
                                    index=list(ARCHITECTURES).index(DEFAULT_ARCHITECTURE), key="train_arch")
        epochs_column, batch_column, rate_column = st.columns(3)
        epochs = epochs_column.number_input("Epochs", min_value=1, max_value=settings.max_epochs,
                                            value=min(30, settings.max_epochs), key="train_epochs")
        batch_size = batch_column.selectbox("Batch size", BATCH_SIZES, index=BATCH_SIZES.index(64), key="train_batch_size")
        learning_rate = rate_column.number_input("Learning rate", min_value=1e-5, max_value=1.0, value=1e-3,
                                                 step=1e-4, format="%.4f", key="train_learning_rate")
        balance = st.radio("Balancing", BALANCE_METHODS, format_func=BALANCE_LABELS.get, horizontal=True,
                           key="train_balance")
        augment = st.checkbox("Augment: random flips, shifts and rotations of the training faces", value=True,
                              key="train_augment")
        fast_maths = st.checkbox(
            "bfloat16 maths (mixed precision)", value=False, key="train_bfloat16",
            help="About 1.4× faster per epoch on CPUs with bfloat16 instructions"
                 + (" (this server's CPU has them)" if cpu_has_bfloat16() else " (this server's CPU lacks them: slower here)")
                 + "; weights stay float32 and the saved model is float32.")
        start = st.form_submit_button("Start training", type="primary", icon=":material/play_arrow:",
                                      key="start_training")
    if start:
        try:
            settings.check_training_allowed(password)
            settings.check_epochs(int(epochs))
            config = TrainingConfig(data=data_file.path, arch=architecture, epochs=int(epochs),
                                    batch_size=int(batch_size), learning_rate=float(learning_rate), balance=balance,
                                    augment=augment, skip_bad_rows=data_file.skip_bad_rows,
                                    precision="mixed_bfloat16" if fast_maths else "float32")
            run = jobs.start_training_job(config, runs_dir)
        except FERError as error:
            st.error(plain(error))
        else:
            st.toast(f"Started {run.name}.")
            if pruned := run.status_record.get("pruned_runs"):
                st.info(plain(f"To keep the last {jobs.DEFAULT_KEEP_RUNS} runs (FER_KEEP_RUNS), the oldest were removed: "
                              f"{', '.join(pruned)}. Runs younger than a day, and runs chosen for prediction, are kept."))
            st.session_state["open_run"] = run.name  # the history below opens the job just started
            time.sleep(0.5)  # let the job write its first status before the live panel reads it

live_job(runs_dir, settings, password)

st.header("Runs")
runs = list_runs(runs_dir)
if not runs:
    st.info("No runs yet: start one above, or from a terminal with `python -m fer_core train --data …`.")
    st.stop()
history = pd.DataFrame([{
    "run": run.name,
    "status": run.status,
    "architecture": run.config.get("arch"),
    "epochs": f"{len(run.epochs())}/{run.config.get('epochs')}",
    "batch": run.config.get("batch_size"),
    "learning rate": run.config.get("learning_rate"),
    "balancing": run.config.get("balance"),
    "augment": run.config.get("augment"),
    "best val. accuracy": run.best_val_accuracy,
    "test accuracy": (run.evaluation() or {}).get("accuracy"),
    "duration": duration(run.duration_seconds),
} for run in runs])
st.dataframe(history, hide_index=True, column_config={
    "best val. accuracy": st.column_config.NumberColumn(format="percent"),
    "test accuracy": st.column_config.NumberColumn(format="percent"),
})
if st.session_state.get("open_run") not in {run.name for run in runs}:
    st.session_state.pop("open_run", None)  # that run was pruned: open the newest
chosen = st.selectbox("Open a run", [run.name for run in runs], key="open_run")
show_run(TrainingRun(runs_dir / chosen), settings, password)
