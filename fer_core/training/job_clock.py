"""How long a training job will take: one arithmetic for the estimate before Start (from a calibration or earlier
runs) and the ETA while the job runs (from its own batch times), so the two agree. No TensorFlow here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

EXPORT_SECONDS = 15.0  # saving, the LiteRT export and its int8 calibration, before they have been timed here


class JobClock:
    """How long the rest of the job will take: training batches at their median recent time, a validation pass per
    epoch left at its measured cost, and the final evaluation and export. Before a validation pass has been timed,
    it is estimated from the training batches (a forward pass is about a third of a training step)."""

    WARMUP_BATCHES = 3  # the first steps trace and compile: not what the rest will cost

    def __init__(self, batches: int, batch_size: int, validation_faces: int, test_faces: int, test_views: int,
                 feature_faces: int = 0):
        self.batches, self.batch_size = batches, batch_size
        self.validation_faces, self.test_faces, self.test_views = validation_faces, test_faces, test_views
        self.batch_seconds: list[float] = []
        self.validation_seconds: float | None = None
        self.seen_batches = 0
        self.warmup_batch_seconds: list[float] = []
        # A head-only transfer job first runs its frozen layers once over each photo's views (feature_faces in all):
        # its time per face, once measured (or calibrated), is also what scoring the test faces costs.
        self.feature_faces = feature_faces
        self.forward_per_face: float | None = None
        self.feature_timings: list[tuple[int, float]] = []
        # Keras's own fixed cost of an epoch beyond its batches and validation (starting the epoch's iterators and
        # callbacks): what a head's epochs of a few batches cost, where each batch's maths takes milliseconds.
        self.epoch_seconds = 0.0
        self.export_seconds = EXPORT_SECONDS  # until a calibration times this model's save and export here

    def add_features(self, faces: int, seconds: float) -> None:
        """One batch of the frozen layers' pass; the first is left out once there are others (it builds the graph)."""
        self.feature_timings.append((faces, seconds))
        timed = self.feature_timings[1:] or self.feature_timings
        self.forward_per_face = sum(t for _, t in timed) / max(sum(n for n, _ in timed), 1)

    def add_batch(self, seconds: float) -> None:
        self.seen_batches += 1
        if self.seen_batches > self.WARMUP_BATCHES:
            self.batch_seconds = (self.batch_seconds + [seconds])[-200:]
        else:
            self.warmup_batch_seconds.append(seconds)

    @property
    def warmup_seconds(self) -> float:
        """What the first batches cost beyond ordinary ones (tracing and compiling): a fixed cost of every job."""
        if self.per_batch is None:
            return 0.0
        return max(sum(self.warmup_batch_seconds) - len(self.warmup_batch_seconds) * self.per_batch, 0.0)

    @property
    def per_batch(self) -> float | None:
        return float(np.median(self.batch_seconds)) if self.batch_seconds else None

    def per_validation(self) -> float:
        if self.validation_seconds is not None:
            return self.validation_seconds
        return (self.per_batch or 0.0) / 3 * self.validation_faces / self.batch_size

    def evaluation_seconds(self) -> float:
        """Keras and LiteRT each score every view of every test face once; LiteRT is the faster of the two."""
        forward_per_face = self.forward_per_face if self.forward_per_face is not None \
            else self.per_validation() / max(self.validation_faces, 1)
        return 1.5 * forward_per_face * self.test_faces * self.test_views + self.export_seconds

    def remaining(self, epochs_left_after_this: int, batches_left: int, validation_left: float | None = None,
                  feature_faces_left: int = 0) -> float | None:
        """Seconds to the scored model. While the frozen layers' pass runs, the new head's training is not timed yet:
        it is counted at nothing (a dense layer on precomputed features: well under a second an epoch)."""
        if self.per_batch is None and not (feature_faces_left and self.forward_per_face is not None):
            return None
        per_batch = self.per_batch or 0.0
        this_validation = self.per_validation() if validation_left is None else validation_left
        this_epoch_start = self.epoch_seconds if batches_left >= self.batches else 0.0  # not begun yet
        return (feature_faces_left * (self.forward_per_face or 0.0)
                + this_epoch_start + batches_left * per_batch + this_validation
                + epochs_left_after_this * (self.batches * per_batch + self.per_validation() + self.epoch_seconds)
                + self.evaluation_seconds())


LOAD_SECONDS = 3.0  # parsing a cached FER2013 and building the model
PHOTO_SECONDS = 0.03  # a photo of a folder read again by the job, decoded and searched for its face (docs/training_on_cpu.md)
TEACHER_FACES_PER_SECOND = 1000.0  # the teacher's LiteRT int8 export, two views a face, on 2 cores, until timed here


