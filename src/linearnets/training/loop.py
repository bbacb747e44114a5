"""The one training loop every model shares: scratch or concise, regression or classification (D2L §3.6.6).

A step reads top to bottom: forward → per-example loss → zero_grad → backward (autograd, or the model's
analytic gradient) → step. The loop returns a :class:`History`; printing, plotting and saving happen in
callbacks (:mod:`linearnets.training.callbacks`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.backward import backward_scaled
from linearnets.training.distributed import DistContext
from linearnets.training.history import EpochMetrics, History
from linearnets.training.updaters import Updater, streamlined
from linearnets.validation import (
    check_label_range,
    check_label_tensor,
    check_no_nan_scores,
    check_positive_int,
)

__all__ = [
    "EpochMetrics",
    "History",
    "Updater",
    "evaluate",
    "evaluate_accuracy",
    "fit",
    "train_epoch",
]

Net = Callable[[torch.Tensor], torch.Tensor]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Batches = Iterable[Sequence[torch.Tensor]]


def _set_mode(net: Net, training: bool) -> bool:
    """Switch ``net`` to train/eval mode if it has one; return the mode it was in."""
    was = bool(getattr(net, "training", True))
    if hasattr(net, "train"):
        net.train(training)
    return was


def _is_classification(y: torch.Tensor) -> bool:
    return not y.is_floating_point()


def _unpack(
    batch: Sequence[torch.Tensor], *, allow_empty: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, list | tuple) or len(batch) != 2:
        raise UsageError(
            f"each batch must be a pair (X, y), got {type(batch).__name__} of length "
            f"{len(batch) if hasattr(batch, '__len__') else '?'}; yield (features, labels) from the iterator"
        )
    X, y = batch
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise UsageTypeError(
            f"each batch must be a pair of tensors (X, y), got ({type(X).__name__}, "
            f"{type(y).__name__}); convert them with torch.as_tensor"
        )
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise UsageError(
            f"each batch must hold one label per example, got X of shape {tuple(X.shape)} and y of "
            f"shape {tuple(y.shape)}; yield (features, labels) of the same examples"
        )
    if X.shape[0] == 0 and not allow_empty:
        raise UsageError("each batch must hold at least one example, got an empty batch (0 rows)")
    return X, y


def train_step(
    net: Net,
    X: torch.Tensor,
    y: torch.Tensor,
    loss: Loss,
    updater: Updater,
    *,
    scale: float,
    dist: DistContext | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run one update and return ``(y_hat, l)``; ``l`` holds per-example losses, detached.

    ``y_hat`` may still name its ``grad_fn`` (its graph was consumed by ``backward``, so it holds no
    saved tensors): detaching it costs an op per step, and only a classifier's metrics keep it (they
    detach it then).

    ``scale`` turns the summed loss into the objective whose gradient is applied: ``1 / B`` gives the
    batch mean, as ``loss.mean().backward()`` does. An ``analytic`` model trained on its own loss
    (``net.analytic_loss``) runs its fused ``analytic_step``; with another loss, its
    ``analytic_backward``. In a data-parallel run ``scale`` is
    ``world_size / global_B``, so that averaging the gradients over processes gives the global mean.
    """
    if getattr(net, "analytic", False) and loss is getattr(net, "analytic_loss", None):
        # the model computes output, losses and gradient in one pass (one softmax, not two)
        updater.zero_grad()
        y_hat, l = net.analytic_step(X, y, scale=scale)  # type: ignore[attr-defined]
    elif getattr(net, "analytic", False):
        with torch.no_grad():
            y_hat = net(X)
            l = loss(y_hat, y)
        updater.zero_grad()
        net.analytic_backward(X, y_hat, y, scale=scale)  # type: ignore[attr-defined]
    else:
        y_hat = net(X)
        _check_targets_shape(y_hat, y, loss)
        l = loss(y_hat, y)
        updater.zero_grad()
        # l.backward(full_like(l, scale)), minus its Python checks; a loss already reduced to the
        # batch mean (0-d) is scaled back to the sum first: d(scale · B · mean)/d mean = scale · B
        backward_scaled(l, scale if l.ndim else y.shape[0] * scale)
        # (DistributedDataParallel averages the gradients over processes during backward)
    if dist is not None and dist.enabled and not isinstance(net, DistributedDataParallel):
        dist.average_gradients(net.parameters())  # type: ignore[attr-defined]
    updater.step()
    return y_hat, _detached(l)


