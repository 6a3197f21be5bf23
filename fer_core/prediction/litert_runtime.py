"""LiteRT's interpreters: how many threads each runs on, and its one stderr line kept off the CLI's and the
server's output.

Each interpreter runs on THREADS threads: both of a 2-core host's cores for one prediction at a time. A batch run
with a worker process per core gives each worker one (`use_threads`), so workers do not fight over the cores.

The first interpreter a process allocates prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C++
(TF_CPP_MIN_LOG_LEVEL does not reach LiteRT's logger); it is printed once a process, so only that first allocation
runs with the process's stderr pointed at /dev/null, for the milliseconds it takes."""

from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()
_first_done = False
THREADS = 2
_threads = THREADS


def use_threads(threads: int) -> None:
    """Interpreters made from now on in this process run on `threads` threads."""
    global _threads
    _threads = max(1, int(threads))


def interpreter(model_path: str | os.PathLike):
    """A LiteRT interpreter for the .tflite file at `model_path`, on this process's threads."""
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(model_path), num_threads=_threads)


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
