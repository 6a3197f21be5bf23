"""Batch analysis from the command line: a folder of photos or clips into one table."""

from __future__ import annotations

from .format import MB, Row, duration, not_measured


def batch_rows(section: dict | None) -> list[Row]:
    if not section or "table_workers_1" not in section:
        return [not_measured("batch predict, a folder of photos into one table", section)] if section else []
    cores = section["cores"]
    one = section["one_process_per_photo_seconds"]["median"]
    single, spread = section["table_workers_1"], section[f"table_workers_{cores}"]
    what = f"`predict FOLDER --table`, {section['photos']:,} photos of 640×480"
    rows = [
        Row(f"{what}, one worker per core ({cores})",
            f"{spread['photos_per_second']:.1f} photos/s ({duration(spread['seconds'])})",
            f"`predict PHOTO` once per photo: {1 / one:.2f} photos/s", f"{spread['photos_per_second'] * one:.1f}×",
            "≥ 2× the one-process rate", spread["photos_per_second"] * one >= 2),
        Row(f"{what}, one worker", f"{single['photos_per_second']:.1f} photos/s ({duration(single['seconds'])})",
            f"{cores} workers: {spread['photos_per_second']:.1f} photos/s",
            f"{spread['photos_per_second'] / single['photos_per_second']:.2f}× with {cores}"),
        Row(f"{what}: process tree RSS, first vs last quarter of the run",
            f"{spread['rss_first_quarter_bytes'] / MB:,.0f} → {spread['rss_last_quarter_bytes'] / MB:,.0f} MB "
            f"(peak {spread['peak_rss_bytes'] / MB:,.0f} MB)", "—", "—", "flat (last ≤ 1.1 × first)",
            spread["rss_last_quarter_bytes"] <= 1.1 * spread["rss_first_quarter_bytes"]),
    ]
    clips = section.get("clips")
    if clips:
        ok = clips["same_rows"] and clips["duplicated_rows"] == 0 and clips["resumed_rc"] == 0
        rows.append(Row(f"`video FOLDER --table`, {clips['clips']} clips, SIGKILL after "
                        f"{clips['finished_when_killed']} then `--resume`",
                        f"{clips['rows_resumed']:,} rows, {clips['duplicated_rows']} duplicated",
                        f"run not killed: {clips['rows_whole']:,} rows", "same rows" if clips["same_rows"] else
                        "rows differ", "no row lost or twice", ok))
    return rows


def batch_details(section: dict) -> list[str]:
    if "table_workers_1" not in section:
        return []
    from bench.batch import __doc__ as how

    cores = section["cores"]
    spread = section[f"table_workers_{cores}"]
    return [f"- **Batch analysis.** {' '.join(how.split())} Its last line: \"{spread['last_line']}\"."]
