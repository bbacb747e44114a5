"""The ``root`` of torchvision's ``FashionMNIST``: refused when it can never be the files' folder,
read where it holds them, else this machine's copy, else downloaded there (D2L §3.5.1).

Used by :class:`linearnets.data.dataset.FashionMNIST`; the messages speak its arguments' words
(``root=``, ``download=True``).
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from linearnets._text import quoted_path, shown_path
from linearnets._warn import warn
from linearnets.data.data_dir import torchvision_root_fix
from linearnets.data.files import find_fashion_mnist
from linearnets.data.folder_contents import FASHION_MNIST_FILES, FilesMissingError, layout_fix
from linearnets.data.mirrors import check_mirrors, name_mirrors_setting
from linearnets.errors import DatasetError, DataWarning, UsageError, UsageTypeError
from linearnets.path_checks import blank_fix, expand_user, link_problem

if TYPE_CHECKING:
    from linearnets.data.fashion_mnist_arrays import FashionMNISTArrays

__all__ = ["DatasetNotFoundError", "check_holds_files", "check_root", "read_root", "readable_root"]


class DatasetNotFoundError(UsageError, RuntimeError):
    """``FashionMNIST(root)`` (``download=False``) where ``root`` lacks the files.

    A :class:`UsageError` (a ``ValueError``: the fix is an argument) and a :class:`RuntimeError`,
    what torchvision raises there ("Dataset not found"), so code written for either catches it.
    """


def _lacking(root: str | Path) -> str | None:
    """Return why ``root`` (or its FashionMNIST/raw) does not hold the four files (``which lacks
    train-images-idx3-ubyte``, ``which does not exist``); ``None`` where it holds them. A root that
    is no path, or cannot be searched, raises."""
    try:
        find_fashion_mnist(root)
    except FilesMissingError as exc:  # the search's own words: which file, or no folder at all
        return exc.why
    return None


def readable_root(
    root: str | Path, *, mirrors: Iterable[str], setting: str = "FashionMNIST.mirrors"
) -> Path:
    """Return where ``FashionMNIST(root, download=True)`` reads: see ``FashionMNIST``'s ``download``.

    This machine's copy is read only once verified: a damaged one (a Keras cache cut short) is
    passed over with a warning naming it, and the files downloaded into ``root``, as torchvision
    would; it failed ``download=True`` before, which then never downloaded. ``mirrors`` come from
    the class attribute ``setting``: a refusal of them, and a failed download's advice to pass
    others, name it and say to set it (the constructor has no ``mirrors`` argument).
    """
    from linearnets.data.download import download_fashion_mnist
    from linearnets.data.fashion_mnist import read_fashion_mnist  # it imports this module

    if _lacking(root) is not None:
        try:
            found = find_fashion_mnist(None)
        except DatasetError:
            found = None  # none: download it
        if found is not None:
            try:
                read_fashion_mnist(found.directory)  # verified, and kept: the caller's read is free
            except DatasetError as exc:
                label = found.source.removesuffix(f": {shown_path(found.directory)}")
                warn(
                    "download=True passed over this machine's copy in "
                    f"{shown_path(found.directory)} ({label}), which is damaged, and downloads "
                    f"into {quoted_path(root)} instead: {exc}",
                    DataWarning,
                )
            else:
                return found.directory  # this machine's copy: no network needed
    no_argument = "FashionMNIST(..., download=True) has no mirrors argument"
    try:
        urls = check_mirrors(mirrors, setting=setting)
    except UsageError as exc:  # its example sets the attribute: the call itself changes nothing
        raise type(exc)(
            f"{exc} ({no_argument}: it downloads from {setting}, as torchvision's does; set that "
            "before the call)"
        ) from None
    how = f"{no_argument}: set {setting} = ['https://HOST/PATH/', ...] before the call, as in torchvision"
    # verifies what is there; fetches what is not, from the mirrors as torchvision's download()
    try:
        download_fashion_mnist(Path(root), mirrors=list(urls))  # a list, as the class holds them
    except DatasetError as exc:  # a mirror down, none serving the files: its own type and advice
        if len(exc.args) == 1 and isinstance(exc.args[0], str):
            exc.args = (name_mirrors_setting(exc.args[0], how),)
        raise
    return Path(root)  # read from there (its FashionMNIST/raw, as torchvision lays it out)


def check_root(root: object) -> None:
    """Refuse a ``root`` that can never be the folder of the files: no path, an empty one, a file
    (a FIFO, a device), a path through a file, or a link to nowhere or to itself.

    Without this, ``download=True`` took such a root for one lacking the files, and read this
    machine's copy without a word.
    """
    if not isinstance(root, str | os.PathLike):
        raise UsageTypeError(
            f"root must be a folder path (str or Path), got {root!r:.60}; pass e.g. "
            "root='../data' (the book's)"
        )
    if not os.fspath(root):  # Path("") is the working folder: an empty str is no folder named
        raise UsageError(
            "root must be a folder path, got an empty string; pass e.g. root='../data' (the "
            "book's), or root=None to search the usual places"
        )
    path = expand_user("root", root)
    shown = quoted_path(root)
    problem = link_problem(path)
    if problem:
        raise UsageError(
            f"root must be a folder, got {shown}, but {problem}; point the link at a folder or "
            "pass another root"
        )
    try:
        mode = path.stat().st_mode
    except NotADirectoryError:
        raise UsageError(
            f"root must be a folder, got {shown}, which cannot be one: a file is on its path; "
            "pass a folder path"
        ) from None
    except OSError:
        return  # nothing there: download=True makes it (and download=False says it is missing)
    if stat.S_ISDIR(mode):
        return
    what, fix = "no file or folder (a FIFO, a device, ...)", "pass a folder"
    if stat.S_ISREG(mode):  # e.g. one of the data files itself
        what, fix = "a file", f"pass the folder that holds it ({quoted_path(path.parent)})"
    raise UsageError(
        f"root must be a folder, got {shown}, which is {what}; {fix}, or with download=True a "
        "folder to download into"
    )


def check_holds_files(root: str | Path) -> None:
    """Raise a :class:`DatasetNotFoundError` saying what ``root`` lacks (the files missing, or the
    folder itself) and what to pass, when it does not hold the files."""
    why = _lacking(root)
    if why is not None:
        path = expand_user("root", root)
        fix = (
            torchvision_root_fix(path)
            or (layout_fix(path, FASHION_MNIST_FILES) if path.is_dir() else None)
            or blank_fix(path)
            or _machine_copy_fix()
            or "pass download=True (reads this machine's verified copy, else downloads into "
            "root), or root=None to search the usual places"
        )
        raise DatasetNotFoundError(
            f"root must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
            f"{quoted_path(root)}, {why}; {fix}"
        )


def _machine_copy_fix() -> str | None:
    """Return the fix naming this machine's copy, which ``download=True`` reads in place (so an
    earlier ``FashionMNIST(root, download=True)`` wrote nothing into root); None where the search
    finds none."""
    try:
        with warnings.catch_warnings():  # a LINEARNETS_DATA passed over: said where it is read,
            warnings.simplefilter("ignore")  # not in the refusal of a root the caller passed
            found = find_fashion_mnist(None)
    except (DatasetError, UsageError):  # none, or $LINEARNETS_DATA naming no folder
        return None
    label = found.source.removesuffix(f": {shown_path(found.directory)}")
    return (
        f"this machine has them in {shown_path(found.directory)} ({label}), which download=True "
        "reads in place, writing nothing into root: pass download=True or root=None to read it"
    )


def read_root(
    root: str | Path | None,
    *,
    download: bool,
    mirrors: Iterable[str],
    setting: str = "FashionMNIST.mirrors",
) -> FashionMNISTArrays:
    """Return the arrays ``FashionMNIST(root, download=download)`` reads: those in ``root`` (or
    searched for, ``None``), with ``download``, those of a verified copy elsewhere or downloaded
    into ``root`` from ``mirrors``, the class attribute ``setting`` (:func:`readable_root`)."""
    read_from: str | Path | None = root
    if root is not None:
        check_root(root)  # what can never be a folder, whatever download says
    if download:
        if root is None:
            raise UsageError("root must be given with download=True: the folder to download into")
        read_from = readable_root(root, mirrors=mirrors, setting=setting)
    elif root is not None:
        check_holds_files(root)
    # imported here: linearnets.data.fashion_mnist re-exports FashionMNIST, which imports this
    from linearnets.data.fashion_mnist import read_fashion_mnist

    return read_fashion_mnist(read_from)
