"""Train a prepared linear-regression run and read off what it learned (D2L §3.2.7, §3.3.7)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from linearnets._paths import absolute_path
from linearnets._text import shown_path
from linearnets.config import LinregConfig
from linearnets.errors import DivergenceError
from linearnets.models.scratch import LinearRegressionScratch
from linearnets.tasks.linreg_result import LinregResult
from linearnets.training.guard_floor import squared_scale
from linearnets.training.guard_messages import smaller, smaller_lr, suggestion
from linearnets.training.loop import History, fit

if TYPE_CHECKING:
    from linearnets.tasks.linreg import LinregSetup

__all__ = ["data_source", "train_linreg"]

# how many times a standardised bound must pass the features' own for their scale to be what makes
# it small, where the lr is past the standardised bound too
SCALED = 10.0


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
        raise _with_scale_hint(exc, config, features, loss=setup.loss) from None
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
        data_source=data_source(config, features),
    )


def data_source(config: LinregConfig, features: torch.Tensor) -> str:
    """Return where the features (n, d) came from: the ``data`` file, its examples and features
    (as ``linearnets softmax`` names its file), or ``"synthetic"``: ``config.json``'s
    ``data_source`` and ``results.json``'s, one value, as softmax's are."""
    if config.data is None:
        return "synthetic"
    num_examples, num_features = features.shape
    path = shown_path(absolute_path(config.data))
    return (
        f"{path} ({num_examples} example{'s' * (num_examples != 1)}, "
        f"{num_features} feature{'s' * (num_features != 1)})"
    )


def _with_scale_hint(
    exc: DivergenceError, config: LinregConfig, features: torch.Tensor, *, loss: Any
) -> DivergenceError:
    """Return the guard's stop, advising too to standardise a data file's features (n, d) where
    their scale alone makes SGD unstable at the run's lr and standardised they are stable at it.

    SGD on the squared loss s·(ŷ − y)², averaged over a batch, has the curvature 2s·λ_max and is
    unstable once lr · λ_max > 1 / s, λ_max the largest eigenvalue of E[x̃x̃ᵀ], x̃ = (x, 1): lr
    below 2 / λ_max for the book's ½(ŷ − y)² (scratch, s = ½), below 1 / λ_max for
    ``nn.MSELoss``'s (ŷ − y)² (concise, s = 1), ``loss`` saying which. Ages of 20–60 (λ_max
    about 1.9e3) diverged at the book's lr and at a tenth of it, and the first stable lr trains
    the small columns slowly. Standardised, λ_max is that of the columns' correlations (at least
    1), which the book's lr suits; an lr past that bound too (10) is hinted as well where the
    scale makes the features' bound :data:`SCALED` times smaller or more, and told it is past
    the standardised one. Where the guard's smaller lr is past the bound (prices in the
    thousands: a tenth of 0.03 against a bound of 1.5e-07), standardising leads, then an lr
    under the bound, which a start over's advice names too and the stop carries
    (:attr:`~linearnets.errors.DivergenceError.lr`) for the resume a run folder names: never an
    lr the message knows to diverge.
    """
    named = not exc.resumable and not exc.grew  # the data's size, or the updates before a resume
    scale = squared_scale(loss)  # s: ½ or 1 (None: no squared loss, no such bound)
    if config.data is None or named or scale is None:
        return exc  # the data's size is named, or a resume's weights give the loss
    raw, standardised = _curvatures(features)
    limit = 1.0 / scale  # lr · λ_max below it is stable
    top, smallest = _batch_curvature(features, config.batch_size)
    top_standardised, _ = _batch_curvature(features, config.batch_size, standardised=True)
    # past the whole data's bound, which standardising would bring the lr under or raise
    # SCALED-fold at least (an lr of 10 at ages of 20–60: a tenth of it, the guard's 0.5, is past
    # their bound too, and was advised with no word of it); or under it, but past the batches'
    # (an outlier), where standardised every batch's step would be stable, or far less curved
    whole = config.lr * raw > limit and (
        config.lr * standardised < limit or raw >= SCALED * standardised
    )
    batch = config.lr * top > limit and (
        config.lr * top_standardised <= limit or top >= SCALED * top_standardised
    )
    if not whole and not batch:
        return exc  # the lr alone explains it (too large for standardised features too), or not
    low, high = torch.aminmax(features)  # no copy of the data, as abs() would make
    largest = max(-float(low), float(high))
    which = "½(ŷ − y)²" if scale == 0.5 else "(ŷ − y)²"
    bound = limit / raw
    sure = limit / top  # every batch's step is stable below it
    largest_norms = f"the mean of the {smallest} largest" if smallest > 1 else "the largest"
    batches = (
        f"batches of {config.batch_size}"
        + (f" (the last of {smallest})" if smallest < min(config.batch_size, len(features)) else "")
        + f" ({limit:g} / {top:.4g}, {largest_norms} ‖x̃‖², which bounds any batch's λ_max)"
    )
    standardise = (
        f"standardise the features, which reach {largest:.3g} in {shown_path(config.data)}: at "
        f"their scale SGD is stable only for lr below {bound:.3g} ({limit:g} / λ_max for the loss "
        f"{which}, λ_max = {raw:.4g} the largest eigenvalue of the mean of x̃x̃ᵀ, x̃ = (x, 1)), "
        f"and sure to be stable only below {sure:.3g} with {batches}"
    )
    # standardised, as at their scale, 2 / λ_max of the whole data is only necessary: the
    # batches' bound is what a run below is sure of (ages at lr 1.9, under 1.98, diverged); an lr
    # past it is told so, standardising alone being no fix
    sure_standardised = limit / top_standardised
    standardised_fix = (
        f"standardised only for lr below {limit / standardised:.3g}, sure to be stable only "
        f"below {sure_standardised:.3g} with batches of {config.batch_size}"
        + (f" ({config.lr:g} is past that too)" if config.lr >= sure_standardised else "")
        + ": subtract each column's mean "
        "and divide by its standard deviation, e.g. X = (X - X.mean(0)) / X.std(0)"
    )
    tenth = smaller_lr(config.lr)
    # the guard's smaller lr would diverge too, or is not sure not to (an outlier's batch): an lr
    # under the batches' bound is advised instead, and the guard's is named with where it came
    # from, as its advice is no longer in the text
    past = sure <= tenth
    fails = "would diverge too" if bound <= tenth else "is not sure to be stable either"
    lowered = (
        f"a tenth of the lr, {tenth:g},"
        if tenth == config.lr / 10
        else f"a smaller lr such as {tenth:g}"
    )
    below = 10 ** (math.ceil(math.log10(sure)) - 1)  # a round lr under the batches' bound
    under = f"a learning rate (lr) below {sure:.3g}, e.g. {below:g}"
    before, advised, after = str(exc).partition(suggestion(config.lr))
    if past and advised and (not after or after.startswith(", and check")):
        # the advice ends the guard's text: standardising leads, then an lr under the bound
        message = (
            f"{before}{standardise}, so {lowered} {fails}, and "
            f"{standardised_fix}; or keep their scale and try {under}, which trains some weights "
            f"slowly{after}"
        )
    else:
        # an advice worded otherwise (a start over) is kept, its lr under the bound where the
        # guard's would pass it
        text, tenth_said = str(exc), smaller(config.lr)
        told = f" {fails}{'' if tenth_said in text else f': try {under}'}"
        too = f" (so {lowered}{told})" if past else ""
        text = text.replace(tenth_said, under) if past else text
        message = (
            f"{text}; or {standardise}, which trains some weights slowly{too}, and "
            f"{standardised_fix}"
        )
    hinted = DivergenceError(message)
    hinted.resumable, hinted.grew = exc.resumable, exc.grew
    hinted.lr = below if past else exc.lr  # the resume a run folder names takes it too
    return hinted


def _batch_curvature(
    features: torch.Tensor, batch_size: int, *, standardised: bool = False
) -> tuple[float, int]:
    """Return a bound on λ_max of every minibatch's mean x̃x̃ᵀ, x̃ = (x, 1), for ``features``
    (n, d) in batches of ``batch_size`` (the last may be short), and the smallest batch's size b.

    λ_max of (1/b) Σ x̃_i x̃_iᵀ is at most its trace (1/b) Σ ‖x̃_i‖², at most the mean of the b
    largest ‖x̃_i‖² of the data (b the smallest batch: the mean of the k largest falls as k
    grows). Below 2 / that bound (½(ŷ − y)²) every step of SGD is a contraction, I − lr·H with
    ‖·‖ ≤ 1, whatever the shuffle: sufficient, where 2 / λ_max of the whole data's mean x̃x̃ᵀ is
    only necessary (a batch holding an outlier is far more curved than the data's mean).

    Args:
        standardised: of the features standardised (each column's mean subtracted, divided by
            its standard deviation; a constant column centred only), as the advice would make them.
    """
    n = features.shape[0]
    smallest = min(batch_size, n) if n % batch_size == 0 else n % batch_size
    X = features.detach().to("cpu", torch.float64)  # (n, d)
    if standardised:
        sd = X.std(0, unbiased=False)  # (d,)
        X = (X - X.mean(0)) / torch.where(sd == 0, 1.0, sd)
    norms = X.square().sum(1) + 1.0  # (n,): ‖x̃_i‖²
    return float(torch.topk(norms, smallest).values.mean()), smallest


def _curvatures(features: torch.Tensor) -> tuple[float, float]:
    """Return λ_max of E[x̃x̃ᵀ], x̃ = (x, 1), for ``features`` (n, d) as they are and standardised
    (a constant column centred to 0), in float64: the squared loss's largest curvature."""
    X = features.detach().to("cpu", torch.float64)  # (n, d)
    mean = X.mean(0)  # (d,)
    centred = X - mean  # (n, d)
    cov = centred.T @ centred / X.shape[0]  # (d, d)
    moment = torch.ones(X.shape[1] + 1, X.shape[1] + 1, dtype=torch.float64)  # (d + 1, d + 1)
    moment[:-1, :-1] = cov + torch.outer(mean, mean)
    moment[:-1, -1] = moment[-1, :-1] = mean
    sd = cov.diagonal().sqrt()
    sd[sd == 0] = 1.0
    corr = cov / torch.outer(
        sd, sd
    )  # (d, d); x̃'s second moment standardised is [[corr, 0], [0, 1]]
    raw = float(torch.linalg.eigvalsh(moment)[-1])
    return raw, max(1.0, float(torch.linalg.eigvalsh(corr)[-1]))


def _weights(net: Any) -> tuple[list[float], float]:
    """Return the trained w (flattened to a list) and b of either implementation."""
    if isinstance(net, LinearRegressionScratch):
        return net.w.detach().reshape(-1).tolist(), float(net.b.detach())
    linear = net[0]
    return linear.weight.detach().reshape(-1).tolist(), float(linear.bias.detach())
