"""What the benchmarks ran on: CPU, cores, memory, Python and the package versions that decide the figures."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import time
from pathlib import Path

from .measure import busy_processes

PACKAGES = ("numpy", "pandas", "pyarrow", "numba", "isal", "opencv-python-headless", "pillow", "tensorflow-cpu",
            "tensorflow", "keras", "ai-edge-litert", "onnxruntime", "streamlit", "playwright")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_identity() -> dict:
    """Family/model and the vector extensions that decide training and inference speed, as fields."""
    fields = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = fields.get("flags", "").split()
    return {"cpu_family": fields.get("cpu family", "?"), "cpu_model_number": fields.get("model", "?"),
            "cpu_extensions": [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16") if f in flags]}


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def _versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _chromium() -> str:
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "not installed"


def describe_machine() -> dict:
    return {
        "cpu": _cpu_model(),
        **_cpu_identity(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_gib(), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": _versions(),
        "browser": _chromium(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "load_average_at_start": list(os.getloadavg()),
        "other_busy_processes_at_start": busy_processes(),
    }
