"""Issue 20's faces: found when they fill the frame, framed the way FER2013 framed its own, and what covering part of
a face does. Every picture is made here from FER2013 PublicTest faces (the labels say what a face shows):

- tight crops: each face cut to a centred square of 80–100% of its 48 px (a little crop variation), enlarged
  bicubically to 96–512 px, half grey and half RGB, as cropped headshots and face datasets look;
- face-free pictures: noise, gradients, stripes, checkers, text in every installed font, random shapes, blurred
  blobs, flat colours, and the real face-free photos at hand (tests/assets/coffee.jpg, the diagrams and photos of
  the Rust documentation when installed): the padded search must not make faces of them;
- scenes: each face enlarged to 120–200 px and pasted, its edges feathered over 4% of its side so no hard square
  edge helps the detector (feathering over 10% hurt it: it fades a tight crop's chin and brow), at a known place
  on a 640×480 background (blurred noise, a gradient, or blurred shapes); upright, and turned by ±30° (patch and
  feathered mask turned together);
- covered faces: the same upright scenes with a skin-toned ellipse over the mouth (a hand), a grey bar over the
  eyes, or a skin-toned ellipse over the forehead, drawn on the face before it is pasted.

Against the known square of each pasted face, the detector's box gives the margin and centre offset that reproduce
FER2013's framing; each candidate framing (margin, centre shift, eyes levelled or not) is then scored as served,
the model's own test-time views included."""

from __future__ import annotations

import glob
import math
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .measure import REPO, summary

SCENE_SIZE = (640, 480)
SCENE_FACE_SIDES = (120, 200)
TIGHT_SIDES = (96, 512)
TURN_DEGREES = 30
FEATHER_SHARE = 0.04
MARGINS = (1.0, 1.1, 1.15, 1.2, 1.3, 1.4)
SHIFTS = (0.0, 0.05, 0.1)
SKIN = (205, 160, 130)
COVERS = ("mouth", "eyes", "forehead")


def run(data: Path, quick: bool, seed: int = 20) -> dict:
    """Every figure of this section; `seed` picks the faces and pictures (20 in bench/results.md; another seed is a
    held-out check of the same code on other faces, scenes and face-free pictures)."""
    from fer_core.data.dataset import load_fer2013
    from fer_core.prediction.predictor import Predictor

    model = REPO / "models" / "fer_studio.keras"
    dataset = load_fer2013(data)
    public = dataset.usage == "PublicTest" if (dataset.usage == "PublicTest").any() else np.ones(len(dataset), bool)
    faces, labels = dataset.images[public], dataset.labels[public]
    count = min(len(labels), 60 if quick else 600)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(labels), count, replace=False)
    faces, labels = faces[chosen], labels[chosen]
    predictor = Predictor(model)
    result = {"model": model.name, "faces": count}
    result["tight_crops"] = tight_crops(predictor, faces, labels, rng)
    result["no_face"] = no_face_pictures(120 if quick else 600, seed=seed + 1)
    result["framing"] = framing(predictor, faces, labels, rng)
    return result


# --- the pictures ---

def tight_crop(face: np.ndarray, rng: np.random.Generator, rgb: bool) -> Image.Image:
    """A FER2013 face as a cropped headshot: a centred square of 80–100% of it, enlarged to 96–512 px."""
    share = rng.uniform(0.8, 1.0)
    side = 48 * share
    centre = 24 + rng.uniform(-1, 1, 2) * (48 - side) / 2
    box = (centre[0] - side / 2, centre[1] - side / 2, centre[0] + side / 2, centre[1] + side / 2)
    out = int(rng.integers(TIGHT_SIDES[0], TIGHT_SIDES[1] + 1))
    image = Image.fromarray(face).resize((out, out), Image.Resampling.BICUBIC, box=box)
    return image.convert("RGB") if rgb else image


def face_free_pictures(count: int, seed: int, with_photos: bool = True) -> list[tuple[str, Image.Image]]:
    """(kind, picture): made-up pictures without a face, then (`with_photos`) the real face-free photos at hand."""
    rng = np.random.default_rng(seed)
    kinds = ("noise", "smooth noise", "gradient", "radial gradient", "text", "shapes", "blurred blobs", "flat",
             "stripes", "checkers")
    pictures = [(kinds[k % len(kinds)], _face_free(kinds[k % len(kinds)], rng)) for k in range(count)]
    return pictures + [("photo or diagram", image) for image in (_real_face_free() if with_photos else [])]


