"""Reading a ``--data FILE.npz`` archive: each array is read checked, and a bad one is named with the fix.

The archive is read through the public loaders (:mod:`linearnets.data.arrays`), as a user meets it.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from linearnets.data.arrays import load_classification_file, load_regression_file
from linearnets.errors import DatasetError, DataWarning

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


def test_corrupt_npz(tmp_path: Path) -> None:
    (tmp_path / "c.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "c.npz")
    assert str(info.value) == (
        f"data={str(tmp_path / 'c.npz')!r} is not a readable .npz file (not a zip archive: a .npy "
        "array, text or a damaged file); save it with numpy.savez(path, X=..., y=...)"
    )


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
    ) as info:
        load_classification_file(path)
    # the reason is quoted whole
    assert str(info.value) == (
        f"{path}: array X (member X.npy) cannot be read (Bad CRC-32 for file 'X.npy'); save it "
        "again with numpy.savez(path, X=..., y=...)"
    )


def test_object_arrays_are_refused_by_name(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[1, "a"]], dtype=object), y=np.array([0]))
    with pytest.raises(DatasetError, match=r"array X \(member X\.npy\) holds Python objects"):
        load_classification_file(tmp_path / "d.npz")


# the end of every object labels' fix: missing or mixed labels first
_DROP = (
    "drop or fill missing labels first and give them one type (numpy.unique cannot sort None or "
    "NaN among strings; e.g. df.dropna() in pandas)"
)


@pytest.mark.parametrize("missing", [None, np.nan, 3], ids=["None", "NaN", "an int among strings"])
def test_object_labels_with_missing_or_mixed_values_are_refused_with_dropping_them_first(
    tmp_path: Path, missing: object
) -> None:
    """Labels of Python objects with a missing value (None or NaN, as df["species"].to_numpy()
    gives them) or mixed types were told only numpy.unique(y, return_inverse=True), which raises
    a TypeError on them: the fix says to drop or fill them first, as pandas' dropna does."""
    names = np.array(["cat", "dog", missing, "cat"], dtype=object)
    with pytest.raises(TypeError):  # the fix alone fails on these labels
        np.unique(names, return_inverse=True)
    np.savez(tmp_path / "d.npz", X=np.ones((4, 2), dtype=np.float32), y=names)
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "d.npz")
    assert str(info.value).endswith(
        f"numbered e.g. with numpy.unique(y, return_inverse=True)[1]; {_DROP}"
    )
    kept = np.array([v for v in names if isinstance(v, str)], dtype=object)  # as dropna keeps
    assert np.unique(kept, return_inverse=True)[1].tolist() == [0, 1, 0]


def test_string_labels_stored_as_python_objects_are_told_to_number_them(tmp_path: Path) -> None:
    """Labels of Python strings, as df["species"].to_numpy() gives them, were told "save numbers
    instead, e.g. y.astype(numpy.float32)", which fails on strings and gives no class labels:
    they are told what labels of dtype <U3 are, numbered 0..C-1 (y_test's with y's); X, and a
    linear-regression y, keep the float cast."""
    X = np.ones((6, 2), dtype=np.float32)
    names = np.array(["cat", "dog", "owl"], dtype=object)[[0, 1, 2, 0, 1, 2]]
    np.savez(tmp_path / "d.npz", X=X, y=names)
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "d.npz")
    assert str(info.value) == (
        f"{tmp_path / 'd.npz'}: array y (member y.npy) holds Python objects (dtype object), "
        "which are not read (they would need pickle); store the labels as integers 0..C-1, "
        f"numbered e.g. with numpy.unique(y, return_inverse=True)[1]; {_DROP}"
    )
    np.savez(tmp_path / "t.npz", X=X, y=names.astype(str), X_test=X[:3], y_test=names[:3])
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "t.npz")
    assert str(info.value).endswith(
        "holds Python objects (dtype object), which are not read (they would need pickle); store "
        "the labels as integers 0..C-1, numbered e.g. with numpy.unique(numpy.concatenate([y, "
        "y_test]), return_inverse=True)[1], both together (numbered apart, a class one lacks shifts "
        f"the other's numbers): its first len(y) numbers are y's, the rest y_test's; {_DROP}"
    )
    assert "array y_test (member y_test.npy)" in str(info.value)
    np.savez(tmp_path / "r.npz", X=X, y=names)
    with pytest.raises(DatasetError, match=r"save numbers instead, e\.g\. y\.astype\(numpy"):
        load_regression_file(tmp_path / "r.npz")
    np.savez(tmp_path / "x.npz", X=X.astype(object), y=np.arange(6))
    with pytest.raises(DatasetError, match=r"save numbers instead, e\.g\. X\.astype\(numpy"):
        load_classification_file(tmp_path / "x.npz")


