"""The one training loop every model shares: scratch or concise, regression or classification (D2L §3.6.6).

An epoch is a pass of :func:`~linearnets.training.step.train_step` (forward → per-example loss →
zero_grad → backward → step) over the batches, its loss and accuracy kept by
:class:`~linearnets.training.totals.EpochTotals`. The loop returns a :class:`History`; printing,
plotting and saving happen in callbacks (:mod:`linearnets.training.callbacks`). Evaluation
(:mod:`linearnets.training.evaluation`) and the checks made once before any step
(:mod:`linearnets.training.loop_checks`) live apart and are re-exported here, as does the calling
and tidying of callbacks (:mod:`linearnets.training.fit_hooks`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import RandomSampler

from linearnets._text import counted
from linearnets.errors import UsageError
from linearnets.training import fit_hooks
from linearnets.training.batch_of_one import raise_batch_of_one
from linearnets.training.call_order import check_epoch_order, check_fit_order, told_signature
from linearnets.training.callback_checks import check_on_step
from linearnets.training.distributed import DistContext, check_dist
from linearnets.training.empty_batches import check_some_batches
from linearnets.training.evaluation import (
    Batches,
    check_first_batch,
    evaluate,
    evaluate_accuracy,
    evaluate_named,
    name_later_error,
    switch_mode,
)
from linearnets.training.guard_fit import prepare_guards
from linearnets.training.history import EpochMetrics, History
from linearnets.training.last_update import HeldBatches, rescore_all
from linearnets.training.loop_checks import (
    check_batches,
    check_fit_args,
    check_loss_object,
    check_net,
    check_net_before_batches,
    check_net_tensors,
    check_updater_lr,
    check_updater_object,
    check_updater_params,
)
from linearnets.training.loss_kinds import Loss, summed_scalar_loss
from linearnets.training.model_tensors import weight_sizes
from linearnets.training.nan_targets import TargetsWatch, watch_targets
from linearnets.training.rank_stop import check_still_joined, stop_together
from linearnets.training.shards import check_same_steps, scalar_seed
from linearnets.training.step import Net, check_same_loss, train_step, unpack
from linearnets.training.totals import EpochTotals, NanContext
from linearnets.training.updaters import Updater, check_optimizer, streamlined

if TYPE_CHECKING:
    from linearnets.config_values import IntArg

__all__ = [
    "EpochMetrics",
    "History",
    "Updater",
    "evaluate",
    "evaluate_accuracy",
    "fit",
    "train_epoch",
]


def _global_batch_size(train_iter: Batches, step: int, local: int, dist: DistContext | None) -> int:
    """Return the number of examples in this step summed over every process."""
    if dist is None or not dist.enabled:
        return local
    known = getattr(train_iter, "global_batch_size", None)
    if known is not None:
        return int(known(step))
    return int(dist.all_reduce_sum(torch.tensor([local]))[0])


def _spread(l: torch.Tensor, batch: int, *, summed: bool) -> torch.Tensor:
    """Return a 0-d loss as per-example losses (B,) for the step hooks: each example its share.

    A batch mean is every example's value; a batch sum (``summed``) is shared out evenly. A hook
    (the divergence guard) then counts the batch's B examples, not one value per step.
    """
    return (l / batch if summed and batch else l).expand(batch)


def _end_watch(on_step: object, *, failed: bool) -> None:
    """Have ``on_step``, shown the epoch's batches, let go of those no check will take."""
    end = getattr(on_step, "end_watch", None)
    if end is not None:
        end(failed=failed)


