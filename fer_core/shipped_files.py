"""Where the files that ship with FER Studio are: the models, the built-in data sample and the app itself.

In a clone they sit at the repository's root (models/, data/, streamlit_app.py); an installed wheel carries the same
files inside the package, under fer_core/shipped/ (pyproject.toml's force-include), so `pip install` gives a
Predictor with its model and a `fer-studio app` with its pages."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
INSTALLED = _PACKAGE / "shipped"
CHECKOUT = _PACKAGE.parent


def shipped_path(relative: str) -> Path:
    """The shipped file or folder `relative` (as in the repository: "models", "data/fer2013_sample.csv.gz")."""
    installed = INSTALLED / relative
    return installed if installed.exists() else CHECKOUT / relative
