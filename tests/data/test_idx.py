"""The IDX reader on valid files and on every kind of corruption, written as tables.

The expected arrays come from NumPy arrays encoded by the fixture's own writer; gzip streams are made by
Python's ``gzip`` module. Fuzzing (hypothesis) lives in ``test_idx_fuzz.py``.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable

import numpy as np
import pytest
import torch

from linearnets.data.idx import decompress, inflate_chunks, parse_idx
from linearnets.errors import DatasetError

from .conftest import get_again, idx_bytes

IMAGES = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
LABELS = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
VALID = idx_bytes(IMAGES)  # header 16 bytes + 24 data bytes
LIMIT = 1 << 12


def _via_decompress(raw: bytes, ndim: int | None = 3) -> torch.Tensor:
    """The verified path: inflate with the caller's size cap, then parse."""
    return parse_idx(decompress(raw, name="f.idx", limit=LIMIT), name="f.idx", ndim=ndim)


def _direct(raw: bytes, ndim: int | None = 3) -> torch.Tensor:
    """The direct path: parse_idx inflates by itself, capped by the header."""
    return parse_idx(raw, name="f.idx", ndim=ndim)


READERS = [_via_decompress, _direct]


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_parses_images_and_labels(gz: bool, read: Callable[..., torch.Tensor]) -> None:
    for array, ndim in ((IMAGES, 3), (LABELS, 1)):
        raw = idx_bytes(array)
        result = read(gzip.compress(raw) if gz else raw, ndim=ndim)
        assert result.dtype == torch.uint8 and tuple(result.shape) == array.shape
        assert np.array_equal(result.numpy(), array)


def test_magic_numbers_are_2051_and_2049() -> None:
    assert struct.unpack(">I", idx_bytes(IMAGES)[:4])[0] == 2051
    assert struct.unpack(">I", idx_bytes(LABELS)[:4])[0] == 2049


def test_result_is_writable_and_independent() -> None:
    raw = bytearray(VALID)
    result = parse_idx(raw, name="f.idx")
    result[0, 0, 0] = 255
    assert raw[16] == 0 and parse_idx(bytes(raw), name="f.idx")[0, 0, 0] == 0


def test_no_copy_shares_a_writable_buffer() -> None:
    raw = bytearray(VALID)
    result = parse_idx(raw, name="f.idx", copy=False)
    raw[16] = 7
    assert int(result[0, 0, 0]) == 7  # a view of the caller's buffer
    view = memoryview(bytearray(VALID))
    assert parse_idx(view, name="f.idx", copy=False).data_ptr() != 0
    readonly = parse_idx(VALID, name="f.idx", copy=False)  # bytes: still copied
    readonly[0, 0, 0] = 9
    assert VALID[16] == 0


def test_any_ndim_when_not_given() -> None:
    assert tuple(_direct(VALID, ndim=None).shape) == (2, 3, 4)


@pytest.mark.parametrize("read", READERS)
def test_gzip_members_and_zero_padding_are_read_like_gzip_does(
    read: Callable[..., torch.Tensor],
) -> None:
    members = gzip.compress(VALID[:7]) + gzip.compress(VALID[7:30]) + gzip.compress(VALID[30:])
    for raw in (members, gzip.compress(VALID) + bytes(5)):
        assert gzip.decompress(raw) == VALID  # the oracle accepts both
        assert np.array_equal(read(raw).numpy(), IMAGES)


def test_inflate_chunks_respects_the_chunk_size() -> None:
    chunks = list(inflate_chunks(gzip.compress(VALID), name="f", limit=LIMIT, chunk_size=5))
    assert b"".join(chunks) == VALID and max(map(len, chunks)) == 5


def _with_sizes(*sizes: int) -> bytes:
    return bytes([0, 0, 8, len(sizes)]) + b"".join(struct.pack(">I", n) for n in sizes)


