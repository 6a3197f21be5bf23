"""A user's own classes from tens of photos each, trained where the app runs."""

from __future__ import annotations

from .format import MB, Row, duration, not_measured


def own_classes_rows(section: dict | None) -> list[Row]:
    """Issue 15's target: a user's own classes from tens of photos each, trained where the app runs."""
    if not section or "jobs" not in section:
        return [not_measured("your own classes, 3 × 20 photos, transfer learning", section)] if section else []
    rows = []
    photos = f"{len(section['classes'])} classes × {section['photos'] // len(section['classes'])} photos"
    for name, job in section["jobs"].items():
        what = f"own classes ({photos}), `fer_core train --data FOLDER`: {name}, launch → scored model"
        if "error" in job:
            rows.append(not_measured(what, job))
            continue
        flagged = (job.get("chance_level") or {}).get("flagged")
        ours = (f"{duration(job['wall_seconds'])}; held-out accuracy {job['held_out_accuracy']:.1%} on "
                f"{section['held_out_faces']} faces (test split {job['accuracy']:.0%} of {job['test_faces']})"
                + (" — flagged as no better than chance" if flagged else ""))
        is_default = name.startswith("default")
        rows.append(Row(what, ours, "chance: 33.3%", "—", "< 1 min on 2 cores" if is_default else "—",
                        job["wall_seconds"] < 60 if is_default else None))
    return rows


def own_classes_details(section: dict) -> list[str]:
    if "jobs" not in section:
        return []
    from bench.own_classes import __doc__ as how

    skipped = section.get("photos_without_face") or []
    lines = [f"- **Your own classes.** {' '.join(how.split(chr(10), 2)[-1].split())} CPU: {section.get('cpu', '?')}. "
             f"Loading the folder (face detection in {section['photos']} photos): {duration(section['load_seconds'])}; "
             f"faces found in {section['faces_found']} of {section['photos']}"
             + (f"; no face found in {', '.join(skipped[:5])}" + (" …" if len(skipped) > 5 else "") if skipped else "")
             + "."]
    for name, job in section["jobs"].items():
        if "error" not in job:
            lines.append(f"  - {name}: {job['architecture']}, {job['train_faces']} training faces, "
                         f"{duration(job['train_seconds'] or 0)} in epochs, peak RSS "
                         f"{(job.get('peak_rss_bytes') or 0) / MB:,.0f} MB. Run: {job['run']}.")
    return lines
