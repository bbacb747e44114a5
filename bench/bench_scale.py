"""Throughput of softmax regression on a synthetic set ~20x Fashion-MNIST, with 1 and 2 processes.

The set is made in memory from a seed (uint8 "images" around 10 class prototypes, like Fashion-MNIST's
28x28 shape): 1.2 million training examples, 940 MB as uint8. Each configuration runs one epoch with the
book's settings (concise, batch 256, lr 0.1) after a short warm-up, and reports examples per second and
each process's peak resident memory twice: while it makes the set, and from then on while it trains
(the set included). Two processes use PyTorch's gloo backend on 127.0.0.1, exactly as
``torchrun --nproc_per_node=2`` would.

Run: ``.venv/bin/python bench/bench_scale.py [--scale 20]`` (a --scale whose set the processes cannot
hold in the memory available, each ~0.35 GB, 8,700 bytes for each of the first 100,000 examples while
it makes the set and 800 bytes for each example, is refused naming the largest the estimate allows
in the smallest of the physical memory, /proc/meminfo's MemAvailable and a cgroup's memory limit)
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import socket
import sys
import time
from fractions import Fraction
from typing import NamedTuple

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from _machine import positive_float, torch_device

from linearnets.data.loader import ArrayLoader
from linearnets.models.factory import build_softmax
from linearnets.training.distributed import DistContext
from linearnets.training.loop import train_epoch

CHUNK = 100_000  # images made at a time: their float32 temporaries, ~0.86 GB, come and go


def make_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return n uint8 images (n, 28, 28) scattered around 10 prototypes, and their labels."""
    g = torch.Generator().manual_seed(seed)
    # classes share a common background and differ by a modest offset, so the task is not trivial
    prototypes = torch.rand(1, 28, 28, generator=g) * 160 + torch.rand(10, 28, 28, generator=g) * 40
    y = torch.randint(0, 10, (n,), generator=g)
    images = torch.empty(n, 28, 28, dtype=torch.uint8)
    for start in range(0, n, CHUNK):  # chunked so the float temporaries stay small
        stop = min(start + CHUNK, n)
        noise = torch.randn(stop - start, 28, 28, generator=g) * 60
        images[start:stop] = (prototypes[y[start:stop]] + noise).clamp_(0, 255).to(torch.uint8)
    return images, y


# where Linux tells a process's peak resident memory (VmHWM), and lets it start that peak over
STATUS, CLEAR_REFS = "/proc/self/status", "/proc/self/clear_refs"


def peak_mib(*, status: str = STATUS) -> float:
    """Return this process's peak resident memory so far in MiB: ``VmHWM`` in ``status``, else
    ``getrusage``'s ``ru_maxrss`` (which no reset lowers), in bytes on macOS and KiB elsewhere
    (it was taken as KiB on macOS too: 1,024 times the peak)."""
    try:
        with open(status) as lines:
            for line in lines:
                name, _, value = line.partition(":")
                if name == "VmHWM" and value.split()[1:] == ["kB"]:
                    return int(value.split()[0]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        2**20 if sys.platform == "darwin" else 1024
    )


def reset_peak(*, clear_refs: str = CLEAR_REFS, status: str = STATUS) -> bool:
    """Start this process's peak resident memory over from what it holds now (Linux: ``5`` written
    to ``clear_refs``); return whether it was, as ``status`` can tell it (False elsewhere)."""
    try:
        with open(clear_refs, "w") as f:
            f.write("5")
        with open(status) as lines:
            return any(line.startswith("VmHWM:") for line in lines)
    except OSError:
        return False


class Peaks(NamedTuple):
    """One process's figures: its epoch's seconds, its peak resident MiB while it made the set and
    from then on (``None`` where the peak cannot be started over), the GPU's peak MiB (``None``
    on the CPU) and the epoch's training accuracy."""

    seconds: float
    making_mib: float
    training_mib: float | None
    gpu_mib: float | None
    acc: float


def worker(
    rank: int,
    world_size: int,
    n: int,
    port: int,
    threads: int,
    results: dict[int, tuple[float, float, float | None, float | None, float]],
    device: str = "cpu",
) -> None:
    torch.set_num_threads(threads)
    if world_size > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
    ctx = DistContext(rank=rank, world_size=world_size)
    images, labels = make_data(n)
    # the peak so far is the making of the set (its float temporaries), not training: measured
    # apart, training's own peak from here (the set included) is what a real dataset would cost
    making_mib, restarted = peak_mib(), reset_peak()
    setup = build_softmax("concise", lr=0.1, generator=torch.Generator().manual_seed(0))
    net = setup.net.to(device)
    if world_size > 1:
        net = torch.nn.parallel.DistributedDataParallel(net)
    loader = ArrayLoader(
        images,
        labels,
        256,
        shuffle=True,
        generator=torch.Generator().manual_seed(1),
        rank=rank,
        world_size=world_size,
        device=device,
    )
    warm = ArrayLoader(
        images[:20_000],
        labels[:20_000],
        256,
        shuffle=True,
        rank=rank,
        world_size=world_size,
        device=device,
    )
    train_epoch(net, warm, setup.loss, setup.updater, dist=ctx)
    ctx.barrier()
    start = time.perf_counter()
    _, acc = train_epoch(net, loader, setup.loss, setup.updater, dist=ctx)
    ctx.barrier()
    seconds = time.perf_counter() - start
    gpu_mib = None
    if device.startswith("cuda"):  # the GPU's peak, beside the process's own
        gpu_mib = torch.cuda.max_memory_allocated(device) / 2**20
    training_mib = peak_mib() if restarted else None
    # Peaks' fields as a plain tuple: the manager's process, which unpickles it, knows no class of
    # this script's
    results[rank] = (seconds, making_mib, training_mib, gpu_mib, acc or 0.0)
    if world_size > 1:
        dist.destroy_process_group()


