"""What fit tells the divergence guards among its callbacks (D2L §3.6.6): its loss, where a guard
was built without one."""

from __future__ import annotations

import math
import re
from functools import partial
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import DivergenceError, UsageError
from linearnets.models.scratch import SGD
from linearnets.training.guard import DivergenceGuard
from linearnets.training.loop import fit


def _classes(n: int = 600, batch: int = 20) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n`` random examples of 5 features and 3 classes, in batches of ``batch``."""
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)
    return [(X[i : i + batch], y[i : i + batch]) for i in range(0, n, batch)]


def _net() -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(5, 3)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_a_guard_built_without_loss_stops_a_blown_up_classifier_in_batches_of_20(
    reduction: str,
) -> None:
    # the docs' callbacks=[DivergenceGuard(lr)]: a mean-reduced cross-entropy's one value per batch
    # was taken for a loss that may hold rare large values; the loss went 1.1 -> ~3500, unstopped
    net = _net()
    with pytest.raises(DivergenceError) as err:
        fit(net, _classes(), nn.CrossEntropyLoss(reduction=reduction),
            torch.optim.SGD(net.parameters(), lr=1e4), 2, callbacks=[DivergenceGuard(1e4)])  # fmt: skip
    assert str(err.value).startswith(
        "training diverged at batch 2 of epoch 1: the batch loss is 2389, more than 100× its starting "
        "value 1.138, at lr 10000; try a far smaller learning rate (lr)"
    )


def test_a_guard_given_loss_keeps_its_own() -> None:
    loss = nn.CrossEntropyLoss(reduction="sum")
    guard = DivergenceGuard(0.1, loss=loss)
    net = _net()
    fit(net, _classes(60), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1,
        callbacks=[guard])  # fmt: skip
    assert guard.loss is loss


def test_a_healthy_run_is_the_same_with_and_without_the_guard() -> None:
    runs = []
    for callbacks in ([], [DivergenceGuard(0.1)]):
        net = _net()
        history = fit(net, _classes(), nn.CrossEntropyLoss(),
                      torch.optim.SGD(net.parameters(), lr=0.1), 2, callbacks=callbacks)  # fmt: skip
        runs.append(([(e.train_loss, e.train_acc) for e in history.epochs], net.weight.clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])


def test_a_guard_whose_lr_is_not_the_optimizers_is_refused() -> None:
    # a guard at 0.1 on SGD at lr 10 advised "at lr 0.1; try ... e.g. 0.01"
    net = _net()
    with pytest.raises(UsageError) as err:
        fit(net, _classes(60), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=10.0), 1,
            callbacks=[DivergenceGuard(0.1, loss=nn.CrossEntropyLoss())])  # fmt: skip
    assert str(err.value) == (
        "DivergenceGuard's lr must be the updater's (it names it in its advice and weighs it "
        "against the data), got DivergenceGuard(0.1) while the updater trains at lr 10; pass "
        "DivergenceGuard(10), the updater's lr"
    )
    assert torch.equal(net.weight, _net().weight)  # refused before any step


def test_a_guard_may_keep_the_lr_a_scheduled_run_started_at() -> None:
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.step()  # no gradients: nothing moves
    scheduler.step()  # the lr is now 0.05, its initial_lr 0.1
    fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1, callbacks=[DivergenceGuard(0.1)])


def test_a_run_whose_lr_went_down_goes_on_with_its_own_guard() -> None:
    """Refused, before any step, as a guard not at the updater's lr: fit(..., start_epoch=2,
    history=h) with the guard of the first fit after a ReduceLROnPlateau (which sets no
    initial_lr) or the user lowered the lr (a new guard would lose the saved starting loss). A
    fresh guard above the updater's lr is still refused: its advice named an lr above the one
    that diverged (a guard at 10 on SGD at 0.1 advised 0.5); so is one below the largest group's."""
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    guard = DivergenceGuard(0.1)
    history = fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1, callbacks=[guard])
    for group in optimizer.param_groups:
        group["lr"] *= 0.01  # as ReduceLROnPlateau does
    fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 2, start_epoch=1, history=history,
        callbacks=[guard])  # fmt: skip
    with pytest.raises(UsageError, match=r"got DivergenceGuard\(0\.1\) while the updater trains at lr 0\.001;"):  # fmt: skip
        fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 3, start_epoch=2,
            history=history, callbacks=[DivergenceGuard(0.1)])  # fmt: skip
    with pytest.raises(UsageError, match=r"got DivergenceGuard\(10\) while the updater trains at lr 0\.001;"):  # fmt: skip
        fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1, callbacks=[DivergenceGuard(10)])
    groups = [{"params": [net.weight], "lr": 0.1}, {"params": [net.bias], "lr": 0.01}]
    with pytest.raises(UsageError, match=r"got DivergenceGuard\(0\.03\) while the updater trains at lr 0\.1;"):  # fmt: skip
        fit(net, _classes(60), nn.CrossEntropyLoss(), torch.optim.SGD(groups), 1,
            callbacks=[DivergenceGuard(0.03)])  # fmt: skip