@told_signature  # a call in another order (the book's, a num_epochs) told as such
def train_epoch(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    *,
    on_step: Callable[[int, torch.Tensor], None] | None = None,
    dist: DistContext | None = None,
    scalar_loss: str | None = None,
    epoch: int | None = None,
) -> tuple[float, float | None]:
    """Train ``net`` for one pass over ``train_iter``; return (mean loss, accuracy or ``None``).

    Args:
        net: a callable with ``parameters()``: a scratch model or an ``nn.Module``.
        train_iter: yields ``(X, y)`` batches: ``X`` the model's input (B, ...), ``y`` class
            indices (B,) (an accuracy is then reported) or regression targets (B,) or (B, 1).
        loss: ``loss(y_hat, y)``, per-example losses ((B,), or (B, 1) as ``squared_loss``'s;
            ``reduction='none'``); a mean-reduced loss also works, and a torch loss with
            ``reduction='sum'`` trains with the sum's gradient, as the book's does, and reports
            the mean per example (in a data-parallel run too, as a class-weighted mean: see
            :func:`~linearnets.training.shards.scalar_seed`).
        updater: ``torch.optim.SGD``, the scratch ``SGD``, or anything with ``zero_grad``/``step``.
        on_step: called after each step with (step index, per-example losses), e.g. a divergence
            guard; a loss reduced to one number reaches it as B per-example values (a mean repeated,
            a sum shared out). One with a ``watch_batches`` method (a
            :class:`~linearnets.training.guard.DivergenceGuard`, or fit's hooks holding one) is
            shown each step's batch ``(X, y)`` first, through the function it returns. A
            function of yours is handed a copy of the losses, which it may change in place.
        dist: the data-parallel context; metrics are then summed over every process, and
            ``train_iter`` must yield as many batches on every process (refused otherwise,
            where it has a ``len()``).
        scalar_loss: how a loss reduced to one number (0-d) is reported: ``"mean"`` (the batch's
            mean, counted once per example) or ``"sum"`` (counted once, as the book's
            ``train_epoch_ch3`` counts ``float(l.sum())`` whatever the loss; ``linearnets.d2l``
            passes it). Default: ``"sum"`` for a loss with ``reduction="sum"`` (a torch loss's,
            or a ``partial`` of torch's loss function's), else ``"mean"``.
            The gradient applied is the same either way.
        epoch: the epoch's number, from 1, named where a classifier's scores come out NaN
            (``fit`` passes it); ``None``: "in this epoch".

    The loss and accuracy of a step are read a few steps later (in groups, see :class:`EpochTotals`), so an
    iterator must not overwrite a batch it has yielded in place, nor a model its previous output;
    none of PyTorch's or linearnets' do.

    See D2L §3.6.6.
    """
    check_epoch_order(loss, updater)  # batches as the loss: a test set, which it does not take
    summed = summed_scalar_loss(scalar_loss)
    check_on_step(on_step)
    own_step = fit_hooks.own_hook(on_step)  # fit's hooks copy the losses for yours themselves
    check_dist(dist)
    check_loss_object(loss, updater=updater, call="train_epoch(net, train_iter, loss, updater)")
    check_updater_object(updater)
    check_updater_params(net, updater)
    check_updater_lr(updater)
    check_net_tensors(net)
    check_batches("train_iter", train_iter, passes=1)  # fit's names more epochs
    check_same_steps("train_iter", train_iter, dist)  # before the mode changes: a refusal keeps it
    restore_mode = switch_mode(net, True)
    context = NanContext(name="train_iter", training=True, net=net, batches=train_iter, epoch=epoch)
    totals = EpochTotals.for_loss(loss, summed=summed, context=context)
    allow_empty = dist is not None and dist.enabled
    other_loss = getattr(net, "analytic", False) and loss is not getattr(net, "analytic_loss", None)
    # an analytic model's own loss summed: its sum's gradient, as autograd's; None until a batch
    # tells a sum from a mean (see _analytic_sum)
    analytic_sum: bool | None = None if other_loss else False
    checked: set[int] = set()  # the batch sizes whose values told it (a short last batch's too)
    updater = streamlined(updater)  # a plain torch.optim.SGD without its ~40 µs a step of Python
    targets: TargetsWatch | None = None  # class probabilities whose NaN would go unnamed
    before: tuple[torch.Tensor, ...] | None = None  # the weights' sizes before the first update
    watch = getattr(on_step, "watch_batches", None)
    see = watch(train_iter) if watch is not None else None  # a guard's look at a NaN step's data
    # a hook judging the epoch's last examples' loss after the last update (the guard: see
    # last_update), and the last batches held for it
    after = getattr(on_step, "after_last_update", None)
    held = HeldBatches(
        fit_hooks.len_or_none(train_iter), examples=int(getattr(on_step, "min_examples", 64))
    )
    try:  # restore the mode even when a batch or a hook (e.g. the divergence guard) raises
        step = -1
        for batch in train_iter:  # not enumerate(): its reused tuple would keep the last batch
            step += 1
            X, y = unpack(batch, allow_empty=allow_empty, name="train_iter", step=step, epoch=epoch)
            # the model's own loss, or its batch sum: checked at each batch size until one tells
            # (one of a single example never does: no forward of its own, batch_size=1 costs
            # nothing more), then at each other size once (nn.MSELoss()'s mean is the sum of
            # ½r² on two examples alone)
            if other_loss and X.shape[0] not in checked and (step == 0 or X.shape[0] > 1):
                told = _analytic_sum(
                    net,
                    loss,
                    X,
                    y,
                    step=step,
                    epoch=epoch,
                    batches=train_iter,
                    decided=analytic_sum,
                )
                if told is not None:
                    checked.add(X.shape[0])
                    analytic_sum = told
            global_size = _global_batch_size(train_iter, step, y.shape[0], dist)
            scale = 1.0 / max(global_size, 1)
            if dist is not None:
                scale *= dist.world_size
            if step == 0 and epoch == 1:  # no update grew them yet where they are small
                before = weight_sizes(net)
            try:  # free unless the step raises
                y_hat, l = train_step(
                    net, X, y, loss, updater, scale=scale, dist=dist, check_targets=step == 0,
                    scalar_seed=scalar_seed(loss, y, summed=totals.summed, dist=dist),
                    analytic_sum=totals.summed if analytic_sum is None else analytic_sum,
                )  # fmt: skip
            except UsageError as err:  # a bad label of a later batch: which one, and its updates
                name_step_error(err, step=step, epoch=epoch, batches=train_iter)
                raise
            except ValueError as err:  # a BatchNorm given a last batch of one example
                raise_batch_of_one(net, X, err, step=step, epoch=epoch, batches=train_iter)
            if see is not None:
                see(X, y)
            if on_step is not None:
                seen = l if l.ndim else _spread(l, y.shape[0], summed=totals.summed)
                # a function of yours gets a copy: its in-place change made the totals' (shared)
                on_step(step, seen if own_step else seen.clone())
            try:  # free unless the labels are refused (the loss's ignore_index, -100)
                totals.add(y_hat, y, l)
            except UsageError as err:
                name_step_error(err, step=step, epoch=epoch, updated=True, batches=train_iter)
                raise
            if step == 0 and not allow_empty:  # one process alone must not stop a group
                targets = watch_targets(
                    y_hat, y, loss, name="train_iter", epoch=epoch, batches=train_iter,
                    weights_before=before,
                )  # fmt: skip
            if targets is not None:
                targets.add(y, l, X=X, y_hat=y_hat)
            if after is not None:
                # near the epoch's end only, where the length is known; counted over every
                # process, so the ranks together hold the last examples one process would
                held.add(step, X, y, size=global_size)
            # let go of the batch before the iterator builds the next one: the allocator can then
            # hand it the block just freed, still in cache (~5% of a softmax epoch on a CPU)
            del batch, X, y, y_hat, l
        if targets is not None:
            targets.finish()
        if after is not None and held:
            after(rescore_all(net, loss, held.take(), summed=totals.summed))
    except BaseException:
        if see is not None:  # the batches of the steps not read back: no flush will come
            _end_watch(on_step, failed=True)
        raise
    else:
        if see is not None:  # a step's batch shown and never checked (a hook before it raised)
            _end_watch(on_step, failed=False)
    finally:
        restore_mode()
    return totals.result("train_iter", dist)


