"""Fashion-MNIST input pipeline: the book's per-item pipeline against linearnets, in one process run.

(a) The book's pipeline (D2L §3.5): torchvision's ``FashionMNIST`` with ``ToTensor()``, step for step
per item (``_book_data.BookFashionMNIST``, the dataset bench_softmax.py times too: the uint8 image
indexed out of the tensor, ``int`` of its label, a PIL image, then ``ToTensor()``'s copy, view,
permute, float conversion and division by 255), behind ``DataLoader(batch_size=256, shuffle=True,
num_workers=0)``. (b) linearnets: the train iterator of ``load_data_fashion_mnist(256)``, batches
sliced from the whole set in memory. Each makes ``PASSES`` (3) passes over the 60000 training
images, starting from the same arrays in memory, after one untimed pass of each; the median pass is
reported. Then loading the four files, each load in a fresh process, so the in-process memo is empty:
cold (a fresh verification cache: each file's content checked by its size and MD5, a ``.gz``
inflated first and its decompressed copy kept) and warm (the same cache: no MD5 and nothing
inflated, but every file still read and checked by a cheaper sum: each copy read back and
CRC-32-checked while its ``.gz`` is read whole and Adler-32-checked in a second thread; a file not
gzipped read and CRC-32-checked). The files are in the OS page cache in both cases (read once
before).

Run: ``.venv/bin/python bench/bench_data.py [--repeats 5] [--out FILE [--force]]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence

import torch
from _book_data import BookFashionMNIST
from _machine import (
    add_out_options,
    check_out,
    cpu_name,
    out_failure,
    positive_int,
    read_data,
    write_report,
)
from torch.utils.data import DataLoader

from linearnets.data.fashion_mnist import load_data_fashion_mnist

TARGET_RATIO, TARGET_COLD, TARGET_WARM = 30.0, 0.5, 0.2
PASSES = 3


def one_pass(batches: Iterable[Sequence[torch.Tensor]]) -> tuple[float, int]:
    """Return the seconds one pass takes and the number of examples it yielded."""
    start = time.perf_counter()
    count = 0
    for X, y in batches:
        assert X.shape[1:] == (1, 28, 28) and X.dtype == torch.float32
        count += len(y)
    return time.perf_counter() - start, count


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


LOAD = """
import time, torch
torch.set_num_threads(1)
from linearnets.data.fashion_mnist import read_fashion_mnist
start = time.perf_counter()
arrays = read_fashion_mnist()
print(time.perf_counter() - start, arrays.hashed)
"""


def load_once(cache: str) -> tuple[float, bool]:
    """Return the seconds a fresh process takes to find, verify and parse the files (imports excluded)."""
    env = {**os.environ, "LINEARNETS_CACHE_DIR": cache}
    done = subprocess.run(
        [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True
    )
    seconds, hashed = done.stdout.split()
    return float(seconds), hashed == "True"


def load_times(repeats: int) -> tuple[list[float], list[float]]:
    """Return cold and warm load times, each in a fresh process; cold with a fresh cache folder."""
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            seconds, hashed = load_once(cache)
            assert hashed, "a fresh cache must verify every file"
            cold.append(seconds)
            seconds, hashed = load_once(cache)
            assert not hashed, "the second load must come from the verification cache"
            warm.append(seconds)
    return cold, warm


def machine() -> str:
    cpu = cpu_name()
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {nproc}, CPU {cpu}, torch {torch.__version__}, python {platform.python_version()}, "
        f"1 torch thread"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="book input pipeline vs linearnets, and load times"
    )
    parser.add_argument("--repeats", type=positive_int, default=5, help="cold/warm loads to time")
    add_out_options(parser)
    args = parser.parse_args()
    check_out(parser, args)  # before the run: an --out that exists is not written over unasked
    torch.set_num_threads(1)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    measure(args.repeats, say)
    if args.out is not None:
        report = (
            "# Fashion-MNIST data layer benchmark\n\n"
            "`.venv/bin/python bench/bench_data.py` printed:\n\n```\n"
            + "\n".join(lines)
            + "\n```\n"
        )
        try:
            write_report(args.out, report, force=args.force)
        except OSError as exc:  # a full disk, after the whole run: the report is on stdout
            sys.exit(out_failure(parser.prog, args.out, exc))
        print(f"wrote {args.out}")


def measure(repeats: int, say: Callable[[str], None]) -> None:
    """Time both pipelines' passes and ``repeats`` cold and warm loads; ``say`` each line."""
    say(machine())
    say(
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (a shared machine)"
    )
    arrays = read_data()  # both pipelines start from the arrays in memory
    say(f"data: {arrays.found.source}")

    book = DataLoader(
        BookFashionMNIST(arrays.train_images, arrays.train_labels),
        batch_size=256,
        shuffle=True,
        num_workers=0,
        generator=torch.Generator().manual_seed(0),
    )
    train_iter, _ = load_data_fashion_mnist(256, generator=torch.Generator().manual_seed(0))
    # one untimed pass of each first, as bench_linreg.py runs: their first use in the process
    # (imports, first kernels and allocations) is no part of a pass
    one_pass(book)
    one_pass(train_iter)
    book_runs = [one_pass(book) for _ in range(PASSES)]
    ours_runs = [one_pass(train_iter) for _ in range(PASSES)]
    assert {n for _, n in book_runs + ours_runs} == {60000}
    book_s = statistics.median(s for s, _ in book_runs)
    ours_s = statistics.median(s for s, _ in ours_runs)
    ratio = book_s / ours_s
    say(
        f"one pass over the 60000 training images, batch 256, shuffled (median of {PASSES} passes, "
        "after an untimed one):"
    )
    book_label = "book (torchvision's FashionMNIST + ToTensor per item, DataLoader, 0 workers)"
    ours_label = "linearnets load_data_fashion_mnist(256)"
    say(f"  {book_label}: {book_s:8.3f} s")
    say(f"  {ours_label:<{len(book_label)}}: {ours_s:8.3f} s")
    say(f"  ratio: {ratio:.1f}x faster (target >= {TARGET_RATIO:.0f}x)")

    cold, warm = load_times(repeats)
    for label, times, target in (("cold", cold, TARGET_COLD), ("warm", warm, TARGET_WARM)):
        say(
            f"load all four files verified, {label}: median {statistics.median(times):.3f} s, "
            f"min {min(times):.3f} s, max {max(times):.3f} s over {len(times)} "
            f"(target < {target} s)"
        )
    say(load_legend(any(path.suffix == ".gz" for path in arrays.found.paths.values())))


def load_legend(gzipped: bool) -> str:
    """Return the line that says what a cold and a warm load do, for files ``gzipped`` or not
    (:mod:`linearnets.data.verify`, :mod:`linearnets.data.remembered`). It said a warm load did
    no hashing, where each ``.gz`` is read whole and Adler-32-checked beside its copy's CRC-32."""
    if gzipped:
        cold = "each .gz inflated, its content's size and MD5 checked, a decompressed copy written"
        warm = (
            "no MD5, nothing inflated: each copy read back and CRC-32-checked while its .gz is "
            "read whole and Adler-32-checked in a second thread"
        )
    else:
        cold, warm = (
            "each file read, its size and MD5 checked",
            "no MD5: each file read and CRC-32-checked",
        )
    return (
        f"each load in a fresh process (imports excluded); cold = fresh LINEARNETS_CACHE_DIR "
        f"({cold}); warm = same cache ({warm})"
    )


if __name__ == "__main__":
    main()
