"""Reading IDX files (the MNIST family's format), raw or gzipped, safely: pure functions, no file system.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>`` (2051 = ``00 00 08 03`` for images,
2049 = ``00 00 08 01`` for labels), ``ndim`` big-endian uint32 sizes, then the data. Every malformed input
raises :class:`~linearnets.errors.DatasetError` naming the file, what was expected, what was found and the
fix (a gzip stream that stops short, :class:`TruncatedGzipError`). Nothing is allocated beyond what the bytes at hand can fill: sizes are checked against the payload
before any array is made, and gzip streams are inflated with a cap (the header's size, itself no more
than deflate's 1032:1 ratio allows for the compressed bytes).
"""

from __future__ import annotations

import zlib
from collections.abc import Generator, Iterator

import numpy as np
import torch

from linearnets.data.files import how_to_replace
from linearnets.errors import DatasetError

__all__ = [
    "GZIP_MAGIC",
    "MAX_HEADER",
    "TruncatedGzipError",
    "check_plain_size",
    "decompress",
    "inflate_chunks",
    "looks_like",
    "parse_idx",
]

GZIP_MAGIC = b"\x1f\x8b"
UINT8 = 0x08
MAX_HEADER = 4 + 4 * 255  # the magic and up to 255 sizes
MAX_RATIO = 1032  # deflate cannot inflate one byte into more than ~1032


def _then(fix: bool, name: str) -> str:
    """Return the end of a message: ``; `` and how to replace the file ``name`` (a path), or nothing
    where the caller gives its own fix."""
    return f"; {how_to_replace(name)}" if fix else ""


def inflate_chunks(
    raw: bytes | bytearray | memoryview,
    *,
    name: str,
    limit: int,
    chunk_size: int = 1 << 20,
    fix: bool = True,
) -> Iterator[bytes]:
    """Yield the content of the gzip stream ``raw`` in chunks; stop once more than ``limit`` bytes came out.

    Concatenated gzip members are read one after another; zero padding after the last one is allowed
    (as ``gzip`` allows it), anything else after it is refused.

    Args:
        fix: end the messages with how to replace the file ``name`` (a path; see
            :func:`~linearnets.data.files.how_to_replace`); ``False`` for no fix (a download's
            reasons: the caller's message gives the one fix).

    Raises:
        DatasetError: the stream is corrupt, truncated, or followed by bytes that are not gzip.
    """
    produced, rest = 0, raw
    while True:
        produced, after = yield from _inflate_member(
            rest, name=name, limit=limit, chunk_size=chunk_size, produced=produced, fix=fix
        )
        if produced > limit:
            return
        rest = after.lstrip(b"\x00")
        if not rest:
            return
        if not rest.startswith(GZIP_MAGIC):
            raise DatasetError(
                f"{name}: expected nothing after the gzip stream, got {len(rest)} extra bytes "
                f"(starting {rest[:4].hex(' ')}){_then(fix, name)}"
            )


class TruncatedGzipError(DatasetError):
    """A gzip stream that ends before its last block: cut short (a download may tell a transfer cut
    short by it, where the mirror announced no length)."""


def _inflate_member(
    pending: bytes | bytearray | memoryview,
    *,
    name: str,
    limit: int,
    chunk_size: int,
    produced: int,
    fix: bool,
) -> Generator[bytes, None, tuple[int, bytes]]:
    """Yield the chunks of the gzip member at the start of ``pending``, until its end or ``limit``.

    ``produced`` bytes came out of the members before this one. Returns the count after this one
    (more than ``limit`` when the member was cut short there) and the bytes that follow the member.
    """
    inflater = zlib.decompressobj(wbits=31)
    while True:
        want = min(chunk_size, limit + 1 - produced)  # never 0: 0 would mean "no limit"
        try:
            out = inflater.decompress(pending, want)
        except zlib.error as exc:
            raise DatasetError(
                f"{name}: expected a valid gzip stream, got a corrupt one ({exc}){_then(fix, name)}"
            ) from None
        pending = inflater.unconsumed_tail
        if out:
            produced += len(out)
            yield out
        if produced > limit or inflater.eof:
            return produced, inflater.unused_data
        if not pending and len(out) < want:  # every input byte used, no output held back
            raise TruncatedGzipError(
                f"{name}: expected a complete gzip stream, got one cut short after {produced} "
                f"decompressed bytes (the gzip stream is truncated){_then(fix, name)}"
            )


