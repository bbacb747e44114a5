"""End-to-end linear regression with the book's defaults (D2L §3.2.7, §3.3.7)."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets.config import LinregConfig
from linearnets.errors import DatasetError, DivergenceError, UsageError
from linearnets.tasks.linreg import run_linreg
from linearnets.training.callbacks import Callback, ConsoleLogger

from .test_linreg_train import scale_hint, standardise_first


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_recovers_truth_and_agrees_with_closed_form(impl: str) -> None:
    result = run_linreg(LinregConfig(impl=impl))
    assert max(abs(e) for e in result.w_error) < 0.01
    assert abs(result.b_error) < 0.01
    assert max(abs(e) for e in result.w_error_closed) < 0.005
    assert abs(result.b_error_closed) < 0.005
    # the loss ends near the noise floor: ½σ² (scratch) or σ² (MSELoss), σ = 0.01
    floor = 1e-4 if impl == "concise" else 0.5e-4
    assert floor * 0.5 < result.loss < floor * 2
    assert len(result.history.epochs) == 3
    # the errors are truth minus learned (the book's w = [2, -3.4], b = 4.2), computed here
    assert result.w_error == pytest.approx([2.0 - result.w[0], -3.4 - result.w[1]], abs=1e-12)
    assert result.b_error == pytest.approx(4.2 - result.b, abs=1e-12)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_same_seed_same_result(impl: str) -> None:
    a = run_linreg(LinregConfig(impl=impl, seed=7)).summary()
    b = run_linreg(LinregConfig(impl=impl, seed=7)).summary()
    c = run_linreg(LinregConfig(impl=impl, seed=8)).summary()
    for s in (a, b, c):
        for row in s["history"]:
            row.pop("seconds")
    assert a == b
    assert a["w"] != c["w"]


@pytest.mark.parametrize(
    "field,value,pattern",
    [
        ("lr", 0.0, r"lr must be a finite number > 0, got 0.0"),
        ("lr", -1.0, r"lr must be"),
        ("batch_size", 0, r"batch_size must be a positive integer"),
        ("epochs", 0, r"epochs must be a positive integer"),
        ("num_examples", -5, r"num_examples must be a positive integer"),
        ("impl", "fast", r"impl must be one of 'scratch', 'analytic', 'concise', got 'fast'"),
        ("seed", -1, r"seed must be a non-negative integer"),
        ("noise_std", -0.1, r"noise_std must be a finite number >= 0"),
        ("true_w", (), r"true_w must hold at least one weight"),
    ],
)
def test_config_rejects_bad_values(field: str, value: object, pattern: str) -> None:
    with pytest.raises(UsageError, match=pattern):
        dataclasses.replace(LinregConfig(), **{field: value})


def test_analytic_gradient_follows_autograd() -> None:
    autograd = run_linreg(LinregConfig(impl="scratch", seed=3))
    analytic = run_linreg(LinregConfig(impl="analytic", seed=3))
    assert analytic.w == pytest.approx(autograd.w, abs=1e-6)
    assert analytic.b == pytest.approx(autograd.b, abs=1e-6)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_the_noise_and_the_learning_rate_are_the_configs(impl: str) -> None:
    # σ = 0.1: the loss ends near ½σ² (scratch) or σ² (MSELoss), a hundred times the default's
    noisy = run_linreg(LinregConfig(impl=impl, noise_std=0.1))
    floor = 1e-2 if impl == "concise" else 0.5e-2
    assert floor * 0.5 < noisy.loss < floor * 2
    # a learning rate too small to move: one epoch leaves w near its N(0, 0.01²) start
    still = run_linreg(LinregConfig(impl=impl, lr=1e-6, epochs=1))
    assert still.w == pytest.approx([0.0, 0.0], abs=0.05)


def test_the_run_trains_on_the_configs_thread_count_and_gives_the_callers_back() -> None:
    import torch

    from linearnets.training.callbacks import Callback

    seen: list[int] = []

    class Threads(Callback):
        def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
            seen.append(torch.get_num_threads())

    assert torch.get_num_threads() == 1  # the suite's
    run_linreg(LinregConfig(epochs=2, num_threads=2), callbacks=[Threads()])
    assert seen == [2, 2] and torch.get_num_threads() == 1


@pytest.mark.parametrize("device", ["cuda", "mps", 3])
def test_linear_regression_trains_on_the_cpu_only(device: object) -> None:
    """LinregConfig.device was once accepted and ignored: a run asked for 'cuda' ran on the CPU."""
    with pytest.raises(UsageError, match=r"device must be 'cpu' for linear regression, got"):
        LinregConfig(device=device)  # type: ignore[arg-type]
    assert LinregConfig(device="cpu").device == "cpu"


def _regression_file(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    np.savez(path, X=X.astype(np.float32), y=y.astype(np.float32))
    return path


@pytest.mark.parametrize(
    ("name", "constant", "repeated", "tied"),
    [
        ("d.npz", "X[:, 1] is constant", "X[:, 2] repeats X[:, 0]", "X[:, 0], X[:, 1] and X[:, 2]"),
        ("d.csv", "column 2 is constant", "column 3 repeats column 1", "columns 1, 2 and 3"),
    ],
)
def test_dependent_columns_are_named_in_the_files_terms(
    tmp_path: Path, name: str, constant: str, repeated: str, tied: str
) -> None:
    """An .npz's constant X[:, 1] was told "column 2 is constant" and a repeated X[:, 2] "column 3
    repeats column 1", while its rounding check says X[:, 0]: the closed form's refusals now name
    columns as the file's other messages do, X[:, j] for an .npz, column j + 1 for a CSV."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(30, 2))  # (30, 2)
    y = base.sum(1)  # (30,)
    made = {
        constant: np.c_[base[:, 0], np.full(30, 7.0), base[:, 1]],
        repeated: np.c_[base, base[:, 0]],
        f"{tied} are linearly dependent": np.c_[base, base[:, 0] - 2 * base[:, 1]],
    }
    for told, X in made.items():
        path = tmp_path / name
        if name.endswith(".npz"):
            _regression_file(path, X, y)
        else:
            np.savetxt(path, np.c_[X, y], delimiter=",")
        with pytest.raises(
            DatasetError,
            match=rf"\(30, 3\)( to within float32's rounding)?: {re.escape(told)}[ ,;]",
        ):
            run_linreg(LinregConfig(data=path))


