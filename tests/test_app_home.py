"""The app's entry page, and the sidebar every page shares, on the built-in data."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def app_with(**choices) -> AppTest:
    """The app with sidebar choices made before its first run (AppTest drops the sidebar from later runs'
    element trees under st.navigation, so its widgets are set through session state)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in choices.items():
        at.session_state[key] = value
    return at.run()


def test_home_names_the_active_data_and_links_every_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "built-in sample" in text and "3,217 faces" in text
    assert at.sidebar.radio(key="data_source").value == "sample"
    assert any("No model yet" in i.value for i in at.info) or any("test accuracy" in m.value for m in at.markdown)


def test_a_missing_server_path_is_a_sentence_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DATA_DIRS", str(tmp_path))
    missing = str(tmp_path / "fer2013.csv")
    at = app_with(data_source="server", data_path=missing)
    assert not at.exception
    assert [e.value for e in at.error] == [f"{missing} does not exist on the server."]


def test_a_bad_row_is_named_and_skipping_it_loads_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_DATA_DIRS", str(tmp_path))
    rows = ["emotion,pixels,Usage"] + [f"{i % 7},{' '.join(['128'] * 2304)},Training" for i in range(6)]
    rows.insert(3, "3,1 2 3,Training")
    data = tmp_path / "broken.csv"
    data.write_text("\n".join(rows) + "\n")
    at = app_with(data_source="server", data_path=str(data))
    assert not at.exception
    assert "row 3" in at.error[0].value

    at = app_with(data_source="server", data_path=str(data), skip_bad_rows=True)
    assert not at.error
    assert any("6 faces" in m.value for m in at.markdown)


def test_home_shows_the_shipped_models_answer_on_an_example_photo_and_its_training_curves():
    """The hero is computed, not a picture: the shipped model's top-3 for the example's face, and the curves of the
    epochs its card records."""
    import json

    from fer_core.training.config import SHIPPED_MODEL

    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    images = at.get("image")
    assert any("An example photo: 1 face found" in str(image.proto) for image in images)
    assert any(m.value.startswith("**Face 1: happy (") for m in at.markdown)  # the astronaut smiles
    charts = [c for c in at.get("plotly_chart")]
    history = json.loads(SHIPPED_MODEL.with_suffix(".json").read_text())["card"]["epoch_history"]
    curves = [json.loads(c.proto.spec) for c in charts if "Accuracy" in c.proto.spec]
    assert len(curves) == 1
    assert len(curves[0]["data"][0]["x"]) == len(history)  # every recorded epoch, from the card
    top3 = [json.loads(c.proto.spec) for c in charts if "Accuracy" not in c.proto.spec]
    assert len(top3) == 1 and len(top3[0]["data"][0]["y"]) == 3
    captions = " ".join(c.value for c in at.caption)
    assert "Top-3: the three emotions" in captions and "Validation: faces scored after every epoch" in captions
