"""A run's record of its resumes in config.json: hand edits refused, forced values read.

Unit tests of :mod:`linearnets.tasks.resume_entries` on entries built by hand (a softmax run's
pairs as strings, a linear-regression run's as the settings' values), and the resume of a softmax
run whose interrupted forced resume's entry was edited, from Python and the command line (a
linear-regression run's: ``test_linreg_saved.py``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from linearnets.cli import main
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.resume_entries import check_entries, forced_since
from linearnets.tasks.softmax import run_softmax

from .test_resume_recovery import _base, _data

FILE = Path("run/config.json")
FIX = "FIX"  # the fix past correcting a value: resume_saved's _rebuilt, tested there
_FROM_EPOCH = (
    "an integer >= 0 (the epochs the run's checkpoint had finished when that resume started; 0 "
    "where it started the run over)"
)


def _entry(**changes: Any) -> dict[str, Any]:
    """A resume's entry as a resume writes it (its environment left out: check_records')."""
    return {"from_epoch": 1, "forced": {"lr": ["0.1", "0.5"]}, **changes}


def _refusal(*entries: Any) -> str:
    with pytest.raises(UsageError) as info:
        check_entries({"resumes": list(entries)}, FILE, rebuilt=FIX)
    return str(info.value)


@pytest.mark.parametrize(
    ("value", "got"),
    [("1", 'the string "1"'), (2.5, "the number 2.5"), (1.0, "the number 1.0"), (True, "true"),
     (-1, "the number -1"), (None, "null"), ([1], "an array [1]"), (float("nan"), "NaN")],
    ids=["string", "fraction", "float", "bool", "negative", "null", "array", "NaN"],
)  # fmt: skip
def test_a_from_epoch_that_counts_no_epochs_is_refused_naming_it(value: Any, got: str) -> None:
    """ "1" or 2.5 matched no checkpoint's epoch: the value that resume forced was dropped, and
    the next resume told its own config.json was "a checkpoint from another run?"."""
    assert _refusal(_entry(), _entry(from_epoch=value)) == (
        f"{FILE}: 'from_epoch' of entry 2 of 2 in 'resumes' must be {_FROM_EPOCH}, got {got}; "
        f"correct it, or {FIX}"
    )


def test_an_entry_without_from_epoch_is_refused_naming_what_it_lacks() -> None:
    entry = _entry()
    del entry["from_epoch"]
    assert _refusal(entry) == (
        f"{FILE}: entry 1 of 1 in 'resumes' lacks 'from_epoch', which every resume writes, as "
        f"{_FROM_EPOCH}; put it back, or {FIX}"
    )


@pytest.mark.parametrize(
    ("forced", "got"),
    [([], "an array []"), ("lr", 'the string "lr"'), (5, "the number 5"), (True, "true")],
    ids=["array", "string", "number", "bool"],
)
def test_a_forced_that_is_no_object_is_refused_naming_it(forced: Any, got: str) -> None:
    assert _refusal(_entry(forced=forced)) == (
        f"{FILE}: 'forced' of entry 1 of 1 in 'resumes' must be an object of the settings that "
        'resume changed with force=True, each [old, new] as two strings (as {"lr": ["0.1", '
        f'"0.5"]}}; {{}} where it forced none), got {got}; correct it, or {FIX}'
    )


@pytest.mark.parametrize(
    ("pair", "got"),
    [("0.5", 'the string "0.5"'), (["0.5"], 'an array ["0.5"]'),
     (["0.1", "0.5", "0.7"], 'an array ["0.1", "0.5", "0.7"]'), ([0.1, 0.5], "an array [0.1, 0.5]"),
     (["0.1", None], 'an array ["0.1", null]'), (None, "null"), ({"new": "0.5"}, 'an object {"new": "0.5"}')],
    ids=["string", "one", "three", "numbers", "null-item", "null", "object"],
)  # fmt: skip
def test_a_forced_value_that_is_no_pair_of_strings_is_refused_naming_its_setting(
    pair: Any, got: str
) -> None:
    """{"lr": "0.5"} was read past: the lr that resume forced was dropped."""
    assert _refusal(_entry(forced={"seed": ["0", "3"], "lr": pair})) == (
        f"{FILE}: 'lr' of 'forced' of entry 1 of 1 in 'resumes' must be an array of two strings "
        '(the value before and the value forced, as {"lr": ["0.1", "0.5"]}), got '
        f"{got}; correct it, or {FIX}"
    )


@pytest.mark.parametrize(
    ("entry", "got"),
    [(5, "the number 5"), ("x", 'the string "x"'), ([], "an array []"), (None, "null")],
    ids=["number", "string", "array", "null"],
)
def test_an_entry_that_is_no_object_is_refused_with_its_removal_as_a_fix(
    entry: Any, got: str
) -> None:
    """It was skipped by every reader, and copied into the next config.json as it was."""
    assert _refusal(_entry(), entry, _entry(from_epoch=2)) == (
        f"{FILE}: entry 2 of 3 in 'resumes' must be an object (one resume's record: its "
        f"'from_epoch', 'forced' and environment), got {got}; remove it (the record of that "
        f"resume is lost, the run is not), or {FIX}"
    )


def test_the_entries_resumes_write_are_taken() -> None:
    """A start over (from 0), nothing forced ({}, null or none recorded), a data file's content
    (its key is data_sha256, no setting), and no entries at all."""
    check_entries({}, FILE, rebuilt=FIX)
    check_entries({"resumes": []}, FILE, rebuilt=FIX)
    entries = [
        _entry(from_epoch=0, forced={}),
        _entry(forced=None),
        {"from_epoch": 2},
        _entry(from_epoch=3, forced={"data_sha256": ["a" * 64, "b" * 64], "data": ["/a", "/b"]}),
    ]
    check_entries({"resumes": entries}, FILE, rebuilt=FIX)


# a linear-regression run's 'forced', as resume_linreg writes it: the settings' own JSON values
_SETTING_PAIRS = "two setting values, each a number, a string, null or an array of numbers"


def _linreg_refusal(*entries: Any) -> str:
    with pytest.raises(UsageError) as info:
        check_entries({"resumes": list(entries)}, FILE, rebuilt=FIX, pairs="values")
    return str(info.value)


def test_the_pairs_every_linear_regression_resume_wrote_are_taken() -> None:
    """resume_linreg has written {k: list((old, new))} of its settings' values since its run
    folders began: numbers, an impl, a data path (with its SHA-256 where the content changed),
    null and true_w's array where a data file takes the synthetic data's place."""
    forced = {
        "lr": [0.03, 0.05],
        "batch_size": [10, 20],
        "seed": [0, 3],
        "impl": ["scratch", "concise"],
        "data": [None, "/runs/d.csv"],
        "num_examples": [1000, None],
        "noise_std": [0.01, None],
        "true_w": [[2.0, -3.4], None],
        "true_b": [4.2, None],
    }
    moved = {"data": ["/runs/d.csv (SHA-256 0123456789ab)", "/runs/d.csv"]}
    entries = [_entry(from_epoch=0, forced={}), _entry(forced=forced), _entry(forced=moved)]
    check_entries({"resumes": entries}, FILE, rebuilt=FIX, pairs="values")
    # a softmax run's strings are values too; its numbers are no strings
    check_entries({"resumes": [_entry()]}, FILE, rebuilt=FIX, pairs="values")
    with pytest.raises(UsageError, match="must be an array of two strings "):
        check_entries({"resumes": [_entry(forced=forced)]}, FILE, rebuilt=FIX)


@pytest.mark.parametrize(
    ("pair", "got"),
    [(5, "the number 5"), ("0.05", 'the string "0.05"'), ([0.03], "an array [0.03]"),
     ([0.03, 0.05, 0.1], "an array [0.03, 0.05, 0.1]"), (None, "null"),
     ([True, 0.05], "an array [true, 0.05]"), ([0.03, float("nan")], "an array [0.03, NaN]"),
     ([{"v": 1}, 0.05], 'an array [{"v": 1}, 0.05]'), ([[2.0, True], None], "an array [[2.0, true], null]"),
     ({"new": 0.05}, 'an object {"new": 0.05}')],
    ids=["number", "string", "one", "three", "null", "bool-item", "NaN-item", "object-item",
         "bool-in-array", "object"],
)  # fmt: skip
def test_a_linear_regression_forced_value_that_is_no_pair_of_setting_values_is_refused(
    pair: Any, got: str
) -> None:
    """{"lr": 5} was taken, and copied into the next config.json as it was."""
    assert _linreg_refusal(_entry(forced={"seed": [0, 3], "lr": pair})) == (
        f"{FILE}: 'lr' of 'forced' of entry 1 of 1 in 'resumes' must be an array of "
        f"{_SETTING_PAIRS} (the value before and the value forced, as "
        f'{{"lr": [0.03, 0.05]}}), got {got}; correct it, or {FIX}'
    )


@pytest.mark.parametrize(
    ("forced", "got"),
    [([], "an array []"), ("lr", 'the string "lr"'), (5, "the number 5")],
    ids=["array", "string", "number"],
)
def test_a_linear_regression_forced_that_is_no_object_is_refused_in_its_own_words(
    forced: Any, got: str
) -> None:
    assert _linreg_refusal(_entry(forced=forced)) == (
        f"{FILE}: 'forced' of entry 1 of 1 in 'resumes' must be an object of the settings that "
        "resume changed with force=True, each [old, new] as the settings' values (as "
        f'{{"lr": [0.03, 0.05]}}; {{}} where it forced none), got {got}; correct it, or {FIX}'
    )


def test_a_linear_regression_entry_is_checked_as_a_softmax_ones_but_its_pairs() -> None:
    """from_epoch and the entry itself have one rule for both tasks."""
    assert _linreg_refusal(_entry(from_epoch="1")) == (
        f"{FILE}: 'from_epoch' of entry 1 of 1 in 'resumes' must be {_FROM_EPOCH}, got the "
        f'string "1"; correct it, or {FIX}'
    )
    assert _linreg_refusal(5).startswith(
        f"{FILE}: entry 1 of 1 in 'resumes' must be an object (one resume's record"
    )


def test_the_values_forced_from_an_epoch_are_those_of_its_entries_only() -> None:
    saved = {
        "resumes": [
            _entry(from_epoch=1, forced={"lr": ["0.1", "0.5"]}),
            _entry(from_epoch=2, forced={"seed": ["0", "3"]}),
            _entry(from_epoch=1, forced={"lr": ["0.5", "0.05"], "resize": ["None", "14"]}),
            _entry(from_epoch=1, forced=None),
            {"from_epoch": 1},
        ]
    }
    assert forced_since(saved, 1) == {"lr": {"0.5", "0.05"}, "resize": {"14"}}
    assert forced_since(saved, 2) == {"seed": {"3"}}
    assert forced_since(saved, 3) == {} == forced_since({}, 1)


def _interrupted_forced_resume(tmp_path: Path) -> Path:
    """A 1-epoch run of 2 epochs whose resume with lr=0.5 and force=True stopped before its first
    checkpoint: config.json asks for lr 0.5 and records the force; the checkpoint has lr 0.1."""
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    (run / "model.pt").unlink()  # stopped before it finished
    path = run / "config.json"
    saved = json.loads(path.read_text())
    saved["config"].update(lr=0.5, epochs=2)
    saved["resumes"] = [{"from_epoch": 1, "forced": {"lr": ["0.1", "0.5"]}}]
    path.write_text(json.dumps(saved))
    return run


def test_an_interrupted_forced_resume_whose_from_epoch_was_edited_is_refused_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "from_epoch": "1" by hand: the plain resume its stop advises was refused as "checkpoint.pt
    was trained with --lr 0.1, but config.json asks for --lr 0.5 (a checkpoint from another
    run?)", naming neither the entry nor the key. Corrected as told, the force carries on."""
    run = _interrupted_forced_resume(tmp_path)
    path = run / "config.json"
    saved = json.loads(path.read_text())
    saved["resumes"][0]["from_epoch"] = "1"
    path.write_text(json.dumps(saved))
    said = (
        f"{path}: 'from_epoch' of entry 1 of 1 in 'resumes' must be {_FROM_EPOCH}, got the "
        'string "1"; correct it, or delete config.json: a resume rebuilds it from checkpoint.pt, '
        "with the settings the run was trained with, but not the record of earlier resumes, nor "
        "your own notes, nor a value forced since that checkpoint (pass it again)"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(said)}$"):
        resume_softmax(run)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run)]) == 2
    assert capsys.readouterr().err == f"linearnets softmax: error: {said}\n"
    saved["resumes"][0]["from_epoch"] = 1  # as advised
    path.write_text(json.dumps(saved))
    result = resume_softmax(run)
    assert result.config is not None and result.config.lr == 0.5
    resumes = json.loads(path.read_text())["resumes"]
    assert [(r["from_epoch"], r["forced"]) for r in resumes] == [
        (1, {"lr": ["0.1", "0.5"]}),
        (1, {"lr": ["0.1", "0.5"]}),
    ]


