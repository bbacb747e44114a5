"""Where a download's files go, which of them must be downloaded, and whether the folder can take them.

The files go where some of them already are: ``root`` or ``root/FashionMNIST/raw`` (torchvision's
layout), else the latter, or ``root`` itself where it is a ``FashionMNIST/raw`` folder; a ``root``
named ``FashionMNIST`` that would get a FashionMNIST folder inside it is refused, as reading from it
is, telling to pass the folder above; valid copies of the files missing there, lying in the
other layout, are refused before any download, with the fix a reading gives (move them: they are
not moved here). A file present and valid is kept; a damaged one is downloaded again (a
damaged plain file that hides a valid ``.gz`` beside it is removed instead); a complete file of
other content (MNIST's, under Fashion-MNIST's names) is refused, never replaced (where a valid
``.gz`` beside it serves, it is kept, with a warning, and nothing is downloaded); a damaged file of
the Debian package, or one missing from its folder (all four, or the folder itself, too), is
refused too, told to reinstall it, where ``root`` is its folder or lies inside it. The
folder is made and checked writable only when some file is needed. Used by
:mod:`linearnets.data.download`; messages speak the Python API's words (``root=DIR``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from linearnets._fs import missing_folders, remove_empty_folders
from linearnets._text import and_list, counted, quoted_path, shown_path
from linearnets._warn import warn
from linearnets.data.data_dir import folder_above
from linearnets.data.files import (
    debian_folder_around,
    how_to_replace,
    in_debian_package,
    is_debian_folder,
    without_replace_fix,
)
from linearnets.data.folder_contents import current_file, layout_fix, misspelled_file, move_fix
from linearnets.data.verify import OtherContentError, read_verified
from linearnets.errors import DatasetError, DataWarning, UsageError
from linearnets.path_checks import link_problem

__all__ = [
    "FilesToMoveError",
    "RootNotWritableError",
    "locate",
    "needed_files",
    "prepare_folder",
    "refuse_apart",
    "refuse_files_to_move",
    "refuse_misspelled",
    "refuse_unwritable",
]


class RootNotWritableError(UsageError):
    """``root`` cannot take the download: a file, or a folder that cannot be made or written."""


class FilesToMoveError(UsageError):
    """``root`` holds some of the files where they are not read (another layout, a near-miss
    name): nothing was downloaded, and the message's fix says how to move or rename them."""


def needed_files(
    root: Path, dest: Path, names: dict[str, tuple[int, str]]
) -> dict[str, str | None]:
    """Return each file that must be downloaded into ``dest`` (under ``root``), with why the one
    there was rejected (``None``: there is none); refuse to replace a complete file of other
    content."""
    try:
        return _unshadow(dest, names, _defects(root, dest, names))
    except OtherContentError as exc:  # a .gz beside a rejected plain file
        raise _kept(root, [exc.path]) from None


def _destination(root: Path, names: dict[str, tuple[int, str]]) -> Path:
    """Return where the files go: the layout (``root`` first, then FashionMNIST/raw) that holds all of
    them, else the one that holds some, else FashionMNIST/raw.

    ``find_fashion_mnist`` reads the first complete layout, so a partial one is completed where it is.
    """
    layouts = (root, root / "FashionMNIST" / "raw")  # raw: torchvision's, the book's ../data
    for enough in (len(names), 1):
        for folder in layouts:
            if sum(current_file(folder, n) is not None for n in names) >= enough:
                return folder
    if _named(root) == ("FashionMNIST", "raw"):  # torchvision's raw/ itself, named as the folder
        return root
    _refuse_dataset_folder(root, layouts[1], names)
    return layouts[1]


