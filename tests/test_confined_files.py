"""Files read from a folder are confined to it: links out refused, pipes and devices refused, sizes capped, and the
file that is checked is the file that is read."""

import os
import threading
from pathlib import Path

import pytest

from fer_core.data.confined_files import MAX_PHOTO_BYTES, read_confined, read_regular_file
from fer_core.errors import DataError, ImageError


@pytest.fixture
def folder(tmp_path) -> Path:
    inside = tmp_path / "allowed" / "tongue_out"
    inside.mkdir(parents=True)
    (inside / "a.jpg").write_bytes(b"inside photo")
    (tmp_path / "outside.jpg").write_bytes(b"outside photo")
    return tmp_path / "allowed"


def test_a_file_inside_and_a_link_that_stays_inside_are_read(folder):
    assert read_confined(folder, ("tongue_out", "a.jpg")) == b"inside photo"
    (folder / "tongue_out" / "same.jpg").symlink_to("a.jpg")
    (folder / "tongue_out" / "absolute.jpg").symlink_to(folder / "tongue_out" / "a.jpg")
    (folder / "alias").symlink_to("tongue_out")
    assert read_confined(folder, ("tongue_out", "same.jpg")) == b"inside photo"
    assert read_confined(folder, ("tongue_out", "absolute.jpg")) == b"inside photo"
    assert read_confined(folder, ("alias", "a.jpg")) == b"inside photo"


def test_a_link_to_an_outside_photo_is_refused_with_a_sentence(folder):
    (folder / "tongue_out" / "b.jpg").symlink_to(folder.parent / "outside.jpg")
    (folder / "tongue_out" / "c.jpg").symlink_to("../../outside.jpg")
    (folder / "up").symlink_to("..")
    with pytest.raises(DataError, match=r"^tongue_out/b\.jpg is a link to a file outside allowed, so it was not read\.$"):
        read_confined(folder, ("tongue_out", "b.jpg"))
    with pytest.raises(DataError, match=r"^tongue_out/c\.jpg leads out of allowed, so it was not read\.$"):
        read_confined(folder, ("tongue_out", "c.jpg"))
    with pytest.raises(DataError, match="leads out of allowed"):
        read_confined(folder, ("up", "outside.jpg"))


def test_proc_self_environ_behind_a_link_is_refused(folder):
    (folder / "tongue_out" / "environ.jpg").symlink_to("/proc/self/environ")
    with pytest.raises(DataError, match="environ.jpg is a link to a file outside allowed") as refused:
        read_confined(folder, ("tongue_out", "environ.jpg"))
    assert "PATH" not in str(refused.value)


def test_a_pipe_and_a_device_are_refused_without_waiting(folder):
    os.mkfifo(folder / "tongue_out" / "pipe.jpg")  # opening it for reading would wait for a writer forever
    with pytest.raises(DataError, match=r"^tongue_out/pipe\.jpg is not a regular file \(a device, a pipe or a socket\)"):
        read_confined(folder, ("tongue_out", "pipe.jpg"))
    with pytest.raises(DataError, match="not a regular file"):
        read_regular_file(folder / "tongue_out" / "pipe.jpg")
    with pytest.raises(DataError, match="^/dev/null is not a regular file"):
        read_regular_file("/dev/null")


def test_an_oversized_file_is_refused_before_it_is_read(folder):
    with open(folder / "tongue_out" / "huge.jpg", "wb") as huge:
        huge.truncate(MAX_PHOTO_BYTES + 1)  # sparse: no disk used
    with pytest.raises(DataError, match=r"^tongue_out/huge\.jpg is 50\.0 MB; FER Studio reads files of this kind up to 50 MB"):
        read_confined(folder, ("tongue_out", "huge.jpg"))
    with pytest.raises(ImageError, match="up to 1 MB"):
        read_regular_file(folder / "tongue_out" / "huge.jpg", max_bytes=1_000_000, error=ImageError)


def test_an_endless_device_is_read_no_further_than_the_cap(tmp_path):
    with pytest.raises(DataError, match="^/dev/zero is not a regular file"):
        read_regular_file("/dev/zero")


