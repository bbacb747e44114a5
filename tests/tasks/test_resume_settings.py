"""What a resume continues with: overrides applied, and nothing to do or logged epochs refused.

Unit tests of :mod:`linearnets.tasks.resume_settings` on configs and folders built by hand; the
end-to-end resumes are in ``test_resume.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import CheckpointError, UsageError
from linearnets.tasks.resume_saved import checkpoint_config, last_asked
from linearnets.tasks.resume_settings import (
    check_epochs_left,
    check_logged_epochs,
    config_lost,
    resumed_config,
)
from linearnets.training.checkpoint import Checkpoint

OLD = SoftmaxConfig(epochs=3, plot="none", device="cpu")


def _checkpoint(
    config: dict[str, Any], model_state: dict[str, torch.Tensor] | None = None
) -> Checkpoint:
    return Checkpoint(
        path=Path("run/checkpoint.pt"),
        model_state=model_state or {},
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


def test_an_unknown_override_is_refused_naming_the_fields(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"^resume_softmax got unknown settings \['colour'\]; pass SoftmaxConfig "
    ):
        resumed_config(OLD, {"colour": 6}, tmp_path)


@pytest.mark.parametrize(
    ("overrides", "meant"),
    [
        ({"epoch": 6}, "epochs=6"),
        ({"num_epochs": 6}, "epochs=6"),
        ({"learning_rate": 0.5, "epoch": 6}, "epochs=6 and lr=0.5"),
    ],
)
def test_a_misspelt_override_is_told_the_setting_it_likely_meant(
    tmp_path: Path, overrides: dict[str, float], meant: str
) -> None:
    """resume_softmax(run, epoch=5) listed every field but named none of them, where
    resume_linreg and SoftmaxConfig(num_epochs=3) say "did you mean epochs=..."."""
    with pytest.raises(UsageError) as caught:
        resumed_config(OLD, overrides, tmp_path)
    assert f"; did you mean {meant}? pass SoftmaxConfig fields among ['" in str(caught.value)
    assert "'_" not in str(caught.value)  # no private field offered


def test_out_is_refused_as_the_folder_the_run_stays_in(tmp_path: Path) -> None:
    """out is a SoftmaxConfig field: "unknown setting" was false; a resume stays in its folder."""
    with pytest.raises(
        UsageError,
        match=rf"^out cannot be passed to resume_softmax, got out='elsewhere': the run continues "
        rf"in its own folder, {re.escape(repr(str(tmp_path)))}; drop out= \(to continue a copy "
        r"elsewhere, copy the run folder and resume the copy\)$",
    ):
        resumed_config(OLD, {"out": "elsewhere", "epochs": 6}, tmp_path)


@pytest.mark.parametrize(
    "override,pattern",
    [
        (  # the run's own file too: it said "drop one of them" of a data= never passed
            {"resize": 28},
            r"^resize applies to Fashion-MNIST images only, got resize=28 for a run trained on "
            r"data='.*d\.npz' \(its config\.json\), which a resume keeps; leave resize out to "
            r"resume it, or train on Fashion-MNIST at that size in a new run folder$",
        ),
        (  # both passed: "drop one of them" can be followed
            {"resize": 28, "data": Path("e.npz")},
            r"^resize applies to Fashion-MNIST images only, got resize=28 with data='.*e\.npz'; "
            r"drop one of them$",
        ),
        (
            {"data_dir": "fm"},
            # the run's own file, not one passed: "drop one of them" could not be followed
            r"^data_dir finds Fashion-MNIST, got data_dir='fm' for a run trained on "
            r"data='.*d\.npz' \(its config\.json\), which a resume keeps; leave data_dir out "
            r"to resume it, or train on Fashion-MNIST in a new run folder$",
        ),
    ],
)
def test_a_setting_the_data_file_cannot_take_is_refused_before_any_change_is_named(
    tmp_path: Path, override: dict[str, Any], pattern: str
) -> None:
    """A --data run resumed with --resize 28 was told "--resize changed ... pass --force", and
    the forced resume then refused it as this: the fix the first message gave could not work."""
    with pytest.raises(UsageError, match=pattern):
        resumed_config(replace(OLD, data=tmp_path / "d.npz"), override, tmp_path)


def test_a_data_file_given_to_a_fashion_mnist_run_drops_the_runs_data_dir(tmp_path: Path) -> None:
    """A run on --data-dir fm, resumed with --data d.npz --force (the same 784 features): it was
    refused as "data_dir ... with data ...; drop one of them", and the resume cannot drop the
    run's own data_dir; one the caller gives with the file is still refused."""
    fm_run = replace(OLD, data_dir=tmp_path / "fm")
    new = resumed_config(fm_run, {"data": tmp_path / "d.npz"}, tmp_path)
    assert (new.data, new.data_dir) == (tmp_path / "d.npz", None)
    assert resumed_config(fm_run, {"epochs": 6}, tmp_path).data_dir == tmp_path / "fm"
    with pytest.raises(UsageError, match=r"^data_dir finds Fashion-MNIST, got data_dir='.*/fm2' "):
        resumed_config(fm_run, {"data": tmp_path / "d.npz", "data_dir": tmp_path / "fm2"}, tmp_path)


