"""A mirror that trickles its response headers is given up once ``timeout`` has passed in all.

The socket timeout bounds each read only: one byte every 20 ms never trips a 0.3 s timeout, so
without a deadline for the whole status line and headers such a mirror holds a download forever.
"""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linearnets.data.download import download_fashion_mnist
from linearnets.errors import DatasetError

from .conftest import Tiny

FIRST = "train-images-idx3-ubyte"
PAUSE = 0.02  # seconds between header bytes: far below any timeout used here
GIVE_UP_AFTER = (
    8.0  # the trickling mirror hangs up then, so a client without a deadline fails in time
)


class Mirrors:
    """A local server: /stall/ sends its status line and headers one byte at a time and never ends
    them; /good/ serves the files."""

    def __init__(self, tiny: Tiny) -> None:
        self.closed = threading.Event()
        self.requests: list[str] = []
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                path = self.rfile.readline().split()[1].decode()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                owner.requests.append(path)
                kind, _, file = path.strip("/").partition("/")
                try:
                    if kind == "stall":
                        self.trickle()
                    else:
                        body = tiny.gz[file.removesuffix(".gz")]
                        head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\n\r\n"
                        self.wfile.write(head.encode() + body)
                except ConnectionError:
                    pass  # the client gave up

            def trickle(self) -> None:
                head = b"HTTP/1.0 200 OK\r\nX-Padding: " + b"a" * 10_000
                end = time.monotonic() + GIVE_UP_AFTER
                for byte in head:
                    if owner.closed.is_set() or time.monotonic() > end:
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(PAUSE)

        socketserver.ThreadingTCPServer.daemon_threads = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def mirror(self, kind: str) -> str:
        return f"{self.base}/{kind}/"

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirrors(tiny: Tiny) -> Iterator[Mirrors]:
    m = Mirrors(tiny)
    yield m
    m.close()


def test_a_mirror_trickling_its_headers_is_given_up(
    mirrors: Mirrors, tiny: Tiny, tmp_path: Path
) -> None:
    start = time.monotonic()
    folder = download_fashion_mnist(
        tmp_path / "a",
        mirrors=[mirrors.mirror("stall"), mirrors.mirror("good")],
        checksums=tiny.files,
        timeout=0.3,
        progress=False,
    )
    assert time.monotonic() - start < 3  # 0.3 s on the stalling mirror, then the good one
    assert mirrors.requests[:2] == [f"/stall/{FIRST}.gz", f"/good/{FIRST}.gz"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)


def test_only_a_trickling_mirror_fails_in_one_line_and_leaves_nothing(
    mirrors: Mirrors, tiny: Tiny, tmp_path: Path
) -> None:
    start = time.monotonic()
    with pytest.raises(
        DatasetError,
        match=rf"could not download {FIRST}\.gz from any mirror \({mirrors.mirror('stall')}"
        rf"{FIRST}\.gz: no response headers within 0\.3 s \(stalled\)\); without a network",
    ):
        download_fashion_mnist(
            tmp_path / "root",
            mirrors=[mirrors.mirror("stall")],
            checksums=tiny.files,
            timeout=0.3,
            progress=False,
        )
    assert time.monotonic() - start < 3
    assert not (tmp_path / "root").exists()  # no .part file, no empty folder
