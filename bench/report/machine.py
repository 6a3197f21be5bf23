"""What the figures were measured on, and when each section ran beside what else."""

from __future__ import annotations


def machine_block(machine: dict) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    busy = "; ".join(machine["other_busy_processes_at_start"]) or "none"
    extensions = ", ".join(machine["cpu_extensions"]) or "no AVX2"
    identity = f"family {machine['cpu_family']} model {machine['cpu_model_number']}; {extensions}"
    return "\n".join([
        f"- CPU: {machine['cpu']} ({identity}), {machine['cores']} cores; RAM {machine['memory_gib']} GiB; {machine['os']}",
        f"- Python {machine['python']}; {packages}",
        f"- Browser: {machine['browser']}",
        f"- Date: {machine['date']}; load average at start {' '.join(f'{load:.2f}' for load in machine['load_average_at_start'])}; "
        f"other busy processes at start: {busy}",
    ])


def section_block(sections: dict) -> str:
    lines = []
    for name, section in sections.items():
        busy = ("; ".join(section["busy_at_start"]) or "none") if "busy_at_start" in section else "not recorded"
        share = section.get("other_cpu_share")
        others = (f"; other processes used {share:.0%} of a core on average while it ran"
                  + (" (**figures disturbed**)" if share > 0.1 else "") if share is not None else "")
        lines.append(f"- `{name}`: measured {section.get('measured_at', '?')}, took {section.get('section_seconds', 0):.0f} s; "
                     f"other busy processes when it started: {busy}{others}")
    return "\n".join(lines)
