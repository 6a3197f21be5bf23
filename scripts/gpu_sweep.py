"""The GPU sweep (issue 25; docs/gpu_sweep.md says how to run it): on one lent GPU with Keras's JAX backend, train a
few candidates within a wall-clock budget it keeps itself, score each on PublicTest with the six views the app serves,
and keep the best as a model the repo can ship.

    KERAS_BACKEND=jax python scripts/gpu_sweep.py --pack .gpu_pack/fer2013.npz --out "$OUT" --budget-seconds 480

--out gets, rewritten after every candidate so a run cut short still leaves what it finished (8 files at most, what
the device tool brings back):
    sweep.json                      every candidate's PublicTest scores, card and epochs; the ensemble's; what was skipped
    winner/                         the best candidate as a run folder scripts/ship_model.py takes: model.keras (float32,
                                    no optimizer state), model.json (contract and card), metrics.jsonl
    servable/                       the same for the best candidate small enough to ship (SERVABLE_PARAMETERS), when
                                    the winner is not
    winner_train_probabilities.npz  the winner's probabilities for every Training face, with the teacher's views
The budget is split between the candidates by their shares; each one's epochs are fitted to its share once its
second epoch is timed (or fixed with --epochs). A candidate that would get less than MIN_CANDIDATE_SECONDS is skipped."""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import shlex
import shutil
import sys
import time
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts")]  # run from anywhere, as a script
os.environ.setdefault("KERAS_BACKEND", "jax")

import inspect  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from gpu_pack import DEFAULT_PACK, read_pack  # noqa: E402

from fer_core.atomic import write_atomically, write_json_atomically  # noqa: E402
from fer_core.data.fer2013 import CLASS_NAMES  # noqa: E402
from fer_core.prediction.model_contract import ModelInfo, write_model_info  # noqa: E402
from fer_core.training.architectures import ARCHITECTURES  # noqa: E402
from fer_core.training.augment import augment_batch  # noqa: E402
from fer_core.training.config import cpu_description  # noqa: E402
from fer_core.training.distillation import (  # noqa: E402
    TEACHER_VIEWS,
    TEACHER_WEIGHT,
    TEMPERATURE,
    distilled_targets,
    one_hot,
    teacher_agreement,
)
from fer_core.training.evaluation import evaluate_probabilities  # noqa: E402
from fer_core.training.model_card import _machine as machine_line  # noqa: E402
from fer_core.training.model_card import hardware  # noqa: E402
from fer_core.training.publishing import predict_with_tta  # noqa: E402

SERVED_TTA = "flip_zoom"  # the six views the app serves a model with: candidates are chosen as they will be used
BATCH_SIZE = 256
WORKERS = min(8, os.cpu_count() or 1)  # threads making augmented batches ahead of the GPU
WARMUP_EPOCHS = 2  # linear warm-up; the second epoch's time (compiled by then) sizes the rest of the schedule
MIN_CANDIDATE_SECONDS = 40.0
SCORING_SHARE = 0.08  # of a candidate's time, kept for its six-view scoring and the teacher's pass
MIX_PROBABILITY = 0.5  # of a batch being mixed (CutMix or mixup): every other batch stays whole faces
ERASING_AREA = (0.02, 0.2)  # a random erasing's share of the face: a hand, a mask, a scarf
# models/ stays within 25 MB beside fer_fast and seed_cnn, at about 5 bytes a weight (.keras float32, .tflite int8).
SERVABLE_PARAMETERS = 2_000_000


@dataclass(frozen=True)
class Candidate:
    """One model to train: an architecture from the registry and its recipe (a warm-up, then a cosine to 2% of the
    learning rate)."""

    name: str
    arch: str
    share: float  # of the sweep's training time
    optimizer: str = "sgd"  # "sgd": Nesterov momentum 0.9; "adamw"
    learning_rate: float = 0.1
    weight_decay: float = 5e-3  # decoupled, times the learning rate (Keras): SGD's is PyTorch's 5e-4 under momentum 0.9
    label_smoothing: float = 0.1
    mix: str = "cutmix"  # "cutmix", "mixup" or "none"
    erasing: float = 0.25  # probability that a face gets a random rectangle of noise (covered faces)
    teacher: str | None = None  # "ensemble": learn from the candidates scored before it (distillation.py's blend)
    max_epochs: int = 200
    seed: int = 0