def test_other_members_are_listed_not_read(tmp_path: Path) -> None:
    members = {"features.npy": _npy(np.ones((2, 2))), "notes.txt": b"not an array"}
    with pytest.raises(
        DatasetError, match=r"missing \['X', 'y'\]; found \['features', 'notes.txt'\]"
    ):
        load_classification_file(_zip(tmp_path / "d.npz", members))
    members |= {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.array([0, 1]))}
    assert load_classification_file(_zip(tmp_path / "e.npz", members)).num_classes == 2


def _patch_member(path: Path, name: bytes, field: str, value: int) -> Path:
    """Overwrite a field of member ``name``'s local and central headers: "method" or "flags"."""
    local_at, central_at = {"method": (8, 10), "flags": (6, 8)}[field]
    data = bytearray(path.read_bytes())
    local, central = data.index(name) - 30, data.rindex(name) - 46
    assert data[local : local + 4] == b"PK\x03\x04" and data[central : central + 4] == b"PK\x01\x02"
    struct.pack_into("<H", data, local + local_at, value)
    struct.pack_into("<H", data, central + central_at, value)
    path.write_bytes(bytes(data))
    return path


def test_a_file_that_is_not_a_zip_archive_is_named(tmp_path: Path) -> None:
    np.save(tmp_path / "d.npy", np.eye(2))
    (tmp_path / "d.npy").rename(tmp_path / "d.npz")  # a .npy saved under the .npz name
    with pytest.raises(DatasetError) as info:
        load_classification_file(tmp_path / "d.npz")
    assert str(info.value) == (
        f"data={str(tmp_path / 'd.npz')!r} is not a readable .npz file (not a zip archive: a .npy "
        "array, text or a damaged file); save it with numpy.savez(path, X=..., y=...)"
    )


@pytest.mark.parametrize("load", [load_classification_file, load_regression_file])
def test_bad_empty_npz_is_named_empty_with_how_to_write_one(
    tmp_path: Path, load: Callable[[Path], object]
) -> None:
    """A 0-byte .npz was told "not a zip archive: a .npy array, text or a damaged file": it is
    empty, told so, with the call that writes one."""
    path = tmp_path / "e.npz"
    path.touch()
    with pytest.raises(DatasetError) as info:
        load(path)
    assert str(info.value) == (
        f"data={str(path)!r} is empty (0 bytes), not a .npz file (a save that never wrote?); "
        "write one with numpy.savez(path, X=X, y=y)"
    )


def test_a_damaged_central_directory_is_named(tmp_path: Path) -> None:
    """The end record is intact (so it is a zip), the directory it points at is not."""
    path = _zip(tmp_path / "d.npz", {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.arange(2))})
    data = bytearray(path.read_bytes())
    data[data.index(b"PK\x01\x02") + 2] = 0  # the first directory entry's signature
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"data={str(path)!r} is not a readable .npz file (Bad magic number for central directory); "
        "save it with numpy.savez(path, X=..., y=...)"
    )


def test_folder_entries_are_not_arrays(tmp_path: Path) -> None:
    """A zip made of a folder holds the folder's own entry too: not listed among the arrays."""
    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("arrays/", b"")  # a folder's entry (ZipFile.mkdir, Python 3.11+)
        archive.writestr("arrays/X.npy", _npy(np.eye(2)))
        archive.writestr("arrays/y.npy", _npy(np.arange(2)))
    with pytest.raises(
        DatasetError,
        match=r"missing \['X', 'y'\]; found \['arrays/X', 'arrays/y'\]; save them by those names",
    ):
        load_classification_file(path)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)], ids=["v1", "v2", "v3"])
