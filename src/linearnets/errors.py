"""The project's exception types: one per kind of failure, each carrying a message a learner can act on.

Usage errors (bad arguments, bad settings) subclass :class:`ValueError`/:class:`TypeError` as well, so code
written against plain Python conventions still catches them. The CLI maps :class:`UsageError` to exit status 2
and every other :class:`LinearnetsError` to exit status 1.

Messages speak the Python API's words: a setting by its name (``lr``, ``out='runs/a'``), a fix as the call
to make (``linearnets.resume_softmax('runs/a')``). The command line prints them in its own (``--lr``,
``--out runs/a``, ``linearnets softmax --resume runs/a``): :func:`linearnets.cli._report.one_line`
translates them.

IPython and Jupyter show the errors that are outcomes of a run, not mistakes in a call (a stopped or
diverged run, a bad file, a full disk, a figure not drawn), as their one line (:class:`OneLineInIPython`);
a :class:`UsageError` keeps its traceback, whose first frame is the call in the cell to fix, but for one
that a whole run's entry point raises (:func:`usage_errors_on_one_line`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = [
    "CheckpointError",
    "DataWarning",
    "DatasetError",
    "DivergenceError",
    "DoubleSoftmaxWarning",
    "LinearnetsError",
    "OneLineInIPython",
    "PlotError",
    "ResumeWarning",
    "RunFileError",
    "ThreadsWarning",
    "UsageError",
    "UsageTypeError",
    "one_line_in_ipython",
    "usage_errors_on_one_line",
]


class OneLineInIPython:
    """Mixin: IPython and Jupyter show the error as its one line, ``TypeName: message``.

    For the errors that are outcomes, not bugs: their message already says what happened and what
    to do, which a traceback through the library's frames would only bury at its bottom (90 lines
    for a stopped run). Short to show, too: rendering that traceback took 0.15-0.3 s, long enough
    for a second "Interrupt the kernel" to replace a stopped run's message (its run folder and
    resume call) by a bare ``KeyboardInterrupt``. ``%debug`` still reaches the frames.
    """

    def _render_traceback_(self) -> list[str]:
        """Return the lines IPython shows instead of the traceback (its documented hook)."""
        name, message = type(self).__name__, str(self)
        return f"{name}: {message}".splitlines() if message else [name]


def one_line_in_ipython(exc: BaseException, message: str) -> None:
    """Have IPython and Jupyter show ``exc``, of a type not ours (a ``KeyboardInterrupt``), as
    ``TypeName: message`` alone, as they show a :class:`OneLineInIPython` error (the hook is set on
    the exception itself; the type, and what Python prints of it elsewhere, stay as they were)."""
    exc._render_traceback_ = _Lines(f"{type(exc).__name__}: {message}".splitlines())  # type: ignore[attr-defined]


class _Lines:
    """An exception's ``_render_traceback_`` returning fixed lines: a class of its own, not a
    closure, so that the exception still pickles (a process pool hands it back pickled)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def __call__(self) -> list[str]:
        return list(self.lines)


class LinearnetsError(Exception):
    """Base class of every error linearnets raises on purpose."""


class UsageError(LinearnetsError, ValueError):
    """An argument or setting has a value that is not allowed (CLI exit status 2)."""


class UsageTypeError(UsageError, TypeError):
    """An argument has the wrong type or dtype (CLI exit status 2)."""


@contextlib.contextmanager
def usage_errors_on_one_line() -> Iterator[None]:
    """Have IPython and Jupyter show a :class:`UsageError` raised in the block as its one line.

    For a whole run's entry points (``run_softmax``, ``resume_softmax``, ``run_linreg``): most of
    their refusals are of what the run finds, not of the call's line (the folder already holds a
    run, the run there is complete, the data file is gone), and re-running a notebook cell meets
    them first. Their traceback went down 7 library frames to the message at its bottom. The
    exception stays as it was: its type, attributes, pickling and what plain Python prints of it
    (:func:`one_line_in_ipython`).
    """
    try:
        yield
    except UsageError as exc:
        one_line_in_ipython(exc, str(exc))
        raise


class DatasetError(OneLineInIPython, LinearnetsError):
    """A dataset file is missing, truncated, corrupt or not the file it claims to be."""


class CheckpointError(OneLineInIPython, LinearnetsError):
    """A checkpoint file cannot be read, is foreign, or does not match the run resuming it."""


class RunFileError(OneLineInIPython, LinearnetsError, OSError):
    """A file of a run folder (config, metrics, results, weights, a report) could not be written.

    The message names the file, the reason (a full disk as such) and the fix that works for the run:
    ``--resume`` where a checkpoint is kept. An :class:`OSError` as well, as the failed write was.
    """


class DivergenceError(OneLineInIPython, LinearnetsError):
    """Training blew up: the loss became non-finite or grew far beyond its starting value.

    ``resumable`` is ``False`` when no smaller lr can help: the weights of the last checkpoint
    already give the blown-up loss (a resume's very first step; an epoch's first, where the loss
    grew: the run is to start over), or a fresh run's loss broke before
    any update (the data are too large for the dtype, or hold NaN). ``grew`` is ``True`` when the
    loss stayed finite but grew past the guard's factor: such a run may still settle. ``step`` is
    the step of its epoch (from 0) whose loss or scores the error is about, where it names one, and
    ``examples`` whether it names which of that step's examples are not finite, so that their
    features, not the learning rate, are to blame. ``lr`` is the learning rate the message
    advises where it is not the guard's smaller one (a tenth): one under the bound that badly
    scaled features set (:func:`linearnets.tasks.linreg_train.run_linreg`), which the resume a
    run folder names takes too; ``None`` otherwise.
    """

    resumable = True
    grew = False
    lr: float | None = None
    step: int | None = None
    examples = False


class PlotError(OneLineInIPython, LinearnetsError):
    """A figure could not be drawn (in the plotting process); the run's other outputs are saved.

    ``fix_first``: the message names a fix to make before the figures can be drawn (a dependency
    that could not be loaded), without which drawing them again fails the same way.
    """

    fix_first = False


class DataWarning(UserWarning):
    """Data that loads and trains but is probably not what was meant (the CLI prints it on one line)."""


class ResumeWarning(UserWarning):
    """What a resume that goes on tells (the CLI prints it on one line): it will match an
    uninterrupted run to rounding, not bit for bit (it runs on another thread count or number of
    processes than the run last ran on), or it removed the figures ``linearnets predict`` drew from
    the weights it trains further."""


class ThreadsWarning(UserWarning):
    """A run asked for more threads than the CPU cores its process may use: they take turns, and
    training slows, often many times over (the CLI prints it on one line)."""


class DoubleSoftmaxWarning(UserWarning):
    """``nn.CrossEntropyLoss`` was given probabilities (a model ending in ``nn.Softmax``), not the
    scores (logits) it applies softmax to: softmax applied twice trains slowly, to a worse model."""
