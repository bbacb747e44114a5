"""How a checkpoint reaches the disk: synced whole before the rename, or not at all, the reason named."""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets.errors import CheckpointError
from linearnets.training import checkpoint_write
from linearnets.training.checkpoint_write import save_run_file, write_atomic

PAYLOAD = {"w": torch.arange(10_000, dtype=torch.float32)}  # 40 kB: more than a write buffer


def test_all_the_data_are_written_before_the_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A buffered tail not yet flushed at fsync time would not be durable."""
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = tmp_path / "c.pt"
    write_atomic(path, PAYLOAD)
    assert synced[0] == path.stat().st_size
    assert torch.equal(torch.load(path, weights_only=True)["w"], PAYLOAD["w"])


def test_the_temporary_is_hidden_and_gone_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mid-write the folder shows the old file and one hidden ``.c.pt.*.tmp``; then the new file only."""
    seen: list[list[str]] = []
    real_save = torch.save

    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(sorted(os.listdir(tmp_path)))
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    (tmp_path / "c.pt").write_bytes(b"old")
    write_atomic(tmp_path / "c.pt", PAYLOAD)
    [during] = seen
    assert during[1] == "c.pt" and re.fullmatch(r"\.c\.pt\..+\.tmp", during[0]), during
    assert os.listdir(tmp_path) == ["c.pt"]


