"""Safe on the public internet (issue 13): server paths confined to FER_DATA_DIRS, a memory budget checked before a
load, no line of a non-FER file in a message, Usage values matched without case, bounded stores, pruning that spares
what visitors use, server-side caps on photos, bounded face detection, saliency on request, and Stop/Resume behind
the same right as Start. Every hostile file is made here, small; nothing is read from the developers' copy of FER2013."""

from __future__ import annotations

import gzip
import io
import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from app_fixtures import FakeUpload
from conftest import synthetic_faces, write_csv
from PIL import Image
from streamlit.testing.v1 import AppTest

from fer_core.bounded_store import evict_oldest
from fer_core.data import dataset as dataset_module
from fer_core.data.dataset import load_fer2013, load_fer2013_bytes
from fer_core.data.load_budget import LoadBudget
from fer_core.errors import DataError, ImageError
from fer_core.settings import AppSettings, load_settings

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
ASSETS = Path(__file__).resolve().parent / "assets"
PIXELS = " ".join(["128"] * 2304)
PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
SECRETS = 'FER_TRAINING = "password"\nFER_TRAINING_PASSWORD = "hunter2"\n'


def load_error(path, **kwargs) -> str:
    with pytest.raises(DataError) as caught:
        load_fer2013(path, **kwargs)
    return str(caught.value)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    images, labels, usage = synthetic_faces(n_per_class=2)
    write_csv(folder / "fer2013.csv", images, labels, usage)
    return folder


@pytest.fixture
def settings(data_dir) -> AppSettings:
    return load_settings({"FER_DATA_DIRS": str(data_dir)}, environ={})


# ---------------------------------------------------------------------------------------------------------------
# Server paths: only inside FER_DATA_DIRS, only regular files and folders


def test_a_path_inside_the_data_folders_is_allowed_and_a_relative_one_is_read_there(settings, data_dir):
    assert settings.server_path(str(data_dir / "fer2013.csv")) == (data_dir / "fer2013.csv").resolve()
    assert settings.server_path("fer2013.csv") == (data_dir / "fer2013.csv").resolve()
    assert settings.server_path(str(data_dir)) == data_dir.resolve()


@pytest.mark.parametrize("typed", ["/etc/passwd", "/", "/proc", "/proc/self/environ", "/dev/zero",
                                   ".streamlit/secrets.toml", "../outside.csv", "DATA/../outside.csv"])
def test_a_path_outside_the_data_folders_is_refused_with_a_sentence(settings, data_dir, tmp_path, typed):
    (tmp_path / "outside.csv").write_text(PASSWD)
    typed = typed.replace("DATA", str(data_dir))
    with pytest.raises(DataError) as caught:
        settings.server_path(typed)
    message = str(caught.value)
    assert "outside the folders this server loads data from" in message or "does not exist" in message
    assert "root:x" not in message


def test_a_link_out_of_the_data_folders_is_refused(settings, data_dir):
    (data_dir / "innocent.csv").symlink_to("/etc/passwd")
    with pytest.raises(DataError, match="is outside the folders"):
        settings.server_path(str(data_dir / "innocent.csv"))


