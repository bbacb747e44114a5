"""The values a loaded checkpoint must hold: what the run writes passes, each damage is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets.errors import CheckpointError
from linearnets.training.checkpoint_values import check_values

from .test_checkpoint import ROW  # one epoch's metrics row, as the checkpoint tests save it

PATH = Path("run/checkpoint.pt")


def _payload(
    *, row: dict[str, Any] | None = None, guard: Any = None, **changes: Any
) -> dict[str, Any]:
    """A payload as ``save_checkpoint`` writes it (one epoch), with ``changes`` applied."""
    payload = {
        "epoch": 1,
        "model_state": {"weight": torch.zeros(3, 4), "bias": torch.zeros(3)},
        "optimizer_state": {"state": {}, "param_groups": []},
        "generators_state": {},
        "history": [ROW | (row or {})],
        "config": {"lr": 0.1},
        "extra": {} if guard is None else {"guard": guard},
    }
    return payload | changes


@pytest.mark.parametrize("key", ["train_acc", "test_loss", "test_acc"])
def test_a_metric_that_was_not_measured_may_be_none(key: str) -> None:
    """A run without a test set has no test loss or accuracy; regression has no accuracy."""
    check_values(PATH, _payload(row={key: None}))


@pytest.mark.parametrize("key", ["train_loss", "seconds"])
def test_a_metric_every_epoch_measures_may_not_be_none(key: str) -> None:
    with pytest.raises(CheckpointError, match=rf"its history\[0\]\[{key!r}\] must be a number, got NoneType None; restore"):  # fmt: skip
        check_values(PATH, _payload(row={key: None}))


def test_integer_metrics_are_numbers() -> None:
    """A hand-written file (or JSON) may hold 1 rather than 1.0."""
    check_values(PATH, _payload(row={"train_loss": 1, "train_acc": 1, "seconds": 0}))


@pytest.mark.parametrize(
    "recent", [[], [[2.5, 4]], [(2.5, 4), [3, 2]]], ids=["empty", "lists", "tuples-and-ints"]
)
def test_a_guard_with_loss_sum_count_pairs_is_accepted(recent: list[Any]) -> None:
    check_values(PATH, _payload(guard={"start_loss": 2.3, "count": 4, "recent": recent}))


@pytest.mark.parametrize("pair", [[1.0, 2, 3], [1.0], (1.0, True)])
def test_a_guard_pair_of_another_shape_is_refused(pair: Any) -> None:
    with pytest.raises(CheckpointError, match=r"its extra\['guard'\]\['recent'\] must be a list of \[loss sum, count\] pairs"):  # fmt: skip
        check_values(PATH, _payload(guard={"recent": [pair]}))


def test_a_value_of_exactly_60_characters_is_shown_whole() -> None:
    value = "a" * 58  # its repr, quotes included, is 60 characters
    with pytest.raises(CheckpointError, match=rf"its config must be a dict, got str '{value}'; restore"):  # fmt: skip
        check_values(PATH, _payload(config=value))


def test_a_value_of_61_characters_is_cut_to_57_and_an_ellipsis() -> None:
    value = "a" * 59
    with pytest.raises(CheckpointError, match=rf"got str '{'a' * 56}\.\.\.; restore"):
        check_values(PATH, _payload(config=value))


def test_a_value_whose_repr_spans_lines_is_shown_on_one_line() -> None:
    with pytest.raises(CheckpointError) as info:
        check_values(PATH, _payload(model_state={"weight": [torch.zeros(2, 2)]}))
    assert "\n" not in str(info.value)
    assert "got list [tensor([[0., 0.], [0., 0.]])]; restore" in str(info.value)


def test_the_fix_of_a_damaged_checkpoint_names_force_in_either_words() -> None:
    """From Python "resume with --force" named an option Python does not have: the setting is
    force=True. The command line prints --force, as before."""
    from linearnets.cli._report import one_line

    with pytest.raises(CheckpointError) as info:
        check_values(PATH, _payload(epoch="abc"))
    fix = "restore checkpoint.pt from a copy of the run, or delete it and resume with {} to start the run over"  # fmt: skip
    assert str(info.value).endswith("; " + fix.format("force=True"))
    assert one_line(info.value) == (
        f"checkpoint {PATH} is damaged: its epoch must be the number of finished epochs, an "
        f"integer >= 1, got str 'abc'; {fix.format('--force')}"
    )
