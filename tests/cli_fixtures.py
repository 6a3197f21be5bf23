"""`python -m fer_core …` as a user runs it, in a subprocess, for the tests of what the command line prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_fer_core(*args, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    """The command's exit status, stdout and stderr (text). It runs in `cwd` (the repository unless a test runs it
    from elsewhere, with fer_core on PYTHONPATH), reads no stdin, and a hang past `timeout` fails the test.
    The environment is this test's, so its own cache and runs folders (conftest's isolated_cache) hold."""
    python_path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    return subprocess.run([sys.executable, "-m", "fer_core", *map(str, args)], cwd=cwd,
                          env={**os.environ, "PYTHONPATH": python_path}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def run_data_cli(path: Path, *flags: str) -> subprocess.CompletedProcess:
    """`python -m fer_core data PATH` as a user runs it, from the data's own folder."""
    return run_fer_core("data", path, *flags, cwd=path.parent, timeout=120)
