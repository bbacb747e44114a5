"""Finding the Fashion-MNIST files on this machine (D2L §3.5.1).

Search order: an explicit ``root`` (``--data-dir``); ``$LINEARNETS_DATA``; the Debian package
``dataset-fashion-mnist`` (asked with ``dpkg -L``, else :data:`DEBIAN_DIR`); a torchvision-style
``data/FashionMNIST/raw`` in the working folder or its parent (the book's ``../data``); the Keras cache
``~/.keras/datasets/fashion-mnist`` (skipped where there is no home folder). Each folder may hold the
four files gzipped or not, directly or in ``FashionMNIST/raw``. Locations are looked up in turn, as
they are reached. Tests redirect the Debian location with :data:`DEBIAN_PACKAGE`/:data:`DEBIAN_DIR`
(or by replacing ``_debian_dir``) and the Keras one through ``HOME``.

``$LINEARNETS_DATA`` is one search place, like the others: a folder of it that lacks some files is
passed over (the error, when no place has them, says what it lacked). A value that names no folder
at all is refused, though: it is a typo or a stale setting, and searching on would quietly read
another copy than the one the user pointed at.

A place this user may not search (a folder without ``x`` permission, a home folder not theirs) is
passed over, and the error, when no place has the files, names the folder; a ``root`` (or a
``$LINEARNETS_DATA``) that cannot be reached is refused naming it
(:class:`UnsearchableFolderError`), where Python's bare PermissionError stopped the search before.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from linearnets._shell import shell_word
from linearnets.errors import DatasetError, UsageError, UsageTypeError
from linearnets.path_checks import (
    blank_fix,
    cannot_search,
    expand_user,
    link_problem,
    searchable_fix,
    unsearchable_folder,
)

__all__ = [
    "DEBIAN_DIR",
    "FASHION_MNIST_FILES",
    "HOW_TO_GET",
    "TEST_FILES",
    "Found",
    "UnsearchableFolderError",
    "current_file",
    "find_fashion_mnist",
    "folder_above",
    "how_to_replace",
    "missing_files",
    "torchvision_root_fix",
]

# decompressed size and MD5 of each file (Debian re-gzipped them, so .gz hashes differ from upstream)
FASHION_MNIST_FILES: dict[str, tuple[int, str]] = {
    "train-images-idx3-ubyte": (47040016, "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train-labels-idx1-ubyte": (60008, "9018921c3c673c538a1fc5bad174d6f9"),
    "t10k-images-idx3-ubyte": (7840016, "8181f5470baa50b63fa0f6fddb340f0a"),
    "t10k-labels-idx1-ubyte": (10008, "15d484375f8d13e6eb1aabb0c3f46965"),
}
# the test split's two files: all that predicting needs (read_fashion_mnist(..., train=False))
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path(
    "/usr/share/datasets/fashion-mnist"
)  # where the package puts them, if dpkg is absent
KERAS_DIR = Path(".keras") / "datasets" / "fashion-mnist"  # under the home folder
HOW_TO_GET = (
    "get it with 'sudo apt-get install dataset-fashion-mnist', or 'linearnets data download --data-dir DIR' "
    "where a network exists, then pass root=DIR (or set LINEARNETS_DATA)"
)


def how_to_replace(path: str | Path) -> str:
    """Return how to get the damaged file ``path`` again, in the folder it was read from.

    A file of the Debian package is restored by reinstalling it (a download elsewhere would not be
    read: the search finds the package's folder first). Anywhere else ``linearnets data download``
    replaces it, given the folder the search reads: the file's own, or the one above its
    ``FashionMNIST/raw`` (a plain ``data download`` writes into ./data, which may be another).
    """
    folder = Path(path).parent
    if Path(os.path.abspath(folder)) == DEBIAN_DIR:  # no dpkg, no disk: paths only
        return (
            # a plain "apt-get install" does nothing for an installed package
            "get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores the "
            "Debian package's files; without the rights to, 'linearnets data download "
            "--data-dir DIR' fetches all four into DIR where a network exists, then pass "
            "root=DIR (or set LINEARNETS_DATA)"
        )
    if folder.name == "raw" and folder.parent.name == "FashionMNIST":
        folder = folder.parent.parent
    # the command ends the message: a quoted folder inside quotes would read as two strings
    return f"get it again where a network exists: linearnets data download --data-dir {shell_word(folder)}"


@dataclass(frozen=True)
class Found:
    """Where the files were found (the four, or the test split's two): the folder, which search
    location it was, and each file's path."""

    directory: Path
    source: str
    paths: dict[str, Path]

    @property
    def folder(self) -> Path:
        """The folder that holds the files: ``directory`` itself or its ``FashionMNIST/raw``."""
        # one layout holds every file looked for (see _files_in), so any file's parent names it
        return next(iter(self.paths.values())).parent


class UnsearchableFolderError(UsageError):
    """A folder on the way to the files cannot be searched (its permissions): ``root`` or
    ``$LINEARNETS_DATA`` names a folder whose content the user may not look at."""


def _layouts(directory: Path) -> tuple[Path, Path]:
    return directory, directory / "FashionMNIST" / "raw"


def current_file(folder: Path, name: str) -> Path | None:
    """Return ``folder/name`` or ``folder/name.gz``, whichever is a file (plain first): the one
    :func:`find_fashion_mnist` reads, and a download keeps or completes.

    ``os.path.isfile``, not ``Path.is_file``: Python 3.11's raises PermissionError for a folder
    that cannot be searched, where the search must go on (:func:`_unsearchable_layout` says why)."""
    return next((p for p in (folder / name, folder / f"{name}.gz") if os.path.isfile(p)), None)


def _unsearchable_layout(
    directory: Path, names: dict[str, tuple[int, str]]
) -> tuple[Path, str] | None:
    """Return the folder that refuses the search (and why) in the first layout of ``directory``
    that cannot be searched for the files ``names`` (``None``: each can); see
    :func:`~linearnets.path_checks.unsearchable_folder`."""
    name = next(iter(names))
    return next(
        (why for layout in _layouts(directory) if (why := unsearchable_folder(layout / name))), None
    )


def _files_in(directory: Path, names: dict[str, tuple[int, str]]) -> dict[str, Path] | None:
    """Return each file's path in ``directory`` (or its FashionMNIST/raw), if one layout has them all."""
    for folder in _layouts(directory):
        paths = {name: p for name in names if (p := current_file(folder, name)) is not None}
        if len(paths) == len(names):
            return paths
    return None


def _debian_dir() -> Path | None:
    """Return the Debian package's data folder (from ``dpkg -L``, else :data:`DEBIAN_DIR`), if present."""
    try:
        listing = subprocess.run(
            ["dpkg", "-L", DEBIAN_PACKAGE], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""  # no dpkg (not Debian), or it hung
    for line in listing.splitlines():
        if line.endswith("train-images-idx3-ubyte.gz"):
            return Path(line).parent
    return DEBIAN_DIR if os.path.isdir(DEBIAN_DIR) else None


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
            f"LINEARNETS_DATA must name a folder you can open, got {env!r}, but "
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
            f"{env!r}, {what}; point it at the folder with the four *-ubyte.gz files (or "
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


def _wanted(names: dict[str, tuple[int, str]]) -> str:
    """Return how the messages name the files ``names``: all four as "the Fashion-MNIST files", a
    subset (the test split's) each by name."""
    if set(names) == set(FASHION_MNIST_FILES):
        return "the Fashion-MNIST files"
    return f"Fashion-MNIST's {' and '.join(names)}"


def missing_files(root: Path, names: dict[str, tuple[int, str]] | None = None) -> list[str]:
    """Return the files (of ``names``, default :data:`FASHION_MNIST_FILES`) ``root`` lacks, in
    whichever layout holds more of them, each with what stands in its place, if anything (e.g.
    ``t10k-labels-idx1-ubyte (t10k-labels-idx1-ubyte.gz there is a folder)``)."""
    names = names or FASHION_MNIST_FILES
    folder, lacking = min(
        ((f, [n for n in names if current_file(f, n) is None]) for f in _layouts(root)),
        key=lambda found: len(found[1]),
    )
    return [_in_the_way(folder, name) for name in lacking]


def _in_the_way(folder: Path, name: str) -> str:
    """Return ``name``, with what is in ``folder`` under its name (or its .gz) that is no file."""
    for path in (folder / name, folder / f"{name}.gz"):
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue  # nothing there
        if stat.S_ISLNK(mode):
            kind = "a link to something that is no file" if path.exists() else "a broken link"
        elif stat.S_ISDIR(mode):
            kind = "a folder"
        elif stat.S_ISFIFO(mode):
            kind = "a FIFO"
        else:
            kind = "no regular file"
        return f"{name} ({path.name} there is {kind})"
    return name


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
        DatasetError: no location holds the files; the message says where it looked and how to get them.

    See D2L §3.5.1.
    """
    names = checksums or FASHION_MNIST_FILES
    if root is not None:
        return _find_in_root(root, names)
    return _search(names)


def _find_in_root(root: str | Path, names: dict[str, tuple[int, str]]) -> Found:
    """Return the files in the folder ``root`` (``--data-dir``); refuse one that is not a folder or lacks some."""
    if not isinstance(root, str | os.PathLike):
        raise UsageTypeError(
            f"root must be a folder path (str or Path), got {root!r:.60}; pass e.g. root='~/data'"
        )
    root = expand_user("root", root)
    # "root" is --data-dir on the command line (linearnets.cli._report names it so); the path is
    # quoted: a folder named "batch_size=64" is no setting
    shown = repr(str(root))
    blocked = unsearchable_folder(root)
    if blocked:  # else it would read as a folder that does not exist
        raise _unsearchable_root(shown, blocked)
    if root.exists() and not root.is_dir():  # e.g. one of the data files itself
        raise UsageError(
            f"root must be an existing folder, got the file {shown}; pass the folder that holds "
            f"it ({str(root.parent)!r}) instead"
        )
    if not root.is_dir():
        problem = link_problem(root)
        why = f", but {problem}" if problem else ""
        fix = blank_fix(root) or HOW_TO_GET
        raise UsageError(f"root must be an existing folder, got {shown}{why}; {fix}")
    paths = _files_in(root, names)
    blocked = _unsearchable_layout(root, names) if paths is None else None
    if blocked:  # else it would read as a folder lacking the files
        raise _unsearchable_root(shown, blocked)
    if paths is None:
        fix = torchvision_root_fix(root, names) or HOW_TO_GET
        raise UsageError(
            f"root must hold {_wanted(names)} (or FashionMNIST/raw/ with them), got "
            f"{shown}, which lacks {', '.join(missing_files(root, names))}; {fix}"
        )
    return Found(root, f"--data-dir {root}", paths)


def torchvision_root_fix(
    root: str | Path, names: dict[str, tuple[int, str]] | None = None
) -> str | None:
    """Return the fix for ``root``, which lacks the files ``names`` (default all four), where it is
    a ``FashionMNIST`` folder whose ``raw/`` holds them: ``data/FashionMNIST`` passed, one folder
    short of torchvision's layout, where installing or downloading them was the fix given; else
    ``None``."""
    root = Path(root)
    if Path(os.path.abspath(root)).name != "FashionMNIST" or not all(
        current_file(root / "raw", n) for n in names or FASHION_MNIST_FILES
    ):
        return None
    return (
        f"its raw/ holds them: pass root={str(folder_above(root))!r}, torchvision's root above "
        "FashionMNIST/raw/"
    )


def folder_above(root: Path) -> Path:
    """Return the folder above ``root``, as given where that names it, else by its absolute path:
    for ``.`` (or ``..``), ``.`` again, or ``..``'s own parent spelled ``.``, would be no fix."""
    return root.parent if root.name not in ("", "..") else Path(os.path.abspath(root)).parent


def _unsearchable_root(shown: str, blocked: tuple[Path, str]) -> UnsearchableFolderError:
    """Return the refusal of the root ``shown`` (quoted), on whose way a folder cannot be searched."""
    return UnsearchableFolderError(
        f"root must be a folder you can open, got {shown}, but {cannot_search(blocked)}; "
        f"{searchable_fix(blocked)}, or pass another folder"
    )


def _search(names: dict[str, tuple[int, str]]) -> Found:
    """Return the files from the first search location that holds them all (see the module doc)."""
    searched = []
    for label, directory in _candidates():
        if directory is None:
            continue
        paths = _files_in(directory, names)
        if paths is not None:
            return Found(directory, f"{label}: {directory}", paths)
        # a place that cannot be searched is passed over too, saying so
        blocked = _unsearchable_layout(directory, names)
        denied = f"{blocked[0]} cannot be searched: {blocked[1]}" if blocked else None
        if label == "$LINEARNETS_DATA":  # set on purpose: say why it was not used
            lacks = ", ".join(missing_files(directory, names))
            why = f"but {denied}" if denied else f"which lacks {lacks}"
            searched.append(f"{directory} (from $LINEARNETS_DATA, {why})")
        else:
            searched.append(f"{directory} ({denied})" if denied else str(directory))
    what = (
        "Fashion-MNIST was" if set(names) == set(FASHION_MNIST_FILES) else f"{_wanted(names)} were"
    )
    raise DatasetError(f"{what} not found (searched {', '.join(searched)}); {HOW_TO_GET}")
