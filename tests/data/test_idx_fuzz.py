"""Fuzzing the IDX reader: for any bytes it returns the arrays the header describes or raises DatasetError.

Nothing else may escape (no IndexError, ValueError, zlib.error, MemoryError, OverflowError), a returned
array must equal what an independent reader (Python's ``gzip`` module and ``struct``) finds in the same
bytes, and nothing may be allocated beyond what the bytes at hand can fill: a header claiming 2**31 items
in a 100-byte file is refused at once, and a gzip bomb is cut off at the size limit.
"""

from __future__ import annotations

import gzip
import itertools
import math
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable

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


def _oracle(raw: bytes) -> np.ndarray | None:
    """Return what ``raw`` holds according to Python's gzip and struct, or None if it is no IDX file."""
    if raw[:2] == b"\x1f\x8b":
        if len(raw) > 3 and raw[3] & 0xE0:
            # reserved header flags set: RFC 1952 (2.3.1.2) has a decoder refuse them, as zlib
            # does; Python's gzip module ignores them
            return None
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            return None
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08" or raw[3] == 0 or len(raw) < 4 + 4 * raw[3]:
        return None
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    if 0 in shape or len(raw) - 4 - 4 * ndim != math.prod(shape):
        return None
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _readers(raw: bytes, ndim: int | None) -> list[torch.Tensor | None]:
    """Read ``raw`` both ways (parse_idx alone; capped decompress then parse_idx); None on DatasetError."""
    results: list[torch.Tensor | None] = []
    for read in (
        lambda: parse_idx(raw, name="fuzz.idx", ndim=ndim),
        lambda: parse_idx(
            decompress(raw, name="fuzz.idx", limit=LIMIT), name="fuzz.idx", ndim=ndim
        ),
    ):
        try:
            results.append(read())
        except DatasetError as exc:
            assert str(exc).startswith("fuzz.idx: ")  # the message names the file
            results.append(None)
    return results


def _outcome(raw: bytes, *, ndim: int | None = None) -> torch.Tensor | None:
    """Read ``raw``; a returned array must be exactly what the oracle finds, and no bigger than the
    file; bytes the oracle reads as an IDX file (of ``ndim`` dimensions, if given) are not refused."""
    expected = _oracle(raw)
    results = _readers(raw, ndim)
    if expected is not None and ndim in (None, expected.ndim):
        assert None not in results, "refused bytes that Python's gzip/struct read as an IDX file"
    for result in results:
        if result is not None:
            assert expected is not None, "accepted bytes that Python's gzip/struct refuse"
            assert result.dtype == torch.uint8 and tuple(result.shape) == expected.shape
            assert np.array_equal(result.numpy(), expected)
            assert raw[:2] == b"\x1f\x8b" or result.numel() <= len(raw)
    return results[0]


arrays = st.integers(1, 3).flatmap(
    lambda ndim: st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim).flatmap(
        lambda shape: st.binary(min_size=math.prod(shape), max_size=math.prod(shape)).map(
            lambda b: np.frombuffer(b, dtype=np.uint8).reshape(shape)
        )
    )
)


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes(raw: bytes) -> None:
    _outcome(raw)


@FUZZ
@given(st.binary(max_size=512))
def test_arbitrary_bytes_behind_a_gzip_magic(raw: bytes) -> None:
    _outcome(b"\x1f\x8b" + raw)


