"""The sidebar every page shares: which data, which model. Session state keeps what the user chose (a source, a
path, a flag, a model path); pages turn that choice into data with chosen_data_file() and chosen_model()."""

from __future__ import annotations

import re
import secrets
import uuid
from pathlib import Path
from typing import NamedTuple

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from fer_core.data import collected_classes
from fer_core.data.collected_classes import CollectedClasses
from fer_core.data.dataset import DATA_FILE_SUFFIXES
from fer_core.data.fer2013 import CLASS_NAMES as FER2013_CLASSES
from fer_core.data.sampling import BUILT_IN_SAMPLE
from fer_core.data.splits import HELD_OUT_FROM_CLASS_SIZE
from fer_core.errors import CollectionError, DataError, FERError, UploadTooLarge
from fer_core.settings import AppSettings, load_settings
from fer_core.shipped_models import MODELS_DIR, SEED_MODEL, SHIPPED_MODEL
from fer_core.training.runs import TrainingRun, list_runs, uploads_dir, uploads_needed
from ui import cached
from ui.cached import ModelFile
from ui.pages import COLLECT, TRAIN
from ui.plain_text import plain

CPU_JOB_MODEL = MODELS_DIR / "fer_fast.keras"  # what the Train page's default job makes on 2 CPU cores

SOURCE_LABELS = {"sample": "Built-in sample (10% of FER2013)", "upload": "Upload a file", "server": "A path on the server",
                 "camera": "Classes from your camera"}
CAMERA_LABEL = "your classes from the camera"
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in DATA_FILE_SUFFIXES]


class DataFile(NamedTuple):
    """The chosen data as a file on the server: what the caches and a training job are keyed on."""

    path: str
    skip_bad_rows: bool
    modified: float
    label: str


def hosted_settings() -> AppSettings:
    """Settings from the environment, overridden by st.secrets where the host has any; built once per rerun, which
    the app's sidebar and the page share."""
    return _once_per_rerun("settings", _settings_from_secrets)


def _settings_from_secrets() -> AppSettings:
    try:
        secrets = st.secrets.to_dict()
    except FileNotFoundError:  # no secrets.toml: a local run
        secrets = {}
    return load_settings(secrets)


def _once_per_rerun(name: str, build):
    """build()'s value, made once per script run and shared by the app's sidebar and the page it runs; a run is known
    by its context's cursors, which Streamlit makes anew for every run. Outside a run (a test), built every call."""
    context = get_script_run_ctx()
    run = getattr(context, "cursors", None)  # Streamlit's own, not public: without it, build every call
    if run is None:
        return build()
    made = context.__dict__.setdefault("_fer_studio_once_per_rerun", {})
    if name in made and made[name][0] is run:
        return made[name][1]
    value = build()
    made[name] = (run, value)
    return value


def data_source_picker(settings: AppSettings) -> None:
    with st.sidebar:
        st.header("Data")
        sources = [s for s in SOURCE_LABELS if s != "server" or settings.server_paths]
        if st.session_state.get("data_source") not in sources:
            st.session_state.pop("data_source", None)
        source = st.radio("Data source", sources, format_func=SOURCE_LABELS.get, key="data_source")
        if source == "upload":
            st.file_uploader("FER2013 (.csv, .csv.gz, .zip, .tar.gz), or photos in one folder per class", type=UPLOAD_TYPES,
                             key="data_upload", max_upload_size=settings.max_upload_mb)
            st.caption(settings.upload_limit_line)
        elif source == "camera":
            counts = session_collection(settings).counts()
            st.caption(plain(", ".join(f"{name}: {count}" for name, count in counts.items()) or "No classes yet."))
            st.page_link(COLLECT.path, label="Collect photos", icon=COLLECT.icon)
        elif source == "server":
            st.text_input("Path on the server", key="data_path", placeholder=str(settings.data_dirs[0] / "fer2013.csv"),
                          help="A FER2013 file or folder inside " + ", ".join(str(d) for d in settings.data_dirs))
        st.checkbox("Skip bad rows", key="skip_bad_rows",
                    help="Drop rows that are not a valid 48×48 face, and count them, instead of refusing the file.")


