"""Buttons do what they say, seen in a real browser: what the next page (or the rest of this one) shows after a
click, not only what session state holds."""

import shutil
from pathlib import Path

import numpy as np
from app_fixtures import install_model_run
from browser_fixtures import chromium_page, expect, go_to, running_app, wait_until_idle

from fer_core.prediction.model_contract import ModelInfo, write_model_info

ASSETS = Path(__file__).resolve().parent / "assets"
# Seven neutral names for the tiny model's seven outputs: a run of one's own classes, not FER2013's emotions.
OWN_CLASSES = ("apple", "ball", "cup", "door", "egg", "fork", "glove")


def own_classes_model(tiny_model: Path, folder: Path) -> Path:
    """The tiny model's weights under a contract with OWN_CLASSES."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".keras", ".tflite"):
        shutil.copyfile(tiny_model.with_suffix(suffix), folder / f"objects{suffix}")
    write_model_info(folder / "objects.keras", ModelInfo(architecture="tiny_test", class_names=OWN_CLASSES))
    return folder / "objects.keras"


def model_line(page) -> str:
    return page.locator("[data-testid=stMarkdownContainer]", has_text="Model:").first.inner_text()


def test_use_for_prediction_makes_predict_answer_with_that_run(tiny_model, tmp_path):
    run_name = "20260101-000000-tiny_objects"
    install_model_run(tmp_path / "runs", run_name, own_classes_model(tiny_model, tmp_path / "model"))
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        page.goto(f"{url}/predict")
        page.get_by_text("Model:").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        assert "Shipped model (fer_studio)" in model_line(page)  # the default, before the click
        facts = page.locator("[data-testid=stCaptionContainer]", has_text="trained in").first.inner_text()
        assert "on NVIDIA H100 80GB HBM3" in facts  # the card's machine, readably
        assert "Linux" not in facts and "Python" not in facts and "Keras" not in facts and "x86_64" not in facts

        go_to(page, "Train")
        page.get_by_role("button", name="Use for prediction").wait_for(timeout=60_000)
        wait_until_idle(page)
        page.get_by_role("button", name="Use for prediction").click()
        page.get_by_text("Predict uses this model.").wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_label("Model for prediction").input_value() == f"Run {run_name}"  # the sidebar follows

        go_to(page, "Predict")
        page.get_by_text(f"Run {run_name}").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        assert f"Run {run_name}" in model_line(page)
        assert page.get_by_text(f"Its own classes: {', '.join(OWN_CLASSES)}.").count() == 1

        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([ASSETS / "astronaut.jpg"])
        page.get_by_text("Face 1:").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        label = page.get_by_text("Face 1:").first.inner_text().split(":", 1)[1].split("(")[0].strip()
        assert label in OWN_CLASSES  # the answer is in the run's classes, not FER2013's emotions
        assert page.locator('[data-testid="stException"]').count() == 0


def test_classify_the_whole_image_under_one_photo_changes_that_photo_only(tmp_path):
    from PIL import Image

    stripes = tmp_path / "stripes.png"  # a second photo without a face
    Image.fromarray(((np.indices((240, 320)).sum(axis=0) // 20 % 2) * 200).astype(np.uint8)).save(stripes)
    env = {"FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        page.goto(f"{url}/predict")
        page.get_by_text("Upload photos").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([ASSETS / "coffee.jpg", stripes])
        page.get_by_role("button", name="Classify the whole image", exact=True).nth(1).wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_text("No face was found in this photo.").count() == 2

        page.get_by_role("button", name="Classify the whole image", exact=True).first.click()  # under coffee.jpg
        page.get_by_text("its centre square was classified as one face").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        main = page.locator("[data-testid=stMain]").inner_text()
        # The uploader lists both names first; each photo's results follow its own heading, the last of its name.
        coffee, after_coffee = main.rsplit("coffee.jpg", 1)[1].split("stripes.png", 1)
        assert "Face 1:" in coffee and "No face was found in this photo." not in coffee
        assert "No face was found in this photo." in after_coffee and "Face 1:" not in after_coffee
        expect(page.get_by_role("button", name="Classify the whole image", exact=True)).to_have_count(1)
        assert not page.get_by_role("switch").first.is_checked()  # the page-wide switch stays off
        assert page.locator('[data-testid="stException"]').count() == 0


def truncated_texts(locator) -> list[str]:
    """The texts under `locator` that the browser cuts short (wider than the box that shows them)."""
    return locator.evaluate("""e => [e, ...e.querySelectorAll('*')]
        .filter(x => x.innerText.trim() && x.scrollWidth > x.clientWidth + 1
                     && getComputedStyle(x).overflow !== 'visible')
        .map(x => x.innerText)""")


def test_the_saliency_checkbox_of_a_fourth_face_reads_in_full(tmp_path):
    from PIL import Image

    astronaut = Image.open(ASSETS / "astronaut.jpg")
    four = Image.new("RGB", (2 * astronaut.width, 2 * astronaut.height))
    for corner in ((0, 0), (astronaut.width, 0), (0, astronaut.height), (astronaut.width, astronaut.height)):
        four.paste(astronaut, corner)
    four.save(tmp_path / "four.jpg")
    with running_app({"FER_CACHE_DIR": str(tmp_path / "cache")}) as (url, _), chromium_page() as page:
        page.goto(f"{url}/predict")
        page.get_by_text("Upload photos").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([tmp_path / "four.jpg"])
        page.get_by_text("Face 4:").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        label = page.get_by_text("Face 4:").first.inner_text().split(":", 1)[1].split("(")[0].strip()
        checkbox = page.locator("[data-testid=stCheckbox]", has_text="Show what made it say")
        expect(checkbox).to_have_count(1)  # faces 1 to 3 have their map at once
        assert checkbox.inner_text().strip() == f"Show what made it say {label}"
        assert truncated_texts(checkbox) == []
        checkbox.locator("label").click()
        page.get_by_text(f"What made it say {label}").nth(3).wait_for(timeout=60_000)  # the fourth face's map
