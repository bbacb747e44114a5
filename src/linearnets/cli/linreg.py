"""``linearnets linreg``: train linear regression on synthetic data (D2L §3.2–3.3)."""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from linearnets._json import dumps_strict
from linearnets._signals import first_signal, held_signals
from linearnets._text import shown_path
from linearnets.cli._options import (
    RUNS_OWN,
    add_guard_options,
    add_resume_options,
    check_resume_options,
    learning_rate,
    noise_std_value,
    non_negative_int,
    num_examples,
    path_arg_for,
    positive_int,
)
from linearnets.cli._report import resume_as_asked
from linearnets.cli._usage_words import keep_runs_value
from linearnets.config import IMPLS, LinregConfig
from linearnets.config_checks import MAX_NOISE_STD
from linearnets.errors import UsageError

if TYPE_CHECKING:
    from linearnets.tasks.linreg import LinregResult


def add_parser(sub: Any) -> None:
    """Register the ``linreg`` subcommand."""
    defaults = LinregConfig()
    p = sub.add_parser(
        "linreg",
        help="train linear regression on y = Xw + b + noise (§3.2–3.3)",
        description="Train linear regression (scratch, analytic or concise) on the book's synthetic data and "
        "compare the learned w and b with the truth and with the closed-form least-squares solution. With "
        "--out DIR it keeps a run folder with a checkpoint after every epoch: Ctrl-C stops after the "
        "current step, and --resume continues.",
    )
    _add_training_options(p, defaults)
    _add_synthetic_options(p, defaults)
    _add_run_options(p, defaults)
    _add_folder_options(p)
    p.set_defaults(func=run)


def _add_training_options(p: argparse.ArgumentParser, defaults: LinregConfig) -> None:
    """Add the model and its optimization: --impl, --epochs, --lr, --batch-size."""
    p.add_argument(
        "--impl",
        choices=IMPLS,
        default=None,
        help="scratch (§3.2: autograd), analytic (scratch, explicit gradient: the same updates, "
        "not the closed form, which every run reports beside) or concise (§3.3: nn.Linear) "
        f"({RUNS_OWN}; default: {defaults.impl})",
    )
    p.add_argument(
        "--epochs", type=positive_int, default=None, help=f"{RUNS_OWN}; default: {defaults.epochs}"
    )
    p.add_argument(
        "--lr",
        type=learning_rate,
        default=None,
        help=f"learning rate ({RUNS_OWN}; default: {defaults.lr})",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help=f"{RUNS_OWN}; default: {defaults.batch_size}",
    )


def _add_synthetic_options(p: argparse.ArgumentParser, defaults: LinregConfig) -> None:
    """Add the synthetic data's size and noise (not with --data), and --seed."""
    # None when not given: the config fills in the book's, and --data refuses a value given
    p.add_argument(
        "--num-examples",
        type=num_examples,
        default=None,
        help=f"synthetic examples ({RUNS_OWN}; not with --data; default: {defaults.num_examples})",
    )
    p.add_argument(
        "--noise-std",
        type=noise_std_value,
        default=None,
        help=f"standard deviation of the synthetic noise, in [0, {MAX_NOISE_STD:g}] ({RUNS_OWN}; "
        f"not with --data; default: {defaults.noise_std})",
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=None, help=f"{RUNS_OWN}; default: {defaults.seed}"
    )


def _add_run_options(p: argparse.ArgumentParser, defaults: LinregConfig) -> None:
    """Add --threads, --data (a file in place of the synthetic data), --no-guard and --guard."""
    p.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help=f"torch threads ({RUNS_OWN}; default: {defaults.num_threads})",
    )
    p.add_argument(
        "--data",
        type=path_arg_for("a .npz or .csv data file", "--data table.csv", file=True),
        default=None,
        metavar="FILE",
        help="train on FILE.npz (arrays X, y) or FILE.csv (the last column y, a header row "
        "skipped) instead of synthetic data",
    )
    add_guard_options(p)


def _add_folder_options(p: argparse.ArgumentParser) -> None:
    """Add --out, --resume and --force, which keep and continue a run, and --json."""
    p.add_argument(
        "--out",
        type=path_arg_for("the run folder to create", "--out runs/a"),
        default=None,
        metavar="DIR",
        help="keep a run folder in DIR: config.json, metrics.jsonl/.csv, a checkpoint after "
        "every epoch and results.json; Ctrl-C then keeps the last epoch, and --resume continues",
    )
    add_resume_options(
        p,
        force_help="with --resume: accept a changed --impl/--lr/--batch-size/--seed/--num-examples/"
        "--noise-std/--data",
    )