def test_devices_and_pipes_are_refused_unread(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    inside = load_settings({"FER_DATA_DIRS": f"{tmp_path}:/dev"}, environ={})
    for typed in (str(fifo), "/dev/zero", "/dev/urandom"):
        with pytest.raises(DataError, match="is not a regular file or folder"):
            inside.server_path(typed)
    # load_fer2013 itself (the CLI, a training job) never reads one either, even if a file is swapped for one.
    for path in (fifo, Path("/dev/zero"), Path("/dev/urandom")):
        assert "is not a regular file (it is a device, a pipe or a socket), so it was not read." in load_error(path)


def test_with_no_data_folders_there_are_no_server_paths():
    with pytest.raises(DataError, match="does not load data from server paths"):
        load_settings({}, environ={}).server_path("/etc/passwd")


def test_a_read_that_takes_too_long_is_given_up(data_dir, monkeypatch):
    monkeypatch.setattr(dataset_module, "READ_SECONDS", -1)
    assert load_error(data_dir / "fer2013.csv") == "fer2013.csv took more than -1 s to read, so it was given up."


def test_a_file_larger_than_the_budget_is_refused_unread(tmp_path):
    big = tmp_path / "huge.csv"
    with open(big, "wb") as handle:
        handle.truncate(50_000_000)  # sparse: nothing is written, and nothing may be read
    message = load_error(big, max_load_mb=1)
    assert message.startswith("huge.csv holds more than 4 MB of text, more than 434 faces take")


@pytest.mark.parametrize("name, text, secret", [
    ("passwd", PASSWD, "root:x"),
    ("secrets.toml", SECRETS, "hunter2"),
    ("notes.csv", "name,password\nadmin,hunter2\n", "hunter2"),
    ("quoted.csv", 'emotion,pixels\n"hunter2\n', "hunter2"),
    ("ragged.csv", "a,b\nhunter2,x,y,z\n", "hunter2"),
    ("columns.csv", "emotion,hunter2,pixels2\n1,2,3\n", "hunter2"),
])
def test_no_line_of_a_file_that_is_not_fer2013_is_shown(tmp_path, name, text, secret):
    path = tmp_path / name
    path.write_text(text)
    message = load_error(path)
    assert secret not in message and name in message


def test_missing_columns_are_named_by_what_fer2013_expects(tmp_path):
    path = tmp_path / "fer2013.csv"
    path.write_text("emotion,Usage,[Click here](https://example.invalid)\n3,Training,x\n")
    assert load_error(path) == ("fer2013.csv has no 'pixels' column (columns found: emotion, Usage, and 1 other "
                                "column).")
    path.write_text(PASSWD)
    assert load_error(path) == ("fer2013.csv has no 'emotion' or 'pixels' column (its header has 1 column, none of "
                                "them emotion, pixels or Usage).")


# ---------------------------------------------------------------------------------------------------------------
# A memory budget for a load, checked before the work


def test_a_header_of_300000_columns_is_refused_before_parsing(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(300_000)) + b"\n" + b"1," * 10 + b"\n")
    assert load_error(path) == ("wide.csv's header has 300,000 columns; FER2013 has 3 (emotion, pixels, Usage) and "
                                "this server reads at most 16.")


def test_a_first_line_too_long_for_a_header_is_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes(b"x" * 5000 + b"\n1\n")
    assert "first line is longer than 1,024 bytes" in load_error(path)


def test_more_faces_than_the_budget_are_refused_before_parsing(tmp_path):
    rows = "emotion,pixels,Usage\n" + "0,1 2,Training\n" * 500  # rows that would fail parsing: none is parsed
    path = tmp_path / "many.csv"
    path.write_text(rows)
    assert load_error(path, max_load_mb=1) == ("many.csv holds 500 faces; this server loads at most 434 at once "
                                               "(1 MB of 48×48 faces; FER2013 has 35,887).")
    gz = tmp_path / "many.csv.gz"
    gz.write_bytes(gzip.compress(rows.encode()))
    assert load_error(gz, max_load_mb=1).startswith("many.csv.gz holds more than 434 faces; this server loads")
    packed = tmp_path / "many.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fer2013.csv", rows)
    assert load_error(packed, max_load_mb=1).startswith("many.zip/fer2013.csv holds 500 faces")


def test_an_image_release_with_more_faces_than_the_budget_is_refused_before_decoding(tmp_path):
    packed = tmp_path / "images.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        for i in range(500):
            archive.writestr(f"train/happy/Training_{i}.jpg", b"not decoded")
    assert load_error(packed, max_load_mb=1).startswith("images.zip holds 500 faces; this server loads at most 434")


def test_within_the_budget_a_file_loads_and_a_cache_entry_over_it_is_refused(tmp_path):
    images, labels, usage = synthetic_faces(n_per_class=30)  # 570 faces: fits 2 MB, not 1 MB
    path = write_csv(tmp_path / "fer2013.csv", images, labels, usage, gz=True)
    assert len(load_fer2013(path, max_load_mb=2)) == len(labels)
    assert len(load_fer2013_bytes(path.read_bytes(), "fer2013.csv.gz", max_load_mb=2)) == len(labels)  # cached
    assert "(1 MB of 48×48 faces" in load_error(path, max_load_mb=1)
    assert LoadBudget(1).max_faces == 434


# ---------------------------------------------------------------------------------------------------------------
# Usage values


