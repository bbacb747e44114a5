"""A softmax run's config.json read back for its resume: hand edits refused, the fix given.

Unit tests of :mod:`linearnets.tasks.resume_saved` on files and folders built by hand; the
end-to-end resumes are in ``test_resume_recovery.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import CheckpointError, UsageError
from linearnets.tasks.resume_saved import (
    checkpoint_config,
    config_from_checkpoint,
    last_asked,
    refuse_linreg_run,
    saved_config,
    started_environment,
)
from linearnets.training.checkpoint import Checkpoint, save_checkpoint

from .test_resume_settings import OLD, _checkpoint


def _loadable_checkpoint(run_dir: Path, *, extra: dict[str, Any] | None = None) -> None:
    """Write a checkpoint a resume can rebuild config.json from (saved_config loads it)."""
    save_checkpoint(
        run_dir / "checkpoint.pt",
        model_state={"W": torch.zeros(784, 10)},
        optimizer_state={},
        epoch=1,
        generators_state={},
        history=[],
        config=OLD.to_dict(),
        extra=extra,
    )


# the fix past correcting a config.json value, by the folder's checkpoint: deleting config.json
# left a folder without a checkpoint (or with a damaged one) nothing to resume. One wording for
# every refusal of the file (a record beside the settings, or a setting)
_NEW_RUN = (
    "start a new run in another folder (out=NEW_DIR): this one has no checkpoint to rebuild "
    "config.json from"
)
_REBUILT = (
    "delete config.json: a resume rebuilds it from checkpoint.pt, with the settings the run was "
    "trained with, but not the record of earlier resumes, nor your own notes, nor a value forced "
    "since that checkpoint (pass it again)"
)


def test_the_last_asked_settings_are_config_jsons(tmp_path: Path) -> None:
    assert last_asked({"config": SoftmaxConfig(epochs=6).to_dict()}, run_dir=tmp_path).epochs == 6
    assert last_asked({}, run_dir=tmp_path).epochs == SoftmaxConfig().epochs  # empty: the defaults


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        # a string in JSON's quotes, as the file has it: not Python's '0.5'
        ({"lr": "0.5"}, r'lr must be a positive number, got "0\.5"'),
        ({"impl": "foo"}, r'impl must be one of "scratch", "concise", "analytic", got "foo"'),
        ({"lr": {"a": [1, None]}}, r'lr must be a positive number, got \{"a": \[1, null\]\}'),
        # JSON's NaN and Infinity as the file writes them, not Python's nan and inf
        ({"lr": float("nan")}, r"lr must be a finite number > 0, got NaN"),
        ({"lr": float("inf")}, r"lr must be a finite number > 0, got Infinity"),
        ({"epochs": float("-inf")}, r"epochs must be a positive integer, got -Infinity"),
        # its interval "(0, about 3.4e+38]" kept the fix "; pass e.g. lr=0.1" inside the parentheses
        (
            {"lr": 1e300},
            r"lr must be a number from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), got 1e\+300",
        ),
        # the file's words: true, false and null, a path a string
        ({"guard": 1}, r"guard must be true or false, got 1"),
        ({"epochs": None}, r"epochs must be a positive integer, got null"),
        ({"data": 5}, r"data must be a path \(a string\) or null, got 5"),
    ],
    ids=[
        "lr-str",
        "impl",
        "lr-object",
        "lr-nan",
        "lr-inf",
        "epochs--inf",
        "lr-past-float32",
        "guard",
        "epochs-null",
        "data-int",
    ],
)
def test_a_hand_edit_no_run_takes_is_named_not_dropped(
    tmp_path: Path, value: dict[str, Any], rule: str
) -> None:
    """It was dropped silently, with every other setting of config.json (a valid --lr change
    there, refused without force, was then trained over at the checkpoint's lr). The fix past
    correcting it is the one of every refusal of the file: without a checkpoint it said "(the run
    has no checkpoint yet to rebuild the file from)", which left what to do unsaid."""
    (tmp_path / "config.json").write_text("{}")
    saved = {"config": {**SoftmaxConfig(epochs=6).to_dict(), **value}}
    refused = (
        rf"^{re.escape(str(tmp_path / 'config.json'))}: its 'config' section holds a value no "
        rf"run takes \({rule}\); correct it, or "
    )
    with pytest.raises(UsageError, match=rf"{refused}{re.escape(_NEW_RUN)}$"):
        last_asked(saved, run_dir=tmp_path)
    # a damaged checkpoint rebuilds nothing either: a resume without config.json cannot load it
    (tmp_path / "checkpoint.pt").write_bytes(b"x")
    with pytest.raises(UsageError, match=rf"{refused}{re.escape(_NEW_RUN)}$"):
        last_asked(saved, run_dir=tmp_path)
    _loadable_checkpoint(tmp_path)
    with pytest.raises(UsageError, match=rf"{refused}{re.escape(_REBUILT)}$"):
        last_asked(saved, run_dir=tmp_path)


