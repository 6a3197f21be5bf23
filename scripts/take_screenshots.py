"""Screenshots of every page, taken by headless Chromium from the running app, into docs/screenshots/.

    python -m scripts.take_screenshots                    # trains a small model first, in a temporary runs folder
    python -m scripts.take_screenshots --runs-dir runs    # shows your own runs instead
    python -m scripts.take_screenshots --pages own_classes   # Predict with a model trained on your own classes

Needs /usr/bin/chromium (Debian's `chromium` package) and the playwright Python package."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.app_in_browser import REPO, VIEWPORT, chromium_page, running_app, wait_until_idle


def full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its main block, not the window: grow the window to the content, then shoot."""
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stMainBlockContainer"]')]
        .map(element => element.scrollHeight))""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(height) + 40)})
    page.wait_for_timeout(1000)  # charts redraw at the new size
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(VIEWPORT)


def train_a_small_model(runs_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "fer_core", "train", "--data", "data/fer2013_sample.csv.gz",
                    "--arch", "tiny_cnn", "--epochs", "4", "--learning-rate", "0.005", "--out", str(runs_dir)],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs-dir", help="show these runs (default: train a small model into a temporary folder)")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--pages", default="home,explore,collect,train,predict,video,own_classes",
                        help="which pages, comma-separated (own_classes: Predict with a model of your own classes)")
    args = parser.parse_args()
    pages = args.pages.split(",")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        runs_dir = Path(args.runs_dir).resolve() if args.runs_dir else Path(scratch) / "runs"
        if not args.runs_dir and "train" in pages:
            print("training a small model for the Train page…")
            train_a_small_model(runs_dir)
        with running_app({"FER_RUNS_DIR": str(runs_dir)}) as (url, _), chromium_page() as page:
            for name, path, ready in (("home", "", "Active data"), ("explore", "explore", "Data quality"),
                                      ("train", "train", "Test accuracy")):
                if name not in pages:
                    continue
                page.goto(f"{url}/{path}")
                page.get_by_text(ready).first.wait_for(timeout=60_000)
                wait_until_idle(page)
                full_page_screenshot(page, out / f"{name}.png")
                print(f"saved {out / f'{name}.png'}")
            if "predict" in pages:
                page.goto(f"{url}/predict")
                page.get_by_role("button", name="Try an example").click()
                page.get_by_text("Face 1").first.wait_for(timeout=60_000)
                wait_until_idle(page)
                full_page_screenshot(page, out / "predict.png")
                print(f"saved {out / 'predict.png'}")
            if "video" in pages:
                video_screenshot(page, url, Path(scratch), out / "video.png")
        if "own_classes" in pages:
            own_classes_screenshot(Path(scratch), out / "predict_own_classes.png")
        if "collect" in pages:
            collect_screenshot(Path(scratch), out / "collect.png")
    return 0


def own_classes_screenshot(scratch: Path, path: Path) -> None:
    """Predict with a model of three made-up classes, trained (as a user would) on a folder of 20 photos each."""
    sys.path.insert(0, str(REPO / "tests"))
    from own_classes_fixtures import make_face_photo_folder

    # Made-up classes (the fixture's photos differ in face and tone, not in expression): neutral names say so.
    folder = make_face_photo_folder(scratch / "my_classes", classes=("class_a", "class_b", "class_c"), per_class=20)
    runs_dir = scratch / "own_runs"
    subprocess.run([sys.executable, "-m", "fer_core", "train", "--data", str(folder), "--out", str(runs_dir)],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with running_app({"FER_RUNS_DIR": str(runs_dir)}) as (url, _), chromium_page() as page:
        page.goto(f"{url}/predict")
        wait_until_idle(page)
        page.get_by_label("Model for prediction").click()
        page.get_by_role("option").filter(has_text="class_a, class_b, class_c").click()
        wait_until_idle(page)
        page.get_by_role("button", name="Try an example").click()
        page.get_by_text("Face 1").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        full_page_screenshot(page, path)
    print(f"saved {path}")


def collect_screenshot(scratch: Path, path: Path) -> None:
    """The Collect page with two classes from Chromium's fake camera (the astronaut, sitting still): five photos taken
    one at a time, ten in a burst from the live camera, and a refused name."""
    import re

    from scripts.make_test_clip import still_face_frames, write_y4m

    camera = write_y4m(scratch / "camera.y4m", still_face_frames(), fps=15)
    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}"]

    def add_class(page, name: str) -> None:
        page.get_by_label(re.compile("New class")).fill(name)
        page.get_by_role("button", name="Add class").click()
        wait_until_idle(page)

    with running_app({"FER_RUNS_DIR": str(scratch / "collect_runs")}) as (url, _), chromium_page(args) as page:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/collect")
        page.get_by_text("not for judging people").wait_for()
        add_class(page, "smile")
        for taken in range(1, 6):
            page.get_by_role("button", name="Take Photo").click()
            page.get_by_text(f"smile · {taken} photo", exact=False).first.wait_for()
            wait_until_idle(page)
        add_class(page, "eyes closed")
        page.get_by_text("A burst from the live camera").click()
        page.frame_locator('iframe[title*="streamlit_webrtc"]').get_by_role("button", name="Start").click(
            timeout=120_000)
        page.wait_for_function("""() => [...document.querySelectorAll('button')].some(b =>
            b.innerText.includes('Take 10 photos of eyes closed') && !b.disabled)""", timeout=120_000)
        page.get_by_role("button", name="Take 10 photos of eyes closed").click()
        page.get_by_text("eyes closed · 10 photos").wait_for()
        add_class(page, "SMILE")  # refused: the sentence shows where a name is typed
        full_page_screenshot(page, path)
    print(f"saved {path}")


def video_screenshot(page, url: str, scratch: Path, path: Path) -> None:
    """The Video page after analysing a clip of two people crossing, made from the test photos."""
    from scripts.make_test_clip import crossing_frames, write_clip

    clip = write_clip(scratch / "two_people_crossing.mp4", crossing_frames(640, 480, 90), fps=30)
    page.goto(f"{url}/video")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(clip)
    page.get_by_text("Person 2: mostly").first.wait_for(timeout=120_000)
    wait_until_idle(page)
    page.locator("video").first.evaluate("v => { v.currentTime = 1.4; }")  # the two faces just past each other
    page.wait_for_timeout(1000)
    full_page_screenshot(page, path)
    print(f"saved {path}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))  # for scripts.make_test_clip, which imports fer_core
    sys.exit(main())