def test_a_link_loop_is_refused(folder):
    (folder / "tongue_out" / "loop.jpg").symlink_to("loop.jpg")
    with pytest.raises(DataError, match="a chain of more than 16 links"):
        read_confined(folder, ("tongue_out", "loop.jpg"))


def test_a_file_swapped_for_a_link_out_is_never_read(folder):
    """Another thread swaps the photo for a link to the outside photo and back, again and again, while it is read:
    every read gives the inside photo or a refusal, never the outside photo's bytes."""
    photo, outside = folder / "tongue_out" / "a.jpg", folder.parent / "outside.jpg"
    stop = threading.Event()

    def swap():
        while not stop.is_set():
            (folder / "tongue_out" / "new-link").symlink_to(outside)
            os.replace(folder / "tongue_out" / "new-link", photo)
            (folder / "tongue_out" / "new-file").write_bytes(b"inside photo")
            os.replace(folder / "tongue_out" / "new-file", photo)

    swapper = threading.Thread(target=swap)
    swapper.start()
    read, refused = [], []
    try:
        for _ in range(3000):
            try:
                read.append(read_confined(folder, ("tongue_out", "a.jpg")))
            except DataError as refusal:
                refused.append(str(refusal))
    finally:
        stop.set()
        swapper.join()
    assert set(read) == {b"inside photo"}
    assert refused and set(refused) <= {"tongue_out/a.jpg is a link to a file outside allowed, so it was not read.",
                                        "tongue_out/a.jpg does not exist (any more)."}


def test_a_folder_of_classes_on_the_server_refuses_its_link_out_and_keeps_the_rest(tmp_path):
    """The app's path: a folder typed by a visitor, inside FER_DATA_DIRS, read by load_fer2013."""
    from own_classes_fixtures import make_face_photo_folder

    from fer_core.data.dataset import load_fer2013
    from fer_core.settings import load_settings

    allowed = make_face_photo_folder(tmp_path / "allowed" / "classes", ("tongue_out", "eyes_closed"), per_class=3).parent
    (tmp_path / "secret.jpg").write_bytes((allowed / "classes" / "tongue_out" / "tongue_out_000.jpg").read_bytes())
    (allowed / "classes" / "tongue_out" / "zz_link.jpg").symlink_to(tmp_path / "secret.jpg")
    settings = load_settings(environ={"FER_DATA_DIRS": str(allowed)})
    folder = settings.server_path("classes")
    with pytest.raises(DataError, match=r"tongue_out/zz_link\.jpg is a link to a file outside classes, so it was not "
                                        r"read\. Fix it or choose to skip bad rows\."):
        load_fer2013(folder)
    dataset = load_fer2013(folder, skip_bad_rows=True)
    assert len(dataset) == 6  # the six photos inside; the link's photo is not among them
    assert any("zz_link.jpg" in row for row in dataset.skipped_rows)


def test_a_typed_server_file_swapped_for_a_link_out_after_its_check_is_not_read(tmp_path, fer_csv):
    """The app checks a typed path (server_path), then loads it: a folder on the way swapped for a link out in
    between is caught on the file that was opened, not on its name."""
    from fer_core.data.dataset import load_fer2013
    from fer_core.settings import load_settings

    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    (allowed / "data").mkdir(parents=True)
    outside.mkdir()
    (allowed / "data" / "fer.csv").write_bytes(fer_csv.read_bytes())
    (outside / "fer.csv").write_bytes(fer_csv.read_bytes())
    checked = load_settings(environ={"FER_DATA_DIRS": str(allowed)}).server_path("data/fer.csv")
    assert len(load_fer2013(checked, cache=False, inside=(allowed,))) > 0  # unchanged: read as before
    (allowed / "data").rename(allowed / "old")
    (allowed / "data").symlink_to(outside)  # the swap, after the check
    with pytest.raises(DataError, match=r"fer\.csv now leads outside the folders this server loads data from"):
        load_fer2013(checked, cache=False, inside=(allowed,))