@pytest.mark.parametrize(("impl", "half"), [("scratch", 0.5), ("analytic", 0.5), ("concise", 1.0)])
def test_the_reported_loss_is_the_whole_datas_loss_at_the_learned_weights(
    tmp_path: Path, impl: str, half: float
) -> None:
    """Not the mean of the batch losses seen while the weights moved: ½ mean squared residual
    (the book's squared loss) or the mean squared residual (MSELoss), computed here in float64."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 2))
    y = X @ np.array([1.0, -2.0]) + 0.5 + rng.normal(scale=0.3, size=50)
    path = _regression_file(tmp_path / "d.npz", X, y)
    result = run_linreg(LinregConfig(impl=impl, data=path, epochs=2, batch_size=5))
    Xf, yf = X.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64)
    residual = Xf @ np.array(result.w) + result.b - yf
    assert result.loss == pytest.approx(half * np.mean(residual**2), rel=1e-4)
    assert result.loss == result.history.last.train_loss


def test_a_data_file_without_a_unique_solution_is_a_dataset_error_naming_it(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 2))
    X[:, 1] = X[:, 0]  # a repeated column: no unique least-squares solution
    path = _regression_file(tmp_path / "d.npz", X, X[:, 0] + 1.0)
    with pytest.raises(
        DatasetError,
        match=rf"^data='{re.escape(str(path))}': X must have linearly independent columns, .*"
        r"got rank 2 < 3",
    ):
        run_linreg(LinregConfig(data=path))


def test_a_data_file_whose_column_sums_others_is_refused_once_read_as_float32(
    tmp_path: Path,
) -> None:
    """A float64 file whose third column is the sum of the first two: read as float32, the sum is
    rounded apart from it and the rank check in float64 passed, so the run reported a closed
    form of noise (w [-5.86e4, -5.86e4, 5.86e4] against a trained [0.57, -0.83, -0.30]). NumPy's
    matrix_rank of the float32 columns, the oracle, finds rank 3 of 4."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    X = np.c_[X, X[:, 0] + X[:, 1]]  # (50, 3)
    assert np.linalg.matrix_rank(np.c_[X.astype(np.float32), np.ones((50, 1), np.float32)]) == 3
    path = _regression_file(tmp_path / "d.npz", X, X[:, :2] @ np.array([2.0, -3.4]) + 4.2)
    with pytest.raises(
        DatasetError,
        match=rf"^data='{re.escape(str(path))}': X must have linearly independent columns, .*"
        r"got rank 3 < 4 for X of shape \(50, 3\) to within float32's rounding",
    ):
        run_linreg(LinregConfig(data=path))