def test_every_npy_format_version_is_read(tmp_path: Path, version: tuple[int, int]) -> None:
    """Versions 2.0 and 3.0 have a 4-byte header length (numpy writes them for big headers)."""

    def npy(array: np.ndarray) -> bytes:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, array, version=version)
        return buf.getvalue()

    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    path = _zip(tmp_path / "d.npz", {"X.npy": npy(X), "y.npy": npy(np.array([0, 1, 1]))})
    arrays = load_classification_file(path)
    assert arrays.X.tolist() == X.tolist() and arrays.y.tolist() == [0, 1, 1]


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"]
)
def test_bzip2_and_lzma_members_are_read(tmp_path: Path, compression: int) -> None:
    """Their ratio has no bound here: the decompressed size is not held against the compressed one."""
    X = np.zeros((100, 3))  # compresses far below its size
    members = {"X.npy": _npy(X), "y.npy": _npy(np.arange(100) % 2)}
    arrays = load_classification_file(_zip(tmp_path / "d.npz", members, compression))
    assert arrays.X.shape == (100, 3) and arrays.num_classes == 2


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
def test_a_compressed_size_beyond_the_file_is_no_licence(tmp_path: Path, compression: int) -> None:
    """Both sizes in the directory lie (4 MB): the bound comes from the bytes the file really has."""
    header = _header((1000, 1000))
    path = _zip(tmp_path / "d.npz", {"X.npy": header, "y.npy": _npy(np.arange(3))}, compression)
    data = bytearray(path.read_bytes())
    claimed = 4_000_000 + len(header)
    struct.pack_into("<II", data, data.index(b"PK\x01\x02") + 20, claimed, claimed)
    path.write_bytes(bytes(data))
    with pytest.raises(
        DatasetError,
        # the compressed bytes named are those the file holds, not the 4 MB claimed
        match=r"array X \(member X\.npy\) claims 4,000,128 bytes once decompressed, more than its "
        rf"{len(data):,} compressed bytes can hold; the file is damaged: {FIX}$",
    ):
        load_classification_file(path)


def test_a_long_reason_is_cut_to_200_characters(tmp_path: Path) -> None:
    header = repr({"descr": "<f4", "fortran_order": False, "shape": (2, 2), "x" * 300: 1}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"  # 64-byte aligned, as numpy writes it
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(16)
    path = _zip(tmp_path / "d.npz", {"X.npy": member, "y.npy": _npy(np.arange(2))})
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    reason = "Header does not contain the correct keys: ['descr', 'fortran_order', 'shape', 'xxx"
    reason += "x" * (200 - len(reason))
    assert str(
        info.value
    ) == f"{path}: array X (member X.npy) cannot be read ({reason}); save it " + (
        "again with numpy.savez(path, X=..., y=...)"
    )


def test_a_deflate_error_is_named(tmp_path: Path) -> None:
    members = {"y.npy": _npy(np.arange(20) % 2), "X.npy": _npy(np.ones((20, 2)))}
    path = _zip(tmp_path / "d.npz", members, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    data[data.index(b"X.npy") + 5] = (
        0xFF  # the first byte of X's deflate stream: a reserved block type
    )
    path.write_bytes(bytes(data))
    with pytest.raises(
        DatasetError,
        match=r"array X \(member X\.npy\) cannot be read \(Error -3 while decompressing data: "
        rf"invalid block type\); {FIX}",
    ):
        load_classification_file(path)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("method", 99, r"That compression method is not supported"),
        ("flags", 1, r"File <ZipInfo filename='X\.npy'.*> is encrypted, password required"),
    ],
    ids=["unknown-compression", "encrypted"],
)
def test_a_member_zipfile_cannot_open_is_named(
    tmp_path: Path, field: str, value: int, reason: str
) -> None:
    members = {"y.npy": _npy(np.arange(2)), "X.npy": _npy(np.eye(2))}
    path = _patch_member(_zip(tmp_path / "d.npz", members), b"X.npy", field, value)
    with pytest.raises(
        DatasetError, match=rf"array X \(member X\.npy\) cannot be read \({reason}.*\); {FIX}"
    ):
        load_classification_file(path)