def _weights(path: Path) -> None:
    """Write a model.pt as ``save_weights`` does: a run's intact weights."""
    state = {"W": torch.zeros(4, 2), "b": torch.zeros(2)}
    payload = {"impl": "scratch", "num_inputs": 4, "num_outputs": 2, "resize": None}
    torch.save({**payload, "classes": ["a", "b"], "state_dict": state}, path)


def _epochs(n: int) -> list[int]:
    """The epochs of a checkpoint's history after ``n`` epochs."""
    return list(range(1, n + 1))


def _metrics(run_dir: Path, epochs: int) -> None:
    """Write metrics.jsonl and metrics.csv as a run of ``epochs`` epochs leaves them, and its
    config.json."""
    from linearnets.training.metrics_files import MetricsWriter

    row = {"train_loss": 0.5, "train_acc": 0.8, "test_loss": 0.6, "test_acc": 0.7, "seconds": 0.1}
    MetricsWriter(run_dir).rewrite([{"epoch": e, **row} for e in _epochs(epochs)])
    (run_dir / "config.json").write_text(json.dumps({"config": OLD.to_dict(), "resumes": []}))


def test_a_resume_needs_epochs_left_or_reports_to_write(tmp_path: Path) -> None:
    _metrics(tmp_path, 3)
    check_epochs_left(
        tmp_path, 3, OLD, given=False, logged=_epochs(3)
    )  # the weights and results are not written yet
    with pytest.raises(UsageError, match=r"already finished \(4\), got 3, the run's own"):
        check_epochs_left(tmp_path, 4, OLD, given=False, logged=_epochs(4))
    (tmp_path / "model.pt").write_bytes(b"x")  # damaged: the resume writes it again
    (tmp_path / "results.json").write_text('{"epochs": 3}')
    check_epochs_left(tmp_path, 3, OLD, given=True, logged=_epochs(3))
    _weights(tmp_path / "model.pt")
    with pytest.raises(UsageError, match=r"already finished \(3\), got 3; pass e\.g\. epochs=8"):
        check_epochs_left(tmp_path, 3, OLD, given=True, logged=_epochs(3))
    (tmp_path / "results.json").write_text("{}")  # names no epoch count: taken as the run's
    with pytest.raises(UsageError, match=r"already finished \(3\), got 3"):
        check_epochs_left(tmp_path, 3, OLD, given=True, logged=_epochs(3))


def test_fewer_epochs_than_an_unfinished_run_trained_are_told_its_own_count_ends_it(
    tmp_path: Path,
) -> None:
    """A run asked for 100 epochs, stopped at 4, resumed with --epochs 3: it was told epochs
    "must be more than" the 4 finished, yet --epochs 4 is taken (it ends the run there, its
    weights and reports written); a finished run's count is "more than" still."""
    from linearnets.cli._report import one_line

    _metrics(tmp_path, 4)

    check_epochs_left(
        tmp_path, 4, replace(OLD, epochs=4), given=True, logged=_epochs(4)
    )  # ends the run at 4
    with pytest.raises(UsageError) as info:
        check_epochs_left(tmp_path, 4, OLD, given=True, logged=_epochs(4))
    assert one_line(info.value) == (
        f"--epochs must be at least the epochs the run in {tmp_path} already finished (4), got 3; "
        "pass e.g. --epochs 9 to train further, or pass --epochs 4 to end the run there"
    )
    _weights(tmp_path / "model.pt")
    (tmp_path / "results.json").write_text('{"epochs": 4}')
    with pytest.raises(UsageError, match=r"must be more than .*\(4\), got 3; pass e\.g\. epochs=9 to train further$"):  # fmt: skip
        check_epochs_left(tmp_path, 4, OLD, given=True, logged=_epochs(4))


