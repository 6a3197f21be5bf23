"""Progress of long work on stderr: a bar with the rate and the time left on a terminal (tqdm), a plain line every
few seconds in a log or a pipe, nothing with `quiet`. The CLI's batch predict, video, evaluate and train use it."""

from __future__ import annotations

import os
import sys
import time

# In a log, a line this often: enough to see it move, few enough to read.
LOG_EVERY_SECONDS = 10.0


class ProgressBar:
    """`update(done, total)` with counts so far; `close()` at the end. `unit` names what is counted ("photo")."""

    def __init__(self, unit: str, quiet: bool = False, stream=None, description: str = ""):
        self.unit, self.quiet, self.description = unit, quiet, description
        self.stream = stream or sys.stderr
        self._bar = None
        self._started = time.monotonic()
        self._last_line = 0.0
        self._first_done: int | None = None

    def update(self, done: int, total: int | None, **shown) -> None:
        if self.quiet:
            return
        if self._on_terminal():
            self._terminal(done, total, shown)
        else:
            self._log(done, total, shown)

    def line(self, done: int, total: int | None, **shown) -> None:
        """One plain line now, whatever the time since the last (a training epoch's end)."""
        if not self.quiet:
            self._last_line = 0.0
            self._log(done, total, shown, force=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def on_terminal(self) -> bool:
        return self._on_terminal()

    def _on_terminal(self) -> bool:
        """A terminal with a width to draw a bar in (a pty of no size, as some job runners give, gets plain lines)."""
        try:
            return self.stream.isatty() and os.get_terminal_size(self.stream.fileno()).columns > 0
        except (AttributeError, ValueError, OSError):
            return False

    def _terminal(self, done: int, total: int | None, shown: dict) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, initial=done, unit=f" {plural(self.unit)}" if self.unit else "it",
                             desc=self.description or None, file=self.stream, dynamic_ncols=True, leave=True)
        if total is not None and self._bar.total != total:
            self._bar.total = total
        if shown:
            self._bar.set_postfix(shown, refresh=False)
        self._bar.update(done - self._bar.n)

    def _log(self, done: int, total: int | None, shown: dict, force: bool = False) -> None:
        now = time.monotonic()
        if self._first_done is None:
            self._first_done = 0 if force else done  # a forced line's count is of work done since the start
            if not force:
                self._started = now
        finished = total is not None and done >= total
        if not force and not finished:
            if self._last_line and now - self._last_line < LOG_EVERY_SECONDS:
                return
            if not self._last_line:
                self._last_line = now  # the first call: nothing done yet to time
                return
        self._last_line = now
        self.stream.write(progress_line(done, total, now - self._started, done - self._first_done, self.unit,
                                        self.description, shown) + "\n")
        self.stream.flush()


def progress_line(done: int, total: int | None, seconds: float, done_here: int, unit: str, description: str = "",
                  shown: dict | None = None) -> str:
    """"412/2,000 photos, 12.3 photos/s, about 2 min left" (rate and time left from the work done in this run)."""
    units = plural(unit)
    parts = [f"{description}: " if description else ""]
    parts.append(f"{done:,}/{total:,} {units}" if total is not None else f"{done:,} {units}")
    if done_here > 0 and seconds > 0:
        rate = done_here / seconds
        parts.append(f", {rate:.1f} {units}/s" if rate >= 1 else f", {1 / rate:.1f} s/{unit}")
        if total is not None and done < total:
            parts.append(f", about {_duration((total - done) / rate)} left")
    if shown:
        parts.append(" (" + ", ".join(f"{key} {value}" for key, value in shown.items()) + ")")
    return "".join(parts)


def plural(unit: str) -> str:
    """"photo" → "photos", "batch" → "batches"."""
    return unit + ("es" if unit.endswith(("s", "sh", "ch", "x")) else "s")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
