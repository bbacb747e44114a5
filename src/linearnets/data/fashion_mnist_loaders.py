"""The book's Fashion-MNIST iterators: ``load_data_fashion_mnist`` (D2L §3.5.3)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from linearnets._text import shown_path
from linearnets._warn import warn
from linearnets.data.download_destination import (
    FilesToMoveError,
    RootNotWritableError,
    refuse_files_to_move,
    refuse_unwritable,
)
from linearnets.data.files import NotFoundError, find_fashion_mnist
from linearnets.data.folder_contents import DOWNLOAD_CALL
from linearnets.data.labels import CLASSES
from linearnets.data.loader import ArrayLoader
from linearnets.data.loader_checks import check_num_workers
from linearnets.data.mirrors import name_mirrors_setting
from linearnets.errors import DatasetError, DataWarning, UsageError
from linearnets.validation import check_positive_int

if TYPE_CHECKING:
    from linearnets.data.fashion_mnist_arrays import FashionMNISTArrays

__all__ = ["BOOK_ROOT", "load_data_fashion_mnist"]

# where the book's load_data_fashion_mnist downloads the files: torchvision's root "../data"
BOOK_ROOT = Path("..") / "data"


def load_data_fashion_mnist(
    batch_size: int,
    resize: int | Sequence[int] | None = None,
    *,
    root: str | Path | None = None,
    num_workers: int = 0,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> tuple[ArrayLoader, ArrayLoader]:
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST: train shuffled each epoch, test in order.

    Batches are lists ``[X, y]``, as the book's ``DataLoader`` gives them: ``X`` (B, 1, 28, 28) in
    [0, 1] and ``y`` int64 (B,), sliced from the whole set held
    in memory (on ``device`` when given) and converted per batch: ``X`` in torch's default dtype
    read at each batch, float32 unless changed, as the book's ``ToTensor`` gives it
    (``torch.set_default_dtype(torch.float64)`` gives float64 images, as in the book).

    Args:
        batch_size: B, images per batch (the last batch of an epoch may be shorter).
        resize: what the book hands ``transforms.Resize``: an int n (or ``[n]``) gives
            (B, 1, n, n), a pair (h, w) gives (B, 1, h, w), with the pixels of the book's
            ``Compose([Resize(n), ToTensor()])`` bit for bit (on the CPU;
            :mod:`linearnets.data.resample`).
        root: the folder holding the four files, directly or in ``FashionMNIST/raw`` (``None``:
            search the usual places, as docs/fashion-mnist.md lists, and where none holds them,
            download them into the book's ``../data/FashionMNIST/raw`` as the book's does, with a
            :class:`~linearnets.errors.DataWarning` saying so; a damaged copy found in
            ``../data`` is mended so, the files that fail their check downloaded again).
        num_workers: accepted for the book's signature, and kept as the loaders' ``num_workers``;
            slicing needs no worker processes.
        generator: source of the training set's shuffle; ``None`` uses torch's global generator.
        device: where the whole set is held and the batches come from (``None``: the CPU).

    Raises:
        DatasetError: the files are damaged (in ``../data``: and downloading them again failed,
            the message says why); or none was found and the download failed too (the
            message names the places searched, why the download failed and how to get them).
        UsageError: none was found, and ``FashionMNIST.mirrors`` is refused, or ``../data`` holds
            some of the files under other names or apart from the others (the message says how
            to rename or move them: nothing is downloaded).

    See D2L §3.5.3.
    """
    num_workers = check_num_workers(num_workers)
    # before the 60 MB are read and verified, with the book's batch size as the example
    batch_size = check_positive_int(
        "batch_size", batch_size, fix="pass e.g. batch_size=256, the book's"
    )
    arrays = _read_or_download(root)
    train_iter = ArrayLoader(
        arrays.train_images,
        arrays.train_labels,
        batch_size,
        shuffle=True,
        generator=generator,
        resize=resize,
        device=device,
        image_dtype=None,  # torch's default, as the book's ToTensor
        num_workers=num_workers,
        num_classes=len(CLASSES),  # ten, whichever labels a small copy holds
        classes=CLASSES,  # dataset.classes, as torchvision's FashionMNIST spells them
    )
    test_iter = ArrayLoader(
        arrays.test_images,
        arrays.test_labels,
        batch_size,
        shuffle=False,
        resize=resize,
        device=device,
        image_dtype=None,
        num_workers=num_workers,
        num_classes=len(CLASSES),
        classes=CLASSES,
    )
    return train_iter, test_iter