def _check_targets_shape(y_hat: torch.Tensor, y: torch.Tensor, loss: Loss | None) -> None:
    """Raise if regression outputs and targets of different shapes would broadcast in the loss.

    ``nn.MSELoss`` on outputs (B, 1) and targets (B,) compares every output with every target,
    (B, B) pairs, with only a warning: the model then learns the targets' mean. Checked for torch's
    loss modules; a loss function (the book's ``squared_loss`` reshapes y itself) answers for its own.
    """
    if not y.is_floating_point() or y_hat.shape == y.shape or not isinstance(loss, nn.Module):
        return  # class labels, matching shapes, or a loss function: nothing to check
    try:
        shape = torch.broadcast_shapes(y_hat.shape, y.shape)
    except RuntimeError:
        return  # the loss will say the shapes do not fit
    if shape != y_hat.shape or shape != y.shape:
        raise UsageError(
            f"the targets y must have the model's output shape {tuple(y_hat.shape)}, got "
            f"{tuple(y.shape)}, which would broadcast to {tuple(shape)} in the loss; reshape them "
            f"with y.reshape({', '.join(str(d) for d in y_hat.shape)}) (e.g. labels.reshape(-1, 1))"
        )


@torch.no_grad()
def _check_same_loss(net: Net, loss: Loss, X: torch.Tensor, y: torch.Tensor) -> None:
    """Raise unless ``loss`` gives an analytic model's own loss values on this batch.

    The model applies the gradient of its own loss whatever loss is passed (which then only reports):
    a wrapper of the same loss, or ``nn.CrossEntropyLoss()`` for softmax, trains the same model, but
    ``nn.L1Loss``, ``nn.MSELoss`` (twice the book's squared loss), a weighted or smoothed
    cross-entropy or a summed loss would report one objective while following another.
    """
    if not X.shape[0]:
        return
    own_loss = net.analytic_loss  # type: ignore[attr-defined]
    y_hat = net(X)
    given, own = loss(y_hat, y), own_loss(y_hat, y)
    if given.ndim == 0:
        own = own.mean()
    if given.shape != own.shape or not torch.allclose(
        given.double(), own.double(), rtol=1e-4, atol=1e-6
    ):
        name = getattr(loss, "__name__", type(loss).__name__)
        raise UsageError(
            f"loss must give the analytic model's own loss ({own_loss.__name__}), whose gradient it "
            f"applies whatever loss is passed; got {name}, which differs on the first batch "
            f"({float(given.double().mean()):.4g} against {float(own.double().mean()):.4g}); pass "
            "loss=net.analytic_loss, or build the model with analytic=False to train this loss "
            "with autograd"
        )


def _detached(t: torch.Tensor) -> torch.Tensor:
    """Return ``t`` cut from the autograd graph; a tensor outside any graph is returned as is (a
    ``detach()`` per step is a dispatched op, and the analytic path's outputs have no graph)."""
    return t.detach() if t.requires_grad else t


def _global_batch_size(train_iter: Batches, step: int, local: int, dist: DistContext | None) -> int:
    """Return the number of examples in this step summed over every process."""
    if dist is None or not dist.enabled:
        return local
    known = getattr(train_iter, "global_batch_size", None)
    if known is not None:
        return int(known(step))
    return int(dist.all_reduce_sum(torch.tensor([local]))[0])