def test_a_data_file_of_large_features_that_diverges_is_told_to_standardise_them(
    tmp_path: Path,
) -> None:
    """Areas in square feet (2000 ± 1000) diverge at the book's lr and at each tenth of it for
    five tenths running: the stop named a tenth alone, each time. It names the features' size and
    the standardising too, and that advice works: the standardised file trains at the book's lr
    to the closed form NumPy's least squares gives."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) * [1000.0, 1.0] + [2000.0, 0.0]  # (200, 2)
    y = X @ np.array([0.01, 2.0]) + 3.0 + rng.normal(size=200)  # (200,)
    path = _regression_file(tmp_path / "houses.npz", X, y)
    for lr in (0.03, 0.003):
        with pytest.raises(DivergenceError) as info:
            run_linreg(LinregConfig(data=path, lr=lr))
        # a tenth of either is past the bound 2 / λ_max: standardising leads, then an lr under it
        assert str(info.value).endswith(standardise_first(X, path, lr=lr))
    Z = (X - X.mean(0)) / X.std(0)
    result = run_linreg(LinregConfig(data=_regression_file(tmp_path / "z.npz", Z, y), epochs=10))
    oracle = np.linalg.lstsq(np.c_[Z, np.ones(200)], y, rcond=None)[0]  # (3,)
    assert [*result.w, result.b] == pytest.approx(oracle, abs=0.05)
    # features of unit size that diverge at a huge lr: the lr alone is named
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=tmp_path / "z.npz", lr=100.0))
    assert "standardise" not in str(info.value)


def test_a_run_whose_loss_after_an_epoch_passed_the_bound_is_stopped_naming_that_bound(
    tmp_path: Path, first_epoch_losses: Any
) -> None:
    """Integer features of ~10 at the book's lr: the loss after each epoch grows (155, 234, 1955,
    7857), and the run of 4 epochs ended with exit 0 and w far from the closed form, as the
    epoch's steps, oscillating, had not grown 100× past the start; the stop of 5 epochs named a
    start of 4.295 (the first step's) while its bound used 20.69 (the mean over the first
    epoch's 30 examples). The oracle: the unguarded run's losses."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2))
    path = tmp_path / "xint.npz"
    np.savez(path, X=(X * 10).astype(int), y=X @ [1.5, -2.0] + 0.25)
    config = LinregConfig(data=path, epochs=4)
    free = run_linreg(dataclasses.replace(config, guard=False), callbacks=[first_epoch_losses])
    steps = [float(l.mean()) for l in first_epoch_losses.losses]
    start = float(np.concatenate([l.numpy() for l in first_epoch_losses.losses]).mean())
    losses = free.history.train_loss
    assert all(loss <= 100 * start for loss in losses[:3]) and losses[3] > 100 * start
    with pytest.raises(DivergenceError) as info:
        run_linreg(config)
    assert str(info.value) == (
        f"training diverged in epoch 4: the training loss after the epoch is {losses[3]:.4g}, "
        f"more than 100× its starting value {start:.4g} (the mean loss over its first 30 "
        f"examples; the first step's was {steps[0]:.4g}), at lr 0.03; try a smaller learning "
        f"rate (lr), e.g. 0.003 (a tenth){scale_hint((X * 10).astype(int), path)}"
    )


def test_the_guard_stops_a_run_whose_loss_blows_up_unless_it_is_off() -> None:
    with pytest.raises(
        DivergenceError, match=r"^training diverged at batch \d+ of epoch 1: .* at lr 10;"
    ):
        run_linreg(LinregConfig(lr=10.0, epochs=1))
    unguarded = run_linreg(LinregConfig(lr=10.0, epochs=1, guard=False))
    assert math.isnan(unguarded.loss) and all(math.isnan(v) for v in unguarded.w)


@pytest.mark.parametrize(("lr", "batch"), [(10.0, 10), (3.0, 12)])
def test_a_loss_blown_up_in_the_first_steps_is_not_called_its_starting_value(
    lr: float, batch: int
) -> None:
    """`linearnets linreg --lr 10` stopped naming 2.263e+14 "its starting value": the mean over the
    first 7 batches, the first step's being 18.99. The stop is where it was (batch 10; 12 at lr
    3); its message names the mean as what it is, grown from the first step's loss."""
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(lr=lr, epochs=1))
    said = str(info.value)
    assert said.startswith(f"training diverged at batch {batch} of epoch 1: the loss of")
    assert "starting value" not in said
    assert re.search(
        r"more than 100× the mean loss over its first 70 examples \([0-9.e+]+, already grown "
        r"from the first step's 18\.99\), at lr " + f"{lr:g};",
        said,
    ), said


