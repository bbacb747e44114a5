"""Fuzzing the IDX reader: for any bytes it returns the arrays the header describes or raises DatasetError.

Nothing else may escape (no IndexError, ValueError, zlib.error, MemoryError), and nothing may be
allocated beyond what the bytes at hand can fill: a header claiming 2**31 items in a 100-byte file is
refused at once, and a gzip bomb is cut off at the size limit.
"""

from __future__ import annotations

import gzip
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from linearnets.data.idx import decompress, parse_idx
from linearnets.errors import DatasetError

EXAMPLES = 300  # per property; the README's Reliability section counts them
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMIT = 1 << 16  # the decompressed size a caller allows (the real reader passes the expected size)


def _read(raw: bytes, *, ndim: int | None = None) -> torch.Tensor:
    """The reader as the dataset code uses it: inflate (capped), then parse."""
    return parse_idx(decompress(raw, name="fuzz.idx", limit=LIMIT), name="fuzz.idx", ndim=ndim)


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _check_result(result: torch.Tensor, data: bytes) -> None:
    """A returned array is exactly what the header and payload say, and no bigger than the bytes."""
    ndim = data[3]
    shape = tuple(struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim]))
    assert result.dtype == torch.uint8
    assert tuple(result.shape) == shape
    assert result.numpy().tobytes() == data[4 + 4 * ndim :]
    assert result.numel() * result.element_size() <= len(data)


def _outcome(raw: bytes, *, ndim: int | None = None) -> torch.Tensor | None:
    try:
        result = _read(raw, ndim=ndim)
    except DatasetError as exc:
        assert str(exc).startswith("fuzz.idx: ")  # the message names the file
        return None
    _check_result(result, decompress(raw, name="fuzz.idx", limit=LIMIT))
    return result


arrays = st.integers(1, 3).flatmap(
    lambda ndim: st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim).flatmap(
        lambda shape: st.binary(min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(
            lambda b: np.frombuffer(b, dtype=np.uint8).reshape(shape)
        )
    )
)


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes(raw: bytes) -> None:
    _outcome(raw)


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_behind_a_gzip_magic(raw: bytes) -> None:
    _outcome(b"\x1f\x8b" + raw)


@FUZZ
@given(arrays, st.booleans())
def test_valid_files_round_trip(array: np.ndarray, gzipped: bool) -> None:
    raw = _idx(array)
    raw = gzip.compress(raw) if gzipped else raw
    result = _read(raw, ndim=array.ndim)
    assert np.array_equal(result.numpy(), array)
    result[...] = 0  # writable and independent of the input bytes
    assert _read(raw).numpy().tobytes() == array.tobytes()


@FUZZ
@given(arrays, st.data())
def test_mutated_headers(array: np.ndarray, data: st.DataObject) -> None:
    raw = bytearray(_idx(array))
    header = 4 + 4 * array.ndim
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, header - 1))
        raw[at] = data.draw(st.integers(0, 255))
    _outcome(bytes(raw))


@FUZZ
@given(arrays, st.integers(0, 3), st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=3))
def test_rewritten_sizes(array: np.ndarray, cut: int, sizes: list[int]) -> None:
    raw = bytes([0, 0, 0x08, len(sizes)]) + b"".join(struct.pack(">I", n) for n in sizes)
    payload = array.tobytes()
    result = _outcome(raw + payload[: len(payload) - cut])
    if result is not None:
        assert result.numel() == int(np.prod(sizes))


@FUZZ
@given(arrays, st.data())
def test_truncated_or_corrupt_gzip(array: np.ndarray, data: st.DataObject) -> None:
    raw = bytearray(gzip.compress(_idx(array)))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]  # cut short
    else:
        at = data.draw(st.integers(2, len(raw) - 1))  # keep the magic so it is inflated
        flip = data.draw(st.integers(1, 255))
        raw[at] ^= flip
    _outcome(bytes(raw))


@FUZZ
@given(arrays, st.integers(1, 3))
def test_any_other_dimensionality_raises(array: np.ndarray, ndim: int) -> None:
    assume(ndim != array.ndim)
    with pytest.raises(DatasetError, match=f"expected {ndim} dimensions"):
        _read(_idx(array), ndim=ndim)


@pytest.mark.parametrize(
    "sizes",
    [[2**31], [2**16, 2**15], [2**32 - 1, 2**32 - 1, 2**32 - 1], [60000, 28, 28]],
)
def test_huge_header_with_a_tiny_payload_is_refused_at_once(sizes: list[int]) -> None:
    header = bytes([0, 0, 0x08, len(sizes)]) + b"".join(struct.pack(">I", n) for n in sizes)
    raw = header + bytes(100 - len(header))  # a 100-byte file
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DatasetError, match="truncated"):
            _read(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 0.5
    assert peak < 64 * 1024  # nothing sized by the header was allocated


def test_gzip_bomb_is_cut_off_at_the_limit() -> None:
    bomb = gzip.compress(bytes(64 * LIMIT), compresslevel=9)  # 4 MiB of zeros in ~4 KiB
    assert len(bomb) < LIMIT // 8
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=f"expected at most {LIMIT} bytes once decompressed"):
            _read(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * LIMIT  # inflating stopped near the limit, not at 4 MiB


def test_empty_and_raw_deflate_streams() -> None:
    for raw in (b"", b"\x1f\x8b", zlib.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")):
        assert _outcome(raw) is None