def _read_or_download(root: str | Path | None) -> FashionMNISTArrays:
    """Return the arrays in ``root``, or found by the search (``None``); where no place holds
    them, those downloaded into :data:`BOOK_ROOT`, as the book's ``FashionMNIST(root="../data",
    ..., download=True)`` does, from ``FashionMNIST.mirrors``; a damaged copy found there is
    mended so (:func:`_repaired`)."""
    # looked up where they are defined at each call: a patch of
    # linearnets.data.fashion_mnist.read_fashion_mnist (or of download_fashion_mnist) reaches them
    # (linearnets.data.fashion_mnist imports this module)
    from linearnets.data import download, fashion_mnist

    try:
        return fashion_mnist.read_fashion_mnist(root)
    except NotFoundError as exc:  # only a search raises it (a given root is refused otherwise)
        if exc.misplaced:  # the files are there: a setting to change, nothing to download
            raise
        not_found = exc
    except DatasetError as exc:  # damaged: in ../data, fetched again as the book's would be
        if root is not None or not _found_in_book_root():
            raise
        return _repaired(exc)
    # LINEARNETS_DATA set on purpose: the files are to be in its folder, not downloaded elsewhere
    if os.environ.get("LINEARNETS_DATA"):
        raise NotFoundError(
            what=not_found.what,
            searched=not_found.searched,
            fix=(
                "LINEARNETS_DATA is set, so nothing is downloaded into the book's ../data: "
                f"{DOWNLOAD_CALL}({os.environ['LINEARNETS_DATA']!r}) fetches the four files into "
                "the folder it names where a network exists, or unset it (unset LINEARNETS_DATA) "
                "to have load_data_fashion_mnist download them into ../data"
            ),
            misplaced=False,
        )
    where = f"{shown_path(BOOK_ROOT)}, the book's root ({os.path.abspath(BOOK_ROOT)})"
    head = (
        f"{not_found.what} not found (searched {not_found.searched}), and the download into {where}"
    )
    try:  # before the warning: a bad setting downloads nothing
        mirrors = _class_mirrors()
    except UsageError as exc:  # its example sets the class's mirrors: nothing to add after it
        raise type(exc)(f"{head}, was not tried: {exc}") from None
    try:  # before the warning too: no download into ../data is said where it would be refused
        # files there to rename or move, not fetched again (the download refuses them first)
        refuse_files_to_move(BOOK_ROOT, download.FASHION_MNIST_FILES)
        refuse_unwritable(BOOK_ROOT, download.FASHION_MNIST_FILES)
    except RootNotWritableError as exc:
        raise _unwritable(head, exc) from exc
    except FilesToMoveError as exc:
        raise _refused(head, exc) from exc
    warn(
        f"{not_found.what} not found on this machine: downloading it into {where}, as the book's "
        "load_data_fashion_mnist does (pass root=DIR to read a copy elsewhere)",
        DataWarning,
    )
    try:
        download.download_fashion_mnist(BOOK_ROOT, mirrors=mirrors)
    except RootNotWritableError as exc:
        raise _unwritable(head, exc) from exc
    except UsageError as exc:  # files to rename or move first: its fix, in its words
        raise _refused(head, exc) from exc
    except DatasetError as exc:  # no network, a mirror down: its own advice, said once
        raise DatasetError(f"{head}, failed: {_mirrors_from_python(str(exc))}") from exc
    return fashion_mnist.read_fashion_mnist(BOOK_ROOT)