def test_a_divergence_guard_of_yours_stops_at_an_epochs_end_before_its_checkpoint(
    tmp_path: Path,
) -> None:
    """A guard of yours tripping at an epoch's end (one batch an epoch: its last update is
    re-scored there) ran after the run's checkpoint, which had kept the blown-up epoch 2 that the
    stop then advised resuming at a smaller lr. The oracle: the run's own guard, which runs
    before the checkpoint: the same stop, epoch 1 kept."""
    import torch

    from linearnets.training.guard import DivergenceGuard

    stops = {}
    for whose in ("own", "yours"):
        config = LinregConfig(
            epochs=2, lr=5.0, batch_size=1000, out=tmp_path / whose, guard=whose == "own"
        )
        with pytest.raises(DivergenceError) as info:
            run_linreg(config, callbacks=[DivergenceGuard(5.0)] if whose == "yours" else [])
        stops[whose] = str(info.value).replace(str(tmp_path / whose), "RUN")
        kept = torch.load(tmp_path / whose / "checkpoint.pt", weights_only=False)
        assert kept["epoch"] == 1
    assert stops["own"].startswith("training diverged in epoch 2: the training loss after the")
    assert "the checkpoint of epoch 1 is kept in RUN" in stops["own"]
    assert stops["yours"] == stops["own"]


@pytest.mark.parametrize(("impl", "analytic"), [("scratch", False), ("analytic", True)])
def test_the_impl_chooses_autograd_or_the_explicit_gradient(
    monkeypatch: pytest.MonkeyPatch, impl: str, analytic: bool
) -> None:
    """Both give the same numbers (see above), so the model built is what tells them apart."""
    import linearnets.tasks.linreg as task
    from linearnets.models.scratch import LinearRegressionScratch

    built: list[LinearRegressionScratch] = []

    class Recorded(LinearRegressionScratch):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            built.append(self)

    monkeypatch.setattr(task, "LinearRegressionScratch", Recorded)
    run_linreg(LinregConfig(impl=impl, epochs=1))
    assert [m.analytic for m in built] == [analytic]
    assert built[0].w.requires_grad is not analytic  # the explicit gradient needs no graph


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize(
    ("callbacks", "got"), [("logger", "ConsoleLogger"), (None, "NoneType"), ("x", "str")]
)
def test_callbacks_not_in_a_list_are_refused_as_fit_refuses_them(
    guard: bool, callbacks: object, got: str
) -> None:
    """With the guard on they once hit a raw TypeError (``[guard, *callbacks]``), and a string
    was spread into one-letter "callbacks"; fit's own message, whatever the guard."""
    from linearnets.errors import UsageTypeError
    from linearnets.training.callbacks import ConsoleLogger

    if callbacks == "logger":
        callbacks = ConsoleLogger()
    with pytest.raises(
        UsageTypeError,
        match=rf"^callbacks must be a list of callback objects, got {got}; pass e\.g\. "
        r"callbacks=\[ConsoleLogger\(\)\]$",
    ):
        run_linreg(LinregConfig(epochs=1, guard=guard), callbacks=callbacks)  # type: ignore[arg-type]