@pytest.mark.parametrize(
    ("dropped", "said"),
    [
        (["lr"], "lacks 'lr', which every run writes (a resume would take the default, lr 0.1, not "
         "the value the run was trained with)"),
        (["impl", "seed"], "lacks 'impl' and 'seed', which every run writes (a resume would take "
         'their defaults, impl "analytic", seed 0, not the values the run was trained with)'),
    ],
    ids=["lr", "impl-seed"],
)  # fmt: skip
def test_a_setting_taken_out_of_config_json_is_named_not_taken_at_its_default(
    tmp_path: Path, dropped: list[str], said: str
) -> None:
    """A setting every run writes, deleted by hand, was taken at its default: a run trained at
    lr 0.5 continued at 0.1, with the default implementation, and nothing said so."""
    config = SoftmaxConfig(impl="scratch", lr=0.5, seed=7, plot="none", device="cpu").to_dict()
    assert last_asked({"config": config}, run_dir=tmp_path) == SoftmaxConfig.from_dict(config)
    (tmp_path / "config.json").write_text("{}")
    saved = {"config": {k: v for k, v in config.items() if k not in dropped}}
    file = tmp_path / "config.json"
    with pytest.raises(UsageError) as info:
        last_asked(saved, run_dir=tmp_path)
    assert str(info.value) == (
        f"{file}: its 'config' section {said}; put back what the run was trained with, or "
        f"{_NEW_RUN}"
    )
    _loadable_checkpoint(tmp_path)
    with pytest.raises(UsageError) as info:
        last_asked(saved, run_dir=tmp_path)
    assert str(info.value) == (
        f"{file}: its 'config' section {said}; put back what the run was trained with, or "
        f"{_REBUILT}"
    )
    # a setting added since run folders began (guard, device, plot) is not required of a file
    older = {k: v for k, v in config.items() if k not in ("guard", "device", "plot")}
    assert last_asked({"config": older}, run_dir=tmp_path).lr == 0.5


@pytest.mark.parametrize(
    ("task", "said"),
    [
        ("Linreg ", '"Linreg " (drop the blank and write it in lower case: "linreg")'),
        ("softmax", '"softmax"'),
        (5, "the number 5"),
        (["linreg"], 'an array ["linreg"]'),
        ({"a": 1}, 'an object {"a": 1}'),
    ],
    ids=["respelled", "other", "number", "array", "object"],
)
def test_a_task_no_run_writes_is_refused_not_read_as_a_softmax_runs(
    tmp_path: Path, task: object, said: str
) -> None:
    """A "task" edited by hand ("Linreg ") was read as a softmax run's, and its linear-regression
    settings refused as settings this linearnets does not know ('noise_std', ...). A task that is
    no string is named as the file holds it, with its kind (it read ['linreg'], {'a': 1}), a
    string as well ("Linreg ", not Python's 'Linreg ')."""
    with pytest.raises(UsageError) as info:
        refuse_linreg_run({"task": task}, tmp_path, fix="unused")
    assert str(info.value) == (
        f"{tmp_path / 'config.json'} names task {said}, which no run writes (a linear-regression "
        """run's names "linreg", a softmax run's none); correct it, or put back the run's """
        "config.json from a copy of the run"
    )
    refuse_linreg_run({}, tmp_path, fix="unused")  # a softmax run's names none
    with pytest.raises(UsageError, match=r"holds a linear-regression run .*; the fix$"):
        refuse_linreg_run({"task": "linreg"}, tmp_path, fix="the fix")


