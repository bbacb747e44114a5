"""``linearnets predict RUN_DIR``: reload a run's weights and draw predictions (D2L §3.6.7)."""

from __future__ import annotations

import argparse
import os
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from linearnets.errors import UsageError

if TYPE_CHECKING:
    from linearnets.data.loader import ArrayLoader


def add_parser(sub: Any) -> None:
    """Register the ``predict`` subcommand."""
    p = sub.add_parser(
        "predict",
        help="reload a run's weights and draw predictions (§3.6.7)",
        description="Reload the weights a 'linearnets softmax' run saved, predict the first N test "
        "images, print each one's true and predicted label ('true -> predicted') and draw them "
        "in rows of at most 10, each titled with its true label over the predicted one (mistakes "
        "in red).",
    )
    p.add_argument(
        "run_dir",
        type=path_arg_for("the run folder a 'linearnets softmax' run wrote", "runs/a"),
        metavar="RUN_DIR",
        help="folder written by 'linearnets softmax'",
    )
    add_show_count(p, default=6, images="test images")
    p.add_argument(
        "--out",
        type=path_arg_for("an image file", "--out predictions.png", file=True),
        default=None,
        metavar="FILE",
        help="image file (default: RUN_DIR/predict-N.png)",
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
    from linearnets.inference import predict
    from linearnets.plotting._image_args import even_grid
    from linearnets.training.run_config import run_dir_path

    # "~/runs/a" (quoted, or from a script) is the shell's, as --out's and --data-dir's are
    run_dir = run_dir_path(args.run_dir, example="runs/a", name="RUN_DIR")
    out = _checked_out(args, run_dir)
    weights = weights_stamp(run_dir)  # before the load: a resume may remove them meanwhile
    net, meta, trained_on = load_fashion_mnist_model(run_dir)
    arrays = read_test_set(args.data_dir, trained_on)
    test_iter = ArrayLoader(
        arrays.test_images[: args.n],
        arrays.test_labels[: args.n],
        args.n,
        shuffle=False,
        resize=meta.get("resize"),  # a model.pt without it was trained on 28×28 images
    )
    # rows of at most 10: the book's one row of 100 images is a strip too thin to read
    predict(net, test_iter, args.n, out=out, lang=args.lang, num_cols=even_grid(args.n)[1])
    check_weights_kept(run_dir, weights, out, n=args.n)
    _print_predictions(net, test_iter, out, lang=args.lang)
    return 0


def _checked_out(args: argparse.Namespace, run_dir: Path) -> Path:
    """Return the figure's path (``~`` expanded) once ``run_dir`` (RUN_DIR, ``~`` expanded), -n and
    --out are valid; nothing is read before."""
    from linearnets.plotting._mpl import check_out_path, matplotlib_module
    from linearnets.training.runs import check_not_a_runs_figure, predict_figure_name

    if not run_dir.is_dir():
        # quoted, as given: a folder named "lr=0.5" is no setting (read as --lr 0.5 unquoted)
        raise UsageError(
            f"RUN_DIR must be a run folder, got {str(run_dir)!r}, which "
            f"{'is not a folder' if run_dir.exists() else 'does not exist'}; pass the folder a "
            "'linearnets softmax' run wrote"
        )
    check_show_count(args.n)
    name = predict_figure_name(args.n)
    if args.out is None:
        _check_writable(run_dir, name)
    out = check_out_path("--out", args.out or run_dir / name)
    # not over a file of a run's, nor as another run's (or other -n's) predictions
    check_not_a_runs_figure(
        "--out",
        out,
        own=run_dir / name,
        fix=f"leave out --out to draw into {run_dir / name}, or pass a file outside the run "
        f"folder, e.g. --out {name}",
    )
    matplotlib_module()  # a bad MPLBACKEND is named before the model and the images are read
    return out


def _check_writable(run_dir: Path, name: str) -> None:
    """Refuse a ``run_dir`` the default figure ``name`` cannot be written into, naming RUN_DIR: the
    refusal at saving blamed an --out that was never given, once the model had been run."""
    if os.access(run_dir, os.W_OK | os.X_OK):
        return
    try:
        read_only = bool(os.statvfs(run_dir).f_flag & os.ST_RDONLY)  # where chmod cannot help
    except (AttributeError, OSError):  # no statvfs (Windows)
        read_only = False
    raise UsageError(
        f"RUN_DIR must be a folder you can write to for the figure {name} when no --out is given, "
        f"got {str(run_dir)!r}, which "
        f"{'is on a read-only file system' if read_only else 'is not writable'}; pass --out to "
        f"write the figure elsewhere, e.g. --out {name}"
    )


def _print_predictions(net: Any, test_iter: ArrayLoader, out: Path, *, lang: str) -> None:
    """Print each image's true and predicted label, then the count of correct ones."""
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels
    from linearnets.inference import predict_labels

    X, y = next(iter(test_iter))
    pred = predict_labels(net, X)
    for true, guess in zip(
        get_fashion_mnist_labels(y, lang=lang),
        get_fashion_mnist_labels(pred, lang=lang),
        strict=True,
    ):
        print(f"{_right_aligned(true, 12)} -> {guess}{'' if true == guess else '   (wrong)'}")
    correct = int((pred == y).sum())
    print(f"{correct}/{len(y)} correct; figure: {out}")


def _right_aligned(text: str, width: int) -> str:
    """Pad ``text`` on the left to ``width`` terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(width - columns, 0) + text
