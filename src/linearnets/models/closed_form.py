"""The least-squares solution, the reference both linear-regression implementations are compared with."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Literal, NoReturn, overload

import torch

from linearnets._text import counted
from linearnets.errors import UsageError
from linearnets.validation import (
    check_finite,
    check_float_tensor,
    check_same_length,
    describe,
    is_column,
)

__all__ = ["closed_form"]


# names column j (from 0) of X in the caller's terms: "X[:, 0]" for an .npz's, "column 1" for a CSV's
Namer = Callable[[int], str]


def _numbered(j: int) -> str:
    return f"column {j + 1}"


def closed_form(
    X: torch.Tensor, y: torch.Tensor, *, column: Namer = _numbered
) -> tuple[torch.Tensor, float]:
    """Return the ``(w, b)`` minimising ``‖Xw + b − y‖²``, solved with ``torch.linalg.lstsq`` in float64.

    Both are then rounded to ``X``'s dtype, the values a model training on ``X`` can hold (as
    scikit-learn's ``LinearRegression`` keeps float32 data's dtype): float64 data keep the full
    solution, float32 data get the float32 numbers nearest to it.

    Args:
        X: features, shape (n, d).
        y: targets, shape (n, 1) or (n,).
        column: names column ``j`` (from 0) of ``X`` in a refusal, in the terms of the data's
            source: ``X[:, j]`` for an ``.npz`` file's, ``column j + 1`` (the default) for a CSV's.

    Returns:
        ``w`` of shape (d,) in ``X``'s dtype, and the bias ``b``, a Python float holding a value of
        ``X``'s dtype.

    Raises:
        UsageError: no unique solution: no more rows than columns, constant or repeated columns, or
            columns whose scales (or offsets) lie too far apart for float64 to tell them apart;
            for X of a narrower dtype, columns dependent to within its rounding too (a sum of two
            columns, rounded to float32, is independent of them in float64 by the rounding alone).

    See D2L §3.1.1.3.
    """
    n = _check_inputs(X, y)
    # a reference solution, not part of any graph: targets computed by a model (y = net(X)) would
    # otherwise give a w with a grad_fn and a b read through torch's requires_grad warning
    X, y = X.detach(), y.detach()
    d = X.shape[1]
    if n <= d:
        # fewer equations than unknowns: no rank to compute (an SVD of 1000 × 20001 takes seconds)
        rows = "1 row" if d == 0 else f"{d + 1} rows"  # (0, 0): a bias alone
        raise UsageError(
            f"X must have more rows (examples) than columns (features) to have one least-squares "
            f"solution: {d} weights and a bias need at least {rows}, got X of shape "
            f"{tuple(X.shape)}; use more examples than features"
        )
    A = torch.cat(
        [X.double(), torch.ones(n, 1, dtype=torch.float64, device=X.device)], dim=1
    )  # (n, d + 1)
    rank = int(torch.linalg.matrix_rank(A))
    if rank < A.shape[1]:
        _refuse_rank(X, A, rank, column)
    if X.dtype != torch.float64:
        rank = _rank_in(X.dtype, A)
        if rank < A.shape[1]:
            _refuse_rank(X, A, rank, column, rounded=True)
    # QR (gels) rather than the default gelsy: same bits on every call
    solution = torch.linalg.lstsq(A, y.double().reshape(-1, 1), driver="gels").solution.reshape(-1)
    solution = solution.to(X.dtype)  # (d + 1,): w and b rounded alike
    return solution[:-1], float(solution[-1])


def _check_inputs(X: torch.Tensor, y: torch.Tensor) -> int:
    """Raise unless ``X`` (n, d) and ``y`` (n, 1) or (n,) are finite float tensors on one device,
    one target per row; return n."""
    if isinstance(X, torch.Tensor) and X.ndim == 1 and X.is_floating_point():
        # n examples of one feature, most likely: the generic fix, a batch of one (1, n), has no
        # unique solution either
        swapped = _swapped(X, y)
        fix = (
            f"{swapped}; else make X a column with X.reshape(-1, 1) and solve one target column "
            "at a time"
            if swapped
            else "for one feature per example make it a column with X.reshape(-1, 1)"
        )
        raise UsageError(f"X must be 2-dimensional (n, d), got {describe(X)}; {fix}")
    check_float_tensor("X", X, ndim=2)
    check_float_tensor("y", y)
    n = check_same_length(("X", "y"), (X, y))
    if y.numel() != n:
        swapped = _swapped(X, y)
        fix = "solve one target column at a time"
        raise UsageError(
            f"y must hold one target per row of X, shape ({n}, 1) or ({n},), got shape "
            f"{tuple(y.shape)}; {f'{swapped}; else {fix}' if swapped else fix}"
        )
    check_finite("X", X)
    check_finite("y", y)
    if y.device != X.device:  # torch.linalg.lstsq would fail in its own words
        raise UsageError(
            f"y must be on X's device {X.device}, got y on {y.device}; move it with "
            f"y.to({str(X.device)!r})"
        )
    return n


def _swapped(X: torch.Tensor, y: object) -> str | None:
    """Return the words for ``X`` and ``y`` that look passed the other way round, ``closed_form(y,
    X)``: ``X`` a target column (n, 1) or (n,), ``y`` features (n, d), d > 1, for as many
    examples; else ``None``. Not certain (one feature and d targets has these shapes too), so
    the callers add their own fix after it."""
    if not (isinstance(y, torch.Tensor) and y.ndim == 2 and y.shape[1] > 1 and is_column(X)):
        return None
    if len(y) != len(X):
        return None
    return (
        f"X and y may be swapped: y has the shape of features ({counted(len(y), 'example')} of "
        f"{y.shape[1]} features) and X that of a target column, so pass the features first: "
        "closed_form(X, y)"
    )


def _rank_in(dtype: torch.dtype, A: torch.Tensor) -> int:
    """Return the rank of ``A`` = [X, 1] (n, d + 1), float64, to within the rounding of ``X``'s
    ``dtype``.

    Each value of X holds only ``dtype``'s digits (float32's 7): a column that was the sum of
    others, or repeated, before its values were rounded to float32 is independent in float64 by
    the rounding alone (singular value ~1e-7 of the largest), and its "unique" solution is that
    rounding's noise (weights of ±6e4 for true ones of 2 and -3.4). Rounding moves each value by at
    most ``eps / 2`` of itself, whatever its column's scale, so the columns are first scaled to
    norm in [1/2, 1) (columns far apart in scale are no cause here) and a singular value up to
    ``eps · √(d + 1)``, the size of that perturbation, counts as zero.

    ``A`` is scaled in place by powers of two and scaled back, exactly: no second copy of the
    data, which may take gigabytes.
    """
    # 2^-e with norm = m · 2^e, m in [1/2, 1); a zero column failed the rank before this
    scale = torch.exp2(-torch.frexp(A.norm(dim=0)).exponent.double())  # (d + 1,)
    tolerance = torch.finfo(dtype).eps * A.shape[1] ** 0.5
    try:
        return int(torch.linalg.matrix_rank(A.mul_(scale), atol=tolerance, rtol=0.0))
    finally:
        A.div_(scale)


def _refuse_rank(
    X: torch.Tensor, A: torch.Tensor, rank: int, column: Namer, *, rounded: bool = False
) -> NoReturn:
    """Refuse ``A`` = [X, 1] (n, d + 1) of rank < d + 1, naming the likely cause and its fix, and
    X's columns by ``column``; ``rounded``: the rank is :func:`_rank_in` X's dtype, full in
    float64."""
    precision = f" to within {_dtype_name(X)}'s rounding" if rounded else ""
    what = (
        f"X must have linearly independent columns, with a column of ones for the bias, to have "
        f"one least-squares solution, got rank {rank} < {A.shape[1]} for X of shape "
        f"{tuple(X.shape)}{precision}"
    )
    named = _offset_columns(A, column, rounded_to=X.dtype, rounded=rounded)
    offsets = f": {', '.join(named)} are huge next to their spread" if named else ""
    if rounded and not offsets:
        # scale-free (_rank_in): no scale gap to name; a column that is another's, or a sum of
        # others, before its values were rounded to X's dtype
        said, drop = _dependent(X, A, rank, column, drops=True)
        fix = (
            f"drop {drop}"
            if drop
            else "drop constant or repeated columns, and any that is a sum or combination of others"
        )
        raise UsageError(
            f"{what}{said}, up to the {_digits(X)} significant digits X's values hold; {fix}"
        )
    if offsets:
        # n > d here (fewer rows are refused before): more examples would not help
        raise UsageError(
            f"{what}{offsets}; centre {'those columns' if len(named) > 1 else 'the column'} "
            "(subtract its mean: the weights stay the same, the bias takes up the offset)"
        )
    scales, Z = _scale_gap(A, column)
    if scales and X.dtype != torch.float64 and (rank_z := _rank_in(X.dtype, Z)) < Z.shape[1]:
        # standardised, the columns pass float64's rank but not X's dtype's: no standardising helps
        raise UsageError(
            f"{what}: the columns differ much in scale ({scales}), but standardised they are "
            f"still dependent to within {_dtype_name(X)}'s rounding (rank {rank_z} < "
            f"{Z.shape[1]}){_dependent(X, Z, rank_z, column)}, up to the {_digits(X)} significant "
            "digits X's values hold; standardising alone will not do: drop columns that are a "
            "combination of others"
        )
    if scales:
        raise UsageError(
            f"{what}: the columns differ too much in scale ({scales}), so that the small ones "
            "vanish in float64 rounding next to the large ones, though they are independent; "
            "standardise each column (subtract its mean, divide by its standard deviation), e.g. "
            "X = (X - X.mean(0)) / X.std(0)"
        )
    said, drop = _dependent(X, A, rank, column, drops=True)
    # n > d here (fewer rows are refused before any rank): more examples is no fix of a named tie
    fix = f"drop {drop}" if drop else "drop constant or repeated columns"
    raise UsageError(f"{what}{said}; {fix}")


@overload
def _dependent(X: torch.Tensor, A: torch.Tensor, rank: int, column: Namer) -> str: ...


@overload
def _dependent(
    X: torch.Tensor, A: torch.Tensor, rank: int, column: Namer, *, drops: Literal[True]
) -> tuple[str, str]: ...


def _dependent(
    X: torch.Tensor, A: torch.Tensor, rank: int, column: Namer, *, drops: bool = False
) -> str | tuple[str, str]:
    """Name the columns of ``X`` (n, d), by ``column``, that take part in the dependencies of
    ``A`` = [X, 1] (n, d + 1) of ``rank`` < d + 1: ": column 2 is constant (every value 3),
    column 4 repeats column 1"; columns tied otherwise are named together. Run on the failure
    path only. With ``drops``, also the columns to drop, each with why: "X[:, 3] (constant: the
    bias stands for it), one of X[:, 0] and X[:, 2] (one is a multiple or combination of the
    others)" (``""`` where none is named).

    A column takes part where it has a share in the null space of the columns scaled to norm 1:
    the right singular vectors of the d + 1 - rank smallest singular values.
    """
    R = torch.linalg.qr(A, mode="r").R  # (d + 1, d + 1): A's right singular vectors, small
    norms = R.norm(dim=0)  # (d + 1,), A's column norms
    Vh = torch.linalg.svd(R / torch.where(norms > 0, norms, 1.0)).Vh  # (d + 1, d + 1)
    share = Vh[rank:].norm(dim=0)  # (d + 1,): each column's part in the null space
    involved = [j for j in range(X.shape[1]) if share[j] > 1e-3]
    columns = A[:, involved].T  # (k, n): X's values, exactly, in float64 (unique takes any)
    # equal columns share an index: one sort, not k² comparisons of n values
    group = torch.unique(columns, dim=0, return_inverse=True)[1].tolist() if involved else []
    named: list[str] = []
    drop: list[str] = []  # the columns to drop, each with why
    tied: list[str] = []
    for at, j in enumerate(involved):
        first = group.index(group[at])  # the first involved column equal to this one
        if _constant(columns[at]):
            named.append(f"{column(j)} is constant (every value {columns[at, 0].item():g})")
            drop.append(f"{column(j)} (constant: the bias stands for it)")
        elif first < at:
            named.append(f"{column(j)} repeats {column(involved[first])}")
            drop.append(f"{column(j)} (a repeat)")
        elif group.count(group[at]) == 1:
            tied.append(column(j))
    if len(tied) > 1:
        bias = ", with the bias's ones," if share[-1] > 1e-3 else ""
        named.append(
            f"{_listed(tied)}{bias} are linearly dependent, one a combination of the others"
        )
        drop.append(f"one of {_listed(tied)} (one is a multiple or combination of the others)")
    elif tied:  # one column: tied to the bias's ones, or to the columns named
        named.append(f"{tied[0]} is a combination of those" if named else f"{tied[0]} is constant")
        drop.append(
            f"{tied[0]} (a combination of those)" if drop else f"{tied[0]} (the bias stands for it)"
        )
    said = f": {', '.join(named)}" if named else ""
    # "X[:, 0] (...) and X[:, 1] (...)": each drop holds commas of its own
    dropped = ", ".join(drop[:-1]) + f" and {drop[-1]}" if len(drop) > 1 else "".join(drop)
    return (said, dropped) if drops else said


def _listed(names: list[str]) -> str:
    """Return ``names`` as one list, past the first ten as a count: "columns 1, 2 and 5" where
    each is "column N", else "X[:, 0], X[:, 1] and X[:, 4]"."""
    numbers = [re.fullmatch(r"column (\d+)", name) for name in names]
    if all(numbers):
        names = [number[1] for number in numbers if number]
    more = len(names) - 10  # named past the first ten as a count
    shown = (
        f"{', '.join(names[:10])} and {more} more"
        if more > 0
        else f"{', '.join(names[:-1])} and {names[-1]}"
    )
    return f"columns {shown}" if all(numbers) else shown


def _constant(column: torch.Tensor) -> bool:
    """Whether every value of ``column`` (n,) is its first."""
    return bool((column == column[0]).all())


def _scale_gap(A: torch.Tensor, column: Namer) -> tuple[str, torch.Tensor]:
    """Name the largest and smallest columns of ``A`` = [X, 1] (n, d + 1), float64, when the columns
    become independent in float64 once standardised (so only their scales, or offsets, hid it),
    with that standardised copy [Z, 1] (n, d + 1) for the caller to test at X's dtype's rounding;
    else ``""`` (and ``A``).

    Run on the failure path only: one more rank, of the standardised copy.
    """
    X = A[:, :-1]  # (n >= d + 1 rows: fewer are refused before any rank)
    mean, std = X.mean(dim=0), X.std(dim=0, correction=0)  # (d,), (d,)
    if not bool((std > 0).all()):
        return "", A  # a constant column: a multiple of the bias's ones at any scale
    Z = torch.cat([(X - mean) / std, A[:, -1:]], dim=1)  # (n, d + 1), every column of size 1
    if int(torch.linalg.matrix_rank(Z)) < Z.shape[1]:
        return "", A
    size = A.norm(dim=0) / A.shape[0] ** 0.5  # (d + 1,): root mean square; the ones' is 1

    def sized(j: int) -> str:
        if j == A.shape[1] - 1:
            return "the bias's ones are 1"
        return f"{column(j)}'s values are of size {size[j].item():.3g}"

    big, small = int(size.argmax()), int(size.argmin())
    return f"{sized(big)}, {sized(small)}: a ratio of {(size[big] / size[small]).item():.2g}", Z


def _offset_columns(
    A: torch.Tensor, column: Namer, *, rounded_to: torch.dtype, rounded: bool
) -> list[str]:
    """Return, named by ``column``, the columns of X in ``A`` = [X, 1] (n, d + 1), float64, whose
    values sit far from zero next to their spread (a Unix timestamp's 1.7e9 ± a few days): within
    rounding they equal the bias's column of ones times a constant, so the rank counts them as
    repeated. Only where centring them gives [X, 1] full rank (else ``[]``: a repeated column is
    the cause, and centring would only bring its refusal on the next run). ``rounded_to``: the
    dtype X's values were given in, said with their spread where it rounded them (float32: the
    spread of a file's values, warned of as they load, differs from the rounded ones');
    ``rounded``: the rank is :func:`_rank_in` that dtype, full in float64.

    Run on the failure path only: one more rank, of a centred copy of ``A``.
    """
    X = A[:, :-1]  # (n, d)
    if X.shape[0] < 2:  # no spread to compare with
        return []
    mean, std = X.mean(dim=0), X.std(dim=0, correction=0)  # (d,), (d,)
    offset = [j for j in range(X.shape[1]) if 0 < std[j] < 1e-3 * mean[j].abs()]
    if not offset:
        return []
    centred = A.clone()  # (n, d + 1)
    centred[:, offset] -= mean[offset]
    rank = _rank_in(rounded_to, centred) if rounded else int(torch.linalg.matrix_rank(centred))
    if rank < A.shape[1]:
        return []
    shown = "" if rounded_to == torch.float64 else f", as rounded to {_dtype_str(rounded_to)}"
    return [
        f"{column(j)}'s values (mean {mean[j].item():.3g}, std {std[j].item():.3g}{shown})"
        for j in offset
    ]


def _dtype_name(X: torch.Tensor) -> str:
    return _dtype_str(X.dtype)


def _dtype_str(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _digits(X: torch.Tensor) -> int:
    """Return how many significant decimal digits the values of ``X``'s dtype hold (float32: 7)."""
    return round(-math.log10(torch.finfo(X.dtype).eps))