def test_settings_read_from_the_checkpoint_are_the_checkpoints_to_blame(tmp_path: Path) -> None:
    """No config.json: saved_config took the checkpoint's config, so that file is named."""
    with pytest.raises(
        CheckpointError, match=r"checkpoint .*checkpoint\.pt holds an unusable config"
    ):
        last_asked({"config": {"lr": -1}}, run_dir=tmp_path)


def test_a_checkpoint_with_an_unusable_config_is_named() -> None:
    assert checkpoint_config(_checkpoint(OLD.to_dict())) == OLD
    with pytest.raises(
        CheckpointError, match=r"holds an unusable config: .*resume with force=True"
    ):
        checkpoint_config(_checkpoint({"lr": "fast"}))


def test_the_fix_of_an_unusable_checkpoint_config_names_force_in_either_words() -> None:
    """From Python "resume with --force" named an option Python does not have; the setting is
    force=True. The command line prints --force, as it did; the validator's own suggestion inside
    (pass e.g. lr=0.1) stays as the command printed it."""
    from linearnets.cli._report import one_line

    with pytest.raises(CheckpointError) as info:
        checkpoint_config(_checkpoint({"lr": "fast"}))
    assert str(info.value).endswith("delete it and resume with force=True to start the run over")
    assert one_line(info.value) == (
        "checkpoint run/checkpoint.pt holds an unusable config: lr must be a positive number, got "
        "'fast'; pass e.g. lr=0.1; restore checkpoint.pt from a copy of the run, or delete it and "
        "resume with --force to start the run over"
    )


def test_a_bad_checkpoint_config_of_a_finished_run_says_the_start_over_replaces_its_weights(
    tmp_path: Path,
) -> None:
    """A finished run's checkpoint holding an unusable config was sent to "delete it and resume
    with force=True" without a word of its trained weights and results, which that start over
    replaces (each kept as NAME.bak): the other damaged checkpoints' fix says so."""
    import dataclasses

    from linearnets.cli._report import one_line

    (tmp_path / "model.pt").write_bytes(b"weights")
    (tmp_path / "results.json").write_text("{}")
    ckpt = dataclasses.replace(_checkpoint({"lr": "fast"}), path=tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError) as info:
        checkpoint_config(ckpt)
    assert str(info.value).endswith(
        "; restore checkpoint.pt from a copy of the run, or delete it and resume with force=True "
        "to start the run over; the run finished: starting it over replaces its trained weights "
        "and results (model.pt, results.json; each old file is kept as NAME.bak, e.g. "
        "model.pt.bak)"
    )
    assert "or delete it and resume with --force to start the run over; the run finished" in (
        one_line(info.value)
    )


def test_the_started_environment_is_kept_only_when_recorded() -> None:
    assert started_environment({"environment": {"python": "3.10"}}) == {"python": "3.10"}
    assert started_environment({"environment": "3.10"}) is None
    assert started_environment({}) is None


def _config_with_resumes(run_dir: Path, resumes: Any) -> Path:
    (run_dir / "config.json").write_text(json.dumps({"config": OLD.to_dict(), "resumes": resumes}))
    return run_dir


def test_resumes_written_as_null_are_none_recorded(tmp_path: Path) -> None:
    assert saved_config(_config_with_resumes(tmp_path, None))["resumes"] == []
    assert saved_config(_config_with_resumes(tmp_path, [{"from_epoch": 1}]))["resumes"] == [
        {"from_epoch": 1}
    ]


@pytest.mark.parametrize(
    ("resumes", "got"),
    # in the file's words: "an array", "the number 5", not Python's "a list", "int 5"
    [(5, "the number 5"), ({"a": 1}, 'an object {"a": 1}'), ("[]", 'the string "[]"')],
)
def test_resumes_that_are_not_a_list_are_refused_naming_the_file_and_the_fix(
    tmp_path: Path, resumes: Any, got: str
) -> None:
    """The fix past setting it to []: deleting config.json only where a resume rebuilds it."""
    for checkpoint, fix in [(None, _NEW_RUN), (b"x", _NEW_RUN), ("loadable", _REBUILT)]:
        if checkpoint == "loadable":
            _loadable_checkpoint(tmp_path)
        elif checkpoint is not None:
            (tmp_path / "checkpoint.pt").write_bytes(b"x")
        with pytest.raises(UsageError) as info:
            saved_config(_config_with_resumes(tmp_path, resumes))
        assert str(info.value) == (
            f"{tmp_path / 'config.json'}: 'resumes' must be an array of the run's resumes, got "
            f"{got}; set it to [] (the record of earlier resumes is lost, the run is not), or {fix}"
        )


