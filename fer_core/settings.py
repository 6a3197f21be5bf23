"""Every setting FER Studio reads from its environment, and the only module that reads it.

The library and the CLI read a few (the functions below `load_settings`); the app reads them all as one
AppSettings: who may train, how big an upload may be, how long a visitor's job may run, where runs live and which
server files a visitor may load, each from an environment variable overridden by the same key in a dict of secrets
(the app passes st.secrets as a plain dict: this module never imports Streamlit, OpenCV or TensorFlow).

    FER_TRAINING           on | off | password         (default on)
    FER_TRAINING_PASSWORD  the password when FER_TRAINING=password
    FER_MAX_UPLOAD_MB      largest upload accepted, data or photo (default 400, Kaggle's 301 MB fer2013.csv fits)
    FER_MAX_EPOCHS         most epochs a job may ask   (default 500, TrainingConfig's own limit)
    FER_MAX_LOAD_MB        memory for the faces of one load (default 100: 43,402 faces; FER2013 has 35,887)
    FER_UPLOADS_MB         disk kept for uploads in RUNS_DIR/uploads, oldest evicted first (default 1000)
    FER_RUNS_DIR           the runs folder             (default runs)
    FER_DATA_DIRS          folders, separated by ':', from which visitors may load data by typing a path on the
                           server (default none: server paths are off)
    FER_SERVER_PATHS       off turns server paths off even where FER_DATA_DIRS names folders
    FER_MAX_VIDEO_SECONDS  longest clip the Video page and `fer_core video` analyse (default 1800, half an hour)
    FER_MAX_VIDEO_GIGAPIXELS  most pixels the Video page decodes for one clip, every frame's width × height summed
                           (default 112: half an hour of 1080p at 30 frames/s), checked from the header and while decoding
    FER_VIDEO_ANALYSES     clips the Video page analyses at once in the server; more wait their turn (default 1)
    FER_ANNOTATE_EVERY_FRAME_SECONDS  longest clip whose annotated clip the Video page draws at every frame (default
                           300); a longer one's shows the analysed frames, with its sound, and the page says so

Read by the library and the CLI too:
    FER_KEEP_RUNS          runs a new job keeps, the oldest pruned first (default 20)
    FER_CACHE_DIR          where parsed datasets and analysed clips are cached (default ~/.cache/fer_studio)
    FER_CACHE_MB           disk the dataset cache may take, oldest evicted first (default 1000)
    FER_DEBUG              set: the CLI prints a traceback for an unexpected error
    FER_BATCH_PARQUET_PART_ROWS  rows a batch table in Parquet holds back before writing a part (default 5000)
    FER_CLUSTER            a Dask scheduler's address (tcp://host:8786): batch runs (`--table`) go to its workers,
                           as `--cluster` does (default none: worker processes on this machine)
    FER_JOB_LOCK_FD        set by the app for the training job it starts: the job-lock descriptor it inherits

Read, not set, for training on several devices (fer_core/training/devices.py, docs/scale.md):
    KERAS_BACKEND          jax lets a job train on several devices; the Train page offers them only then
    CUDA_VISIBLE_DEVICES   the GPUs a job may see, as CUDA counts them
    KERAS_DISTRIBUTION_NUM_PROCESSES, or SLURM_NTASKS inside srun: above 1, the job joins its hosts first
"""

from __future__ import annotations

import hmac
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError, FERError, TrainingDisabled, UploadTooLarge

TRAINING_MODES = ("on", "off", "password")
DEFAULT_MAX_UPLOAD_MB = 400  # Kaggle's fer2013.csv is 301,072,766 bytes: it fits with room to spare
DEFAULT_MAX_EPOCHS = 500
DEFAULT_UPLOADS_MB = 1000
# 100 MB of faces is 43,402 faces: the whole of FER2013 (35,887) with room to spare.
DEFAULT_MAX_LOAD_MB = 100
# Half an hour: about 15 minutes of analysis for a 720p clip on 2 cores; a longer clip is refused before it is decoded.
DEFAULT_MAX_VIDEO_SECONDS = 1800
# pixels, every frame's, bound a clip's decoding work (an 8K frame is 16 of 1080p): half an hour of 1080p at 30/s.
DEFAULT_MAX_VIDEO_GIGAPIXELS = 112
# Clips analysed at once in the server (each already decodes and infers on several threads); more wait their turn.
DEFAULT_VIDEO_ANALYSES = 1
# Clips up to this long get an annotated clip of every frame on the page; a longer one's holds its analysed frames
# (with sound): drawing every frame costs more than analysing 5 a second (docs/video.md). The CLI draws every frame.
DEFAULT_ANNOTATE_EVERY_FRAME_SECONDS = 300
DEFAULT_KEEP_RUNS = 20
DEFAULT_CACHE_MB = 1000
# FER2013's pixels are digits and spaces: gzip and zip take the 301 MB fer2013.csv to 97 MB.
COMPRESS_ADVICE = "Compressed as .csv.gz or .zip, FER2013 is about 3× smaller: upload that instead."


