"""Hosted mode: a rebooted host's cold start and the server's memory under hostile uploads."""

from __future__ import annotations

from .format import MB, Row, duration, faster, n_of, not_measured
from .methods import method


def hosted_rows(hosted: dict | None) -> list[Row]:
    if not hosted or "cold_start" not in hosted:
        return [not_measured("hosted mode: cold start and server memory under hostile uploads", hosted)]
    start = hosted["cold_start"]["ready_to_page"]
    numpy_parse, numba_parse = hosted["first_parse_numpy"], hosted["first_parse_numba"]
    rows = [Row("cold start of a rebooted host (empty caches): server ready → Home shows the built-in sample",
                duration(start["median"]) + n_of(start), "—", "—", "≤ 3 s", start["median"] <= 3),
            Row("first parse of the built-in sample in a fresh process (import + parse, no cache)",
                f"{duration(numpy_parse['seconds'])}; numba loaded: {numpy_parse['numba_loaded']}",
                f"numba kernel compiled on first use: {duration(numba_parse['seconds'])}",
                faster(numba_parse["seconds"], numpy_parse["seconds"]), "no compile step", not numpy_parse["numba_loaded"])]
    for label, result in hosted["hostile"].items():
        ours = result["budget"]
        growth = ours["peak"] - ours["before"]
        baseline = result.get("no_budget")
        rows.append(Row(
            f"server memory, {label} ({result['bytes'] / MB:,.1f} MB): RSS before → peak → after",
            f"{ours['before'] / MB:.0f} → {ours['peak'] / MB:.0f} → {ours['after'] / MB:.0f} MB "
            f"(+{growth / MB:.0f} MB at the peak)",
            f"no budget: peak {baseline['peak'] / MB:,.0f} MB, after {baseline['after'] / MB:,.0f} MB" if baseline else "—",
            f"{(baseline['peak'] - baseline['before']) / max(growth, 1):.0f}× less growth" if baseline else "—",
            "bounded", ours["peak"] - ours["before"] <= 1000 * MB))
    return rows


def hosted_details(hosted: dict) -> list[str]:
    lines = ["- " + method("hosted", launch_to_ready=duration(hosted["cold_start"]["launch_to_ready"]["median"])),
             "  - " + method("hosted, memory")]
    for label, result in hosted["hostile"].items():
        for key, name in (("budget", "with the budget"), ("no_budget", "without a budget")):
            if key in result:
                r = result[key]
                lines.append(f"  - {label}, {name}: {duration(r['seconds'])}; {r['outcome'][:200]}")
    return lines
