"""What a trained linear-regression run reports (unit tests of tasks/linreg_train.py, D2L §3.2.7)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linearnets.config import LinregConfig
from linearnets.errors import DatasetError, DivergenceError
from linearnets.tasks.linreg import run_linreg


def _regression_file(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    np.savez(path, X=X.astype(np.float32), y=y.astype(np.float32))
    return path


def curvatures(X: np.ndarray) -> tuple[float, float]:
    """Return NumPy's oracle for features ``X`` (n, d): λ_max of the mean of x̃x̃ᵀ, x̃ = (x, 1), of
    the float32 values, and of their correlations (at least 1)."""
    X = X.astype(np.float32).astype(np.float64)
    ones = np.c_[X, np.ones(len(X))]  # (n, d + 1)
    raw = np.linalg.eigvalsh(ones.T @ ones / len(X))[-1]
    corr = np.corrcoef(X, rowvar=False).reshape(X.shape[1], X.shape[1])
    return float(raw), float(max(1.0, np.linalg.eigvalsh(corr)[-1]))


def batch_bound(X: np.ndarray, *, limit: int, batch_size: int = 10) -> tuple[float, str]:
    """Return NumPy's oracle for the lr below which every batch's step is stable, ``limit`` over
    the mean of the b largest ‖x̃‖² (b the smallest batch, the last may be short), and its
    clause in the stop."""
    n = len(X)
    b = min(batch_size, n) if n % batch_size == 0 else n % batch_size
    norms = (X.astype(np.float32).astype(np.float64) ** 2).sum(1) + 1.0  # (n,)
    top = float(np.sort(norms)[::-1][:b].mean())
    last = f" (the last of {b})" if b < min(batch_size, n) else ""
    largest = f"the mean of the {b} largest" if b > 1 else "the largest"
    return limit / top, (
        f", and sure to be stable only below {limit / top:.3g} with batches of {batch_size}{last} "
        f"({limit} / {top:.4g}, {largest} ‖x̃‖², which bounds any batch's λ_max)"
    )


def standardised_bound(X: np.ndarray, *, limit: int, lr: float, batch_size: int = 10) -> str:
    """Return NumPy's oracle for the standardised features' part of the stop: ``limit`` over
    λ_max of ``X``'s (n, d) correlations, then over the mean of the b largest ‖x̃‖² of ``X``
    standardised (each column's mean subtracted, divided by its standard deviation), ``lr``
    said to be past it where it is."""
    _, standardised = curvatures(X)
    X = X.astype(np.float32).astype(np.float64)
    sure, _ = batch_bound((X - X.mean(0)) / X.std(0), limit=limit, batch_size=batch_size)
    return (
        f"standardised only for lr below {limit / standardised:.3g}, sure to be stable only "
        f"below {sure:.3g} with batches of {batch_size}"
        + (f" ({lr:g} is past that too)" if lr >= sure else "")
    )


def scale_hint(
    X: np.ndarray, path: Path, *, impl: str = "scratch", past: str = "", lr: float = 0.03
) -> str:
    """Return the standardising advice for features ``X`` (n, d) in ``path``: SGD is stable for
    lr · λ_max below 2 on scratch's ½(ŷ − y)², below 1 on concise's nn.MSELoss (ŷ − y)²; with
    ``past``, the lr advised before it, said to pass that bound too; ``lr`` the run's."""
    raw, _ = curvatures(X)
    limit, loss = (2, "½(ŷ − y)²") if impl == "scratch" else (1, "(ŷ − y)²")
    return (
        f"; or standardise the features, which reach {np.abs(X.astype(np.float32)).max():.3g} in "
        f"{path}: at their scale SGD is stable only for lr below {limit / raw:.3g} ({limit} / "
        f"λ_max for the loss {loss}, λ_max = {raw:.4g} the largest eigenvalue of the mean of "
        f"x̃x̃ᵀ, x̃ = (x, 1)){batch_bound(X, limit=limit)[1]}, which trains some weights slowly"
        + (f" (so {past} would diverge too)" if past else "")
        + f", and {standardised_bound(X, limit=limit, lr=lr)}: subtract each column's mean and "
        "divide by its standard deviation, e.g. X = (X - X.mean(0)) / X.std(0)"
    )


def standardise_first(
    X: np.ndarray, path: Path, *, lr: float, impl: str = "scratch", tenth: float | None = None
) -> str:
    """Return the end of the stop at ``lr`` whose tenth (or the guard's ``tenth``) is past the
    bound (NumPy's oracle) for features ``X`` (n, d) in ``path``: standardising first, then a
    round lr under the bound; an ``lr`` past the standardised bound too is said to be."""
    lowered = (
        f"a tenth of the lr, {lr / 10:g}," if tenth is None else f"a smaller lr such as {tenth:g}"
    )
    tenth = lr / 10 if tenth is None else tenth
    raw, _ = curvatures(X)
    limit, loss = (2, "½(ŷ − y)²") if impl == "scratch" else (1, "(ŷ − y)²")
    bound = limit / raw
    sure, clause = batch_bound(X, limit=limit)
    below = 10.0 ** (np.ceil(np.log10(sure)) - 1)
    assert below < sure <= bound < tenth  # what the ending is about
    return (
        f"at lr {lr:g}; standardise the features, which reach "
        f"{np.abs(X.astype(np.float32)).max():.3g} in {path}: at their scale SGD is stable only "
        f"for lr below {bound:.3g} ({limit} / λ_max for the loss {loss}, λ_max = {raw:.4g} the "
        f"largest eigenvalue of the mean of x̃x̃ᵀ, x̃ = (x, 1)){clause}, so {lowered} would "
        f"diverge too, and {standardised_bound(X, limit=limit, lr=lr)}: subtract each column's mean "
        "and divide by its standard deviation, e.g. X = (X - X.mean(0)) / X.std(0); or keep their "
        f"scale and try a learning rate (lr) below {sure:.3g}, e.g. {below:g}, which trains "
        "some weights slowly"
    )


def test_a_tenth_past_the_stability_bound_is_never_advised(tmp_path: Path) -> None:
    """House prices' features in the thousands diverged at the book's lr and were told "e.g. 0.003
    (a tenth)" beside "stable only for lr below 1.48e-07": the stop now leads with standardising
    and advises an lr under the bound, which trains without diverging."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(500, 5000, 200), rng.uniform(1, 5, 200)]  # (200, 2): area, rooms
    y = X @ np.array([0.2, 10.0]) + 50.0  # (200,)
    path = tmp_path / "house.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="area,rooms,price", comments="")
    for impl in ("scratch", "concise"):
        with pytest.raises(DivergenceError) as info:
            run_linreg(LinregConfig(data=path, impl=impl))
        assert str(info.value).endswith(standardise_first(X, path, lr=0.03, impl=impl))
        assert "(a tenth)" not in str(info.value)
    sure, _ = batch_bound(X, limit=2)
    below = 10.0 ** (np.ceil(np.log10(sure)) - 1)
    result = run_linreg(LinregConfig(data=path, lr=below, epochs=2))  # the lr advised: no stop
    assert np.isfinite(result.loss)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_an_lr_too_large_even_standardised_is_told_the_scale_and_an_lr_under_its_bound(
    tmp_path: Path, impl: str
) -> None:
    """Ages of 20–60 at lr 10 were told only "e.g. 0.5 (a tenth, 1, can blow up too)": 10 is past
    the standardised bound too, which dropped the hint, and 0.5 diverged in turn, only then told
    "stable only below 0.00056". The first stop now leads with standardising, says 10 is past
    the standardised bound too and advises an lr under the features' bound, which trains."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(20, 60, 300), rng.normal(size=300)]  # (300, 2)
    y = X @ np.array([0.5, 2.0]) + 3.0 + rng.normal(size=300) * 0.5  # (300,)
    path = tmp_path / "ages.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="age,inc,y", comments="")
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=path, lr=10, epochs=3, impl=impl))
    said = str(info.value)
    assert said.endswith(standardise_first(X, path, lr=10, impl=impl, tenth=0.5))
    assert "(10 is past that too)" in said and "e.g. 0.5" not in said
    sure, _ = batch_bound(X, limit=2 if impl == "scratch" else 1)
    below = 10.0 ** (np.ceil(np.log10(sure)) - 1)
    assert info.value.lr == below < sure  # the resume's lr too
    result = run_linreg(LinregConfig(data=path, lr=below, epochs=3, impl=impl))  # no stop
    assert np.isfinite(result.loss)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_every_lr_the_scale_hint_calls_stable_trains_standardised_or_not(
    tmp_path: Path, impl: str
) -> None:
    """Ages of 20–60 at lr 10 were told "standardised for lr below 1.98 (10 is past that too)",
    2 / λ_max of the whole data, only necessary: standardised, lr 1.9 diverged at batch 70 of epoch 1.
    The standardised part now names the batches' bound as the raw part does (NumPy's oracle),
    10 past it; and "so 0.5 would diverge too" named an lr the text no longer held. Each lr
    the stop says is sure to be stable trains 3 epochs, on the file and on it standardised."""
    import re

    rng = np.random.default_rng(0)
    X = rng.uniform(20, 60, (1000, 2))  # (1000, 2): ages
    y = X @ np.array([0.2, 0.1]) + 3.0 + rng.normal(size=1000)  # (1000,)
    path, standard = tmp_path / "ages.csv", tmp_path / "ages_std.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="a,b,y", comments="")
    X = np.loadtxt(path, delimiter=",", skiprows=1)[:, :2]  # as the file holds them
    X_std = (X - X.mean(0)) / X.std(0)  # (1000, 2)
    np.savetxt(standard, np.c_[X_std, y], delimiter=",", header="a,b,y", comments="")
    limit = 2 if impl == "scratch" else 1
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=path, lr=10, epochs=3, impl=impl))
    said = str(info.value)
    assert (
        f"so a smaller lr such as 0.5 would diverge too, and {standardised_bound(X, limit=limit, lr=10)}: "
        in said
    )
    assert "(10 is past that too)" in said
    sure, sure_standardised = map(
        float, re.findall(r"sure to be stable only below ([0-9.e+-]+)", said)
    )
    advised = re.search(r"e\.g\. ([0-9.e+-]+), which trains", said)
    assert advised is not None
    for data, lr in (
        (path, 0.99 * sure),
        (path, float(advised[1])),
        (standard, 0.99 * sure_standardised),
    ):
        result = run_linreg(LinregConfig(data=data, lr=lr, epochs=3, impl=impl))  # no stop
        assert np.isfinite(result.loss)