def run(world_size: int, n: int, threads: int, device: str = "cpu") -> Peaks:
    """Return the slowest process's seconds, each peak's largest over the processes, and rank 0's
    training accuracy."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manager = mp.Manager()
    results = manager.dict()
    mp.start_processes(
        worker,
        args=(world_size, n, port, threads, results, device),
        nprocs=world_size,
        start_method="spawn",
    )
    each = [Peaks(*r) for r in results.values()]

    def most(values: list[float | None]) -> float | None:
        return None if None in values else max(v for v in values if v is not None)

    return Peaks(
        seconds=max(p.seconds for p in each),
        making_mib=max(p.making_mib for p in each),
        training_mib=most([p.training_mib for p in each]),
        gpu_mib=most([p.gpu_mib for p in each]),
        acc=Peaks(*results[0]).acc,
    )


# what a process takes at its peak, measured here (VmHWM of one process, and of each of 2, for sets of
# 2 to 1.2 million examples; bench/RESULTS.md): a fixed part, torch and linearnets loaded and training's
# own (the model, gloo, the loader's batches): 308-327 MiB (0.32-0.34 GB) training on 2 to 6,000
# examples; make_data's float32 temporaries for each of its first CHUNK examples, which come and go
# (8,600 bytes an example beside its own 792: 1,125 MiB making 100,000, 228 MiB making 2); and a part
# for each example the set holds: its uint8 image, its int64 label and its place in the loader's int64
# permutation of each epoch (792 bytes an example making 200,000 to 1.2 million, about 800 training on
# them). It counted 1.2 GB fixed, the temporaries of a whole CHUNK whatever the size: 2.41 GB for 2
# processes at --scale 0.1, which took 0.69 GB (2 x 327 MiB at most)
PROCESS_BYTES = 350_000_000
MAKING_BYTES_PER_EXAMPLE = 8_700  # of the first CHUNK examples, while the set is made
BYTES_PER_EXAMPLE = 28 * 28 + 8 + 8


def needed_bytes(n: int, processes: int) -> int:
    """Return the memory in bytes ``processes`` processes take at their peak (making the set, or
    training on it), each with the whole set of ``n`` examples."""
    return processes * (
        PROCESS_BYTES + MAKING_BYTES_PER_EXAMPLE * min(n, CHUNK) + BYTES_PER_EXAMPLE * n
    )


# where the memory this process may take is told: Linux's estimate of what is free without swapping,
# and a container's limit (cgroup v2, then v1's; "max", or v1's near 2**63, where there is none)
MEMINFO = "/proc/meminfo"
CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def memory_bytes(*, meminfo: str = MEMINFO, cgroup_limits: tuple[str, ...] = CGROUP_LIMITS) -> int:
    """Return the memory in bytes this benchmark may take: the smallest of the physical memory,
    ``MemAvailable`` in ``meminfo`` and a number in a ``cgroup_limits`` file, each where it can be
    read. The physical memory alone passed a set that fitted it but not what the other programs
    and a container's limit left, which ended as before in the allocator's traceback (or the OOM
    killer)."""
    sizes = [os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")]
    try:
        with open(meminfo) as lines:
            for line in lines:
                name, _, value = line.partition(":")
                if name == "MemAvailable" and value.split()[1:] == ["kB"]:
                    sizes.append(int(value.split()[0]) * 1024)
    except (OSError, ValueError):
        pass
    for path in cgroup_limits:
        try:
            with open(path) as limit:
                sizes.append(int(limit.read().strip()))
        except (OSError, ValueError):  # none, or "max": no limit
            continue
    return min(sizes)


def examples(scale: float) -> int:
    """Return how many examples ``--scale`` asks for: 60,000 × ``scale`` rounded down, worked out
    on the decimal given (in floats, 60,000 × 0.0021 is 125.99..., and 125 were made, not 126)."""
    return math.floor(60_000 * Fraction(repr(scale)))


def largest_scale(memory: int, processes: int) -> float | None:
    """Return the largest --scale whose set ``processes`` processes hold in ``memory`` bytes
    (:func:`needed_bytes` inverted), rounded down to 2 significant digits; ``None`` where not even
    2 examples fit. Worked out in fractions: in floats, 0.57 × 100 is 56.99..., and 0.56 was named
    where 0.57 fits."""
    budget = Fraction(memory, processes) - PROCESS_BYTES  # for the examples, in each process
    fit = budget / (MAKING_BYTES_PER_EXAMPLE + BYTES_PER_EXAMPLE)
    if fit > CHUNK:  # past CHUNK examples, the temporaries take no more
        fit = (budget - MAKING_BYTES_PER_EXAMPLE * CHUNK) / BYTES_PER_EXAMPLE
    n = math.floor(fit)  # the most examples that fit
    if n < 2:
        return None
    below = Fraction(n + 1, 60_000)  # every scale under it asks for n examples at most
    # the power of 10 of the scales just under it: 10**power < below <= 10**(power + 1)
    power = math.floor(math.log10(below))  # up to float error, corrected next
    power += (Fraction(10) ** (power + 1) < below) - (Fraction(10) ** power >= below)
    step = Fraction(10) ** (power - 1)  # a unit of their second significant digit
    return float((math.ceil(below / step) - 1) * step)  # 58 / 10: 5.8, not 5.800000000000001


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=positive_float,
        default=20.0,
        help="size as a multiple of Fashion-MNIST's 60000",
    )
    parser.add_argument(
        "--device",
        type=torch_device,
        default="cpu",
        help="cpu: 1 and 2 processes; cuda: one process on the GPU, the whole set in its memory",
    )
    args = parser.parse_args()
    n = examples(args.scale)
    if n < 2:  # the loader refuses a process no examples, deep inside a spawned worker
        parser.error(
            f"argument --scale: must give at least 2 examples (one for each of 2 processes), got "
            f"{args.scale:g} ({n}); pass e.g. --scale 0.1"
        )
    on_gpu = args.device.startswith("cuda")
    processes = 1 if on_gpu else 2  # the most processes at once, each with the whole set
    needed, memory = needed_bytes(n, processes), memory_bytes()
    if needed > memory:  # torch's allocator refused it in each worker, a multi-screen traceback
        each = "1 process" if processes == 1 else f"{processes} processes, each"
        largest = largest_scale(memory, processes)
        fix = (
            f"pass at most --scale {largest:g}"
            if largest is not None
            else "free some memory (or run it on a larger machine)"
        )
        parser.error(
            f"argument --scale: {args.scale:g} ({n:.3g} examples) needs about {needed / 1e9:.3g} "
            f"GB of memory ({each} holding the whole set: {PROCESS_BYTES / 1e9:.2g} GB, "
            f"{MAKING_BYTES_PER_EXAMPLE:,} bytes for each of the first {CHUNK:,} examples while "
            f"it makes the set and {BYTES_PER_EXAMPLE} for each example), more than this machine's "
            f"{memory / 1e9:.3g} GB available; {fix}"
        )
    print(
        f"{n} examples (x{args.scale:g} Fashion-MNIST), {os.cpu_count()} CPU cores, torch {torch.__version__}"
        + (f", {torch.cuda.get_device_name(args.device)}" if on_gpu else "")
    )
    print(
        f"{'processes':>9} {'threads/proc':>12} {'epoch s':>8} {'examples/s':>11} "
        f"{'making MiB/proc':>15} {'training MiB/proc':>17}"
        + (f" {'peak GPU MiB':>12}" if on_gpu else "")
        + f" {'train acc':>9}"
    )
    configs = ((1, 1),) if on_gpu else ((1, 1), (1, 2), (2, 1))
    for world_size, threads in configs:
        got = run(world_size, n, threads, args.device)
        print(
            f"{world_size:>9} {threads:>12} {got.seconds:>8.2f} {n / got.seconds:>11,.0f} "
            f"{got.making_mib:>15,.0f} {shown_mib(got.training_mib):>17}"
            + (f" {shown_mib(got.gpu_mib):>12}" if on_gpu else "")
            + f" {got.acc:>9.3f}"
        )
    print(legend(on_gpu, restarted=got.training_mib is not None))


def legend(on_gpu: bool, *, restarted: bool) -> str:
    """Return the line under the table that says what its memory columns are: each in MiB (the
    columns said MB of VmHWM / 1024), the GPU's too where there is one (it went unexplained),
    training's ``n/a`` where the peak could not be ``restarted``."""
    return (
        "peak resident memory of each process, in MiB (2**20 bytes): making MiB/proc while it "
        f"makes the synthetic set (its float32 temporaries, {CHUNK:,} images at a time), training "
        "MiB/proc from then on, through the warm-up and the timed epoch, the set included"
        + ("" if restarted else " (n/a: this system cannot start a peak over)")
        + (
            "; peak GPU MiB: the most torch allocated on the GPU (max_memory_allocated), the set "
            "and the model included"
            if on_gpu
            else ""
        )
    )


def shown_mib(mib: float | None) -> str:
    """Return ``mib`` as the table prints it: whole MiB, or ``n/a`` where it was not measured."""
    return "n/a" if mib is None else f"{mib:,.0f}"


if __name__ == "__main__":
    main()
