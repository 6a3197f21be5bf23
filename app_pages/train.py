"""Train: start a job on the active data, watch it live, and look back at every run.

The job runs in its own process (fer_core.training.jobs); this page only starts it and reads its run folder, so a reload,
a second browser or a restarted server finds the same job."""

from pathlib import Path

import pandas as pd
import streamlit as st

from fer_core.data.balance import BALANCE_IN_WORDS, BALANCE_METHODS, balanced_class_counts
from fer_core.errors import FERError
from fer_core.settings import keep_runs, keras_backend
from fer_core.shipped_models import MODELS_DIR, SHIPPED_MODEL
from fer_core.training import jobs
from fer_core.training.architectures import ARCHITECTURES
from fer_core.training.config import TrainingConfig, cpu_has_bfloat16, resolve_precision
from fer_core.training.devices import ALL_DEVICES, visible_accelerators
from fer_core.training.runs import RunSummary, epochs_text, read_runs
from fer_core.training.transfer import TRANSFER_CHOICES, resolve_transfer
from ui import cached, charts, metric_words, sidebar
from ui.plain_text import plain

DEFAULTS = TrainingConfig.defaults()  # the CLI and the benchmark start from the same job
TRANSFER_EXPECTATION = ("What to expect: a new head on the shipped model's features learns a few classes from 20 "
                        "photos each in seconds on a CPU (docs/measurements.md); the same photos from scratch "
                        "learn next to nothing. Accuracy depends on how different your classes look: check the test "
                        "split's scores below when it ends.")
BATCH_SIZES = [32, 64, 128, 256]
STATUS_BOXES = {"finished": st.success, "stopped": st.warning, "interrupted": st.warning, "failed": st.error}
PHASE_LINES = {"loading": "Loading the data and building the model…",
               "teaching": "The teacher model is labelling the training faces…",
               "features": "Computing the start model's features of each photo, once…",
               "exporting": "Saving the best model and exporting it for serving…",
               "evaluating": "Scoring the model on the test split, as Predict will serve it…",
               "done": "Done."}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def progress_line(progress: dict) -> tuple[float, str]:
    """The bar's fill and its line: the phase the job is in, and the time left for the whole job."""
    phase = progress.get("phase", "training")
    epoch, epochs = progress.get("epoch", 0), progress.get("epochs", 0)
    batch, batches = progress.get("batch", 0), progress.get("batches", 0)
    eta = progress.get("eta_seconds")
    left = f" · about {duration(eta)} left" if eta is not None else ""
    if phase in ("training", "validating") and epochs and batches:
        done = min(((epoch - 1) + batch / batches) / epochs, 1.0)
        if phase == "validating":
            return done, f"Epoch {epoch}/{epochs} · validating on the validation split{left}"
        return done, f"Epoch {epoch}/{epochs} · batch {batch}/{batches}{left}"
    done = 1.0 if phase in ("exporting", "evaluating", "done") else 0.0
    return done, PHASE_LINES.get(phase, PHASE_LINES["loading"]) + left


def job_estimate_line(config: TrainingConfig, settings, runs: list[RunSummary], calibrate: bool,
                      again: bool = False) -> str | None:
    """"About N min on this machine (from …)" for the job the form describes, or None when it cannot be told yet."""
    try:
        _, dataset = sidebar.chosen_dataset(settings)  # the same load, under the same budget, as Explore's
    except FERError:
        return None  # the data's own error is shown where it is chosen
    splits = dataset.splits
    train_labels = dataset.labels[splits.train]
    train_faces = int(balanced_class_counts(train_labels, config.balance, dataset.num_classes).sum()) \
        if config.balance == "oversample" \
        else len(train_labels)
    estimate = jobs.estimate_job(config, train_faces, len(splits.validation), len(splits.test),
                                 settings.runs_dir, calibrate=calibrate, shipped_cards=tuple(cached.shipped_cards()),
                                 photos=jobs.photos_the_job_reads(config.data, dataset), again=again, runs=runs)
    if estimate is None:
        return None
    return (f"About {duration(estimate.seconds)} on this machine for {epochs_text(config.epochs)} of {train_faces:,} faces, "
            f"evaluation included ({estimate.basis}).")


def shipped_card(model_path: Path) -> dict:
    """A shipped model's card (models/NAME.json), where the page's figures of what a job achieved come from."""
    card_path = model_path.with_suffix(".json")
    return cached.model_info(str(model_path), card_path.stat().st_mtime).card if card_path.exists() else {}