CORRUPT = [
    ("wrong magic", b"\x01\x00\x08\x03" + VALID[4:], r"expected the IDX magic 2051 = 00 00 08 03 \(unsigned bytes\), got 01 00 08 03"),
    ("gzip's first byte only", b"\x1f\x00\x08\x03" + VALID[4:], r"expected the IDX magic 2051 = 00 00 08 03 \(unsigned bytes\), got 1f 00 08 03"),
    ("wrong type byte", b"\x00\x00\x0d\x03" + VALID[4:], r"unsigned bytes.*got 00 00 0d 03"),
    # a web page saved under the file's name: what it is, not only its first bytes
    ("an HTML page", b"<html><body>Not found</body></html>\n", r"got 3c 68 74 6d \(an HTML page, starting '<html><body>Not found</body></html>'\); this is not an IDX file"),
    ("labels, not images", idx_bytes(np.zeros(24, np.uint8)), r"expected 3 dimensions in the IDX header \(magic 2051 = 00 00 08 03\), got 1"),
    ("zero ndim", b"\x00\x00\x08\x00", r"expected 3 dimensions in the IDX header.*got 0"),
    ("too short for a magic", b"\x00\x00", r"expected an IDX header of at least 4 bytes, got 2 bytes"),
    ("truncated header", VALID[:10], r"expected a 16-byte IDX header, got only 10 bytes"),
    ("truncated data", VALID[:-5], r"expected 24 data bytes for sizes \[2, 3, 4\], got 19 \(the file is truncated\)"),
    ("trailing bytes", VALID + b"\x00\x00", r"expected 24 data bytes.*\(the file is followed by extra bytes\)"),
    ("zero dims", _with_sizes(2, 0, 4), r"expected non-empty data, got sizes \[2, 0, 4\]"),
    ("huge sizes", _with_sizes(2**31, 2**31, 2) + bytes(10), r"expected 9223372036854775808 data bytes .*\(the file is truncated\)"),
    ("bad gzip", b"\x1f\x8b" + b"not deflate at all", r"expected a valid gzip stream, got a corrupt one"),
    ("truncated gzip", gzip.compress(VALID)[:-12], r"the gzip stream is truncated"),
    ("gzip magic only", b"\x1f\x8b", r"the gzip stream is truncated"),
    ("gzip, bad CRC", gzip.compress(VALID)[:-8] + bytes(8), r"corrupt one \(.*incorrect data check"),
    ("junk after gzip", gzip.compress(VALID) + b"junk", r"expected nothing after the gzip stream, got 4 extra bytes \(starting 6a 75 6e 6b\)"),
    ("gzip of a truncated file", gzip.compress(VALID[:-1]), r"got 23 \(the file is truncated\)"),
    ("gzip of a longer file", gzip.compress(VALID + b"\x00"), r"(got more|got 25) \(the file is followed by extra bytes\)"),
    ("empty file", b"", r"at least 4 bytes, got 0"),
]  # fmt: skip


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize(("raw", "pattern"), [c[1:] for c in CORRUPT], ids=[c[0] for c in CORRUPT])
@pytest.mark.usefixtures("no_debian")  # the fix alone, as where the package is not installed
def test_corruption_is_refused_with_a_message_naming_the_file(
    raw: bytes, pattern: str, read: Callable[..., torch.Tensor]
) -> None:
    with pytest.raises(DatasetError, match=pattern) as info:
        read(raw)
    message = str(info.value)
    assert message.startswith("f.idx: ")
    assert "get it again" in message  # every message says what to do
    # ... in a way that reaches the file's own folder (here the working folder): a plain
    # "linearnets data download" writes to ./data, and reinstalling the package restores only the
    # package's copy
    assert message.endswith(get_again("."))


HUGE = [
    ("header beyond deflate's ratio", _direct, gzip.compress(_with_sizes(60000, 28, 28)), r"expected 47040000 data bytes for sizes \[60000, 28, 28\], got a \d+-byte gzip file that cannot hold them"),
    ("gzip over the caller's limit", _via_decompress, gzip.compress(bytes(LIMIT * 4)), rf"expected at most {LIMIT} bytes once decompressed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("read", "raw", "pattern"), [c[1:] for c in HUGE], ids=[c[0] for c in HUGE]
)
def test_size_caps(read: Callable[..., torch.Tensor], raw: bytes, pattern: str) -> None:
    with pytest.raises(DatasetError, match=pattern):
        read(raw)


def test_decompress_passes_raw_bytes_through() -> None:
    assert decompress(VALID, name="f", limit=1) is VALID  # no gzip magic: no inflating, no limit


def test_gzip_exactly_at_the_limit_is_accepted() -> None:
    assert decompress(gzip.compress(VALID), name="f", limit=len(VALID)) == VALID


# --- files longer than the header pass (MAX_HEADER = 1024 bytes) read so far: the data pass alone checks them

BIG = np.arange(3 * 28 * 28, dtype=np.int64).astype(np.uint8).reshape(3, 28, 28)
BIG_RAW = idx_bytes(BIG)  # 2368 bytes: beyond the 1024 the header pass inflates


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        (gzip.compress(BIG_RAW) + b"junk", r"expected nothing after the gzip stream, got 4 extra bytes"),
        (gzip.compress(BIG_RAW)[:-8] + bytes(8), r"corrupt one \(.*incorrect data check"),
        (gzip.compress(BIG_RAW)[:-8], r"cut short after 2368 decompressed bytes \(the gzip stream is truncated\)"),
        (gzip.compress(BIG_RAW)[:-3], r"cut short after 2368 decompressed bytes \(the gzip stream is truncated\)"),
    ],
    ids=["junk after", "bad CRC", "no CRC", "CRC, no full size"],
)  # fmt: skip
def test_a_stream_that_ends_exactly_at_the_size_is_still_checked_to_its_end(
    raw: bytes, pattern: str
) -> None:
    """The declared (or caller's) size is reached exactly: the CRC and what follows must still be read."""
    assert np.array_equal(parse_idx(gzip.compress(BIG_RAW), name="f.idx").numpy(), BIG)
    with pytest.raises(DatasetError, match=pattern):
        parse_idx(raw, name="f.idx", ndim=3)  # capped at the header's size, 2368 bytes
    with pytest.raises(DatasetError, match=pattern):
        decompress(raw, name="f.idx", limit=len(BIG_RAW))  # capped at exactly the size inflated