def test_the_summary_holds_the_truth_its_errors_are_measured_from() -> None:
    """``--json`` (and results.json) gave ``w_error``, truth - learned, but not the truth: a
    learner could not check its values nor its sign. It holds the config's own truth now, the
    errors its difference from the learned values."""
    result = run_linreg(LinregConfig(true_w=(1.5, 0.5, -2.0), true_b=-0.25, epochs=1))
    summary = result.summary()
    assert (summary["true_w"], summary["true_b"]) == ([1.5, 0.5, -2.0], -0.25)
    learned = [*summary["w"], summary["b"]]
    expected = [t - v for t, v in zip([1.5, 0.5, -2.0, -0.25], learned, strict=True)]
    assert [*summary["w_error"], summary["b_error"]] == pytest.approx(expected, abs=1e-12)


def test_the_book_tensors_in_the_config_give_the_books_run() -> None:
    """``true_w=torch.tensor([2, -3.4])`` (D2L §3.2.1) trains on the same data as the floats the
    tensor holds, and the result's truth is those floats."""
    import torch

    tensors = run_linreg(
        LinregConfig(true_w=torch.tensor([2, -3.4]), true_b=torch.tensor(4.2), epochs=1)  # type: ignore[arg-type]
    )
    floats = run_linreg(
        LinregConfig(true_w=(2.0, float(np.float32(-3.4))), true_b=float(np.float32(4.2)), epochs=1)
    )
    assert tensors.w == floats.w and tensors.closed_w == floats.closed_w
    assert tensors.true_w == [2.0, float(np.float32(-3.4))]


def _numbers(config: LinregConfig) -> dict[str, Any]:
    """Return a run's summary without its timings: every number it computed."""
    summary = run_linreg(config).summary()
    for row in summary["history"]:
        row.pop("seconds")
    return summary


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
@pytest.mark.parametrize("from_file", [False, True], ids=["synthetic", "file"])
def test_torchs_default_dtype_changes_no_number_of_the_run(
    tmp_path: Path, impl: str, from_file: bool
) -> None:
    """A notebook's ``torch.set_default_dtype(torch.float64)`` once stopped a file's run (float32
    data, float64 model) and drew other synthetic data than the command for the same seed. The
    oracle is the run under torch's own default, float32, as the command runs it: equal bit for
    bit, and the caller's float64 default given back."""
    import torch

    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    path = _regression_file(tmp_path / "d.npz", X, X @ np.array([2.0, -3.4]) + 4.2)
    config = LinregConfig(impl=impl, epochs=2, data=path if from_file else None)
    assert torch.get_default_dtype() == torch.float32
    expected = _numbers(config)
    torch.set_default_dtype(torch.float64)
    try:
        got = _numbers(config)
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert got == expected
    # float32 throughout, the closed form included (w and b alike)
    assert all(float(np.float32(v)) == v for v in [*got["w"], got["b"]])
    closed = [*got["closed_form_w"], got["closed_form_b"]]
    assert all(float(np.float32(v)) == v for v in closed)


