"""The user's own data: ``.npz`` (and ``.csv`` for regression) files checked and turned into tensors.

``linearnets softmax --data FILE.npz`` needs arrays ``X`` (N, D) and integer ``y`` (N,), optionally
``X_test`` and ``y_test``; ``linearnets linreg --data FILE`` needs ``X`` (N, D) and ``y`` (N,) or (N, 1) in
an ``.npz``, or a ``.csv`` whose last column is ``y`` (a header row is skipped).
"""

from __future__ import annotations

import csv
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from linearnets.errors import DatasetError, UsageError

__all__ = ["ClassificationArrays", "load_classification_file", "load_regression_file"]

MAX_CLASSES = 100_000  # 784 features × 10⁵ classes is already 300 MB of float32 weights


@dataclass(frozen=True)
class ClassificationArrays:
    """Features and labels for classification, with the inferred sizes."""

    X: torch.Tensor  # (N, D) float32
    y: torch.Tensor  # (N,) int64
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    num_features: int
    num_classes: int


def _open_npz(path: Path, wanted: tuple[str, ...]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Return the arrays of ``wanted`` that the ``.npz`` at ``path`` holds, and the names of all it holds.

    Only the wanted members are read, each checked before anything is allocated (see
    :func:`_read_member`); the others are only listed, for the messages.
    """
    if not path.is_file():
        raise UsageError(
            f"--data {path} does not exist or is not a file; pass an existing .npz file"
        )
    if not zipfile.is_zipfile(path):  # np.load would read a .npy or complain about pickles instead
        raise DatasetError(
            f"--data {path} is not a readable .npz file (not a zip archive: a .npy array, text or a "
            "damaged file); save it with "
            "numpy.savez(path, X=..., y=...)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            # np.load's naming: the array X is the member "X" if there is one, else "X.npy"; of
            # two members of one name, the last (as zipfile reads it)
            by_name = {info.filename: info for info in archive.infolist() if not info.is_dir()}
            members = {name.removesuffix(".npy"): info for name, info in by_name.items()}
            members.update({name: info for name, info in by_name.items() if name in members})
            arrays = {
                key: _read_member(path, archive, members[key], key)
                for key in wanted
                if key in members
            }
    except PermissionError as exc:
        raise UsageError(
            f"--data {path} cannot be read ({exc.strerror}); check the file's permissions"
        ) from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(
            f"--data {path} is not a readable .npz file ({exc}); save it with numpy.savez(path, X=..., y=...)"
        ) from None
    return arrays, sorted(members)


def _read_member(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str
) -> np.ndarray:
    """Return the array ``key`` of the archive, its .npy header checked against the member's size first.

    A header may claim any shape: one that needs more bytes than the member holds (or a member
    bigger than the archive could inflate to) is refused before numpy allocates the array.
    """
    where = f"{path}: array {key} (member {info.filename})"
    fix = "save it again with numpy.savez(path, X=..., y=...)"
    try:
        with archive.open(info) as f:
            try:
                version = np.lib.format.read_magic(f)
            except ValueError:
                raise DatasetError(
                    f"{where} is not a NumPy .npy array (it lacks the .npy header); {fix}"
                ) from None
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:  # versions 2.0 and 3.0 share the layout; other versions are refused by numpy
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            available = info.file_size - f.tell()
        if dtype.hasobject:
            raise DatasetError(
                f"{where} holds Python objects (dtype {dtype}), which are not read (they would "
                f"need pickle); save numbers instead, e.g. {key}.astype(numpy.float32)"
            )
        if info.file_size > _most_inflated(path, info):
            # the bound counts no more compressed bytes than the archive holds: name those
            compressed = min(info.compress_size, path.stat().st_size)
            raise DatasetError(
                f"{where} claims {info.file_size:,} bytes once decompressed, more than its "
                f"{compressed:,} compressed bytes can hold; the file is damaged: {fix}"
            )
        needed = math.prod(shape) * dtype.itemsize
        if needed > available:
            raise DatasetError(
                f"{where} claims shape {shape} of {dtype} ({needed:,} bytes), more than the "
                f"archive holds for it ({max(available, 0):,} bytes); the file is truncated or "
                f"damaged: {fix}"
            )
        with archive.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False)
    except MemoryError:
        raise DatasetError(
            f"{where} is too large to load into this machine's memory; use fewer rows or features"
        ) from None
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,  # a compression method zipfile lacks
        RuntimeError,  # an encrypted member
    ) as exc:
        if isinstance(exc, PermissionError):
            raise
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DatasetError(f"{where} cannot be read ({reason}); {fix}") from None


def _most_inflated(path: Path, info: zipfile.ZipInfo) -> float:
    """Return the most bytes ``info`` can decompress to, from its compressed size in the archive."""
    compressed = min(info.compress_size, path.stat().st_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return compressed
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return compressed * 1032 + 1024  # deflate's largest ratio is about 1032:1
    return math.inf  # bzip2, lzma: unbounded here; a false size fails while reading


def _features(path: Path, name: str, array: np.ndarray) -> torch.Tensor:
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise DatasetError(
            f"{path}: {name} must be a non-empty 2-d array (N, D), got shape {array.shape}; "
            f"reshape it with {name}.reshape(len({name}), -1)"
        )
    # kinds b, i, u, f: bool, int, uint, float; not complex, dates, durations (numpy counts
    # timedelta64 as an integer), strings or objects
    if array.dtype.kind not in "biuf":
        raise DatasetError(
            f"{path}: {name} must hold real numbers, got dtype {array.dtype}; only bool, integer "
            "and float arrays are read: convert it first, e.g. with numpy.asarray(..., dtype=float)"
        )
    try:
        with np.errstate(over="ignore"):  # a value beyond float32 becomes inf: refused just below
            X = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    except MemoryError:
        raise DatasetError(
            f"{path}: {name} of shape {array.shape} is too large to hold as float32 "
            f"({array.size * 4:,} bytes) in this machine's memory; use fewer rows or features"
        ) from None
    if not bool(torch.isfinite(X).all()):
        raise DatasetError(
            f"{path}: {name} holds NaN or inf values (or values beyond float32's ±3.4e38); clean, "
            "impute or rescale them first"
        )
    return X


def _labels(path: Path, name: str, array: np.ndarray, n: int) -> torch.Tensor:
    if array.ndim != 1 or array.shape[0] != n:
        raise DatasetError(
            f"{path}: {name} must be a 1-d array of {n} labels, got shape {array.shape}"
        )
    if array.dtype.kind not in "iu":  # not np.integer: numpy counts timedelta64 as one
        if (
            np.issubdtype(array.dtype, np.floating)
            and np.isfinite(array).all()
            and np.all(np.mod(array, 1) == 0)
        ):
            pass  # whole numbers: cast below, once their range is known to fit
        else:
            raise DatasetError(
                f"{path}: {name} must hold integer class labels, got dtype {array.dtype}; "
                f"use {name}.astype(int)"
            )
    if array.min() < 0:
        raise DatasetError(f"{path}: {name} must hold labels >= 0, got {array.min():g}")
    # the model holds D × (largest label + 1) weights; checked before the cast, where 1e19 or a
    # uint64 label would wrap around to a negative one
    if array.max() >= MAX_CLASSES:
        raise DatasetError(
            f"{path}: labels must be class indices 0..C-1 with C at most {MAX_CLASSES}, got the "
            f"label {array.max():g} in {name} among {len(np.unique(array))} distinct labels; "
            "relabel them as 0..C-1, e.g. with numpy.unique(y, return_inverse=True)"
        )
    return torch.from_numpy(array.astype(np.int64))


def load_classification_file(path: Path) -> ClassificationArrays:
    """Read and check a classification ``.npz``: ``X`` (N, D), ``y`` (N,), optional ``X_test``/``y_test``."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise UsageError(f"--data must be a .npz file for softmax regression, got {path}")
    arrays, names = _open_npz(path, ("X", "y", "X_test", "y_test"))
    missing = [k for k in ("X", "y") if k not in arrays]
    if missing:
        raise DatasetError(f"{path} must hold arrays X and y, missing {missing}; found {names}")
    X = _features(path, "X", arrays["X"])
    y = _labels(path, "y", arrays["y"], X.shape[0])
    X_test = y_test = None
    if ("X_test" in arrays) != ("y_test" in arrays):
        raise DatasetError(f"{path} must hold both X_test and y_test or neither, found {names}")
    if "X_test" in arrays:
        X_test = _features(path, "X_test", arrays["X_test"])
        y_test = _labels(path, "y_test", arrays["y_test"], X_test.shape[0])
        if X_test.shape[1] != X.shape[1]:
            raise DatasetError(
                f"{path}: X_test must have the {X.shape[1]} features of X, got {X_test.shape[1]}"
            )
    num_classes = int(max(int(y.max()), int(y_test.max()) if y_test is not None else 0)) + 1
    if num_classes < 2:
        raise DatasetError(f"{path}: y must hold at least 2 classes, got only class 0")
    return ClassificationArrays(X, y, X_test, y_test, X.shape[1], num_classes)


def load_regression_file(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Read and check regression data: ``X`` (N, D) and ``y`` (N, 1), float32, from ``.npz`` or ``.csv``."""
    path = Path(path)
    if path.suffix.lower() == ".npz":
        arrays, names = _open_npz(path, ("X", "y"))
        if "X" not in arrays or "y" not in arrays:
            raise DatasetError(f"{path} must hold arrays X and y, found {names}")
        X = _features(path, "X", arrays["X"])
        y_raw = (
            arrays["y"].reshape(-1)
            if arrays["y"].ndim == 2 and arrays["y"].shape[1] == 1
            else arrays["y"]
        )
    elif path.suffix.lower() == ".csv":
        if not path.is_file():
            raise UsageError(
                f"--data {path} does not exist or is not a file; pass an existing .csv file"
            )
        table = _read_csv(path)
        X = _features(path, "the feature columns", table[:, :-1])
        y_raw = table[:, -1]
    else:
        raise UsageError(f"--data must be a .npz or .csv file, got {path}")
    if y_raw.ndim != 1 or y_raw.shape[0] != X.shape[0]:
        raise DatasetError(
            f"{path}: y must hold one target per row of X ({X.shape[0]}), got shape {y_raw.shape}"
        )
    y = _features(path, "y", y_raw.reshape(-1, 1))
    return X, y


def _number(text: str) -> float | None:
    """Return the cell as a float, or ``None`` when it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def _read_csv(path: Path) -> np.ndarray:
    """Return a numeric CSV as an (N, columns) float64 array; a first row of names is a header.

    A row is a header only when *none* of its cells is a number: a first row with one bad cell is
    bad data, reported by line, not silently skipped. Blank lines are skipped; every other row must
    have the header's (or first row's) number of columns. A UTF-8 byte-order mark is dropped.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [(line, row) for line, row in enumerate(csv.reader(f), start=1) if row]
    except PermissionError as exc:
        raise UsageError(
            f"--data {path} cannot be read ({exc.strerror}); check the file's permissions"
        ) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"{path} is not a UTF-8 CSV text file ({exc}); save it as CSV (UTF-8), comma-separated"
        ) from None
    except csv.Error as exc:  # e.g. a cell over the csv module's 128 KiB limit
        raise DatasetError(
            f"{path} is not a readable CSV file ({exc}); save it as CSV (UTF-8), comma-separated, "
            "one number per cell"
        ) from None
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if rows and all(_number(cell) is None for cell in rows[0][1]):
        header, rows = rows[0][1], rows[1:]
        columns = len(header)
    else:
        columns = len(rows[0][1]) if rows else 0
    if not rows:
        raise DatasetError(f"{path} holds no data rows; the last column of each row must be y")
    if columns < 2:
        first = rows[0][1][0].strip()
        for sep in (";", "\t", " "):
            if sep in first:
                raise DatasetError(
                    f"{path} is not a numeric CSV: its values are separated by {sep!r}, not commas; "
                    "save it comma-separated"
                )
        raise DatasetError(f"{path} must have at least 2 columns (features, then y), got {columns}")
    table = np.empty((len(rows), columns))
    for i, (line, row) in enumerate(rows):
        if len(row) != columns:
            raise DatasetError(
                f"{path}: line {line} has {len(row)} columns, the others {columns}; every row "
                "must hold the same features, then y"
            )
        for j, cell in enumerate(row):
            value = _number(cell)
            if value is None:
                raise DatasetError(
                    f"{path} is not a numeric CSV: line {line}, column {j + 1} holds {cell!r:.30}; "
                    "every cell must be a number (a first row of column names is allowed)"
                )
            table[i, j] = value
    return table