def chosen_data_file(settings: AppSettings) -> DataFile:
    """The data the sidebar points at, as a file on the server; DataError says what is missing or wrong."""
    source = st.session_state.get("data_source", "sample")
    skip = bool(st.session_state.get("skip_bad_rows", False))
    if source == "upload":
        upload = st.session_state.get("data_upload")
        if upload is None:
            # Also what the page says after the browser refused a file for its size: Python never sees that file.
            raise DataError(f"Upload a FER2013 file in the sidebar, or choose the built-in sample. "
                            f"{settings.upload_limit_line}")
        settings.check_data_upload(upload.size, upload.name)  # the bytes the server received, whatever the browser said
        path = cached.saved_upload(upload, uploads_dir(settings.runs_dir), settings.uploads_mb * 1_000_000)
        label = upload.name
    elif source == "server":
        typed = (st.session_state.get("data_path") or "").strip()
        if settings.server_paths and not typed:
            raise DataError("Type the path of a FER2013 file or folder on the server in the sidebar.")
        path = settings.server_path(typed)
        label = str(path)
    elif source == "camera":
        collection = session_collection(settings)
        if reason := collection.not_ready_reason():
            raise CollectionError(f"Your classes from the camera cannot train yet. {reason} Photos are taken on "
                                  f"the {COLLECT.title} page.")
        return DataFile(str(collection.folder), skip, collection.modified(), CAMERA_LABEL)
    else:
        path, label = BUILT_IN_SAMPLE, "the built-in sample (10% of FER2013)"
    return DataFile(str(path), skip, path.stat().st_mtime, label)


def session_collection(settings: AppSettings) -> CollectedClasses:
    """This session's classes from the camera (the Collect page's), kept in the uploads store beside the runs under
    the browser session's id, so that they can be deleted once that session has ended."""
    if "collection_id" not in st.session_state:
        context = get_script_run_ctx()
        session_hex = context.session_id.replace("-", "") if context else ""
        st.session_state["collection_id"] = session_hex if re.fullmatch("[0-9a-f]{32}", session_hex) \
            else secrets.token_hex(8)
    session_id = st.session_state["collection_id"]
    return CollectedClasses(uploads_dir(settings.runs_dir), session_id, store_max_bytes=settings.uploads_mb * 1_000_000,
                            needed=lambda: uploads_needed(settings.runs_dir))


def forget_ended_collections(settings: AppSettings) -> None:
    """Delete other sessions' classes from the camera once their session has ended (and an hour has passed)."""
    from streamlit import runtime

    if not runtime.exists():
        return
    server = runtime.get_instance()
    collected_classes.forget_ended_collections(
        uploads_dir(settings.runs_dir),
        lambda session: len(session) == 32 and server.is_active_session(str(uuid.UUID(session))),
        needed=uploads_needed(settings.runs_dir))


def use_collection() -> None:
    """Button callback: make this session's classes from the camera the data every page reads (the sidebar's choice)."""
    st.session_state["data_source"] = "camera"


def chosen_dataset(settings: AppSettings):
    """The chosen data file and its dataset (loaded once, cached); DataError says what is missing or wrong."""
    data_file = chosen_data_file(settings)
    try:
        dataset = cached.load_dataset(data_file.path, data_file.skip_bad_rows, data_file.modified, settings.max_load_mb)
    except OSError as exc:  # a folder inside a server folder the app may not open, say: a sentence, not a traceback
        raise DataError(f"{data_file.label} could not be read on the server ({exc.strerror or exc}).") from None
    if problem := too_few_to_validate(dataset, data_file.label):
        raise DataError(problem)
    return data_file, dataset


def too_few_to_validate(dataset, label: str) -> str | None:
    """Why your own classes cannot train, said where they are chosen: photos split here hold a validation and a
    test face out of a class only from HELD_OUT_FROM_CLASS_SIZE photos on, and a job needs validation faces."""
    if dataset.class_names == FER2013_CLASSES or len(dataset.splits.validation) or not len(dataset):
        return None
    counts = np.bincount(dataset.labels, minlength=dataset.num_classes)
    largest = int(np.argmax(counts))
    return (f"{label}: no class has enough photos to hold some out for validation: a class needs at least "
            f"{HELD_OUT_FROM_CLASS_SIZE} photos with a face (one to validate on, one to test on), and the largest "
            f"here, {dataset.class_names[largest]}, has {counts[largest]}. Add photos so that each class has at "
            f"least {HELD_OUT_FROM_CLASS_SIZE}.")


