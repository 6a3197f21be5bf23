"""A data file over the server's upload limit is refused in the page's main pane with the limit and the 3× smaller
.csv.gz/.zip to try, not only in the uploader's hover tooltip, and without a "Skip bad rows" hint."""


from browser_fixtures import chromium_page, running_app, show_sidebar_upload, wait_until_idle
from conftest import synthetic_faces, write_csv


def test_a_file_over_the_limit_is_refused_in_the_main_pane_with_the_smaller_file_to_try(tmp_path):
    images, labels, usage = synthetic_faces(n_per_class=60)
    big = write_csv(tmp_path / "fer2013.csv", images, labels, usage)
    assert big.stat().st_size > 2_000_000
    env = {"FER_RUNS_DIR": str(tmp_path / "runs"), "FER_CACHE_DIR": str(tmp_path / "cache"), "FER_MAX_UPLOAD_MB": "1"}
    with running_app(env) as (url, _), chromium_page() as page:
        page.goto(f"{url}/explore")
        page.get_by_text("Explore the data").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        sidebar = show_sidebar_upload(page)
        assert "Files up to 1 MB on this server." in sidebar.inner_text()  # said next to the uploader, before any file
        sidebar.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(big)
        wait_until_idle(page)
        main = page.locator("[data-testid=stMain]")
        shown = main.inner_text()
        assert "Files up to 1 MB on this server. Compressed as .csv.gz or .zip, FER2013 is about 3× smaller" in shown
        assert "Skip bad rows" not in shown
        assert main.locator('[data-testid="stAlertContentError"], [data-testid="stAlert"]').count() >= 1

