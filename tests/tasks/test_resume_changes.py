"""What a resume's settings change from its checkpoint's, refused unless forced (or even forced).

Unit tests of :mod:`linearnets.tasks.resume_changes` on configs and folders built by hand; the
end-to-end resumes are in ``test_resume.py``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets.cli._report import one_line
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.resume_changes import changed_settings
from linearnets.tasks.resume_settings import resumed_config

from .test_resume_settings import OLD

# Fashion-MNIST's 28×28 images flattened: 784 inputs, 10 classes; W is (inputs, classes)


def test_an_unchanged_config_changes_nothing(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path, "force": False}
    new = resumed_config(OLD, {"epochs": 6}, tmp_path)
    assert changed_settings(OLD, new, given={"epochs"}, **kwargs) == {}


def test_a_result_setting_changes_only_with_force(tmp_path: Path) -> None:
    new = resumed_config(OLD, {"lr": 0.05, "batch_size": 64}, tmp_path)
    kwargs: dict[str, Any] = {
        "saved": {},
        "epoch": 2,
        "run_dir": tmp_path,
        "given": {"lr", "batch_size"},
    }
    with pytest.raises(
        UsageError,
        match=r"^lr changed from 0\.1 to 0\.05; batch_size changed from 256 to 64 since the run",
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
    kwargs["given"] = {"lr"}
    if refused:
        with pytest.raises(UsageError, match=r"lr changed from 0\.1 to 0\.05"):
            changed_settings(OLD, new, **kwargs)
    else:
        assert changed_settings(OLD, new, **kwargs) == {"lr": (0.1, 0.05)}


def _refusal(tmp_path: Path, **settings: Any) -> str:
    """Return the error refusing OLD's resume with ``settings`` from config.json, not forced."""
    new = resumed_config(OLD, settings, tmp_path)
    kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path, "force": False}
    with pytest.raises(UsageError) as info:
        changed_settings(OLD, new, given=(), **kwargs)
    return str(info.value)


def test_a_setting_that_only_config_json_changes_is_named_as_the_checkpoints(
    tmp_path: Path,
) -> None:
    """No setting given: the checkpoint (another run's?) and config.json disagree, say so."""
    ckpt, config = tmp_path / "checkpoint.pt", tmp_path / "config.json"
    assert _refusal(tmp_path, lr=0.2) == (
        f"{ckpt} was trained with lr=0.1, but {config} asks for lr=0.2 (a checkpoint from "
        "another run?), which would change its result; put the run's own checkpoint.pt back, or "
        "pass lr=0.1 to continue as the checkpoint was trained, or pass force=True to continue "
        "with the settings of config.json"
    )
    new = resumed_config(OLD, {"lr": 0.2, "seed": 3}, tmp_path)
    kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path, "force": False}
    with pytest.raises(UsageError) as info:
        changed_settings(OLD, new, given={"lr"}, **kwargs)  # lr given, the seed config.json's
    assert str(info.value) == (
        f"lr changed from 0.1 to 0.2 since the run in {tmp_path} started; {ckpt} was trained "
        f"with seed=0, but {config} asks for seed=3 (a checkpoint from another run?), which "
        "would change its result; leave lr out to continue the same run and put the run's "
        "own checkpoint.pt back, or pass lr=0.1 and seed=0 to continue as the checkpoint was "
        "trained, or pass force=True to continue with the new values"
    )
    # the command line's words, as it printed them
    assert one_line(info.value) == (
        f"--lr changed from 0.1 to 0.2 since the run in {tmp_path} started; {ckpt} was trained "
        f"with --seed 0, but {config} asks for --seed 3 (a checkpoint from another run?), which "
        "would change its result; leave --lr out to continue the same run and put the run's "
        "own checkpoint.pt back, or pass --lr 0.1 and --seed 0 to continue as the checkpoint "
        "was trained, or pass --force to continue with the new values"
    )