def bad_rows_hint(error: FERError) -> str | None:
    """What to try after a DataError, when skipping bad rows is still off and rows are what is wrong."""
    if st.session_state.get("skip_bad_rows") or isinstance(error, (UploadTooLarge, CollectionError)) or \
            st.session_state.get("data_source") == "upload" and st.session_state.get("data_upload") is None:
        return None
    return "If the file is mostly good, tick “Skip bad rows” in the sidebar to drop the rows that are not faces."


def model_choices(settings: AppSettings) -> dict[str, str]:
    """Model path → label: the shipped model first (the default), then every run that produced a model, newest first,
    then what the default job makes on a CPU and the notebook's baseline, there to compare with and never the
    default while anything else exists. The runs folder is scanned once per rerun."""
    return _once_per_rerun("model_choices", lambda: _model_choices(settings))


def _model_choices(settings: AppSettings) -> dict[str, str]:
    choices = {}
    if SHIPPED_MODEL.exists():
        choices[str(SHIPPED_MODEL)] = "Shipped model (fer_studio)"
    for run in list_runs(settings.runs_dir):
        if run.model_path is not None:
            evaluation = run.evaluation() or {}
            accuracy = evaluation.get("accuracy")
            score = f" · {accuracy:.0%}" if accuracy is not None else ""
            if (evaluation.get("chance_level") or {}).get("flagged"):
                score += " · no better than chance"
            names = evaluation.get("class_names") or []
            classes = f" · {', '.join(names)}" if names and tuple(names) != FER2013_CLASSES else ""
            choices[str(run.model_path)] = f"Run {run.name}{score}{classes}"
    if CPU_JOB_MODEL.exists():
        choices[str(CPU_JOB_MODEL)] = "The default job's model (fer_fast, 2 CPU cores)"
    if SEED_MODEL.exists():
        choices[str(SEED_MODEL)] = "Notebook baseline (seed_cnn)"
    return choices


def model_picker(settings: AppSettings) -> None:
    choices = model_choices(settings)
    with st.sidebar:
        st.header("Model")
        if not choices:
            st.caption("No model yet: train one on the Train page.")
            return
        if st.session_state.get("model_path") not in choices:
            gone = st.session_state.pop("model_path", None)  # its run was deleted: fall back to the first choice
            if gone:
                st.warning(plain(f"The model you chose ({Path(gone).parent.name}) is no longer on the server; "
                                 f"Predict now uses the {choices[next(iter(choices))]}."))
        chosen = st.selectbox("Model for prediction", list(choices), format_func=choices.get, key="model_path")
    if Path(chosen).parent.parent.resolve() == settings.runs_dir.resolve():
        TrainingRun(Path(chosen).parent).mark_in_use()  # pruning spares a run some session predicts with


def chosen_model_path() -> Path | None:
    value = st.session_state.get("model_path")
    return Path(value) if value and Path(value).exists() else None


def chosen_model(settings: AppSettings) -> ModelFile | None:
    """The model the sidebar points at, with its label and its contract and card (read once per model version);
    None when there is none. ModelError when its NAME.json is missing or unreadable."""
    path = chosen_model_path()
    return None if path is None else model_file(path, model_choices(settings).get(str(path), path.name))


def chosen_model_or_stop(settings: AppSettings) -> ModelFile:
    """The chosen model; with none, the page says how to get one and stops."""
    model = chosen_model(settings)
    if model is None:
        _stop_without_a_model()
    return model


def chosen_model_path_or_stop() -> Path:
    """The chosen model's path (the Video page's); with none, the page says how to get one and stops."""
    model_path = chosen_model_path()
    if model_path is None:
        _stop_without_a_model()
    return model_path


def _stop_without_a_model() -> None:
    st.info("There is no model to predict with yet. The shipped model appears once it is installed in models/; "
            "until then train one on the Train page (the default, fer_fast, takes minutes on 2 CPU cores).")
    st.page_link(TRAIN.path, label="Train a model", icon=TRAIN.icon)
    st.stop()


def model_file(path: Path, label: str) -> ModelFile:
    """The model at `path` as the caches take it; its NAME.json is read once per version (ModelError if it cannot be)."""
    modified = path.stat().st_mtime
    return ModelFile(str(path), modified, label, cached.model_info(str(path), modified))


def use_model(path: str) -> None:
    """Button callback: make `path` the model Predict uses. The sidebar's picker holds that choice (its key), and the
    whole app reruns so the picker shows it: a click in a fragment reruns only the fragment, and the browser would
    send the picker's old value back on the next page."""
    st.session_state["model_path"] = path
    st.rerun(scope="app")
