"""The parse section: FER2013's CSV parsed cold and from the cache, against pandas and a loop."""

from __future__ import annotations

from .format import Row, duration, faster, n_of, not_measured
from .methods import method


def parse_rows(parse: dict | None) -> list[Row]:
    if not parse or "cold" not in parse:
        return [not_measured("parse the full CSV", parse)]
    rows_label = f"{parse['rows']:,} rows"
    baseline = parse["baseline"]
    cold, cached = parse["cold"], parse["cached"]
    return [
        Row(f"parse the CSV ({rows_label}), cold: `load_fer2013(path, cache=False)`",
            duration(cold["median"]) + n_of(cold), duration(baseline["median"]) + n_of(baseline),
            faster(baseline["median"], cold["median"]), "≤ 2 s and ≥ 10× faster",
            cold["median"] <= 2 and baseline["median"] / cold["median"] >= 10),
        Row(f"parse the CSV ({rows_label}), cached reload: `load_fer2013(path)` again",
            duration(cached["median"]) + n_of(cached), duration(baseline["median"]) + n_of(baseline),
            faster(baseline["median"], cached["median"]), "≤ 0.3 s", cached["median"] <= 0.3),
    ]


def parse_details(parse: dict) -> list[str]:
    if "cold" not in parse:
        return []
    stages = ", ".join(f"{name} {duration(seconds) if isinstance(seconds, float) else seconds}"
                       for name, seconds in parse["cold_breakdown"].items())
    return [
        "- " + method("parse", cold_calls=parse["cold"]["n"], first_call=duration(parse["first_call_seconds"]),
                      import_fer_core=duration(parse["import_fer_core_seconds"]),
                      cache_fill=duration(parse["cache_fill"]["median"]), cached_calls=parse["cached"]["n"],
                      read_and_sha1=duration(parse["cached_read_and_sha1_seconds"]),
                      baseline_runs=parse["baseline"]["n"], pixels_match_notebook=parse["pixels_match_notebook"],
                      cached_matches=parse["cached_matches"]),
        f"  - Cold parse by stage (median of 3): {stages}.",
    ]
