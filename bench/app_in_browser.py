"""The app in a real browser: `streamlit run streamlit_app.py` on a free port and headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright), for the benches that time what a visitor waits for, the screenshots script
and the browser tests, which all take these same steps."""

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

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}


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
        if not healthy(url, timeout, process):
            log.seek(0)
            raise RuntimeError(f"streamlit did not start:\n{log.read().decode(errors='replace')[-3000:]}")
        yield url, process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen, seconds: float = 10) -> None:
    """SIGTERM, and SIGKILL if the process has not ended `seconds` later."""
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()


def healthy(url: str, timeout: float, process: subprocess.Popen | None = None) -> bool:
    """Whether the Streamlit server at `url` answers its health check within `timeout` seconds (False at once if
    its process has ended)."""
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        if (process is not None and process.poll() is not None) or time.time() > deadline:
            return False
        time.sleep(0.5)


@contextmanager
def chromium_page(extra_args: tuple[str, ...] | list[str] = ()):
    """A page in headless Chromium with a fresh profile; extra_args adds switches (a fake camera, say)."""
    from playwright.sync_api import sync_playwright

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
    from playwright.sync_api import sync_playwright

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
