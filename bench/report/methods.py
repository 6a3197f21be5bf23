"""The methods' prose, kept in bench/methods.md (words there, figures here): one paragraph per `## heading`."""

from __future__ import annotations

import functools
from pathlib import Path

METHODS = Path(__file__).resolve().parent.parent / "methods.md"


@functools.cache
def _paragraphs() -> dict[str, str]:
    paragraphs, heading = {}, None
    for line in METHODS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            paragraphs[heading] = []
        elif heading is not None and line.strip():
            paragraphs[heading].append(line.strip())
    return {name: " ".join(lines) for name, lines in paragraphs.items()}


def method(heading: str, **figures) -> str:
    """The paragraph under `## heading` in bench/methods.md, on one line, its {names} filled with the figures."""
    return _paragraphs()[heading].format(**figures)
