"""Prediction with the model already loaded: a photo (JPEG bytes, as an upload arrives) → faces → top-3, at 640×480
and 2048×2048, and 48×48 crops in a batch. Ours is fer_core.predictor.Predictor; the baseline is the same face
detection and cropping, then Keras `model.predict` per face."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from fer_core.shipped_models import SHIPPED_MODEL

from .measure import REPO, rss_bytes, timed
from .photos import example_photo, sized_photo

BENCH_RUNS = Path("/tmp/benchruns")
PHOTO_SIZES = {"640x480": (640, 480), "2048x2048": (2048, 2048)}
CROP_BATCH = 256


def benchmark_model() -> tuple[Path, str]:
    """The shipped model, or else a one-epoch fer_vgg trained on the repo's sample (same architecture, same cost)."""
    if SHIPPED_MODEL.exists() and SHIPPED_MODEL.with_suffix(".json").exists():
        return SHIPPED_MODEL, "shipped model (models/fer_studio.keras)"
    trained = sorted(BENCH_RUNS.glob("*fer_vgg/model.keras"))
    if not trained:
        subprocess.run([sys.executable, "-m", "fer_core", "train", "--data", "data/fer2013_sample.csv.gz",
                        "--arch", "fer_vgg", "--epochs", "1", "--out", str(BENCH_RUNS)], cwd=REPO, check=True,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, stdout=subprocess.DEVNULL)
        trained = sorted(BENCH_RUNS.glob("*fer_vgg/model.keras"))
    return trained[-1], f"one-epoch fer_vgg trained on the sample ({trained[-1]})"


def _stage_breakdown(predictor, photo_bytes: bytes, repeats: int) -> dict:
    """Medians of each step Predictor.predict takes: decode, detect, crop, classify; inside detection, by the
    detector's public API, the copy it searches (shrunk above TILE_ABOVE_SIDE) and one 192×192 pass of its windows."""
    from fer_core.prediction import face_detection
    from fer_core.prediction import predictor as predictor_module
    from fer_core.prediction.face_detection import detect_faces
    from fer_core.prediction.photos import load_image

    size = predictor.classifier.info.input_size
    image = load_image(photo_bytes)
    faces = detect_faces(image)
    crops = np.stack([predictor_module.frame_face(image, face, size) for face in faces])
    stages = {
        "decode (load_image)": timed(lambda: load_image(photo_bytes), repeats, warmup=1)["median"],
        "detect_faces": timed(lambda: detect_faces(image), repeats, warmup=1)["median"],
        "crop to 48×48": timed(lambda: [predictor_module.frame_face(image, f, size) for f in faces], repeats)["median"],
        "classify (LiteRT)": timed(lambda: predictor.predict_crops(crops), repeats, warmup=1)["median"],
    }
    tiled = max(image.size) > face_detection.TILE_ABOVE_SIDE
    pixels = face_detection.search_pixels(image)
    windows = face_detection.search_windows(image.size)
    stages["detect: shrink to detector size"] = (
        timed(lambda: face_detection.search_pixels(image), repeats)["median"] if tiled else 0.0)
    stages["detect: one 192×192 pass"] = timed(lambda: face_detection.detect_in_window(pixels, windows[0]),
                                               repeats)["median"]
    stages["detect: passes per photo"] = len(windows)
    return stages


def _keras_per_face(model, tta: str, photo_bytes: bytes):
    """The baseline: the same decode, detection and crops, then one Keras model.predict call per face."""
    from fer_core.prediction import predictor as predictor_module
    from fer_core.prediction.face_detection import detect_faces
    from fer_core.prediction.photos import load_image
    from fer_core.training.publishing import predict_with_tta

    image = load_image(photo_bytes)
    results = []
    for face in detect_faces(image):
        probabilities = predict_with_tta(model, predictor_module.frame_face(image, face, 48)[None], tta)[0]
        results.append(np.argsort(-probabilities)[:3])
    return results


