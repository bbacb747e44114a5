"""Tests for linearnets.training.run_config: reading a run folder's config.json, its paths."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets._text import shown_path
from linearnets.cli import main
from linearnets.cli._report import one_line
from linearnets.errors import ResumeWarning, UsageError
from linearnets.training import run_config, runs


def _config_dir(tmp_path: Path, content: bytes) -> Path:
    (tmp_path / "config.json").write_bytes(content)
    return tmp_path


@pytest.mark.parametrize(
    "make,pattern",
    [
        (
            lambda p: p / "nope",
            r"run_dir must be a run folder, got '.*nope', which does not exist;",
        ),
        (
            lambda p: (p / "f.txt", (p / "f.txt").write_text("x"))[0],
            r"run_dir must be a run folder, got '.*f.txt', which is a file;",
        ),
        (lambda p: p, r"run_dir must be a run folder holding config.json, got '.*' without one;"),
        (
            lambda p: _config_dir(p, b"{not json"),
            r"config.json is not a readable JSON config \(.*\); restore it from a copy of the run",
        ),
        (
            lambda p: _config_dir(p, b'{"config": "\xff\xfe"}'),
            r"config.json is not a readable JSON config \(.*utf-8.*\); restore it from a copy",
        ),
        # the file's kinds, not Python's ("got list", "got int 3")
        (
            lambda p: _config_dir(p, b"[1, 2]"),
            r"config.json must hold a JSON object, got an array \[1, 2\];",
        ),
        (
            lambda p: _config_dir(p, b'{"config": 3}'),
            r"config.json: its 'config' section must be a JSON object \(the run's settings\), "
            r"got the number 3; pass the folder a 'linearnets softmax' run wrote$",
        ),
        (
            lambda p: _config_dir(p, b'{"model_type": "bert"}'),
            r"config.json is not a linearnets run config \(it has no 'config' section\)",
        ),
        # past what Python's json reads: an unexpected RecursionError, a ValueError
        (
            lambda p: _config_dir(p, b'{"config": {"lr": ' + b"[" * 10**5 + b"]" * 10**5 + b"}}"),
            r"config.json is not a readable JSON config \(it nests arrays or objects more than 100 "
            r"levels deep\); restore it from a copy of the run, or start a new run",
        ),
        (
            lambda p: _config_dir(p, b'{"config": {"lr": 1' + b"0" * 5000 + b"}}"),
            r"config.json is not a readable JSON config \(it holds a number of more than the 4300 "
            r"digits Python reads\); restore it from a copy of the run, or start a new run",
        ),
    ],
    ids=[
        "missing",
        "file",
        "no-config",
        "bad-json",
        "not-utf8",
        "list",
        "config-3",
        "foreign",
        "nested-past-json",
        "long-number",
    ],
)
def test_read_config_refuses_what_is_not_a_run_folder(
    tmp_path: Path, make: Any, pattern: str
) -> None:
    with pytest.raises(UsageError, match=pattern):
        run_config.read_config(make(tmp_path))


@pytest.mark.parametrize("folder", ["lr=0.5", "seed=3", "batch_size=64", "out='a'"])
def test_a_run_folder_named_like_a_setting_is_shown_as_given(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep's folder "lr=0.5" was printed as the option "--lr 0.5" ("got --lr 0.5, which does
    not exist"): the path is quoted, and the command line prints it as the library wrote it."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        run_config.read_config(folder)
    assert one_line(info.value) == (
        f"RUN_DIR must be a run folder, got {folder!r}, which does not exist; pass the folder a "
        "'linearnets softmax' run wrote (it printed 'run folder: ...')"
    )
    Path(folder).mkdir()
    with pytest.raises(UsageError) as info:
        run_config.read_config(folder)
    assert one_line(info.value) == (
        f"RUN_DIR must be a run folder holding config.json, got {folder!r} without one; pass the "
        "folder a 'linearnets softmax' run wrote"
    )


def test_read_config_returns_the_json_as_written(tmp_path: Path) -> None:
    data = {"config": {"lr": 0.1, "out": "runs/é"}, "environment": {"python": "3.11"}}
    runs.write_json_atomic(tmp_path / "config.json", data)
    assert run_config.read_config(tmp_path) == data


def test_a_folder_whose_run_was_killed_before_config_json_is_started_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run makes and locks its folder, then loads its data and writes config.json: a kill -9
    in between left the .lock alone, and --resume said to "pass the folder a 'linearnets
    softmax' run wrote", which it was. It names the command that starts the run again, and that
    command works in the folder."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 3, size=60)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    run = tmp_path / "run"
    runs.claim_run_dir(run, name="softmax-scratch").release()  # what the kill leaves: .lock alone
    assert sorted(os.listdir(run)) == [".lock"]
    assert main(["softmax", "--resume", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: RUN_DIR must be a run folder holding config.json, got "
        f"'{run}' without one; the run that made it (its .lock is there) ended before it wrote "
        "config.json, before its first epoch, so nothing is left to resume: start it again with "
        f"the command that made it (linearnets softmax --out {run} and the same options)\n"
    )
    args = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--epochs", "1"]
    assert main(["softmax", *args, "--out", str(run)]) == 0
    assert (run / "results.json").is_file()


def test_a_folder_whose_run_is_still_starting_says_to_wait(tmp_path: Path) -> None:
    """A run loading its data holds the folder's lock before config.json exists."""
    lock = runs.claim_run_dir(tmp_path / "run", name="softmax-scratch")
    try:
        with pytest.raises(UsageError) as info:
            run_config.read_config(tmp_path / "run")
    finally:
        lock.release()
    assert str(info.value).endswith(
        f"without one; a run is starting in it (linearnets process {os.getpid()}) and writes "
        "config.json once its data are loaded: wait for it"
    )


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A softmax run of 1 epoch on 60 examples: config.json, checkpoint.pt, model.pt and reports."""
    tmp = tmp_path_factory.mktemp("finished")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 3, size=60)
    np.savez(tmp / "d.npz", X=X, y=y)
    args = ["--data", str(tmp / "d.npz"), "--plot", "none", "--epochs", "1"]
    assert main(["softmax", *args, "--out", str(tmp / "run")]) == 0
    return tmp / "run"


def _damaged_copy(run: Path, to: Path, *, without: tuple[str, ...] = ()) -> Path:
    """Copy ``run`` to ``to`` with config.json damaged and the files ``without`` removed."""
    import shutil

    shutil.copytree(run, to, ignore=shutil.ignore_patterns(".lock"))
    (to / "config.json").write_text("{")
    for name in without:
        (to / name).unlink()
    return to


@pytest.mark.parametrize("content", ["{", "[1, 2]", '{"config": 5}'])
def test_a_damaged_config_json_of_afinished_run_names_the_file_and_fixes_that_work(
    tmp_path: Path, finished_run: Path, content: str
) -> None:
    """A finished run's weights need no config.json (load_trained works without it); its plain
    resume, once refused there as having nothing to do (the fix named one that trains further),
    rebuilds the file, training nothing. Only the file is to be deleted, never the folder."""
    from linearnets.tasks.resume import resume_softmax
    from linearnets.tasks.weights import load_trained

    run = _damaged_copy(finished_run, tmp_path / "run")
    (run / "config.json").write_text(content)
    with pytest.raises(UsageError) as info:
        run_config.read_config(run)
    fix = (
        "delete config.json alone (not the folder), or restore it from a copy of the run: the "
        "run's weights (model.pt) do not need it; "
        f"linearnets.resume_softmax('{run}') rebuilds it from checkpoint.pt (without the record "
        "of earlier resumes or your notes)"
    )
    assert str(info.value).endswith(f"; {fix}")
    assert "the run folder is damaged" not in str(info.value)
    assert one_line(info.value).endswith(
        f"do not need it; linearnets softmax --resume {run} rebuilds it from checkpoint.pt "
        "(without the record of earlier resumes or your notes)"
    )
    (run / "config.json").unlink()  # as advised: the weights still load
    _, meta = load_trained(run)
    assert meta["num_inputs"] == 4 and meta["num_outputs"] == 3
    with pytest.warns(ResumeWarning, match=r"^wrote config\.json in .* config\.json was missing"):
        assert len(resume_softmax(run).history.epochs) == 1  # as advised: nothing trained
    assert run_config.read_config(run)["config"]["epochs"] == 1


def test_a_resume_that_trains_further_rebuilds_a_damaged_config_json_too(tmp_path: Path) -> None:
    """The fix names the plain resume, which rebuilds config.json (it named a resume to more
    epochs, as an example, the plain one then refused); one that trains further rebuilds it too."""
    from linearnets.tasks.resume import resume_softmax

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, size=40)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    args = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--epochs", "2"]
    assert main(["softmax", *args, "--out", str(tmp_path / "run")]) == 0
    run = tmp_path / "run"
    (run / "config.json").write_text("{")
    with pytest.raises(UsageError) as info:
        run_config.read_config(run)
    assert str(info.value).endswith(
        f"; linearnets.resume_softmax('{run}') rebuilds it from checkpoint.pt (without the record "
        "of earlier resumes or your notes)"
    )
    (run / "config.json").unlink()
    resume_softmax(run, epochs=3)
    assert run_config.read_config(run)["config"]["epochs"] == 3


def _recording(run: Path, task: str | None) -> None:
    """Make ``run``'s checkpoint record ``task`` (``None``: none), as a hand edit would: it
    still loads."""
    import torch

    payload = torch.load(run / "checkpoint.pt", weights_only=True)
    payload["extra"]["task"] = task
    torch.save(payload, run / "checkpoint.pt")


@pytest.mark.parametrize("task_recorded", [True, False], ids=["recorded", "told-by-settings"])
def test_a_damaged_config_json_of_a_linear_regression_run_is_rebuilt_by_its_own_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], task_recorded: bool
) -> None:
    """A linear-regression run's checkpoint holds its settings, and its resume rebuilds
    config.json from it, as the softmax resume does a softmax run's: deleting the file is the fix
    (it said "restore it from a copy of the run (a linear-regression run's checkpoint cannot
    rebuild it)"). Finished (results.json), the resume that rebuilds it trains further. One
    recording no task (a hand edit) is told by its settings (noise_std, true_w, ...): it was sent
    to the softmax resume."""
    from linearnets.tasks.linreg_resume import resume_linreg

    run = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--num-examples", "100", "--out", str(run)]) == 0
    if not task_recorded:
        _recording(run, None)
    (run / "config.json").write_text("{")
    with pytest.raises(UsageError) as info:
        run_config.read_config(run)
    assert str(info.value).endswith(
        "is not a readable JSON config (Expecting property name enclosed in double quotes: line 1 "
        "column 2 (char 1)); delete config.json alone (not the folder), or restore it from a copy "
        f"of the run: linearnets.resume_linreg('{run}') rebuilds it from checkpoint.pt (without "
        "the record of earlier resumes or your notes)"
    )
    capsys.readouterr()
    assert main(["predict", str(run)]) == 2  # predict reads it with the same fix
    assert capsys.readouterr().err.endswith(
        f"of the run: linearnets linreg --resume {run} rebuilds it from checkpoint.pt (without "
        "the record of earlier resumes or your notes)\n"
    )
    (run / "config.json").unlink()  # as advised
    assert len(resume_linreg(run, epochs=2).history.epochs) == 2
    assert run_config.read_config(run)["task"] == "linreg"


@pytest.mark.parametrize("recorded", [None, "Linreg"], ids=["as-written", "a-task-no-run-writes"])
def test_a_damaged_config_json_of_an_unfinished_run_is_rebuilt_by_the_resume_named(
    tmp_path: Path, finished_run: Path, recorded: str | None
) -> None:
    """Stopped after its checkpoint, before its weights: a plain resume continues it and writes
    config.json again from the checkpoint. Any task a checkpoint recorded was taken for a
    linear-regression run's ("its checkpoint cannot rebuild it"), though the softmax resume
    takes one whose task nothing tells (a hand edit), and rebuilds config.json from it."""
    from linearnets.tasks.resume import resume_softmax

    run = _damaged_copy(finished_run, tmp_path / "my run", without=("model.pt", "results.json"))
    if recorded is not None:
        _recording(run, recorded)
    with pytest.raises(UsageError) as info:
        run_config.read_config(run)
    assert str(info.value).endswith(
        "; delete config.json alone (not the folder), or restore it from a copy of the run: "
        f"linearnets.resume_softmax('{run}') continues the run and rebuilds it from "
        "checkpoint.pt (without the record of earlier resumes or your notes)"
    )
    assert one_line(info.value).endswith(
        f"of the run: linearnets softmax --resume '{run}' continues the run and rebuilds it from "
        "checkpoint.pt (without the record of earlier resumes or your notes)"
    )
    (run / "config.json").unlink()  # as advised
    with pytest.warns(ResumeWarning, match=r"^wrote config\.json in .* config\.json was missing"):
        resume_softmax(run)  # its last epoch's files written, config.json with them, said
    assert run_config.read_config(run)["config"]["epochs"] == 1
    assert (run / "model.pt").is_file()


@pytest.mark.parametrize(
    ("without", "checkpoint", "fix"),
    [
        (
            ("checkpoint.pt",),
            None,
            "delete config.json alone (not the folder), or restore it from a copy of the run: "
            "the run's weights (model.pt) do not need it",
        ),
        (
            ("checkpoint.pt", "model.pt"),
            None,
            "restore it from a copy of the run, or start a new run in another folder",
        ),
        (  # a damaged checkpoint rebuilds nothing
            ("model.pt",),
            b"a checkpoint",
            "restore it from a copy of the run, or start a new run in another folder",
        ),
    ],
    ids=["weights-only", "neither", "damaged-checkpoint"],
)
def test_a_damaged_config_json_promises_no_rebuild_without_a_readable_checkpoint(
    tmp_path: Path,
    finished_run: Path,
    without: tuple[str, ...],
    checkpoint: bytes | None,
    fix: str,
) -> None:
    from linearnets.tasks.weights import load_trained

    run = _damaged_copy(finished_run, tmp_path / "run", without=without)
    if checkpoint is not None:
        (run / "checkpoint.pt").write_bytes(checkpoint)
    with pytest.raises(
        UsageError, match=r"config.json is not a readable JSON config \(.*\); "
    ) as info:
        run_config.read_config(run)
    assert str(info.value).endswith(f"; {fix}")
    if "model.pt" not in without:
        (run / "config.json").unlink()  # as advised
        assert load_trained(run)[1]["num_outputs"] == 3


def _as_fashion_mnist(weights: Path) -> None:
    """Rewrite the model.pt at ``weights`` as a model of Fashion-MNIST's 10 classes, of their
    names (a --data run's are "0", "1", ...), its impl and inputs kept."""
    import torch

    from linearnets.data.labels import TEXT_LABELS
    from linearnets.models.factory import softmax_net

    payload = torch.load(weights, weights_only=True)
    net = softmax_net(
        payload["impl"],
        num_inputs=payload["num_inputs"],
        num_outputs=10,
        generator=torch.Generator(),
    )
    payload.update(num_outputs=10, classes=list(TEXT_LABELS), state_dict=net.state_dict())
    torch.save(payload, weights)


@pytest.mark.parametrize(
    ("model", "works"),
    [
        ("data", ""),
        ("fashion-mnist", ", so load_trained and predict work without it"),
        (
            "unreadable",
            ", so load_trained and predict work without it for a run trained on Fashion-MNIST",
        ),
    ],
)
def test_a_bad_config_json_of_a_finished_run_says_predict_works_only_for_fashion_mnist(
    tmp_path: Path, finished_run: Path, model: str, works: str
) -> None:
    """A --data run's config.json fix said "so linearnets predict works without it", which
    predict then refused ("predict draws Fashion-MNIST test images, but the run ... was trained
    on --data"): without its checkpoint, model.pt's class names tell; where it cannot be read,
    the clause is said of a run trained on Fashion-MNIST."""
    run = _damaged_copy(finished_run, tmp_path / "run", without=("checkpoint.pt",))
    if model == "fashion-mnist":
        _as_fashion_mnist(run / "model.pt")
    elif model == "unreadable":
        (run / "model.pt").write_bytes(b"not weights")
    fix = (
        "delete config.json alone (not the folder), or restore it from a copy of the run: the "
        f"run's weights (model.pt) do not need it{works}"
    )
    with pytest.raises(UsageError, match=rf"; {re.escape(fix)}$") as info:
        run_config.read_config(run)
    said = fix.replace("so load_trained and predict work", "so linearnets predict works")
    assert one_line(info.value).endswith(f"; {said}")


def test_a_bad_config_json_of_a_finished_run_reads_its_data_from_the_checkpoint(
    tmp_path: Path, finished_run: Path
) -> None:
    """The checkpoint's settings tell the data the run trained on, before model.pt does: one of
    Fashion-MNIST's (no --data) gets the predict clause, whatever model.pt's class names."""
    import torch

    run = _damaged_copy(finished_run, tmp_path / "run")
    checkpoint = run_config.resumable_checkpoint(run)
    assert checkpoint is not None and checkpoint.config["data"] is not None
    with pytest.raises(UsageError, match=r"do not need it; linearnets\.resume_softmax"):
        run_config.read_config(run)
    _as_fashion_mnist(run / "model.pt")  # the checkpoint says --data: model.pt is not asked
    with pytest.raises(UsageError, match=r"do not need it; linearnets\.resume_softmax"):
        run_config.read_config(run)
    payload = torch.load(run / "checkpoint.pt", weights_only=True)
    payload["config"]["data"] = None
    torch.save(payload, run / "checkpoint.pt")
    assert run_config.resumable_checkpoint(run) is not None
    with pytest.raises(
        UsageError,
        match=r"do not need it, so load_trained and predict work without it; linearnets\.resume",
    ):
        run_config.read_config(run)


def test_a_config_json_the_user_may_not_read_is_not_sent_to_be_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sound config.json of mode 000 was "not a readable JSON config" with the fix "delete
    config.json alone": its record, lost; the fix is its permissions (faked: root reads anything)."""
    run = _config_dir(tmp_path, b'{"config": {}}')
    real = Path.read_text

    def refused(path: Path, *args: Any, **kwargs: Any) -> str:
        if path == run / "config.json":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refused)
    with pytest.raises(UsageError) as info:
        run_config.read_config(run)
    path = run / "config.json"
    assert str(info.value) == (
        f"{path} cannot be read (Permission denied); make it readable (chmod u+r {path}) and "
        "try again"
    )
    assert path.read_bytes() == b'{"config": {}}'


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (
            '{"config": 5}',
            r"its 'config' section must be a JSON object \(the run's settings\), got the number 5",
        ),
        (
            '{"config": [1]}',
            r"its 'config' section must be a JSON object \(the run's settings\), got an array \[1\]",
        ),
        (
            '{"model_type": "bert"}',
            r"is not a linearnets run config \(it has no 'config' section\)",
        ),
    ],
    ids=["int", "list", "no-section"],
)
@pytest.mark.parametrize("beside_a_run", [True, False], ids=["run-files", "alone"])
def test_a_config_section_that_is_no_object_is_named_as_such(
    tmp_path: Path, finished_run: Path, content: str, rule: str, beside_a_run: bool
) -> None:
    """A 'config' that is there but no object is not reported missing; beside a run's files the
    file is the run's (the damaged-file fix), alone it may be another tool's (left alone)."""
    run = _damaged_copy(finished_run, tmp_path / "run") if beside_a_run else tmp_path
    (run / "config.json").write_text(content)
    fix = (
        r"delete config\.json alone \(not the folder\), or restore it from a copy of the run: "
        if beside_a_run
        else r"pass the folder a 'linearnets softmax' run wrote$"
    )
    with pytest.raises(UsageError, match=rf"config\.json:? {rule}; {fix}"):
        run_config.read_config(run)


