"""Explore: what is in the active data: counts and imbalance, balancing, faces, mean faces, pixel levels, quality."""

import numpy as np
import streamlit as st

from fer_core.data.balance import BALANCE_METHODS, balanced_class_counts
from fer_core.data.fer2013 import SPLITS
from fer_core.data.quality import BLANK_MAX_STD, BLANK_MIN_MODE_FRACTION
from fer_core.errors import FERError
from ui import cached, charts, pictures, sidebar
from ui.plain_text import plain

FACES_PER_CLASS = 10
EXAMPLE_GROUPS = 6

settings = sidebar.hosted_settings()
st.title("Explore the data")
try:
    data_file, dataset = sidebar.chosen_dataset(settings)
except FERError as error:
    st.error(plain(error))
    if hint := sidebar.bad_rows_hint(error):
        st.caption(hint)
    st.stop()
key = (data_file.path, data_file.skip_bad_rows, data_file.modified)
class_names = dataset.class_names

st.markdown(f"**{plain(data_file.label)}**: {len(dataset):,} faces of 48×48 grey pixels in {dataset.num_classes} "
            f"classes: {plain(', '.join(class_names))}.")
for note in dataset.notes:
    st.caption(plain(note))
if dataset.skipped_rows:
    with st.expander(f"{len(dataset.skipped_rows):,} bad rows were skipped"):
        st.text("\n".join(dataset.skipped_rows[:50]))

st.header("Classes")
counts = dataset.counts_by_split()
train_counts = counts["train"]
present = train_counts[train_counts > 0]
imbalance = present.max() / present.min() if len(present) else float("nan")
total, train, imbalance_metric = st.columns(3)
total.metric("Faces", f"{len(dataset):,}")
train.metric("Training faces", f"{train_counts.sum():,}")
imbalance_metric.metric("Imbalance", f"{imbalance:.1f}×",
                        help="Largest training class divided by the smallest: how much more often the model "
                             "sees its most common emotion than its rarest.")
st.plotly_chart(charts.class_counts_figure({split: counts[split].tolist() for split in SPLITS}, class_names))
if len(present):
    rarest, commonest = class_names[int(np.argmin(np.where(train_counts > 0, train_counts, np.inf)))], \
        class_names[int(np.argmax(train_counts))]
    st.caption(f"Training has {imbalance:.1f}× more {plain(commonest)} faces than {plain(rarest)} faces."
               if rarest != commonest else "Every class has as many training faces as the others.")

st.header("Balancing the training split")
method = st.segmented_control("Balancing", [m for m in BALANCE_METHODS if m != "none"], format_func=BALANCE_METHODS.get,
                              default="oversample", key="explore_balance", required=True,
                              persist_state="session")
after = balanced_class_counts(dataset.labels[dataset.splits.train], method, dataset.num_classes)
st.plotly_chart(charts.balancing_figure(train_counts.tolist(), after.tolist(), class_names,
                                        "oversampled" if method == "oversample" else "weighted"))
if method == "oversample":
    st.caption(f"Every class is copied up to {int(after.max()):,} faces, {int(after.sum()):,} in all; validation and "
               "test faces are never copied, so scores stay honest.")
else:
    st.caption("No face is copied; each class's loss is weighted so that every class counts as much in total.")

st.header("Faces")
if st.button("Reshuffle", icon=":material/shuffle:"):
    st.session_state["face_shuffle"] = st.session_state.get("face_shuffle", 0) + 1
rng = np.random.default_rng(st.session_state.get("face_shuffle", 0))
for label, name in enumerate(class_names):
    members = np.flatnonzero(dataset.labels == label)
    chosen = rng.choice(members, min(FACES_PER_CLASS, len(members)), replace=False) if len(members) else []
    st.markdown(f"**{plain(name)}** · {len(members):,} faces in all splits")
    row = pictures.face_row(dataset.images[chosen], scale=2)
    st.image(row, width=row.shape[1])

st.subheader("Mean face of each class")
means = cached.class_mean_faces(*key)
st.image([pictures.upscale(face, 2) for face in means], caption=[plain(name) for name in class_names], width=96)

st.subheader("Pixel intensities")
st.plotly_chart(charts.pixel_histogram_figure(cached.pixel_histogram(*key).tolist()))

st.header("Data quality")
report = cached.data_quality(*key)
duplicates, across, conflicting, blank = st.columns(4)
duplicates.metric("Faces with an identical twin", f"{report.duplicate_images:,}",
                  help=f"{report.redundant_copies:,} could be dropped keeping one of each.")
across.metric("Twins across splits", f"{report.across_splits:,}",
              help=f"{report.leaked_into_evaluation:,} validation or test faces also appear in training.")
conflicting.metric("Twins with different labels", f"{report.conflicting_labels:,}")
blank.metric("Near-blank images", f"{len(report.near_blank):,}",
             help=f"Grey-level std under {BLANK_MAX_STD:g}, or {BLANK_MIN_MODE_FRACTION:.0%} of pixels one value.")
within = report.within_split
st.caption("Extra copies within a split: " + ", ".join(f"{split} {within[split]:,}" for split in SPLITS) + ".")

# One under the other: side by side, a group of 8 twins (8 × 96 px) ran over into the next column.
st.subheader("Exact duplicates")
if not report.duplicate_groups:
    st.success("No two faces are identical.")
# Twins across splits or with clashing labels matter most: they inflate scores or teach contradictions.
worst_first = sorted(report.duplicate_groups, key=lambda g: (not g.across_splits, not g.conflicting_labels))
for group in worst_first[:EXAMPLE_GROUPS]:
    names = sorted({class_names[label] for label in group.labels})
    places = ", ".join(f"{split} ×{group.splits.count(split)}" for split in sorted(set(group.splits)))
    row = pictures.face_row(dataset.images[list(group.indices[:8])], scale=2)
    rows = ", ".join(str(i + 1) for i in group.indices[:4])
    st.image(row, width=row.shape[1])
    st.caption(f"{plain(' / '.join(names))} · {places} · rows {rows}")  # under the faces, not squeezed to their width
st.subheader("Near-blank images")
if not report.near_blank:
    st.success("No image is blank.")
else:
    shown = report.near_blank[:8]
    row = pictures.face_row(dataset.images[shown], scale=2)
    spread = report.near_blank_std
    st.image(row, width=row.shape[1])
    st.caption(f"{len(report.near_blank):,} found"
               + (f", the first {len(shown)} shown" if len(report.near_blank) > len(shown) else "")
               + f"; grey-level std {min(spread):.1f}" + (f" to {max(spread):.1f}" if max(spread) > min(spread) else "")
               + " (0 is one flat grey).")
