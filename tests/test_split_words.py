"""Words that fit the data: photo folders are told about their folders (never FER2013's Usage), own photos are split
by person where their names say who is who, a test score that its split also picked is called optimistic, and two
scores are compared only on the same faces."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from app_fixtures import install_model_run
from own_classes_fixtures import zip_folder
from PIL import Image
from streamlit.testing.v1 import AppTest

from fer_core.data.dataset import load_fer2013, load_fer2013_bytes
from fer_core.data.sampling import BUILT_IN_SAMPLE
from fer_core.data.splits import person_of, split_by_person
from fer_core.training.evaluation import faces_digest, same_faces, score_caveats, score_on_faces, scored_on
from ui.sidebar import SEED_MODEL, SHIPPED_MODEL

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
FER2013_WORDS = ("Usage", "PublicTest", "PrivateTest")


def write_crops(root: Path, names_by_class: dict[str, list[str]], seed: int = 0) -> Path:
    """48×48 grey crops (read as they are, no face detection) at root/<class>/<name>; names may hold a folder."""
    rng = np.random.default_rng(seed)
    for class_name, names in names_by_class.items():
        for name in names:
            path = root / class_name / name if "/" not in name else root / name.replace("{class}", class_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (48, 48), dtype=np.uint8)).save(path)
    return root


@pytest.mark.parametrize("name, person", [
    ("anna_01.jpg", "anna"), ("Anna 2.png", "anna"), ("ben-003.jpg", "ben"), ("Anna (3).jpg", "anna"),
    ("anna_bob_2.jpg", "anna_bob"), ("IMG_1234.jpg", None), ("PXL_20240101.jpg", None), ("003.png", None),
    ("smile_003.jpg", None), ("anna.jpg", None)])
def test_a_file_name_says_who_it_shows_by_the_documented_rule(name, person):
    assert person_of(name, "smile") == person


def test_a_split_by_person_puts_each_person_in_one_split_and_keeps_every_class_trained():
    people = [f"p{i % 12}" for i in range(240)]
    labels = np.asarray([i % 3 for i in range(240)])
    splits = split_by_person(labels, people)
    held = {name: {people[i] for i in indices} for name, indices in splits.items()}
    assert held["train"] and held["validation"] and held["test"]
    assert not (held["train"] & held["validation"] or held["train"] & held["test"] or held["validation"] & held["test"])
    assert sum(len(v) for v in splits.values()) == 240
    for indices in splits.values():
        assert set(labels[indices]) == {0, 1, 2}
    assert split_by_person(labels, ["a", "b"] * 120) is None  # two people cannot train, validate and test


def test_a_person_who_is_a_class_s_only_trainer_is_not_held_out():
    labels = np.asarray([0] * 10 + [1] * 30)
    people = ["solo"] * 10 + [f"p{i % 6}" for i in range(30)]
    splits = split_by_person(labels, people)
    assert (labels[splits["train"]] == 0).sum() == 10


def test_photos_named_by_person_are_split_by_person_and_say_so(tmp_path):
    names = [f"{person}_{k:02d}.png" for person in ("anna", "ben", "chloe", "dev", "eve", "finn") for k in range(3)]
    root = write_crops(tmp_path / "faces", {"smile": names, "frown": names})
    dataset = load_fer2013(root)
    assert dataset.photo_split == "person"
    [note] = dataset.notes
    assert "split by person (the name before the number, as in anna_01.jpg)" in note and "no one is in two" in note
    splits = dataset.splits
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))  # the load's order
    person = np.asarray([Path(f).name.split("_")[0] for f in files])
    split_people = [set(person[splits[name]]) for name in ("train", "validation", "test")]
    assert all(split_people) and not set.intersection(*split_people[:2]) and not split_people[1] & split_people[2]
    assert not split_people[0] & split_people[2]
    assert not any(word in " ".join(dataset.notes) for word in FER2013_WORDS)


def test_photos_whose_names_say_nobody_are_split_one_by_one_and_the_note_says_the_score_is_optimistic(tmp_path):
    root = write_crops(tmp_path / "faces", {"smile": [f"IMG_{k:04d}.png" for k in range(10)],
                                            "frown": [f"IMG_{k:04d}.png" for k in range(10, 20)]})
    dataset = load_fer2013(root)
    assert dataset.photo_split == "photo"
    [note] = dataset.notes
    assert note.startswith("The photos are not split into train/ and test/ folders: a stratified split")
    assert "one by one, because 20 of the photos' names say nobody's name" in note
    assert "The same person may be in train and test, so the test score is optimistic." in note
    assert score_caveats(dataset.splits.test_is_validation, dataset.photo_split) == [
        "Optimistic: the photos were split one by one, so the same person may be in train and test."]


def test_a_train_and_test_folder_is_told_in_its_own_words_and_its_test_score_is_optimistic(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_CACHE_DIR", str(tmp_path / "cache"))
    names = {"smile": [f"{split}/{{class}}/{k}.png" for split in ("train", "test") for k in range(4)],
             "frown": [f"{split}/{{class}}/{k}.png" for split in ("train", "test") for k in range(4)]}
    root = write_crops(tmp_path / "faces", names)
    for dataset in (load_fer2013(root), load_fer2013_bytes(zip_folder(root), "faces.zip"),
                    load_fer2013_bytes(zip_folder(root), "faces.zip")):  # the last is read from the cache
        assert dataset.photo_split == "folders"
        assert dataset.splits.test_is_validation
        notes = " ".join(dataset.notes)
        assert "Your test folder's 8 photos are also the validation photos" in notes and "optimistic" in notes
        assert not any(word in notes for word in FER2013_WORDS)
        assert score_caveats(True, dataset.photo_split) == [
            "Optimistic: your test folder's photos also picked the best epoch (they are the validation photos too)."]


def test_a_val_folder_beside_test_keeps_the_test_photos_for_the_score_alone(tmp_path):
    names = ([f"train/{{class}}/{k}.png" for k in range(6)] + [f"val/{{class}}/{k}.png" for k in range(3)]
             + [f"test/{{class}}/{k}.png" for k in range(3)])
    root = write_crops(tmp_path / "faces", {"smile": names, "frown": names})
    dataset = load_fer2013(root)
    splits = dataset.splits
    assert not splits.test_is_validation and splits.notes == ()
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (12, 6, 6)
    assert not set(splits.validation) & set(splits.test)


def test_a_fer2013_file_without_private_test_keeps_fer2013_s_words(tmp_path):
    dataset = load_fer2013(BUILT_IN_SAMPLE)
    assert dataset.photo_split == "" and dataset.splits.test_is_validation
    assert "No PrivateTest rows: the test split is the validation split (PublicTest)." in dataset.notes
    assert score_caveats(True) == [
        "Optimistic: these test faces also picked the best epoch (they are the validation faces too)."]


def test_scores_compare_only_on_the_same_faces():
    images = np.zeros((4, 48, 48), np.uint8)
    first, relabelled = faces_digest(images, [0, 1, 2, 3]), faces_digest(images, [0, 1, 2, 2])
    assert first == faces_digest(images.copy(), np.asarray([0, 1, 2, 3])) and first != relabelled
    assert same_faces({"faces_sha1": first}, {"faces_sha1": first})
    assert not same_faces({"faces_sha1": first}, {"faces_sha1": relabelled})
    assert not same_faces({}, {})  # a score that does not say its faces compares with nothing
    card = {"evaluation": {"faces_sha1": first, "accuracy": 0.7},
            "also_scored_on": [{"faces_sha1": relabelled, "accuracy": 0.6}]}
    assert score_on_faces(card, relabelled)["accuracy"] == 0.6 and score_on_faces(card, "other") is None
    assert scored_on({"n": 3435, "split": "test", "data": "fer2013.csv.gz"}) == "3,435 test faces of fer2013.csv.gz"


def test_the_shipped_cards_say_which_faces_they_were_scored_on():
    cards = {path: json.loads(path.with_suffix(".json").read_text())["card"] for path in (SHIPPED_MODEL, SEED_MODEL)}
    assert same_faces(cards[SHIPPED_MODEL]["evaluation"], cards[SEED_MODEL]["evaluation"])
    sample = load_fer2013(BUILT_IN_SAMPLE).split("test")
    on_sample = score_on_faces(cards[SHIPPED_MODEL], faces_digest(sample.images, sample.labels))
    assert on_sample["n"] == len(sample) == 345 and on_sample["data"] == BUILT_IN_SAMPLE.name


def scored_run(tiny_model, name: str, faces_sha1: str, caveats: list[str]) -> Path:
    model = install_model_run(Path(os.environ["FER_RUNS_DIR"]), name, tiny_model)
    info = json.loads(model.with_suffix(".json").read_text())
    info["card"]["evaluation"] = {"n": 345, "split": "test", "data": "fer2013_sample.csv.gz", "accuracy": 0.5,
                                  "top3_accuracy": 0.8, "macro_f1": 0.4, "faces_sha1": faces_sha1, "caveats": caveats}
    model.with_suffix(".json").write_text(json.dumps(info))
    return model


def test_predict_compares_with_seed_cnn_only_on_the_same_faces(tiny_model):
    sample = load_fer2013(BUILT_IN_SAMPLE).split("test")
    caveat = score_caveats(True)[0]
    seed_faces = json.loads(SEED_MODEL.with_suffix(".json").read_text())["card"]["evaluation"]["faces_sha1"]
    for name, faces, compared in (("20260101-000000-on_sample", faces_digest(sample.images, sample.labels), False),
                                  ("20260101-000001-on_publictest", seed_faces, True)):
        model = scored_run(tiny_model, name, faces, [caveat])
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["model_path"] = str(model)
        at.run().switch_page("app_pages/predict.py").run()
        assert not at.exception
        assert ("vs. the notebook's seed_cnn" in [m.label for m in at.metric]) is compared, name
        captions = [c.value for c in at.caption]
        assert f":material/warning: {caveat}" in captions
        assert any("scored on 345 test faces of fer2013_sample.csv.gz" in c for c in captions)


def test_home_says_which_faces_each_figure_is_on_and_shows_the_active_data_s(tiny_model):
    at = AppTest.from_file(APP, default_timeout=60).run()  # the shipped model on the built-in sample
    assert not at.exception
    text = [m.value for m in at.markdown if "test accuracy" in m.value]
    evaluation = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())["card"]["evaluation"]
    assert len(text) == 2
    assert text[0].endswith("on 345 test faces of fer2013_sample.csv.gz (the active data's test faces).")
    assert f"test accuracy **{evaluation['accuracy']:.1%}**" in text[1]
    assert text[1].endswith("on 3,435 test faces of fer2013.csv.gz (not the active data).")
    assert any(c.value.startswith(":material/warning: Optimistic: these test faces") for c in at.caption)

    model = scored_run(tiny_model, "20260101-000002-elsewhere", "0" * 40, [])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["model_path"] = str(model)
    at.run()
    assert any(m.value.endswith("(not the active data).") for m in at.markdown)
    assert "Its card has no score on the active data's test faces." in [c.value for c in at.caption]


def test_the_same_person_in_train_and_test_folders_is_named_and_the_score_called_optimistic(tmp_path):
    names = ([f"train/{{class}}/{p}_{k}.png" for p in ("anna", "ben") for k in range(3)]
             + [f"test/{{class}}/{p}_{k}.png" for p, k in (("anna", 7), ("chloe", 1))])
    dataset = load_fer2013(write_crops(tmp_path / "faces", {"smile": names, "frown": names}))
    assert dataset.photo_split == "folders sharing people"
    assert ("By their file names, anna has photos in train/ and in val/ or test/: the model is tested on people it "
            "trained on, so the test score is optimistic. Keep each person's photos in one folder.") in dataset.notes
    assert score_caveats(dataset.splits.test_is_validation, dataset.photo_split)[1] == (
        "Optimistic: by their file names, some people have photos both in train/ and in test/.")
    apart = [n for n in names if not n.startswith("test/{class}/anna")]
    assert load_fer2013(write_crops(tmp_path / "apart", {"smile": apart, "frown": apart})).photo_split == "folders"


def test_the_train_page_says_under_a_run_s_test_figure_that_it_is_optimistic(tiny_model):
    caveat = score_caveats(True, "folders")[0]
    model = scored_run(tiny_model, "20260101-000003-own_classes", "0" * 40, [caveat])
    evaluation = json.loads(model.with_suffix(".json").read_text())["card"]["evaluation"]
    n_classes = len(json.loads(model.with_suffix(".json").read_text())["contract"]["class_names"])
    evaluation.update(confusion_matrix=[[0] * n_classes] * n_classes, class_names=[str(k) for k in range(n_classes)],
                      per_class={str(k): {"precision": 0, "recall": 0, "f1": 0, "support": 0} for k in range(n_classes)})
    (model.parent / "evaluation.json").write_text(json.dumps(evaluation))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key="open_run").set_value(model.parent.name).run()
    assert not at.exception
    assert "Test accuracy" in [m.label for m in at.metric]
    assert f":material/warning: {caveat}" in [c.value for c in at.caption]