def _analytic_sum(
    net: Net,
    loss: Loss,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    step: int,
    epoch: int | None,
    batches: object,
    decided: bool | None,
) -> bool | None:
    """Return whether ``loss`` is an analytic model's own loss summed over the batch (``None``:
    this batch cannot tell, see :func:`~linearnets.training.step.check_same_loss`); raise where
    it is not the model's own loss, a later batch named (``batches``: ``train_iter``, as in
    :func:`name_step_error`).

    Asked at the epoch's first batch (a refusal before any update), then at each batch until one
    tells, then once at each other batch size (``decided`` the answer so far, which a later
    size must agree with): a first batch of one example, an empty one or losses near 0 leave the
    epoch undecided rather than trained with the mean's gradient, B times too small for a sum,
    and a loss that is the model's own on one size alone (``nn.MSELoss()`` on two examples) is
    refused at the next. Such a batch
    trains as the totals count a 0-d loss (``scalar_loss``, the loss's ``reduction``): for one
    example a sum's gradient is a mean's, and in a data-parallel run that is the seed autograd
    gives it (:func:`~linearnets.training.shards.scalar_seed`). The answer is the loss's own
    (what it returns), the same on every process: no process waits on another's.
    """
    try:
        return check_same_loss(
            net, loss, X, y, batch="this batch" if step else "the first batch", decided=decided
        )
    except UsageError as err:
        if step:
            name_step_error(err, step=step, epoch=epoch, batches=batches)
        raise


