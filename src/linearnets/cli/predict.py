"""``linearnets predict RUN_DIR``: reload a run's weights and draw predictions (D2L §3.6.7)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets._text import display_width, padded, quoted_path, shown_path
from linearnets.cli._options import (
    add_data_dir_option,
    add_lang_option,
    add_show_count,
    check_show_count,
    path_arg_for,
)
from linearnets.cli._predict_inputs import (
    check_weights_kept,
    load_fashion_mnist_model,
    read_test_set,
    weights_stamp,
)
from linearnets.cli._unencodable import as_written
from linearnets.errors import UsageError

if TYPE_CHECKING:
    from linearnets.data.fashion_mnist import FashionMNISTArrays
    from linearnets.data.loader import ArrayLoader

_SHOWN = 6  # -n's default: the images one figure shows


def add_parser(sub: Any) -> None:
    """Register the ``predict`` subcommand."""
    p = sub.add_parser(
        "predict",
        help="reload a run's weights and draw predictions (§3.6.7)",
        description="Reload the weights a 'linearnets softmax' run saved, predict the first N test "
        "images, print each one's true and predicted label ('true -> predicted') and draw them "
        "in rows of at most 10, each titled with its true label over the predicted one (mistakes "
        "in red). With --wrong, the first N test images the model gets wrong instead.",
    )
    p.add_argument(
        "run_dir",
        type=path_arg_for("the run folder a 'linearnets softmax' run wrote", "runs/a"),
        metavar="RUN_DIR",
        help="folder written by 'linearnets softmax'",
    )
    add_show_count(p, default=_SHOWN, images="test images")
    p.add_argument(
        "--out",
        type=path_arg_for("an image file", "--out predictions.png", file=True),
        default=None,
        metavar="FILE",
        help="image file (default: RUN_DIR/predict-N.png, with --wrong RUN_DIR/predict-wrong-N.png)",
    )
    p.add_argument(
        "--wrong",
        action="store_true",
        help="draw the first N test images the model gets wrong, in test-set order (§3.6.7's "
        "shirts taken for T-shirts or coats), print each one's index in the test set (from 0) and "
        "end with how many of the whole test set are wrong",
    )
    add_data_dir_option(
        p,
        help="folder holding the Fashion-MNIST files, the test split's two (t10k-*) enough "
        "(default: the run's --data-dir while it holds them, else search the usual places)",
    )
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets predict``; return the exit status."""
    from linearnets.cli import refuse_data_parallel

    refuse_data_parallel("predict")
    from linearnets.data.loader import ArrayLoader
    from linearnets.inference import draw_predictions
    from linearnets.plotting._fonts import check_lang_font
    from linearnets.plotting._image_args import even_grid
    from linearnets.training.run_config import run_dir_path

    # "~/runs/a" (quoted, or from a script) is the shell's, as --out's and --data-dir's are
    run_dir = run_dir_path(args.run_dir, example="runs/a", name="RUN_DIR")
    out = _checked_out(args, run_dir)
    weights = weights_stamp(run_dir)  # before the load: a resume may remove them meanwhile
    net, meta, trained_on = load_fashion_mnist_model(run_dir, data_dir=args.data_dir)
    if args.out is None:
        # after the load: a folder that is no softmax run (no model.pt, a linreg run, /proc/self)
        # was told to take --out, then refused for what no --out fixes
        _check_writable(run_dir, out.name)
    check_lang_font(args.lang)  # before reading the test set
    arrays = read_test_set(args.data_dir, trained_on)
    if args.wrong:
        _draw_mistakes(args, net, meta, arrays, run_dir=run_dir, out=out, weights=weights)
        return 0
    test_iter = ArrayLoader(
        arrays.test_images[: args.n],
        arrays.test_labels[: args.n],
        args.n,
        shuffle=False,
        resize=meta.get("resize"),  # a model.pt without it was trained on 28×28 images
    )
    # rows of at most 10: the book's one row of 100 images is a strip too thin to read
    # --out checked above, RUN_DIR/predict-N.png its own: predict would refuse it as the run's
    draw_predictions(net, test_iter, args.n, out=out, lang=args.lang, num_cols=even_grid(args.n)[1])
    check_weights_kept(run_dir, weights, out, n=args.n)
    _print_predictions(net, test_iter, out, lang=args.lang)
    return 0


