"""A linear-regression run from a :class:`~linearnets.config.LinregConfig` (D2L §3.2–3.3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from linearnets.config import LinregConfig
from linearnets.data.synthetic import data_iter, load_array, synthetic_data
from linearnets.errors import (
    DatasetError,
    UsageError,
    UsageTypeError,
    usage_errors_on_one_line,
)
from linearnets.models.closed_form import closed_form
from linearnets.models.concise import linreg_concise
from linearnets.models.scratch import SGD, LinearRegressionScratch, squared_loss
from linearnets.seeding import (
    RunGenerators,
    default_dtype,
    grad_enabled,
    kept_global_state,
    pin_threads,
    seed_everything,
)
from linearnets.tasks.linreg_result import LinregResult
from linearnets.tasks.linreg_train import train_linreg
from linearnets.tasks.stopping import complete_when_returned, folderless_stop_note
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.callback_folder import check_apart_from_run
from linearnets.training.guard import DivergenceGuard
from linearnets.training.interrupt import plain_stop

# LinregResult (linreg_result.py) and train_linreg (linreg_train.py) stay importable from here
__all__ = [
    "LinregResult",
    "LinregSetup",
    "prepare_linreg",
    "run_linreg",
    "train_linreg",
    "with_guard",
]

# the run's dtype, as the book's and the command's, whatever torch.set_default_dtype says: the
# same config gives the same numbers in a notebook set to float64 (load_regression_file's dtype too)
_DTYPE = torch.float32


class Reiterable:
    """An iterable that calls ``make()`` for a fresh iterator on every pass (one pass per epoch),
    of ``length`` batches (``len()``: the total of an epoch's progress bar)."""

    def __init__(self, make: Callable[[], Iterator[Any]], *, length: int) -> None:
        self.make, self.length = make, length

    def __iter__(self) -> Iterator[Any]:
        return self.make()

    def __len__(self) -> int:
        return self.length


def run_linreg(config: LinregConfig, *, callbacks: Sequence[Any] = ()) -> LinregResult:
    """Generate the book's synthetic data, train ``config.impl`` on it and compare with the closed form.

    With ``config.data`` the data come from that ``.npz``/``.csv`` file instead, and there is no truth to
    compare with. The data, the model and the closed form are float32 whatever torch's default dtype
    (``torch.set_default_dtype``): a config gives the same numbers in a float64 notebook, and inside
    ``torch.no_grad()`` or ``torch.inference_mode()`` too (the run trains with autograd on). Unless
    ``config.guard`` is off, a :class:`~linearnets.training.guard.DivergenceGuard` stops a run whose
    loss blows up (:class:`~linearnets.errors.DivergenceError`).

    With ``config.out`` the run keeps a run folder there (``config.json``, ``metrics.jsonl``,
    ``metrics.csv``, a ``checkpoint.pt`` after every epoch, ``results.json`` at the end), and a
    Ctrl-C or SIGTERM stops it after the current step with the last checkpoint kept
    (:class:`~linearnets.training.interrupt.TrainingInterrupted`):
    :func:`~linearnets.tasks.linreg_resume.resume_linreg` continues it exactly. Without it, a
    Ctrl-C (or a callback's ``KeyboardInterrupt``) goes on as the plain ``KeyboardInterrupt``, its
    note saying that nothing is kept and the same call starts the run over.

    Args:
        config: the run's settings.
        callbacks: ``fit`` callbacks, e.g. ``[ConsoleLogger()]`` for one line per epoch.

    Returns:
        The learned ``w`` and ``b`` beside the truth and the closed form, and the history.

    See D2L §3.2.7 (scratch) and §3.3.7 (concise).
    """
    # outermost: a Ctrl-C once a run kept in a folder returned, even while the caller's state
    # comes back, is the stop of a complete run (see complete_when_returned)
    with complete_when_returned() as done:
        # its refusals (a data file gone) as one line in a notebook
        with usage_errors_on_one_line(), kept_global_state(), grad_enabled():
            done.append(_checked_run(config, callbacks))
        return done[0]


def _checked_run(config: LinregConfig, callbacks: Sequence[Any]) -> LinregResult:
    """:func:`run_linreg`'s arguments checked, then the run."""
    if not isinstance(config, LinregConfig):
        raise UsageTypeError(
            f"config must be a LinregConfig, got {type(config).__name__}; pass LinregConfig(...)"
        )
    # checked here, in the user's numbering: the guard is put in front of them before fit sees them
    callbacks = check_callbacks(callbacks)
    if config.out is not None:
        from linearnets.tasks.linreg_run import RUN_FILE_NAMES, run_in_folder

        # a writer of yours on the run's own files
        check_apart_from_run(callbacks, config.out, outputs=RUN_FILE_NAMES)
        return run_in_folder(config, callbacks=callbacks)
    setup = prepare_linreg(config)
    try:
        return train_linreg(setup, callbacks=with_guard(config, callbacks, loss=setup.loss))
    except KeyboardInterrupt as exc:
        # fit's note advised calling fit again, which the caller of a whole run never did
        if plain_stop(exc):
            folderless_stop_note(exc)
        raise


@dataclass
class LinregSetup:
    """A linear-regression run ready to train: its data, reference solution, model and generators.

    Attributes:
        config: the run's settings.
        features, labels: X (n, d) and y (n, 1), float32.
        true_w, true_b: the synthetic truth (``None`` for a ``data`` file).
        closed_w, closed_b: the least-squares solution, w (d,) and b.
        net, train_iter, loss, updater: what :func:`~linearnets.fit` trains.
        gens: the run's generators (``data`` also shuffles every epoch).
    """

    config: LinregConfig
    features: torch.Tensor
    labels: torch.Tensor
    true_w: list[float] | None
    true_b: float | None
    closed_w: torch.Tensor
    closed_b: float
    net: Any
    train_iter: Any
    loss: Any
    updater: Any
    gens: RunGenerators


def prepare_linreg(config: LinregConfig, *, pinned: bool = False) -> LinregSetup:
    """Pin the threads, seed every generator, make the data, the closed form and the model.

    The same ``config`` always gives the same setup: a resume makes it again, then loads the
    checkpoint's states into it. ``pinned``: the caller pinned the threads already (before
    ``config.json`` recorded them), and warned of too many: not warned again. See D2L
    §3.2.1–3.2.3.
    """
    pin_threads(config.num_threads, told=not pinned)
    gens = seed_everything(config.seed)
    features, labels, true_w, true_b = _data(config, gens)
    closed_w, closed_b = _closed_form(config, features, labels)
    net, train_iter, loss, updater = _training_setup(config, features, labels, gens)
    return LinregSetup(
        config, features, labels, true_w, true_b, closed_w, closed_b, net, train_iter, loss,
        updater, gens,
    )  # fmt: skip


def with_guard(config: LinregConfig, callbacks: Sequence[Any], *, loss: Any = None) -> list[Any]:
    """Return ``callbacks`` behind a divergence guard, unless ``config.guard`` is off; ``loss``:
    the run's, whose squared error gives the guard its floor (the loss of predicting the targets'
    mean) on a ``--data`` file's targets."""
    if not config.guard:
        return list(callbacks)
    # data_checked: the synthetic data are refused if not finite, and so is a data file's X or y;
    # the floor is for a file's targets (heavy-tailed ones): the book's synthetic targets are
    # Gaussian, their first steps' loss a fair start, and watching them costs ~15 µs a step
    floor = loss if config.data is not None else None
    return [DivergenceGuard(config.lr, data_checked=True, loss=floor), *callbacks]


def _data(
    config: LinregConfig, gens: RunGenerators
) -> tuple[torch.Tensor, torch.Tensor, list[float] | None, float | None]:
    """Return the features (n, d), labels (n, 1) and the true w and b (``None`` for ``data``).

    See D2L §3.2.1 (the synthetic data: ``y = Xw + b + noise``).
    """
    if config.data is not None:
        from linearnets.data.regression_file import load_regression_file

        features, labels = load_regression_file(config.data)
        return features, labels, None, None
    weights, true_b, num_examples, noise_std = config.synthetic()
    features, labels = synthetic_data(
        torch.tensor(weights, dtype=_DTYPE),
        true_b,
        num_examples,
        noise_std=noise_std,
        generator=gens.data,
    )
    return features, labels, list(weights), true_b


def _closed_form(
    config: LinregConfig, features: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, float]:
    """Return the least-squares w (d,) and b, refusing data that has no unique solution."""
    # the reference first, before any training: data with no unique least-squares solution
    # (too few rows, repeated or constant columns) is refused up front
    if config.data is None:
        return closed_form(features, labels)
    from linearnets.data.regression_file import column_namer  # as the file was read, lazily

    try:
        return closed_form(features, labels, column=column_namer(config.data))
    except UsageError as exc:
        raise DatasetError(f"data={str(config.data)!r}: {exc}") from None


def _training_setup(
    config: LinregConfig, features: torch.Tensor, labels: torch.Tensor, gens: RunGenerators
) -> tuple[Any, Any, Any, Any]:
    """Return ``config.impl``'s (net, train_iter, loss, updater) for ``features`` (n, d), float32."""
    num_inputs = features.shape[1]
    if config.impl in ("scratch", "analytic"):
        # the hand-written iterator (§3.2.2), made re-iterable so each epoch reshuffles
        train_iter: Any = Reiterable(
            lambda: data_iter(config.batch_size, features, labels, generator=gens.data),
            length=-(-len(features) // config.batch_size),  # the last batch may be short
        )
        with default_dtype(_DTYPE):
            net: Any = LinearRegressionScratch(
                num_inputs, generator=gens.init, analytic=config.impl == "analytic"
            )
        return net, train_iter, squared_loss, SGD(net.parameters(), lr=config.lr)
    train_iter = load_array((features, labels), config.batch_size, generator=gens.data)
    with default_dtype(_DTYPE):
        net = linreg_concise(num_inputs, generator=gens.init)
    loss = nn.MSELoss(reduction="none")
    return net, train_iter, loss, torch.optim.SGD(net.parameters(), lr=config.lr)
