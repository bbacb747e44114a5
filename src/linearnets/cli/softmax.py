"""``linearnets softmax``: train softmax regression on Fashion-MNIST (D2L §3.6–3.7)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from linearnets._json import dumps_strict
from linearnets._signals import first_signal, held_signals
from linearnets._text import shown_path
from linearnets.cli import _ranks
from linearnets.cli._options import (
    NO_RESIZE,
    RUNS_OWN,
    add_data_dir_option,
    add_guard_options,
    add_resume_options,
    check_resume_options,
    learning_rate,
    non_negative_int,
    path_arg_for,
    positive_int,
    resize_side,
)
from linearnets.cli._report import resume_as_asked
from linearnets.config import PLOT_MODES, SOFTMAX_IMPLS, SoftmaxConfig
from linearnets.errors import UsageError

if TYPE_CHECKING:
    from linearnets.tasks.training_run import SoftmaxResult
    from linearnets.training.distributed import DistContext

# argparse destination -> SoftmaxConfig field; every option defaults to None so that a resumed run
# can tell the settings given on the command line from the ones it keeps
_FIELDS = {
    "impl": "impl",
    "epochs": "epochs",
    "lr": "lr",
    "batch_size": "batch_size",
    "seed": "seed",
    "threads": "num_threads",
    "resize": "resize",
    "data_dir": "data_dir",
    "data": "data",
    "out": "out",
    "plot": "plot",
    "device": "device",
    "guard": "guard",
}


def add_parser(sub: Any) -> None:
    """Register the ``softmax`` subcommand."""
    p = sub.add_parser(
        "softmax",
        help="train softmax regression on Fashion-MNIST (§3.6–3.7)",
        description="Train softmax regression on Fashion-MNIST and write a run folder with the config, "
        "per-epoch metrics and checkpoints, curves, predictions, confusion matrix and weights. "
        "Ctrl-C stops after the current step and keeps the last epoch's checkpoint; --resume continues.",
    )
    defaults = SoftmaxConfig()  # shown in the help; the options default to None (see _FIELDS)
    # in this order in --help: what is trained, on what and where to, then how a run continues
    _add_training_options(p, defaults)
    _add_data_and_output_options(p, defaults)
    add_resume_options(
        p,
        force_help="with --resume: accept changed --impl/--lr/--batch-size/--seed, or a --data "
        "file of the same shape (a new image size or number of features or classes is refused: "
        "the weights cannot carry over)",
    )
    p.set_defaults(func=run)


def _add_training_options(p: argparse.ArgumentParser, d: SoftmaxConfig) -> None:
    """Add the options of the model and its training: --impl, --epochs, --lr, ..., --resize."""
    p.add_argument(
        "--impl",
        choices=SOFTMAX_IMPLS,
        help="scratch (§3.6: autograd), analytic (scratch, explicit gradient) or concise (§3.7: "
        f"nn.Linear) ({RUNS_OWN}; default: {d.impl})",
    )
    p.add_argument("--epochs", type=positive_int, help=f"{RUNS_OWN}; default: {d.epochs}")
    p.add_argument("--lr", type=learning_rate, help=f"learning rate ({RUNS_OWN}; default: {d.lr})")
    p.add_argument(
        "--batch-size",
        type=positive_int,
        help=f"global batch size, also under torchrun ({RUNS_OWN}; default: {d.batch_size})",
    )
    p.add_argument("--seed", type=non_negative_int, help=f"{RUNS_OWN}; default: {d.seed}")
    p.add_argument(
        "--threads",
        type=positive_int,
        help=f"torch threads ({RUNS_OWN}; default: {d.num_threads}); results are "
        "bit-identical at a fixed count; "
        "more threads speed training up only while a core stays free for drawing the figures",
    )
    p.add_argument(
        "--resize",
        type=resize_side,
        metavar="N|none",
        help=f"resize images to N×N, or none: the 28×28 images as stored ({RUNS_OWN}; default: "
        "none)",
    )


def _add_data_and_output_options(p: argparse.ArgumentParser, d: SoftmaxConfig) -> None:
    """Add the options of the data, the device and the run folder: --data-dir ... --guard."""
    add_data_dir_option(
        p,
        help=f"folder holding the Fashion-MNIST files ({RUNS_OWN}; default: search the usual "
        "places)",
    )
    p.add_argument(
        "--data",
        type=path_arg_for("a .npz data file", "--data train.npz", file=True),
        metavar="FILE",
        help="train on FILE.npz (arrays X, y, optionally X_test, y_test) instead of Fashion-MNIST",
    )
    p.add_argument(
        "--device",
        help=f"auto, cpu, cuda, cuda:N or mps ({RUNS_OWN}; default: {d.device}: the fastest here)",
    )
    p.add_argument(
        "--out",
        type=path_arg_for("a run folder", "--out runs/a"),
        metavar="DIR",
        help="run folder to create (default: runs/softmax-IMPL-TIME)",
    )
    p.add_argument(
        "--plot",
        choices=PLOT_MODES,
        help="auto: live figure in Jupyter, files elsewhere; file: PNG/SVG in the run folder; "
        f"none: no figures ({RUNS_OWN}; default: auto)",
    )
    add_guard_options(p)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """Return the config settings given on the command line, by SoftmaxConfig field; ``--resize
    none`` as ``resize=None``, given (a resume asked for the images' own size), not left out."""
    given = {f: getattr(args, a) for a, f in _FIELDS.items() if getattr(args, a) is not None}
    if given.get("resize") == NO_RESIZE:
        given["resize"] = None
    return given


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets softmax``; return the exit status."""
    try:
        # a stop as the options are checked is one before training too (it said "interrupted" alone)
        given = _given(args)
        check_resume_options(args)
        # checked before torch loads: a bad setting is told at once, not a second or more later
        config = SoftmaxConfig(**given) if args.resume is None else None
        # held as in _train: these load the training modules; a stop here or while a resume's
        # config is read is one before training too (it said "interrupted by SIGTERM" alone)
        with held_signals(raise_after=True):
            from linearnets.tasks.softmax import device_for_group
            from linearnets.tasks.stopping import complete_when_returned
            from linearnets.training.distributed import env_int, init_distributed
        if config is not None:
            device_name = config.device
        else:  # a resume's: the run's own, unless given
            with held_signals(raise_after=True):  # a new run does without these modules (4 ms)
                from linearnets.tasks.resume import saved_config
            try:
                saved = saved_config(args.resume).get("config", {})
            except UsageError:
                if env_int("WORLD_SIZE", 1) <= 1:
                    raise
                # said once joined, to every process: refused before, it left them waiting
                saved = {}
            device_name = given.get("device", saved.get("device", SoftmaxConfig().device))
        # a device this process lacks is refused to every process once joined
        device, refused = device_for_group(device_name)
        if refused is None:  # one it has, given alike to all: said by rank 0, before the join
            _ranks.refuse_one_gpu_for_all(device_name)
        # a stop while waiting for the other processes is one before training too (it said
        # "interrupted" alone, not that nothing was trained nor what to do)
        dist = init_distributed(
            device=device, announce=lambda line: print(line, file=sys.stderr), refused=refused
        )
    except KeyboardInterrupt as exc:
        raise _stopped_before_training(exc, args) from None

    # a stop once the run returned (in the clean-up after it, before the summary): complete
    with complete_when_returned() as finished:
        _train(args, config, given, dist, finished)
        if dist.is_main:
            with held_signals(raise_after=False):  # the run is complete: its summary is whole
                _print_summary(finished[0], dist, as_json=args.json)
    return 0


def _train(
    args: argparse.Namespace,
    config: SoftmaxConfig | None,
    given: dict[str, Any],
    dist: DistContext,
    finished: list[SoftmaxResult],
) -> None:
    """Run or resume the training on every rank, logging each epoch; append its result to
    ``finished`` as it returns (one call: no signal is handled between the two)."""
    try:
        # held: an import a signal cuts may be left half made; the stop is told as any before
        # training ("interrupted by SIGTERM" alone did not say that nothing had started)
        with held_signals(raise_after=True):
            from linearnets.tasks.resume import resume_softmax
            from linearnets.tasks.softmax import run_softmax
            from linearnets.training.callbacks import ConsoleLogger
            from linearnets.training.distributed import shutdown_distributed
            from linearnets.training.interrupt import raise_run_stop
    except KeyboardInterrupt as exc:
        raise _stopped_before_training(exc, args) from None
    logger = ConsoleLogger()
    try:
        if config is not None:
            finished.append(run_softmax(config, callbacks=[logger], dist=dist))
        else:
            finished.append(
                resume_softmax(
                    args.resume, force=args.force, callbacks=[logger], dist=dist, **given
                )
            )
    except KeyboardInterrupt as exc:
        raise_run_stop(
            exc,
            returned=bool(finished),
            before_training=lambda stop: _stopped_before_training(stop, args),
        )
    except Exception:
        if dist.enabled and dist.is_main:  # said by rank 0 alone: the others lose it as it leaves
            _ranks.rank_0_reports()
        raise
    finally:
        logger.close()
        shutdown_distributed()


def _stopped_before_training(
    exc: KeyboardInterrupt, args: argparse.Namespace
) -> StoppedBeforeTraining:
    """Return the stop ``exc`` of the run or resume ``args`` asked for, before it trained: a
    resume's with the options given (read again: it may have come as they were gathered)."""
    given = _given(args) if args.resume is not None else {}
    return StoppedBeforeTraining(exc, resume=args.resume, given=given, force=args.force)


class StoppedBeforeTraining(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM while the run was prepared (data read, checkpoint checked), before any
    epoch: nothing was trained, a new run's folder is removed again and a resumed one keeps its
    checkpoint, so the same command starts it, or resumes it, again.

    A resume's is told as the command to run, its options ``given`` and ``force`` with it (and
    how its processes are started again): it said "resume DIR with the same command", and the
    plain ``--resume DIR`` run next trained the run's old settings, a forced ``--lr`` not being
    recorded yet."""

    def __init__(
        self,
        exc: KeyboardInterrupt,
        *,
        resume: str | None,
        given: Mapping[str, Any] | None = None,
        force: bool = False,
    ) -> None:
        super().__init__(*exc.args)
        self.signal_name = first_signal(exc)  # a Ctrl-C's, cut short by torchrun's SIGTERM too
        self.run_dir = resume
        self.given, self.force = dict(given or {}), force

    def __str__(self) -> str:
        first = _ranks.first_fix_a_peers_error(self.signal_name)
        if self.run_dir is None:
            stop = _ranks.stopped_by(self.signal_name, "before training began")
            return f"{stop}; nothing was trained or kept: {first}run the same command again"
        # not "nothing was trained": the run may hold every epoch, and lack only its final files
        stop = _ranks.stopped_by(self.signal_name, "before the resume trained")
        again = resume_as_asked(
            "softmax", self.run_dir, self.given, force=self.force, launched=_ranks.launched_again()
        )
        return f"{stop}; the run is as it was: {first}{again}"


def _print_summary(result: SoftmaxResult, dist: DistContext, *, as_json: bool) -> None:
    """Print the data, the final metrics, the hardest classes (if any class is harder than
    another) and the run folder (and --json)."""
    from linearnets.training.callbacks import fixed

    summary = result.summary()
    print(f"data: {result.data_source}")
    test_acc = "n/a" if summary["test_acc"] is None else f"{summary['test_acc']:.3f}"
    print(
        f"final: train loss {fixed(summary['train_loss'], 4)}, train acc {summary['train_acc']:.3f}, "
        f"test acc {test_acc}, {summary['seconds_per_epoch']:.3f} s/epoch"
        + (f" on {dist.world_size} processes" if dist.enabled else "")
    )
    hardest = _hardest_classes(summary["per_class_acc"])
    if hardest:
        print(
            f"hardest class{'es' if len(hardest) > 1 else ''} (test accuracy): "
            + ", ".join(_class_accuracy(name, acc) for name, acc in hardest)
        )
    print(f"run folder: {shown_path(result.run_dir)}")
    if as_json:
        print(dumps_strict(summary))


def _class_accuracy(name: str, acc: float) -> str:
    """Return ``name``'s accuracy as the summary shows it: "t-shirt 0.750" for a named class,
    "class 1: 0.750" for one named by its bare label (a --data file without class names), whose
    "1 0.750" read as two numbers."""
    if re.fullmatch(r"-?[0-9]+", name):
        return f"class {name}: {acc:.3f}"
    return f"{name} {acc:.3f}"


def _hardest_classes(per_class_acc: dict[str, float]) -> list[tuple[str, float]]:
    """Return the (at most 3) classes of the lowest test accuracy, lowest first (ties in class
    order): only those below the best class's, so no class when all score alike, and never every
    class of a run of 3 or fewer. A class with no test example has no accuracy (NaN): it is not
    among them."""
    scored = [(name, acc) for name, acc in per_class_acc.items() if acc == acc]
    if not scored:
        return []
    best = max(acc for _, acc in scored)
    return sorted(((name, acc) for name, acc in scored if acc < best), key=lambda kv: kv[1])[:3]
