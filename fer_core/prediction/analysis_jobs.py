"""Clips' analyses run in the background of the server (`AnalysisJob`): queued, capped, shared by the sessions that
wait on the same saved analysis, and stopped when nobody waits any more."""

from __future__ import annotations

import threading
import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import AnalysisStopped, FERError
from ..freed_memory import return_freed_memory
from ..settings import DEFAULT_VIDEO_ANALYSES
from .saved_analyses import SavedAnalysis
from .video_results import VideoProgress


@dataclass
class _Watcher:
    """A session waiting on a job: when it last polled, and whether it is still connected (None: no way to ask)."""

    polled: float
    alive: Callable[[], bool] | None


class AnalysisJob:
    """A clip's analysis in a background thread of this process: a page starts it, returns at once, and polls
    `progress`, `state` and `ahead`; `error` holds the sentence if the clip was refused.

    Bounded: at most `at_once` analyses run in the server (DEFAULT_VIDEO_ANALYSES; the rest wait in a queue, first come
    first served), and each session has one job: asking for another clip or rate lets the old one go, stopped unless
    another session waits on it too. Sessions asking for the same saved analysis while it runs share one job. A job
    whose sessions have all stopped polling for ABANDONED_AFTER_SECONDS, none of them still connected, is stopped (a
    closed tab). A failure is its session's only: the job is not kept for anyone else, and the same session asking
    again with a new `attempt` (a new upload of the clip) analyses it again."""

    ABANDONED_AFTER_SECONDS = 4.0
    # A finished job is forgotten by its sessions this long after their last poll.
    FORGET_AFTER_SECONDS = 600.0
    at_once = DEFAULT_VIDEO_ANALYSES

    _lock = threading.Lock()
    _jobs: dict[Path, AnalysisJob] = {}  # queued or running, by saved folder
    _queue: list[AnalysisJob] = []
    _sessions: dict[str, tuple[AnalysisJob, object]] = {}  # session → (its job, the attempt it was asked for)

    def __init__(self, saved: SavedAnalysis, work: tuple):
        self.saved = saved
        self.progress: VideoProgress | None = None
        self.error: str | None = None
        self.state = "queued"  # → running → done | failed | stopped
        self._work_args = work  # (source, predictor, options) until the thread has them
        self._watchers: dict[str, _Watcher] = {}
        self._watched = False  # a session has waited on it (a job started without one is never abandoned)
        self._stop = threading.Event()
        self._last_check = 0.0
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, saved: SavedAnalysis, source, predictor, session: str | None = None, attempt: object = None,
              alive: Callable[[], bool] | None = None, at_once: int | None = None, **options) -> AnalysisJob:
        """The job for `saved`, for `session`: its own if it has one for `saved` (a failed one only for the same
        `attempt`), else the queued or running job of another session, else a new one analysing `source` with
        analyse_video's `options`. `alive()` says whether the session is still connected; `at_once` sets the cap."""
        now = clock_time.monotonic()
        with cls._lock:
            if at_once is not None:
                cls.at_once = max(1, int(at_once))
            cls._sweep(now)
            mine = cls._sessions.get(session) if session is not None else None
            if mine is not None:
                job, asked = mine
                keep = job.state in ("queued", "running") or (job.state == "failed" and asked == attempt)
                if job.saved.folder == saved.folder and keep:
                    job._watch(session, alive, now)
                    return job
                job._let_go(session)
            job = cls._jobs.get(saved.folder)
            if job is None:
                job = cls._jobs[saved.folder] = cls(saved, (source, predictor, options))
                cls._queue.append(job)
            if session is not None:
                job._watch(session, alive, now)
                cls._sessions[session] = (job, attempt)
            cls._admit()
        return job

    @classmethod
    def leave(cls, session: str | None) -> None:
        """`session` waits on no job any more (its visitor removed the clip or turned to the webcam): its job is
        stopped unless another session waits on it."""
        with cls._lock:
            mine = cls._sessions.get(session)
            if mine is not None:
                mine[0]._let_go(session)

    def poll(self, session: str | None = None) -> None:
        """`session` is still waiting on this job (the page's fragment calls this each time it redraws)."""
        now = clock_time.monotonic()
        with self._lock:
            watcher = self._watchers.get(session)
            if watcher is not None:
                watcher.polled = now
            self._sweep(now)

    @property
    def ahead(self) -> int:
        """Analyses that will run before this queued one starts (0 once it runs)."""
        with self._lock:
            if self.state != "queued":
                return 0
            running = sum(1 for job in self._jobs.values() if job.state == "running" and not job._stop.is_set())
            return running + self._queue.index(self)

    @property
    def done(self) -> bool:
        """Finished: analysed, failed or stopped."""
        return self.state in ("done", "failed", "stopped")

    def wait(self, timeout: float | None = None) -> None:
        """Until this job has finished, or `timeout` seconds (a queued job waits for its turn too)."""
        deadline = None if timeout is None else clock_time.monotonic() + timeout
        while not self.done and (deadline is None or clock_time.monotonic() < deadline):
            thread = self._thread
            if thread is not None:
                thread.join(0.05 if deadline is None else max(0.0, min(0.05, deadline - clock_time.monotonic())))
            else:
                clock_time.sleep(0.05)

    def stop(self) -> None:
        """Stop this job: a queued one never starts, a running one ends before its next frame is decoded."""
        with self._lock:
            self._stop_locked()

    @classmethod
    def running_count(cls) -> int:
        """Analysis threads running now in this server (stopped ones included until their thread has ended)."""
        with cls._lock:
            return sum(1 for job in cls._jobs.values() if job.state == "running")

    # Under the lock:

    def _watch(self, session: str, alive: Callable[[], bool] | None, now: float) -> None:
        self._watchers[session] = _Watcher(now, alive)
        self._watched = True

    def _let_go(self, session: str) -> None:
        """`session` no longer waits on this job: it is stopped if nobody else does."""
        self._watchers.pop(session, None)
        if self._sessions.get(session, (None,))[0] is self:
            del self._sessions[session]
        if not self.done and self._watched and not self._watchers:
            self._stop_locked()

    def _stop_locked(self) -> None:
        self._stop.set()
        if self.state == "queued":
            self._finish("stopped")

    def _abandoned(self, now: float) -> bool:
        """Every session that waited on it has stopped polling and none is still connected."""
        if not self._watched:
            return False
        stale = [w for w in self._watchers.values() if now - w.polled > self.ABANDONED_AFTER_SECONDS]
        if len(stale) < len(self._watchers):
            return False
        return not any(w.alive is not None and _safely(w.alive) for w in stale)

    def _finish(self, state: str) -> None:
        self.state = state
        self._work_args = None  # the upload's bytes are let go with it
        if self._jobs.get(self.saved.folder) is self:
            del self._jobs[self.saved.folder]
        if self in self._queue:
            self._queue.remove(self)

    @classmethod
    def _sweep(cls, now: float) -> None:
        """Stop the abandoned queued jobs and forget the finished jobs of sessions long gone."""
        for job in list(cls._queue):
            if job._abandoned(now):
                job._stop_locked()
        for session, (job, _) in list(cls._sessions.items()):
            watcher = job._watchers.get(session)
            if job.done and (watcher is None or now - watcher.polled > cls.FORGET_AFTER_SECONDS):
                del cls._sessions[session]

    @classmethod
    def _admit(cls) -> None:
        """Start queued jobs while fewer than `at_once` run."""
        running = sum(1 for job in cls._jobs.values() if job.state == "running")
        while cls._queue and running < cls.at_once:
            job = cls._queue.pop(0)
            source, predictor, options = job._work_args
            job.state = "running"
            job._thread = threading.Thread(target=job._work, args=(source, predictor, options), daemon=True,
                                           name=f"video-analysis-{job.saved.folder.name}")
            job._work_args = None
            job._thread.start()
            running += 1

    # In the job's thread:

    def _work(self, source, predictor, options: dict) -> None:
        state = "failed"
        try:
            self.saved.analyse(source, predictor, progress=self._report, stop=self._should_stop, **options)
            state = "done"
        except AnalysisStopped:
            state = "stopped"
        except FERError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug, not the user's clip: still one sentence on the page
            self.error = f"The analysis failed unexpectedly ({type(exc).__name__}: {exc})."
        finally:
            del source, predictor, options
            with self._lock:
                self._finish(state)
                self._admit()
            return_freed_memory()

    def _should_stop(self) -> bool:
        """Asked before each frame is decoded: stopped, or abandoned (checked twice a second at most)."""
        if self._stop.is_set():
            return True
        now = clock_time.monotonic()
        if now - self._last_check >= 0.5:
            self._last_check = now
            with self._lock:
                if self._abandoned(now):
                    self._stop.set()
        return self._stop.is_set()

    def _report(self, progress: VideoProgress) -> None:
        self.progress = progress


def _safely(alive: Callable[[], bool]) -> bool:
    try:
        return bool(alive())
    except Exception:  # a session whose state cannot be read is not kept alive by it
        return False
