"""The limits and checks of run settings that the configs share (:mod:`linearnets.config`).

Each check returns the plain value (a NumPy or one-element tensor number taken as a Python one) or raises a
:class:`~linearnets.errors.UsageError` naming the setting, the rule, the value and a fix.
"""

from __future__ import annotations

import errno
import math
import numbers
import os
from pathlib import Path
from typing import Any

from linearnets.errors import UsageError, UsageTypeError

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_DATA_BYTES",
    "MAX_EXAMPLES",
    "MAX_LR",
    "MAX_NOISE_STD",
    "MAX_RESIZE",
    "MAX_SEED",
    "MAX_SIZE",
    "MAX_THREADS",
    "MIN_LR",
    "check_bias",
    "check_data_size",
    "check_lr_floor",
    "check_path",
    "check_seed",
    "check_weights",
    "expand_user",
    "link_problem",
    "plain_number",
]

# Upper limits, so that a huge value is refused here with its name rather than overflowing deep
# inside torch: a seed torch's generators keep whole (they use its low 32 bits only, so 2**32 would
# repeat seed 0) with room for the data stream's offset, a thread count far past any machine, sizes a
# 64-bit index holds, and noise whose squared errors stay finite in float32.
MAX_SEED = 2**31 - 1
MAX_THREADS = 1024
MAX_SIZE = 2**62
MAX_EXAMPLES = 10**8  # 10⁸ examples of a few features is already gigabytes of float32
MAX_NOISE_STD = 1e15
MAX_LR = 3.4e38  # float32's largest value: the parameters and their updates are float32
MIN_LR = 1.2e-38  # float32's smallest normal value: below it lr × gradient underflows to nothing
MAX_BATCH_BYTES = 2**31  # one batch of float32 images (batch_size × resize²) at most 2 GiB
# synthetic features X (num_examples × d values) at most 2 GiB, as a batch of images and a softmax
# model's weights (data.arrays.MAX_WEIGHT_BYTES): 10⁸ examples of up to 5 float32 features
MAX_DATA_BYTES = 2**31
MAX_RESIZE = 4096  # a 4096² float32 image is 64 MiB; a batch of them is already too much


def check_lr_floor(lr: float, example: str) -> None:
    """Refuse an ``lr`` below float32's smallest normal number; ``example`` is the fix's value."""
    if lr < MIN_LR:
        raise UsageError(
            f"lr must be at least {MIN_LR:g} (float32's smallest normal number; the updates would "
            f"underflow to nothing), got {lr:g}; pass e.g. lr={example}"
        )


def check_data_size(
    num_examples: int,
    num_weights: int,
    *,
    weights: str,
    dtype: str = "float32",
    itemsize: int = 4,
    fewest: int = 1,
) -> None:
    """Refuse synthetic features X, ``num_examples`` × ``num_weights`` values of ``itemsize`` bytes,
    past :data:`MAX_DATA_BYTES`; ``weights`` names the weights' setting (``w``, ``true_w``) and
    ``fewest`` is the fewest examples the caller takes.

    Checked before anything is drawn: torch's allocator would fail with a bare byte count.
    """
    nbytes = num_examples * num_weights * itemsize
    if nbytes <= MAX_DATA_BYTES:
        return
    most = MAX_DATA_BYTES // (num_weights * itemsize)
    fix = (
        f"pass num_examples={most} or fewer, or fewer weights"
        if most >= fewest
        else f"pass fewer weights (at most {MAX_DATA_BYTES // (fewest * itemsize)})"
    )
    raise UsageError(
        f"num_examples × the {num_weights} weights of {weights} must give features X of at most "
        f"{MAX_DATA_BYTES // 2**30} GiB of {dtype}, got {num_examples} × {num_weights} × "
        f"{itemsize} bytes ({nbytes / 2**30:.1f} GiB); {fix}"
    )


def check_seed(seed: Any) -> int:
    """Return ``seed`` as a plain ``int`` in [0, 2**31 - 1], or raise naming it."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or not 0 <= int(seed) <= MAX_SEED
    ):
        raise UsageError(
            f"seed must be a non-negative integer (at most 2**31 - 1), got {seed!r:.40}; pass e.g. "
            "seed=0"
        )
    return int(seed)


def plain_number(value: Any) -> Any:
    """Return a one-element tensor's or array's number (``torch.tensor(4.2)`` gives 4.2), so that
    the book's tensors are taken; anything else as given, for the checks to judge."""
    if isinstance(value, numbers.Number) or not hasattr(value, "item"):
        return value
    size = value.numel() if hasattr(value, "numel") else getattr(value, "size", None)
    return value.item() if size == 1 else value


