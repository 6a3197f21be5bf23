"""The targets of training where the app runs (2 CPU cores), measured by running the real jobs:

- the default job (TrainingConfig.defaults(), what the Train page and the CLI start) on the full data: wall clock
  from start to scored model, peak resident memory of the training process, accuracy as served, the curve;
- the same default job on the repo's built-in 10% sample;
- every architecture the Train page offers, 2 epochs on the sample: above chance, or flagged as not;
- one real epoch of the default job on each Keras backend installed (TensorFlow, PyTorch, JAX), side by side.

Each job is `python -m fer_core train` in its own process, exactly as the CLI runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fer_core.training.runs import TrainingRun

from .measure import CACHE, REPO, SAMPLE_DATA

RUNS = CACHE / "cpu_runs"
BACKENDS = ("tensorflow", "torch", "jax")


def train_job(data: Path, out: Path, *args: str) -> dict:
    """Run one training job as the CLI does: its wall clock, the peak RSS its process recorded, and its run folder."""
    out.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in out.iterdir()}
    load_before = os.getloadavg()
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "fer_core", "train", "--data", str(data), "--out", str(out),
                                *args], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate()
    wall = time.perf_counter() - start
    new = sorted(p for p in out.iterdir() if p.is_dir() and p.name not in before)
    if process.returncode != 0 or not new:
        return {"error": f"exit {process.returncode}: {stderr.strip().splitlines()[-1:] or ''}"}
    run = TrainingRun(new[-1])
    status, evaluation, epochs = run.status_record, run.evaluation(), run.epochs()
    return {"run": str(run.path.relative_to(REPO)), "args": list(args), "wall_seconds": wall,
            "peak_rss_bytes": status.get("peak_rss_bytes"), "state": status["state"],
            "accuracy": evaluation["accuracy"], "top3_accuracy": evaluation["top3_accuracy"],
            "macro_f1": evaluation["macro_f1"], "runtime": evaluation.get("runtime"),
            "keras_accuracy": evaluation.get("keras_accuracy"), "chance_level": evaluation.get("chance_level"),
            "epochs": [{k: row.get(k) for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds",
                                                "seconds_per_batch", "learning_rate")} for row in epochs],
            "train_faces": status.get("train_faces"), "precision": status.get("precision"), "cpu": status.get("cpu"),
            "load_average_before": load_before, "load_average_after": os.getloadavg()}


def backend_epoch(backend: str, data: Path, precision: str, max_isa: str | None = None) -> dict:
    """One epoch on a backend; max_isa="AVX2" keeps oneDNN (TensorFlow's convolutions) to AVX2, as on the slower
    kind of CPU this project also runs on, which has no AVX-512 and no bfloat16."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if max_isa:
        env["ONEDNN_MAX_CPU_ISA"] = max_isa
    done = subprocess.run([sys.executable, "-m", "bench.backend_epoch", str(data), precision], cwd=REPO, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"backend": backend, "precision": precision, "max_isa": max_isa, "error": last[:200]}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "max_isa": max_isa}


def run(data: Path, quick: bool) -> dict:
    from fer_core.training.architectures import ARCHITECTURES
    from fer_core.training.config import TrainingConfig, cpu_description, resolve_precision

    defaults = TrainingConfig.defaults()
    precision = resolve_precision(defaults.precision)
    result = {"defaults": {"arch": defaults.arch, "epochs": defaults.epochs, "batch_size": defaults.batch_size,
                           "balance": defaults.balance, "precision": defaults.precision,
                           "resolved_precision": precision, "teacher": Path(defaults.distill_from).name
                           if defaults.distill_from else None},
              "cpu": cpu_description()}
    epoch_data = SAMPLE_DATA if quick else data
    parts = {
        # The long job first, on a machine not yet warmed by the others.
        "default_job": lambda: train_job(data, RUNS / "full", *(["--epochs", "2"] if quick else [])),
        "sample_job": lambda: train_job(SAMPLE_DATA, RUNS / "sample", *(["--epochs", "2"] if quick else [])),
        "architectures": lambda: {arch: train_job(SAMPLE_DATA, RUNS / "architectures", "--arch", arch, "--epochs", "2")
                                  for arch in ARCHITECTURES},
        "backends": lambda: [backend_epoch(backend, epoch_data, p) for backend in BACKENDS
                             for p in dict.fromkeys(["float32", precision])]
        + [backend_epoch("tensorflow", epoch_data, "float32", max_isa="AVX2")],
    }
    # FER_BENCH_PARTS=default_job re-measures only that part; the others keep their last figures (bench/results.json).
    wanted = os.environ.get("FER_BENCH_PARTS", ",".join(parts)).split(",")
    previous = _previous_section()
    for name, measure in parts.items():
        if name in wanted or name not in previous:
            result[name] = measure()
        else:
            result[name] = previous[name]
            result.setdefault("carried_over", []).append(name)
    return result


def _previous_section() -> dict:
    try:
        return json.loads((REPO / "bench" / "results.json").read_text())["sections"]["cpu_training"]
    except (OSError, ValueError, KeyError):
        return {}