def _colour(rng) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(0, 256, 3))


def _face_free(kind: str, rng: np.random.Generator) -> Image.Image:
    width, height = int(rng.integers(96, 700)), int(rng.integers(96, 700))
    if rng.random() < 0.4:
        height = width
    if kind == "noise":
        image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    elif kind == "smooth noise":
        noise = rng.normal(rng.uniform(60, 200), rng.uniform(10, 60), (height // 4 + 1, width // 4 + 1, 3))
        image = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8)).resize((width, height), Image.Resampling.BICUBIC)
    elif kind in ("gradient", "radial gradient"):
        ys, xs = np.mgrid[0:height, 0:width] / max(width, height)
        if kind == "gradient":
            angle = rng.uniform(0, 2 * math.pi)
            t = xs * math.cos(angle) + ys * math.sin(angle)
        else:
            t = np.hypot(xs - rng.uniform(0, 1), ys - rng.uniform(0, 1))
        t = (t - t.min()) / (np.ptp(t) + 1e-9)
        start, end = np.array(_colour(rng)), np.array(_colour(rng))
        image = Image.fromarray((start + (end - start) * t[..., None]).astype(np.uint8))
    elif kind == "text":
        fonts = sorted(glob.glob("/usr/share/fonts/truetype/*/*.ttf"))
        words = "the quick brown fox jumps over a lazy dog FER Studio emotion 2026 OK? hello world".split()
        image = Image.new("RGB", (width, height), _colour(rng))
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(1, 8))):
            size = int(rng.integers(10, max(12, height // 3)))
            font = ImageFont.truetype(fonts[int(rng.integers(len(fonts)))], size) if fonts else ImageFont.load_default()
            draw.text((rng.uniform(-20, width * 0.8), rng.uniform(-10, height * 0.9)),
                      " ".join(rng.choice(words, int(rng.integers(1, 4)))), fill=_colour(rng), font=font)
    elif kind in ("shapes", "blurred blobs"):
        image = Image.new("RGB", (width, height), _colour(rng))
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(2, 12))):
            x0, y0 = rng.uniform(-0.2, 1, 2) * (width, height)
            corners = (x0, y0, x0 + rng.uniform(10, width), y0 + rng.uniform(10, height))
            shape = int(rng.integers(3))
            if shape == 0:
                draw.ellipse(corners, fill=_colour(rng))
            elif shape == 1:
                draw.rectangle(corners, fill=_colour(rng))
            else:
                draw.polygon([tuple(p) for p in rng.uniform(0, 1, (int(rng.integers(3, 7)), 2)) * (width, height)],
                             fill=_colour(rng))
        if kind == "blurred blobs":
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(4, 20)))
    elif kind == "flat":
        image = Image.new("RGB", (width, height), _colour(rng))
    elif kind == "stripes":
        angle, period = rng.uniform(0, math.pi), rng.uniform(4, 60)
        ys, xs = np.mgrid[0:height, 0:width]
        wave = np.sin(2 * math.pi * (xs * math.cos(angle) + ys * math.sin(angle)) / period)
        image = Image.fromarray(((wave + 1) * 127.5).astype(np.uint8)).convert("RGB")
    else:
        cell = int(rng.integers(4, 80))
        ys, xs = np.mgrid[0:height, 0:width]
        image = Image.fromarray(((ys // cell + xs // cell) % 2 * 255).astype(np.uint8)).convert("RGB")
    return image.convert("L") if rng.random() < 0.3 else image


def _real_face_free() -> list[Image.Image]:
    paths = [REPO / "tests" / "assets" / "coffee.jpg"] + sorted(
        Path(p) for pattern in ("png", "jpg", "jpeg")
        for p in glob.glob(f"/root/.rustup/toolchains/stable-*/share/doc/rust/html/**/*.{pattern}", recursive=True))
    images = []
    for path in paths:
        try:
            with Image.open(path) as image:
                if min(image.size) >= 32:
                    images.append(image.convert("RGB"))
        except OSError:
            continue
    return images


def background(rng: np.random.Generator) -> Image.Image:
    """A 640×480 face-free background: blurred noise, a gradient, or blurred shapes."""
    return _face_free(("smooth noise", "gradient", "blurred blobs")[int(rng.integers(3))], rng).convert("RGB").resize(
        SCENE_SIZE, Image.Resampling.BILINEAR)


def feathered_mask(side: int) -> Image.Image:
    """Opaque in the middle, fading to nothing over FEATHER_SHARE of the side at each edge."""
    ramp = np.clip(np.minimum(np.arange(side) + 0.5, side - np.arange(side) - 0.5) / (FEATHER_SHARE * side), 0, 1)
    return Image.fromarray((np.outer(ramp, ramp) * 255).astype(np.uint8))


def cover(face: Image.Image, where: str) -> Image.Image:
    """The face (RGB) with part of it covered: a hand over the mouth, a bar over the eyes, a hand on the forehead."""
    covered = face.copy()
    draw = ImageDraw.Draw(covered)
    s = face.width
    if where == "mouth":
        draw.ellipse((0.2 * s, 0.62 * s, 0.8 * s, 1.05 * s), fill=SKIN)
    elif where == "eyes":
        draw.rectangle((0.1 * s, 0.28 * s, 0.9 * s, 0.48 * s), fill=(110, 110, 110))
    else:
        draw.ellipse((0.1 * s, -0.1 * s, 0.9 * s, 0.3 * s), fill=SKIN)
    return covered


def scene(face: np.ndarray, rng: np.random.Generator, turn: float = 0.0, covered: str | None = None):
    """The face on a 640×480 background; also the known square it came from: (centre x, centre y, side)."""
    side = int(rng.integers(SCENE_FACE_SIDES[0], SCENE_FACE_SIDES[1] + 1))
    patch = Image.fromarray(face).resize((side, side), Image.Resampling.BICUBIC).convert("RGB")
    if covered:
        patch = cover(patch, covered)
    mask = feathered_mask(side)
    if turn:
        patch = patch.rotate(turn, Image.Resampling.BICUBIC, expand=True)
        mask = mask.rotate(turn, Image.Resampling.BICUBIC, expand=True)
    picture = background(rng)
    left = int(rng.integers(0, SCENE_SIZE[0] - patch.width))
    top = int(rng.integers(0, SCENE_SIZE[1] - patch.height))
    picture.paste(patch, (left, top), mask)
    return picture, (left + patch.width / 2, top + patch.height / 2, side)


# --- the measurements ---

def tight_crops(predictor, faces: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> dict:
    """Found and top-1 as served (Predictor.predict, the padded search included) on enlarged tight crops; each
    face's seconds, and the padded search's own cost on the photos that needed it."""
    from fer_core.prediction.face_detection import detect_faces

    found = correct = padded = second_model = cascade = 0
    seconds, search_seconds = [], []
    for number, (face, label) in enumerate(zip(faces, labels)):
        picture = tight_crop(face, rng, rgb=bool(number % 2))
        start = time.perf_counter()
        result = predictor.predict(picture)
        seconds.append(time.perf_counter() - start)
        if result.faces:
            found += 1
            padded += int(result.faces[0].fallback == "padding")
            second_model += int(result.faces[0].fallback == "second_model")
            cascade += int(result.faces[0].fallback == "cascade")
            correct += int(predictor.class_names.index(result.faces[0].label) == label)
            if result.faces[0].fallback:
                start = time.perf_counter()
                detect_faces(picture)
                search_seconds.append(time.perf_counter() - start)
    return {"count": len(labels), "found": found, "found_after_padding": padded, "found_by_second_model": second_model,
            "found_by_cascade": cascade, "correct": correct,
            "predict_seconds": _median_only(seconds), "detect_with_padded_search_seconds":
                _median_only(search_seconds) if search_seconds else None}


def no_face_pictures(count: int, seed: int) -> dict:
    """Faces the detector (padded search included) finds in pictures that have none, by kind; and the cost of the
    search on them (every one of them goes through the padded passes)."""
    from fer_core.prediction.face_detection import detect_faces

    by_kind: dict[str, list[int]] = {}
    seconds = []
    for kind, picture in face_free_pictures(count, seed):
        start = time.perf_counter()
        faces = detect_faces(picture)
        seconds.append(time.perf_counter() - start)
        pictures, false_faces, padded = by_kind.setdefault(kind, [0, 0, 0])
        by_kind[kind] = [pictures + 1, false_faces + len(faces), padded + sum(f.fallback is not None for f in faces)]
    return {"pictures": sum(p for p, _, _ in by_kind.values()), "false_faces": sum(f for _, f, _ in by_kind.values()),
            "false_faces_by_fallbacks": sum(f for _, _, f in by_kind.values()),
            "by_kind": {kind: dict(zip(("pictures", "false_faces", "by_fallbacks"), counts))
                        for kind, counts in by_kind.items()}, "detect_seconds": _median_only(seconds)}


def framing(predictor, faces: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> dict:
    """The detector's box and eyes against each pasted face's known square; top-1 as served for candidate framings,
    upright, turned ±30°, and covered (a face not found counts as wrong)."""
    from fer_core.prediction.face_detection import detect_faces

    sets: dict[str, list] = {"upright": [], "turned ±30°": []} | {f"covered: {where}": [] for where in COVERS}
    for number, (face, label) in enumerate(zip(faces, labels)):
        sets["upright"].append((*scene(face, rng), 0.0, label))
        turn = TURN_DEGREES if number % 2 else -TURN_DEGREES
        sets["turned ±30°"].append((*scene(face, rng, turn=turn), turn, label))
        where = COVERS[number % len(COVERS)]
        sets[f"covered: {where}"].append((*scene(face, rng, covered=where), 0.0, label))
    found = {name: [(picture, _matching_face(detect_faces(picture), known), known, turn, label)
                    for picture, known, turn, label in scenes] for name, scenes in sets.items()}
    out = {name: {"count": len(rows), "found": sum(face is not None for _, face, _, _, _ in rows)}
           for name, rows in found.items()}
    for name in ("upright", "turned ±30°"):
        out[name]["geometry"] = _geometry([row for row in found[name] if row[1] is not None])
    eyes_side = out["upright"]["geometry"]["square_over_eye_distance"]["median"]
    eyes_down = out["upright"]["geometry"]["centre_below_eyes_over_eye_distance"]["median"]
    candidates = {f"box × {margin}, {shift:+.2f} down, {'levelled' if align else 'as found'}": (margin, shift, align)
                  for align in (False, True) for margin in MARGINS for shift in SHIFTS}
    candidates |= {f"eyes: {k:.2f} × eye distance, {eyes_down:.2f} below, levelled": ("eyes", k, eyes_down)
                   for k in (0.9 * eyes_side, eyes_side, 1.1 * eyes_side)}
    for name in ("upright", "turned ±30°"):
        out[name]["accuracy"] = {label: _accuracy(predictor, found[name], framing_)
                                 for label, framing_ in candidates.items()}
        out[name]["accuracy"]["the known square, cut exactly"] = _accuracy(predictor, found[name], "known")
    served = _served_framing()
    for name in sets:
        out[name]["accuracy_as_served"] = _accuracy(predictor, found[name], served)
        out[name]["accuracy_known_square"] = _accuracy(predictor, found[name], "known", every=True)
    out["served_framing"] = list(served)
    return out


def _served_framing() -> tuple:
    from fer_core.prediction import predictor

    return predictor.FACE_MARGIN, predictor.FACE_SHIFT_DOWN, predictor.ALIGN_FACES


def _geometry(rows: list) -> dict:
    """The known square against the box (side over box side, centre offset in box sides) and against the eyes (side
    over eye distance, centre below the eyes' midpoint in eye distances, across the face's own axes)."""
    over_box, down_box, across_box, over_eyes, down_eyes, tilt_error = [], [], [], [], [], []
    for _, face, known, turn, _ in rows:
        (rx, ry), (lx, ly) = face.eyes
        tilt = math.atan2(ly - ry, lx - rx)
        eye_distance = math.hypot(lx - rx, ly - ry)
        side = max(face.w, face.h)
        over_box.append(known[2] / side)
        down_box.append((known[1] - (face.y + face.h / 2)) / side)
        across_box.append((known[0] - (face.x + face.w / 2)) / side)
        over_eyes.append(known[2] / eye_distance)
        dx, dy = known[0] - (rx + lx) / 2, known[1] - (ry + ly) / 2
        down_eyes.append((-dx * math.sin(tilt) + dy * math.cos(tilt)) / eye_distance)
        # PIL turns counter-clockwise: a face turned by +30° has its eye line at -30° in image coordinates.
        tilt_error.append(math.degrees(tilt) + turn)
    return {"square_over_box_side": _quantiles(over_box), "centre_below_box_centre": _quantiles(down_box),
            "centre_right_of_box_centre": _quantiles(across_box), "square_over_eye_distance": _quantiles(over_eyes),
            "centre_below_eyes_over_eye_distance": _quantiles(down_eyes), "eye_line_error_degrees": _quantiles(tilt_error)}


def _median_only(runs: list[float]) -> dict:
    """summary() without every run: hundreds of pictures' seconds would swamp results.json."""
    return {key: value for key, value in summary(runs).items() if key != "runs"}


def _matching_face(faces, known):
    """The found face whose centre is nearest the pasted square's, if within half its side."""
    if not faces:
        return None
    nearest = min(faces, key=lambda f: math.hypot(f.x + f.w / 2 - known[0], f.y + f.h / 2 - known[1]))
    distance = math.hypot(nearest.x + nearest.w / 2 - known[0], nearest.y + nearest.h / 2 - known[1])
    return nearest if distance < known[2] / 2 else None


def _quantiles(values: list[float]) -> dict:
    if not values:
        return {}
    q = np.quantile(values, [0.1, 0.5, 0.9])
    return {"p10": float(q[0]), "median": float(q[1]), "p90": float(q[2]), "n": len(values)}


def _accuracy(predictor, rows: list, framing_, every: bool = False) -> float:
    """Top-1 as served over every scene (a face not found is wrong, unless `every`: the known square needs no
    detector) with one framing: (margin, shift, levelled), ("eyes", k, down), or "known"."""
    from fer_core.prediction.predictor import _resize, _upright_square, frame_face

    size = predictor.classifier.info.input_size
    crops, truth = [], []
    for picture, face, known, turn, label in rows:
        if framing_ == "known":
            crops.append(_resize(_upright_square(picture, known[:2], known[2], -math.radians(turn)), size))
        elif face is None:
            continue
        elif framing_[0] == "eyes":
            (rx, ry), (lx, ly) = face.eyes
            tilt, distance = math.atan2(ly - ry, lx - rx), math.hypot(lx - rx, ly - ry)
            down = framing_[2] * distance
            centre = ((rx + lx) / 2 - down * math.sin(tilt), (ry + ly) / 2 + down * math.cos(tilt))
            crops.append(_resize(_upright_square(picture, centre, max(1, round(framing_[1] * distance)), tilt), size))
        else:
            crops.append(frame_face(picture, face, size, *framing_))
        truth.append(label)
    if not crops:
        return 0.0
    predicted = predictor.classifier.predict_proba(np.stack(crops)).argmax(1)
    return float((predicted == np.array(truth)).sum() / len(rows))


def covered_accuracy(models: list[Path], data: Path, count: int = 3435) -> dict:
    """The model's own share of what a cover costs, with no detector in the way: top-1 as served on PublicTest faces
    as they are, and with each cover drawn on them (the face enlarged to 144 px, covered, and shrunk back), per model.
    This is what compares a model trained with random erasing against one trained without."""
    from fer_core.data.dataset import load_fer2013
    from fer_core.prediction.face_classifier import FaceClassifier

    dataset = load_fer2013(data)
    public = dataset.usage == "PublicTest"
    faces, labels = dataset.images[public][:count], dataset.labels[public][:count]
    versions = {"none": faces}
    for where in COVERS:
        versions[where] = np.stack([np.asarray(cover(Image.fromarray(face).resize((144, 144), Image.Resampling.BICUBIC)
                                                     .convert("RGB"), where).convert("L").resize((48, 48), Image.Resampling.BILINEAR))
                                    for face in faces])
    out = {"faces": len(labels)}
    for model in models:
        classifier = FaceClassifier(model)
        out[model.name] = {where: float((classifier.predict_proba(version).argmax(1) == labels).mean())
                           for where, version in versions.items()}
    return out


if __name__ == "__main__":
    import json
    import sys

    from .measure import DEFAULT_DATA

    if "--covered" in sys.argv:  # python -m bench.face_framing --covered DATA MODEL.keras [MODEL.keras …]
        arguments = sys.argv[sys.argv.index("--covered") + 1:]
        print(json.dumps(covered_accuracy([Path(m) for m in arguments[1:]], Path(arguments[0])), indent=1))
    else:
        seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20
        print(json.dumps(run(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA, "--quick" in sys.argv, seed),
                         indent=1, default=str))
