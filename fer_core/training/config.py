"""What a training job is asked to do, and the one home of its defaults: the Train page, the CLI and the benchmark
all read them from TrainingConfig. Light on purpose: the app builds and checks it without loading TensorFlow."""

from __future__ import annotations

import dataclasses
import functools
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..data.balance import BALANCE_METHODS
from ..errors import FERError
from ..shipped_models import SHIPPED_MODEL
from .architectures import ARCHITECTURES, DEFAULT_ARCHITECTURE
from .devices import parse_devices
from .transfer import TRANSFER_CHOICES

# "auto" is bfloat16 maths where the CPU does them in hardware and float32 elsewhere (where bfloat16 is slower);
# mixed_bfloat16 keeps float32 weights, and the saved model is float32 whatever trained it.
PRECISIONS = ("auto", "float32", "mixed_bfloat16")

# The shipped model (SHIPPED_MODEL) teaches the default job (knowledge distillation): its probabilities for each
# training face, computed once, soften the one-hot labels. See fer_core/training/distillation.py.

# Fields added after runs were first recorded: a config.json without them trained as these say, so a resume or a
# card's command reproduces what ran, not today's defaults.
FIELDS_OF_OLDER_RUNS = {"weight_decay": 0.0, "distill_from": None, "warmup": False, "transfer": "off",
                        "random_erasing": 0.0, "devices": 1}


def resolve_precision(precision: str) -> str:
    """The Keras dtype policy a job trains with: "auto" becomes mixed_bfloat16 only where the CPU has bfloat16."""
    if precision == "auto":
        return "mixed_bfloat16" if cpu_has_bfloat16() else "float32"
    return precision


CPU_FLAGS_THAT_MATTER = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")


@functools.cache
def _cpu_model_and_flags() -> tuple[str, frozenset[str]] | None:
    """The CPU's model name and flags, read once (the Train page asks on every run); None where /proc says nothing."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "CPU")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    return model, frozenset(flags)


def cpu_description() -> str:
    """The CPU's model and the vector instructions that set training speed, e.g. "AMD EPYC (avx2, fma, avx512_bf16)":
    a model card's seconds mean little without it."""
    cpu = _cpu_model_and_flags()
    if cpu is None:
        return "unknown CPU"
    model, flags = cpu
    return f"{model} ({', '.join(flag for flag in CPU_FLAGS_THAT_MATTER if flag in flags) or 'no AVX2'})"


def cpu_model() -> str:
    """The CPU's model name, e.g. "AMD EPYC"."""
    cpu = _cpu_model_and_flags()
    return cpu[0] if cpu else "unknown CPU"


def cpu_has_bfloat16() -> bool:
    """Whether this CPU does bfloat16 maths in hardware (AVX512-BF16 or AMX); elsewhere mixed_bfloat16 is slower."""
    cpu = _cpu_model_and_flags()
    return cpu is not None and bool({"avx512_bf16", "amx_bf16"} & cpu[1])


