"""The parse section: FER2013's CSV parsed cold and from the cache, against pandas and a loop."""

from __future__ import annotations

from .format import Row, duration, faster, n_of, not_measured


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
        f"- **Parse.** Cold: `fer_core.load_fer2013(path, cache=False)`, {parse['cold']['n']} calls after a first one "
        f"({duration(parse['first_call_seconds'])}, which also loads the compiled pixel kernel; importing fer_core took "
        f"{duration(parse['import_fer_core_seconds'])}). Cached: `load_fer2013(path)` with FER_CACHE_DIR in a fresh temporary "
        f"folder, once to fill the cache ({duration(parse['cache_fill']['median'])}), then {parse['cached']['n']} reloads; "
        f"reading the file and hashing it for the cache key is {duration(parse['cached_read_and_sha1_seconds'])} of each reload. "
        f"Baseline: `pd.read_csv`, then `np.array(s.split(), dtype='float32').reshape(48, 48)` per row, "
        f"{parse['baseline']['n']} runs. Same pixels and labels as the notebook's: {parse['pixels_match_notebook']}; "
        f"cached reload identical: {parse['cached_matches']}.",
        f"  - Cold parse by stage (median of 3): {stages}.",
    ]
