"""What a training job is asked to do. Light on purpose: the app builds and checks it without loading TensorFlow."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .balance import BALANCE_METHODS
from .errors import FERError
from .models import ARCHITECTURES, DEFAULT_ARCHITECTURE

# float32, or Keras's mixed_bfloat16 (bfloat16 maths, float32 weights): about 1.4× faster on CPUs with AVX512-BF16.
PRECISIONS = ("float32", "mixed_bfloat16")


def cpu_has_bfloat16() -> bool:
    """Whether this CPU does bfloat16 maths in hardware (AVX512-BF16 or AMX); elsewhere mixed_bfloat16 is slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@dataclass
class TrainingConfig:
    data: str
    arch: str = DEFAULT_ARCHITECTURE
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-3
    balance: str = "oversample"
    augment: bool = True
    seed: int = 0
    skip_bad_rows: bool = False
    precision: str = "float32"
    init_from: str | None = None  # a .keras model of the same architecture whose weights training starts from

    def check(self) -> "TrainingConfig":
        if self.arch not in ARCHITECTURES:
            raise FERError(f"Unknown architecture {self.arch!r}: choose one of {', '.join(ARCHITECTURES)}.")
        if self.balance not in BALANCE_METHODS:
            raise FERError(f"Unknown balancing {self.balance!r}: choose one of {', '.join(BALANCE_METHODS)}.")
        if self.precision not in PRECISIONS:
            raise FERError(f"Unknown precision {self.precision!r}: choose one of {', '.join(PRECISIONS)}.")
        if self.init_from is not None and not Path(self.init_from).is_file():
            raise FERError(f"The model to start from, {self.init_from}, does not exist.")
        if not 1 <= self.epochs <= 500:
            raise FERError(f"Epochs must be between 1 and 500, not {self.epochs}.")
        if not 1 <= self.batch_size <= 4096:
            raise FERError(f"Batch size must be between 1 and 4096, not {self.batch_size}.")
        if not 0 < self.learning_rate <= 1:
            raise FERError(f"The learning rate must be above 0 and at most 1, not {self.learning_rate}.")
        return self

    @classmethod
    def from_dict(cls, data: dict) -> "TrainingConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names}).check()
