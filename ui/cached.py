"""Every slow fer_core call the pages make, wrapped once in a Streamlit cache. Arguments are plain keys (a path,
its modification time, a flag, a photo's digest) or a chosen ModelFile keyed on its path and modification time, so a
changed file is read again and an unchanged one never is."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import streamlit as st
from PIL import Image

from fer_core.data import quality
from fer_core.data.dataset import FERDataset, load_fer2013
from fer_core.prediction.model_contract import ModelInfo, read_model_info
from fer_core.settings import DEFAULT_MAX_LOAD_MB
from fer_core.shipped_models import MODELS_DIR


# cache_resource, not cache_data: the face arrays are shared read-only, not copied into every session.
# Two entries: the built-in sample and one file of the user's.
@st.cache_resource(max_entries=2, show_spinner="Reading the data…")
def load_dataset(path: str, skip_bad_rows: bool, modified: float, _max_load_mb: int = DEFAULT_MAX_LOAD_MB) -> FERDataset:
    """The dataset; _max_load_mb (FER_MAX_LOAD_MB) is left out of the key, so the pages below share one entry.
    Every session gets this one object, so its arrays are made read-only: a page that wrote into them would change
    every other visitor's data; the pages only read them and index copies out of them."""
    dataset = load_fer2013(path, skip_bad_rows=skip_bad_rows, max_load_mb=_max_load_mb, inside=_server_folder_of(path))
    for array in (dataset.images, dataset.labels, dataset.usage):
        array.setflags(write=False)
    return dataset


def _server_folder_of(path: str) -> tuple[Path, ...]:
    """The FER_DATA_DIRS folder a typed server path was checked to lie in, so the load checks the file it opens
    against it too; () for an upload or the built-in sample."""
    from ui.sidebar import hosted_settings  # the sidebar imports this module

    folders = tuple(folder.resolve() for folder in hosted_settings().data_dirs)
    return tuple(folder for folder in folders if Path(path).resolve().is_relative_to(folder))


@st.cache_data(max_entries=4, show_spinner="Looking for duplicate and blank faces…")
def data_quality(path: str, skip_bad_rows: bool, modified: float) -> quality.QualityReport:
    return quality.data_quality(load_dataset(path, skip_bad_rows, modified))


@st.cache_data(max_entries=4)
def class_mean_faces(path: str, skip_bad_rows: bool, modified: float) -> np.ndarray:
    dataset = load_dataset(path, skip_bad_rows, modified)
    return quality.class_mean_faces(dataset.images, dataset.labels, dataset.num_classes)


@st.cache_data(max_entries=4)
def pixel_histogram(path: str, skip_bad_rows: bool, modified: float) -> np.ndarray:
    return quality.pixel_histogram(load_dataset(path, skip_bad_rows, modified).images)


class ModelFile(NamedTuple):
    """The chosen model, made once per rerun by the sidebar and passed on whole: the caches are keyed on its path and
    modification time (a model rewritten in place is read again), `label` is what the sidebar calls it and `info` its
    contract and card, read from NAME.json once."""

    path: str
    modified: float
    label: str
    info: ModelInfo

    @property
    def card(self) -> dict:
        return self.info.card


# A ModelFile is keyed on its plain fields: the same model under another label (the Home page's example) is one entry.
BY_MODEL_FILE = {ModelFile: lambda model: (model.path, model.modified)}


@st.cache_data(max_entries=32)
def model_info(model_path: str, modified: float) -> ModelInfo:
    """A model's contract and card (architecture, epochs, evaluation…); raises ModelError when unreadable."""
    return read_model_info(model_path)


@st.cache_resource(max_entries=2, show_spinner="Loading the model…", hash_funcs=BY_MODEL_FILE)
def load_predictor(model: ModelFile):
    # Imported here: OpenCV and LiteRT load with the first predictor (the Home page's example), not with the sidebar.
    from fer_core.prediction.predictor import Predictor

    return Predictor(model.path, model.info)


def photo_digest(photo: bytes) -> str:
    """What a photo is known by (its bytes' SHA-256): the key of its prediction, and of the photos to classify whole."""
    return hashlib.sha256(photo).hexdigest()


@st.cache_data(max_entries=64, show_spinner="Finding the faces…", hash_funcs=BY_MODEL_FILE)
def predict_photo(model: ModelFile, digest: str, _image: Image.Image, whole_image_if_no_face: bool):
    """Predictor.predict's result (faces with box, top-3, probabilities, crop) for a photo already decoded by
    load_image, keyed on its bytes' photo_digest."""
    return load_predictor(model).predict(_image, top_k=3, whole_image_if_no_face=whole_image_if_no_face)


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=BY_MODEL_FILE)
def saliency_overlay(model: ModelFile, crop: np.ndarray, class_index: int) -> np.ndarray:
    """The crop tinted where hiding it lowers class `class_index`'s probability most (RGB uint8, the crop's size)."""
    from fer_core.prediction.saliency import overlay, saliency_map

    return overlay(crop, saliency_map(load_predictor(model).classifier, crop, class_index))


@st.cache_data(max_entries=16, show_spinner="Reading the upload…")
def upload_digest(file_id: str, _upload) -> str:
    # getvalue, not getbuffer: an UploadedFile shares Streamlit's bytes until a buffer is exported, and getbuffer
    # would copy the whole upload (301 MB for Kaggle's CSV) and keep the copy as long as the upload is held.
    return hashlib.sha1(_upload.getvalue()).hexdigest()


def saved_upload(upload, uploads_dir: Path, max_bytes: int) -> Path:
    """The path of an uploaded file once saved on the server, so that a training job, which runs in another process,
    can read it: UPLOADS/<digest>/<the user's file name>, so every message names the file as the user knows it.
    The folder keeps at most max_bytes, the uploads used longest ago evicted first, those a stopped or running
    training run needs last."""
    from fer_core.atomic import write_bytes_atomically
    from fer_core.bounded_store import evict_oldest
    from fer_core.training.runs import uploads_needed

    folder = Path(uploads_dir) / upload_digest(upload.file_id, upload)[:16]
    name = re.sub(r"[^\w.\-() ]+", "_", Path(upload.name).name).strip(". ")[:120] or "upload.csv"
    path = folder / name
    if not path.exists():
        write_bytes_atomically(path, upload.getvalue())
        for needed in uploads_needed(Path(uploads_dir).parent):
            _touch(needed)  # as if used now: evicted only once every other upload is gone
        evict_oldest(uploads_dir, max_bytes, keep=folder)
    else:
        os.utime(folder)  # used now: evicted last
    return path


def _touch(folder: Path) -> None:
    try:
        os.utime(folder)
    except OSError:
        pass  # already gone


@st.cache_data(ttl=600)
def shipped_cards() -> list[dict]:
    """The cards of the models shipped in models/: what they record of their training times the Train page's estimate."""
    cards = []
    for path in sorted(MODELS_DIR.glob("*.json")):
        try:
            cards.append(json.loads(path.read_text())["card"])
        except (OSError, ValueError, KeyError):
            continue
    return cards
