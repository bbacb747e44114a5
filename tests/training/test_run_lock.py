"""The run lock: one writer per folder, released by release(), and never held on by a forked child."""

from __future__ import annotations

import os
import re
import signal
import stat
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from linearnets.errors import UsageError
from linearnets.training.run_lock import RunLock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")


def test_one_process_cannot_hold_a_folder_twice_and_release_frees_it(tmp_path: Path) -> None:
    with RunLock(tmp_path), pytest.raises(UsageError, match="being written by another"):
        RunLock(tmp_path).acquire()
    RunLock(tmp_path).acquire().release()


def test_a_forked_child_does_not_keep_the_parents_lock(tmp_path: Path) -> None:
    """The plotting process is forked while the run holds its folder: it must not hold it on."""
    lock = RunLock(tmp_path).acquire()
    ready_r, ready_w = os.pipe()
    child = os.fork()
    if child == 0:  # the child (past the fork hooks): say so, then outlive the parent's hold
        os.write(ready_w, b"1")
        signal.pause()
        os._exit(0)
    try:
        assert os.read(ready_r, 1) == b"1"
        lock.release()
        RunLock(tmp_path).acquire().release()  # free, although the child still runs
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        os.close(ready_r), os.close(ready_w)


def test_the_lock_is_a_hidden_file_holding_the_pid_and_outlives_a_plain_release(
    tmp_path: Path,
) -> None:
    """Deleting a lock file others may have opened would let two runs lock two different files."""
    lock = RunLock(tmp_path).acquire()
    assert (tmp_path / ".lock").read_text() == f"{os.getpid()}\n"
    lock.release()
    lock.release()  # a second release is a no-op
    assert os.listdir(tmp_path) == [".lock"]
    RunLock(tmp_path).acquire().release(remove=True)
    assert os.listdir(tmp_path) == []


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="lists open files through /proc")
def test_a_refused_acquire_leaves_no_file_open(tmp_path: Path) -> None:
    with RunLock(tmp_path):
        before = _open_fds()
        for _ in range(3):
            with pytest.raises(UsageError, match="being written by another"):
                RunLock(tmp_path).acquire()
        assert _open_fds() == before


def test_a_child_forked_after_a_release_keeps_the_files_it_inherits(tmp_path: Path) -> None:
    """A released lock's descriptor number is reused (by a pipe here): a forked child must not
    close it as if it were still the lock."""
    lock = RunLock(tmp_path).acquire()
    fd = lock._fd
    lock.release()
    ready_r, ready_w = os.pipe()  # the lowest free numbers: one is the lock's old one
    assert fd in (ready_r, ready_w)
    child = os.fork()
    if child == 0:  # the child (past the fork hooks): both ends open, write through one
        try:
            os.fstat(ready_r)
            os.write(ready_w, b"1")
        finally:
            os._exit(0)
    try:
        os.close(ready_w)
        assert os.read(ready_r, 1) == b"1"  # b"" had the child lost either end
    finally:
        os.waitpid(child, 0)
        os.close(ready_r)


def test_a_folder_in_place_of_the_lock_file_is_named(tmp_path: Path) -> None:
    """It said the run folder "cannot be written (Is a directory)", though the folder can be."""
    (tmp_path / ".lock").mkdir()
    with pytest.raises(
        UsageError,
        match=rf"^{re.escape(str(tmp_path / '.lock'))} is a folder, where the run's lock file "
        "belongs; move it out of the run folder and run again$",
    ):
        RunLock(tmp_path).acquire()


