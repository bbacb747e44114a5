"""A new run's folder left as the run found it (unit tests of training/folder_as_found.py)."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

import linearnets as ln
from linearnets import _fs
from linearnets.training.folder_as_found import FolderAsFound
from linearnets.training.runs import claim_run_dir


def test_a_ctrl_c_while_the_folder_is_left_as_found_does_not_cut_it_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run is stopping anyway: a further Ctrl-C while its folder and the parents it made go
    must not leave them half removed (the message says nothing was kept)."""
    out = tmp_path / "new" / "run"
    found = FolderAsFound.look(out)
    made = [out, tmp_path / "new"]  # out itself too, then its parent
    assert (found.existed, found.made, found.had_lock_file) == (False, made, False)
    found.locks.append(claim_run_dir(out, name="softmax-scratch"))
    remove = _fs.remove_empty_folders

    def interrupted(paths: list[Path]) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # delivered before kill returns: the user insists
        remove(paths)

    monkeypatch.setattr(_fs, "remove_empty_folders", interrupted)
    found.leave_as_found()
    assert list(tmp_path.iterdir()) == []


def test_an_out_it_may_not_look_into_is_recorded_without_a_bare_permission_error(
    tmp_path: Path, deny_search: Callable[..., None]
) -> None:
    """Python 3.11's Path.is_dir raised PermissionError here, before the run's check of its
    folder could name it (and, on a process of a group other than rank 0, before rank 0's)."""
    run = tmp_path / "locked" / "run"
    run.mkdir(parents=True)
    deny_search(run)  # its lock file cannot be looked up
    assert FolderAsFound.look(run) == FolderAsFound(existed=True, made=[], had_lock_file=False)
    deny_search(run.parent)  # nor the folder itself
    found = FolderAsFound.look(run)
    assert (found.existed, found.had_lock_file) == (False, False)
    found.leave_as_found()  # never claimed: nothing to do, and nothing done
    assert os.path.lexists(run)


@pytest.mark.parametrize(
    ("files", "left"),
    [((), ["metrics.csv"]),  # as softmax's: config.json alone by default, the folder kept
     (("config.json", "metrics.csv"), [])],
)  # fmt: skip
def test_the_files_it_was_given_are_removed_with_the_folders_the_claim_made(
    files: tuple[str, ...], left: list[str], tmp_path: Path
) -> None:
    """A linear-regression run refused in its first epoch has written its metrics files too."""
    out = tmp_path / "new" / "run"
    found = FolderAsFound.look(out, files=files) if files else FolderAsFound.look(out)
    found.locks.append(claim_run_dir(out, name="linreg-scratch"))
    for name in ("config.json", "metrics.csv"):
        (out / name).write_text("")
    found.leave_as_found()
    if left:
        assert sorted(p.name for p in out.iterdir()) == left
    else:
        assert list(tmp_path.iterdir()) == []  # out and its parent, which the claim made


def test_a_folder_made_a_file_while_claimed_is_left_without_an_error_of_its_own(
    tmp_path: Path,
) -> None:
    """Its lock file cannot be removed, nor the folder: nothing is left to leave as found, and
    leave_as_found, run as the user's error is raised, raised NotADirectoryError ('.lock')."""
    out = tmp_path / "run"
    found = FolderAsFound.look(out)
    found.locks.append(claim_run_dir(out, name="linreg-scratch"))
    shutil.rmtree(out)
    out.write_text("x")
    found.leave_as_found()
    assert out.read_text() == "x"
    assert found.locks[0]._fd is None  # let go of, all the same


def test_a_callback_that_makes_the_folder_a_file_keeps_its_own_error(tmp_path: Path) -> None:
    """run_linreg's cleanup of a run that blew up in epoch 1 ended in NotADirectoryError, the
    callback's RuntimeError only its context."""
    out = tmp_path / "rm_file"

    class FileForFolder(ln.Callback):
        def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
            shutil.rmtree(out)
            out.write_text("x")
            raise RuntimeError(f"boom in epoch {epoch}")

    with pytest.raises(RuntimeError, match=r"^boom in epoch 1$") as caught:
        ln.run_linreg(ln.LinregConfig(out=out, epochs=2), callbacks=[FileForFolder()])
    assert caught.value.__context__ is None
    assert out.read_text() == "x"