def test_a_data_file_without_a_unique_solution_names_data_in_either_words(
    tmp_path: Path,
) -> None:
    """From Python "--data d.npz: ..." named an option: the setting is data='d.npz'. The command
    line prints --data d.npz, as it did."""
    from linearnets.cli._report import one_line

    X = np.ones((6, 1))  # a constant column beside the bias's: rank 1 < 2
    path = _regression_file(tmp_path / "it's.npz", X, np.arange(6.0))
    with pytest.raises(DatasetError) as info:
        run_linreg(LinregConfig(data=path))
    said = str(info.value)
    assert said.startswith(f'data="{path}": X must have linearly independent columns')
    assert one_line(info.value) == f"--data {path}: " + said.split(": ", 1)[1]


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_the_callers_grad_mode_changes_no_number_of_the_run(impl: str, mode: str) -> None:
    """Inside a notebook's ``torch.no_grad()`` or ``torch.inference_mode()``, scratch and concise
    once failed ("gradients are disabled in the calling code ... call fit ...", a call the user
    never made) while analytic trained. The oracle is the same run outside them: equal bit for bit,
    and the caller's mode given back."""
    import torch

    config = LinregConfig(impl=impl, epochs=2, seed=4)
    expected = _numbers(config)
    with getattr(torch, mode)():
        got = _numbers(config)
        assert not torch.is_grad_enabled()
        assert torch.is_inference_mode_enabled() == (mode == "inference_mode")
    assert got == expected


@pytest.mark.parametrize("seed", [0, 5])
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_a_run_is_the_books_loop_written_out(impl: str, seed: int) -> None:
    """The oracle is D2L's own code (§3.2.7, §3.3.7), with the run's generators: the book's data
    (w = [2, -3.4], b = 4.2, 1000 examples), w ~ N(0, 0.01²), b = 0, batch 10, lr 0.03, 3 epochs;
    scratch with ``sgd`` on the summed ``squared_loss``, concise with ``nn.MSELoss()`` and
    ``torch.optim.SGD``. The learned w and b and the reported loss are the loop's."""
    import torch
    from torch import nn

    from linearnets.data.synthetic import data_iter, load_array, synthetic_data
    from linearnets.models.scratch import linreg, sgd, squared_loss
    from linearnets.seeding import seed_everything

    result = run_linreg(LinregConfig(impl=impl, seed=seed))
    gens = seed_everything(seed)
    features, labels = synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000, generator=gens.data)
    if impl == "scratch":
        w = torch.normal(0, 0.01, size=(2, 1), generator=gens.init, requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        for _ in range(3):
            for X, y in data_iter(10, features, labels, generator=gens.data):
                squared_loss(linreg(X, w, b), y).sum().backward()
                sgd([w, b], 0.03, 10)
        with torch.no_grad():
            loss = float(squared_loss(linreg(features, w, b), labels).mean())
    else:
        net = nn.Sequential(nn.Linear(2, 1))
        with torch.no_grad():
            net[0].weight.copy_(torch.empty(1, 2).normal_(0, 0.01, generator=gens.init))
            net[0].bias.fill_(0)
        mse, trainer = nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03)
        train_iter = load_array((features, labels), 10, generator=gens.data)
        for _ in range(3):
            for X, y in train_iter:
                trainer.zero_grad()
                mse(net(X), y).backward()
                trainer.step()
        w, b = net[0].weight, net[0].bias
        with torch.no_grad():
            loss = float(mse(net(features), labels))
    assert result.w == pytest.approx(w.detach().reshape(-1).tolist(), abs=1e-6)
    assert result.b == pytest.approx(float(b.detach()), abs=1e-6)
    assert result.loss == pytest.approx(loss, rel=1e-4)
    assert result.true_w == pytest.approx([2.0, -3.4]) and result.true_b == 4.2
    # the reference is the least-squares solution of these very data (float32 values of it)
    A = torch.cat([features.double(), torch.ones(1000, 1, dtype=torch.float64)], dim=1)
    solution = torch.linalg.lstsq(A, labels.double()).solution.reshape(-1).tolist()  # (3,)
    assert [*result.closed_w, result.closed_b] == pytest.approx(solution, abs=1e-6)


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
@pytest.mark.parametrize(("num_examples", "batch_size"), [(1000, 10), (1003, 10), (7, 8)])
def test_each_epoch_starts_with_its_batch_count(
    impl: str, num_examples: int, batch_size: int
) -> None:
    """The total of a terminal's progress bar: the hand-written data_iter's epochs were of None
    batches (a bar with no end); each impl's now is ⌈n / batch_size⌉, the batches it then steps."""

    class Counts(Callback):
        def __init__(self) -> None:
            self.said: list[int | None] = []
            self.stepped: list[int] = []

        def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
            self.said.append(num_batches)
            self.stepped.append(0)

        def on_batch_end(self, step: int, losses: Any) -> None:
            self.stepped[-1] += 1

    counts = Counts()
    config = LinregConfig(impl=impl, epochs=2, num_examples=num_examples, batch_size=batch_size)
    run_linreg(config, callbacks=[counts])
    assert counts.said == [math.ceil(num_examples / batch_size)] * 2 == counts.stepped


