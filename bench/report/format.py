"""How the report writes a figure and a table row: seconds, milliseconds, ratios, the results table."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1e6


@dataclass
class Row:
    what: str
    ours: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: bool | None = None  # None: no target, or not measured

    def verdict(self, quick: bool) -> str:
        if self.met is None:
            return "—"
        word = "met" if self.met else "**not met**"
        return f"quick: {word}" if quick else word


def duration(seconds: float) -> str:
    if seconds < 0.1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.001 else f"{seconds * 1000:.1f} ms"


def n_of(stats: dict) -> str:
    return f" (n={stats['n']})"


def faster(slow: float, fast: float) -> str:
    return f"{slow / fast:.1f}× faster" if fast > 0 else "—"


def not_measured(what: str, section: dict | None) -> Row:
    reason = (section or {}).get("error") or (section or {}).get("skipped") or "not run"
    return Row(what, f"not measured: {reason.splitlines()[-1][:160] if reason else ''}")


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def nth(n: int) -> str:
    return {1: "", 2: "other", 3: "third", 4: "fourth"}.get(n, f"{n}th")


def stage_text(stages: dict) -> str:
    parts = []
    for name, value in stages.items():
        if isinstance(value, float):
            parts.append(f"{name} {milliseconds(value) if value < 1 else duration(value)}")
        else:
            parts.append(f"{name} {value}")
    return ", ".join(parts)


def table(rows: list[Row], quick: bool) -> str:
    lines = ["| what | ours (median) | baseline, same run | ratio | target | met? |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row.what} | {row.ours} | {row.baseline} | {row.ratio} | {row.target} | {row.verdict(quick)} |")
    return "\n".join(lines)
