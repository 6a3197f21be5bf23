"""The batch loop: files handed to worker processes (each loads the model once), results written in the order the
files were named, at most a few files ahead in flight, so memory stays flat however many files there are."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .. import settings
from ..errors import FERError
from ..shipped_models import SHIPPED_MODEL
from . import rows as table_rows
from .inputs import find_clips, find_photos
from .table import BatchTable, as_frame

if TYPE_CHECKING:
    from .cluster import DaskCluster

# Files in flight per worker: enough to keep every worker busy, few enough that results never pile up.
IN_FLIGHT_PER_WORKER = 4

Progress = Callable[[int, int], None]  # (files done, files in all)
OnError = Callable[[str, str], None]  # (file, sentence)


def predict_photos(inputs: Iterable[str | Path], model: str | Path | None = None, out: str | Path | None = None,
                   format: str | None = None, pattern: str | None = None, lists: Iterable[str | Path] = (),
                   resume: bool = False, workers: int | None = None, top_k: int = 3,
                   whole_image_if_no_face: bool = False, progress: Progress | None = None,
                   on_error: OnError | None = None, cluster: str | None = None) -> pd.DataFrame:
    """Every face in every photo under `inputs` (files, folders walked recursively, `pattern` a glob over a folder's
    files, `lists` files of paths): a row per face. With `out`, the rows are streamed to that table (.csv, .jsonl
    or .parquet, with a per-file summary beside it) and `resume` skips the files it already holds; the DataFrame
    returned is the whole table. The files are spread over `workers` local processes, or, with `cluster` (a Dask
    scheduler's address; default FER_CLUSTER), over that cluster's workers."""
    return photo_batch(inputs, model, out, format, pattern, lists, resume, workers, top_k, whole_image_if_no_face,
                       progress, on_error, cluster).frame()


def analyse_clips(inputs: Iterable[str | Path], model: str | Path | None = None, out: str | Path | None = None,
                  format: str | None = None, pattern: str | None = None, lists: Iterable[str | Path] = (),
                  resume: bool = False, workers: int | None = None, top_k: int = 3, fps: float | None = None,
                  max_seconds: float | None = None, progress: Progress | None = None,
                  on_error: OnError | None = None, cluster: str | None = None) -> pd.DataFrame:
    """Every person's emotions through every clip under `inputs`: a row per person per analysed frame (`fps` frames
    a second; None: every frame). Otherwise as predict_photos."""
    return clip_batch(inputs, model, out, format, pattern, lists, resume, workers, top_k, fps, max_seconds,
                      progress, on_error, cluster).frame()


def photo_batch(inputs, model=None, out=None, format=None, pattern=None, lists=(), resume=False, workers=None,
                top_k=3, whole_image_if_no_face=False, progress=None, on_error=None, cluster=None) -> BatchReport:
    """predict_photos, returning what the run did (the CLI's last line) rather than the table."""
    _check_top_k(top_k)
    files = list(find_photos(inputs, pattern, lists))
    return _run(files, _PhotoTask(top_k, whole_image_if_no_face), model, out, format, resume, workers, cluster,
                progress, on_error, table_rows.photo_columns, table_rows.PHOTO_SUMMARY_COLUMNS, "photo")


def clip_batch(inputs, model=None, out=None, format=None, pattern=None, lists=(), resume=False, workers=None,
               top_k=3, fps=None, max_seconds=None, progress=None, on_error=None, cluster=None) -> BatchReport:
    """analyse_clips, returning what the run did rather than the table."""
    _check_top_k(top_k)
    files = list(find_clips(inputs, pattern, lists))
    return _run(files, _ClipTask(top_k, fps, max_seconds), model, out, format, resume, workers, cluster, progress,
                on_error, table_rows.clip_columns, table_rows.CLIP_SUMMARY_COLUMNS, "clip")


@dataclass
class BatchReport:
    """What one batch run did: files in all, skipped as already in the table, read now, and how they ended."""

    unit: str  # "photo" or "clip"
    files: int
    skipped: int = 0
    rows: int = 0
    without_face: int = 0
    failed: int = 0
    table: BatchTable | None = None
    memory: _MemoryTable | None = None

    def frame(self) -> pd.DataFrame:
        return self.table.read() if self.table is not None else self.memory.frame()

    def sentence(self) -> str:
        """"wrote faces.csv: 1,234 faces from 2,000 photos (12 without a face, 3 could not be read); …"."""
        what = "faces" if self.unit == "photo" else "rows (a person in an analysed frame each)"
        read = self.files - self.skipped
        notes = [f"{self.without_face:,} without a face"] if self.without_face else []
        notes += [f"{self.failed:,} could not be read"] if self.failed else []
        where = f"wrote {self.table.path}" if self.table is not None else "read"
        line = (f"{where}: {self.rows:,} {what} from {read:,} {self.unit}{'' if read == 1 else 's'}"
                + (f" ({', '.join(notes)})" if notes else ""))
        if self.skipped:
            line += f"; {self.skipped:,} already in the table were skipped"
        if self.table is not None:
            line += f"; a line per {self.unit} in {self.table.summary}"
        return line


def _check_top_k(top_k: int) -> None:
    if top_k < 1:
        raise FERError(f"top_k must be at least 1, not {top_k}.")


def _run(files: list[Path], task, model, out, format, resume, workers, cluster, progress, on_error, columns_for,
         summary_columns, unit: str) -> BatchReport:
    from ..prediction.model_contract import read_model_info

    address = cluster or settings.batch_cluster()
    if address and workers:
        raise FERError("--workers counts this machine's processes; on a cluster (--cluster or FER_CLUSTER) the "
                       "cluster's workers do the work: leave --workers out, or unset FER_CLUSTER to run here.")
    model = Path(model) if model else SHIPPED_MODEL
    columns = columns_for(read_model_info(model).class_names, task.top_k)
    if out:
        table = BatchTable(out, columns, summary_columns, format, resume)
        report = BatchReport(unit, len(files), table=table)
    else:
        table = _MemoryTable(columns)
        report = BatchReport(unit, len(files), memory=table)
    engine = None
    if address:
        from .cluster import DaskCluster

        engine = DaskCluster(address)  # before the table is entered: an unreachable cluster leaves no file behind
    with engine or contextlib.nullcontext(), table:
        todo = [path for path in files if str(path) not in table.finished]
        report.skipped = len(files) - len(todo)
        done = report.skipped
        if progress:
            progress(done, len(files))
        workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
        for file, rows, summary in _results(todo, task, model, workers, engine):
            if summary["status"] == "error":
                report.failed += 1
                if on_error:
                    on_error(file, summary["message"])
            else:
                report.rows += len(rows)
                report.without_face += summary["status"] == "no face"
            table.add(rows, summary)
            done += 1
            if progress:
                progress(done, len(files))
    return report


def _results(files: list[Path], task, model: Path, workers: int, cluster: DaskCluster | None):
    """(file, rows, summary) for every file, in order; on the cluster when there is one, else in this process for
    one worker, else in a pool."""
    if cluster:
        yield from cluster.results(files, task, model)
        return
    if workers == 1:
        _start_worker(model, threads=None)
        yield from (task(path) for path in files)
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no TensorFlow or OpenCV state forked
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(model, threads)) as pool:
        for _, future in submitted_in_order(files, lambda path: pool.submit(task, path),
                                            workers * IN_FLIGHT_PER_WORKER):
            try:
                result = future.result()
            except BrokenProcessPool:
                raise FERError("A worker process died (killed, or out of memory) before the run ended; the table holds "
                               "every file finished before it: run the same command with --resume to go on.") from None
            yield result