@dataclass(frozen=True)
class AppSettings:
    training: str = "on"
    training_password: str = ""
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    max_epochs: int = DEFAULT_MAX_EPOCHS
    runs_dir: Path = Path("runs")
    data_dirs: tuple[Path, ...] = ()
    max_load_mb: int = DEFAULT_MAX_LOAD_MB
    uploads_mb: int = DEFAULT_UPLOADS_MB
    max_video_seconds: int = DEFAULT_MAX_VIDEO_SECONDS
    max_video_gigapixels: int = DEFAULT_MAX_VIDEO_GIGAPIXELS
    video_analyses: int = DEFAULT_VIDEO_ANALYSES
    annotate_every_frame_seconds: int = DEFAULT_ANNOTATE_EVERY_FRAME_SECONDS

    @property
    def server_paths(self) -> bool:
        """Whether visitors may type a path on the server: only where the operator named folders for it."""
        return bool(self.data_dirs)

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

    def check_upload(self, size_bytes: int, name: str, limit_mb: int | None = None,
                     error: type[FERError] = DataError, advice: str = "") -> None:
        """Refuse an upload over FER_MAX_UPLOAD_MB (or the lower `limit_mb`), by the bytes the server received."""
        limit_mb = min(self.max_upload_mb, limit_mb or self.max_upload_mb)
        if size_bytes > limit_mb * 1_000_000:
            raise error(f"{name} is {size_bytes / 1e6:,.1f} MB; this server accepts files up to {limit_mb:,} MB."
                        + (f" {advice}" if advice else ""))

    def check_data_upload(self, size_bytes: int, name: str) -> None:
        """check_upload for a data file: UploadTooLarge, whose sentence says how to make FER2013 fit."""
        self.check_upload(size_bytes, name, error=UploadTooLarge, advice=COMPRESS_ADVICE)

    @property
    def upload_limit_line(self) -> str:
        """What the uploader takes here, said next to it: a file over it is refused by the browser, out of Python's sight."""
        return f"Files up to {self.max_upload_mb:,} MB on this server. {COMPRESS_ADVICE}"

    def server_path(self, typed: str) -> Path:
        """The file or folder a visitor typed, once it is known to lie inside one of FER_DATA_DIRS; DataError
        otherwise, with a sentence that says what is wrong and never what the file holds."""
        if not self.server_paths:
            raise DataError("This server does not load data from server paths: upload a file or use the built-in sample.")
        path = Path(typed).expanduser()
        if not path.is_absolute():
            path = self.data_dirs[0] / path
        try:
            real = path.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError):
            raise DataError(f"{typed} does not exist on the server.") from None
        except (OSError, RuntimeError):  # a permission error on the way, or a symlink loop
            raise DataError(f"{typed} cannot be opened on the server.") from None
        if not any(real == folder or folder in real.parents for folder in self._real_data_dirs()):
            raise DataError(f"{typed} is outside the folders this server loads data from "
                            f"({', '.join(str(d) for d in self.data_dirs)}).")
        try:
            mode = real.stat().st_mode
        except OSError:
            raise DataError(f"{typed} cannot be opened on the server.") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise DataError(f"{typed} is not a regular file or folder (a device, a pipe or a socket), so it was not read.")
        return real

    def _real_data_dirs(self) -> list[Path]:
        return [folder.resolve() for folder in self.data_dirs]


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
        data_dirs=_data_dirs(values),
        max_load_mb=_positive_int(values, "FER_MAX_LOAD_MB", DEFAULT_MAX_LOAD_MB),
        uploads_mb=_positive_int(values, "FER_UPLOADS_MB", DEFAULT_UPLOADS_MB),
        max_video_seconds=_positive_int(values, "FER_MAX_VIDEO_SECONDS", DEFAULT_MAX_VIDEO_SECONDS),
        max_video_gigapixels=_positive_int(values, "FER_MAX_VIDEO_GIGAPIXELS", DEFAULT_MAX_VIDEO_GIGAPIXELS),
        video_analyses=_positive_int(values, "FER_VIDEO_ANALYSES", DEFAULT_VIDEO_ANALYSES),
        annotate_every_frame_seconds=_positive_int(values, "FER_ANNOTATE_EVERY_FRAME_SECONDS",
                                                   DEFAULT_ANNOTATE_EVERY_FRAME_SECONDS),
    )


