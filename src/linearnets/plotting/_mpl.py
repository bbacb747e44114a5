"""Shared plumbing: environment detection, headless backend choice, figure creation, atomic saving.

matplotlib is imported only inside these functions, so importing :mod:`linearnets.plotting` stays cheap,
and, everywhere in the package, only after :func:`matplotlib_module` (or :func:`pyplot`), which sets
up ``MPLCONFIGDIR`` first (``tests/plotting/test_mpl_dirs.py`` checks every import).
A figure's path is checked by :mod:`linearnets.plotting._out_path` (:func:`check_out_path`, importable
from here, and ``check_out_writable``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from linearnets._text import printable, quoted_path, shown_path
from linearnets.errors import UsageError
from linearnets.path_writable import write_refusal_reason
from linearnets.plotting._findfont_once import say_findfont_once
from linearnets.plotting._fonts import cjk_family as cjk_family
from linearnets.plotting._fonts import title_font as title_font
from linearnets.plotting._mpl_dirs import settle_config_dir
from linearnets.plotting._out_path import SAVE_FORMATS as SAVE_FORMATS
from linearnets.plotting._out_path import cannot_write, check_out_path, folder_in_its_place

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "as_numpy",
    "check_out_path",
    "in_notebook",
    "new_figure",
    "pyplot",
    "save_figure",
]

NAME_MAX = 255  # bytes in one file name on Linux and macOS file systems (ext4, APFS, tmpfs)
# dates make files differ on every run
_NO_DATE: dict[str, dict[str, Any]] = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}


def in_notebook() -> bool:
    """Return whether code runs in a Jupyter kernel (never imports IPython itself)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    shell = get_ipython()
    # Colab's and VS Code's shells subclass ZMQInteractiveShell; a terminal IPython does not
    return any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__)


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _backend_chosen(matplotlib: Any) -> bool:
    """Return whether the user picked a backend (MPLBACKEND, matplotlibrc or ``matplotlib.use``)."""
    try:
        return matplotlib.rcParams._get_backend_or_none() is not None
    except AttributeError:  # a matplotlib without the private helper: assume the user chose
        return True


def matplotlib_module(*, alternative: str = "") -> Any:
    """Return ``matplotlib``, importing it; a bad ``MPLBACKEND`` (which fails the import) is named.

    A home matplotlib cannot keep its settings in gets ``MPLCONFIGDIR`` set first, to a folder of
    ours, rather than matplotlib's two lines of warning (:mod:`~linearnets.plotting._mpl_dirs`).

    Args:
        alternative: the caller's own way around a bad backend, added to the fixes the message
            gives, e.g. "pass --plot none" (only ``softmax`` has that option).

    Raises:
        UsageError: ``MPLBACKEND`` names no backend matplotlib knows.
    """
    settle_config_dir()
    backend = os.environ.get("MPLBACKEND")
    try:
        import matplotlib
    except ValueError as exc:
        if backend is None or "backend" not in str(exc):
            raise
        raise _bad_backend(backend, "", alternative) from None
    # matplotlib takes any module:// name on import, and fails only when pyplot loads it (a
    # figure drawn into a file never does): refused alike, before anything is drawn
    if backend is not None and backend.startswith("module://"):
        module = backend.removeprefix("module://")
        if not _importable(module):
            raise _bad_backend(
                backend, f", whose module {module!r} cannot be imported", alternative
            )
    say_findfont_once()
    return matplotlib


def _bad_backend(backend: str, why: str, alternative: str) -> UsageError:
    """Return the refusal of ``MPLBACKEND=backend`` (``why`` after the value, if any)."""
    fixes = "unset it or set MPLBACKEND=Agg to draw into files"
    if alternative:
        fixes = f"unset it, set MPLBACKEND=Agg to draw into files, or {alternative}"
    return UsageError(f"MPLBACKEND must name a matplotlib backend, got {backend!r}{why}; {fixes}")


@functools.lru_cache(maxsize=8)
def _importable(module: str) -> bool:
    """Return whether ``module`` (dotted) is found on the path, without importing it (its parent
    packages are)."""
    try:
        return bool(module) and importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or an empty part ("a..b")
        return False


def pyplot() -> Any:
    """Return ``matplotlib.pyplot``, switching to Agg first when headless and no backend was chosen."""
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib = matplotlib_module()
        if not _backend_chosen(matplotlib) and not in_notebook() and not _has_display():
            matplotlib.use("Agg")
    import matplotlib
    import matplotlib.pyplot as plt

    _load_module_backend(matplotlib, plt)
    return plt