def train_epoch(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    *,
    on_step: Callable[[int, torch.Tensor], None] | None = None,
    dist: DistContext | None = None,
) -> tuple[float, float | None]:
    """Train ``net`` for one pass over ``train_iter``; return (mean loss, accuracy or ``None``).

    Args:
        net: a callable with ``parameters()``: a scratch model or an ``nn.Module``.
        train_iter: yields ``(X, y)`` batches.
        loss: per-example loss (``reduction='none'``); a mean-reduced loss also works, and a torch
            loss with ``reduction='sum'`` trains with the sum's gradient, as the book's does, and
            reports the mean per example (in one process; data-parallel runs need per-example or
            mean losses).
        updater: ``torch.optim.SGD``, the scratch ``SGD``, or anything with ``zero_grad``/``step``.
        on_step: called after each step with (step index, per-example losses), e.g. a divergence guard.
        dist: the data-parallel context; metrics are then summed over every process.

    The loss and accuracy of a step are read a few steps later (in groups, see ``_Totals``), so an
    iterator must not overwrite a batch it has yielded in place, nor a model its previous output;
    none of PyTorch's or linearnets' do.

    See D2L §3.6.6.
    """
    was_training = _set_mode(net, True)
    totals = _Totals.for_loss(loss)
    allow_empty = dist is not None and dist.enabled
    other_loss = getattr(net, "analytic", False) and loss is not getattr(net, "analytic_loss", None)
    updater = streamlined(updater)  # a plain torch.optim.SGD without its ~40 µs a step of Python
    try:  # restore the mode even when a batch or a hook (e.g. the divergence guard) raises
        step = -1
        for batch in train_iter:  # not enumerate(): its reused tuple would keep the last batch
            step += 1
            X, y = _unpack(batch, allow_empty=allow_empty)
            if other_loss and step == 0:
                _check_same_loss(net, loss, X, y)
            scale = 1.0 / max(_global_batch_size(train_iter, step, y.shape[0], dist), 1)
            if dist is not None:
                scale *= dist.world_size
            y_hat, l = train_step(net, X, y, loss, updater, scale=scale, dist=dist)
            if on_step is not None:
                on_step(step, l)
            totals.add(y_hat, y, l)
            # let go of the batch before the iterator builds the next one: the allocator can then
            # hand it the block just freed, still in cache (~5% of a softmax epoch on a CPU)
            del batch, X, y, y_hat, l
    finally:
        _set_mode(net, was_training)
    return totals.result("train_iter", dist)


@torch.no_grad()
def evaluate(
    net: Net, data_iter: Batches, loss: Loss | None = None, *, dist: DistContext | None = None
) -> tuple[float | None, float | None]:
    """Return ``(mean loss or None, accuracy or None)`` of ``net`` over ``data_iter``, in eval mode.

    See D2L §3.6.5.
    """
    was_training = _set_mode(net, False)
    totals = _Totals.for_loss(loss)
    try:
        for batch in data_iter:
            X, y = _unpack(batch, allow_empty=dist is not None and dist.enabled)
            y_hat = net(X)
            _check_targets_shape(y_hat, y, loss)
            totals.add(y_hat, y, loss(y_hat, y) if loss is not None else None)
            del batch, X, y, y_hat  # free the batch's block for the next one (see train_epoch)
    finally:
        _set_mode(net, was_training)
    mean_loss, acc = totals.result("data_iter", dist)
    return (mean_loss if loss is not None else None), acc


def _check_scores(y_hat: torch.Tensor, y: torch.Tensor) -> None:
    """Check a classifier's output (B, C) against its labels (B,) before they are stashed.

    Shapes only, no tensor op: labels (B, 1) would broadcast against the predictions (B,) and count
    up to B² "correct" rows.
    """
    if y.ndim != 1 or y.dtype == torch.bool:
        check_label_tensor("y", y)  # raises the readable error
    if y_hat.ndim != 2 or y_hat.shape[0] != y.shape[0]:
        raise UsageError(
            f"a classifier's output must be scores of shape (B, C), one row per label, got shape "
            f"{tuple(y_hat.shape)} for {y.shape[0]} labels; return one row of C scores per example"
        )


def _predicted(y_hat: torch.Tensor) -> torch.Tensor:
    """Return the argmax class of each row of ``y_hat`` (B, q), first one on ties.

    ``max(dim=1).indices`` rather than ``argmax``: the same indices, but ~5x faster when ``y_hat`` is a
    transposed view (the scratch model's logits), where ``argmax`` takes a slow strided path.
    """
    return y_hat.max(dim=1).indices


def _joined(parts: list[torch.Tensor]) -> torch.Tensor:
    """Return the tensors concatenated along dim 0 (the one tensor itself, uncopied, if alone)."""
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def _flat(parts: list[torch.Tensor]) -> torch.Tensor:
    """Return the tensors' values in one tensor: one ``cat`` when they share their trailing shape."""
    first = parts[0]
    if all(p.shape[1:] == first.shape[1:] for p in parts):
        return _joined(parts)
    return torch.cat([p.reshape(-1) for p in parts])


