"""Long work says how far it has got on stderr: in a log (not a terminal) a plain line per epoch, or at the end,
with the rate and the time left; nothing with --quiet; never on stdout, where the results go."""

import re
from pathlib import Path

from cli_fixtures import run_fer_core


def test_training_and_evaluation_say_their_progress_on_stderr_and_quiet_says_none(tmp_path, fer_csv):
    trained = run_fer_core("train", "--data", fer_csv, "--arch", "tiny_cnn", "--epochs", "2", "--batch-size", "16",
                           "--out", tmp_path / "runs")
    assert trained.returncode == 0, trained.stderr[-2000:]
    epochs = [line for line in trained.stderr.splitlines() if line.startswith("training: ")]
    assert len(epochs) == 2 and "epoch 2/2" in epochs[-1] and "val_accuracy" in epochs[-1]
    assert re.match(r"training: \d+/\d+ batches, [\d.]+ (batches/s|s/batch), about .+ left", epochs[0])
    assert "training:" not in trained.stdout
    model = Path(trained.stdout.strip().splitlines()[-1].split("run folder: ")[1]) / "model.keras"
    scored = run_fer_core("evaluate", "--model", model, "--data", fer_csv, "--split", "test")
    assert scored.returncode == 0 and re.search(r"^scoring: (\d+)/\1 faces", scored.stderr, re.M)
    quiet = run_fer_core("evaluate", "--model", model, "--data", fer_csv, "--split", "test", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == scored.stdout
