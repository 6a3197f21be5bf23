"""Copy a finished run's model into models/ as the shipped model: weights without optimizer state (smaller), its
LiteRT export and its card, with the command that reproduces it.

    python scripts/ship_model.py runs/RUN --name fer_studio --reproduce "python -m fer_core train …" [--note "…"]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, as a script

import keras  # noqa: E402

from fer_core.atomic import write_atomically, write_json_atomically  # noqa: E402
from fer_core.model_files import info_path, litert_path  # noqa: E402
from fer_core.runs import TrainingRun  # noqa: E402

MODELS = Path(__file__).resolve().parent.parent / "models"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--name", default="fer_studio")
    parser.add_argument("--reproduce", required=True)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    run = TrainingRun(Path(args.run))
    if run.model_path is None:
        raise SystemExit(f"{run.path} has no finished model")
    target = MODELS / f"{args.name}.keras"
    model = keras.saving.load_model(run.model_path, compile=False)  # no optimizer state: a third of the size
    write_atomically(target, lambda tmp: model.save(tmp))
    shutil.copyfile(litert_path(run.model_path), litert_path(target))
    card = json.loads(info_path(run.model_path).read_text())
    card["card"]["reproduce"] = args.reproduce
    card["card"]["run"] = run.name
    card["card"]["epoch_history"] = [
        {k: row[k] for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate")}
        for row in run.epochs()
    ]
    if args.note:
        card["card"]["note"] = args.note
    write_json_atomically(info_path(target), card)
    print(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB) and {litert_path(target).name}")


if __name__ == "__main__":
    main()
