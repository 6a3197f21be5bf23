"""The server's and a training job's memory while loading the full FER2013 in each form it comes in."""

from __future__ import annotations

from .format import MB, Row, duration, not_measured
from .methods import method


def load_memory_rows(section: dict | None) -> list[Row]:
    """Issue 20's target: the server's memory while a visitor loads the full FER2013, in every form it comes in."""
    if not section or "forms" not in section:
        return [not_measured("server memory loading the full FER2013", section)] if section else []
    rows, worst = [], 0
    for form, modes in section["forms"].items():
        app = modes.get("app", {})
        what = (f"server memory loading the full FER2013 as .{form} ({section['bytes'][form] / MB:,.0f} MB): upload held, "
                "saved and loaded as the app does; peak RSS of the process and its children")
        if "error" in app:
            rows.append(not_measured(what, app))
            continue
        worst = max(worst, app["tree_peak_sampled"])
        as_bytes = modes.get("bytes", {})
        rows.append(Row(
            what, f"{app['tree_peak_sampled'] / MB:,.0f} MB (imports {app['imported'] / MB:,.0f}, upload held "
                  f"{app['upload_held'] / MB:,.0f}, after {app['after'] / MB:,.0f}); load {duration(app['seconds'])}",
            f"load_fer2013_bytes: {as_bytes['tree_peak_sampled'] / MB:,.0f} MB" if "tree_peak_sampled" in as_bytes else "—",
            "—", "≤ 900 MB", app["tree_peak_sampled"] <= 900 * MB))
    bomb = section.get("photo_bomb", {}).get("app", {})
    if "tree_peak_sampled" in bomb:
        rows.append(Row(
            f"server memory, a {section['photo_bomb']['file_bytes'] / MB:,.1f} MB zip whose one x.jpg inflates to 1.9 GB "
            "(issue 26): RSS after imports → peak",
            f"{bomb['imported'] / MB:,.0f} → {bomb['tree_peak_sampled'] / MB:,.0f} MB; {bomb['outcome'][:140]}",
            "—", "—", "≤ 1 GB above idle", bomb["tree_peak_sampled"] - bomb["imported"] <= 1000 * MB))
    job = section.get("job", {})
    if "job_process" in job:
        child, process = job["parse_child"], job["job_process"]
        rows.append(Row(
            "training job's data step on the .csv.gz (TensorFlow loaded, the parsing child included), peak RSS; "
            "plus the worst server peak above",
            f"{process['tree_peak_sampled'] / MB:,.0f} MB (parsing child alone {child['own_peak'] / MB:,.0f} MB); "
            f"with the server: {(process['tree_peak_sampled'] + worst) / MB:,.0f} MB",
            "—", "—", "≤ 2.2 GB with the job's training (next row)", None))
    training = section.get("training_job", {})
    if "tree_peak_sampled" in training:
        peak = max(training["tree_peak_sampled"], training.get("own_peak") or 0)
        phases = ", ".join(f"{phase} {rss / MB:,.0f}" for phase, rss in training["by_phase"].items())
        rows.append(Row(
            f"the default training job ({training['arch']}, balance {training['balance']}, {training['precision']}) "
            f"started as the Train page starts it, {training['epochs']} epoch on the .csv.gz ({training['train_faces']:,} "
            "training faces) through validation, export and scoring: peak RSS of the job and its children, every 0.5 s; "
            "plus the worst server peak above",
            f"{peak / MB:,.0f} MB (own ru_maxrss {(training.get('own_peak') or 0) / MB:,.0f}; by phase: {phases}); "
            f"with the server: {(peak + worst) / MB:,.0f} MB",
            "—", "—", "server + job ≤ 2.2 GB", peak + worst <= 2200 * MB))
    return rows


def load_memory_details(section: dict) -> list[str]:
    if "forms" not in section:
        return []
    return ["- " + method("load_memory")]
