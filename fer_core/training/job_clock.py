"""How long a training job will take: one arithmetic for the estimate before Start (from a calibration or earlier
runs) and the ETA while the job runs (from its own batch times), so the two agree. No TensorFlow here."""

from __future__ import annotations

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
        # A head-only transfer job first runs its frozen layers once over each photo's views (feature_faces in all):
        # its time per face, once measured (or calibrated), is also what scoring the test faces costs.
        self.feature_faces = feature_faces
        self.forward_per_face: float | None = None
        self.feature_timings: list[tuple[int, float]] = []

    def add_features(self, faces: int, seconds: float) -> None:
        """One batch of the frozen layers' pass; the first is left out once there are others (it builds the graph)."""
        self.feature_timings.append((faces, seconds))
        timed = self.feature_timings[1:] or self.feature_timings
        self.forward_per_face = sum(t for _, t in timed) / max(sum(n for n, _ in timed), 1)

    def add_batch(self, seconds: float) -> None:
        self.seen_batches += 1
        if self.seen_batches > self.WARMUP_BATCHES:
            self.batch_seconds = (self.batch_seconds + [seconds])[-200:]

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
        return 1.5 * forward_per_face * self.test_faces * self.test_views + EXPORT_SECONDS

    def remaining(self, epochs_left_after_this: int, batches_left: int, validation_left: float | None = None,
                  feature_faces_left: int = 0) -> float | None:
        """Seconds to the scored model. While the frozen layers' pass runs, the new head's training is not timed yet:
        it is counted at nothing (a dense layer on precomputed features: well under a second an epoch)."""
        if self.per_batch is None and not (feature_faces_left and self.forward_per_face is not None):
            return None
        per_batch = self.per_batch or 0.0
        this_validation = self.per_validation() if validation_left is None else validation_left
        return (feature_faces_left * (self.forward_per_face or 0.0)
                + batches_left * per_batch + this_validation
                + epochs_left_after_this * (self.batches * per_batch + self.per_validation())
                + self.evaluation_seconds())


LOAD_SECONDS = 3.0  # parsing a cached FER2013 and building the model
TEACHER_FACES_PER_SECOND = 1000.0  # the teacher's LiteRT int8 export, two views a face, on 2 cores


def job_seconds(epochs: int, batch_size: int, seconds_per_batch: float, train_faces: int, validation_faces: int,
                test_faces: int, test_views: int, taught: bool, feature_faces: int = 0,
                forward_per_face: float | None = None, load_seconds: float = LOAD_SECONDS) -> float:
    """The whole job, from Start to a scored model: loading, the teacher's pass (or a head-only job's pass of the
    frozen layers over feature_faces), every epoch with its validation, the final evaluation and export, at a given
    time per training batch: the arithmetic the running job's ETA uses (JobClock.remaining)."""
    clock = JobClock(-(-train_faces // batch_size), batch_size, validation_faces, test_faces, test_views, feature_faces)
    clock.batch_seconds = [seconds_per_batch]
    clock.forward_per_face = forward_per_face
    teacher = train_faces / TEACHER_FACES_PER_SECOND if taught else 0.0
    return load_seconds + teacher + clock.remaining(epochs - 1, clock.batches, feature_faces_left=feature_faces)


def seconds_per_batch_from_runs(runs, arch: str, batch_size: int, precision: str, cpu: str) -> tuple[float, int] | None:
    """The median time per training batch that earlier runs of this architecture, batch size and precision recorded
    on this CPU, and how many runs that is; None when there are none."""
    times = []
    for run in runs:
        record, config = run.status_record, run.config
        per_batch = [row["seconds_per_batch"] for row in run.epochs() if row.get("seconds_per_batch")]
        if per_batch and (config.get("arch"), config.get("batch_size"), record.get("precision"), record.get("cpu")) \
                == (arch, batch_size, precision, cpu):
            times.append(float(np.median(per_batch)))
    return (float(np.median(times)), len(times)) if times else None


def seconds_per_batch_from_card(card: dict, arch: str, batch_size: int, precision: str, cpu: str) -> float | None:
    """The same, from a shipped model's card (its epoch history), when it trained this job on this CPU."""
    per_batch = [row["seconds_per_batch"] for row in card.get("epoch_history") or [] if row.get("seconds_per_batch")]
    config = card.get("config") or {}
    if per_batch and (card.get("architecture"), config.get("batch_size"), card.get("precision"), card.get("cpu")) \
            == (arch, batch_size, precision, cpu):
        return float(np.median(per_batch))
    return None
