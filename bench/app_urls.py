"""Where the benchmarks point the browser: each page's URL path comes from ui/pages.py, the app's one list of pages."""

from __future__ import annotations

from pathlib import Path

from ui.pages import HOME, AppPage


def url_path(page: AppPage) -> str:
    """As st.navigation derives it for a page made from a file with no url_path: the file's stem; "" for Home, the
    default page."""
    return "" if page is HOME else Path(page.path).stem


def page_url(base: str, page: AppPage) -> str:
    return f"{base.rstrip('/')}/{url_path(page)}"
