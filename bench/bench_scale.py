"""Throughput of softmax regression on a synthetic set ~20x Fashion-MNIST, with 1 and 2 processes.

The set is made in memory from a seed (uint8 "images" around 10 class prototypes, like Fashion-MNIST's
28x28 shape): 1.2 million training examples, 940 MB as uint8. Each configuration runs one epoch with the
book's settings (concise, batch 256, lr 0.1) after a short warm-up, and reports examples per second and
each process's peak resident memory. Two processes use PyTorch's gloo backend on 127.0.0.1, exactly as
``torchrun --nproc_per_node=2`` would.

Run: ``.venv/bin/python bench/bench_scale.py [--scale 20]`` (a --scale whose set the processes cannot
hold in the memory available, ~1.6 kB an example each, is refused naming the largest that fits: the
smallest of the physical memory, /proc/meminfo's MemAvailable and a cgroup's memory limit)
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import socket
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from _machine import positive_float, torch_device

from linearnets.data.loader import ArrayLoader
from linearnets.models.factory import build_softmax
from linearnets.training.distributed import DistContext
from linearnets.training.loop import train_epoch


def make_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return n uint8 images (n, 28, 28) scattered around 10 prototypes, and their labels."""
    g = torch.Generator().manual_seed(seed)
    # classes share a common background and differ by a modest offset, so the task is not trivial
    prototypes = torch.rand(1, 28, 28, generator=g) * 160 + torch.rand(10, 28, 28, generator=g) * 40
    y = torch.randint(0, 10, (n,), generator=g)
    images = torch.empty(n, 28, 28, dtype=torch.uint8)
    for start in range(0, n, 100_000):  # chunked so the float temporaries stay small
        stop = min(start + 100_000, n)
        noise = torch.randn(stop - start, 28, 28, generator=g) * 60
        images[start:stop] = (prototypes[y[start:stop]] + noise).clamp_(0, 255).to(torch.uint8)
    return images, y


def worker(
    rank: int,
    world_size: int,
    n: int,
    port: int,
    threads: int,
    results: dict[int, tuple[float, float, float]],
    device: str = "cpu",
) -> None:
    torch.set_num_threads(threads)
    if world_size > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
    ctx = DistContext(rank=rank, world_size=world_size)
    images, labels = make_data(n)
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
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if device.startswith("cuda"):  # the GPU's peak, beside the process's own
        peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
    results[rank] = (seconds, peak_mb, acc or 0.0)
    if world_size > 1:
        dist.destroy_process_group()


def run(world_size: int, n: int, threads: int, device: str = "cpu") -> tuple[float, float, float]:
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
    seconds = max(r[0] for r in results.values())
    peak = max(r[1] for r in results.values())
    return seconds, peak, results[0][2]


# each process holds the whole set, uint8 images and int64 labels, and as much again while it trains
# (the loader's shuffled batches, torch's own): 1.9 GB a process at --scale 20 (bench/RESULTS.md)
BYTES_PER_EXAMPLE = 2 * (28 * 28 + 8)


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


def largest_scale(memory: int, processes: int) -> float:
    """Return the largest --scale whose set ``processes`` processes hold in ``memory`` bytes,
    rounded down to 2 significant digits."""
    largest = memory / (processes * BYTES_PER_EXAMPLE * 60_000)
    digits = 10 ** (math.floor(math.log10(largest)) - 1)
    return math.floor(largest / digits) * digits


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
    n = int(60_000 * args.scale)
    if n < 2:  # the loader refuses a process no examples, deep inside a spawned worker
        parser.error(
            f"argument --scale: must give at least 2 examples (one for each of 2 processes), got "
            f"{args.scale:g} ({n}); pass e.g. --scale 0.1"
        )
    on_gpu = args.device.startswith("cuda")
    processes = 1 if on_gpu else 2  # the most processes at once, each with the whole set
    needed, memory = processes * n * BYTES_PER_EXAMPLE, memory_bytes()
    if needed > memory:  # torch's allocator refused it in each worker, a multi-screen traceback
        each = "1 process" if processes == 1 else f"{processes} processes, each"
        parser.error(
            f"argument --scale: {args.scale:g} ({n:.3g} examples) needs about {needed / 1e9:.3g} "
            f"GB of memory ({each} holding the whole set), more than this machine's "
            f"{memory / 1e9:.3g} GB available; pass at most --scale {largest_scale(memory, processes):g}"
        )
    print(
        f"{n} examples (x{args.scale:g} Fashion-MNIST), {os.cpu_count()} CPU cores, torch {torch.__version__}"
        + (f", {torch.cuda.get_device_name(args.device)}" if on_gpu else "")
    )
    print(
        f"{'processes':>9} {'threads/proc':>12} {'epoch s':>8} {'examples/s':>11} "
        f"{'peak GPU MB' if on_gpu else 'peak MB/proc':>12} {'train acc':>9}"
    )
    configs = ((1, 1),) if on_gpu else ((1, 1), (1, 2), (2, 1))
    for world_size, threads in configs:
        seconds, peak, acc = run(world_size, n, threads, args.device)
        print(
            f"{world_size:>9} {threads:>12} {seconds:>8.2f} {n / seconds:>11,.0f} {peak:>12,.0f} {acc:>9.3f}"
        )


if __name__ == "__main__":
    main()