def _checked_out(args: argparse.Namespace, run_dir: Path) -> Path:
    """Return the figure's path (``~`` expanded) once ``run_dir`` (RUN_DIR, ``~`` expanded), -n and
    --out are valid; nothing is read before."""
    from linearnets.plotting._mpl import check_out_path, matplotlib_module
    from linearnets.training.run_dir_checks import check_reachable
    from linearnets.training.runs import check_not_a_runs_figure, predict_figure_name

    check_reachable(run_dir, name="RUN_DIR")  # Path.is_dir raised the bare PermissionError
    if not run_dir.is_dir():
        # quoted, as given: a folder named "lr=0.5" is no setting (read as --lr 0.5 unquoted)
        raise UsageError(
            f"RUN_DIR must be a run folder, got {quoted_path(run_dir)}, which "
            f"{'is not a folder' if run_dir.exists() else 'does not exist'}; pass the folder a "
            "'linearnets softmax' run wrote"
        )
    check_show_count(args.n, default=_SHOWN)
    name = predict_figure_name(args.n, wrong=args.wrong)
    if args.out is None:
        _check_no_folder_in_place(run_dir, name)
    else:
        _check_not_another_runs_folder(args.out, run_dir, name)
    out = check_out_path("--out", args.out or run_dir / name, file_name=name)
    # not over a file of a run's, nor as another run's (or other -n's) predictions
    check_not_a_runs_figure(
        "--out",
        out,
        own=run_dir / name,
        fix=f"leave out --out to draw into {shown_path(run_dir / name)}, or pass a file outside "
        f"the run folder{_bare_name(name, run_dir)}",
    )
    _check_not_in_another_runs_folder(out, run_dir, name)
    matplotlib_module()  # a bad MPLBACKEND is named before the model and the images are read
    return out


def _bare_name(name: str, run_dir: Path) -> str:
    """Return the example ending a fix that passes --out elsewhere: ``, e.g. --out NAME`` (a
    file in the current folder), where the current folder holds no run and can be written in
    (else ``~/NAME`` or one in the temporary folder: a read-only current folder refused the
    bare name again); else a warning off it. Inside another run's folder, the bare name offered
    was refused again, as passing for that run's predictions; inside ``run_dir`` itself it was
    called "a run too"."""
    from linearnets._shell import typed_path
    from linearnets.path_writable import writable_example
    from linearnets.training.run_files import holds_a_linearnets_run

    here = Path.cwd()
    try:
        inside_a_run = holds_a_linearnets_run(here)
        inside_this_run = inside_a_run and here.samefile(run_dir)
    except OSError:  # the current folder cannot be looked into: no file there is offered
        inside_a_run, inside_this_run = True, False
    if not inside_a_run:
        example = writable_example(name, run_dir)  # the bare name where the current folder allows
        return f", e.g. --out {typed_path(example)}" if example else ""
    if inside_this_run:
        return " (outside the current folder, which is RUN_DIR)"
    return " (not in the current folder, which holds a run too)"


def _check_not_another_runs_folder(given: str, run_dir: Path, name: str) -> None:
    """Refuse an --out (``given``) that is the folder of a run other than ``run_dir``'s: told to
    name a file in it (``r2/predict-2.png``), the file was then refused as passing for that run's
    predictions. A file outside it is offered, or ``name`` (predict's figure) in ``run_dir``."""
    from linearnets.path_checks import expand_user
    from linearnets.training.run_files import holds_a_linearnets_run

    folder = expand_user("--out", given)
    try:
        if not folder.is_dir() or not holds_a_linearnets_run(folder) or folder.samefile(run_dir):
            return
    except OSError:  # a folder that cannot be looked into: check_out_path names it
        return
    raise UsageError(
        f"--out {shown_path(folder)} is a folder, and holds another run than "
        f"{shown_path(run_dir)}'s: a "
        f"figure drawn in it would pass for that run's; leave out --out to draw into "
        f"{shown_path(run_dir / name)}, or pass a file outside that run's folder"
        f"{_bare_name(name, run_dir)}"
    )


def _check_not_in_another_runs_folder(out: Path, run_dir: Path, name: str) -> None:
    """Refuse a figure ``out`` in the folder of a run other than ``run_dir``'s (``--out
    r2/x.png``): as ``--out r2`` is refused, any figure drawn there would pass for that run's.
    ``run_dir``'s own folder keeps its rules (:func:`check_not_a_runs_figure`). The folder is
    the one ``out`` lands in (``r2/nd/../x.png`` is in ``r2``), and a run of linearnets' (another
    tool's ``model.pt`` makes no run of a folder)."""
    from linearnets.training.run_files import holds_a_linearnets_run, landing_folder

    folder = landing_folder(out)
    try:
        if not holds_a_linearnets_run(folder) or folder.samefile(run_dir):
            return
    except OSError:  # a folder that cannot be looked into: the write names the problem
        return
    raise UsageError(
        f"--out {shown_path(out)} is in the folder {shown_path(folder)}, which holds another run "
        f"than {shown_path(run_dir)}'s: a figure drawn in it would pass for that run's; leave "
        f"out --out to draw into {shown_path(run_dir / name)}, or pass a file outside that "
        f"run's folder{_bare_name(name, run_dir)}"
    )


def _check_no_folder_in_place(run_dir: Path, name: str) -> None:
    """Refuse a ``run_dir`` holding a folder where the default figure ``name`` goes: it was told as
    an --out never given, with a file in that folder as the fix."""
    try:
        in_place = (run_dir / name).is_dir()
    except OSError:  # a folder that cannot be searched: check_out_path names it
        return
    if in_place:
        raise UsageError(
            f"RUN_DIR must be a folder the figure {name} can be written in when no --out is "
            f"given, got {quoted_path(run_dir)}, which holds a folder "
            f"{quoted_path(run_dir / name)} in its place; move or rename that folder, or pass "
            f"--out to write the figure elsewhere{_bare_name(name, run_dir)}"
        )


