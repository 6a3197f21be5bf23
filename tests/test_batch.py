"""Many photos or clips in, one table out: folders, globs and lists; every face a row; an unreadable file named in
its row and on stderr while the run goes on; both cores; and a run killed with SIGKILL picked up by --resume with no
row lost or written twice."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_fixtures import REPO, run_fer_core

from fer_core.batch import analyse_clips, predict_photos
from fer_core.batch.table import BatchTable, summary_path
from fer_core.errors import FERError
from fer_core.progress_bar import progress_line

ASSETS = Path(__file__).resolve().parent / "assets"
CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    """Two faces, a face-free cup, one of them again in a subfolder, a PNG, a file that is not an image and a note."""
    folder = tmp_path / "photos"
    (folder / "day 2").mkdir(parents=True)
    shutil.copy(ASSETS / "astronaut.jpg", folder / "astronaut.jpg")
    shutil.copy(ASSETS / "camera.jpg", folder / "camera.jpg")
    shutil.copy(ASSETS / "coffee.jpg", folder / "coffee.jpg")
    shutil.copy(ASSETS / "astronaut.jpg", folder / "day 2" / "again.jpg")
    from PIL import Image

    Image.open(ASSETS / "camera.jpg").save(folder / "day 2" / "camera.png")
    (folder / "day 2" / "broken.jpg").write_bytes(b"not a photo")
    (folder / "notes.txt").write_text("not a photo either")
    return folder


def test_a_folder_becomes_a_row_per_face_with_every_class_and_a_line_per_photo(photo_folder, tmp_path):
    table = tmp_path / "faces.csv"
    errors = []
    frame = predict_photos([photo_folder], out=table, workers=1, on_error=lambda file, why: errors.append(file))
    files = sorted(Path(f).relative_to(photo_folder).as_posix() for f in frame["file"].unique())
    assert files == ["astronaut.jpg", "camera.jpg", "day 2/again.jpg", "day 2/broken.jpg", "day 2/camera.png"]
    assert errors == [str(photo_folder / "day 2" / "broken.jpg")]  # named as it goes, the run went on
    faces = frame[frame["error"].isna()]
    assert len(faces) == 4 and set(faces["face"]) == {1}
    assert list(frame.columns[:6]) == ["file", "face", "box_x", "box_y", "box_w", "box_h"]
    assert set(CLASSES) <= set(frame.columns) and {"top1", "top3_probability", "found_by"} <= set(frame.columns)
    assert faces[CLASSES].sum(axis=1).round(2).eq(1.0).all()
    assert (faces["top1"] == faces[CLASSES].idxmax(axis=1)).all()
    broken = frame[frame["error"].notna()].iloc[0]
    assert "not an image" in broken["error"] and pd.isna(broken["box_x"])
    summary = pd.read_csv(summary_path(table, "csv"))
    assert len(summary) == 6  # the cup has a line of its own: no face, so no row in the table
    cup = summary[summary["file"].str.endswith("coffee.jpg")].iloc[0]
    assert cup["status"] == "no face" and cup["faces"] == 0 and "No face" in cup["message"]
    assert summary.set_index("file").loc[str(photo_folder / "day 2" / "broken.jpg"), "status"] == "error"


def test_a_glob_and_a_list_choose_the_files_and_a_photo_is_read_once(photo_folder, tmp_path):
    listed = tmp_path / "list.txt"
    listed.write_text(f"# chosen by hand\n{photo_folder / 'camera.jpg'}\n\n{photo_folder / 'astronaut.jpg'}\n")
    frame = predict_photos([photo_folder / "day 2"], pattern="*.png", lists=[listed], workers=1)
    assert list(frame["file"]) == [str(photo_folder / "day 2" / "camera.png"), str(photo_folder / "camera.jpg"),
                                   str(photo_folder / "astronaut.jpg")]
    again = predict_photos([photo_folder / "camera.jpg", photo_folder], pattern="camera.*", workers=1)
    assert list(again["file"]) == [str(photo_folder / "camera.jpg"), str(photo_folder / "day 2" / "camera.png")]


def test_the_three_formats_hold_the_same_rows_and_two_workers_the_same_as_one(photo_folder, tmp_path):
    one = predict_photos([photo_folder], workers=1)
    for suffix in ("csv", "jsonl", "parquet"):
        written = predict_photos([photo_folder], out=tmp_path / f"faces.{suffix}", workers=2)
        pd.testing.assert_frame_equal(written.reset_index(drop=True), one, check_exact=False, atol=1e-4)
    assert (tmp_path / "faces.parquet").is_dir() and list((tmp_path / "faces.parquet").glob("part-*.parquet"))
    with pytest.raises(FERError, match="already exists: pass --resume"):
        predict_photos([photo_folder], out=tmp_path / "faces.csv")
    with pytest.raises(FERError, match=r"\.csv, \.jsonl or \.parquet"):
        predict_photos([photo_folder], out=tmp_path / "faces.xlsx")


def test_resume_after_a_torn_write_keeps_whole_files_only(tmp_path):
    """A kill mid-write leaves a torn line and rows of a file without its summary line: both go, the file is redone."""
    columns = {"file": "str", "face": "int", "happy": "float", "error": "str"}
    summary = {"file": "str", "status": "str", "faces": "int", "message": "str", "seconds": "float"}
    path = tmp_path / "faces.csv"
    with BatchTable(path, columns, summary) as table:
        table.add([{"file": "a.jpg", "face": 1, "happy": 0.5}], {"file": "a.jpg", "status": "faces", "faces": 1})
        table.add([{"file": "b.jpg", "face": 1, "happy": 0.25}], {"file": "b.jpg", "status": "faces", "faces": 1})
    with open(path, "a") as rows:
        rows.write("c.jpg,1,0.75,\nd.jpg,1,0.")  # c's rows, no summary line for c; d torn mid-line
    with open(summary_path(path, "csv"), "a") as lines:
        lines.write("c.jpg,fac")  # c's summary line torn: c is not finished
    with BatchTable(path, columns, summary, resume=True) as table:
        assert table.finished == {"a.jpg", "b.jpg"}
        table.add([{"file": "c.jpg", "face": 1, "happy": 0.75}], {"file": "c.jpg", "status": "faces", "faces": 1})
    frame = BatchTable(path, columns, summary, resume=True).read()
    assert list(frame["file"]) == ["a.jpg", "b.jpg", "c.jpg"] and list(frame["happy"]) == [0.5, 0.25, 0.75]
    assert len(pd.read_csv(summary_path(path, "csv"))) == 3


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_run_killed_with_sigkill_resumes_with_no_row_lost_or_twice(tmp_path, suffix):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        shutil.copy(ASSETS / ("astronaut.jpg" if i % 2 else "camera.jpg"), folder / f"p{i:02d}.jpg")
    table = tmp_path / f"faces.{suffix}"
    environment = {**os.environ, "PYTHONPATH": str(REPO), "FER_BATCH_PARQUET_PART_ROWS": "4"}
    command = [sys.executable, "-m", "fer_core", "predict", str(folder), "--table", str(table), "--workers", "2",
               "--quiet"]
    process = subprocess.Popen(command, cwd=tmp_path, env=environment, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    summary = summary_path(table, suffix)
    deadline = time.time() + 120
    while time.time() < deadline and _finished_count(summary) < 8:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the command and its workers, mid-run
    process.wait()
    before = _finished_count(summary)
    assert 8 <= before < 40, "the kill came too late to test a resume"
    resumed = run_fer_core("predict", folder, "--table", table, "--resume", "--workers", "2", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{before:,} already in the table were skipped" in resumed.stderr
    frame = pd.read_parquet(table) if suffix == "parquet" else pd.read_csv(table)
    assert len(frame) == 40 and frame["file"].is_unique
    assert sorted(Path(f).name for f in frame["file"]) == sorted(f"p{i:02d}.jpg" for i in range(40))


def _finished_count(summary: Path) -> int:
    if not summary.exists():
        return 0
    if summary.is_dir():
        return sum(len(pd.read_parquet(part)) for part in summary.glob("part-*.parquet"))
    return max(0, summary.read_text().count("\n") - 1)


def test_the_command_names_an_unreadable_file_on_stderr_and_says_what_it_wrote(photo_folder, tmp_path):
    result = run_fer_core("predict", photo_folder, "--table", tmp_path / "faces.jsonl", "--workers", "2",
                          cwd=tmp_path)
    assert result.returncode == 2  # a file could not be read: a script can tell
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("error: ") and "broken.jpg" in line and "not an image" in line for line in lines)
    assert lines[-1] == (f"wrote {tmp_path / 'faces.jsonl'}: 4 faces from 6 photos (1 without a face, 1 could not "
                         f"be read); a line per photo in {tmp_path / 'faces.files.jsonl'}")
    rows = [json.loads(line) for line in (tmp_path / "faces.jsonl").read_text().splitlines()]
    assert len(rows) == 5 and sum(row["error"] is not None for row in rows) == 1


def test_predict_without_a_table_prints_json_for_every_photo_in_a_folder(photo_folder):
    result = run_fer_core("predict", photo_folder, "--glob", "*.jpg", "--quiet")
    printed = json.loads(result.stdout)
    assert [Path(item["image"]).name for item in printed] == ["astronaut.jpg", "camera.jpg", "coffee.jpg",
                                                               "again.jpg", "broken.jpg"]
    assert result.returncode == 2 and "broken.jpg" in result.stderr


def test_clips_become_a_row_per_person_per_analysed_frame(crossing_clip, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(crossing_clip, folder / "one.mp4")
    shutil.copy(crossing_clip, folder / "two.mp4")
    (folder / "three.mp4").write_bytes(b"no video in here")
    frame = analyse_clips([folder], out=tmp_path / "people.csv", fps=4, workers=2)
    seen = frame[frame["error"].isna()]
    assert set(seen["file"]) == {str(folder / "one.mp4"), str(folder / "two.mp4")}
    one = seen[seen["file"] == str(folder / "one.mp4")].drop(columns="file").reset_index(drop=True)
    two = seen[seen["file"] == str(folder / "two.mp4")].drop(columns="file").reset_index(drop=True)
    pd.testing.assert_frame_equal(one, two)  # the same clip twice: the same rows, whichever worker took it
    assert set(one["person"]) == {1, 2} and one["time"].is_monotonic_increasing
    assert frame[frame["error"].notna()]["file"].tolist() == [str(folder / "three.mp4")]
    summary = pd.read_csv(tmp_path / "people.files.csv")
    assert summary.set_index("file").loc[str(folder / "one.mp4"), "people"] == 2


def test_several_clips_without_a_table_are_refused_with_the_way_to_do_it(crossing_clip, tmp_path):
    shutil.copy(crossing_clip, tmp_path / "again.mp4")
    result = run_fer_core("video", crossing_clip, tmp_path / "again.mp4", cwd=tmp_path)
    assert result.returncode == 2 and "names 2 clips: write their rows to one table with --table" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run_fer_core("video", tmp_path / "empty", cwd=tmp_path)
    assert result.returncode == 2 and "No clip was found in" in result.stderr


def test_a_log_gets_plain_progress_lines_with_rate_and_time_left():
    assert progress_line(412, 2000, 40.0, 400, "photo") == "412/2,000 photos, 10.0 photos/s, about 3 min left"
    assert progress_line(3, 10, 30.0, 3, "clip", "analysing") == \
        "analysing: 3/10 clips, 10.0 s/clip, about 70 s left"


def test_a_zip_of_photos_is_listed_from_its_directory_and_read_a_photo_at_a_time(tmp_path):
    import io
    import zipfile

    from fer_core.batch.photo_zip import PhotoZip
    from fer_core.errors import DataError

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(ASSETS / "camera.jpg", "a/camera.jpg")
        archive.writestr("__MACOSX/a/._camera.jpg", b"fork")
        archive.writestr("a/notes.txt", "hello")
        archive.writestr("a/bomb.png", b"\0" * 60_000_000)  # 60 MB of zeros: over a photo's 50 MB, and a bomb
    photos = PhotoZip(buffer.getvalue(), "party.zip")
    assert photos.names == ["a/camera.jpg", "a/bomb.png"]
    assert photos.read("a/camera.jpg") == (ASSETS / "camera.jpg").read_bytes()
    with pytest.raises(DataError, match="refused as a possible zip bomb"):
        photos.read("a/bomb.png")
    with pytest.raises(DataError, match="party.zip is not a zip archive that can be read"):
        PhotoZip(b"not a zip", "party.zip")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("notes.txt", "no photos")
    with pytest.raises(DataError, match="holds no photos"):
        PhotoZip(empty.getvalue(), "notes.zip")
