"""How a stopped softmax run continues: the epoch its checkpoint holds, and how its processes are
started again (torchrun, or N by hand) to follow the resume its message advises (D2L §3.6.6)."""

from __future__ import annotations

import os

from linearnets.tasks.experiment import Experiment
from linearnets.training.checkpoint import CheckpointCallback
from linearnets.training.interrupt import TrainingInterrupted, launched_as_before

__all__ = ["checkpoint_epoch", "launched_again", "name_launch"]


def _by_torchrun(exp: Experiment) -> bool:
    """Whether ``exp`` is a data-parallel run whose processes torchrun started (not by hand)."""
    return exp.dist.enabled and bool(os.environ.get("TORCHELASTIC_RUN_ID"))


def launched_again(exp: Experiment) -> str:
    """Return how ``exp``'s processes are started again, to follow the resume a stop advises.

    ``", launched by torchrun as before"`` under torchrun, ``" in N processes, started as
    before"`` for a data-parallel run's N processes started by hand (or by the user's own code:
    ``mp.spawn``), ``""`` for one process (see
    :func:`~linearnets.training.interrupt.launched_as_before`).
    """
    return launched_as_before("torchrun" if _by_torchrun(exp) else "", exp.dist.world_size)


def name_launch(exc: TrainingInterrupted, exp: Experiment) -> None:
    """Tell ``exc`` how ``exp``'s processes are started again: by torchrun, or N of them by hand."""
    exc.launcher = "torchrun" if _by_torchrun(exp) else ""
    exc.processes = exp.dist.world_size


def checkpoint_epoch(
    exp: Experiment, checkpoint: CheckpointCallback, start_epoch: int, *, finished: int
) -> int | None:
    """Return the epoch the run's last checkpoint holds (``None``: none was written yet).

    Rank 0 writes the checkpoints, one after each epoch: its own ``checkpoint`` knows. Another
    rank of a data-parallel run writes none, but every rank stops after the same step, so it is
    the last epoch every rank ``finished`` (or the ``start_epoch`` a resume began from).
    """
    if exp.dist.is_main:
        return checkpoint.last_epoch or (start_epoch or None)
    return max(finished, start_epoch) or None
