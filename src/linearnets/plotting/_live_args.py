"""Checks of :class:`~linearnets.plotting.LiveCurves`' arguments: metric names, curve files, values.

Each raises with the argument, the rule, the value received and the fix; the curves themselves are
:mod:`linearnets.plotting.live`'s. See D2L §3.6.6.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from linearnets.errors import UsageError, UsageTypeError
from linearnets.path_checks import expand_user
from linearnets.plotting._mpl import check_out_path
from linearnets.validation import describe

__all__ = ["check_mapping", "check_names", "check_value", "curve_files"]

_FORMATS = ("png", "svg", "pdf")  # the files LiveCurves can write


def check_names(
    name: str,
    value: Sequence[str],
    example: str,
    *,
    allowed: Sequence[str] | None = None,
    empty_ok: bool = False,
) -> tuple[str, ...]:
    """Return ``value`` as a tuple if it is a (non-empty) sequence of distinct (allowed) strings,
    none empty or blank."""
    # a bare string is a mistake, not a list; so are a number and names that are no strings
    # (metrics=[1] became the line '1')
    names: tuple[object, ...] = ()
    iterable = not isinstance(value, str)
    if iterable:
        try:
            names = tuple(value)
        except TypeError:  # no iterable at all
            iterable = False
    bad = not iterable or not all(isinstance(n, str) for n in names)
    bad = bad or (not names and not empty_ok) or len(set(names)) != len(names)
    if bad or (allowed is not None and not set(names) <= set(allowed)):
        among = f" among {tuple(allowed)}" if allowed is not None else ""
        raise UsageError(
            f"{name} must be a non-empty sequence of distinct names{among}, got {value!r}; "
            f"pass e.g. {name}={example}"
        )
    # a line with no name: matplotlib names it itself, and the legend showed '_child0'
    blank = next((i for i, n in enumerate(names) if not str(n).strip()), None)
    if blank is not None:
        raise UsageError(
            f"{name} must be names with some text, got {name}[{blank}] = {names[blank]!r} in "
            f"{value!r}; pass a name for each line, e.g. {name}={example}"
        )
    return tuple(str(n) for n in names)  # all str by now: for the type checker


def curve_files(
    out_dir: Path | str | None, formats: Sequence[str], final_formats: Sequence[str]
) -> tuple[list[Path], list[Path]]:
    """Return the ``curves.<format>`` files written per update and those written once at the end."""
    formats = check_names("formats", formats, "('png',)", allowed=_FORMATS)
    finals = check_names(
        "final_formats", final_formats, "('svg',)", allowed=_FORMATS, empty_ok=True
    )
    if out_dir is None:
        return [], []
    if not isinstance(out_dir, str | os.PathLike):
        raise UsageTypeError(
            f"out_dir must be a folder path (str or pathlib.Path), got {describe(out_dir)}; pass "
            "e.g. out_dir='runs/curves'"
        )
    if not str(out_dir):  # Path("") is the current folder: most likely a mistake
        raise UsageError(
            "out_dir must be a folder path, got an empty string; pass e.g. out_dir='runs/curves', "
            "or out_dir='.' for the current folder"
        )
    out_dir = expand_user("out_dir", out_dir)  # as check_out_path does: no folder named "~"
    for path in (out_dir / f"curves.{f}" for f in (*formats, *finals)):
        # a folder named curves.png, or out_dir a file, fails now
        check_out_path("out_dir", path, names_folder=True)
    per_update = [out_dir / f"curves.{f}" for f in formats]
    at_close = [out_dir / f"curves.{f}" for f in finals]
    return per_update, at_close


def check_mapping(values: object, *, example: str) -> None:
    """Raise unless ``values`` maps metric names to values (a list failed at ``.items()``, a
    string named its letters); ``example`` is a metric name for the fix."""
    if not isinstance(values, Mapping):
        raise UsageTypeError(
            f"values must map metric names to numbers, got {describe(values)}; pass e.g. "
            f"values={{{example!r}: 0.5}}"
        )


def check_value(name: str, value: object) -> float:
    """Return a metric's ``value`` as a float if it is one real number (NaN and inf too), else raise."""
    # a string is refused even if it reads as a number: it is a mix-up, e.g. a formatted line
    if not isinstance(value, str):
        if hasattr(value, "detach"):  # a loss that needs a graph: torch warned at float() of it
            value = value.detach()
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, RuntimeError):  # e.g. a tensor of several elements
            pass
    raise UsageTypeError(
        f"values[{name!r}] must be one real number, got {describe(value)}; pass e.g. "
        f"values={{{name!r}: 0.5}} (a one-element tensor is fine)"
    )
