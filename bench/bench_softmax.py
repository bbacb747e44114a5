"""Softmax regression on Fashion-MNIST: the book's pipeline against linearnets, in one process run.

The book's pipeline (D2L §3.5–3.7): a per-item dataset that builds a PIL image and converts it to a
tensor (what torchvision's ``FashionMNIST`` + ``ToTensor()`` do), behind a ``DataLoader`` with batch 256
and the book's ``get_dataloader_workers()`` = 4 worker processes, trained by the book's ``train_epoch_ch3``
and ``evaluate_accuracy``. linearnets: ``load_data_fashion_mnist`` batches sliced from memory and
``linearnets.fit``, for each implementation; and the book's §3.7 code itself with ``from linearnets
import d2l`` ("book code + d2l"). Same epochs, lr 0.1, batch 256; an epoch = train + test evaluation.
Each side runs one untimed epoch first. Then the whole ``linearnets softmax`` command is timed from
start to printed result.

Run: ``.venv/bin/python bench/bench_softmax.py [--epochs 3] [--book-workers 4] [--threads N] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

import torch
from _book_data import BookFashionMNIST
from _machine import (
    at_least,
    cpu_name,
    positive_int,
    read_data,
    thread_count,
    torch_device,
)
from torch import nn
from torch.utils.data import DataLoader

from linearnets.data.fashion_mnist import load_data_fashion_mnist, read_fashion_mnist
from linearnets.models.factory import build_softmax
from linearnets.training.loop import fit


def book_accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)  # type: ignore[call-arg]  # the book's numpy-style keyword
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def book_evaluate_accuracy(net: nn.Module, data_iter: DataLoader[Any]) -> float:
    net.eval()
    correct = total = 0.0
    with torch.no_grad():
        for X, y in data_iter:
            correct += book_accuracy(net(X), y)
            total += y.numel()
    return correct / total


def book_epoch(
    net: nn.Module,
    train_iter: DataLoader[Any],
    loss: nn.Module,
    updater: torch.optim.Optimizer,
) -> tuple[float, float]:
    net.train()
    metric = [0.0, 0.0, 0.0]
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        updater.zero_grad()
        l.mean().backward()
        updater.step()
        metric[0] += float(l.detach().sum())
        metric[1] += book_accuracy(y_hat, y)
        metric[2] += y.numel()
    return metric[0] / metric[2], metric[1] / metric[2]


def book_model() -> tuple[nn.Module, nn.Module, torch.optim.Optimizer]:
    """The book's §3.7 model, loss and optimizer, seeded: the same start for both pipelines."""
    torch.manual_seed(0)
    linear = nn.Linear(784, 10)
    net = nn.Sequential(nn.Flatten(), linear)
    nn.init.normal_(linear.weight, std=0.01)
    loss = nn.CrossEntropyLoss(reduction="none")
    return net, loss, torch.optim.SGD(net.parameters(), lr=0.1)


def run_book(epochs: int, workers: int) -> tuple[float, float]:
    arrays = read_fashion_mnist()
    train = BookFashionMNIST(arrays.train_images, arrays.train_labels)
    test = BookFashionMNIST(arrays.test_images, arrays.test_labels)
    train_iter = DataLoader(train, 256, shuffle=True, num_workers=workers)
    test_iter = DataLoader(test, 256, shuffle=False, num_workers=workers)
    net, loss, trainer = book_model()
    start = time.perf_counter()
    for _ in range(epochs):
        book_epoch(net, train_iter, loss, trainer)
        test_acc = book_evaluate_accuracy(net, test_iter)
    return (time.perf_counter() - start) / epochs, test_acc


def run_ours(impl: str, epochs: int, device: str) -> tuple[float, float]:
    train_iter, test_iter = load_data_fashion_mnist(
        256, generator=torch.Generator().manual_seed(0), device=device
    )
    setup = build_softmax(impl, lr=0.1, generator=torch.Generator().manual_seed(0))
    setup.net.to(train_iter.device)
    start = time.perf_counter()
    history = fit(setup.net, train_iter, setup.loss, setup.updater, epochs, test_iter=test_iter)
    acc = history.last.test_acc
    return (time.perf_counter() - start) / epochs, float(acc if acc is not None else "nan")


