"""Full-size FER2013 files uploaded through the sidebar in headless Chromium, against the real server: does the page
load them, and what does the server (with every process it started) hold meanwhile?

`python -m bench.browser_upload FILE [FILE …]`: for each file, a fresh `streamlit run` server; the file is set on the
sidebar's uploader on Explore, and the clock runs until the main pane shows the face count (or a refusal). RSS of the
server and all its children is summed from /proc every 0.25 s. Prints one JSON line per file. Not a part of
`python -m bench`'s sections: it needs the full-size files, which only a developer with the data has
(docs/data_loading.md says how they were made)."""

from __future__ import annotations

import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.app_in_browser import chromium_page, running_app, wait_until_idle
from bench.app_urls import page_url
from bench.measure import tree_rss_bytes
from ui.pages import EXPLORE

SAMPLE_SECONDS = 0.25
PAGE_TIMEOUT_MS = 600_000


def _family_rss_mb(pid: int) -> float:
    return tree_rss_bytes(pid) / 2**20


def upload_once(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        env = {"FER_RUNS_DIR": f"{scratch}/runs", "FER_CACHE_DIR": f"{scratch}/cache"}
        with running_app(env) as (url, server), chromium_page() as page:
            samples: list[float] = []
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    samples.append(_family_rss_mb(server.pid))
                    time.sleep(SAMPLE_SECONDS)

            page.goto(page_url(url, EXPLORE))
            page.get_by_text("Explore the data").first.wait_for(timeout=120_000)
            wait_until_idle(page)
            idle_mb = _family_rss_mb(server.pid)
            sidebar = page.locator("[data-testid=stSidebar]")
            sidebar.get_by_text("Upload a file").first.click()
            wait_until_idle(page)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.monotonic()
            sidebar.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(path)
            main = page.locator("[data-testid=stMain]")
            main.get_by_text(re.compile(r"faces of 48×48 grey pixels|refused|cannot|accepts files up to")).first.wait_for(
                timeout=PAGE_TIMEOUT_MS)
            wait_until_idle(page)
            seconds = time.monotonic() - started
            time.sleep(2)
            stop.set()
            sampler.join()
            shown = main.inner_text()
            faces = re.search(r"([\d,]+) faces of 48×48 grey pixels", shown)
            return {"file": path.name, "bytes": path.stat().st_size, "loaded": bool(faces),
                    "faces": faces.group(1) if faces else None, "seconds_to_page": round(seconds, 1),
                    "server_idle_mb": round(idle_mb), "server_peak_mb": round(max(samples)),
                    "server_after_mb": round(samples[-1]), "shown": None if faces else shown[:400]}


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(json.dumps(upload_once(Path(name))), flush=True)
