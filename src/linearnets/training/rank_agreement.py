"""What the processes of a data-parallel run agree on before they train, in one collective each.

One rank's outcome shared by all (:func:`on_rank_0`: the run folder rank 0 claimed, or its refusal)
and the same settings on every rank (:func:`check_same_settings`). In one process both just run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch.distributed as dist

from linearnets.errors import UsageError
from linearnets.training.distributed import DistContext

__all__ = ["check_same_settings", "on_rank_0"]


def on_rank_0(context: DistContext, work: Callable[[], str]) -> str:
    """Run ``work`` on rank 0 and return its result on every rank; its UsageError is raised on all."""
    if not context.enabled:
        return work()
    names: list[Any] = [None]
    if context.is_main:
        try:
            names = [("ok", work())]
        except UsageError as exc:
            names = [("error", str(exc))]
    dist.broadcast_object_list(names, src=0)
    status, value = names[0]
    if status == "error":
        raise UsageError(value)
    return str(value)


def check_same_settings(context: DistContext, settings: Callable[[], dict[str, Any]]) -> None:
    """Refuse, on every process at once, a data-parallel run whose processes got different settings.

    Processes started by hand each parse their own options: another seed trains a silently wrong
    model, another epoch count leaves a process waiting for the others (gloo: 30 minutes). One
    collective (``all_gather_object``) shows each process every other's settings.

    Args:
        context: this process's place in the run (nothing is compared in one process).
        settings: returns this process's settings by name (called in a data-parallel run only);
            values are compared with ``==`` and shown with ``repr``. A UsageError it raises stops
            every process: this one with it, the others naming this rank.

    Raises:
        UsageError: a setting differs: the first one, with its value on that rank and on rank 0.
    """
    if not context.enabled:
        return
    own: UsageError | None = None
    try:
        mine: tuple[str, Any] = ("ok", settings())
    except UsageError as exc:
        own, mine = exc, ("error", str(exc))
    everyone: list[Any] = [None] * context.world_size
    dist.all_gather_object(everyone, mine)
    if own is not None:
        raise own
    for rank, (status, value) in enumerate(everyone):
        if status == "error":
            raise UsageError(f"rank {rank} stopped: {value}")
    first = everyone[0][1]
    for rank, (_, theirs) in enumerate(everyone[1:], start=1):
        name = _first_difference(first, theirs)
        if name is not None:
            raise UsageError(
                f"rank {rank} was started {_as_given(name, theirs)}, rank 0 "
                f"{_as_given(name, first)}; start every process with the same options"
            )


def _first_difference(ours: dict[str, Any], theirs: dict[str, Any]) -> str | None:
    """Return the first setting (in ``ours``'s order) that differs or is given on one side only."""
    for name in [*ours, *(name for name in theirs if name not in ours)]:
        if name not in ours or name not in theirs or ours[name] != theirs[name]:
            return name
    return None


def _as_given(name: str, settings: dict[str, Any]) -> str:
    return f"with {name}={settings[name]!r}" if name in settings else f"without {name}"