def refuse_apart(
    root: Path, dest: Path, names: dict[str, tuple[int, str]], needed: dict[str, str | None]
) -> None:
    """Refuse, before any download, where files ``needed`` in ``dest`` lie valid in ``root``'s
    other layout (``root`` or its ``FashionMNIST/raw``): they were fetched again beside the
    others, a second copy left there unsaid. The fix is the one a reading gives
    (:func:`~linearnets.data.folder_contents.layout_fix`): the user's files are not moved here."""
    raw = root / "FashionMNIST" / "raw"
    if dest not in (root, raw):  # root is a FashionMNIST/raw folder itself: no other layout
        return
    other = raw if dest == root else root
    apart = [path for name in needed if (path := _valid_copy(other, name, names[name]))]
    if not apart:
        return
    # the files named are the ones moved: a file in both layouts, or one damaged in dest, made
    # layout_fix (which reads the fuller layout) name others, or none at all
    damaged = sum(current_file(dest, path.name.removesuffix(".gz")) is not None for path in apart)
    moved = {path.name.removesuffix(".gz") for path in apart}
    back = not damaged and all(  # the others, moved the other way, would replace none
        current_file(dest, n) is not None and current_file(other, n) is None
        for n in names
        if n not in moved
    )
    fix = move_fix(root, len(names), apart, dest, damaged=damaged, back=back)
    them, they = ("a valid copy of", "it") if len(apart) == 1 else ("valid copies of", "they")
    raise FilesToMoveError(
        f"root must hold the {len(names)} files in one folder, itself or its FashionMNIST/raw/, "
        f"got {quoted_path(root)}, where {shown_path(other)} holds {them} "
        f"{and_list([path.name for path in apart])}, apart from the others in "
        f"{shown_path(dest)} (nothing was downloaded: {they} would be fetched again); {fix}"
    )


def refuse_misspelled(
    root: Path, names: dict[str, tuple[int, str]], needed: dict[str, str | None]
) -> None:
    """Refuse, before any download, where files ``needed`` (none there) lie under ``root`` by a
    near-miss name (``train-images.idx3-ubyte.gz``, ``.GZ``): they were fetched again beside them,
    unsaid, where reading them told to rename them. The fix is the one a reading gives
    (:func:`~linearnets.data.folder_contents.layout_fix`): nothing is renamed here."""
    found = [
        path
        for name, defect in needed.items()
        if defect is None and (path := misspelled_file(root, name)) is not None
    ]
    if not found:
        return
    fix = layout_fix(root, names) or "rename them to the names linearnets and torchvision read"
    them, they, beside = ("a copy", "it", "it") if len(found) == 1 else ("copies", "they", "them")
    raise FilesToMoveError(
        f"root must hold the {len(names)} files under their own names, got {quoted_path(root)}, "
        f"which holds {them} under other names: {and_list([shown_path(p) for p in found])} "
        f"(nothing was downloaded: {they} would be fetched again beside {beside}); {fix}"
    )


def refuse_files_to_move(root: Path, names: dict[str, tuple[int, str]]) -> None:
    """Refuse, before anything is fetched or made, as the download refuses them
    (:func:`refuse_apart`, then :func:`refuse_misspelled`), files missing from ``root``'s download
    folder (see :func:`locate`) that lie valid in its other layout or under a near-miss name; for
    a caller that says first what it will do (``load_data_fashion_mnist``'s warning). The files
    in the folder are not verified: a damaged one is the download's to judge."""
    dest = locate(root, names)
    missing: dict[str, str | None] = {n: None for n in names if current_file(dest, n) is None}
    if missing:
        refuse_apart(root, dest, names, missing)
        refuse_misspelled(root, names, missing)


def _valid_copy(folder: Path, name: str, expected: tuple[int, str]) -> Path | None:
    """Return the file ``name`` in ``folder`` where it is valid; ``None`` where there is none."""
    path = current_file(folder, name)
    try:
        return path if path is not None and _defect(path, name, expected) is None else None
    except OtherContentError:
        return None


def _named(root: Path) -> tuple[str, str]:
    """Return the names of ``root``'s parent and of ``root``, as an absolute path has them."""
    absolute = Path(os.path.abspath(root))  # "." and ".." named by the folders they are
    return absolute.parent.name, absolute.name


