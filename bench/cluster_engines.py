"""Dask against Ray for batch runs on a cluster (docs/scale.md): the seconds a local cluster of 2 worker processes
takes to start, each worker's RSS idle and with the model loaded, the engine's own processes' RSS, and what happens
to a task whose worker is SIGKILLed mid-task. One engine per process, as it is installed there:

    python -m bench.cluster_engines dask     # pip install dask distributed
    python -m bench.cluster_engines ray      # pip install ray (not a dependency of this project)

Not a section of `python -m bench`: Ray is not installed with the project. Prints one JSON object."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import psutil

KILL_AFTER_SECONDS = 2
TASK_SECONDS = 6


def rss_mb(pid: int) -> int:
    return round(psutil.Process(pid).memory_info().rss / 2**20)


def load_model(hold_seconds: float = 0.0) -> int:
    from fer_core.batch import run
    from fer_core.shipped_models import SHIPPED_MODEL

    run._start_worker(SHIPPED_MODEL, threads=1)
    time.sleep(hold_seconds)
    return os.getpid()


def sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def measure_dask() -> dict:
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(2)
    figures = {"start_seconds": round(time.perf_counter() - started, 1)}
    pids = client.run(os.getpid)
    figures["idle_worker_rss_mb"] = [rss_mb(pid) for pid in pids.values()]
    figures["engine_processes"] = {"nannies": [rss_mb(psutil.Process(pid).ppid()) for pid in pids.values()],
                                   "scheduler_and_client_process": rss_mb(os.getpid())}
    client.run(load_model)
    figures["worker_rss_with_model_mb"] = [rss_mb(pid) for pid in pids.values()]
    future = client.submit(sleep_then_pid, TASK_SECONDS, pure=False)
    time.sleep(KILL_AFTER_SECONDS)
    victim = next(pids[worker] for worker, keys in client.processing().items() if future.key in keys)
    killed_at = time.perf_counter()
    os.kill(victim, signal.SIGKILL)
    figures["killed_mid_task"] = {"rerun_on_another_worker": future.result() != victim,
                                  "result_seconds_after_kill": round(time.perf_counter() - killed_at, 1)}
    while len(client.scheduler_info()["workers"]) < 2:
        time.sleep(0.1)
    figures["killed_mid_task"]["workers_back_to_2_seconds_after_kill"] = round(time.perf_counter() - killed_at, 1)
    client.close()
    cluster.close()
    return figures


def measure_ray() -> dict:
    import ray

    remote_pid, remote_load = ray.remote(num_cpus=1)(sleep_then_pid), ray.remote(num_cpus=1)(load_model)
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    pids = set(ray.get([remote_pid.remote(0.5), remote_pid.remote(0.5)]))  # both worker processes up and used
    figures = {"start_seconds": round(time.perf_counter() - started, 1),
               "idle_worker_rss_mb": [rss_mb(pid) for pid in pids]}
    own = [process for process in psutil.Process().children(recursive=True) if process.pid not in pids]
    figures["engine_processes"] = {"count": len(own), "rss_mb": round(sum(p.memory_info().rss for p in own) / 2**20),
                                   "driver": rss_mb(os.getpid())}
    loaded = set(ray.get([remote_load.remote(0.5), remote_load.remote(0.5)]))
    figures["worker_rss_with_model_mb"] = [rss_mb(pid) for pid in loaded]
    task = remote_pid.remote(TASK_SECONDS)
    time.sleep(KILL_AFTER_SECONDS)
    busy = [p for p in psutil.process_iter(["cmdline"]) if "ray::sleep_then_pid" in " ".join(p.info["cmdline"] or [])]
    killed_at = time.perf_counter()
    os.kill(busy[0].pid, signal.SIGKILL)
    figures["killed_mid_task"] = {"rerun_on_another_worker": ray.get(task) != busy[0].pid,
                                  "result_seconds_after_kill": round(time.perf_counter() - killed_at, 1)}
    ray.shutdown()
    return figures


if __name__ == "__main__":
    engine = sys.argv[1] if len(sys.argv) > 1 else "dask"
    figures = {"dask": measure_dask, "ray": measure_ray}[engine]()
    print(json.dumps({"engine": engine, "cpus": os.cpu_count(), **figures}))
