"""Stop a run the moment it blows up, with a message saying where, how badly and what to try.

A NaN check is not enough: softmax cross-entropy from logits stays finite however large the weights grow,
so a run at lr = 1e4 "trains" on with losses of 1e5 and a useless model. The guard also stops a run whose
loss has grown ``factor`` times beyond its starting value. This module is the callback: it reads the
steps' losses back in groups and stops on a non-finite loss;
:mod:`linearnets.training.guard_growth` decides whether a finite loss has grown, from the numbers
:mod:`linearnets.training.guard_stats` reads from the losses;
:mod:`linearnets.training.guard_messages` words the error, or
:mod:`linearnets.training.guard_data` where the step's batch holds NaN or inf,
:mod:`linearnets.training.guard_unseen` where it was not held (too large) to be looked at, or
:mod:`linearnets.training.guard_first` what a fresh run's first step names of its batch, and
held targets too large for the losses' dtype at any step; for a squared-error loss
:mod:`linearnets.training.guard_floor` gives the floor of its baseline, the loss of predicting
the targets' mean.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from linearnets._check_basics import describe
from linearnets.errors import DivergenceError, UsageError, UsageTypeError
from linearnets.training.adaptive_lr import adaptive_name, lr_for
from linearnets.training.callbacks import Callback
from linearnets.training.distributed import DistContext
from linearnets.training.guard_data import HELD_BYTES, Batch, Dims, data_not_finite, held
from linearnets.training.guard_first import first_rows, huge_targets
from linearnets.training.guard_floor import (
    TargetSpread,
    moments_of,
    per_value,
    squared_scale,
    values_per_example,
)
from linearnets.training.guard_growth import (
    TYPICAL_QUANTILE,
    TYPICAL_STEPS,
    GrowthCheck,
    resumed_state,
)
from linearnets.training.guard_messages import (
    FAR_LR,
    Kept,
    before_update,
    epoch_not_finite,
    not_finite,
    smaller_lr,
    targets_too_large,
)
from linearnets.training.guard_rare import RARE_RATIO, rare_losses
from linearnets.training.guard_stats import per_example, step_sums, sum_and_count
from linearnets.training.guard_unseen import unseen_error
from linearnets.training.guard_window import EARLY_EXAMPLES
from linearnets.training.history import EpochMetrics, History
from linearnets.training.model_tensors import batch_order
from linearnets.training.rank_stop import raised_on_every_rank
from linearnets.validation import check_bool, check_positive_float, check_positive_int

__all__ = [
    "EARLY_EXAMPLES",
    "FAR_LR",
    "RARE_RATIO",
    "TYPICAL_QUANTILE",
    "TYPICAL_STEPS",
    "DivergenceGuard",
    "guards_first",
    "resumed_state",
    "smaller_lr",
]


class DivergenceGuard(Callback):
    """Raise :class:`DivergenceError` when the loss is non-finite or grows far past its start.

    The starting loss is the mean per-example loss over the first ``min_examples`` training examples
    (the first batch alone when it is that large: the loss of the untrained model; the whole first
    epoch, closed at its end, when the training set is smaller). From then on a
    mean loss above ``factor × start`` stops training; the mean is the batch's, or with batches smaller
    than ``min_examples`` that of the latest steps holding ``min_examples`` examples, so that one hard
    example in a batch of 1 does not count as a blow-up. Those steps' typical loss must have grown
    too: the median of the latest (up to :data:`TYPICAL_STEPS`) step means, and at an epoch's end
    the median of its step means (there grown √``factor``-fold is enough: the loss after an epoch
    outruns its steps in a blow-up), where a step whose mean passed the bound counts as the lower of
    its mean and its typical example's loss (the :data:`TYPICAL_QUANTILE` quantile of its
    per-example losses, read back only then: a healthy run pays nothing). Rare examples of very
    large loss (targets with a heavy tail) then raise the mean of the few steps holding them, not
    the typical step's, while a blow-up raises every step's, and most of its examples' losses. A
    healthy run's loss drops (linear regression's 10⁴-fold), so only growth is checked, never the
    size of a drop. A loss grown at an epoch's first step (2 on, as ``fit`` names them) is the
    weights' the epoch before left, before any update: its error is not ``resumable`` and says
    to start the run over, as a resume from that epoch's checkpoint starts at it at any lr.

    Where one or two steps hold ``min_examples`` the typical loss is the latest step's typical
    example's (:class:`~linearnets.training.guard_growth.GrowthCheck`); after a rare large loss
    whose update moved the model, growth is measured from the level it left
    (:mod:`~linearnets.training.guard_rare`); and while the starting loss's window is still open,
    a step whose mean and median example both stand ``factor`` × past the steps before it stops
    training too (:mod:`~linearnets.training.guard_window`). For a squared-error ``loss`` none of
    these references counts below the loss of predicting the targets' mean over the examples seen
    so far (:mod:`~linearnets.training.guard_floor`): on targets mostly 0 with a few of ±1000 the
    first batches' loss is ~10⁻⁵ and the least-squares fit's ~5·10³, no blow-up.

    A non-finite loss before any update (the untrained model's, at a fresh run's first step) stops
    training too, as no loss could be reported, but lr is not its cause: the message names the
    data's scale (values too large for the losses' dtype) or NaN; at a resume's first step it
    names the updates before the checkpoint. Data known to be finite (``data_checked``: the
    tasks' data, generated, verified or read from a file that refuses NaN and inf) are never named
    as holding NaN or inf. Others are looked at once a step's loss is not finite, where the guard
    still holds that step's batch (:meth:`watch_batches`: ``fit`` and ``train_epoch`` hand it
    over): features X or targets y holding NaN or inf there are named, with those examples'
    places and no lr advice, where they are the likelier cause (see
    :mod:`~linearnets.training.guard_data`). Where its X was too large to be held, after an
    update, the features and the lr are both named, with the test that tells them apart and the
    examples whose losses alone are not finite (see :mod:`~linearnets.training.guard_unseen`);
    before any update, the data's scale, with those examples and their targets where held and
    too large (see :mod:`~linearnets.training.guard_first`). Held targets that large on the
    examples whose losses are not finite are named at any later step too, not X or the lr.

    Use it as a callback of :func:`~linearnets.training.loop.fit` (it then knows the epoch, and checks
    the steps left at each epoch's end), or call it after each step (as ``fit``'s ``on_step``
    function, say). In a data-parallel run pass ``dist`` so every process takes the same decision.

    Args:
        lr: the learning rate, named in the message with a smaller one to try; past
            :data:`FAR_LR` a window step whose losses split in two stops training too.
        factor: how many times the starting loss counts as blown up (> 1).
        min_examples: how many examples set the starting loss.
        check_every: check the losses every this many steps. ``None``: every 32 on an accelerator,
            where each read waits for the device; on the CPU every 16 as a ``fit`` callback (a group
            costs about what one step's check does; per step it cost 34 µs here, 18% of a
            linear-regression scratch step), else every step. The step named in the message is
            exact either way; training may run up to ``check_every − 1`` steps past it, and as a
            callback never past the end of the epoch. Pass 1 to stop at the very step; call
            :meth:`flush` to check the steps left.
        dist: the data-parallel context, if any.
        data_checked: the training data are known to hold no NaN or inf (the tasks': generated,
            the verified Fashion-MNIST, or a ``data`` file, whose reader refuses them). A
            non-finite loss is then not told to check them for NaN or inf: after an update lr is
            named alone, before any the data's scale (the model's outputs overflowing).
            ``False`` (data passed to ``fit`` as they are): both are named.
        loss: the training loss, if known: a squared-error one (linearnets' ``squared_loss``,
            ``nn.MSELoss``, ``F.mse_loss``) makes the loss of predicting the mean of the targets
            seen (shown through :meth:`watch_batches`) the floor of the starting loss, in the
            loss's unit (per value for a mean-reduced one). Any other, or ``None``: no floor. A
            classification loss (cross-entropy, NLL, binary cross-entropy) measures growth from
            the start alone, never from the level a rare large loss left: its large losses come
            from huge scores, not from targets (see :mod:`~linearnets.training.guard_rare`).
            ``fit`` hands its own loss to a guard given none, for that (not the floor).
    """

    def __init__(
        self,
        lr: float,
        *,
        factor: float = 100.0,
        min_examples: int = 64,
        check_every: int | None = None,
        dist: DistContext | None = None,
        data_checked: bool = False,
        loss: object = None,
    ) -> None:
        self.lr = check_positive_float("lr", lr)
        # the adaptive optimizer (Adam's name) fit trains at self.lr with, for the advice only:
        # self.lr stays a plain float, which torch.load(weights_only=True) takes back
        self._optimizer: str | None = None
        self.factor = check_positive_float("factor", factor, fix="pass e.g. factor=100")
        if self.factor <= 1:
            raise UsageError(f"factor must be > 1, got {factor}; pass e.g. factor=100")
        self.min_examples = check_positive_int("min_examples", min_examples)
        self.check_every = (
            None if check_every is None else check_positive_int("check_every", check_every)
        )
        self.dist = dist
        self.data_checked = check_bool("data_checked", data_checked)
        self.loss = loss  # as given: fit hands its own loss to a guard given none (use_fit_loss)
        # whether load_state_dict was called since its last fit began (a resume: that run's
        # guard, see begin_run)
        self._loaded = False
        self._start_state()

    def _start_state(self) -> None:
        """Set what a run has not shown this guard yet: the state a fresh guard starts with."""
        scale = squared_scale(self.loss)  # s in a constant prediction's loss s·(y − c)², if squared
        self._spread = (
            None if scale is None else TargetSpread(scale=scale, per_value=per_value(self.loss))
        )
        self.epoch = 1
        self._growth = self._growth_check(rare=rare_losses(self.loss))
        # (epoch, step, losses, the dimensions of its X and y let go of, its batch where
        # watched): read back in groups
        self._pending: list[tuple[int, int, torch.Tensor, Dims, Batch | None]] = []
        # the pending steps' targets, for the floor (a squared-error loss's): each the step's y
        # where held, or its moments already computed (a y too large to hold), and its rows
        self._targets: list[tuple[torch.Tensor, bool, int] | None] = []
        self._epoch_ends = False  # whether on_epoch_end will check the steps left in an epoch
        self._dtype = torch.float32  # the losses' dtype, whose range a non-finite loss passed
        # A non-finite loss before any update is not the learning rate's doing: these say whether
        # the weights were trained before this guard (a saved state, or fit's start_epoch) and
        # whether it has let a step's update go ahead (a finite loss checked).
        self._resumed = False
        self._updated = False
        # the order of the batches the loop shows the guard (watch_batches: not the loader itself,
        # which would be kept alive), the latest step's batch, and how many examples the epoch's
        # steps checked held before the one being checked
        self._order: bool | None = None
        self._batch: Batch | None = None
        self._before = 0
        self._last: float | None = None  # the latest finite step's mean loss
        # the epoch's last batch's losses after its last update (after_last_update), judged at
        # its end: the mean's (sum, count) over the processes in a data-parallel run
        self._after: torch.Tensor | None = None

    @property
    def start_loss(self) -> float | None:
        """The starting loss: the mean over the first ``min_examples`` (None while still open)."""
        return self._growth.start_loss

    @property
    def first_loss(self) -> float | None:
        """The first step's loss, i.e. the untrained model's (None before any step)."""
        return self._growth.first_loss

    def use_fit_loss(self, loss: object) -> None:
        """Measure growth as for fit's ``loss`` when this guard was given none: a classification
        loss's from the start alone (see :mod:`~linearnets.training.guard_rare`), the state so far
        kept. Built without ``loss=``, a guard took a mean-reduced cross-entropy's one value per
        batch of 20 for rare large losses and let a blown-up classifier train on. A squared-error
        loss's floor watches every step's targets, so it stays ``loss=``'s to ask for."""
        if self.loss is not None or rare_losses(loss) == self._growth.rare_losses:
            return
        state = self._growth.state_dict()
        self._growth = self._growth_check(rare=rare_losses(loss))
        self._growth.load_state_dict(state)

    def use_updater(self, updater: object) -> None:
        """Word the advice for ``updater``: an adaptive optimizer's (Adam's) lr is told around
        1e-3, not the book's SGD rates (see :mod:`~linearnets.training.adaptive_lr`)."""
        self._optimizer = adaptive_name(updater)
        self._growth.lr = self._advice_lr

    @property
    def _advice_lr(self) -> float:
        """``lr`` marked with the adaptive optimizer trained at it (see :func:`lr_for`)."""
        return lr_for(self.lr, self._optimizer)

    def resumes(self, *, start_epoch: int) -> bool:
        """Return whether a ``fit`` from ``start_epoch`` goes on with the run this guard guarded
        steps of: ``start_epoch`` > 0 (fit told to go on, after an interrupt, ReduceLROnPlateau or
        a decay by hand) or its state loaded since its last fit began (a checkpoint's). Its lr
        may then be above the updater's. Changes nothing: :meth:`begin_run` does."""
        return self._goes_on(start_epoch) and self.first_loss is not None

    def begin_run(self, *, start_epoch: int) -> None:
        """Start guarding a ``fit`` from ``start_epoch``, once fit's checks all passed: the guard
        keeps its state where fit goes on (``start_epoch`` > 0) or its state was loaded since its
        last fit; else it starts over as a fresh guard, its starting loss the new run's. A guard
        may be shared by runs (a new model, or one re-initialised in place): taken for the same
        run, a second run was judged against the first one's starting loss, its divergence told
        the first run's lr."""
        if not self._goes_on(start_epoch):
            self._start_state()
        self._loaded = False

    def _goes_on(self, start_epoch: int) -> bool:
        return start_epoch > 0 or self._loaded

    def _growth_check(self, *, rare: bool) -> GrowthCheck:
        """Return a new growth check of this guard's settings (``rare``: see GrowthCheck)."""
        return GrowthCheck(
            lr=self._advice_lr,
            factor=self.factor,
            min_examples=self.min_examples,
            spread=self._spread,
            rare=rare,
        )

    # -- hooks ---------------------------------------------------------------------------------
    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        """Note that ``fit`` will call :meth:`on_epoch_end`, so CPU steps may be checked in groups,
        and whether it resumes (``start_epoch`` > 0: the weights were trained before)."""
        self._epoch_ends = True
        self._resumed = self._resumed or start_epoch > 0

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        """Remember the epoch, for the message."""
        self.epoch = epoch
        self._growth.start_epoch()
        self._after = None

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        """Check the step's per-example losses (the ``fit`` callback hook)."""
        self(step, losses)

    def after_last_update(self, losses: torch.Tensor) -> None:
        """Keep the epoch's last batch's per-example ``losses`` after its last update, which no
        step's loss shows, for :meth:`on_epoch_end` (``train_epoch`` re-scores that batch once,
        see :mod:`~linearnets.training.last_update`)."""
        l = losses.detach()
        if self.dist is not None and self.dist.enabled:  # every process decides alike
            l = sum_and_count(l)
            self.dist.all_reduce_sum(l)
        self._after = l

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        """Check the steps not read back yet, then refuse an epoch whose loss is non-finite or has
        grown ``factor`` times past the start: its training loss, or a loss measured after its
        last update, which no step's loss shows (its last batch's, see
        :meth:`after_last_update`; linreg's training loss after the epoch), see
        :meth:`~linearnets.training.guard_epoch_end.EpochEndCheck.end_epoch`. ``fit`` calls it
        before the callbacks after it: a checkpoint callback never saves such an epoch. The test
        loss is checked for being finite alone: a test set's heavy tail (a mislabelled or corrupt
        test example) is no blow-up."""
        self.flush()
        with self._on_every_rank():
            for name, value in (("training", metrics.train_loss), ("test", metrics.test_loss)):
                if value is not None and not math.isfinite(value):
                    raise epoch_not_finite(metrics.epoch, name, value, lr=self._advice_lr)
            after, self._after = self._after, None
            last = self._last_batch(after)
            self._growth.end_epoch(metrics.epoch, metrics.train_loss, last=last)

    @contextlib.contextmanager
    def _on_every_rank(self) -> Iterator[None]:
        """Mark a DivergenceError raised in the block as every rank's in a data-parallel run
        (``dist`` given): each decides on the loss summed over them all, and so raises it alike;
        ``fit`` then leaves the process group joined (:mod:`~linearnets.training.rank_stop`)."""
        try:
            yield
        except DivergenceError as exc:
            if self.dist is not None and self.dist.enabled:
                raised_on_every_rank(exc)
            raise

    def _last_batch(
        self, after: torch.Tensor | None
    ) -> tuple[float, int, torch.Tensor | None] | None:
        """Return the last batch's loss after the epoch's last update as (sum, count, per-example
        losses or None), read back once; ``None`` where none was handed."""
        if after is None:
            return None
        if self.dist is not None and self.dist.enabled:
            total, count = after.tolist()
            return float(total), int(count), None
        total = float(step_sums([after])[0]) if after.numel() else 0.0
        count = after.shape[0] if after.ndim else 1
        return total, count, after if after.ndim and per_example(after) else None

    def watch_batches(self, batches: object) -> Callable[[torch.Tensor, torch.Tensor], None] | None:
        """Return the function a loop calls with each step's batch ``(X, y)`` before the guard
        checks its losses, so that a non-finite loss on data holding NaN or inf names them, not the
        lr; ``None`` where the data need no look (``data_checked``; a data-parallel run, whose
        processes must all say the same). ``batches``: the iterable they come from (its order,
        where known, makes an example's place in the epoch its index in the dataset).

        ``fit`` and ``train_epoch`` call it once per epoch, and :meth:`end_watch` as the epoch
        ends. The batch is held, not copied or read, while its losses wait to be read back; only
        its strided tensors of at most :data:`~linearnets.training.guard_data.HELD_BYTES` past its
        own step. For a squared-error ``loss`` the targets are watched on checked data too, for
        their spread (:mod:`~linearnets.training.guard_floor`).
        """
        if self.dist is not None and self.dist.enabled:
            return None
        if self.data_checked and self._spread is None:
            return None
        self._order = batch_order(batches)
        self._batch = None  # one an earlier run showed and no check took
        return self._see

    def _see(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self._batch = (X, y)

    def end_watch(self, *, failed: bool) -> None:
        """Let go of the batch shown for a step whose check never came (a hook before the guard
        raised), as a loop's epoch ends; where it ``failed`` (raised), of the batches of the steps
        not read back too (their losses are kept): no flush will look at them.

        ``fit`` lets go of those itself (:func:`~linearnets.training.fit_hooks.on_stop`), once it
        has flushed its guards on a divergence.
        """
        self._batch = None
        if failed:
            self._pending = [(e, s, l, d, None) for e, s, l, d, _ in self._pending]
            self._targets = [None for _ in self._targets]

    def __call__(self, step: int, losses: torch.Tensor) -> None:
        """Check one step: ``step`` counts from 0 within the epoch, ``losses`` are per-example."""
        l = losses.detach() if losses.requires_grad else losses
        self._dtype = l.dtype
        if self.dist is not None and self.dist.enabled:
            # every process decides on the same numbers: this step's sum and count over all of them
            l = sum_and_count(l)
            self.dist.all_reduce_sum(l)
        every = self.check_every or (
            32 if l.device.type != "cpu" else 16 if self._epoch_ends else 1
        )
        batch, self._batch = self._batch, None
        self._targets.append(self._watched_targets(batch))
        if self.data_checked:  # watched for the targets' level alone
            batch = None
        dims: Dims = (0, 0)
        if batch is not None and len(self._pending) + 1 < every:
            # read back later: only small tensors are held so long, the others' dimensions
            batch, dims = held(batch)
        # kept as they are (no op per step), like the training loop's metrics: a step's losses are a
        # new tensor, not overwritten by later steps
        self._pending.append((self.epoch, step, l, dims, batch))
        if len(self._pending) >= every:
            self.flush()

    def _watched_targets(self, batch: Batch | None) -> tuple[torch.Tensor, bool, int] | None:
        """Return what a step's targets' spread is read from (a squared-error loss's): its
        targets ``y`` where small enough to hold (``False``), else their moments now (``True``),
        and their count of examples; ``None`` where not watched."""
        if self._spread is None or batch is None:
            return None
        y = batch[1]
        if y is None or y.layout is not torch.strided or not y.is_floating_point():
            return None
        rows = y.shape[0] if y.ndim else 1
        if y.nbytes <= HELD_BYTES:
            return y, False, rows
        return moments_of([y]), True, rows

    def flush(self) -> None:
        """Check the pending steps, in order, with one read-back (one device sync)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        targets, self._targets = self._targets, []
        losses_held = [l for _, _, l, _, _ in pending]
        spreads: list[tuple[int, list[float], list[float]] | None] = [None] * len(pending)
        if self.dist is not None and self.dist.enabled:  # already (sum, count) per step
            values = torch.stack(losses_held).tolist()
        else:
            sums = step_sums(losses_held)
            levels = self._moments(targets) if len(targets) == len(pending) else None
            read = (sums if levels is None else torch.cat([sums, levels.to(sums.dtype)])).tolist()
            if levels is not None:
                spreads = _spreads(targets, read[len(pending) :])
            values = [
                (total, l.shape[0] if l.ndim else 1)
                for total, l in zip(read[: len(pending)], losses_held, strict=True)
            ]
        per_example = not (self.dist is not None and self.dist.enabled)
        with self._on_every_rank():  # once per read-back, not per step
            for (epoch, step, l, dims, batch), (total, count), spread in zip(
                pending, values, spreads, strict=True
            ):
                # a mean-reduced (0-d) loss, or a data-parallel step's (sum, count), has no
                # example's
                losses = l if per_example and l.ndim else None
                self._check(
                    epoch, step, total, int(count), losses,
                    None if batch is None else (*batch, l, dims), targets=spread,
                )  # fmt: skip

    def _moments(self, targets: list[tuple[torch.Tensor, bool, int] | None]) -> torch.Tensor | None:
        """Return the targets' moments of the pending steps whose ``targets`` were watched, in
        order, flattened (see :func:`~linearnets.training.guard_floor.moments_of`), in one group
        where held (``None``: none watched)."""
        watched = [t for t in targets if t is not None]
        if self._spread is None or not watched:
            return None
        if not any(done for _, done, _ in watched):  # every step's y held: one group
            return moments_of([y for y, _, _ in watched])
        return torch.cat([y if done else moments_of([y]) for y, done, _ in watched])

    def _check(
        self,
        epoch: int,
        step: int,
        total: float,
        count: int,
        losses: torch.Tensor | None = None,
        batch: tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor, Dims] | None = None,
        *,
        targets: tuple[int, list[float], list[float]] | None = None,
    ) -> None:
        """Check one step's loss ``total`` over ``count`` examples; ``losses``: its per-example
        losses, if any (read back only where needed: a mean past the bound, a rare loss's next);
        ``batch``: its data, where held, the losses the guard was handed and the dimensions of
        the data let go of, looked at only if the loss is not finite; ``targets``: its targets'
        count, column means and centred sums of squares, where known (a squared-error loss's)."""
        if step == 0:
            self._before = 0
        if count == 0:
            return
        loss = total / count
        where = f"batch {step + 1} of epoch {epoch}"  # counted from 1, as a callback's step + 1
        if not math.isfinite(loss):
            error = self._not_finite(where, loss, epoch, batch)
            error.step = step  # the step of its epoch, from 0 (DivergenceError.step)
            raise error
        kept = self._kept(epoch, step)
        self._updated = True  # the step's update goes ahead
        self._before += count
        self._last = loss
        self._growth.step(where, total, count, losses, kept=kept, targets=targets)

    @staticmethod
    def _kept(epoch: int, step: int) -> Kept | None:
        """Return the :class:`Kept` of an epoch's first ``step`` (from 0) from epoch 2 on (``fit``
        names the epochs, a resume's too): its loss is that of the weights the epoch before left,
        which its checkpoint holds, before any update; else ``None``."""
        return Kept(epoch) if step == 0 and epoch > 1 else None

    def _not_finite(
        self,
        where: str,
        loss: float,
        epoch: int,
        batch: tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor, Dims] | None,
    ) -> DivergenceError:
        """Return the error for the non-finite ``loss`` at ``where``: the step's data named where
        its ``batch``, watched, shows them to blame (:func:`data_not_finite`); before any update,
        the data's scale or NaN, with the examples its losses single out (:func:`first_rows`);
        after one, where its X was not held, both the data and the lr with the test that tells
        them apart (:func:`unseen_error`); else the lr (:func:`not_finite`), beside data not
        looked at, or those that may be the cause."""
        data: DivergenceError | str | None = None
        fresh = before_update(updated=self._updated, resumed=self._resumed, epoch=epoch)
        rows = ""
        if batch is not None:
            X, y, losses, dims = batch
            data = data_not_finite(
                where, loss, (X, y), losses=losses, lr=self._advice_lr, first_example=self._before,
                order=self._order,
            )  # fmt: skip
            if isinstance(data, DivergenceError):
                return data
            # held targets too large for the losses' dtype, at any step: not X, nor the lr
            # (a fresh run's first step names them among its data's scale, below)
            targets = huge_targets(
                losses, y, dtype=self._dtype, first_example=self._before, order=self._order
            )
            if targets is not None and not (fresh and not self._resumed):
                return targets_too_large(
                    where, loss, lr=self._advice_lr, dtype=self._dtype, targets=targets
                )
            if fresh and not self._resumed:
                rows = first_rows(
                    losses, y, dtype=self._dtype, first_example=self._before, order=self._order
                )
            # data not looked at lead where the lr is not the likelier cause (a rate a linear
            # model trains at, the loss not grown past the bound before); else the lr does
            elif data is None and not fresh and self.lr <= FAR_LR and not self._grown():
                hedged = unseen_error(
                    where, loss, losses=losses, dims=dims, lr=self._advice_lr,
                    first_example=self._before, order=self._order,
                    first_loss=self._growth.first_loss, last_loss=self._last,
                )  # fmt: skip
                if hedged is not None:
                    return hedged
        error = not_finite(
            where,
            loss,
            lr=self._advice_lr,
            epoch=epoch,
            dtype=self._dtype,
            updated=self._updated,
            resumed=self._resumed,
            data_checked=self.data_checked,
            rows=rows,
        )
        if data is not None:  # NaN or inf in the batch, with no evidence either way
            error.args = (f"{error}{data}",)
        return error

    def _grown(self) -> bool:
        """Whether the latest finite step's loss had grown: past the growth check's bound, or
        ``factor`` × the first step's (a window still open holds the grown steps)."""
        bound = self._growth.bound()
        first = self._growth.first_loss
        if self._last is None or first is None:
            return False
        grown = self.factor * max(first, 1e-12)
        return self._last > (grown if bound is None else min(bound, grown))

    # -- state, so a resumed run keeps the same reference ----------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Return the starting loss and the latest steps' losses (for checkpoints)."""
        self.flush()
        return self._growth.state_dict()

    def load_state_dict(
        self, state: dict[str, Any], *, new_data: bool = False, history: History | None = None
    ) -> None:
        """Restore what :meth:`state_dict` returned (a resume: the weights were trained before).

        ``new_data``: the run goes on with other data than the state was saved on (a new data
        file, noise or number of examples): the lowest training loss after an epoch it holds is
        dropped, the first epoch on the new data sets it, or an epoch past 100× it, at the new
        data's own level, would stop as blown up. The guard cannot tell this from the state, nor
        ``fit`` from its batches: pass it. ``history``: the run's epochs so far (``fit``'s
        ``history``), the lowest of whose training losses stands in for that of a state saved
        before it was kept (:func:`~linearnets.training.guard_growth.resumed_state`).

        Raises:
            UsageTypeError: ``new_data`` is no bool (``"no"`` is truthy: it dropped the lowest),
                or ``history`` is neither ``None`` nor a :class:`History` (a plain list of losses
                failed deep inside as "'list' object has no attribute 'epochs'").
        """
        new_data = check_bool("new_data", new_data)
        if history is not None and not isinstance(history, History):
            raise UsageTypeError(
                f"history= must be the run's History (fit's history; a checkpoint's: "
                f"linearnets.training.checkpoint.checkpoint_history(ckpt)) or None, got "
                f"{describe(history)}; pass the History of the epochs the state was saved after, "
                f"or leave history= out"
            )
        epochs = [] if history is None else [(m.epoch, m.train_loss) for m in history.epochs]
        state = resumed_state(state, new_data=new_data, epochs=epochs)
        self._resumed = True
        self._loaded = True
        self._growth.load_state_dict(state)


def guards_first(callbacks: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Split a run's extra ``callbacks`` into its :class:`DivergenceGuard` s and the others, for a
    run to call the guards before its checkpoint and writers, as it calls its own: a user's guard
    tripping at an epoch's end (the last update re-scored) ran after the checkpoint had saved the
    blown-up weights, which the stop then advised resuming at a smaller lr. The order within
    each part is the caller's."""
    guards = [cb for cb in callbacks if isinstance(cb, DivergenceGuard)]
    return guards, [cb for cb in callbacks if not isinstance(cb, DivergenceGuard)]


def _spreads(
    targets: list[tuple[torch.Tensor, bool, int] | None], read: list[float]
) -> list[tuple[int, list[float], list[float]] | None]:
    """Return each pending step's targets' (count, column means, centred sums of squares) from
    their moments ``read`` back one after the other (2·k values a watched step), ``None`` for a
    step not watched."""
    spreads: list[tuple[int, list[float], list[float]] | None] = []
    at = 0
    for t in targets:
        if t is None:
            spreads.append(None)
            continue
        y, done, rows = t
        k = y.shape[0] // 2 if done else values_per_example(y)
        spreads.append((rows, read[at : at + k], read[at + k : at + 2 * k]))
        at += 2 * k
    return spreads
