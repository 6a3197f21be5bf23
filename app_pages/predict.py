"""Predict: every face in a photo boxed and numbered, each with the crop the model saw, its top-3 emotions and a
saliency map of what drove the top one. Many photos (or a zip of them): the first few shown so, every face in one
CSV, the same table `fer-studio predict --table` writes. Results download as CSV and JSON."""

import csv
import io
import json
from pathlib import Path

import streamlit as st

from fer_core.batch import photo_zip
from fer_core.batch import rows as table_rows
from fer_core.data.confined_files import MAX_PHOTO_MB
from fer_core.data.fer2013 import CLASS_NAMES as FER2013_CLASSES
from fer_core.errors import FERError, ImageError
from fer_core.prediction.model_contract import machine_in_words
from fer_core.prediction.photos import load_image
from fer_core.shipped_models import SEED_CARD, SEED_MODEL
from fer_core.training.evaluation import same_faces, scored_on
from ui import cached, charts, metric_words, pictures, sidebar
from ui.plain_text import plain

PHOTO_TYPES = pictures.PHOTO_TYPES
CROP_SCALE = 4
# Saliency costs one batch of occluded faces per face: drawn at once for the first few, on request for the rest.
SALIENCY_AT_ONCE = 3
SOURCE_LABELS = {"upload": "Upload photos", "camera": "Take a photo", "example": "Example photos"}
# Photos shown in full (the photo, each face's chart and saliency map); any more go into the CSV only.
SHOWN_IN_FULL = 10



def as_csv(rows: list[dict], columns: list[str]) -> str:
    """CSV text with the csv module: pandas would add a third of a second to the page's first run."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()

def model_card_panel(model: cached.ModelFile) -> None:
    card = model.card
    evaluation = card.get("evaluation") or {}
    with st.container(border=True):
        st.markdown(f"**Model:** {plain(model.label)} · {plain(card.get('architecture', '?'))}")
        class_names = model.info.class_names
        own_classes = class_names != FER2013_CLASSES
        if own_classes:
            st.caption(plain(f"Its own classes: {', '.join(class_names)}."))
        if "accuracy" not in evaluation:
            st.caption("This model has no test scores on its card.")
            return
        chance = evaluation.get("chance_level") or {}
        if chance.get("flagged"):
            st.warning(plain(chance["reason"]), icon=":material/warning:")
        accuracy, top3, f1, seed = st.columns(4)
        accuracy.metric("Test accuracy", f"{evaluation['accuracy']:.1%}", help=metric_words.TEST_ACCURACY)
        top3.metric("Top-3 accuracy", f"{evaluation['top3_accuracy']:.1%}", help=metric_words.TOP3_ACCURACY)
        f1.metric("Macro F1", f"{evaluation['macro_f1']:.3f}", help=metric_words.MACRO_F1)
        if Path(model.path).resolve() != SEED_MODEL.resolve() and not own_classes and (seed_cnn := seed_model()):
            seed_evaluation = seed_cnn.card.get("evaluation") or {}
            if "accuracy" in seed_evaluation and same_faces(evaluation, seed_evaluation):  # else not a comparison
                gain = evaluation["accuracy"] - seed_evaluation["accuracy"]
                seed.metric("vs. the notebook's seed_cnn", f"{seed_evaluation['accuracy']:.1%}",
                            delta=f"{gain * 100:+.1f} points", delta_description="this model's lead")
        epochs = card.get("epochs_completed")
        stages = " + ".join(str(stage["epochs"]) for stage in card.get("stages", []))
        facts = [f"{epochs} epoch{'s' if epochs != 1 else ''}" + (f" ({stages})" if stages else "")
                 if epochs is not None else None,
                 f"trained in {training_time(card['train_seconds'])}" if card.get("train_seconds") else None,
                 # the card's full machine line (kernel build, versions) is for reproducing the model, not for reading
                 f"on {machine}" if (machine := machine_in_words(card.get("machine"))) else None,
                 f"scored on {scored_on(evaluation)}" if isinstance(evaluation.get("n"), int) else None]
        for caveat in evaluation.get("caveats") or []:  # under the figure it qualifies
            st.caption(f":material/warning: {plain(caveat)}")
        st.caption(plain(" · ".join(fact for fact in facts if fact)))


def seed_model() -> cached.ModelFile | None:
    """The notebook's seed_cnn, to compare with, when it is installed and its card can be read."""
    try:
        return sidebar.model_file(SEED_MODEL, SEED_MODEL.stem) if SEED_CARD.exists() else None
    except FERError:
        return None


