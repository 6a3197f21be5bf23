"""bench/results.md from results.json alone: the machine, the results table (each figure beside its baseline from the
same run, the ratio, the target and whether it is met), then how each figure was measured. One module per section
writes its rows and its details; format.py writes figures and the table; methods.md holds the methods' prose."""

from __future__ import annotations

from . import (
    app,
    batch,
    cpu_training,
    estimates,
    face_framing,
    hosted,
    load_memory,
    own_classes,
    parse,
    prediction,
    training,
    video,
)
from .format import Row, table
from .machine import machine_block, section_block

# The table's order and the details' order (the estimates' details come last, after the face framing's).
ROWS = (("parse", parse.parse_rows), ("cpu_training", cpu_training.cpu_training_rows),
        ("training", training.training_rows), ("prediction", prediction.prediction_rows), ("app", app.app_rows),
        ("video", video.video_rows), ("hosted", hosted.hosted_rows), ("own_classes", own_classes.own_classes_rows),
        ("estimates", estimates.estimate_rows), ("load_memory", load_memory.load_memory_rows),
        ("face_framing", face_framing.face_framing_rows), ("batch", batch.batch_rows))
DETAILS = (("parse", parse.parse_details), ("cpu_training", cpu_training.cpu_training_details),
           ("training", training.training_details), ("prediction", prediction.prediction_details),
           ("app", app.app_details), ("video", video.video_details), ("hosted", hosted.hosted_details),
           ("own_classes", own_classes.own_classes_details), ("load_memory", load_memory.load_memory_details),
           ("face_framing", face_framing.face_framing_details), ("estimates", estimates.estimate_details),
           ("batch", batch.batch_details))


def build_rows(results: dict) -> list[Row]:
    sections = results.get("sections", {})
    return [row for name, rows in ROWS for row in rows(sections.get(name))]


def details(results: dict) -> str:
    sections = results.get("sections", {})
    lines = ["## How each figure was measured, and where the time goes", ""]
    for name, describe in DETAILS:
        section = sections.get(name)
        if section is None:
            continue
        if "error" in section or "skipped" in section:
            lines.append(f"- **{name}**: not measured. {(section.get('error') or section.get('skipped'))}")
            continue
        lines += describe(section)
    return "\n".join(lines)


def results_markdown(results: dict, quick: bool) -> str:
    """The whole of results.md for one results.json."""
    return "\n\n".join([
        "# FER Studio benchmarks" + (" (quick mode: tiny inputs, not for judging targets)" if quick else ""),
        f"Command: `{results['command']}` (data: `{results['data']}`, {results['data_rows']}).",
        "## Machine\n\n" + machine_block(results["machine"]) + "\n" + section_block(results["sections"]),
        "## Results\n\nEvery figure is a median of n runs; its baseline was measured in the same run of the suite, "
        "on the same machine.\n\n" + table(build_rows(results), quick),
        details(results),
    ]) + "\n"
