"""Timing and memory primitives shared by the benchmarks: medians of repeated runs, process RSS from /proc."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "fer2013" / "fer2013.csv.gz"
SAMPLE_DATA = REPO / "data" / "fer2013_sample.csv.gz"
CACHE = REPO / "bench" / ".cache"  # git-ignored scratch space


def timed(function, repeats: int, warmup: int = 0) -> dict:
    """Seconds per call of function(), `repeats` times after `warmup` untimed calls: the median and every run."""
    for _ in range(warmup):
        function()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return summary(runs)


def summary(runs: list[float]) -> dict:
    return {"median": statistics.median(runs), "min": min(runs), "max": max(runs), "n": len(runs), "runs": runs}


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """Resident memory of one process (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def own_rss_bytes(field: str = "VmRSS") -> int:
    """This process's resident memory ("VmHWM": its peak); what code run by in_fresh_process reads as `rss`."""
    return rss_bytes(os.getpid(), field)


def in_fresh_process(code: str, *args: str, env: dict | None = None) -> dict:
    """Run Python `code` with `args` in a fresh interpreter started in the repo, so nothing this process has imported
    counts; there, `from bench.measure import own_rss_bytes as rss` reads its memory. Returns the JSON object the
    code prints last."""
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_bytes(pid: int) -> int:
    """The most resident memory the process has had (VmHWM)."""
    return rss_bytes(pid, "VmHWM")


def descendants(pid: int) -> list[int]:
    """Every live process below pid, from the parent ids in /proc/*/stat."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def tree_rss_bytes(pid: int) -> int:
    return sum(rss_bytes(p) for p in [pid, *descendants(pid)])


def maps_mention(pid: int, needle: str) -> bool:
    """Whether a shared library or file whose path contains needle is mapped into the process."""
    try:
        return needle in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def busy_processes(min_cpu_seconds_per_second: float = 0.2, window: float = 1.0) -> list[str]:
    """Other processes using CPU right now (a rough check that the machine was quiet)."""
    def cpu_times():
        ticks = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    name = (entry / "comm").read_text().strip()
                    ticks[int(entry.name)] = (int(fields[11]) + int(fields[12]), name)
                except (OSError, IndexError, ValueError):
                    continue
        return ticks

    hz = os.sysconf("SC_CLK_TCK")
    before = cpu_times()
    time.sleep(window)
    after = cpu_times()
    busy = []
    for pid, (ticks, name) in after.items():
        if pid in before:
            share = (ticks - before[pid][0]) / hz / window
            if share >= min_cpu_seconds_per_second:
                busy.append(f"{name} (pid {pid}, {share:.0%} of a core)")
    return busy



class OtherProcessesClock:
    """CPU-seconds used by processes outside the benchmark's own session, sampled twice a second: a test run or a
    training job beside a benchmark shows up here. A session that a process of ours starts (Chromium calls setsid)
    counts as ours. Processes shorter than a sample go unseen."""

    def __init__(self, session: int):
        self.sessions, self.seconds = {session}, 0.0
        self._last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def __enter__(self):
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample_until_stopped(self):
        while not self._stop.wait(0.5):
            self._sample()

    def _sample(self):
        processes = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                processes[int(entry.name)] = (int(fields[1]), int(fields[3]), int(fields[11]) + int(fields[12]))
        for pid, (ppid, session, _) in processes.items():
            if pid == session and ppid in processes and processes[ppid][1] in self.sessions:
                self.sessions.add(session)
        hz = os.sysconf("SC_CLK_TCK")
        for pid, (_, session, ticks) in processes.items():
            if session not in self.sessions:
                self.seconds += (ticks - self._last.get(pid, ticks)) / hz
            self._last[pid] = ticks