# argparse destination -> LinregConfig field; the options default to None, so that a resumed run
# can tell the settings given on the command line from the ones it keeps
_FIELDS = {
    "impl": "impl",
    "epochs": "epochs",
    "lr": "lr",
    "batch_size": "batch_size",
    "num_examples": "num_examples",
    "noise_std": "noise_std",
    "seed": "seed",
    "threads": "num_threads",
    "data": "data",
    "guard": "guard",
    "out": "out",
}


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """Return the config settings given on the command line, by LinregConfig field."""
    return {f: getattr(args, a) for a, f in _FIELDS.items() if getattr(args, a) is not None}


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets linreg``; return the exit status."""
    from linearnets.cli import refuse_data_parallel

    # the options' own rules first, before torch loads: a wrong combination is told at once
    _refuse_synthetic_options_with_data(args)
    check_resume_options(args)
    refuse_data_parallel("linreg")  # loads torch: a stop there is one while starting
    try:
        # a stop as the settings are checked is one before training too (it said "interrupted" alone)
        given = _given(args)
        # checked before the training modules load: a bad setting is told at once
        config = LinregConfig(**given) if args.resume is None else None
        # held: an import a signal cuts may be left half made; a stop here is one before training
        # (it said "interrupted by SIGTERM" alone, not that nothing was kept nor what to do)
        with held_signals(raise_after=True):
            from linearnets.tasks.linreg import run_linreg
            from linearnets.tasks.linreg_resume import resume_linreg
            from linearnets.tasks.stopping import complete_when_returned
            from linearnets.training.callbacks import ConsoleLogger
            from linearnets.training.interrupt import raise_run_stop

            # a bar on a terminal for an epoch past a second (a million examples): the book's
            # 1,000 examples train in milliseconds, and a bar would flash
            logger = ConsoleLogger(delay=1.0)
            began = _TrainingBegan()
    except KeyboardInterrupt as exc:
        # its options read again: the stop may have come as they were gathered
        given = _given(args) if args.resume is not None else {}
        raise LinregInterrupted(
            *exc.args, out=args.out, resume=args.resume, given=given, force=args.force
        ) from None
    # a stop once a run kept in a folder returned (before its results are printed): complete
    with complete_when_returned() as finished:
        try:
            if config is not None:
                finished.append(run_linreg(config, callbacks=[logger, began]))
            else:
                with _resume_fixes(given, forced=args.force):
                    finished.append(
                        resume_linreg(
                            args.resume, force=args.force, callbacks=[logger, began], **given
                        )
                    )
        except KeyboardInterrupt as exc:
            raise_run_stop(
                exc,
                returned=bool(finished),
                before_training=lambda stop: LinregInterrupted(
                    *stop.args,
                    out=args.out,
                    resume=args.resume,
                    given=given,
                    force=args.force,
                    in_training=began.began,
                ),
            )
        with held_signals(raise_after=False):  # the run is complete: its results are whole
            _print_results(finished[0], as_json=args.json)
    return 0


@contextlib.contextmanager
def _resume_fixes(given: Mapping[str, Any], *, forced: bool = False) -> Iterator[None]:
    """Have a setting given with ``--resume`` that the run's config refuses (``--num-examples 2``,
    below the least its weights allow, which only the run's config can tell) told to be left out,
    the run's value kept, as the parser tells a value it refuses on a resume: the value the
    config advised (``pass e.g. num_examples=1000``) was then refused as a changed setting.
    ``forced`` (``--force``, a change meant): that value is advised, as its option
    (``pass e.g. --num-examples 1000``). The command's help is named, as the parser's refusals
    name it."""
    try:
        yield
    except UsageError as exc:
        text = str(exc)
        for field in given:
            option = "--" + next((a for a, f in _FIELDS.items() if f == field), field).replace(
                "_", "-"
            )
            found = re.search(rf"\bpass e\.g\. {field}=(\S+)$", text)
            if found is not None:
                value = f"{option} {found[1]}" if forced else None
                fix = f"{keep_runs_value(option, forced=value)} (see linearnets linreg --help)"
                text = text[: found.start()] + fix
        if text != str(exc):
            exc.args = (text,)
        raise


def _print_results(result: LinregResult, *, as_json: bool) -> None:
    """Print the data file (if any), the learned w and b, the truth (synthetic data), their
    errors, the run folder (with ``--out``) and ``--json``'s object."""
    if result.config is not None and result.config.data is not None:
        print(f"data: {result.data_source}")  # as softmax names its file; synthetic: the truth
    _print_errors(result)
    if result.run_dir is not None:
        print(f"run folder: {shown_path(result.run_dir)}")  # as softmax's last line names its own
    if as_json:  # results.json's object, as softmax prints its own
        print(dumps_strict(result.summary()))


