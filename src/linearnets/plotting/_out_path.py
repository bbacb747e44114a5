"""A figure's output path checked before anything is drawn: a file name with a figure's extension.

:func:`check_out_path` names the setting, the rule, the path received and the fix (a folder, a
separator at the end, an extension alone, a link to nowhere); :func:`check_out_writable` refuses
one whose folder this user cannot write in, offering one that can be
(:mod:`linearnets.path_writable`). The atomic save is :mod:`linearnets.plotting._mpl`'s.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from linearnets._shell import shell_word, typed_path
from linearnets._text import quoted_path, shown_path
from linearnets.errors import UsageError
from linearnets.path_checks import expand_user, link_problem, system_place
from linearnets.path_writable import nearest_existing, unwritable_reason, writable_example

__all__ = [
    "SAVE_FORMATS",
    "cannot_write",
    "check_out_path",
    "check_out_writable",
    "folder_in_its_place",
]

SAVE_FORMATS = (".png", ".svg", ".pdf")


# other image formats' suffixes, replaced in the fix offered; any other suffix is part of the name
_IMAGE_SUFFIXES = (
    ".jpg",
    ".jpeg",
    ".gif",
    ".bmp",
    ".tif",
    ".tiff",
    ".webp",
    ".eps",
    ".ps",
    ".svgz",
)


def _passing(name: str, path: Path) -> str:
    """Return how to pass ``path`` as ``name``: an option's word quoted for the shell (``--out
    'my fig.png'``, ``./-x.png``), a parameter's Python string."""
    return f"{name} {shell_word(path)}" if name.startswith("--") else f"{name}={str(path)!r}"


def _with_format(path: Path, suffix: str) -> Path:
    """Return ``path`` ending in ``suffix``: another image format's replaced (``p.jpg``:
    ``p.png``), else added (``grid``: ``grid.png``, ``run.v2``: ``run.v2.png``)."""
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        return path.with_suffix(suffix)
    return path.with_name(path.name + suffix)


def check_out_path(
    name: str,
    out: str | Path,
    formats: Sequence[str] = SAVE_FORMATS,
    *,
    names_folder: bool = False,
    file_name: str = "figure.png",
) -> Path:
    """Return ``out`` as a :class:`Path` (``~`` expanded) if it names a file with one of ``formats``'
    extensions, else raise UsageError; ``names_folder``: ``name`` sets ``out``'s folder, its file
    name is the caller's (``curves.png`` in ``out_dir``), and a folder there is to be moved.
    ``file_name``: the name suggested for a file in a folder ``out`` names (``predict-2.png``, the
    name the caller would give it)."""
    if not isinstance(out, str | os.PathLike):
        raise UsageError(f"{name} must be a path (str or pathlib.Path), got {out!r}")
    example = f"{name} figure.png" if name.startswith("--") else f"{name}='figure.png'"
    if not str(out):
        raise UsageError(f"{name} must be a file name, got an empty string; pass e.g. {example}")
    path = expand_user(name, out)  # as root= and the configs' out= do: "~/grid.png" is at home
    place = system_place(path)
    if place:  # "/dev/null.png" was written among the devices: a name in the working folder
        raise _in_the_system(name, path, place, file_name)
    if str(out).endswith(("/", os.sep)):  # Path drops it: "x.png/" was written as the file x.png
        raise UsageError(
            f"{name} must name a file, got {quoted_path(out)}, which ends with a separator as a "
            f"folder does; drop it ({quoted_path(path)}) for a file, or name a file in that "
            f"folder, e.g. {quoted_path(path / file_name)}"
        )
    if path.name.lower() in formats:  # ".png": Path takes it for a hidden file with no suffix
        fixed = path.with_name(f"figure{path.name}")
        raise UsageError(
            f"{name} must name a file, got {quoted_path(out)}, which has only an extension "
            f"({path.name}) and no file name; pass e.g. {_passing(name, fixed)}"
        )
    if path.suffix.lower() not in formats:
        if _is_folder(path):  # "--out results", a folder: a file in it was meant, not a suffix
            raise _a_folder(name, path, file_name)
        fixed = _with_format(path, formats[0])  # the user's folder and name kept
        raise UsageError(
            f"{name} must end with one of {', '.join(formats)}, got {quoted_path(path)}; pass "
            f"e.g. {_passing(name, fixed)}"
        )
    try:
        if path.is_dir() and names_folder:
            raise folder_in_its_place(name, path)
        if path.is_dir():
            raise _a_folder(name, path, file_name)
        problem = link_problem(path.parent)
        if problem:  # exists() is False for it, so the search for a folder below would pass it
            raise UsageError(
                f"{name} {shown_path(path)} cannot be written: {problem}; repair or remove the "
                "link, or pass a path in a folder"
            )
        for parent in path.parents:  # the nearest existing folder on the path must be a folder
            if parent.exists():
                if not parent.is_dir():
                    raise UsageError(
                        f"{name} {shown_path(path)} cannot be written: {shown_path(parent)} is a "
                        "file, not a folder; pass a path in a folder"
                    )
                break
    except OSError as exc:  # a path too long, or a folder on it that cannot be looked into
        raise UsageError(
            f"{name} {shown_path(path)} cannot be written ({exc.strerror or type(exc).__name__}); "
            "pass another path"
        ) from None
    return path


