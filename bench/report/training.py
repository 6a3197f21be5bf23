"""One training epoch, extrapolated from timed batches, and the epochs runs and the shipped card recorded."""

from __future__ import annotations

from .format import Row, duration, faster, not_measured
from .methods import method


def training_rows(training: dict | None) -> list[Row]:
    if not training or "configs" not in training:
        return [not_measured("one training epoch", training)]
    configs = training["configs"]
    seed = configs["seed_cnn"]
    rows = []
    for name, label in (("fer_vgg_default", "the old default job"), ("fer_vgg_shipped", "shipped model's job")):
        c = configs[name]
        rows.append(Row(
            f"training epoch, `fer_vgg`, {label} (batch {c['batch_size']}, {c['balance']}, {c['train_faces']:,} faces), "
            f"extrapolated from {c['timed_batches']} timed batches",
            f"{duration(c['epoch_seconds'])}/epoch (n={c['repeats']}); 30 epochs: {c['job_minutes']:.0f} min",
            f"`seed_cnn` oversample batch 64: {duration(seed['epoch_seconds'])}/epoch",
            faster(seed["epoch_seconds"], c["epoch_seconds"]) if c["epoch_seconds"] <= seed["epoch_seconds"]
            else f"{c['epoch_seconds'] / seed['epoch_seconds']:.1f}× slower",
            "30-epoch job ≤ 30 min", c["job_minutes"] <= 30))
    rows.append(Row(
        f"training epoch, `seed_cnn` (batch 64, oversample, {seed['train_faces']:,} faces), extrapolated",
        f"{duration(seed['epoch_seconds'])}/epoch (n={seed['repeats']}); 30 epochs: {seed['job_minutes']:.0f} min",
        "≈144 s/epoch (the issue's figure)"))
    for c in training.get("what_if", {}).values():
        rows.append(Row(
            f"the shipped model's job in bfloat16 maths (`--precision {c['policy']}`, as the shipped model trained): `fer_vgg` batch {c['batch_size']}, {c['balance']}",
            f"{duration(c['epoch_seconds'])}/epoch (n={c['repeats']}); 30 epochs: {c['job_minutes']:.0f} min",
            f"`seed_cnn` oversample batch 64: {duration(seed['epoch_seconds'])}/epoch",
            faster(seed["epoch_seconds"], c["epoch_seconds"]) if c["epoch_seconds"] <= seed["epoch_seconds"]
            else f"{c['epoch_seconds'] / seed['epoch_seconds']:.1f}× slower"))
    for run in training.get("recorded_runs", []):
        seconds = run["epoch_seconds"]
        job_minutes = seconds["median"] * 30 / 60
        on_this_kind = run["arch"] == "fer_vgg" and not trained_on_accelerator(run.get("hardware"))
        rows.append(Row(
            f"training epoch as recorded: runs/{run['run']} (`{run['arch']}`, batch {run['batch_size']}, {run['balance']}; "
            f"{run['state']}, {run['epochs_done']}/{run['epochs_planned']} epochs{_trained_elsewhere(run.get('hardware'))})",
            f"{duration(seconds['median'])}/epoch (n={seconds['n']}, fastest {duration(seconds['min'])}); "
            f"30 epochs: {job_minutes:.0f} min",
            target="30-epoch job ≤ 30 min" if on_this_kind else "—",
            met=job_minutes <= 30 if on_this_kind else None))
    card = training.get("shipped_model")
    if card and card.get("epoch_seconds"):
        job_minutes = card["epoch_seconds"] * 30 / 60
        elsewhere = trained_on_accelerator(card.get("hardware"))
        rows.append(Row(
            f"shipped model card: models/fer_studio.json (`{card['architecture']}`, {card['epochs_completed']} epochs, "
            f"card.train_seconds / epochs{_trained_elsewhere(card.get('hardware'))})",
            f"{duration(card['epoch_seconds'])}/epoch; its {card['epochs_completed']} epochs: {card['train_seconds'] / 60:.0f} min; "
            f"30 epochs: {job_minutes:.0f} min",
            target="—" if elsewhere else "30-epoch job ≤ 30 min", met=None if elsewhere else job_minutes <= 30))
    return rows


def trained_on_accelerator(hardware: dict | None) -> bool:
    """Epochs timed on a GPU say nothing about the 2-core target. A card's "hardware" says what trained it; cards
    from before that field were all trained on CPU."""
    return bool(hardware) and hardware.get("device_kind", "cpu") != "cpu"


def _trained_elsewhere(hardware: dict | None) -> str:
    """"; trained on NVIDIA H100 80GB HBM3 (Keras on jax), not this machine"; "" for epochs timed on a CPU."""
    if not trained_on_accelerator(hardware):
        return ""
    return f"; trained on {hardware['device_name']} (Keras on {hardware['backend']}), not this machine"


def training_details(training: dict) -> list[str]:
    if "configs" not in training:
        return []
    any_config = next(iter(training["configs"].values()))
    lines = [
        "- " + method("training", warmup_batches=any_config["warmup_batches"],
                      timed_batches=any_config["timed_batches"], repeats=any_config["repeats"],
                      intra_op=training["threads"]["intra_op"] or "default (all cores)",
                      inter_op=training["threads"]["inter_op"] or "default"),
    ]
    for name, c in {**training["configs"], **training.get("what_if", {})}.items():
        per_batch = c["seconds_per_batch"]["median"]
        lines.append(
            f"  - {name} (`{c['arch']}`, {c['parameters']:,} weights, batch {c['batch_size']}, {c['balance']}): "
            f"{per_batch * 1000:.0f} ms per batch × {c['batches_per_epoch']} batches "
            f"= {duration(per_batch * c['batches_per_epoch'])}, validation {duration(c['validation_seconds'])}; "
            f"of each batch, gathering + augmenting + float32 alone is {c['input_pipeline_seconds_per_batch'] * 1000:.0f} ms "
            f"({c['input_pipeline_seconds_per_batch'] / per_batch:.0%}, overlapped with the step by tf.data prefetch); "
            f"{c['batch_size'] / per_batch:.0f} faces/s; {c['multiply_adds_per_face'] / 1e6:.0f} M multiply-adds per face "
            f"forward, so about {c['training_gflops_per_second']:.0f} GFLOP/s sustained ({c['policy']}).")
    shipped = training["configs"].get("fer_vgg_shipped")
    if shipped:
        work = 6 * shipped["multiply_adds_per_face"] * shipped["train_faces"] * 30 / 1e12
        lines.append(
            f"  - The arithmetic behind the training target: 30 epochs of `fer_vgg` on {shipped['train_faces']:,} faces are "
            f"about {work:,.0f} TFLOP; in 30 minutes that is {work * 1e3 / 1800:.0f} GFLOP/s sustained, against the "
            f"{shipped['training_gflops_per_second']:.0f} GFLOP/s measured here.")
    if training.get("recorded_runs"):
        lines.append("  - " + method("training, recorded runs"))
    return lines