def test_a_member_too_large_for_memory_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _zip(tmp_path / "d.npz", {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.arange(2))})

    def no_memory(*args: object, **kwargs: object) -> np.ndarray:
        raise MemoryError

    monkeypatch.setattr(np.lib.format, "read_array", no_memory)
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: array X (member X.npy) is too large to load into this machine's memory; use "
        "fewer rows or features"
    )


def test_the_messages_list_every_member(tmp_path: Path) -> None:
    """Not only the arrays read: a member named X_tset (a typo) shows what went wrong."""
    members = {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.arange(2)), "notes.txt": b"hi"}
    path = _zip(tmp_path / "c.npz", members | {"X_test.npy": _npy(np.eye(2))})
    with pytest.raises(
        DatasetError,
        match=r"must hold both X_test and y_test or neither, found \['X', 'X_test', 'notes.txt', "
        r"'y'\]; save both \(numpy\.savez\(path, X=X, y=y, X_test=X_test, y_test=y_test\)\) or "
        r"leave both out$",
    ):
        load_classification_file(path)
    path = _zip(tmp_path / "r.npz", {"X.npy": _npy(np.eye(2)), "Y.npy": _npy(np.arange(2))})
    with pytest.raises(
        DatasetError,
        match=r"r\.npz must hold arrays X and y, found \['X', 'Y'\]; save them by those names: "
        r"numpy\.savez\(path, X=X, y=y\)$",
    ):
        load_regression_file(path)


def test_regression_reads_only_x_and_y(tmp_path: Path) -> None:
    """Members it does not use (a damaged X_test) are listed, never read."""
    members = {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.array([1.0, 2.0])), "X_test.npy": b"junk"}
    with pytest.warns(DataWarning, match="X_test and y_test are not used"):
        X, y = load_regression_file(_zip(tmp_path / "r.npz", members))
    assert X.tolist() == [[1.0, 0.0], [0.0, 1.0]] and y.tolist() == [[1.0], [2.0]]


def test_of_two_members_of_one_name_the_last_is_read(tmp_path: Path) -> None:
    """As np.load reads them (zipfile lets an archive be appended to: the newest copy counts)."""
    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        for value in (0, 1):
            archive.writestr("X.npy", _npy(np.full((2, 2), value)))
        archive.writestr("y.npy", _npy(np.arange(2)))
    assert load_classification_file(path).X.tolist() == np.load(path)["X"].tolist() == [[1, 1]] * 2


def test_a_member_named_exactly_x_wins_over_x_npy_as_in_np_load(tmp_path: Path) -> None:
    """np.load's rule: the array X is the member "X" when there is one, whatever the order."""
    exact, suffixed = np.full((4, 2), 1.0, np.float32), np.full((4, 2), 2.0, np.float32)
    y = _npy(np.arange(4) % 2)
    for order in (("X", "X.npy"), ("X.npy", "X")):
        members = {"X": _npy(exact), "X.npy": _npy(suffixed)}
        path = _zip(
            tmp_path / f"{order[0]}.npz", {name: members[name] for name in order} | {"y.npy": y}
        )
        expected = np.load(path)["X"]
        assert np.array_equal(expected, exact)  # the oracle agrees with the rule
        assert np.array_equal(load_classification_file(path).X.numpy(), expected)


def test_a_data_file_that_is_no_zip_is_named_in_either_words(tmp_path: Path) -> None:
    """From Python "--data d.npz is not a readable .npz file" named an option: the setting is
    data='d.npz'. The command line prints --data d.npz, as it did."""
    from linearnets.cli._report import one_line

    path = tmp_path / "it's.npz"
    path.write_text("not a zip")
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    fix = (
        " is not a readable .npz file (not a zip archive: a .npy array, text or a damaged file); "
        "save it with numpy.savez(path, X=..., y=...)"
    )
    assert str(info.value) == f"data={str(path)!r}{fix}"
    assert one_line(info.value) == f"--data {path}{fix}"