def test_the_command_line_bar_waits_a_second(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """linearnets linreg showed no bar ever (progress=False), even for an epoch of a million
    examples a minute long; its logger now shows one in a terminal once an epoch runs a second."""
    from linearnets.cli import main
    from linearnets.training import callbacks

    made: list[ConsoleLogger] = []

    class Kept(ConsoleLogger):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            made.append(self)

    monkeypatch.setattr(callbacks, "ConsoleLogger", Kept)
    assert main(["linreg", "--epochs", "1"]) == 0
    assert [(m.progress, m.delay) for m in made] == [(None, 1.0)]  # None: in a terminal alone
    assert capsys.readouterr().out.startswith("epoch 1, loss ")


class _StopAtStep2(Callback):
    """Raise KeyboardInterrupt ("stop training now") at the second step of epoch 1."""

    def on_batch_end(self, step: int, losses: Any) -> None:
        if step == 1:
            raise KeyboardInterrupt


_FOLDERLESS_STOP_NOTE = (
    "the run was stopped by a KeyboardInterrupt (a Ctrl-C, or a callback's own); without out it "
    "keeps no run folder or checkpoint, so no epoch of it is kept to resume from: the same call "
    "starts it over, and with out=DIR it keeps a checkpoint after every epoch, which "
    "linearnets.resume_linreg(DIR) continues"
)


def test_a_stop_of_a_run_without_out_gives_the_runs_advice_not_fits() -> None:
    """A KeyboardInterrupt (a callback's, as a Ctrl-C's) out of run_linreg without out carried
    fit's note "To go on, call fit again with start_epoch=0 and history=that History": advice for
    a caller of fit, which the caller of run_linreg never was. It says the run's, as a run with
    out does before its first checkpoint, and the history of the steps done stays on it."""
    with pytest.raises(KeyboardInterrupt) as caught:
        run_linreg(LinregConfig(num_examples=1000, epochs=2), callbacks=[_StopAtStep2()])
    assert type(caught.value) is KeyboardInterrupt
    assert caught.value.__notes__ == [_FOLDERLESS_STOP_NOTE]
    render = caught.value._render_traceback_()  # type: ignore[attr-defined]
    assert render == [f"KeyboardInterrupt: {_FOLDERLESS_STOP_NOTE}"]
    assert caught.value.history.epochs == []  # type: ignore[attr-defined]
    assert len(run_linreg(LinregConfig(num_examples=1000, epochs=2)).history.epochs) == 2


class _StopForTime(Callback):
    """Raise a KeyboardInterrupt of its own reason at the second step of epoch 1."""

    def on_batch_end(self, step: int, losses: Any) -> None:
        if step == 1:
            raise KeyboardInterrupt("time budget of 5 s reached")


def test_a_callbacks_own_reason_stays_at_the_front_of_the_ipython_line() -> None:
    """A callback's KeyboardInterrupt("time budget of 5 s reached") out of run_linreg without out
    showed in IPython only the run's note: its own reason was lost. It leads the one line now."""
    with pytest.raises(KeyboardInterrupt) as caught:
        run_linreg(LinregConfig(num_examples=1000, epochs=2), callbacks=[_StopForTime()])
    assert str(caught.value) == "time budget of 5 s reached"  # as raised
    assert caught.value.__notes__ == [_FOLDERLESS_STOP_NOTE]
    render = caught.value._render_traceback_()  # type: ignore[attr-defined]
    assert render == [f"KeyboardInterrupt: time budget of 5 s reached; {_FOLDERLESS_STOP_NOTE}"]