def default_job_expectation() -> str:
    """What the default job and the shipped model measured, as their cards recorded it (never typed in here)."""
    default_model = MODELS_DIR / f"{DEFAULTS.arch}.keras"
    default, shipped = shipped_card(default_model), shipped_card(SHIPPED_MODEL)
    measured = ""
    if default.get("wall_clock_seconds") and default.get("evaluation"):
        cores = default.get("hardware", {}).get("cores")
        cores = f"{cores} CPU cores" if cores else "a CPU"
        measured = (f" trained on the full FER2013 in {round(default['wall_clock_seconds'] / 60)} minutes on {cores} "
                    f"and scored {default['evaluation']['accuracy']:.1%} on PublicTest (models/{default_model.stem}.json; "
                    "the README compares it with the `fer` package)")
    figures = f" ({shipped['evaluation']['accuracy']:.1%})" if shipped.get("evaluation") else ""
    epochs = f" for {shipped['epochs_completed']} epochs" if shipped.get("epochs_completed") else ""
    return (f"What to expect: the default job ({DEFAULTS.epochs} epochs of {DEFAULTS.arch}, taught by the shipped "
            f"model){measured}. On the built-in 10% sample it takes a few minutes and scores less: it sees a tenth of "
            "the faces (docs/training_on_cpu.md). A model that learns nothing is marked as such. "
            f"The shipped {SHIPPED_MODEL.stem}{figures} trained{epochs} on a GPU.")


def chance_verdict(evaluation: dict) -> str | None:
    """The sentence a run's evaluation carries when its model is no better than guessing, else None."""
    verdict = evaluation.get("chance_level") or {}
    return verdict.get("reason") if verdict.get("flagged") else None


def config_summary(config: dict) -> str:
    """One readable line for a run's settings (not a dump of its config.json)."""
    precision = {"mixed_bfloat16": "bfloat16 maths", "float32": "float32", "auto": "precision auto"}
    transfer = config.get("transfer", "off")
    start = {"head": f"new head on {Path(config.get('transfer_base', '')).stem}",
             "head_and_last_block": f"new head and last block of {Path(config.get('transfer_base', '')).stem}"}
    parts = [start.get(transfer, config.get("arch", "?") + (" (transfer for own classes)" if transfer == "auto" else "")),
             epochs_text(config.get('epochs', '?')), f"batch {config.get('batch_size', '?')}",
             f"learning rate {config.get('learning_rate', '?')}",
             f"weight decay {config['weight_decay']}" if config.get("weight_decay") else None,
             f"balancing: {BALANCE_METHODS.get(config.get('balance'), config.get('balance'))}",
             "augmented" if config.get("augment", True) else "not augmented",
             f"random erasing {config['random_erasing']:g}" if config.get("random_erasing") else None,
             precision.get(config.get("precision", "float32"), config.get("precision")),
             f"on {config['devices']} devices" if config.get("devices", 1) != 1 else None,
             f"taught by {Path(config['distill_from']).name}" if config.get("distill_from") else None,
             f"started from {Path(config['init_from']).name}" if config.get("init_from") else None,
             "bad rows skipped" if config.get("skip_bad_rows") else None]
    return " · ".join(part for part in parts if part)


def data_line(run: RunSummary) -> str:
    """A run's data as this visitor may see it: an upload by its file name to the session that uploaded it, and to
    other visitors only as an upload (never a server folder, nor another visitor's file name)."""
    if not run.trained_on_upload:
        return run.data_name
    if run.data_path == Path(data_file.path):
        return f"{data_file.label} (your upload)"
    return "a file a visitor uploaded"


def live_job_and_runs(runs_dir, settings, password: str) -> None:
    """The running job and the runs table from one read of the runs folder (read_runs), redrawn every 2 seconds while a
    job runs (the job itself never runs here); with no job nothing polls: an open tab costs the server nothing."""
    runs = read_runs(runs_dir)
    live_job(next((run for run in runs if run.active), None), settings, password)
    st.header("Runs")
    # Live with the job: the table and the opened run follow it too, not only the panel above.
    runs_section(runs, settings, password)


