"""Why a run folder holds no ``model.pt``, and how to get one: wait, resume, train again or pick
another run; and a linear-regression run's folder, which holds none of its own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from linearnets._fs import read_refusal
from linearnets._json import read_json
from linearnets._shell import shell_word
from linearnets._text import counted, quoted_path, shown_path
from linearnets.errors import UsageError
from linearnets.path_checks import link_target
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE, WEIGHTS_FILE

if TYPE_CHECKING:
    from linearnets.training.checkpoint import Checkpoint

__all__ = ["no_weights", "refuse_linreg_folder"]


def no_weights(run_dir: Path) -> UsageError:
    """Return the error for a ``run_dir`` without ``model.pt``, saying how to finish its run."""
    from linearnets.training.checkpoint import CHECKPOINT_FILE
    from linearnets.training.run_lock import lock_holder

    got = (
        f"run_dir must hold the trained weights {WEIGHTS_FILE}, got {quoted_path(run_dir)} "
        f"{_without(run_dir / WEIGHTS_FILE)}; "
    )
    holder = lock_holder(run_dir)
    if holder is not None:  # a resume would be refused: the run is being written
        return UsageError(
            f"{got}its run is still training (linearnets process {holder}), and {WEIGHTS_FILE} is "
            "written when it finishes: wait for that process to end, then predict"
        )
    linreg, saved = _linreg_source(run_dir)
    copied = _copied_config(run_dir, saved)
    if copied is not None:  # a softmax run's checkpoint beside a linreg run's config.json
        return copied
    if linreg is not None:  # a softmax resume, advised below, refuses it: it has no model.pt
        return UsageError(
            f"{got}it holds a linear-regression run (its {linreg} is of task 'linreg'), which "
            f"keeps no {WEIGHTS_FILE} (its learned w and b are in its {RESULTS_FILE} once it "
            "finishes); pass the folder of a 'linearnets softmax' run"
        )
    # quoted: the command is pasted into a shell, and a space would split the path
    resume = (
        f"linearnets softmax --resume {shell_word(run_dir)} (linearnets.resume_softmax in "
        "Python), then predict"
    )
    finished = (run_dir / RESULTS_FILE).is_file()
    # both gone, or the checkpoint unreadable: its resume refuses it, only a new run makes weights
    # (an unfinished run's is left to the resume advised below, which names it with this fix)
    again = (  # the call, said as the command on the command line
        f"train the run again in this folder with linearnets.resume_softmax({str(run_dir)!r}, "
        "force=True) (its saved settings; its metrics and results replaced), then predict"
    )
    checkpoint = (run_dir / CHECKPOINT_FILE).is_file()
    # its permissions, or the disk, deny reading it: the checkpoint's reader calls that "damaged",
    # and "lost: delete it" would throw away weights that a chmod gives back
    unread = read_refusal(run_dir / CHECKPOINT_FILE) if checkpoint else None
    if unread is not None:
        then = f"write {WEIGHTS_FILE} again with" if finished else "finish it with"
        return UsageError(
            f"{got}its run {'finished' if finished else 'stopped before it finished'}, but its "
            f"{CHECKPOINT_FILE}, which holds its weights, {unread}, then {then} {resume}"
        )
    read = _checkpoint_read(run_dir / CHECKPOINT_FILE) if checkpoint else None
    refused = read if isinstance(read, _Refusal) else None
    resumed = None if isinstance(read, _Refusal) else read  # the one a resume goes on from
    if finished and refused is not None and refused.damaged:
        return UsageError(
            f"{got}its run finished, but its {CHECKPOINT_FILE} cannot be read (truncated, "
            f"damaged or not a torch file), so its weights are lost: restore {CHECKPOINT_FILE} "
            f"from a copy of the run, or delete it and {again}"
        )
    if refused is not None:  # the resume it would be sent to refuses it: said here, with its fix
        state = "finished, but" if finished else "stopped before it finished, and"
        return UsageError(f"{got}its run {state} its {refused.reason}")
    if finished and resumed is not None:  # finished, and model.pt removed since
        return UsageError(
            f"{got}its run finished, and its checkpoint holds the weights: write "
            f"{WEIGHTS_FILE} again with {resume}"
        )
    if resumed is not None:
        ended = _end_there(run_dir, resumed, resume)
        return UsageError(f"{got}its run stopped before it finished{ended}")
    from linearnets.tasks.logged_epochs import epochs_logged

    # its config.json alone, no epoch logged: a resume starts it over (it said "pass a folder
    # written by a finished run", as of a folder holding no run)
    started = (run_dir / CONFIG_FILE).is_file() and not (run_dir / RESULTS_FILE).exists()
    if started and not epochs_logged(run_dir):
        return UsageError(
            f"{got}its run stopped before its first epoch ended, so nothing was trained: start "
            f"it over with {resume}"
        )
    if finished and _has_settings(run_dir):  # a finished run's, its weights removed
        return UsageError(
            f"{got}its run finished, but its {CHECKPOINT_FILE} is gone too, so its weights are "
            f"lost: {again}"
        )
    return UsageError(f"{got}pass a folder written by a finished 'linearnets softmax' run")


class _Refusal(NamedTuple):
    """Why a softmax resume refuses a checkpoint, in its words with the fix."""

    reason: str
    damaged: bool  # unreadable (else a linear-regression run's, copied in)


def _checkpoint_read(path: Path) -> _Refusal | Checkpoint:
    """Return why a softmax resume refuses the checkpoint ``path`` (a file, read by the system: no
    permission refusal): damaged ("checkpoint ... cannot be read: it is truncated, ...") or a
    linear-regression run's copied in; else the checkpoint it would resume from."""
    from linearnets.training.checkpoint import CheckpointError, load_checkpoint
    from linearnets.training.run_task import refuse_foreign_checkpoint

    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as exc:
        return _Refusal(str(exc), damaged=True)
    try:
        refuse_foreign_checkpoint(ckpt, task="softmax")
    except CheckpointError as exc:
        return _Refusal(str(exc), damaged=False)
    return ckpt