def test_a_given_setting_config_json_also_edited_is_passed_back_with_the_others(
    tmp_path: Path,
) -> None:
    """config.json's lr and batch_size edited by hand, --lr 0.07 given: "drop the option and pass
    batch_size=256" was refused next (config.json's lr=0.05 taken), and "pass lr=0.1 to continue
    the same run ... and put the run's own checkpoint.pt back" mixed the checkpoint's value with
    the other run's checkpoint. Each fix now keeps to one checkpoint."""
    from dataclasses import asdict, replace

    edited = replace(OLD, lr=0.05, batch_size=64)
    saved = {"config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(edited).items()}}
    new = resumed_config(edited, {"lr": 0.07}, tmp_path)
    with pytest.raises(UsageError) as info:
        changed_settings(OLD, new, saved=saved, epoch=2, run_dir=tmp_path, force=False,
                         given={"lr"})  # fmt: skip
    ckpt, config = tmp_path / "checkpoint.pt", tmp_path / "config.json"
    assert one_line(info.value) == (
        f"--lr changed from 0.1 to 0.07 since the run in {tmp_path} started; {ckpt} was trained "
        f"with --batch-size 256, but {config} asks for --batch-size 64 (a checkpoint from another "
        "run?), which would change its result; leave --lr out to continue the same run and put "
        "the run's own checkpoint.pt back, or pass --lr 0.1 and --batch-size 256 to continue as "
        "the checkpoint was trained, or pass --force to continue with the new values"
    )
    again = resumed_config(edited, {"lr": 0.1, "batch_size": 256}, tmp_path)
    assert changed_settings(OLD, again, saved=saved, epoch=2, run_dir=tmp_path, force=False,
                            given={"lr", "batch_size"}) == {}  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "python", "command"),
    [
        ({"impl": "concise"}, ("impl changed from 'analytic' to 'concise'", "impl"),
         ("--impl changed from analytic to concise", "--impl")),
        ({"lr": 1e-05, "seed": 3},
         ("lr changed from 0.1 to 1e-05; seed changed from 0 to 3", "lr and seed"),
         ("--lr changed from 0.1 to 1e-05; --seed changed from 0 to 3", "--lr and --seed")),
        ({"resize": 14}, ("resize changed from None (28×28) to 14", "resize"),
         ("--resize changed from none (28×28) to 14", "--resize")),
    ],
    ids=["impl", "lr-and-seed", "resize"],
)  # fmt: skip
def test_a_change_the_caller_asked_for_is_named_in_either_words(
    tmp_path: Path, settings: dict[str, Any], python: tuple[str, str], command: tuple[str, str]
) -> None:
    """From Python "--lr changed from 0.1 to 0.5 ... pass --force (force=True)" named options
    Python does not have; the command line prints them as it did. Its fix, "drop the option",
    spoke of options too: Python is told to leave the setting out by name (lr=... was passed),
    the command line the option ("leave --lr out")."""
    new = resumed_config(OLD, settings, tmp_path)
    kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path, "force": False}
    with pytest.raises(UsageError) as info:
        changed_settings(OLD, new, given=set(settings), **kwargs)
    several = "s" if len(settings) > 1 else ""  # "the new values"
    tail = (
        f" since the run in {tmp_path} started, which would change its result; leave {{}} out "
        f"to continue the same run, or pass {{}} to continue with the new value{several}"
    )
    assert str(info.value) == python[0] + tail.format(python[1], "force=True")
    assert one_line(info.value) == command[0] + tail.format(command[1], "--force")


def test_a_data_path_with_a_quote_is_a_python_string_and_the_commands_word(tmp_path: Path) -> None:
    """The path is written as Python reads it back ("it's.npz", in double quotes); the command
    line prints it as it did, unquoted."""
    import ast

    data = _npz(tmp_path / "it's.npz", 4, 2)
    with pytest.raises(UsageError) as info:
        changed_settings(OLD, resumed_config(OLD, {"data": data}, tmp_path), saved={}, epoch=2,
                         run_dir=tmp_path, force=False, given={"data"})  # fmt: skip
    literal = str(info.value).split(" to ", 1)[1].split(" since ")[0]
    assert ast.literal_eval(literal) == str(data)  # the oracle: Python's own reading
    assert one_line(info.value).startswith(
        f"--data changed from Fashion-MNIST (no --data) to {data} since the run in {tmp_path} "
        "started"
    )


