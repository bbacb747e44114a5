"""Whether a checkpoint's weights fit the resumed model: refused even forced when they cannot.

Unit tests of :mod:`linearnets.tasks.resume_fit` on configs and folders built by hand; the
end-to-end resumes are in ``test_resume.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli._report import one_line
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.resume_changes import changed_settings
from linearnets.tasks.resume_fit import check_inputs_fit
from linearnets.tasks.resume_settings import resumed_config

from .test_resume_changes import _npz
from .test_resume_settings import OLD, _checkpoint

SCRATCH_784 = {"W": torch.zeros(784, 10), "b": torch.zeros(10)}
CONCISE_784 = {"1.weight": torch.zeros(10, 784), "1.bias": torch.zeros(10)}  # nn.Linear: (q, d)


@pytest.mark.parametrize("state", [SCRATCH_784, CONCISE_784], ids=["scratch", "concise"])
def test_a_new_image_size_is_refused_even_forced(tmp_path: Path, state: dict[str, Any]) -> None:
    """Images resized to 14×14 give 14 × 14 = 196 inputs, not the weights' 784: nothing fits."""
    ckpt = _checkpoint(OLD.to_dict(), state)
    new = resumed_config(OLD, {"resize": 14}, tmp_path)
    with pytest.raises(UsageError) as info:
        check_inputs_fit(ckpt, OLD, new, given={"resize"}, run_dir=tmp_path)
    said = (
        "{0} changed from {1} (28×28) to 14 since the run in {4} started: the model would take 196 "
        "inputs (14×14 pixels) into 10 classes and the checkpoint's weights take 784 inputs into "
        "10 classes, so they cannot carry over, not even with {2}; leave {0} out, or start a new "
        "run in another folder ({3}NEW_DIR)"
    )
    assert str(info.value) == said.format("resize", "None", "force=True", "out=", tmp_path)
    assert one_line(info.value) == said.format("--resize", "none", "--force", "--out ", tmp_path)
    # a checkpoint of 14×14 images, in a run whose config.json has no resize
    ckpt = _checkpoint(new.to_dict(), {"W": torch.zeros(196, 10), "b": torch.zeros(10)})
    back = resumed_config(new, {"resize": None}, tmp_path)
    with pytest.raises(UsageError) as info:
        check_inputs_fit(ckpt, new, back, given=(), run_dir=tmp_path)
    said = (
        f"{tmp_path / 'checkpoint.pt'} was trained with {{}}14, but "
        f"{tmp_path / 'config.json'} asks for {{}} (28×28) (a checkpoint from another "
        "run?): the model would take 784 inputs (28×28 pixels) into 10 classes and the "
        "checkpoint's weights take 196 inputs into 10 classes, so they cannot carry over, not even "
        "with {}; put the run's own checkpoint.pt back, or start a new run in "
        "another folder ({}NEW_DIR)"
    )
    assert str(info.value) == said.format("resize=", "resize=None", "force=True", "out=")
    assert one_line(info.value) == said.format("--resize ", "--resize none", "--force", "--out ")


def test_a_resize_to_the_images_own_size_fits_and_changes_nothing(tmp_path: Path) -> None:
    """--resize 28 keeps 28 × 28 = 784 inputs: the weights fit, and it resamples nothing, so it is
    no change, without --force (it was refused as one "which would change its result")."""
    new = resumed_config(OLD, {"resize": 28}, tmp_path)
    check_inputs_fit(
        _checkpoint(OLD.to_dict(), SCRATCH_784), OLD, new, given={"resize"}, run_dir=tmp_path
    )
    kwargs: dict[str, Any] = {"saved": {}, "epoch": 2, "run_dir": tmp_path, "given": {"resize"}}
    assert changed_settings(OLD, new, force=False, **kwargs) == {}
    assert changed_settings(new, OLD, force=False, **kwargs) == {}  # and a resize=28 run without