def _end_there(run_dir: Path, ckpt: Checkpoint, resume: str) -> str:
    """Return the end of the advice for a run stopped before it finished, its checkpoint ``ckpt``:
    finish it with ``resume``, or end it at the checkpoint's epoch (a resume with as many epochs
    writes ``model.pt`` from it at once, training nothing; a later one with more goes on from it).
    Told where the run had epochs left; "finish it" alone sent a run stopped after 13 of its 300
    epochs to train 287 more before any prediction."""
    total = ckpt.config.get("epochs")
    done = ckpt.epoch
    if isinstance(total, bool) or not isinstance(total, int) or not 0 < done < total:
        return f": finish it with {resume}"
    return (
        f", after {done} of its {counted(total, 'epoch')}: finish it with {resume}; or end it "
        f"there, with the weights of epoch {done}, with linearnets softmax --resume "
        f"{shell_word(run_dir)} --epochs {done} (epochs={done} in linearnets.resume_softmax), "
        "then predict"
    )


def _has_settings(run_dir: Path) -> bool:
    """Whether ``run_dir``'s ``config.json`` holds a run's settings, from which a forced resume
    trains the run again (one unreadable, or of no run, sends it nowhere)."""
    from linearnets.training.run_config import read_config

    try:
        read_config(run_dir)
    except (UsageError, OSError):
        return False
    return True


def _without(weights: Path) -> str:
    """How ``run_dir`` lacks its weights: no file, or a link to none ("missing" hid the link)."""
    if not weights.is_symlink():
        return "without them"
    try:
        target = quoted_path(link_target(weights))
    except OSError:
        target = "something unreadable"
    kind = "a link to something that is no file" if weights.exists() else "a broken link"
    return (
        f"whose {WEIGHTS_FILE} is {kind} (to {target}): restore the file it points to, or replace "
        "the link as follows"
    )


def refuse_linreg_folder(run_dir: Path) -> None:
    """Refuse ``run_dir``, a linear-regression run's folder that holds a ``model.pt`` (none of its
    own: another run's, copied in). Its results.json's impl ('scratch', 'concise') was read as a
    softmax run's, and another impl's model.pt told to be put back, or re-trained, neither of
    which gives a linear-regression run one; one of the same impl loaded silently."""
    linreg, saved = _linreg_source(run_dir)
    if linreg is None:
        return
    copied = _copied_config(run_dir, saved)
    if copied is not None:
        raise copied
    raise UsageError(
        f"run_dir must be a softmax run's folder, got {quoted_path(run_dir)}, which holds a "
        f"linear-regression run (its {linreg} is of task 'linreg'): such a run keeps no "
        f"{WEIGHTS_FILE}, so {shown_path(run_dir / WEIGHTS_FILE)} was put there from another run; "
        "pass the folder of the 'linearnets softmax' run it came from, or move it there"
    )


def _copied_config(run_dir: Path, saved: dict[str, Any] | None) -> UsageError | None:
    """Return predict's refusal of ``run_dir``'s ``config.json`` (``saved``, where it is the
    linear-regression run's: :func:`_linreg_source`) where the folder's checkpoint or
    ``model.pt`` is a softmax run's: the config the copy, to put back or delete
    (:func:`~linearnets.tasks.resume_saved.copied_config`). Told by the task in config.json
    alone, the folder was sent to "pass the folder of a softmax run", or its own weights to the
    folder they came from: itself."""
    if saved is None:
        return None
    from linearnets.tasks.resume_saved import copied_config

    return copied_config(run_dir, saved, reader="predict")


def _linreg_source(run_dir: Path) -> tuple[str | None, dict[str, Any] | None]:
    """Return the file that says ``run_dir`` holds a linear-regression run (its ``config.json``,
    else, where that is gone, its checkpoint's task:
    :func:`~linearnets.training.run_task.held_checkpoint_task`), or ``None``; with the
    ``config.json`` read where it is that file (read once: :func:`_copied_config` asks it too)."""
    from linearnets.tasks.linreg_run import TASK
    from linearnets.training.checkpoint import CHECKPOINT_FILE
    from linearnets.training.config_sections import task_named
    from linearnets.training.run_task import held_checkpoint_task

    path = run_dir / CONFIG_FILE
    if path.is_file():  # a FIFO would block the read
        saved = read_json(path)
        # as the readers take it: a misspelt "Task" is the run's (they refuse the key)
        if isinstance(saved, dict) and task_named(saved) == TASK:
            return CONFIG_FILE, saved
        return None, None
    return (CHECKPOINT_FILE if held_checkpoint_task(run_dir) == TASK else None), None
