"""FER2013 as Kaggle's competition serves it, fer2013.tar.gz, uploaded in a real browser: Explore reads it and says
which CSV it read; a tar whose only CSV is a link is refused in the main pane with the sentence that says so."""

import io
import tarfile
from pathlib import Path

from browser_fixtures import chromium_page, running_app, upload_in_sidebar, wait_until_idle
from conftest import synthetic_faces

from fer_core.data.csv_format import format_fer_csv


def _tar_gz(path: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return path


def _upload_on_explore(page, url: str, path: Path) -> str:
    page.goto(f"{url}/explore")
    page.get_by_text("Explore the data").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    upload_in_sidebar(page, path)
    wait_until_idle(page)
    return page.locator("[data-testid=stMain]").inner_text()


def test_kaggles_tar_gz_loads_in_the_browser_and_a_tar_of_a_link_is_refused_with_its_sentence(tmp_path):
    images, labels, usage = synthetic_faces(n_per_class=3, seed=1)
    good = _tar_gz(tmp_path / "fer2013.tar.gz", {"fer2013/README": b"FER2013",
                                                 "fer2013/fer2013.csv": format_fer_csv(images, labels, usage)})
    bad = _tar_gz(tmp_path / "links.tar.gz", {}, {"fer2013/fer2013.csv": "/etc/passwd"})
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache")}
    with running_app(env) as (url, _), chromium_page() as page:
        shown = _upload_on_explore(page, url, good)
        assert f"{len(labels):,} faces of 48×48 grey pixels" in shown
        assert "Read fer2013/fer2013.csv from fer2013.tar.gz." in shown
        assert page.locator('[data-testid="stException"]').count() == 0

    with running_app(env) as (url, _), chromium_page() as page:
        shown = _upload_on_explore(page, url, bad)
        assert "links.tar.gz holds neither a CSV file nor photos" in shown
        assert "1 member was skipped, not followed: fer2013/fer2013.csv (a link)." in shown
        assert page.locator('[data-testid="stException"]').count() == 0