@pytest.mark.parametrize(
    ("value", "got"),
    [(0, "the number 0"), (-2, "the number -2"), (1.5, "the number 1.5"), ("2", 'the string "2"'),
     (True, "true"), (float("nan"), "NaN"), ([], "an array []"),
     # as a -1e400 in the file reads: said as what it reads as, and why
     (float("-inf"), "-Infinity (a number past a float's range reads as -Infinity)")],
)  # fmt: skip
@pytest.mark.parametrize("where", ["start", "resume"])
def test_a_world_size_that_counts_no_processes_is_refused_naming_it(
    tmp_path: Path, value: Any, got: str, where: str
) -> None:
    """A hand-edited "world_size": 0 was read as the processes the run last ran in ("resumed in 1
    process, where the run last ran in 0 ... resume in one process, without torchrun, for
    that"); "2" or 1.5 went unread. Null, or none, is not recorded."""
    saved: dict[str, Any] = {"config": OLD.to_dict(), "world_size": 1, "resumes": []}
    if where == "start":
        saved["world_size"] = value
        name = "'world_size'"
    else:
        saved["resumes"] = [
            {"from_epoch": 1, "world_size": 2},
            {"from_epoch": 2, "world_size": value},
        ]
        name = "'world_size' of entry 2 of 2 in 'resumes'"
    (tmp_path / "config.json").write_text(json.dumps(saved))
    # no checkpoint: deleting config.json, as it said, left nothing to resume
    for fix in [_NEW_RUN, _REBUILT]:
        if fix == _REBUILT:
            _loadable_checkpoint(tmp_path)
        with pytest.raises(UsageError) as info:
            saved_config(tmp_path)
        assert str(info.value) == (
            f"{tmp_path / 'config.json'}: {name} must be an integer >= 1 (the processes the run "
            f"ran in), got {got}; correct it (1 where it ran without torchrun), or {fix}"
        )
    (tmp_path / "config.json").write_text(json.dumps({**saved, "world_size": None, "resumes": []}))
    assert saved_config(tmp_path)["world_size"] is None  # not recorded: taken as it is