@FUZZ
@given(arrays, st.booleans(), st.integers(0, 3))
def test_valid_files_round_trip(array: np.ndarray, gzipped: bool, members: int) -> None:
    raw = _idx(array)
    if gzipped:  # one gzip member, or several (as ``cat a.gz b.gz`` makes)
        cuts = sorted({0, len(raw), *(len(raw) * k // (members + 1) for k in range(members + 1))})
        raw = b"".join(gzip.compress(raw[a:b]) for a, b in itertools.pairwise(cuts))
    for result in _readers(raw, array.ndim):
        assert result is not None
        assert np.array_equal(result.numpy(), array)
        result[...] = 0  # writable and independent of the input bytes
    assert parse_idx(raw, name="f").numpy().tobytes() == array.tobytes()


@FUZZ
@given(arrays, st.booleans(), st.data())
def test_mutated_headers(array: np.ndarray, gzipped: bool, data: st.DataObject) -> None:
    raw = bytearray(_idx(array))
    header = 4 + 4 * array.ndim
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, header - 1))
        raw[at] = data.draw(st.integers(0, 255))
    _outcome(gzip.compress(bytes(raw)) if gzipped else bytes(raw))


@FUZZ
@given(
    arrays,
    st.integers(0, 3),
    st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=3),
    st.booleans(),
)
def test_rewritten_sizes(array: np.ndarray, cut: int, sizes: list[int], gzipped: bool) -> None:
    raw = bytes([0, 0, 0x08, len(sizes)]) + b"".join(struct.pack(">I", n) for n in sizes)
    payload = array.tobytes()
    raw += payload[: len(payload) - cut]
    result = _outcome(gzip.compress(raw) if gzipped else raw)
    if result is not None:
        assert result.numel() == math.prod(sizes)


@FUZZ
@given(arrays, st.data())
def test_truncated_or_corrupt_gzip(array: np.ndarray, data: st.DataObject) -> None:
    raw = bytearray(gzip.compress(_idx(array)))
    choice = data.draw(st.sampled_from(["cut", "flip", "append"]))
    if choice == "cut":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif choice == "flip":
        at = data.draw(st.integers(2, len(raw) - 1))  # keep the magic so it is inflated
        raw[at] ^= data.draw(st.integers(1, 255))
    else:
        raw += data.draw(st.binary(min_size=1, max_size=32))
    _outcome(bytes(raw))


@FUZZ
@given(arrays, st.integers(1, 3), st.booleans())
def test_any_other_dimensionality_raises(array: np.ndarray, ndim: int, gzipped: bool) -> None:
    assume(ndim != array.ndim)
    raw = _idx(array)
    with pytest.raises(DatasetError, match=f"expected {ndim} dimensions"):
        parse_idx(gzip.compress(raw) if gzipped else raw, name="f", ndim=ndim)


def _peak(fn: Callable[[], object]) -> tuple[int, float]:
    """Return the peak traced allocation (bytes) and the seconds ``fn`` takes to raise DatasetError."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DatasetError):
            fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, time.perf_counter() - start


@pytest.mark.parametrize("gzipped", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    "sizes",
    [[2**31], [2**16, 2**15], [2**32 - 1, 2**32 - 1, 2**32 - 1], [60000, 28, 28]],
)
def test_huge_header_with_a_tiny_payload_is_refused_at_once(
    sizes: list[int], gzipped: bool
) -> None:
    header = bytes([0, 0, 0x08, len(sizes)]) + b"".join(struct.pack(">I", n) for n in sizes)
    raw = header + bytes(100 - len(header))  # a 100-byte file
    raw = gzip.compress(raw) if gzipped else raw
    peak, seconds = _peak(lambda: parse_idx(raw, name="f"))
    assert seconds < 0.5
    assert peak < 64 * 1024  # nothing sized by the header was allocated


def test_gzip_bomb_is_cut_off_at_the_limit() -> None:
    bomb = gzip.compress(bytes(64 * LIMIT), compresslevel=9)  # 4 MiB of zeros in ~4 KiB
    assert len(bomb) < LIMIT // 8
    peak, _ = _peak(lambda: decompress(bomb, name="f", limit=LIMIT))
    assert peak < 4 * LIMIT  # inflating stopped near the limit, not at 4 MiB


def test_gzip_bomb_behind_a_small_header_is_cut_off() -> None:
    bomb = gzip.compress(_idx(np.zeros(10, np.uint8)) + bytes(64 * LIMIT), compresslevel=9)
    peak, _ = _peak(lambda: parse_idx(bomb, name="f"))
    assert peak < 64 * 1024  # inflated no further than the header's 10 bytes (+1)


def test_empty_and_raw_deflate_streams() -> None:
    for raw in (b"", b"\x1f\x8b", zlib.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")):
        assert _outcome(raw) is None
