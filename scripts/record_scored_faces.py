"""Say on each shipped model's card which faces its scores are on, so that the app compares two scores only when they
are on the same faces (fer_core.training.evaluation.same_faces), and add its score on other data it is shown with.

    python scripts/record_scored_faces.py --data ../shared/data/fer2013/fer2013.csv.gz data/fer2013_sample.csv.gz

Each model is scored as served on each data's test split. Where that gives the card's own accuracy on as many faces,
the card's evaluation is on those faces: it gets their digest. Otherwise the score goes to `also_scored_on`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, as a script

from fer_core.atomic import write_json_atomically  # noqa: E402
from fer_core.data.dataset import load_fer2013  # noqa: E402
from fer_core.prediction.face_classifier import FaceClassifier  # noqa: E402
from fer_core.prediction.model_contract import info_path  # noqa: E402
from fer_core.training.evaluation import evaluate_probabilities, faces_digest, score_caveats  # noqa: E402

MODELS = Path(__file__).resolve().parent.parent / "models"
KEPT = ("n", "split", "accuracy", "top3_accuracy", "macro_f1", "data", "faces_sha1", "test_is_validation", "caveats")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", nargs="+", required=True)
    parser.add_argument("--models", nargs="*", default=sorted(str(p) for p in MODELS.glob("*.keras")))
    args = parser.parse_args()
    tests = []
    for data in args.data:
        dataset = load_fer2013(data)
        test, splits = dataset.split("test"), dataset.splits
        tests.append((test, {"split": "test", "data": Path(data).name, "faces_sha1": faces_digest(test.images, test.labels),
                             "test_is_validation": splits.test_is_validation,
                             "caveats": score_caveats(splits.test_is_validation, dataset.photo_split)}))
    for model in map(Path, args.models):
        info = json.loads(info_path(model).read_text())
        card = info["card"]
        evaluation = card["evaluation"]
        classifier = FaceClassifier(model)
        also = [entry for entry in card.get("also_scored_on", []) if entry.get("faces_sha1")
                not in {facts["faces_sha1"] for _, facts in tests}]
        for test, facts in tests:
            score = {**evaluate_probabilities(test.labels, classifier.predict_proba(test.images), test.class_names),
                     **facts}
            if score["n"] == evaluation["n"] and abs(score["accuracy"] - evaluation["accuracy"]) < 1e-9:
                evaluation.update({key: facts[key] for key in facts if key != "split"})
                where = "its card's own evaluation"
            else:
                also.append({key: score[key] for key in KEPT})
                where = "also_scored_on"
            print(f"{model.name}: {score['accuracy']:.1%} on {score['n']:,} test faces of {facts['data']} → {where}")
        card["also_scored_on"] = also
        write_json_atomically(info_path(model), info)


if __name__ == "__main__":
    main()
