"""A newcomer's first five minutes, seen in a real browser: Home shows a photo the shipped model answered and its
training curves, Predict's "Try an example" shows faces before any upload, Train keeps the expert settings in
"Advanced", Start is disabled while a job runs, and Explore's quality panel stays inside the page."""

import json
import os
import re
import time

from browser_fixtures import chromium_page, expect, go_to, running_app, upload_in_sidebar, wait_until_idle


def images_past_the_right_edge(page) -> list[str]:
    """The images whose right edge lies beyond the main column's (they run into the next column or off the page)."""
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
        return [...document.querySelectorAll('[data-testid="stMain"] img')]
            .filter(img => img.getBoundingClientRect().right > main.right + 1)
            .map(img => img.alt || img.src.slice(-40));
    }""")


def test_home_predict_train_and_explore_as_a_newcomer_first_sees_them(tmp_path):
    runs_dir = tmp_path / "runs"
    env = {"FER_RUNS_DIR": str(runs_dir), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        # Home: the example photo with its box, the face's top-3 bars and the shipped model's curves.
        page.goto(url)
        page.get_by_text("An example photo: 1 face found").wait_for(timeout=90_000)
        wait_until_idle(page)
        hero = page.locator('[data-testid="stVerticalBlockBorderWrapper"], [data-testid="stVerticalBlock"]',
                            has_text="An example photo").first
        expect(hero.locator("img").first).to_be_visible()
        assert hero.locator("img").first.evaluate("img => img.naturalWidth") == 512  # the photo itself, boxed
        assert page.get_by_text("Face 1: happy").count() == 1
        plots = page.locator(".js-plotly-plot")
        expect(plots).to_have_count(2)  # the face's top-3 and the training curves
        assert "Accuracy" in plots.nth(1).inner_text() and "epoch" in plots.nth(1).inner_text()
        assert page.locator('[data-testid="stException"]').count() == 0

        # Predict: before any upload, one button shows the example as an upload would be shown.
        go_to(page, "Predict")
        page.get_by_role("button", name="Try an example").wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_text("Face 1:").count() == 0
        page.get_by_role("button", name="Try an example").click()
        page.get_by_text("Face 1:").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        assert page.get_by_text("1 face found").count() == 1
        expect(page.get_by_text("What the model saw (48×48)")).to_have_count(1)
        assert page.locator('[data-testid="stException"]').count() == 0

        # Train: the expert settings are folded away in Advanced, their defaults shown once it opens.
        go_to(page, "Train")
        page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
        wait_until_idle(page)
        expect(page.get_by_role("button", name="Start training")).to_be_enabled()
        expect(page.get_by_label("Learning rate", exact=True)).to_be_hidden()
        page.get_by_text("Advanced: learning rate, weight decay, random erasing, distillation, precision").click()
        expect(page.get_by_label("Learning rate", exact=True)).to_be_visible()
        assert page.get_by_label("Learning rate", exact=True).input_value() == "0.0020"
        assert page.get_by_label("Weight decay", exact=True).input_value() == "0.0005"
        expect(page.get_by_text("Learn from the shipped model (knowledge distillation)")).to_be_visible()
        expect(page.get_by_text("bfloat16 maths (mixed precision)")).to_be_visible()
        expect(page.get_by_text("The defaults are the recipe's")).to_be_visible()
        expect(page.get_by_text("not balanced: every training face once", exact=False)).to_be_visible()

        # A job running (this test's own process stands in for it): Start is disabled, with a sentence.
        run = runs_dir / "20261201-000000-tiny_cnn"
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps({"arch": "tiny_cnn", "epochs": 5}))
        (run / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid(),
                                                     "started_at": time.time()}))
        page.reload()
        page.get_by_text(f"Running: {run.name}").wait_for(timeout=60_000)
        expect(page.get_by_role("button", name="Start training")).to_be_disabled()
        expect(page.get_by_text(f"A job is running ({run.name}): one job runs at a time")).to_be_visible()
        (run / "status.json").write_text(json.dumps({"state": "finished", "started_at": time.time()}))

        # Explore: the data quality panel's faces stay inside the page, its caption in one short sentence.
        go_to(page, "Explore")
        page.get_by_text("Near-blank images").last.wait_for(timeout=90_000)
        wait_until_idle(page)
        assert images_past_the_right_edge(page) == []
        expect(page.get_by_text("(0 is one flat grey).", exact=False)).to_be_visible()


def test_explores_quality_panel_keeps_ten_black_twins_inside_the_page_with_a_short_caption(tmp_path):
    """The full FER2013's case: a group of black duplicate faces, which side by side ran into the near-blank column
    and off the right edge, its caption listing every grey level."""
    import numpy as np
    from conftest import synthetic_faces

    from fer_core.data.csv_format import format_fer_csv

    images, labels, usage = synthetic_faces(n_per_class=3, seed=1)
    black = np.zeros((10, 48, 48), dtype=np.uint8)
    data = tmp_path / "black_twins.csv"
    data.write_bytes(format_fer_csv(np.concatenate([np.asarray(images), black]), list(labels) + [3] * 10,
                                    list(usage) + ["Training"] * 10))
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        page.goto(f"{url}/explore")
        page.get_by_text("Explore the data").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        upload_in_sidebar(page, data)
        # 70 near-blank: the 10 black ones and the synthetic faces, flat grey under faint noise.
        page.get_by_text(re.compile(r"^70 found, the first 8 shown; grey-level std 0\.0 to \d+\.\d "
                                    r"\(0 is one flat grey\)\.$")).wait_for(timeout=90_000)
        wait_until_idle(page)
        expect(page.get_by_text("happy · train ×10 · rows", exact=False)).to_be_visible()
        assert images_past_the_right_edge(page) == []
        assert page.locator('[data-testid="stException"]').count() == 0