def name_step_error(
    err: BaseException,
    *,
    step: int,
    epoch: int | None,
    updated: bool = False,
    batches: object = None,
) -> None:
    """Start ``err``'s message, raised by the step on batch ``step`` (from 0) of ``epoch`` (from 1;
    ``None``: a ``train_epoch`` of its own), with that batch, its row at fault where known, and
    the updates the model took before it, whose weights it keeps: ``"train_iter's batch 5 of
    epoch 1, row 44 of that batch (counted from 0) (the model took 4 updates before it, ...)"``;
    ``updated``: refused after its own update (labels the loss skipped), counted with them;
    ``batches``: ``train_iter``, a ``DataLoader`` whose sampler shuffles told as such (the row
    is then no index of the dataset). The first batch's, before any update, and a message naming
    ``train_iter`` already are left alone."""
    if not err.args or not isinstance(err.args[0], str) or "train_iter" in err.args[0]:
        return
    if step == 0 and epoch in (None, 1) and not updated:  # its data was all the model had seen
        return
    row = getattr(err, "row", None)
    where = "train_iter's batch " + str(step + 1) + ("" if epoch is None else f" of epoch {epoch}")
    if isinstance(row, int):
        shuffled = isinstance(getattr(batches, "sampler", None), RandomSampler)
        note = "; shuffled: not the dataset's index" if shuffled else ""
        where += f", row {row} of that batch (counted from 0{note})"
    # refused after its own update: counted with the others, the last of them
    updates = counted(step + updated, "update")
    when = ", this batch's the last," if updated else " before it,"
    if epoch is None:
        taken = f" (this train_epoch took {updates}{when} kept by the model)"
    elif epoch > 1 and step + updated == 0:  # the epoch's first batch: no update of its own
        taken = " (the model took the epochs before it, and keeps their weights)"
    else:
        earlier = "the epochs before it and " if epoch > 1 else ""
        this = " of this epoch" if epoch > 1 else ""
        taken = f" (the model took {earlier}{updates}{this}{when} and keeps their weights)"
    err.args = (f"{where}{taken}: {err.args[0]}", *err.args[1:])