class _Totals:
    """Running (loss sum, correct, count) of an epoch, kept as tensors so no step waits on a device.

    A step only stashes its per-example losses, outputs and labels (no tensor op); every
    ``_STASH_STEPS`` steps, ``_STASH_ROWS`` examples or ``_STASH_VALUES`` output values, whichever
    comes first, the stash is reduced in one go: one ``cat`` and one float64 sum for the losses, one
    argmax over all the stashed rows for the accuracy. That costs a fraction of the five small
    reductions a step would otherwise pay (~25 µs a step on a CPU, about a tenth of a softmax step),
    and bounds the outputs held at a time.
    """

    _STASH_STEPS = 64
    _STASH_ROWS = 16384
    _STASH_VALUES = 1 << 20

    @classmethod
    def for_loss(cls, loss: Loss | None) -> _Totals:
        """Totals for ``loss``: a torch loss with ``reduction="sum"`` gives batch sums, not means."""
        return cls(summed=getattr(loss, "reduction", None) == "sum")

    def __init__(self, *, summed: bool = False) -> None:
        self.summed = summed  # a 0-d loss is the batch's sum (reduction="sum"), not its mean
        self.loss_sum: torch.Tensor | float = 0.0
        self.correct: torch.Tensor | int = 0
        self.count = 0
        self.classification = False
        self._losses: list[torch.Tensor] = []  # per-example losses, each in its own shape
        self._means: list[torch.Tensor] = []  # losses already reduced to their batch mean (0-d)
        self._mean_counts: list[int] = []  # the examples behind each of them
        self._outputs: list[torch.Tensor] = []  # y_hat (B, q)
        self._labels: list[torch.Tensor] = []  # y (B,)
        self._rows = 0
        self._values = 0
        self._ranges: list[tuple[torch.Tensor, torch.Tensor, int]] = []  # labels' (min, max, C)
        self._nan: torch.Tensor | bool = False  # whether a score was NaN

    def add(self, y_hat: torch.Tensor, y: torch.Tensor, l: torch.Tensor | None) -> None:
        if l is not None:
            l = _detached(l)
            if l.ndim:  # (B,), (B, 1), ...: stashed as they are, flattened when folded
                self._losses.append(l)
            elif y.shape[0]:  # reduced to its mean (e.g. nn.MSELoss()): once per example
                # (an empty shard's mean is NaN and counts for nothing); a sum counts once
                self._means.append(l)
                self._mean_counts.append(1 if self.summed else y.shape[0])
        if _is_classification(y):
            _check_scores(y_hat, y)
            self.classification = True
            if y.shape[0]:
                self._outputs.append(_detached(y_hat))
                self._labels.append(y)
                self._values += y_hat.numel()
        self.count += y.shape[0]
        self._rows += y.shape[0]
        if (
            self._rows >= self._STASH_ROWS
            or self._values >= self._STASH_VALUES
            or max(len(self._losses), len(self._means), len(self._outputs)) >= self._STASH_STEPS
        ):
            self._reduce()

    def _reduce(self) -> None:
        """Fold the stashed steps into the running sums."""
        if self._losses:
            self.loss_sum = self.loss_sum + _flat(self._losses).sum(dtype=torch.float64)
        if self._means:  # Σ mean_i · B_i, in float64
            means = torch.stack(self._means).double()
            counts = torch.tensor(self._mean_counts, dtype=torch.float64, device=means.device)
            self.loss_sum = self.loss_sum + means.dot(counts)
            self._means, self._mean_counts = [], []
        if self._outputs:
            scores, labels = _joined(self._outputs), _joined(self._labels)
            self.correct = self.correct + (_predicted(scores) == labels).sum()
            # a NaN score is every row's maximum: a NaN model would count as right on its class
            self._nan = self._nan | scores.isnan().any()
            # a label outside [0, C) would silently count as a miss: checked once per group of
            # steps (the loss, if any, already rejected it); on a device, read back with the
            # epoch's totals rather than waiting on the device here
            low, high = torch.aminmax(labels)
            if labels.is_cpu:
                check_label_range("y", int(low), int(high), scores.shape[1])
                check_no_nan_scores(self._nan)
            else:
                self._ranges.append((low, high, scores.shape[1]))
        self._losses, self._outputs, self._labels = [], [], []
        self._rows = self._values = 0

    def result(self, name: str, dist: DistContext | None) -> tuple[float, float | None]:
        self._reduce()
        for low, high, classes in self._ranges:
            check_label_range("y", int(low), int(high), classes)
        check_no_nan_scores(self._nan)
        packed = torch.tensor(
            [float(self.loss_sum), float(self.correct), float(self.count)], dtype=torch.float64
        )
        if dist is not None and dist.enabled:
            dist.all_reduce_sum(packed)
        loss_sum, correct, count = packed.tolist()
        if count == 0:
            raise UsageError(
                f"{name} must yield at least one example, got none; check the dataset is not empty"
            )
        return loss_sum / count, (correct / count if self.classification else None)