def test_a_data_file_that_cannot_be_read_is_named_in_either_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permission error (faked: root reads anything) names data='d.npz', --data d.npz on the
    command line."""
    from linearnets.cli._report import one_line
    from linearnets.errors import UsageError

    path = tmp_path / "d.npz"
    np.savez(path, X=np.eye(2), y=np.arange(2))

    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(zipfile, "ZipFile", refused)
    with pytest.raises(UsageError) as info:
        load_classification_file(path)
    fix = " cannot be read (Permission denied); check the file's permissions"
    assert str(info.value) == f"data={str(path)!r}{fix}"
    assert one_line(info.value) == f"--data {path}{fix}"


def test_deflate_s_bound_is_1032_to_1_and_1024_bytes(tmp_path: Path) -> None:
    """A deflated member inflates to at most 1032 times its compressed bytes, and 1024 more: a
    member of zeros, as compressible as data gets, is read, and so is one whose size field claims
    that bound; one byte past it is refused as damage before anything is read."""
    X, y = np.zeros((2048, 256), np.float32), np.arange(2048.0)
    path = tmp_path / "d.npz"
    np.savez_compressed(path, X=X, y=y)
    X_read, _ = load_regression_file(path)
    assert X_read.shape == (2048, 256) and not X_read.any()
    with zipfile.ZipFile(path) as archive:
        compressed = archive.getinfo("X.npy").compress_size
    good = path.read_bytes()
    entry = good.index(b"PK\x01\x02")  # the central directory's first entry: X's
    assert good[entry + 46 : entry + 51] == b"X.npy"
    data = bytearray(good)
    struct.pack_into("<I", data, entry + 24, compressed * 1032 + 1024)  # X's file size
    path.write_bytes(bytes(data))
    X_read, _ = load_regression_file(path)  # the stream ends where it ends: read as saved
    assert X_read.shape == (2048, 256) and not X_read.any()
    struct.pack_into("<I", data, entry + 24, compressed * 1032 + 1025)
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path}: array X (member X.npy) claims {compressed * 1032 + 1025:,} bytes once "
        f"decompressed, more than its {compressed:,} compressed bytes can hold; the file is "
        "damaged: save it again with numpy.savez(path, X=..., y=...)"
    )


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (EOFError(), "EOFError"),
        (zipfile.BadZipFile(" Bad  CRC-32\n for file "), "Bad CRC-32 for file"),
    ],
)
def test_a_reading_error_is_named_in_one_line_or_by_its_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, words: str
) -> None:
    """An error without words (EOFError()) is named by its type, not "cannot be read ()"."""
    path = _zip(tmp_path / "d.npz", {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.arange(2))})

    def failing(*args: object, **kwargs: object) -> np.ndarray:
        raise error

    monkeypatch.setattr(np.lib.format, "read_array", failing)
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    assert str(info.value) == (
        f"{path}: array X (member X.npy) cannot be read ({words}); save it again with "
        "numpy.savez(path, X=..., y=...)"
    )


def test_a_member_that_cannot_be_read_for_permissions_is_told_to_check_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PermissionError is the file's permissions, told as such: no damaged member to save again."""
    from linearnets.errors import UsageError

    path = _zip(tmp_path / "d.npz", {"X.npy": _npy(np.eye(2)), "y.npy": _npy(np.arange(2))})

    def refused(*args: object, **kwargs: object) -> np.ndarray:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(np.lib.format, "read_array", refused)
    with pytest.raises(UsageError) as info:
        load_classification_file(path)
    assert type(info.value) is UsageError
    assert str(info.value) == (
        f"data={str(path)!r} cannot be read (Permission denied); check the file's permissions"
    )


def test_the_arrays_are_read_in_the_order_asked_not_the_archive_s(tmp_path: Path) -> None:
    """Of two damaged members, X's is named: the arrays are read as asked (X, then y), whatever
    order the archive holds them in."""
    members = {"y.npy": b"not an array", "X.npy": b"nor this"}
    path = _zip(tmp_path / "d.npz", members)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["y.npy", "X.npy"]
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path}: array X (member X.npy) is not a NumPy .npy array (it lacks the .npy header); "
        "save it again with numpy.savez(path, X=..., y=...)"
    )
