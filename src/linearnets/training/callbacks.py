"""Side effects of training, as callbacks: console lines and progress bars, metrics files, live curves.

A callback is any object with some of these methods, called by :func:`linearnets.training.loop.fit`:
``on_fit_start(num_epochs=..., start_epoch=...)``, ``on_epoch_start(epoch=..., num_batches=...)``,
``on_batch_end(step, losses)``, ``on_epoch_end(metrics=...)``, ``on_fit_end(history=...)``. The
do-nothing base class is :mod:`linearnets.training.callback_base`'s, the metrics files'
writer :mod:`linearnets.training.metrics_files`'s (both importable from here).

See D2L §3.6.6 (the book's ``train_ch3`` prints and plots inside the loop; here callbacks do).
"""

from __future__ import annotations

import math
import os
import stat
import sys
from collections.abc import Sequence
from typing import Any, Protocol, TextIO

import torch

from linearnets._bars import NotebookBar, bar_size, blank_row, drawn, dumb_terminal
from linearnets._warn import warn
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.callback_base import Callback
from linearnets.training.history import EpochMetrics, History
from linearnets.training.metrics_files import MetricsWriter
from linearnets.validation import check_bool, check_non_negative_float, describe

__all__ = [
    "Callback",
    "ConsoleLogger",
    "Curves",
    "CurvesCallback",
    "MetricsWriter",
    "fixed",
    "format_epoch",
]


def fixed(value: float, digits: int) -> str:
    """Return ``value`` with ``digits`` decimals, as the book prints losses; from 10⁶ on (a run
    diverging with the guard off) in scientific notation, ``3.5696e+30`` rather than 31 digits,
    and so below ``10**(1 - digits)`` but not 0, which ``digits`` decimals would show with fewer
    than 2 significant digits: weights of 3e-7 printed as ``0.000000``. Both are judged on the
    value rounded to ``digits`` decimals, as it would print: 9.9999996e-06 prints ``0.000010``
    as 1e-05 does, not ``1.000000e-05``, and 999999.99999 ``1.0000e+06`` as 1e6 does."""
    text = f"{value:.{digits}f}"
    if not math.isfinite(value) or value == 0:
        return text
    significant = text.lstrip("-").replace(".", "").lstrip("0")  # the digits it would show
    if abs(float(text)) >= 1e6 or len(significant) < 2:
        return f"{value:.{digits}e}"
    return text


def format_epoch(metrics: EpochMetrics) -> str:
    """Return the book's one-line epoch summary, e.g. ``epoch 1, loss 0.785, train acc 0.749, ...``.

    The test set's figure is its accuracy, else (regression) its loss: ``epoch 2, loss 0.000110,
    test loss 0.000121``.
    """
    if metrics.train_acc is None:
        line = f"epoch {metrics.epoch}, loss {fixed(metrics.train_loss, 6)}"
        if metrics.test_loss is not None:
            line += f", test loss {fixed(metrics.test_loss, 6)}"
        return line
    parts = [
        f"epoch {metrics.epoch}",
        f"loss {fixed(metrics.train_loss, 4)}",
        f"train acc {metrics.train_acc:.3f}",
    ]
    if metrics.test_acc is not None:
        parts.append(f"test acc {metrics.test_acc:.3f}")
    elif metrics.test_loss is not None:
        parts.append(f"test loss {fixed(metrics.test_loss, 4)}")
    parts.append(f"{metrics.seconds:.2f} s")
    return ", ".join(parts)


