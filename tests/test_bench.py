"""The benchmarks' baselines are the book's code: bench/ imported as its scripts import each other."""

from __future__ import annotations

import gzip
import importlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench() -> Iterator[Callable[[str], ModuleType]]:
    """Return an importer of bench/'s modules by name, with bench/ first on sys.path as when a
    script runs; they are forgotten afterwards."""
    sys.path.insert(0, str(BENCH))
    names = set(sys.modules)
    try:
        yield importlib.import_module
    finally:
        sys.path.remove(str(BENCH))
        for name in set(sys.modules) - names:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(str(BENCH)):
                del sys.modules[name]


def _main(module: ModuleType, monkeypatch: pytest.MonkeyPatch, *argv: str) -> None:
    """Run a bench script's ``main()`` on the command line ``argv``; the torch threads it sets are
    put back."""
    monkeypatch.setattr(sys, "argv", [f"{module.__name__}.py", *argv])
    threads = torch.get_num_threads()
    try:
        module.main()
    finally:
        torch.set_num_threads(threads)


def _stub_softmax(
    softmax: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    *,
    book: Callable[[int, int], tuple[float, float]],
    ours: Callable[[str, int, str], tuple[float, float]],
    book_code: Callable[[int], tuple[float, float]],
) -> None:
    """Stub bench_softmax's pipelines (the book's, linearnets' and the book's code on its d2l,
    each a function of run_book's, run_ours' and run_book_code_on_ours' arguments), its data and
    its forward product."""
    monkeypatch.setattr(softmax, "read_data", lambda: None)
    monkeypatch.setattr(softmax, "run_book", book)
    monkeypatch.setattr(softmax, "run_ours", ours)
    monkeypatch.setattr(softmax, "run_book_code_on_ours", book_code)
    monkeypatch.setattr(softmax, "time_output_layouts", lambda: (80.0, 30.0))


def _recorded_commands(
    softmax: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, ...]]:
    """Stub bench_softmax's timing of the whole command (1 s, "final:"); return the options each
    run of it is given, as they come."""
    commands: list[tuple[str, ...]] = []

    def time_command(*extra: str) -> tuple[float, str]:
        commands.append(extra)
        return 1.0, "final:"

    monkeypatch.setattr(softmax, "time_command", time_command)
    return commands


def _as_if_on_a_gpu(softmax: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Take bench_softmax's --device as given (no GPU here), the GPU named "a GPU"."""
    monkeypatch.setattr(softmax, "torch_device", str)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "a GPU")


def test_bench_data_and_bench_softmax_time_one_book_dataset(
    bench: Callable[[str], ModuleType],
) -> None:
    """bench_data.py had its own shortcut (the whole set converted once, NumPy's division per item);
    both now time the one step-for-step copy of torchvision's FashionMNIST + ToTensor()."""
    data, softmax = bench("bench_data"), bench("bench_softmax")
    assert data.BookFashionMNIST is softmax.BookFashionMNIST is bench("_book_data").BookFashionMNIST


def test_the_book_dataset_keeps_torchvisions_tensors_and_converts_each_item(
    bench: Callable[[str], ModuleType],
) -> None:
    """As torchvision's FashionMNIST: ``data`` and ``targets`` are the tensors given (nothing
    converted up front); an item is ((1, 28, 28) float32 pixels / 255, an int label)."""
    book = bench("_book_data")
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8, generator=gen)
    images[0, 0, :3] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    labels = torch.tensor([9, 0, 4])
    dataset = book.BookFashionMNIST(images, labels)
    assert dataset.data is images and dataset.targets is labels and len(dataset) == 3
    for i in range(3):
        x, y = dataset[i]
        assert type(y) is int and y == int(labels[i])
        assert x.shape == (1, 28, 28) and x.dtype == torch.float32
        oracle = torch.from_numpy(images[i].numpy().astype("float64") / 255).float()
        assert torch.equal(x[0], oracle)
    assert dataset[0][0][0, 0, :3].tolist() == [0.0, float(torch.tensor(1 / 255)), 1.0]


def test_the_books_concise_linreg_code_trains_to_the_least_squares_fit_of_its_data(
    bench: Callable[[str], ModuleType],
) -> None:
    """bench_linreg's §3.3 baseline (nn.Linear, nn.MSELoss, torch.optim.SGD over the book's
    shuffling DataLoader) trains the book's synthetic data near its least-squares optimum, and
    reports the mean squared error, not §3.2's half of it."""
    linreg = bench("bench_linreg")
    loss, w = linreg.book_concise_run(0)
    torch.manual_seed(0)
    X, y = linreg.book_synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000)
    design = torch.cat([X, torch.ones(1000, 1)], dim=1).double()
    best = torch.linalg.lstsq(design, y.double()).solution
    optimum = float(((design @ best - y.double()) ** 2).mean())
    assert optimum * (1 - 1e-4) <= loss <= optimum * 1.5
    assert torch.allclose(torch.tensor(w).double(), best[:2, 0], atol=5e-3)
    assert linreg.book_concise_run(0) == (loss, w)  # the global generator, seeded


