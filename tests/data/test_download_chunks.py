"""A chunked body's framing on a real local server: size lines and trailers are held to the same
speed and a bound on bytes as the data, so no mirror can hold a download inside http.client
(D2L §3.5.1)."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linearnets.data import download
from linearnets.data.download import download_fashion_mnist
from linearnets.data.transfer import max_body
from linearnets.errors import DatasetError

from .conftest import Tiny

FIRST = "train-images-idx3-ubyte"  # the first file a download asks for
MOST_WRITES = 20_000  # a mirror that never stops stops here, so a client that waits fails the test


class ChunkServer:
    """A local server speaking HTTP/1.1 chunking by hand.

    /good/ sends each file in one chunk; /trailers/ the file's chunk, the last chunk, then a
    trailer line every 20 ms without end; /flood/ the same trailer lines as fast as it can;
    /size-trickle/ a chunk-size line a byte every 50 ms without end; /bad-size/ a chunk size that is
    not hexadecimal; /cut/ the first half of the file in one whole chunk, then closes the
    connection without the last chunk (a transfer cut between two chunks).
    """

    def __init__(self, tiny: Tiny) -> None:
        self.requests: list[str] = []
        self.closed = threading.Event()
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                path = self.rfile.readline().decode().split()[1]
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # the request's headers
                owner.requests.append(path)
                kind, _, file = path.strip("/").partition("/")
                body = tiny.gz[file.removesuffix(".gz")]
                head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n"
                try:
                    if kind == "good":
                        self.wfile.write(head + chunk + b"0\r\n\r\n")
                    elif kind in ("trailers", "flood"):
                        self.wfile.write(head + chunk + b"0\r\n")
                        self.repeat(b"X-Trailer: y\r\n", 0.02 if kind == "trailers" else 0.0)
                    elif kind == "size-trickle":
                        self.wfile.write(head)
                        self.repeat(b"1", 0.05)
                    elif kind == "bad-size":
                        self.wfile.write(head + b"zz\r\nabc\r\n0\r\n\r\n")
                    elif kind == "cut":  # then the handler returns: the connection closes
                        half = body[: len(body) // 2]
                        self.wfile.write(head + f"{len(half):x}\r\n".encode() + half + b"\r\n")
                except OSError:
                    pass  # the client gave up

            def repeat(self, data: bytes, pause: float) -> None:
                for _ in range(MOST_WRITES):
                    if owner.closed.is_set():
                        return
                    self.wfile.write(data)
                    self.wfile.flush()
                    if pause:
                        time.sleep(pause)

        socketserver.ThreadingTCPServer.daemon_threads = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def mirror(self, kind: str) -> str:
        return f"{self.base}/{kind}/"

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server(tiny: Tiny) -> Iterator[ChunkServer]:
    s = ChunkServer(tiny)
    yield s
    s.close()


def _get(root: Path, tiny: Tiny, mirrors: list[str]) -> Path:
    return download_fashion_mnist(
        root, mirrors=mirrors, checksums=tiny.files, progress=False, timeout=0.2
    )


def test_chunked_files_are_received(server: ChunkServer, tiny: Tiny, tmp_path: Path) -> None:
    folder = _get(tmp_path, tiny, [server.mirror("good")])
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("trailers", r"slower than 1 KiB/s for 0\.2 s \(stalled\)"),
        ("size-trickle", r"slower than 1 KiB/s for 0\.2 s \(stalled\)"),
        ("flood", r"sent more than \d+ bytes in all \(too big\)"),
        (
            "bad-size",
            r"sent a chunked body with a malformed chunk size after 0 bytes \(not HTTP/1\.1 chunking\)",
        ),
    ],
)
def test_a_mirror_holding_the_download_in_its_chunk_framing_is_given_up(
    server: ChunkServer, tiny: Tiny, tmp_path: Path, kind: str, reason: str
) -> None:
    """Before, http.client read the endless trailers (or the trickled size line) inside one read1:
    the download waited forever, and the next mirror was never asked."""
    start = time.monotonic()
    _get(tmp_path / "a", tiny, [server.mirror(kind), server.mirror("good")])
    assert time.monotonic() - start < 10
    assert server.requests[:2] == [f"/{kind}/{FIRST}.gz", f"/good/{FIRST}.gz"]
    with pytest.raises(DatasetError, match=rf"{kind}/{FIRST}\.gz: {reason}"):
        _get(tmp_path / "b", tiny, [server.mirror(kind)])
    assert not (tmp_path / "b").exists()


def test_the_wire_may_carry_twice_the_bodys_bound(
    server: ChunkServer, tiny: Tiny, tmp_path: Path
) -> None:
    with pytest.raises(DatasetError) as caught:
        _get(tmp_path, tiny, [server.mirror("flood")])
    assert f"sent more than {2 * max_body(tiny.files[FIRST][0])} bytes in all" in str(caught.value)


@pytest.mark.usefixtures("no_debian")  # the advice to install it
def test_a_body_cut_between_two_chunks_is_told_as_truncated_not_malformed(
    server: ChunkServer, tiny: Tiny, tmp_path: Path
) -> None:
    """Whole chunks, then the connection closed where the next size line was due: http.client reads
    an empty size line at the end of the stream, and this was told "sent a chunked body with a
    malformed chunk size after N bytes (not HTTP/1.1 chunking)", with the advice of a mirror
    without the file. It is a transfer cut short: another try may get it whole."""
    with pytest.raises(DatasetError) as caught:
        _get(tmp_path, tiny, [server.mirror("cut")])
    half = len(tiny.gz[FIRST]) // 2
    assert str(caught.value) == (
        f"could not download {FIRST}.gz from any mirror ({server.mirror('cut')}{FIRST}.gz: the "
        f"connection closed after {half} bytes (truncated)); {download.UNFINISHED_FIX}"
    )
    assert download.UNFINISHED_FIX.startswith(
        "a mirror answered, so the network works, but did not send the whole file"
    )
