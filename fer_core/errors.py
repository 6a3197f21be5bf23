"""Errors a user can cause. Each carries one sentence the user understands; pages and the CLI show it as is."""


class FERError(Exception):
    """Base class: the message is meant for the person using the app or the CLI."""


class DataError(FERError):
    """A dataset file or folder that cannot be read as FER2013."""


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