def runs_section(runs: list[RunSummary], settings, password: str) -> None:
    if not runs:
        st.info("No runs yet: start one above, or from a terminal with `python -m fer_core train --data …`.")
        return
    # What tells runs apart comes first, where a narrow window still shows it; the settings follow.
    history = pd.DataFrame([{
        "run": run.name,
        "status": run.status,
        "duration": duration(run.duration_seconds),
        "test accuracy": (run.evaluation or {}).get("accuracy"),
        "best val. accuracy": run.best_val_accuracy,
        "verdict": "no better than chance" if chance_verdict(run.evaluation or {}) else "",
        "architecture": run.config.get("arch"),
        "epochs": f"{run.finished_epochs}/{run.config.get('epochs')}",
        "batch": run.config.get("batch_size"),
        "learning rate": run.config.get("learning_rate"),
        "balancing": run.config.get("balance"),
        "augment": run.config.get("augment"),
    } for run in runs])
    st.dataframe(history, hide_index=True, width="stretch", column_config={
        "best val. accuracy": st.column_config.NumberColumn(format="percent", help=metric_words.VALIDATION_ACCURACY),
        "test accuracy": st.column_config.NumberColumn(format="percent", help=metric_words.TEST_ACCURACY),
    })
    if st.session_state.get("open_run") not in {run.name for run in runs}:
        st.session_state.pop("open_run", None)  # that run was pruned: open the newest
    chosen = st.selectbox("Open a run", [run.name for run in runs], key="open_run")
    show_run(next(run for run in runs if run.name == chosen), settings, password)


def stop_job(run: RunSummary, settings, password: str) -> None:
    try:
        settings.check_training_allowed(password)  # stopping a job needs the same right as starting one
        jobs.stop_training_job(run.run)
    except FERError as error:
        st.toast(plain(error))


def live_job(run: RunSummary | None, settings, password: str) -> None:
    """The Running panel of the active run, or a line saying none runs."""
    if run is None:
        if st.session_state.pop("watched_run", None):
            st.rerun()  # the job this page watched has ended: redraw the history with its result
        st.caption("No training job is running.")
        return
    st.session_state["watched_run"] = run.name
    with st.container(border=True):
        st.subheader(f"Running: {plain(run.name)}")
        done, line = progress_line(run.progress)
        st.progress(done, text=line)
        if run.stop_requested:
            st.caption("Stopping after the current batch; the best model so far is kept…")
        elif settings.training_off_reason is None:
            st.button("Stop", icon=":material/stop:", on_click=stop_job, args=(run, settings, password))
        if run.message:
            st.caption(plain(run.message))
        if epochs := run.epochs:
            st.plotly_chart(charts.training_curves_figure(epochs), key=f"live-{run.name}-{len(epochs)}")


def show_run(run: RunSummary, settings, password: str) -> None:
    status = run.status
    STATUS_BOXES.get(status, st.info)(f"**{status}**: {plain(run.shown_message or 'no message')}")
    config = run.config
    st.caption(plain(config_summary(config)))
    st.caption(plain(f"Data: {data_line(run)}"))
    if run.active:  # the Running panel above draws this job's curves as they grow: not twice
        st.caption("Its curves so far are in the Running panel above.")
    elif epochs := run.epochs:
        st.plotly_chart(charts.training_curves_figure(epochs), key=f"curves-{run.name}")
    evaluation = run.evaluation
    if evaluation:
        if verdict := chance_verdict(evaluation):
            st.warning(plain(verdict), icon=":material/warning:")
        accuracy, top3, f1 = st.columns(3)
        accuracy.metric("Test accuracy", f"{evaluation['accuracy']:.1%}", help=metric_words.TEST_ACCURACY)
        top3.metric("Top-3 accuracy", f"{evaluation['top3_accuracy']:.1%}", help=metric_words.TOP3_ACCURACY)
        f1.metric("Macro F1", f"{evaluation['macro_f1']:.3f}", help=metric_words.MACRO_F1)
        for caveat in evaluation.get("caveats") or []:  # under the figure it qualifies
            st.caption(f":material/warning: {plain(caveat)}")
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
    if run.offers_resume and settings.training_off_reason is None:
        if resume.button("Resume", icon=":material/play_arrow:", key=f"resume-{run.name}"):
            try:
                settings.check_training_allowed(password)
                jobs.resume_training_job(run.run, settings.runs_dir, max_load_mb=settings.max_load_mb)
            except FERError as error:
                st.error(plain(error))
            else:
                st.rerun()


