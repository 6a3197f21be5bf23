"""Hosted-mode settings: who may train, how big an upload may be, how long a visitor's job may run, and where
runs live. Read from environment variables, overridden by a dict of secrets (the app passes st.secrets as a
plain dict: this module never imports Streamlit).

    FER_TRAINING           on | off | password         (default on)
    FER_TRAINING_PASSWORD  the password when FER_TRAINING=password
    FER_MAX_UPLOAD_MB      largest upload accepted     (default 300, a full FER2013 CSV fits)
    FER_MAX_EPOCHS         most epochs a job may ask   (default 500, TrainingConfig's own limit)
    FER_RUNS_DIR           the runs folder             (default runs)
    FER_SERVER_PATHS       on | off: may visitors load data from a path on the server (default on; turn it off
                           on a public deployment, where a path could point at any file the server can read)
    FER_MAX_VIDEO_SECONDS  longest clip the Video page and `fer_core video` analyse (default 1800, half an hour)
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .errors import DataError, FERError, TrainingDisabled

TRAINING_MODES = ("on", "off", "password")
DEFAULT_MAX_UPLOAD_MB = 300
DEFAULT_MAX_EPOCHS = 500
# Half an hour: about 15 minutes of analysis for a 720p clip on 2 cores; a longer clip is refused before it is decoded.
DEFAULT_MAX_VIDEO_SECONDS = 1800


@dataclass(frozen=True)
class AppSettings:
    training: str = "on"
    training_password: str = ""
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    max_epochs: int = DEFAULT_MAX_EPOCHS
    runs_dir: Path = Path("runs")
    server_paths: bool = True
    max_video_seconds: int = DEFAULT_MAX_VIDEO_SECONDS

    @property
    def training_off_reason(self) -> str | None:
        """A sentence saying why nobody can start training here, or None when someone can."""
        if self.training == "off":
            return "Training is turned off on this server; explore the data and predict with the shipped model instead."
        if self.training == "password" and not self.training_password:
            return "Training needs a password here, but none is configured (set FER_TRAINING_PASSWORD)."
        return None

    @property
    def needs_password(self) -> bool:
        return self.training == "password"

    def check_training_allowed(self, password: str = "") -> None:
        """Raise TrainingDisabled unless this visitor may start a job."""
        reason = self.training_off_reason
        if reason:
            raise TrainingDisabled(reason)
        if self.needs_password and not hmac.compare_digest(password.encode(), self.training_password.encode()):
            raise TrainingDisabled("That training password is not right.")

    def check_epochs(self, epochs: int) -> None:
        if epochs > self.max_epochs:
            raise TrainingDisabled(f"This server runs at most {self.max_epochs} epochs per job, not {epochs}.")

    def check_upload(self, size_bytes: int, name: str) -> None:
        if size_bytes > self.max_upload_mb * 1_000_000:
            raise DataError(f"{name} is {size_bytes / 1e6:,.0f} MB; this server accepts files up to "
                            f"{self.max_upload_mb:,} MB.")


def load_settings(secrets: Mapping | None = None, environ: Mapping | None = None) -> AppSettings:
    """Settings from `environ` (default os.environ), each overridden by the same key in `secrets`."""
    values = {**(os.environ if environ is None else environ), **(secrets or {})}
    training = str(values.get("FER_TRAINING", "on")).strip().lower()
    if training not in TRAINING_MODES:
        raise FERError(f"FER_TRAINING must be one of {', '.join(TRAINING_MODES)}, not {training!r}.")
    return AppSettings(
        training=training,
        training_password=str(values.get("FER_TRAINING_PASSWORD", "")),
        max_upload_mb=_positive_int(values, "FER_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB),
        max_epochs=min(_positive_int(values, "FER_MAX_EPOCHS", DEFAULT_MAX_EPOCHS), DEFAULT_MAX_EPOCHS),
        runs_dir=Path(str(values.get("FER_RUNS_DIR") or "runs")),
        server_paths=_on_or_off(values, "FER_SERVER_PATHS"),
        max_video_seconds=_positive_int(values, "FER_MAX_VIDEO_SECONDS", DEFAULT_MAX_VIDEO_SECONDS),
    )


def _on_or_off(values: Mapping, key: str) -> bool:
    value = str(values.get(key, "on")).strip().lower()
    if value not in ("on", "off"):
        raise FERError(f"{key} must be on or off, not {value!r}.")
    return value == "on"


def _positive_int(values: Mapping, key: str, default: int) -> int:
    raw = values.get(key)
    if raw in (None, ""):
        return default
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise FERError(f"{key} must be a whole number above 0, not {raw!r}.")
    return number
