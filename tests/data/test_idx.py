"""The IDX reader on valid files and on every kind of corruption, written as a table."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from linearnets.data.idx import decompress, parse_idx
from linearnets.errors import DatasetError

from .conftest import idx_bytes

IMAGES = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
VALID = idx_bytes(IMAGES)  # header 16 bytes + 24 data bytes
LIMIT = 1 << 12


def _read(raw: bytes, ndim: int | None = 3) -> torch.Tensor:
    return parse_idx(decompress(raw, name="f.idx", limit=LIMIT), name="f.idx", ndim=ndim)


@pytest.mark.parametrize("gz", [False, True])
def test_parses_images_and_labels(gz: bool) -> None:
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    for array, ndim in ((IMAGES, 3), (labels, 1)):
        raw = idx_bytes(array)
        result = _read(gzip.compress(raw) if gz else raw, ndim=ndim)
        assert result.dtype == torch.uint8 and tuple(result.shape) == array.shape
        assert np.array_equal(result.numpy(), array)


def test_result_is_writable_and_independent() -> None:
    raw = bytearray(VALID)
    result = parse_idx(bytes(raw), name="f.idx")
    result[0, 0, 0] = 255
    assert parse_idx(bytes(raw), name="f.idx")[0, 0, 0] == 0


def test_any_ndim_when_not_given() -> None:
    assert tuple(_read(VALID, ndim=None).shape) == (2, 3, 4)


def _with_sizes(*sizes: int) -> bytes:
    return bytes([0, 0, 8, len(sizes)]) + b"".join(struct.pack(">I", n) for n in sizes)


CORRUPT = [
    ("wrong magic", b"\x01\x00\x08\x03" + VALID[4:], r"expected the IDX magic 00 00 08 xx.*01 00 08 03"),
    ("wrong type byte", b"\x00\x00\x0d\x03" + VALID[4:], r"unsigned bytes.*got 00 00 0d 03"),
    ("wrong ndim", idx_bytes(np.zeros(24, np.uint8)), r"expected 3 dimensions in the IDX header, got 1"),
    ("zero ndim", b"\x00\x00\x08\x00", r"expected 3 dimensions in the IDX header, got 0"),
    ("too short for a magic", b"\x00\x00", r"expected an IDX header of at least 4 bytes, got 2 bytes"),
    ("truncated header", VALID[:10], r"expected a 16-byte IDX header, got only 10 bytes"),
    ("truncated data", VALID[:-5], r"expected 24 data bytes for sizes \[2, 3, 4\], got 19 \(the file is truncated\)"),
    ("trailing bytes", VALID + b"\x00\x00", r"expected 24 data bytes.*got 26 \(the file is followed by extra bytes\)"),
    ("zero dims", _with_sizes(2, 0, 4), r"expected non-empty data, got sizes \[2, 0, 4\]"),
    ("huge sizes", _with_sizes(2**31, 2**31, 2) + bytes(10), r"got 10 \(the file is truncated\)"),
    ("bad gzip", b"\x1f\x8b" + b"not deflate at all", r"the gzip stream is corrupt"),
    ("truncated gzip", gzip.compress(VALID)[:-12], r"the gzip stream is truncated"),
    ("gzip over limit", gzip.compress(bytes(LIMIT * 4)), rf"expected at most {LIMIT} bytes once decompressed"),
    ("empty file", b"", r"at least 4 bytes, got 0"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "pattern"), [c[1:] for c in CORRUPT], ids=[c[0] for c in CORRUPT])
def test_corruption_is_refused_with_a_message_naming_the_file(raw: bytes, pattern: str) -> None:
    with pytest.raises(DatasetError, match=pattern) as info:
        _read(raw)
    message = str(info.value)
    assert message.startswith("f.idx: ")
    assert "get it again" in message  # every message says what to do


def test_decompress_passes_raw_bytes_through() -> None:
    assert decompress(VALID, name="f", limit=1) is VALID  # no gzip magic: no inflating, no limit


def test_gzip_exactly_at_the_limit_is_accepted() -> None:
    assert decompress(gzip.compress(VALID), name="f", limit=len(VALID)) == VALID