@pytest.mark.parametrize("results", ['{"epochs": 1}', "{"], ids=["stale", "damaged"])
def test_weights_and_results_of_another_epoch_are_not_a_finished_run(
    tmp_path: Path, results: str
) -> None:
    """A resume for 3 epochs of a finished 1-epoch run, stopped after epoch 3's checkpoint: the
    model.pt and results.json of epoch 1 are stale, and the plain resume writes them again."""
    _weights(tmp_path / "model.pt")
    (tmp_path / "results.json").write_text(results)
    check_epochs_left(
        tmp_path, 3, OLD, given=False, logged=_epochs(3)
    )  # nothing raised: the resume writes them


def test_logged_epochs_without_a_checkpoint_are_not_thrown_away(tmp_path: Path) -> None:
    check_logged_epochs(tmp_path, force=False)  # no metrics.jsonl: nothing logged
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1}\n\n{"epoch": 2}\n')
    with pytest.raises(CheckpointError, match=r"logged 2 finished epochs in metrics\.jsonl"):
        check_logged_epochs(tmp_path, force=False)
    check_logged_epochs(tmp_path, force=True)


def test_logged_epochs_name_force_in_either_words(tmp_path: Path) -> None:
    """The fix, pass --force (force=True), gave both words to both: Python gets force=True, the
    command line --force alone, as it printed."""
    from linearnets.cli._report import one_line

    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1}\n')
    with pytest.raises(CheckpointError) as info:
        check_logged_epochs(tmp_path, force=False)
    assert str(info.value).endswith(
        "put the checkpoint back, or pass force=True to start the run over, replacing its metrics"
    )
    assert "--" not in str(info.value)
    assert one_line(info.value) == (
        f"the run in {tmp_path} logged 1 finished epoch in metrics.jsonl but has no checkpoint.pt "
        "to continue from; put the checkpoint back, or pass --force to start the run over, "
        "replacing its metrics"
    )


def test_a_finished_run_missing_its_figures_may_be_resumed_to_draw_them(tmp_path: Path) -> None:
    """A run whose plotting process died wrote model.pt and results.json but not its figures."""
    drawn = SoftmaxConfig(epochs=3, plot="file", device="cpu")
    _metrics(tmp_path, 3)
    _weights(tmp_path / "model.pt")
    (tmp_path / "results.json").write_text('{"epochs": 3, "per_class_acc": {"a": 0.5, "b": 1.0}}')
    for name in ("curves.png", "curves.svg", "predictions.png", "per_class.txt", "confusion.pt"):
        (tmp_path / name).write_bytes(b"x")
    check_epochs_left(
        tmp_path, 3, drawn, given=False, logged=_epochs(3)
    )  # confusion.png is missing: allowed
    with pytest.raises(UsageError, match=r"is complete: it finished its 3 epochs"):
        check_epochs_left(
            tmp_path, 3, OLD, given=False, logged=_epochs(3)
        )  # plot="none" wants no figures
    (tmp_path / "confusion.png").write_bytes(b"x")
    with pytest.raises(
        UsageError,
        match=rf"^the run in {re.escape(str(tmp_path))} is complete: it finished its 3 epochs and "
        r"wrote its results, so nothing is left to resume; pass e\.g\. epochs=8 to train further$",
    ):
        check_epochs_left(tmp_path, 3, drawn, given=False, logged=_epochs(3))


def _most_here(resize: int, world_size: int) -> int:
    """The largest batch whose rank-0 share (rows 0, W, 2W, ...) of float32 resize² images fits
    in 2 GiB, found by counting the rows (the oracle, independent of the library's arithmetic)."""
    most = 2**31 // (resize**2 * 4) * world_size
    assert len(range(0, most, world_size)) * resize**2 * 4 <= 2**31
    assert len(range(0, most + 1, world_size)) * resize**2 * 4 > 2**31
    return most