settings = sidebar.hosted_settings()
runs_dir = settings.runs_dir
runs = read_runs(runs_dir)  # this rerun's one read of the runs folder (the panel below reads its own while it polls)
active = next((run for run in runs if run.active), None)

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
    # Plain widgets, not a form: the time estimate below follows every change.
    try:
        class_names = sidebar.chosen_dataset(settings)[1].class_names
    except FERError as error:  # the job would fail on it: say so before Start
        st.error(plain(error))
        class_names = ()
    if class_names:
        st.caption(plain(f"Classes: {', '.join(class_names)} ({len(class_names)})."))
    own_classes = bool(class_names) and resolve_transfer("auto", class_names) != "off"
    starts = [choice for choice in TRANSFER_CHOICES if choice != "auto"]
    transfer = st.radio("Start from", starts, format_func=TRANSFER_CHOICES.get, key="train_transfer",
                        index=starts.index(resolve_transfer("auto", class_names) if class_names else "off"),
                        disabled=not SHIPPED_MODEL.exists(),
                        help="Your own classes learn from the shipped model's features in seconds, the way Teachable "
                             "Machine does; from scratch, tens of photos per class teach a network almost nothing. "
                             "FER2013's own seven train from scratch by default.")
    from_scratch = transfer == "off"
    architecture = st.selectbox("Architecture", list(ARCHITECTURES), format_func=lambda name: ARCHITECTURES[name].label,
                                index=list(ARCHITECTURES).index(DEFAULTS.arch), key="train_arch",
                                disabled=not from_scratch,
                                help="\n\n".join(f"**{a.name}**: {a.description}" for a in ARCHITECTURES.values()))
    epochs_column, batch_column = st.columns(2)
    epochs = epochs_column.number_input("Epochs", min_value=1, max_value=settings.max_epochs,
                                        value=min(DEFAULTS.epochs, settings.max_epochs), key="train_epochs")
    batch_size = batch_column.selectbox("Batch size", BATCH_SIZES, index=BATCH_SIZES.index(DEFAULTS.batch_size),
                                        key="train_batch_size")
    devices = DEFAULTS.devices
    if (accelerators := visible_accelerators()) > 1:  # a CPU, or one GPU, has nothing to choose
        if keras_backend() == "jax":
            counts = [count for count in range(1, accelerators + 1) if int(batch_size) % count == 0]
            devices = st.selectbox("GPUs", counts, index=0, key="train_devices",
                                   format_func=lambda count: f"{count} of {accelerators}",
                                   help=f"Data-parallel: each GPU trains on its share of every batch of {batch_size} "
                                        "faces, so the training is the same and each epoch faster (docs/scale.md).")
            devices = ALL_DEVICES if devices == accelerators else devices
        else:
            st.caption(f"This server has {accelerators} GPUs; a job trains on one of them unless the app runs Keras "
                       "on JAX (KERAS_BACKEND=jax: docs/scale.md).")
    balance = st.radio("Balancing", list(BALANCE_METHODS), format_func=BALANCE_METHODS.get, horizontal=True,
                       index=list(BALANCE_METHODS).index(DEFAULTS.balance), key="train_balance",
                       help="Oversample is the notebook's RandomOverSampler (training split only): every class "
                            "grows to the largest, so an epoch is longer (for FER2013: docs/training_on_cpu.md). Class "
                            "weights count rare faces more at no cost in time. None trains on the data as it is (most "
                            "accurate).")
    st.caption(f"Balancing evens out how much each class weighs in training. With this choice the job is "
               f"{BALANCE_IN_WORDS[balance]}; validation and test faces are never changed.")
    augment = st.checkbox("Augment: random flips, shifts and rotations of the training faces", value=DEFAULTS.augment,
                          key="train_augment")
    teacher_available = SHIPPED_MODEL.exists()
    distill = fast_maths = False  # a new head trains in float32 and has no teacher: the shipped model is its start
    advanced = st.expander("Advanced: learning rate, weight decay, random erasing, distillation, precision")
    advanced.caption(f"The defaults are the recipe's (the CLI's too): learning rate {DEFAULTS.learning_rate:g}, "
                     f"weight decay {DEFAULTS.weight_decay:g}, "
                     + ("distillation from the shipped model, " if DEFAULTS.distill_from else "no distillation, ")
                     + f"precision {DEFAULTS.precision} (bfloat16 maths where the CPU has it). Leave them unless you "
                     "know why.")
    rate_column, decay_column = advanced.columns(2)
    learning_rate = rate_column.number_input("Learning rate", min_value=1e-5, max_value=1.0,
                                             value=DEFAULTS.learning_rate, step=1e-4, format="%.4f",
                                             key="train_learning_rate",
                                             help=f"How big each step of learning is (default {DEFAULTS.learning_rate:g}); "
                                                  "it shrinks along a cosine over the epochs.")
    weight_decay = decay_column.number_input("Weight decay", min_value=0.0, max_value=0.1,
                                             value=DEFAULTS.weight_decay, step=1e-4, format="%.4f",
                                             key="train_weight_decay",
                                             help=f"Pulls every weight a little towards 0 each step, against "
                                                  f"overfitting (AdamW; default {DEFAULTS.weight_decay:g}, 0 is plain Adam).")
    if not (from_scratch and not own_classes):
        advanced.caption("A new head on the shipped model trains in float32 with no teacher: distillation and "
                         "bfloat16 maths are for training FER2013 from scratch.")
    if from_scratch and not own_classes:  # a teacher of FER2013's classes cannot teach your own
        distill = advanced.checkbox(
            "Learn from the shipped model (knowledge distillation)", value=teacher_available and bool(DEFAULTS.distill_from),
            disabled=not teacher_available, key="train_distill",
            help="The shipped fer_studio model's view of each training face softens its label: a small network learns "
                 f"more in {DEFAULTS.epochs} epochs this way. Used only where it agrees with the data's labels.")
    random_erasing = DEFAULTS.random_erasing
    if from_scratch:
        random_erasing = advanced.number_input(
            "Random erasing (share of training faces)", min_value=0.0, max_value=1.0, value=DEFAULTS.random_erasing,
            step=0.05, format="%.2f", key="train_random_erasing", disabled=not augment,
            help=f"This share of the augmented training faces also gets a rectangle of noise over part of the face, as "
                 f"a hand or a scarf covers one (default {DEFAULTS.random_erasing:g}: off; what it buys on covered "
                 "faces is measured in docs/training_on_cpu.md).")
        fast_maths = advanced.checkbox(
            "bfloat16 maths (mixed precision)", value=resolve_precision(DEFAULTS.precision) == "mixed_bfloat16",
            key="train_bfloat16",
            help="Faster on CPUs with bfloat16 instructions"
                 + (" (this server's CPU has them, so it is on by default)" if cpu_has_bfloat16()
                    else " (this server's CPU lacks them: slower here)")
                 + "; weights stay float32 and the saved model is float32.")
    config = TrainingConfig(data=data_file.path, arch=architecture, epochs=int(epochs), batch_size=int(batch_size),
                            learning_rate=float(learning_rate), weight_decay=float(weight_decay), balance=balance,
                            augment=augment, random_erasing=float(random_erasing) if augment else 0.0,
                            skip_bad_rows=data_file.skip_bad_rows,
                            precision="mixed_bfloat16" if fast_maths else "float32",
                            distill_from=str(SHIPPED_MODEL) if distill and teacher_available else None,
                            transfer=transfer, devices=devices)

    estimate_slot = st.empty()
    line = job_estimate_line(config, settings, runs, calibrate=False)
    what = architecture if from_scratch else "the new head"
    if line:
        estimate_slot.caption(line)
    if active is None and \
            st.button("Time it on this machine now" if line else "Estimate the time on this machine",
                      icon=":material/timer:", key="estimate_time",
                      help=f"Times a few training batches of {what} as this machine is now (seconds); the "
                           "estimate is the median of this and the earlier timings."):
        with st.spinner(f"Timing a few training batches of {what} on this machine…"):
            line = job_estimate_line(config, settings, runs, calibrate=True, again=True)
        estimate_slot.caption(line or "Could not time the training here; the ETA appears once the job runs.")
    st.caption(TRANSFER_EXPECTATION if not from_scratch else default_job_expectation())
    start = st.button("Start training", type="primary", icon=":material/play_arrow:", key="start_training",
                      disabled=active is not None)
    if active is not None:
        st.caption(plain(f"A job is running ({active.name}): one job runs at a time, so Start comes back once "
                         "it ends or you stop it below."))
    if start:
        try:
            settings.check_training_allowed(password)
            settings.check_epochs(int(epochs))
            run = jobs.start_training_job(config, runs_dir, max_load_mb=settings.max_load_mb)
        except FERError as error:
            st.error(plain(error))
        else:
            st.toast(plain(f"Started {run.name}."))
            if pruned := run.status_record.get("pruned_runs"):
                st.info(plain(f"To keep the last {keep_runs()} runs (FER_KEEP_RUNS), the oldest were removed: "
                              f"{', '.join(pruned)}. Runs younger than a day, and runs chosen for prediction, are kept."))
            st.session_state["open_run"] = run.name  # the history below opens the job just started
            active = run.summary()  # it says "starting" with its pid already: the panel below watches it from now

st.fragment(live_job_and_runs, run_every=2 if active else None)(runs_dir, settings, password)
