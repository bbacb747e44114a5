"""The book's training functions for :mod:`linearnets.d2l`: ``train_epoch_ch3`` and ``train_ch3``.

An optimizer is run by linearnets' own loop; the book's function ``updater(batch_size)`` by the
book's loop, with the same checks. ``train_ch3`` draws the book's curves and, outside Jupyter,
prints one line per epoch and saves the figure.

See D2L §3.6.6.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch

from linearnets._check_basics import refused_arguments
from linearnets._d2l_figures import (
    close_earlier_figures,
    figure_file,
    file_failure,
    in_notebook,
    remove_earlier_figure,
    warn_unsaved,
)
from linearnets._d2l_stop import Ch3Progress, keep_ch3_history
from linearnets._warn import warn
from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.batch_of_one import raise_batch_of_one
from linearnets.training.callbacks import format_epoch
from linearnets.training.empty_batches import check_some_batches
from linearnets.training.evaluation import (
    accuracy_named,
    batch_named,
    check_first_batch,
    name_later_error,
)
from linearnets.training.first_step import check_first_values
from linearnets.training.fit_hooks import hand_history
from linearnets.training.forward_diagnosis import raise_forward_error
from linearnets.training.history import History
from linearnets.training.interrupt import plain_stop
from linearnets.training.kept_grads import grads_kept, graph_leaves
from linearnets.training.loop import EpochMetrics, name_step_error, train_epoch
from linearnets.training.loop_checks import (
    check_batches,
    check_loss_object,
    check_net,
    check_net_before_batches,
    check_updater_object,
    is_optimizer,
)
from linearnets.training.loss_kinds import is_class_loss
from linearnets.training.model_diagnosis import NanScoresProbe
from linearnets.training.model_tensors import weight_sizes
from linearnets.training.nan_targets import TargetsWatch, watch_targets
from linearnets.training.step import compute_loss, raise_backward_error, unpack
from linearnets.training.totals import EpochTotals, NanContext, check_scores
from linearnets.validation import check_positive_int

__all__ = ["evaluate_accuracy", "train_ch3", "train_epoch_ch3"]


def _check_updater(updater: Any) -> None:
    """Raise unless ``updater`` is an optimizer (``zero_grad``/``step``) or the book's ``updater(batch_size)``."""
    check_updater_object(updater)
    if is_optimizer(updater):
        return
    if not callable(updater):
        raise UsageTypeError(
            f"updater must be an optimizer (e.g. torch.optim.SGD) or a function updater(batch_size), "
            f"got {type(updater).__name__}; pass e.g. torch.optim.SGD(net.parameters(), lr=0.1)"
        )
    refused = refused_arguments(updater, 1)
    if refused:
        signature = refused[0]
        name = getattr(updater, "__name__", type(updater).__name__)
        raise UsageTypeError(
            f"updater must be an optimizer or a function called as updater(batch_size), the book's "
            f"signature (D2L §3.6.6), got {name}{signature}, which cannot take one argument; define "
            "it as `def updater(batch_size): return d2l.sgd([W, b], lr, batch_size)`"
        ) from None