def _load_module_backend(matplotlib: Any, plt: Any) -> None:
    """Load a ``module://`` backend that ``MPLBACKEND`` names, while pyplot has loaded none,
    refusing a module that fails to load as one (``module://os``: found on the path, so
    :func:`matplotlib_module` kept it; a backend whose GUI toolkit is missing).

    pyplot loads its backend only at the first figure, where such a module failed with
    matplotlib's traceback from deep inside (``module 'os' has no attribute 'FigureCanvas'``);
    checked at every call until one loads: pyplot imported by the user first, or a second try
    after the refusal was caught, fail the same way. Once loaded there is nothing to do (and
    switching would close the figures open).
    """
    backend = os.environ.get("MPLBACKEND")
    # matplotlib.use() since may have chosen another: that one is the user's, and loads as it will
    if backend is None or not backend.startswith("module://"):
        return
    if getattr(plt, "_backend_mod", True) is not None or matplotlib.rcParams["backend"] != backend:
        return
    try:
        plt.switch_backend(backend)
    except Exception as exc:  # whatever the user's module raises on loading
        why = f", which failed to load as a backend ({type(exc).__name__}: {printable(str(exc))})"
        raise _bad_backend(backend, why, "") from None


def new_figure(figsize: tuple[float, float], *, managed: bool) -> Figure:
    """Return a new figure: through pyplot when ``managed`` (shown inline, ``plt.show()``), else a bare one.

    A bare :class:`~matplotlib.figure.Figure` is unknown to pyplot: it never opens a window, never
    shows up twice in a notebook, and is freed as soon as it is no longer referenced.
    """
    if managed:
        return pyplot().figure(figsize=figsize)
    matplotlib_module()
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def save_figure(
    fig: Figure,
    path: Path,
    *,
    tight: bool = True,
    name: str = "out",
    make_folder: bool = True,
    names_folder: bool = False,
) -> Path:
    """Write ``fig`` to ``path`` (format from the extension) atomically: temp file, then rename.

    Readers (an image viewer refreshing the file, a browser) never see a half-written image. SVGs carry
    no date and fixed ids, so the same figure gives the same bytes.

    Args:
        fig: the figure.
        path: the file, as :func:`check_out_path` returns it.
        tight: crop the figure to what is drawn (``bbox_inches="tight"``).
        name: the setting that gave ``path``, named when it cannot be written (the command line
            spells ``out`` as ``--out``).
        make_folder: make ``path``'s folder when it is missing; ``False`` where it must exist (a
            run's folder, removed while the run trains, is not made again holding figures only).
        names_folder: ``name`` is the setting of ``path``'s folder (``out_dir``), not of the file.

    Raises:
        UsageError: ``path`` is a folder, or cannot be written (the reason is given).
        OSError: the writing failed (a full disk): ``filename`` is ``path``.
    """
    matplotlib_module()  # imported with fig: the one way in all the same
    from matplotlib import rc_context

    fmt = path.suffix.lower().lstrip(".")
    box: Any = None
    if tight:  # a PNG's box measured without the extra draw (SVG and PDF measure text their way)
        box = _tight_box(fig) if fmt == "png" else "tight"
    # named before it is made, so that an interrupt at any point leaves no file unremoved
    tmp = path.with_name(_temporary_name(path.name))
    try:
        f = _open_temporary(path, tmp, name, make_folder=make_folder, names_folder=names_folder)
        with f, rc_context({"svg.hashsalt": "linearnets"}):
            fig.savefig(
                f,
                format=fmt,
                metadata=_NO_DATE.get(fmt),
                bbox_inches=box,
            )
        os.replace(tmp, path)
    except IsADirectoryError:
        _unlink(tmp)
        if names_folder:  # the file name is ours (curves.png): the folder is to move
            raise folder_in_its_place(name, path) from None
        raise UsageError(
            f"{name} must be a figure file, got {quoted_path(path)}, which is a folder; pass a "
            f"file name in it, e.g. {shown_path(path / ('figure' + path.suffix))}"
        ) from None
    except OSError as exc:  # a full disk, an I/O error: named by the figure, not nameless
        _unlink(tmp)
        named = _named_by_the_figure(exc, path, tmp)
        if named is exc:
            raise
        raise named.with_traceback(exc.__traceback__) from None
    except BaseException:
        _unlink(tmp)
        raise
    return path


