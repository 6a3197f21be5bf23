"""Faces that fill the frame, face-free pictures, turned and covered faces."""

from __future__ import annotations

from .format import Row, milliseconds, n_of, not_measured


def face_framing_rows(section: dict | None) -> list[Row]:
    """Issue 20's targets: faces that fill the frame are found, face-free pictures give none, turned faces are found
    and read as well as upright ones."""
    if not section or "tight_crops" not in section:
        return [not_measured("faces that fill the frame, phantom faces, turned faces", section)] if section else []
    tight, free, framing = section["tight_crops"], section["no_face"], section["framing"]
    first_look = (tight["found"] - tight["found_after_padding"] - tight.get("found_by_second_model", 0)
                  - tight.get("found_by_cascade", 0))
    rows = [Row("tight FER2013 PublicTest crops enlarged to 96–512 px (half grey), face found by `Predictor.predict`",
                f"{tight['found'] / tight['count']:.1%} of {tight['count']} ({tight['found_after_padding']} only after "
                f"padding, {tight.get('found_by_second_model', 0)} only by the second model, "
                f"{tight.get('found_by_cascade', 0)} only by the cascade); top-1 as served {tight['correct'] / tight['count']:.1%}",
                f"the detector's first look alone: {first_look / tight['count']:.1%}", "—",
                "found ≥ 97%, top-1 ≥ 50%",
                tight["found"] >= 0.97 * tight["count"] and tight["correct"] >= 0.5 * tight["count"])]
    rows.append(Row("face-free pictures (noise, gradients, text, shapes, blobs, real photos and diagrams): faces found",
                    f"{free['false_faces']} in {free['pictures']} ({free['false_faces_by_fallbacks']} by the "
                    f"fallbacks); detection with every fallback {milliseconds(free['detect_seconds']['median'])} a picture"
                    + n_of(free["detect_seconds"]), "—", "—", "0 faces", free["false_faces"] == 0))
    upright, turned = framing["upright"], framing["turned ±30°"]
    rows.append(Row("FER2013 PublicTest faces turned ±30° in a 640×480 scene: found; top-1 as served",
                    f"found {turned['found'] / turned['count']:.1%}; top-1 {turned['accuracy_as_served']:.1%}",
                    f"upright: found {upright['found'] / upright['count']:.1%}, top-1 {upright['accuracy_as_served']:.1%}",
                    "—", "found ≥ 95%; top-1 within 3 points of upright",
                    turned["found"] >= 0.95 * turned["count"]
                    and turned["accuracy_as_served"] >= upright["accuracy_as_served"] - 0.03))
    for name, entry in framing.items():
        if name.startswith("covered"):
            rows.append(Row(f"FER2013 PublicTest faces in a scene, {name}: found; top-1 as served",
                            f"found {entry['found'] / entry['count']:.1%}; top-1 {entry['accuracy_as_served']:.1%}",
                            f"upright, uncovered: top-1 {upright['accuracy_as_served']:.1%}"))
    return rows


def face_framing_details(section: dict) -> list[str]:
    if "framing" not in section:
        return []
    from bench.face_framing import __doc__ as how

    lines = [f"- **Faces that fill the frame, and framing.** {' '.join(how.split())} "
             f"{section['faces']} faces, model {section['model']}; the served framing (margin, shift, levelled): "
             f"{section['framing']['served_framing']}. docs/face_framing.md reads these figures."]
    for name in ("upright", "turned ±30°"):
        entry = section["framing"][name]
        best = sorted(entry["accuracy"].items(), key=lambda item: -item[1])[:5]
        lines.append(f"  - {name}: best framings " + "; ".join(f"{label} {value:.1%}" for label, value in best))
    return lines