def test_a_read_only_lock_file_in_a_writable_folder_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run copied from a read-only share: its folder is writable, its files are not. It said the
    folder "cannot be written (Permission denied)"."""
    folder = tmp_path / "my run"
    folder.mkdir()
    lock = folder / ".lock"
    lock.write_text("")
    lock.chmod(0o444)
    real_open = os.open

    def as_without_root(path: Any, flags: int, *args: Any) -> int:
        # root (CAP_DAC_OVERRIDE) opens it anyway: refuse as the system does for everyone else
        if Path(path) == lock and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", as_without_root)
    assert os.access(folder, os.W_OK)  # the folder is not the problem
    with pytest.raises(UsageError) as info:
        RunLock(folder).acquire()
    assert str(info.value) == (
        f"{lock} is read-only, though its folder is writable; make it writable "
        f"(chmod u+w '{lock}') and run again"
    )
    monkeypatch.setattr(os, "open", real_open)
    lock.chmod(0o644)  # the fix given works
    RunLock(folder).acquire().release()


def test_a_release_cut_by_a_signal_never_closes_the_descriptor_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second Ctrl-C between close and forgetting the descriptor made the next release close it
    again: "[Errno 9] Bad file descriptor" (or, reused meanwhile, another file's)."""
    lock = RunLock(tmp_path).acquire()
    real_close, closed = os.close, []

    def close_then_interrupted(fd: int) -> None:
        real_close(fd)
        closed.append(fd)
        raise KeyboardInterrupt  # the signal lands right after the close

    monkeypatch.setattr(os, "close", close_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        lock.release()
    monkeypatch.setattr(os, "close", real_close)
    lock.release()  # the finally block's release: nothing left to close
    assert len(closed) == 1


def test_lock_holder_names_a_live_holder_and_none_once_it_died(
    tmp_path: Path, lock_held_by_a_child: Callable[[Path], AbstractContextManager[int]]
) -> None:
    """What acquire would refuse, lock_holder names: the pid the holder wrote (os.fork's); the
    same lock file left by a process killed with -9 is held by no one."""
    from linearnets.training.run_lock import lock_holder

    with lock_held_by_a_child(tmp_path) as child:
        assert lock_holder(tmp_path) == str(child)
        with pytest.raises(UsageError, match=rf"\(process {child}\)"):
            RunLock(tmp_path).acquire()  # the probe let go at once: only the child holds it
    assert (tmp_path / ".lock").read_text() == f"{child}\n"  # stale, still there
    assert lock_holder(tmp_path) is None
    RunLock(tmp_path).acquire().release()


def test_lock_holder_creates_nothing_and_sees_this_process_hold(tmp_path: Path) -> None:
    """flock locks belong to open files: another open of the lock conflicts in one process too."""
    from linearnets.training.run_lock import lock_holder

    assert lock_holder(tmp_path) is None
    assert os.listdir(tmp_path) == []  # asking created no lock file
    with RunLock(tmp_path):
        assert lock_holder(tmp_path) == str(os.getpid())
    assert lock_holder(tmp_path) is None
    assert lock_holder(tmp_path / "no such folder") is None


def test_a_look_at_the_lock_as_it_is_taken_does_not_refuse_the_run_taking_it(
    tmp_path: Path,
) -> None:
    """lock_holder holds a shared lock for an instant (a new run's check, predict's): an
    exclusive lock asked for in that instant was refused, naming the pid last written in the
    file (here this process's own). It is asked again a few times first; a holder that stays is
    still refused."""
    import fcntl
    import threading

    (tmp_path / ".lock").write_text(f"{os.getpid()}\n")
    fd = os.open(tmp_path / ".lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # another look, let go 3 ms later
    threading.Timer(0.003, os.close, args=(fd,)).start()
    RunLock(tmp_path).acquire().release()
    fd = os.open(tmp_path / ".lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # one that is not let go
    try:
        with pytest.raises(UsageError, match="is being written by another linearnets run"):
            RunLock(tmp_path).acquire()
    finally:
        os.close(fd)


def test_a_resume_refused_by_a_holder_of_unknown_id_is_told_to_wait_only(tmp_path: Path) -> None:
    """No process id in the lock file: no kill to advise; and no other folder, which a resume
    cannot take ("pass another folder" was a new run's fix)."""
    with RunLock(tmp_path):
        (tmp_path / ".lock").write_text("")
        with pytest.raises(
            UsageError,
            match=r"\(process unknown\); wait for it to end, then resume again if epochs are left$",
        ):
            RunLock(tmp_path, resuming=True).acquire()


def test_the_fork_hook_closes_and_forgets_the_locks_held(tmp_path: Path) -> None:
    """In a forked child the parent's lock files are closed, and no longer counted as held: a
    second fork, or a release in the child, must not close those numbers again (by then another
    file's)."""
    from linearnets.training import run_lock

    lock = RunLock(tmp_path).acquire()
    fd = lock._fd
    assert fd in run_lock._HELD
    run_lock._close_held_in_child()  # what os.fork runs in the child
    assert not run_lock._HELD
    with pytest.raises(OSError):
        os.fstat(fd)  # type: ignore[arg-type]
    assert run_lock.lock_holder(tmp_path) is None  # the folder is free
    lock._fd = None  # already closed, as in the child


def test_lock_holder_names_no_holder_where_the_file_system_has_no_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flock failing for want of locks (ENOLCK) says nothing of a holder, whatever the file holds."""
    import errno
    import fcntl

    from linearnets.training.run_lock import lock_holder

    (tmp_path / ".lock").write_text("4242\n")

    def no_locks(fd: int, op: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    assert lock_holder(tmp_path) is None


def test_lock_holder_does_not_wait_on_a_fifo_named_like_the_lock(
    tmp_path: Path, failing_after: Callable[[int, str], AbstractContextManager[None]]
) -> None:
    """A FIFO opened for reading blocks until a writer comes: asked without waiting, no holder."""
    from linearnets.training.run_lock import lock_holder

    os.mkfifo(tmp_path / ".lock")
    # pytest.fail's exception is no OSError, which lock_holder would take for "no lock file"
    with failing_after(5, "lock_holder waited on the FIFO"):
        assert lock_holder(tmp_path) is None


def test_a_lock_file_that_cannot_be_opened_for_another_reason_is_not_called_read_only(
    tmp_path: Path,
) -> None:
    """Only a PermissionError on an existing file in a writable folder is the file's being
    read-only; too many open files is the system's answer, given as it is."""
    import errno

    from linearnets.training.run_lock import _unopenable

    lock = tmp_path / ".lock"
    lock.write_text("")
    assert _unopenable(lock, OSError(errno.EMFILE, "Too many open files")) == (
        f"{tmp_path} cannot be written (Too many open files); pass a folder you can write to"
    )


def _place(kind: str, lock: Path, outside: Path) -> Path:
    """Put ``kind`` at ``lock``; return the file outside the run folder it points to, if any."""
    if kind == "link to a file":
        outside.write_text("precious\n")
        lock.symlink_to(outside)
    elif kind == "link to nowhere":
        lock.symlink_to(outside)
    elif kind == "link into a missing folder":
        outside = outside.parent / "gone" / "lock"
        lock.symlink_to(outside)
    elif kind == "hard link":
        outside.write_text("precious\n")
        os.link(outside, lock)
    else:
        os.mkfifo(lock)
    return outside


@pytest.mark.parametrize("resuming", [False, True])
@pytest.mark.parametrize(
    "kind",
    ["link to a file", "link to nowhere", "link into a missing folder", "hard link", "FIFO"],
)
def test_what_stands_at_the_lock_is_replaced_by_a_lock_file_its_target_untouched(
    tmp_path: Path, kind: str, resuming: bool
) -> None:
    """The lock file was opened through a link (O_CREAT, no O_NOFOLLOW), then truncated and given
    this process's id: a link to a file of the user's overwrote it, one to nowhere made the file
    outside the run folder, one into a missing folder refused the run. Like the run's other
    files (written beside and renamed over their names), the lock replaces what stands there."""
    run = tmp_path / "run"
    run.mkdir()
    lock_path = run / ".lock"
    outside = _place(kind, lock_path, tmp_path / "victim.txt")
    lock = RunLock(run, resuming=resuming).acquire()
    try:
        found = os.lstat(lock_path)  # no link, no FIFO (whose read would wait for ever)
        assert stat.S_ISREG(found.st_mode) and found.st_nlink == 1
        assert lock_path.read_text() == f"{os.getpid()}\n"
        if kind in ("link to a file", "hard link"):
            assert outside.read_text() == "precious\n"
        else:
            assert not os.path.lexists(outside) and not (tmp_path / "gone").exists()
        with pytest.raises(UsageError, match="being written by another linearnets run"):
            RunLock(run).acquire()  # the file that replaced it is the one locked
    finally:
        lock.release()


def test_lock_holder_does_not_look_through_a_link_at_the_lock(tmp_path: Path) -> None:
    """A link to another folder's held lock is no holder of this folder: lock_holder named the
    other run's process, and acquire was refused for it."""
    from linearnets.training.run_lock import lock_holder

    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    (tmp_path / "b" / ".lock").symlink_to(tmp_path / "a" / ".lock")
    with RunLock(tmp_path / "a"):
        assert lock_holder(tmp_path / "b") is None
        with RunLock(tmp_path / "b"):
            assert (tmp_path / "a" / ".lock").read_text() == f"{os.getpid()}\n"
            assert lock_holder(tmp_path / "a") == str(os.getpid())  # a's still held
        assert not (tmp_path / "b" / ".lock").is_symlink()


def test_a_lock_file_replaced_as_it_is_locked_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run replacing the name between the open and the lock (a refused run removing the
    lock file it made, a link replaced): the lock taken is on a file no longer named .lock, which
    holds the folder for no one. The file named now is locked instead."""
    from linearnets.training import run_lock

    real, calls = run_lock._exclusive, []

    def replaced_first(fcntl: Any, fd: int) -> None:
        real(fcntl, fd)
        calls.append(fd)
        if len(calls) == 1:  # another process unlinks it and makes its own
            (tmp_path / ".lock").unlink()
            (tmp_path / ".lock").write_text("")

    monkeypatch.setattr(run_lock, "_exclusive", replaced_first)
    lock = RunLock(tmp_path).acquire()
    try:
        assert len(calls) == 2
        held, named = os.fstat(lock._fd), os.lstat(tmp_path / ".lock")  # type: ignore[arg-type]
        assert (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)
        assert run_lock.lock_holder(tmp_path) == str(os.getpid())
    finally:
        lock.release()


def test_a_lock_file_replaced_every_time_it_is_locked_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linearnets.training import run_lock

    monkeypatch.setattr(run_lock, "_still_named", lambda fd, path: False)
    before = _open_fds() if os.path.isdir("/proc/self/fd") else set()
    with pytest.raises(UsageError) as info:
        RunLock(tmp_path).acquire()
    assert str(info.value) == (
        f"{tmp_path / '.lock'} was replaced each time it was locked: another program is changing "
        "the run folder; stop it and run again"
    )
    if before:
        assert _open_fds() == before  # every descriptor opened on the way was closed


@pytest.mark.parametrize("kind", ["link to a file", "link to nowhere"])
def test_a_linreg_run_and_its_resume_through_the_api_replace_a_link_at_the_lock(
    tmp_path: Path, kind: str
) -> None:
    from linearnets import LinregConfig, resume_linreg, run_linreg

    run = tmp_path / "run"
    run.mkdir()
    outside = _place(kind, run / ".lock", tmp_path / "victim.txt")
    run_linreg(LinregConfig(epochs=1, out=run))
    assert not (run / ".lock").is_symlink()
    (run / ".lock").unlink()
    _place(kind, run / ".lock", outside)  # the same link, put back before the resume
    assert len(resume_linreg(run, epochs=2).history.epochs) == 2
    assert not (run / ".lock").is_symlink()
    if kind == "link to a file":
        assert outside.read_text() == "precious\n"
    else:
        assert not os.path.lexists(outside)


def _no_file_can_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the lock file's creation fail as it does in /proc (to root too): ENOENT."""
    import errno

    from linearnets.training import run_lock

    def refuse(path: Any, *args: Any, **kwargs: Any) -> int:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))

    monkeypatch.setattr(run_lock.os, "open", refuse)


@pytest.mark.parametrize(
    ("resuming", "named"),
    [(False, "out='{d}'"), (True, "linearnets.resume_softmax('{d}'): the run folder")],
)
def test_a_folder_no_file_can_be_made_in_is_named_as_given_with_a_true_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resuming: bool, named: str
) -> None:
    """/proc said "cannot be written (No such file or directory)", naming no option, of a folder
    that exists."""
    _no_file_can_be_made(monkeypatch)
    given = named.format(d=tmp_path)
    with pytest.raises(UsageError) as info:
        RunLock(tmp_path, resuming=resuming, named=given).acquire()
    fix = (
        f"copy the run folder where you can write (cp -r {tmp_path} COPY) and resume the copy"
        if resuming  # a resume cannot pass another folder
        else "pass a folder you can write to"
    )
    assert str(info.value) == (
        f"{given} cannot be written: no file can be made in it (making its .lock gave 'No such "
        f"file or directory'); {fix}"
    )


