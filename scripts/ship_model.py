"""Copy a finished run's model into models/ as the shipped model: weights without optimizer state (smaller), its
LiteRT export and its card, with the command that reproduces it.

    python scripts/ship_model.py runs/RUN --name fer_studio [--reproduce "python -m fer_core train …"] [--note "…"]
        [--data PATH]

A run trained where LiteRT is unavailable (a GPU machine on Keras's JAX backend) has no .tflite and was scored by
Keras: --data exports it here and scores it as the app serves it, on that data's test split, before it ships.
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
from fer_core.data.dataset import load_fer2013  # noqa: E402
from fer_core.prediction.face_classifier import export_litert  # noqa: E402
from fer_core.prediction.model_contract import info_path, litert_path  # noqa: E402
from fer_core.training.model_card import kept_start_card
from fer_core.training.publishing import score_as_served  # noqa: E402
from fer_core.training.runs import TrainingRun  # noqa: E402

MODELS = Path(__file__).resolve().parent.parent / "models"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--name", default="fer_studio")
    parser.add_argument("--reproduce", help="the command that reproduces it (default: the one on the run's card)")
    parser.add_argument("--note", default="")
    parser.add_argument("--data", help="export and score the model as served on this data's test split (see above)")
    args = parser.parse_args()
    run = TrainingRun(Path(args.run))
    if run.model_path is None:
        raise SystemExit(f"{run.path} has no finished model")
    target = MODELS / f"{args.name}.keras"
    card = json.loads(info_path(run.model_path).read_text())  # the card first: it reads the model it may replace
    card["card"]["reproduce"] = args.reproduce or card["card"].get("reproduce") or card["card"].get("command", "")
    card["card"]["run"] = run.name
    status = run.status_record  # launch to scored model, everything included: what the user waits
    if status.get("started_at") and status.get("ended_at"):
        card["card"]["wall_clock_seconds"] = status["ended_at"] - status["started_at"]
    start = _start_card(run, card["card"])
    card["card"]["epoch_history"] = _earlier_history(card["card"], start) + _history(run, offset=_earlier_epochs(card["card"]))
    if start.get("run"):  # name the start model by its run: the shipped file may be replaced by this one
        card["card"]["initialised_from"] = f"runs/{start['run']}/model.keras"
    if args.note:
        card["card"]["note"] = args.note
    model = keras.saving.load_model(run.model_path, compile=False)  # no optimizer state: a third of the size
    if card["card"].get("evaluation", {}).get("runtime") != "LiteRT":
        if not args.data:
            raise SystemExit(f"{run.path} was not scored as served (no LiteRT export): pass --data to export and score it")
        card["card"]["evaluation"] = _score_as_served(run, model, card, args.data)
    write_atomically(target, lambda tmp: model.save(tmp))
    shutil.copyfile(litert_path(run.model_path), litert_path(target))
    write_json_atomically(info_path(target), card)
    print(f"shipped {target} ({target.stat().st_size / 1e6:.1f} MB) and {litert_path(target).name}")


def _score_as_served(run: TrainingRun, model, card: dict, data: str) -> dict:
    """Export the run's LiteRT model if it has none, score it as served on the test split, record that in the run."""
    if not litert_path(run.model_path).exists():
        export_litert(run.model_path)
    evaluation = score_as_served(run, run.model_path, model, load_fer2013(data), card["contract"]["tta"])
    print(f"as served: test accuracy {evaluation['accuracy']:.2%}, top-3 {evaluation['top3_accuracy']:.2%}, "
          f"macro F1 {evaluation['macro_f1']:.3f} (Keras {evaluation['keras_accuracy']:.2%})")
    return evaluation


HISTORY_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate",
                "seconds_per_batch")  # the last: the Train page's time estimate on the same CPU


def _history(run: TrainingRun, offset: int) -> list[dict]:
    return [{**{k: row[k] for k in HISTORY_KEYS if k in row}, "epoch": row["epoch"] + offset} for row in run.epochs()]


def _start_card(run: TrainingRun, card: dict) -> dict:
    """The card of the model a run was initialised from, as the run kept it when it began."""
    start = card.get("initialised_from")
    if not start:
        return {}
    return kept_start_card(run, Path(start) if Path(start).is_absolute() else MODELS.parent / start)


def _earlier_history(card: dict, start: dict) -> list[dict]:
    """A model trained on from another one (whose card is `start`): its curve starts with that model's epochs."""
    if start and start.get("epochs_completed") != _earlier_epochs(card):
        raise SystemExit(f"{card['initialised_from']} is no longer the model this run started from (was it shipped over?)")
    return start.get("epoch_history", [])


def _earlier_epochs(card: dict) -> int:
    return sum(stage["epochs"] for stage in card.get("stages", [])[:-1])


if __name__ == "__main__":
    main()