def job_seconds(epochs: int, batch_size: int, seconds_per_batch: float, train_faces: int, validation_faces: int,
                test_faces: int, test_views: int, taught: bool, feature_faces: int = 0,
                forward_per_face: float | None = None, load_seconds: float = LOAD_SECONDS,
                validation_seconds: float | None = None, epoch_seconds: float = 0.0, first_epoch_seconds: float = 0.0,
                teacher_seconds_per_face: float | None = None, teacher_load_seconds: float = 0.0,
                export_seconds: float = EXPORT_SECONDS) -> float:
    """The whole job, from Start to a scored model: loading, the teacher's pass (or a head-only job's pass of the
    frozen layers over feature_faces), every epoch with its validation, the final evaluation and export, at a given
    time per training batch: the arithmetic the running job's ETA uses (JobClock.remaining). epoch_seconds: Keras's
    fixed cost per epoch (counted once an epoch, whatever its batches); first_epoch_seconds: what the first epoch
    costs beyond the others (tracing the training and validation steps), counted once; teacher_seconds_per_face and
    teacher_load_seconds: the teacher's pass as timed on this machine (else TEACHER_FACES_PER_SECOND)."""
    clock = JobClock(-(-train_faces // batch_size), batch_size, validation_faces, test_faces, test_views, feature_faces)
    clock.batch_seconds = [seconds_per_batch]
    clock.forward_per_face = forward_per_face
    clock.validation_seconds = validation_seconds  # a head's, timed: Keras's own cost per epoch outweighs its maths
    clock.epoch_seconds, clock.export_seconds = epoch_seconds, export_seconds
    per_face = 1 / TEACHER_FACES_PER_SECOND if teacher_seconds_per_face is None else teacher_seconds_per_face
    teacher = teacher_load_seconds + train_faces * per_face if taught else 0.0
    return load_seconds + teacher + first_epoch_seconds \
        + clock.remaining(epochs - 1, clock.batches, feature_faces_left=feature_faces)


RECENT_RUNS = 5  # the last runs of a job that count towards its estimate


def job_kind(config: dict) -> tuple:
    """What sets a job's time per batch, from its config.json: the network trained (an architecture, or a transfer
    of a given base) and the batch size."""
    transfer = config.get("transfer", "off")
    if transfer in ("head", "head_and_last_block"):
        return (f"{transfer} on {Path(config.get('transfer_base', '')).stem}", config.get("batch_size"))
    return (config.get("arch"), config.get("batch_size"))


def timings_from_runs(runs, kind: tuple, precision: str, cpu: str) -> list[dict]:
    """What the last RECENT_RUNS runs (RunSummary, as read_runs gives them) of this kind of job (same network, batch
    size, precision, CPU) measured, newest first: each run's median seconds per training batch and, for a head-only transfer, its frozen layers' seconds
    per face."""
    timings = []
    for run in runs:
        record, config = run.status_record, run.config
        per_batch = [row["seconds_per_batch"] for row in run.epochs if row.get("seconds_per_batch")]
        if per_batch and job_kind(config) == kind and (record.get("precision"), record.get("cpu")) == (precision, cpu):
            timings.append({"seconds_per_batch": float(np.median(per_batch)),
                            "forward_seconds_per_face": record.get("forward_seconds_per_face")})
        if len(timings) == RECENT_RUNS:
            break
    return timings


def seconds_per_batch_from_runs(runs, arch: str, batch_size: int, precision: str, cpu: str) -> tuple[float, int] | None:
    """The median time per training batch that the last runs of this architecture, batch size and precision recorded
    on this CPU, and how many runs that is; None when there are none."""
    times = [t["seconds_per_batch"] for t in timings_from_runs(runs, (arch, batch_size), precision, cpu)]
    return (float(np.median(times)), len(times)) if times else None


def median_of_timings(runs: list[float], calibration: float | None, card: float | None) -> float | None:
    """One figure from every timing of this job on this machine: the last runs, a calibration and the shipped card,
    one vote each, and their median, so that one run slowed by other work (or one quiet card) cannot set it alone."""
    votes = list(runs[:RECENT_RUNS]) + [t for t in (calibration, card) if t is not None]
    return float(np.median(votes)) if votes else None


def timings_in_words(runs: int, calibration: bool, card: bool, what: str) -> str:
    """'from the median of 1 earlier fer_fast run, a timing on this machine and the shipped model's card'."""
    parts = ([f"{runs} earlier {what} run{'s' if runs != 1 else ''} on this machine"] if runs else []) \
        + ([f"a timing of {what}'s training batches on this machine"] if calibration else []) \
        + ([f"the shipped {what} model's training on this CPU"] if card else [])
    if len(parts) == 1:
        return f"from {parts[0]}"
    return "from the median of " + ", ".join(parts[:-1]) + " and " + parts[-1]


def seconds_per_batch_from_card(card: dict, arch: str, batch_size: int, precision: str, cpu: str) -> float | None:
    """The same, from a shipped model's card (its epoch history), when it trained this job on this CPU."""
    per_batch = [row["seconds_per_batch"] for row in card.get("epoch_history") or [] if row.get("seconds_per_batch")]
    config = card.get("config") or {}
    if per_batch and (card.get("architecture"), config.get("batch_size"), card.get("precision"), card.get("cpu")) \
            == (arch, batch_size, precision, cpu):
        return float(np.median(per_batch))
    return None
