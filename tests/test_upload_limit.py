"""The server's own check of an upload's size: refused with the limit and the 3× smaller .csv.gz/.zip to try."""

import pytest


def test_a_file_over_the_limit_that_reaches_the_server_is_refused_with_the_same_advice(tmp_path, monkeypatch):
    """The browser's check can be bypassed (a crafted request): the server checks the bytes it received."""
    import streamlit as st
    from app_fixtures import FakeUpload

    from fer_core.errors import UploadTooLarge
    from fer_core.settings import load_settings
    from ui import sidebar

    settings = load_settings(environ={"FER_MAX_UPLOAD_MB": "1", "FER_RUNS_DIR": str(tmp_path / "runs")})
    monkeypatch.setattr(st, "session_state", {"data_source": "upload",
                                              "data_upload": FakeUpload("fer2013.csv", b"0" * 2_000_001)})
    with pytest.raises(UploadTooLarge) as refused:
        sidebar.chosen_data_file(settings)
    assert str(refused.value) == ("fer2013.csv is 2.0 MB; this server accepts files up to 1 MB. Compressed as .csv.gz "
                                  "or .zip, FER2013 is about 3× smaller: upload that instead.")
    assert sidebar.bad_rows_hint(refused.value) is None
    assert not (tmp_path / "runs").exists()  # refused before it was saved


def test_a_folder_the_server_may_not_open_is_a_sentence_on_the_page(tmp_path, monkeypatch):
    import streamlit as st

    from fer_core.errors import DataError
    from fer_core.settings import load_settings
    from ui import cached, sidebar

    (tmp_path / "classes").mkdir()
    settings = load_settings(environ={"FER_DATA_DIRS": str(tmp_path)})
    monkeypatch.setattr(st, "session_state", {"data_source": "server", "data_path": "classes"})

    def refused(*args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "classes" / "private"))

    monkeypatch.setattr(cached, "load_dataset", refused)
    with pytest.raises(DataError) as refusal:
        sidebar.chosen_dataset(settings)
    assert str(refusal.value) == f"{tmp_path / 'classes'} could not be read on the server (Permission denied)."
