"""The least-squares reference (D2L §3.1.1.2): its precision and the inputs it refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch

from linearnets.errors import UsageError
from linearnets.models.closed_form import closed_form


def test_float64_data_is_solved_in_full_precision(gen: torch.Generator) -> None:
    """Noiseless float64 targets give the weights back to ~1e-12: no float32 step in between."""
    X = torch.randn(40, 3, generator=gen, dtype=torch.float64) * 1e3
    w_true = torch.tensor([1.0 / 3.0, -2.0, 0.1], dtype=torch.float64)
    w, b = closed_form(X, X @ w_true + 4.2)
    assert w.dtype == torch.float64
    torch.testing.assert_close(w, w_true, atol=1e-12, rtol=0)
    assert b == pytest.approx(4.2, abs=1e-9)


def test_noisy_targets_satisfy_the_normal_equations(gen: torch.Generator) -> None:
    """The oracle is the definition: the residual is orthogonal to every column of [X, 1]."""
    X = torch.randn(30, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(30, 1, generator=gen, dtype=torch.float64)
    w, b = closed_form(X, y)
    A = torch.cat([X, torch.ones(30, 1, dtype=torch.float64)], dim=1)
    residual = A @ torch.cat([w, torch.tensor([b], dtype=torch.float64)]) - y.reshape(-1)
    torch.testing.assert_close(
        A.T @ residual, torch.zeros(3, dtype=torch.float64), atol=1e-10, rtol=0
    )


def _features() -> torch.Tensor:
    return torch.randn(6, 2, generator=torch.Generator().manual_seed(1))


BAD_INPUT = [
    (
        lambda: closed_form(torch.ones(6, 2, dtype=torch.int64), torch.zeros(6)),
        TypeError,
        r"X must be a floating-point tensor",
    ),
    (
        lambda: closed_form(_features(), torch.zeros(6, dtype=torch.int64)),
        TypeError,
        r"y must be a floating-point tensor",
    ),
    (  # X of 2 features: two targets, not the arguments swapped
        lambda: closed_form(_features(), torch.zeros(6, 2)),
        UsageError,
        r"^y must hold one target per row of X, shape \(6, 1\) or \(6,\), got shape \(6, 2\); "
        r"solve one target column at a time$",
    ),
    (  # closed_form(y, X): told to solve one target column of the features at a time
        lambda: closed_form(torch.zeros(6, 1), _features()),
        UsageError,
        r"^y must hold one target per row of X, shape \(6, 1\) or \(6,\), got shape \(6, 2\); "
        r"X and y may be swapped: y has the shape of features \(6 examples of 2 features\) and X "
        r"that of a target column, so pass the features first: closed_form\(X, y\); else solve "
        r"one target column at a time$",
    ),
    (  # the same with the book's targets (n,): told to make them a column
        lambda: closed_form(torch.zeros(6), _features()),
        UsageError,
        r"^X must be 2-dimensional \(n, d\), got a tensor of shape \(6,\) and dtype "
        r"torch\.float32; X and y may be swapped: y has the shape of features \(6 examples of 2 "
        r"features\) and X that of a target column, so pass the features first: "
        r"closed_form\(X, y\); else make X a column with X\.reshape\(-1, 1\) and solve one "
        r"target column at a time$",
    ),
    (
        lambda: closed_form(
            _features().index_put((torch.tensor([2]),), torch.tensor(float("nan"))), torch.zeros(6)
        ),
        UsageError,
        r"X must hold only finite values, got 2 NaN/inf entries",
    ),
    (
        lambda: closed_form(_features(), torch.tensor([0.0, 1.0, float("inf"), 0.0, 0.0, 0.0])),
        UsageError,
        r"y must hold only finite values, got 1 NaN/inf entries",
    ),
    (  # a shape without values has no solution: the data functions' refusal, not torch's .item()
        lambda: closed_form(torch.zeros(6, 2, device="meta"), torch.zeros(6, device="meta")),
        UsageError,
        r"^X must hold values, got a tensor of shape \(6, 2\) on the meta device \(a shape "
        r"without data\); pass one that holds its values, on the CPU or a GPU$",
    ),
    (
        lambda: closed_form(_features(), torch.zeros(6, 1, device="meta")),
        UsageError,
        r"^y must hold values, got a tensor of shape \(6, 1\) on the meta device",
    ),
    (  # a repeated column: many solutions, none of them the one
        lambda: closed_form(_features()[:, [0, 0]], torch.zeros(6)),
        UsageError,
        r"X must have linearly independent columns.*got rank 2 < 3 for X of shape \(6, 2\)",
    ),
    (  # a constant column duplicates the bias
        lambda: closed_form(
            torch.cat([_features(), torch.full((6, 1), 3.0)], dim=1), torch.zeros(6)
        ),
        UsageError,
        r"got rank 3 < 4",
    ),
]


def test_flat_features_are_told_to_become_a_column() -> None:
    """A 1-d X beside one target per value is n examples of one feature: the fix names the
    column X.reshape(-1, 1), not the batch of one (1, n), which has no unique solution either."""
    X = torch.randn(6, generator=torch.Generator().manual_seed(1))
    with pytest.raises(UsageError, match=r"X must be 2-dimensional") as info:
        closed_form(X, 2 * X + 1)
    assert "X.reshape(-1, 1)" in str(info.value)
    assert "reshape(1, -1)" not in str(info.value)
    w, b = closed_form(X.reshape(-1, 1), 2 * X + 1)  # the fix it names solves it
    torch.testing.assert_close(w, torch.tensor([2.0]))
    assert b == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_fewer_rows_than_unknowns_are_refused_before_any_decomposition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """n ≤ d rows cannot fix d weights and a bias: refused from the shape alone. Computing the rank
    first (an SVD) took ~8 s for a 1000 × 20000 X, the moment a wide ``--data`` file is handed in."""

    def no_decomposition(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a decomposition was computed")

    monkeypatch.setattr(torch.linalg, "matrix_rank", no_decomposition)
    monkeypatch.setattr(torch.linalg, "lstsq", no_decomposition)
    for n, d in ((1000, 20000), (3, 3), (1, 1)):
        with pytest.raises(
            UsageError, match=rf"need at least {d + 1} rows, got X of shape \({n}, {d}\)"
        ):
            closed_form(torch.randn(n, d), torch.randn(n, 1))
    with pytest.raises(UsageError) as info:  # no feature and no example: one row, for the bias
        closed_form(torch.empty(0, 0), torch.empty(0))
    assert str(info.value) == (
        "X must have more rows (examples) than columns (features) to have one least-squares "
        "solution: 0 weights and a bias need at least 1 row, got X of shape (0, 0); use more "
        "examples than features"
    )


def test_a_column_huge_next_to_its_spread_is_named() -> None:
    """Unix timestamps (1.7e9 ± a few days) are neither constant nor repeated, yet in float64 the
    column is the bias's column of ones times 1.7e9 to within rounding: NumPy's matrix_rank, the
    oracle here, finds rank 1 too."""
    import numpy as np

    t = 1.7e9 + np.linspace(0.0, 3 * 86400.0, 1000)  # (1000,)
    assert np.linalg.matrix_rank(np.c_[t, np.ones(1000)]) == 1
    X = torch.tensor(t).reshape(-1, 1)
    with pytest.raises(
        UsageError,
        match=r"got rank 1 < 2 for X of shape \(1000, 1\): column 1's values \(mean 1\.7e\+09, std "
        + re.escape(f"{t.std():.3g}")
        + r"\) are huge next to their spread; centre the column \(subtract its mean: the "
        r"weights stay the same, the bias takes up the offset\)$",
    ):
        closed_form(X, X - 1.7e9)
    w, b = closed_form(X - X.mean(), X - 1.7e9)  # the fix named: centred, it is solved
    assert w.item() == pytest.approx(1.0) and b == pytest.approx(float(t.mean() - 1.7e9))


def test_an_offset_column_next_to_a_repeated_one_is_not_blamed(gen: torch.Generator) -> None:
    """[a, b, b] with a = 1e6 + 100·randn was told "column 1's values (mean 1e+06, std 99.5) are
    huge next to their spread; centre the column", and, centred, "column 3 repeats column 2" on
    the next run: centring alone never gave it full rank."""
    a = 1e6 + 100 * torch.randn(200, generator=gen, dtype=torch.float64)  # (200,)
    b = torch.randn(200, generator=gen, dtype=torch.float64)  # (200,)
    with pytest.raises(UsageError) as caught:
        closed_form(torch.stack([a, b, b], dim=1), 2 * b + 1)
    assert str(caught.value).endswith(
        "for X of shape (200, 3): column 3 repeats column 2; drop column 3 (a repeat)"
    )
    w, bias = closed_form(torch.stack([a, b], dim=1), 2 * b + 1)  # the fix named: solved
    assert w.tolist() == pytest.approx([0.0, 2.0], abs=1e-6) and bias == pytest.approx(1.0)


def test_an_offset_column_in_float32_is_told_to_centre_with_its_rounded_spread() -> None:
    """50 examples of 4 features, the last 1.6e12 + 0, 1000, ..., 49000 (i64big.npz): told "use
    more examples than features" (50 > 4 already), with a std (6.21e+04, of the float32 values)
    at odds with the load warning's 1.44e+04 (the file's)."""
    import numpy as np

    gen = np.random.default_rng(0)
    X64 = np.c_[gen.normal(size=(50, 3)), 1_600_000_000_000 + np.arange(50) * 1000]  # (50, 4)
    X = torch.tensor(X64, dtype=torch.float32)
    std = X.double()[:, 3].std(correction=0).item()
    with pytest.raises(UsageError) as caught:
        closed_form(X, X[:, :1])
    assert str(caught.value).endswith(
        f"for X of shape (50, 4): column 4's values (mean 1.6e+12, std {std:.3g}, as rounded to "
        "float32) are huge next to their spread; centre the column (subtract its mean: the "
        "weights stay the same, the bias takes up the offset)"
    )
    assert "more examples" not in str(caught.value)


def test_columns_scaled_far_past_the_bias_name_standardising(gen: torch.Generator) -> None:
    """Features of size 1e14 next to the bias's ones: NumPy's matrix_rank finds rank 2 of 3 too,
    and 3 of 3 once the columns are standardised: their scale alone hid them."""
    import numpy as np

    X = torch.randn(1000, 2, generator=gen, dtype=torch.float64) * 1e14
    x = X.numpy()
    assert np.linalg.matrix_rank(np.c_[x, np.ones(1000)]) == 2
    assert np.linalg.matrix_rank(np.c_[(x - x.mean(0)) / x.std(0), np.ones(1000)]) == 3
    with pytest.raises(
        UsageError,
        match=r"got rank 2 < 3 .*: the columns differ too much in scale \(column \d's values are of "
        r"size 1e\+14, the bias's ones are 1: a ratio of 1e\+14\).*; standardise each column",
    ):
        closed_form(X, torch.zeros(1000, dtype=torch.float64))


def test_independent_columns_on_far_apart_scales_are_told_to_standardise() -> None:
    """One column in units of 1e7, another in 1e-7 (the hunter's scales.csv): NumPy's matrix_rank,
    the oracle, finds [X, 1] of rank 2 < 3, yet 3 once standardised; the sizes named are the
    columns' root mean squares, computed here."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=500) * 1e7, rng.normal(size=500) * 1e-7]  # (500, 2)
    assert np.linalg.matrix_rank(np.c_[x, np.ones(500)]) == 2
    z = (x - x.mean(0)) / x.std(0)
    assert np.linalg.matrix_rank(np.c_[z, np.ones(500)]) == 3
    rms = np.sqrt((x**2).mean(0))  # (2,)
    y = x @ np.array([1e-7, 1e7]) + 4.2  # (500,)
    with pytest.raises(
        UsageError,
        match=r"got rank 2 < 3 for X of shape \(500, 2\): the columns differ too much in scale "
        + re.escape(
            f"(column 1's values are of size {rms[0]:.3g}, column 2's values are of size "
            f"{rms[1]:.3g}: a ratio of {rms[0] / rms[1]:.2g})"
        )
        + r".*; standardise each column \(subtract its mean, divide by its standard deviation\), "
        r"e\.g\. X = \(X - X\.mean\(0\)\) / X\.std\(0\)$",
    ):
        closed_form(torch.tensor(x), torch.tensor(y))
    # the fix named solves it: standardised, the columns are independent (weights per std)
    w, b = closed_form(torch.tensor(z), torch.tensor(y))
    torch.testing.assert_close(w, torch.tensor(x.std(0) * [1e-7, 1e7]), rtol=1e-9, atol=0)
    assert b == pytest.approx(4.2 + float(x.mean(0) @ [1e-7, 1e7]), rel=1e-9)


def test_columns_dependent_in_float32_once_standardised_are_not_told_to_standardise() -> None:
    """The book's polynomial features x^i / i!, i = 1..19 (D2L §3.6 of the 2nd edition's
    underfitting example), in float32: refused "rank 17 < 20 ... standardise each column", then,
    standardised as told, "rank 18 < 20 to within float32's rounding". The advice is now the
    second refusal's, at once: NumPy's singular values of the standardised float32 columns, scaled
    to norm 1 (the oracle), count 18 above float32's rounding, and the fix named is not a rescale."""
    import math

    import numpy as np

    x = np.random.default_rng(0).normal(size=100)
    X = np.stack([x**i / math.factorial(i) for i in range(1, 20)], 1).astype(np.float32)
    Z = ((X - X.mean(0)) / X.std(0)).astype(np.float32)  # (100, 19), standardised as told
    A = np.c_[Z.astype(np.float64), np.ones(100)]  # (100, 20)
    sv = np.linalg.svd(A / np.linalg.norm(A, axis=0), compute_uv=False)
    rank = int((sv > np.finfo(np.float32).eps * 20**0.5).sum())
    assert rank < 20
    y = torch.tensor(x, dtype=torch.float32)
    with pytest.raises(UsageError) as info:
        closed_form(torch.tensor(X), y)
    message = str(info.value)
    assert "standardise each column" not in message
    assert re.search(
        rf"got rank \d+ < 20 for X of shape \(100, 19\): the columns differ much in scale \(.*\), but "
        rf"standardised they are still dependent to within float32's rounding \(rank {rank} < "
        r"20\): columns [\d, ]+(and \d+ more )?are linearly dependent, one a combination of the "
        r"others, up to the 7 significant digits X's values hold; standardising alone will not do: "
        r"drop columns that are a combination of others$",
        message,
    ), message
    with pytest.raises(UsageError, match=rf"rank {rank} < 20 .* to within float32's rounding"):
        closed_form(torch.tensor(Z), y)  # standardised as the first refusal once advised
    # in float64 the standardised columns are independent: standardising is still the advice
    X64 = torch.tensor(X, dtype=torch.float64)
    with pytest.raises(UsageError, match="; standardise each column"):
        closed_form(X64, y.double())
    closed_form((X64 - X64.mean(0)) / X64.std(0, correction=0), y.double())


def test_columns_are_named_by_the_callers_namer() -> None:
    """A data file's columns are named in its terms (``X[:, 0]`` for an .npz): the scale gap's
    sizes and offset columns too, not "column 1" alone."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=500) * 1e7, rng.normal(size=500) * 1e-7]  # (500, 2)
    with pytest.raises(
        UsageError, match=r"\(X\[:, 0\]'s values are of size .*, X\[:, 1\]'s values"
    ):
        closed_form(torch.tensor(x), torch.zeros(500, dtype=torch.float64), column=_npz)
    t = torch.tensor([1.7e9 + v for v in (0.0, 1e-5, 2e-5)], dtype=torch.float64)
    with pytest.raises(UsageError, match=r": X\[:, 0\]'s values \(mean 1\.7e\+09, std"):
        closed_form(t.reshape(-1, 1), torch.zeros(3, dtype=torch.float64), column=_npz)


def _npz(j: int) -> str:
    return f"X[:, {j}]"


def test_truly_dependent_columns_are_not_told_to_rescale() -> None:
    """A repeated column stays dependent when standardised: the fix is to drop it, not rescale."""
    with pytest.raises(
        UsageError,
        match=r"got rank 2 < 3 for X of shape \(6, 2\): column 2 repeats column 1; drop column 2 "
        r"\(a repeat\)$",
    ):
        closed_form(_features()[:, [0, 0]], torch.zeros(6))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_w_and_b_are_both_the_float64_solution_rounded_to_xs_dtype(
    gen: torch.Generator, dtype: torch.dtype
) -> None:
    """The oracle is NumPy's float64 least squares, rounded to X's dtype here: w and b alike (b
    was once left in float64 while w was rounded)."""
    import numpy as np

    X = torch.randn(200, 2, generator=gen).to(dtype)
    y = X.double() @ torch.tensor([2.0, -3.4], dtype=torch.float64) + 4.2
    y += 0.01 * torch.randn(200, generator=gen, dtype=torch.float64)
    A = np.c_[X.double().numpy(), np.ones(200)]
    expected = torch.tensor(np.linalg.lstsq(A, y.numpy(), rcond=None)[0]).to(dtype)  # (3,)
    w, b = closed_form(X, y)
    assert w.dtype == dtype
    torch.testing.assert_close(w, expected[:2], atol=0, rtol=torch.finfo(dtype).eps)
    assert b == float(torch.tensor(b, dtype=torch.float64).to(dtype))  # a value of X's dtype
    assert b == pytest.approx(float(expected[2]), rel=torch.finfo(dtype).eps)


def test_inputs_that_require_grad_give_a_plain_solution(
    gen: torch.Generator, recwarn: pytest.WarningsRecorder
) -> None:
    """Targets computed by a model (``y = X @ w_model``, ``w_model`` a parameter) are solved as
    data: the solution carries no graph and reading ``b`` warns of nothing (it once warned
    "Converting a tensor with requires_grad=True to a scalar")."""
    X = torch.randn(20, 2, generator=gen, dtype=torch.float64)
    w_model = torch.tensor([[1.5], [-0.5]], dtype=torch.float64, requires_grad=True)
    y = X @ w_model + 0.25  # (20, 1), with a grad_fn
    w, b = closed_form(X.requires_grad_(), y)
    assert not w.requires_grad and w.grad_fn is None
    assert not [str(warning.message) for warning in recwarn.list]
    # noiseless targets: the solution is the model's w and b
    torch.testing.assert_close(
        w, torch.tensor([1.5, -0.5], dtype=torch.float64), atol=1e-12, rtol=0
    )
    assert b == pytest.approx(0.25, abs=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_column_summing_others_before_rounding_is_refused(
    gen: torch.Generator, dtype: torch.dtype
) -> None:
    """A third column that is the sum of the first two, rounded to X's dtype: independent in
    float64 by the rounding alone, it once gave a "unique" solution made of that rounding's
    noise (weights of ±6e4 for a --data file's float64 columns read as float32). NumPy's
    matrix_rank of the float32 array, the oracle, finds rank 3 of 4, as is refused here."""
    import numpy as np

    X = torch.randn(50, 2, generator=gen, dtype=torch.float64)
    X = torch.cat([X, X.sum(dim=1, keepdim=True)], dim=1).to(dtype)  # (50, 3)
    A = np.c_[X.float().numpy(), np.ones((50, 1), np.float32)]  # (50, 4), float32
    assert np.linalg.matrix_rank(A.astype(np.float64)) == 4  # independent in float64
    if dtype == torch.float32:
        assert np.linalg.matrix_rank(A) == 3  # not within float32's rounding
    y = X[:, :2].double() @ torch.tensor([2.0, -3.4], dtype=torch.float64) + 4.2
    name = str(dtype).removeprefix("torch.")
    digits = {torch.float32: 7, torch.bfloat16: 2}[dtype]
    with pytest.raises(
        UsageError,
        match=rf"got rank 3 < 4 for X of shape \(50, 3\) to within {name}'s rounding: columns 1, "
        rf"2 and 3 are linearly dependent, one a combination of the others, up to the {digits} "
        r"significant digits X's values hold; drop one of columns 1, 2 and 3 \(one is a multiple "
        r"or combination of the others\)$",
    ):
        closed_form(X, y)
    w, b = closed_form(X[:, :2], y)  # the fix named: without the sum, solved (noiseless y)
    torch.testing.assert_close(w, torch.tensor([2.0, -3.4], dtype=dtype))
    assert b == pytest.approx(4.2, rel=torch.finfo(dtype).eps)


def test_float32_columns_independent_past_their_rounding_are_solved_however_many() -> None:
    """The float32 rank counts a singular value of the column-scaled [X, 1] as zero up to an
    absolute eps · √(d + 1), the size of the rounding's perturbation, whatever the largest one:
    63 columns near the bias's ones (largest singular value ~5) whose smallest one is 2.6 times
    that are independent and solved (a tolerance relative to the largest, 5 times as large, would
    refuse them). The oracle: the singular values computed here, and NumPy's lstsq in float64."""
    import numpy as np

    n, d = 256, 63
    gen = torch.Generator().manual_seed(0)
    ones = torch.ones(n, 1, dtype=torch.float64)
    basis = torch.linalg.qr(
        torch.cat([ones, torch.randn(n, d, generator=gen, dtype=torch.float64)], 1)
    ).Q
    X = (1 + 6.4e-4 * basis[:, 1:]).float()  # (n, d): each column 1 + a small direction of its own
    A = torch.cat([X.double(), ones], dim=1)
    scaled = A / torch.exp2(torch.frexp(A.norm(dim=0)).exponent.double())  # norms in [1/2, 1)
    values = torch.linalg.svdvals(scaled)
    tolerance = torch.finfo(torch.float32).eps * (d + 1) ** 0.5
    assert 2 * tolerance < values.min() < values.max() * tolerance / 2  # the premise
    y = torch.randn(n, generator=gen, dtype=torch.float64)
    w, b = closed_form(X, y)
    solution = np.linalg.lstsq(A.numpy(), y.numpy(), rcond=None)[0]
    torch.testing.assert_close(w, torch.from_numpy(solution[:-1]).float(), rtol=1e-4, atol=0)
    assert b == pytest.approx(solution[-1], rel=1e-6)


def _dependent_cases() -> list[tuple[torch.Tensor, set[int], str]]:
    """(X, the columns in its dependencies, from 1, what the refusal names)."""
    X = torch.randn(50, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    three = torch.full((50, 1), 3.0, dtype=torch.float64)
    W = torch.randn(50, 11, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    return [
        (torch.cat([X[:, :2], three, X[:, 2:]], dim=1), {3}, "column 3 is constant (every value 3)"),
        (torch.cat([X[:, :2], three, three], dim=1), {3, 4},
         "column 3 is constant (every value 3), column 4 is constant (every value 3)"),
        (X[:, [0, 1, 0, 2]], {1, 3}, "column 3 repeats column 1"),
        (torch.cat([X, (X[:, 0] + X[:, 1]).reshape(-1, 1)], dim=1), {1, 2, 5},
         "columns 1, 2 and 5 are linearly dependent, one a combination of the others"),
        (torch.cat([X, (X[:, 0] + 2 * X[:, 3] + 1).reshape(-1, 1)], dim=1), {1, 4, 5},
         "columns 1, 4 and 5, with the bias's ones, are linearly dependent, one a combination of "
         "the others"),
        (torch.cat([X, X.sum(dim=1, keepdim=True)], dim=1), {1, 2, 3, 4, 5},
         "columns 1, 2, 3, 4 and 5 are linearly dependent, one a combination of the others"),
        (torch.cat([X[:, [0, 1, 0]], 2 * X[:, :1]], dim=1), {1, 3, 4},
         "column 3 repeats column 1, column 4 is a combination of those"),
        (torch.cat([W[:, :9], W[:, :9].sum(dim=1, keepdim=True)], dim=1), set(range(1, 11)),
         "columns 1, 2, 3, 4, 5, 6, 7, 8, 9 and 10 are linearly dependent, one a combination of "
         "the others"),
        (torch.cat([W, W.sum(dim=1, keepdim=True)], dim=1), set(range(1, 13)),
         "columns 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more are linearly dependent, one a "
         "combination of the others"),
    ]  # fmt: skip


@pytest.mark.parametrize("X,columns,named", _dependent_cases())
def test_dependent_columns_are_named(X: torch.Tensor, columns: set[int], named: str) -> None:
    """A table of 30 columns was told to "drop constant or repeated columns" without a word of
    which: each is named. The oracle is NumPy's null space of [X, 1] (its SVD), whose nonzero
    entries are the columns named; constant and repeated columns are named as such."""
    import numpy as np

    A = np.c_[X.numpy(), np.ones(len(X))]  # (n, d + 1)
    rank = int(np.linalg.matrix_rank(A))
    null = np.linalg.svd(A)[2][rank:]  # (d + 1 - rank, d + 1)
    assert {j + 1 for j in range(X.shape[1]) if np.linalg.norm(null[:, j]) > 1e-6} == columns
    with pytest.raises(UsageError) as info:
        closed_form(X, X[:, 0])
    said = str(info.value)
    assert f"got rank {rank} < {X.shape[1] + 1} for X of shape ({len(X)}, {X.shape[1]}): {named}; drop " in said  # fmt: skip
    assert "more examples" not in said  # more rows than columns: no row is missing


def test_a_dependence_between_columns_far_apart_in_scale_names_those_columns_alone() -> None:
    """The columns are scaled to norm 1 before their dependencies are read: column 3 is exactly
    2^20 times column 1 (the oracle is the construction), and column 2, 2^-20 times a draw of its
    own, takes no part. NumPy's null space of the unscaled [X, 1] gives column 3 a share of
    ~2^-20 and would name column 1 alone; with a tiny column it names column 2 too."""
    import numpy as np

    draws = torch.randn(50, 2, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    X = torch.stack([draws[:, 0], 2.0**-20 * draws[:, 1], 2.0**20 * draws[:, 0]], dim=1)
    assert torch.equal(X[:, 2], X[:, 0] * 2.0**20)  # exact: a power of two
    A = np.c_[X.numpy(), np.ones(50)]
    assert np.abs(np.linalg.svd(A)[2][3:, 2]).max() < 1e-5  # the unscaled null space misses it
    with pytest.raises(UsageError) as info:
        closed_form(X, draws[:, 1])
    assert str(info.value).endswith(
        "got rank 3 < 4 for X of shape (50, 3): columns 1 and 3 are linearly dependent, one a "
        "combination of the others; drop one of columns 1 and 3 (one is a multiple or "
        "combination of the others)"
    )


def test_a_column_a_multiple_of_another_is_told_to_drop_one_of_them_not_to_add_examples() -> None:
    """50 rows for 3 features, X[:, 2] = 2 X[:, 0]: it was told to "use more examples than
    features, or drop constant or repeated columns", neither of which fits."""
    import numpy as np

    draws = np.random.default_rng(0).normal(size=(50, 2))
    X = torch.from_numpy(np.c_[draws, 2 * draws[:, 0]])
    with pytest.raises(UsageError) as info:
        closed_form(X, X @ torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64) + 1)
    assert str(info.value).endswith(
        "got rank 3 < 4 for X of shape (50, 3): columns 1 and 3 are linearly dependent, one a "
        "combination of the others; drop one of columns 1 and 3 (one is a multiple or "
        "combination of the others)"
    )


def test_two_constant_columns_are_both_named_to_drop_joined_by_and() -> None:
    """Two constant columns: "drop column 1 (...) and column 2 (...)", not a bare comma between
    the two (each drop holds commas of its own)."""
    X = torch.randn(20, 3, dtype=torch.float64)
    X[:, 0] = 1.0
    X[:, 1] = 1.0
    with pytest.raises(UsageError) as info:
        closed_form(X, torch.randn(20, dtype=torch.float64))
    assert str(info.value).endswith(
        "; drop column 1 (constant: the bias stands for it) and column 2 (constant: the bias "
        "stands for it)"
    )