def test_zero_dimensions_are_refused_when_any_ndim_is_allowed() -> None:
    """``00 00 08 00`` and one byte would otherwise be a 0-d array of that byte."""
    for raw in (b"\x00\x00\x08\x00\x07", gzip.compress(b"\x00\x00\x08\x00\x07")):
        with pytest.raises(DatasetError, match=r"expected at least 1 dimensions .*got 0"):
            parse_idx(raw, name="f.idx", ndim=None)


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_headers_longer_than_three_sizes_are_read(gz: bool) -> None:
    """IDX allows up to 255 sizes: a 5-d file's 24-byte header is read whole, raw or gzipped."""
    array = np.arange(2 * 1 * 3 * 2 * 2, dtype=np.uint8).reshape(2, 1, 3, 2, 2)
    raw = idx_bytes(array)
    data = gzip.compress(raw) if gz else raw
    for ndim in (None, 5):
        result = parse_idx(data, name="f.idx", ndim=ndim)
        assert tuple(result.shape) == array.shape and np.array_equal(result.numpy(), array)


def test_deflate_ratio_bound_is_1032_to_1() -> None:
    """A header claiming one byte more than 1032 × the gzip size is refused before inflating; a real
    stream of zeros (about 1000:1, near deflate's limit) is read."""
    header = b""
    sizes = 1
    for _ in range(5):  # the gzip size barely depends on the size written in the header
        header = _with_sizes(sizes)
        sizes = 1032 * len(gzip.compress(header, mtime=0)) + 1 - 8
    raw = gzip.compress(_with_sizes(sizes), mtime=0)
    assert 8 + sizes == 1032 * len(raw) + 1
    with pytest.raises(
        DatasetError, match=rf"got a {len(raw)}-byte gzip file that cannot hold them"
    ):
        parse_idx(raw, name="f.idx", ndim=1)
    zeros = gzip.compress(_with_sizes(1 << 20) + bytes(1 << 20), mtime=0)
    assert (1 << 20) / len(zeros) > 900  # the oracle: gzip's own ratio on this input
    assert int(parse_idx(zeros, name="f.idx", ndim=1).count_nonzero()) == 0


def test_no_copy_shares_a_writable_memoryview_and_copies_a_readonly_one() -> None:
    buffer = bytearray(VALID)
    shared = parse_idx(memoryview(buffer), name="f.idx", copy=False)
    buffer[16 + 5] = 200
    assert int(shared.reshape(-1)[5]) == 200  # a view of the caller's writable buffer
    data = bytes(bytearray(VALID))  # a fresh immutable object: writing into it would corrupt it
    own = parse_idx(memoryview(data), name="f.idx", copy=False)
    own[0, 0, 0] = 9
    assert data[16] == 0 and np.array_equal(own.numpy().reshape(-1)[1:], IMAGES.reshape(-1)[1:])


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (gzip.compress(BIG_RAW)[:-8], r"expected a complete gzip stream, got one cut short after 2368 decompressed bytes \(the gzip stream is truncated\)"),
        (gzip.compress(BIG_RAW) + b"junk", r"expected nothing after the gzip stream, got 4 extra bytes \(starting 6a 75 6e 6b\)"),
        (gzip.compress(BIG_RAW)[:-8] + bytes(8), r"expected a valid gzip stream, got a corrupt one \(.*\)"),
        (gzip.compress(bytes(len(BIG_RAW) + 1)), rf"expected at most {len(BIG_RAW)} bytes once decompressed, got more"),
    ],
    ids=["cut short", "junk after", "bad CRC", "too big"],
)  # fmt: skip
def test_without_a_fix_a_message_ends_at_its_reason(raw: bytes, reason: str) -> None:
    """A download's reason: the file to delete is already gone, and the caller gives one fix."""
    with pytest.raises(DatasetError, match=rf"^f: {reason}$"):
        decompress(raw, name="f", limit=len(BIG_RAW), fix=False)
    with pytest.raises(
        DatasetError, match=rf"^f: {reason}; .*get it again where a network exists: "
    ):
        decompress(raw, name="f", limit=len(BIG_RAW))  # the damaged file's fix by default
