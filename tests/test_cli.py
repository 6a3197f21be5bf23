"""The command line: the same functions as the app, one clear line on stderr for bad input, never a traceback."""

import json
import re
from pathlib import Path

import pytest
from cli_fixtures import run_fer_core

ROOT = Path(__file__).resolve().parent.parent


def test_data_prints_counts_per_split_and_class(fer_csv):
    result = run_fer_core("data", fer_csv)
    assert result.returncode == 0, result.stderr
    assert "happy" in result.stdout and "validation" in result.stdout and "imbalance" in result.stdout
    as_json = json.loads(run_fer_core("data", fer_csv, "--json").stdout)
    assert as_json["counts"]["train"][3] == 12 and as_json["class_names"][6] == "neutral"


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"emotion,pixels,Usage\n", "no data rows"),
    (b"emotion,Usage\n1,Training\n", "no 'pixels' column"),
])
def test_bad_data_is_one_line_on_stderr(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run_fer_core("data", path)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_file_is_reported(tmp_path):
    result = run_fer_core("data", tmp_path / "nope.csv")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_train_then_evaluate_from_the_command_line(tmp_path, fer_csv):
    result = run_fer_core("train", "--data", fer_csv, "--arch", "tiny_cnn", "--epochs", "1", "--batch-size", "16",
                 "--out", tmp_path / "runs")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "finished" in result.stdout
    run_dir = Path(result.stdout.strip().splitlines()[-1].split("run folder: ")[1])
    report = run_fer_core("evaluate", "--model", run_dir / "model.keras", "--data", fer_csv, "--split", "test", "--json")
    assert report.returncode == 0, report.stderr[-2000:]
    scores = json.loads(report.stdout)
    assert {"accuracy", "top3_accuracy", "macro_f1", "per_class", "confusion_matrix"} <= set(scores)
    # the CLI's evaluation (LiteRT) agrees with the one the training run recorded (Keras)
    recorded = json.loads((run_dir / "evaluation.json").read_text())
    assert abs(scores["accuracy"] - recorded["accuracy"]) < 0.02


def test_train_refuses_an_unknown_architecture(fer_csv, tmp_path):
    result = run_fer_core("train", "--data", fer_csv, "--arch", "nope", "--out", tmp_path)
    assert result.returncode == 2 and "invalid choice" in result.stderr


ASSETS = ROOT / "tests" / "assets"


def test_a_photo_given_to_video_points_to_the_photo_command():
    result = run_fer_core("video", ASSETS / "astronaut.jpg")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: astronaut.jpg is a still image, not a video: for photos, use "
                                          f"python -m fer_core predict {ASSETS / 'astronaut.jpg'}"]


def test_predict_prints_its_json_and_nothing_on_stderr():
    """LiteRT's 'Created TensorFlow Lite XNNPACK delegate' line is kept off stderr."""
    result = run_fer_core("predict", ASSETS / "astronaut.jpg")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(json.loads(result.stdout)[0]["faces"]) == 1


def test_every_train_and_calibrate_setting_is_explained():
    from fer_core.cli import build_parser

    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    for name in ("train", "calibrate"):
        unexplained = [action.option_strings[0] for action in subcommands[name]._actions
                       if action.help is None]
        assert unexplained == [], f"{name} --help says nothing about {unexplained}"
    help_text = run_fer_core("train", "--help").stdout
    for option in ("--data PATH", "--seed SEED", "--no-augment", "--skip-bad-rows"):
        line = next(line for line in help_text.splitlines() if line.strip().startswith(option))
        assert len(line.strip()) > len(option) + 10, line  # the option, then what it does
    assert "(default: None)" not in help_text and "(default: False)" not in help_text


def test_calibrate_says_what_it_measured_in_a_sentence():
    result = run_fer_core("calibrate", "--arch", "tiny_cnn", "--batch-size", "16", "--precision", "float32")
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.fullmatch(r"tiny_cnn trains at \d+\.\d{4} s per batch of 16 faces in float32 on this machine \(.+\)\.\n",
                        result.stdout), result.stdout
    as_json = json.loads(run_fer_core("calibrate", "--arch", "tiny_cnn", "--batch-size", "16", "--precision", "float32",
                             "--json").stdout)
    assert as_json["seconds_per_batch"] > 0 and as_json["precision"] == "float32"
