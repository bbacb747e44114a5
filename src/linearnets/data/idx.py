"""Reading IDX files (the MNIST family's format), raw or gzipped, safely: pure functions, no file system.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, ``ndim`` big-endian uint32 sizes, then
the data. Every malformed input raises :class:`~linearnets.errors.DatasetError`; nothing is allocated
beyond what the bytes at hand can fill (sizes are checked against the payload before any array is made,
and gzip streams are inflated with a cap).
"""

from __future__ import annotations

import zlib

import numpy as np
import torch

from linearnets.errors import DatasetError

__all__ = ["GZIP_MAGIC", "decompress", "parse_idx"]

GZIP_MAGIC = b"\x1f\x8b"
UINT8 = 0x08


def decompress(raw: bytes, *, name: str, limit: int) -> bytes:
    """Return ``raw`` inflated if it is a gzip stream (at most ``limit`` bytes), else ``raw`` itself.

    Raises:
        DatasetError: the stream is corrupt or truncated, or inflates beyond ``limit`` bytes.
    """
    if not raw.startswith(GZIP_MAGIC):
        return raw
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise DatasetError(
            f"{name}: the gzip stream is corrupt ({exc}); delete the file and get it again "
            "(apt-get install --reinstall dataset-fashion-mnist, or linearnets data download)"
        ) from None
    if len(data) > limit:
        raise DatasetError(
            f"{name}: expected at most {limit} bytes once decompressed, got more; "
            "this is not the file it is named after — delete it and get it again"
        )
    if not inflater.eof:
        raise DatasetError(
            f"{name}: the gzip stream is truncated (ended after {len(data)} decompressed bytes); "
            "the download was cut short — delete the file and get it again"
        )
    return data


def parse_idx(data: bytes, *, name: str, ndim: int | None = None) -> torch.Tensor:
    """Return the uint8 array an IDX file holds, shape given by its header, sharing no memory with ``data``.

    Args:
        data: the decompressed file content.
        name: the file's name, for error messages.
        ndim: the number of dimensions expected (3 for images, 1 for labels), or ``None`` for any.

    Raises:
        DatasetError: bad magic, wrong type or dimensionality, or a payload whose size does not match.
    """
    fix = "delete it and get it again (apt-get install --reinstall dataset-fashion-mnist, or linearnets data download)"
    if len(data) < 4:
        raise DatasetError(
            f"{name}: expected an IDX header of at least 4 bytes, got {len(data)} bytes; {fix}"
        )
    if data[0] != 0 or data[1] != 0 or data[2] != UINT8:
        raise DatasetError(
            f"{name}: expected the IDX magic 00 00 08 xx (unsigned bytes), got {data[:4].hex(' ')}; "
            f"this is not an IDX file of unsigned bytes — {fix}"
        )
    found_ndim = data[3]
    if found_ndim == 0 or (ndim is not None and found_ndim != ndim):
        expected = f"{ndim}" if ndim is not None else "at least 1"
        raise DatasetError(
            f"{name}: expected {expected} dimensions in the IDX header, got {found_ndim}; {fix}"
        )
    header = 4 + 4 * found_ndim
    if len(data) < header:
        raise DatasetError(
            f"{name}: expected a {header}-byte IDX header, got only {len(data)} bytes; {fix}"
        )
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(found_ndim)]
    count = 1
    for size in shape:
        count *= size
    if count == 0:
        raise DatasetError(
            f"{name}: expected non-empty data, got sizes {shape} in the IDX header; {fix}"
        )
    payload = len(data) - header
    if payload != count:
        what = "truncated" if payload < count else "followed by extra bytes"
        raise DatasetError(
            f"{name}: expected {count} data bytes for sizes {shape}, got {payload} (the file is {what}); {fix}"
        )
    array = np.frombuffer(data, dtype=np.uint8, count=count, offset=header).reshape(shape)
    return torch.from_numpy(array.copy())  # one copy, writable, independent of ``data``
