"""One file's analysis as table rows, the same for the CLI, the Python API and the app's download: a row per face
(photos) or per person per analysed frame (clips), with the file, the box, the top-k and every class's
probability; a file that could not be read is one row naming it, with the reason in `error`."""

from __future__ import annotations

BOX = ("box_x", "box_y", "box_w", "box_h")


def photo_columns(class_names, top_k: int) -> dict[str, str]:
    return {"file": "str", "face": "int", **dict.fromkeys(BOX, "int"), **_ranking_columns(class_names, top_k),
            "found_by": "str", "error": "str"}


def clip_columns(class_names, top_k: int) -> dict[str, str]:
    return {"file": "str", "person": "int", "time": "float", "frame": "int", **dict.fromkeys(BOX, "int"),
            **_ranking_columns(class_names, top_k), "error": "str"}


PHOTO_SUMMARY_COLUMNS = {"file": "str", "status": "str", "faces": "int", "width": "int", "height": "int",
                         "message": "str", "seconds": "float"}
CLIP_SUMMARY_COLUMNS = {"file": "str", "status": "str", "people": "int", "analysed_frames": "int",
                        "clip_seconds": "float", "dominant_emotions": "str", "message": "str", "seconds": "float"}


def photo_rows(file: str, result) -> list[dict]:
    """A PredictionResult's faces, largest first, as rows (none when no face was found)."""
    rows = []
    for number, face in enumerate(result.faces, start=1):
        row = {"file": file, "face": number, **dict(zip(BOX, face.box)), "found_by": face.fallback or "detector"}
        rows.append({**row, **_ranking(face.top_k), **face.probabilities})
    return rows


def photo_summary(file: str, result, seconds: float) -> dict:
    return {"file": file, "status": "faces" if result.faces else "no face", "faces": len(result.faces),
            "width": result.image_size[0], "height": result.image_size[1], "message": result.message,
            "seconds": round(seconds, 3)}


def clip_rows(file: str, analysis, top_k: int) -> list[dict]:
    return [{"file": file, **row} for row in analysis.csv_rows(top_k)]


def clip_summary(file: str, analysis, seconds: float) -> dict:
    dominant = "; ".join(f"person {s['person']}: {s['dominant_emotion']}" for s in analysis.summaries())
    return {"file": file, "status": "people" if analysis.people else "no face", "people": len(analysis.people),
            "analysed_frames": analysis.analysed_frames, "clip_seconds": analysis.clip.get("seconds"),
            "dominant_emotions": dominant, "message": " ".join(analysis.notes), "seconds": round(seconds, 3)}


def error_row(file: str, error: str) -> dict:
    return {"file": file, "error": error}


def error_summary(file: str, error: str, seconds: float) -> dict:
    return {"file": file, "status": "error", "message": error, "seconds": round(seconds, 3)}


def _ranking_columns(class_names, top_k: int) -> dict[str, str]:
    ranks = {f"top{n}{suffix}": kind for n in range(1, top_k + 1)
             for suffix, kind in (("", "str"), ("_probability", "float"))}
    return {**ranks, **dict.fromkeys(class_names, "float")}


def _ranking(top_k) -> dict:
    row = {}
    for place, (label, probability) in enumerate(top_k, start=1):
        row[f"top{place}"], row[f"top{place}_probability"] = label, round(float(probability), 4)
    return row