def test_a_guard_at_the_scratch_sgds_lr_is_taken() -> None:
    w = torch.zeros(5, 3, requires_grad=True)
    with pytest.raises(UsageError, match=r"got DivergenceGuard\(0\.03\) while the updater trains at lr 0\.1;"):  # fmt: skip
        fit(lambda X: X @ w, _classes(60), nn.CrossEntropyLoss(), SGD([w], lr=0.1), 1,
            callbacks=[DivergenceGuard(0.03)])  # fmt: skip
    fit(lambda X: X @ w, _classes(60), nn.CrossEntropyLoss(), SGD([w], lr=0.1), 1,
        callbacks=[DivergenceGuard(0.1)])  # fmt: skip


def test_a_guard_given_another_kind_of_loss_than_fits_is_refused() -> None:
    net = nn.Linear(5, 1)
    batches = [(X, X[:, :1]) for X, _ in _classes(60)]
    with pytest.raises(UsageError) as err:
        fit(net, batches, nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1,
            callbacks=[DivergenceGuard(0.1, loss=nn.CrossEntropyLoss())])  # fmt: skip
    assert str(err.value) == (
        "DivergenceGuard's loss must be of fit's kind, got loss=CrossEntropyLoss() (a "
        "classification loss) while fit trains with MSELoss() (a squared-error loss); pass "
        "DivergenceGuard(lr, loss=loss) with fit's loss, or leave loss= out (fit hands a guard "
        "its own)"
    )


def test_a_summed_losss_guard_may_name_the_means_lr() -> None:
    # a summed loss's gradient is B times the mean's: its updater's lr is the mean's / B
    net = _net()
    fit(net, _classes(60), nn.CrossEntropyLoss(reduction="sum"),
        torch.optim.SGD(net.parameters(), lr=0.1 / 20), 1, callbacks=[DivergenceGuard(0.1)])  # fmt: skip


def _suggested(message: str) -> float:
    """The lr a refusal tells to pass: ``pass DivergenceGuard(x)``."""
    import re

    found = re.search(r"; pass DivergenceGuard\(([^)]+)\)", message)
    assert found is not None, message
    return float(found.group(1))


def test_the_lr_a_refusal_suggests_is_taken() -> None:
    """{lr:g}'s 6 digits named an lr the check (to 1e-6) refused again: SGD at 0.12345671 and a
    guard at 0.123456 were told to pass DivergenceGuard(0.123457). The oracle: fit takes the
    guard the message names, in the fewest digits within 1e-7 of the lr."""
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.12345671)
    with pytest.raises(UsageError) as err:
        fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1,
            callbacks=[DivergenceGuard(0.123456)])  # fmt: skip
    assert str(err.value) == (
        "DivergenceGuard's lr must be the updater's (it names it in its advice and weighs it "
        "against the data), got DivergenceGuard(0.123456) while the updater trains at lr "
        "0.1234567; pass DivergenceGuard(0.1234567), the updater's lr"
    )
    fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1,
        callbacks=[DivergenceGuard(_suggested(str(err.value)))])  # fmt: skip


