"""LiteRT's one stderr line, kept off the CLI's and the server's output.

The first interpreter a process allocates prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C++
(TF_CPP_MIN_LOG_LEVEL does not reach LiteRT's logger); it is printed once a process, so only that first allocation
runs with the process's stderr pointed at /dev/null, for the milliseconds it takes."""

from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()
_first_done = False


def allocate_tensors(interpreter) -> None:
    """interpreter.allocate_tensors(), the process's first one without LiteRT's delegate line on stderr."""
    global _first_done
    with _lock:
        if _first_done:
            interpreter.allocate_tensors()
            return
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no usable fd 2: nothing to keep clean
            interpreter.allocate_tensors()
            _first_done = True
            return
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 2)
            interpreter.allocate_tensors()
            _first_done = True
        finally:
            os.dup2(saved, 2)
            os.close(saved)
