"""Path settings: ``~`` expanded as the shell would, names within the file system's limits, links
that lead nowhere named (``out``, ``data``, ``data_dir``, ``root``, ``run_dir``, ``LINEARNETS_DATA``...).

Each check returns a :class:`~pathlib.Path` or raises a :class:`~linearnets.errors.UsageError` naming
the setting, the rule, the value and a fix; every path a user gives passes through
:func:`expand_user`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Any

from linearnets._shell import shell_word
from linearnets._text import drop_blanks, quoted_path, shown_path
from linearnets.errors import UsageError, UsageTypeError

__all__ = [
    "blank_fix",
    "blanks_problem",
    "cannot_search",
    "check_path",
    "expand_user",
    "link_problem",
    "searchable_fix",
    "system_place",
    "unsearchable_folder",
    "without_blanks",
]


def expand_user(name: str, path: str | os.PathLike[str]) -> Path:
    """Return ``path`` with a leading ``~`` or ``~user`` expanded as the shell would; refuse one that
    cannot be, naming the setting ``name`` (e.g. ``out``, ``LINEARNETS_DATA``). A ``~user`` of no
    user that names a file or folder here (``~old/run``) is that one, as the shell leaves it.

    Raises:
        UsageError: the home folder is unknown: ``~`` with no ``HOME`` and no user-database entry
            (``env -i``, a container's bare uid), or ``~user`` for a user that does not exist
            (and no ``~user`` here); or
            the path is longer than its file system takes (:func:`_check_lengths`).
    """
    path = Path(path)
    try:
        expanded = path.expanduser()
    except RuntimeError:  # pathlib's "Could not determine home directory."
        head = path.parts[0]
        user = head[1:]
        if user and os.path.lexists(head):
            # a folder named "~old" here, no user old: the shell leaves the word as it is
            # (ls ~old/run lists it), so it is that folder, not a user's home folder
            _check_lengths(name, path)
            return path
    else:
        _check_lengths(name, expanded)
        return expanded
    why = (
        f"the user database knows no user {user!r}"
        if user
        else "HOME is not set and the user database has no entry for this user"
    )
    rest = Path(*path.parts[1:]) if len(path.parts) > 1 else Path()
    fix = f"write the path out in full (e.g. {shown_path(Path('/home', user or 'me', rest))})"
    if not user:
        fix += ", or set HOME"
    else:
        # absolute: './~old/run' is Path('~old/run') again, expanded again; a relative one is also
        # refused where a path must be absolute (LINEARNETS_CACHE_DIR)
        with contextlib.suppress(OSError):  # a working folder removed: no path to give
            here = os.path.abspath(path)
            fix += f", or pass {shown_path(here)} for a folder named {shown_path(head)} here"
    raise UsageError(
        f"{name} must be a path whose {shown_path(head)} can be expanded, got {quoted_path(path)}, "
        f"but {why}; {fix}"
    )


# the limits where the system cannot say (no pathconf, as on Windows): Linux's and macOS's
DEFAULT_NAME_MAX = 255  # bytes in one name (ext4, tmpfs, APFS)
DEFAULT_PATH_MAX = 4096  # bytes in a whole path, its terminating NUL included
# the least any POSIX system allows (_POSIX_NAME_MAX, _POSIX_PATH_MAX): shorter paths are not asked
_POSIX_NAME_MAX, _POSIX_PATH_MAX = 14, 256


def _check_lengths(name: str, path: Path) -> None:
    """Refuse ``path``, the setting ``name``, if one of its file or folder names, or the whole, is
    longer than its file system takes.

    pathlib's ``is_dir()`` and ``exists()`` raise on such a path (``File name too long``) rather
    than say False, so any later check would fail in the system's words, naming no setting.
    """
    longest = max(path.parts, key=lambda part: len(os.fsencode(part)), default="")
    name_bytes, path_bytes = len(os.fsencode(longest)), len(os.fsencode(path))
    if name_bytes <= _POSIX_NAME_MAX and path_bytes < _POSIX_PATH_MAX:
        return  # within every POSIX file system's limits: no need to ask this one
    name_max, path_max = _length_limits(path)
    shown = quoted_path(_shortened(str(path)))
    if name_max is not None and name_bytes > name_max:
        size = f" ({name_bytes} bytes)"
        if longest != str(path):  # "runs/xxx…/a": say which name
            size = f", whose name {quoted_path(_shortened(longest))} has {name_bytes} bytes"
        raise UsageError(
            f"{name} must be a path whose every file or folder name is at most {name_max} bytes "
            f"(the file system's limit), got {shown}{size}; shorten that name"
        )
    if path_max is not None and path_bytes >= path_max:
        raise UsageError(
            f"{name} must be a path of at most {path_max - 1} bytes (the file system's limit), "
            f"got {shown} ({path_bytes} bytes); pass a shorter path"
        )


def _length_limits(path: Path) -> tuple[int | None, int | None]:
    """Return the longest name and path (in bytes, the path's NUL included) that the file system
    of ``path``'s nearest existing folder takes; ``None`` for no limit."""
    # os.path.isdir, unlike Path.is_dir, says False for a name too long rather than raise
    folder = next((p for p in (path, *path.parents) if os.path.isdir(p)), Path("."))
    limits = []
    for key, default in (("PC_NAME_MAX", DEFAULT_NAME_MAX), ("PC_PATH_MAX", DEFAULT_PATH_MAX)):
        try:
            limit = os.pathconf(folder, key)
        except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or it cannot say
            limit = default
        limits.append(limit if limit > 0 else None)  # -1: the system sets no limit
    return limits[0], limits[1]


def _shortened(text: str, most: int = 60) -> str:
    """Return ``text``, its middle cut to ``…`` when it is longer than ``most`` characters."""
    if len(text) <= most:
        return text
    tail = most // 4
    return f"{text[: most - tail - 1]}…{text[-tail:]}"


def link_target(path: Path) -> Path:
    """Return where the symbolic link ``path`` points, as seen from here: a relative target
    (``../other``) is relative to the link's folder, not to the working one, and each ``..`` is
    taken off as the system takes it (:func:`_without_dotdots`). Raises ``OSError`` where
    ``path`` is no link (or went meanwhile)."""
    return _without_dotdots(Path(path.parent, os.readlink(path)))


def _without_dotdots(path: Path) -> Path:
    """Return ``path`` (whose ``.`` parts ``Path`` drops) with each ``..`` taken off the folder
    before it as the system resolves it: a folder's parent, but a link's target's parent
    (``d/../gone``, ``d`` a link to ``deep/realdir``, is ``deep/gone``, not ``gone``, which
    os.path.normpath would say). A ``..`` after what is no folder (not made yet: the system
    finds nothing there) or after nothing (``../x``) is kept."""
    folder = Path()
    for part in path.parts:
        if part == ".." and folder.anchor and folder == Path(folder.anchor):
            continue  # "/.." is "/"
        if part != ".." or folder.name in ("", "..") or not os.path.isdir(folder):
            folder /= part
        elif folder.is_symlink():
            folder = Path(os.path.realpath(folder)).parent
        else:
            folder = folder.parent
    return folder


# the links a chain is followed through to the missing end (Linux's own bound, SYMLOOP_MAX 40)
_MOST_LINKS = 40


def link_problem(path: Path) -> str | None:
    """Return what blocks ``path`` at a symbolic link: the first link on it (``path`` included) that
    points nowhere or loops, e.g. ``runs is a symbolic link to /mnt/gone, which does not exist``;
    ``None`` when no link does. A link to a link is followed to what does not exist, the folder
    to make (``runs is a symbolic link to e, which leads through links to /mnt/gone, which does
    not exist``): ``e`` itself exists, a link (``mkdir e`` fails); so is a link to a path through
    another such link (``runs is a symbolic link to e/sub, which does not exist (e is a symbolic
    link to /mnt/gone, which does not exist)``). Where a file stands where a folder on the way to
    that end should be, no folder can be made there, and it is named (``runs is a symbolic link
    to f/../gone, which cannot be made (f is a symbolic link to f.txt, a file, not a folder)``)."""
    return _link_problem(path, _MOST_LINKS)


def _link_problem(path: Path, links_left: int) -> str | None:
    """Return :func:`link_problem`'s words for ``path``, following at most ``links_left`` more
    links to what does not exist."""
    for part in (*reversed(path.parents), path):
        try:
            if not part.is_symlink():
                continue
            os.stat(part)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"{shown_path(part)} is a symbolic link that loops back to itself"
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                return None  # a folder that cannot be searched: not a link's fault
            try:
                target = link_target(part)
            except OSError:  # replaced meanwhile
                return f"{shown_path(part)} is a symbolic link to something that does not exist"
            return f"{shown_path(part)} is a symbolic link to {_missing_end(target, links_left)}"
    return None


def _missing_end(target: Path, links_left: int) -> str:
    """Say that ``target``, where a link points, does not exist: where it is a link itself, it is
    followed to its end, what does not exist (a loop is refused before, by the system's ELOOP),
    and a link on the end's path that leads nowhere is named after it."""
    end, links = target, 0
    while links < links_left:
        try:
            end, links = link_target(end), links + 1
        except OSError:  # no link (or gone meanwhile): the end
            break
    said = f"{shown_path(target)}, which does not exist"
    if links:
        through = "is itself a symbolic link to" if links == 1 else "leads through links to"
        said = f"{shown_path(target)}, which {through} {shown_path(end)}, which does not exist"
    file = _file_on_the_way(end)
    if file:  # no folder can be made there: "does not exist" sent the user to mkdir it
        return f"{said.removesuffix(', which does not exist')}, which cannot be made ({file})"
    below = _link_problem(end.parent, links_left - links - 1) if links < links_left else None
    return f"{said} ({below})" if below else said


def _file_on_the_way(end: Path) -> str | None:
    """Say which of the folders ``end`` is made in is a file (a link to one too), where one is:
    ``f is a symbolic link to f.txt, a file, not a folder`` (``end`` ``f/../gone``, which the
    system cannot make: Not a directory); else ``None``."""
    for folder in reversed(end.parents):
        if not os.path.exists(folder) or os.path.isdir(folder):
            continue
        if not os.path.islink(folder):
            return f"{shown_path(folder)} is a file, not a folder"
        try:
            hop = link_target(folder)
        except OSError:  # replaced meanwhile
            return f"{shown_path(folder)} is a symbolic link to a file, not a folder"
        to = "is a symbolic link to"
        if os.path.islink(hop):
            to, hop = "leads through links to", Path(os.path.realpath(folder))
        return f"{shown_path(folder)} {to} {shown_path(hop)}, a file, not a folder"
    return None


def blank_fix(path: Path) -> str | None:
    """Return the fix for ``path``, which does not exist, where it is one that does but for the
    whitespace around its text or its name (``'data '`` from a script's variable, or
    ``/w/ data`` made of ``' data'``): ``drop the blank: '/w/data'``; else ``None``."""
    bare = without_blanks(path)
    if not bare or not os.path.lexists(bare):
        return None
    return f"{drop_blanks(len(str(path)) - len(bare))}: {quoted_path(bare)}"


def without_blanks(path: Path) -> str | None:
    """Return ``path`` spelled without the whitespace around its text (``'data '``) or, where
    that has none, around its name (``/w/ data``, made of ``' data'`` by a config that resolves
    it), ``''`` where nothing is left of the name; ``None`` where it has no such blanks."""
    text, name = str(path), path.name.strip()
    if text != text.strip():
        return text.strip()
    if path.name != name:
        return str(path.with_name(name)) if name else ""
    return None


def unsearchable_folder(path: Path) -> tuple[Path, str] | None:
    """Return the folder on the way to ``path`` that this user may not search (no ``x``
    permission) with the system's reason, or ``None`` when ``path`` can be looked up, whether or
    not anything is there.

    Python 3.11's ``Path.is_file``, ``exists`` and ``is_dir`` raise PermissionError there, which
    reached the user as "[Errno 13] Permission denied: 'DIR/FILE'" with no word of the folder.
    """
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM):
            return None  # missing, or a link's problem (link_problem names it)
        folder = path.parent  # this one refuses, or a folder above it does
        while folder != folder.parent and _denied(folder):
            folder = folder.parent
        return folder, exc.strerror or type(exc).__name__
    return None


def cannot_search(blocked: tuple[Path, str]) -> str:
    """Return what is wrong with a folder that cannot be searched (:func:`unsearchable_folder`'s),
    e.g. ``/w/data cannot be searched (Permission denied)``; the working folder, which a relative
    path's refusal gives as ``.``, named so and by its path."""
    folder, reason = blocked
    named = shown_path(_where(folder))
    if folder == Path("."):
        named = "the working folder" + ("" if named == "." else f" {named}")
    return f"{named} cannot be searched ({reason})"


def searchable_fix(blocked: tuple[Path, str]) -> str:
    """Return the fix for a folder that cannot be searched (:func:`unsearchable_folder`'s)."""
    return f"make it readable (chmod u+rx {shell_word(_where(blocked[0]))})"


def _where(folder: Path) -> Path:
    """Return ``folder``, the working folder (``.``) by its path where it has one."""
    if folder != Path("."):
        return folder
    try:
        return Path.cwd()
    except OSError:  # removed
        return folder


def _denied(path: Path) -> bool:
    """Return whether looking ``path`` up is refused by a folder's permissions."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno in (errno.EACCES, errno.EPERM)
    return False


# the system's own folders: what is in them is the kernel's, no place for a user's file or folder
_SYSTEM_FOLDERS = (
    (Path("/dev"), "the folder of the system's devices"),
    (Path("/proc"), "the kernel's folder of processes"),
    (Path("/sys"), "the kernel's folder of its settings"),
)
# a folder in /dev that holds files of the users' own: shared memory, a tmpfs (/dev/shm/run)
_FILES_IN_DEV = Path("/dev/shm")


def system_place(path: Path) -> str | None:
    """Return what puts ``path`` out of bounds for a file or folder of the user's (a figure, a run
    folder), to follow "which is" or "it is": a device, wherever it is (``/dev/null``: ``a device
    in /dev, the folder of the system's devices``), or a path whose real one (its links followed:
    ``/dev/fd`` is ``/proc/self/fd``) is one of the system's folders, /dev, /proc or /sys
    (``/dev, the folder of the system's devices``), or in one (``/dev/null.png``: ``in /dev,
    the folder ...``, where root's write made a file among the devices), whatever its suffix;
    the real path said where it is another (``(it leads to /proc/77/fd)``). ``None`` where it
    is none of these (``/dev/shm`` and what it holds: a tmpfs for files, a device's name aside),
    or cannot be looked at (told later)."""
    try:
        absolute = Path(os.path.abspath(path))
        # the path's own real one (a link to /dev/null), else its folder's (/dev/fd/1, fd 1 a
        # file elsewhere: its folder is /proc/self/fd all the same)
        reals = (Path(os.path.realpath(path)), Path(os.path.realpath(absolute.parent)))
    except (OSError, ValueError):
        return None
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # nothing there yet: a name to be made
        mode = 0
    device = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else ""
    if reals[0] == _FILES_IN_DEV or _FILES_IN_DEV in reals[0].parents:
        return device or None  # /dev/shm/run: a tmpfs holds files as any folder does
    for real, given in zip(reals, (absolute, absolute.parent), strict=True):
        leads = "" if real == given else f" (it leads to {shown_path(real)})"
        for folder, what in _SYSTEM_FOLDERS:
            if real == folder and given == absolute:
                return f"{folder}, {what}{leads}"
            if real == folder or folder in real.parents:
                inside = f"in {folder}, {what}{leads}"
                return f"{device} {inside}" if device else inside
    return device or None


# what each path setting of the configs takes, for the fix of a bad one: softmax's data is a .npz,
# linreg's a .npz or .csv, so the example is a .npz
_PATH_WANTED = {
    "data": "a data file, e.g. data='train.npz'",
    "data_dir": "the folder holding the Fashion-MNIST files, e.g. data_dir='data/fashion-mnist'",
    "out": "the run folder to create, e.g. out='runs/a'",
}


def check_path(name: str, value: Any, *, wanted: str | None = None) -> Path | None:
    """Return ``value`` as a :class:`Path` with ``~`` expanded (``None`` stays), or raise naming ``name``.

    Args:
        name: the setting, e.g. ``data``.
        value: a ``str`` or ``Path`` (the configs turn other path-likes into these first), or ``None``.
        wanted: what the setting takes, with an example, for the fix (e.g. ``"a data file, e.g.
            data='train.npz'"``); by default the configs' own for ``data``, ``data_dir`` and ``out``.
    """
    if value is None:
        return value
    wanted = wanted or _PATH_WANTED.get(name, f"a file or folder name, e.g. {name}='name'")
    if isinstance(value, Path | str) and str(value):
        problem = blanks_problem(str(value), wanted)
        if problem:
            raise UsageError(f"{name} {problem}")
        return expand_user(name, value)  # "~/runs/a" as the shell would have expanded it
    if isinstance(value, str):  # Path("") is Path("."): only a str can be empty
        # an empty path would be this folder, which no path setting means
        raise UsageError(
            f"{name} must be a non-empty path or None, got ''; pass {wanted}, or {name}=None"
        )
    raise UsageTypeError(
        f"{name} must be a path (str, pathlib.Path or another os.PathLike) or None, got "
        f"{value!r:.60}; pass {wanted}"
    )


def blanks_problem(text: str, wanted: str) -> str | None:
    """Return what is wrong with a path ``text`` that begins or ends with whitespace unless a file
    or folder of that very name exists, the rule, the value and the fix, for the setting's name
    (or an option's) to lead (``wanted``: what it takes, for a path of blanks alone); else
    ``None``. ``out='runs/a '`` (a script's variable, a pasted line) made the folder 'runs/a ',
    not found again as runs/a."""
    bare = text.strip()
    if bare == text or os.path.lexists(os.path.expanduser(text)):
        return None
    fix = f"drop it: {quoted_path(bare)}" if bare else f"pass {wanted}"
    return (
        "must not begin or end with whitespace (unless a file or folder of that name exists), got "
        f"{quoted_path(text)}; {fix}"
    )