def test_none_is_shown_with_what_it_means(tmp_path: Path) -> None:
    """No resize is the images' own 28×28, no data is Fashion-MNIST: said with the value, None in
    Python's words and none in the command line's where the option takes it (--resize none);
    --data takes no none (--data none is a file named none): no --data."""
    config, data = tmp_path / "config.json", tmp_path / "d.npz"
    for settings, python, command in (
        ({"resize": 32}, "resize=None (28×28)", "--resize none (28×28)"),
        ({"data": data}, "data=None (Fashion-MNIST)", "Fashion-MNIST (no --data)"),
    ):
        new = resumed_config(OLD, settings, tmp_path)
        kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path, "force": False}
        with pytest.raises(UsageError) as info:
            changed_settings(OLD, new, given=(), **kwargs)
        (key, value), *_ = settings.items()
        shown = repr(str(value)) if isinstance(value, Path) else repr(value)
        assert f"with {python}, but {config} asks for {key}={shown} (" in str(info.value)
        assert f"with {command}, but {config} asks for --{key} {value} (" in one_line(info.value)


def _npz(path: Path, features: int, classes: int) -> Path:
    rng = np.random.default_rng(0)
    y = np.arange(30) % classes  # every class present: the file has `classes` classes
    np.savez(path, X=rng.normal(size=(30, features)).astype(np.float32), y=y)
    return path


def test_dropping_a_file_after_a_forced_switch_from_fashion_mnist_names_the_file_forced(
    tmp_path: Path,
) -> None:
    """A forced switch from Fashion-MNIST to file b, stopped before its first checkpoint: a
    resume given file d was told "drop the option to continue the same run", but dropping it
    continues on b, config.json's (hashlib's digest of b is what config.json records)."""
    import hashlib

    b, d = _npz(tmp_path / "b.npz", 4, 2), _npz(tmp_path / "d.npz", 3, 2)
    saved = {
        "config": {"data": str(b)},
        "data_sha256": hashlib.sha256(b.read_bytes()).hexdigest(),
        "resumes": [{"from_epoch": 2, "forced": {"data": [None, str(b)]}}],
    }
    new = resumed_config(OLD, {"data": d}, tmp_path)
    with pytest.raises(UsageError) as info:
        changed_settings(OLD, new, saved=saved, epoch=2, run_dir=tmp_path, force=False,
                         given={"data"})  # fmt: skip
    assert str(info.value) == (
        f"data changed from None (Fashion-MNIST) to '{d}' since the run in {tmp_path} started, "
        f"which would change its result; leave data out to continue with data='{b}', as an "
        "earlier resume from epoch 2 forced, or pass force=True to continue with the new value"
    )


def test_a_data_file_that_moved_is_no_change(tmp_path: Path) -> None:
    """A new --data path whose bytes have the SHA-256 config.json recorded: the same data, moved
    (hashlib's digest of the file is the oracle). Other bytes there are still a change."""
    import hashlib

    np.savez(tmp_path / "moved.npz", X=np.zeros((4, 2), np.float32), y=np.zeros(4, np.int64))
    digest = hashlib.sha256((tmp_path / "moved.npz").read_bytes()).hexdigest()
    old = SoftmaxConfig(data=tmp_path / "gone.npz", plot="none", device="cpu")
    new = resumed_config(old, {"data": tmp_path / "moved.npz"}, tmp_path)
    kwargs: dict[str, Any] = {"epoch": 1, "run_dir": tmp_path, "force": False, "given": {"data"}}
    assert changed_settings(old, new, saved={"data_sha256": digest}, **kwargs) == {}
    # other content, named with the checkpoint's SHA-256; or none recorded to compare
    for saved, sha in (({"data_sha256": "0" * 64}, " (SHA-256 000000000000)"), ({}, "")):
        with pytest.raises(
            UsageError, match=rf"^data changed from .*gone.npz{re.escape(sha)}' to "
        ):
            changed_settings(old, new, saved=saved, **kwargs)


