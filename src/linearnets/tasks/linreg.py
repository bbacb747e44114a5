"""A linear-regression run from a :class:`~linearnets.config.LinregConfig` (D2L §3.2–3.3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from linearnets.config import LinregConfig
from linearnets.data.synthetic import data_iter, load_array, synthetic_data
from linearnets.errors import (
    DatasetError,
    DivergenceError,
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
from linearnets.tasks.stopping import LARGE_FEATURES, complete_when_returned
from linearnets.training.callback_checks import check_callbacks
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import History, fit

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


@dataclass(frozen=True)
class LinregResult:
    """What a linear-regression run learned, next to the truth and the closed form.

    Attributes:
        impl, epochs: the config's.
        w, b: the learned weights (d values) and bias.
        true_w, true_b: those the synthetic data were drawn with (``None`` for a ``data`` file,
            whose truth is unknown).
        closed_w, closed_b: the least-squares solution (:func:`~linearnets.closed_form`).
        loss: the last epoch's training loss over the whole data set.
        history: every epoch's metrics, as :func:`~linearnets.fit` returns them.
        config: the run's effective settings.
        run_dir: the run folder (``None`` without ``config.out``).
        data_source: the ``data`` file, its examples and features, e.g.
            ``/abs/d.csv (200 examples, 3 features)``; ``"synthetic"`` for the book's data.

    See D2L §3.2.7 and §3.3.7.
    """

    impl: str
    epochs: int
    w: list[float]
    b: float
    true_w: list[float] | None  # None: the user's --data, whose truth is unknown
    true_b: float | None
    closed_w: list[float]
    closed_b: float
    loss: float
    history: History
    config: LinregConfig | None = field(default=None, repr=False)
    run_dir: Path | None = None
    data_source: str = "synthetic"

    def in_folder(self, run_dir: Path) -> LinregResult:
        """Return the result of the run kept in ``run_dir``."""
        return replace(self, run_dir=run_dir)

    @property
    def w_error(self) -> list[float] | None:
        """``true_w − w`` per weight (``None`` without a known truth)."""
        if self.true_w is None:
            return None
        return [t - v for t, v in zip(self.true_w, self.w, strict=True)]

    @property
    def b_error(self) -> float | None:
        """``true_b − b`` (``None`` without a known truth)."""
        return None if self.true_b is None else self.true_b - self.b

    @property
    def w_error_closed(self) -> list[float]:
        """``closed_w − w`` per weight."""
        return [t - v for t, v in zip(self.closed_w, self.w, strict=True)]

    @property
    def b_error_closed(self) -> float:
        """``closed_b − b``."""
        return self.closed_b - self.b

    def summary(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict."""
        return {
            "impl": self.impl,
            "epochs": self.epochs,
            "w": self.w,
            "b": self.b,
            "w_error": self.w_error,
            "b_error": self.b_error,
            "closed_form_w": self.closed_w,
            "closed_form_b": self.closed_b,
            "w_error_closed_form": self.w_error_closed,
            "b_error_closed_form": self.b_error_closed,
            "loss": self.loss,
            "history": [m.as_dict() for m in self.history.epochs],
            **({"run_dir": str(self.run_dir)} if self.run_dir is not None else {}),
        }


class Reiterable:
    """An iterable that calls ``make()`` for a fresh iterator on every pass (one pass per epoch)."""

    def __init__(self, make: Callable[[], Iterator[Any]]) -> None:
        self.make = make

    def __iter__(self) -> Iterator[Any]:
        return self.make()


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
    :func:`~linearnets.tasks.linreg_resume.resume_linreg` continues it exactly.

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
        from linearnets.tasks.linreg_run import run_in_folder

        return run_in_folder(config, callbacks=callbacks)
    setup = prepare_linreg(config)
    return train_linreg(setup, callbacks=with_guard(config, callbacks))


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


def prepare_linreg(config: LinregConfig) -> LinregSetup:
    """Pin the threads, seed every generator, make the data, the closed form and the model.

    The same ``config`` always gives the same setup: a resume makes it again, then loads the
    checkpoint's states into it. See D2L §3.2.1–3.2.3.
    """
    pin_threads(config.num_threads)
    gens = seed_everything(config.seed)
    features, labels, true_w, true_b = _data(config, gens)
    closed_w, closed_b = _closed_form(config, features, labels)
    net, train_iter, loss, updater = _training_setup(config, features, labels, gens)
    return LinregSetup(
        config, features, labels, true_w, true_b, closed_w, closed_b, net, train_iter, loss,
        updater, gens,
    )  # fmt: skip