def test_usage_is_matched_without_case(tmp_path):
    rows = [f"{i % 7},{PIXELS},{usage}" for i, usage in
            enumerate(["training"] * 7 + ["PUBLICTEST"] * 7 + ["privateTest"] * 7)]
    path = tmp_path / "lower.csv"
    path.write_text("emotion,pixels,Usage\n" + "\n".join(rows) + "\n")
    loaded = load_fer2013(path)
    assert set(loaded.usage) == {"Training", "PublicTest", "PrivateTest"}
    assert loaded.splits.notes == ()
    assert len(loaded.splits.train) == len(loaded.splits.validation) == len(loaded.splits.test) == 7


def test_unknown_usage_values_are_named(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("emotion,pixels,Usage\n" + "".join(f"{i % 7},{PIXELS},{['train', 'test'][i % 2]}\n"
                                                       for i in range(14)))
    [note] = load_fer2013(path).splits.notes
    assert note.startswith("The Usage column holds none of Training, PublicTest, PrivateTest (it holds 'test', "
                           "'train'): a stratified split with seed 0 made ")
    path.write_text("emotion,pixels,Usage\n" + "".join(f"{i % 7},{PIXELS},{['Training', 'dev'][i % 2]}\n"
                                                       for i in range(14)))
    assert "7 rows with an unknown Usage ('dev') were left out of every split." in load_fer2013(path).splits.notes


# ---------------------------------------------------------------------------------------------------------------
# Bounded stores: uploads and caches


def test_a_bounded_store_evicts_the_oldest_first_and_never_what_it_keeps(tmp_path):
    for age, name in enumerate(["newest", "middle", "oldest"]):
        (tmp_path / name).write_bytes(b"x" * 1000)
        os.utime(tmp_path / name, (time.time() - age * 100,) * 2)
    (tmp_path / ".writing.tmp").write_bytes(b"x" * 1000)
    assert evict_oldest(tmp_path, 2500, keep=tmp_path / "oldest") == ["middle"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".writing.tmp", "newest", "oldest"]


def test_the_dataset_cache_stays_under_its_cap(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_CACHE_MB", "1")
    cache = Path(os.environ["FER_CACHE_DIR"])
    for seed in range(3):
        images, labels, usage = synthetic_faces(n_per_class=20, seed=seed)  # about 0.9 MB cached each
        load_fer2013(write_csv(tmp_path / f"f{seed}.csv", images, labels, usage))
        time.sleep(0.01)
    assert len(list(cache.glob("*.npz"))) == 1
    assert sum(p.stat().st_size for p in cache.iterdir()) <= 1_000_000


def test_an_upload_is_saved_under_the_users_name_in_a_bounded_folder(tmp_path):
    from ui.cached import saved_upload

    uploads = tmp_path / "uploads"
    first = saved_upload(FakeUpload("my faces.csv", b"emotion,pixels\n" + b"0,1\n" * 400), uploads, 2000)
    assert first.name == "my faces.csv" and first.exists()
    assert "my faces.csv: row 1 has 1 pixel values" in load_error(first)  # the user's name, not a digest
    os.utime(first.parent, (time.time() - 100,) * 2)
    second = saved_upload(FakeUpload("../../etc/other.csv", b"emotion,pixels\n" + b"1,2\n" * 400), uploads, 2000)
    assert second.name == "other.csv" and second.parent.parent == uploads
    assert not first.exists()  # over the cap: the older upload went


# ---------------------------------------------------------------------------------------------------------------
# Runs: what a session predicts with is marked, and a removed one is said


def test_the_run_a_session_predicts_with_is_marked_in_use(tiny_model):
    from app_fixtures import install_model_run

    model = install_model_run(Path(os.environ["FER_RUNS_DIR"]), "20260101-000000-tiny_test", tiny_model)
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["model_path"] = str(model)
    at.run()
    assert not at.exception
    assert (model.parent / "IN_USE").exists()


def test_a_session_whose_model_was_removed_is_told(tmp_path):
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["model_path"] = str(tmp_path / "runs" / "gone-run" / "model.keras")
    at.run()
    assert not at.exception
    assert any("The model you chose (gone-run) is no longer on the server" in w.value for w in at.warning)


# ---------------------------------------------------------------------------------------------------------------
# Predict: caps on the server, unique keys, bounded detection, saliency on request


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def predict_page(monkeypatch, uploads: list[FakeUpload]) -> AppTest:
    import streamlit

    monkeypatch.setattr(streamlit, "file_uploader", lambda *args, **kwargs: uploads if kwargs.get("key") == "photos"
                        else None)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run().switch_page("app_pages/predict.py").run()
    return at


def test_two_photos_with_the_same_name_and_no_face_each_get_their_own_button(monkeypatch):
    grey = png_bytes(Image.new("RGB", (320, 240), (128, 128, 128)))
    at = predict_page(monkeypatch, [FakeUpload("same.png", grey, "a"), FakeUpload("same.png", grey, "b")])
    assert not at.exception
    assert [w.value for w in at.warning] == ["No face was found in this photo."] * 2
    assert len({b.key for b in at.button if b.label == "Classify the whole image"}) == 2


def test_a_photo_over_the_cap_is_refused_on_the_server(monkeypatch):
    monkeypatch.setenv("FER_MAX_UPLOAD_MB", "1")
    noise = np.random.default_rng(0).integers(0, 255, (800, 800, 3), dtype=np.uint8)
    big = png_bytes(Image.fromarray(noise))  # about 1.9 MB, whatever size the browser claimed
    at = predict_page(monkeypatch, [FakeUpload("big.png", big)])
    assert not at.exception
    assert [e.value for e in at.error] == [f"big.png is {len(big) / 1e6:.1f} MB; this server accepts files up to 1 MB."]


def test_the_photo_cap_raises_an_image_error():
    with pytest.raises(ImageError, match="accepts files up to 50 MB"):
        load_settings({}, environ={}).check_upload(61_600_000, "huge.png", limit_mb=50, error=ImageError)


def test_a_thin_strip_costs_one_detector_pass_not_hundreds(monkeypatch):
    from fer_core.prediction import face_detection as faces
    from fer_core.prediction.photos import load_image

    passes = []
    original = faces._BlazeNet.window
    monkeypatch.setattr(faces._BlazeNet, "window", lambda self, *args: passes.append(args[1:]) or original(self, *args))
    strip = load_image(png_bytes(Image.new("L", (100_000, 1), 128)))
    assert faces.detect_faces(strip) == []
    # The whole strip, the padded search finding nothing, then the back-camera model over the strip and its canvases.
    second_look = 2
    assert len(passes) == 1 + len(faces.PAD_FACTORS) + second_look
    passes.clear()
    faces.detect_faces(Image.new("RGB", (2048, 2048), (90, 90, 90)))
    assert len(passes) == 5 + len(faces.PAD_FACTORS) + second_look  # a large square photo is still searched in tiles, then padded
    assert max(len(faces._windows(640, h, True)) for h in range(1, 641)) <= 10


def test_saliency_is_drawn_for_the_first_faces_and_on_request_for_the_rest(monkeypatch):
    head = Image.open(ASSETS / "astronaut.jpg").convert("RGB").crop((120, 10, 330, 220)).resize((200, 200))
    sheet = Image.new("RGB", (1000, 400), (128, 128, 128))
    for i in range(10):
        sheet.paste(head, ((i % 5) * 200, (i // 5) * 200))
    at = predict_page(monkeypatch, [FakeUpload("ten.png", png_bytes(sheet))])
    assert not at.exception
    faces_shown = [m for m in at.markdown if m.value.startswith("#### Face")]
    saliency_shown = [i for i in at.image if "What made it say" in str(i.proto)]
    assert len(faces_shown) == 10 and len(saliency_shown) == 3
    at.checkbox(key="saliency-1-7").check().run()
    assert len([i for i in at.image if "What made it say" in str(i.proto)]) == 4


# ---------------------------------------------------------------------------------------------------------------
# Train: Stop and Resume need the right to Start; messages are text


def fake_run(runs_dir: Path, name: str, state: str, message: str = "", pid: int | None = None) -> Path:
    path = runs_dir / name
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"arch": "tiny_cnn", "epochs": 2, "data": "x.csv"}))
    (path / "status.json").write_text(json.dumps({"state": state, "started_at": time.time(), "pid": pid,
                                                  "message": message}))
    return path


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    return at.switch_page("app_pages/train.py").run()


def test_with_training_off_nobody_gets_a_stop_or_resume_button(monkeypatch):
    monkeypatch.setenv("FER_TRAINING", "off")
    runs = Path(os.environ["FER_RUNS_DIR"])
    fake_run(runs, "20260101-000000-tiny_cnn", "running", pid=os.getpid())  # an operator's CLI job, alive
    stopped = fake_run(runs, "20250101-000000-tiny_cnn", "stopped")
    (stopped / "checkpoint.json").write_text("{}")
    at = train_page()
    assert not at.exception
    assert "Running: 20260101-000000-tiny_cnn" in [s.value for s in at.subheader]
    assert not [b for b in at.button if b.label in ("Stop", "Resume")]


def test_stop_needs_the_training_password(monkeypatch):
    monkeypatch.setenv("FER_TRAINING", "password")
    monkeypatch.setenv("FER_TRAINING_PASSWORD", "open sesame")
    run = fake_run(Path(os.environ["FER_RUNS_DIR"]), "20260101-000000-tiny_cnn", "running", pid=os.getpid())
    at = train_page()
    at.text_input(key="training_password").input("guess")
    [stop] = [b for b in at.button if b.label == "Stop"]
    stop.click().run()
    assert not (run / "STOP").exists()
    assert [t.value for t in at.toast] == ["That training password is not right."]
    at.text_input(key="training_password").input("open sesame").run()
    [stop] = [b for b in at.button if b.label == "Stop"]
    stop.click().run()
    assert (run / "STOP").exists()


def test_a_run_message_is_shown_as_text_not_markdown():
    message = "x.csv has no 'pixels' column (columns found: [Click here](https://example.invalid), ![x](https://example.invalid/x.png))."
    fake_run(Path(os.environ["FER_RUNS_DIR"]), "20260101-000000-tiny_cnn", "failed", message)
    at = train_page()
    assert not at.exception
    [shown] = [e.value for e in at.error if "pixels" in e.value]
    assert "\\[Click here\\]" in shown and "\\!\\[x\\]" in shown and "https:\u2060//" in shown


# ---------------------------------------------------------------------------------------------------------------
# Cold start: small files parse with the numpy twin of the compiled kernel, which must agree with it exactly


def test_the_numpy_kernel_agrees_with_the_compiled_one_on_random_rows():
    from fer_core.data.csv_format import _numba_kernel, _parse_pixel_strings_numpy

    rng = np.random.default_rng(13)
    pieces = [b"0", b"1", b"2", b"5", b"9", b" ", b"  ", b"\t", b"x", b"\r", b"300", b"255", b"0003", b"1000", b"-",
              b"\xff", b"", b"0256", b"00000000001"]
    for _ in range(300):
        rows = []
        for _ in range(rng.integers(1, 6)):
            if rng.random() < 0.5:
                values = rng.integers(0, 256, 2304 if rng.random() < 0.7 else rng.integers(0, 2310))
                row = b" ".join(str(v).encode() for v in values)
                if row and rng.random() < 0.5:
                    at = rng.integers(0, len(row))
                    row = row[:at] + pieces[rng.integers(len(pieces))] + row[at:]
            else:
                row = b"".join(pieces[i] for i in rng.integers(0, len(pieces), rng.integers(0, 30)))
            rows.append(row)
        data = np.frombuffer(b"".join(rows) or b"\0", np.uint8)
        offsets = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
        results = []
        for kernel in (_numba_kernel(), _parse_pixel_strings_numpy):
            out = np.zeros((len(rows), 2304), np.uint8)
            status, counts = np.zeros(len(rows), np.uint8), np.zeros(len(rows), np.int64)
            kernel(data, offsets, out, status, counts)
            results.append((out, status, counts))
        (out_a, status_a, counts_a), (out_b, status_b, counts_b) = results
        assert (status_a == status_b).all(), rows
        assert (counts_a[status_a == 1] == counts_b[status_a == 1]).all()
        assert (out_a[status_a == 0] == out_b[status_a == 0]).all()


def test_the_built_in_sample_parses_without_numba():
    import subprocess
    import sys

    code = ("import sys; from fer_core.data.dataset import load_fer2013; from fer_core.data.sampling import BUILT_IN_SAMPLE; "
            "d = load_fer2013(BUILT_IN_SAMPLE, cache=False); print(len(d), 'numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout.split() == ["3217", "False"]
