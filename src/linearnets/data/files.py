"""Finding the Fashion-MNIST files on this machine (D2L §3.5.1).

Search order: an explicit ``root`` (``--data-dir``); ``$LINEARNETS_DATA``; the Debian package
``dataset-fashion-mnist`` (asked with ``dpkg -L``, else :data:`DEBIAN_DIR`); a torchvision-style
``data/FashionMNIST/raw`` in the working folder or its parent (the book's ``../data``); the Keras cache
``~/.keras/datasets/fashion-mnist`` (skipped where there is no home folder). Each folder may hold the
four files gzipped or not, directly or in ``FashionMNIST/raw``. Locations are looked up in turn, as
they are reached. Tests redirect the Debian location with :data:`DEBIAN_PACKAGE`/:data:`DEBIAN_DIR`
(or by replacing ``_debian_dir``) and the Keras one through ``HOME``.

``$LINEARNETS_DATA`` is one search place, like the others: a folder of it that lacks some files is
passed over, with a :class:`~linearnets.errors.DataWarning` where a later place holds them (the
error, when no place has them, says what it lacked, and where it is torchvision's
``FashionMNIST`` folder with the files in ``raw/``, to set it to the folder above; where they lie
apart in its two layouts or misspelled, the move or rename ``root`` gets).
A value that names no folder at all is refused, though: it is a typo or a stale setting, and
searching on would quietly read another copy than the one the user pointed at.

A place this user may not search (a folder without ``x`` permission, a home folder not theirs) is
passed over, and the error, when no place has the files, names the folder; a ``root`` (or a
``$LINEARNETS_DATA``) that cannot be reached is refused naming it
(:class:`UnsearchableFolderError`), where Python's bare PermissionError stopped the search before.

What a folder holds is told by :mod:`linearnets.data.folder_contents`, a given ``root`` checked by
:mod:`linearnets.data.data_dir`; their names are importable from here too, as before.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from linearnets._paths import same_folder
from linearnets._shell import shell_word
from linearnets._text import quoted_path, shown_path
from linearnets._warn import warn
from linearnets.data.data_dir import find_in_root, folder_above, torchvision_root_fix
from linearnets.data.folder_contents import (
    DOWNLOAD_CALL,
    FASHION_MNIST_FILES,
    GET_PACKAGE,
    HOW_TO_GET,
    TEST_FILES,
    Found,
    UnsearchableFolderError,
    current_file,
    files_gone,
    files_in,
    layout_fix,
    missing_files,
    unsearchable_layout,
    wanted,
)
from linearnets.errors import DatasetError, DataWarning, UsageError
from linearnets.path_checks import (
    cannot_search,
    expand_user,
    link_problem,
    searchable_fix,
    unsearchable_folder,
)
from linearnets.path_writable import unwritable_reason

__all__ = [
    "DEBIAN_DIR",
    "FASHION_MNIST_FILES",
    "HOW_TO_GET",
    "REINSTALL",
    "TEST_FILES",
    "Found",
    "NotFoundError",
    "UnsearchableFolderError",
    "current_file",
    "debian_folder_around",
    "find_fashion_mnist",
    "folder_above",
    "how_to_replace",
    "in_debian_package",
    "installed_copy",
    "is_debian_folder",
    "missing_files",
    "package_files_gone",
    "torchvision_root_fix",
    "without_replace_fix",
]

DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path(
    "/usr/share/datasets/fashion-mnist"
)  # where the package puts them, if dpkg is absent
KERAS_DIR = Path(".keras") / "datasets" / "fashion-mnist"  # under the home folder


class NotFoundError(DatasetError):
    """No search location holds the files (``root=None``): the message says where it looked and
    how to get them.

    Its parts, for a caller that goes on (``d2l.load_data_fashion_mnist`` downloads them, as the
    book's does): ``what`` (``Fashion-MNIST was``), ``searched`` (the places, as listed), ``fix``
    (how to get them), and ``misplaced``: whether the files are there after all, in a place a
    setting misses (``$LINEARNETS_DATA`` naming torchvision's ``FashionMNIST`` folder), so that
    ``fix`` is a setting to change and nothing is to be downloaded.
    """

    def __init__(self, *, what: str, searched: str, fix: str, misplaced: bool) -> None:
        super().__init__(f"{what} not found (searched {searched}); {fix}")
        self.what = what
        self.searched = searched
        self.fix = fix
        self.misplaced = misplaced

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled with its parts (a data-parallel rank's error crosses processes): the base
        # class's would call NotFoundError(message); the instance's state (a note add_note added,
        # an attribute set later) goes along as the third element, as a DatasetError's does
        parts = {"what": self.what, "searched": self.searched, "fix": self.fix}
        return functools.partial(type(self), misplaced=self.misplaced, **parts), (), self.__dict__


# how a damaged file of the Debian package is restored (a plain "apt-get install" does nothing for
# an installed package): the first fix how_to_replace gives it, which needs no root=DIR
REINSTALL = (
    f"get it again: 'sudo apt-get install --reinstall {DEBIAN_PACKAGE}' restores the Debian "
    "package's files"
)


def how_to_replace(path: str | Path) -> str:
    """Return how to get the damaged file ``path`` again, in the folder it was read from, in the
    Python API's words (the command line says its own: :func:`~linearnets.cli._cli_words.cli_words`).

    A file of the Debian package is restored by reinstalling it (a download elsewhere would not be
    read: the search finds the package's folder first). Anywhere else
    ``linearnets.data.download.download_fashion_mnist`` (``linearnets data download``) replaces
    it, given the folder the search reads: the file's own, or the one above its
    ``FashionMNIST/raw`` (a plain ``data download`` writes into ./data, which may be another);
    where the Debian package is installed here with the files, reading its copy is the other way.
    Where the file's folder cannot be written (a read-only mount), a download into it would be
    refused: the fix is a download into a folder of the user's choosing (./data the example,
    where it can be written and is not that folder or one above it), or a copy there; the
    Debian package's copy, where installed, is offered there too.
    """
    folder = Path(path).parent
    # the package's copy is restored by reinstalling it, never by a download into its folder
    if in_debian_package(path):
        return (
            f"{REINSTALL}; without the rights to, {DOWNLOAD_CALL}('DIR') fetches all four into "
            "DIR where a network exists, then pass root=DIR (or set LINEARNETS_DATA)"
        )
    if os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK):  # download refused
        # ./data as the example, but where it is that folder or one above it, or cannot be
        # written either (nor made, the nearest folder above it read-only): refused there too
        data = os.path.realpath("data")
        real = Path(os.path.realpath(folder))
        unfit = data in (str(real), *map(str, real.parents)) or unwritable_reason(Path(data, "x"))
        example = "" if unfit else " (e.g. DIR=./data)"
        elsewhere = (
            f"{shown_path(folder)} cannot be written, so get it again into a folder you can "
            f"write, where a network exists: {DOWNLOAD_CALL}('DIR'){example}, then pass "
            "root=DIR (or set LINEARNETS_DATA); or copy the four files into such a folder, "
            "replace this one there, and pass root=DIR"
        )
        return elsewhere + _or_debian_copy(folder)
    if folder.name == "raw" and folder.parent.name == "FashionMNIST":
        folder = folder.parent.parent
    again = f"get it again where a network exists: {DOWNLOAD_CALL}({str(folder)!r})"
    return again + _or_debian_copy(folder)


def _or_debian_copy(folder: Path) -> str:
    """Return "; or read the Debian package's copy: ..." where the package is installed here
    with whole-looking files in another folder than ``folder`` (the one a damaged file was read
    from), the other way :func:`how_to_replace` gives; ``""`` elsewhere."""
    installed = installed_copy(FASHION_MNIST_FILES)
    if installed is None or _same_folder(folder, installed[0]):
        return ""
    return f"; or read the Debian package's copy: {_how_to_get(FASHION_MNIST_FILES)}"


def without_replace_fix(reason: str, path: Path) -> str:
    """Return a reading error's ``reason`` for ``path`` without the fix that ends it (see
    :func:`how_to_replace`), for a caller that gives its own: "get it again ...:
    linearnets.data.download.download_fashion_mnist(DIR)", or "... then pass root=DIR". A fix of
    the reason's own before it ("put each file under its own name") is kept; a ``reason`` that
    does not end with it is returned as it is."""
    fix = how_to_replace(path)
    if not reason.endswith(fix):
        return reason
    # "...; FIX", "... another file — FIX", "... under its own name, or FIX", "... move it out of
    # DIR (or delete it, if damaged), then FIX"
    head = reason.removesuffix(fix).rstrip()
    for joint in (", or", ", then", " —", ";"):
        head = head.removesuffix(joint)
    return head.rstrip()


def in_debian_package(path: str | Path) -> bool:
    """Return whether the file ``path`` lies in the Debian package's folder once links are followed
    (a link to the folder, or to the file, is the package's file): :data:`DEBIAN_DIR` by its
    path alone (no dpkg, no disk), else the folder ``dpkg -L`` names."""
    return is_debian_folder(Path(os.path.realpath(path)).parent)


def is_debian_folder(folder: str | Path) -> bool:
    """Return whether ``folder`` is the Debian package's folder, or a link to it (see
    :func:`in_debian_package`): a folder of the user's own holding a link to one of its files is
    not."""
    return _same_folder(Path(folder), DEBIAN_DIR) or _same_folder(Path(folder), _debian_dir())


def debian_folder_around(path: str | Path) -> Path | None:
    """Return the Debian package's folder where ``path`` is it or lies inside it once links are
    followed (its ``FashionMNIST/raw``, which the search reads as the package's, or a link to
    either), told as :func:`is_debian_folder` tells it; ``None`` elsewhere."""
    real = Path(os.path.realpath(path))
    for folder in (DEBIAN_DIR, _debian_dir()):
        if folder is not None and any(_same_folder(p, folder) for p in (real, *real.parents)):
            return folder
    return None


def _same_folder(folder: Path, other: Path | None) -> bool:
    """Return whether ``folder`` is ``other`` (:func:`~linearnets._paths.same_folder`; ``None``:
    no other)."""
    return other is not None and same_folder(folder, other)


def _looks_whole(path: Path, size: int) -> bool:
    """Return whether the file ``path`` has the decompressed ``size`` it should, cheaply: a plain
    file by its length, a gzipped one by the length its gzip trailer records (a cut-short or
    other file records another, or is no gzip file); no MD5, which an error path cannot afford."""
    try:
        with open(path, "rb") as f:
            if f.read(2) != b"\x1f\x8b":  # not gzipped: its own length
                return os.fstat(f.fileno()).st_size == size
            f.seek(-4, os.SEEK_END)
            return int.from_bytes(f.read(4), "little") == size % 2**32
    except OSError:  # unreadable, or shorter than a trailer
        return False


def _debian_dir() -> Path | None:
    """Return the Debian package's data folder (from ``dpkg -L``, else :data:`DEBIAN_DIR`), if present."""
    return _dpkg_dir() or (DEBIAN_DIR if os.path.isdir(DEBIAN_DIR) else None)


def _dpkg_dir() -> Path | None:
    """Return the folder ``dpkg -L`` lists the package's files in: it is installed (``None``: it
    is not, or there is no dpkg), whether or not the files are still there."""
    try:
        listing = subprocess.run(
            ["dpkg", "-L", DEBIAN_PACKAGE], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""  # no dpkg (not Debian), or it hung
    for line in listing.splitlines():
        if line.endswith("train-images-idx3-ubyte.gz"):
            return Path(line).parent
    return None


def package_files_gone(names: dict[str, tuple[int, str]] | None = None) -> str | None:
    """Return, where dpkg has the Debian package installed here but some of the files ``names``
    (default :data:`FASHION_MNIST_FILES`) are gone from its folder, the clause saying so, naming
    them where some are left, and to reinstall it: a plain install does nothing then
    (:func:`~linearnets.data.folder_contents.files_gone`); ``None`` elsewhere."""
    names = names or FASHION_MNIST_FILES
    debian = _debian_dir()
    if debian is None or files_in(debian, names) is not None:
        return None
    if not _same_folder(debian, _dpkg_dir()):
        return None
    gone = missing_files(debian, names)
    return files_gone(None if len(gone) == len(names) else gone, debian)


def _get_it(names: dict[str, tuple[int, str]] | None = None) -> str:
    """Return :data:`HOW_TO_GET`, or where dpkg has the package installed here but some of the
    files ``names`` are gone from the folder searched, the reinstall (:data:`HOW_TO_GET_AGAIN`,
    naming the files gone where some are left: :func:`package_files_gone`)."""
    gone = package_files_gone(names)
    return HOW_TO_GET if gone is None else HOW_TO_GET.replace(GET_PACKAGE, gone)


def installed_copy(names: dict[str, tuple[int, str]]) -> tuple[Path, str] | None:
    """Return the Debian package's folder where it is installed here with the files ``names`` (as
    :func:`files_in` finds them, each of the size ``names`` gives it), with the clause saying so
    and that a search reads them there; ``None`` where it is not. For a fix that would otherwise
    say to install the package."""
    debian = _debian_dir()
    paths = files_in(debian, names) if debian is not None else None
    # a copy cut short or replaced is no fix: its sizes, checked cheaply, must be the files'
    if (
        debian is None
        or paths is None
        or not all(_looks_whole(paths[name], size) for name, (size, _) in names.items())
    ):
        return None
    return debian, (
        f"the Debian package {DEBIAN_PACKAGE} is installed here, with the files in {debian}: "
        "they are read from there when no root=DIR is passed (and LINEARNETS_DATA is unset)"
    )


def _how_to_get(names: dict[str, tuple[int, str]]) -> str:
    """Return how to get the files ``names`` a given root lacks: :data:`HOW_TO_GET`, or where the
    Debian package is installed here with them, how to read its copy."""
    installed = installed_copy(names)
    if installed is None:
        return _get_it(names)
    debian, clause = installed
    return f"{clause}, or pass root={str(debian)!r}"


def _env_dir() -> Path | None:
    """Return the folder ``$LINEARNETS_DATA`` names (``None`` when unset or empty); refuse a non-folder."""
    env = os.environ.get("LINEARNETS_DATA")
    if not env:
        return None
    path = expand_user("LINEARNETS_DATA", env)
    # a folder above it refuses: it cannot even be told a folder (one that is, but cannot be
    # searched itself, is passed over by the search, saying so)
    blocked = unsearchable_folder(path)
    if blocked:
        raise UnsearchableFolderError(
            f"LINEARNETS_DATA must name a folder you can open, got {quoted_path(env)}, but "
            f"{cannot_search(blocked)}; "
            f"{searchable_fix(blocked)}, or unset it (unset LINEARNETS_DATA) to search the "
            "usual places"
        )
    if not path.is_dir():
        what = "which is not a folder" if path.exists() else "which does not exist"
        problem = link_problem(path)
        if problem:  # exists() is False for a link to nowhere: name the link
            what = f"but {problem}"
        raise UsageError(
            f"LINEARNETS_DATA must name an existing folder holding the Fashion-MNIST files, got "
            f"{quoted_path(env)}, {what}; point it at the folder with the four *-ubyte.gz files (or "
            "their FashionMNIST/raw), or unset it (unset LINEARNETS_DATA) to search the usual "
            "places"
        )
    return path


def _keras_dir() -> Path | None:
    """Return the Keras cache folder under the home folder; ``None`` where there is no home folder."""
    try:
        return Path.home() / KERAS_DIR
    except RuntimeError:  # no HOME and no user-database entry (env -i, a container's bare uid)
        return None


def _candidates() -> Iterator[tuple[str, Path | None]]:
    """Yield each search location in order, looked up only when reached: once one holds the files,
    the later ones cost nothing (no ``dpkg`` run, no home folder needed)."""
    yield "$LINEARNETS_DATA", _env_dir()
    yield f"Debian package {DEBIAN_PACKAGE}", _debian_dir()
    yield "torchvision-style data/FashionMNIST/raw", Path("data")
    yield "torchvision-style ../data/FashionMNIST/raw (the book's root)", Path("..") / "data"
    yield "Keras cache ~/.keras/datasets/fashion-mnist", _keras_dir()


def find_fashion_mnist(
    root: str | Path | None = None, *, checksums: dict[str, tuple[int, str]] | None = None
) -> Found:
    """Return where the Fashion-MNIST files are, searching the locations in order (see the module doc).

    Args:
        root: a folder that must hold the files (``--data-dir``); ``None`` searches.
        checksums: the file names to look for, each with its (size, MD5); default
            :data:`FASHION_MNIST_FILES` (a subset, e.g. the :data:`TEST_FILES`, looks for those
            alone: a folder holding them is found, and the errors name them).

    Raises:
        UsageError: ``root`` is given but is not a folder, or lacks some of the files (listed); or
            ``$LINEARNETS_DATA`` names no existing folder.
        NotFoundError: no location holds the files (a :class:`DatasetError`); the message says
            where it looked and how to get them.

    See D2L §3.5.1.
    """
    names = checksums or FASHION_MNIST_FILES
    if root is not None:
        return find_in_root(root, names, how_to_get=_how_to_get)
    return _search(names)


def _search(names: dict[str, tuple[int, str]]) -> Found:
    """Return the files from the first search location that holds them all (see the module doc);
    warn where ``$LINEARNETS_DATA``, set on purpose, was passed over for a later one."""
    searched: list[str] = []
    fix, env_lacks = None, None  # fix: $LINEARNETS_DATA's, where it holds the files after all
    for label, directory in _candidates():
        if directory is None:
            continue
        paths = files_in(directory, names)
        if paths is not None:
            source = _flat_label(label, directory, paths) or f"{label}: {shown_path(directory)}"
            found = Found(directory, source, paths)
            if env_lacks is not None:
                _warn_passed_over(env_lacks, found, fix)
            return found
        # a place that cannot be searched is passed over too, saying so
        blocked = unsearchable_layout(directory, names)
        denied = f"{shown_path(blocked[0])} cannot be searched: {blocked[1]}" if blocked else None
        if label == "$LINEARNETS_DATA":  # set on purpose: say why it was not used
            lacks = ", ".join(missing_files(directory, names))
            why = f"but {denied}" if denied else f"which lacks {lacks}"
            env_lacks = f"{shown_path(directory)}, {why}"
            searched.append(f"{shown_path(directory)} (from $LINEARNETS_DATA, {why})")
            if not denied:
                fix = _env_fix(directory, names) or fix
        else:
            searched.append(
                f"{shown_path(directory)} ({denied})" if denied else shown_path(directory)
            )
    what = (
        "Fashion-MNIST was" if set(names) == set(FASHION_MNIST_FILES) else f"{wanted(names)} were"
    )
    raise NotFoundError(
        what=what,
        searched=", ".join(searched),
        fix=fix or _get_it(names),
        misplaced=fix is not None,
    )


def _flat_label(label: str, directory: Path, paths: dict[str, Path]) -> str | None:
    """Return the source of the files ``paths`` found in a torchvision-style place ``directory``
    (``data``, ``../data``, ``label``) holding them directly, not in its ``FashionMNIST/raw``: it
    names the folder itself (a ": data" after it said the path twice); None for any other."""
    if not label.startswith("torchvision-style ") or next(iter(paths.values())).parent != directory:
        return None
    book = " (the book's root)" if "book's root" in label else ""
    return f"folder {shown_path(directory)}{book}, the files directly in it"


def _env_fix(directory: Path, names: dict[str, tuple[int, str]]) -> str | None:
    """Return the fix for ``$LINEARNETS_DATA``'s ``directory``, which lacks some files ``names``,
    where they are there all the same: in the ``raw/`` of the ``FashionMNIST`` folder it names, or
    split between its two layouts, or misspelled (the fix ``root=DIR`` gets); else ``None``."""
    if torchvision_root_fix(directory, names):  # data/FashionMNIST given
        return (
            "$LINEARNETS_DATA's raw/ holds them: set LINEARNETS_DATA to "
            f"{shell_word(folder_above(directory))}, torchvision's root above FashionMNIST/raw/"
        )
    layout = layout_fix(directory, names)
    return f"$LINEARNETS_DATA's folder holds them all the same: {layout}" if layout else None


def _warn_passed_over(lacks: str, found: Found, fix: str | None) -> None:
    """Warn that ``$LINEARNETS_DATA`` (``lacks``: its folder and why it was not used) was passed
    over for the files ``found`` later: set on purpose, it was not read, unsaid."""
    fix = fix or (
        "point it at the folder with the four *-ubyte.gz files (or their FashionMNIST/raw), or "
        "unset it (unset LINEARNETS_DATA) to read these without a warning"
    )
    warn(
        f"LINEARNETS_DATA names {lacks}, so it was passed over: Fashion-MNIST is read from the "
        f"{found.source}; {fix}",
        DataWarning,
    )