CANDIDATES = {c.name: c for c in (
    # The deeper network: ResNet-18's blocks at 48×48 (fer_resnet18.py).
    Candidate("resnet18", "fer_resnet18", share=0.4),
    # The shipped architecture, with the optimizer it was shipped with (Adam 1e-3: 69.1–70.4% on PublicTest over three
    # seeds of 120 epochs) and this sweep's regularisation: the served size, a direct comparison with fer_studio.
    Candidate("vgg", "fer_vgg", share=0.25, optimizer="adamw", learning_rate=1e-3, weight_decay=5e-4, seed=1),
    # The served size again, taught by the ensemble of the two: what an ensemble knows, in one model.
    Candidate("vgg_student", "fer_vgg", share=0.35, optimizer="adamw", learning_rate=1e-3, weight_decay=5e-4,
              teacher="ensemble", label_smoothing=0.0, seed=2),
)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", default=str(DEFAULT_PACK), help="made by scripts/gpu_pack.py")
    parser.add_argument("--out", required=True)
    parser.add_argument("--budget-seconds", type=float, default=480.0, help="wall clock for the whole sweep")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="names, in order, from CANDIDATES")
    parser.add_argument("--epochs", type=int, help="every candidate trains this many epochs (default: fitted to the budget)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--train-limit", type=int, help="train on N Training faces drawn at random (a trial run)")
    parser.add_argument("--width-scale", type=float, default=1.0, help="scale every width (a trial on a CPU)")
    parser.add_argument("--precision", default="auto", choices=("auto", "float32", "mixed_bfloat16"),
                        help="auto: bfloat16 maths on a GPU, float32 elsewhere")
    args = parser.parse_args()
    started = time.time()
    deadline = started + args.budget_seconds
    unknown = [name for name in args.candidates.split(",") if name not in CANDIDATES]
    if unknown:
        raise SystemExit(f"Unknown candidate(s) {', '.join(unknown)}: choose from {', '.join(CANDIDATES)}.")
    candidates = [CANDIDATES[name] for name in args.candidates.split(",")]

    # 1. The data: Training faces to learn from, PublicTest to choose and score on, exactly as packed here.
    if not Path(args.pack).is_file():
        raise SystemExit(f"No data pack at {args.pack}: make it first, here, with python scripts/gpu_pack.py --data "
                         "../shared/data/fer2013/fer2013.csv.gz, and carry .gpu_pack (docs/gpu_sweep.md).")
    pack = read_pack(Path(args.pack))
    # A trial's faces are a random draw: FER2013's file is sorted by label, its first faces are all angry.
    kept = np.sort(np.random.default_rng(0).permutation(len(pack["training_labels"]))[:args.train_limit])
    train_x, train_y = pack["training_images"][kept], pack["training_labels"][kept]
    test_x, test_y = pack["public_test_images"], pack["public_test_labels"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    precision = _precision(args.precision)
    sweep = {"command": _command(), "device": _device(), "backend": keras.backend.backend(), "precision": precision,
             "budget_seconds": args.budget_seconds, "data_pack": pack["about"], "train_faces": len(train_y),
             "public_test_faces": len(test_y), "candidates": [], "ensemble": None, "winner": None, "servable": None}
    print(f"sweep on {sweep['device']} ({sweep['backend']}, {precision}): {len(train_y):,} Training faces, "
          f"{len(test_y):,} PublicTest; budget {args.budget_seconds:.0f} s", flush=True)

    # 2. Each candidate in turn, in its share of what is left of the budget.
    scored: list[dict] = []  # with their models and probabilities, for the ensemble, the student's teacher, saving
    servable_saved = None  # the candidate in out/servable, if any
    for position, candidate in enumerate(candidates):
        shares_left = sum(c.share for c in candidates[position:])
        seconds = (deadline - time.time()) * candidate.share / shares_left
        if seconds < MIN_CANDIDATE_SECONDS:
            sweep["candidates"].append({"name": candidate.name, "status": f"skipped: {seconds:.0f} s were left"})
            continue
        teacher = _ensemble(scored, "train_probabilities") if candidate.teacher else None
        if candidate.teacher and teacher is None:
            sweep["candidates"].append({"name": candidate.name, "status": "skipped: no candidate scored to teach it"})
            continue
        try:
            result = train_candidate(candidate, args, precision, train_x, train_y, test_x, test_y,
                                     time.time() + seconds, teacher, [s["record"]["name"] for s in scored])
        except Exception as exc:  # unattended: one candidate's failure must not cost the others
            sweep["candidates"].append({"name": candidate.name, "status": f"failed: {type(exc).__name__}: {exc}"})
            traceback.print_exc()
            write_json_atomically(out / "sweep.json", sweep)
            continue
        result["record"]["card"].update(data_sha1=pack["about"]["data_sha1"], data_pack=pack["about"])
        scored.append(result)
        sweep["candidates"].append(result["record"])
        if len(scored) > 1:
            probabilities = _ensemble(scored, "test_probabilities")
            sweep["ensemble"] = {"members": [s["record"]["name"] for s in scored],
                                 "public_test": _scores(test_y, probabilities)}
        winner = max(scored, key=_accuracy)
        servable = max([s for s in scored if s["record"]["card"]["parameters"] <= SERVABLE_PARAMETERS],
                       key=_accuracy, default=None)
        if winner is result:
            save_run_folder(out / "winner", result)
            np.savez(out / "winner_train_probabilities.npz", probabilities=result["train_probabilities"],
                     labels=train_y.astype(np.uint8), training_indices=kept, views=TEACHER_VIEWS,
                     candidate=candidate.name,
                     data_sha1=pack["about"]["data_sha1"])
            sweep["winner"] = candidate.name
        if servable is None or servable is winner:
            shutil.rmtree(out / "servable", ignore_errors=True)
        elif servable["record"]["name"] != servable_saved:
            save_run_folder(out / "servable", servable)
        servable_saved = None if servable is None or servable is winner else servable["record"]["name"]
        sweep["servable"] = servable["record"]["name"] if servable else None
        write_json_atomically(out / "sweep.json", sweep)

    sweep["seconds"] = time.time() - started
    write_json_atomically(out / "sweep.json", sweep)
    _print_table(sweep)


def train_candidate(candidate: Candidate, args, precision: str, train_x, train_y, test_x, test_y, deadline: float,
                    teacher: np.ndarray | None, teacher_names: list[str]) -> dict:
    """Train one candidate until its epochs are done or its deadline comes; score it as it would be served."""
    started = time.time()
    keras.utils.set_random_seed(candidate.seed)
    targets = one_hot(train_y, len(CLASS_NAMES))
    teacher_note = None
    if teacher is not None:
        targets = distilled_targets(train_y, teacher)
        teacher_note = {"model": "ensemble of " + " + ".join(teacher_names), "views": TEACHER_VIEWS,
                        "agreement_with_training_labels": teacher_agreement(train_y, teacher), "used": True,
                        "weight": TEACHER_WEIGHT, "temperature": TEMPERATURE}

    widths = _widths(candidate.arch, args.width_scale)
    keras.config.set_dtype_policy(precision)
    try:
        model = ARCHITECTURES[candidate.arch].build(len(CLASS_NAMES), widths=widths)
    finally:
        keras.config.set_dtype_policy("float32")
    if candidate.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(candidate.learning_rate, momentum=0.9, nesterov=True,
                                         weight_decay=candidate.weight_decay)
    else:
        optimizer = keras.optimizers.AdamW(candidate.learning_rate, weight_decay=candidate.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])  # decay the convolutions, not the norms
    model.compile(optimizer=optimizer, metrics=["accuracy"],
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=candidate.label_smoothing))

    batch_size = min(args.batch_size, len(train_y))
    steps = len(train_y) // batch_size  # whole batches only: one shape, one compilation
    schedule = EpochPlan(candidate, args.epochs, deadline, scoring_seconds=SCORING_SHARE * (deadline - started))
    model.fit(augmented_batches(train_x, targets, batch_size, candidate), steps_per_epoch=steps,
              epochs=args.epochs or candidate.max_epochs, validation_data=(test_x[..., None].astype("float32"),
                                                                          one_hot(test_y, len(CLASS_NAMES))),
              validation_batch_size=1024, callbacks=[schedule], verbose=0)

    # What is saved and served is float32, whatever trained it.
    keras.config.set_dtype_policy("float32")
    served = ARCHITECTURES[candidate.arch].build(len(CLASS_NAMES), widths=widths)
    served.set_weights(model.get_weights())
    test_probabilities = predict_with_tta(served, test_x, SERVED_TTA, batch_size=1024)
    single_view = predict_with_tta(served, test_x, "none", batch_size=1024)
    train_probabilities = predict_with_tta(served, train_x, TEACHER_VIEWS, batch_size=1024).astype(np.float32)
    public_test = _scores(test_y, test_probabilities)
    public_test["single_view_accuracy"] = float((single_view.argmax(axis=1) == test_y).mean())
    epochs = len(schedule.history)
    train_seconds = sum(row["seconds"] for row in schedule.history)
    card = {
        "architecture": candidate.arch, "parameters": int(served.count_params()), "widths": list(widths),
        "candidate": asdict(candidate), "command": _command(), "reproduce": _command(),
        "epochs_completed": epochs, "train_seconds": train_seconds, "wall_clock_seconds": time.time() - started,
        "precision": precision, "batch_size": batch_size, "train_faces": len(train_y),
        "optimizer": "SGD, Nesterov momentum 0.9" if candidate.optimizer == "sgd" else "AdamW",
        "schedule": f"{schedule.warmup} epochs' linear warm-up, then a cosine to 2% at epoch {schedule.planned}",
        "augmentation": f"flip, shift, rotation, zoom (augment.py); random erasing p={candidate.erasing}; "
                        f"{candidate.mix} on {MIX_PROBABILITY:.0%} of batches",
        "teacher": teacher_note, "machine": machine_line(), "hardware": hardware(), "device": _device(), "backend": keras.backend.backend(),
        "cpu": cpu_description(), "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "evaluation": {**public_test, "runtime": "Keras", "split": "PublicTest", "tta": SERVED_TTA},
    }
    record = {"name": candidate.name, "status": "scored", "public_test": public_test, "epochs": epochs,
              "seconds": card["wall_clock_seconds"], "train_seconds": train_seconds,
              "epoch_seconds": float(np.median([row["seconds"] for row in schedule.history[1:]] or [train_seconds])),
              "card": card, "history": schedule.history}
    print(f"{candidate.name}: PublicTest {public_test['accuracy']:.2%} six views "
          f"({public_test['single_view_accuracy']:.2%} one), {epochs} epochs in {train_seconds:.0f} s", flush=True)
    return {"record": record, "model": served, "history": schedule.history, "started": started,
            "test_probabilities": test_probabilities, "train_probabilities": train_probabilities}