def evaluate_accuracy(net: Net, data_iter: Batches) -> float:
    """Return the accuracy of ``net`` over ``data_iter``, a ratio in [0, 1].

    See D2L §3.6.5.
    """
    _, acc = evaluate(net, data_iter)
    if acc is None:
        raise UsageError("evaluate_accuracy needs integer class labels, got floating-point targets")
    return acc


def fit(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    num_epochs: int,
    *,
    test_iter: Batches | None = None,
    train_eval_iter: Batches | None = None,
    callbacks: Sequence[Any] = (),
    start_epoch: int = 0,
    history: History | None = None,
    on_step: Callable[[int, torch.Tensor], None] | None = None,
    dist: DistContext | None = None,
) -> History:
    """Train for epochs ``start_epoch + 1 … num_epochs`` and return the history of every epoch.

    Args:
        net, train_iter, loss, updater: as in :func:`train_epoch`.
        num_epochs: the last epoch to run (epochs count from 1).
        test_iter: evaluated after every epoch (test loss and accuracy).
        train_eval_iter: when given, the reported training loss is that of the model at the end of
            the epoch over this iterator (the book's linear regression print), not the running mean.
        callbacks: objects with any of ``on_fit_start``, ``on_epoch_start``, ``on_batch_end``,
            ``on_epoch_end``, ``on_fit_end`` (see :class:`linearnets.training.callbacks.Callback`).
        start_epoch: epochs already done (when resuming).
        history: the history so far (when resuming); extended in place.
        on_step: passed to :func:`train_epoch`.
        dist: the data-parallel context (see :mod:`linearnets.training.distributed`).

    See D2L §3.6.6.
    """
    num_epochs = check_positive_int("num_epochs", num_epochs)
    if (
        isinstance(start_epoch, bool)
        or not isinstance(start_epoch, int)
        or not 0 <= start_epoch <= num_epochs
    ):
        raise UsageError(f"start_epoch must be in [0, {num_epochs}], got {start_epoch}")
    if isinstance(callbacks, str) or not isinstance(callbacks, Sequence):
        raise UsageTypeError(
            f"callbacks must be a list of callback objects, got {type(callbacks).__name__}; pass "
            "e.g. callbacks=[ConsoleLogger()]"
        )
    if history is not None and not isinstance(history, History):
        raise UsageTypeError(
            f"history must be the History of the epochs so far, got {type(history).__name__}; "
            "pass the History a previous fit returned (or leave it out)"
        )
    history = history if history is not None else History()
    batch_hooks = [cb.on_batch_end for cb in callbacks if hasattr(cb, "on_batch_end")]
    if on_step is not None:
        batch_hooks.insert(0, lambda step, losses: on_step(step, losses))
    step_hook = _chain(batch_hooks) if batch_hooks else None
    for cb in callbacks:
        _call(cb, "on_fit_start", num_epochs=num_epochs, start_epoch=start_epoch)
    for epoch in range(start_epoch + 1, num_epochs + 1):
        for cb in callbacks:
            _call(cb, "on_epoch_start", epoch=epoch, num_batches=_len_or_none(train_iter))
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(
            net, train_iter, loss, updater, on_step=step_hook, dist=dist
        )
        if train_eval_iter is not None:
            eval_loss, _ = evaluate(net, train_eval_iter, loss, dist=dist)
            train_loss = eval_loss if eval_loss is not None else train_loss
        test_loss, test_acc = (
            evaluate(net, test_iter, loss, dist=dist) if test_iter is not None else (None, None)
        )
        metrics = EpochMetrics(
            epoch, train_loss, train_acc, test_loss, test_acc, time.perf_counter() - start
        )
        history.epochs.append(metrics)
        for cb in callbacks:
            _call(cb, "on_epoch_end", metrics=metrics)
    for cb in callbacks:
        _call(cb, "on_fit_end", history=history)
    return history


def _call(callback: Any, hook: str, **kwargs: Any) -> None:
    method = getattr(callback, hook, None)
    if method is not None:
        method(**kwargs)


def _chain(hooks: list[Callable[[int, torch.Tensor], None]]) -> Callable[[int, torch.Tensor], None]:
    def run_all(step: int, losses: torch.Tensor) -> None:
        for hook in hooks:
            hook(step, losses)

    return run_all


def _len_or_none(iterable: Batches) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None


def is_module(net: Net) -> bool:
    """Return whether ``net`` is an ``nn.Module`` (so it has real train/eval modes)."""
    return isinstance(net, nn.Module)
