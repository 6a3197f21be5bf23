"""The network architectures, one file each in this folder, found by name: adding an architecture is adding a file
that builds it and registers it with its label and description, which the Train page, the CLI and the bench show.

    @register_architecture("my_cnn", label="my_cnn: …", description="…")
    def build_my_cnn(num_classes: int): ...   # a keras.Model named "my_cnn"

Every model takes float32 grey levels 0–255 shaped (48, 48, 1), rescales them itself, and ends in a float32
softmax over `num_classes` classes (float32 even when the rest runs in bfloat16, so the loss sees exact
probabilities). Importing this package is light: builders import Keras only when they build."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from ...data.fer2013 import IMAGE_SIZE, NUM_CLASSES
from ...errors import FERError

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
DEFAULT_ARCHITECTURE = "fer_fast"


@dataclass(frozen=True)
class Architecture:
    name: str
    label: str  # one line, for a menu
    description: str  # when to choose it
    build: Callable  # build(num_classes) -> keras.Model named `name`
    order: int = 100  # place in menus: the default first, then the rest


_REGISTERED: dict[str, Architecture] = {}


def register_architecture(name: str, label: str, description: str = "", order: int = 100):
    def register(build):
        _REGISTERED[name] = Architecture(name, label, description, build, order)
        return build

    return register


def _discover() -> dict[str, Architecture]:
    """Every module in this folder, imported once (a file added while the app runs is found on the next look)."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(_REGISTERED.items(), key=lambda item: (item[1].order, item[0])))


class _Registry(Mapping):
    """name -> Architecture, looked up afresh each time, so an architecture's file is all it takes."""

    def __getitem__(self, name: str) -> Architecture:
        return _discover()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_discover())

    def __len__(self) -> int:
        return len(_discover())


ARCHITECTURES: Mapping[str, Architecture] = _Registry()


def build_model(name: str = DEFAULT_ARCHITECTURE, num_classes: int = NUM_CLASSES):
    if name not in ARCHITECTURES:
        raise FERError(f"Unknown architecture {name!r}: choose one of {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[name].build(num_classes)
