"""Transfer learning: a new head on the shipped model's features, the default for classes that are not FER2013's."""

import numpy as np
import pytest

from fer_core.data.fer2013 import CLASS_NAMES
from fer_core.errors import FERError
from fer_core.training.config import SHIPPED_MODEL, TrainingConfig
from fer_core.training.transfer import resolve_transfer

OWN = ("eyes_closed", "smile", "tongue_out")


def test_auto_transfers_for_own_classes_and_trains_fer2013_from_scratch():
    assert resolve_transfer("auto", OWN) == "head"
    assert resolve_transfer("auto", CLASS_NAMES) == "off"
    assert resolve_transfer("head_and_last_block", CLASS_NAMES) == "head_and_last_block"
    assert TrainingConfig.defaults().transfer == "auto"


def test_runs_recorded_before_transfer_existed_resume_from_scratch():
    old = TrainingConfig.from_dict({"data": "x.csv", "arch": "tiny_cnn", "distill_from": None})
    assert old.transfer == "off"


def test_a_missing_base_model_or_an_unknown_choice_is_a_sentence(tmp_path):
    with pytest.raises(FERError, match="does not exist; train from scratch"):
        TrainingConfig(data="x", transfer="head", transfer_base=str(tmp_path / "none.keras")).check()
    with pytest.raises(FERError, match="Unknown transfer choice"):
        TrainingConfig(data="x", transfer="everything").check()


def test_from_scratch_round_trips_through_the_command_line():
    from fer_core.cli import build_parser

    config = TrainingConfig(data="faces", transfer="off")
    assert "--from-scratch" in config.command_line()
    args = build_parser().parse_args(config.command_line().split()[3:])
    assert args.from_scratch and args.transfer == "auto"


def test_only_the_new_head_trains_unless_the_last_block_is_asked_for():
    from keras import layers

    from fer_core.training.transfer import build_transfer_model

    head = build_transfer_model(SHIPPED_MODEL, len(OWN), train_last_block=False)
    block = build_transfer_model(SHIPPED_MODEL, len(OWN), train_last_block=True)
    assert head.output_shape == (None, 3) and block.output_shape == (None, 3)
    head_weights = sum(int(np.prod(w.shape)) for w in head.trainable_weights)
    block_weights = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
    assert head_weights == 256 * 3 + 3  # the new softmax alone
    assert block_weights > 100 * head_weights  # the last convolution block and dense layer too
    for model in (head, block):  # batch norm keeps the base's statistics either way
        features = model.layers[1]
        assert not any(layer.trainable_weights for layer in features.layers
                       if isinstance(layer, layers.BatchNormalization))


def test_a_model_no_better_than_chance_on_own_classes_is_told_to_start_from_the_shipped_model():
    from fer_core.training.evaluation import chance_level_verdict, evaluate_probabilities

    labels = np.array([0, 1, 2] * 4)
    probabilities = np.tile([0.9, 0.05, 0.05], (12, 1))
    verdict = chance_level_verdict(evaluate_probabilities(labels, probabilities, OWN), labels, epochs=30,
                                   train_faces=48)
    assert verdict["flagged"] and "start from the shipped model" in verdict["reason"]