def test_a_one_cycle_runs_refusal_suggests_its_peak() -> None:
    """docs/python.md: under OneCycleLR pass the peak, its max_lr; the refusal of a guard at 0.2
    told DivergenceGuard(0.004), the warm-up's start the optimizer trains at first."""
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    with pytest.raises(UsageError) as err:
        fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1,
            callbacks=[DivergenceGuard(0.2)])  # fmt: skip
    assert str(err.value) == (
        "DivergenceGuard's lr must be the updater's (it names it in its advice and weighs it "
        "against the data), got DivergenceGuard(0.2) while the updater trains at lr 0.004 and "
        "its scheduler's max_lr is 0.1; pass DivergenceGuard(0.1), its max_lr"
    )
    assert _suggested(str(err.value)) == optimizer.param_groups[0]["max_lr"]
    fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1,
        callbacks=[DivergenceGuard(_suggested(str(err.value)))])  # fmt: skip


def test_a_step_schedules_refusal_suggests_the_lr_it_started_at() -> None:
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.step()  # no gradients: nothing moves
    scheduler.step()  # the lr is now 0.05, its initial_lr 0.1
    with pytest.raises(UsageError, match=r"got DivergenceGuard\(0\.3\) while the updater trains at lr 0\.05 and its scheduler's initial_lr is 0\.1; pass DivergenceGuard\(0\.1\), its initial_lr$"):  # fmt: skip
        fit(
            net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1, callbacks=[DivergenceGuard(0.3)]
        )