def test_features_of_tens_that_diverge_are_told_the_lr_their_scale_allows(tmp_path: Path) -> None:
    """Ages of 20–60 beside a unit column diverged at the book's lr and at a tenth of it, told
    only to lower lr, as the hint waited for features past 100. lr · λ_max(E[x̃x̃ᵀ]) > 2 makes SGD
    unstable: the stop names that bound and the standardising, and both are true: a run below the
    bound does not diverge, and the standardised file trains at the book's lr to NumPy's lstsq."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(20, 60, 300), rng.normal(size=300)]  # (300, 2)
    y = X @ np.array([0.5, 2.0]) + 3.0 + rng.normal(size=300) * 0.5  # (300,)
    path = tmp_path / "ages.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="age,inc,y", comments="")
    hint = scale_hint(X, path, lr=0.003)
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=path, lr=0.003))
    assert str(info.value).endswith(f"e.g. {0.003 / 10:g} (a tenth){hint}")
    with pytest.raises(DivergenceError) as info:  # a tenth, 0.003, is past the bound: not advised
        run_linreg(LinregConfig(data=path, lr=0.03))
    assert str(info.value).endswith(standardise_first(X, path, lr=0.03))
    ones = np.c_[X.astype(np.float32), np.ones(300)]
    bound = 2 / np.linalg.eigvalsh(ones.T @ ones / 300)[-1]
    run_linreg(LinregConfig(data=path, lr=0.9 * bound, epochs=2))  # stable: no stop
    Z = (X - X.mean(0)) / X.std(0)
    result = run_linreg(LinregConfig(data=_regression_file(tmp_path / "z.npz", Z, y), epochs=10))
    oracle = np.linalg.lstsq(np.c_[Z, np.ones(300)], y, rcond=None)[0]  # (3,)
    assert [*result.w, result.b] == pytest.approx(oracle, abs=0.05)


def test_concise_trains_nn_mse_loss_whose_bound_is_half_the_book_losss(tmp_path: Path) -> None:
    """nn.MSELoss is (ŷ − y)², twice the book's ½(ŷ − y)²: concise SGD is unstable once
    lr · λ_max > 1. Ages of 20–60 were told "stable only for lr below 0.00107" (2 / λ_max), and
    lr 0.001 then diverged with no hint. The bound told is 1 / λ_max (NumPy's oracle), for the
    standardised features too; a run just below it trains, lr 0.001 (past it) is hinted."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(20, 60, 200), rng.normal(size=200)]  # (200, 2)
    y = 0.05 * X[:, 0] + 2.0 * X[:, 1] + 1.0 + rng.normal(size=200) * 0.01  # (200,)
    path = tmp_path / "ages.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="age,inc,y", comments="", fmt="%.6f")
    X = np.loadtxt(path, delimiter=",", skiprows=1)[:, :2]  # as the file holds them
    raw, standardised = curvatures(X)
    assert 1 / raw < 0.001 < 2 / raw  # what the test is about: lr 0.001 passed the old bound
    for lr in (0.01, 0.001):
        with pytest.raises(DivergenceError) as info:
            run_linreg(LinregConfig(data=path, impl="concise", lr=lr))
        assert str(info.value).endswith(
            f"e.g. {lr / 10:g} (a tenth){scale_hint(X, path, impl='concise', lr=lr)}"
            if lr / 10 < 1 / raw
            else standardise_first(X, path, lr=lr, impl="concise")
        )
        assert f"stable only for lr below {1 / raw:.3g} (1 / λ_max" in str(info.value)
        assert f"standardised only for lr below {1 / standardised:.3g}, " in str(info.value)
    result = run_linreg(LinregConfig(data=path, impl="concise", lr=0.95 / raw, epochs=3))
    assert np.isfinite(result.loss)  # stable: no stop


def test_negative_features_of_a_few_hundred_are_named_by_their_magnitude(
    tmp_path: Path,
) -> None:
    """Features of -300 ± 100 (their largest value about 2) diverge as +300 ones do: the stop
    names their size, max |X| (NumPy's oracle), past LARGE_FEATURES = 100, with the
    standardising; and it keeps the guard's grew (a finite loss grown too far, which may settle)."""
    rng = np.random.default_rng(0)
    X = -(rng.normal(size=(200, 2)) * [100.0, 1.0] + [300.0, 0.0])  # (200, 2)
    y = X @ np.array([0.01, 2.0]) + 3.0 + rng.normal(size=200)  # (200,)
    path = _regression_file(tmp_path / "neg.npz", X, y)
    largest = np.abs(X.astype(np.float32)).max()
    assert 100 < largest < 1000 and X.astype(np.float32).max() < 100  # what the test is about
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=path, lr=0.001))
    assert str(info.value).endswith(
        standardise_first(X, path, lr=0.001)
    )  # 0.0001 is past the bound
    assert (info.value.resumable, info.value.grew) == (True, True)


