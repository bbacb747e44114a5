"""``linearnets softmax``: train softmax regression on Fashion-MNIST (D2L §3.6–3.7)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from linearnets.cli._options import non_negative_int, positive_float, positive_int
from linearnets.config import PLOT_MODES, SOFTMAX_IMPLS, SoftmaxConfig


def add_parser(sub: Any) -> None:
    """Register the ``softmax`` subcommand."""
    d = SoftmaxConfig()
    p = sub.add_parser(
        "softmax",
        help="train softmax regression on Fashion-MNIST",
        description="Train softmax regression on Fashion-MNIST and write a run folder with the config, "
        "per-epoch metrics, curves, predictions, confusion matrix and weights.",
    )
    p.add_argument(
        "--impl",
        choices=SOFTMAX_IMPLS,
        default=d.impl,
        help="scratch (autograd), analytic (scratch, explicit gradient) or concise (default: %(default)s)",
    )
    p.add_argument("--epochs", type=positive_int, default=d.epochs, help="default: %(default)s")
    p.add_argument(
        "--lr", type=positive_float, default=d.lr, help="learning rate (default: %(default)s)"
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=d.batch_size,
        help="global batch size, also under torchrun (default: %(default)s)",
    )
    p.add_argument("--seed", type=non_negative_int, default=d.seed, help="default: %(default)s")
    p.add_argument(
        "--threads",
        type=positive_int,
        default=d.num_threads,
        help="torch threads (default: %(default)s)",
    )
    p.add_argument("--resize", type=positive_int, default=None, help="resize images to N×N")
    p.add_argument(
        "--data-dir", type=Path, default=None, help="folder holding the Fashion-MNIST files"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="run folder to create (default: runs/softmax-IMPL-TIME)",
    )
    p.add_argument(
        "--plot",
        choices=PLOT_MODES,
        default=d.plot,
        help="auto: live figure in Jupyter, files elsewhere; file: PNG/SVG in the run folder; none",
    )
    p.add_argument("--json", action="store_true", help="end with one JSON object of the results")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets softmax``; return the exit status."""
    import os

    from linearnets.device import resolve_device
    from linearnets.tasks.softmax import run_softmax
    from linearnets.training.callbacks import ConsoleLogger
    from linearnets.training.distributed import init_distributed, shutdown_distributed

    config = SoftmaxConfig(
        impl=args.impl,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        num_threads=args.threads,
        resize=args.resize,
        data_dir=args.data_dir,
        data=args.data,
        out=args.out,
        plot=args.plot,
        device=args.device,
    )
    device = resolve_device(config.device, local_rank=int(os.environ.get("LOCAL_RANK", "0") or 0))
    dist = init_distributed(device=device)
    try:
        result = run_softmax(config, callbacks=[ConsoleLogger()], dist=dist)
    finally:
        shutdown_distributed()
    if not dist.is_main:
        return 0
    summary = result.summary()
    print(f"data: {result.data_source}")
    test_acc = "n/a" if summary["test_acc"] is None else f"{summary['test_acc']:.3f}"
    print(
        f"final: train loss {summary['train_loss']:.4f}, train acc {summary['train_acc']:.3f}, "
        f"test acc {test_acc}, {summary['seconds_per_epoch']:.3f} s/epoch"
        + (f" on {dist.world_size} processes" if dist.enabled else "")
    )
    if summary["per_class_acc"]:
        worst = sorted(summary["per_class_acc"].items(), key=lambda kv: kv[1])[:3]
        print("hardest classes: " + ", ".join(f"{name} {acc:.3f}" for name, acc in worst))
    print(f"run folder: {result.run_dir}")
    if args.json:
        print(json.dumps(summary))
    return 0
