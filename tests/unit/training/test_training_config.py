"""Config objects: validation, listing valid names from the registries, JSON round trip."""

from __future__ import annotations

import json

import pytest

from modelyard.errors import SpecError
from modelyard.training import (
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    LoopConfig,
    OptimizerConfig,
    ScheduleConfig,
)


def test_defaults_are_valid_and_round_trip_through_json():
    cfg = LoopConfig(
        class_weights=[1, 2],
        optimizer=OptimizerConfig(name="sgd", lr=0.1),
        schedule=ScheduleConfig(name="onecycle", pct_start=0.25),
    )
    assert cfg.class_weights == (1.0, 2.0)  # exact: config values, converted not computed
    back = LoopConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg


@pytest.mark.parametrize(
    ("build", "valid"),
    [
        (lambda: OptimizerConfig(name="adamm"), OPTIMIZERS),
        (lambda: ScheduleConfig(name="cosin"), SCHEDULES),
        (lambda: LoopConfig(loss="crossentropy"), LOSSES),
    ],
)
def test_unknown_names_list_the_valid_ones(build, valid):
    with pytest.raises(SpecError) as err:
        build()
    for name in valid:
        assert repr(name) in err.value.message
    assert "did you mean" in err.value.hint


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, r"epochs: expected an integer >= 1, received 0"),
        ({"batch_size": 2.5}, r"batch_size: expected an integer"),
        ({"device": "tpu"}, r"unknown device 'tpu'; valid: 'auto', 'cpu', 'cuda', 'cuda:N'"),
        ({"loss": "mse", "class_weights": (1, 2)}, r"class_weights: expected None"),
        ({"mode": "up"}, r"mode: unknown name 'up'"),
        ({"patience": 0}, r"patience: expected an integer >= 1"),
        ({"grad_clip_norm": -1.0}, r"grad_clip_norm: expected a number > 0"),
        ({"metric": "auc"}, r"metric: unknown name 'auc'; valid: 'accuracy', 'rmse'"),
    ],
)
def test_bad_values_say_what_was_expected_and_received(kwargs, match):
    with pytest.raises(SpecError, match=match):
        LoopConfig(**kwargs)


def test_unknown_fields_are_refused_with_a_suggestion():
    with pytest.raises(SpecError, match=r"unknown field\(s\) 'epoch'") as err:
        LoopConfig.from_dict({"epoch": 3})
    assert "'epochs'" in err.value.hint
    with pytest.raises(SpecError, match="optimizer: unknown field"):
        LoopConfig.from_dict({"optimizer": {"name": "adam", "learning_rate": 0.1}})
    with pytest.raises(SpecError, match=r"optimizer.lr: expected a number > 0"):
        OptimizerConfig(lr=0)
    with pytest.raises(SpecError, match=r"optimizer.momentum: expected a number in \[0, 1\)"):
        OptimizerConfig(momentum=1.0)


def test_monitor_mode_resolves_auto():
    assert LoopConfig().monitor_mode == "min"
    assert LoopConfig(monitor="val_accuracy").monitor_mode == "max"
    assert LoopConfig(monitor="val_rmse").monitor_mode == "min"
    assert LoopConfig(monitor="val_accuracy", mode="min").monitor_mode == "min"
    assert LoopConfig(loss="mse").metric_name == "rmse"