def test_a_run_dir_under_tilde_without_config_json_is_read_from_its_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``softmax --resume '~/run'`` with config.json gone looked for the checkpoint in "./~/run"."""
    import linearnets.training.run_config as run_config

    (tmp_path / "run").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    read: list[Path] = []

    def load(path: Path) -> Checkpoint:
        read.append(path)
        return _checkpoint(OLD.to_dict())

    monkeypatch.setattr(run_config, "load_checkpoint", load)  # resumable_checkpoint's
    assert saved_config("~/run") == {"config": OLD.to_dict(), "resumes": []}
    assert read == [tmp_path / "run" / "checkpoint.pt"]


@pytest.mark.parametrize(
    ("extra", "record"),
    [
        ({"data_sha256": "a" * 64}, {"data_sha256": "a" * 64}),
        ({"data_sha256": None}, {"data_sha256": None}),  # Fashion-MNIST, or synthetic data
        ({}, {}),  # an earlier linearnets' checkpoint: none, and no null that says "no file"
    ],
    ids=["sha", "none", "earlier"],
)
def test_the_checkpoint_s_data_sha256_stands_in_for_the_lost_config_json_s(
    tmp_path: Path, extra: dict[str, Any], record: dict[str, Any]
) -> None:
    """The data file's SHA-256 the checkpoint records is the stand-in's, so a resume checks the
    file against it (it was lost with config.json, and new content trained on unnoticed)."""
    _loadable_checkpoint(tmp_path, extra=extra)
    assert config_from_checkpoint(tmp_path) == {"config": OLD.to_dict(), **record, "resumes": []}
    (tmp_path / "config.json").write_text("{}")
    assert config_from_checkpoint(tmp_path) is None  # config.json is read instead


@pytest.mark.parametrize(
    ("results", "epochs"),
    [
        ('{"epochs": 1, "run_dir": "HERE"}', 1),
        ('{"epochs": 1, "run_dir": "/elsewhere/other"}', 3),  # another run's, copied in
        ('{"epochs": 1}', 3),  # no folder named: whose cannot be told
        ('{"epochs": 2, "run_dir": "HERE"}', 3),
        ('{"epochs": true, "run_dir": "HERE"}', 3),
        ("{", 3),
        (None, 3),
    ],
    ids=["ended-there", "another-runs", "no-run-dir", "stale", "bool", "damaged", "none"],
)
def test_a_run_whose_results_end_at_the_checkpoint_is_rebuilt_ending_there(
    tmp_path: Path, results: str | None, epochs: int
) -> None:
    """A run asked for 3 epochs, stopped after 1 and ended there ("pass epochs=1 to end the run
    there") by a linearnets whose checkpoint kept the count of 3: config.json rebuilt from it
    said 3, and the plain resume trained the finished run on, overwriting its weights and
    results. Its results.json of the checkpoint's epoch says where it ended; other results
    (another run's: it ended this unfinished one and wrote 1 into its checkpoint; stale,
    damaged, none) leave the checkpoint's count, the resume writing them."""
    _loadable_checkpoint(tmp_path)  # epoch 1, OLD's 3 epochs
    if results is not None:
        (tmp_path / "results.json").write_text(results.replace("HERE", str(tmp_path)))
    rebuilt = config_from_checkpoint(tmp_path)
    assert rebuilt == {"config": {**OLD.to_dict(), "epochs": epochs}, "resumes": []}


def test_a_linear_regression_run_without_its_config_is_refused_as_such(tmp_path: Path) -> None:
    """Without config.json the checkpoint's config was read as a softmax run's: refused as
    "written by another version", with the advice to delete checkpoint.pt and start over."""
    import linearnets

    run = tmp_path / "lr"
    linearnets.run_linreg(linearnets.LinregConfig(epochs=1, out=run))
    (run / "config.json").unlink()
    with pytest.raises(UsageError) as info:
        saved_config(run)
    assert str(info.value) == (
        f"the run folder {run} holds a linear-regression run (its checkpoint.pt is of task "
        f"'linreg'), not a softmax run; it is complete after 1 epoch: train it further with: "
        f"linearnets.resume_linreg('{run}', epochs=6)"
    )
    assert (run / "checkpoint.pt").is_file()
    # as it says: the linear-regression resume rebuilds its config.json from the checkpoint
    assert linearnets.resume_linreg(run, epochs=6).history.epochs[-1].epoch == 6
    assert (run / "config.json").is_file()


def test_a_linear_regression_run_whose_task_was_removed_is_refused_as_such(
    tmp_path: Path,
) -> None:
    """A linear-regression run's config.json, its "task" removed by hand: resume_linreg names it
    so, but resume_softmax (and the command line's softmax --resume) read it as a softmax run's
    and refused "settings this linearnets does not know: 'noise_std', 'num_examples', ..."."""
    import linearnets
    from linearnets.cli import main
    from linearnets.cli._report import one_line

    run = tmp_path / "lr"
    linearnets.run_linreg(linearnets.LinregConfig(epochs=1, out=run))
    saved = json.loads((run / "config.json").read_text())
    del saved["task"]
    (run / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        linearnets.resume_softmax(run)
    said = (
        f"{run}/config.json names no task, but its settings (num_examples, noise_std, true_w, "
        'true_b) are a linear-regression run\'s, not a softmax run\'s (add "task": "linreg" to '
        "it, as a linear-regression run's names it); it is complete after 1 epoch: train it "
        "further with: "
    )
    assert str(info.value) == said + f"linearnets.resume_linreg('{run}', epochs=6)"
    assert one_line(info.value).startswith(said) and one_line(info.value).endswith(
        f"linreg --resume {run} --epochs 6"
    )
    assert main(["softmax", "--resume", str(run)]) == 2
    # as it says: the task put back, the linear-regression resume continues it
    (run / "config.json").write_text(json.dumps({**saved, "task": "linreg"}))
    assert linearnets.resume_linreg(run, epochs=6).history.epochs[-1].epoch == 6