def training_time(seconds: float) -> str:
    minutes = seconds / 60
    return f"{seconds:.0f} s" if minutes < 1 else f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def chosen_photos(source: str) -> list[tuple[str, object]]:
    """(name, the photo: its bytes, an upload, a (PhotoZip, member) pair, or the FERError that says why it cannot be
    had) per photo."""
    if source == "upload":
        uploads = st.file_uploader("Photos with faces, or a zip of photos", type=PHOTO_TYPES + ["zip"],
                                   accept_multiple_files=True, key="photos", max_upload_size=settings.max_upload_mb)
        if not uploads and pictures.example_photos():
            st.button("Try an example", icon=":material/photo:", key="try_example", on_click=show_examples,
                      help="The model's answer on a photo that ships with the app, shown as an upload's would be.")
        photos = []
        for upload in uploads or []:
            if upload.name.lower().endswith(".zip"):
                try:
                    archive = photo_zip.PhotoZip(upload.getvalue(), upload.name)
                except FERError as error:
                    photos.append((upload.name, error))
                else:  # each photo inflated only when its turn comes
                    photos += [(f"{upload.name}/{member}", (archive, member)) for member in archive.names]
            else:
                photos.append((upload.name, upload))
        return photos
    if source == "camera":
        shot = st.camera_input("Take a photo", key="camera_photo")
        return [("camera photo", shot.getvalue())] if shot else []
    examples = pictures.example_photos()
    if not examples:
        st.info("No example photo is installed (assets/examples/ is empty): upload one instead.")
        return []
    example = st.selectbox("Example photo", examples, format_func=lambda p: p.stem.replace("_", " "),
                           key="example_photo")
    return [(example.name, example.read_bytes())]


def show_examples() -> None:
    """Button callback: the page's photo source becomes the example photos, before the segmented control is drawn."""
    st.session_state["predict_source"] = "example"


def classify_whole_image(digest: str) -> None:
    """Button callback: this photo (by its bytes) is classified whole; other photos keep the page's setting."""
    st.session_state["whole_image_photos"] = st.session_state.get("whole_image_photos", frozenset()) | {digest}


def show_face(photo_number: int, number: int, face, model: cached.ModelFile) -> None:
    label, probability = face.top_k[0]
    st.markdown(f"#### Face {number}: {plain(label)} ({probability:.0%})")
    crop_column, chart_column, saliency_column = st.columns([1, 2, 1])
    crop_column.image(pictures.upscale(face.crop, CROP_SCALE), caption="What the model saw (48×48)")
    chart_column.plotly_chart(charts.top_k_figure(face.top_k), key=f"top-k-{photo_number}-{number}")
    # The offer goes under the face's row, where its label has room (the map's column would cut it short).
    if number > SALIENCY_AT_ONCE and not st.checkbox(f"Show what made it say {plain(label)}",
                                                     key=f"saliency-{photo_number}-{number}"):
        return
    try:
        heat = cached.saliency_overlay(model, face.crop, face.class_index)
    except FERError as error:
        saliency_column.caption(plain(f"No saliency map: {error}"))
    else:
        saliency_column.image(pictures.upscale(heat, CROP_SCALE), caption=f"What made it say {plain(label)}")


settings = sidebar.hosted_settings()
st.title("Predict emotions")

try:
    model = sidebar.chosen_model_or_stop(settings)
    model_card_panel(model)
except FERError as error:
    st.error(plain(error))
    st.stop()

source = st.segmented_control("Photo", list(SOURCE_LABELS), format_func=SOURCE_LABELS.get, default="upload",
                              key="predict_source", required=True, persist_state="session")
