"""Evaluation: a model's mean loss and accuracy over a data set, in eval mode, without gradients
(D2L §3.6.5).

Batches, outputs and losses are checked as a training step checks them
(:mod:`linearnets.training.step_checks`) and counted by the same
:class:`~linearnets.training.totals.EpochTotals`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import nn

from linearnets.errors import UsageError
from linearnets.training.distributed import DistContext, check_dist
from linearnets.training.empty_batches import check_some_batches
from linearnets.training.forward_diagnosis import raise_forward_error
from linearnets.training.loop_checks import (
    check_batches,
    check_loss_object,
    check_net,
    is_one_shot,
)
from linearnets.training.loss_kinds import Loss, summed_scalar_loss
from linearnets.training.model_diagnosis import NanScoresProbe
from linearnets.training.probability_targets import (
    check_probability_targets,
    float_targets_accuracy_error,
)
from linearnets.training.pure_look import pure_model, pure_source
from linearnets.training.step import Net, compute_loss, raise_output_error, unpack
from linearnets.training.totals import EpochTotals, NanContext

__all__ = [
    "batch_named",
    "check_first_batch",
    "evaluate",
    "evaluate_accuracy",
    "evaluate_named",
    "name_evaluation_error",
    "name_later_error",
    "set_mode",
    "switch_mode",
]

Batches = Iterable[Sequence[torch.Tensor]]


def set_mode(net: Net, training: bool) -> bool:
    """Switch ``net`` to train/eval mode if it has modes; return the mode it was in.

    A model has modes when it is an ``nn.Module`` or follows its protocol: a bool ``training``
    attribute and a ``train(mode)`` method (the scratch models do). Any other ``train`` is the
    user's own method, say a learner's ``def train(self, num_epochs)``, and is left alone: the book
    switches modes only on an ``nn.Module``. So is a model with a ``training`` flag of its own and
    no ``train`` method at all (its forward may read the flag, as a dropout written by hand does).
    """
    if not (
        isinstance(net, nn.Module)
        or (
            isinstance(getattr(net, "training", None), bool)
            and callable(getattr(net, "train", None))
        )
    ):
        return True
    was = bool(net.training)  # type: ignore[attr-defined]
    net.train(training)  # type: ignore[attr-defined]
    return was


def switch_mode(net: Net, training: bool) -> Callable[[], None]:
    """Switch ``net`` to train/eval mode as :func:`set_mode` does; return what puts it back.

    What is put back is the mode of each of its modules, not only the model's own: a module the
    caller left in the other mode (a frozen ``BatchNorm`` in eval mode inside a model in training
    mode, as fine-tuning keeps it) is in that mode again afterwards, not switched with the rest.
    """
    kept = [(m, m.training) for m in net.modules()] if isinstance(net, nn.Module) else []
    was = set_mode(net, training)

    def restore() -> None:
        set_mode(net, was)  # the model's own train(), as it may do more than set the flags
        for module, mode in kept:  # parents first: a parent's train() resets its children
            if module.training is not mode:
                module.train(mode)

    return restore


def evaluate(
    net: Net,
    data_iter: Batches,
    loss: Loss | None = None,
    *,
    dist: DistContext | None = None,
    scalar_loss: str | None = None,
) -> tuple[float | None, float | None]:
    """Return ``(mean loss or None, accuracy or None)`` of ``net`` over ``data_iter``, in eval mode.

    Args:
        net: the model; ``net(X)`` gives outputs (B, q).
        data_iter: yields ``(X, y)`` batches: ``X`` the model's input (B, ...), ``y`` class
            indices (B,) (an accuracy is then reported) or regression targets (B,) or (B, 1).
        loss: per-example loss, as in :func:`~linearnets.training.loop.train_epoch`; ``None``: the
            accuracy only.
        dist: the data-parallel context; metrics are then summed over every process.
        scalar_loss: how a loss reduced to one number (0-d) is counted: ``"mean"`` (once per
            example) or ``"sum"`` (once: a function returning its batch's sum needs it). Default:
            ``"sum"`` for a loss with ``reduction="sum"``, else ``"mean"``.

    See D2L §3.6.5.
    """
    with batch_named("data_iter"):
        return evaluate_named("data_iter", net, data_iter, loss, dist=dist, scalar_loss=scalar_loss)


@torch.no_grad()
def evaluate_named(
    name: str,
    net: Net,
    data_iter: Batches,
    loss: Loss | None = None,
    *,
    dist: DistContext | None = None,
    scalar_loss: str | None = None,
    epoch: int | None = None,
    labels: bool = False,
) -> tuple[float | None, float | None]:
    """:func:`evaluate`, naming ``data_iter`` as ``name`` in its errors (``fit``'s ``test_iter``),
    and the epoch after which it runs, ``epoch`` (from 1), where known; ``labels``: refuse float
    targets on the first batch (an accuracy's), not after the whole set."""
    summed = summed_scalar_loss(scalar_loss)
    check_dist(dist)
    check_batches(name, data_iter, passes=1)
    if loss is not None:
        check_loss_object(loss)
    check_net(net)  # a model on meta: one refusal, not torch's device error
    distributed = dist is not None and dist.enabled
    if not distributed:  # in a data-parallel run a process may hold no rows of its own
        check_some_batches(name, data_iter)
    restore_mode = switch_mode(net, False)
    # copies the first batch, to tell why scores came out NaN; not in a data-parallel run, where
    # one process's forward alone could wait on the others
    probe = None if distributed else NanScoresProbe(net)
    context = NanContext(name=name, net=net, batches=data_iter)
    totals = EpochTotals.for_loss(loss, summed=summed, nan_probe=probe, context=context)
    first = True
    reading: int | None = None  # the batch in hand, from 1: a refusal names it
    try:
        step = -1
        for batch in data_iter:  # not enumerate(): its reused tuple would keep the last batch
            step += 1
            reading = step + 1
            X, y = unpack(batch, allow_empty=distributed, name=name, step=step, epoch=epoch)
            if first and labels and y.is_floating_point():
                raise float_targets_accuracy_error(name, y)
            if probe is not None:
                probe.keep(X)
            try:  # free unless the forward raises
                y_hat = net(X)
            except RuntimeError as err:
                raise_forward_error(net, X, err)
            if loss is not None:  # checks the output too; labels only if the loss raises
                l = compute_loss(loss, y_hat, y)
                if first and not distributed:  # as the training pass checks its own first batch
                    check_probability_targets(y_hat, y, loss, batch=f"{name}'s first batch")
            elif not isinstance(y_hat, torch.Tensor):
                raise_output_error(y_hat)
            else:
                l = None
            totals.add(y_hat, y, l)
            first = False
            del batch, X, y, y_hat, l  # free the batch's block for the next one (see train_epoch)
        reading = None  # the whole set's results: no batch of its own
        mean_loss, acc = totals.result(name, dist)  # in eval mode: its NaN probe runs the model
    except UsageError as err:  # which batch it was, for fit's words after an epoch
        if reading is not None:
            err.batch_number = reading  # type: ignore[attr-defined]
        raise
    finally:
        restore_mode()
    return (mean_loss if loss is not None else None), acc


def evaluate_accuracy(net: Net, data_iter: Batches) -> float:
    """Return the accuracy of ``net`` over ``data_iter``, a ratio in [0, 1].

    An ``nn.Module`` is evaluated in eval mode and left in the mode it was in (the book's leaves it
    in eval mode); no gradient is recorded.

    Args:
        net: a classifier; ``net(X)`` gives scores (B, C), or predicted labels (B,) or (B, 1)
            of an integer dtype (``argmax``'s), which the book's ``accuracy`` takes too.
        data_iter: yields ``(X, y)`` batches: ``X`` the model's input (B, ...), ``y`` int64 class
            indices (B,).

    See D2L §3.6.5.
    """
    with batch_named("data_iter"):
        return accuracy_named("data_iter", net, data_iter)


def accuracy_named(name: str, net: Net, data_iter: Batches, *, epoch: int | None = None) -> float:
    """:func:`evaluate_accuracy`, naming ``data_iter`` as ``name`` in its errors (``train_ch3``'s
    ``test_iter``: an empty batch of it was told as evaluate_accuracy's ``data_iter``), and the
    epoch after which it runs, ``epoch`` (from 1), where known."""
    _, acc = evaluate_named(name, net, data_iter, epoch=epoch, labels=True)
    if acc is None:  # no class labels (the totals refuse float targets after them)
        raise float_targets_accuracy_error(name, None)
    return acc


def check_first_batch(
    name: str,
    net: Net,
    batches: Batches,
    loss: Loss | None = None,
    *,
    scalar_loss: str | None = None,
    train_iter: Batches | None = None,
) -> None:
    """Evaluate ``net`` on the first batch of ``batches`` (fit's ``test_iter``) before training,
    raising its error named ``"{name}'s batch 1: ..."``.

    Only a refusal of the batch (:class:`UsageError`: its dtype, feature count, labels) is raised;
    where ``train_iter``'s first batch fails too (a model that fits neither), or the evaluation
    fails otherwise (NaN scores, the model's own error), nothing is: the epochs tell it as before.

    A test set of another dtype, feature count or label range was refused only when evaluated after
    the first epoch, in words that read as the training data's, after that epoch's updates.

    Looked at only where the look is known to leave a seeded run as it was, as
    :mod:`linearnets.training.pure_look` tells (``net`` run in eval mode, under no_grad); the
    global random state, CPU and CUDA, is put back (a shuffled ``DataLoader`` draws its order's
    seed from it, a noisy model's forward its noise), and so are the generators those loaders hold
    (``DataLoader(generator=g)``, its sampler's, ``ArrayLoader``'s). After a refusal
    ``train_iter``'s first batch is evaluated only where it is of those kinds too; elsewhere the
    refusal is raised as it is. Nor is a look taken at a one-shot iterator (its first batch would
    be lost to the epoch's evaluation), nor with a model with lazy parameters (its first forward
    would initialise them from the test batch, out of the training's random order). Everything
    else is told after epoch 1, as before the look.
    """
    looked = pure_model(net) and pure_source(batches) and not is_one_shot(batches)
    if not looked or _has_lazy_params(net):
        return
    beside = train_iter if pure_source(train_iter) else None
    # iterating draws from a loader's own generator (a DataLoader its workers' base seed, even
    # unshuffled; ArrayLoader its permutation): a seeded run's order would move on by a pass
    # and the model's forward may draw (noise added in eval mode): all under one fork of the
    # global state, CPU and CUDA
    with torch.random.fork_rng(devices=_cuda_devices()), _generators_kept(batches, beside):
        _check_first(name, net, batches, loss, scalar_loss=scalar_loss, train_iter=beside)


def _check_first(
    name: str,
    net: Net,
    batches: Batches,
    loss: Loss | None,
    *,
    scalar_loss: str | None,
    train_iter: Batches | None,
) -> None:
    """:func:`check_first_batch`'s evaluation, its random states kept by the caller."""
    batch = _first(batches)
    if batch is None:  # an empty one is refused by name before this
        return
    try:
        evaluate_named(name, net, [batch], loss, scalar_loss=scalar_loss)
    except UsageError as err:
        if train_iter is not None and _fails_first(net, train_iter, loss, scalar_loss):
            return
        name_evaluation_error(err, f"{name}'s batch 1", name=name)
        raise
    except Exception:  # a NaN score, the model's own error: told where they were, by the epoch
        return


def _first(batches: Batches) -> Any:
    """Return the first batch of ``batches`` (``None`` if none); the caller keeps the random state
    (a shuffled DataLoader draws its order's seed from the global one)."""
    return next(iter(batches), None)


def _cuda_devices() -> list[int]:
    """The CUDA devices whose random state a forward may draw from: each one, once CUDA is in use
    (a model's or a function model's tensors there), none before (not started for a look)."""
    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return []
    return list(range(torch.cuda.device_count()))


@contextlib.contextmanager
def _generators_kept(*sources: object) -> Iterator[None]:
    """Put back, on leaving, the state of each generator that iterating ``sources`` draws from."""
    kept = [(generator, generator.get_state()) for generator in _loader_generators(sources)]
    try:
        yield
    finally:
        for generator, state in kept:
            generator.set_state(state)


def _loader_generators(sources: Sequence[object]) -> list[torch.Generator]:
    """The generators ``sources`` (loaders) hold: a ``DataLoader``'s ``generator`` (its workers'
    base seed), its sampler's and batch sampler's (the order), an ``ArrayLoader``'s."""
    found: list[torch.Generator] = []
    for source in sources:
        if source is None:
            continue
        sampler = _attribute(source, "sampler")
        batch_sampler = _attribute(source, "batch_sampler")
        holders = (source, sampler, batch_sampler, _attribute(batch_sampler, "sampler"))
        for holder in holders:
            generator = _attribute(holder, "generator")
            if isinstance(generator, torch.Generator) and all(generator is not g for g in found):
                found.append(generator)
    return found


def _attribute(obj: object, name: str) -> Any:
    """``obj.name``, or ``None`` where it has none or reading it fails (a user's property)."""
    if obj is None:
        return None
    try:
        return getattr(obj, name, None)
    except Exception:  # any: a loader of the user's own, whose attribute is not ours to tell
        return None


def _fails_first(net: Net, batches: Batches, loss: Loss | None, scalar_loss: str | None) -> bool:
    """Whether evaluating ``net`` on the first batch of ``batches`` (re-iterable) raises."""
    if is_one_shot(batches):
        return False
    batch = _first(batches)
    try:
        if batch is not None:
            evaluate_named("train_iter", net, [batch], loss, scalar_loss=scalar_loss)
    except Exception:  # any: the training step names it as train_iter's
        return True
    return False


def name_later_error(err: BaseException, name: str, *, epoch: int) -> None:
    """Start ``err``'s message with the batch of ``name`` refused after ``epoch`` (from 1):
    ``"test_iter's batch 2, evaluated after epoch 1"``, or ``name`` alone where no batch was in
    hand (the whole set's results)."""
    number = getattr(err, "batch_number", None)
    which = f"{name}'s batch {number}" if isinstance(number, int) else name
    name_evaluation_error(err, f"{which}, evaluated after epoch {epoch}", name=name)


@contextlib.contextmanager
def batch_named(name: str) -> Iterator[None]:
    """Start a refusal's message with the later batch of ``name`` it was raised at (``"data_iter's
    batch 2"``), as ``fit`` names its ``test_iter``'s, where it names neither: a direct call's.
    The first batch's is left as it is: it tells of the model, or of every batch alike."""
    try:
        yield
    except UsageError as err:
        number = getattr(err, "batch_number", None)
        said = err.args[0] if err.args and isinstance(err.args[0], str) else ""
        if isinstance(number, int) and number > 1 and not re.search(rf"\bbatch {number}\b", said):
            name_evaluation_error(err, f"{name}'s batch {number}", name=name)
        raise


def name_evaluation_error(err: BaseException, where: str, *, name: str) -> None:
    """Start ``err``'s message with ``where`` (``"test_iter's batch 1"``) unless it names ``name``
    already: an evaluation's error told of X and y as if they were the training data's."""
    if not err.args or not isinstance(err.args[0], str) or name in err.args[0]:
        return
    err.args = (f"{where}: {err.args[0]}", *err.args[1:])


def _has_lazy_params(net: Any) -> bool:
    """Whether ``net`` has parameters still uninitialised (``nn.LazyLinear`` before its forward)."""
    params = getattr(net, "parameters", None)
    if not callable(params):
        return False
    try:
        return any(nn.parameter.is_lazy(p) for p in params())
    except TypeError:  # not torch's layout: nothing to tell
        return False
