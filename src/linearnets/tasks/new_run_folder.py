"""A new softmax run's folder: checked and claimed on rank 0 and named to every rank (left as the
run found it by :class:`~linearnets.training.folder_as_found.FolderAsFound`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from linearnets.config import RESULT_SETTINGS, SoftmaxConfig
from linearnets.errors import LinearnetsError, UsageError
from linearnets.training.asked_settings import AskedSettings, same_file
from linearnets.training.distributed import DistContext
from linearnets.training.rank_agreement import on_rank_0
from linearnets.training.runs import RunLock, check_run_dir, claim_run_dir

__all__ = ["check_run_dir_everywhere", "run_dir_everywhere"]


def _name(config: SoftmaxConfig) -> str:
    """Return the run's name in ``runs/`` (given no ``out``): ``softmax-<impl>``."""
    return f"softmax-{config.impl}"


def _asked(config: SoftmaxConfig) -> AskedSettings:
    """Return the run's settings, named with a resume's, where its folder holds a run."""
    return AskedSettings(
        config.to_dict(), forced=RESULT_SETTINGS, carries_over=partial(_carries_over, config)
    )


def _carries_over(config: SoftmaxConfig, out: Path) -> bool:
    """Whether the checkpoint in ``out`` fits the model of ``config`` (its resize and data), by
    :func:`~linearnets.tasks.resume_fit.check_inputs_fit`, which refuses a resume even forced;
    one that cannot be read or measured is taken to fit (the resume names what is wrong)."""
    from linearnets.tasks.resume_fit import check_inputs_fit
    from linearnets.tasks.resume_saved import checkpoint_config
    from linearnets.training.run_config import resumable_checkpoint

    if config.data is not None and not Path(config.data).is_file():
        return True  # a missing file, a folder: the resume names it, not as weights that misfit
    ckpt = resumable_checkpoint(out)
    if ckpt is None:
        return True
    try:
        old = checkpoint_config(ckpt)
    except (LinearnetsError, OSError):  # a checkpoint the resume refuses itself
        return True
    if old.resize == config.resize and (
        old.data == config.data or same_file(old.data, config.data)
    ):
        # neither changed (a file changed in place is the resume's to name, not these settings')
        return True
    try:
        check_inputs_fit(ckpt, old, config, given=("resize", "data"), run_dir=out)
    except UsageError:
        return False
    except (LinearnetsError, OSError):  # a data file the resume refuses itself
        return True
    return True


def check_run_dir_everywhere(config: SoftmaxConfig, dist: DistContext) -> None:
    """Check on rank 0, writing nothing, that the run folder can be claimed; its refusal stops
    every rank. Before the data are read: a bad ``--out`` (or a ``runs`` file here) is told at
    once, and the folder is claimed (:func:`run_dir_everywhere`) only once they are read, so a
    run refused for its data leaves the disk as it found it."""

    def check() -> str:
        check_run_dir(config.out, name=_name(config), asked=_asked(config))
        return ""

    on_rank_0(dist, check)


def run_dir_everywhere(config: SoftmaxConfig, dist: DistContext, locks: list[RunLock]) -> Path:
    """Create and lock the run folder on rank 0 and tell every other rank its name, or why it failed.

    Returns the folder; on rank 0 its held lock is appended to ``locks`` as soon as it is claimed
    (the caller releases it, and removes the folder should another process be lost before it
    learnt the name). A refused ``--out`` then stops every rank with the same error, rather than
    rank 0 alone while the others wait in the broadcast and fail with a broken connection.
    """

    def claim() -> str:
        locks.append(claim_run_dir(config.out, name=_name(config), asked=_asked(config)))
        return str(locks[0].run_dir)

    return Path(on_rank_0(dist, claim))