def _refuse_dataset_folder(root: Path, dest: Path, names: dict[str, tuple[int, str]]) -> None:
    """Refuse a ``root`` named ``FashionMNIST`` whose files would go into ``dest``,
    ``root/FashionMNIST/raw``: a FashionMNIST folder inside another.

    ``data/FashionMNIST`` passed for torchvision's ``data`` downloaded into
    data/FashionMNIST/FashionMNIST/raw, a second copy beside data/FashionMNIST/raw where that held
    them; reading the files from ``data/FashionMNIST`` is refused telling to pass ``data``
    (see :func:`~linearnets.data.data_dir.torchvision_root_fix`), and so is this.
    """
    if _named(root)[1] != "FashionMNIST":
        return
    package = debian_folder_around(root)
    if package is not None and any(current_file(package, n) is None for n in names):
        # the Debian package's FashionMNIST, its files gone: told "pass root=PKG", that was then
        # refused, told to reinstall the package, which _defects tells at once
        return
    raw = root / "raw"
    held = sum(current_file(raw, n) is not None for n in names)
    beside = ""
    if held:  # torchvision's layout is there already: the download would be a second one
        beside = f", beside {raw}, which holds {'them' if held == len(names) else 'some of them'}"
    above = folder_above(root)
    raise UsageError(
        "root must be the folder above FashionMNIST/, torchvision's root, not a FashionMNIST "
        f"folder itself, got {quoted_path(root)}: the files would go into "
        f"{shown_path(dest)}{beside}; "
        f"pass root={str(above)!r}, whose FashionMNIST/raw/ they go into (and are read from)"
    )


def _defect(path: Path, name: str, expected: tuple[int, str]) -> str | None:
    """Return why the present file ``path`` is not a valid ``name`` (``None``: it is valid)."""
    try:
        read_verified(path, name, expected=expected)
    except OtherContentError:
        raise  # no damage the download may repair: see _kept
    except DatasetError as exc:
        # what is wrong with the file, without its fix to download it again: this download
        return without_replace_fix(str(exc), path)
    except OSError as exc:
        return f"{shown_path(path)} cannot be read ({exc.strerror or type(exc).__name__})"
    return None


def locate(root: Path, names: dict[str, tuple[int, str]]) -> Path:
    """Return the folder the files are (or go) in under ``root``; refuse a ``root`` that is a file."""
    try:
        if root.exists() and not root.is_dir():
            raise RootNotWritableError(
                f"root must be a folder to download into, got the file {quoted_path(root)}; pass "
                "a folder path"
            )
        return _destination(root, names)
    except OSError as exc:  # a symlink loop, a folder that cannot be searched
        raise RootNotWritableError(
            f"root must be a folder that can hold the download, got {quoted_path(root)} "
            f"({_why(exc, root)}); pass a folder you can write to"
        ) from None


def refuse_unwritable(root: Path, names: dict[str, tuple[int, str]]) -> None:
    """Refuse, before anything is read, fetched or made, a ``root`` whose download folder (see
    :func:`locate`) lacks some file and could not be made or written: a file on its way, or the
    nearest folder there not writable; for a caller that says first what it will do
    (``load_data_fashion_mnist``'s warning). A folder holding every file is left to the
    download, which may need to write nothing there."""
    dest = locate(root, names)
    if all(current_file(dest, name) is not None for name in names):
        return
    there = next(p for p in (dest, *dest.parents) if os.path.lexists(p))
    if not there.is_dir():  # a link to nowhere is named as one, as the download names it
        reason = link_problem(dest) or f"{shown_path(there)} is a file, not a folder"
    elif not os.access(there, os.W_OK | os.X_OK):
        reason = "not writable" if there == root else f"{shown_path(there)} is not writable"
    else:
        return
    raise RootNotWritableError(
        f"root must be a folder that can hold the download, got {quoted_path(root)} ({reason}); "
        "pass a folder you can write to"
    )


def _why(exc: OSError, folder: Path) -> str:
    """Say why ``folder`` cannot be used: a broken or looping link on its path, else the error's
    reason, naming the file on the path where a folder must be."""
    # a link to nowhere fails mkdir with "File exists": the link is what to fix
    problem = link_problem(folder)
    if problem:
        return problem
    reason = exc.strerror or type(exc).__name__
    for part in (*reversed(folder.parents), folder):  # "File exists" alone named no file
        try:
            if part.exists() and not part.is_dir():
                return f"{reason}: {shown_path(part)} is a file, not a folder"
        except OSError:  # a folder that cannot be looked into: the reason says so
            break
    return reason


