"""Where a run folder can be made: what claiming one would refuse, checked without writing anything.

:func:`check_creatable` refuses an ``out`` no folder can be made at (a file, a broken link, too long
a path, inside a folder this process cannot write); :func:`check_default_runs` a ``runs`` in the
working folder that no new ``runs/<name>-<time>`` can go in (a file, a broken link, a folder that
cannot be written or searched); each names a folder refused for its permissions with those it
lacks and their chmod (``chmod u+wx runs``), the working folder by its path. Both run before a new
run reads its data (:func:`~linearnets.training.runs.check_run_dir`), so that a run refused for its
data, or for its folder, leaves the disk as it found it, and again as the folder is claimed
(:func:`~linearnets.training.runs.claim_run_dir`). :func:`check_reachable` refuses a run folder to
be read (a resume's, ``load_trained``'s) that this user may not look into.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

from linearnets._shell import shell_word
from linearnets._text import and_list, quoted_path, shown_path
from linearnets.errors import UsageError
from linearnets.path_checks import (
    cannot_search,
    link_problem,
    searchable_fix,
    system_place,
    unsearchable_folder,
)
from linearnets.path_writable import on_read_only_file_system
from linearnets.training.run_files import CONFIG_FILE, LONGEST_NAME

__all__ = [
    "RUNS",
    "check_creatable",
    "check_default_runs",
    "check_path_length",
    "check_reachable",
    "check_writable",
    "default_name",
    "setting",
]

RUNS = Path("runs")  # where a run given no out makes its folder, in the working folder


def setting(out: Path) -> str:
    """Return ``out`` as the setting it was given as: ``out='runs/a'``.

    The messages speak the Python API's words; the command line prints ``--out runs/a`` instead
    (``linearnets.cli._report``), as it does ``linearnets softmax --resume`` for a
    ``linearnets.resume_softmax`` call (``linreg`` for ``resume_linreg``).
    """
    return f"out={str(out)!r}"


def default_name(name: str, stamp: str | None = None) -> Path:
    """Return ``runs/<name>-<stamp>``, the folder of a run given no out (``stamp``: now's local
    time to the second)."""
    return RUNS / f"{name}-{stamp or time.strftime('%Y%m%d-%H%M%S')}"


def check_creatable(out: Path) -> None:
    """Refuse, writing nothing, an ``out`` no run folder can be made at.

    Raises:
        UsageError: ``out`` is a device, or in /dev, /proc or /sys
            (:func:`~linearnets.path_checks.system_place`); is a file, a broken link or has one on its path, has a file on its
            path, is too long a path for the run's files, or is (or would be made in) a folder
            this process cannot write.
    """
    place = system_place(out)
    if place:  # "/dev/x" made a run folder among the devices; "/dev/null" was "the file"
        raise UsageError(
            f"{setting(out)} cannot be a run folder: it is {place}; pass out=DIR, a folder of "
            "your own (e.g. a new name in the working folder)"
        )
    try:
        link = link_problem(out)
        if link:
            raise UsageError(
                f"{setting(out)} cannot be created: {link}; fix or remove the link, or pass "
                "another folder"
            )
        # the nearest that exists: out itself, or the parent it would be made in
        existing = next((p for p in (out, *out.parents) if p.exists()), Path("."))
        if not existing.is_dir():
            if existing == out:
                raise UsageError(
                    f"out must be a folder, got the file {shown_path(out)}; pass a new folder name"
                )
            raise UsageError(
                f"{setting(out)} cannot be created: {shown_path(existing)} is a file, not a "
                "folder; pass another folder"
            )
        check_path_length(out)
    except OSError as exc:  # a folder on the path that cannot be searched
        blocked = unsearchable_folder(out)
        if blocked is not None:  # named, with its chmod: no folder there can be made nor used
            raise UsageError(
                f"{setting(out)} cannot be reached: {cannot_search(blocked)}; "
                f"{searchable_fix(blocked)}, or pass another folder"
            ) from None
        raise UsageError(
            f"{setting(out)} cannot be created ({exc.strerror}); pass a writable folder"
        ) from None
    check_writable(out, existing)


def check_writable(out: Path, folder: Path | None = None) -> None:
    """Refuse an ``out`` whose ``folder`` (``out`` itself, or the nearest one that exists, which
    it would be made in) this user may not write and search, naming the permissions it lacks
    and their chmod (or the read-only file system, which no chmod fixes).

    Raises:
        UsageError: ``folder`` lacks the ``w`` or ``x`` permission.
    """
    folder = out if folder is None else folder
    if os.access(folder, os.W_OK | os.X_OK):
        return
    why, fix = _refusing(folder, lacks=_lacking(folder))
    fix = f"{fix}, or pass another folder" if fix else "pass a folder you can write to"
    if folder == out:
        raise UsageError(f"{setting(out)} {why}; {fix}")
    raise UsageError(f"{setting(out)} cannot be created: {shown_path(folder)} {why}; {fix}")


def check_reachable(run_dir: Path, *, name: str = "run_dir") -> None:
    """Refuse, reading nothing, a run folder to be read that this user may not search, or that is
    in a folder they may not search (no ``x`` permission): Python 3.11's ``Path.is_dir`` and
    ``exists`` raised the bare PermissionError there, from deep inside the call.

    Args:
        run_dir: the run folder, as given (``~`` expanded).
        name: the argument, as the message names it (``RUN_DIR`` where the command line's).

    Raises:
        UsageError: naming ``run_dir``, the folder that refuses the lookup and its chmod.
    """
    blocked = unsearchable_folder(run_dir / CONFIG_FILE)  # run_dir itself, or a folder above it
    if blocked is not None:
        raise UsageError(
            f"{name} must be a folder you can open, got {quoted_path(run_dir)}, but "
            f"{cannot_search(blocked)}; {searchable_fix(blocked)}, or pass another folder"
        )


# a folder's permissions, as chmod names them, and what each lets this user do
_PERMISSIONS = (
    ("r", os.R_OK, "readable"),
    ("w", os.W_OK, "writable"),
    ("x", os.X_OK, "searchable"),
)


def _lacking(folder: Path, *, known: str = "") -> str:
    """Return the permissions this user lacks on ``folder`` as chmod's letters (``"wx"``):
    those :func:`os.access` denies, and ``known``, those a refused lookup showed missing; ``wx``,
    what a run needs, where it denies none alone (it denied them together)."""
    lacks = "".join(
        letter for letter, mode, _ in _PERMISSIONS if letter in known or not os.access(folder, mode)
    )
    return lacks or "wx"


def _refusing(folder: Path, *, lacks: str) -> tuple[str, str | None]:
    """Return what is wrong with ``folder``, which lacks the permissions ``lacks``, and its fix:
    ``is not writable or searchable (no w or x permission)`` and ``make it writable and
    searchable (chmod u+wx runs)``. No fix where no chmod helps: a read-only file system, or a
    refusal to root, whom no mode refuses (``/proc``, an immutable folder)."""
    if "w" in lacks and on_read_only_file_system(folder):
        return "is on a read-only file system", None
    kinds = [kind for letter, _, kind in _PERMISSIONS if letter in lacks]
    if getattr(os, "geteuid", lambda: None)() == 0:
        return f"is not {_or_list(kinds)}", None
    why = f"is not {_or_list(kinds)} (no {_or_list(list(lacks))} permission)"
    return why, f"make it {and_list(kinds)} (chmod u+{lacks} {shell_word(folder)})"


def _or_list(words: list[str]) -> str:
    """Return ``words`` joined as alternatives: ``"a, b or c"``."""
    return " or ".join(", ".join(words).rsplit(", ", 1))


def check_default_runs(name: str) -> None:
    """Refuse, writing nothing, a ``runs`` in the working folder that the new run folder
    ``runs/<name>-<time>`` cannot go in, naming what is there and the ways on.

    Raises:
        UsageError: ``runs`` is a file (or a link to one), a broken link, or a folder this process
            cannot write or search; or the working folder cannot be searched, or there is no
            ``runs`` and it cannot be written; or the run's files in ``runs/<name>-<time>`` would
            be too long a path.
    """
    goes = f"a new run's folder goes in {shown_path(RUNS / name)}-TIME here"
    try:
        mode = RUNS.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):  # the working folder cannot be searched
            raise _refused_here(lacks=_lacking(Path("."), known="x")) from None
        raise UsageError(
            f"runs/ cannot be created here ({exc.strerror}); pass out=DIR, a folder you can "
            "write to"
        ) from None
    if mode is not None and stat.S_ISLNK(mode):
        link = link_problem(RUNS)
        if link:  # to nothing, or to itself
            raise UsageError(f"{link}: {goes}; fix or remove the link, or pass out=DIR")
        if not RUNS.is_dir():
            target = shown_path(os.readlink(RUNS))
            raise UsageError(
                f"runs is a symbolic link to {target}, which is not a folder: {goes}; fix or "
                "remove the link, or pass out=DIR"
            )
    elif mode is not None and not stat.S_ISDIR(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a file"
        raise UsageError(
            f"runs is {kind}, not a folder: {goes}; move or rename it, or pass out=DIR"
        )
    if mode is None:
        if not os.access(".", os.W_OK | os.X_OK):
            raise _refused_here(lacks=_lacking(Path(".")))
    elif not os.access(RUNS, os.W_OK | os.X_OK):
        why, fix = _refusing(RUNS, lacks=_lacking(RUNS))
        raise UsageError(f"runs/ {why}: {goes}; {f'{fix}, or ' if fix else ''}pass out=DIR")
    check_path_length(default_name(name))


def _refused_here(*, lacks: str) -> UsageError:
    """Return the refusal of a new ``runs/`` in the working folder, which lacks the permissions
    ``lacks``, naming the folder by its path (``the working folder`` alone if it was removed) and
    its chmod."""
    try:
        here = Path.cwd()
    except OSError:
        here = Path(".")
    why, fix = _refusing(here, lacks=lacks)
    named = "the working folder" + ("" if here == Path(".") else f" {shown_path(here)}")
    return UsageError(
        f"runs/ cannot be created here: {named} {why}; {f'{fix}, or ' if fix else ''}pass "
        "out=DIR, a folder you can write to"
    )


def check_path_length(out: Path) -> None:
    """Refuse an ``out`` in which the run's longest file name would pass the file system's limits.

    Checked before any folder is made: otherwise the run would train an epoch and then fail to
    create its checkpoint's temporary file (``File name too long``).
    """
    existing = next((p for p in (out, *out.parents) if p.is_dir()), Path("."))
    try:
        path_max = os.pathconf(existing, "PC_PATH_MAX")  # counts the terminating NUL
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no limit given
        return
    length = len(os.fsencode(out / LONGEST_NAME))
    if len(LONGEST_NAME) > name_max:  # no shorter path helps: the names themselves are too long
        raise UsageError(
            f"{setting(out)} is on a file system whose file names hold at most {name_max} bytes, "
            f"and a run writes names of up to {len(LONGEST_NAME)} ({LONGEST_NAME}); pass a folder "
            "on another file system"
        )
    if length >= path_max:
        raise UsageError(
            f"{setting(out)} is too long a path ({len(os.fsencode(out))} bytes): the files a run "
            f"writes in it would need {length} bytes, past the file system's limit of "
            f"{path_max - 1}; pass a shorter path, e.g. a relative one or a folder nearer the root"
        )
