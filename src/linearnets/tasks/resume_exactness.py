"""Whether a resume matches an uninterrupted run bit for bit: the threads and processes it ran on.

A resume on another thread count or number of processes than the run last trained on takes its
sums in another order, so it matches to rounding only: :func:`warn_not_bit_exact` says so (a
:class:`~linearnets.errors.ResumeWarning`), reading ``config.json``'s resumes
(:func:`last_ran_on`). Used by :mod:`linearnets.tasks.resume` and
:mod:`linearnets.tasks.linreg_resume`.
"""

from __future__ import annotations

from typing import Any

from linearnets._warn import warn
from linearnets.errors import ResumeWarning
from linearnets.tasks.resume_saved import started_environment

__all__ = ["last_ran_on", "warn_not_bit_exact"]


def last_ran_on(saved: dict[str, Any], *, epoch: int) -> tuple[Any, Any]:
    """Return the (thread count, number of processes) ``config.json`` says the run last trained
    on: its latest resume's that trained an epoch, else its start's (``None`` where not recorded).

    A resume trained epochs when the next one (or the checkpoint, of ``epoch`` epochs, after the
    last) starts from a later epoch than it did; one that trained none (stopped before its first
    epoch ended, or only writing a finished run's reports) left the weights as they were.
    ``saved``'s entries are as :func:`~linearnets.tasks.resume_entries.check_entries` took them
    (both resumes read ``config.json`` through it: a ``from_epoch`` of ``"1"`` is refused there);
    one built otherwise, without an integer ``from_epoch``, is taken as one that trained.
    """
    entries = [entry for entry in saved.get("resumes", []) if isinstance(entry, dict)]
    starts = [entry.get("from_epoch") for entry in entries]
    ends = [*starts[1:], epoch][: len(starts)]

    def trained(start: Any, end: Any) -> bool:  # unknown (not checked): it did
        numbers = all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end))
        return not numbers or end > start

    started = started_environment(saved)
    threads = started.get("num_threads") if started is not None else None
    processes = saved.get("world_size")
    for entry, start, end in zip(entries, starts, ends, strict=True):
        if not trained(start, end):
            continue
        environment = entry.get("environment")
        if isinstance(environment, dict) and environment.get("num_threads") is not None:
            threads = environment["num_threads"]
        processes = entry.get("world_size", processes)
    return threads, processes


def warn_not_bit_exact(
    saved: dict[str, Any], *, num_threads: int, world_size: int, epoch: int
) -> None:
    """Warn (:class:`~linearnets.errors.ResumeWarning`) that a resume on another thread count or
    number of processes than the run last trained on matches an uninterrupted run to rounding
    only: sums are then taken in another order. It is not refused: the result is as good.

    Args:
        epoch: the epochs the checkpoint holds (where the latest resume recorded ended).
    """
    threads, processes = last_ran_on(saved, epoch=epoch)
    changes = []
    if isinstance(threads, int) and threads != num_threads:
        changes.append(
            (f"with num_threads={num_threads}", f"with {threads}", f"with num_threads={threads}")
        )
    if isinstance(processes, int) and processes != world_size:
        plural = "es" if world_size != 1 else ""
        fix = (
            f"in {processes} processes, torchrun --nproc_per_node={processes},"
            if processes > 1
            else "in one process, without torchrun,"
        )
        changes.append((f"in {world_size} process{plural}", f"in {processes}", fix))
    for now, was, fix in changes:
        warn(
            f"resumed {now}, where the run last ran {was}: it matches an uninterrupted run to "
            f"rounding, not bit for bit (resume {fix} for that)",
            ResumeWarning,
        )