@pytest.mark.parametrize(
    ("features", "classes", "refused"),
    [(4, 2, False), (5, 2, True), (4, 3, True)],
    ids=["same-shape", "more-features", "more-classes"],
)
def test_a_data_file_of_another_shape_is_refused_even_forced(
    tmp_path: Path, features: int, classes: int, refused: bool
) -> None:
    """The run's weights take 4 features into 2 classes: a file of that shape may be forced only."""
    old = SoftmaxConfig(data=_npz(tmp_path / "a.npz", 4, 2), plot="none", device="cpu")
    state = {"W": torch.zeros(4, 2), "b": torch.zeros(2)}
    other = _npz(tmp_path / "b.npz", features, classes)
    new = resumed_config(old, {"data": other}, tmp_path)
    if not refused:
        check_inputs_fit(
            _checkpoint(old.to_dict(), state), old, new, given={"data"}, run_dir=tmp_path
        )
        return
    with pytest.raises(UsageError) as info:
        check_inputs_fit(
            _checkpoint(old.to_dict(), state), old, new, given={"data"}, run_dir=tmp_path
        )
    said = (
        f"{{0}} changed from {{1}} to {{2}} since the run in {tmp_path} started: the model would take "
        f"{features} inputs into {classes} classes and the checkpoint's weights take 4 inputs into "
        "2 classes, so they cannot carry over, not even with {3}; leave {0} out, or start a new "
        "run in another folder ({4}NEW_DIR)"
    )
    old_data, new_data = str(old.data), str(other)
    assert str(info.value) == said.format(
        "data", repr(old_data), repr(new_data), "force=True", "out="
    )
    assert one_line(info.value) == said.format("--data", old_data, new_data, "--force", "--out ")


def test_unchanged_inputs_or_a_damaged_model_state_are_left_to_the_restore(tmp_path: Path) -> None:
    """Only a new --resize or --data is checked here; other mismatches are the checkpoint's."""
    odd = {"W": torch.zeros(5, 2)}  # no image size gives 5 inputs: restore_states names it
    new = resumed_config(OLD, {"epochs": 6}, tmp_path)
    check_inputs_fit(_checkpoint(OLD.to_dict(), odd), OLD, new, given={"epochs"}, run_dir=tmp_path)
    resized = resumed_config(OLD, {"resize": 14}, tmp_path)
    check_inputs_fit(
        _checkpoint(OLD.to_dict(), {}), OLD, resized, given={"resize"}, run_dir=tmp_path
    )


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()  # the oracle: hashlib's digest


@pytest.mark.parametrize("recorded", ["given", "config.json"])
def test_a_data_file_changed_in_place_to_another_shape_is_refused_even_forced(
    tmp_path: Path, recorded: str
) -> None:
    """The run's own path, new content of 5 features: only a new path was measured, so the first
    refusal offered force=True and the forced resume failed on the checkpoint (exit 1)."""
    import json

    data = _npz(tmp_path / "d.npz", 4, 2)
    was = _sha256(data)
    config = SoftmaxConfig(data=data, plot="none", device="cpu")
    ckpt = _checkpoint(config.to_dict(), {"W": torch.zeros(4, 2), "b": torch.zeros(2)})
    _npz(data, 5, 2)  # changed in place
    now = _sha256(data)
    saved: dict[str, Any] = {"data_sha256": was}
    kwargs: dict[str, Any] = {"given": (), "run_dir": tmp_path}
    if recorded == "given":  # the run's config.json, read already: its record is the one given
        kwargs["saved"] = saved
        (tmp_path / "config.json").write_text("{}")
    else:  # as resume_softmax leaves it to be read
        (tmp_path / "config.json").write_text(json.dumps({"config": config.to_dict(), **saved}))
    with pytest.raises(UsageError) as info:
        check_inputs_fit(ckpt, config, config, **kwargs)
    said = (
        f"{{}} changed since the run in {tmp_path} started (SHA-256 {was[:12]}… then, "
        f"{now[:12]}… now): the model would take 5 inputs into 2 classes and the checkpoint's "
        "weights take 4 inputs into 2 classes, so they cannot carry over, not even with {}; put "
        "the original file back, or start a new run in another folder ({}NEW_DIR)"
    )
    assert str(info.value) == said.format(f"data={str(data)!r}", "force=True", "out=")
    assert one_line(info.value) == said.format(f"--data {data}", "--force", "--out ")


