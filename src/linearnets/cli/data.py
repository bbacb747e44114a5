"""``linearnets data``: where Fashion-MNIST is, whether it verified, what it holds; show it; download it.

``linearnets data [--data-dir DIR]`` reports the files; ``data show`` draws the first training images;
``data download`` fetches the files where a network exists (D2L §3.5.1).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from linearnets._shell import shell_word
from linearnets._signals import first_signal
from linearnets._text import shown_path
from linearnets.cli import OneLineParser
from linearnets.cli._options import (
    add_data_dir_option,
    add_lang_option,
    add_show_count,
    check_show_count,
    path_arg_for,
)
from linearnets.errors import DatasetError, UsageError

SEARCH_HELP = "folder holding the Fashion-MNIST files (default: search the usual places)"

_SHOWN = 18  # -n's default: the images one figure shows
DEFAULT_FIGURE = Path("fashion-mnist.png")  # data show's --out when none is given


def add_parser(sub: Any) -> None:
    """Register the ``data`` subcommand and its actions ``show`` and ``download``."""
    p = sub.add_parser(
        "data",
        help="find, verify and show Fashion-MNIST (§3.5)",
        description="Report where Fashion-MNIST was found, whether it verified, and its counts per "
        "split and class; 'show' draws the first training images, 'download' fetches the files.",
    )
    add_data_dir_option(p, help=SEARCH_HELP)
    p.set_defaults(func=run, action=None)
    actions = p.add_subparsers(dest="action", metavar="[ACTION]", parser_class=type(p))
    _add_show(actions)
    _add_download(actions)
    if isinstance(p, OneLineParser):  # so an unknown option is named by 'data show', say
        p.subcommands, p.subcommand_dest = dict(actions.choices), "action"


def _add_show(actions: Any) -> None:
    """Register ``data show``: -n, --out, --lang and --data-dir."""
    show = actions.add_parser(
        "show",
        help="draw a labelled grid of the first N training images",
        description="Draw the first N training images, each titled with its text label.",
    )
    add_show_count(show, default=_SHOWN, images="images")
    show.add_argument(
        "--out",
        type=path_arg_for("an image file", "--out images.png", file=True),
        default=None,  # DEFAULT_FIGURE: told apart from an --out given, when it cannot be written
        metavar="FILE",
        help=f"image file, PNG, SVG or PDF (default: {DEFAULT_FIGURE} in the working folder)",
    )
    add_lang_option(show)
    # SUPPRESS: so 'data --data-dir DIR show' keeps DIR
    add_data_dir_option(show, default=argparse.SUPPRESS, help=SEARCH_HELP)


def _add_download(actions: Any) -> None:
    """Register ``data download``: --data-dir (where to) and --mirror."""
    download = actions.add_parser(
        "download",
        help="download the files (needs a network)",
        description="Download the four files into DIR/FashionMNIST/raw (or into DIR itself where "
        "it already holds some of them, or is a FashionMNIST/raw folder), verifying each; files "
        "already there and valid are kept. A FashionMNIST folder is refused: pass the one above.",
    )
    add_data_dir_option(
        download,
        default=argparse.SUPPRESS,
        what="the folder to download the Fashion-MNIST files into",
        help=(
            "folder to download into (default: ./data, found without --data-dir when no earlier "
            "place holds the files)"
        ),
    )
    download.add_argument(
        "--mirror",
        action="extend",
        nargs="+",
        default=None,
        metavar="URL",
        help="base URL to try, in order (repeatable; default: the official mirrors)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``linearnets data`` or one of its actions; return the exit status."""
    from linearnets.cli import refuse_data_parallel

    # every rank would print the report, draw the same file or download into the same folder
    refuse_data_parallel("data" if args.action is None else f"data {args.action}")
    if args.action == "show":
        return _show(args)
    if args.action == "download":
        return _download(args)
    return _report(args)


