"""End to end in a real browser: `streamlit run` as a subprocess, headless Chromium uploads photos on Predict and
sees each face's top-3 chart; the server predicts without TensorFlow and within its memory target."""

import json
from pathlib import Path

import pytest
from app_fixtures import install_model_run
from browser_fixtures import chromium_page, running_app, wait_until_idle

ASSETS = Path(__file__).resolve().parent / "assets"
SERVER_RSS_LIMIT_MB = 350


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def loaded_tensorflow(pid: int) -> bool:
    return "tensorflow" in Path(f"/proc/{pid}/maps").read_text().lower()


@pytest.fixture
def runs_with_a_model(tiny_model, tmp_path):
    install_model_run(tmp_path / "runs", "20260101-000000-tiny_test", tiny_model)
    return tmp_path / "runs"


def test_upload_photos_on_predict_and_see_the_top_3(runs_with_a_model, tmp_path):
    env = {"FER_RUNS_DIR": str(runs_with_a_model), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, server), chromium_page() as page:
        page.goto(f"{url}/predict")
        page.get_by_text("Upload photos").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            [ASSETS / "astronaut.jpg", ASSETS / "coffee.jpg"])

        page.get_by_text("Face 1:").first.wait_for(timeout=60_000)
        page.get_by_text("No face was found in this photo.").first.wait_for(timeout=60_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # the top-3 chart, drawn by plotly.js
        wait_until_idle(page)
        assert page.get_by_role("button", name="Classify the whole image", exact=True).count() == 1
        assert page.locator('[data-testid="stException"]').count() == 0

        page.get_by_role("button", name="Classify the whole image", exact=True).click()
        page.get_by_text("its centre square was classified as one face").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_text("Face 1:").count() == 2  # the astronaut's face, and the coffee photo's centre

        assert not loaded_tensorflow(server.pid)
        assert resident_mb(server.pid) <= SERVER_RSS_LIMIT_MB


LINK = "[Click here](https://example.invalid)"
IMAGE = "![x](https://example.invalid/x.png)"


def shows_no_link_or_image(page) -> bool:
    return (page.locator('a[href*="example.invalid"]').count() == 0
            and page.locator('img[src*="example.invalid"]').count() == 0)


def test_markdown_from_a_file_is_plain_text_to_this_session_and_to_a_second_one(tmp_path):
    """One visitor's file carries Markdown (in its Usage values); a failed run's message carries it to every visitor
    of the Train page. Both must read as the characters typed: no link, no image, nothing fetched."""
    data = tmp_path / "data"
    data.mkdir()
    rows = [f"{i % 7},{' '.join(['128'] * 2304)},{[LINK, IMAGE][i % 2]}" for i in range(14)]
    (data / "markdown.csv").write_text("emotion,pixels,Usage\n" + "\n".join(rows) + "\n")
    runs = tmp_path / "runs"
    run = runs / "20260101-000000-tiny_cnn"
    run.mkdir(parents=True)
    (run / "config.json").write_text('{"arch": "tiny_cnn", "epochs": 1, "data": "markdown.csv"}')
    message = f"markdown.csv has no 'pixels' column (columns found: {LINK}, {IMAGE})."
    (run / "status.json").write_text(json.dumps({"state": "failed", "started_at": 1.0, "message": message}))
    env = {"FER_RUNS_DIR": str(runs), "FER_CACHE_DIR": str(tmp_path / "cache"), "FER_DATA_DIRS": str(data)}
    fetched = []
    with running_app(env) as (url, server), chromium_page() as first:
        first.on("request", lambda request: fetched.append(request.url))
        first.goto(url)
        first.get_by_text("Active data").first.wait_for(timeout=60_000)
        wait_until_idle(first)
        first.get_by_text("A path on the server").first.click()
        box = first.locator("[data-testid=stSidebar] input[type=text]").first
        box.wait_for(timeout=60_000)
        wait_until_idle(first)
        box.fill(str(data / "markdown.csv"))
        box.press("Enter")
        first.get_by_text("The Usage column holds none of").first.wait_for(timeout=60_000)
        wait_until_idle(first)
        shown = first.locator("[data-testid=stMain]").inner_text().replace("\u2060", "")  # the invisible word joiner
        assert f"(it holds '{IMAGE}', '{LINK}')" in shown
        assert shows_no_link_or_image(first)

        second = first.context.new_page()  # a new tab is a new Streamlit session
        second.on("request", lambda request: fetched.append(request.url))
        second.goto(f"{url}/train")
        second.get_by_text("markdown.csv has no 'pixels' column").first.wait_for(timeout=60_000)
        wait_until_idle(second)
        assert message in second.locator("[data-testid=stMain]").inner_text().replace("\u2060", "")
        assert shows_no_link_or_image(second)
        assert second.locator('[data-testid="stException"]').count() == 0
    assert not [address for address in fetched if "example.invalid" in address]
