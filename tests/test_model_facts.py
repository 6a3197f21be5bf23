"""What a model card's machine line says to a reader: the device it trained on, not the kernel build."""

import json
from pathlib import Path

import pytest

from fer_core.prediction.model_contract import machine_in_words

MODELS = Path(__file__).resolve().parent.parent / "models"


@pytest.mark.parametrize("machine, words", [
    ("x86_64, 16 CPU cores, Linux 6.18.44-fc-v657-gpu, Python 3.12.3, Keras 3.15.1 on jax (NVIDIA H100 80GB HBM3)",
     "NVIDIA H100 80GB HBM3"),
    ("x86_64, 2 CPU cores, Linux 6.18.44-fc-v669, Python 3.11.7, Keras 3.15.1 on tensorflow (CPU)", "2 CPU cores"),
    ("x86_64, 8 CPU cores, Linux 6.1, Python 3.11.7, Keras 3.15.1 on jax (TPU v5 lite, TPU v5 lite)",
     "TPU v5 lite, TPU v5 lite"),
    ("", None),
    (None, None),
])
def test_a_machine_line_in_words(machine, words):
    assert machine_in_words(machine) == words


def test_every_shipped_card_reads_without_its_kernel_build():
    for card in MODELS.glob("*.json"):
        words = machine_in_words(json.loads(card.read_text())["card"]["machine"])
        assert words and "Linux" not in words and "Python" not in words, (card.name, words)
