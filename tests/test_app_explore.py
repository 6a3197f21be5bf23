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