def _in_the_system(name: str, path: Path, place: str, file_name: str) -> UsageError:
    """Return the refusal of ``path`` (given as ``name``), which is ``place``
    (:func:`~linearnets.path_checks.system_place`: a device, or in /dev, /proc or /sys),
    offering ``file_name`` in the working folder (a free name there; else at home or in the
    temporary folder)."""
    example = writable_example(file_name, path.parent.absolute()) or file_name
    here = ", in the working folder" if Path(example).name == example else ""
    fix = f"{name} {typed_path(example)}" if name.startswith("--") else f"{name}={example!r}"
    return UsageError(
        f"{name} must be a file in a folder of your own, got {quoted_path(path)}, which is "
        f"{place}; pass e.g. {fix}{here}"
    )


def _is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder; ``False`` where that cannot be looked into (named later)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _a_folder(name: str, path: Path, file_name: str) -> UsageError:
    """Return the error for ``path`` (given as ``name``), a folder: a file in it is suggested."""
    return UsageError(
        f"{name} {shown_path(path)} is a folder; pass a file name in it, e.g. "
        f"{shown_path(path / file_name)}"
    )


def folder_in_its_place(name: str, path: Path) -> UsageError:
    """Return the error for a figure file ``path`` of the caller's naming (``curves.png``) in the
    folder ``name`` sets (``out_dir``) that is a folder: no other file name can be passed, the
    folder is to be moved."""
    return UsageError(
        f"{name} must be a folder {path.name} can be written in, got {quoted_path(path.parent)}, "
        f"which holds a folder {quoted_path(path)} in its place; move or remove that folder, or "
        f"pass another {name}"
    )


def check_out_writable(name: str, path: Path) -> Path:
    """Return ``path`` (as :func:`check_out_path` returns it), refusing, before anything is read
    or drawn, one whose folder (or the nearest one that exists, where it would be made) this user
    cannot write in, as :func:`save_figure` would refuse it once the figure was drawn."""
    reason = unwritable_reason(path)
    if reason is not None:
        raise cannot_write(name, path, reason, names_folder=False)
    return path


def cannot_write(name: str, path: Path, reason: str, *, names_folder: bool) -> UsageError:
    """Return the refusal of a figure ``path`` (set by ``name``; with ``names_folder``, its
    folder) that cannot be written for ``reason``; the fix is a place that can be written: the
    working folder, else the home folder or the temporary one (:func:`writable_example`)."""
    folder = nearest_existing(path.parent.absolute()) or path.parent
    if names_folder:
        example = writable_example("figures", folder)
        fix = f"pass e.g. {name}={example!r}" if example else f"pass a {name} you can write to"
        return UsageError(
            f"{name} must be a folder you can write to, got {quoted_path(path.parent)}, but "
            f"{reason}; {fix}"
        )
    # the command line's own file name, in a folder it can be written in; the library's figure.png
    option = name.startswith("--")
    example = writable_example(path.name if option else f"figure{path.suffix}", folder)
    fix = "pass a file in a folder you can write to"
    if example:
        fix = (
            f"pass e.g. {name} {typed_path(example)}" if option else f"pass e.g. {name}={example!r}"
        )
    return UsageError(
        f"{name} must be a file in a folder you can write to, got {quoted_path(path)}, but "
        f"{reason}; {fix}"
    )