def test_targets_too_large_for_float32_get_no_smaller_lr_nor_standardising(
    tmp_path: Path,
) -> None:
    """|y| of 1e20 made the loss inf before any update, told without the file or the value: no lr
    and no resume helps, so the data file is refused as it loads, naming its largest |y| and where
    (NumPy's oracle), and the features' size (1e3, past LARGE_FEATURES) is not named as a cure."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2)) * [1000.0, 1.0]
    y = (rng.normal(size=50) * 1e20).astype(np.float32)
    path = _regression_file(tmp_path / "bigy.npz", X, y)
    i = int(np.abs(y).argmax())
    count = int((np.abs(y) > np.sqrt(np.finfo(np.float32).max)).sum())
    with pytest.raises(DatasetError) as info:
        run_linreg(LinregConfig(data=path))
    assert str(info.value) == (
        f"{path}: y is too large for the squared loss in float32: its largest in size is "
        f"{y[i]:.4g}, at y[{i}], and {count} of its 50 targets pass 1.8e+19, past which "
        "(ŷ − y)² overflows float32's 3.4e+38, so training would stop at its first step whatever "
        "the lr; rescale y, e.g. standardise it, y = (y - y.mean()) / y.std() (and map "
        "predictions back by y.std() and y.mean())"
    )


@pytest.mark.parametrize("value", ["3.4e25", "-1.9e19"])
def test_a_csv_target_too_large_to_square_in_float32_is_refused_by_line(
    tmp_path: Path, value: str
) -> None:
    """A CSV's target past √(float32's largest) ≈ 1.84e19 is named by its line and column; one
    just under it loads (the loss of the untrained model is finite on it)."""
    path = tmp_path / "bigy.csv"
    path.write_text(f"a,b,y\n1,2,3\n2,1,{value}\n3,3,4\n")
    with pytest.raises(DatasetError) as info:
        run_linreg(LinregConfig(data=path))
    assert (
        f"{path}: y (the last column) is too large for the squared loss in float32: its largest "
        f"in size is {float(np.float32(value)):.4g}, at line 3, column 3, and 1 of its 3 targets "
        "pass 1.8e+19"
    ) in str(info.value)
    path.write_text("a,b,y\n1,2,3\n2,1,1.8e19\n3,3,4\n")
    from linearnets.data.regression_file import load_regression_file

    assert float(load_regression_file(path)[1].abs().max()) == pytest.approx(1.8e19, rel=1e-6)


@pytest.mark.parametrize(("num_features", "described"), [(1, "1 feature"), (3, "3 features")])
def test_the_data_source_counts_examples_and_features_in_words(
    tmp_path: Path, num_features: int, described: str
) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, num_features))
    path = _regression_file(tmp_path / "d.npz", X, X.sum(1) + 1.0)
    result = run_linreg(LinregConfig(data=path, epochs=1))
    assert result.data_source == f"{path.absolute()} (20 examples, {described})"
    assert run_linreg(LinregConfig(epochs=1)).data_source == "synthetic"


def test_a_loss_the_kept_weights_give_is_told_to_start_over_standardised(tmp_path: Path) -> None:
    """A grown loss at an epoch's first step is the last checkpoint's weights': no resume from it
    helps, at any lr. linreg names the start over (not "continue it with a smaller lr") and, on
    large features, the standardising, which it left out of every stop no resume helps."""
    import torch

    from linearnets.models.scratch import squared_loss
    from linearnets.tasks.linreg_stops import diverged
    from linearnets.tasks.linreg_train import _with_scale_hint
    from linearnets.training.guard_messages import Kept, grown

    kept = grown("at batch 1 of epoch 3", "batch loss", 5e4, past="100× x", lr=0.03, kept=Kept(3))
    config = LinregConfig(data=tmp_path / "d.npz")
    X = np.array([[1.0, -300.0], [2.0, -100.0]])  # (2, 2)
    hinted = _with_scale_hint(kept, config, torch.tensor(X, dtype=torch.float32), loss=squared_loss)
    raw, _ = curvatures(X)
    sure, _ = batch_bound(X, limit=2)
    assert 1e-05 < sure <= 2 / raw < 0.003  # both 4e-05 (NumPy's oracle): a tenth passes them
    assert str(hinted).endswith(
        f"start the run over with a learning rate (lr) below {sure:.3g}, e.g. 1e-05"
        + scale_hint(X, config.data, past="a tenth of the lr, 0.003,")
    )
    assert "0.003 (a tenth)" not in str(hinted)
    run = tmp_path / "run"
    stopped = diverged(hinted, run, 2, 0.03)
    assert str(stopped).endswith(
        f"; the checkpoint of epoch 2 is kept in {run}, its weights giving this loss (to start "
        f"the run over there: delete its checkpoint.pt, then linearnets.resume_linreg('{run}', "
        "lr=1e-05, force=True))"
    )
    assert (stopped.resumable, stopped.grew) == (False, True)


def _outlier_file(path: Path) -> np.ndarray:
    """Write 1000 rows of N(0, 1) features a, b (one row with a = 1000) and y = 2a − 3.4b + 4.2
    to ``path``, header a,b,y; return the features (1000, 2)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2))  # (1000, 2)
    X[17, 0] = 1000.0
    np.savetxt(path, np.c_[X, X @ [2.0, -3.4] + 4.2], delimiter=",", header="a,b,y", comments="")
    return X