class EpochPlan(keras.callbacks.Callback):
    """The learning rate of each epoch, and how many epochs there are: fixed, or as many as fit before the deadline
    at the second epoch's pace (the first one compiles). Also the metrics.jsonl rows, one per epoch."""

    def __init__(self, candidate: Candidate, epochs: int | None, deadline: float, scoring_seconds: float):
        super().__init__()
        self.candidate, self.deadline, self.scoring_seconds = candidate, deadline, scoring_seconds
        self.fixed = epochs is not None
        self.planned = epochs or candidate.max_epochs
        self.warmup = round(epochs / 15) if self.fixed else WARMUP_EPOCHS
        self.history: list[dict] = []

    def learning_rate(self, epoch: int) -> float:
        base = self.candidate.learning_rate
        if epoch < self.warmup:
            return base * (epoch + 1) / (self.warmup + 1)
        progress = (epoch - self.warmup) / max(self.planned - self.warmup, 1)
        return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.time()
        self.model.optimizer.learning_rate.assign(self.learning_rate(epoch))

    def on_epoch_end(self, epoch, logs=None):
        now = time.time()
        seconds = now - self.epoch_started
        logs = logs or {}
        self.history.append({"epoch": epoch + 1, **{k: float(logs[k]) for k in
                             ("loss", "accuracy", "val_loss", "val_accuracy") if k in logs},
                             "seconds": seconds, "learning_rate": self.learning_rate(epoch)})
        left = self.deadline - now - self.scoring_seconds
        if not self.fixed and epoch + 1 == WARMUP_EPOCHS:
            self.planned = int(min(self.candidate.max_epochs, WARMUP_EPOCHS + max(left // seconds, 1)))
        pace = seconds if epoch else 0.0  # the first epoch's time is mostly compiling: it says nothing of the next
        if epoch + 1 >= self.planned or left < pace:  # the budget binds fixed epochs too: results first
            self.model.stop_training = True
        if epoch < 3 or (epoch + 1) % 10 == 0 or self.model.stop_training:  # the device shows the output's tail only
            print(f"  {self.candidate.name} epoch {epoch + 1}/{self.planned}: loss {logs.get('loss', 0):.3f}, "
                  f"PublicTest one view {logs.get('val_accuracy', 0):.2%}, {seconds:.1f} s", flush=True)


def augmented_batches(images: np.ndarray, targets: np.ndarray, batch_size: int, candidate: Candidate):
    """Endless augmented batches (float32 faces, targets), made by WORKERS threads a few batches ahead; each batch is a
    function of (seed, epoch, index) alone, so a run is the same whatever the threads' order."""
    steps = len(images) // batch_size

    @functools.lru_cache(maxsize=4)
    def order(epoch: int) -> np.ndarray:
        return np.random.default_rng((candidate.seed, epoch)).permutation(len(images))

    def batch(epoch: int, index: int):
        rng = np.random.default_rng((candidate.seed, epoch, index))
        chosen = order(epoch)[index * batch_size:(index + 1) * batch_size]
        faces = _erase(augment_batch(images[chosen], rng), rng, candidate.erasing)
        return _mix(faces.astype(np.float32), targets[chosen], rng, candidate.mix)

    import cv2

    cv2.setNumThreads(1)  # the parallelism is the threads', one face each warp: OpenCV's own would oversubscribe
    with ThreadPoolExecutor(WORKERS) as pool:
        ahead = deque()
        upcoming = ((epoch, index) for epoch in range(10 ** 9) for index in range(steps))
        for _ in range(2 * WORKERS):
            ahead.append(pool.submit(batch, *next(upcoming)))
        while True:
            faces, batch_targets = ahead.popleft().result()
            ahead.append(pool.submit(batch, *next(upcoming)))
            yield faces[..., None], batch_targets


def _erase(faces: np.ndarray, rng: np.random.Generator, probability: float) -> np.ndarray:
    """Random erasing: some faces get a rectangle of noise, so the model learns from what the rest shows."""
    n, height, width = faces.shape
    for i in np.flatnonzero(rng.random(n) < probability):
        area = rng.uniform(*ERASING_AREA) * height * width
        aspect = math.exp(rng.uniform(math.log(0.3), math.log(3.3)))
        h = min(height, max(1, int(round(math.sqrt(area * aspect)))))
        w = min(width, max(1, int(round(math.sqrt(area / aspect)))))
        top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        faces[i, top:top + h, left:left + w] = rng.integers(0, 256, (h, w), dtype=np.uint8)
    return faces


def _mix(faces: np.ndarray, targets: np.ndarray, rng: np.random.Generator, how: str):
    """CutMix (a patch of another face, targets in proportion to its area) or mixup, on MIX_PROBABILITY of batches."""
    if how == "none" or rng.random() >= MIX_PROBABILITY:
        return faces, targets
    partner = rng.permutation(len(faces))
    share = rng.beta(1.0, 1.0) if how == "cutmix" else rng.beta(0.4, 0.4)
    if how == "mixup":
        return share * faces + (1 - share) * faces[partner], share * targets + (1 - share) * targets[partner]
    height, width = faces.shape[1:]
    h, w = int(height * math.sqrt(1 - share)), int(width * math.sqrt(1 - share))
    top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
    faces[:, top:top + h, left:left + w] = faces[partner, top:top + h, left:left + w]
    kept = 1 - h * w / (height * width)
    return faces, kept * targets + (1 - kept) * targets[partner]


def save_run_folder(folder: Path, result: dict) -> None:
    """A candidate as a run folder ship_model.py takes (model.keras, model.json, metrics.jsonl), swapped in whole for
    the one there before, so a sweep cut short never leaves one model's weights under another's card."""
    record = result["record"]
    fresh, previous = folder.with_name(folder.name + "-new"), folder.with_name(folder.name + "-old")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    write_atomically(fresh / "model.keras", lambda tmp: result["model"].save(tmp))
    (fresh / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in result["history"]))
    write_model_info(fresh / "model.keras", ModelInfo(class_names=CLASS_NAMES, architecture=record["card"]["architecture"],
                                                      tta=SERVED_TTA, card=record["card"]))
    if folder.exists():
        folder.rename(previous)
    fresh.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)


def _scores(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    scores = evaluate_probabilities(labels, probabilities, CLASS_NAMES)
    return {k: scores[k] for k in ("n", "accuracy", "top3_accuracy", "macro_f1", "per_class", "confusion_matrix")}


def _accuracy(result: dict) -> float:
    return result["record"]["public_test"]["accuracy"]


def _ensemble(scored: list[dict], key: str) -> np.ndarray | None:
    return np.mean([s[key] for s in scored], axis=0) if scored else None


def _widths(arch: str, scale: float) -> tuple[int, ...]:
    widths = inspect.signature(ARCHITECTURES[arch].build).parameters["widths"].default
    return tuple(max(4, int(round(w * scale))) for w in widths)


def _precision(choice: str) -> str:
    if choice != "auto":
        return choice
    return "mixed_bfloat16" if _device_platform() == "gpu" else "float32"


def _device_platform() -> str:
    import jax

    return jax.devices()[0].platform


def _device() -> str:
    import jax

    devices = jax.devices()
    return f"{len(devices)} × {devices[0].device_kind} (jax {jax.__version__}, Keras {keras.__version__})"


def _command() -> str:
    return "KERAS_BACKEND=jax python " + shlex.join([str(Path(sys.argv[0]).resolve().relative_to(REPO))
                                                     if Path(sys.argv[0]).resolve().is_relative_to(REPO) else sys.argv[0],
                                                     *sys.argv[1:]])


def _print_table(sweep: dict) -> None:
    print("\ncandidate      PublicTest (6 views)  one view  epochs  seconds  status")
    for row in sweep["candidates"]:
        if row.get("status") == "scored":
            test = row["public_test"]
            print(f"{row['name']:<14} {test['accuracy']:>19.2%}  {test['single_view_accuracy']:>8.2%}  "
                  f"{row['epochs']:>6}  {row['seconds']:>7.0f}  scored")
        else:
            print(f"{row['name']:<14} {'':>19}  {'':>8}  {'':>6}  {'':>7}  {row['status']}")
    if sweep["ensemble"]:
        print(f"{'ensemble':<14} {sweep['ensemble']['public_test']['accuracy']:>19.2%}  "
              f"({' + '.join(sweep['ensemble']['members'])}, not one file)")
    print(f"winner: {sweep['winner']}; servable: {sweep.get('servable')}; "
          f"{sweep.get('seconds', 0):.0f} s of {sweep['budget_seconds']:.0f}")


if __name__ == "__main__":
    main()