def test_a_moved_data_file_that_cannot_be_read_is_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its SHA-256 cannot be compared with the recorded one: it is a change (refused unless forced,
    and reading the data names the problem), not a bare PermissionError out of the comparison."""
    import errno

    from linearnets.tasks import resume_content

    def refused(path: Path) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(resume_content, "sha256_file", refused)
    np.savez(tmp_path / "moved.npz", X=np.zeros((4, 2), np.float32), y=np.zeros(4, np.int64))
    old = SoftmaxConfig(data=tmp_path / "gone.npz", plot="none", device="cpu")
    new = resumed_config(old, {"data": tmp_path / "moved.npz"}, tmp_path)
    kwargs: dict[str, Any] = {"saved": {"data_sha256": "0" * 64}, "epoch": 1, "run_dir": tmp_path}
    with pytest.raises(
        UsageError, match=r"^data changed from .*gone.npz( \(SHA-256 0{12}\))?' to .*moved.npz'"
    ):
        changed_settings(old, new, force=False, given={"data"}, **kwargs)
    forced = changed_settings(old, new, force=True, given={"data"}, **kwargs)
    assert forced == {"data": (tmp_path / "gone.npz", tmp_path / "moved.npz")}


def test_no_resize_of_a_data_run_is_shown_bare(tmp_path: Path) -> None:
    """A --data file holds no 28×28 images: its resize=None is not Fashion-MNIST's own size."""
    from linearnets.tasks.resume_changes import differences

    old = SoftmaxConfig(resize=14, plot="none", device="cpu")
    new = SoftmaxConfig(data=tmp_path / "d.npz", plot="none", device="cpu")
    said = differences(["resize"], old, new, given={"resize"}, run_dir=tmp_path)
    assert said == f"resize changed from 14 to None since the run in {tmp_path} started"
    said = differences(["resize"], new, old, given=(), run_dir=tmp_path)
    assert said == (
        f"{tmp_path / 'checkpoint.pt'} was trained with resize=None, but "
        f"{tmp_path / 'config.json'} asks for resize=14 (a checkpoint from another run?)"
    )


@pytest.mark.parametrize(
    ("key", "first", "forced"),
    [("lr", 0.1, 0.2), ("impl", "scratch", "concise"), ("batch_size", 10, 15), ("data", "a", "b")],
)
def test_a_value_an_earlier_resume_forced_is_not_said_to_be_the_runs_start(
    tmp_path: Path, key: str, first: Any, forced: Any
) -> None:
    """A run started at lr 0.1, resumed with lr 0.2 forced, then resumed with lr 0.1: refused as
    "lr changed from 0.2 to 0.1 since the run started", naming the run's own start value as the
    change. The clause now says where 0.2 came from; an unforced setting beside it keeps its."""
    from linearnets.tasks.resume import resume_softmax
    from linearnets.tasks.softmax import run_softmax

    out = tmp_path / "run"
    files = {"a": _npz(tmp_path / "a.npz", 4, 3), "b": tmp_path / "b.npz"}
    with np.load(files["a"]) as a:  # other content of the same shape
        np.savez(files["b"], X=a["X"] * 2, y=a["y"])
    values = {"first": first, "forced": forced}
    if key == "data":
        values = {name: files[value] for name, value in values.items()}
    settings = {"data": files["a"], "batch_size": 10, "impl": "scratch", key: values["first"]}
    run_softmax(SoftmaxConfig(**settings, epochs=1, plot="none", out=out))
    resume_softmax(out, epochs=2, force=True, **{key: values["forced"]})
    if key == "data":  # named with the checkpoint's content's SHA-256, hashlib's
        sha = hashlib.sha256(files["b"].read_bytes()).hexdigest()[:12]
        was, now = repr(f"{files['b']} (SHA-256 {sha})"), repr(str(files["a"]))
    else:
        was, now = repr(forced), repr(first)
    change = f"{key} changed from {was} to {now} since an earlier resume from epoch 1 forced it"
    seed = f"seed changed from 0 to 4 since the run in {out} started"
    for extra, said in (({}, [change]), ({"seed": 4}, [change, seed])):
        with pytest.raises(UsageError) as info:
            resume_softmax(out, epochs=3, **{key: values["first"]}, **extra)
        # in the settings' order: seed before data, after the others
        parts = "; ".join(said[::-1] if key == "data" else said)
        assert str(info.value).startswith(f"{parts}, which would change its result; "), str(
            info.value
        )