def _report(args: argparse.Namespace) -> int:
    try:  # the imports too: a Ctrl-C in them is told how to go on, as one in the check is
        from linearnets.data.fashion_mnist import TEXT_LABELS, read_fashion_mnist
        from linearnets.data.verify import cache_dir

        arrays = read_fashion_mnist(args.data_dir)
    except KeyboardInterrupt as exc:
        raise CheckStopped(exc) from None
    print(f"found: {arrays.found.source}")
    for name, path in arrays.found.paths.items():
        print(f"  {name:<24} {shown_path(path)}")
    total, now = len(arrays.found.paths), len(arrays.hashed_files)
    cached = f"unchanged since checked (verification cache {shown_path(cache_dir())})"
    if now == total:
        how = "size and MD5 checked now"
    elif now:  # a file changed on disk (or new) is checked again, the others are not
        how = f"{now} of them checked now (size and MD5), {total - now} {cached}"
    else:
        how = cached
    print(f"verified: {total} files, {how}")
    train = arrays.train_labels.bincount(minlength=len(TEXT_LABELS))
    test = arrays.test_labels.bincount(minlength=len(TEXT_LABELS))
    print(f"{'class':>5}  {'label':<12} {'train':>6} {'test':>6}")
    for i, label in enumerate(TEXT_LABELS):
        print(f"{i:>5}  {label:<12} {int(train[i]):>6} {int(test[i]):>6}")
    print(f"{'':>5}  {'total':<12} {len(arrays.train_labels):>6} {len(arrays.test_labels):>6}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels, read_fashion_mnist
    from linearnets.plotting import show_images
    from linearnets.plotting._fonts import check_lang_font
    from linearnets.plotting._image_args import even_grid
    from linearnets.plotting._mpl import check_out_path, matplotlib_module
    from linearnets.plotting._out_path import check_out_writable
    from linearnets.training.runs import check_not_a_runs_figure

    check_show_count(args.n, default=_SHOWN)
    # before the dataset is read: its name, whether it is a run's, whether its folder is writable
    out = check_out_path(
        "--out", DEFAULT_FIGURE if args.out is None else args.out, file_name=DEFAULT_FIGURE.name
    )
    check_not_a_runs_figure(
        "--out", out, fix=f"pass a file outside the run folder, e.g. --out {DEFAULT_FIGURE}"
    )
    if args.out is None:
        _check_default_writable(out)
    else:
        check_out_writable("--out", out)
    matplotlib_module()  # so is a bad MPLBACKEND
    check_lang_font(args.lang)  # before reading the files
    try:  # a Ctrl-C as the files are read or the figure drawn is told how to go on
        arrays = read_fashion_mnist(args.data_dir, test=False)  # training images alone
        images = arrays.train_images[: args.n]  # (n, 28, 28)
        titles = get_fashion_mnist_labels(arrays.train_labels[: args.n], lang=args.lang)
        # rows as even as predict's: the book's 18 in 2 of 9, 10 in one row, not 9 and 1 alone
        num_rows, num_cols = even_grid(args.n)
        show_images(images, num_rows, num_cols, titles=titles, out=out)
    except KeyboardInterrupt as exc:
        raise ShowStopped(exc, out=out) from None
    what = "image" if args.n == 1 else "images"
    source = shown_path(arrays.found.folder)
    print(f"wrote {shown_path(out)} ({args.n} training {what} from {source})")  # ~ expanded
    return 0


def _check_default_writable(out: Path) -> None:
    """Refuse the default figure ``out`` (no --out given) where its folder cannot be written, named
    as the default: "--out must be a file in a folder you can write to" blamed an --out never
    given. The fix is a file in a folder that can be written, not this one."""
    from linearnets._shell import typed_path
    from linearnets.path_writable import unwritable_reason, writable_example

    reason = unwritable_reason(out)
    if reason is None:
        return
    example = writable_example(out.name, out.parent)
    raise UsageError(
        f"the default figure {out} (no --out given) cannot be written: {reason}; pass --out "
        f"FILE in a folder you can write to{f', e.g. --out {typed_path(example)}' if example else ''}"
    )


DEFAULT_DOWNLOAD_DIR = Path("data")  # found by a search without --data-dir, after earlier places


def _download(args: argparse.Namespace) -> int:
    root = args.data_dir if args.data_dir is not None else DEFAULT_DOWNLOAD_DIR
    began = False
    try:  # the imports too: a Ctrl-C in them is told how to go on, as one in the download is
        from linearnets.data.download import download_fashion_mnist
        from linearnets.data.mirrors import DEFAULT_MIRRORS

        began = True
        folder = download_fashion_mnist(root, mirrors=args.mirror or DEFAULT_MIRRORS)
    except UsageError as exc:
        if args.data_dir is not None or not str(exc).startswith("root must "):
            raise
        raise _default_refused(exc) from None
    except KeyboardInterrupt as exc:
        raise DownloadStopped(exc, root=root, began=began) from None
    print(
        f"Fashion-MNIST is verified in {shown_path(folder)}; use it with --data-dir "
        f"{shell_word(root)}{_found_first(folder)}"
    )
    return 0


def _found_first(folder: Path) -> str:
    """Return the clause saying which copy a search without --data-dir reads where it is another
    than the one in ``folder`` (the Debian package's, ``$LINEARNETS_DATA``'s): ./data, the default,
    is searched after them; "" where the search reads ``folder`` or finds none."""
    import warnings

    from linearnets._paths import same_folder
    from linearnets.data.files import find_fashion_mnist

    try:
        with warnings.catch_warnings():  # a LINEARNETS_DATA passed over: said when it is read
            warnings.simplefilter("ignore")
            found = find_fashion_mnist()
    except (UsageError, DatasetError, OSError):
        return ""
    if same_folder(found.folder, folder):
        return ""
    # "Debian package dataset-fashion-mnist: /usr/share/...": said "the copy of the $LINEARNETS_DATA:
    # /path"; the folder, then which place it is
    label = found.source.removesuffix(f": {shown_path(found.directory)}")
    place = "from $LINEARNETS_DATA" if label == "$LINEARNETS_DATA" else label
    return f" (without --data-dir, the copy in {shown_path(found.folder)} ({place}) is found first)"


class CheckStopped(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM while ``linearnets data`` found and checked the files: nothing is
    written but the verification cache, each entry whole, so the same command starts again."""

    def __init__(self, exc: KeyboardInterrupt) -> None:
        super().__init__(*exc.args)
        self.signal_name = first_signal(exc)

    def __str__(self) -> str:
        return (
            f"interrupted by {self.signal_name} while the Fashion-MNIST files were found and "
            "checked; the files are as they were: run the same command again"
        )


class ShowStopped(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM while ``data show`` read the files or drew the figure: the files are
    only read, and the figure is written whole or not at all (a temporary file renamed), so the
    same command starts again."""

    def __init__(self, exc: KeyboardInterrupt, *, out: Path) -> None:
        super().__init__(*exc.args)
        self.signal_name, self.out = first_signal(exc), out

    def __str__(self) -> str:
        return (
            f"interrupted by {self.signal_name} while the images were read and drawn; "
            f"{shown_path(self.out)} is not left half written: run the same command again"
        )


class DownloadStopped(KeyboardInterrupt):
    """A Ctrl-C or SIGTERM during ``data download``: each file is written whole or not at all, so
    the files verified so far stay and running the command again fetches the rest only.

    What the stop left is said as the library's :class:`~linearnets.data.download.DownloadInterrupted`
    found it (the files kept, by name, or the folder made for the download, removed again); a stop
    before the files were fetched (while those there were checked: maybe all four, valid, with
    nothing to fetch) left nothing cut short; one before it ``began`` (while its modules were
    imported), nothing at all.
    """

    def __init__(self, exc: KeyboardInterrupt, *, root: Path, began: bool = True) -> None:
        super().__init__(*exc.args)
        self.signal_name = first_signal(exc)
        self.stop = exc
        self.root = root
        self.began = began

    def __str__(self) -> str:
        if not self.began:
            return (
                f"interrupted by {self.signal_name} before the download began; nothing under "
                f"{shown_path(self.root)} was read or written: run the same command again"
            )
        from linearnets.data.download import DownloadInterrupted

        if isinstance(self.stop, DownloadInterrupted):
            return self.stop.describe(again="run the same command again")
        return (
            f"interrupted by {self.signal_name} while the files already under "
            f"{shown_path(self.root)} were checked, before any was downloaded; none is left cut "
            "short: run the same command again (it fetches only what is missing or damaged)"
        )


def _default_refused(exc: UsageError) -> UsageError:
    """Return the refusal of the default folder ``./data`` (``exc``: the library's of ``root``)
    naming it as such: no --data-dir was given, so "--data-dir must ..." blamed none the user typed.
    Where there is no ./data, nothing is to be moved away: the current folder cannot take it; where
    files in it are to be renamed or moved (:class:`FilesToMoveError`), its own fix says how."""
    from linearnets.data.download_destination import FilesToMoveError

    # "root must be <rule>, got <what>; <fix>": the rule and what was found, with this fix
    text = str(exc).removeprefix("root ")
    if isinstance(exc, FilesToMoveError):  # its fix renames or moves files inside ./data: kept
        return UsageError(
            f"the default download folder ./{DEFAULT_DOWNLOAD_DIR} (no --data-dir given) {text}"
        )
    head, fix_follows, _ = text.rpartition("; ")
    rule = head if fix_follows else text
    if not os.path.lexists(DEFAULT_DOWNLOAD_DIR):  # nothing to move: the folder it goes in
        return UsageError(
            f"the default download folder ./{DEFAULT_DOWNLOAD_DIR} (no --data-dir given) {rule}: "
            f"the current folder {shown_path(Path.cwd())} cannot be written; pass --data-dir "
            "DIR, a folder you can write to"
        )
    return UsageError(
        f"the default download folder ./{DEFAULT_DOWNLOAD_DIR} (no --data-dir given) {rule}; move "
        "it away, or pass --data-dir DIR to download elsewhere"
    )