class LinregInterrupted(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM during ``linearnets linreg`` before it kept anything: without ``--out``
    (no run folder: the way on is to run it again, or to keep one with ``--out DIR``), or before
    the folder was claimed or the resume began (it said only "interrupted").

    Told in ``linearnets softmax``'s words for the same stop, the signal named
    (:class:`~linearnets.cli.softmax.StoppedBeforeTraining`): a Ctrl-C said "interrupted before
    training began; nothing was kept", where softmax said "interrupted by SIGINT before training
    began; nothing was trained or kept".

    ``--json`` names it as softmax names the same stop (``error_type``): a run without a folder
    stopped in training (``in_training``: its plain ``KeyboardInterrupt`` came once ``fit``
    began) as ``TrainingInterrupted``, the name the run stopped with ``--out`` gives (it said
    ``LinregInterrupted``); any other, its data being made included (it was
    ``TrainingInterrupted`` without ``--out`` and ``StoppedBeforeTraining`` with it), as
    ``StoppedBeforeTraining``, with the folder of the resume it names as ``run_dir``.
    """

    def __init__(
        self,
        *args: object,
        out: object = None,
        resume: object = None,
        given: Mapping[str, Any] | None = None,
        force: bool = False,
        in_training: bool = False,
    ) -> None:
        super().__init__(*args)
        self.out, self.resume = out, resume
        self.given, self.force = dict(given or {}), force  # the resume's, for its command
        self.run_dir = resume  # the run --json names: the resume's, kept as it was
        in_training = in_training and out is None and resume is None
        self.error_type = "TrainingInterrupted" if in_training else "StoppedBeforeTraining"

    def __str__(self) -> str:
        stop = f"interrupted by {first_signal(self)}"
        if self.resume is not None:  # its options with it: config.json does not hold them yet
            again = resume_as_asked("linreg", str(self.resume), self.given, force=self.force)
            return f"{stop} before the resume trained; the run is as it was: {again}"
        if self.out is not None:
            return (
                f"{stop} before training began; nothing was trained or kept: run the same "
                "command again"
            )
        return (
            f"{stop}; linear regression kept no run folder or checkpoint: run the same command "
            "again, with --out DIR to keep a checkpoint after every epoch to resume from "
            "(linearnets linreg --resume DIR)"
        )


class _TrainingBegan:
    """A ``fit`` callback noting that training began: without ``--out`` a Ctrl-C in training is a
    plain ``KeyboardInterrupt``, as one while the data are made is, and only this tells them apart
    (:class:`LinregInterrupted`'s ``in_training``)."""

    def __init__(self) -> None:
        self.began = False

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        self.began = True


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
    """Print the learned w and b, the truth the synthetic data were drawn with and the closed-form
    least-squares solution, then how far the learned values are from each, each difference's
    direction said (the book's sign, D2L §3.2.7: truth − learned)."""
    from linearnets.training.callbacks import fixed

    fmt = ", ".join
    print(f"w: [{fmt(fixed(v, 6) for v in result.w)}]  b: {fixed(result.b, 6)}")
    if result.true_w is not None and result.true_b is not None:  # a --data file has none
        print(f"truth: w [{fmt(fixed(v, 6) for v in result.true_w)}]  b {fixed(result.true_b, 6)}")
    print(
        f"closed form: w [{fmt(fixed(v, 6) for v in result.closed_w)}]"
        f"  b {fixed(result.closed_b, 6)}  (least squares)"
    )
    if result.w_error is None or result.b_error is None:
        print("error vs truth:       n/a (--data has no known truth)")
    else:
        print(
            f"error vs truth:       w [{fmt(f'{v:+.2e}' for v in result.w_error)}]"
            f"  b {result.b_error:+.2e}  (truth - learned)"
        )
    print(
        f"error vs closed form: w [{fmt(f'{v:+.2e}' for v in result.w_error_closed)}]"
        f"  b {result.b_error_closed:+.2e}  (closed form - learned)"
    )