def run_book_code_on_ours(epochs: int) -> tuple[float, float]:
    """The book's §3.7 code as printed, with ``from linearnets import d2l`` for the book's import:
    on the CPU whatever ``--device`` says, as the book's chapter 3 code has no device."""
    from linearnets import d2l

    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    net, loss, trainer = book_model()
    start = time.perf_counter()
    for _ in range(epochs):  # train_ch3 without its Animator, as the book pipeline runs it
        d2l.train_epoch_ch3(net, train_iter, loss, trainer)
        test_acc = d2l.evaluate_accuracy(net, test_iter)
    return (time.perf_counter() - start) / epochs, test_acc


def run_impl(impl: str, epochs: int, device: str) -> tuple[float, float]:
    """Return ``impl``'s seconds an epoch and test accuracy: one of linearnets' implementations on
    ``device``, or the book's code on ``linearnets.d2l`` (on the CPU)."""
    if impl == "book code + d2l":
        return run_book_code_on_ours(epochs)
    return run_ours(impl, epochs, device)


def time_output_layouts(calls: int = 2000) -> tuple[float, float]:
    """Microseconds of one forward product on a batch of 256, in each output layout.

    ``nn.Linear`` computes ``X Wᵀ + b`` as a (256, 10) matrix; the scratch model computes the same
    numbers as the (10, 256) matrix ``W Xᵀ + b`` and hands back its transpose. Returns the medians of
    five timings of ``calls`` products each: ``(F.linear, addmm in the scratch layout)``.
    """
    gen = torch.Generator().manual_seed(0)
    X, W, b = (
        torch.rand(256, 784, generator=gen),
        torch.randn(10, 784, generator=gen),
        torch.zeros(10),
    )
    products = (
        lambda: nn.functional.linear(X, W, b),  # (256, 10)
        lambda: torch.addmm(b.unsqueeze(1), W, X.T),  # (10, 256)
    )
    medians = []
    for product in products:
        for _ in range(50):  # warm-up
            product()
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(calls):
                product()
            runs.append((time.perf_counter() - start) / calls * 1e6)
        medians.append(statistics.median(runs))
    return medians[0], medians[1]


def time_command(*extra: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "linearnets",
            "softmax",
            "--out",
            os.path.join(tmp, "run"),
            *extra,
        ]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - start
    final = [line for line in done.stdout.splitlines() if line.startswith("final:")]
    return seconds, final[0] if final else done.stdout[-200:]


IMPLS = ("concise", "scratch", "analytic", "book code + d2l")


def where_each_runs(device: str, impls: tuple[str, ...], no_command: bool) -> str:
    """Say where what runs: linearnets' implementations ``impls`` (and the timed command, unless
    ``no_command``) on ``device``; the book's code on linearnets.d2l, which has no device, and
    the forward product on the CPU. With ``--impl 'book code + d2l' --no-command``, nothing runs
    on a GPU given: "linearnets on cuda" was said all the same."""
    if torch.device(device).type == "cpu":
        return f"linearnets on {device}"
    named = (
        f"{device} ({torch.cuda.get_device_name(device)})" if device.startswith("cuda") else device
    )
    on_the_cpu = ("the book's code + d2l and " if "book code + d2l" in impls else "") + (
        "the forward product on the CPU"
    )
    if any(impl != "book code + d2l" for impl in impls):
        return f"linearnets on {named}; {on_the_cpu}"
    if no_command:
        return f"{on_the_cpu}; nothing runs on {device}"
    return f"{on_the_cpu}; the timed 'linearnets softmax' command on {named}"