def test_a_data_file_changed_in_place_to_the_same_shape_is_left_to_data_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other values of the same shape may be forced (data_change asks); an unchanged file is the
    data the weights were trained on, and is not read for its shape."""
    import linearnets.data.arrays as arrays

    data = _npz(tmp_path / "d.npz", 4, 2)
    config = SoftmaxConfig(data=data, plot="none", device="cpu")
    ckpt = _checkpoint(config.to_dict(), {"W": torch.zeros(4, 2), "b": torch.zeros(2)})
    read: list[Path] = []
    load = arrays.load_classification_file
    monkeypatch.setattr(arrays, "load_classification_file", lambda p: read.append(p) or load(p))
    check_inputs_fit(ckpt, config, config, given=(), run_dir=tmp_path,
                     saved={"data_sha256": _sha256(data)})  # fmt: skip
    assert read == []
    np.savez(data, X=np.ones((30, 4), np.float32), y=np.arange(30) % 2)  # same shape, new values
    check_inputs_fit(ckpt, config, config, given=(), run_dir=tmp_path,
                     saved={"data_sha256": "0" * 64})  # fmt: skip
    assert read == [data]


def test_a_data_file_of_another_shape_without_a_recorded_sha_is_refused(tmp_path: Path) -> None:
    """A run that recorded no SHA-256: the file is read for its shape, and a misfit named. Where
    config.json is lost, the checkpoint standing in for it (an earlier linearnets') is what
    recorded none: "the run recorded no SHA-256" was false, the lost file having recorded it."""
    data = _npz(tmp_path / "d.npz", 4, 3)
    config = SoftmaxConfig(data=data, plot="none", device="cpu")
    ckpt = _checkpoint(config.to_dict(), {"1.weight": torch.zeros(2, 4), "1.bias": torch.zeros(2)})
    said = (
        f"data={str(data)!r} holds other data than the run in {tmp_path} was trained on ({{}}; or "
        "checkpoint.pt is another run's): the model would take 4 inputs into 3 classes and the "
        "checkpoint's weights take 4 inputs into 2 classes, so they cannot carry over, not even "
        "with force=True; put the original file back, or start a new run in another folder "
        "(out=NEW_DIR)"
    )
    with pytest.raises(UsageError) as info:  # no config.json: saved is the checkpoint's
        check_inputs_fit(ckpt, config, config, given=(), run_dir=tmp_path, saved={})
    assert str(info.value) == said.format(
        "config.json is lost, and checkpoint.pt, which stands in for it, is an earlier "
        "linearnets' that recorded no SHA-256 of it"
    )
    said = said.format("the run recorded no SHA-256 of it")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UsageError) as info:
        check_inputs_fit(ckpt, config, config, given=(), run_dir=tmp_path, saved={})
    assert str(info.value) == said
    # read from a config.json that cannot be read: none recorded (the resume names the damage)
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(UsageError) as info:
        check_inputs_fit(ckpt, config, config, given=(), run_dir=tmp_path)
    assert str(info.value) == said


def test_the_command_line_refuses_a_reshaped_data_file_alike_with_and_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hunter's steps: one epoch on d.npz, then d.npz given a 6th feature column. Both resumes
    exit 2 with the same line, the folder is left as it was, and the original file resumes."""
    from linearnets.cli import main

    data = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 5)).astype(np.float32), np.arange(40) % 3
    np.savez(data, X=X, y=y)
    original = data.read_bytes()
    run = tmp_path / "run"
    assert main(["softmax", "--data", str(data), "--epochs", "1", "--plot", "none", "--out",
                 str(run), "--device", "cpu"]) == 0  # fmt: skip
    np.savez(data, X=np.hstack([X, X[:, :1]]), y=y)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    capsys.readouterr()
    resume = ["softmax", "--resume", str(run), "--epochs", "2"]
    assert main(resume) == 2
    first = capsys.readouterr().err
    assert main([*resume, "--force"]) == 2
    assert capsys.readouterr().err == first
    assert first.count("\n") == 1 and "the model would take 6 inputs into 3 classes" in first
    assert "not even with --force; put the original file back" in first
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    data.write_bytes(original)
    assert main([*resume, "--plot", "none"]) == 0


# a --data file typed for a resume (softmax's, linreg's), with what its refusal says of it
TYPED_DATA = [
    ("nothere.npz", "error: --data nothere.npz does not exist or is not a file"),
    ("m.npz", "error: m.npz must hold arrays X and y"),
]


