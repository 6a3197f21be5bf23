"""The batch loop on a Dask cluster (`--cluster ADDRESS` or FER_CLUSTER): the same task objects as the local pool,
run by the cluster's workers, each loading the model once; results come back in the order the files were named, a
few files per worker in flight.

Rows are written by the client (run._run), as each file's result arrives: when a worker dies mid-file, the scheduler runs
that file again elsewhere and its rows still reach the table once. Dask over Ray, by the figures in docs/scale.md.
The workers must see the model and the files at the same paths as this process (a shared disk)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import ClusterError
from . import run

INSTALL = "pip install 'fer-studio[cluster]'"


class DaskCluster:
    """A client of the Dask scheduler at `address`, connected before the table is entered, so an unreachable one
    leaves no file behind."""

    def __init__(self, address: str):
        try:
            from distributed import Client
            from distributed.comm.addressing import get_address_host_port
        except ImportError:
            raise ClusterError(f"--cluster runs on Dask, which is not installed here: {INSTALL}.") from None
        try:  # checked first: a Client given a malformed address lingers for 40 s after the error
            get_address_host_port(address)
        except ValueError as error:
            raise ClusterError(f"--cluster and FER_CLUSTER take a Dask scheduler's address such as tcp://HOST:8786, "
                               f"not {address!r} ({error}).") from None
        self.address = address
        try:
            self.client = Client(address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterError(f"No Dask scheduler answered at {address} ({error}); start one with `dask scheduler` "
                               "and its workers with `dask worker ADDRESS --nthreads 1`.") from None

    def results(self, files: list[Path], task, model: Path) -> Iterator[tuple[str, list[dict], dict]]:
        """(file, rows, summary) for every file, in order, from the cluster's workers."""
        from distributed import KilledWorker

        model = model.resolve()
        in_flight = max(1, len(self.client.scheduler_info()["workers"])) * run.IN_FLIGHT_PER_WORKER
        def submit(path: Path):
            return self.client.submit(_analyse_on_worker, task, model, path.resolve(), str(path), pure=False)

        for path, future in run.submitted_in_order(files, submit, in_flight):
            try:
                result = future.result()
            except KilledWorker:  # the file took down several workers in turn (the scheduler's allowed-failures)
                sentence = "analysing it killed every worker that tried (out of memory?); it was given up on."
                result = run._failed(str(path), sentence, started=time.perf_counter())
            except (OSError, TimeoutError) as error:
                raise ClusterError(f"The cluster at {self.address} was lost mid-run ({error}); the table holds every "
                                   "file finished before it: run the same command with --resume to go on.") from None
            yield result

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()


# One file at a time per worker process: the model is not safe to call from two threads, and the worker's threads
# go to that one model's inference instead.
_worker_lock = threading.Lock()
_loaded_model: Path | None = None


def _analyse_on_worker(task, model: Path, path: Path, file: str) -> tuple[str, list[dict], dict]:
    """Runs on a worker: loads `model` on its first file (and again only for another model), analyses `path`, and
    names it `file`, as the client named it. Loaded lazily rather than by a worker plugin, so a shared cluster is
    left as it was found."""
    global _loaded_model
    with _worker_lock:
        if _loaded_model != model:
            from distributed import get_worker

            run._start_worker(model, threads=get_worker().state.nthreads)
            _loaded_model = model
        _, rows, summary = task(path)
    return file, [{**row, "file": file} for row in rows], {**summary, "file": file}