@pytest.mark.parametrize(
    ("recorded", "processes"),
    [
        ({"world_size": 2}, "as many processes as it ran in (torchrun --nproc_per_node=2)"),
        # config.json's settings are its latest resume's, taken in that resume's processes
        ({"world_size": 2, "resumes": [{"from_epoch": 1, "world_size": 4}]},
         "as many processes as it ran in (torchrun --nproc_per_node=4)"),
        ({}, "at least 2 processes (torchrun --nproc_per_node=2)"),  # none recorded
        ({"world_size": 1}, "at least 2 processes (torchrun --nproc_per_node=2)"),  # a hand edit
    ],
    ids=["ran-in-2", "resumed-in-4", "not-recorded", "recorded-1"],
)  # fmt: skip
def test_a_batch_held_in_shares_under_torchrun_is_refused_in_one_process_by_what_works(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorded: dict[str, Any],
    processes: str,
) -> None:
    """A run made under torchrun --nproc_per_node 2 with --resize 1 --batch-size 536870913 (4
    bytes past 2 GiB, half that per process) was refused when resumed in one process as "its
    'config' section holds a value no run takes ...; correct it, or delete config.json", though
    nothing was damaged, and before --batch-size could apply. The saved settings load; the
    settings to continue with are refused for this process, naming the fixes a resume has."""
    from linearnets.cli._report import one_line

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    batch = 2**29 + 1
    assert batch * 1**2 * 4 == 2**31 + 4 and len(range(0, batch, 2)) * 4 <= 2**31  # fits in 2
    (tmp_path / "config.json").write_text("{}")
    settings = {**OLD.to_dict(), "batch_size": batch, "resize": 1}
    saved = {"config": settings, **recorded}
    asked = last_asked(saved, run_dir=tmp_path)
    assert (asked.batch_size, asked.resize) == (batch, 1)
    assert checkpoint_config(_checkpoint(settings)) == asked  # the checkpoint's, alike
    with pytest.raises(UsageError) as info:
        resumed_config(asked, {}, tmp_path, saved=saved)
    most = _most_here(1, 1)
    tail = (
        "per batch in one process, past the 2 GiB a process may hold; resume it under torchrun "
        f"with {processes}, or pass {{}} or less with {{}} (a new batch size changes its result)"
    )
    assert str(info.value) == (
        f"the run in {tmp_path} trains with batch_size={batch} at resize=1, 2 GiB + 4 bytes of "
        f"float32 values ({batch} × 1²) " + tail.format(f"batch_size={most}", "force=True")
    )
    assert one_line(info.value) == (
        f"the run in {tmp_path} trains with --batch-size {batch} at --resize 1, 2 GiB + 4 bytes "
        f"of float32 values ({batch} × 1²) " + tail.format(f"--batch-size {most}", "--force")
    )
    # the batch it suggests is taken; a resize given as the run's own changes none of that
    assert resumed_config(asked, {"batch_size": most}, tmp_path, saved=saved).batch_size == most
    with pytest.raises(UsageError) as same:
        resumed_config(asked, {"resize": 1}, tmp_path, saved=saved)
    assert str(same.value) == str(info.value)


def test_a_batch_given_to_a_resume_past_what_this_process_holds_names_what_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --batch-size given on a resume: a smaller one (forced, a changed result setting) or more
    processes; not a smaller --resize, which the checkpoint's weights would not fit. A --resize
    given, a change of its own, keeps the rule's own words."""
    from linearnets.cli._report import one_line

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    run = replace(OLD, resize=1)
    most = _most_here(1, 1)
    with pytest.raises(UsageError) as info:
        resumed_config(run, {"batch_size": 3 * most}, tmp_path, saved={"world_size": 1})
    assert one_line(info.value) == (
        f"a resume with --batch-size {3 * most} at the run's --resize 1 makes 6.0 GiB of float32 "
        f"values ({3 * most} × 1²) per batch in one process, past the 2 GiB a process may hold; "
        f"pass --batch-size {most} or less (with --force: a new batch size changes the run's "
        "result), or resume it under torchrun with at least 3 processes (torchrun "
        "--nproc_per_node=3)"
    )
    with pytest.raises(UsageError, match=r"\(2 GiB \+ 4 bytes\); lower resize or batch_size$"):
        resumed_config(replace(OLD, resize=2), {"resize": 1, "batch_size": most + 1}, tmp_path)