def with_guard(config: LinregConfig, callbacks: Sequence[Any]) -> list[Any]:
    """Return ``callbacks`` behind a divergence guard, unless ``config.guard`` is off."""
    if not config.guard:
        return list(callbacks)
    # data_checked: the synthetic data are refused if not finite, and so is a data file's X or y
    return [DivergenceGuard(config.lr, data_checked=True), *callbacks]


def train_linreg(
    setup: LinregSetup,
    *,
    callbacks: Sequence[Any],
    start_epoch: int = 0,
    history: History | None = None,
) -> LinregResult:
    """Train ``setup`` for epochs ``start_epoch + 1 … config.epochs`` and compare with the truth.

    Args:
        setup: the prepared run (its states restored from a checkpoint when resuming).
        callbacks: every ``fit`` callback, the guard first (:func:`with_guard`).
        start_epoch: epochs already done.
        history: their metrics (extended in place).

    See D2L §3.2.7 and §3.3.7.
    """
    config, features = setup.config, setup.features
    try:
        history = fit(
            setup.net,
            setup.train_iter,
            setup.loss,
            setup.updater,
            config.epochs,
            train_eval_iter=[(features, setup.labels)],
            callbacks=callbacks,
            start_epoch=start_epoch,
            history=history,
        )
    except DivergenceError as exc:
        raise _with_scale_hint(exc, config, features) from None
    w, b = _weights(setup.net)
    return LinregResult(
        impl=config.impl,
        epochs=config.epochs,
        w=w,
        b=b,
        true_w=setup.true_w,
        true_b=setup.true_b,
        closed_w=setup.closed_w.tolist(),
        closed_b=setup.closed_b,
        loss=history.last.train_loss,
        history=history,
        config=config,
        data_source=_data_source(config, features),
    )


def _data_source(config: LinregConfig, features: torch.Tensor) -> str:
    """Return where the features (n, d) came from: the ``data`` file, its examples and features
    (as ``linearnets softmax`` names its file), or ``"synthetic"``."""
    if config.data is None:
        return "synthetic"
    num_examples, num_features = features.shape
    return (
        f"{Path(config.data).absolute()} ({num_examples} example{'s' * (num_examples != 1)}, "
        f"{num_features} feature{'s' * (num_features != 1)})"
    )


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
    try:
        return closed_form(features, labels)
    except UsageError as exc:
        if config.data is None:
            raise
        raise DatasetError(f"data={str(config.data)!r}: {exc}") from None


def _with_scale_hint(
    exc: DivergenceError, config: LinregConfig, features: torch.Tensor
) -> DivergenceError:
    """Return the guard's stop, advising too to standardise a data file's features (n, d) where
    they pass :data:`~linearnets.tasks.stopping.LARGE_FEATURES` in size.

    The largest step that converges falls with the features' size squared: at values of 1e3 a
    tenth of the book's lr, then a tenth of that, diverged again (five times over), and the first
    lr small enough left the small columns untrained.
    """
    low, high = torch.aminmax(features)  # no copy of the data, as abs() would make
    largest = max(-float(low), float(high))
    if config.data is None or not exc.resumable or not largest > LARGE_FEATURES:
        return exc  # a smaller lr (the advice given) is the fix, or the data's size is named
    hinted = DivergenceError(
        f"{exc}; or standardise the features, which reach {largest:.3g} in {config.data}, where "
        "the book's lr suits values of about 1: subtract each column's mean and divide by its "
        "standard deviation, e.g. X = (X - X.mean(0)) / X.std(0)"
    )
    hinted.resumable, hinted.grew = exc.resumable, exc.grew
    return hinted


def _training_setup(
    config: LinregConfig, features: torch.Tensor, labels: torch.Tensor, gens: RunGenerators
) -> tuple[Any, Any, Any, Any]:
    """Return ``config.impl``'s (net, train_iter, loss, updater) for ``features`` (n, d), float32."""
    num_inputs = features.shape[1]
    if config.impl in ("scratch", "analytic"):
        # the hand-written iterator (§3.2.2), made re-iterable so each epoch reshuffles
        train_iter: Any = Reiterable(
            lambda: data_iter(config.batch_size, features, labels, generator=gens.data)
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


def _weights(net: Any) -> tuple[list[float], float]:
    """Return the trained w (flattened to a list) and b of either implementation."""
    if isinstance(net, LinearRegressionScratch):
        return net.w.detach().reshape(-1).tolist(), float(net.b.detach())
    linear = net[0]
    return linear.weight.detach().reshape(-1).tolist(), float(linear.bias.detach())