def _no_lock_file_can_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse to make a lock file only (ENOENT, as /proc does), every other file opening."""
    import errno

    from linearnets.training import run_lock

    real = os.open

    def refuse(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".lock"):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(run_lock.os, "open", refuse)


def _finished_run(tmp_path: Path, task: str) -> Path:
    """Return the folder of a finished one-epoch run of ``task`` (``linreg`` or ``softmax``)."""
    import numpy as np

    import linearnets as ln

    run = tmp_path / "run"
    if task == "linreg":
        ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=run))
    else:
        rng = np.random.default_rng(0)
        np.savez(tmp_path / "d.npz", X=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
        ln.run_softmax(ln.SoftmaxConfig(data=tmp_path / "d.npz", plot="none", epochs=1, out=run))
    return run


_NO_LOCK = (
    "cannot be written: no file can be made in it (making its .lock gave 'No such file or "
    "directory'); copy the run folder where you can write (cp -r {run} COPY) and resume the copy"
)


@pytest.mark.parametrize("task", ["linreg", "softmax"])
def test_a_resume_names_its_run_folder_and_is_told_to_resume_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task: str
) -> None:
    """resume_softmax and resume_linreg pass their call and resuming=True to the lock: it said
    "pass a folder you can write to", which a resume cannot."""
    import linearnets as ln

    run = _finished_run(tmp_path, task)
    _no_lock_file_can_be_made(monkeypatch)
    with pytest.raises(UsageError) as info:
        getattr(ln, f"resume_{task}")(run, epochs=2)
    assert str(info.value) == (
        f"linearnets.resume_{task}({str(run)!r}): the run folder {_NO_LOCK.format(run=run)}"
    )


@pytest.mark.parametrize("task", ["linreg", "softmax"])
def test_the_command_names_resume_for_a_run_folder_no_file_can_be_made_in(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    task: str,
) -> None:
    from linearnets.cli import main

    run = _finished_run(tmp_path, task)
    _no_lock_file_can_be_made(monkeypatch)
    capsys.readouterr()
    extra = ["--plot", "none"] if task == "softmax" else []
    assert main([task, "--resume", str(run), "--epochs", "2", *extra]) == 2
    assert capsys.readouterr().err == (
        f"linearnets {task}: error: --resume {run}: the run folder {_NO_LOCK.format(run=run)}\n"
    )


def test_the_command_names_out_for_a_folder_no_file_can_be_made_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linearnets.cli import main

    _no_file_can_be_made(monkeypatch)
    assert main(["linreg", "--epochs", "1", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: --out {tmp_path} cannot be written: no file can be made in it "
        "(making its .lock gave 'No such file or directory'); pass a folder you can write to\n"
    )
