"""Which faces train, which validate, which test. FER2013's Usage decides when present: Training → train,
PublicTest → validation, PrivateTest → test. Without PrivateTest, test falls back to validation (and says so);
without any Usage, a stratified split with a fixed seed. Photos in class folders get the same three splits from
their train/, val/ and test/ folders (image_folder.py), and notes in those words, never FER2013's Usage.
Photos without such folders are split here, by person when their names say who is who (see `person_of`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .fer2013 import USAGE_TO_SPLIT

STRATIFIED_FRACTIONS = {"validation": 0.1, "test": 0.1}
# A class this large keeps at least one validation and one test face, so a small class is still scored.
HELD_OUT_FROM_CLASS_SIZE = 5


@dataclass(frozen=True)
class SplitIndices:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    notes: tuple[str, ...] = field(default=())

    def __getitem__(self, split: str) -> np.ndarray:
        return {"train": self.train, "validation": self.validation, "test": self.test}[split]

    @property
    def test_is_validation(self) -> bool:
        """The test faces are the validation faces, which picked the best epoch: a test score on them is optimistic."""
        return len(self.test) > 0 and np.array_equal(self.test, self.validation)


def split_indices(labels: np.ndarray, usage: np.ndarray, seed: int = 0, photos: bool = False) -> SplitIndices:
    """photos: the faces are photos from class folders, whose usage came from train/, val/ and test/ folders; the
    notes then speak of those folders."""
    usage = np.asarray(usage, dtype=object)
    by_split = {split: np.flatnonzero(usage == value) for value, split in USAGE_TO_SPLIT.items()}
    known = sum(len(v) for v in by_split.values())
    unknown = _unknown_values(usage)
    if known == 0:
        return _stratified(labels, seed, unknown)
    if photos:
        return _photo_folders(by_split, len(labels) - known)
    notes = []
    if known < len(labels):
        found = f" ({unknown})" if unknown else ""
        notes.append(f"{len(labels) - known} rows with an unknown Usage{found} were left out of every split.")
    if len(by_split["train"]) == 0:
        notes.append("The file has no Training rows, so there is nothing to train on.")
    if len(by_split["test"]) == 0 and len(by_split["validation"]):
        by_split["test"] = by_split["validation"]
        notes.append("No PrivateTest rows: the test split is the validation split (PublicTest).")
    elif len(by_split["validation"]) == 0 and len(by_split["test"]):
        by_split["validation"] = by_split["test"]
        notes.append("No PublicTest rows: the validation split is the test split (PrivateTest).")
    elif len(by_split["validation"]) == 0:
        notes.append("The file has no PublicTest or PrivateTest rows, so nothing is held out to validate or test on.")
    return SplitIndices(by_split["train"], by_split["validation"], by_split["test"], tuple(notes))


def _photo_folders(by_split: dict[str, np.ndarray], outside: int) -> SplitIndices:
    """The splits of photos in train/, val/ and test/ folders, with notes in the words of those folders."""
    notes = []
    if outside:
        notes.append(f"{outside:,} photos outside the train/, val/ and test/ folders were left out of every split.")
    if len(by_split["train"]) == 0:
        notes.append("There is no train/ folder of photos, so there is nothing to train on.")
    held_out = by_split["validation"] if len(by_split["validation"]) else by_split["test"]
    if len(held_out) and not (len(by_split["validation"]) and len(by_split["test"])):
        by_split["validation"] = by_split["test"] = held_out
        notes.append(f"Your test folder's {len(held_out):,} photos are also the validation photos: they pick the best "
                     "epoch and give the test score, so that score is optimistic. A val/ folder beside train/ and "
                     "test/ keeps the test photos for the score alone.")
    elif not len(held_out):
        notes.append("There is no test/ folder of photos, so nothing is held out to validate or test on.")
    return SplitIndices(by_split["train"], by_split["validation"], by_split["test"], tuple(notes))


def _unknown_values(usage: np.ndarray, shown: int = 5) -> str:
    """The Usage values that are none of FER2013's three, quoted, for a note: at most `shown`, each cut short."""
    values = sorted({str(v) for v in usage if v and v not in USAGE_TO_SPLIT})
    quoted = ", ".join(repr(v if len(v) <= 40 else v[:40] + "…") for v in values[:shown])
    return quoted + (f" and {len(values) - shown} more" if len(values) > shown else "")