def _kept(root: Path, paths: list[Path]) -> UsageError:
    """Return the refusal to replace ``paths``, files of the expected size whose content is not
    Fashion-MNIST's: another dataset's (MNIST's have its names and sizes, and a download once
    replaced them, flat in ./data) or ones damaged in place, which cannot be told apart. The
    Debian package's (its folder, or a link to it) are its own: reinstalling it restores them."""
    files = ", ".join(map(shown_path, paths))
    if len(paths) == 1:
        have, they, were, them = "has the decompressed size", "it is", "was", "it"
        of = "Fashion-MNIST's file of that name but another MD5"
    else:
        have, they, were, them = "have the decompressed sizes", "they are", "were", "them"
        of = "Fashion-MNIST's files of those names but other MD5s"
    fix = (
        f"move {them} out of {shown_path(paths[0].parent)} (or delete {them}, if damaged), or pass "
        "root=DIR to download elsewhere"
    )
    if in_debian_package(paths[0]):  # the package's own files: a reinstall puts them back
        fix = how_to_replace(paths[0])
    return UsageError(
        f"root must hold no other dataset's files under Fashion-MNIST's names, which the download "
        f"would replace, got {quoted_path(root)}, where {files} {have} of {of}: {they} another "
        f"dataset's (MNIST's files have Fashion-MNIST's names and sizes) or {were} damaged in "
        f"place; {fix}"
    )


def _defects(root: Path, dest: Path, names: dict[str, tuple[int, str]]) -> dict[str, str | None]:
    """Return each file that must be downloaded into ``dest``, with why the one there was rejected
    (``None``: there is none); refuse (see :func:`_kept`) to replace a complete file of other
    content, or (:func:`_package_damaged`) a damaged or missing file of the Debian package
    (``root`` its folder or inside it, whichever of its files are missing: all four, or the
    folder itself)."""
    needed: dict[str, str | None] = {}
    others = []
    # the Debian package's folder (or a link to it): its files, damaged or missing, are restored
    # by reinstalling it; a link to one of them in a folder of the user's own is replaced
    in_package, package = is_debian_folder(dest), []
    for name, expected in names.items():
        current = current_file(dest, name)
        try:
            defect = None if current is None else _defect(current, name, expected)
        except OtherContentError as exc:
            if not _valid_gz_beside(exc.path, name, expected):
                others.append(exc.path)
            continue
        if current is None or defect is not None:
            needed[name] = defect
        if in_package and (current is None or defect is not None):
            package.append((current or dest / f"{name}.gz", defect))
    if others:
        raise _kept(root, others)
    inside = debian_folder_around(root) if needed and not in_package else None
    if inside is not None:
        # the package's folder holding none of its files (or gone), or a root inside it (its
        # FashionMNIST/raw): they went into its FashionMNIST/raw, read there as the package's
        inside = None if is_debian_folder(root) else inside
        folder = inside or root
        package = [(folder / f"{n}.gz", None) for n in names if current_file(folder, n) is None]
    if package:
        raise _package_damaged(root, package, inside)
    if inside is not None:  # the package's folder holds all four: a second copy inside it
        raise _inside_package(root, inside, len(names))
    return needed


def _inside_package(root: Path, package: Path, count: int) -> UsageError:
    """Return the refusal of a ``root`` inside the Debian package's folder ``package``, which
    holds the ``count`` files the download wants: it wrote a second copy into the package's
    folder (as root, behind its back), where the files it needs are there already."""
    held = "all four files" if count == 4 else f"the {counted(count, 'file')} asked for"
    return UsageError(
        f"root must not lie inside the Debian package's folder {shown_path(package)}, which "
        f"holds {held} already, got {quoted_path(root)}: the download would write a "
        f"second copy into the package's folder (the package owns it); pass "
        f"root={str(package)!r}, whose files it verifies (training finds them by itself)"
    )


