"""In a real browser: a photo whose face fills the frame gets its face on Predict, with the sentence that says it was
found only after padding (the page shows `PredictionResult.message`)."""

from pathlib import Path

from app_fixtures import install_model_run
from browser_fixtures import chromium_page, running_app, wait_until_idle
from PIL import Image

ASSETS = Path(__file__).resolve().parent / "assets"


def test_a_tight_face_crop_is_found_and_the_page_says_how(tiny_model, tmp_path):
    from fer_core.prediction.predictor import FOUND_AFTER_PADDING

    install_model_run(tmp_path / "runs", "20260101-000000-tiny_test", tiny_model)
    crop = tmp_path / "headshot.png"  # the astronaut's face cut tight and enlarged, as a cropped headshot
    Image.open(ASSETS / "astronaut.jpg").convert("L").crop((180, 75, 273, 168)).resize((300, 300), Image.BICUBIC).save(crop)
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        page.goto(f"{url}/predict")
        page.get_by_text("Upload photos").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([crop])
        page.get_by_text("Face 1:").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_text(FOUND_AFTER_PADDING).count() == 1
        assert page.get_by_text("No face was found in this photo.").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