def test_an_interrupt_mid_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the save: the interrupt goes on, the folder is as it was."""

    def interrupted(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        f.write(b"PK\x03\x04 half")
        raise KeyboardInterrupt

    (tmp_path / "c.pt").write_bytes(b"old")
    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "c.pt", PAYLOAD)
    assert os.listdir(tmp_path) == ["c.pt"]
    assert (tmp_path / "c.pt").read_bytes() == b"old"


def _failing_save(exc: BaseException) -> Any:
    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        raise exc

    return save


def _free(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, free: int) -> None:
    usage = shutil.disk_usage(tmp_path)._replace(free=free)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage)


def test_free_space_is_given_in_kib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _free(monkeypatch, tmp_path, 1_000_000)  # under 1 MiB: full; 1e6 / 1024 = 976.6
    monkeypatch.setattr(torch, "save", _failing_save(RuntimeError("unexpected pos 5760 vs 5654")))
    with pytest.raises(CheckpointError, match=r"the disk is full \(976 KiB free\);"):
        write_atomic(tmp_path / "c.pt", PAYLOAD)


def test_a_disk_with_a_mebibyte_free_is_not_called_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _free(monkeypatch, tmp_path, 1 << 20)
    monkeypatch.setattr(torch, "save", _failing_save(RuntimeError("unexpected pos 5760 vs 5654")))
    with pytest.raises(CheckpointError, match=r"c.pt could not be written: unexpected pos 5760 vs 5654; no earlier checkpoint exists; fix that and run it again$"):  # fmt: skip
        write_atomic(tmp_path / "c.pt", PAYLOAD)


def test_another_error_is_named_on_one_line_and_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _free(monkeypatch, tmp_path, 10 << 30)
    long = "first line\n  second   line " + "x" * 300
    monkeypatch.setattr(torch, "save", _failing_save(RuntimeError(long)))
    with pytest.raises(CheckpointError) as info:
        write_atomic(tmp_path / "c.pt", PAYLOAD)
    reason = ("first line second line " + "x" * 300)[:200]
    assert str(info.value) == (
        f"{tmp_path / 'c.pt'} could not be written: {reason}; no earlier checkpoint exists; "
        "fix that and run it again"
    )


def test_a_permission_error_is_named_and_kept_as_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _free(monkeypatch, tmp_path, 10 << 30)
    denied = PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(torch, "save", _failing_save(denied))
    with pytest.raises(CheckpointError, match=r"could not be written: \[Errno 13\] Permission denied; no earlier") as info:  # fmt: skip
        write_atomic(tmp_path / "c.pt", PAYLOAD)
    assert info.value.__cause__ is denied
    assert os.listdir(tmp_path) == []


def test_an_unknown_free_space_does_not_make_a_disk_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the free space cannot be read, only the error itself can say the disk is full."""

    def no_usage(p: Any) -> Any:
        raise OSError(errno.ENOSYS, "not supported")

    monkeypatch.setattr(shutil, "disk_usage", no_usage)
    monkeypatch.setattr(torch, "save", _failing_save(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(CheckpointError, match=r"could not be written: \[Errno 5\] Input/output error;"):  # fmt: skip
        write_atomic(tmp_path / "c.pt", PAYLOAD)
    monkeypatch.setattr(torch, "save", _failing_save(OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(CheckpointError, match=r"could not be written: the disk is full"):
        write_atomic(tmp_path / "c.pt", PAYLOAD)


class _InterruptedFile(io.RawIOBase):
    """A file whose ``write`` raises ``KeyboardInterrupt`` from its ``at``-th call on, as Python's
    SIGINT handler would in the middle of a save."""

    def __init__(self, at: int) -> None:
        self.at, self.calls = at, 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.calls += 1
        if self.calls >= self.at:
            raise KeyboardInterrupt
        return len(b)


def test_a_ctrl_c_during_a_save_is_an_interrupt_not_a_failed_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's writer turns an exception raised in a Python ``write`` (Ctrl-C's, from the signal
    handler) into its own RuntimeError ("unexpected pos"), which read as a broken disk. The runs'
    files are saved into memory, whose ``write`` runs no Python code, then written in one call:
    an interrupt there stays an interrupt, and no temporary file is left."""
    with pytest.raises(RuntimeError, match="unexpected pos"):  # the premise: torch's own behaviour
        torch.save({"w": torch.zeros(1000)}, _InterruptedFile(2))
    targets: list[type] = []
    real_save = torch.save

    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        targets.append(type(f))
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        os.close(fd)
        return _InterruptedFile(1)

    (tmp_path / "model.pt").write_bytes(b"old")
    for write in (write_atomic, save_run_file):
        monkeypatch.setattr(checkpoint_write.os, "fdopen", fdopen)
        with pytest.raises(KeyboardInterrupt):
            write(tmp_path / "model.pt", {"w": torch.zeros(1000)})
        monkeypatch.setattr(checkpoint_write.os, "fdopen", real_fdopen)
    assert targets == [io.BytesIO, io.BytesIO]  # torch never calls a Python write
    assert os.listdir(tmp_path) == ["model.pt"]  # no temporary left, the old file kept
    assert (tmp_path / "model.pt").read_bytes() == b"old"
    write_atomic(tmp_path / "model.pt", PAYLOAD)  # and the real thing loads
    assert torch.equal(torch.load(tmp_path / "model.pt", weights_only=True)["w"], PAYLOAD["w"])


def test_a_temporary_file_that_cannot_be_created_is_named_as_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary's own failure (a path past PATH_MAX: ENAMETOOLONG) gets the same clear error."""
    _free(monkeypatch, tmp_path, 10 << 30)

    def too_long(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENAMETOOLONG, "File name too long")

    real_open = os.open

    def open_(name: Any, *args: Any, **kwargs: Any) -> int:
        if str(name).startswith(str(tmp_path)):
            too_long()
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(checkpoint_write.os, "open", open_)
    with pytest.raises(CheckpointError, match=r"c.pt could not be written: \[Errno 36\] File name too long; no earlier checkpoint exists; fix that and run it again$"):  # fmt: skip
        write_atomic(tmp_path / "c.pt", PAYLOAD)
    assert os.listdir(tmp_path) == []


def test_an_exceeded_quota_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EDQUOT leaves the disk with free space: it is the user's share that is used up."""
    _free(monkeypatch, tmp_path, 10 << 30)
    quota = OSError(errno.EDQUOT, "Disk quota exceeded")
    monkeypatch.setattr(torch, "save", _failing_save(quota))
    with pytest.raises(CheckpointError, match=r"c.pt could not be written: the disk quota is used up; no earlier"):  # fmt: skip
        write_atomic(tmp_path / "c.pt", PAYLOAD)
    assert os.listdir(tmp_path) == []


TORCH_FULL = "[enforce fail at inline_container.cc:672] . unexpected pos 1024 vs 918"


@pytest.mark.parametrize("checkpoint", [True, False], ids=["beside-a-checkpoint", "without"])
def test_a_run_file_on_a_full_disk_names_it_and_the_fix_that_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checkpoint: bool
) -> None:
    """model.pt as torch's zip writer fails on a full disk: named, no temporary file left, and
    the resume advised only where a checkpoint can continue the run."""
    from linearnets.errors import RunFileError
    from linearnets.training.checkpoint_write import save_run_file

    run = tmp_path / "my  run"  # two spaces: a shell would split it unquoted
    run.mkdir()
    if checkpoint:
        (run / "checkpoint.pt").write_bytes(b"epoch 2")
    _free(monkeypatch, run, 20_000)  # 19 KiB: 20000 // 1024
    monkeypatch.setattr(torch, "save", _failing_save(RuntimeError(TORCH_FULL)))
    fix = (
        rf"the checkpoint of the run's last finished epoch is kept: fix that and continue it "
        rf"with linearnets\.resume_softmax\('{re.escape(str(run))}'\)$"
        if checkpoint
        else r"the run has no checkpoint to continue from: fix that and run it again$"
    )
    with pytest.raises(RunFileError, match=rf"model.pt could not be written: the disk is full \(19 KiB free\); {fix}"):  # fmt: skip
        save_run_file(run / "model.pt", {"w": torch.zeros(3)})
    assert sorted(os.listdir(run)) == (["checkpoint.pt"] if checkpoint else [])


def test_a_text_file_is_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk at the fsync keeps the old file and leaves no temporary; the error is an OSError
    too (code catching the write's OSError still catches it) and keeps the cause."""
    from linearnets.errors import RunFileError
    from linearnets.training.checkpoint_write import write_text_atomic

    target = tmp_path / "metrics.csv"
    write_text_atomic(target, "epoch\r\n1\r\n")
    assert target.read_bytes() == b"epoch\r\n1\r\n"  # written as given: csv's line ends kept
    _free(monkeypatch, tmp_path, 10 << 30)
    full = OSError(errno.ENOSPC, "No space left on device")

    def fsync(fd: int) -> None:
        raise full

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(RunFileError, match=r"metrics.csv could not be written: the disk is full") as info:  # fmt: skip
        write_text_atomic(target, "epoch\r\n1\r\n2\r\n")
    assert isinstance(info.value, OSError) and info.value.__cause__ is full
    assert target.read_bytes() == b"epoch\r\n1\r\n"
    assert os.listdir(tmp_path) == ["metrics.csv"]


@pytest.mark.parametrize("name", ["run", "my  run", "it's"])
@pytest.mark.parametrize("files", [("checkpoint.pt", "config.json"), ("config.json",)])
def test_the_resume_a_run_file_error_advises_is_the_python_call_and_the_commands_option(
    tmp_path: Path, name: str, files: tuple[str, ...]
) -> None:
    """From Python, "continue it with --resume DIR" named an option Python does not have: the fix
    is the call, linearnets.resume_softmax(DIR). The command prints the command that does the
    same, linearnets softmax --resume DIR, the folder quoted for the shell (the options alone
    were no command to paste)."""
    import ast
    import shlex

    from linearnets.cli._report import one_line
    from linearnets.training.checkpoint_write import run_file_error

    run = tmp_path / name
    run.mkdir()
    for file in files:
        (run / file).write_bytes(b"x")
    exc = run_file_error(run / "metrics.jsonl", OSError(errno.EIO, "Input/output error"))
    said, call = str(exc).rsplit(" with ", 1)
    # the oracle for Python: the call's argument, read back by Python, is the folder
    assert call.startswith("linearnets.resume_softmax(") and call.endswith(")")
    assert ast.literal_eval(call.removeprefix("linearnets.resume_softmax(")[:-1]) == str(run)
    # the oracle for the command: the shell reads back the command and the folder, one word
    line, words = one_line(exc).rsplit(" with ", 1)
    assert line == said and shlex.split(words) == ["linearnets", "softmax", "--resume", str(run)]


@pytest.mark.parametrize("name", ["run", "my  run", "it's"])
@pytest.mark.parametrize(("kept", "again"), [(True, "continue it"), (False, "start it over")])
def test_a_checkpoint_that_cannot_be_written_advises_the_resume_of_its_folder_in_either_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, kept: bool, again: str
) -> None:
    """It ended "continue with linearnets.resume_softmax()", printed "continue with --resume" by the
    command: no folder, where a file of the run's other files names it. The fix is now the call on
    the run folder, and the command prints linearnets softmax --resume with the folder quoted for
    the shell."""
    import ast
    import shlex

    from linearnets.cli._report import one_line

    run = tmp_path / name
    run.mkdir()
    (run / "config.json").write_text("{}")  # a run folder: the resume reads it
    if kept:
        write_atomic(run / "checkpoint.pt", PAYLOAD)
    _free(monkeypatch, run, 10 << 30)
    monkeypatch.setattr(torch, "save", _failing_save(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(CheckpointError) as info:
        write_atomic(run / "checkpoint.pt", PAYLOAD)
    said, call = str(info.value).rsplit(" with ", 1)
    kept_or_not = "the previous checkpoint is kept" if kept else "no earlier checkpoint exists"
    assert said == (
        f"{run / 'checkpoint.pt'} could not be written: [Errno 5] Input/output error; "
        f"{kept_or_not}; fix that and {again}"
    )
    # the oracle for Python: the call's argument, read back by Python, is the folder
    assert call.startswith("linearnets.resume_softmax(") and call.endswith(")")
    assert ast.literal_eval(call.removeprefix("linearnets.resume_softmax(")[:-1]) == str(run)
    # the oracle for the command: the shell reads back the command and the folder, one word
    line, words = one_line(info.value).rsplit(" with ", 1)
    assert line == said and shlex.split(words) == ["linearnets", "softmax", "--resume", str(run)]


@pytest.mark.parametrize(
    ("config", "call"),
    [
        ('{"task": "linreg", "config": {}}', "resume_linreg"),
        ('{"config": {}}', "resume_softmax"),  # a softmax run's config.json names no task
        ("{", "resume_softmax"),  # unreadable: the call of the writer that names none
    ],
)  # fmt: skip
@pytest.mark.parametrize("kept", [True, False])
def test_a_linreg_runs_file_that_cannot_be_written_advises_resume_linreg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, call: str, kept: bool
) -> None:
    """A linear-regression run writes its checkpoint and metrics here too, and a failed write
    advised linearnets.resume_softmax(DIR), which refuses a linreg run's folder (on the command
    line --resume DIR, which only linearnets linreg takes). The call is the run's own, by its
    config.json, as the refusal of a folder that holds a run names it."""
    from linearnets.cli._report import one_line
    from linearnets.training.checkpoint_write import run_file_error

    run = tmp_path / "my run"
    run.mkdir()
    (run / "config.json").write_text(config)
    if kept:
        write_atomic(run / "checkpoint.pt", PAYLOAD)
    again = "continue it" if kept else "start it over"
    metrics = run_file_error(run / "metrics.csv", OSError(errno.EIO, "Input/output error"))
    assert str(metrics).endswith(f"fix that and {again} with linearnets.{call}({str(run)!r})")
    # the command line's: the command of the run's own task
    command = f"linearnets {call.removeprefix('resume_')} --resume '{run}'"
    assert one_line(metrics).endswith(f"fix that and {again} with {command}")
    _free(monkeypatch, run, 10 << 30)
    monkeypatch.setattr(torch, "save", _failing_save(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(CheckpointError) as info:
        write_atomic(run / "checkpoint.pt", PAYLOAD)
    kept_or_not = "the previous checkpoint is kept" if kept else "no earlier checkpoint exists"
    assert str(info.value) == (
        f"{run / 'checkpoint.pt'} could not be written: [Errno 5] Input/output error; "
        f"{kept_or_not}; fix that and {again} with linearnets.{call}({str(run)!r})"
    )


@pytest.mark.parametrize("file", ["c.pt", "checkpoint.pt"])
def test_a_checkpoint_that_is_no_runs_advises_no_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file: str
) -> None:
    """save_checkpoint to a file of the caller's own (another name, or a first checkpoint.pt with
    no config.json beside it): linearnets.resume_softmax reads neither, and is not offered."""
    from linearnets.cli._report import one_line

    if file == "c.pt":
        (tmp_path / "config.json").write_text("{}")
    _free(monkeypatch, tmp_path, 10 << 30)
    monkeypatch.setattr(torch, "save", _failing_save(OSError(errno.EIO, "Input/output error")))
    with pytest.raises(CheckpointError) as info:
        write_atomic(tmp_path / file, PAYLOAD)
    assert (
        str(info.value)
        == one_line(info.value)
        == (
            f"{tmp_path / file} could not be written: [Errno 5] Input/output error; no earlier "
            "checkpoint exists; fix that and run it again"
        )
    )


@pytest.mark.parametrize(("kept", "yours"), [(True, "your previous one is kept"),
                                             (False, "you have no earlier one")])  # fmt: skip
def test_a_checkpoint_of_yours_outside_the_run_folder_names_the_runs_resume_and_is_yours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: bool, yours: str
) -> None:
    """A checkpoint of yours in another folder than the run's: "no earlier checkpoint exists; the
    checkpoint of the run's last finished epoch is kept", two checkpoints told apart by nothing.
    Yours is now named as yours, the run's kept checkpoint with its folder, and the error is a
    callback's own (the run's stops treat it as yours, whatever the writer's class). Outside a
    run, the words of its own folder, unmarked."""
    from linearnets.training.checkpoint_write import the_run_in
    from linearnets.training.hook_owners import raised_by_callback

    run, mine = tmp_path / "run", tmp_path / "mine"
    run.mkdir()
    mine.mkdir()
    (run / "config.json").write_text("{}")
    write_atomic(run / "checkpoint.pt", PAYLOAD)
    if kept:
        write_atomic(mine / "checkpoint.pt", PAYLOAD)
    _free(monkeypatch, run, 10 << 30)
    monkeypatch.setattr(torch, "save", _failing_save(OSError(errno.EIO, "Input/output error")))
    with the_run_in(run), pytest.raises(CheckpointError) as info:
        write_atomic(mine / "checkpoint.pt", PAYLOAD)
    assert str(info.value) == (
        f"{mine / 'checkpoint.pt'} could not be written: [Errno 5] Input/output error; {yours}; "
        f"the checkpoint of the run's last finished epoch is kept in {run}: fix that and continue "
        f"it with linearnets.resume_softmax({str(run)!r})"
    )
    assert raised_by_callback(info.value)
    with pytest.raises(CheckpointError) as info:
        write_atomic(mine / "checkpoint.pt", PAYLOAD)
    assert not raised_by_callback(info.value)
    assert str(info.value).endswith(
        f"; the previous checkpoint is kept; fix that and continue it with "
        f"linearnets.resume_softmax({str(mine)!r})"
        if kept
        else "; no earlier checkpoint exists; fix that and run it again"
    )


def test_a_folder_where_a_checkpoint_goes_is_no_checkpoint_kept(tmp_path: Path) -> None:
    """It was said "the previous checkpoint is kept" (the path existed)."""
    run = tmp_path / "run"
    (run / "checkpoint.pt").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    with pytest.raises(CheckpointError) as info:
        write_atomic(run / "checkpoint.pt", PAYLOAD)
    assert "; no earlier checkpoint exists; fix that and start it over with " in str(info.value)