@dataclass
class TrainingConfig:
    """The defaults are the default job: 30 epochs of fer_fast, as the notebook trained for 30, that finish on 2 CPU
    cores in minutes (docs/training_on_cpu.md has the measurements behind each choice)."""

    data: str
    arch: str = DEFAULT_ARCHITECTURE
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 5e-4  # AdamW's decoupled weight decay; 0 is plain Adam
    warmup: bool = True  # a linear warm-up over the first 1/15 of the epochs, before the cosine decay
    balance: str = "none"
    augment: bool = True
    random_erasing: float = 0.0  # the share of augmented faces that get a rectangle of noise (augment.py)
    seed: int = 0
    skip_bad_rows: bool = False
    precision: str = "auto"
    init_from: str | None = None  # a .keras model of the same architecture whose weights training starts from
    distill_from: str | None = str(SHIPPED_MODEL)  # a model whose probabilities soften the labels; None: labels only
    # Start from a trained model's features (transfer.py): "auto" does for data whose classes are not FER2013's.
    transfer: str = "auto"
    transfer_base: str = str(SHIPPED_MODEL)
    # "all" or a count: data-parallel on JAX (devices.py); batch_size stays the global batch, whatever the count.
    devices: int | str = 1

    def check(self) -> TrainingConfig:
        if self.arch not in ARCHITECTURES:
            raise FERError(f"Unknown architecture {self.arch!r}: choose one of {', '.join(ARCHITECTURES)}.")
        if self.balance not in BALANCE_METHODS:
            raise FERError(f"Unknown balancing {self.balance!r}: choose one of {', '.join(BALANCE_METHODS)}.")
        if self.precision not in PRECISIONS:
            raise FERError(f"Unknown precision {self.precision!r}: choose one of {', '.join(PRECISIONS)}.")
        if self.transfer not in TRANSFER_CHOICES:
            raise FERError(f"Unknown transfer choice {self.transfer!r}: choose one of {', '.join(TRANSFER_CHOICES)}.")
        if self.transfer != "off" and not Path(self.transfer_base).is_file():
            raise FERError(f"The model to start from, {self.transfer_base}, does not exist; train from scratch "
                           "(--transfer off).")
        if self.init_from is not None and not Path(self.init_from).is_file():
            raise FERError(f"The model to start from, {self.init_from}, does not exist.")
        if self.distill_from is not None and not Path(self.distill_from).is_file():
            raise FERError(f"The teacher model, {self.distill_from}, does not exist; train without one (--no-distill).")
        if not 1 <= self.epochs <= 500:
            raise FERError(f"Epochs must be between 1 and 500, not {self.epochs}.")
        if not 1 <= self.batch_size <= 4096:
            raise FERError(f"Batch size must be between 1 and 4096, not {self.batch_size}.")
        if not 0 < self.learning_rate <= 1:
            raise FERError(f"The learning rate must be above 0 and at most 1, not {self.learning_rate}.")
        if not 0 <= self.weight_decay < 1:
            raise FERError(f"The weight decay must be at least 0 and below 1, not {self.weight_decay}.")
        if not 0 <= self.random_erasing <= 1:
            raise FERError(f"Random erasing is a share of faces, from 0 to 1, not {self.random_erasing}.")
        self.devices = parse_devices(self.devices)
        return self

    @property
    def run_name(self) -> str:
        """What a run folder is named after: the architecture, or "transfer" for a new head on a trained model."""
        return "transfer" if self.transfer in ("head", "head_and_last_block") else self.arch

    @property
    def served_tta(self) -> str:
        """The test-time views its model is scored and served with: like the augmented faces it learnt from."""
        return "flip_zoom" if self.augment else "none"

    def command_line(self) -> str:
        """The `python -m fer_core train` command that asks for this very job: the data and every setting that
        differs from the defaults (a job started from the Train page gets one too, for its card)."""
        parts = ["python -m fer_core train", "--data", shlex.quote(self.data)]
        defaults = TrainingConfig.defaults()
        for field in dataclasses.fields(self):
            value, default = getattr(self, field.name), getattr(defaults, field.name)
            if field.name == "data" or value == default:
                continue
            if field.name == "augment":
                parts.append("--no-augment")
            elif field.name == "warmup":
                parts.append("--no-warmup")
            elif field.name == "skip_bad_rows":
                parts.append("--skip-bad-rows")
            elif field.name == "transfer" and value == "off":
                parts.append("--from-scratch")
            elif field.name == "distill_from" and value is None:
                parts.append("--no-distill")
            else:
                parts += ["--" + field.name.replace("_", "-"), shlex.quote(str(value))]
        return " ".join(parts)

    @classmethod
    def defaults(cls) -> TrainingConfig:
        """The default job, without data: what the Train page, the CLI and the benchmark start from."""
        return cls(data="")

    @classmethod
    def from_dict(cls, data: dict) -> TrainingConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{**FIELDS_OF_OLDER_RUNS, **{k: v for k, v in data.items() if k in names}}).check()