def _found_in_book_root() -> bool:
    """Whether the search finds the files in :data:`BOOK_ROOT` (its ``FashionMNIST/raw``, or
    itself), where the book's ``FashionMNIST(root="../data", ..., download=True)`` would fetch a
    damaged one again; not where ``$LINEARNETS_DATA`` is set (nothing is downloaded then)."""
    if os.environ.get("LINEARNETS_DATA"):
        return False
    try:
        found = find_fashion_mnist(None)
    except (DatasetError, UsageError):
        return False
    return found.directory.resolve() == BOOK_ROOT.resolve()


def _repaired(damaged: DatasetError) -> FashionMNISTArrays:
    """Return the arrays of :data:`BOOK_ROOT` once its ``damaged`` files (the read's error) are
    downloaded again from ``FashionMNIST.mirrors``, as the book's ``FashionMNIST(root="../data",
    ..., download=True)`` does; where that fails or is refused before anything is fetched (no
    network, no mirror serving them, a refused setting, a folder that cannot be written, a file
    of the right size but another MD5, which a download never replaces), raise ``damaged``, its
    fix kept (naming the mirrors set, where they are not the default), saying why."""
    from linearnets.data import download, fashion_mnist
    from linearnets.data.download_destination import locate, needed_files
    from linearnets.data.mirrors import DEFAULT_MIRRORS

    where = f"{shown_path(BOOK_ROOT)}, the book's root ({os.path.abspath(BOOK_ROOT)})"
    try:  # read once: a generator is used up by the check
        mirrors = _class_mirrors()
    except UsageError as exc:  # the setting named, its example how to set it: the fix's
        # download(mirrors=ln.FashionMNIST.mirrors) would be refused too, so the default's stands
        raise _not_mended(damaged, str(exc), own_mirrors=False, refused=True) from exc
    own = tuple(mirrors) != tuple(DEFAULT_MIRRORS)
    names = download.FASHION_MNIST_FILES
    try:  # before the warning: no download is said where it would be refused
        needed_files(BOOK_ROOT, locate(BOOK_ROOT, names), names)
        refuse_files_to_move(BOOK_ROOT, names)
        refuse_unwritable(BOOK_ROOT, names)
    except RootNotWritableError as exc:
        why = f"{shown_path(BOOK_ROOT)} cannot be written ({_why_unwritable(exc)})"
        raise _not_mended(damaged, why, own_mirrors=own, refused=True) from exc
    except FilesToMoveError as exc:
        why = _book_root_named(str(exc))
        raise _not_mended(damaged, why, own_mirrors=own, refused=True) from exc
    except UsageError as exc:  # a file of its size, another MD5: never replaced
        # the damaged file itself: its fix stands; another one: said too, or the fix's download
        # is refused for it in turn (two tries)
        other = _book_root_named(str(exc)) if _names_another(str(exc), damaged, names) else None
        raise _not_mended(damaged, other, own_mirrors=own, refused=True) from exc
    what = str(damaged).split("; ", 1)[0]  # the file and its defect, not the fix done here
    warn(
        f"Fashion-MNIST's copy in {where} is damaged ({what}): downloading the files that "
        "fail their check again from ln.FashionMNIST.mirrors, as the book's "
        'FashionMNIST(root="../data", ..., download=True) does',
        DataWarning,
    )
    try:
        download.download_fashion_mnist(BOOK_ROOT, mirrors=list(mirrors))
    except (DatasetError, UsageError) as exc:  # today's error, its own fix, and why not fetched
        why = str(exc).split("; it was needed because the file there was rejected", 1)[0]
        why = name_mirrors_setting(why, "set ln.FashionMNIST.mirrors = [...] before calling it")
        raise _not_mended(damaged, why, own_mirrors=own) from exc
    return fashion_mnist.read_fashion_mnist(BOOK_ROOT)


def _names_another(refusal: str, damaged: DatasetError, names: dict[str, Any]) -> bool:
    """Return whether the download's ``refusal`` names a file of ``names`` other than the one
    ``damaged`` (the read's error, "PATH: defect; fix") is about."""
    about = str(damaged).split(": ", 1)[0]
    return any(name in refusal and name not in about for name in names)