def _data_dirs(values: Mapping) -> tuple[Path, ...]:
    """FER_DATA_DIRS as absolute folders, or () when server paths are off; a named folder that is missing is an
    error, so a typo is not mistaken for "off"."""
    if not _on_or_off(values, "FER_SERVER_PATHS"):
        return ()
    raw = values.get("FER_DATA_DIRS") or ""
    names = raw if isinstance(raw, (list, tuple)) else str(raw).split(os.pathsep)
    folders = tuple(Path(str(name).strip()).expanduser().absolute() for name in names if str(name).strip())
    if not folders and str(values.get("FER_SERVER_PATHS", "")).strip().lower() == "on":
        raise FERError("FER_SERVER_PATHS is on, but FER_DATA_DIRS names no folder: set FER_DATA_DIRS to the folders "
                       "visitors may load data from.")
    for folder in folders:
        if not folder.is_dir():
            raise FERError(f"FER_DATA_DIRS names {folder}, which is not a folder on this server.")
    return folders


def _on_or_off(values: Mapping, key: str) -> bool:
    value = str(values.get(key) or "on").strip().lower()
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


# The settings the library and the CLI read on their own (a training job, `python -m fer_core`), outside the app.
# A value that is not a whole number above 0 falls back to the default there: a job must not die on a typo the app
# would have refused at its start.

def runs_dir() -> Path:
    return Path(os.environ.get("FER_RUNS_DIR") or "runs")


def keep_runs() -> int:
    return _positive_int_or_default("FER_KEEP_RUNS", DEFAULT_KEEP_RUNS)


def cache_dir() -> Path:
    return Path(os.environ.get("FER_CACHE_DIR") or Path.home() / ".cache" / "fer_studio")


def cache_limit_bytes() -> int:
    return _positive_int_or_default("FER_CACHE_MB", DEFAULT_CACHE_MB) * 1_000_000


def max_load_mb() -> int:
    """FER_MAX_LOAD_MB as the operator set it, for the processes the app starts (a training job reads the same file
    the app accepted, under the same budget) and the CLI."""
    return _positive_int_or_default("FER_MAX_LOAD_MB", DEFAULT_MAX_LOAD_MB)


def max_video_seconds() -> int:
    return _positive_int_or_default("FER_MAX_VIDEO_SECONDS", DEFAULT_MAX_VIDEO_SECONDS)


def parquet_part_rows(default: int) -> int:
    """FER_BATCH_PARQUET_PART_ROWS: rows a batch run's Parquet table holds back before it writes them as one part."""
    return _positive_int_or_default("FER_BATCH_PARQUET_PART_ROWS", default)


def batch_cluster() -> str | None:
    """FER_CLUSTER: the Dask scheduler a batch run's files go to when no --cluster is given; None runs them here."""
    return os.environ.get("FER_CLUSTER", "").strip() or None


def debug() -> bool:
    return bool(os.environ.get("FER_DEBUG"))


JOB_LOCK_FD = "FER_JOB_LOCK_FD"


def inherited_job_lock() -> int | None:
    """The job-lock descriptor the app handed to the training job it started, or None in a job started by hand."""
    value = os.environ.get(JOB_LOCK_FD)
    return int(value) if value else None


def keras_backend() -> str:
    """The Keras backend a training job will run on, as Keras chooses it from the environment (TensorFlow unset)."""
    return os.environ.get("KERAS_BACKEND") or "tensorflow"


def cuda_visible_devices() -> list[str] | None:
    """The GPUs CUDA_VISIBLE_DEVICES lets a job see, or None when it does not narrow them."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    return None if value is None else [device for device in value.split(",") if device.strip()]


def distribution_processes() -> int:
    """How many processes (one per host) the launcher started for one training job: Keras's own variable, or SLURM's
    task count inside an srun step; 1 for a job on one host."""
    for key in ("KERAS_DISTRIBUTION_NUM_PROCESSES", "SLURM_NTASKS" if os.environ.get("SLURM_STEP_ID") else ""):
        if key and os.environ.get(key):
            return _positive_int_or_default(key, 1)
    return 1


def _positive_int_or_default(key: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(key) or default))
    except ValueError:
        return default