@told_signature  # the book's train_ch3 order, test_iter by position, epochs=: told as such
def fit(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    num_epochs: IntArg | torch.Tensor,
    *,
    test_iter: Batches | None = None,
    train_eval_iter: Batches | None = None,
    callbacks: Sequence[Any] = (),
    start_epoch: IntArg | torch.Tensor = 0,
    history: History | None = None,
    on_step: Callable[[int, torch.Tensor], None] | None = None,
    dist: DistContext | None = None,
    scalar_loss: str | None = None,
) -> History:
    """Train for epochs ``start_epoch + 1 … num_epochs`` and return the history of every epoch.

    Args:
        net, train_iter, loss, updater: as in :func:`train_epoch`.
        num_epochs: the last epoch to run (epochs count from 1).
        test_iter: ``(X, y)`` batches as ``train_iter``'s, evaluated after every epoch (test loss
            and accuracy).
        train_eval_iter: when given, the reported training loss (and a classifier's accuracy) is
            that of the model at the end of the epoch over this iterator (the book's linear
            regression print), not the running mean.
        callbacks: objects with any of ``on_fit_start``, ``on_epoch_start``, ``on_batch_end``,
            ``on_epoch_end``, ``on_fit_end`` (see :class:`linearnets.training.callbacks.Callback`);
            a ``CurvesCallback``'s ``check_fit_start`` runs before any ``on_fit_start``: a
            refusal only (an attribute of that name on a callback of yours is left alone).
        start_epoch: epochs already done (when resuming), in [0, num_epochs].
        history: the history so far (when resuming); extended in place.
        on_step: passed to :func:`train_epoch`.
        dist: the data-parallel context (see :mod:`linearnets.training.distributed`).
        scalar_loss: how a loss reduced to one number (0-d) is counted, in training and in the
            evaluation of ``test_iter`` and ``train_eval_iter`` alike: ``"mean"`` or ``"sum"``, as
            in :func:`train_epoch`. Default: ``"sum"`` for a loss with ``reduction="sum"`` (as in
            :func:`train_epoch`), else ``"mean"``; so a plain function returning its batch's sum
            (``lambda o, y: F.cross_entropy(o, y, reduction="sum")``) needs ``scalar_loss="sum"``,
            else its value is counted as a mean, once per example, and reported B times too large.

    Returns:
        The :class:`History` of every epoch (``history`` extended, when given): per epoch an
        :class:`EpochMetrics` of the training loss and accuracy, the test loss and accuracy
        (``None`` where there are none: no ``test_iter``, or a regression) and its seconds.

    Raises:
        PeerLostError: in a data-parallel run, another rank stopped (its error, a bad batch of its
            own, left it alone: it leaves the process group so that this one stops at once, and
            this one names it: "rank 1 stopped: ..."; see :mod:`linearnets.training.rank_stop`).
        UsageError: in a data-parallel run, this rank left the process group as its error stopped
            an earlier call, and has not joined again (on a new port, or after 10 s).

    See D2L §3.6.6.
    """
    # from here an error of one rank alone (its own arguments, batches, loss or callbacks) stops
    # the others at once; the call's refusals raised alike on every rank leave the group joined
    with stop_together(dist if isinstance(dist, DistContext) else None):
        num_epochs, start_epoch = _check_fit_call(
            net, train_iter, loss, updater, num_epochs, start_epoch=start_epoch,
            test_iter=test_iter, train_eval_iter=train_eval_iter, callbacks=callbacks,
            history=history, on_step=on_step, dist=dist, scalar_loss=scalar_loss,
        )  # fmt: skip
        # their refusals before any on_fit_start writes (a MetricsWriter's file)
        fit_hooks.check_fit_starts(callbacks, num_epochs=num_epochs, start_epoch=start_epoch)
        return _fit(
            net, train_iter, loss, updater, num_epochs, test_iter=test_iter,
            train_eval_iter=train_eval_iter, callbacks=callbacks, start_epoch=start_epoch,
            history=history, on_step=on_step, dist=dist, scalar_loss=scalar_loss,
        )  # fmt: skip


