"""``linearnets linreg``: train linear regression on synthetic data (D2L §3.2–3.3)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from linearnets._json import dumps_strict
from linearnets.cli._options import (
    non_negative_float,
    non_negative_int,
    path_arg_for,
    positive_float,
    positive_int,
)
from linearnets.cli._report import signal_name
from linearnets.config import IMPLS, LinregConfig
from linearnets.errors import UsageError

if TYPE_CHECKING:
    from linearnets.tasks.linreg import LinregResult


def add_parser(sub: Any) -> None:
    """Register the ``linreg`` subcommand."""
    defaults = LinregConfig()
    p = sub.add_parser(
        "linreg",
        help="train linear regression on synthetic data y = Xw + b + noise",
        description="Train linear regression (scratch, analytic or concise) on the book's synthetic data and "
        "compare the learned w and b with the truth and with the closed-form least-squares solution.",
    )
    p.add_argument(
        "--impl",
        choices=IMPLS,
        default=defaults.impl,
        help="scratch (autograd), analytic (scratch, explicit gradient: the same updates, not the "
        "closed form, which every run reports beside) or concise (nn.Linear) "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--epochs", type=positive_int, default=defaults.epochs, help="default: %(default)s"
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        default=defaults.lr,
        help="learning rate (default: %(default)s)",
    )
    p.add_argument(
        "--batch-size", type=positive_int, default=defaults.batch_size, help="default: %(default)s"
    )
    # None when not given: the config fills in the book's, and --data refuses a value given
    p.add_argument(
        "--num-examples",
        type=positive_int,
        default=None,
        help=f"synthetic examples (default: {defaults.num_examples}; not with --data)",
    )
    p.add_argument(
        "--noise-std",
        type=non_negative_float,
        default=None,
        help=f"standard deviation of the synthetic noise (default: {defaults.noise_std}; not "
        "with --data)",
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=defaults.seed, help="default: %(default)s"
    )
    p.add_argument(
        "--threads",
        type=positive_int,
        default=defaults.num_threads,
        help="torch threads (default: %(default)s)",
    )
    p.add_argument(
        "--data",
        type=path_arg_for("a .npz or .csv data file", "--data table.csv"),
        default=None,
        help="train on FILE.npz or FILE.csv instead of synthetic data",
    )
    p.add_argument(
        "--no-guard",
        dest="guard",
        action="store_false",
        help="do not stop when the loss blows up (see the divergence guard)",
    )
    p.add_argument(
        "--json", action="store_true", help="end with one JSON object of the results (or the error)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets linreg``; return the exit status."""
    from linearnets.cli import refuse_data_parallel

    refuse_data_parallel("linreg")
    _refuse_synthetic_options_with_data(args)
    # checked before torch loads: a bad setting is told at once, not a second or more later
    config = LinregConfig(
        impl=args.impl,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        num_examples=args.num_examples,
        noise_std=args.noise_std,
        seed=args.seed,
        num_threads=args.threads,
        data=args.data,
        guard=args.guard,
    )
    from linearnets.tasks.linreg import run_linreg
    from linearnets.training.callbacks import ConsoleLogger

    try:
        result = run_linreg(config, callbacks=[ConsoleLogger(progress=False)])
    except KeyboardInterrupt as exc:
        if type(exc) is not KeyboardInterrupt:  # one that says where it stopped already
            raise
        raise LinregInterrupted(*exc.args) from None
    _print_errors(result)
    if args.json:
        summary = result.summary()
        summary["config"] = config.to_dict()
        print(dumps_strict(summary))
    return 0


class LinregInterrupted(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM during ``linearnets linreg``, which keeps no run folder: the way on is
    to run it again (it said only "interrupted")."""

    def __str__(self) -> str:
        return (
            f"{signal_name(self) or 'interrupted'}; linear regression keeps no run folder or "
            "checkpoint (a run takes seconds): run the same command again"
        )


def _refuse_synthetic_options_with_data(args: argparse.Namespace) -> None:
    """Refuse --num-examples or --noise-std given with --data, whose file decides the examples."""
    given = [
        option
        for option, value in (
            ("--num-examples", args.num_examples),
            ("--noise-std", args.noise_std),
        )
        if value is not None
    ]
    if args.data is not None and given:
        raise UsageError(
            f"{' and '.join(given)} {'sets' if len(given) == 1 else 'set'} the synthetic data and "
            f"cannot be combined with --data {args.data} (the file decides the examples); drop "
            f"{' and '.join(given)}, or drop --data"
        )


def _print_errors(result: LinregResult) -> None:
    """Print the learned w and b, then how far they are from the truth and the closed form."""
    from linearnets.training.callbacks import fixed

    fmt = ", ".join
    print(f"w: [{fmt(fixed(v, 6) for v in result.w)}]  b: {fixed(result.b, 6)}")
    if result.w_error is None or result.b_error is None:
        print("error vs truth:       n/a (--data has no known truth)")
    else:
        print(
            f"error vs truth:       w [{fmt(f'{v:+.2e}' for v in result.w_error)}]"
            f"  b {result.b_error:+.2e}"
        )
    print(
        f"error vs closed form: w [{fmt(f'{v:+.2e}' for v in result.w_error_closed)}]"
        f"  b {result.b_error_closed:+.2e}"
    )