def _not_mended(
    damaged: DatasetError, why: str | None, *, own_mirrors: bool, refused: bool = False
) -> DatasetError:
    """Return ``damaged`` (the read's error), its fix's download naming ``ln.FashionMNIST.mirrors``
    where they were set (``own_mirrors``), with ``why`` load_data_fashion_mnist's download of it
    again failed, or was ``refused`` before anything was fetched (``why`` ``None``: for a reason
    the fix covers)."""
    if len(damaged.args) == 1 and isinstance(damaged.args[0], str):
        text = damaged.args[0]
        if own_mirrors:  # its download() from the default mirrors, not the user's
            text = re.sub(
                rf"({re.escape(DOWNLOAD_CALL)}\('[^']*')\)",
                r"\1, mirrors=ln.FashionMNIST.mirrors)",
                text,
                count=1,
            )
        if why is not None:
            ended = "was refused before fetching anything" if refused else "failed"
            text += (
                " (load_data_fashion_mnist's download of it again from ln.FashionMNIST.mirrors "
                f"{ended}: {why})"
            )
        damaged.args = (text,)
    return damaged


def _unwritable(head: str, exc: RootNotWritableError) -> DatasetError:
    """Return the failure of the download into ../data that ``exc`` refused (not writable, or a
    file), after ``head``: its words address a root= this caller never passed."""
    return DatasetError(
        f"{head}, could not be made: {shown_path(BOOK_ROOT)} cannot be written "
        f"({_why_unwritable(exc)}); run from a folder whose ../data can be written, or call "
        f"{DOWNLOAD_CALL}('DIR') and pass root=DIR"
    )


def _refused(head: str, exc: UsageError) -> UsageError:
    """Return the download's refusal ``exc`` (files to rename or move first), after ``head``: its
    fix, in its words, naming ../data, which this caller never passed as ``root``."""
    return type(exc)(f"{head}, was refused: {_book_root_named(str(exc))}")


def _class_mirrors() -> tuple[str, ...]:
    """Return ``ln.FashionMNIST.mirrors``, read once and checked as the download checks them;
    their refusal names the setting (load_data_fashion_mnist has no ``mirrors`` argument to fix)
    and, where it gives an example, sets it (``set e.g. ln.FashionMNIST.mirrors = [...]``): its
    callers add nothing after it."""
    from linearnets.data.dataset import FashionMNIST
    from linearnets.data.mirrors import check_mirrors

    return check_mirrors(FashionMNIST.mirrors, setting="ln.FashionMNIST.mirrors")


def _book_root_named(text: str) -> str:
    """Return the download's refusal ``text`` ("root must ..., got '../data', ...") naming the
    folder, the book's root, which this caller never passed as ``root``."""
    return (
        f"{shown_path(BOOK_ROOT)}{text.removeprefix('root')}" if text.startswith("root ") else text
    )


def _mirrors_from_python(text: str) -> str:
    """Return the download's failure ``text`` saying where its "pass other mirrors" goes: from
    ``load_data_fashion_mnist``, which has no ``mirrors`` argument, through the class's
    ``FashionMNIST.mirrors``, or a download of one's own into a root."""
    return name_mirrors_setting(
        text,
        "load_data_fashion_mnist takes none: set ln.FashionMNIST.mirrors = "
        "['https://HOST/PATH/', ...] before calling it, or call "
        f"{DOWNLOAD_CALL}('DIR', mirrors=[...]) and pass root='DIR'",
    )


def _why_unwritable(exc: UsageError) -> str:
    """Return why the download's ``root`` could not take it, from its refusal ("root must be a
    folder that can hold the download, got '../data' (REASON); pass a folder you can write to"),
    without the words addressed to a caller who passed that root."""
    text = str(exc)
    if "got the file" in text:
        return "a file is there, not a folder"
    match = re.search(r"got .*? \((.*)\); pass a folder you can write to$", text)
    return match.group(1) if match else text