def check_weights(true_w: Any) -> tuple[float, ...]:
    """Return ``true_w`` as a tuple of finite floats, or raise naming it."""
    if hasattr(true_w, "ndim") and hasattr(true_w, "tolist"):  # a tensor or an array
        shape = tuple(true_w.shape)
        if len(shape) == 2 and shape[1] == 1:  # a column (d, 1), as synthetic_data takes
            true_w = true_w.reshape(-1)
        if true_w.ndim != 1:
            raise UsageError(
                f"true_w must be 1-d (d,) or a column (d, 1), got shape {shape}; pass e.g. "
                "(2.0, -3.4) or torch.tensor([2, -3.4])"
            )
        true_w = true_w.tolist()  # plain Python numbers (bools and complex stay, to be refused)
    if isinstance(true_w, str | bytes) or not hasattr(true_w, "__iter__"):
        raise UsageTypeError(
            f"true_w must be a sequence of numbers, got {true_w!r:.40}; pass e.g. (2.0, -3.4)"
        )
    weights = []
    for value in map(plain_number, true_w):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UsageTypeError(
                f"true_w must hold numbers, got {value!r:.40} in it; pass e.g. (2.0, -3.4)"
            )
        if not math.isfinite(float(value)):
            raise UsageError(f"true_w must hold finite numbers, got {value}; pass e.g. (2.0, -3.4)")
        weights.append(float(value))
    if not weights:
        raise UsageError("true_w must hold at least one weight, got (); pass e.g. (2.0, -3.4)")
    return tuple(weights)


def expand_user(name: str, path: str | os.PathLike[str]) -> Path:
    """Return ``path`` with a leading ``~`` or ``~user`` expanded as the shell would; refuse one that
    cannot be, naming the setting ``name`` (e.g. ``out``, ``LINEARNETS_DATA``).

    Raises:
        UsageError: the home folder is unknown: ``~`` with no ``HOME`` and no user-database entry
            (``env -i``, a container's bare uid), or ``~user`` for a user that does not exist; or
            the path is longer than its file system takes (:func:`_check_lengths`).
    """
    path = Path(path)
    try:
        expanded = path.expanduser()
    except RuntimeError:  # pathlib's "Could not determine home directory."
        head = path.parts[0]
        user = head[1:]
    else:
        _check_lengths(name, expanded)
        return expanded
    why = (
        f"the user database knows no user {user!r}"
        if user
        else "HOME is not set and the user database has no entry for this user"
    )
    rest = Path(*path.parts[1:]) if len(path.parts) > 1 else Path()
    fix = f"write the path out in full (e.g. {Path('/home', user or 'me', rest)})"
    fix += f", or pass ./{path} for a folder named {head} here" if user else ", or set HOME"
    raise UsageError(
        f"{name} must be a path whose {head} can be expanded, got {str(path)!r}, but {why}; {fix}"
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
    shown = repr(_shortened(str(path)))
    if name_max is not None and name_bytes > name_max:
        size = f" ({name_bytes} bytes)"
        if longest != str(path):  # "runs/xxx…/a": say which name
            size = f", whose name {_shortened(longest)!r} has {name_bytes} bytes"
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


def link_problem(path: Path) -> str | None:
    """Return what blocks ``path`` at a symbolic link: the first link on it (``path`` included) that
    points nowhere or loops, e.g. ``runs is a symbolic link to /mnt/gone, which does not exist``;
    ``None`` when no link does."""
    for part in (*reversed(path.parents), path):
        try:
            if not part.is_symlink():
                continue
            os.stat(part)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"{part} is a symbolic link that loops back to itself"
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                return None  # a folder that cannot be searched: not a link's fault
            try:
                target = os.readlink(part)
            except OSError:  # replaced meanwhile
                return f"{part} is a symbolic link to something that does not exist"
            return f"{part} is a symbolic link to {target}, which does not exist"
    return None


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


def check_bias(true_b: Any) -> float:
    """Return the true bias as a plain float if it is a finite real number, else raise."""
    true_b = plain_number(true_b)
    if isinstance(true_b, bool) or not isinstance(true_b, numbers.Real):
        raise UsageTypeError(f"true_b must be a number, got {true_b!r:.40}; pass e.g. 4.2")
    if not math.isfinite(float(true_b)):
        raise UsageError(f"true_b must be a finite number, got {true_b}; pass e.g. 4.2")
    return float(true_b)
