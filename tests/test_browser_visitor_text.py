"""Names a visitor chooses (own class folders, file names, a model's classes) carry Markdown and HTML; in a real
browser every page shows them as the characters typed: no link, no bold, no image, no request leaves the page.

One server, one session walked through every page by the navigation: the sidebar's upload is a zip of class folders
named with HTML and Markdown, and the model chosen in the sidebar answers in such classes."""

import json
import shutil
from pathlib import Path

from app_fixtures import install_model_run
from browser_fixtures import chromium_page, go_to, running_app, upload_in_sidebar, wait_until_idle
from own_classes_fixtures import make_face_photo_folder, zip_folder

from fer_core.prediction.model_contract import ModelInfo, write_model_info

# "https:example.invalid" is what a browser reads as https://example.invalid/, and a folder name can hold it.
SITE = "example.invalid"
FOLDER_CLASSES = ("<a href=https:example.invalid>CLICK ME", "<b>BOLD",
                  "[x](https:example.invalid) ![t](https:example.invalid)")
MODEL_CLASSES = tuple(f"<b>BOLD{i} <a href=https:example.invalid>CLICK{i} [x{i}](https:example.invalid) "
                      f"![t{i}](https:example.invalid)" for i in range(7))
ZIP_NAME = "[Click here](https:example.invalid) <b>classes.zip"
CLIP_NAME = "[Click here](https:example.invalid) ![t](https:example.invalid).mp4"
RUN_NAME = "20260101-000000-tiny_test"


def hostile_model(tiny_model: Path, folder: Path) -> Path:
    """The tiny model's weights under a contract whose seven classes are HTML and Markdown."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".keras", ".tflite"):
        shutil.copyfile(tiny_model.with_suffix(suffix), folder / f"hostile{suffix}")
    write_model_info(folder / "hostile.keras", ModelInfo(architecture="<b>ARCH</b>", class_names=MODEL_CLASSES,
                                                               card={"architecture": "<b>ARCH</b>"}))
    return folder / "hostile.keras"


def evaluation_of(class_names) -> dict:
    n = len(class_names)
    return {"accuracy": 0.5, "top3_accuracy": 0.9, "macro_f1": 0.4, "n": 10 * n, "split": "test",
            "confusion_matrix": [[5 if i == j else 1 for j in range(n)] for i in range(n)],
            "class_names": list(class_names),
            "per_class": {name: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 10} for name in class_names}}


def shown_as_text(page) -> list[str]:
    """What is wrong on the page: a link, an image or bold text made from a name, in Markdown or in a chart."""
    found = []
    for selector in (f'a[href*="{SITE}"]', f'[*|href*="{SITE}"]', f'img[src*="{SITE}"]', "svg a"):
        if page.locator(selector).count():
            found.append(f"{page.locator(selector).count()} × {selector}")
    for bold in page.locator("[data-testid=stAppViewContainer] :is(b, strong)").all_inner_texts():
        if ("BOLD" in bold or "CLICK" in bold) and "<" not in bold:  # the page may embolden a whole name, as typed
            found.append(f"bold {bold!r}")
    bold_chart_text = page.evaluate("""() => [...document.querySelectorAll('svg tspan, svg text')]
        .filter(e => (e.getAttribute('style') || '').includes('bold') && /BOLD|CLICK/.test(e.textContent)
                     && !e.textContent.includes("<"))
        .map(e => e.textContent)""")
    found += [f"bold chart text {text!r}" for text in bold_chart_text]
    return found


def main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text().replace("\u2060", "")  # plain()'s word joiner


def test_visitor_names_are_plain_text_on_every_page(tiny_model, crossing_clip, tmp_path):
    runs = tmp_path / "runs"
    run_model = install_model_run(runs, RUN_NAME, hostile_model(tiny_model, tmp_path / "model"))
    (run_model.parent / "evaluation.json").write_text(json.dumps(evaluation_of(MODEL_CLASSES)))
    upload = tmp_path / ZIP_NAME
    upload.write_bytes(zip_folder(make_face_photo_folder(tmp_path / "classes", FOLDER_CLASSES, per_class=8)))
    clip = tmp_path / CLIP_NAME
    shutil.copyfile(crossing_clip, clip)

    env = {"FER_RUNS_DIR": str(runs), "FER_CACHE_DIR": str(tmp_path / "cache")}
    fetched = []
    with running_app(env) as (url, _), chromium_page() as page:
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(url)
        page.get_by_text("Active data").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        upload_in_sidebar(page, upload)
        page.get_by_text("Its own 3 classes").first.wait_for(timeout=120_000)
        page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").first.click()
        page.get_by_role("option", name=f"Run {RUN_NAME}").first.click()
        wait_until_idle(page)
        home = main_text(page)
        assert ZIP_NAME in home and FOLDER_CLASSES[0] in home and MODEL_CLASSES[6] in home
        assert shown_as_text(page) == []

        go_to(page, "Explore")
        page.get_by_text("Faces per class and split").first.wait_for(timeout=60_000)
        assert "<b>BOLD" in main_text(page)
        assert page.locator("svg text", has_text="<b>BOLD").count() > 0  # the charts' axes name the class as typed
        assert shown_as_text(page) == []

        go_to(page, "Train")
        page.get_by_text("Confusion matrix").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.locator("svg text", has_text="<b>BOLD").count() > 0  # the matrix names the classes as typed
        assert FOLDER_CLASSES[2] in main_text(page)  # the uploaded data's classes, above the form
        assert shown_as_text(page) == []

        go_to(page, "Predict")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(
            Path(__file__).resolve().parent / "assets" / "astronaut.jpg")
        page.get_by_text("Face 1:").first.wait_for(timeout=60_000)
        page.get_by_text("What made it say").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        predict = main_text(page)
        assert "Face 1: <b>BOLD" in predict and "What made it say <b>BOLD" in predict
        assert "Its own classes: <b>BOLD0" in predict and "· <b>ARCH</b>" in predict
        assert shown_as_text(page) == []

        go_to(page, "Video")
        page.get_by_text("Frames analysed per second").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(clip)
        page.get_by_text("Person 1: mostly").first.wait_for(timeout=180_000)
        wait_until_idle(page)
        assert CLIP_NAME in main_text(page)
        assert page.locator("svg text", has_text="Person 1: mostly <b>BOLD").count() > 0
        assert shown_as_text(page) == []
        assert page.locator('[data-testid="stException"]').count() == 0
    assert [address for address in fetched if SITE in address] == []
