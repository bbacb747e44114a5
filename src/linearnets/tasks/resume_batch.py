"""A resume's batch that this process cannot hold: the run's own, made in more processes.

Under torchrun each process holds its share of every batch (⌈batch_size / W⌉ images), so a run's
``batch_size`` × ``resize²`` may pass 2 GiB as long as each share stays within it
(:func:`~linearnets.config_checks.check_batch_bytes`). Resumed in fewer processes, the same batch
is refused, with the fixes a resume has: as many processes again, or a smaller ``batch_size``,
forced (a result setting); not a smaller ``resize``, which the checkpoint's weights would not fit.
Used by :func:`linearnets.tasks.resume_settings.resumed_config`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from linearnets._text import gib_past, shown_path
from linearnets.config_checks import (
    MAX_BATCH_BYTES,
    BatchBytesError,
    fewest_processes,
    largest_batch,
    share_of,
)
from linearnets.errors import UsageError

__all__ = ["batch_refused"]


def batch_refused(
    exc: BatchBytesError,
    *,
    given: Collection[str],
    run_dir: Path,
    saved: Mapping[str, Any] | None,
) -> UsageError:
    """Return the refusal of the resume's batch ``exc`` refused, in the resume's words.

    Args:
        exc: the 2 GiB rule's refusal of the settings the resume continues with.
        given: the settings the caller changed; a new ``resize`` is a change the weights do not
            fit (refused after), and keeps ``exc`` as it is (``lower resize``).
        saved: the run's ``config.json``, whose ``world_size`` says how many processes the run ran
            in (``None``, or none recorded: not said).
    """
    if "resize" in given:
        return exc
    batch_size, resize, here = exc.batch_size, exc.resize, exc.world_size
    share = share_of(batch_size, here)
    size = gib_past(share * resize**2 * 4, MAX_BATCH_BYTES)
    held = (
        f"{size} of float32 values ({share} × {resize}²) "
        + ("per batch in one process" if here == 1 else f"per share of a batch in {here} processes")
        + ", past the 2 GiB a process may hold"
    )
    most = f"batch_size={largest_batch(resize, here)} or less"
    needed = fewest_processes(batch_size, resize)
    more = f"at least {needed} processes (torchrun --nproc_per_node={needed})"
    if "batch_size" in given:
        return UsageError(
            f"a resume with batch_size={batch_size} at the run's resize={resize} makes {held}; "
            f"pass {most} (with force=True: a new batch size changes the run's result), or resume "
            f"it under torchrun with {more}"
        )
    ran = _ran_in(saved)
    if ran is not None and ran >= needed:  # the processes it ran in each held a share
        more = f"as many processes as it ran in (torchrun --nproc_per_node={ran})"
    return UsageError(
        f"the run in {shown_path(run_dir)} trains with batch_size={batch_size} at resize={resize}, "
        f"{held}; resume it under torchrun with {more}, or pass {most} with force=True (a new "
        "batch size changes its result)"
    )


def _ran_in(saved: Mapping[str, Any] | None) -> int | None:
    """Return the processes the settings of ``config.json`` were last taken in: its latest
    resume's, else its start's; ``None`` where not recorded."""
    if saved is None:
        return None
    resumes = saved.get("resumes")
    last = resumes[-1] if isinstance(resumes, list) and resumes else None
    for record in (last, saved):
        count = record.get("world_size") if isinstance(record, Mapping) else None
        if isinstance(count, int) and not isinstance(count, bool) and count >= 1:
            return count
    return None
