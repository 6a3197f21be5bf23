"""The benchmarks' review: the bench opens real pages of the app, reads the machine from fields, and renders its
report from results.json alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.source_util import page_icon_and_name

from bench.app_urls import page_url, url_path
from ui.pages import EXPLORE, HOME, PAGES, PREDICT, VIDEO

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("page", [PREDICT, EXPLORE, VIDEO], ids=lambda page: page.title)
def test_each_page_the_bench_opens_has_the_url_streamlit_gives_it(page):
    assert (REPO / page.path).is_file()
    assert url_path(page) != ""
    assert url_path(page) == page_icon_and_name(REPO / page.path)[1]  # Streamlit's own derivation from the file
    assert page_url("http://127.0.0.1:8501", page) == f"http://127.0.0.1:8501/{url_path(page)}"


def test_home_is_the_apps_root():
    assert page_url("http://127.0.0.1:8501", HOME) == "http://127.0.0.1:8501/"


def test_no_bench_module_spells_a_page_url_itself():
    titles = "|".join(Path(page.path).stem for page in PAGES)
    for module in (REPO / "bench").glob("*.py"):
        assert not re.search(rf"""goto\(f?["'][^"']*/({titles})\b""", module.read_text()), module.name