def test_the_rebuilt_config_json_the_fix_offers_lacks_what_it_says(tmp_path: Path) -> None:
    """The other fix, deleting config.json, was said to rebuild it "with the settings the run was
    trained with", true of the checkpoint's settings, silent on what is lost: the earlier
    resumes' entries, a note of the user's own (which a resume otherwise writes back) and the lr
    the interrupted resume forced. It says so, and the lr passed again is taken."""
    run = _interrupted_forced_resume(tmp_path)
    path = run / "config.json"
    saved = json.loads(path.read_text())
    saved["resumes"][0]["from_epoch"] = "1"
    saved["notes"] = "lr 0.5 from epoch 1"
    path.write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        resume_softmax(run)
    fix = (
        "delete config.json: a resume rebuilds it from checkpoint.pt, with the settings the run "
        "was trained with, but not the record of earlier resumes, nor your own notes, nor a value "
        "forced since that checkpoint (pass it again)"
    )
    assert str(info.value).endswith(f"; correct it, or {fix}")
    plain, again = tmp_path / "plain", tmp_path / "again"
    for copy in (plain, again):
        shutil.copytree(run, copy)
        (copy / "config.json").unlink()  # as advised
    result = resume_softmax(plain, epochs=2)
    assert result.config is not None and result.config.lr == 0.1  # the forced lr is lost
    rebuilt = json.loads((plain / "config.json").read_text())
    assert [(r["from_epoch"], r["forced"]) for r in rebuilt["resumes"]] == [(1, {})]  # the entry
    assert "notes" not in rebuilt  # and the note
    result = resume_softmax(again, epochs=2, lr=0.5, force=True)
    assert result.config is not None and result.config.lr == 0.5
    resumes = json.loads((again / "config.json").read_text())["resumes"]
    assert [(r["from_epoch"], r["forced"]) for r in resumes] == [(1, {"lr": ["0.1", "0.5"]})]


def test_a_forced_value_edited_into_no_pair_is_refused_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """{"lr": "0.5"} dropped the force as "1" did; the command line says force as --force."""
    run = _interrupted_forced_resume(tmp_path)
    path = run / "config.json"
    saved = json.loads(path.read_text())
    saved["resumes"][0]["forced"] = []
    path.write_text(json.dumps(saved))
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {path}: 'forced' of entry 1 of 1 in 'resumes' must be an "
        "object of the settings that resume changed with --force, each [old, new] as two strings "
        '(as {"lr": ["0.1", "0.5"]}; {} where it forced none), got an array []; correct it, or '
        "delete config.json: a resume rebuilds it from checkpoint.pt, with the settings the run "
        "was trained with, but not the record of earlier resumes, nor your own notes, nor a value "
        "forced since that checkpoint (pass it again)\n"
    )
