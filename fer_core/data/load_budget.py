"""How much one load of FER2013 may hold in memory, checked before the work: the header's length, its number of
columns, and the number of rows × 2304 bytes (one 48×48 face each). A file over the budget is refused with a
sentence naming the limit, so whatever a visitor uploads, the server's memory stays bounded."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DataError
from ..settings import DEFAULT_MAX_LOAD_MB
from .fer2013 import PIXELS_PER_IMAGE

FER2013_FACES = 35_887
# FER2013's header (`emotion,pixels,Usage`) is 20 bytes and has 3 columns; Kaggle's variants are alike.
MAX_HEADER_BYTES = 1024
MAX_COLUMNS = 16
# A row is at most 2304 × "255 " plus a label and a usage: a file with more text than its rows can hold is not FER.
MAX_ROW_TEXT_BYTES = 4 * PIXELS_PER_IMAGE + 64


@dataclass(frozen=True)
class LoadBudget:
    max_mb: int = DEFAULT_MAX_LOAD_MB

    @property
    def max_faces(self) -> int:
        return self.max_mb * 1_000_000 // PIXELS_PER_IMAGE

    @property
    def max_text_bytes(self) -> int:
        return self.max_faces * MAX_ROW_TEXT_BYTES + MAX_HEADER_BYTES

    def check_rows(self, rows: int, name: str, exact: bool = True) -> None:
        """Refuse `rows` faces (at least that many when not `exact`) above the budget."""
        if rows > self.max_faces:
            count = f"{rows:,}" if exact else f"more than {self.max_faces:,}"
            raise DataError(f"{name} holds {count} faces; this server loads at most {self.max_faces:,} at once "
                            f"({self.max_mb:,} MB of 48×48 faces; FER2013 has {FER2013_FACES:,}).")

    def check_text(self, n_bytes: int, name: str) -> None:
        if n_bytes > self.max_text_bytes:
            raise DataError(f"{name} holds more than {self.max_text_bytes / 1e6:,.0f} MB of text, more than "
                            f"{self.max_faces:,} faces take; this server loads at most that many at once "
                            f"({self.max_mb:,} MB of 48×48 faces).")

    def check_header(self, raw: bytes, name: str) -> None:
        """Refuse a first line too long, or with too many columns, to be FER2013's header, before any parsing."""
        end = raw.find(b"\n")
        end = len(raw) if end == -1 else end
        self.check_columns(raw.count(b",", 0, end) + 1, name)
        if end > MAX_HEADER_BYTES:
            raise DataError(f"{name}'s first line is longer than {MAX_HEADER_BYTES:,} bytes, so it is not a FER2013 "
                            "header (emotion,pixels,Usage); the file was not read further.")

    def check_columns(self, columns: int, name: str) -> None:
        if columns > MAX_COLUMNS:
            raise DataError(f"{name}'s header has {columns:,} columns; FER2013 has 3 (emotion, pixels, Usage) and this "
                            f"server reads at most {MAX_COLUMNS}.")
