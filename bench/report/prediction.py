"""A photo's faces and their top-3, and 48×48 crops in a batch, against Keras `model.predict`."""

from __future__ import annotations

from .format import MB, Row, duration, faster, milliseconds, n_of, not_measured, stage_text
from .methods import method


def prediction_rows(prediction: dict | None) -> list[Row]:
    if not prediction or "photos" not in prediction:
        return [not_measured("photo → faces → top-3", prediction)]
    rows = []
    for key, target in (("640x480", 0.030), ("2048x2048", 0.080)):
        photo = prediction["photos"][key]
        ours, base = photo["predictor"], photo["keras_per_face"]
        rows.append(Row(
            f"photo → faces → top-3, {key.replace('x', '×')} JPEG, {photo['faces']} face(s), model loaded",
            milliseconds(ours["median"]) + n_of(ours), f"Keras `model.predict` per face: {milliseconds(base['median'])}{n_of(base)}",
            faster(base["median"], ours["median"]), f"median ≤ {target * 1000:.0f} ms", ours["median"] <= target))
    crops = prediction["crops"]
    ours, base = crops["predictor_faces_per_second"], crops["keras_faces_per_second"]
    rows.append(Row(
        f"48×48 crops in a batch of {crops['batch']}",
        f"{ours:,.0f} faces/s (n={crops['predictor']['n']})", f"Keras `model.predict`: {base:,.0f} faces/s",
        f"{ours / base:.1f}× faster" if base else "—", "≥ 2,000 faces/s", ours >= 2000))
    return rows


def prediction_details(prediction: dict) -> list[str]:
    if "photos" not in prediction:
        return []
    crops = prediction["crops"]
    lines = [
        "- " + method("prediction", model=prediction["model"], model_tta=prediction["model_tta"],
                      predictor_load=duration(prediction["predictor_load_seconds"]),
                      rss_with_predictor=f"{prediction['rss_with_predictor_bytes'] / MB:.0f}",
                      photo=prediction["photo"]),
    ]
    for key, photo in prediction["photos"].items():
        top = ", ".join(f"{label} {p:.0%}" for label, p in photo.get("top_3_first_face", []))
        lines.append(f"  - {key}: {photo['faces']} face(s), top-3 {top}; by stage (medians): {stage_text(photo['stages'])}.")
    plain = crops.get("without_tta_faces_per_second")
    lines.append(
        "  - " + method("prediction, crops", batch=crops["batch"], agreement=f"{crops['top1_agreement_with_keras']:.1%}")
        + (f" Without test-time views (one pass per face) the LiteRT classifier does {plain:,.0f} faces/s." if plain else ""))
    views = prediction.get("tta_accuracy")
    if views:
        lines.append(
            f"  - What the test-time views buy: on the {views['faces']:,} faces of the {views['split']} split, LiteRT "
            + "; ".join(f"`{mode}` top-1 {views['top1'][mode]:.2%}, top-3 {views['top3'][mode]:.2%}" for mode in views["top1"])
            + ".")
    return lines