def _fit(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    num_epochs: int,
    *,
    test_iter: Batches | None,
    train_eval_iter: Batches | None,
    callbacks: Sequence[Any],
    start_epoch: int,
    history: History | None,
    on_step: Callable[[int, torch.Tensor], None] | None,
    dist: DistContext | None,
    scalar_loss: str | None,
) -> History:
    """:func:`fit`'s epochs, its arguments checked (``num_epochs`` and ``start_epoch`` as ints)."""
    if dist is None or not dist.enabled:  # one process's forward alone could wait on the others
        for name, batches in (("train_eval_iter", train_eval_iter), ("test_iter", test_iter)):
            if batches is not None:  # before any step: refused after epoch 1, as train_iter's
                check_first_batch(
                    name, net, batches, loss, scalar_loss=scalar_loss, train_iter=train_iter
                )
    history = history if history is not None else History()
    prepare_guards(
        callbacks, on_step, loss=loss, updater=updater, scalar_loss=scalar_loss,
        start_epoch=start_epoch,
    )  # fmt: skip
    step_hook = fit_hooks.step_hook(callbacks, on_step)
    for cb in callbacks:
        fit_hooks.call_hook(cb, "on_fit_start", num_epochs=num_epochs, start_epoch=start_epoch)
    try:
        for epoch in range(start_epoch + 1, num_epochs + 1):
            for cb in callbacks:
                num_batches = fit_hooks.len_or_none(train_iter)
                fit_hooks.call_hook(cb, "on_epoch_start", epoch=epoch, num_batches=num_batches)
            start = time.perf_counter()
            train_loss, train_acc = train_epoch(
                net,
                train_iter,
                loss,
                updater,
                on_step=step_hook,
                dist=dist,
                scalar_loss=scalar_loss,
                epoch=epoch,
            )
            try:
                train_loss, train_acc, test_loss, test_acc = _evaluate_epoch(
                    net, loss, train_eval_iter, test_iter, dist=dist, scalar_loss=scalar_loss,
                    epoch=epoch, history=history, trained=(train_loss, train_acc),
                )  # fmt: skip
            except BaseException:
                # the epoch trained, its weights kept: its evaluation's metrics None (not done),
                # so that start_epoch=len(history.epochs) goes on after it, not over it again
                seconds = time.perf_counter() - start
                history.epochs.append(
                    EpochMetrics(epoch, train_loss, train_acc, None, None, seconds)
                )
                raise
            metrics = EpochMetrics(
                epoch, train_loss, train_acc, test_loss, test_acc, time.perf_counter() - start
            )
            history.epochs.append(metrics)
            for cb in callbacks:
                fit_hooks.call_hook(cb, "on_epoch_end", metrics=metrics)
    except BaseException as exc:
        fit_hooks.on_stop(exc, callbacks, on_step, history)
        raise
    try:
        for cb in callbacks:
            fit_hooks.call_hook(cb, "on_fit_end", history=history)
    except BaseException as exc:  # every epoch done: its error holds them all
        fit_hooks.hand_history(exc, history)
        raise
    return history


