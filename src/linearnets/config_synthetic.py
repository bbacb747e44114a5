"""The synthetic data's settings of a linear-regression run: the book's values filled in, or refused
beside a data file (:class:`~linearnets.config.LinregConfig`, D2L §3.2.1)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from linearnets._text import counted
from linearnets.config_checks import (
    MAX_EXAMPLES,
    MAX_NOISE_STD,
    check_bias,
    check_data_size,
    check_weights,
    plain_number,
)
from linearnets.errors import UsageError
from linearnets.validation import check_non_negative_float, check_positive_int

__all__ = ["BOOK_SYNTHETIC", "SYNTHETIC_SETTINGS", "resolve_synthetic"]

# LinregConfig's settings of the synthetic data, meaningless (and refused) with a data file
SYNTHETIC_SETTINGS = ("num_examples", "noise_std", "true_w", "true_b")
BOOK_SYNTHETIC: dict[str, Any] = {
    "num_examples": 1000,
    "noise_std": 0.01,
    "true_w": (2.0, -3.4),
    "true_b": 4.2,
}


def resolve_synthetic(
    values: Mapping[str, Any], *, data: Path | None, defaulted: frozenset[str]
) -> dict[str, Any]:
    """Return the synthetic settings to store, checked, with the book's filling those left out.

    Args:
        values: the four settings as given (``None``: left out).
        data: the run's data file; with one, every setting must be left out and all are stored as
            ``None`` (the file decides).
        defaulted: the settings an earlier config filled in rather than was given
            (``dataclasses.replace`` carries its values over): they do not count as given.

    Returns:
        The four settings and ``_defaulted``, the names now filled in with the book's values.
    """

    def left_out(name: str) -> bool:  # or kept at the value filled in for it
        value = values[name]
        return value is None or (name in defaulted and value == BOOK_SYNTHETIC[name])

    if data is not None:
        given = [name for name in SYNTHETIC_SETTINGS if not left_out(name)]
        if given:
            # the file's rows and values decide: a setting given here would be ignored
            raise UsageError(
                f"{' and '.join(given)} {'sets' if len(given) == 1 else 'set'} the synthetic "
                f"data and cannot be given with data={str(data)!r:.60} (the file decides "
                f"the examples); leave {' and '.join(given)} out, or pass data=None"
            )
        return {"_defaulted": frozenset(), **dict.fromkeys(SYNTHETIC_SETTINGS)}
    now_defaulted = frozenset(name for name in SYNTHETIC_SETTINGS if left_out(name))
    chosen = {name: _or(values[name], BOOK_SYNTHETIC[name]) for name in SYNTHETIC_SETTINGS}
    true_w = _within_scale("true_w", check_weights(chosen["true_w"]), "(2.0, -3.4)")
    # d weights and a bias: fewer than d + 1 examples leave the least-squares solution the run
    # is compared with not unique
    fewest = len(true_w) + 1
    num_examples = check_positive_int(
        "num_examples",
        chosen["num_examples"],
        fix=f"pass e.g. num_examples=1000 (from {fewest} to {MAX_EXAMPLES})",
    )
    if not fewest <= num_examples <= MAX_EXAMPLES:
        # the book's 1000 is too few for 1000 weights or more: the example must lie in the range
        example = max(BOOK_SYNTHETIC["num_examples"], fewest)
        left_out_note = " (the book's, filled in: num_examples was left out)"
        raise UsageError(
            f"num_examples must be an integer in [{fewest}, {MAX_EXAMPLES}] (at least one more "
            f"than the {counted(fewest - 1, 'weight')}, for a unique least-squares solution), got "
            f"{num_examples}{left_out_note if 'num_examples' in now_defaulted else ''}; "
            f"pass e.g. num_examples={example}"
        )
    # run_linreg's features are float32 (n, d)
    check_data_size(num_examples, len(true_w), weights="true_w", fewest=fewest)
    noise_std = check_non_negative_float(
        "noise_std", plain_number(chosen["noise_std"]), maximum=MAX_NOISE_STD
    )
    return {
        "_defaulted": now_defaulted,
        "num_examples": num_examples,
        "noise_std": noise_std,
        "true_w": true_w,
        "true_b": _within_scale("true_b", (check_bias(chosen["true_b"]),), "4.2")[0],
    }


def _within_scale(name: str, values: tuple[float, ...], example: str) -> tuple[float, ...]:
    """Return ``values`` if each lies in [-MAX_NOISE_STD, MAX_NOISE_STD], else raise naming ``name``.

    The labels are float32: a weight or bias of 1e39 (finite as a Python float) would become inf
    there and be refused as "NaN/inf" data, and one of 1e20 gives labels whose first squared
    error is inf, blamed on the data. noise_std's limit keeps the squared errors finite; so does
    this one, whatever the number of weights the data-size limit lets through.
    """
    for value in values:
        if abs(value) > MAX_NOISE_STD:
            raise UsageError(
                f"{name} must hold numbers in [{-MAX_NOISE_STD:g}, {MAX_NOISE_STD:g}] (noise_std's "
                "limit, which keeps the float32 labels y = Xw + b + noise and their squared errors "
                f"finite), got {float(value)!r}; pass e.g. {name}={example}, or rescale the problem"
            )
    return values


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value