def test_a_run_folder_s_resume_takes_the_lr_the_stop_advises(tmp_path: Path) -> None:
    """A divergence at epoch 2 on a feature reaching 1000 advised an lr under the bound (0.001)
    in its text, then named the resume at a tenth (0.003), past that bound: the resume a run
    folder names takes the advised lr, and no lr the message names is at or past the bound."""
    import re

    path = tmp_path / "outlier.csv"
    X = _outlier_file(path)
    out = tmp_path / "run"
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=path, epochs=3, out=out))
    message = str(info.value)
    raw, _ = curvatures(X)
    assert message.startswith("training diverged in epoch 2")
    advised = re.search(r"e\.g\. ([0-9.e+-]+), which trains", message)
    assert advised is not None
    resume = f"linearnets.resume_linreg('{out}', lr={advised[1]}, force=True))"
    assert message.endswith(f"(continue it with a smaller lr: {resume}")
    sure, _ = batch_bound(X, limit=2)
    assert float(advised[1]) < sure < 2 / raw  # NumPy's oracles
    named = [float(lr) for lr in re.findall(r"(?:e\.g\.|lr=) ?([0-9.e+-]+)", message)]
    assert named and all(lr < sure for lr in named)


@pytest.mark.parametrize("lr", [0.01, 0.001])
def test_an_lr_under_the_whole_datas_bound_or_a_tenth_of_it_past_the_batches_is_not_advised(
    tmp_path: Path, lr: float
) -> None:
    """At lr 0.01 on a feature reaching 1000 (whole-data bound 0.002) the stop advised its tenth,
    0.001, which is under that bound but past the batches' (2e-05) and diverged; at 0.001 itself,
    under the whole data's bound, no scale was named and 0.0001 was advised, which diverged too.
    Each advises an lr under the batches' bound, the NumPy oracle's, with the features' scale."""
    import re

    path = tmp_path / "outlier.csv"
    X = _outlier_file(path)
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=path, epochs=3, lr=lr))
    raw, _ = curvatures(X)
    sure, _ = batch_bound(X, limit=2)
    assert 2 / raw > lr / 10 > sure  # the case: the tenth passes the whole data's bound only
    said = str(info.value)
    assert f"so a tenth of the lr, {lr / 10:g}, is not sure to be stable either" in said
    advised = re.search(r"try a learning rate \(lr\) below [0-9.e+-]+, e\.g\. ([0-9.e+-]+)", said)
    assert advised is not None and float(advised[1]) < sure
    assert info.value.lr == float(advised[1])  # the resume a run folder names takes it


