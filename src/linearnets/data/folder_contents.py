"""Which of the Fashion-MNIST files a folder holds (D2L §3.5.1): the four files (or the test
split's two), each plain or gzipped, directly in the folder or in its ``FashionMNIST/raw``.

What the search (:mod:`linearnets.data.files`) and a given ``root`` (:mod:`linearnets.data.data_dir`)
look for, and what their messages say a folder lacks.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from linearnets._shell import shell_word
from linearnets._text import and_list, shown_path
from linearnets.errors import UsageError
from linearnets.path_checks import unsearchable_folder

__all__ = [
    "DOWNLOAD_CALL",
    "FASHION_MNIST_FILES",
    "GET_PACKAGE",
    "HOW_TO_GET",
    "HOW_TO_GET_AGAIN",
    "TEST_FILES",
    "FilesMissingError",
    "Found",
    "UnsearchableFolderError",
    "current_file",
    "files_gone",
    "files_in",
    "layout_fix",
    "missing_files",
    "misspelled_file",
    "move_fix",
    "unsearchable_layout",
    "wanted",
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
# the call that downloads the files into a folder, as the fixes name it (the command line's
# words: linearnets data download --data-dir DIR; linearnets.cli._cli_words puts it so)
DOWNLOAD_CALL = "linearnets.data.download.download_fashion_mnist"
# in the Python API's words: the command line says 'linearnets data download --data-dir DIR' and
# --data-dir DIR (linearnets.cli._cli_words.cli_words)
# the Debian package's install, the first way to get the files: HOW_TO_GET's start
GET_PACKAGE = "get it with 'sudo apt-get install dataset-fashion-mnist'"
HOW_TO_GET = (
    f"{GET_PACKAGE}, or {DOWNLOAD_CALL}('DIR') where a network exists, then pass root=DIR (or set "
    "LINEARNETS_DATA)"
)


def files_gone(gone: list[str] | None = None, folder: Path | None = None) -> str:
    """Return the clause saying that dpkg has the Debian package installed here but its files are
    gone (deleted by hand), whom a plain install leaves as they are, and to reinstall it; ``gone``
    names the files gone from its ``folder`` where some are left (``None``: all are gone)."""
    what, them = "its files are gone", "them"
    if gone:
        one = len(gone) == 1
        what = (
            f"its {'file' if one else 'files'} {and_list(gone)} {'is' if one else 'are'} gone "
            f"from {shown_path(folder or '.')}"
        )
        them = "it" if one else "them"
    return (
        f"the Debian package dataset-fashion-mnist is installed here, but {what}: get {them} "
        "again with 'sudo apt-get install --reinstall dataset-fashion-mnist'"
    )


# HOW_TO_GET with the reinstall, where all the files are gone (linearnets.data.files tells the case)
HOW_TO_GET_AGAIN = HOW_TO_GET.replace(GET_PACKAGE, files_gone())


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
        # one layout holds every file looked for (see files_in), so any file's parent names it
        return next(iter(self.paths.values())).parent


class UnsearchableFolderError(UsageError):
    """A folder on the way to the files cannot be searched (its permissions): ``root`` or
    ``$LINEARNETS_DATA`` names a folder whose content the user may not look at."""


class FilesMissingError(UsageError):
    """A ``root`` that does not hold the files looked for: it lacks some, or is no folder at all.

    ``why`` is the clause that says which (``which lacks t10k-labels-idx1-ubyte``, ``which does not
    exist``), for a caller that words its own fix (``FashionMNIST(root)``'s ``download=True``).
    """

    def __init__(self, message: str, *, why: str) -> None:
        super().__init__(message)
        self.why = why


def _layouts(directory: Path) -> tuple[Path, Path]:
    return directory, directory / "FashionMNIST" / "raw"


def current_file(folder: Path, name: str) -> Path | None:
    """Return ``folder/name`` or ``folder/name.gz``, whichever is a file (plain first): the one
    :func:`find_fashion_mnist` reads, and a download keeps or completes.

    ``os.path.isfile``, not ``Path.is_file``: Python 3.11's raises PermissionError for a folder
    that cannot be searched, where the search must go on (:func:`unsearchable_layout` says why)."""
    return next((p for p in (folder / name, folder / f"{name}.gz") if os.path.isfile(p)), None)


def unsearchable_layout(
    directory: Path, names: dict[str, tuple[int, str]]
) -> tuple[Path, str] | None:
    """Return the folder that refuses the search (and why) in the first layout of ``directory``
    that cannot be searched for the files ``names`` (``None``: each can); see
    :func:`~linearnets.path_checks.unsearchable_folder`."""
    name = next(iter(names))
    return next(
        (why for layout in _layouts(directory) if (why := unsearchable_folder(layout / name))), None
    )


def files_in(directory: Path, names: dict[str, tuple[int, str]]) -> dict[str, Path] | None:
    """Return each file's path in ``directory`` (or its FashionMNIST/raw), if one layout has them all."""
    for folder in _layouts(directory):
        paths = {name: p for name in names if (p := current_file(folder, name)) is not None}
        if len(paths) == len(names):
            return paths
    return None


def wanted(names: dict[str, tuple[int, str]]) -> str:
    """Return how the messages name the files ``names``: all four as "the Fashion-MNIST files", a
    subset (the test split's) each by name."""
    if set(names) == set(FASHION_MNIST_FILES):
        return "the Fashion-MNIST files"
    return f"Fashion-MNIST's {' and '.join(names)}"


def _fullest(root: Path, names: dict[str, tuple[int, str]]) -> tuple[Path, Path, list[str]]:
    """Return the layout of ``root`` that holds more of the files ``names`` (``root`` itself on a
    tie), the other layout, and the files the first lacks."""
    layouts = _layouts(root)
    folder, lacking = min(
        ((f, [n for n in names if current_file(f, n) is None]) for f in layouts),
        key=lambda found: len(found[1]),
    )
    return folder, layouts[1] if folder == layouts[0] else layouts[0], lacking


def missing_files(root: Path, names: dict[str, tuple[int, str]] | None = None) -> list[str]:
    """Return the files (of ``names``, default :data:`FASHION_MNIST_FILES`) ``root`` lacks, in
    whichever layout holds more of them, each with what stands in its place, if anything (e.g.
    ``t10k-labels-idx1-ubyte (t10k-labels-idx1-ubyte.gz there is a folder)``), or where it is
    instead: in the other layout (``(found in FashionMNIST/raw/, apart from the others)``), or
    misspelled (``(found as train-images.idx3-ubyte)``); :func:`layout_fix` says what to do."""
    names = names or FASHION_MNIST_FILES
    folder, other, lacking = _fullest(root, names)
    noted = []
    for name in lacking:
        shown, elsewhere, misspelled = _in_the_way(folder, name), current_file(other, name), None
        if shown == name and elsewhere is not None:
            where = f"{_relative(root, other)} itself" if other == root else _relative(root, other)
            shown = f"{name} (found in {where}, apart from the others)"
        elif shown == name and (misspelled := _misspelled(folder, other, name)) is not None:
            shown = f"{name} (found as {_relative(root, misspelled)})"
        noted.append(shown)
    return noted


def layout_fix(root: Path, names: dict[str, tuple[int, str]]) -> str | None:
    """Return the fix for ``root``, which lacks some of the files ``names`` in either layout, where
    they are there all the same: some in its ``FashionMNIST/raw/`` and the others in ``root``
    itself (one layout must hold them all), or under a near-miss name (``train-images.idx3-ubyte``,
    ``.GZ``); ``None`` where they are not.

    Every path it names starts at ``root`` as given (``data/FashionMNIST/raw/a to
    data/FashionMNIST/raw/b``, ``data/a to data/FashionMNIST/raw/b``), so the ``mv`` it tells works
    from where the command ran: a bare target name read as "in place" and as "into the root"
    alike, and one reading always failed. The others moved the other way are offered only where
    each file lies in one layout: one in both would be replaced (as ``refuse_apart`` rules)."""
    folder, other, lacking = _fullest(root, names)
    apart = [path for name in lacking if (path := current_file(other, name)) is not None]
    # one found in the other layout is renamed into the fuller one: renamed where it was, it was
    # then refused as apart from the others
    renames = [
        f"{shell_word(path)} to {shell_word(folder / _spelled(path, name))}"
        for name in lacking
        if current_file(other, name) is None
        and (path := _misspelled(folder, other, name)) is not None
    ]
    fixes = []
    if apart:
        # the others moved the other way would replace a file there (a cut one over a valid one)
        back = all(
            (current_file(folder, n) is None) != (current_file(other, n) is None) for n in names
        )
        fixes.append(move_fix(root, len(names), apart, folder, back=back))
    if renames:
        fixes.append(f"rename {and_list(renames)}, the names linearnets and torchvision read")
    return "; ".join(fixes) or None


def move_fix(
    root: Path, count: int, apart: list[Path], into: Path, *, damaged: int = 0, back: bool = True
) -> str:
    """Return the fix for the files ``apart`` (in one layout of ``root``) that belong beside the
    others in ``into`` (the other layout): move them there, naming each, the folders quoted for
    the shell as a ``mv`` pasted takes them ("'my data/FashionMNIST/raw'/"); noting that they
    replace the ``damaged`` files there, if any; and, with ``back``, that moving the others the
    other way does too (only where no file is in both)."""
    other = apart[0].parent
    replacing = ""
    if damaged:
        replacing = f" (replacing the damaged {'one' if damaged == 1 else 'ones'})"
    alternative = f" (or the others into {_given(root, other)})" if back else ""
    return (
        f"the {count} files must sit in one folder: move "
        f"{and_list([shell_word(path.name) for path in apart])} from {_given(root, other)} into "
        f"{_given(root, into)}{replacing}{alternative}"
    )


def _given(root: Path, folder: Path) -> str:
    """Return ``folder`` (``root`` or its ``FashionMNIST/raw``) by its path from where ``root``
    was given (``data``, ``data/FashionMNIST/raw/``), as a ``mv`` run there takes it: quoted for
    the shell (``'my data'``, ``'my data/FashionMNIST/raw'/``)."""
    return shell_word(folder) if folder == root else f"{shell_word(folder)}/"


def _relative(root: Path, path: Path) -> str:
    """Return ``path`` (``root``, a layout of it, or a file in one) as the messages name it: a
    folder inside ``root`` by its path from there (``FashionMNIST/raw/``), ``root`` itself by its
    own path."""
    if path == root:
        return shown_path(root)
    inside = path.relative_to(root)
    return f"{shown_path(inside)}/" if path.is_dir() else shown_path(inside)


def _misspelled(folder: Path, other: Path, name: str) -> Path | None:
    """Return a file in ``folder`` (else ``other``) named ``name`` (or ``name.gz``) spelled
    otherwise: another case, or dots for dashes (``train-images.idx3-ubyte``, as some mirrors
    name them); ``None`` where there is none."""
    for place in (folder, other):
        try:
            entries = sorted(os.scandir(place), key=lambda entry: entry.name)
        except OSError:
            continue  # no such layout, or not searchable (said elsewhere)
        for entry in entries:
            stem = entry.name[:-3] if entry.name.lower().endswith(".gz") else entry.name
            if stem.lower().replace(".", "-") == name and os.path.isfile(entry.path):
                return Path(entry.path)
    return None


def misspelled_file(root: Path, name: str) -> Path | None:
    """Return a file named ``name`` spelled otherwise (see :func:`_misspelled`) in ``root`` or its
    ``FashionMNIST/raw``; ``None`` where neither holds one."""
    return _misspelled(*_layouts(root), name)


def _spelled(path: Path, name: str) -> str:
    """Return the name the misspelled file ``path`` must take: ``name``, with ``.gz`` if gzipped."""
    return f"{name}.gz" if path.name.lower().endswith(".gz") else name


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
