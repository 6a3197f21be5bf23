"""Issue 15's target: your own classes, from tens of photos each, trained on 2 CPU cores in under a minute.

The photos: 3 made-up classes ("joy", "shock", "calm") of 20 photos each, made from real FER2013 training faces of
three expressions (happy, surprise, neutral), each face enlarged to 160–260 px and placed somewhere on a 640×480
photo with a textured background, saved as JPEG: the face detector has to find each face, as in a folder of phone
photos (in a FER2013 crop, enlarged, it misses about one face in five: those photos are skipped and counted). Each job is `python -m fer_core train --data FOLDER` in its own process, as a user would run it, timed from
launch to scored model. Its test split (a seeded tenth of the photos) is tiny, so each model is also scored on 300
held-out PublicTest faces of the same three expressions."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from fer_core.prediction.model_contract import info_path
from fer_core.training.runs import TrainingRun

from .measure import CACHE, REPO

CLASSES = {"joy": 3, "shock": 5, "calm": 6}  # made-up names over FER2013's happy, surprise, neutral
PHOTOS_PER_CLASS = 20
HELD_OUT_PER_CLASS = 100


def make_photo_folder(data: Path, folder: Path, seed: int = 0) -> Path:
    from fer_core.data.dataset import load_fer2013

    dataset = load_fer2013(data)
    train, rng = dataset.split("train"), np.random.default_rng(seed)
    for name, label in CLASSES.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        for number, index in enumerate(rng.choice(np.flatnonzero(train.labels == label), PHOTOS_PER_CLASS, replace=False)):
            _phone_photo(train.images[index], rng).save(folder / name / f"{name}_{number:02d}.jpg", quality=90)
    return folder


def _phone_photo(face: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A 640×480 photo: a smooth, noisy background of a random colour, the face enlarged somewhere on it."""
    colour = rng.integers(40, 215, 3)
    gradient = np.linspace(0.7, 1.3, 640)[None, :, None]
    background = np.clip(colour * gradient + rng.normal(0, 12, (480, 640, 3)), 0, 255).astype(np.uint8)
    photo = Image.fromarray(np.broadcast_to(background, (480, 640, 3)).copy())
    side = int(rng.integers(160, 261))
    enlarged = Image.fromarray(face).resize((side, side), Image.Resampling.BICUBIC).convert("RGB")
    photo.paste(enlarged, (int(rng.integers(0, 640 - side)), int(rng.integers(0, 480 - side))))
    return photo


def held_out_faces(data: Path) -> tuple[np.ndarray, np.ndarray]:
    from fer_core.data.dataset import load_fer2013

    public = load_fer2013(data).split("validation")
    rng = np.random.default_rng(1)
    picked = [rng.choice(np.flatnonzero(public.labels == label), HELD_OUT_PER_CLASS, replace=False)
              for label in CLASSES.values()]
    return (np.concatenate([public.images[p] for p in picked]),
            np.repeat(np.arange(len(CLASSES)), HELD_OUT_PER_CLASS))


def train_job(folder: Path, out: Path, *args: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in out.iterdir()}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fer_core", "train", "--data", str(folder), "--out", str(out), *args],
                          cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    new = sorted(p for p in out.iterdir() if p.is_dir() and p.name not in before)
    if done.returncode != 0 or not new:
        return {"args": list(args), "error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    run = TrainingRun(new[-1])
    status, evaluation = run.status_record, run.evaluation()
    card = json.loads(info_path(run.final_model_file).read_text())
    return {"args": list(args), "run": str(run.path.relative_to(REPO)), "wall_seconds": wall,
            "train_seconds": card["card"].get("train_seconds"), "architecture": card["architecture"],
            "class_names": card["contract"]["class_names"], "train_faces": status.get("train_faces"),
            "test_faces": int(np.sum(evaluation["confusion_matrix"])), "accuracy": evaluation["accuracy"],
            "chance_level": evaluation.get("chance_level"), "peak_rss_bytes": status.get("peak_rss_bytes"),
            "model": str(run.final_model_file)}


def held_out_accuracy(model: str, faces: np.ndarray, labels: np.ndarray) -> float:
    from fer_core.prediction.predictor import Predictor

    predictor = Predictor(model)
    order = [predictor.class_names.index(name) for name in CLASSES]  # the model's class order → ours
    return float((predictor.predict_crops(faces)[:, order].argmax(axis=1) == labels).mean())


def run(data: Path, quick: bool) -> dict:
    from fer_core.data.dataset import load_fer2013
    from fer_core.training.config import cpu_description

    folder = make_photo_folder(data, CACHE / "own_classes" / "photos")
    start = time.perf_counter()
    dataset = load_fer2013(folder)
    load_seconds = time.perf_counter() - start
    faces, labels = held_out_faces(data)
    jobs = {"default (transfer: new head)": (), "new head and last block": ("--transfer", "head_and_last_block"),
            "from scratch (fer_fast)": ("--from-scratch",)}
    result = {"cpu": cpu_description(), "photos": PHOTOS_PER_CLASS * len(CLASSES), "classes": list(CLASSES),
              "faces_found": len(dataset), "photos_without_face": list(dataset.photos_without_face), "load_seconds": load_seconds,
              "held_out_faces": len(labels), "jobs": {}}
    for name, args in jobs.items():
        job = train_job(folder, CACHE / "own_classes" / "runs", *args)
        if "error" not in job:
            job["held_out_accuracy"] = held_out_accuracy(job["model"], faces, labels)
        result["jobs"][name] = job
    return result
