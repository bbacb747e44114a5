"""Malformed ``--data FILE.npz``: each array is read checked, and a bad one is named with the fix."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from linearnets.data.arrays import load_classification_file, load_regression_file
from linearnets.errors import DatasetError

FIX = r"save it again with numpy\.savez\(path, X=\.\.\., y=\.\.\.\)"


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """A .npy header claiming ``shape``, with no data after it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_member_that_is_not_a_npy_array_is_named(tmp_path: Path) -> None:
    path = _zip(tmp_path / "d.npz", {"X.npy": b"hello", "y.npy": _npy(np.arange(3))})
    with pytest.raises(
        DatasetError, match=rf"d\.npz: array X \(member X\.npy\) is not a NumPy \.npy array.*{FIX}"
    ):
        load_classification_file(path)


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
def test_a_header_claiming_more_than_the_file_holds_is_refused_before_allocating(
    tmp_path: Path, compression: int
) -> None:
    members = {"X.npy": _header((10**6, 10**6)), "y.npy": _npy(np.arange(3))}
    path = _zip(tmp_path / "d.npz", members, compression)
    with pytest.raises(
        DatasetError,
        match=r"array X \(member X\.npy\) claims shape \(1000000, 1000000\) of float32 "
        rf"\(4,000,000,000,000 bytes\), more than the archive holds for it \(0 bytes\).*{FIX}",
    ):
        load_classification_file(path)


def test_a_truncated_member_is_refused(tmp_path: Path) -> None:
    members = {"X.npy": _npy(np.ones((20, 2)))[:-8], "y.npy": _npy(np.arange(20) % 2)}
    with pytest.raises(DatasetError, match=r"\(320 bytes\), more than the archive holds for it"):
        load_regression_file(_zip(tmp_path / "r.npz", members))


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
def test_a_size_field_beyond_the_compressed_bytes_is_refused(
    tmp_path: Path, compression: int
) -> None:
    """A central directory claiming a 4 GiB member, with a header to match: numpy is never asked."""
    members = {"X.npy": _header((2**15, 2**15)), "y.npy": _npy(np.arange(3))}
    path = _zip(tmp_path / "d.npz", members, compression)
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 24, 0xFFFFFFF0)  # X's file size
    path.write_bytes(bytes(data))
    with pytest.raises(
        DatasetError,
        match=r"array X \(member X\.npy\) claims 4,294,967,280 bytes once decompressed, more "
        r"than its \d+ compressed bytes can hold",
    ):
        load_classification_file(path)


def test_a_damaged_member_is_named(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "d.npz", {"y.npy": _npy(np.arange(20) % 2), "X.npy": _npy(np.ones((20, 2)))}
    )
    data = bytearray(path.read_bytes())
    data[-300] ^= 0xFF  # a byte of X's data (the last member, before the directory)
    path.write_bytes(bytes(data))
    with pytest.raises(
        DatasetError, match=rf"array X \(member X\.npy\) cannot be read \(Bad CRC-32.*{FIX}"
    ):
        load_classification_file(path)


@pytest.mark.parametrize("dtype", ["timedelta64[s]", "datetime64[s]", "complex64", "<U3"], ids=str)
def test_x_must_hold_real_numbers(tmp_path: Path, dtype: str) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[1, 2], [3, 4]]).astype(dtype), y=np.array([0, 1]))
    with pytest.raises(
        DatasetError,
        match=r"X must hold real numbers, got dtype .*; only bool, integer and float arrays",
    ):
        load_classification_file(tmp_path / "d.npz")


def test_object_arrays_are_refused_by_name(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[1, "a"]], dtype=object), y=np.array([0]))
    with pytest.raises(DatasetError, match=r"array X \(member X\.npy\) holds Python objects"):
        load_classification_file(tmp_path / "d.npz")


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float16", "float64"])
def test_bool_integer_and_float_features_are_read(tmp_path: Path, dtype: str) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[1, 0], [0, 1]]).astype(dtype), y=np.array([0, 1]))
    assert load_classification_file(tmp_path / "d.npz").X.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_duration_labels_are_refused(tmp_path: Path) -> None:
    """numpy counts timedelta64 as an integer type; a class label it is not."""
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([0, 1]).astype("timedelta64[s]"))
    with pytest.raises(
        DatasetError, match=r"y must hold integer class labels, got dtype timedelta64"
    ):
        load_classification_file(tmp_path / "d.npz")


def test_other_members_are_listed_not_read(tmp_path: Path) -> None:
    members = {"features.npy": _npy(np.ones((2, 2))), "notes.txt": b"not an array"}
    with pytest.raises(
        DatasetError, match=r"missing \['X', 'y'\]; found \['features', 'notes.txt'\]"
    ):
        load_classification_file(_zip(tmp_path / "d.npz", members))
    members |= {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.array([0, 1]))}
    assert load_classification_file(_zip(tmp_path / "e.npz", members)).num_classes == 2


def test_a_csv_cell_over_the_csv_limit_is_named(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("1," + "9" * 200_000 + ",3\n")
    with pytest.raises(DatasetError, match=r"r\.csv is not a readable CSV file \(field larger"):
        load_regression_file(tmp_path / "r.csv")