def _named_by_the_figure(exc: OSError, path: Path, tmp: Path) -> OSError:
    """Return ``exc``, raised while the figure ``path`` was written, with that path as its file
    name where it named none (a write to the open file: "[Errno 28] No space left on device") or
    the temporary file (the rename): the error says which figure failed. Another file's (a
    font's) is left as it is.

    A rename's error names two files; it is made again with the figure's alone: ``filename2`` set
    to ``None`` is still shown, as "... 'fig.png' -> None".
    """
    if exc.filename is not None and os.fsdecode(exc.filename) != os.fspath(tmp):
        return exc
    if exc.filename2 is None:
        exc.filename = os.fspath(path)
        return exc
    # OSError(errno, ...) is of the class its errno names: FileNotFoundError stays one
    return OSError(exc.errno, exc.strerror, os.fspath(path))


def _tight_box(fig: Figure) -> Any:
    """Return the box ``bbox_inches="tight"`` crops a PNG of ``fig`` to, measured without drawing it.

    To find that box matplotlib draws the whole figure once with its output switched off, then
    again for real: every text laid out and every image resampled twice, a fifth of the time of a
    confusion matrix. The box is measured here from each artist's extent alone, with the renderer
    that draw would use (Agg at the figure's dpi); the PNG is the same, pixel for pixel (see the
    tests). Where the draw matters (a layout engine places the axes while drawing) or the dpi is
    not the figure's, ``"tight"`` itself is returned.
    """
    matplotlib_module()
    from matplotlib import rcParams
    from matplotlib.backends.backend_agg import RendererAgg

    if fig.get_layout_engine() is not None or rcParams["savefig.dpi"] != "figure":
        return "tight"
    # the renderer FigureCanvasAgg.draw makes; a new canvas would take the figure from pyplot
    renderer = RendererAgg(int(fig.bbox.width), int(fig.bbox.height), fig.dpi)
    box = fig.get_tightbbox(renderer)
    if box is None or not (box.width > 0 and box.height > 0):
        return "tight"
    pad = rcParams["savefig.pad_inches"]
    return box.padded(pad)


def _unlink(tmp: Path) -> None:
    """Remove the temporary file ``tmp`` if it was made; failing to is not the error to report."""
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def _open_temporary(
    path: Path, tmp: Path, name: str, *, make_folder: bool, names_folder: bool
) -> BinaryIO:
    """Create ``path``'s folder (with ``make_folder``) and the new temporary file ``tmp`` next to
    ``path``; return it."""
    # same folder, so the rename is atomic; opened normally, so the file gets the umask's permissions
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        return open(tmp, "xb")  # closed by the with in save_figure
    except OSError as exc:
        folder = path.parent
        setting = name if names_folder else f"the folder of {name}"
        if not make_folder and isinstance(exc, FileNotFoundError) and not folder.is_dir():
            raise UsageError(
                f"{setting} must be a folder that exists while the figures are written, got "
                f"{quoted_path(folder)}, which does not exist (removed since?); make it again, or "
                "pass one that exists"
            ) from None
        raise cannot_write(
            name, path, write_refusal_reason(exc, path), names_folder=names_folder
        ) from None


def _temporary_name(name: str) -> str:
    """Return a new name ``.NAME.PID-XXXXXXXX.tmp`` for a temporary file, with ``NAME`` cut short
    enough that the whole stays within :data:`NAME_MAX` bytes (any valid ``name`` can be written)."""
    tail = f".{os.getpid()}-{secrets.token_hex(4)}.tmp"
    room = NAME_MAX - 1 - len(tail)
    encoded = os.fsencode(name)
    if len(encoded) > room:
        # a character cut in two drops out: the name need only be unique (the tail) and legible
        name = encoded[:room].decode("utf-8", "ignore")
    return f".{name}{tail}"


def as_numpy(value: Any) -> np.ndarray:
    """Return ``value`` (tensor, array, PIL image, list) as a NumPy array, detached and on the CPU."""
    if hasattr(value, "detach"):  # torch.Tensor without importing torch here
        value = value.detach().cpu()
        if str(value.dtype) in ("torch.bfloat16", "torch.float16"):  # NumPy lacks bfloat16
            value = value.float()
        value = value.numpy()
    return np.asarray(value)
