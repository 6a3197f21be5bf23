"""In a real browser, on the built-in sample with the shipped model: Home says which faces each test figure is on,
shows the shipped model's score on the sample's own test faces and says both are optimistic; Predict sets the shipped
model beside seed_cnn, scored on the same faces."""

import json
import os
from pathlib import Path

from browser_fixtures import chromium_page, running_app, wait_until_idle

from ui.sidebar import SEED_MODEL, SHIPPED_MODEL


def card(model: Path) -> dict:
    return json.loads(model.with_suffix(".json").read_text())["card"]


def test_home_and_predict_say_which_faces_their_figures_are_on(tmp_path):
    shipped, seed = card(SHIPPED_MODEL), card(SEED_MODEL)
    [on_sample] = shipped["also_scored_on"]
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        page.goto(url)
        page.get_by_text("(the active data's test faces)").first.wait_for(timeout=90_000)
        wait_until_idle(page)
        text = page.locator("body").inner_text()
        text = text[text.index("Active model"):]
        assert (f"test accuracy {on_sample['accuracy']:.1%}" in text
                and "on 345 test faces of fer2013_sample.csv.gz (the active data's test faces)" in text)
        assert (f"test accuracy {shipped['evaluation']['accuracy']:.1%}" in text
                and "on 3,435 test faces of fer2013.csv.gz (not the active data)" in text)
        assert text.count("Optimistic: these test faces also picked the best epoch") == 2
        page.screenshot(path=str(Path(os.environ.get("SCORE_WORDS_SHOTS", tmp_path)) / "home.png"), full_page=True)

        page.goto(f"{url}/predict")
        page.get_by_text("vs. the notebook's seed_cnn").first.wait_for(timeout=90_000)
        wait_until_idle(page)
        lead = (shipped["evaluation"]["accuracy"] - seed["evaluation"]["accuracy"]) * 100
        assert page.get_by_text(f"{lead:+.1f} points").count() == 1
        assert page.get_by_text("scored on 3,435 test faces of fer2013.csv.gz").count() == 1
        assert page.get_by_text("Optimistic: these test faces also picked the best epoch").count() == 1
        page.screenshot(path=str(Path(os.environ.get("SCORE_WORDS_SHOTS", tmp_path)) / "predict.png"))
