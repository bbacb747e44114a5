"""The thread counts OpenMP and MKL read from the environment as torch loads, checked before it does.

``OMP_NUM_THREADS=abc`` made libgomp print "libgomp: Invalid value for environment variable
OMP_NUM_THREADS" from inside torch's import, a line of no command's, and ignore it;
``MKL_NUM_THREADS=abc`` (or ``' 4'``, ``2.5``) left MKL on 1 thread without a word. Either is
refused here, as a malformed ``WORLD_SIZE`` is, in one line naming the variable and its fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from linearnets.errors import UsageError

__all__ = ["check_thread_variables"]

# the blanks libgomp skips around each number (C's isspace)
_C_SPACE = " \t\n\v\f\r"
# libgomp reads the number as an unsigned long and refuses it where, cast to a long, it is not
# positive: from 2**63 on (2**64 - 1 too), not only past an unsigned long
_TOO_LARGE = 2**63


def check_thread_variables(environ: Mapping[str, str] = os.environ) -> None:
    """Refuse an ``OMP_NUM_THREADS`` that OpenMP does not read as positive integers (its list,
    ``4,2``, and blanks around each number, are read) and an ``MKL_NUM_THREADS`` that is not a
    whole number in the digits 0-9 (0 and empty: its default, as MKL takes them)."""
    omp = environ.get("OMP_NUM_THREADS")
    if omp is not None and not all(_openmp_number(part) for part in omp.split(",")):
        raise UsageError(
            "environment variable OMP_NUM_THREADS must be a positive integer in the digits 0-9 "
            f"(or OpenMP's comma-separated list of them), got {omp!r}, which OpenMP ignores with "
            f"a warning as torch loads; {_fix('OMP_NUM_THREADS')}"
        )
    mkl = environ.get("MKL_NUM_THREADS")
    # MKL takes 0 (or a number past its limit) for its default, as it takes an empty value
    if mkl and not (mkl.isascii() and mkl.isdigit()):
        raise UsageError(
            "environment variable MKL_NUM_THREADS must be a number of threads in the digits 0-9, "
            f"got {mkl!r}, which leaves MKL on 1 thread without a word; {_fix('MKL_NUM_THREADS')}"
        )


def _openmp_number(text: str) -> bool:
    """Return whether libgomp reads ``text``, one item of its list, as a positive integer."""
    number = text.strip(_C_SPACE)
    return _positive(number.removeprefix("+"))  # strtoul takes a "+"


def _positive(text: str) -> bool:
    """Return whether ``text`` is ASCII digits alone, of a number from 1 to below 2**63."""
    return text.isascii() and text.isdigit() and 0 < int(text) < _TOO_LARGE


def _fix(name: str) -> str:
    """Return the fix for a malformed thread count ``name``."""
    return f"set it to a number of threads, e.g. {name}=2, or unset it (softmax and linreg take --threads)"