def main() -> None:
    parser = argparse.ArgumentParser(description="book pipeline vs linearnets, softmax regression")
    parser.add_argument("--epochs", type=positive_int, default=3)
    parser.add_argument(
        "--book-workers", type=at_least(0), default=4, help="the book's get_dataloader_workers()"
    )
    parser.add_argument(
        "--threads",
        type=thread_count,
        default=None,
        help="torch threads for both sides, the timed 'linearnets softmax' command's too (default: "
        "torch's own for the pipelines, and the command's own default, which the README's Speed "
        "row and its under-5-s target are about)",
    )
    parser.add_argument(
        "--device",
        type=torch_device,
        default="cpu",
        help="where linearnets trains (cpu, cuda, ...); the book's pipeline, its code on "
        "linearnets.d2l and the forward product stay on the CPU, as in its chapter 3",
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=3,
        help="rounds, each running the book and then every linearnets implementation once (their "
        "order turned by one each round)",
    )
    parser.add_argument(
        "--impl",
        action="append",
        choices=IMPLS,
        help="run only this implementation beside the book's pipeline (repeat the option for "
        "several; default: all), for a shorter A/B of one path",
    )
    parser.add_argument(
        "--no-command",
        action="store_true",
        help="skip timing the whole 'linearnets softmax' command (3 runs of 10 epochs)",
    )
    args = parser.parse_args()
    # the book's 4 workers on a 2-core machine: DataLoader warns every round; the figures say it once
    warnings.filterwarnings("ignore", message="This DataLoader will create")
    threads = torch.get_num_threads() if args.threads is None else args.threads
    torch.set_num_threads(threads)
    read_data()  # both sides start from data in memory
    cpu = cpu_name()
    # the book's §3.7 code as printed has no device, and the forward product times MKL's layouts:
    # both run on the CPU, which the lines say where linearnets runs elsewhere
    on_cpu = torch.device(args.device).type == "cpu"
    impls = tuple(impl for impl in IMPLS if impl in (args.impl or IMPLS))
    print(
        f"{os.cpu_count()} cores ({cpu}), torch {torch.__version__}, python {platform.python_version()}, "
        f"{threads} torch threads, {args.epochs} epochs, lr 0.1, batch 256; s/epoch = train + test evaluation, "
        f"after an untimed epoch of each; {where_each_runs(args.device, impls, args.no_command)}"
    )
    times: dict[str, list[float]] = {impl: [] for impl in ("book", *impls)}
    accs: dict[str, float] = {}
    # one untimed round of one epoch first, as bench_linreg.py runs: each path's first use in the
    # process (torch.optim's import of torch._dynamo, first kernels and allocations) was charged to
    # the first timed round (an analytic epoch took 3.3 s first in a process, then 0.17 s)
    run_book(1, args.book_workers)
    for impl in impls:
        run_impl(impl, 1, args.device)
    # rounds of book, then each implementation: a VM whose speed drifts during the run slows both
    # sides. The implementations' order turns by one each round: the one run right after the book's
    # five processes was slower (concise first: 0.224 s an epoch, the book's code on the same
    # nn.Linear model fourth: 0.137 s, in one run), so no implementation always takes that place
    for round_ in range(args.repeats):
        seconds, accs["book"] = run_book(args.epochs, args.book_workers)
        times["book"].append(seconds)
        for impl in impls[round_ % len(impls) :] + impls[: round_ % len(impls)]:
            seconds, accs[impl] = run_impl(impl, args.epochs, args.device)
            times[impl].append(seconds)
    book_s = statistics.median(times["book"])
    print(
        f"{'book (workers=' + str(args.book_workers) + ')':>19}: {book_s:7.3f} s/epoch  test acc "
        f"{accs['book']:.4f}  (median of {args.repeats}; from {min(times['book']):.3f} to "
        f"{max(times['book']):.3f} s)"
    )
    for impl in impls:
        ours_s, fastest = statistics.median(times[impl]), min(times[impl])
        print(
            f"{impl if ' ' in impl else 'linearnets ' + impl:>19}: {ours_s:7.3f} s/epoch  test acc {accs[impl]:.4f}  "
            f"{book_s / ours_s:5.1f}x faster (median of {args.repeats}; fastest {fastest:.3f} s, "
            f"{book_s / fastest:.1f}x the book's median)"
            + ("" if on_cpu or impl != "book code + d2l" else ", on the CPU")
        )
    linear_us, scratch_us = time_output_layouts()
    print(
        f"one forward product{'' if on_cpu else ' on the CPU'} (256 x 784) @ (784 x 10): nn.Linear's "
        f"(256, 10) output {linear_us:.1f} us, the scratch model's (10, 256) layout {scratch_us:.1f} us"
    )
    if args.no_command:
        return
    # at the command's own default unless --threads was given: the README's Speed row and its
    # "under 5 s" target are about `linearnets softmax` as typed (torch's default here was 2)
    given = () if args.threads is None else ("--threads", str(args.threads))
    runs = [time_command("--device", args.device, *given) for _ in range(3)]
    walls = sorted(seconds for seconds, _ in runs)
    at = "at its default threads" if args.threads is None else "at the --threads given"
    print(
        f"whole '{shlex.join(['linearnets', 'softmax', *given])}' command ({at}; 10 epochs, "
        "plots, run folder), 3 runs: median "
        f"{walls[1]:.2f} s (from {walls[0]:.2f} to {walls[2]:.2f}) -> {runs[-1][1]}"
    )


if __name__ == "__main__":
    main()