def _evaluate_epoch(
    net: Net,
    loss: Loss,
    train_eval_iter: Batches | None,
    test_iter: Batches | None,
    *,
    dist: DistContext | None,
    scalar_loss: str | None,
    epoch: int,
    history: History,
    trained: tuple[float, float | None],
) -> tuple[float, float | None, float | None, float | None]:
    """Return the epoch's (train loss, train accuracy, test loss, test accuracy): ``trained``'s
    running means, or ``train_eval_iter``'s over the model at the epoch's end where given."""
    train_loss, train_acc = trained
    if train_eval_iter is not None:
        eval_loss, eval_acc = _evaluate_after(
            "train_eval_iter", net, train_eval_iter, loss, dist=dist,
            scalar_loss=scalar_loss, epoch=epoch, history=history,
        )  # fmt: skip
        train_loss = eval_loss if eval_loss is not None else train_loss
        # the accuracy of the same model on the same set as the loss beside it, not of
        # the weights each step had during the epoch
        train_acc = eval_acc if eval_acc is not None else train_acc
    test_loss, test_acc = None, None
    if test_iter is not None:
        test_loss, test_acc = _evaluate_after(
            "test_iter", net, test_iter, loss, dist=dist, scalar_loss=scalar_loss,
            epoch=epoch, history=history,
        )  # fmt: skip
    return train_loss, train_acc, test_loss, test_acc


def _evaluate_after(
    name: str,
    net: Net,
    batches: Batches,
    loss: Loss,
    *,
    dist: DistContext | None,
    scalar_loss: str | None,
    epoch: int,
    history: History,
) -> tuple[float | None, float | None]:
    """:func:`evaluate_named` after ``epoch``; a refusal names ``name`` and holds the epochs
    done as its ``.history`` (a batch after the first, which the check before training never read).
    """
    try:
        return evaluate_named(
            name, net, batches, loss, dist=dist, scalar_loss=scalar_loss, epoch=epoch
        )
    except UsageError as err:
        name_later_error(err, name, epoch=epoch)
        err.history = history  # type: ignore[attr-defined]
        raise


def _check_fit_call(
    net: Net,
    train_iter: Batches,
    loss: Loss,
    updater: Updater,
    num_epochs: IntArg | torch.Tensor,
    *,
    start_epoch: IntArg | torch.Tensor,
    test_iter: Batches | None,
    train_eval_iter: Batches | None,
    callbacks: Sequence[Any],
    history: History | None,
    on_step: Callable[[int, torch.Tensor], None] | None,
    dist: DistContext | None,
    scalar_loss: str | None,
) -> tuple[int, int]:
    """Raise unless fit's arguments fit together; return ``num_epochs`` and ``start_epoch`` as ints.

    Everything is checked before any callback has printed a header, drawn, or written a file
    (MetricsWriter), and before any epoch (so a bad ``scalar_loss`` is not refused at the end of
    the first).
    """
    # the book's order (batches as the loss), or updater and num_epochs swapped
    check_fit_order(loss, updater, num_epochs)
    num_epochs, start_epoch = check_fit_args(
        num_epochs, start_epoch=start_epoch, callbacks=callbacks, history=history
    )
    summed_scalar_loss(scalar_loss)
    check_net_before_batches(
        net, train_iter, call="fit(net, train_iter, loss, updater, num_epochs)"
    )
    check_net(net)
    check_on_step(on_step)
    check_dist(dist)
    check_still_joined(dist)  # left by its error in an earlier call: torch's words said nothing
    check_loss_object(loss, updater=updater, call="fit(net, train_iter, loss, updater, num_epochs)")
    # the updater too (train_epoch checks it again, for its own callers)
    check_updater_object(updater)
    check_optimizer(updater)
    check_updater_params(net, updater)
    check_updater_lr(updater)
    check_batches("train_iter", train_iter, passes=num_epochs - start_epoch)
    for name, batches in (("test_iter", test_iter), ("train_eval_iter", train_eval_iter)):
        if batches is not None:
            check_batches(name, batches, passes=num_epochs - start_epoch)
    # one that len() says is empty, before an epoch is trained and lost to its error; not in a
    # data-parallel run, where a process may hold no rows of its own (the totals add them up)
    if dist is None or not dist.enabled:
        for name, batches in (
            ("train_iter", train_iter),
            ("test_iter", test_iter),
            ("train_eval_iter", train_eval_iter),
        ):
            if batches is not None:
                check_some_batches(name, batches)
    return num_epochs, start_epoch