def test_a_batch_held_in_more_shares_than_this_run_has_is_refused_per_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resumed under torchrun in 2 processes, a run made in 4 whose shares fit only in 3 or
    more: said per share, and the most two processes hold."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    batch = 2**30 + 1
    share = len(range(0, batch, 2))  # rank 0's rows in 2 processes
    assert share * 4 > 2**31 >= len(range(0, batch, 3)) * 4
    asked = last_asked(
        {"config": {**OLD.to_dict(), "batch_size": batch, "resize": 1}}, run_dir=tmp_path
    )
    with pytest.raises(UsageError) as info:
        resumed_config(asked, {}, tmp_path, saved={"world_size": 4})
    assert str(info.value) == (
        f"the run in {tmp_path} trains with batch_size={batch} at resize=1, 2 GiB + 4 bytes of "
        f"float32 values ({share} × 1²) per share of a batch in 2 processes, past the 2 GiB a "
        "process may hold; resume it under torchrun with as many processes as it ran in (torchrun "
        f"--nproc_per_node=4), or pass batch_size={_most_here(1, 2)} or less with force=True (a "
        "new batch size changes its result)"
    )


def test_a_misspelt_setting_given_beside_the_one_it_meant_is_told_to_be_dropped(
    tmp_path: Path,
) -> None:
    """epoch=9 beside epochs=3 was asked "did you mean epochs=9?": the call holds epochs already,
    so the misspelt keyword is to be dropped."""
    with pytest.raises(UsageError) as caught:
        resumed_config(OLD, {"epoch": 9, "epochs": 3, "learning_rate": 0.5}, tmp_path)
    assert str(caught.value).startswith(
        "resume_softmax got unknown settings ['epoch', 'learning_rate']; did you mean lr=0.5? "
        "drop epoch (epochs=3 is given too); pass SoftmaxConfig fields among ['"
    )


def test_two_misspellings_of_one_setting_are_told_to_pass_it_once(tmp_path: Path) -> None:
    """resume_softmax(run, epoch=9, epochz=4) asked "did you mean epochs=9 and epochs=4?", a
    keyword given twice, which Python refuses."""
    with pytest.raises(UsageError) as caught:
        resumed_config(OLD, {"epoch": 9, "epochz": 4, "learning_rate": 0.5}, tmp_path)
    assert (
        "; did you mean lr=0.5? epoch and epochz both look meant for epochs: pass epochs once; "
        "pass SoftmaxConfig fields among ['"
    ) in str(caught.value)


def test_a_finished_run_needs_metrics_of_its_checkpoint_history(tmp_path: Path) -> None:
    """metrics.jsonl and metrics.csv removed or damaged were not looked at: the plain resume
    said the run was complete. Each must hold a whole row of each of the history's epochs."""
    _metrics(tmp_path, 3)
    _weights(tmp_path / "model.pt")
    (tmp_path / "results.json").write_text('{"epochs": 3}')
    with pytest.raises(UsageError, match=r"is complete: it finished its 3 epochs"):
        check_epochs_left(tmp_path, 3, OLD, given=False, logged=_epochs(3))
    other = "held 3 epoch rows, not those of epochs 1, 2, 4 where the checkpoint's history holds 3"
    assert check_epochs_left(tmp_path, 3, OLD, given=False, logged=[1, 2, 4]) == {
        "metrics.jsonl": f"{other} epoch rows",
        "metrics.csv": f"{other} epoch rows",
    }
    (tmp_path / "metrics.jsonl").write_text('{"epoch": 1}\n{"epoch": 2\n{"epoch": 3}\n')
    assert check_epochs_left(tmp_path, 3, OLD, given=False, logged=_epochs(3)) == {
        "metrics.jsonl": "was damaged (line 2 is no row of metrics)"
    }
    (tmp_path / "metrics.jsonl").unlink()
    with pytest.raises(UsageError, match=r"must be at least the epochs .* already finished \(3\)"):
        check_epochs_left(tmp_path, 3, replace(OLD, epochs=2), given=True, logged=_epochs(3))


def test_a_finished_run_that_lost_only_its_config_json_is_not_complete(tmp_path: Path) -> None:
    """The plain resume said "the run is complete", and config.json stayed missing, though its
    checkpoint stands in for it and the resume writes it again."""
    _metrics(tmp_path, 3)
    _weights(tmp_path / "model.pt")
    (tmp_path / "results.json").write_text('{"epochs": 3}')
    with pytest.raises(UsageError, match=r"is complete: it finished its 3 epochs"):
        check_epochs_left(tmp_path, 3, OLD, given=False, logged=_epochs(3))
    (tmp_path / "config.json").unlink()
    assert config_lost(tmp_path)
    assert check_epochs_left(tmp_path, 3, OLD, given=False, logged=_epochs(3)) == {}
    with pytest.raises(UsageError, match=r"must be at least the epochs .* already finished \(3\)"):
        check_epochs_left(tmp_path, 3, replace(OLD, epochs=2), given=True, logged=_epochs(3))
