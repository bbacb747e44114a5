"""OMP_NUM_THREADS and MKL_NUM_THREADS, read by OpenMP and MKL as torch loads: checked before it does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import linearnets
from linearnets.cli import main
from linearnets.cli._thread_variables import check_thread_variables
from linearnets.errors import UsageError

# the OpenMP runtime torch loads (Linux wheels): it reads OMP_NUM_THREADS as it is loaded
LIBGOMP = next(Path(torch.__file__).parent.joinpath("lib").glob("libgomp*.so*"), None)

OMP_FIX = "set it to a number of threads, e.g. OMP_NUM_THREADS=2, or unset it (softmax and linreg take --threads)"  # fmt: skip
OMP_REFUSED = ["abc", "0", "-1", "2.5", "", " ", "2,", "2,,3", ",2", "1_0", "٣", "0x2", "2 3", "99999999999999999999"]  # fmt: skip
# libgomp casts the number to a long and refuses it unless positive: 2**63 and up, below 2**64 too
OMP_REFUSED += [str(2**63), str(2**64 - 1), str(2**64), f"4,{2**63}", "+0", "+ 2"]
# blanks C's isspace does not count (Python's str.strip does): libgomp refuses them
OMP_REFUSED += ["\x1c2", "\u00a02", "2\x1f"]
OMP_READ = ["1", "2", " 2 ", "\t3", "+2", "4,2", "4, 2", "08"]
OMP_READ += [str(2**63 - 1), "\n2", "\v2", "\f2", "2\r", "2 , 3"]  # C's isspace: all six blanks


def _libgomp_warns(value: str) -> bool:
    """Return whether libgomp itself, loaded with ``OMP_NUM_THREADS=value``, says it is invalid."""
    assert LIBGOMP is not None
    loaded = subprocess.run(
        [sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])", str(LIBGOMP)],
        env={**os.environ, "OMP_NUM_THREADS": value},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return "Invalid value for environment variable OMP_NUM_THREADS" in loaded.stderr


@pytest.mark.skipif(LIBGOMP is None, reason="this torch loads no libgomp")
@pytest.mark.parametrize("value", OMP_REFUSED + OMP_READ)
def test_omp_num_threads_is_refused_where_libgomp_warns_of_it(value: str) -> None:
    """The oracle is libgomp itself: what it warns of is refused, what it reads is taken."""
    try:
        check_thread_variables({"OMP_NUM_THREADS": value})
    except UsageError:
        refused = True
    else:
        refused = False
    assert refused == _libgomp_warns(value) == (value in OMP_REFUSED)


@pytest.mark.parametrize("value", OMP_REFUSED)
def test_a_bad_omp_num_threads_is_named_with_its_fix(value: str) -> None:
    with pytest.raises(UsageError) as info:
        check_thread_variables({"OMP_NUM_THREADS": value})
    assert str(info.value) == (
        "environment variable OMP_NUM_THREADS must be a positive integer in the digits 0-9 (or "
        f"OpenMP's comma-separated list of them), got {value!r}, which OpenMP ignores with a "
        f"warning as torch loads; {OMP_FIX}"
    )


@pytest.mark.parametrize("value", ["abc", "-1", "2.5", " 4", "+2", "3,1", "٣"])
def test_a_bad_mkl_num_threads_is_named_with_its_fix(value: str) -> None:
    """MKL took each of these for 1 thread (torch.get_num_threads() == 1), without a word."""
    with pytest.raises(UsageError) as info:
        check_thread_variables({"MKL_NUM_THREADS": value})
    assert str(info.value) == (
        "environment variable MKL_NUM_THREADS must be a number of threads in the digits 0-9, got "
        f"{value!r}, which leaves MKL on 1 thread without a word; set it to a number of threads, "
        "e.g. MKL_NUM_THREADS=2, or unset it (softmax and linreg take --threads)"
    )


@pytest.mark.parametrize("value", [None, "", "0", "4"])
def test_an_mkl_num_threads_that_mkl_reads_is_taken(value: str | None) -> None:
    """0 and an empty value are MKL's default (torch.get_num_threads() as without it)."""
    check_thread_variables({} if value is None else {"MKL_NUM_THREADS": value})


def test_the_command_refuses_a_bad_omp_num_threads_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "abc")
    assert main(["softmax", "--data", str(tmp_path / "a.npz"), "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == (
        "linearnets: error: environment variable OMP_NUM_THREADS must be a positive integer in "
        "the digits 0-9 (or OpenMP's comma-separated list of them), got 'abc', which OpenMP "
        f"ignores with a warning as torch loads; {OMP_FIX}\n"
    )
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(LIBGOMP is None, reason="this torch loads no libgomp")
def test_the_command_says_it_before_torch_loads(tmp_path: Path) -> None:
    """libgomp's own "Invalid value" line came from inside torch's import, before the command's."""
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "softmax", "--json", "--data", "a.npz"],
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "abc"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "linearnets: error: environment variable OMP_NUM_THREADS must be a positive integer in "
        "the digits 0-9 (or OpenMP's comma-separated list of them), got 'abc', which OpenMP "
        f"ignores with a warning as torch loads; {OMP_FIX}"
    ]
    assert '"exit_status": 2' in done.stdout


@pytest.mark.parametrize("argv", [["--help"], ["softmax", "--help"], ["--version"]])
def test_help_and_version_print_whatever_the_thread_variables_say(
    tmp_path: Path, argv: list[str]
) -> None:
    """They load no torch: a bad OMP_NUM_THREADS exited 2 in place of the help or version."""
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", *argv],
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "0", "MKL_NUM_THREADS": "abc"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "")
    first = done.stdout.splitlines()[0]
    if argv == ["--version"]:
        assert first == f"linearnets {linearnets.__version__}"
    else:
        assert first.startswith(f"usage: linearnets {' '.join(argv[:-1])}".rstrip() + " [-h]")