def _check_writable(run_dir: Path, name: str) -> None:
    """Refuse a ``run_dir`` the default figure ``name`` cannot be written into, naming RUN_DIR: the
    refusal at saving blamed an --out that was never given, once the model had been run. Called
    once the model is loaded, before the test images are read: a folder that is no softmax run is
    refused as such first."""
    from linearnets.path_writable import on_read_only_file_system

    if os.access(run_dir, os.W_OK | os.X_OK):
        return
    read_only = on_read_only_file_system(run_dir)  # where chmod cannot help
    raise UsageError(
        f"RUN_DIR must be a folder you can write to for the figure {name} when no --out is given, "
        f"got {quoted_path(run_dir)}, which "
        f"{'is on a read-only file system' if read_only else 'is not writable'}; pass --out to "
        f"write the figure elsewhere{_bare_name(name, run_dir)}"
    )


def _print_predictions(net: Any, test_iter: ArrayLoader, out: Path, *, lang: str) -> None:
    """Print each image's true and predicted label, then the count of correct ones."""
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels
    from linearnets.inference import predict_labels

    X, y = next(iter(test_iter))
    pred = predict_labels(net, X)
    trues = get_fashion_mnist_labels(y, lang=lang)
    column = _label_column(trues)
    for true, guess in zip(trues, get_fashion_mnist_labels(pred, lang=lang), strict=True):
        wrong = "" if true == guess else "   (wrong)"
        print(f"{padded(as_written(true), column, right=True)} -> {guess}{wrong}")
    correct = int((pred == y).sum())
    print(f"{correct}/{len(y)} correct; figure: {shown_path(out)}")


def _draw_mistakes(
    args: argparse.Namespace,
    net: Any,
    meta: dict[str, Any],
    arrays: FashionMNISTArrays,
    *,
    run_dir: Path,
    out: Path,
    weights: tuple[int, ...] | None,
) -> None:
    """Draw and print the first -n test images ``net`` gets wrong (--wrong), and how many of the
    whole test set are wrong: nothing is drawn where there are none."""
    from linearnets.data.loader import ArrayLoader
    from linearnets.mistakes import find_mistakes
    from linearnets.plotting import plot_predictions
    from linearnets.plotting._image_args import even_grid
    from linearnets.plotting._runs_own import as_runs_own

    resize = meta.get("resize")
    test_iter = ArrayLoader(
        arrays.test_images,
        arrays.test_labels,
        _whole_set_batch(resize),
        shuffle=False,  # test-set order: the indices printed are the test set's
        resize=resize,
    )
    found = find_mistakes(net, test_iter, args.n, lang=args.lang)
    shown = len(found.indices)
    if shown:
        # checked (_checked_out): its own predict-wrong-N.png in RUN_DIR
        as_runs_own(plot_predictions)(
            found.images,
            found.true_labels,
            found.pred_labels,
            out=out,
            num_cols=even_grid(shown)[1],
        )
    # before anything is printed, as after predict's figure: "none wrong" was found with them too
    check_weights_kept(run_dir, weights, out, n=args.n, wrong=True, drawn=bool(shown))
    # the test set's last index is the widest
    width = len(str(found.num_examples - 1))
    column = _label_column(found.true_labels)
    for index, true, guess in zip(
        found.indices.tolist(), found.true_labels, found.pred_labels, strict=True
    ):
        label = padded(as_written(true), column, right=True)
        print(f"{f'#{index}':>{width + 1}} {label} -> {guess}   (wrong)")
    total, wrong = f"{found.num_examples:,}", f"{found.num_wrong:,}"
    if not shown:
        print(f"none of the {total} test images wrong: nothing to draw, no figure written")
    elif shown < args.n:
        print(
            f"only {wrong} of {total} test images wrong, fewer than -n {args.n}; figure: "
            f"{shown_path(out)}"
        )
    else:
        print(
            f"the first {shown} of {wrong} wrong in {total} test images; figure: {shown_path(out)}"
        )


def _label_column(labels: Sequence[str]) -> int:
    """Return the columns the true labels are right-aligned in: 12 (the book's English labels
    are at most 10), or the widest as written, escaped where stdout cannot encode it (an ASCII
    output writes 连衣裙 as 18 columns of escapes): the '->' after them lines up."""
    return max([12, *(display_width(as_written(label)) for label in labels)])


def _whole_set_batch(resize: int | None) -> int:
    """Return how many test images to predict at once: 1,000, or as many as fit in the loader's
    2 GiB of float32 images at the model's ``resize`` (and at their own 28×28)."""
    from linearnets.config_checks import MAX_BATCH_BYTES

    side = max(resize or 28, 28)
    return max(1, min(1000, MAX_BATCH_BYTES // (side * side * 4)))