class ConsoleLogger(Callback):
    """Print one summary line per epoch; in a terminal also show a progress bar during each epoch.

    Args:
        stream: where lines go (default stdout).
        progress: show a tqdm bar; ``None`` means only when stderr is a terminal that can
            redraw a line (not ``TERM=dumb``, as Emacs' shell sets) and the lines do not go into
            a pipe (``| tee log``: the piped lines would reach the terminal late, through another
            stream, and land inside a later epoch's bar). In Jupyter (where stderr is no
            terminal: ``progress=True``) the bar is one output of the cell, updated in place and
            emptied at each epoch's end.
        delay: seconds an epoch runs before its bar shows (tqdm's ``delay``): ``linearnets
            linreg``'s epochs of the book's 1,000 examples take milliseconds, and a bar that
            shows only where an epoch runs longer (a million examples) does not flash.
    """

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        progress: bool | None = None,
        delay: float = 0.0,
    ) -> None:
        # checked now: a file name would otherwise fail only after the whole first epoch
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise UsageTypeError(
                f"stream must be a text stream with write(), such as sys.stdout, got "
                f"{describe(stream)}; to log to a file pass stream=open('log.txt', 'w')"
            )
        self.stream = stream
        self.progress = None if progress is None else check_bool("progress", progress)
        self.delay = check_non_negative_float("delay", delay, fix="pass e.g. delay=1.0")
        self._bar: Any = None
        self._size: dict[str, int] = {}
        self._unblanked: Any = None  # the stream of a closed bar whose row is still to blank
        self._notebook: NotebookBar | None = None  # where the bars go in Jupyter

    def __repr__(self) -> str:
        stream = "stdout" if self.stream is None else getattr(self.stream, "name", self.stream)
        progress = {
            None: "when stderr is a terminal (not TERM=dumb) and the lines go to no pipe",
            True: "always",
            False: "never",
        }.get(self.progress, repr(self.progress))
        return f"ConsoleLogger(to {stream}, progress bar {progress})"

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        show = self.progress
        if show is None:
            show = (
                _is_terminal(sys.stderr)
                and not dumb_terminal()
                and not _is_pipe(self.stream or sys.stdout)
            )
        if show:
            from tqdm import tqdm

            file = self._notebook_bar()  # in Jupyter: a display updated in place, not stderr
            # room for a Ctrl-C's echoed "^C" (see _bars)
            self._size = bar_size(sys.stderr) if file is None else {}
            # in Jupyter the bar is its display's one line: tqdm's first row whatever other bars
            # are open (a learner's own tqdm loop around fit), which it reached by cursor moves
            # that the display showed as the text "\x1b[A" in place of the bar
            row = {} if file is None else {"position": 0}
            # held from the moment tqdm counts it among the open bars (its __new__), so that
            # close() ends it even when a Ctrl-C cuts its first frame short: left counted while
            # IPython kept the traceback, it put every later bar on the row below
            self._bar = tqdm.__new__(tqdm)
            self._bar.__init__(
                total=num_batches,
                desc=f"epoch {epoch}",
                leave=False,
                unit="batch",
                file=file,
                delay=self.delay,
                **self._size,
                **row,
            )

    def _notebook_bar(self) -> NotebookBar | None:
        """Return where the bars go in a Jupyter kernel (one per logger), ``None`` elsewhere."""
        from linearnets.plotting._mpl import in_notebook

        if not in_notebook():
            return None
        if self._notebook is None:
            self._notebook = NotebookBar()
        return self._notebook

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        self.close()
        print(format_epoch(metrics), file=self.stream or sys.stdout, flush=True)

    def close(self) -> None:
        """Close a progress bar left open (e.g. by an epoch that raised), so later lines print cleanly."""
        if self._bar is not None:
            bar, self._bar = self._bar, None
            # a second Ctrl-C may cut tqdm's close short: the row is blanked at the next close()
            # a bar held back by its delay (linreg's) and never drawn has no row to blank
            self._unblanked = bar.fp if drawn(bar) else None
            try:
                bar.close()
            finally:  # one a Ctrl-C cut short as it was made (close() skips it) or closed
                type(bar)._instances.discard(bar)
        if self._unblanked is not None:
            blank_row(self._unblanked, self._size)
            self._unblanked = None


def _is_pipe(stream: TextIO | None) -> bool:
    """Whether ``stream`` writes into a pipe (or socket): ``| tee``, ``| less``; not a file."""
    try:
        mode = os.fstat(stream.fileno()).st_mode  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):  # no file descriptor: a StringIO, a notebook's
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _is_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal (``None``, as a closed ``2>&-`` leaves it, is not)."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


class Curves(Protocol):
    """What :class:`CurvesCallback` draws on: ``update(epoch, values)`` after each epoch.

    :class:`linearnets.plotting.LiveCurves` is one. Also used when present: a ``metrics`` attribute
    (the names plotted; the others are not sent) and ``close()`` (called when training ends).
    """

    def update(self, epoch: int, values: dict[str, float], /) -> None:
        """Add one point per metric in ``values`` at ``epoch`` and redraw."""


# the metrics fit reports each epoch, by the names curves plot them under; the book's three
_REPORTED = ("train loss", "train acc", "test loss", "test acc")
_BOOK_CURVES = ("train loss", "train acc", "test acc")