def stratified_split(labels: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Sorted indices per split (train, validation, test): STRATIFIED_FRACTIONS of every class held out, the same
    faces for the same labels and seed."""
    rng = np.random.default_rng(seed)
    parts = {"train": [], "validation": [], "test": []}
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        least = 1 if len(members) >= HELD_OUT_FROM_CLASS_SIZE else 0
        n_val = max(int(round(len(members) * STRATIFIED_FRACTIONS["validation"])), least)
        n_test = max(int(round(len(members) * STRATIFIED_FRACTIONS["test"])), least)
        parts["validation"].append(members[:n_val])
        parts["test"].append(members[n_val : n_val + n_test])
        parts["train"].append(members[n_val + n_test :])
    return {k: np.sort(np.concatenate(v)) if v else np.zeros(0, np.int64) for k, v in parts.items()}


# A file name's person: the name before a trailing number, as in anna_01.jpg, "Anna 2.png" or ben-003.jpg.
_PERSON_NAME = re.compile(r"^(?P<person>.*[^\W\d_].*?)[\s_.-]*\(?\d+\)?$")
# Names cameras, phones and screen grabs give every photo: they say nothing about who is in it.
NOT_A_PERSON = frozenset({"img", "image", "dsc", "dscn", "dscf", "pxl", "photo", "pic", "picture", "screenshot",
                          "frame", "capture", "snapshot", "camera", "webcam", "face", "whatsapp image", "signal",
                          "untitled", "scan", "mvimg", "p", "vid", "im", "training", "publictest",
                          "privatetest"})
# Split by person only with enough people to hold one out for validation and one for test, with one left to train.
MIN_PEOPLE = 3


def person_of(file_name: str, class_name: str) -> str | None:
    """Who a photo shows, by the documented rule: the file name's stem before a trailing number (anna_01.jpg →
    "anna", case aside), unless that is the class's own name (smile_003.jpg in smile/) or a name cameras give every
    photo (IMG_1234.jpg). None when the name does not say."""
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    match = _PERSON_NAME.match(stem.strip())
    if not match:
        return None
    person = match["person"].strip(" _.-").casefold()
    if not person or person in NOT_A_PERSON or person == class_name.strip().casefold():
        return None
    return person


def split_by_person(labels: np.ndarray, people: list[str], seed: int = 0) -> dict[str, np.ndarray] | None:
    """Sorted indices per split with every person's photos in one split only: people are taken in a seeded order
    into validation, then test, while those splits still lack about STRATIFIED_FRACTIONS of a class the person has
    photos of, and never when it would take a class's last training photos. None with fewer than MIN_PEOPLE."""
    names = sorted(set(people))
    if len(names) < MIN_PEOPLE:
        return None
    labels = np.asarray(labels)
    number = {name: i for i, name in enumerate(names)}
    person_index = np.asarray([number[p] for p in people])
    n_classes = int(labels.max()) + 1
    total = np.bincount(labels, minlength=n_classes)
    want = {split: np.maximum(np.round(total * share), np.where(total >= HELD_OUT_FROM_CLASS_SIZE, 1, 0))
            for split, share in STRATIFIED_FRACTIONS.items()}
    have = {split: np.zeros(n_classes, np.int64) for split in STRATIFIED_FRACTIONS}
    in_train = total.copy()
    split_of = np.full(len(names), "train", dtype=object)
    for person in np.random.default_rng(seed).permutation(len(names)):
        counts = np.bincount(labels[person_index == person], minlength=n_classes)
        if ((in_train - counts)[counts > 0] < 1).any():
            continue  # this person's photos are all a class has left to train on
        for split in STRATIFIED_FRACTIONS:
            if ((have[split] < want[split]) & (counts > 0)).any():
                split_of[person], have[split], in_train = split, have[split] + counts, in_train - counts
                break
    return {split: np.flatnonzero(split_of[person_index] == split) for split in ("train", "validation", "test")}


def _stratified(labels: np.ndarray, seed: int, unknown: str = "") -> SplitIndices:
    joined = stratified_split(labels, seed)
    why = (f"The Usage column holds none of {', '.join(USAGE_TO_SPLIT)} (it holds {unknown})" if unknown
           else "The file has no Usage column")
    note = (f"{why}: a stratified split with seed {seed} made "
            f"{len(joined['train'])} train, {len(joined['validation'])} validation and {len(joined['test'])} test faces.")
    return SplitIndices(joined["train"], joined["validation"], joined["test"], (note,))