def _check_epochs_updater_order(num_epochs: Any, updater: Any) -> None:
    """Raise if ``train_ch3``'s last two arguments look swapped: an optimizer (or the book's
    ``updater`` function) as ``num_epochs`` and a number as ``updater``. A number that is no whole
    count of epochs (0.1) is told as the learning rate it looks like: swapped back, it was refused.

    Without this, the optimizer was refused as a number of epochs, with ``num_epochs=1`` as the fix.
    """
    if isinstance(num_epochs, bool | int | float | torch.Tensor) or not (
        is_optimizer(num_epochs) or callable(num_epochs)
    ):
        return
    value = _number(updater)
    if value is None:
        return
    given = type(num_epochs).__name__ if is_optimizer(num_epochs) else "a function"
    order = "train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)"
    if value > 0 and value.is_integer():  # swapping them back trains
        raise UsageTypeError(
            f"num_epochs and updater look swapped: got num_epochs={given} and updater={updater!r}; "
            f"pass them in the book's order, {order}, e.g. train_ch3(net, train_iter, test_iter, "
            f"loss, {int(value)}, updater)"
        )
    head = f"updater must be an optimizer or a function updater(batch_size), got num_epochs={given}"
    back = (
        f"pass a whole number of epochs, then the updater, in the book's order, {order}, e.g. "
        "train_ch3(net, train_iter, test_iter, loss, 10, updater)"
    )
    if not (value > 0 and math.isfinite(value)):  # no rate to train with either: no lr= advised
        raise UsageTypeError(
            f"{head} and updater={updater!r}, which is no number of epochs; the two look "
            f"swapped: {back}"
        )
    # a rate (0.1): swapped back, it would be refused as a number of epochs
    lr = repr(updater) if isinstance(updater, int | float) else f"{value:.6g}"
    rate = (
        f"torch.optim.SGD(net.parameters(), lr={lr})"
        if is_optimizer(num_epochs)
        else f"d2l.sgd([W, b], {lr}, batch_size) in updater's body"
    )
    raise UsageTypeError(
        f"{head} and updater={updater!r}, which looks like a learning rate, not a number of "
        f"epochs: the rate goes into the updater, {rate}; {back}"
    )


def _number(value: Any) -> float | None:
    """``value`` as a float where it is a real number, a Python one or a 0-d tensor of one (not a
    bool); else ``None``."""
    if isinstance(value, torch.Tensor):
        if value.ndim != 0 or value.dtype == torch.bool or value.is_complex():
            return None
        if value.is_meta:
            return None
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):  # NumPy's scalars too
        return None
    return float(value)


def train_epoch_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    updater: Any,
) -> tuple[float, float]:
    """Train for one epoch; return (mean loss, accuracy), the numbers the book's returns (D2L §3.6.6).

    ``updater`` is a ``torch.optim.Optimizer``, stepped on the gradient of the loss's mean (of a 0-d
    loss itself), or the book's function ``updater(batch_size)``, called after the summed loss's
    backward (it divides by the batch size). An optimizer (anything with ``zero_grad`` and ``step``,
    the scratch ``SGD`` too) is run by linearnets' own loop: the same updates, with metrics read
    without a sync per step: an epoch of the book's concise model in ~25% less time.

    The loss reported is the mean per example, as the book's: per-example losses (the book's
    ``reduction="none"``) are summed, ``float(l.sum())``, over the epoch's examples, k values per
    example (B, k) summed over them too. A 0-d loss is counted as what its loss says it is: a mean
    (torch's default ``reduction="mean"``, as in ``nn.CrossEntropyLoss()`` of the English releases
    before 1.0, whose loop adds ``float(l) * len(y)``) once per example, a sum
    (``reduction="sum"``) once. A plain function's 0-d value may be either: it is counted once, as
    the book's ``float(l.sum())`` counts it, so a function returning the batch mean reports mean / B;
    return per-example losses from it, or use a torch loss module. Both paths refuse bad batches,
    labels and losses with the same errors.
    """
    return _train_epoch_ch3(net, train_iter, loss, updater)


def _train_epoch_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    updater: Any,
    *,
    epoch: int | None = None,
) -> tuple[float, float]:
    """:func:`train_epoch_ch3`, told the ``epoch`` (from 1) that ``train_ch3`` runs, which NaN
    scores name (``None``: "in this epoch")."""
    call = "train_epoch_ch3(net, train_iter, loss, updater)"
    check_net_before_batches(net, train_iter, call=call)
    check_net(net, library="d2l")  # a model class or builder, before its first batch
    check_loss_object(loss, updater=updater, call=call)
    _check_updater(updater)
    check_batches("train_iter", train_iter, passes=1, library="d2l")  # the whole (X, y), a dataset
    check_some_batches("train_iter", train_iter)  # before the epoch, naming why (drop_last)
    scalar_loss = _scalar_loss(loss)
    if isinstance(net, torch.nn.Module):
        net.train()  # and left so, as the book's (evaluate_accuracy left it in eval mode)
    with _in_book_names():  # an empty batch's fix
        if is_optimizer(updater):
            train_loss, train_acc = train_epoch(
                net, train_iter, loss, updater, scalar_loss=scalar_loss, epoch=epoch
            )
        else:
            train_loss, train_acc = _train_epoch_with_function(
                net, train_iter, loss, updater, summed=scalar_loss == "sum", epoch=epoch
            )
    return train_loss, (train_acc if train_acc is not None else float("nan"))


