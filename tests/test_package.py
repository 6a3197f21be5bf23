"""`pip install` gives a library and a command: the wheel is built, installed into a fresh virtual environment
outside the repository, and used there as a new user would (`fer-studio predict`, `import fer_core`, the app)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.app_in_browser import chromium_page, free_port, healthy, stop

REPO = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "assets"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv with the wheel installed. It sees this machine's packages (--system-site-packages), so pip resolves
    the wheel's dependencies without the network, while fer_core itself can only come from the wheel."""
    where = tmp_path_factory.mktemp("package")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(where / "dist"), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next((where / "dist").glob("fer_studio-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(where / "venv")], check=True,
                   timeout=300)
    bin_dir = where / "venv" / "bin"
    install = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--no-index", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    home = where / "user"
    home.mkdir()
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "FER_RUNS_DIR")}
    environment.update(HOME=str(home), FER_CACHE_DIR=str(home / "cache"))
    return bin_dir, home, environment


def test_the_installed_command_predicts_outside_the_repository(installed):
    bin_dir, home, environment = installed
    shutil.copy(ASSETS / "astronaut.jpg", home / "photo.jpg")
    result = subprocess.run([str(bin_dir / "fer-studio"), "predict", "photo.jpg"], cwd=home, env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    [photo] = json.loads(result.stdout)
    assert photo["image"] == "photo.jpg" and photo["faces"][0]["top_k"][0]["label"] == "happy"
    usage = subprocess.run([str(bin_dir / "fer-studio"), "--help"], cwd=home, env=environment, capture_output=True,
                           text=True, timeout=120).stdout
    assert usage.startswith("usage: fer-studio") and all(command in usage for command in ("train", "video", "app"))


def test_the_library_imports_from_the_venv_and_predicts_with_the_shipped_model(installed):
    bin_dir, home, environment = installed
    code = ("import fer_core, pathlib; from fer_core import Predictor; "
            "result = Predictor().predict(r'%s'); "
            "print(pathlib.Path(fer_core.__file__).resolve()); print(result.faces[0].label)") % (ASSETS / "camera.jpg")
    result = subprocess.run([str(bin_dir / "python"), "-c", code], cwd=home, env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    where, label = result.stdout.split()
    assert Path(where).is_relative_to(bin_dir.parent) and not Path(where).is_relative_to(REPO)
    assert label in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def test_fer_studio_app_serves_the_app_from_the_package(installed):
    bin_dir, home, environment = installed
    port = free_port()
    server = subprocess.Popen([str(bin_dir / "fer-studio"), "app", "--server.headless", "true", "--server.port",
                               str(port), "--server.address", "127.0.0.1"], cwd=home, env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert healthy(f"http://127.0.0.1:{port}", timeout=90, process=server), "the app did not start"
        if not Path("/usr/bin/chromium").exists():
            return  # the server answers; the page's text needs a browser
        pytest.importorskip("playwright.sync_api")
        from playwright.sync_api import expect

        with chromium_page() as page:
            page.goto(f"http://127.0.0.1:{port}")
            expect(page.get_by_text("Built-in sample").first).to_be_visible(timeout=90_000)
    finally:
        stop(server, 15)
    assert not healthy(f"http://127.0.0.1:{port}", timeout=2)  # stopping the command stops the app
