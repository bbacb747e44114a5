"""Live curves drawn by the plotting process: :class:`RemoteCurves` in the parent, the figures in the child.

:class:`RemoteCurves` has the ``update``, ``extend`` and ``close`` of :class:`LiveCurves` in "file" mode,
but each call only queues one of this module's functions on a
:class:`~linearnets.plotting.background.PlotProcess`, with plain numbers as arguments. In the forked
child those functions keep the figures, by the key :class:`RemoteCurves` gave them. An update only adds
its points; the child's loop draws the curves :func:`curve_drawings` names once its turn's calls are
done, so updates that queued up while it drew are drawn once, in their newest state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from linearnets.errors import PlotError
from linearnets.plotting._live_args import check_mapping, check_value
from linearnets.plotting._runs_own import as_runs_own
from linearnets.plotting._side_by_side import Job
from linearnets.plotting.live import LiveCurves
from linearnets.validation import check_positive_int

if TYPE_CHECKING:  # background imports this module: no cycle at run time
    from linearnets.plotting.background import PlotProcess

__all__ = ["RemoteCurves", "curve_drawings"]

_CURVES: dict[int, LiveCurves] = {}  # the child's live figures, by the id RemoteCurves gave them
_UNDRAWN: set[int] = set()  # the keys of curves with points not drawn yet


def curve_drawings(last: Iterable[Job]) -> list[Job]:
    """Return a call that draws each of the child's curves with points not drawn yet, in order.

    Curves whose closing is among ``last``, the last drawings waiting for the closing turn, are
    left to it: :func:`_close_curves` draws their newest points with the final files, beside the
    other last drawings.
    """
    closed = {next(iter(args)) for fn, args, _ in last if fn is _close_curves}
    return [(_draw_curves, (key,), {}) for key in sorted(_UNDRAWN - closed)]


def _new_curves(key: int, kwargs: dict[str, Any], runs_own: bool = False) -> None:
    """Make the curves ``key``: ``LiveCurves(**kwargs)``, with ``runs_own`` the run's own, drawn
    into its folder (:func:`~linearnets.plotting._runs_own.as_runs_own`)."""
    _CURVES[key] = as_runs_own(LiveCurves)(**kwargs) if runs_own else LiveCurves(**kwargs)


def _update_curves(key: int, points: list[tuple[int, dict[str, float]]]) -> None:
    """Add ``points`` to the curves ``key``; the child's loop draws them once its turn's calls are done."""
    curves = _CURVES[key]
    _UNDRAWN.add(key)
    for epoch, values in points:
        curves.add(epoch, values)


def _draw_curves(key: int) -> None:
    _UNDRAWN.discard(key)
    _CURVES[key].redraw()


def _close_curves(key: int) -> None:
    try:
        if key in _UNDRAWN:  # the newest points, in the files the run keeps
            _draw_curves(key)
    finally:
        _CURVES.pop(key).close()


def _plain(values: Mapping[str, Any], example: str) -> dict[str, float]:
    """Return ``values`` as plain numbers by name if :meth:`LiveCurves.add` takes them, else raise."""
    check_mapping(values, example=example)
    return {str(name): check_value(name, value) for name, value in values.items()}


class RemoteCurves:
    """:class:`LiveCurves` in "file" mode, drawn by a :class:`PlotProcess`: the same ``update``,
    ``extend`` and ``close``.

    The figure is built in the child, so a bad argument is reported by :meth:`PlotProcess.close`.

    Args:
        process: the plotting process.
        runs_own: the run's own curves, drawn into its folder (``linearnets softmax``, its
            resume); any other ``out_dir`` holding a run is refused, as :class:`LiveCurves` does.
        **kwargs: what :class:`LiveCurves` takes; ``mode`` is "file" and ``out_dir`` is required.
    """

    _next_key = 0

    def __init__(self, process: PlotProcess, *, runs_own: bool = False, **kwargs: Any) -> None:
        kwargs = {**kwargs, "mode": "file"}
        if kwargs.get("out_dir") is None:
            raise PlotError("RemoteCurves needs out_dir, the folder its files are written to")
        self.metrics = tuple(kwargs.get("metrics", ("train loss", "train acc", "test acc")))
        self._process = process
        RemoteCurves._next_key += 1
        self._key = RemoteCurves._next_key
        process.call(_new_curves, self._key, kwargs, runs_own)

    def update(self, epoch: int, values: Mapping[str, float]) -> None:
        """Queue each metric's value at ``epoch`` and a redraw (see :meth:`LiveCurves.update`)."""
        self.extend([(epoch, values)])

    def extend(self, points: Iterable[tuple[int, Mapping[str, float]]]) -> None:
        """Queue several epochs' values, drawn together once (see :meth:`LiveCurves.extend`)."""
        # refused here as LiveCurves refuses them, with its messages; no tensors down the pipe
        plain = [
            (check_positive_int("epoch", epoch), _plain(values, self.metrics[0]))
            for epoch, values in points
        ]
        self._process.call(_update_curves, self._key, plain)

    def close(self) -> None:
        """Queue the newest points' drawing, the final files (``final_formats``) and the figure's
        release: one of the last drawings (:meth:`PlotProcess.call_beside`), drawn when the
        process is closed, beside the others (a run's confusion matrix and predictions)."""
        self._process.call_beside(_close_curves, self._key)