def decompress(raw: bytes, *, name: str, limit: int, fix: bool = True) -> bytes:
    """Return ``raw`` inflated if it is a gzip stream (at most ``limit`` bytes), else ``raw`` itself.

    Args:
        fix: end the messages with how to replace the file (see :func:`inflate_chunks`).

    Raises:
        DatasetError: the stream is corrupt, truncated, or inflates beyond ``limit`` bytes.
    """
    if not raw.startswith(GZIP_MAGIC):
        return raw
    data = b"".join(inflate_chunks(raw, name=name, limit=limit, chunk_size=limit + 1, fix=fix))
    if len(data) > limit:
        why = f"; this is not the file it is named after — {how_to_replace(name)}" if fix else ""
        raise DatasetError(
            f"{name}: expected at most {limit} bytes once decompressed, got more{why}"
        )
    return data


def _header(
    head: bytes | bytearray | memoryview, *, name: str, ndim: int | None
) -> tuple[list[int], int]:
    """Return the sizes and the header length of an IDX file whose first bytes are ``head``."""
    magic = f"{2048 + ndim} = 00 00 08 {ndim:02x}" if ndim is not None else "00 00 08 xx"
    if len(head) < 4:
        raise DatasetError(
            f"{name}: expected an IDX header of at least 4 bytes, got {len(head)} bytes; {how_to_replace(name)}"
        )
    if head[0] != 0 or head[1] != 0 or head[2] != UINT8:
        raise DatasetError(
            f"{name}: expected the IDX magic {magic} (unsigned bytes), got {bytes(head[:4]).hex(' ')}"
            f"{looks_like(bytes(head))}; "
            f"this is not an IDX file of unsigned bytes — {how_to_replace(name)}"
        )
    found_ndim = head[3]
    if found_ndim == 0 or (ndim is not None and found_ndim != ndim):
        expected = f"{ndim}" if ndim is not None else "at least 1"
        raise DatasetError(
            f"{name}: expected {expected} dimensions in the IDX header (magic {magic}), "
            f"got {found_ndim}; {how_to_replace(name)}"
        )
    size = 4 + 4 * found_ndim
    if len(head) < size:
        raise DatasetError(
            f"{name}: expected a {size}-byte IDX header, got only {len(head)} bytes; {how_to_replace(name)}"
        )
    shape = [int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(found_ndim)]
    if 0 in shape:
        raise DatasetError(
            f"{name}: expected non-empty data, got sizes {shape} in the IDX header; {how_to_replace(name)}"
        )
    return shape, size


def _inflate_idx(raw: bytes | bytearray | memoryview, *, name: str, ndim: int | None) -> bytes:
    """Inflate a gzipped IDX file, reading its header first so at most the declared size is made."""
    head = b"".join(inflate_chunks(raw, name=name, limit=MAX_HEADER, chunk_size=MAX_HEADER + 1))
    shape, size = _header(head, name=name, ndim=ndim)
    total = size + int(np.prod(shape, dtype=object))
    if total > MAX_RATIO * len(raw):
        raise DatasetError(
            f"{name}: expected {total - size} data bytes for sizes {shape}, got a {len(raw)}-byte gzip "
            f"file that cannot hold them (the file is truncated); {how_to_replace(name)}"
        )
    data = b"".join(inflate_chunks(raw, name=name, limit=total, chunk_size=total + 1))
    if len(data) > total:
        raise DatasetError(
            f"{name}: expected {total - size} data bytes for sizes {shape}, got more "
            f"(the file is followed by extra bytes); {how_to_replace(name)}"
        )
    return data


