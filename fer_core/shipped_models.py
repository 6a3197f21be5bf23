"""The models that ship in the repository's models/ folder: which file is which, said once for the library, the CLI,
the app and the bench."""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
SHIPPED_MODEL = MODELS_DIR / "fer_studio.keras"  # the default for prediction, distillation and transfer
SEED_MODEL = MODELS_DIR / "seed_cnn.keras"  # the notebook's recipe, shipped to compare with
SEED_CARD = SEED_MODEL.with_suffix(".json")
