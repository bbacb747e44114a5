"""Downloading from a real local HTTP server: failover between mirrors, atomic files, no leftovers."""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from linearnets.cli import main
from linearnets.data import download
from linearnets.data.download import DEFAULT_MIRRORS, download_fashion_mnist
from linearnets.data.files import find_fashion_mnist
from linearnets.data.verify import read_verified
from linearnets.errors import DatasetError, UsageError

from .conftest import Tiny


class Server:
    """A local server: /good/ serves the files, /broken/ a truncated copy, /short/ fewer bytes than
    announced, /wrong/ another file, /missing/ 404, /slow/ answers late."""

    def __init__(self, tiny: Tiny) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                kind, _, file = self.path.strip("/").partition("/")
                body = tiny.gz.get(file.removesuffix(".gz"))
                if body is None or kind == "missing":
                    self.send_error(404)
                    return
                length = len(body)
                if kind == "broken":
                    body = body[: len(body) // 2]
                    length = len(body)
                elif kind == "short":
                    body = body[: len(body) // 2]  # announces the full length, then hangs up
                elif kind == "wrong":
                    body = tiny.gz["t10k-labels-idx1-ubyte"]
                    length = len(body)
                elif kind == "slow":
                    time.sleep(1.0)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(length))
                    self.end_headers()
                    self.wfile.write(body)
                except ConnectionError:
                    pass  # the client gave up (the slow mirror)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def mirror(self, kind: str) -> str:
        return f"{self.base}/{kind}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tiny: Tiny) -> Iterator[Server]:
    s = Server(tiny)
    yield s
    s.close()


@pytest.fixture
def dead() -> Iterator[str]:
    """A mirror on a port that is bound but not listening: connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sock.close()


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _get(root: Path, tiny: Tiny, mirrors: list[str], **kwargs: Any) -> Path:
    return download_fashion_mnist(
        root, mirrors=mirrors, checksums=tiny.files, progress=False, **kwargs
    )


def test_falls_over_to_the_good_mirror(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path
) -> None:
    mirrors = [dead, server.mirror("missing"), server.mirror("broken"), server.mirror("good")]
    folder = _get(tmp_path / "root", tiny, mirrors)
    assert folder == tmp_path / "root" / "FashionMNIST" / "raw"
    assert _all_files(tmp_path / "root") == sorted(folder / f"{n}.gz" for n in tiny.files)
    found = find_fashion_mnist(tmp_path / "root", checksums=tiny.files)
    for name, path in found.paths.items():
        assert read_verified(path, name, expected=tiny.files[name])[0] == tiny.raw[name]
    first = next(iter(tiny.files))
    assert [r for r in server.requests if first in r] == [
        f"/{k}/{first}.gz" for k in ("missing", "broken", "good")
    ]
    assert all(
        r.startswith("/good/") for r in server.requests[3:]
    )  # the good mirror is tried first next


@pytest.mark.parametrize("kind", ["broken", "short", "wrong", "missing"])
def test_only_bad_mirrors_leave_nothing(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path, kind: str
) -> None:
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [dead, server.mirror(kind)])
    message = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert f"{dead}train-images-idx3-ubyte.gz: " in message and "refused" in message
    assert f"{server.mirror(kind)}train-images-idx3-ubyte.gz: " in message
    assert "apt-get install dataset-fashion-mnist" in message and "--data-dir" in message
    assert _all_files(tmp_path / "root") == []  # no final file, no temporary file


REASONS = {
    "broken": "the gzip stream is truncated",
    "short": "truncated",
    "wrong": "expected \\d+ bytes once decompressed",
    "missing": "HTTP 404",
}


@pytest.mark.parametrize("kind", sorted(REASONS))
def test_each_failure_is_explained(server: Server, tiny: Tiny, tmp_path: Path, kind: str) -> None:
    with pytest.raises(DatasetError, match=REASONS[kind]):
        _get(tmp_path, tiny, [server.mirror(kind)])


def test_a_slow_mirror_times_out(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no answer within 0.2 s \(timed out\)"):
        _get(tmp_path / "root", tiny, [server.mirror("slow")], timeout=0.2)
    assert _all_files(tmp_path / "root") == []


def test_present_valid_files_are_skipped(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    tiny.write(tmp_path / "root" / "FashionMNIST" / "raw")
    assert (
        _get(tmp_path / "root", tiny, [server.mirror("good")])
        == tmp_path / "root" / "FashionMNIST" / "raw"
    )
    tiny.write(tmp_path / "flat", gz=False)  # the files directly in root: kept there
    assert _get(tmp_path / "flat", tiny, [server.mirror("good")]) == tmp_path / "flat"
    assert server.requests == []


def test_corrupt_files_are_replaced(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    raw = tiny.write(tmp_path / "root" / "FashionMNIST" / "raw")
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8bgarbage")
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"a corrupt plain file shadows the .gz")
    _get(tmp_path / "root", tiny, [server.mirror("good")])
    assert sorted(server.requests) == [
        "/good/t10k-labels-idx1-ubyte.gz",
        "/good/train-labels-idx1-ubyte.gz",
    ]
    assert not (raw / "t10k-labels-idx1-ubyte").exists()
    found = find_fashion_mnist(tmp_path / "root", checksums=tiny.files)
    for name, path in found.paths.items():
        assert read_verified(path, name, expected=tiny.files[name])[0] == tiny.raw[name]


def test_an_interrupted_download_leaves_nothing(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "_check", interrupt)  # Ctrl-C after the bytes arrived
    with pytest.raises(KeyboardInterrupt):
        _get(tmp_path / "root", tiny, [server.mirror("good")])
    assert _all_files(tmp_path / "root") == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_goes_to_stderr_on_a_terminal_only(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # stderr captured to a pipe or file: no bar, whose carriage returns would run into the next line
    download_fashion_mnist(
        tmp_path / "a", mirrors=[server.mirror("good")], checksums=tiny.files, progress=True
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    download_fashion_mnist(
        tmp_path / "b", mirrors=[server.mirror("good")], checksums=tiny.files, progress=True
    )
    assert "train-images-idx3-ubyte.gz" in terminal.getvalue()
    assert capsys.readouterr().out == ""


def test_cli_download(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    argv = [
        "data",
        "download",
        "--data-dir",
        str(tmp_path),
        "--mirror",
        server.mirror("missing"),
        server.mirror("good"),
    ]
    assert main(argv) == 0
    assert f"verified in {tmp_path / 'FashionMNIST' / 'raw'}" in capsys.readouterr().out
    assert (
        main(
            ["data", "download", "--data-dir", str(tmp_path), "--mirror", server.mirror("missing")]
        )
        == 0
    )
    assert (
        main(
            [
                "data",
                "download",
                "--data-dir",
                str(tmp_path / "x"),
                "--mirror",
                server.mirror("missing"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("linearnets data: error: could not download")


BAD = [
    ("no mirrors", dict(mirrors=[]), r"mirrors must be a non-empty list of base URLs, got \[\]"),
    ("a string", dict(mirrors="http://x/"), r"mirrors must be a non-empty list"),
    ("ftp", dict(mirrors=["ftp://x/"]), r"mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'ftp://x/'"),
    ("no host", dict(mirrors=["http://"]), r"mirrors must be http:// or https:// URLs with a host.*got 'http://'"),
    ("bad IPv6", dict(mirrors=["http://[::1"]), r"got 'http://\[::1'"),
    ("port out of range", dict(mirrors=["http://127.0.0.1:99999/"]), r"got 'http://127.0.0.1:99999/'"),
    ("a space", dict(mirrors=["http://a b/"]), r"got 'http://a b/'"),
    ("timeout", dict(timeout=0), r"timeout must be a finite number > 0, got 0"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "pattern"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments(kwargs: dict[str, Any], pattern: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=pattern):
        download_fashion_mnist(tmp_path, **kwargs)


def test_root_must_not_be_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="root must be a folder to download into"):
        download_fashion_mnist(tmp_path / "f")
    with pytest.raises(
        UsageError,
        match=r"root must be a folder that can hold the download, got .*f/sub \(Not a directory\)",
    ):
        download_fashion_mnist(tmp_path / "f" / "sub")  # a file on the path


def test_a_bad_mirror_is_refused_before_any_folder_is_made(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"mirrors must be http"):
        download_fashion_mnist(tmp_path / "root", mirrors=["http://"])
    assert not (tmp_path / "root").exists()


def test_default_mirrors() -> None:
    assert DEFAULT_MIRRORS == (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://ossci-datasets.s3.amazonaws.com/fashion-mnist/",
    )