def _package_damaged(
    root: Path, files: list[tuple[Path, str | None]], inside: Path | None = None
) -> UsageError:
    """Return the refusal to download ``files`` into the Debian package's folder (or a link to
    it; ``inside``: the folder a ``root`` inside it lies in): each of its files cut short or
    unreadable, with why, or missing (``None``): the package
    owns them, and a reinstall restores them, as reading them says
    (:func:`~linearnets.data.files.how_to_replace`), alone (a file under another's name is not
    the user's to rename); a download, as root, wrote them behind its back."""
    missing = [path for path, defect in files if defect is None]
    damaged = [defect.removesuffix(_RENAME) for _, defect in files if defect is not None]
    state = "missing" if not damaged else "damaged" if not missing else "missing or damaged"
    write = "replace" if not missing else "write"
    said = [f"{shown_path(path)} is missing" for path in missing] + damaged
    one = len(files) == 1
    where = "" if inside is None else f" (inside its folder {shown_path(inside)})"
    return UsageError(
        f"root must hold no {state} file of the Debian package, which the download would {write} "
        f"(the package owns {'it' if one else 'them'}), got {quoted_path(root)}{where}, where "
        f"{'a file' if one else 'files'} of it {'is' if one else 'are'} {state}: "
        f"{'; '.join(said)}; {how_to_replace(files[0][0])}"
    )


# a reading's own fix for a file under another's name, kept by without_replace_fix
_RENAME = " — put each file under its own name"


def _valid_gz_beside(plain: Path, name: str, expected: tuple[int, str]) -> bool:
    """Return whether the plain file ``plain`` of other content has a valid ``.gz`` beside it, and
    warn so: nothing needs downloading, and the file, maybe another dataset's, is not removed
    (reading falls back to the ``.gz``, with the same warning)."""
    gz = plain.with_name(f"{name}.gz")
    if plain.name != name or not gz.is_file():
        return False
    try:
        if _defect(gz, name, expected) is not None:
            return False
    except OtherContentError:
        return False
    warn(
        f"{shown_path(plain)} has the size of Fashion-MNIST's file but another MD5 (another "
        f"dataset's, or damaged), so {gz.name} beside it, which is intact, is read instead; move "
        f"{shown_path(plain)} out of {shown_path(plain.parent)} (or delete it, if damaged): it is "
        "read first",
        DataWarning,
    )
    return True


def _unshadow(
    dest: Path, names: dict[str, tuple[int, str]], needed: dict[str, str | None]
) -> dict[str, str | None]:
    """Return ``needed`` less the files whose rejected plain copy in ``dest`` hides a valid ``.gz``
    beside it, and remove that plain copy (as a download would: it is read before the ``.gz``)."""
    left: dict[str, str | None] = {}
    for name, defect in needed.items():
        plain, gz = dest / name, dest / f"{name}.gz"
        # checked only for a rejected plain file: a valid one beside its .gz is torchvision's layout
        rejected = defect is not None and plain.is_file() and gz.is_file()
        if rejected and _defect(gz, name, names[name]) is None:
            # left where it cannot be removed: reading falls back to the .gz (with a warning)
            with contextlib.suppress(OSError):
                plain.unlink()
            continue
        left[name] = defect
    return left


def prepare_folder(root: Path, dest: Path, needed: dict[str, str | None]) -> list[Path]:
    """Make ``dest`` (under ``root``) if missing and check it can be written; return the folders made.

    A folder that cannot be written is refused naming the files it would have to take, and why a
    file already there was rejected."""
    created: list[Path] = []
    try:
        created = missing_folders(dest)
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file on the path, a folder that cannot be written
        remove_empty_folders(created)
        raise RootNotWritableError(
            f"root must be a folder that can hold the download, got {quoted_path(root)} "
            f"({_why(exc, dest)}); pass a folder you can write to"
        ) from None
    if not os.access(dest, os.W_OK | os.X_OK):
        raise RootNotWritableError(
            f"root must be a folder that can hold the download, got {quoted_path(root)} (not "
            f"writable, and {_needs(dest, needed)}); pass a folder you can write to"
        )
    return created


def _needs(dest: Path, needed: dict[str, str | None]) -> str:
    """Say which files ``dest`` lacks, and why those there were rejected."""
    missing = [f"{name}.gz" for name, defect in needed.items() if defect is None]
    rejected = [defect for defect in needed.values() if defect is not None]
    said = []
    if missing:
        said.append(f"{shown_path(dest)} lacks {', '.join(missing)}")
    if rejected:
        said.append(f"rejected {'; '.join(rejected)}")
    return " and ".join(said)