@pytest.mark.parametrize(("name", "said"), TYPED_DATA)
def test_a_data_file_typed_for_the_resume_is_named_as_typed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    said: str,
) -> None:
    """softmax --resume r1 --data ./m.npz said "error: /tmp/.../m.npz must hold arrays X and y",
    where a new run names it as typed (the model's shape read it by its absolute path); the run's
    own file, from its config.json, stays absolute."""
    from linearnets.cli import main

    monkeypatch.chdir(tmp_path)
    data = _npz(tmp_path / "d.npz", 5, 3)
    np.savez(tmp_path / "m.npz", A=np.ones(3))
    assert main(["softmax", "--data", "d.npz", "--epochs", "1", "--plot", "none", "--out", "r1",
                 "--device", "cpu"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["softmax", "--resume", "r1", "--data", f"./{name}", "--epochs", "2"]) != 0
    err = capsys.readouterr().err
    assert said in err and str(tmp_path) not in err, err
    data.unlink()  # the run's own file gone: named by config.json's absolute path
    assert main(["softmax", "--resume", "r1", "--epochs", "2"]) == 2
    assert str(data) in capsys.readouterr().err


def test_a_data_file_typed_for_the_resume_is_named_as_typed_when_its_content_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """From a sub folder, after c.npz changed: softmax --resume ../r1 --data ../c.npz said
    "--data /tmp/.../c.npz changed since the run in ../r1 started", and --data ../o.npz "--data
    changed from /tmp/.../c.npz (SHA-256 ...) to /tmp/.../o.npz": the file typed is named as
    typed (other refusals of a resume did so), the run's own from its config.json absolute."""
    from linearnets.cli import main

    monkeypatch.chdir(tmp_path)
    data = _npz(tmp_path / "c.npz", 5, 3)
    other = np.random.default_rng(2).normal(size=(30, 5)).astype(np.float32)
    np.savez(tmp_path / "o.npz", X=other, y=np.arange(30) % 3)  # other content
    assert main(["softmax", "--data", "c.npz", "--epochs", "1", "--plot", "none", "--out", "r1",
                 "--device", "cpu"]) == 0  # fmt: skip
    new = np.random.default_rng(1).normal(size=(30, 5)).astype(np.float32)
    resume = refused_as_typed(
        data,
        lambda: np.savez(data, X=new, y=np.arange(30) % 3),
        monkeypatch=monkeypatch,
        capsys=capsys,
        other="o.npz",
        tail=" since the run in ../r1 started",
    )
    _npz(data, 4, 3)  # of another shape: refused even forced
    assert main([*resume, "--data", "../c.npz", "--force"]) == 2
    assert capsys.readouterr().err.startswith(
        "linearnets softmax: error: --data ../c.npz changed since the run in ../r1 started"
    )


def refused_as_typed(
    data: Path,
    change: Callable[[], object],
    *,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    other: str,
    tail: str,
) -> list[str]:
    """Check a resume of the run in r1 (beside ``data``, which it trained on) from a sub folder,
    after ``change`` changed ``data``'s content: a --data typed is named as typed where it changed
    (the same file) or names another (``other``, the clause ending with ``tail``), config.json's
    absolute where none is typed. Return the resume's command, from the sub folder."""
    import hashlib

    from linearnets.cli import main

    task = "linreg" if data.suffix == ".csv" else "softmax"
    capsys.readouterr()
    was = hashlib.sha256(data.read_bytes()).hexdigest()
    change()
    now = hashlib.sha256(data.read_bytes()).hexdigest()
    (data.parent / "sub").mkdir()
    monkeypatch.chdir(data.parent / "sub")
    resume = [task, "--resume", "../r1", "--epochs", "2"]
    changed = (
        f"changed since the run in ../r1 started (SHA-256 {was[:12]}… then, {now[:12]}… now), "
        "which would change its result; put the original file back, or pass --force"
    )
    error = f"linearnets {task}: error: --data"
    assert main([*resume, "--data", f"../{data.name}"]) == 2
    assert capsys.readouterr().err.startswith(f"{error} ../{data.name} {changed}")
    assert main(resume) == 2  # not typed: config.json's, absolute
    assert capsys.readouterr().err.startswith(f"{error} {data} {changed}")
    assert main([*resume, "--data", f"../{other}"]) == 2
    assert capsys.readouterr().err.startswith(
        f"{error} changed from {data} (SHA-256 {was[:12]}) to ../{other}{tail}"
    )
    return resume


def _write_npz(path: Path, features: int, seed: int) -> bytes:
    """Write 40 examples of ``features`` features and 2 classes drawn from ``seed``; return the
    file's bytes."""
    g = torch.Generator().manual_seed(seed)
    X, y = torch.randn(40, features, generator=g), torch.arange(40) % 2
    np.savez(path, X=X.numpy(), y=y.numpy())
    return path.read_bytes()


def _forced_run(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """A run on d.npz (3 features), resumed with new content of that shape forced at d.npz:
    return d.npz, the run's folder and the content forced."""
    from linearnets.tasks.resume import resume_softmax
    from linearnets.tasks.softmax import run_softmax

    data, out = tmp_path / "d.npz", tmp_path / "run"
    _write_npz(data, 3, 1)
    settings: dict[str, Any] = {"num_threads": 1, "plot": "none", "device": "cpu"}
    run_softmax(SoftmaxConfig(data=data, epochs=1, out=out, **settings))
    forced = _write_npz(data, 3, 2)
    resume_softmax(out, epochs=2, force=True)
    return data, out, forced


@pytest.mark.parametrize(
    "lost",
    [False, True],
    ids=["config.json", "config.json-lost"],
)
def test_new_content_of_another_shape_after_a_forced_one_is_told_to_put_that_back(
    tmp_path: Path, lost: bool
) -> None:
    """After a resume forced new content at the run's own path, content of another shape was
    said changed "since the run started" and told to "put the original file back", which was
    refused again ("... put that content back, or pass force=True"): the content that resume
    forced is the one to put back, and then resumes. With config.json lost since, it was said so
    still (the SHA-256 then being the content forced) and the original file put back was refused
    ("changed since the checkpoint was trained on it ... put that content back"): it says the
    latter first."""
    import hashlib

    from linearnets.tasks.resume import resume_softmax

    data, out, forced = _forced_run(tmp_path)
    if lost:
        (out / "config.json").unlink()
    now = hashlib.sha256(_write_npz(data, 4, 3)).hexdigest()
    was = hashlib.sha256(forced).hexdigest()
    with pytest.raises(UsageError) as info:
        resume_softmax(out, epochs=3, force=True)
    since = (
        "the checkpoint was trained on it"
        if lost
        else "an earlier resume from epoch 1 forced new content at this path"
    )
    assert str(info.value) == (
        f"data={str(data)!r} changed since {since} (SHA-256 {was[:12]}… then, {now[:12]}… now): "
        "the model would take 4 inputs into 2 classes and the checkpoint's weights take 3 inputs "
        "into 2 classes, so they cannot carry over, not even with force=True; put that content "
        "back, or start a new run in another folder (out=NEW_DIR)"
    )
    data.write_bytes(forced)  # as told
    assert resume_softmax(out, epochs=3).config.epochs == 3


def test_a_link_to_the_runs_own_file_reshaped_is_told_as_the_runs_own_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """data='l.npz', a link to the run's own file given a feature more after a forced resume, was
    said to be another file ("data changed from '.../d.npz' to 'l.npz' ... resume without
    --data", in the command line's words in Python too), and leaving it out was refused ("...
    forced new content at this path ... put that content back"): the paths are compared as the
    files they name, and the fix is that content, which then resumes through the link."""
    import hashlib

    from linearnets.cli import main
    from linearnets.tasks.resume import resume_softmax

    data, out, forced = _forced_run(tmp_path)
    now = hashlib.sha256(_write_npz(data, 4, 3)).hexdigest()
    was = hashlib.sha256(forced).hexdigest()
    link = tmp_path / "l.npz"
    link.symlink_to(data)
    said = (
        "{} changed since an earlier resume from epoch 1 forced new content at this path "
        f"(SHA-256 {was[:12]}… then, {now[:12]}… now): the model would take 4 inputs into 2 "
        "classes and the checkpoint's weights take 3 inputs into 2 classes, so they cannot carry "
        "over, not even with {}; put that content back, or start a new run in another folder "
        "({}NEW_DIR)"
    )
    (tmp_path / "sub").mkdir()
    for typed in (link, tmp_path / "sub" / ".." / "l.npz"):
        with pytest.raises(UsageError) as info:
            resume_softmax(out, epochs=3, data=typed)
        assert str(info.value) == said.format(f"data={str(typed)!r}", "force=True", "out=")
    capsys.readouterr()
    assert main(["softmax", "--resume", str(out), "--epochs", "3", "--data", str(link)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {said.format(f'--data {link}', '--force', '--out ')}\n"
    )
    data.write_bytes(forced)  # as told
    assert resume_softmax(out, epochs=3, data=link).config.epochs == 3


def test_another_file_refused_while_the_runs_own_file_changed_is_told_to_put_it_back_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """data='o.npz' of 4 features, the run's own d.npz given 5: "resume without --data" was
    refused next (d.npz changed since the run started): d.npz's change is named and its content
    put back first, then data left out resumes."""
    import hashlib

    from linearnets.cli import main
    from linearnets.tasks.resume import resume_softmax
    from linearnets.tasks.softmax import run_softmax

    data, other, out = tmp_path / "d.npz", tmp_path / "o.npz", tmp_path / "run"
    first = _write_npz(data, 3, 1)
    _write_npz(other, 4, 2)
    settings: dict[str, Any] = {"num_threads": 1, "plot": "none", "device": "cpu"}
    run_softmax(SoftmaxConfig(data=data, epochs=1, out=out, **settings))
    was = hashlib.sha256(first).hexdigest()
    now = hashlib.sha256(_write_npz(data, 5, 3)).hexdigest()
    said = (
        "{0} changed from {1} to {2} since the run in {3} started: the model would take 4 inputs "
        "into 2 classes and the checkpoint's weights take 3 inputs into 2 classes, so they cannot "
        "carry over, not even with {4}; and {5} changed since the run in {3} started (SHA-256 "
        f"{was[:12]}… then, {now[:12]}… now): put the original file back, then leave {{0}} out, "
        "or start a new run in another folder ({6}NEW_DIR)"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(out, epochs=2, data=other, force=True)
    assert str(info.value) == said.format(
        "data", repr(str(data)), repr(str(other)), out, "force=True", f"data={str(data)!r}", "out="
    )
    capsys.readouterr()
    assert main(["softmax", "--resume", str(out), "--epochs", "2", "--data", str(other)]) == 2
    cli = said.format("--data", data, other, out, "--force", f"--data {data}", "--out ")
    assert capsys.readouterr().err == f"linearnets softmax: error: {cli}\n"
    data.write_bytes(first)  # as told
    assert resume_softmax(out, epochs=2).config.epochs == 2


def test_the_runs_file_given_back_after_a_switch_whose_file_changed_is_told_that_file_first(
    tmp_path: Path,
) -> None:
    """A forced switch from a.npz to b.npz, then b.npz reshaped: data='a.npz' was told "drop the
    option to continue the same run", refused next (b.npz changed since that switch): b.npz's
    change is named and its content put back first, then dropping the option resumes."""
    import hashlib

    from linearnets.tasks.resume import resume_softmax
    from linearnets.tasks.softmax import run_softmax

    a, b, out = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "run"
    _write_npz(a, 3, 1)
    switched = _write_npz(b, 3, 2)
    settings: dict[str, Any] = {"num_threads": 1, "plot": "none", "device": "cpu"}
    run_softmax(SoftmaxConfig(data=a, epochs=1, out=out, **settings))
    resume_softmax(out, epochs=2, data=b, force=True)
    was = hashlib.sha256(switched).hexdigest()
    now = hashlib.sha256(_write_npz(b, 4, 3)).hexdigest()
    with pytest.raises(UsageError) as info:
        resume_softmax(out, epochs=3, data=a)
    assert str(info.value) == (
        f"data changed from {str(b) + f' (SHA-256 {was[:12]})'!r} to {str(a)!r} since an earlier "
        "resume from epoch 1 forced it, which would change its result; and "
        f"data={str(b)!r} changed since an earlier resume from epoch 1 switched to it (SHA-256 "
        f"{was[:12]}… then, {now[:12]}… now): put that file's content back, then leave data out "
        "to continue the same run, or pass force=True to continue with the new value"
    )
    b.write_bytes(switched)  # as told
    assert resume_softmax(out, epochs=3).config.epochs == 3