def test_read_config_and_run_dir_path_expand_a_leading_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "~/run" is the home folder's run, as the shell (and os.path.expanduser) reads it."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert os.path.expanduser("~/run") == str(tmp_path / "run")  # the oracle
    runs.write_json_atomic(_mkdir(tmp_path / "run") / "config.json", {"config": {"lr": 0.1}})
    assert run_config.run_dir_path("~/run", example="x") == tmp_path / "run"
    assert run_config.read_config("~/run") == {"config": {"lr": 0.1}}
    assert run_config.read_config(Path("~") / "run") == {"config": {"lr": 0.1}}
    with pytest.raises(
        UsageError, match=rf"got {re.escape(repr(str(tmp_path / 'gone')))}, which does not"
    ):
        run_config.read_config("~/gone")


def test_a_tilde_that_cannot_be_expanded_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    user = "linearnets-no-such-user"
    with pytest.raises(KeyError):
        pwd.getpwnam(user)  # the oracle: the user database knows no such user
    with pytest.raises(
        UsageError,
        match=rf"^run_dir must be a path whose ~{user} can be expanded, got '~{user}/run', but "
        rf"the user database knows no user '{user}'",
    ):
        run_config.run_dir_path(f"~{user}/run", example="x")


def test_a_run_dir_under_tilde_resumes_from_python_and_the_command_line(
    tmp_path: Path, finished_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from linearnets.tasks.resume import resume_softmax

    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copytree(finished_run, tmp_path / "run", ignore=shutil.ignore_patterns(".lock"))
    resume_softmax("~/run", epochs=2)
    assert run_config.read_config(tmp_path / "run")["config"]["epochs"] == 2
    assert main(["softmax", "--resume", "~/run", "--epochs", "3", "--plot", "none"]) == 0
    assert run_config.read_config(tmp_path / "run")["config"]["epochs"] == 3


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_a_folder_named_config_json_is_no_config(tmp_path: Path) -> None:
    (tmp_path / "config.json").mkdir()
    with pytest.raises(UsageError) as info:
        run_config.read_config(tmp_path)
    assert str(info.value) == (
        f"run_dir must be a run folder holding config.json, got {str(tmp_path)!r} without one; "
        "pass the folder a 'linearnets softmax' run wrote"
    )


def test_a_folder_named_like_the_lock_file_is_no_trace_of_a_run(tmp_path: Path) -> None:
    """Only a .lock file is left by a run killed before config.json; a .lock folder is not."""
    (tmp_path / ".lock").mkdir()
    with pytest.raises(UsageError, match=r"without one; pass the folder a 'linearnets softmax' run wrote$"):  # fmt: skip
        run_config.read_config(tmp_path)


def test_another_tools_config_json_beside_a_runs_files_is_a_damaged_run_config(
    tmp_path: Path, finished_run: Path
) -> None:
    """A config.json without a 'config' section may be another tool's, but beside a checkpoint
    (an unfinished run) or weights (a finished one) it is the run's, damaged: its fixes are named."""
    unfinished = _damaged_copy(finished_run, tmp_path / "a", without=("model.pt", "results.json"))
    (unfinished / "config.json").write_text("{}")
    with pytest.raises(UsageError) as info:
        run_config.read_config(unfinished)
    assert str(info.value) == (
        f"{unfinished / 'config.json'} is not a linearnets run config (it has no 'config' "
        "section); delete config.json alone (not the folder), or restore it from a copy of the "
        f"run: linearnets.resume_softmax('{unfinished}') continues the run and rebuilds it from "
        "checkpoint.pt (without the record of earlier resumes or your notes)"
    )
    weights_only = _damaged_copy(finished_run, tmp_path / "b", without=("checkpoint.pt",))
    (weights_only / "config.json").write_text("{}")
    with pytest.raises(UsageError) as info:
        run_config.read_config(weights_only)
    assert str(info.value) == (
        f"{weights_only / 'config.json'} is not a linearnets run config (it has no 'config' "
        "section); delete config.json alone (not the folder), or restore it from a copy of the "
        "run: the run's weights (model.pt) do not need it"
    )


def test_a_complete_run_is_refused_with_epochs_past_its_own() -> None:
    assert str(run_config.run_complete(Path("runs/a"), 1)) == (
        "the run in runs/a is complete: it finished its 1 epoch and wrote its results, so "
        "nothing is left to resume; pass e.g. epochs=6 to train further"
    )


def test_out_is_refused_among_a_resumes_overrides_even_as_none() -> None:
    with pytest.raises(UsageError) as info:
        run_config.refuse_out("resume_softmax", {"out": None}, Path("runs/a"))
    assert str(info.value) == (
        "out cannot be passed to resume_softmax, got out=None: the run continues in its own "
        "folder, 'runs/a'; drop out= (to continue a copy elsewhere, copy the run folder and "
        "resume the copy)"
    )
    run_config.refuse_out("resume_softmax", {"lr": 0.1}, Path("runs/a"))


def test_a_run_dir_holding_odd_characters_is_quoted_as_shown_path(tmp_path: Path) -> None:
    """repr's '/tmp/a\\nb' is Python's escape, which the shell reads as a backslash and an n:
    the $'...' word other messages name such a path by, an ordinary one quoted as before."""
    folder = tmp_path / "a\nb"
    with pytest.raises(UsageError) as info:
        run_config.read_config(folder)
    assert str(info.value) == (
        f"run_dir must be a run folder, got $'{tmp_path}/a\\nb', which does not exist; pass the "
        "folder a run wrote, its config's out (the result's run_dir)"
    )
    folder.mkdir()
    with pytest.raises(UsageError, match=r"holding config\.json, got \$'.*/a\\nb' without one;"):
        run_config.read_config(folder)
    with pytest.raises(UsageError, match=r"in its own folder, \$'runs/a\\x1b\[31m'; drop out="):
        run_config.refuse_out("resume_linreg", {"out": "x"}, Path("runs/a\x1b[31m"))


@pytest.mark.parametrize(
    ("value", "said"),
    [("rel/a\nb", '"rel/a\\nb"'), ("rel/it's", '"rel/it\'s"'), ("rel/a", '"rel/a"'),
     ("rel/a\x1b[31m", '"rel/a\\u001b[31m"')],
    ids=["newline", "quote", "ordinary", "escape"],
)  # fmt: skip
def test_a_relative_path_in_config_json_is_quoted_as_the_file_holds_it_escaping_odd_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, said: str
) -> None:
    """It was named by repr ('rel/a\\nb'), then as shown_path ($'rel/a\\nb'): it is a string in
    the file, named as JSON writes it ("rel/a\\nb"), which is how to find it there; the same
    path made absolute, not in the file, is named by shown_path ($'/tmp/rel/a\\nb')."""
    monkeypatch.chdir(tmp_path)
    refusal = run_config.relative_config_path(
        Path("run"), "data_dir", {"data_dir": value}, what="the folder", reader="a resume", fix="x"
    )
    assert str(refusal) == (
        "run/config.json: its 'config' section's 'data_dir' must be an absolute path (a run "
        f"writes the folder it trained on as one), got the string {said}, a relative path, which "
        f"a resume would look for in the current folder, as {shown_path(tmp_path / value)}; x"
    )