def test_the_advised_resume_trains_where_a_batch_holding_an_outlier_is_far_more_curved(
    tmp_path: Path,
) -> None:
    """2 / λ_max of the whole data's mean x̃x̃ᵀ is only necessary under minibatch SGD: the lr
    advised under it (0.001) on a feature reaching 1000 diverged again in epoch 2, a batch holding
    the outlier being 100× more curved. The lr advised is under 2 / the mean of the batch's
    largest ‖x̃‖², which bounds every batch's λ_max: the resume the stop names trains."""
    import re

    from linearnets.tasks.linreg_resume import resume_linreg

    path = tmp_path / "outlier.csv"
    X = _outlier_file(path)
    out = tmp_path / "run"
    with pytest.raises(DivergenceError) as info:
        run_linreg(LinregConfig(data=path, epochs=3, out=out))
    raw, _ = curvatures(X)
    sure, _ = batch_bound(X, limit=2)
    assert sure < 2 / raw / 10  # the outlier's batch: the whole data's bound is far too high
    advised = re.search(r"resume_linreg\('[^']+', lr=([0-9.e+-]+), force=True\)", str(info.value))
    assert advised is not None and float(advised[1]) < sure
    result = resume_linreg(out, lr=float(advised[1]), force=True)  # the resume the stop names
    assert len(result.history.epochs) == 3 and np.isfinite(result.loss)
