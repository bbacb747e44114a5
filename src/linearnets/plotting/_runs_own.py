"""A run's own figures, drawn into its folder past the refusal every other caller meets there.

A figure named as a run's (``curves.png``, ``confusion.png``, ``predictions.png``, ``linearnets
predict``'s ``predict-6.png``) in a folder holding a run is refused to :func:`show_images`,
:func:`plot_predictions`, :func:`plot_confusion_matrix` and :class:`LiveCurves`: it would replace
or pass for the run's. The run itself (``linearnets softmax``, its resume), and the callers that
checked ``out`` themselves (``ln.predict``, ``linearnets predict``), draw through
:func:`as_runs_own`; no public signature takes the permission, so no user passes it.

The refusals themselves (:func:`check_out`, :func:`check_curves`) read the folder as
:mod:`linearnets.training.run_files` tells a run's: the one place plotting imports training
(which imports no plotting), on the first figure given a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Generic, TypeVar

__all__ = ["as_runs_own", "check_curves", "check_out", "drawing_runs_own", "is_runs_own"]

_T = TypeVar("_T")

# set only for the length of one drawing of the library's own (drawing_runs_own)
_RUNS_OWN: ContextVar[bool] = ContextVar("linearnets_runs_own", default=False)


def is_runs_own() -> bool:
    """Whether the figure drawn now is a run's own (or its ``out`` checked by its caller)."""
    return _RUNS_OWN.get()


@contextmanager
def drawing_runs_own() -> Iterator[None]:
    """Draw the figures made in this block as the run's own: not refused in its folder."""
    token = _RUNS_OWN.set(True)
    try:
        yield
    finally:
        _RUNS_OWN.reset(token)


class _RunsOwn(Generic[_T]):
    """``draw``, called as the run's own (:func:`drawing_runs_own`), under its name (a failure in
    the plotting process says "drawing the confusion matrix failed"), sent there by pickle."""

    def __init__(self, draw: Callable[..., _T]) -> None:
        self.draw = draw
        self.__name__ = getattr(draw, "__name__", str(draw))

    def __call__(self, *args: Any, **kwargs: Any) -> _T:
        with drawing_runs_own():
            return self.draw(*args, **kwargs)


def as_runs_own(draw: Callable[..., _T]) -> Callable[..., _T]:
    """Return ``draw`` (``plot_confusion_matrix``, ``LiveCurves``), its figures drawn as the run's
    own: ``as_runs_own(plot_predictions)(images, ..., out=run_dir / "predictions.png")``."""
    return _RunsOwn(draw)


def check_out(path: Path) -> None:
    """Refuse ``path``, a figure's ``out``, where it would replace or pass for a run's
    (:func:`~linearnets.training.run_files.check_not_a_runs_out`), but for the run's own figure
    or one its caller checked (:func:`as_runs_own`).

    Raises:
        UsageError: ``out`` is a file of a run's folder.
    """
    if is_runs_own():
        return
    from linearnets.training.run_files import check_not_a_runs_out

    check_not_a_runs_out(path)


def check_curves(paths: Sequence[Path]) -> None:
    """Refuse ``paths``, the curves' files in ``out_dir``, where they would replace or pass for a
    run's figures (:func:`~linearnets.training.run_files.check_not_a_runs_figure`): a user's
    ``LiveCurves(out_dir="runs/r1")`` rewrote that finished run's ``curves.png`` and ``.svg``.
    The run's own curves (:func:`as_runs_own`) draw into its folder.

    Raises:
        UsageError: ``out_dir`` is a run's folder.
    """
    if is_runs_own():
        return
    from linearnets.training.run_files import check_not_a_runs_figure, outside_run_folder

    for path in paths:
        offered = outside_run_folder(path.with_name("curves"))  # runs/r1 -> runs/r1-curves
        fix = f"pass out_dir a folder outside the run folder, e.g. out_dir={str(offered)!r}"
        check_not_a_runs_figure("out_dir's curves", path, fix=fix)
