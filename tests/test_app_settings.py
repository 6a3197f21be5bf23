"""Hosted-mode settings: from the environment, overridden by secrets; training on, off or behind a password."""

import pytest

from fer_core.errors import DataError, FERError, TrainingDisabled
from fer_core.settings import load_settings


def test_defaults_allow_local_training():
    settings = load_settings({}, environ={})
    assert settings.training == "on" and settings.training_off_reason is None
    assert settings.max_upload_mb == 400 and settings.max_epochs == 500
    settings.check_training_allowed()
    settings.check_upload(290_000_000, "fer2013.csv")


def test_secrets_override_the_environment():
    settings = load_settings({"FER_TRAINING": "off"}, environ={"FER_TRAINING": "on", "FER_MAX_EPOCHS": "5"})
    assert settings.training == "off" and settings.max_epochs == 5
    with pytest.raises(TrainingDisabled, match="turned off"):
        settings.check_training_allowed()


def test_password_mode():
    settings = load_settings({"FER_TRAINING": "password", "FER_TRAINING_PASSWORD": "s3cret"}, environ={})
    assert settings.needs_password
    settings.check_training_allowed("s3cret")
    with pytest.raises(TrainingDisabled, match="not right"):
        settings.check_training_allowed("guess")
    unset = load_settings({"FER_TRAINING": "password"}, environ={})
    assert "none is configured" in unset.training_off_reason


def test_caps_on_uploads_and_epochs():
    settings = load_settings({"FER_MAX_UPLOAD_MB": 10, "FER_MAX_EPOCHS": 3}, environ={})
    with pytest.raises(DataError, match="up to 10 MB"):
        settings.check_upload(11_000_000, "big.csv")
    with pytest.raises(TrainingDisabled, match="at most 3 epochs"):
        settings.check_epochs(4)


@pytest.mark.parametrize("key, value", [("FER_TRAINING", "maybe"), ("FER_MAX_UPLOAD_MB", "lots"),
                                        ("FER_MAX_EPOCHS", "0")])
def test_a_mistyped_setting_is_named(key, value):
    with pytest.raises(FERError, match=key if key != "FER_TRAINING" else "FER_TRAINING must be"):
        load_settings({key: value}, environ={})


def test_server_paths_are_off_unless_the_operator_names_folders(tmp_path):
    assert not load_settings({}, environ={}).server_paths
    named = load_settings({"FER_DATA_DIRS": str(tmp_path)}, environ={})
    assert named.server_paths and named.data_dirs == (tmp_path,)
    assert not load_settings({"FER_DATA_DIRS": str(tmp_path), "FER_SERVER_PATHS": "off"}, environ={}).server_paths
    with pytest.raises(FERError, match="FER_SERVER_PATHS must be on or off"):
        load_settings({"FER_SERVER_PATHS": "maybe"}, environ={})
    with pytest.raises(FERError, match="FER_DATA_DIRS names no folder"):
        load_settings({"FER_SERVER_PATHS": "on"}, environ={})
    with pytest.raises(FERError, match="not a folder on this server"):
        load_settings({"FER_DATA_DIRS": str(tmp_path / "missing")}, environ={})


def test_with_server_paths_off_the_sidebar_offers_no_path_and_refuses_one(monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("FER_DATA_DIRS", raising=False)  # the default: no folder named, so no server paths
    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "streamlit_app.py"), default_timeout=60)
    app.session_state["data_source"] = "server"  # e.g. kept from before the setting changed
    app.session_state["data_path"] = "/etc/passwd"
    app.run()
    assert not app.exception
    assert app.session_state["data_source"] == "sample"
    assert "A path on the server" not in app.sidebar.radio[0].options
    assert not [e for e in app.error if "passwd" in e.value]


def test_the_settings_and_the_sidebar_load_neither_opencv_nor_litert():
    """Every page's first run imports these: a setting must not cost the detector's libraries (0.6 s before)."""
    import subprocess
    import sys

    code = ("import sys, fer_core.settings, ui.sidebar; "
            "print(sorted(m for m in ('cv2', 'ai_edge_litert', 'tensorflow') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
