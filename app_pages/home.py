"""Home: what FER Studio does, which data and model are active, and a way into each page."""

import streamlit as st

from fer_core.data.fer2013 import CLASS_NAMES
from fer_core.errors import FERError
from fer_core.prediction.photos import load_image
from fer_core.shipped_models import SHIPPED_MODEL
from fer_core.training.evaluation import faces_digest, score_on_faces, scored_on
from ui import cached, charts, metric_words, pictures, sidebar
from ui.pages import HOME, PAGES
from ui.plain_text import plain


def hero_example() -> None:
    """What the app does, shown with the shipped model's real answer on the first example photo (computed once per
    server: the same cached predictor Predict uses) and the curves of its own training, from its card."""
    photos = pictures.example_photos()
    if not SHIPPED_MODEL.exists() or not photos:
        return  # a checkout without them shows the pages only
    try:
        shipped = sidebar.model_file(SHIPPED_MODEL, SHIPPED_MODEL.stem)
        photo = photos[0].read_bytes()
        image = load_image(photo)  # decoded once: the prediction and the boxes drawn take this image
        result = cached.predict_photo(shipped, cached.photo_digest(photo), image, False)
    except FERError as error:
        st.caption(plain(f"No example to show: {error}"))
        return
    name, card = shipped.label, shipped.card
    with st.container(border=True):
        photo_column, faces_column, curve_column = st.columns([2, 2, 3])
        photo_column.image(pictures.draw_face_boxes(image, [face.box for face in result.faces]),
                           caption=f"An example photo: {len(result.faces)} face{'s' * (len(result.faces) != 1)} found")
        with faces_column:
            for number, face in enumerate(result.faces[:2], start=1):
                label, probability = face.top_k[0]
                st.markdown(f"**Face {number}: {plain(label)} ({probability:.0%})**")
                st.plotly_chart(charts.top_k_figure(face.top_k), key=f"hero-top-k-{number}")
            st.caption(f"{metric_words.TOP3_IN_WORDS} Answered by the shipped model, {plain(name)}.")
        with curve_column:
            if history := card.get("epoch_history"):
                st.plotly_chart(charts.training_curves_figure(history), key="hero-curves")
                st.caption(f"How {plain(name)} learned, epoch by epoch (from its model card). "
                           f"{metric_words.SPLITS_IN_WORDS}")


settings = sidebar.hosted_settings()

st.title("FER Studio")
st.markdown(
    "Facial emotion recognition on **FER2013**: 48×48 grey faces labelled with one of seven emotions "
    f"({', '.join(CLASS_NAMES)}). Look at the data, train a network on it, and find the faces in a photo "
    "with the three most likely emotions of each. Or bring photos of your own classes, one folder per class."
)

hero_example()

data_column, model_column = st.columns(2)
active_test_faces = None  # the digest of the active data's test faces: a model's score is shown for them when known
with data_column, st.container(border=True):
    st.subheader("Active data")
    try:
        data_file, dataset = sidebar.chosen_dataset(settings)
    except FERError as error:
        st.error(plain(error))
    else:
        active_test = dataset.split("test")
        active_test_faces = faces_digest(active_test.images, active_test.labels)
        counts = dataset.counts_by_split()
        st.markdown(f"**{plain(data_file.label)}**")
        st.markdown(f"{len(dataset):,} faces: {counts['train'].sum():,} train, "
                    f"{counts['validation'].sum():,} validation, {counts['test'].sum():,} test.")
        if dataset.class_names != CLASS_NAMES:
            st.markdown(f"Its own {dataset.num_classes} classes, not FER2013's emotions: "
                        f"{plain(', '.join(dataset.class_names))}.")
        for note in dataset.notes:
            st.caption(plain(note))
        if dataset.skipped_rows:
            st.caption(f"{len(dataset.skipped_rows):,} bad rows skipped.")
    st.caption("Change it in the sidebar: the built-in sample, an upload, or a file on the server.")

with model_column, st.container(border=True):
    st.subheader("Active model")
    try:
        model = sidebar.chosen_model(settings)
    except FERError as error:  # its NAME.json is missing or unreadable
        st.error(plain(error))
    else:
        if model is None:
            st.info("No model yet. Train one on the Train page; the shipped model appears here once it is installed.")
        else:
            st.markdown(f"**{plain(model.label)}**")
            card = model.card
            evaluation = card.get("evaluation") or {}
            on_active = score_on_faces(card, active_test_faces)
            # Each figure says which faces it is on; the active data's comes first when the card has it.
            for score in [on_active] + [evaluation] * (on_active is not evaluation):
                if score and "accuracy" in score:
                    which = "the active data's test faces" if score is on_active else "not the active data"
                    st.markdown(f"{plain(card.get('architecture', 'model'))}: test accuracy **{score['accuracy']:.1%}**, "
                                f"top-3 {score['top3_accuracy']:.1%}, macro F1 {score['macro_f1']:.3f} "
                                f"on {plain(scored_on(score))} ({which}).")
                    for caveat in score.get("caveats") or []:
                        st.caption(f":material/warning: {plain(caveat)}")
            if on_active is None and "accuracy" in evaluation and active_test_faces:
                st.caption("Its card has no score on the active data's test faces.")
    st.caption("Pick another in the sidebar, or from a run on the Train page.")

st.subheader("Pages")
for column, page in zip(st.columns(len(PAGES) - 1), (p for p in PAGES if p is not HOME)):
    with column, st.container(border=True):
        st.page_link(page.path, label=page.title, icon=page.icon)
        st.caption(page.summary)
