"""Collect: classes of your own from the camera, the way Teachable Machine makes them. Name a class, take its photos
one at a time (st.camera_input) or in a burst (frames of the webcam's stream), see the counts, then use the classes:
they become the sidebar's data, so Train trains on them and Predict answers with the run. The storing, counting and
bounding are fer_core.data.collected_classes'; this page only draws them."""

import threading
import time

import streamlit as st

from fer_core.data.collected_classes import MAX_NAME_LENGTH
from fer_core.errors import FERError
from ui import camera, sidebar
from ui.pages import PREDICT, TRAIN
from ui.plain_text import plain

RESPONSIBLE_USE = ("Pose each class yourself, at the camera: an expression or a gesture, such as smile, eyes closed, "
                   "tongue out or thumbs up. The model trained on them tells only these posed classes apart, for the "
                   "person who posed them. It does not read what anyone feels, and is not for judging people.")
MODE_LABELS = {"one": "One photo at a time", "burst": "A burst from the live camera"}
BURST_SIZES = [5, 10, 20, 30]
BURST_GAP_SECONDS = 0.25  # between two photos of a burst: 10 photos in about 3 seconds, each a little different
FRAME_WAIT_SECONDS = 3.0
THUMBNAILS_SHOWN = 24  # per class, the newest, each with its delete button
THUMBNAIL_COLUMNS = 8


class LatestFrame:
    """The newest picture of the webcam's stream: streamlit-webrtc's worker thread puts, the page takes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._frame, self._number = None, 0

    def put(self, frame) -> None:
        """Keep `frame` as the newest; returns None, so the camera sends its picture back unchanged."""
        with self._lock:
            self._frame, self._number = frame, self._number + 1

    def newer_than(self, number: int, timeout: float):
        """(frame, its number) for the first frame after `number`, or (None, number) when none came in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._number > number:
                    return self._frame, self._number
            time.sleep(0.02)
        return None, number


def say_later(kind: str, text: str) -> None:
    """A message shown after the rerun that resets the camera (st.rerun would lose one drawn now)."""
    st.session_state["collect_said"] = (kind, text)


def add_class(collection) -> None:
    try:
        name = collection.add_class(st.session_state.get("collect_new_class", ""))
    except FERError as error:
        say_later("error", str(error))
        return
    st.session_state["collect_class"] = name  # the photos that follow go to the class just added


def one_photo(collection, name: str) -> None:
    shots = st.session_state.setdefault("collect_shots", 0)
    picture = st.camera_input(plain(f"Take a photo of {name}"), key=f"collect_camera_{shots}")
    if picture is None:
        return
    try:
        added = collection.add_photo(name, picture.getvalue())
    except FERError as error:
        say_later("error", str(error))
    else:
        more = f" ({added.faces_in_picture} faces in the picture: the largest was kept)" if added.faces_in_picture > 1 \
            else ""
        say_later("success", f"Added a photo to {name}{more}.")
    st.session_state["collect_shots"] = shots + 1  # a new camera widget: back to the live picture for the next photo
    st.rerun()


def burst(collection, name: str) -> None:
    if not camera.camera_installed("A burst needs the streamlit-webrtc package (pip install -r requirements.txt); take "
                                   "one photo at a time instead."):
        return
    latest = st.session_state.setdefault("collect_latest_frame", LatestFrame())
    st.caption("Press Start and allow the camera; then take a burst. The camera's picture goes to this server only "
               "while it runs.")
    context = camera.camera_stream("collect_burst", latest.put,
                                   "The live camera cannot run here ({error}). Take one photo at a time instead.")
    if context is None:
        return
    size = st.segmented_control("Photos in a burst", BURST_SIZES, default=10, key="collect_burst_size",
                                required=True)
    if not st.button(plain(f"Take {size} photos of {name}"), icon=":material/burst_mode:", key="collect_take_burst",
                     disabled=not context.state.playing):
        if not context.state.playing:
            st.caption("The burst button works once the camera runs.")
        return
    added, without_face, number = 0, 0, 0
    bar = st.progress(0.0, text="Taking photos…")
    for index in range(size):
        frame, number = latest.newer_than(number, FRAME_WAIT_SECONDS)
        if frame is None:
            say_later("error", f"The camera sent no picture for {FRAME_WAIT_SECONDS:.0f} seconds, so the burst "
                               f"stopped after {added} photos.")
            break
        try:
            collection.add_photo(name, frame)
            added += 1
        except FERError as error:
            if "No face" not in str(error):  # a full collection: the rest would be refused too
                say_later("error", str(error))
                break
            without_face += 1
        bar.progress((index + 1) / size, text=f"Taking photos… {index + 1}/{size}")
        time.sleep(BURST_GAP_SECONDS)
    else:
        missed = f"; {without_face} pictures had no face and were left out" if without_face else ""
        say_later("success" if added else "error", f"Added {added} photos to {name}{missed}.")
    st.rerun()