def submitted_in_order(files: list[Path], submit: Callable[[Path], object], in_flight: int):
    """(file, submit(file)) for every file, in order: at most `in_flight` submitted and not yet taken, the next one
    submitted as each is taken, so results never pile up however many files there are (the local pool's and the
    cluster's loop alike)."""
    waiting, pending = iter(files), deque()
    for path in itertools.islice(waiting, in_flight):
        pending.append((path, submit(path)))
    while pending:
        yield pending.popleft()
        for path in itertools.islice(waiting, 1):
            pending.append((path, submit(path)))


_predictor = None


def _start_worker(model: Path, threads: int | None) -> None:
    """Loads the model once per worker; `threads` caps each worker's inference threads so workers share the cores."""
    global _predictor
    from ..prediction import litert_runtime
    from ..prediction.predictor import Predictor

    if threads:
        litert_runtime.use_threads(threads)
        import cv2

        cv2.setNumThreads(threads)
    _predictor = Predictor(model)


class _FileTask:
    """One file's work in a worker: (file, rows, summary line), or an error row with the reason, so the run goes on."""

    def __call__(self, path: Path) -> tuple[str, list[dict], dict]:
        file, started = str(path), time.perf_counter()
        try:
            result = self.analyse(path)
        except FERError as error:
            return _failed(file, str(error), started)
        except Exception as error:  # a bug or a library's surprise on one file: said in its row, the run goes on
            return _failed(file, f"unexpected {type(error).__name__}: {error}", started)
        seconds = time.perf_counter() - started
        return file, self.rows(file, result), self.summary(file, result, seconds)


class _PhotoTask(_FileTask):
    def __init__(self, top_k: int, whole_image_if_no_face: bool):
        self.top_k, self.whole_image_if_no_face = top_k, whole_image_if_no_face

    def analyse(self, path: Path):
        return _predictor.predict(path, top_k=self.top_k, whole_image_if_no_face=self.whole_image_if_no_face)

    def rows(self, file: str, result) -> list[dict]:
        return table_rows.photo_rows(file, result)

    def summary(self, file: str, result, seconds: float) -> dict:
        return table_rows.photo_summary(file, result, seconds)


class _ClipTask(_FileTask):
    def __init__(self, top_k: int, fps: float | None, max_seconds: float | None):
        self.top_k, self.fps, self.max_seconds = top_k, fps, max_seconds

    def analyse(self, path: Path):
        from ..prediction.video_analysis import analyse_video

        return analyse_video(path, _predictor, fps=self.fps, max_seconds=self.max_seconds or settings.max_video_seconds())

    def rows(self, file: str, analysis) -> list[dict]:
        return table_rows.clip_rows(file, analysis, self.top_k)

    def summary(self, file: str, analysis, seconds: float) -> dict:
        return table_rows.clip_summary(file, analysis, seconds)


def _failed(file: str, sentence: str, started: float) -> tuple[str, list[dict], dict]:
    seconds = time.perf_counter() - started
    return file, [table_rows.error_row(file, sentence)], table_rows.error_summary(file, sentence, seconds)


class _MemoryTable:
    """The rows of a run without an output file, kept for the DataFrame."""

    finished: set[str] = frozenset()

    def __init__(self, columns: dict[str, str]):
        self.columns, self.rows = columns, []

    def add(self, rows: list[dict], summary: dict) -> None:
        self.rows += rows

    def frame(self) -> pd.DataFrame:
        return as_frame(self.rows, self.columns)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass
