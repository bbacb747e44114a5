"""What a resume may continue with: overrides applied, result-changing settings refused unless forced.

Unit tests of :mod:`linearnets.tasks.resume_settings` on configs and folders built by hand; the
end-to-end resumes are in ``test_resume.py``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.config import SoftmaxConfig
from linearnets.errors import CheckpointError, UsageError
from linearnets.tasks.resume_settings import (
    changed_settings,
    check_epochs_left,
    check_logged_epochs,
    checkpoint_config,
    data_change,
    last_asked,
    resumed_config,
    started_environment,
)
from linearnets.training.checkpoint import Checkpoint

OLD = SoftmaxConfig(epochs=3, plot="none", device="cpu")


def _checkpoint(config: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        path=Path("run/checkpoint.pt"),
        model_state={},
        optimizer_state={},
        epoch=2,
        generators_state={},
        history=[],
        config=config,
        version="0",
    )


def test_overrides_are_applied_and_out_is_the_run_folder(tmp_path: Path) -> None:
    new = resumed_config(OLD, {"epochs": 6}, tmp_path)
    assert (new.epochs, new.lr, new.out) == (6, OLD.lr, tmp_path)


@pytest.mark.parametrize("overrides", [{"epoch": 6}, {"out": "elsewhere"}])
def test_an_unknown_override_is_refused_naming_the_fields(
    tmp_path: Path, overrides: dict[str, Any]
) -> None:
    with pytest.raises(UsageError, match=r"resume_softmax got unknown settings \[.*\]; pass"):
        resumed_config(OLD, overrides, tmp_path)


def test_the_last_asked_settings_fall_back_to_the_checkpoints() -> None:
    assert last_asked({"config": SoftmaxConfig(epochs=6).to_dict()}, OLD).epochs == 6
    assert last_asked({"config": {"lr": -1}}, OLD) is OLD
    assert last_asked({}, OLD).epochs == SoftmaxConfig().epochs  # an empty config: the defaults


def test_a_checkpoint_with_an_unusable_config_is_named() -> None:
    assert checkpoint_config(_checkpoint(OLD.to_dict())) == OLD
    with pytest.raises(CheckpointError, match=r"holds an unusable config: .*resume with --force"):
        checkpoint_config(_checkpoint({"lr": "fast"}))


def test_the_started_environment_is_kept_only_when_recorded() -> None:
    assert started_environment({"environment": {"python": "3.10"}}) == {"python": "3.10"}
    assert started_environment({"environment": "3.10"}) is None
    assert started_environment({}) is None


def test_an_unchanged_config_changes_nothing(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path, "force": False}
    assert changed_settings(OLD, resumed_config(OLD, {"epochs": 6}, tmp_path), **kwargs) == {}


def test_a_result_setting_changes_only_with_force(tmp_path: Path) -> None:
    new = resumed_config(OLD, {"lr": 0.05, "batch_size": 64}, tmp_path)
    kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path}
    with pytest.raises(
        UsageError,
        match=r"^--lr changed from 0\.1 to 0\.05; --batch-size changed from 256 to 64 since the run",
    ):
        changed_settings(OLD, new, force=False, **kwargs)
    assert changed_settings(OLD, new, force=True, **kwargs) == {
        "lr": (0.1, 0.05),
        "batch_size": (256, 64),
    }


@pytest.mark.parametrize(("from_epoch", "refused"), [(2, False), (1, True)])
def test_a_value_forced_before_carries_on_only_from_the_same_epoch(
    tmp_path: Path, from_epoch: int, refused: bool
) -> None:
    saved = {"resumes": [{"from_epoch": from_epoch, "forced": {"lr": ["0.1", "0.05"]}}]}
    new = resumed_config(OLD, {"lr": 0.05}, tmp_path)
    kwargs: dict[str, Any] = {"saved": saved, "epoch": 2, "run_dir": tmp_path, "force": False}
    if refused:
        with pytest.raises(UsageError, match=r"--lr changed from 0\.1 to 0\.05"):
            changed_settings(OLD, new, **kwargs)
    else:
        assert changed_settings(OLD, new, **kwargs) == {"lr": (0.1, 0.05)}


def test_a_resume_needs_epochs_left_or_reports_to_write(tmp_path: Path) -> None:
    check_epochs_left(tmp_path, 3, OLD, given=False)  # the weights and results are not written yet
    with pytest.raises(UsageError, match=r"already finished \(4\), got 3, the run's own"):
        check_epochs_left(tmp_path, 4, OLD, given=False)
    (tmp_path / "model.pt").write_bytes(b"x")
    (tmp_path / "results.json").write_text("{}")
    with pytest.raises(UsageError, match=r"already finished \(3\), got 3; pass e\.g\. epochs=8"):
        check_epochs_left(tmp_path, 3, OLD, given=True)


def test_logged_epochs_without_a_checkpoint_are_not_thrown_away(tmp_path: Path) -> None:
    check_logged_epochs(tmp_path, force=False)  # no metrics.jsonl: nothing logged
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1}\n\n{"epoch": 2}\n')
    with pytest.raises(CheckpointError, match=r"logged 2 finished epochs in metrics\.jsonl"):
        check_logged_epochs(tmp_path, force=False)
    check_logged_epochs(tmp_path, force=True)


def test_a_changed_data_file_is_refused_unless_forced(tmp_path: Path) -> None:
    exp: Any = SimpleNamespace(config=SoftmaxConfig(data=tmp_path / "d.npz"), data_sha256="b" * 64)
    assert data_change({"data_sha256": "b" * 64}, exp, tmp_path, force=False) is None
    assert data_change({"data_sha256": None}, exp, tmp_path, force=False) is None
    with pytest.raises(
        UsageError, match=r"d\.npz changed since the run .* \(SHA-256 aaaaaaaaaaaa…"
    ):
        data_change({"data_sha256": "a" * 64}, exp, tmp_path, force=False)
    assert data_change({"data_sha256": "a" * 64}, exp, tmp_path, force=True) == ("a" * 64, "b" * 64)
