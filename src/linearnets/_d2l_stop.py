"""What ``d2l.train_ch3`` says when a Ctrl-C (a kernel interrupt) stops it: the epochs that finished,
what the model and the curves keep, and how to go on, as :func:`linearnets.fit`'s stop says it.

See D2L §3.6.6.
"""

from __future__ import annotations

from dataclasses import dataclass

from linearnets.errors import one_line_in_ipython
from linearnets.training.history import History

# how the note starts, as fit's starts with FIT_STOP_NOTE
CH3_STOP_NOTE = "train_ch3 was interrupted after"


@dataclass
class Ch3Progress:
    """How far ``train_ch3`` got: the epochs whose training pass finished (``trained``; the
    weights hold them) and whose points were drawn (``drawn``)."""

    trained: int = 0
    drawn: int = 0


def keep_ch3_history(
    exc: KeyboardInterrupt, history: History, *, num_epochs: int, progress: Ch3Progress
) -> None:
    """Hand ``exc`` the metrics of the epochs of ``train_ch3`` that finished, and say how to go on.

    The stop was a bare ``KeyboardInterrupt`` with no message, its traceback 8 to 12 frames into
    the data loader, not saying how many epochs had finished; ``train_ch3`` returns ``None``, so
    the exception is where their metrics can be kept. IPython and Jupyter show it as its one line
    (:func:`~linearnets.errors.one_line_in_ipython`), Python 3.11+ as a note under the traceback.
    A stop in epoch k's test pass finds epoch k trained: it is said, and not trained again.
    """
    done = len(history.epochs)
    trained = max(done, progress.trained)
    # epoch k's training is in the weights once its pass ended: num_epochs=N-k+1 trained it twice
    left = num_epochs - trained
    untested = (
        f" (epoch {progress.trained} trained too, but not tested)"
        if progress.trained > done
        else ""
    )
    # "after 3 of 3" read as a finished run that was stopped anyway: say all of them finished
    finished = (
        f"all {num_epochs} epoch(s)" if done == num_epochs else f"{done} of {num_epochs} epoch(s)"
    )
    go_on = _go_on(left, num_epochs=num_epochs, untested=progress.trained > done)
    exc.history = history  # type: ignore[attr-defined]
    if done == 0:  # nothing to point at: no figure was drawn, and the history is empty
        why = "" if untested else " (no epoch finished)"  # else said: "epoch 1 trained too"
        said = (
            f"{CH3_STOP_NOTE} {finished}{untested}; the model keeps the weights of its last "
            f"step, and nothing was drawn and no metrics kept yet{why}. {go_on}"
        )
        one_line_in_ipython(exc, said)
        if hasattr(exc, "add_note"):  # Python 3.11+: shown under the traceback
            exc.add_note(said)
        return
    figure = _figure(done, drawn=progress.drawn)
    one_line_in_ipython(
        exc,
        f"{CH3_STOP_NOTE} {finished}{untested}; the model keeps the weights "
        f"of its last step, {figure}, and this exception their metrics: "
        f"import sys; history = sys.last_value.history (in the next cell). {go_on}",
    )
    if hasattr(exc, "add_note"):  # Python 3.11+: shown under the traceback
        exc.add_note(
            f"{CH3_STOP_NOTE} {finished}{untested}, whose metrics are this "
            "exception's .history (a linearnets History); the model keeps the weights of its "
            f"last step, {figure}. {go_on}"
        )


def _figure(done: int, *, drawn: int) -> str:
    """What the figure holds after ``done`` (> 0) epochs finished, ``drawn`` of them drawn in full."""
    if drawn >= done:
        return "the figure the finished epochs' curves"
    if done == 1:  # stopped drawing the first points: the figure may not have been shown at all
        return (
            "the figure, if it was shown, epoch 1's points perhaps in part (its drawing was "
            "interrupted)"
        )
    return (
        f"the figure the curves before epoch {done} (its own perhaps in part: its drawing was "
        "interrupted)"
    )


def _go_on(left: int, *, num_epochs: int, untested: bool) -> str:
    """How to go on with ``left`` epochs of ``num_epochs`` not trained: ``train_ch3`` again for
    them, or, with none left (``train_ch3`` refuses ``num_epochs=0``), nothing to train; the last
    epoch's test accuracy from ``d2l.evaluate_accuracy`` when its test pass was interrupted."""
    if left > 0:
        return (
            f"To go on, call train_ch3 again with num_epochs={left} (its curves start again at "
            "epoch 1), or linearnets.fit (import linearnets), which returns a history"
        )
    advice = f"All {num_epochs} epoch(s) trained: nothing is left to train"
    if untested:
        advice += (
            f"; d2l.evaluate_accuracy(net, test_iter) gives epoch {num_epochs}'s test accuracy"
        )
    return advice