def looks_like(content: bytes) -> str:
    """Say what ``content`` that is not the file looks like when it is text (a mirror's HTML
    page, a message; a page saved from a browser under the file's name): `` (an HTML page,
    starting '<!DOCTYPE html>...')``; ``""`` for bytes. Its first 200 bytes are enough."""
    head = content[:200].removeprefix(b"\xef\xbb\xbf").lstrip()  # a UTF-8 BOM shown as no word
    if not head or any(b < 9 or 13 < b < 32 or b == 127 for b in head):
        return ""  # control bytes: no text (an IDX file starts with two zero bytes)
    start = " ".join(head[:200].decode("utf-8", "replace").split())[:40]
    kind = (
        "an HTML page" if b"<html" in head.lower() or head[:9].lower() == b"<!doctype" else "text"
    )
    return f" ({kind}, starting {start!r})"


def check_plain_size(
    head: bytes | bytearray | memoryview, file_size: int, *, name: str, ndim: int | None = None
) -> tuple[list[int], int]:
    """Return the sizes and the element count the header of a plain (not gzipped) IDX file declares,
    or raise unless the file's ``file_size`` bytes are that header and that many elements.

    Its first bytes ``head`` (up to :data:`MAX_HEADER`) and its size (``os.stat``) are enough: a
    huge file that is not the one named is refused before it is read into memory.

    Raises:
        DatasetError: bad magic, wrong type or dimensionality, zero sizes, or a file size that does
            not match the header (the file is truncated or followed by extra bytes).
    """
    shape, size = _header(head[:MAX_HEADER], name=name, ndim=ndim)
    count = int(np.prod(shape, dtype=object))  # exact: no overflow for 2**32-sized headers
    payload = file_size - size
    if payload != count:
        what = "truncated" if payload < count else "followed by extra bytes"
        raise DatasetError(
            f"{name}: expected {count} data bytes for sizes {shape}, got {payload} (the file is {what}); {how_to_replace(name)}"
        )
    return shape, count


def parse_idx(
    raw: bytes | bytearray | memoryview, *, name: str, ndim: int | None = None, copy: bool = True
) -> torch.Tensor:
    """Return the uint8 array an IDX file holds, its shape given by the header; gzip is inflated first.

    Args:
        raw: the file's bytes, gzipped (they start with ``1f 8b``) or not.
        name: the file's name, for error messages.
        ndim: the number of dimensions expected (3 for images, 1 for labels), or ``None`` for any.
        copy: ``False`` lets the result share memory with ``raw`` when ``raw`` is a writable buffer
            (``bytearray``, writable ``memoryview``) the caller gives up; otherwise the result is an
            independent copy.

    Returns:
        uint8 tensor of the header's shape, e.g. images (N, 28, 28) or labels (N,).

    Raises:
        DatasetError: bad magic, wrong type or dimensionality, zero sizes, a payload whose size does
            not match the header, or a corrupt or truncated gzip stream.

    See D2L §3.5.1.
    """
    if raw[:2] == GZIP_MAGIC:
        raw, copy = _inflate_idx(raw, name=name, ndim=ndim), True
    shape, count = check_plain_size(raw[:MAX_HEADER], len(raw), name=name, ndim=ndim)
    size = len(raw) - count  # the header's
    if not copy and (
        isinstance(raw, bytearray) or (isinstance(raw, memoryview) and not raw.readonly)
    ):
        return torch.frombuffer(raw, dtype=torch.uint8, count=count, offset=size).view(shape)
    array = np.frombuffer(raw, dtype=np.uint8, count=count, offset=size).reshape(shape)
    return torch.from_numpy(array.copy())  # one copy, writable, independent of ``raw``
