"""Tests for linearnets.training.config_records: the records beside a run's settings in its
config.json, as a resume reads them back."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import linearnets as ln
from linearnets.errors import ResumeWarning, UsageError
from linearnets.training.config_records import check_records
from linearnets.training.runs import environment

FIX = "put back the run's config.json from a copy of the run"
SHA = "0" * 64
NULL_SHA = (
    "correct it, or set it to null (none recorded: a resume cannot then tell that the data "
    "file's content changed)"
)


def _run() -> dict[str, Any]:
    """A softmax run's config.json resumed once, as config_file.write_run_config writes it."""
    entry = {"from_epoch": 1, "forced": {}, "environment": environment(), "device": "cpu",
             "world_size": 1}  # fmt: skip
    return {"config": {}, "environment": environment(), "data_source": "d.npz", "device": "cpu",
            "world_size": 1, "data_sha256": SHA, "resumes": [entry]}  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        (
            "data_sha256",
            [],
            "'data_sha256' must be a string of 64 lower-case hex digits (the SHA-256 of the run's "
            f"data file, which a resume checks the file against) or null, got an array []; "
            f"{NULL_SHA}",
        ),
        (
            "data_sha256",
            "ABC",
            "'data_sha256' must be a string of 64 lower-case hex digits (the SHA-256 of the run's "
            'data file, which a resume checks the file against) or null, got the string "ABC"; '
            f"{NULL_SHA}",
        ),
        (
            "device",
            [],
            "'device' must be a string (the device the run trained on, as 'cpu' or 'cuda:0'), "
            "got an array []; correct it",
        ),
        (
            "environment",
            float("nan"),
            "'environment' must be an object (the versions and machine the run ran on), got NaN; "
            "correct it",
        ),
        (
            "environment.num_threads",
            "4",
            "'num_threads' of 'environment' must be an integer >= 1 (the threads the run trained "
            'with, which a resume compares with its own), got the string "4"; correct it',
        ),
        (
            "environment.num_threads",
            True,
            "'num_threads' of 'environment' must be an integer >= 1 (the threads the run trained "
            "with, which a resume compares with its own), got true; correct it",
        ),
        (
            "environment.torch",
            {},
            "'torch' of 'environment' must be a string (the version the run ran with), got an "
            "object {}; correct it",
        ),
        (
            "environment.cuda",
            12.1,
            "'cuda' of 'environment' must be a string or null (the CUDA version the run ran "
            "with; null without CUDA), got the number 12.1; correct it",
        ),
        (
            "world_size",
            "2",
            "'world_size' must be an integer >= 1 (the processes the run ran in), got the string "
            '"2"; correct it (1 where it ran without torchrun)',
        ),
    ],
    ids=[
        "sha-array",
        "sha-upper",
        "device",
        "environment",
        "threads-string",
        "threads-true",
        "version",
        "cuda",
        "world_size",
    ],
)
def test_a_hand_edited_record_is_refused_naming_the_file_key_rule_and_value(
    tmp_path: Path, key: str, value: Any, said: str
) -> None:
    """Taken silently, a data_sha256 of [] turned off the check of the data file's content, a
    num_threads of "4" the warning of a resume that is not bit-exact; a device of [] or a torch
    version of {} was written into the resumed run's file as what the run started on."""
    path = tmp_path / "config.json"
    saved = _run()
    record, _, inner = key.partition(".")
    if inner:
        saved[record][inner] = value
    else:
        saved[record] = value
    with pytest.raises(UsageError) as info:
        check_records(saved, path, rebuilt=FIX)
    assert str(info.value) == f"{path}: {said}, or {FIX}"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            '"world_size": 1e400',
            "'world_size' must be an integer >= 1 (the processes the run ran in), got Infinity (a "
            "number past a float's range reads as Infinity); correct it (1 where it ran without "
            "torchrun)",
        ),
        (
            '"environment": {"num_threads": -1e400}',
            "'num_threads' of 'environment' must be an integer >= 1 (the threads the run trained "
            "with, which a resume compares with its own), got -Infinity (a number past a float's "
            "range reads as -Infinity); correct it",
        ),
        (  # Python's json reads it as 0.0, said as such: the rule is the fix either way
            '"world_size": 1e-400',
            "'world_size' must be an integer >= 1 (the processes the run ran in), got the number "
            "0.0; correct it (1 where it ran without torchrun)",
        ),
    ],
    ids=["world_size-1e400", "threads--1e400", "world_size-1e-400"],
)
def test_a_record_past_a_floats_range_is_refused_saying_what_it_reads_as(
    tmp_path: Path, text: str, said: str
) -> None:
    """Python's json reads 1e400 as inf: it was said as "got Infinity" alone, a word the file did
    not hold."""
    path = tmp_path / "config.json"
    saved = json.loads(f'{{"config": {{}}, {text}}}')
    with pytest.raises(UsageError) as info:
        check_records(saved, path, rebuilt=FIX)
    assert str(info.value) == f"{path}: {said}, or {FIX}"


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("device", 5, "'device' of entry 1 of 1 in 'resumes' must be a string"),
        ("environment", "x", "'environment' of entry 1 of 1 in 'resumes' must be an object"),
        (
            "environment.num_threads",
            0,
            "'num_threads' of 'environment' of entry 1 of 1 in 'resumes' must be an integer >= 1",
        ),
    ],
    ids=["device", "environment", "threads"],
)
def test_a_hand_edited_record_of_a_resume_is_refused_naming_its_entry(
    tmp_path: Path, key: str, value: Any, said: str
) -> None:
    """A resume's entry is copied forward as it is, and its num_threads compared: named as
    world_size's is, by its entry."""
    saved = _run()
    record, _, inner = key.partition(".")
    if inner:
        saved["resumes"][0][record][inner] = value
    else:
        saved["resumes"][0][record] = value
    with pytest.raises(UsageError, match=rf"^{tmp_path / 'config.json'}: {said} \("):
        check_records(saved, tmp_path / "config.json", rebuilt=FIX)


