"""The run folder a writing callback is given (:class:`~linearnets.training.metrics_files.MetricsWriter`,
:class:`~linearnets.training.checkpoint.CheckpointCallback`, a
:class:`~linearnets.training.callbacks.CurvesCallback`'s curves), checked as ``fit`` starts.

A ``run_dir`` that is no folder was first found at the end of epoch 1, whose write said the folder
was "gone (removed or moved while the run trained)", of a folder never made; the check names what
stands there instead (nothing, a file, a broken link, a file on its path) and the fix. See D2L
§3.6.6.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from linearnets._paths import same_folder
from linearnets._text import quoted_path, shown_path
from linearnets.errors import UsageError
from linearnets.path_checks import link_problem

__all__ = ["check_apart_from_run", "check_callback_folder"]


def check_callback_folder(owner: str, run_dir: Path) -> None:
    """Refuse, before anything is trained, a ``run_dir`` given to the callback ``owner`` (its class's
    name) that is no folder.

    Raises:
        UsageError: ``run_dir`` is a file, a symbolic link to nothing (or one on its path is), is
            under a file, or does not exist (create it first:
            ``Path(run_dir).mkdir(parents=True)``).
    """
    if os.path.isdir(run_dir):  # never raises: a folder that cannot be searched is one here
        return
    given = f"{owner}'s run_dir must be an existing folder, got {quoted_path(run_dir)}"
    link = link_problem(run_dir)
    if link:
        raise UsageError(f"{given}: {link}; fix or remove the link, or pass an existing folder")
    if os.path.lexists(run_dir):
        raise UsageError(
            f"{owner}'s run_dir must be a folder, got {quoted_path(run_dir)}, which is a file; "
            "pass a folder"
        )
    # the nearest that exists on its path: a file there blocks any folder below it
    above = next((p for p in run_dir.parents if os.path.lexists(p)), None)
    if above is not None and not os.path.isdir(above):
        raise UsageError(
            f"{given}, which cannot be made: {shown_path(above)} is a file, not a folder; pass a "
            "folder not under a file"
        )
    raise UsageError(
        f"{given}, which does not exist; create it first "
        f"(Path({str(run_dir)!r}).mkdir(parents=True)), or pass an existing folder"
    )


def check_apart_from_run(
    callbacks: Sequence[Any], run_dir: Path | None, *, outputs: Collection[str] | None = None
) -> None:
    """Refuse, before a folder is claimed, a writer of yours in ``callbacks`` (a ``MetricsWriter``,
    ``CheckpointCallback`` or ``CurvesCallback``, or a subclass) given the run's own folder
    ``run_dir`` (``None``: a folder the run names itself, which no callback can have been given),
    where the run writes the same files itself.

    A ``MetricsWriter`` there wrote every epoch's row twice in ``metrics.jsonl`` and
    ``metrics.csv``; a ``CheckpointCallback`` there replaced the run's ``checkpoint.pt`` with its
    own state, which the run's resume then read; a ``CurvesCallback`` whose ``LiveCurves`` had the
    run folder as ``out_dir`` silently replaced the run's ``curves.png`` and ``curves.svg`` with
    its own lines (``metrics=("train loss",)``: the run's figure showed that line alone). A writer of yours in the run folder under other
    names (a ``best.pt``) is the run's to keep, and left alone. ``outputs``: the names of the
    files the run writes there (``None``: a softmax run's, ``RUN_OUTPUTS``).

    Raises:
        UsageError: naming the callback's index, its class, the files, the folder and the fix.
    """
    if run_dir is None:
        return
    from linearnets.training.callbacks import CurvesCallback
    from linearnets.training.checkpoint import CheckpointCallback
    from linearnets.training.metrics_files import MetricsWriter
    from linearnets.training.run_files import RUN_OUTPUTS

    outputs = RUN_OUTPUTS if outputs is None else outputs
    for i, cb in enumerate(callbacks):
        names: tuple[str, ...]
        if isinstance(cb, MetricsWriter):
            names, clash = ("jsonl", "csv"), "each epoch's row would be written twice"
        elif isinstance(cb, CheckpointCallback):
            names, clash = ("path",), "yours would replace the run's, which its resume reads"
        elif isinstance(cb, CurvesCallback):
            names, clash = (), "yours would replace the run's figure with your curves' lines"
        else:
            continue
        # a subclass's own __init__ may set none of them, or set them to no path: not looked at
        files = [_as_path(getattr(cb, name, None)) for name in names] or _curve_files(cb)
        ours = [f for f in files if f and f.name in outputs and same_folder(f.parent, run_dir)]
        if ours:
            them = "them" if len(ours) > 1 else "it"
            # a plot="none" run draws none, but a resume of it with plotting on would, there
            where = (
                f"where the run draws {them} itself whenever plotting is on (its plot, or a "
                "later resume's)"
                if isinstance(cb, CurvesCallback)
                else f"where the run writes {them} itself"
            )
            raise UsageError(
                f"callbacks[{i}], a {type(cb).__name__}, writes "
                f"{' and '.join(f.name for f in ours)} in {shown_path(ours[0].parent)}, the run "
                f"folder, {where}: {clash}; leave it out of callbacks= (the run keeps its own "
                "there), or give it another folder"
            )


def _curve_files(cb: Any) -> list[Path | None]:
    """Return the files a ``CurvesCallback``'s curves write: a ``LiveCurves``'s ``curves.<format>``
    in its ``out_dir``, each update's and those drawn at the end (none in mode "none"); curves of
    another kind (any ``Curves``), none."""
    # a LiveCurves was made only where its module is loaded: not imported here for any callback
    live = sys.modules.get("linearnets.plotting.live")
    curves = getattr(cb, "curves", None)
    return list(curves.files) if live and isinstance(curves, live.LiveCurves) else []


def _as_path(value: Any) -> Path | None:
    """Return ``value`` as a ``Path`` where it is a path (a ``str`` or ``PathLike``), else ``None``."""
    return Path(value) if isinstance(value, (str, os.PathLike)) else None