class CurvesCallback(Callback):
    """Redraw the live curves (train loss, train acc, test acc) after each epoch.

    Only the metrics the curves plot are sent: ``LiveCurves(metrics=("train loss", "test acc"))``
    gets no "train acc", and "test loss" is sent to curves that plot it (curves without a
    ``metrics`` attribute get the book's three). A name among the curves' metrics that fit does
    not report (a misspelling, "trian loss") is refused here: its line would stay empty.

    A metric the curves plot that the fit does not report (the book's "train acc" and "test acc"
    of a regression, "test acc" with no ``test_iter``) is warned of once a fit, at its first
    epoch, naming the metrics to pass: its line would stay empty without a word.

    Args:
        curves: a :class:`linearnets.plotting.LiveCurves` (notebook, file or none mode), or any
            :class:`Curves`.
        warn_missing: warn of the curves' metrics the fit does not report (``False``: a run's
            own curves, whose metrics the command chose).
    """

    def __init__(self, curves: Curves, *, warn_missing: bool = True) -> None:
        if isinstance(curves, type) or not callable(getattr(curves, "update", None)):
            raise UsageTypeError(_not_curves(curves))
        plotted = getattr(curves, "metrics", None) or ()
        unknown = [m for m in plotted if m not in _REPORTED]
        if unknown:
            raise UsageError(
                f"curves.metrics must name metrics fit reports, {_REPORTED}, got {unknown[0]!r} "
                f"in {list(plotted)}; pass e.g. LiveCurves(metrics={_BOOK_CURVES})"
            )
        self.curves = curves
        self.warn_missing = check_bool("warn_missing", warn_missing)
        self._told = False  # this run's missing metrics warned of (a resumed fit's too)

    def __repr__(self) -> str:
        curves = self.curves
        if type(curves).__repr__ is object.__repr__:  # not its address: its kind and its lines
            metrics = getattr(curves, "metrics", None)
            shown = f"metrics={list(metrics)}" if metrics is not None else ""
            return f"CurvesCallback({type(curves).__name__}({shown}))"
        return f"CurvesCallback({curves!r})"

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        """Raise, before any step, if this fit's first epoch would go back over the curves' points
        (:meth:`check_fit_start`; ``fit`` calls that first, before any callback's ``on_fit_start``)."""
        self.check_fit_start(num_epochs=num_epochs, start_epoch=start_epoch)
        if not start_epoch:  # a new run; a resumed one was told as its first fit began
            self._told = False

    def check_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        """Raise if this fit's first epoch would go back over the curves' points; nothing else.

        A fit from epoch 1 starts the curves over; a continued one (``start_epoch``) must follow
        their last epoch, which the curves refused only after that epoch was trained. ``fit`` calls
        it before any callback's ``on_fit_start``: a ``MetricsWriter`` listed first had already
        cut its ``metrics.jsonl`` back to ``start_epoch`` for a fit then refused.
        """
        first = start_epoch + 1
        held = getattr(self.curves, "epochs", None)
        if first == 1 or not isinstance(held, dict):
            return
        plotted = getattr(self.curves, "metrics", None) or _BOOK_CURVES
        lasts = {m: e[-1] for m, e in held.items() if m in plotted and isinstance(e, list) and e}
        if not lasts:
            return
        name = max(lasts, key=lambda m: lasts[m])
        last = lasts[name]
        if first > last:
            return
        more = num_epochs - start_epoch
        raise UsageError(
            f"start_epoch must continue the curves after their last epoch, {last} (of {name!r}), "
            f"got start_epoch={start_epoch}, whose first epoch, {first}, would be drawn over "
            f"theirs; pass start_epoch={last} (and num_epochs={last + more}, for {more} more) to "
            "continue them, start_epoch=0 for a new run (the curves start over), or new "
            "LiveCurves for this fit"
        )

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        reported = {
            "train loss": metrics.train_loss,
            "train acc": metrics.train_acc,
            "test loss": metrics.test_loss,
            "test acc": metrics.test_acc,
        }
        # a subset of the lines is a choice, not a mistake
        plotted = getattr(self.curves, "metrics", None) or _BOOK_CURVES
        values = {k: v for k, v in reported.items() if v is not None and k in plotted}
        if self.warn_missing and not self._told:
            self._told = True
            _warn_missing(plotted, reported)
        self.curves.update(metrics.epoch, values)

    def on_fit_end(self, *, history: History) -> None:
        close = getattr(self.curves, "close", None)
        if close is not None:
            close()


def _not_curves(curves: object) -> str:
    """Return the refusal of ``curves``, which has no ``update(epoch, values)``, and its fix."""
    head = "curves must be a live-curves object with update(epoch, values), got"
    example = "CurvesCallback(LiveCurves(num_epochs=10))"
    if isinstance(curves, type):
        return f"{head} {describe(curves)}; pass an instance, e.g. {example}"
    if type(curves).__name__ == "Animator" and callable(getattr(curves, "add", None)):
        # the book's (or ours, d2l.Animator), fed point by point by train_ch3's own loop
        return (
            f"{head} an Animator, the book's, which has add(x, y), not update; pass a LiveCurves, "
            f"which draws the same lines, in a notebook or to files: {example}"
        )
    return f"{head} {describe(curves)}; pass e.g. {example}"


def _warn_missing(plotted: Sequence[str], reported: dict[str, float | None]) -> None:
    """Warn of the metrics in ``plotted`` that ``reported`` (an epoch's) holds as ``None``, why,
    and the metrics to pass: ``LiveCurves()``'s book three on a regression drew its train loss
    alone, with no word of the lines left empty."""
    missing = [m for m in plotted if m in reported and reported[m] is None]
    if not missing:
        return
    why = []
    if reported["test loss"] is None and any(m.startswith("test") for m in missing):
        why.append("fit was given no test_iter")
    if any(m.endswith("acc") and reported[m.replace("acc", "loss")] is not None for m in missing):
        why.append("this fit reports no accuracy (its loss or targets give none)")
    shown = tuple(m for m in _REPORTED if reported[m] is not None)
    also = " (or pass test_iter to fit)" if reported["test loss"] is None else ""
    warn(
        f"the curves plot {', '.join(repr(m) for m in missing)}, which this fit does not report: "
        f"{' and '.join(why)}, so {'its line stays' if len(missing) == 1 else 'their lines stay'} "
        f"empty; pass LiveCurves(metrics={shown}) to "
        f"plot what it reports{also}"
    )