def test_bench_linreg_compares_concise_with_both_of_the_books_codes(
    bench: Callable[[str], ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    """`concise` was timed against the book's §3.2 code alone; it now has the §3.3 code as its
    baseline, and its ratio against §3.2 is still printed beside it."""
    import re

    bench("bench_linreg").main(repeats=1)
    out = capsys.readouterr().out
    assert re.search(r"^ *book §3\.3: +[\d.]+ ms .*the baseline of concise\)$", out, re.M)
    assert re.search(
        r"^ *concise: .*speed-up [\d.]+x against the book's §3\.3 concise code, [\d.]+x against "
        r"its §3\.2 code from scratch$",
        out,
        re.M,
    )
    assert re.search(r"^ *scratch: .*speed-up [\d.]+x$", out, re.M)


@pytest.mark.parametrize(
    ("script", "args", "error"),
    [
        ("bench_data", ["--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
        ("bench_startup", ["--repeats", "-2"], "argument --repeats: must be at least 1, got -2"),
        ("bench_reload", ["--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
        ("bench_softmax", ["--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
        ("bench_softmax", ["--epochs", "x"], "argument --epochs: must be a whole number, got 'x'"),
        (
            "bench_softmax",
            ["--book-workers", "-1"],
            "argument --book-workers: must be at least 0, got -1",
        ),
        ("bench_linreg", ["--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
        (
            "bench_scale",
            ["--scale", "nan"],
            "argument --scale: must be a finite number above 0, got 'nan'",
        ),
        (
            "bench_softmax",
            ["--device", "foo"],
            "argument --device: must be one of auto, cpu, cuda, cuda:N, mps, got 'foo'; pass e.g. "
            "--device auto",
        ),
        (
            "bench_scale",
            ["--device", "cpu:x"],
            "argument --device: must be one of auto, cpu, cuda, cuda:N, mps, got 'cpu:x'; pass e.g. "
            "--device auto",
        ),
        (
            "bench_data",
            ["--out", "/nonexistent/dir/x.md"],
            "argument --out: must be a file in an existing folder, got '/nonexistent/dir/x.md': "
            "'/nonexistent/dir' does not exist (make it first)",
        ),
        (
            "bench_scale",
            ["--scale", "0.00002"],
            "argument --scale: must give at least 2 examples (one for each of 2 processes), got "
            "2e-05 (1); pass e.g. --scale 0.1",
        ),
    ],
)
def test_a_bench_script_refuses_counts_that_time_nothing_in_one_line(
    script: str, args: list[str], error: str
) -> None:
    """--repeats 0 ended in a traceback from statistics.median (no data), after the book's data was
    read; bench_linreg took no options at all (--help ran the whole benchmark). A --device torch
    does not know ended in a traceback after the book's pipeline ran (~30 s; bench_scale's from a
    spawned worker), an --out in no folder after the whole benchmark: both are told at once."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, str(BENCH / f"{script}.py"), *args], capture_output=True, text=True
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines()[-1] == f"{script}.py: error: {error}"


def _needed(scale: float, processes: int = 2) -> float:
    """Return the bytes ``processes`` processes of bench_scale take at ``scale``, as measured there
    (bench/RESULTS.md): each 0.35 GB, 8,700 bytes for each of its first 100,000 examples (making
    the set) and 800 bytes for each example."""
    n = int(scale * 60_000)
    return processes * (0.35e9 + 8_700 * min(n, 100_000) + 800 * n)


@pytest.mark.parametrize(("scale", "shown"), [("1e6", "1e+06 (6e+10"), ("1e30", "1e+30 (6e+34")])
def test_bench_scale_refuses_a_set_larger_than_the_machines_memory_naming_the_largest(
    bench: Callable[[str], ModuleType], scale: str, shown: str
) -> None:
    """--scale 1e6 ended in a multi-screen traceback from each spawned worker ("DefaultCPUAllocator:
    can't allocate memory: you tried to allocate 480000000000 bytes"): only its lower bound was
    checked. The oracle: :func:`_needed`."""
    import subprocess

    bench_scale = bench("bench_scale")
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    largest = bench_scale.largest_scale(memory, 2)
    assert _needed(largest) <= memory < _needed(largest * 1.11)  # 2 digits, rounded down
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_scale.py"), "--scale", scale],
        capture_output=True,
        text=True,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    # what is available changes from one moment to the next: the number said is read back, at most
    # the physical memory, and the largest --scale named is the one it allows
    said = re.fullmatch(
        f"bench_scale.py: error: argument --scale: {re.escape(shown)} examples\\) needs about "
        f"{re.escape(f'{_needed(float(scale)) / 1e9:.3g}')} GB of memory \\(2 processes, each "
        r"holding the whole set: 0\.35 GB, 8,700 bytes for each of the first 100,000 examples "
        r"while it makes the set and 800 for each example\), more than this machine's "
        r"([0-9.e+]+) GB available; pass at most --scale ([0-9.e+]+)",
        proc.stderr.splitlines()[-1],
    )
    assert said is not None, proc.stderr
    available = float(said[1]) * 1e9
    assert 0 < available <= memory * 1.001
    assert 0.85 * available < _needed(float(said[2])) <= 1.01 * available


def test_bench_scale_counts_a_fixed_part_the_making_of_the_set_and_each_example(
    bench: Callable[[str], ModuleType],
) -> None:
    """The memory check counted each process at 1.2 GB whatever the size, make_data's float32
    temporaries of a whole 100,000 images in it, and 800 bytes an example: 2.41 GB for 2 processes
    at --scale 0.1, which peaked at 288 MiB making the set and 327 MiB training (0.69 GB the two),
    so a 2 GB container was refused it. The temporaries grow with the examples up to 100,000
    (:func:`_needed`, the oracle). On this project's 25.3 GB VM, the estimate allows --scale 230
    for 2 processes (nothing that large has run there)."""
    bench_scale = bench("bench_scale")
    assert bench_scale.BYTES_PER_EXAMPLE == 28 * 28 + 8 + 8
    for n, processes in ((2, 1), (6_000, 2), (100_000, 2), (1_200_000, 2)):
        assert bench_scale.needed_bytes(n, processes) == _needed(n / 60_000, processes)
    assert bench_scale.needed_bytes(6_000, 2) == 814_000_000 <= 2_000_000_000  # --scale 0.1
    # (12.64 GB a process - 0.35 GB - 0.87 GB) / 800 bytes: 14.27 million examples, x237.9
    assert bench_scale.largest_scale(25_276_194_816, 2) == 230
    assert bench_scale.largest_scale(25_276_194_816, 1) == 500  # 501.2
    assert bench_scale.largest_scale(3_000_000_000, 2) == 5.8  # (1.5 - 1.22) GB / 800 B: x5.83
    # under 100,000 examples: (0.8 - 0.35) GB / 9,500 bytes = 47,368 examples, x0.789
    assert bench_scale.largest_scale(1_600_000_000, 2) == 0.78
    assert bench_scale.largest_scale(700_000_000, 2) is None  # 0.35 GB a process: no example


def _two_digit_scales() -> Iterator[Decimal]:
    """Yield every scale of 2 significant digits from 0.00010 to 990, as decimals."""
    for power in range(-4, 3):
        for digits in range(10, 100):
            yield Decimal(digits).scaleb(power - 1)


def test_bench_scale_names_the_largest_scale_that_fits_to_two_digits_exactly(
    bench: Callable[[str], ModuleType],
) -> None:
    """largest_scale rounded down through float error: 0.57 * 100 is 56.99..., so 1,349,800,000
    bytes for 2 processes were said to hold --scale 0.56, where 0.57 fits (13 such scales of 2
    digits). Over every scale of 2 digits, with the memory it needs, a byte less and a byte more,
    the scale named fits and the next one up (its second digit plus one) does not, by the oracle
    needed_bytes on the examples the decimal asks for; and none is named only where 2 examples do
    not fit (the memories of 1 to 7 examples: the smallest scale swept, 0.00010, asks 6, so a
    rule of 6 passed)."""
    bench_scale = bench("bench_scale")

    def needed(scale: Decimal, processes: int) -> int:
        return int(bench_scale.needed_bytes(int(scale * 60_000), processes))

    assert needed(Decimal("0.57"), 2) <= 1_349_800_000
    assert bench_scale.largest_scale(1_349_800_000, 2) == 0.57
    checked = nones = 0
    for processes in (1, 2):
        # each scale's memory, and that of 1 to 7 examples (the smallest scale, 0.00010, asks 6)
        exact = [needed(scale, processes) for scale in _two_digit_scales()]
        exact += [bench_scale.needed_bytes(n, processes) for n in range(1, 8)]
        for memory in (held + shift for held in exact for shift in (-1, 0, 1)):
            largest = bench_scale.largest_scale(memory, processes)
            if largest is None:
                assert bench_scale.needed_bytes(2, processes) > memory  # not 2 examples
                nones += 1
                continue
            named = Decimal(repr(largest))
            assert len(named.normalize().as_tuple().digits) <= 2, largest
            assert int(named * 60_000) >= 2, largest  # one for each of 2 processes
            up = named + Decimal(1).scaleb(named.adjusted() - 1)
            assert needed(named, processes) <= memory < needed(up, processes), (memory, largest)
            checked += 1
    assert checked > 1_000
    assert nones == 2 * 4  # 1 example (3 memories) and a byte under 2, for 1 and 2 processes


def test_bench_scale_makes_the_examples_the_decimal_asks_for(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--scale 0.0021 made 125 examples, not 126: 60,000 * 0.0021 is 125.99... in floats. The
    refusal for a machine of no memory names the count the scale asks for."""
    bench_scale = bench("bench_scale")
    monkeypatch.setattr(bench_scale, "memory_bytes", lambda: 1)
    monkeypatch.setattr(sys, "argv", ["bench_scale.py", "--scale", "0.0021"])
    with pytest.raises(SystemExit):
        bench_scale.main()
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .startswith("bench_scale.py: error: argument --scale: 0.0021 (126 examples) needs about ")
    )


def test_a_bench_scale_that_no_memory_left_fits_says_so(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Where not even the fixed part of each process fits, no --scale is named (the rounding of a
    negative number to 2 digits was a math domain error). A refusal that is real: 2 processes at
    --scale 0.1 peaked at 288 MiB making the set and 327 MiB training, 0.69 GB the two, more than
    the 0.6 GB here."""
    bench_scale = bench("bench_scale")
    monkeypatch.setattr(bench_scale, "memory_bytes", lambda: 600_000_000)
    monkeypatch.setattr(sys, "argv", ["bench_scale.py", "--scale", "0.1"])
    with pytest.raises(SystemExit) as info:
        bench_scale.main()
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "bench_scale.py: error: argument --scale: 0.1 (6e+03 examples) needs about 0.814 GB of "
        "memory (2 processes, each holding the whole set: 0.35 GB, 8,700 bytes for each of the "
        "first 100,000 examples while it makes the set and 800 for each example), more than this "
        "machine's 0.6 GB available; free some memory (or run it on a larger machine)"
    )


def test_bench_scale_measures_training_apart_from_making_the_set(
    bench: Callable[[str], ModuleType],
) -> None:
    """The one "peak MB/proc" (MiB) was the process's peak since it started, which is make_data's
    (float32 temporaries of 100,000 images at a time), not training's: the worker now reports
    both, training's peak started over once the set is made. Run in this process, one rank."""
    bench_scale = bench("bench_scale")
    if not bench_scale.reset_peak():
        pytest.skip("this system cannot start a process's peak memory over")
    results: dict[int, Any] = {}
    threads = torch.get_num_threads()
    try:
        bench_scale.worker(0, 1, bench_scale.CHUNK, 0, 1, results)
    finally:
        torch.set_num_threads(threads)
    got = bench_scale.Peaks(*results[0])
    # the oracle: one float32 chunk of 100,000 28x28 images is 299 MiB, and making the set holds
    # more than one at a time; training holds none of them
    assert got.training_mib is not None and got.gpu_mib is None
    assert got.making_mib - got.training_mib > 100_000 * 28 * 28 * 4 / 2**20
    assert got.training_mib > bench_scale.CHUNK * (28 * 28 + 8) / 2**20  # the set itself is held
    assert got.seconds > 0 and 0.5 < got.acc <= 1


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_bench_scales_table_says_mib_and_its_legend_explains_each_memory_column(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    device: str,
) -> None:
    """The columns said MB of VmHWM / 1024 (MiB), and on a GPU the legend left "peak GPU MB"
    unexplained. The processes are stubbed: each config's peaks as given, its GPU's on cuda."""
    bench_scale = bench("bench_scale")
    gpu = 50.0 if device == "cuda" else None
    monkeypatch.setattr(bench_scale, "torch_device", str)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "a GPU")
    monkeypatch.setattr(
        bench_scale, "run", lambda *args: bench_scale.Peaks(1.0, 1125.4, 387.0, gpu, 0.9)
    )
    _main(bench_scale, monkeypatch, "--scale", "0.1", "--device", device)
    out = capsys.readouterr().out.splitlines()
    header = "processes threads/proc  epoch s  examples/s making MiB/proc training MiB/proc"
    assert out[1] == header + (" peak GPU MiB" if gpu else "") + " train acc"
    assert out[2] == (
        "        1            1     1.00       6,000           1,125               387"
        + ("           50" if gpu else "")
        + "     0.900"
    )
    assert out[-1].startswith(
        "peak resident memory of each process, in MiB (2**20 bytes): making MiB/proc while it "
        "makes the synthetic set (its float32 temporaries, 100,000 images at a time), training "
        "MiB/proc from then on"
    )
    gpu_said = "; peak GPU MiB: the most torch allocated on the GPU (max_memory_allocated)"
    assert (gpu_said in out[-1]) == (gpu is not None)
    assert " MB" not in "\n".join(out)


def test_bench_scales_peak_memory_is_read_where_the_system_tells_it(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """VmHWM where /proc tells it, else getrusage's ru_maxrss; a peak that cannot be started over
    says so (the table prints n/a, not the peak of making the set under training's name)."""
    import resource

    bench_scale = bench("bench_scale")
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmHWM:\t  2048000 kB\nVmRSS:\t  1024 kB\n")
    assert bench_scale.peak_mib(status=str(status)) == 2000.0
    gone = str(tmp_path / "none")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert own <= bench_scale.peak_mib(status=gone) <= own * 1.5 + 100
    assert bench_scale.reset_peak(clear_refs=gone + "/clear_refs", status=str(status)) is False
    assert bench_scale.shown_mib(None) == "n/a" and bench_scale.shown_mib(1955.4) == "1,955"


@pytest.mark.parametrize(("platform", "ru_maxrss"), [("darwin", 3 * 2**30), ("linux", 3 * 2**20)])
def test_bench_scales_peak_memory_from_getrusage_is_in_that_systems_unit(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    platform: str,
    ru_maxrss: int,
) -> None:
    """Where /proc is missing, ru_maxrss was divided by 1024 as Linux's KiB; macOS gives bytes, so
    a 3 GiB peak read 3,145,728 MiB there. Its unit is the platform's (getrusage(2) on each)."""
    import resource
    import types

    bench_scale = bench("bench_scale")
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(
        resource, "getrusage", lambda who: types.SimpleNamespace(ru_maxrss=ru_maxrss)
    )
    assert bench_scale.peak_mib(status=str(tmp_path / "none")) == 3 * 1024


def test_bench_scale_takes_the_memory_available_not_the_physical(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """The physical memory was taken as the limit: a set that fitted it but not what the other
    programs (MemAvailable) or a container's limit (cgroup memory.max) left was let through, to the
    allocator's traceback or the OOM killer."""
    bench_scale = bench("bench_scale")
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24684108 kB\nMemAvailable:    1000000 kB\n")
    v2, v1 = tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes"
    v2.write_text("max\n")  # no limit
    v1.write_text("9223372036854771712\n")  # v1's "no limit"
    limits = (str(v2), str(v1))
    assert bench_scale.memory_bytes(meminfo=str(meminfo), cgroup_limits=limits) == 1_024_000_000
    v2.write_text("536870912\n")  # a container's 512 MiB
    assert bench_scale.memory_bytes(meminfo=str(meminfo), cgroup_limits=limits) == 536_870_912
    gone = str(tmp_path / "none")  # neither readable: the physical memory, as before
    assert bench_scale.memory_bytes(meminfo=gone, cgroup_limits=(gone,)) == physical


def test_bench_linreg_has_help_instead_of_running() -> None:
    import subprocess

    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_linreg.py"), "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--repeats REPEATS" in proc.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_a_bench_device_of_cuda_without_cuda_is_named_so(
    bench: Callable[[str], ModuleType],
) -> None:
    """--device cuda on a CPU-only torch ended in torch's "Torch not compiled with CUDA enabled"
    traceback, after the book's pipeline ran; it is told as the options are read."""
    machine = bench("_machine")
    for name in ("cuda", "cuda:1"):
        with pytest.raises(Exception) as info:
            machine.torch_device(name)
        assert str(info.value) == (
            f"CUDA is not available here (torch {torch.__version__} sees no CUDA GPU), got "
            f"{name!r}; pass --device cpu"
        )
    assert machine.torch_device("cpu") == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_bench_device_past_the_gpus_is_named_with_those_there(
    bench: Callable[[str], ModuleType],
) -> None:
    machine = bench("_machine")
    count = torch.cuda.device_count()
    assert machine.torch_device("cuda") == "cuda"
    assert machine.torch_device(f"cuda:{count - 1}") == f"cuda:{count - 1}"
    with pytest.raises(Exception, match=rf"^this machine has {count} CUDA GPU"):
        machine.torch_device(f"cuda:{count}")


def test_a_bench_out_that_cannot_be_written_is_refused_with_the_reason(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """bench_data.py --out DIR, or a file in no folder, ended in a traceback after the whole
    benchmark; each is named as the options are read (the oracle: the folder as made here)."""
    import argparse

    out = bench("_machine").output_file
    (tmp_path / "file").write_text("")
    refused = {
        str(tmp_path): f"must be a file to write, got the folder {str(tmp_path)!r}; pass e.g. "
        f"--out {tmp_path / 'report.md'}",
        f"{tmp_path}/new/": f"must be a file to write, got a folder's name, "
        f"{f'{tmp_path}/new/'!r}; pass e.g. --out {tmp_path / 'new' / 'report.md'}",
        str(tmp_path / "new" / "x.md"): f"must be a file in an existing folder, got "
        f"{str(tmp_path / 'new' / 'x.md')!r}: {str(tmp_path / 'new')!r} does not exist (make it "
        "first)",
        str(tmp_path / "file" / "x.md"): f"must be a file in an existing folder, got "
        f"{str(tmp_path / 'file' / 'x.md')!r}: {str(tmp_path / 'file')!r} is not a folder",
    }
    for text, error in refused.items():
        with pytest.raises(argparse.ArgumentTypeError) as info:
            out(text)
        assert str(info.value) == error
    assert out(str(tmp_path / "report.md")) == tmp_path / "report.md"
    # a file that exists is a file it can write; whether it may is check_out's, once --force is
    # read (test_a_bench_out_that_exists_is_kept_unless_forced)
    assert out(str(tmp_path / "file")) == tmp_path / "file"


def test_a_bench_out_that_exists_is_kept_unless_forced(tmp_path: Path) -> None:
    """bench_data.py --out FILE wrote over FILE with no word (--out bench/RESULTS.md would have
    put one report in place of every session's runs): it is refused before the benchmark runs,
    and written over only with --force, which means nothing without --out."""
    import subprocess

    kept = tmp_path / "RESULTS.md"
    kept.write_text("every session's runs\n")
    for args, error in (
        (
            ["--out", str(kept)],
            f"argument --out: must be a file that does not exist yet, got {str(kept)!r}, which "
            "does; pass --force to write over it, or another --out",
        ),
        (["--force"], "argument --force: only applies with --out FILE; drop --force"),
    ):
        proc = subprocess.run(
            [sys.executable, str(BENCH / "bench_data.py"), *args], capture_output=True, text=True
        )
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr.splitlines()[-1] == f"bench_data.py: error: {error}"
    assert kept.read_text() == "every session's runs\n"


def test_a_bench_out_through_a_link_is_checked_where_it_leads(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """--out LINK --force was checked in the link's folder and written in its target's: a link
    into a folder that does not exist ran the whole benchmark, then failed; a link to itself was
    taken, and replaced by a file. Both are refused as the options are read, naming the target's
    folder or the link; a link to a file in a folder that exists is written through."""
    import subprocess

    dangling, loop, good = tmp_path / "dangling.md", tmp_path / "loop.md", tmp_path / "good.md"
    dangling.symlink_to(tmp_path / "none" / "x.md")
    loop.symlink_to(loop)
    (tmp_path / "real").mkdir()
    good.symlink_to(tmp_path / "real" / "x.md")
    for link, error in (
        (
            dangling,
            f"must be a file in an existing folder, got {str(dangling)!r}, a link to "
            f"{str(tmp_path / 'none' / 'x.md')!r}: {str(tmp_path / 'none')!r} does not exist "
            "(make it first)",
        ),
        (
            loop,
            f"must be a file you can write, got {str(loop)!r}: it is a link that loops (Too many "
            "levels of symbolic links); remove the link, or pass another --out",
        ),
    ):
        proc = subprocess.run(
            [sys.executable, str(BENCH / "bench_data.py"), "--out", str(link), "--force"],
            capture_output=True,
            text=True,
        )
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr.splitlines()[-1] == f"bench_data.py: error: argument --out: {error}"
    assert os.readlink(loop) == str(loop)  # the link as it was
    machine = bench("_machine")
    machine.write_report(machine.output_file(str(good)), "report\n", force=True)
    assert good.is_symlink() and (tmp_path / "real" / "x.md").read_text() == "report\n"


def test_a_bench_out_through_a_folder_that_is_a_link_to_nowhere_names_the_link(
    bench: Callable[[str], ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out D/r.md, D a link to a folder that does not exist, said "'D' does not exist (make it
    first)", and mkdir D then failed (File exists): the link is named with where it points, and
    making that folder lets the report be written."""
    import argparse

    machine = bench("_machine")
    monkeypatch.chdir(tmp_path)
    Path("D").symlink_to(tmp_path / "gone")
    for given in ("D/r.md", "D/sub/r.md"):
        with pytest.raises(argparse.ArgumentTypeError) as info:
            machine.output_file(given)
        assert str(info.value) == (
            f"must be a file in an existing folder, got {given!r}: D is a symbolic link to "
            f"{tmp_path / 'gone'}, which does not exist; make the folder it points to, or pass "
            "another --out"
        )
    (tmp_path / "gone").mkdir()
    machine.write_report(machine.output_file("D/r.md"), "report\n", force=False)
    assert (tmp_path / "gone" / "r.md").read_text() == "report\n"


def test_a_bench_out_through_a_chain_of_links_to_nowhere_names_where_it_ends(
    bench: Callable[[str], ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--out C/r.md, C a link to E, a link to x/E1, a link to a folder that does not exist, said
    "C is a symbolic link to E, which does not exist; make the folder it points to", and mkdir E
    failed (File exists): the folder at the chain's end is named, and making it lets the report
    be written."""
    import argparse

    machine = bench("_machine")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").mkdir()
    Path("C").symlink_to("E")
    Path("E").symlink_to(tmp_path / "x" / "E1")
    Path("x", "E1").symlink_to(tmp_path / "gone")
    with pytest.raises(argparse.ArgumentTypeError) as info:
        machine.output_file("C/r.md")
    assert str(info.value) == (
        "must be a file in an existing folder, got 'C/r.md': C is a symbolic link to E, which "
        f"leads through links to {tmp_path / 'gone'}, which does not exist; make the folder it "
        "points to, or pass another --out"
    )
    (tmp_path / "gone").mkdir()
    machine.write_report(machine.output_file("C/r.md"), "report\n", force=False)
    assert (tmp_path / "gone" / "r.md").read_text() == "report\n"


def test_a_bench_out_with_a_name_too_long_or_not_a_file_is_refused_with_the_reason(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """A name longer than the file system takes ended in OSError's traceback ("[Errno 36] File
    name too long") from Path.is_dir; /dev/full was taken, and its write failed after the whole
    benchmark (No space left on device)."""
    import argparse

    out = bench("_machine").output_file
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")  # the oracle: the file system's own limit
    long = str(tmp_path / ("x" * (name_max + 1)))
    with pytest.raises(argparse.ArgumentTypeError) as info:
        out(long)
    said = str(info.value)
    assert said.startswith(
        f"must be a path whose every file or folder name is at most {name_max} bytes (the file "
        "system's limit), got '"
    )
    assert said.endswith(f" has {name_max + 1} bytes; shorten that name")
    if os.path.exists("/dev/full"):
        with pytest.raises(argparse.ArgumentTypeError) as info:
            out("/dev/full")
        assert str(info.value) == (
            "must be a regular file, got '/dev/full', which is not one; pass e.g. --out report.md"
        )


def test_a_bench_out_in_a_folder_that_cannot_be_searched_is_refused_naming_it(
    bench: Callable[[str], ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a folder this user may not enter (chmod 0), Path.is_dir raised PermissionError's
    traceback; the folder is named, with the fix. The refusal is faked through os.stat, as root
    enters any folder (the tests may run as root)."""
    import argparse
    import errno

    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        if locked in Path(os.fsdecode(path)).parents:  # inside it: as chmod 0 refuses
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    text = str(locked / "x.md")
    with pytest.raises(PermissionError):
        (locked / "x.md").is_dir()  # what it met
    with pytest.raises(argparse.ArgumentTypeError) as info:
        bench("_machine").output_file(text)
    assert str(info.value) == (
        f"must be a file in a folder you can search, got {text!r}: {locked} cannot be searched "
        f"(Permission denied); make it readable (chmod u+rx {locked})"
    )


_WRITE_CAPPED = """
import resource, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from _machine import write_report
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))
try:
    write_report(Path(sys.argv[2]), "x" * 1000, force=sys.argv[3] == "force")
except OSError as exc:
    print(exc.errno)
"""


def test_a_bench_report_that_cannot_be_written_leaves_no_file_and_the_old_one_as_it_was(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """write_report: a new file, never one that appeared meanwhile; with force, the old one
    replaced whole. A write that fails (here past a file-size limit, as on a full disk) leaves
    nothing behind, and an old report as it was."""
    import errno
    import subprocess

    write_report = bench("_machine").write_report
    new, old = tmp_path / "new.md", tmp_path / "old.md"
    write_report(new, "report\n", force=False)
    assert new.read_text() == "report\n"
    with pytest.raises(FileExistsError):
        write_report(new, "another\n", force=False)  # made while the benchmark ran: kept
    assert new.read_text() == "report\n"
    old.write_text("old runs\n")
    for path, force in ((tmp_path / "capped.md", ""), (old, "force")):
        done = subprocess.run(
            [sys.executable, "-c", _WRITE_CAPPED, str(BENCH), str(path), force],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout == f"{errno.EFBIG}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.md", "old.md"]
    assert old.read_text() == "old runs\n"
    write_report(old, "report\n", force=True)
    assert old.read_text() == "report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.md", "old.md"]


def test_a_bench_report_forced_over_a_file_keeps_its_permissions_and_follows_no_link(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """--force widened the old report's permissions (600 to 644), and wrote the new one first to
    .NAME.PID.tmp, opened through whatever link stood there (a file elsewhere written, then the
    link renamed over the report). The file written beside it is made anew (O_EXCL) with the old
    one's permissions; a new one gets open()'s (0o666 less the umask). Its other hard links keep
    the old report, as --force's help says."""
    import argparse

    machine = bench("_machine")
    old, other, elsewhere = tmp_path / "old.md", tmp_path / "hard.md", tmp_path / "elsewhere"
    old.write_text("old runs\n")
    old.chmod(0o600)
    os.link(old, other)
    elsewhere.write_text("not the report's\n")
    (tmp_path / f".old.md.{os.getpid()}.tmp").symlink_to(elsewhere)  # the name it used
    machine.write_report(old, "report\n", force=True)
    assert (old.read_text(), oct(old.stat().st_mode & 0o777)) == ("report\n", oct(0o600))
    assert not old.is_symlink() and elsewhere.read_text() == "not the report's\n"
    assert other.read_text() == "old runs\n"
    parser = argparse.ArgumentParser()
    machine.add_out_options(parser)
    assert "its other hard links keep the old report" in " ".join(parser.format_help().split())
    new = tmp_path / "new.md"
    umask = os.umask(0o027)
    try:
        machine.write_report(new, "report\n", force=True)
    finally:
        os.umask(umask)
    assert oct(new.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["old.md", "hard.md", "elsewhere", f".old.md.{os.getpid()}.tmp", "new.md"]
    )


def test_bench_data_says_a_report_it_could_not_write_in_one_line_after_printing_it(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """A write that failed at the end of the run (--out /dev/full: ENOSPC) ended in a traceback
    after the whole benchmark: one line says so, non-zero, the report printed on stdout before it.
    The measurements are stubbed, the failure of the write faked."""
    import errno

    data = bench("bench_data")
    out = tmp_path / "report.md"

    def full(path: Path, text: str, *, force: bool) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(data, "measure", lambda repeats, say: say("the figures"))
    monkeypatch.setattr(data, "write_report", full)
    with pytest.raises(SystemExit) as info:
        _main(data, monkeypatch, "--out", str(out))
    assert info.value.code == (  # Python prints it on stderr and exits 1
        f"bench_data.py: error: argument --out: {str(out)!r} could not be written (No space left "
        "on device); the report is printed above: copy it from there, or run again with another "
        "--out"
    )
    assert capsys.readouterr().out == "the figures\n"
    assert not out.exists()


def test_a_bench_out_in_a_folder_not_writable_is_refused(
    bench: Callable[[str], ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder (or a file) this user may not write is refused as the options are read; the
    refusal is faked through os.access, as root writes any folder (the tests may run as root)."""
    import argparse

    locked, kept = tmp_path / "locked", tmp_path / "kept.md"
    locked.mkdir()
    kept.write_text("")
    real = os.access

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if mode & os.W_OK and Path(os.fsdecode(path)) in (locked, kept):
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    output_file = bench("_machine").output_file
    with pytest.raises(argparse.ArgumentTypeError) as info:
        output_file(str(locked / "x.md"))
    assert str(info.value) == (
        f"must be a file you can write, got {str(locked / 'x.md')!r}: the folder "
        f"{str(locked)!r} is not writable"
    )
    with pytest.raises(argparse.ArgumentTypeError) as info:
        output_file(str(kept))
    assert str(info.value) == (
        f"must be a file you can write, got {str(kept)!r}: {str(kept)!r} is not writable"
    )
    assert output_file(str(tmp_path / "x.md")) == tmp_path / "x.md"  # its folder is writable


@pytest.mark.parametrize(
    ("given", "passed", "said"),
    [
        (
            ["--threads", "2"],
            ("--threads", "2"),
            "'linearnets softmax --threads 2' command (at the --threads given;",
        ),
        # none given: the command as the README's Speed row and its "under 5 s" target time it,
        # not at torch's default here (2), which the benchmark had passed on as if given
        ([], (), "'linearnets softmax' command (at its default threads;"),
    ],
)
def test_bench_softmax_times_the_command_at_its_threads(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    given: list[str],
    passed: tuple[str, ...],
    said: str,
) -> None:
    """--threads said "torch threads for both sides", but the timed 'linearnets softmax' command
    ran at its own default (1 thread): a --threads given is passed on, and the line says which.
    The pipelines are stubbed: only the command line built is looked at."""
    softmax = bench("bench_softmax")
    commands = _recorded_commands(softmax, monkeypatch)
    _stub_softmax(
        softmax,
        monkeypatch,
        book=lambda epochs, workers: (1.0, 0.8),
        ours=lambda impl, epochs, device: (1.0, 0.8),
        book_code=lambda epochs: (1.0, 0.8),
    )
    _main(softmax, monkeypatch, *given, "--repeats", "1")
    assert commands == [("--device", "cpu", *passed)] * 3
    assert f"whole {said} 10 epochs, plots, run folder), 3 runs: median 1.00 s" in (
        capsys.readouterr().out
    )


def test_bench_softmax_on_a_gpu_says_which_figures_are_the_cpus(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With --device cuda, the book's code on linearnets.d2l (which has no device) and the forward
    product ran on the CPU, printed under "linearnets on cuda" as if on the GPU: their lines say
    so. No GPU here: the device is taken as given and the pipelines are stubbed, each recording
    the device it is given."""
    softmax = bench("bench_softmax")
    devices: dict[str, str] = {}

    def run_ours(impl: str, epochs: int, device: str) -> tuple[float, float]:
        devices[impl] = device
        return 0.1, 0.8

    def run_book_code_on_ours(epochs: int) -> tuple[float, float]:
        devices["book code + d2l"] = "cpu"  # it takes no device: the book's code has none
        return 0.1, 0.8

    _as_if_on_a_gpu(softmax, monkeypatch)
    _stub_softmax(
        softmax,
        monkeypatch,
        book=lambda epochs, workers: (1.0, 0.8),
        ours=run_ours,
        book_code=run_book_code_on_ours,
    )
    _main(softmax, monkeypatch, "--device", "cuda", "--repeats", "1", "--no-command")
    out = capsys.readouterr().out.splitlines()
    assert devices == {
        "concise": "cuda",
        "scratch": "cuda",
        "analytic": "cuda",
        "book code + d2l": "cpu",
    }
    assert out[0].endswith(
        "linearnets on cuda (a GPU); the book's code + d2l and the forward product on the CPU"
    )
    assert [line.endswith(", on the CPU") for line in out[2:6]] == [False, False, False, True]
    assert out[5].lstrip().startswith("book code + d2l:")
    assert out[6].startswith("one forward product on the CPU (256 x 784) @ (784 x 10)")


@pytest.mark.parametrize(
    ("impl", "command", "said"),
    [
        (
            "concise",
            ("--no-command",),
            "linearnets on cuda (a GPU); the forward product on the CPU",
        ),
        (
            "book code + d2l",
            ("--no-command",),
            "the book's code + d2l and the forward product on the CPU; nothing runs on cuda",
        ),
        (
            "book code + d2l",
            (),
            "the book's code + d2l and the forward product on the CPU; the timed 'linearnets "
            "softmax' command on cuda (a GPU)",
        ),
    ],
)
def test_bench_softmax_on_a_gpu_names_on_the_cpu_only_what_runs(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    impl: str,
    command: tuple[str, ...],
    said: str,
) -> None:
    """With --device cuda --impl concise, the header said "the book's code + d2l and the forward
    product on the CPU", where the book's code on linearnets.d2l does not run; with --impl 'book
    code + d2l' --no-command, "linearnets on cuda (a GPU)", where nothing of linearnets runs on
    the GPU (the book's code on linearnets.d2l has no device): it says nothing runs there, or only
    the timed command. The pipelines and the command are stubbed, the GPU named as given."""
    softmax = bench("bench_softmax")
    _as_if_on_a_gpu(softmax, monkeypatch)
    commands = _recorded_commands(softmax, monkeypatch)
    ran: list[str] = []

    def run_ours(impl: str, epochs: int, device: str) -> tuple[float, float]:
        ran.append(impl)
        return 0.1, 0.8

    _stub_softmax(
        softmax,
        monkeypatch,
        book=lambda epochs, workers: (1.0, 0.8),
        ours=run_ours,
        book_code=lambda epochs: run_ours("book code + d2l", epochs, "cpu"),
    )
    _main(softmax, monkeypatch, "--device", "cuda", "--impl", impl, "--repeats", "1", *command)
    out = capsys.readouterr().out.splitlines()
    assert set(ran) == {impl}
    assert commands == ([] if command else [("--device", "cuda")] * 3)
    assert out[0].endswith(f"after an untimed epoch of each; {said}")
    assert [line.split(":")[0].strip() for line in out[1:3]] == [
        "book (workers=4)",
        impl if impl == "book code + d2l" else f"linearnets {impl}",
    ]


def test_bench_linreg_warms_each_side_up_before_timing(
    bench: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process's first torch.optim.SGD imports torch._dynamo (~3 s): charged to the first
    timed run of the book's §3.3 code, --repeats 1 printed concise 11.5x faster than it (1.1x
    over 7 rounds). Each side now runs once untimed first."""
    linreg = bench("bench_linreg")
    calls: list[str] = []
    real = linreg.run_linreg  # its result is printed: run for real (1000 examples, ms)

    def book(name: str) -> Callable[[int], tuple[float, list[float]]]:
        def run(seed: int) -> tuple[float, list[float]]:
            calls.append(name)
            return 1e-4, [2.0, -3.4]

        return run

    def run_linreg(config: Any) -> Any:
        calls.append(f"run_linreg {config.impl}")
        return real(config)

    monkeypatch.setattr(linreg, "book_run", book("book_run"))
    monkeypatch.setattr(linreg, "book_concise_run", book("book_concise_run"))
    monkeypatch.setattr(linreg, "run_linreg", run_linreg)
    monkeypatch.setattr(linreg, "time_iterators", lambda repeats: (1.0, 1.0))
    monkeypatch.setattr(linreg, "time_bare_steps", lambda repeats: (1.0, 1.0))
    linreg.main(repeats=1)
    one_round = [
        "book_run",
        "book_concise_run",
        "run_linreg scratch",
        "run_linreg analytic",
        "run_linreg concise",
    ]
    assert calls == one_round * 2  # the warm-up's, then the timed round's


def test_bench_softmax_warms_each_side_up_before_timing(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The first timed round paid each path's first use in the process (an analytic epoch took
    3.3 s first, then 0.17 s): one untimed epoch of each side runs first, as in bench_linreg.py,
    and its time is in no figure. The pipelines are stubbed: a first epoch of each takes 100 s."""
    softmax = bench("bench_softmax")
    calls: list[tuple[str, int]] = []

    def timed(name: str, epochs: int) -> tuple[float, float]:
        first = name not in {called for called, _ in calls}
        calls.append((name, epochs))
        return (100.0 if first else 1.0), 0.8

    _stub_softmax(
        softmax,
        monkeypatch,
        book=lambda epochs, workers: timed("book", epochs),
        ours=lambda impl, epochs, device: timed(impl, epochs),
        book_code=lambda epochs: timed("d2l", epochs),
    )
    _main(softmax, monkeypatch, "--epochs", "2", "--repeats", "2", "--no-command")
    impls = ["concise", "scratch", "analytic", "d2l"]
    assert (
        calls
        == [
            *[(name, 1) for name in ("book", *impls)],  # the untimed round, one epoch each
            *[(name, 2) for name in ("book", *impls)],
            *[(name, 2) for name in ("book", *impls[1:], impls[0])],  # the order turned by one
        ]
    )
    out = capsys.readouterr().out
    assert "100.0" not in out and "1.000 s/epoch" in out
    assert ", after an untimed epoch of each; " in out.splitlines()[0]


def test_bench_data_warms_each_pipeline_up_before_timing(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its first timed pass of each pipeline paid their first use in the process: one untimed
    pass of each runs first, and its time is in no figure. The passes are stubbed (the first of
    each takes 100 s), and so are the loads."""
    data = bench("bench_data")
    passes: list[str] = []

    def one_pass(batches: Any) -> tuple[float, int]:
        name = "book" if isinstance(batches, torch.utils.data.DataLoader) else "ours"
        first = name not in passes
        passes.append(name)
        return (100.0 if first else 1.0), 60000

    monkeypatch.setattr(data, "one_pass", one_pass)
    monkeypatch.setattr(data, "load_times", lambda repeats: ([0.5], [0.2]))
    data.measure(1, print)
    assert passes == ["book", "ours"] + ["book"] * data.PASSES + ["ours"] * data.PASSES
    out = capsys.readouterr().out
    assert "100.0" not in out and "ratio: 1.0x faster" in out
    assert f"(median of {data.PASSES} passes, after an untimed one):" in out


REAL_DIR = Path("/usr/share/datasets/fashion-mnist")
_POINT_AT_THEM = (
    "set LINEARNETS_DATA to a folder holding the four Fashion-MNIST *-ubyte.gz files ('linearnets "
    "data download --data-dir DIR' fetches them into DIR where a network exists)"
)


def _real_copy(folder: Path) -> Path:
    """Copy the real Fashion-MNIST's four .gz files (the Debian package's) into ``folder``."""
    from linearnets.data.files import FASHION_MNIST_FILES

    if not all((REAL_DIR / f"{name}.gz").is_file() for name in FASHION_MNIST_FILES):
        pytest.skip(f"the real Fashion-MNIST is not in {REAL_DIR}")
    folder.mkdir(parents=True)
    for name in FASHION_MNIST_FILES:
        shutil.copyfile(REAL_DIR / f"{name}.gz", folder / f"{name}.gz")
    return folder


def _links_into(debian: Path, links: Path, suffix: str = ".gz") -> Path:
    """Make ``links`` a folder of links to the package folder ``debian``'s four files, each named
    as its target (``suffix`` ``""``: without '.gz'); return it."""
    from linearnets.data.files import FASHION_MNIST_FILES

    links.mkdir()
    for name in FASHION_MNIST_FILES:
        (links / f"{name}{suffix}").symlink_to(debian / f"{name}.gz")
    return links


def _swapped_labels(at: Path) -> str:
    """Return linearnets' refusal of ``at``, a t10k-labels file holding train-labels' bytes."""
    return (
        f"{at}: expected 10008 bytes of t10k-labels-idx1-ubyte once decompressed, got 60008, the "
        "size and MD5 of train-labels-idx1-ubyte: that file is here under the name of "
        "t10k-labels-idx1-ubyte — put each file under its own name"
    )


# the bench's fix where LINEARNETS_DATA names a folder other than the one unsetting it reads
_OR_UNSET = "or unset it (unset LINEARNETS_DATA) to search the usual places"


def _run_shortest(script: str, data: Path) -> subprocess.CompletedProcess[str]:
    """Run the bench ``script``'s shortest run (one repeat, no timed command) with
    ``LINEARNETS_DATA`` set to ``data``."""
    quick = ["--repeats", "1"] + (["--no-command"] if script == "bench_softmax" else [])
    return subprocess.run(
        [sys.executable, str(BENCH / f"{script}.py"), *quick],
        capture_output=True,
        text=True,
        env={**os.environ, "LINEARNETS_DATA": str(data)},
    )


@pytest.mark.parametrize("script", ["bench_data", "bench_softmax"])
def test_a_bench_with_a_bad_linearnets_data_says_it_in_one_line(
    script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LINEARNETS_DATA naming no folder ended in a traceback through the data layer's frames:
    the one line linearnets says (the oracle: its own refusal, here), after the script's name,
    exit status 2."""

    from linearnets.data.fashion_mnist import read_fashion_mnist
    from linearnets.errors import UsageError

    missing = tmp_path / "none"
    monkeypatch.setenv("LINEARNETS_DATA", str(missing))
    with pytest.raises(UsageError) as info:
        read_fashion_mnist()
    assert str(info.value).startswith("LINEARNETS_DATA must name an existing folder")
    proc = _run_shortest(script, missing)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"{script}.py: error: {info.value}"]


@pytest.mark.parametrize("script", ["bench_data", "bench_softmax"])
def test_a_bench_with_damaged_files_says_how_to_point_linearnets_data_at_good_ones(
    script: str, tmp_path: Path
) -> None:
    """LINEARNETS_DATA naming four files that are no Fashion-MNIST ended in linearnets' command
    line's line, whose fix named --data-dir, an option the scripts do not have ("or pass
    --data-dir /usr/share/datasets/fashion-mnist"): the fix names LINEARNETS_DATA, exit status 1."""

    for name in ("train-images", "train-labels", "t10k-images", "t10k-labels"):
        # bytes no text is made of: a file cut short, not a message saved under its name
        (tmp_path / f"{name}-idx{3 if 'images' in name else 1}-ubyte.gz").write_bytes(b"\0x" * 500)
    proc = _run_shortest(script, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        f"{script}.py: error: {tmp_path / 'train-images-idx3-ubyte.gz'}: expected 47040016 bytes "
        "of train-images-idx3-ubyte once decompressed, got 1000; the file is truncated or another "
        f"file; {_POINT_AT_THEM}, {_OR_UNSET}"
    )


@pytest.fixture
def read_data_alone(
    bench: Callable[[str], ModuleType],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[[], tuple[str, str]]:
    """Return a reading of the data as bench_data.py reads it (``read_data``), which returns
    linearnets' own message (the oracle: ``read_fashion_mnist``'s) and the script's one line, exit
    status 1. Nothing else is found: no Debian package, no ./data, ../data nor Keras cache (the
    working folder and home are ``tmp_path/work``)."""
    from linearnets.data import files

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work))
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.setattr(sys, "argv", ["bench_data.py"])
    machine = bench("_machine")

    def read() -> tuple[str, str]:
        from linearnets.data.fashion_mnist import read_fashion_mnist
        from linearnets.errors import DatasetError

        with pytest.raises(DatasetError) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the one a passed-over LINEARNETS_DATA gives
            read_fashion_mnist()
        capsys.readouterr()
        with pytest.raises(SystemExit) as end:
            machine.read_data()
        assert end.value.code == 1
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1, lines
        return str(info.value), lines[0]

    return read


@pytest.mark.realdata
def test_a_bench_keeps_linearnets_fix_for_a_linearnets_data_naming_torchvisions_folder(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LINEARNETS_DATA naming torchvision's FashionMNIST folder, the files in its raw/: every
    error's fix was cut off for 'set LINEARNETS_DATA to a folder holding the four ... files
    ('linearnets data download ...' fetches them), or unset it', a download of files that are
    there, and an unset that finds none. linearnets' own fix, to set it to the folder above, is
    kept: the script says linearnets' line as it is."""
    _real_copy(tmp_path / "dl" / "FashionMNIST" / "raw")
    monkeypatch.setenv("LINEARNETS_DATA", str(tmp_path / "dl" / "FashionMNIST"))
    error, said = read_data_alone()
    assert said == f"bench_data.py: error: {error}"
    assert said.endswith(
        f"; $LINEARNETS_DATA's raw/ holds them: set LINEARNETS_DATA to {tmp_path / 'dl'}, "
        "torchvision's root above FashionMNIST/raw/"
    )


@pytest.mark.realdata
def test_a_bench_keeps_linearnets_fix_for_a_file_gzipped_twice(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A .gz gzipped again: linearnets' fix, to gunzip it once (the command given), was cut off
    for a download of the four files; the script says linearnets' line as it is."""
    folder = _real_copy(tmp_path / "dl")
    twice = folder / "t10k-labels-idx1-ubyte.gz"
    twice.write_bytes(gzip.compress(twice.read_bytes()))
    monkeypatch.setenv("LINEARNETS_DATA", str(folder))
    error, said = read_data_alone()
    assert said == f"bench_data.py: error: {error}"
    assert said.endswith(
        f"the file is gzipped twice (a downloaded .gz gzipped again) — gunzip it once: gunzip -c "
        f"{twice} > {twice}.once && mv {twice}.once {twice}"
    )


@pytest.mark.realdata
def test_a_bench_keeps_linearnets_fix_for_two_files_swapped_and_points_linearnets_data(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The two label files swapped: linearnets' fix, to put each file under its own name, was cut
    off; it is kept, and only the download into the folder (linearnets.data.download's call, or
    --data-dir on the command line) is told as pointing LINEARNETS_DATA at good files."""
    folder = _real_copy(tmp_path / "dl")
    train, test = folder / "train-labels-idx1-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"
    train_bytes = train.read_bytes()
    train.write_bytes(test.read_bytes())
    test.write_bytes(train_bytes)
    monkeypatch.setenv("LINEARNETS_DATA", str(folder))
    error, said = read_data_alone()
    problem = (
        f"{train}: expected 60008 bytes of train-labels-idx1-ubyte once decompressed, got 10008, "
        "the size and MD5 of t10k-labels-idx1-ubyte: that file is here under the name of "
        "train-labels-idx1-ubyte — put each file under its own name"
    )
    assert error == (
        f"{problem}, or get it again where a network exists: "
        f"linearnets.data.download.download_fashion_mnist({str(folder)!r})"
    )
    assert said == (f"bench_data.py: error: {problem}; {_POINT_AT_THEM}, {_OR_UNSET}")


@pytest.mark.realdata
def test_a_bench_keeps_linearnets_fix_for_a_file_of_another_md5_and_points_linearnets_data(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file of Fashion-MNIST's size but another MD5 (one label changed): linearnets' fix is to
    move it out, then download the files again; the move is kept, the download told as pointing
    LINEARNETS_DATA at good files (no dangling "then")."""
    folder = _real_copy(tmp_path / "dl")
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[8] = (content[8] + 1) % 10  # the first label
    labels.write_bytes(gzip.compress(bytes(content)))
    monkeypatch.setenv("LINEARNETS_DATA", str(folder))
    error, said = read_data_alone()
    move = f"move it out of {folder} (or delete it, if damaged)"
    assert f"(MNIST's files have Fashion-MNIST's names and sizes) — {move}, then get it" in error
    head = error[: error.index(move) + len(move)]
    assert said == (f"bench_data.py: error: {head}; {_POINT_AT_THEM}, {_OR_UNSET}")


@pytest.mark.realdata
def test_a_bench_keeps_the_reinstall_of_a_damaged_debian_package_file(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file of the Debian package cut short, LINEARNETS_DATA unset: every fix was cut off,
    the package's reinstall too (the best one, which needs no root=DIR), for pointing
    LINEARNETS_DATA at good files. The reinstall is kept; only the download for a user without
    the rights to, then root=DIR, is told as pointing LINEARNETS_DATA at the files (no "or unset
    it": unset, the package's files are read)."""
    from linearnets.data import files

    debian = _real_copy(tmp_path / "debian")
    labels = debian / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-100])
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    monkeypatch.setattr(files, "in_debian_package", lambda path: True)
    error, said = read_data_alone()
    reinstall = (
        "get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores the "
        "Debian package's files"
    )
    problem = f"{labels}: expected a complete gzip stream, got one cut short after "
    assert error.startswith(problem)
    head = error[: error.index(f"; {reinstall}; without the rights to, ")]
    assert error == (
        f"{head}; {reinstall}; without the rights to, linearnets.data.download."
        "download_fashion_mnist('DIR') fetches all four into DIR where a network exists, then "
        "pass root=DIR (or set LINEARNETS_DATA)"
    )
    assert said == (
        f"bench_data.py: error: {head}; {reinstall}; without the rights to, {_POINT_AT_THEM}"
    )


@pytest.mark.realdata
@pytest.mark.parametrize("only_one", [False, True])
def test_a_bench_with_a_folder_of_links_into_the_debian_package_points_linearnets_data(
    only_one: bool,
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LINEARNETS_DATA naming a folder of the user's own links into the Debian package's, one
    linked to the wrong file (t10k-labels to the package's train-labels): the first file's links
    were followed, so the folder was told to reinstall the package, which repairs no link, and
    the fix that works, to unset LINEARNETS_DATA (the package's files are then read), was lost.
    Only the package's own folder read keeps the reinstall. With that link alone among plain
    copies (``only_one``), linearnets' line was said as it is, its reinstall and root=DIR too."""
    from linearnets.data import files

    debian = _real_copy(tmp_path / "debian")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    links = tmp_path / "links"
    links.mkdir()
    for name in files.FASHION_MNIST_FILES:
        target = "train-labels-idx1-ubyte" if name == "t10k-labels-idx1-ubyte" else name
        if only_one and target == name:  # the others plain copies
            shutil.copyfile(debian / f"{name}.gz", links / f"{name}.gz")
        else:
            (links / f"{name}.gz").symlink_to(debian / f"{target}.gz")
    monkeypatch.setenv("LINEARNETS_DATA", str(links))
    error, said = read_data_alone()
    problem = _swapped_labels(links / "t10k-labels-idx1-ubyte.gz")
    assert error.startswith(problem)
    assert said == (f"bench_data.py: error: {problem}; {_POINT_AT_THEM}, {_OR_UNSET}")
    # the package's own folder, through a link to it: the reinstall, and no unset (the same files)
    (debian / "t10k-labels-idx1-ubyte.gz").unlink()
    (debian / "t10k-labels-idx1-ubyte.gz").symlink_to(debian / "train-labels-idx1-ubyte.gz")
    (tmp_path / "to-debian").symlink_to(debian)
    monkeypatch.setenv("LINEARNETS_DATA", str(tmp_path / "to-debian"))
    error, said = read_data_alone()
    assert said == (
        f"bench_data.py: error: {problem.replace(str(links), str(tmp_path / 'to-debian'))}; "
        f"{files.REINSTALL}; without the rights to, {_POINT_AT_THEM}"
    )


@pytest.mark.realdata
def test_a_bench_with_right_links_to_a_damaged_debian_package_file_keeps_the_reinstall(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LINEARNETS_DATA naming a folder of links into the Debian package's folder, each under its
    target's own name, the package's t10k-labels cut short: the reinstall, the fix, was dropped
    for "set LINEARNETS_DATA ..., or unset it", and unset, the same damaged file is read. A link
    under its target's name keeps the reinstall (no unset); a link to another of the package's
    files is the link's fault, and keeps "or unset it" (unset, the package's good files are
    read)."""
    from linearnets.data import files

    debian = _real_copy(tmp_path / "debian")
    labels = debian / "t10k-labels-idx1-ubyte.gz"
    good = labels.read_bytes()
    labels.write_bytes(good[:-100])
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    links = _links_into(debian, tmp_path / "links")
    monkeypatch.setenv("LINEARNETS_DATA", str(links))
    error, said = read_data_alone()
    problem = f"{links / 't10k-labels-idx1-ubyte.gz'}: expected a complete gzip stream, got one "
    assert error.startswith(problem)
    reinstall = (
        "get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores the "
        "Debian package's files"
    )
    head = error[: error.index(f"; {reinstall}; without the rights to, ")]
    assert said == (
        f"bench_data.py: error: {head}; {reinstall}; without the rights to, {_POINT_AT_THEM}"
    )
    # the package's file whole again, the link to another of its files: the link is at fault
    labels.write_bytes(good)
    (links / "t10k-labels-idx1-ubyte.gz").unlink()
    (links / "t10k-labels-idx1-ubyte.gz").symlink_to(debian / "train-labels-idx1-ubyte.gz")
    error, said = read_data_alone()
    assert "put each file under its own name" in error
    assert reinstall not in said
    assert said.endswith(f"; {_POINT_AT_THEM}, {_OR_UNSET}")


@pytest.mark.realdata
def test_a_bench_with_links_named_without_gz_to_a_damaged_debian_package_file_keeps_the_reinstall(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LINEARNETS_DATA naming a folder of links into the Debian package's folder, each named
    without '.gz' (t10k-labels-idx1-ubyte, which linearnets reads as gzipped data too) to the
    package's file of that name with '.gz', the package's t10k-labels cut short: the link's name
    was not its target's, so the reinstall was dropped for "set LINEARNETS_DATA ..., or unset
    it", and unset, the same damaged file is read. A link to the package's file for the name it
    is read under, with or without '.gz', keeps the reinstall."""
    from linearnets.data import files

    debian = _real_copy(tmp_path / "debian")
    labels = debian / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-100])
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    links = _links_into(debian, tmp_path / "links", suffix="")
    monkeypatch.setenv("LINEARNETS_DATA", str(links))
    error, said = read_data_alone()
    assert error.startswith(f"{links / 't10k-labels-idx1-ubyte'}: expected a complete gzip stream")
    head = error[: error.index(f"; {files.REINSTALL}; without the rights to, ")]
    assert said == (
        f"bench_data.py: error: {head}; {files.REINSTALL}; without the rights to, {_POINT_AT_THEM}"
    )


@pytest.mark.realdata
def test_a_bench_judges_a_link_into_the_debian_package_by_its_own_target(
    read_data_alone: Callable[[], tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Debian package's own t10k-labels a link to its train-labels, the user's links each to
    the package's file of its own name: the link was judged by where its whole chain ends (the
    package's train-labels), so the user was told "set LINEARNETS_DATA ..., or unset it", and
    unset, the package's same wrong file is read. The user's link is judged by its own first hop
    into the package's folder (right: the package's file is wrong, the reinstall); a chain whose
    own hop into the package is to another file (links -> mid -> the package's train-labels)
    is the user's fault, and keeps "or unset it"."""
    from linearnets.data import files

    debian = _real_copy(tmp_path / "debian")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    (debian / "t10k-labels-idx1-ubyte.gz").unlink()
    (debian / "t10k-labels-idx1-ubyte.gz").symlink_to(debian / "train-labels-idx1-ubyte.gz")
    links = _links_into(debian, tmp_path / "links")
    monkeypatch.setenv("LINEARNETS_DATA", str(links))
    error, said = read_data_alone()
    problem = _swapped_labels(links / "t10k-labels-idx1-ubyte.gz")
    assert error.startswith(problem)
    assert said == (
        f"bench_data.py: error: {problem}; {files.REINSTALL}; without the rights to, "
        f"{_POINT_AT_THEM}"
    )
    # the package whole again; the user's chain wrong at its own hop into the package
    (debian / "t10k-labels-idx1-ubyte.gz").unlink()
    shutil.copyfile(REAL_DIR / "t10k-labels-idx1-ubyte.gz", debian / "t10k-labels-idx1-ubyte.gz")
    mid = tmp_path / "mid"
    mid.mkdir()
    (mid / "t10k-labels-idx1-ubyte.gz").symlink_to(debian / "train-labels-idx1-ubyte.gz")
    (links / "t10k-labels-idx1-ubyte.gz").unlink()
    (links / "t10k-labels-idx1-ubyte.gz").symlink_to(mid / "t10k-labels-idx1-ubyte.gz")
    error, said = read_data_alone()
    assert error.startswith(problem)
    assert said == (f"bench_data.py: error: {problem}; {_POINT_AT_THEM}, {_OR_UNSET}")


def test_a_bench_that_finds_no_data_says_to_install_the_debian_package(
    read_data_alone: Callable[[], tuple[str, str]], tmp_path: Path
) -> None:
    """No LINEARNETS_DATA and no place holding the files: linearnets' first fix, to install the
    Debian package, was cut off; it is kept, and the download it offers, then root=DIR, is told
    as pointing LINEARNETS_DATA at the files."""
    error, said = read_data_alone()
    searched = f"data, ../data, {tmp_path / 'work' / '.keras' / 'datasets' / 'fashion-mnist'}"
    assert error.startswith(f"Fashion-MNIST was not found (searched {searched}); ")
    assert said == (
        f"bench_data.py: error: Fashion-MNIST was not found (searched {searched}); get it with "
        f"'sudo apt-get install dataset-fashion-mnist', or {_POINT_AT_THEM}"
    )


_BAD_CALL = """
import runpy, sys
import linearnets.data.fashion_mnist as fashion_mnist
real = fashion_mnist.load_data_fashion_mnist
fashion_mnist.load_data_fashion_mnist = lambda batch_size, **kwargs: real(0, **kwargs)
sys.argv = [sys.argv[1], "--repeats", "1"]
sys.path.insert(0, sys.argv[0].rpartition("/")[0])  # bench/, as when the script runs
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.realdata
def test_a_bench_scripts_own_bad_call_ends_in_its_traceback(tmp_path: Path) -> None:
    """Every error linearnets raised on purpose was printed as the linearnets command's one line:
    a bad call of the script's own (here load_data_fashion_mnist(0)) was told as the user's usage
    error, exit status 2, with no traceback to find it by. Only the data's and the environment's
    errors are said in one line."""
    import subprocess

    from linearnets.data.fashion_mnist import load_data_fashion_mnist
    from linearnets.errors import UsageError

    with pytest.raises(UsageError) as info:  # the oracle: the call's own refusal
        load_data_fashion_mnist(0)
    proc = subprocess.run(
        [sys.executable, "-c", _BAD_CALL, str(BENCH / "bench_data.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1] == f"linearnets.errors.UsageError: {info.value}"


_WARM_LOAD = """
import hashlib, sys, zlib
import linearnets.data.remembered as remembered
from linearnets.data.fashion_mnist import read_fashion_mnist
sums, md5s, own_sum, own_md5 = [], [], remembered._file_sum, hashlib.md5
remembered._file_sum = lambda path: sums.append(path.name) or own_sum(path)
hashlib.md5 = lambda *args, **kwargs: md5s.append(1) or own_md5(*args, **kwargs)
arrays = read_fashion_mnist()
print(arrays.hashed, len(md5s), sorted(sums))
"""


@pytest.mark.realdata
def test_bench_datas_words_for_a_warm_load_are_what_it_does(
    bench: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    """Its docstring said a warm load did "no hashing", and its legend "CRC-32-checked, no MD5",
    where each .gz is read whole and Adler-32-checked beside its copy. The oracle: a warm load,
    in a fresh process as the benchmark times it, its .gz sums and MD5s counted."""
    import subprocess

    from linearnets.data.fashion_mnist import read_fashion_mnist
    from linearnets.errors import LinearnetsError

    data = bench("bench_data")
    doc = " ".join(str(data.__doc__).split())
    legend = data.load_legend(True)
    assert "no hashing" not in doc and "no MD5" in doc and "no MD5" in legend
    assert "its ``.gz`` is read whole and Adler-32-checked in a second thread" in doc
    assert "read whole and Adler-32-checked in a second thread" in legend
    assert "Adler" not in data.load_legend(False)  # no .gz: no sum of one
    try:
        found = read_fashion_mnist().found.paths
    except LinearnetsError as exc:
        pytest.skip(f"Fashion-MNIST not found: {exc}")
    gzipped = sorted(p.name for p in found.values() if p.suffix == ".gz")
    env = {**os.environ, "LINEARNETS_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _WARM_LOAD], env=env, capture_output=True, text=True, check=True
        ).stdout.split(" ", 2)
        for _ in ("cold", "warm")
    ]
    assert runs[0][:2] == ["True", str(len(found))]  # cold: an MD5 a file
    assert runs[1] == ["False", "0", f"{gzipped}\n"]  # warm: no MD5, but every .gz summed


def test_bench_data_says_how_many_passes_it_times(bench: Callable[[str], ModuleType]) -> None:
    """Its docstring said "one pass" where it times PASSES (3) and reports their median."""
    data = bench("bench_data")
    assert "one pass" not in data.__doc__
    assert f"``PASSES`` ({data.PASSES}) passes" in " ".join(data.__doc__.split())


def test_a_bench_device_is_refused_as_linearnets_refuses_it(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--device cpu:1, which torch takes, was accepted, and bench_softmax ended in the timed
    'linearnets softmax' command's refusal after the book's pipeline ran: linearnets' own rule
    refuses it now, in its words, as the options are read; what linearnets takes, auto
    included, is taken."""
    from linearnets.device import resolve_device
    from linearnets.errors import UsageError

    machine = bench("_machine")
    for name in ("cpu:1", "mps:2", "Cuda"):
        with pytest.raises(UsageError):
            resolve_device(name)  # the oracle: linearnets refuses it
        with pytest.raises(Exception, match=r"^must be one of auto, cpu, cuda, cuda:N, mps") as e:
            machine.torch_device(name)
        assert "device=" not in str(e.value)  # the command line's words, not the API's
    with pytest.raises(Exception) as info:
        machine.torch_device("cpu:1")
    assert str(info.value).endswith("; pass --device cpu (--threads N sets how many cores it uses)")
    assert machine.torch_device("cpu:0") == "cpu:0"
    assert machine.torch_device("auto") == str(resolve_device("auto"))
    softmax = bench("bench_softmax")
    monkeypatch.setattr(sys, "argv", ["bench_softmax.py", "--device", "cpu:1"])
    with pytest.raises(SystemExit):
        softmax.main()  # before the book's pipeline: the options are read first
    assert "argument --device: must be one of auto, cpu" in capsys.readouterr().err


def test_bench_softmax_threads_are_bounded_as_the_timed_command_bounds_them(
    bench: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--threads 2000 was taken, and the timed 'linearnets softmax --threads 2000' refused after
    the book's pipeline ran; it is refused as the options are read, at linearnets' own bound."""
    from linearnets.config import SoftmaxConfig
    from linearnets.config_checks import MAX_THREADS
    from linearnets.errors import UsageError

    SoftmaxConfig(num_threads=MAX_THREADS)
    with pytest.raises(UsageError):  # the oracle: the timed command's own setting refuses it
        SoftmaxConfig(num_threads=MAX_THREADS + 1)
    softmax = bench("bench_softmax")
    monkeypatch.setattr(sys, "argv", ["bench_softmax.py", "--threads", str(MAX_THREADS + 1)])
    with pytest.raises(SystemExit):
        softmax.main()
    assert f"argument --threads: must be at most {MAX_THREADS}, got {MAX_THREADS + 1}" in (
        capsys.readouterr().err
    )
    machine = bench("_machine")
    assert machine.thread_count(str(MAX_THREADS)) == MAX_THREADS
