"""The CLI on paths that are not files: a pipe, an endless device, a folder it may not open. One sentence and exit
status 2 each, never a hang, an OOM kill or "unexpected PermissionError"."""

import os
from pathlib import Path

from cli_fixtures import run_fer_core

from fer_core.cli import main

REPO = Path(__file__).resolve().parent.parent
WITHIN = 120  # seconds: a hang is a failure, not a stuck test run


def test_predict_refuses_a_pipe_and_dev_zero_without_reading_them(tmp_path):
    pipe = tmp_path / "photo.jpg"
    os.mkfifo(pipe)
    done = run_fer_core("predict", pipe, "/dev/zero", timeout=WITHIN)
    assert done.returncode == 2
    assert f"error: {pipe}: {pipe} is not a regular file (a device, a pipe or a socket), so it was not read." \
        in done.stderr
    assert "error: /dev/zero: /dev/zero is not a regular file (a device, a pipe or a socket)" in done.stderr


def test_video_refuses_a_pipe(tmp_path):
    pipe = tmp_path / "clip.mp4"
    os.mkfifo(pipe)
    done = run_fer_core("video", pipe, timeout=WITHIN)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(f"error: {pipe} is not a regular file (a device, a pipe or a socket), so it "
                                        "was not read as a clip.")


def test_a_folder_it_may_not_open_is_a_sentence(tmp_path, monkeypatch, capsys):
    """As a user without root meets it under /: the walk of the folder hits a folder it may not list."""
    def refused(self, pattern):
        raise PermissionError(13, "Permission denied", "/proc/1/fd")

    (tmp_path / "bored").mkdir()
    monkeypatch.setattr(Path, "rglob", refused)
    assert main(["data", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "error: /proc/1/fd: Permission denied; FER Studio could not read or write it.\n"


def test_ctrl_c_says_what_happened(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("fer_core.cli.command_data", interrupted)  # the parser hands this function the arguments
    assert main(["data", "x.csv"]) == 130
    assert capsys.readouterr().err == ("interrupted: stopped by Ctrl-C (SIGINT) before the end; a training run "
                                       "resumes with `python -m fer_core train --resume RUN_FOLDER`.\n")