photos = chosen_photos(source)
st.toggle("When no face is found, classify the whole image", key="whole_image", persist_state="session",
          help="For a photo that is already a tight crop of one face, such as a FER2013 image.")
if not photos:
    st.stop()

def predicted(name: str, photo) -> tuple:
    """(the photo's digest, its decoded image, its PredictionResult), or FERError with the reason."""
    if isinstance(photo, FERError):
        raise photo
    if isinstance(photo, tuple):  # a photo in an uploaded zip
        archive, member = photo
        data = archive.read(member)
    else:
        data = photo if isinstance(photo, bytes) else photo.getvalue()
    # Checked here, on the bytes the server received: the uploader's own limit is enforced only by the browser.
    settings.check_upload(len(data), name, limit_mb=MAX_PHOTO_MB, error=ImageError)
    image = load_image(data)  # decoded once: the prediction and the boxes drawn take this image
    digest = cached.photo_digest(data)
    whole_image = (st.session_state.get("whole_image", False)
                   or digest in st.session_state.get("whole_image_photos", frozenset()))
    return digest, image, cached.predict_photo(model, digest, image, whole_image)


results, table = [], []  # per photo for the JSON; a row per face (or per unreadable photo) for the CSV
in_full, in_table_only = photos[:SHOWN_IN_FULL], photos[SHOWN_IN_FULL:]
for photo_number, (name, photo) in enumerate(in_full, start=1):  # two uploads may share a name: keys use the number
    st.subheader(plain(name))
    try:
        digest, image, result = predicted(name, photo)
    except FERError as error:
        st.error(plain(error))
        table.append(table_rows.error_row(name, str(error)))
        continue
    table += table_rows.photo_rows(name, result)
    if not result.faces:
        st.warning(plain(result.message or "No face was found in this photo."))
        st.button("Classify the whole image", key=f"whole-{photo_number}", on_click=classify_whole_image,
                  args=(digest,), help="This photo only; the switch above does it for every photo without a face.")
        continue
    if result.message:
        st.caption(plain(result.message))
    results.append({"image": name, **result.to_dict()})
    photo_column, faces_column = st.columns([2, 3])
    photo_column.image(pictures.draw_face_boxes(image, [face.box for face in result.faces]),
                       caption=f"{len(result.faces)} face{'s' if len(result.faces) > 1 else ''} found")
    if len(results) == 1:  # said once, by the first photo's faces
        faces_column.caption(metric_words.TOP3_IN_WORDS)
    with faces_column:
        for number, face in enumerate(result.faces, start=1):
            show_face(photo_number, number, face, model)

if in_table_only:
    st.subheader(f"{len(in_table_only):,} more photos")
    bar = st.progress(0.0, text="Finding their faces…")
    unreadable = 0
    for done, (name, photo) in enumerate(in_table_only, start=1):
        try:
            _, _, result = predicted(name, photo)
        except FERError as error:
            table.append(table_rows.error_row(name, str(error)))
            unreadable += 1
        else:
            table += table_rows.photo_rows(name, result)
            if result.faces:
                results.append({"image": name, **result.to_dict()})
        bar.progress(done / len(in_table_only), text=f"Finding their faces… {done:,} of {len(in_table_only):,}")
    bar.empty()
    faces = sum(1 for row in table if not row.get("error"))
    st.caption(plain(f"The first {SHOWN_IN_FULL} photos are shown above; every face of all {len(photos):,} "
                     f"({faces:,} faces" + (f", {unreadable:,} photos that could not be read" if unreadable else "")
                     + ") is in the CSV below."))

if table:
    st.subheader("Download the results")
    columns = list(table_rows.photo_columns(model.info.class_names, 3))
    csv_column, json_column = st.columns(2)
    csv_column.download_button("Results as CSV", as_csv(table, columns), file_name="emotions.csv",
                               mime="text/csv", icon=":material/download:",
                               help="A row per face, as `fer-studio predict --table` writes: the photo, the box, "
                                    "the top 3 and every class's probability; a photo that could not be read has a "
                                    "row with the reason.")
    json_column.download_button("Results as JSON", json.dumps(results, indent=2), file_name="emotions.json",
                                mime="application/json", icon=":material/download:")