def test_a_runs_own_records_and_records_not_kept_are_taken(tmp_path: Path) -> None:
    """A run's values; null, or none, for a record a file older than it lacks; a linear-regression
    run's resume drops a 'device' (it writes none), so does not check it; data_source is not read."""
    path = tmp_path / "config.json"
    check_records(_run(), path, rebuilt=FIX)
    for key in ("data_sha256", "device", "environment", "world_size", "resumes"):
        check_records({**_run(), key: None}, path, rebuilt=FIX)
        check_records({k: v for k, v in _run().items() if k != key}, path, rebuilt=FIX)
    check_records({**_run(), "environment": {"cuda": None}}, path, rebuilt=FIX)
    check_records({**_run(), "data_source": []}, path, rebuilt=FIX)  # rewritten, never read
    check_records({**_run(), "device": []}, path, rebuilt=FIX, device_kept=False)
    saved = {**_run(), "resumes": None}
    check_records(saved, path, rebuilt=FIX)
    assert saved["resumes"] == []  # none recorded


def _data(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(130, 4)).astype(np.float32), rng.integers(0, 3, size=130)
    np.savez(path, X=X[:100], y=y[:100], X_test=X[100:], y_test=y[100:])
    return path


def test_a_data_sha256_edited_to_an_array_is_refused_not_taken_as_none_recorded(
    tmp_path: Path,
) -> None:
    """A softmax run on a data file whose content then changed: with its data_sha256 edited to
    [], the resume trained on the new content, silently, and recorded its SHA-256 as the run's."""
    data = _data(tmp_path / "d.npz", seed=0)
    run = tmp_path / "run"
    ln.run_softmax(ln.SoftmaxConfig(data=data, epochs=1, batch_size=16, plot="none", out=run))
    path = run / "config.json"
    saved = json.loads(path.read_text())
    _data(data, seed=1)  # new content, of the same shape
    path.write_text(json.dumps({**saved, "data_sha256": []}))
    with pytest.raises(UsageError) as info:
        ln.resume_softmax(run, epochs=2)
    assert str(info.value).startswith(
        f"{path}: 'data_sha256' must be a string of 64 lower-case hex digits (the SHA-256 of the "
        "run's data file, which a resume checks the file against) or null, got an array []; "
    )
    path.write_text(json.dumps(saved))  # corrected: the change is told
    with pytest.raises(UsageError, match=r"changed since the run in .* started \(SHA-256 "):
        ln.resume_softmax(run, epochs=2)


def test_a_num_threads_edited_to_a_string_is_refused_not_passed_over(tmp_path: Path) -> None:
    """A linear-regression run's "num_threads": "4" went unread: the resume on one thread did not
    warn that it matches the run to rounding only, and wrote the "4" forward."""
    run = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=run))
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "environment": {**saved["environment"], "num_threads": "4"}}))  # fmt: skip
    with pytest.raises(UsageError) as info:
        ln.resume_linreg(run, epochs=2)
    assert str(info.value) == (
        f"{path}: 'num_threads' of 'environment' must be an integer >= 1 (the threads the run "
        'trained with, which a resume compares with its own), got the string "4"; correct it, or '
        f"{FIX}"
    )
    path.write_text(json.dumps({**saved, "environment": {**saved["environment"], "num_threads": 4}}))  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ln.resume_linreg(run, epochs=2)
    assert [str(w.message)[:58] for w in caught if w.category is ResumeWarning] == [
        "resumed with num_threads=1, where the run last ran with 4:"
    ]
    assert json.loads(path.read_text())["environment"]["num_threads"] == 4


def test_a_device_edited_to_an_array_is_refused_not_copied_forward(tmp_path: Path) -> None:
    """A softmax resume copies the device the run started on into the file it writes: a [] was
    written as that device."""
    data = _data(tmp_path / "d.npz", seed=0)
    run = tmp_path / "run"
    config = ln.SoftmaxConfig(
        data=data, epochs=1, batch_size=16, plot="none", out=run, device="cpu"
    )
    ln.run_softmax(config)
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "device": []}))
    with pytest.raises(UsageError, match=r"'device' must be a string .* got an array \[\]; "):
        ln.resume_softmax(run, epochs=2)
    assert json.loads(path.read_text())["device"] == []  # the file as it was
    path.write_text(json.dumps(saved))
    ln.resume_softmax(run, epochs=2)
    assert json.loads(path.read_text())["device"] == "cpu"


def test_the_module_doc_names_the_functions_that_call_check_records() -> None:
    """It named resume_settings and linreg_resume, which no longer call it once the readers of
    config.json were split out of them (resume_saved, linreg_saved)."""
    import ast

    import linearnets
    from linearnets.training import config_records

    doc = " ".join((config_records.__doc__ or "").split())
    src = Path(linearnets.__file__).parent
    callers = []
    for file in sorted(src.rglob("*.py")):
        if file.name == "config_records.py":
            continue
        module = "linearnets." + ".".join(file.relative_to(src).with_suffix("").parts)
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(call, ast.Call) and getattr(call.func, "id", None) == "check_records"
                for call in ast.walk(node)
            ):
                callers.append(f":func:`{module}.{node.name}`")
    assert callers and all(caller in doc for caller in callers), (callers, doc)
