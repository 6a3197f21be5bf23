"""The command line: the same functions as the app, one clear line on stderr for bad input, never a traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def fer(*args, env=None):
    return subprocess.run([sys.executable, "-m", "fer_core", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_data_prints_counts_per_split_and_class(fer_csv):
    result = fer("data", fer_csv)
    assert result.returncode == 0, result.stderr
    assert "happy" in result.stdout and "validation" in result.stdout and "imbalance" in result.stdout
    as_json = json.loads(fer("data", fer_csv, "--json").stdout)
    assert as_json["counts"]["train"][3] == 12 and as_json["class_names"][6] == "neutral"


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"emotion,pixels,Usage\n", "no data rows"),
    (b"emotion,Usage\n1,Training\n", "no 'pixels' column"),
])
def test_bad_data_is_one_line_on_stderr(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = fer("data", path)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_file_is_reported(tmp_path):
    result = fer("data", tmp_path / "nope.csv")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_train_then_evaluate_from_the_command_line(tmp_path, fer_csv):
    result = fer("train", "--data", fer_csv, "--arch", "tiny_cnn", "--epochs", "1", "--batch-size", "16",
                 "--out", tmp_path / "runs")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "finished" in result.stdout
    run_dir = Path(result.stdout.strip().splitlines()[-1].split("run folder: ")[1])
    report = fer("evaluate", "--model", run_dir / "model.keras", "--data", fer_csv, "--split", "test", "--json")
    assert report.returncode == 0, report.stderr[-2000:]
    scores = json.loads(report.stdout)
    assert {"accuracy", "top3_accuracy", "macro_f1", "per_class", "confusion_matrix"} <= set(scores)
    # the CLI's evaluation (LiteRT) agrees with the one the training run recorded (Keras)
    recorded = json.loads((run_dir / "evaluation.json").read_text())
    assert abs(scores["accuracy"] - recorded["accuracy"]) < 0.02


def test_train_refuses_an_unknown_architecture(fer_csv, tmp_path):
    result = fer("train", "--data", fer_csv, "--arch", "nope", "--out", tmp_path)
    assert result.returncode == 2 and "invalid choice" in result.stderr
