"""One home per extension point: an architecture is one file, and the Train page, the CLI and training find it."""

import importlib
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import fer_core.training.architectures as architectures_package

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TOY = '''from . import INPUT_SHAPE, register_architecture


@register_architecture("toy_pool", label="toy_pool: one pooling layer and a softmax (a test's architecture)",
                       description="Added by a test, in one file.")
def build_toy_pool(num_classes: int):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input(INPUT_SHAPE), layers.Rescaling(1 / 255), layers.AveragePooling2D(8),
                             layers.Flatten(), layers.Dense(num_classes, activation="softmax", dtype="float32")],
                            name="toy_pool")
'''


@pytest.fixture
def toy_architecture_file(tmp_path, monkeypatch):
    """The toy architecture's file, in a folder the architectures package searches as its own (a second entry in
    its __path__, standing in for fer_core/training/architectures/), so the repository is never written."""
    folder = tmp_path / "architectures"
    folder.mkdir()
    path = folder / "toy_pool.py"
    path.write_text(TOY)
    monkeypatch.setattr(architectures_package, "__path__", [*architectures_package.__path__, str(folder)])
    importlib.invalidate_caches()
    try:
        yield path
    finally:
        architectures_package._REGISTERED.pop("toy_pool", None)
        sys.modules.pop("fer_core.training.architectures.toy_pool", None)


def test_an_architecture_in_one_file_is_offered_by_the_train_page_and_the_cli(toy_architecture_file):
    from fer_core.cli import build_parser
    from fer_core.training.architectures import ARCHITECTURES
    from fer_core.training.config import TrainingConfig

    assert "toy_pool" in ARCHITECTURES
    assert ARCHITECTURES["toy_pool"].label.startswith("toy_pool: one pooling layer")
    assert build_parser().parse_args(["train", "--data", "x.csv", "--arch", "toy_pool"]).arch == "toy_pool"
    TrainingConfig(data="x.csv", arch="toy_pool").check()

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    picker = at.selectbox(key="train_arch")
    assert "toy_pool: one pooling layer and a softmax (a test's architecture)" in picker.options
    assert picker.options[0].startswith("fer_fast")  # the default stays first


def test_the_toy_architecture_trains_and_is_served(toy_architecture_file, fer_csv, tmp_path):
    from fer_core.prediction.predictor import Predictor
    from fer_core.training import recipe
    from fer_core.training.config import TrainingConfig

    config = TrainingConfig(data=str(fer_csv), arch="toy_pool", epochs=1, batch_size=16, distill_from=None)
    run = recipe.train(config, runs_dir=tmp_path / "runs", verbose=0)
    assert run.status == "finished" and run.model_path is not None
    assert run.name.endswith("toy_pool")
    assert len(Predictor(run.model_path).predict_crops(__import__("numpy").zeros((2, 48, 48), "uint8"))) == 2


def test_every_architecture_carries_a_label_and_a_description():
    from fer_core.training.architectures import ARCHITECTURES, DEFAULT_ARCHITECTURE

    assert list(ARCHITECTURES)[0] == DEFAULT_ARCHITECTURE
    for name, architecture in ARCHITECTURES.items():
        assert architecture.name == name and architecture.label.startswith(name) and architecture.description


def test_the_pages_are_listed_once():
    from ui.pages import PAGES

    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    links = [link.proto.label for link in at.get("page_link")]
    assert links == [page.title for page in PAGES[1:]]
