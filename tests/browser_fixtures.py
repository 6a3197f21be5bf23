"""The browser tests' harness: `streamlit run` on a free port, headless Chromium, and the few steps every page test
takes (wait for the script run to end, go to a page, upload a data file in the sidebar).

Importing this module skips the importing test module when the playwright package or /usr/bin/chromium is missing,
so the check is written once and a test module imports Playwright's names (`expect`, `PlaywrightTimeoutError`) from
here, after it. scripts/take_screenshots.py keeps its own copy of the server and browser steps: tests do not import
scripts, and a script does not import tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    pytest.skip("the playwright Python package is not installed (pip install playwright)", allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "VIEWPORT", "PlaywrightTimeoutError", "chromium_browser", "chromium_page",
           "expect", "go_to", "running_app", "show_sidebar_upload", "upload_in_sidebar", "wait_until_idle"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(env: dict, timeout: float = 60):
    """`streamlit run streamlit_app.py` on a free port; yields (url, process) once it answers its health check."""
    port = free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise RuntimeError(f"streamlit did not start:\n{log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def chromium_page(extra_args: tuple[str, ...] | list[str] = ()):
    """A page in headless Chromium with a fresh profile; extra_args adds switches (a fake camera, say)."""
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args), headless=True, viewport=VIEWPORT)
        try:
            yield browser.new_page()
        finally:
            browser.close()


@contextmanager
def chromium_browser():
    """Headless Chromium itself, for a test with several visitors: each `browser.new_context(viewport=VIEWPORT)` is
    one visitor with cookies of their own."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def wait_until_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait for the script run to end (Streamlit's running indicator gone) and charts to draw."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout_ms)
    page.wait_for_timeout(1500)


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
