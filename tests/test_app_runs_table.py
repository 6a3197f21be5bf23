"""The Train page's runs table: what tells runs apart (status, duration, scores) comes before the settings, so a
window of ordinary width shows it without scrolling the table sideways."""

import json
import os
from pathlib import Path

from app_fixtures import install_model_run
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def test_the_duration_sits_beside_the_status(tiny_model):
    run = install_model_run(Path(os.environ["FER_RUNS_DIR"]), "20260101-000000-tiny_cnn", tiny_model).parent
    (run / "status.json").write_text(json.dumps({"state": "finished", "started_at": 1.0, "ended_at": 1.0 + 3 * 3600 + 125}))
    at = AppTest.from_file(APP, default_timeout=60).run().switch_page("app_pages/train.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["run", "status", "duration", "test accuracy"]
    assert table["duration"].tolist() == ["3h 02m"]