def test_a_damaged_config_json_loads_the_checkpoint_once_for_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix read the epochs from the checkpoint, then loaded it again for the task it names."""
    run = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--num-examples", "100", "--out", str(run)]) == 0
    (run / "config.json").write_text("{")
    real, loaded = run_config.load_checkpoint, []
    monkeypatch.setattr(
        run_config, "load_checkpoint", lambda path: (loaded.append(path), real(path))[1]
    )
    with pytest.raises(UsageError, match=r"linearnets\.resume_linreg\('.*'\) rebuilds it"):
        run_config.read_config(run)
    assert loaded == [run / "checkpoint.pt"]


def test_a_missing_run_folder_is_told_where_a_run_folder_comes_from_in_each_ones_words(
    tmp_path: Path,
) -> None:
    """From Python, run_softmax prints no "run folder: ..." line, which the message pointed to:
    the folder is its config's out; the command line's words name the line it printed."""
    with pytest.raises(UsageError) as info:
        run_config.read_config(tmp_path / "nope")
    assert str(info.value) == (
        f"run_dir must be a run folder, got {str(tmp_path / 'nope')!r}, which does not exist; "
        "pass the folder a run wrote, its config's out (the result's run_dir)"
    )
    assert one_line(info.value).endswith(
        "; pass the folder a 'linearnets softmax' run wrote (it printed 'run folder: ...')"
    )


def test_a_file_in_a_run_folder_is_told_the_folder_that_holds_it(tmp_path: Path) -> None:
    """resume_softmax('R/checkpoint.pt') was told only that it is a file; load_trained names the
    folder that holds it. A file in no run's folder is told where run folders come from."""
    run = tmp_path / "R"
    run.mkdir()
    (run / "config.json").write_text('{"config": {}}')
    (run / "checkpoint.pt").write_bytes(b"")
    with pytest.raises(UsageError) as info:
        run_config.read_config(run / "checkpoint.pt")
    assert str(info.value) == (
        f"run_dir must be a run folder, got the file {run / 'checkpoint.pt'}; pass the folder "
        f"that holds it: {run}"
    )
    (tmp_path / "d.npz").write_bytes(b"")
    with pytest.raises(UsageError) as info:
        run_config.read_config(tmp_path / "d.npz")
    assert str(info.value) == (
        f"run_dir must be a run folder, got {str(tmp_path / 'd.npz')!r}, which is a file; pass the "
        "folder a run wrote, its config's out (the result's run_dir)"
    )