@contextlib.contextmanager
def _in_book_names() -> Iterator[None]:
    """Tell a refusal raised inside with the book's ``d2l.load_array`` for ``ln.load_array``: a
    ``from linearnets import d2l`` session has no ``ln`` (an empty batch's fix, told by
    linearnets' own loop and evaluation, which the book's functions run). Only in a refusal that
    linearnets marks as naming it (``names_ln_load_array``): a ``UsageError`` of the caller's own
    (their model's, their loader's) is raised as they wrote it."""
    try:
        yield
    except UsageError as err:
        marked = getattr(err, "names_ln_load_array", False) is True
        if marked and err.args and isinstance(err.args[0], str):
            err.args = (err.args[0].replace("ln.load_array(", "d2l.load_array("), *err.args[1:])
        raise


def _scalar_loss(loss: Any) -> str:
    """Return how a 0-d value of ``loss`` is counted: ``"mean"`` (once per example) or ``"sum"`` (once).

    Only a torch loss says which a 0-d value is, by its ``reduction``: ``"sum"`` a batch's sum, any
    other (``"mean"``, ``"batchmean"``) a mean per example. ``"none"`` gives no 0-d value, and
    ``"sum"`` there keeps k values per example summed, as the book's ``float(l.sum())`` sums them;
    so does a plain function, whose 0-d value may be either.
    """
    reduction = getattr(loss, "reduction", None)
    return "mean" if isinstance(reduction, str) and reduction not in ("none", "sum") else "sum"


def _train_epoch_with_function(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    updater: Callable[[int], Any],
    *,
    summed: bool,
    epoch: int | None = None,
) -> tuple[float, float | None]:
    """The book's loop for a function ``updater(batch_size)``: backward of the summed loss, then the
    update, which divides by the batch size; with the optimizer path's checks (D2L §3.6.6).
    ``summed``: a 0-d loss is the batch's sum, counted once (see :func:`_scalar_loss`);
    ``epoch``: the epoch, from 1, NaN scores name, where known."""
    probe = NanScoresProbe(net)  # copies the first batch, to tell why scores came out NaN
    # for_loss, as the optimizer path's: a class-weighted mean counted by its Σ w[y], and the
    # loss's ignore_index named if a label is out of range
    context = NanContext(name="train_iter", training=True, net=net, batches=train_iter, epoch=epoch)
    totals = EpochTotals.for_loss(loss, summed=summed, nan_probe=probe, context=context)
    targets: TargetsWatch | None = None
    before: tuple[torch.Tensor, ...] | None = None  # the weights' sizes before the first update
    for step, batch in enumerate(train_iter):
        X, y = unpack(batch, name="train_iter", step=step, epoch=epoch)
        probe.keep(X)
        try:
            y_hat = net(X)
        except RuntimeError as err:
            raise_forward_error(net, X, err)
        except ValueError as err:  # a BatchNorm given a last batch of one example
            raise_batch_of_one(net, X, err, step=step, epoch=epoch, batches=train_iter)
        l = compute_loss(loss, y_hat, y)
        # a first batch refused before its update leaves each .grad as it was: the book's sgd
        # zeroes them only after its step, so the rerun would add its gradient to this one's;
        # the updater's own refusal too (d2l.sgd([W, b], batch_size, lr): lr and batch_size
        # swapped), which it makes before it changes a weight
        with grads_kept(graph_leaves(l)) if step == 0 else contextlib.nullcontext():
            _backward_checked(net, X, y, y_hat, l, loss, first=step == 0)
            if step == 0:  # (a warning made an error too)
                _warn_mean_loss(loss, l, y_hat, y)
            if step == 0 and epoch == 1:  # no update grew them yet where they are small
                before = weight_sizes(net)
            updater(X.shape[0])
        try:  # labels the loss skipped (its ignore_index, -100): this batch's, its update taken
            totals.add(y_hat, y, l)
        except UsageError as err:
            name_step_error(err, step=step, epoch=epoch, updated=True, batches=train_iter)
            raise
        if step == 0:  # class probabilities whose NaN would go unnamed
            targets = watch_targets(
                y_hat, y, loss, name="train_iter", epoch=epoch, batches=train_iter,
                weights_before=before,
            )  # fmt: skip
        if targets is not None:
            targets.add(y, l, X=X, y_hat=y_hat)
        del batch, X, y, y_hat, l  # free the batch's block for the next one (see train_epoch)
    if targets is not None:
        targets.finish()
    return totals.result("train_iter", None)


