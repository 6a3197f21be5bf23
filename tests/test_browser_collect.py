"""Collecting classes from the camera, in a real browser: Chromium's fake camera plays a face (a y4m clip made from
tests/assets/astronaut.jpg). One class is taken a photo at a time with st.camera_input, the other in a burst from the
webcam's stream; the classes are used, a short transfer job trains on them, and Predict answers in their names."""

import re
from pathlib import Path

import pytest
from browser_fixtures import PlaywrightTimeoutError, chromium_page, go_to, running_app, wait_until_idle
from PIL import Image

from scripts.make_test_clip import still_face_frames, write_y4m

ASSETS = Path(__file__).resolve().parent / "assets"
CLASSES = ("eyes closed", "smile")  # as the dataset orders them
PHOTOS_ONE_AT_A_TIME = 5
BURST = 10


def add_class(page, name: str) -> None:
    page.get_by_label(re.compile("New class")).fill(name)
    page.get_by_role("button", name="Add class").click()
    page.locator('[data-testid="stRadio"]', has_text="Photos go to").get_by_text(name, exact=True).wait_for()
    wait_until_idle(page)


def count_line(page, name: str, count: int):
    return page.get_by_text(f"{name} · {count} photo{'s' if count != 1 else ''}", exact=True)


def take_photo(page, name: str, taken: int, tmp_path: Path) -> None:
    """Press the camera's Take Photo until the class counts `taken`, at most three times: a picture without a face
    (one taken before the fake camera's picture has arrived, say) is refused with a sentence, as for a visitor."""
    for _ in range(3):
        page.get_by_role("button", name="Take Photo").click()
        try:
            count_line(page, name, taken).wait_for(timeout=20_000)
        except PlaywrightTimeoutError:
            if page.get_by_text("No face was found in that picture").count():
                continue
            page.screenshot(path=str(tmp_path / "photo_timeout.png"), full_page=True)
            pytest.fail(f"photo {taken} of {name} was neither counted nor refused; see {tmp_path / 'photo_timeout.png'}")
        wait_until_idle(page, timeout_ms=30_000)
        return
    pytest.fail(f"three photos in a row had no face; see {tmp_path}")


def test_collect_two_classes_from_the_camera_train_and_predict_in_their_names(tmp_path):
    camera = write_y4m(tmp_path / "camera.y4m", still_face_frames(), fps=15)  # Chromium loops its 2 seconds
    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}"]
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page(args) as page:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/collect")
        page.get_by_text("not for judging people").wait_for()

        # One class, a photo at a time: after each photo the camera shows its live picture again.
        add_class(page, "smile")
        for taken in range(1, PHOTOS_ONE_AT_A_TIME + 1):
            take_photo(page, "smile", taken, tmp_path)
        assert page.get_by_text("Added a photo to smile.").count() == 1

        # Another, in a burst from the live camera.
        add_class(page, "eyes closed")
        page.get_by_text("A burst from the live camera").click()
        frame = page.frame_locator('iframe[title*="streamlit_webrtc"]')
        frame.get_by_role("button", name="Start").click(timeout=120_000)
        take = page.get_by_role("button", name=f"Take {BURST} photos of eyes closed")
        page.wait_for_function("""() => [...document.querySelectorAll('button')].some(b =>
            b.innerText.includes('Take 10 photos of eyes closed') && !b.disabled)""", timeout=120_000)
        take.click()
        count_line(page, "eyes closed", BURST).wait_for(timeout=60_000)
        assert page.get_by_text(f"Added {BURST} photos to eyes closed.").count() == 1
        # The stored faces are this session's files in the bounded uploads store, 48×48 each.
        stored = sorted((tmp_path / "runs" / "uploads").glob("camera-*/camera_classes/*/*.png"))
        assert len(stored) == PHOTOS_ONE_AT_A_TIME + BURST
        assert {path.parent.name for path in stored} == set(CLASSES)
        assert Image.open(stored[0]).size == (48, 48)

        # Delete one photo of the burst: the count follows.
        page.get_by_role("button", name=re.compile("Delete$")).first.click()  # eyes closed, the first class shown
        count_line(page, "eyes closed", BURST - 1).wait_for()
        wait_until_idle(page)

        page.get_by_role("button", name="Use these classes").click()
        page.get_by_text("Train and Predict now use these classes (eyes closed, smile)").wait_for()

        # Train: the classes from the camera, a new head on the shipped model, 3 epochs.
        go_to(page, "Train")
        page.get_by_text(f"Classes: {', '.join(CLASSES)} (2).").wait_for()
        wait_until_idle(page)
        assert page.get_by_text("Training data: your classes from the camera").count() == 1
        epochs = page.get_by_label("Epochs")
        epochs.fill("3")
        epochs.press("Enter")
        wait_until_idle(page)
        page.get_by_role("button", name="Start training").click()
        page.get_by_role("button", name="Use for prediction").wait_for(timeout=240_000)
        wait_until_idle(page)
        page.get_by_role("button", name="Use for prediction").click()
        page.get_by_text("Predict uses this model.").wait_for()

        # Predict answers in the collected classes' names.
        go_to(page, "Predict")
        page.get_by_text(f"Its own classes: {', '.join(CLASSES)}.").wait_for()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([ASSETS / "astronaut.jpg"])
        page.get_by_text("Face 1:").first.wait_for()
        wait_until_idle(page)
        label = page.get_by_text("Face 1:").first.inner_text().split(":", 1)[1].rsplit("(", 1)[0].strip()
        assert label in CLASSES
        assert page.locator('[data-testid="stException"]').count() == 0
