"""The browser tests' harness: `streamlit run` on a free port, headless Chromium, and the few steps every page test
takes (wait for the script run to end, go to a page, upload a data file in the sidebar).

Importing this module skips the importing test module when the playwright package or /usr/bin/chromium is missing,
so the check is written once and a test module imports Playwright's names (`expect`, `PlaywrightTimeoutError`) from
here, after it. The server and browser steps themselves are bench/app_in_browser.py's, which the benches and the
screenshots script take too."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.app_in_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    chromium_browser,
    chromium_page,
    running_app,
    wait_until_idle,
)

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect
except ImportError:
    pytest.skip("the playwright Python package is not installed (pip install playwright)", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "VIEWPORT", "PlaywrightTimeoutError", "chromium_browser", "chromium_page",
           "expect", "go_to", "running_app", "show_sidebar_upload", "upload_in_sidebar", "wait_until_idle"]


def go_to(page, title: str) -> None:
    """Another page of the same session, by the sidebar's navigation (a new URL would start a new session)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_until_idle(page)


def show_sidebar_upload(page):
    """Choose "Upload a file" in the sidebar's data choice; returns the sidebar, its file uploader showing."""
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("Upload a file").first.click()
    wait_until_idle(page)
    return sidebar


def upload_in_sidebar(page, path: Path) -> None:
    """Give the sidebar's uploader a data file, as a visitor does."""
    show_sidebar_upload(page).locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(path)