def delete_all(collection) -> None:
    collection.delete_all()
    st.session_state["collect_had_photos"] = False  # gone because asked: no word about the store needing room
    say_later("success", "All your photos and classes are deleted from the server.")


def class_panel(collection, name: str, photos: list) -> None:
    with st.container(border=True):
        heading, remove = st.columns([5, 1])
        heading.markdown(f"**{plain(name)}** · {len(photos)} photo{'s' if len(photos) != 1 else ''}")
        remove.button("Delete class", icon=":material/delete:", key=f"collect_delete_class_{name}",
                      on_click=collection.delete_class, args=(name,))
        if not photos:
            st.caption("No photos yet: choose this class above and take some.")
            return
        shown = photos[-THUMBNAILS_SHOWN:]
        if len(photos) > len(shown):
            st.caption(f"The newest {len(shown)} of {len(photos)}:")
        columns = st.columns(THUMBNAIL_COLUMNS)
        for index, photo in enumerate(shown):
            with columns[index % THUMBNAIL_COLUMNS]:
                st.image(str(photo), width=64)
                st.button("Delete", icon=":material/close:", type="tertiary", key=f"collect_delete_{name}_{photo.name}",
                          on_click=collection.delete_photo, args=(name, photo.name))


settings = sidebar.hosted_settings()
collection = sidebar.session_collection(settings)
sidebar.forget_ended_collections(settings)  # other visitors' photos do not outlive their sessions

st.title("Collect your own classes")
st.info(RESPONSIBLE_USE, icon=":material/front_hand:")
st.caption(f"Only the face found in each photo is kept (48×48 grey, as the model sees it), on this server, for this "
           f"browser session: at most {collection.max_photos:,} photos. Delete any photo, a class, or all of them "
           "below. Photos of one session are split into train, validation and test at random, so the test score "
           "is that of the same person in the same light: optimistic.")
if reason := settings.training_off_reason:
    st.warning(plain(f"{reason} Photos can be collected, but not trained on here."))

if st.session_state.pop("collect_had_photos", False) and not collection.entry.exists():
    st.warning("Your photos are no longer on the server: the space kept for uploads needed room, and they were the "
               "oldest there. Take them again.")
with st.form("collect_new_class_form", clear_on_submit=True, border=False):
    st.text_input(f"New class (at most {MAX_NAME_LENGTH} characters)", key="collect_new_class",
                  max_chars=MAX_NAME_LENGTH, placeholder="smile")
    st.form_submit_button("Add class", icon=":material/add:", on_click=add_class, args=(collection,))
if said := st.session_state.pop("collect_said", None):
    (st.error if said[0] == "error" else st.success)(plain(said[1]))

names = collection.class_names()
if not names:
    st.caption("Name your first class above, for example smile, then take its photos.")
    st.stop()
if st.session_state.get("collect_class") not in names:
    st.session_state["collect_class"] = names[-1]
name = st.radio("Photos go to", names, format_func=plain, key="collect_class", horizontal=True)
mode = st.segmented_control("Camera", list(MODE_LABELS), format_func=MODE_LABELS.get, default="one",
                            key="collect_mode", required=True)
if mode == "burst":
    burst(collection, name)
else:
    one_photo(collection, name)

counts = collection.counts()
st.session_state["collect_had_photos"] = any(counts.values())
st.subheader(f"Your classes: {sum(counts.values()):,} photos")
for class_name in names:
    class_panel(collection, class_name, collection.photos(class_name))

not_ready = collection.not_ready_reason()
using = st.session_state.get("data_source") == "camera"
use, clear = st.columns([2, 1])
use.button("Use these classes", type="primary", icon=":material/check:", disabled=not_ready is not None or using,
           on_click=sidebar.use_collection, key="collect_use")
clear.button("Delete all my photos", icon=":material/delete_forever:", on_click=delete_all, args=(collection,),
             key="collect_delete_all")
if not_ready:
    st.caption(plain(not_ready))
elif using:
    st.success(plain(f"Train and Predict now use these classes ({', '.join(names)}): train them on the Train page, "
                     "then choose the run for prediction."))
    st.page_link(TRAIN.path, label="Train on them", icon=TRAIN.icon)
    st.page_link(PREDICT.path, label="Predict", icon=PREDICT.icon)
