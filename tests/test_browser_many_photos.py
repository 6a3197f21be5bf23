"""A visitor uploads a zip of a dozen photos on Predict: the first ten are shown in full, the rest are counted, and
the CSV they download holds a row for every face of all twelve, in the command line's table columns."""

import csv
import io
import shutil
import zipfile
from pathlib import Path

from app_fixtures import install_model_run
from browser_fixtures import chromium_page, running_app, wait_until_idle

ASSETS = Path(__file__).resolve().parent / "assets"


def test_a_zip_of_photos_gives_one_csv_with_every_face(tiny_model, tmp_path):
    install_model_run(tmp_path / "runs", "20260101-000000-tiny_test", tiny_model)
    upload = tmp_path / "party.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        for i in range(12):
            archive.write(ASSETS / ("astronaut.jpg" if i % 2 else "camera.jpg"), f"party/photo{i:02d}.jpg")
        archive.writestr("party/broken.jpg", b"not a photo")
        archive.writestr("__MACOSX/party/._photo00.jpg", b"resource fork")
        archive.writestr("party/README.txt", "twelve photos")
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        page.goto(f"{url}/predict")
        page.get_by_text("Upload photos").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(upload)
        page.get_by_text("3 more photos").first.wait_for(timeout=120_000)
        wait_until_idle(page)
        assert page.get_by_text("party.zip/party/photo00.jpg", exact=True).count() == 1  # shown in full
        assert page.get_by_text("party.zip/party/photo11.jpg", exact=True).count() == 0  # in the CSV only
        page.get_by_text("every face of all 13").first.wait_for(timeout=60_000)
        with page.expect_download() as download:
            page.get_by_role("button", name="Results as CSV").click()
        saved = tmp_path / "emotions.csv"
        shutil.copy(download.value.path(), saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert list(rows[0])[:6] == ["file", "face", "box_x", "box_y", "box_w", "box_h"]
    faces = [row for row in rows if not row["error"]]
    assert sorted({row["file"] for row in faces}) == [f"party.zip/party/photo{i:02d}.jpg" for i in range(12)]
    assert all(row["top1"] and float(row["top1_probability"]) > 0 for row in faces)
    [broken] = [row for row in rows if row["error"]]
    assert broken["file"] == "party.zip/party/broken.jpg" and "not an image" in broken["error"]