def _regression(scale: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """400 examples of 3 features, targets X·(1, 2, 3) + noise times ``scale``, in batches of 20."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(400, 3, generator=g)
    y = (X @ torch.tensor([[1.0], [2.0], [3.0]]) + 0.1 * torch.randn(400, 1, generator=g)) * scale
    return [(X[i : i + 20], y[i : i + 20]) for i in range(0, 400, 20)]


def _linear(lr: float) -> tuple[nn.Linear, torch.optim.SGD]:
    torch.manual_seed(0)
    net = nn.Linear(3, 1)
    return net, torch.optim.SGD(net.parameters(), lr=lr)


def test_a_guard_reused_for_another_run_is_checked_as_a_fresh_one() -> None:
    """A guard that had guarded a first run (SGD at 0.1) was taken for a second run's, on a new
    model and SGD at 0.05, as a resume whose lr went down: it then stopped that run naming lr 0.1
    and the first run's starting loss. Another run's guard is refused as a fresh one is."""
    guard = DivergenceGuard(0.1, loss=nn.MSELoss())
    net, optimizer = _linear(0.1)
    fit(net, _regression(1), nn.MSELoss(), optimizer, 2, callbacks=[guard])
    net, optimizer = _linear(0.05)
    with pytest.raises(UsageError) as err:
        fit(net, _regression(1), nn.MSELoss(), optimizer, 2, callbacks=[guard])
    assert str(err.value) == (
        "DivergenceGuard's lr must be the updater's (it names it in its advice and weighs it "
        "against the data), got DivergenceGuard(0.1) while the updater trains at lr 0.05; pass "
        "DivergenceGuard(0.05), the updater's lr"
        "; or, if this fit goes on with the run the guard guarded before, keep the guard and pass "
        "fit(..., start_epoch=N), N the epochs trained"
    )


def test_a_guard_reused_for_another_run_starts_over() -> None:
    """At the same lr, a second run on targets 100× larger (a healthy one: its loss drops) was
    judged against the first run's starting loss (10.6 where its own is 9·10⁴), the one its
    advice would name. The oracle: a fresh guard on that run, whose starting loss the shared one
    now has."""
    shared = DivergenceGuard(0.1, loss=nn.MSELoss())
    net, optimizer = _linear(0.1)
    fit(net, _regression(1), nn.MSELoss(), optimizer, 2, callbacks=[shared])
    first_start = shared.start_loss
    runs = []
    for guard in (DivergenceGuard(0.1, loss=nn.MSELoss()), shared):
        net, optimizer = _linear(0.1)
        history = fit(net, _regression(100), nn.MSELoss(), optimizer, 2, callbacks=[guard])
        runs.append((history.train_loss, guard.start_loss, guard.first_loss))
    assert runs[1] == runs[0]
    assert runs[0][1] is not None and first_start is not None and runs[0][1] > 1000 * first_start


def test_a_resumed_runs_guard_keeps_its_lr_on_a_new_optimizer_or_new_tensors() -> None:
    """The same run resumed: fit going on (``start_epoch=1``) under a new optimizer at a lower
    lr, or a guard whose state was loaded (a checkpoint's, into a new model's tensors) — its lr
    stays taken."""
    guard = DivergenceGuard(0.1)
    net = _net()
    history = fit(net, _classes(60), nn.CrossEntropyLoss(),
                  torch.optim.SGD(net.parameters(), lr=0.1), 1, callbacks=[guard])  # fmt: skip
    fit(net, _classes(60), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.01), 2,
        start_epoch=1, history=history, callbacks=[guard])  # fmt: skip
    restored, loaded = _net(), DivergenceGuard(0.1)
    restored.load_state_dict(net.state_dict())
    loaded.load_state_dict(guard.state_dict())
    fit(restored, _classes(60), nn.CrossEntropyLoss(),
        torch.optim.SGD(restored.parameters(), lr=0.01), 3, start_epoch=2, history=history,
        callbacks=[loaded])  # fmt: skip
    assert loaded.start_loss == guard.start_loss  # the run's, kept


def _reinit(net: nn.Linear) -> None:
    """Re-initialise ``net`` in place (its tensors kept), as a sweep over one model does."""
    with torch.no_grad():
        torch.manual_seed(1)
        nn.init.normal_(net.weight, 0, 0.01)
        nn.init.zeros_(net.bias)


def test_a_model_re_initialised_in_place_is_a_new_run() -> None:
    """The same tensors re-initialised: a guard knowing its run by its tensors judged the second
    run (targets 30× larger, a healthy run) against the first one's starting loss and stopped it
    at its first step. The oracle: a fresh guard on that run; the shared one now says the same."""
    shared = DivergenceGuard(0.03, loss=nn.MSELoss())
    net = nn.Linear(3, 1)
    _reinit(net)
    fit(net, _regression(1), nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03), 2,
        callbacks=[shared])  # fmt: skip
    runs = []
    for guard in (DivergenceGuard(0.03, loss=nn.MSELoss()), shared):
        _reinit(net)
        history = fit(net, _regression(30), nn.MSELoss(),
                      torch.optim.SGD(net.parameters(), lr=0.03), 2, callbacks=[guard])  # fmt: skip
        runs.append((history.train_loss, guard.start_loss, guard.first_loss))
    assert runs[1] == runs[0]


def test_a_model_re_initialised_in_place_has_its_guards_lr_checked_as_a_fresh_ones() -> None:
    guard = DivergenceGuard(0.1)
    net = nn.Linear(3, 1)
    _reinit(net)
    fit(net, _regression(1), nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1,
        callbacks=[guard])  # fmt: skip
    _reinit(net)
    with pytest.raises(UsageError) as err:
        fit(net, _regression(1), nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.01), 1,
            callbacks=[guard])  # fmt: skip
    assert str(err.value) == (
        "DivergenceGuard's lr must be the updater's (it names it in its advice and weighs it "
        "against the data), got DivergenceGuard(0.1) while the updater trains at lr 0.01; pass "
        "DivergenceGuard(0.01), the updater's lr"
        "; or, if this fit goes on with the run the guard guarded before, keep the guard and pass "
        "fit(..., start_epoch=N), N the epochs trained"
    )


@pytest.mark.parametrize("lr", [0.0, float("inf")], ids=["zero", "inf"])
def test_an_updater_lr_no_guard_takes_is_named_as_the_fault(lr: float) -> None:
    """SGD at lr 0 (or inf) under DivergenceGuard(0.1) was told to pass DivergenceGuard(0) (or
    inf, not even Python), which DivergenceGuard itself refuses: the updater's lr is the fault."""
    net, optimizer = _linear(lr)
    with pytest.raises(UsageError) as err:
        fit(net, _regression(1), nn.MSELoss(), optimizer, 1, callbacks=[DivergenceGuard(0.1)])
    assert str(err.value) == (
        f"the updater's lr must be a finite number > 0 for DivergenceGuard(0.1) to guard it, got "
        f"lr {'0' if lr == 0 else 'inf'}; give the optimizer the lr to train at, e.g. 0.1"
    )
    with pytest.raises(UsageError, match=r"^lr must be a finite number > 0"):
        DivergenceGuard(lr)  # what the old advice said to pass


class _PlainSGD:
    """An updater of one's own: ``step``/``zero_grad``, no ``param_groups`` (fit takes it)."""

    def __init__(self, params: list[torch.Tensor], lr: float) -> None:
        self.params, self.lr = params, lr

    def step(self) -> None:
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p -= self.lr * p.grad

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


def test_a_guard_under_an_updater_showing_no_params_starts_over_for_a_new_model() -> None:
    """An updater without ``param_groups`` showed no tensors, and the guard took any run of it for
    the one it guarded: a new model's healthy run on targets 30× larger was judged against the
    first run's starting loss. The oracle: a fresh guard."""
    shared = DivergenceGuard(0.03, loss=nn.MSELoss())
    net, _ = _linear(0.03)
    fit(net, _regression(1), nn.MSELoss(), _PlainSGD(list(net.parameters()), 0.03), 2,
        callbacks=[shared])  # fmt: skip
    runs = []
    for guard in (DivergenceGuard(0.03, loss=nn.MSELoss()), shared):
        net, _ = _linear(0.03)
        history = fit(net, _regression(30), nn.MSELoss(),
                      _PlainSGD(list(net.parameters()), 0.03), 2, callbacks=[guard])  # fmt: skip
        runs.append((history.train_loss, guard.start_loss, guard.first_loss))
    assert runs[1] == runs[0]


def test_a_guard_is_reset_only_once_fits_checks_pass_and_order_does_not_matter() -> None:
    """The guard was reset before its lr was refused, so the run it guarded lost its starting
    loss; and the same run going on under an optimizer listing its tensors in another order
    (bias, weight) was refused where (weight, bias) was taken. Going on (``start_epoch=1``), any
    optimizer over the model keeps the guard's larger lr and its starting loss."""
    guard = DivergenceGuard(0.1)
    net, optimizer = _linear(0.1)
    history = fit(net, _regression(1), nn.MSELoss(), optimizer, 1, callbacks=[guard])
    start, first = guard.start_loss, guard.first_loss
    other, _ = _linear(0.05)
    with pytest.raises(UsageError):
        fit(other, _regression(1), nn.MSELoss(), torch.optim.SGD(other.parameters(), lr=0.05), 1,
            callbacks=[guard])  # fmt: skip
    assert (guard.start_loss, guard.first_loss) == (start, first)
    reordered = torch.optim.SGD([{"params": [net.bias]}, {"params": [net.weight]}], lr=0.01)
    fit(net, _regression(1), nn.MSELoss(), reordered, 2, start_epoch=1, history=history,
        callbacks=[guard])  # fmt: skip
    assert (guard.start_loss, guard.first_loss) == (start, first)


def test_a_summed_partials_guard_may_name_the_means_lr() -> None:
    """A summed loss's updater's lr is the mean's ÷ B, so its guard's lr is not checked: a
    ``partial`` of torch's function was not known as summed, and its guard at the mean's lr
    refused, while ``nn.CrossEntropyLoss(reduction="sum")``'s was taken (the oracle)."""
    summed = partial(F.cross_entropy, reduction="sum")
    runs = []
    for loss in (nn.CrossEntropyLoss(reduction="sum"), summed):
        net = _net()
        guard = DivergenceGuard(0.5)
        history = fit(net, _classes(60), loss, torch.optim.SGD(net.parameters(), lr=0.01), 2,
                      callbacks=[guard])  # fmt: skip
        runs.append((history.train_loss, guard.start_loss))
    assert runs[1] == runs[0]


def test_a_float32_tensor_lrs_refusal_names_it_in_its_fewest_digits() -> None:
    """Adam(lr=torch.tensor(0.01)) holds float32's 0.00999999977648: the refusal named it
    0.00999999978. The oracle: the float32 value 0.01 stands for, within 1e-7 of 0.01; fit takes
    the guard the message names."""
    net = _net()
    optimizer = torch.optim.Adam(net.parameters(), lr=torch.tensor(0.01))
    assert math.isclose(float(optimizer.param_groups[0]["lr"]), 0.01, rel_tol=1e-7)
    with pytest.raises(UsageError) as err:
        fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1,
            callbacks=[DivergenceGuard(0.02)])  # fmt: skip
    assert str(err.value).endswith(
        "got DivergenceGuard(0.02) while the updater trains at lr 0.01; pass "
        "DivergenceGuard(0.01), the updater's lr"
    )
    fit(net, _classes(60), nn.CrossEntropyLoss(), optimizer, 1,
        callbacks=[DivergenceGuard(_suggested(str(err.value)))])  # fmt: skip