def _backward_checked(
    net: Callable[[torch.Tensor], torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    y_hat: torch.Tensor,
    l: torch.Tensor,
    loss: Any,
    *,
    first: bool,
) -> None:
    """Run the book's ``l.sum().backward()``; at an epoch's ``first`` step, check the batch's
    scores and losses before the update (see :func:`~linearnets.training.step.train_step`)."""
    try:
        l.sum().backward()
    except RuntimeError as err:
        if not y.is_floating_point():  # torch 2.11 fails a regression's int targets here
            check_scores(y_hat, y)
        raise_backward_error(net, err, (X, y))
    if first and not y.is_floating_point():
        # integer regression targets: refused before the first update
        check_scores(y_hat, y, classifier=is_class_loss(loss))
        check_first_values(net, X, y, y_hat, l, loss)  # NaN scores, a loss that cannot train


# each loss's verdict, told once: True where it is a batch mean (warned of), False otherwise
_MEAN_VERDICT: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _warn_mean_loss(loss: Any, l: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> None:
    """Warn, once per ``loss``, where its 0-d value ``l`` is the batch's mean: the book's
    ``updater(batch_size)`` divides by the batch size again, so each step is lr / B of the book's
    (on Fashion-MNIST, §3.6's model reaches a train accuracy of 0.19–0.25 after an epoch
    instead of 0.75), silently. The numbers trained are left as they are. A per-example loss (the
    book's) or a sum warns nothing.

    Each loss is judged once, its verdict kept before it is probed: a module by its
    ``reduction``, without a call; a function by calling it on two rows and on each alone (see
    :func:`_averages`), once in all, with torch's random state put back after, so a loss that
    draws random numbers or counts its calls trains as it would without the check. A loss that
    cannot be weakly referenced is not judged."""
    B = len(y)
    if l.ndim != 0 or B < 2:  # per-example values, or a batch of one: mean = sum
        return
    try:
        if loss in _MEAN_VERDICT:
            return
        _MEAN_VERDICT[loss] = False  # recorded before the probe: never judged twice
    except TypeError:  # no weak reference: not judged, rather than probed at every epoch
        return
    reduction = getattr(loss, "reduction", None)
    module = isinstance(reduction, str)
    if module and reduction in ("none", "sum"):
        return
    if not module and not _averages(loss, y_hat, y):
        return
    _MEAN_VERDICT[loss] = True
    if module:
        what = f"the loss is already averaged over the batch ({type(loss).__name__}'s reduction={reduction!r})"
        fix = (
            f"pass {type(loss).__name__}(reduction='none'), per-example losses, as the book does "
            "(D2L §3.7), or step with torch.optim.SGD(params, lr), which takes a mean"
        )
    else:
        what = "the loss function is already averaged over the batch (it gives the batch's mean)"
        fix = (
            "return per-example losses from it, as the book's cross_entropy does, "
            "-torch.log(y_hat[range(len(y_hat)), y]) without .mean() (D2L §3.6.4); the loss shown "
            "per epoch is that mean divided by the batch size too"
        )
    warn(
        f"{what}: if your updater divides by batch_size, as the book's sgd does (lr * grad / "
        f"batch_size), each step is lr/batch_size of the book's (lr/{B} here) and the model "
        f"trains far slower than the book's; {fix}",
        UserWarning,
    )


def _averages(loss: Any, y_hat: torch.Tensor, y: torch.Tensor) -> bool:
    """Return whether the plain function ``loss`` gives two examples' mean (not their sum): told by
    its value on the first two rows of ``y_hat`` and ``y`` and on each alone. torch's random state
    (the CPU's, and ``y_hat``'s device's) is put back after, so the calls draw nothing the
    training would have drawn."""
    try:
        with _random_state_kept(y_hat.device), torch.no_grad():
            both = float(loss(y_hat[:2].detach(), y[:2]))
            alone = float(loss(y_hat[:1].detach(), y[:1])) + float(
                loss(y_hat[1:2].detach(), y[1:2])
            )
    except Exception:  # no 0-d value on fewer rows: not told
        return False
    if not (math.isfinite(both) and math.isfinite(alone)) or alone == 0:
        return False
    return math.isclose(both, alone / 2, rel_tol=1e-4) and not math.isclose(
        both, alone, rel_tol=1e-4
    )


def _random_state_kept(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """A context that puts torch's random state back on leaving: the CPU's, and ``device``'s
    where it is a CUDA device (another kind's generator is left as it is)."""
    if device.type == "cuda":
        return torch.random.fork_rng(devices=[device])
    return torch.random.fork_rng(devices=[])


def evaluate_accuracy(net: Callable[[torch.Tensor], torch.Tensor], data_iter: Any) -> float:
    """Return the accuracy of ``net`` over ``data_iter``, a ratio in [0, 1] (D2L §3.6.5).

    As the book's, it leaves an ``nn.Module`` in eval mode (``train_epoch_ch3`` switches it back):
    after ``train_ch3`` a model with dropout predicts the same way twice, as in the book.
    :func:`linearnets.evaluate_accuracy` puts the model's mode back instead.
    """
    with batch_named("data_iter"):  # (train_ch3 names test_iter's batch and epoch itself)
        return _accuracy_ch3("data_iter", net, data_iter)


def _accuracy_ch3(
    name: str,
    net: Callable[[torch.Tensor], torch.Tensor],
    data_iter: Any,
    *,
    epoch: int | None = None,
) -> float:
    """:func:`evaluate_accuracy` naming ``data_iter`` as ``name`` in its errors, after ``epoch``."""
    check_net(net, library="d2l")  # a model class or builder, in the book's names
    check_batches(name, data_iter, passes=1, library="d2l")  # its fix in the book's names
    with _in_book_names():  # an empty batch's fix
        acc = accuracy_named(name, net, data_iter, epoch=epoch)
    if isinstance(net, torch.nn.Module):
        net.eval()
    return acc


def train_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    test_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    num_epochs: int,
    updater: Any,
) -> None:
    """Train a model and draw the curves; print one line per epoch outside Jupyter (D2L §3.6.6).

    Outside Jupyter the curves are also written to ``train_ch3.png`` (and ``.svg``) in the working
    directory, rewritten after each epoch; a failure to write them (a full disk) is one warning, and
    the training goes on. An earlier call's files there are removed when the training starts, so a
    call that fails before its first epoch is drawn leaves none that would pass for its curves.

    Returns ``None``, as the book's does, so a notebook cell ending in it shows only the figure. The
    book's closing asserts on the final metrics are left out: the curves (and, outside Jupyter, the
    printed lines) show them, and :func:`linearnets.fit` returns them as a history.
    """
    from linearnets.plotting import Animator

    _check_epochs_updater_order(num_epochs, updater)
    check_net_before_batches(
        net, train_iter, call="train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)"
    )
    check_net(net, library="d2l")
    num_epochs = check_positive_int("num_epochs", num_epochs)
    check_loss_object(
        loss,
        updater=updater,
        call="train_ch3(net, train_iter, test_iter, loss, num_epochs, updater)",
    )
    _check_updater(updater)
    check_batches("train_iter", train_iter, passes=num_epochs, library="d2l")
    check_batches("test_iter", test_iter, passes=num_epochs, library="d2l")
    # before the first epoch: an empty test_iter was found after it, named evaluate's data_iter
    check_some_batches("train_iter", train_iter)
    check_some_batches("test_iter", test_iter)
    # its first batch before any step: a bad one was told after epoch 1, as if train_iter's
    with _in_book_names():
        check_first_batch("test_iter", net, test_iter, train_iter=train_iter)
    notebook = in_notebook()
    out = figure_file("train_ch3.png", notebook)
    if out is not None:
        remove_earlier_figure(out)
    if not notebook:  # the figures earlier calls left in pyplot (see close_earlier_figures)
        close_earlier_figures(_CURVES_LABEL)
    animator = Animator(
        xlabel="epoch",
        # the book's [1, num_epochs]; for one epoch that range is empty (matplotlib warns), so widen it
        xlim=[1, num_epochs] if num_epochs > 1 else [0.5, 1.5],
        ylim=[0.3, 0.9],
        legend=["train loss", "train acc", "test acc"],
        out=out,
        # no file in a script: figure_file said why, the Animator need not say it again
        mode="none" if out is None and not notebook else "auto",
    )
    animator.fig.set_label(_CURVES_LABEL)
    history = History()  # the finished epochs' metrics, handed to the error that stops it
    progress = Ch3Progress()  # the epochs trained and drawn, for a Ctrl-C's note
    try:
        _epochs_ch3(
            net, train_iter, test_iter, loss, num_epochs, updater,
            animator=animator, out=out, notebook=notebook, history=history, progress=progress,
        )  # fmt: skip
    except KeyboardInterrupt as exc:
        if plain_stop(exc):
            keep_ch3_history(exc, history, num_epochs=num_epochs, progress=progress)
        raise
    except Exception as exc:  # a bad later batch, a blow-up: the finished epochs, as fit's errors
        hand_history(exc, history)
        raise


# the label of train_ch3's figure in pyplot, by which the next call outside a notebook finds it
_CURVES_LABEL = "d2l.train_ch3"


def _epochs_ch3(
    net: Callable[[torch.Tensor], torch.Tensor],
    train_iter: Iterable[Sequence[torch.Tensor]],
    test_iter: Iterable[Sequence[torch.Tensor]],
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    num_epochs: int,
    updater: Any,
    *,
    animator: Any,
    out: str | None,
    notebook: bool,
    history: History,
    progress: Ch3Progress,
) -> None:
    """:func:`train_ch3`'s epochs: train, test, draw, and outside Jupyter print; each tested
    epoch's metrics appended to ``history``, the epochs trained and drawn counted in
    ``progress`` (a Ctrl-C in epoch k's test pass finds epoch k trained, its weights kept)."""
    warned = False
    for epoch in range(num_epochs):
        start = time.perf_counter()
        train_loss, train_acc = _train_epoch_ch3(net, train_iter, loss, updater, epoch=epoch + 1)
        progress.trained = epoch + 1
        # named as train_ch3's: its empty batch was told as evaluate_accuracy's data_iter's
        try:
            test_acc = _accuracy_ch3("test_iter", net, test_iter, epoch=epoch + 1)
        except UsageError as err:  # a later batch than the first, checked before training
            name_later_error(err, "test_iter", epoch=epoch + 1)
            raise
        # recorded before it is drawn: a Ctrl-C while drawing finds the epoch finished
        metrics = EpochMetrics(
            epoch + 1, train_loss, train_acc, None, test_acc, time.perf_counter() - start
        )
        history.epochs.append(metrics)
        try:
            animator.add(epoch + 1, (train_loss, train_acc, test_acc))
        except (OSError, UsageError) as exc:
            # the file is our convenience, not the book's: a full disk costs the file, not the run
            if out is None or not file_failure(exc, out):
                raise
            if not warned:
                warn_unsaved(out, exc)
                warned = True
        progress.drawn = epoch + 1
        if not notebook:
            print(format_epoch(metrics), flush=True)
