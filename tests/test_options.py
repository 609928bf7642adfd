"""Command-line options come from the config dataclasses: every field has its option, and a
run's run.json read back with --config gives the same RunConfig."""
from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

from crysgnn_zoo.cli import build_parser, run_config_from_args
from crysgnn_zoo.config import DistillConfig, GraphConfig, PretrainConfig, RunConfig, TrainConfig
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.options import add_config_options, config_from_args
from crysgnn_zoo.pretrain.curate import CurateConfig


def _options(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {o for action in sub.choices[command]._actions for o in action.option_strings}


@pytest.mark.parametrize("command, classes, skip", [
    ("train", (RunConfig, TrainConfig, GraphConfig, DistillConfig), {"model_overrides", "graph_config", "train_config"}),
    ("pretrain", (PretrainConfig,), set()),
    ("curate", (CurateConfig, GraphConfig), set()),
])
def test_every_config_field_has_its_option(command, classes, skip):
    options = _options(command)
    missing = [f"{cls.__name__}.{f.name}" for cls in classes for f in dataclasses.fields(cls)
               if f.name not in skip and f"--{f.name.replace('_', '-')}" not in options]
    assert not missing, f"no option for {missing}"


def test_options_parse_types_choices_booleans_and_none():
    parser = argparse.ArgumentParser()
    add_config_options(parser, TrainConfig)
    args = parser.parse_args(["--lr", "0.01", "--patience", "none", "--no-normalize", "--scheduler", "onecycle"])
    config = config_from_args(TrainConfig, args)
    assert config == TrainConfig(lr=0.01, patience=None, normalize=False, scheduler="onecycle")
    assert config_from_args(TrainConfig, parser.parse_args([])) == TrainConfig()  # nothing given: defaults
    with pytest.raises(SystemExit):
        parser.parse_args(["--optimizer", "adagrad"])


def _train_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["train", *argv])


def test_train_options_build_the_run_config(tmp_path):
    run = run_config_from_args(_train_args("--dataset", "perov_5", "--target", "heat_ref", "--seed", "3",
                                           "--epochs", "7", "--cutoff", "6", "--distill", "--alpha", "0.2",
                                           "--objective", "normalized", "--no-projection", "--set", "n_conv=2",
                                           "--split", "100,20,20"))
    assert run.data == "perov_5" and run.split_seed == 3 and run.train_config.seed == 3  # --seed seeds both
    assert run.train_config.epochs == 7 and run.graph_config.cutoff == 6.0
    assert run.distill == DistillConfig(alpha=0.2, objective="normalized", projection=False)
    assert run.model_overrides == {"n_conv": 2} and run.split_sizes == (100.0, 20.0, 20.0)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run.to_dict()))
    again = run_config_from_args(_train_args("--config", str(path)))
    assert again == run
    changed = run_config_from_args(_train_args("--config", str(path), "--epochs", "9", "--split-seed", "1"))
    assert changed.train_config.epochs == 9 and changed.split_seed == 1 and changed.distill == run.distill


def test_distillation_options_without_distill_are_an_error():
    with pytest.raises(ConfigError, match="--distill"):
        run_config_from_args(_train_args("--dataset", "perov_5", "--target", "heat_ref", "--teacher", "chgnet-0.3.0"))


def test_unknown_keyword_of_train_model_lists_the_fields():
    from crysgnn_zoo.train.run import train_model

    with pytest.raises(ConfigError, match="valid fields"):
        train_model("perov_5", "heat_ref", alpha=0.3)