@pytest.mark.parametrize("kind", [torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop])
def test_an_adaptive_optimizers_blow_up_is_advised_its_own_rates_not_sgds(
    kind: type[torch.optim.Optimizer],
) -> None:
    """Adam at lr 100 was told 'e.g. 0.5 (the book trains at 0.03 and 0.1 ...)', SGD's rates, at
    which Adam still blows up (a loss of 38.9): now around torch's default for Adam, 1e-3."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(500, 784, generator=gen), torch.randint(0, 10, (500,), generator=gen)
    batches = [(X[i : i + 64], y[i : i + 64]) for i in range(0, 500, 64)]
    net = nn.Linear(784, 10)
    with pytest.raises(DivergenceError) as info:
        fit(net, batches, nn.CrossEntropyLoss(), kind(net.parameters(), lr=100.0), 3,
            callbacks=[DivergenceGuard(100.0)])  # fmt: skip
    said = str(info.value)
    assert (
        f"at lr 100; try a far smaller learning rate (lr) for {kind.__name__}, e.g. 0.001 "
        f"(torch's default for Adam; {kind.__name__} moves each weight by about lr a step "
        "whatever the gradient's size, so SGD's rates blow it up too)"
    ) in said, said
    assert "0.5" not in said and "the book trains" not in said


def test_a_guard_fit_with_adam_keeps_a_plain_float_lr_that_a_checkpoint_loads(
    tmp_path: Path,
) -> None:
    """After a fit with Adam, guard.lr was an AdaptiveLr: torch.save({"lr": guard.lr}) then
    torch.load (weights_only) failed with "Unsupported global ... AdaptiveLr"."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 4, generator=gen), torch.randint(0, 3, (64,), generator=gen)
    net = nn.Linear(4, 3)
    guard = DivergenceGuard(0.01)
    fit(net, [(X, y)], nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters(), lr=0.01), 1,
        callbacks=[guard])  # fmt: skip
    assert type(guard.lr) is float
    torch.save({"lr": guard.lr}, tmp_path / "ckpt.pt")
    assert torch.load(tmp_path / "ckpt.pt", weights_only=True) == {"lr": 0.01}


def test_a_guard_used_with_adam_then_sgd_advises_sgds_rates_again() -> None:
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(500, 784, generator=gen), torch.randint(0, 10, (500,), generator=gen)
    batches = [(X[i : i + 64], y[i : i + 64]) for i in range(0, 500, 64)]
    guard = DivergenceGuard(100.0)
    for kind, fix in ((torch.optim.Adam, "e.g. 0.001"), (torch.optim.SGD, "e.g. 0.5 (the book")):
        net = nn.Linear(784, 10)
        with pytest.raises(DivergenceError, match=re.escape(fix)):
            fit(net, batches, nn.CrossEntropyLoss(), kind(net.parameters(), lr=100.0), 3,
                callbacks=[guard])  # fmt: skip
