"""The Train page's estimate before Start against the job it describes."""

from __future__ import annotations

from .format import Row, duration, not_measured


def estimate_rows(section: dict | None) -> list[Row]:
    """Issue 21's target: the Train page's estimate before Start within ±25% of the job it describes."""
    if not section or "jobs" not in section:
        return [not_measured("estimate before Start vs the real job", section)] if section else []
    rows = []
    for job in section["jobs"]:
        what = f"estimate before Start vs launch → scored model: {job['name']}"
        if job.get("error") or job.get("estimate_seconds") is None:
            rows.append(not_measured(what, {"error": " ".join(job.get("error") or ["no estimate"])}))
            continue
        ours = (f"estimate {duration(job['estimate_seconds'])}, actual {duration(job['actual_seconds'])} "
                f"(load average {job['load_average_before']:.1f} → {job['load_average_after']:.1f}, other processes "
                f"{job['other_cpu_share']:.1f} cores)")
        rows.append(Row(what, ours, "—", f"{job['ratio']:.2f}×", "within ±25%", job["within_tolerance"]))
    return rows


def estimate_details(section: dict) -> list[str]:
    if "jobs" not in section:
        return []
    from bench.estimates import __doc__ as how

    lines = [f"- **Estimates before Start.** {' '.join(how.split(chr(10), 2)[-1].split())} CPU: {section['cpu']}."]
    for job in section["jobs"]:
        if job.get("error") or job.get("estimate_seconds") is None:
            continue
        extra = (f"; its 30-epoch estimate {duration(job['estimate_30_epochs_seconds'])}"
                 if job.get("estimate_30_epochs_seconds") else "")
        lines.append(f"  - {job['name']}: {job['train_faces']:,} training faces, {job['epochs']} epochs; estimate "
                     f"{duration(job['estimate_seconds'])} ({job['basis']}; timing it took "
                     f"{duration(job['calibration_seconds'])}){extra}; actual {duration(job['actual_seconds'])}: process start "
                     f"{duration(job['startup_seconds'])}, epochs {duration(job['epochs_seconds'])} (first epochs "
                     f"{', '.join(map(str, job['seconds_per_epoch']))} s), the rest (loading, features or teacher, "
                     f"export and scoring) {duration(job['other_than_epochs_seconds'])}.")
    return lines
