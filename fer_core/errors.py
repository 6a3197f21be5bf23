"""Errors a user can cause. Each carries one sentence the user understands; pages and the CLI show it as is."""

import contextlib
from pathlib import Path


class FERError(Exception):
    """Base class: the message is meant for the person using the app or the CLI."""


@contextlib.contextmanager
def file_read_errors(path: Path, error: type, kind: str):
    """Turn the OSErrors of opening or reading `path` into `error` with one sentence; `kind` names what the file
    should have been ("an image file", "a video file")."""
    try:
        yield
    except FileNotFoundError as exc:
        raise error(f"There is no file {path}.") from exc
    except IsADirectoryError as exc:
        raise error(f"{path} is a folder, not {kind}.") from exc
    except OSError as exc:
        raise error(f"{path.name} could not be read ({exc.strerror or exc}).") from exc


class DataError(FERError):
    """A dataset file or folder that cannot be read as FER2013."""


class UploadTooLarge(DataError):
    """A data file over the server's upload limit: the sentence says the limit and how to make the file fit."""


class CollectionError(DataError):
    """Classes collected from the camera: a class name that cannot be a folder, a picture without a face, a full
    collection."""


class ImageError(FERError):
    """A photo that cannot be opened, or is unsafe to open."""


class ModelError(FERError):
    """A model file that is missing, unreadable, or does not fit the preprocessing contract."""


class JobError(FERError):
    """A training job that cannot be started, stopped or resumed as asked."""


class JobAlreadyRunning(JobError):
    """Only one training job runs at a time."""


class TrainingDisabled(JobError):
    """Hosted mode has turned training off, or the password was wrong."""


class VideoError(FERError):
    """A clip that cannot be read as a video, or that this server will not analyse (too long, frames too large)."""


class StillImageNotVideo(VideoError):
    """A photo given where a clip was expected. `name` is the file's: the CLI points to its own photo command."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"{name} is a still image, not a video: use the Predict page for photos.")


class AnalysisStopped(VideoError):
    """A clip's analysis stopped before its end: its visitor asked for another, or left."""


class ClusterError(FERError):
    """A batch run's cluster that cannot be used: its engine is not installed, its scheduler cannot be reached, or
    it was lost mid-run."""