def _tta_accuracy(predictor, dataset) -> dict:
    """Top-1 and top-3 accuracy on the test split with the model's test-time views (what predict_crops does), with
    the mirror alone, and with the face alone."""
    test = dataset.split("test")
    classifier = predictor.classifier
    def top(probabilities, k):
        return float(np.mean((np.argsort(-probabilities, axis=1)[:, :k] == test.labels[:, None]).any(axis=1)))

    scores = {mode: classifier.predict_proba(test.images, tta=mode) for mode in dict.fromkeys([classifier.info.tta, "flip", "none"])}
    same_as_validation = np.array_equal(dataset.splits.test, dataset.splits.validation)
    return {"split": "test" + (" (= validation: this file has no PrivateTest rows)" if same_as_validation else ""),
            "faces": len(test),
            "top1": {mode: top(p, 1) for mode, p in scores.items()}, "top3": {mode: top(p, 3) for mode, p in scores.items()}}


def run(data: Path, quick: bool) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    photo = example_photo()
    if photo is None:
        return {"skipped": "no example face photo in assets/examples/ or tests/assets/"}
    model_path, model_note = benchmark_model()
    photo_repeats, baseline_repeats, crop_repeats = (5, 3, 3) if quick else (30, 10, 10)

    start = time.perf_counter()
    from fer_core.prediction.predictor import Predictor

    predictor = Predictor(model_path)
    load_seconds = time.perf_counter() - start
    rss_with_predictor = rss_bytes(os.getpid())
    tta = predictor.classifier.info.tta

    import keras  # the baseline loads TensorFlow, after our figures' imports and model load

    from fer_core import load_fer2013
    from fer_core.training.publishing import predict_with_tta

    model = keras.saving.load_model(Path(model_path).with_suffix(".keras"), compile=False)

    photos = {}
    for key, (width, height) in PHOTO_SIZES.items():
        photo_bytes = sized_photo(photo, width, height)
        result = predictor.predict(photo_bytes, top_k=3)
        ours = timed(lambda photo_bytes=photo_bytes: predictor.predict(photo_bytes, top_k=3), photo_repeats, warmup=3)
        baseline = timed(lambda photo_bytes=photo_bytes: _keras_per_face(model, tta, photo_bytes), baseline_repeats,
                         warmup=2)
        photos[key] = {
            "jpeg_bytes": len(photo_bytes), "faces": len(result.faces),
            "top_3_first_face": result.faces[0].top_k if result.faces else [],
            "predictor": ours, "keras_per_face": baseline,
            "stages": _stage_breakdown(predictor, photo_bytes, photo_repeats),
        }

    dataset = load_fer2013(data)
    crops = dataset.images[dataset.splits.validation[:CROP_BATCH]]
    ours = timed(lambda: predictor.predict_crops(crops), crop_repeats, warmup=1)
    baseline = timed(lambda: predict_with_tta(model, crops, tta), crop_repeats, warmup=1)
    # The classifier alone, without test-time views: how much of the crop time the extra views cost.
    x = crops.astype(np.float32)[..., None]
    plain = timed(lambda: predictor.classifier._run(x), crop_repeats, warmup=1) if hasattr(predictor.classifier, "_run") else None
    tta_accuracy = _tta_accuracy(predictor, dataset) if tta != "none" else None
    agreement = float(np.mean(predictor.predict_crops(crops).argmax(1) == predict_with_tta(model, crops, tta).argmax(1)))
    return {
        "model": model_note, "model_tta": tta, "photo": str(photo.relative_to(REPO)),
        "predictor_load_seconds": load_seconds, "rss_with_predictor_bytes": rss_with_predictor,
        "photos": photos,
        "crops": {"batch": len(crops), "predictor": ours, "keras": baseline,
                  "predictor_faces_per_second": len(crops) / ours["median"],
                  "keras_faces_per_second": len(crops) / baseline["median"],
                  "top1_agreement_with_keras": agreement,
                  "without_tta_faces_per_second": len(crops) / plain["median"] if plain else None},
        "tta_accuracy": tta_accuracy,
    }
