"""The models that ship with FER Studio (the repository's models/ folder, or the wheel's copy of it): which file is
which, said once for the library, the CLI, the app and the bench."""

from __future__ import annotations

from .shipped_files import shipped_path

MODELS_DIR = shipped_path("models")
SHIPPED_MODEL = MODELS_DIR / "fer_studio.keras"  # the default for prediction, distillation and transfer
SEED_MODEL = MODELS_DIR / "seed_cnn.keras"  # the notebook's recipe, shipped to compare with
SEED_CARD = SEED_MODEL.with_suffix(".json")
