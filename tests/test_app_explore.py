"""Explore on the built-in sample: counts with the imbalance, balancing, faces, and the quality panel."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def test_explore_shows_counts_balancing_faces_and_quality():
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/explore.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Faces"] == "3,217" and metrics["Training faces"] == "2,872"
    assert metrics["Imbalance"] == "16.4×"  # 722 happy / 44 disgust
    assert int(metrics["Faces with an identical twin"]) > 0 and int(metrics["Near-blank images"]) >= 1
    headers = [h.value for h in at.main.header]
    assert headers == ["Classes", "Balancing the training split", "Faces", "Data quality"]
    assert any("722" in c.value for c in at.caption)  # oversampling lifts every class to the largest

    at.button[0].click().run()  # reshuffle
    assert not at.exception
    at.segmented_control(key="explore_balance").set_value("class_weight").run()
    assert any("weighted" in c.value for c in at.caption)


def test_the_near_blank_caption_sums_up_the_grey_levels_instead_of_listing_each():
    import re

    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/explore.py").run()
    assert not at.exception
    blank = int({m.label: m.value for m in at.metric}["Near-blank images"])
    captions = [c.value for c in at.caption if "grey-level std" in c.value]
    assert len(captions) == 1
    shown = ", the first 8 shown" if blank > 8 else ""
    assert re.fullmatch(rf"{blank:,} found{shown}; grey-level std \d+\.\d( to \d+\.\d)? \(0 is one flat grey\)\.",
                        captions[0]), captions[0]
    # The two lists stand one under the other, each the page's width: side by side, 8 twins ran into the next.
    subheaders = [h.value for h in at.main.subheader]
    assert subheaders[-2:] == ["Exact duplicates", "Near-blank images"]
    assert not [c for c in at.main.columns if any(getattr(e, "value", None) == "Near-blank images"
                                                  for e in c.subheader)]
