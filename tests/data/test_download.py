"""Downloading from a real local HTTP server: failover between mirrors, atomic files, no leftovers."""

from __future__ import annotations

import ast
import errno
import fcntl
import gzip
import io
import os
import re
import shlex
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets import _fs
from linearnets._shell import shell_word
from linearnets._text import and_list, quoted_path, shown_path
from linearnets.cli import main
from linearnets.data import (
    download,
    download_destination,
    fetch,
    files,
    mirror_order,
    mirror_ranks,
    transfer,
)
from linearnets.data.download import download_fashion_mnist
from linearnets.data.fashion_mnist import read_fashion_mnist
from linearnets.data.files import find_fashion_mnist
from linearnets.data.verify import read_verified
from linearnets.errors import DatasetError, DataWarning, UsageError, UsageTypeError

from ._servers import serve, stop
from .conftest import Tiny, broken_link

# this machine as one without the Debian package, whose failures advise installing it (installed,
# the advice is to read its files: the tests at the end of test_download.py)
pytestmark = pytest.mark.usefixtures("no_debian")

PACES = {"trickle": (1, 0.05), "drip": (1024, 0.05)}  # kind: (bytes, seconds) per write
# the kinds of mirror that announce no length (the body ends with the connection's close)
CLOSE_DELIMITED = (
    "close-short",
    "close-plain-short",
    "close-plain-other",
    "close-empty",
    "close-html",
)
ENDLESS_CHUNKS = 1024  # 64 KiB each: the "endless" mirror stops after 64 MiB


class Server:
    """A local server: /good/ serves the files, /broken/ a truncated copy, /short/ fewer bytes than
    announced, /wrong/ another file, /missing/ 404, /slow/ answers late, /plain/ the file not gzipped,
    /huge/ announces 10**12 bytes, /endless/ sends the file then zeros with no length (64 MiB of them at
    most: far past any bound the client should keep, but a client that keeps everything fails the test
    rather than filling the disk),
    /trickle/ one byte every 50 ms, /drip/ 1 KiB every 50 ms, /burst/ half the file at once then
    16 bytes every 50 ms, /hang/ half the file then nothing, /garbage/ no HTTP status line, /bad-redirect/ a redirect to a malformed URL, /login-redirect/ one to a gopher:// URL with a password, /chunked-short/ a chunk of 1000 bytes announced and 10 sent, /limit/ and /limit-unannounced/ the file padded with zeros to the most
    bytes a mirror may send (announced, or not), /redirect-dribble/ a redirect to /good/ whose body
    comes a byte every 50 ms (for 10 s at most), /reset/ half the file, then a reset (RST) of the
    connection, /hangup/ a reset and /close/ a close before any byte of an answer, /train-only/ the
    training files, and no answer for the test files (until the test ends), /html/ an HTML page,
    /status-NNN/ the HTTP status NNN, /redirect-to-KIND/ a redirect to /KIND/, /close-short/ half the
    file with no length announced, then a close (its end only the connection's), /close-plain-short/
    the same of the file not gzipped, /close-plain-other/ the whole test file not gzipped for a
    training file (and the training file for a test file), /close-empty/ no byte of a body, /close-html/ an HTML page, each
    with no length announced."""

    def __init__(self, tiny: Tiny) -> None:
        self.requests: list[str] = []
        self.closed = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                kind, _, file = self.path.strip("/").partition("/")
                body = tiny.gz.get(file.removesuffix(".gz"))
                if body is None or kind == "missing":
                    self.send_error(404)
                    return
                if kind.startswith("status-"):
                    self.send_error(int(kind.removeprefix("status-")))
                    return
                if kind.startswith("redirect-to-"):
                    self.send_response(302)
                    self.send_header("Location", f"/{kind.removeprefix('redirect-to-')}/{file}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "bad-redirect":  # to a URL urllib cannot parse
                    self.send_response(302)
                    self.send_header("Location", "http://[::1/x.gz")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "login-redirect":  # to a scheme urllib refuses, a password in it
                    self.send_response(302)
                    self.send_header("Location", "gopher://u:secret@127.0.0.1/x.gz")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "redirect-dribble":
                    self.send_response(302)
                    self.send_header("Location", f"/good/{file}")
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    self.paced(b"<" * 200, 1, 0.05)
                    return
                if kind in ("hangup", "close"):  # no byte of an answer: a reset (RST), or a close
                    if kind == "hangup":
                        linger = struct.pack("ii", 1, 0)  # closed at once: an RST, no FIN
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.connection.close()
                    self.close_connection = True
                    return
                if kind == "train-only" and not file.startswith("train-"):
                    owner.closed.wait(10)  # no answer: a download stopped while it waits
                    return
                if kind == "garbage":  # no HTTP status line at all, then hangs up
                    self.wfile.write(b"garbage\r\n\r\n")
                    return
                if kind == "chunked-short":  # then hangs up (an HTTP/1.0 handler closes)
                    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"
                    self.wfile.write(head + body[:10])
                    return
                length = len(body)
                if kind in ("broken", "close-short"):
                    body = body[: len(body) // 2]
                    length = len(body)
                elif kind == "short":
                    body = body[: len(body) // 2]  # announces the full length, then hangs up
                elif kind == "wrong":
                    body = tiny.gz["t10k-labels-idx1-ubyte"]
                    length = len(body)
                elif kind == "html":
                    body = b"<!DOCTYPE html><html><body>Not here</body></html>"
                    length = len(body)
                elif kind == "slow":
                    time.sleep(1.0)
                elif kind == "plain":
                    body = tiny.raw[file.removesuffix(".gz")]
                    length = len(body)
                elif kind == "close-plain-short":
                    body = tiny.raw[file.removesuffix(".gz")]
                    body = body[: len(body) // 2]
                elif kind == "close-plain-other":  # another file, whole: the t10k one
                    split, rest = file.removesuffix(".gz").split("-", 1)
                    body = tiny.raw[f"{'t10k' if split == 'train' else 'train'}-{rest}"]
                elif kind == "close-empty":
                    body = b""
                elif kind == "close-html":
                    body = b"<!DOCTYPE html><html><body>Not here</body></html>"
                elif kind == "huge":
                    length = 10**12
                elif kind.startswith("limit"):
                    size = tiny.files[file.removesuffix(".gz")][0]
                    body += bytes(size + size // 100 + 65536 - len(body))
                    length = len(body)
                try:
                    self.send_response(200)
                    if kind not in ("endless", "limit-unannounced", *CLOSE_DELIMITED):
                        self.send_header("Content-Length", str(length))
                    self.end_headers()
                    if kind == "endless":
                        self.endless(body)
                    elif kind in PACES:
                        self.paced(body, *PACES[kind])
                    elif kind == "hang":  # half the file, then silence (until the test ends)
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        owner.closed.wait(10)
                    elif kind == "reset":  # half the file, read by now, then a TCP reset
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        time.sleep(0.3)
                        linger = struct.pack("ii", 1, 0)  # closed at once: an RST, no FIN
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                        self.connection.close()
                    elif kind == "burst":
                        self.wfile.write(body[: len(body) // 2])
                        self.paced(body[len(body) // 2 :], 16, 0.05)
                    else:
                        self.wfile.write(body)
                except ConnectionError:
                    pass  # the client gave up (the slow, endless or trickling mirror)

            def endless(self, body: bytes) -> None:
                self.wfile.write(body)
                for _ in range(ENDLESS_CHUNKS):
                    if owner.closed.is_set():
                        return
                    self.wfile.write(bytes(1 << 16))

            def paced(self, body: bytes, size: int, pause: float) -> None:
                for start in range(0, len(body), size):
                    if owner.closed.is_set():
                        return
                    self.wfile.write(body[start : start + size])
                    time.sleep(pause)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd, self.base = serve(Handler)

    def mirror(self, kind: str) -> str:
        return f"{self.base}/{kind}/"

    def close(self) -> None:
        self.closed.set()
        stop(self.httpd)


@pytest.fixture
def server(tiny: Tiny) -> Iterator[Server]:
    s = Server(tiny)
    yield s
    s.close()


@pytest.fixture
def unanswered() -> Iterator[str]:
    """A mirror whose queue of connections to accept is full: a new one is never established."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    queued = []
    for _ in range(8):  # Linux queues one connection for listen(0); the next ones wait
        client = socket.socket()
        client.settimeout(0.1)
        try:
            client.connect(address)
        except TimeoutError:
            client.close()
            break
        queued.append(client)
    else:
        pytest.skip("this system accepts every connection: none waits")
    yield f"http://127.0.0.1:{address[1]}/"
    for client in queued:
        client.close()
    listener.close()


@pytest.fixture
def dead() -> Iterator[str]:
    """A mirror on a port that is bound but not listening: connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sock.close()


@pytest.fixture
def unresolvable(monkeypatch: pytest.MonkeyPatch) -> str:
    """A mirror whose host name is not resolved for want of a network (EAI_AGAIN, as on a machine
    without one; a resolver that answers that a .invalid name does not exist, EAI_NONAME, is a
    host name to check), asked directly."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    getaddrinfo = socket.getaddrinfo

    def offline(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "fashion-mnist.invalid":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    return "http://fashion-mnist.invalid/fm/"


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _get(root: Path, tiny: Tiny, mirrors: Iterable[str], **kwargs: Any) -> Path:
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


@pytest.mark.parametrize("shape", ["generator", "map", "dict keys"])
def test_mirrors_given_as_any_iterable_are_each_tried(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path, shape: str
) -> None:
    """A generator was used up by the check of its URLs: the download then tried no mirror, and
    said "could not download ... from any mirror (); without a network, ..."."""
    urls = [dead, server.mirror("good")]
    mirrors = {
        "generator": (url for url in urls),
        "map": map(str, urls),
        "dict keys": dict.fromkeys(urls).keys(),
    }[shape]
    folder = _get(tmp_path / "root", tiny, mirrors)
    assert _all_files(tmp_path / "root") == sorted(folder / f"{n}.gz" for n in tiny.files)
    assert server.requests[0] == f"/good/{FIRST}.gz"


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
    assert "apt-get install dataset-fashion-mnist" in message and "pass root=DIR" in message
    assert not (tmp_path / "root").exists()  # no file, no temporary file, no empty folder


REASONS = {
    "broken": "the gzip stream is truncated",
    "chunked-short": r"the connection closed after 10 bytes \(truncated\)",  # all it sent
    "short": r"the transfer stopped after \d+ of \d+ bytes \(truncated\)",
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
    assert not (tmp_path / "root").exists()


def test_a_mirror_that_never_connects_times_out(
    unanswered: str, tiny: Tiny, tmp_path: Path
) -> None:
    """urllib wraps a connection's timeout in a URLError: still "no answer", said in those words."""
    with pytest.raises(
        DatasetError, match=rf"{unanswered}{FIRST}\.gz: no answer within 0\.2 s \(timed out\)\)"
    ):
        _get(tmp_path / "root", tiny, [unanswered], timeout=0.2)
    assert not (tmp_path / "root").exists()


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


@pytest.mark.parametrize("layout", ["flat", "FashionMNIST/raw"])
def test_the_fix_a_damaged_file_names_replaces_it(
    server: Server, tiny: Tiny, tmp_path: Path, layout: str
) -> None:
    from linearnets.cli._report import one_line

    root = tmp_path / "my data"
    folder = tiny.write(root / layout if layout != "flat" else root)
    damaged = folder / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(gzip.compress(b"not the labels"))
    name = "train-labels-idx1-ubyte"
    with pytest.raises(DatasetError) as info:
        read_verified(damaged, name, expected=tiny.files[name])
    # the call that ends the message, in Python's words, and the command the command line says,
    # split as a shell would split it
    message, call = str(info.value), f"{files.DOWNLOAD_CALL}("
    assert f"get it again where a network exists: {call}" in message
    assert Path(ast.literal_eval(message.partition(call)[2].removesuffix(")"))) == root
    said = one_line(info.value)
    words = shlex.split(said[said.index("linearnets data download") :])
    assert words[:4] == ["linearnets", "data", "download", "--data-dir"]
    assert Path(words[4]) == root  # the folder the search reads, above FashionMNIST/raw
    _get(Path(words[4]), tiny, [server.mirror("good")])
    assert server.requests == [f"/good/{name}.gz"]
    assert read_verified(damaged, name, expected=tiny.files[name])[0] == tiny.raw[name]


@pytest.mark.parametrize(
    ("there", "said"),
    [
        ([], "{root}, made for the download, was removed"),
        (["root"], "{root}/FashionMNIST, made for the download, was removed"),
        (
            ["root", "root/FashionMNIST", "root/FashionMNIST/raw"],
            "none is left cut short in {root}/FashionMNIST/raw",
        ),
    ],
)
def test_an_interrupted_download_leaves_nothing_and_says_so(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    there: list[str],
    said: str,
) -> None:
    """Stopped before any file was verified: the folders it made are gone, and it says so (it
    said the files verified stay under a folder that no longer existed)."""

    def interrupt(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    work = tmp_path / "work"  # beside the verification cache
    for folder in ["", *there]:
        (work / folder).mkdir(exist_ok=True)
    monkeypatch.setattr(fetch, "_check", interrupt)  # Ctrl-C after the bytes arrived
    with pytest.raises(download.DownloadInterrupted) as info:
        _get(work / "root", tiny, [server.mirror("good")])
    assert sorted(work.rglob("*")) == [
        work / folder for folder in there
    ]  # no file, nor folder made
    assert str(info.value) == (
        "interrupted by SIGINT during the download, before any file was verified; "
        f"{said.format(root=work / 'root')}: try again (the same call) to download "
        "the files"
    )
    assert (info.value.kept, len(info.value.missing)) == ([], 4)


def test_an_interrupted_download_names_the_files_it_keeps(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file there before and one fetched stay, named; the other two are still to fetch."""
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(tiny.gz["t10k-labels-idx1-ubyte"])
    real_check = fetch._check
    checked: list[Path] = []

    def check_then_stop(tmp: Path, expected: tuple[int, str], name: str) -> bytes | None:
        checked.append(tmp)
        if len(checked) == 2:
            raise KeyboardInterrupt("SIGTERM")  # the command's SIGTERM handler raises this
        return real_check(tmp, expected, name)

    monkeypatch.setattr(fetch, "_check", check_then_stop)
    with pytest.raises(download.DownloadInterrupted) as info:
        _get(tmp_path / "root", tiny, [server.mirror("good")])
    kept = [raw / "train-images-idx3-ubyte.gz", raw / "t10k-labels-idx1-ubyte.gz"]
    assert _all_files(tmp_path / "root") == sorted(kept)
    assert (info.value.signal_name, info.value.kept, info.value.removed) == ("SIGTERM", kept, [])
    assert info.value.missing == ["train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
    assert str(info.value) == (
        f"interrupted by SIGTERM during the download; the files verified stay in {raw}: "
        "train-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (none is left cut short): try "
        "again (the same call) to fetch the other 2"
    )


def test_a_download_interrupted_once_every_file_was_in_place_says_so(tmp_path: Path) -> None:
    stop = download.DownloadInterrupted(
        "SIGINT", folder=tmp_path, kept=[tmp_path / "a.gz"], missing=[], removed=[]
    )
    assert str(stop) == (
        f"interrupted by SIGINT during the download, once every file was verified; they are in "
        f"{tmp_path}"
    )
    assert isinstance(stop, KeyboardInterrupt)


# the command as `linearnets data download --data-dir dl4 --mirror MIRROR`, the tiny files its own
_COMMAND_WITH_TINY_FILES = """
import runpy, sys
import linearnets.data.download as download
download.FASHION_MNIST_FILES = {files!r}
sys.argv = ["linearnets", "data", "download", "--data-dir", "dl4", "--mirror", {mirror!r}]
runpy.run_module("linearnets", run_name="__main__")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
@pytest.mark.parametrize(
    ("kind", "waits_on", "said", "kept"),
    [
        # half of the first file sent, then nothing: its temporary file goes, and dl4 with it
        (
            "hang",
            "train-images-idx3-ubyte",
            "interrupted by SIGINT during the download, before any file was verified; dl4, made "
            "for the download, was removed: run the same command again to download the files",
            [],
        ),
        (
            "train-only",
            "t10k-images-idx3-ubyte",
            "interrupted by SIGINT during the download; the files verified stay in "
            f"{Path('dl4/FashionMNIST/raw')}: train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz (none is left cut short): run the same command again to "
            "fetch the other 2",
            ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"],
        ),
    ],
)
def test_a_ctrl_c_during_the_command_says_what_stays(
    server: Server, tiny: Tiny, tmp_path: Path, kind: str, waits_on: str, said: str, kept: list[str]
) -> None:
    """A real SIGINT to the command while a slow mirror keeps it waiting: it said "the files
    already verified stay under dl4" with none verified and dl4 gone."""
    code = _COMMAND_WITH_TINY_FILES.format(files=tiny.files, mirror=server.mirror(kind))
    work = tmp_path / "work"  # beside the verification cache
    work.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while f"/{kind}/{waits_on}.gz" not in server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the half file sent (hang) has arrived
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (130, "", f"linearnets data download: {said}\n")
    raw = work / "dl4" / "FashionMNIST" / "raw"
    assert _all_files(work) == [raw / name for name in kept]
    assert (work / "dl4").exists() == bool(kept)


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
    assert len(err) == 1 and err[0].startswith(
        "linearnets data download: error: could not download"
    )


class _NoURLs:
    """An iterable that is no collection (no len) and gives nothing: its repr is an address."""

    def __iter__(self) -> Any:
        return iter(())


BAD = [
    ("no mirrors", dict(mirrors=[]), r"^mirrors must be a non-empty list of base URLs, got \[\]; pass e\.g\. mirrors=\['http"),
    # no address (<list_iterator object at 0x7f...>): what it is and what it gave
    ("an empty generator", dict(mirrors=(url for url in list[str]())), r"^mirrors must be a non-empty list of base URLs, got an iterator that gave no URLs \(an iterator gives its URLs once: pass a list\); pass e\.g\. mirrors=\['http"),
    ("an empty iterator", dict(mirrors=iter([])), r"^mirrors must be a non-empty list of base URLs, got an iterator that gave no URLs \(an iterator gives its URLs once: pass a list\); pass e\.g\. mirrors=\['http"),
    ("an empty iterable", dict(mirrors=_NoURLs()), r"^mirrors must be a non-empty list of base URLs, got an iterable that gave no URLs; pass e\.g\. mirrors=\['http"),
    ("a URL in bytes", dict(mirrors=[b"http://127.0.0.1:9/fm/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got b'http://127\.0\.0\.1:9/fm/'; pass it as a str: 'http://127\.0\.0\.1:9/fm/'$"),
    # its login masked, as in a list
    ("one URL, not a list", dict(mirrors="http://me:s3cret@127.0.0.1:9/"), r"^mirrors must be a non-empty list of base URLs, got 'http://\*\*\*@127\.0\.0\.1:9/'; pass e\.g\. mirrors=\['http"),
    ("no iterable", dict(mirrors=9), r"^mirrors must be a non-empty list of base URLs, got 9; pass e\.g\."),
    ("ftp", dict(mirrors=["ftp://x/"]), r"mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'ftp://x/'"),
    ("no host", dict(mirrors=["http://"]), r"mirrors must be http:// or https:// URLs with a host.*got 'http://'"),
    ("bad IPv6", dict(mirrors=["http://[::1"]), r"got 'http://\[::1'"),
    ("port out of range", dict(mirrors=["http://127.0.0.1:99999/"]), r"got 'http://127.0.0.1:99999/'; its port 99999 is outside 1-65535: pass the port the mirror listens on$"),
    # port 0 was taken: "0 is no port to connect to", and every file failed "Connection refused"
    ("port 0", dict(mirrors=["http://127.0.0.1:0/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'http://127.0.0.1:0/'; its port 0 is outside 1-65535: pass the port the mirror listens on$"),
    ("a space", dict(mirrors=["http://a b/"]), r"got 'http://a b/'; pass e\.g\. 'https://"),
    # in the path, one percent-encoding makes it a URL: it was told "http:// or https:// URLs with a
    # host (and a valid port)" and the default mirror, as a space in the host is
    ("a space in the path", dict(mirrors=["http://127.0.0.1:8253/o k/"]), r"^mirrors must be URLs without spaces, as HTTP sends them, got 'http://127\.0\.0\.1:8253/o k/'; pass it percent-encoded: 'http://127\.0\.0\.1:8253/o%20k/'$"),
    ("spaces in the path, blanks around", dict(mirrors=[" http://127.0.0.1:9/a b/c d/\n"]), r"got ' http://127\.0\.0\.1:9/a b/c d/\\n'; drop the blanks around it and pass it percent-encoded: 'http://127\.0\.0\.1:9/a%20b/c%20d/'$"),
    ("a space and a path not in ASCII", dict(mirrors=["http://127.0.0.1:9/é x/"]), r"^mirrors must be URLs without spaces, as HTTP sends them, got 'http://127\.0\.0\.1:9/é x/'; pass it percent-encoded: 'http://127\.0\.0\.1:9/%C3%A9%20x/'$"),
    # other blanks were told as no URL at all ("http:// or https:// URLs with a host") and the default
    ("a tab in the path", dict(mirrors=["http://127.0.0.1:9/a\tb/"]), r"^mirrors must be URLs without spaces or other blanks, as HTTP sends them, got 'http://127\.0\.0\.1:9/a\\tb/'; pass it percent-encoded: 'http://127\.0\.0\.1:9/a%09b/'$"),
    ("a no-break space in the path", dict(mirrors=["http://127.0.0.1:9/a\xa0b c/"]), r"^mirrors must be URLs without spaces or other blanks, as HTTP sends them, got 'http://127\.0\.0\.1:9/a\\xa0b c/'; pass it percent-encoded: 'http://127\.0\.0\.1:9/a%C2%A0b%20c/'$"),
    ("a tab in the query", dict(mirrors=["http://127.0.0.1:9/ok/?a\tb"]), r"^mirrors must be base URLs without a \?query or #fragment .*, got 'http://127\.0\.0\.1:9/ok/\?a\\tb'; pass the URL of the folder"),
    ("a tab in the host", dict(mirrors=["http://a\tb/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'http://a\\tb/'; pass e\.g\. 'https://"),
    # the form percent-encoded was suggested, and then refused for its query, fragment or login
    ("a space in the query", dict(mirrors=["http://127.0.0.1:9/ok/?a b"]), r"^mirrors must be base URLs without a \?query or #fragment \(each file's name is appended to the URL\), got 'http://127\.0\.0\.1:9/ok/\?a b'; pass the URL of the folder that holds the files, e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'; for a mirror"),
    ("a space in the fragment", dict(mirrors=["http://127.0.0.1:9/ok/#a b"]), r"^mirrors must be base URLs without a \?query or #fragment .*, got 'http://127\.0\.0\.1:9/ok/#a b'; pass the URL of the folder"),
    ("a space and a query not in ASCII", dict(mirrors=["http://127.0.0.1:9/é x/?a"]), r"^mirrors must be base URLs without a \?query or #fragment .*, got 'http://127\.0\.0\.1:9/é x/\?a'; pass the URL of the folder"),
    ("a space in the path, a login", dict(mirrors=["http://me:s3cret@127.0.0.1:9/o k/"]), r"^mirrors must be URLs without a user name or password \(they are not used to log in, and would be printed in messages\), got 'http://\*\*\*@127\.0\.0\.1:9/o k/'; pass the URL of the folder"),
    ("a space in the login", dict(mirrors=["http://me:p w@127.0.0.1:9/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'http://\*\*\*@127\.0\.0\.1:9/'; pass e\.g\."),
    # a blank around a pasted URL: refused as no URL at all, with no word of the blank
    ("a blank after", dict(mirrors=["http://127.0.0.1:9/fm/ "]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'http://127\.0\.0\.1:9/fm/ '; drop the blank: 'http://127\.0\.0\.1:9/fm/'$"),
    ("blanks around", dict(mirrors=["\thttp://127.0.0.1:9/ \n"]), r"got '\\thttp://127\.0\.0\.1:9/ \\n'; drop the blanks: 'http://127\.0\.0\.1:9/'$"),
    # refused with an example of another URL, where the scheme alone was missing
    ("no scheme", dict(mirrors=["127.0.0.1:18370/ok/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got '127\.0\.0\.1:18370/ok/'; add http:// before it: 'http://127\.0\.0\.1:18370/ok/'$"),
    ("no scheme, a host name", dict(mirrors=["example.org/fm/"]), r"got 'example\.org/fm/'; add http:// before it: 'http://example\.org/fm/'$"),
    ("no scheme, a blank after", dict(mirrors=["127.0.0.1:9/ok/ "]), r"got '127\.0\.0\.1:9/ok/ '; drop the blank and add http:// before it: 'http://127\.0\.0\.1:9/ok/'$"),
    ("a scheme mistyped", dict(mirrors=["http:/127.0.0.1:9/ok/"]), r"got 'http:/127\.0\.0\.1:9/ok/'; pass e\.g\. 'https://"),
    # the scheme's colon missing: told http://https//..., where the colon alone was missing
    ("no colon after https", dict(mirrors=["https//example.org/fm/"]), r"got 'https//example\.org/fm/'; add the colon after https: 'https://example\.org/fm/'$"),
    ("no colon after http", dict(mirrors=["http//127.0.0.1:18375/ok/"]), r"got 'http//127\.0\.0\.1:18375/ok/'; add the colon after http: 'http://127\.0\.0\.1:18375/ok/'$"),
    # a file's name is no host: told http://train-images-idx3-ubyte.gz, where no mirror was typed
    ("a file's name", dict(mirrors=["train-images-idx3-ubyte.gz"]), r"got 'train-images-idx3-ubyte\.gz'; pass e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'$"),
    ("a .gz name", dict(mirrors=["fm.gz"]), r"got 'fm\.gz'; pass e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'$"),
    ("a file's name, no .gz", dict(mirrors=["t10k-labels-idx1-ubyte/"]), r"got 't10k-labels-idx1-ubyte/'; pass e\.g\. 'https://"),
    # a file's URL, its colon or scheme missing: offered the file's URL, and a 404 on .../x.gz/x.gz
    ("no colon, a file's URL", dict(mirrors=["http//127.0.0.1:18379/train-images-idx3-ubyte.gz"]), r"got 'http//127\.0\.0\.1:18379/train-images-idx3-ubyte\.gz'; add the colon after http and pass the file's folder \(a mirror is the folder that holds the four files\): 'http://127\.0\.0\.1:18379/'$"),
    ("no scheme, a file's URL", dict(mirrors=["127.0.0.1:9/fm/t10k-labels-idx1-ubyte"]), r"got '127\.0\.0\.1:9/fm/t10k-labels-idx1-ubyte'; add http:// before it and pass the file's folder \(a mirror is the folder that holds the four files\): 'http://127\.0\.0\.1:9/fm/'$"),
    # another word's colon missing: offered 'http://ftp//127.0.0.1:18379/'
    ("no colon after ftp", dict(mirrors=["ftp//127.0.0.1:18379/"]), r"got 'ftp//127\.0\.0\.1:18379/'; pass e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'$"),
    # a file's URL was taken, and each file's name appended to it: HTTP 404 from every mirror
    ("a file's URL", dict(mirrors=["http://127.0.0.1:9/train-images-idx3-ubyte.gz"]), r"^mirrors must be the URLs of folders, each file's name appended to them, got 'http://127\.0\.0\.1:9/train-images-idx3-ubyte\.gz', a file's URL; a mirror is the folder that holds the four files \(\*-ubyte\.gz\): pass its folder, 'http://127\.0\.0\.1:9/'$"),
    ("a dataset file's URL in capitals", dict(mirrors=["https://example.org/fm/T10K-LABELS-IDX1-UBYTE.GZ"]), r"got 'https://example\.org/fm/T10K-LABELS-IDX1-UBYTE\.GZ', a file's URL; .*: pass its folder, 'https://example\.org/fm/'$"),
    ("timeout", dict(timeout=0), r"timeout must be a finite number > 0, got 0"),
    # a login was taken for part of the host name ("Name or service not known"), password echoed
    ("a login", dict(mirrors=["http://u:secret@127.0.0.1:9/fm/"]), r"^mirrors must be URLs without a user name or password \(they are not used to log in, and would be printed in messages\), got 'http://\*\*\*@127\.0\.0\.1:9/fm/'; pass the URL of the folder that holds the files, e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'; for a mirror that needs a login, download the four files \(\*-ubyte\.gz\) yourself into a folder and pass root=DIR \(or set LINEARNETS_DATA\)$"),
    # a user name alone is often a token (https://TOKEN@host/): it was printed by the very message
    # that says it would be
    ("a user alone", dict(mirrors=["http://tok3n@127.0.0.1:9/"]), r"^mirrors must be URLs without a user name or password .*, got 'http://\*\*\*@127\.0\.0\.1:9/';"),
    ("a password holding @", dict(mirrors=["http://u:p@ss@127.0.0.1:9/"]), r"got 'http://\*\*\*@127\.0\.0\.1:9/';"),
    # typed unencoded, a password holding #, / or ? made the URL malformed: it was printed whole
    ("a password holding #", dict(mirrors=["http://user:se#cret@127.0.0.1/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'http://\*\*\*@127\.0\.0\.1/';"),
    ("a password holding /", dict(mirrors=["http://user:se/cret@127.0.0.1/"]), r"got 'http://\*\*\*@127\.0\.0\.1/';"),
    ("a password holding ?", dict(mirrors=["http://user:se?cret@127.0.0.1/"]), r"got 'http://\*\*\*@127\.0\.0\.1/';"),
    ("a login without a scheme", dict(mirrors=["user:secret@127.0.0.1/"]), r"got '\*\*\*@127\.0\.0\.1/';"),
    ("an @ in the path is no login", dict(mirrors=["http://127.0.0.1:99999/a@b/"]), r"got 'http://127\.0\.0\.1:99999/a@b/';"),
    # the file name went after the query: GET /fm/?token=abc/train-images-idx3-ubyte.gz
    ("a query", dict(mirrors=["http://127.0.0.1:9/fm/?token=abc"]), r"^mirrors must be base URLs without a \?query or #fragment \(each file's name is appended to the URL\), got 'http://127\.0\.0\.1:9/fm/\?token=abc'; pass the URL of the folder that holds the files"),
    ("an empty query", dict(mirrors=["http://127.0.0.1:9/fm/?"]), r"^mirrors must be base URLs without a \?query or #fragment .*, got 'http://127\.0\.0\.1:9/fm/\?';"),
    ("a fragment", dict(mirrors=["http://127.0.0.1:9/fm/#top"]), r"^mirrors must be base URLs without a \?query or #fragment .*, got 'http://127\.0\.0\.1:9/fm/#top';"),
    # accepted, then every file failed with "'ascii' codec can't encode character" and the advice
    # of a machine without a network
    ("a path not in ASCII", dict(mirrors=["http://127.0.0.1:9/fm/é/"]), r"^mirrors must be ASCII URLs, as HTTP sends them, got 'http://127\.0\.0\.1:9/fm/é/'; pass it percent-encoded: 'http://127\.0\.0\.1:9/fm/%C3%A9/'$"),
    ("a host not in ASCII", dict(mirrors=["https://bücher.example/fm/"]), r"percent-encoded: 'https://xn--bcher-kva\.example/fm/'$"),
    ("IPv6 not in ASCII", dict(mirrors=["http://[::1]:8080/ä/"]), r"percent-encoded: 'http://\[::1\]:8080/%C3%A4/'$"),
    # the escapes already there are kept, not escaped again (%25C3%25A9)
    ("a path half percent-encoded", dict(mirrors=["http://127.0.0.1:9/caf%C3%A9/ü/"]), r"percent-encoded: 'http://127\.0\.0\.1:9/caf%C3%A9/%C3%BC/'$"),
    # a host IDNA cannot encode (a label starting with its own prefix) is percent-encoded: ASCII all the same
    ("a host IDNA refuses", dict(mirrors=["http://xn--ä.example/fm/"]), r"percent-encoded: 'http://xn--%C3%A4\.example/fm/'$"),
    # masked up to the last @ (the host's), not the first, which is the password's own
    ("a password holding @ without a scheme", dict(mirrors=["me:p@ss@127.0.0.1/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got '\*\*\*@127\.0\.0\.1/'; pass e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'$"),
    # a folder on this machine (a file:// URL, or a path that exists): read it there, not a URL example;
    # a file:// URL or a path to nothing there is told it does not exist (no root= to pass)
    ("a file:// URL to nothing", dict(mirrors=["file:///srv/no%20such%20fashion%20mnist/"]), r"^mirrors must be http:// or https:// URLs with a host \(and a valid port\), got 'file:///srv/no%20such%20fashion%20mnist/'; '/srv/no such fashion mnist/' does not exist on this machine, and a mirror is the http\(s\) URL of a folder that holds the four files \(\*-ubyte\.gz\), e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'; to read the files from this machine, copy them into a folder and pass root=DIR$"),
    ("a path to nothing", dict(mirrors=["./no such folder/"]), r"^mirrors must be http:// .*, got '\./no such folder/'; '\./no such folder/' does not exist on this machine, and a mirror is the http\(s\) URL"),
    ("a file:// URL to a folder", dict(mirrors=["file:///"]), r"^mirrors must be http:// .*, got 'file:///'; a folder on this machine is no mirror: where it holds the four files \(\*-ubyte\.gz, or FashionMNIST/raw/ with them\), pass root='/' to read them there \(nothing to download\), or copy them into a folder and pass root=DIR; a mirror is the http\(s\) URL of such a folder, e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'$"),
    ("a folder that exists", dict(mirrors=["."]), r"^mirrors must be http:// .*, got '\.'; a folder on this machine is no mirror: .* pass root='\.' to read them there"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "pattern"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments(kwargs: dict[str, Any], pattern: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=pattern):
        download_fashion_mnist(tmp_path, **kwargs)


def test_a_files_url_is_refused_before_any_request_and_its_folder_offered_downloads(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """A file's URL (http://host/good/train-images-idx3-ubyte.gz) was taken as a mirror, each
    file's name appended to it: a 404 on .../train-images-idx3-ubyte.gz/train-images-idx3-ubyte.gz
    (h379). It is refused before any request, and the folder offered serves."""
    url = f"{server.mirror('good')}{FIRST}.gz"
    with pytest.raises(UsageError) as info:
        _get(tmp_path / "d", tiny, [url])
    assert str(info.value).endswith(f"pass its folder, {server.mirror('good')!r}")
    assert server.requests == []
    assert not (tmp_path / "d").exists()
    offered = str(info.value).rsplit(", ", 1)[1].strip("'")
    assert _get(tmp_path / "d", tiny, [offered]) == tmp_path / "d" / "FashionMNIST" / "raw"


def test_a_mirrors_folder_named_like_a_gz_file_downloads(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """A mirror whose folder's own name ends in .gz, typed without its last slash
    (http://host/fm.gz: the files fetched as .../fm.gz/train-images-idx3-ubyte.gz), was refused as
    a file's URL, offering its parent, which holds none (h383): only the dataset's own file names
    are a file's URL."""
    mirror = server.mirror("fm.gz").rstrip("/")
    assert mirror.endswith("/fm.gz")
    assert _get(tmp_path / "d", tiny, [mirror]) == tmp_path / "d" / "FashionMNIST" / "raw"
    assert all(request.startswith("/fm.gz/") for request in server.requests)


def test_a_mirror_with_a_password_is_refused_with_it_masked_before_any_folder_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was accepted, then failed as "Name or service not known" with the password on stderr."""
    argv = ["data", "download", "--data-dir", str(tmp_path / "d"), "--mirror"]
    assert main([*argv, "https://ossci-datasets.s3.amazonaws.com/fashion-mnist/", "http://me:s3cret@127.0.0.1:9/"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith(
        "linearnets data download: error: --mirror must be URLs without a user name or password "
        "(they are not used to log in, and would be printed in messages), got "
        "'http://***@127.0.0.1:9/'; pass the URL of the folder"
    )
    assert "s3cret" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "d").exists()


_LIST = "pass e.g. mirrors=['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', 'https://ossci-datasets.s3.amazonaws.com/fashion-mnist/']"  # fmt: skip
_NO_URL = "mirrors must be http:// or https:// URLs with a host (and a valid port), got"
_EXAMPLE = "pass e.g. 'https://ossci-datasets.s3.amazonaws.com/fashion-mnist/'"


@pytest.mark.parametrize(
    ("mirrors", "message"),
    [
        (b"http://me:s3cret@h/fm/", f"mirrors must be a non-empty list of base URLs, got b'http://***@h/fm/'; {_LIST}"),
        ([b"http://me:s3cret@h/fm/"], f"{_NO_URL} b'http://***@h/fm/'; pass it as a str: 'http://***@h/fm/'"),
        ([["http://me:s3cret@h/fm/"]], f"{_NO_URL} ['http://***@h/fm/']; {_EXAMPLE}"),
        ([("ok", "me:s3cret@h/fm/")], f"{_NO_URL} ('ok', '***@h/fm/'); {_EXAMPLE}"),
        ([[b"https://tok3n@h/"]], f"{_NO_URL} [b'https://***@h/']; {_EXAMPLE}"),
        ({"http://me:s3cret@h/": 1}.keys(), "mirrors must be URLs without a user name or password (they are not used to log in, and would be printed in messages), got 'http://***@h/'; pass the URL of the folder that holds the files, e.g. 'https://ossci-datasets.s3.amazonaws.com/fashion-mnist/'; for a mirror that needs a login, download the four files (*-ubyte.gz) yourself into a folder and pass root=DIR (or set LINEARNETS_DATA)"),
    ],
    ids=["bytes, not a list", "bytes in a list", "a list in the list", "no scheme, in a tuple", "a token in bytes in a list", "dict keys"],
)  # fmt: skip
def test_a_login_is_masked_in_bytes_and_in_what_holds_it(
    tmp_path: Path, mirrors: Any, message: str
) -> None:
    """Only a str was masked: b'http://me:s3cret@h/fm/', or a URL in a list in the list, was
    printed with its password."""
    with pytest.raises(UsageError) as info:
        download_fashion_mnist(tmp_path / "d", mirrors=mirrors)
    assert str(info.value) == message
    assert "s3cret" not in str(info.value) and "tok3n" not in str(info.value)
    assert not (tmp_path / "d").exists()


def test_a_password_in_a_failure_is_masked(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    """urllib refuses a redirect to gopher:// quoting the target, login and all."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror("login-redirect")])
    message = str(info.value)
    assert (
        f"{server.mirror('login-redirect')}{FIRST}.gz: HTTP 302 Found - Redirection to url "
        "'gopher://***@127.0.0.1/x.gz' is not allowed)" in message
    )
    assert "secret" not in message


def test_root_must_not_be_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="root must be a folder to download into"):
        download_fashion_mnist(tmp_path / "f")
    with pytest.raises(
        UsageError,
        match=r"root must be a folder that can hold the download, got '.*f/sub' \(Not a "
        r"directory: .*/f is a file, not a folder\)",
    ):
        download_fashion_mnist(tmp_path / "f" / "sub")  # a file on the path


@pytest.mark.parametrize("in_the_way", ["FashionMNIST", "FashionMNIST/raw"])
def test_a_file_where_the_download_folder_goes_is_named(tmp_path: Path, in_the_way: str) -> None:
    """It said only "(File exists)" or "(Not a directory)", naming no file to move."""
    root = tmp_path / "root"
    blocker = root / in_the_way
    blocker.parent.mkdir(parents=True)
    blocker.write_text("")
    reason = "File exists" if in_the_way.endswith("raw") else "Not a directory"
    with pytest.raises(UsageError) as info:
        download_fashion_mnist(root, mirrors=["http://127.0.0.1:9/"])
    assert str(info.value) == (
        f"root must be a folder that can hold the download, got {str(root)!r} ({reason}: "
        f"{blocker} is a file, not a folder); pass a folder you can write to"
    )
    assert blocker.is_file() and sorted(p.name for p in root.rglob("*")) == sorted(
        Path(in_the_way).parts
    )  # nothing made, nothing removed


def test_a_bad_mirror_is_refused_before_any_folder_is_made(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"mirrors must be http"):
        download_fashion_mnist(tmp_path / "root", mirrors=["http://"])
    assert not (tmp_path / "root").exists()


@pytest.mark.parametrize("value", ["False", 0, None])
def test_a_progress_that_is_no_bool_is_refused_before_anything_is_fetched(
    server: Server, tiny: Tiny, tmp_path: Path, value: object
) -> None:
    """progress="False" was taken as truthy: the bars were shown."""
    with pytest.raises(UsageTypeError) as info:
        download_fashion_mnist(
            tmp_path / "root", mirrors=[server.mirror("good")], checksums=tiny.files, progress=value
        )
    assert str(info.value) == (
        f"progress must be True or False, got {value!r}; pass progress=True or progress=False"
    )
    assert not (tmp_path / "root").exists() and server.requests == []


FIRST = "train-images-idx3-ubyte"
THIRD = "t10k-images-idx3-ubyte"  # the first test file: fetched after both training files


@pytest.mark.parametrize("kind", ["endless", "huge"])
def test_a_mirror_sending_too_much_is_given_up(
    server: Server, tiny: Tiny, tmp_path: Path, kind: str
) -> None:
    folder = _get(tmp_path / "a", tiny, [server.mirror(kind), server.mirror("good")])
    assert _all_files(tmp_path / "a") == sorted(folder / f"{n}.gz" for n in tiny.files)
    assert server.requests[:2] == [f"/{kind}/{FIRST}.gz", f"/good/{FIRST}.gz"]
    size = tiny.files[FIRST][0]
    bound = size + size // 100 + 65536  # a gzip of the file is never meaningfully bigger
    reason = {
        "endless": f"sent more than {bound} bytes for a file of {size} bytes",
        "huge": f"announced 1000000000000 bytes, more than {bound} for a file of {size} bytes",
    }[kind]
    with pytest.raises(
        DatasetError, match=rf"{server.mirror(kind)}{FIRST}.gz: {reason} \(too big\)"
    ):
        _get(tmp_path / "b", tiny, [server.mirror(kind)])
    assert not (tmp_path / "b").exists()


def test_a_plain_file_served_under_the_gz_name_is_saved_gzipped(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """Within the bound, and saved as a real gzip: gzip tools (and Keras, mnist_reader) read it."""
    folder = _get(tmp_path, tiny, [server.mirror("plain")])
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)
    for name in tiny.files:
        with gzip.open(folder / f"{name}.gz") as f:  # the oracle: Python's gzip module
            assert f.read() == tiny.raw[name]
    found = find_fashion_mnist(tmp_path, checksums=tiny.files)
    for name, path in found.paths.items():
        assert read_verified(path, name, expected=tiny.files[name])[0] == tiny.raw[name]


def test_a_trickling_mirror_is_given_up(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    start = time.monotonic()
    _get(tmp_path / "a", tiny, [server.mirror("trickle"), server.mirror("good")], timeout=0.2)
    assert time.monotonic() - start < 5  # each read returns what arrived: the window ends on time
    assert server.requests[:2] == [f"/trickle/{FIRST}.gz", f"/good/{FIRST}.gz"]
    with pytest.raises(
        DatasetError, match=rf"trickle/{FIRST}.gz: slower than 1 KiB/s for 0.2 s \(stalled\)"
    ):
        _get(tmp_path / "b", tiny, [server.mirror("trickle")], timeout=0.2)
    assert not (tmp_path / "b").exists()


def test_the_minimum_speed_is_a_module_constant(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _get(tmp_path / "a", tiny, [server.mirror("drip")], timeout=0.1)  # 20 KiB/s: fast enough
    monkeypatch.setattr(transfer, "MIN_BYTES_PER_SECOND", 1 << 20)
    with pytest.raises(DatasetError, match=r"slower than 1024 KiB/s for 0.1 s \(stalled\)"):
        _get(tmp_path / "b", tiny, [server.mirror("drip")], timeout=0.1)


def _part(folder: Path, name: str, *, age: float = 120.0) -> Path:
    """Make a temporary file as a download of ``name`` does (a killed one leaves it behind),
    last written ``age`` seconds ago."""
    fd, path = tempfile.mkstemp(prefix=f".{name}.gz.", suffix=".part", dir=folder)
    os.close(fd)
    then = time.time() - age
    os.utime(path, (then, then))
    return Path(path)


def test_stale_temporary_files_are_removed(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    stale = [
        _part(raw, FIRST),
        _part(raw, "t10k-labels-idx1-ubyte"),
        raw / f".{FIRST}.gz.ab_12xyz.part",
    ]
    stale[2].write_bytes(b"partial")
    os.utime(stale[2], (time.time() - 120, time.time() - 120))
    killed_now = _part(raw, "t10k-images-idx3-ubyte", age=1.0)  # killed a second ago: unlocked
    others = [
        f".{FIRST}.gz.abc.part",  # not mkstemp's 8 characters
        f".{FIRST}.gz.ABCDEFGH.part",
        f".{FIRST}.gz.abcdefgh.part.bak",
        f"{FIRST}.gz.abcdefgh.part",
        ".other-file.gz.abcdefgh.part",  # not a file of this download
        "notes.part",
    ]
    for name in others:
        (raw / name).write_text("the user's")
    (raw / f".{FIRST}.gz.dirdirdi.part").mkdir()
    (tmp_path / "target").write_text("kept")
    (raw / f".{FIRST}.gz.linklink.part").symlink_to(tmp_path / "target")
    running = _part(raw, "train-labels-idx1-ubyte")
    with running.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another download is writing it
        _get(tmp_path / "root", tiny, [server.mirror("good")])
    assert not any(p.exists() for p in stale) and not killed_now.exists()
    assert running.exists() and (tmp_path / "target").read_text() == "kept"
    assert all((raw / name).read_text() == "the user's" for name in others)
    assert (raw / f".{FIRST}.gz.dirdirdi.part").is_dir()
    assert (raw / f".{FIRST}.gz.linklink.part").is_symlink()


@pytest.mark.parametrize("proc", [True, False], ids=["proc", "no-proc"])
@pytest.mark.parametrize(
    ("umask", "mode"),
    [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
    ids=["umask-022", "umask-002", "umask-077"],
)
def test_files_get_the_usual_permissions(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    umask: int,
    mode: int,
    proc: bool,
) -> None:
    if not proc:  # where /proc is missing, the umask is read by setting it
        monkeypatch.setattr(_fs, "PROC_STATUS", tmp_path / "no-such-file")
    saved = os.umask(umask)
    try:
        folder = download_fashion_mnist(
            tmp_path, mirrors=[server.mirror("good")], checksums=tiny.files, progress=False
        )
        assert os.umask(saved) == umask  # left as it was
    finally:
        os.umask(saved)
    assert [stat.S_IMODE(p.stat().st_mode) for p in _all_files(folder)] == [mode] * 4


LAYOUTS = [  # (folder holding some files, how many, folder holding all files or None) -> where
    ("root", 2, None, "root"),
    ("root", 1, None, "root"),
    ("raw", 2, None, "raw"),
    ("root", 2, "raw", "raw"),  # a complete layout is the one find_fashion_mnist reads
    ("raw", 2, "root", "root"),
]


@pytest.mark.parametrize(("some", "count", "complete", "where"), LAYOUTS)
def test_a_partial_layout_is_completed_where_it_is(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    some: str,
    count: int,
    complete: str | None,
    where: str,
) -> None:
    folders = {"root": tmp_path, "raw": tmp_path / "FashionMNIST" / "raw"}
    if complete is not None:
        tiny.write(folders[complete])
    names = list(tiny.files)
    folders[some].mkdir(parents=True, exist_ok=True)
    for name in names[:count]:
        (folders[some] / name).write_bytes(tiny.raw[name])  # plain files count too
    assert _get(tmp_path, tiny, [server.mirror("good")]) == folders[where]
    missing = [] if complete else names[count:]
    assert sorted(server.requests) == sorted(f"/good/{n}.gz" for n in missing)
    assert find_fashion_mnist(tmp_path, checksums=tiny.files).directory == tmp_path
    assert set(find_fashion_mnist(tmp_path, checksums=tiny.files).paths.values()) <= set(
        folders[where].iterdir()
    )


def test_cli_download_completes_the_data_dir(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    tiny.write(tmp_path)
    for name in list(tiny.files)[2:]:
        (tmp_path / f"{name}.gz").unlink()
    argv = ["data", "download", "--data-dir", str(tmp_path), "--mirror", server.mirror("good")]
    assert main(argv) == 0
    assert f"verified in {tmp_path};" in capsys.readouterr().out
    assert not (tmp_path / "FashionMNIST").exists()


@pytest.mark.parametrize("held", [0, 2, 4])
def test_a_fashionmnist_folder_is_refused_as_reading_it_is(
    server: Server, tiny: Tiny, tmp_path: Path, held: int
) -> None:
    """root='data/FashionMNIST' downloaded into data/FashionMNIST/FashionMNIST/raw, a second copy
    where data/FashionMNIST/raw held the files, which reading from data/FashionMNIST refuses
    telling to pass data: the download is refused with the same fix, nothing downloaded."""
    data = tmp_path / "data"
    raw = data / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in list(tiny.files)[:held]:
        (raw / f"{name}.gz").write_bytes(tiny.gz[name])
    beside = {0: "", 2: f", beside {raw}, which holds some of them", 4: f", beside {raw}, which holds them"}  # fmt: skip
    with pytest.raises(UsageError) as info:
        _get(data / "FashionMNIST", tiny, [server.mirror("good")])
    assert str(info.value) == (
        "root must be the folder above FashionMNIST/, torchvision's root, not a FashionMNIST "
        f"folder itself, got {str(data / 'FashionMNIST')!r}: the files would go into "
        f"{data / 'FashionMNIST' / 'FashionMNIST' / 'raw'}{beside[held]}; pass "
        f"root={str(data)!r}, whose FashionMNIST/raw/ they go into (and are read from)"
    )
    assert server.requests == [] and not (data / "FashionMNIST" / "FashionMNIST").exists()
    assert _get(data, tiny, [server.mirror("good")]) == raw  # the fix
    assert find_fashion_mnist(data, checksums=tiny.files).directory == data


@pytest.mark.parametrize("given", [".", ".."])
def test_a_fashionmnist_folder_given_as_dot_is_told_the_folder_above_by_its_path(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """root='.' inside data/FashionMNIST was told to pass root='.': the same folder again."""
    folder = tmp_path / "data" / "FashionMNIST"
    (folder / "sub").mkdir(parents=True)
    monkeypatch.chdir(folder if given == "." else folder / "sub")
    with pytest.raises(UsageError) as info:
        _get(Path(given), tiny, [server.mirror("good")])
    assert str(info.value).endswith(
        f"; pass root={str(tmp_path / 'data')!r}, whose FashionMNIST/raw/ they go into (and are "
        "read from)"
    )
    assert server.requests == []


def test_a_fashionmnist_folder_holding_the_files_or_their_layout_is_downloaded_into(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """Files already in data/FashionMNIST, or in its own FashionMNIST/raw, are completed there."""
    flat = tmp_path / "a" / "FashionMNIST"
    flat.mkdir(parents=True)
    first = next(iter(tiny.files))
    (flat / f"{first}.gz").write_bytes(tiny.gz[first])
    assert _get(flat, tiny, [server.mirror("good")]) == flat
    nested = tiny.write(tmp_path / "b" / "FashionMNIST" / "FashionMNIST" / "raw")
    assert _get(tmp_path / "b" / "FashionMNIST", tiny, [server.mirror("good")]) == nested
    assert len(server.requests) == len(tiny.files) - 1


def test_a_fashionmnist_raw_folder_is_downloaded_into_itself(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """data/FashionMNIST/raw, torchvision's folder of the files, got them in
    data/FashionMNIST/raw/FashionMNIST/raw; reading from it reads the files in it."""
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    argv = ["data", "download", "--data-dir", str(raw), "--mirror", server.mirror("good")]
    assert main(argv) == 0
    assert capsys.readouterr().out == (
        f"Fashion-MNIST is verified in {raw}; use it with --data-dir {shell_word(str(raw))}\n"
    )
    assert sorted(p.name for p in raw.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)
    assert find_fashion_mnist(raw, checksums=tiny.files).directory == raw


def test_cli_download_into_a_fashionmnist_folder_is_refused_in_one_line(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    monkeypatch.chdir(tmp_path)
    argv = [
        "data",
        "download",
        "--data-dir",
        "data/FashionMNIST",
        "--mirror",
        server.mirror("good"),
    ]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "linearnets data download: error: --data-dir must be the folder above FashionMNIST/, "
        "torchvision's root, not a FashionMNIST folder itself, got 'data/FashionMNIST': the files "
        "would go into data/FashionMNIST/FashionMNIST/raw; pass --data-dir data, whose "
        "FashionMNIST/raw/ they go into (and are read from)\n"
    )
    assert not (tmp_path / "data").exists() and server.requests == []


@pytest.mark.parametrize("given", ["a file", "a .gz file"])
def test_cli_download_from_a_file_is_told_to_read_its_folder(
    tiny: Tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    """``--mirror`` naming a file (/etc/passwd, or one of the four files) was called "a folder on
    this machine" and told to pass --data-dir FILE, which is then refused (a file): it is now told
    to pass the folder that holds it."""
    folder = tmp_path / "my files"
    folder.mkdir()
    for name, body in tiny.gz.items():
        (folder / f"{name}.gz").write_bytes(body)
    file = folder / ("notes.txt" if given == "a file" else f"{FIRST}.gz")
    if given == "a file":
        file.write_text("not a mirror")
    assert main(["data", "download", "--data-dir", str(tmp_path / "d"), "--mirror", str(file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"linearnets data download: error: --mirror must be http:// or https:// URLs with a host "
        f"(and a valid port), got {str(file)!r}; a file on this machine is no mirror: where its "
        f"folder {str(folder)!r} holds the four files (*-ubyte.gz, or FashionMNIST/raw/ with "
        f"them), pass --data-dir {shell_word(str(folder))} to read them there (nothing to "
        "download), or copy them into a folder and pass --data-dir DIR; a mirror is the http(s) "
        "URL of such a folder"
    ), err
    assert not (tmp_path / "d").exists()


def test_cli_download_from_a_folder_is_told_to_read_it_with_data_dir(
    tiny: Tiny, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--mirror`` naming a folder of the files was given an https URL as its example."""
    folder = tmp_path / "my files"
    folder.mkdir()
    for name, body in tiny.gz.items():
        (folder / f"{name}.gz").write_bytes(body)
    assert (
        main(["data", "download", "--data-dir", str(tmp_path / "d"), "--mirror", str(folder)]) == 2
    )
    err = capsys.readouterr().err
    assert err.startswith(
        f"linearnets data download: error: --mirror must be http:// or https:// URLs with a host "
        f"(and a valid port), got {str(folder)!r}; a folder on this machine is no mirror: where it "
        f"holds the four files (*-ubyte.gz, or FashionMNIST/raw/ with them), pass --data-dir "
        f"{shell_word(str(folder))} to read them there (nothing to download), or copy them into a "
        "folder and pass --data-dir DIR; a mirror is the http(s) URL of such a folder"
    ), err
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("made", "gone"),
    [("", "root"), ("root", "root/FashionMNIST"), ("root/FashionMNIST", "root/FashionMNIST/raw")],
)
def test_a_failed_download_removes_the_empty_folders_it_made(
    server: Server, tiny: Tiny, tmp_path: Path, made: str, gone: str
) -> None:
    (tmp_path / made).mkdir(parents=True, exist_ok=True)
    with pytest.raises(DatasetError, match="HTTP 404"):
        _get(tmp_path / "root", tiny, [server.mirror("missing")])
    assert (tmp_path / made).is_dir() and not (tmp_path / gone).exists()


def test_a_failed_download_keeps_what_it_got(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    checksums = {**tiny.files, "no-such-file": (1, "0" * 32)}  # the server has no such file
    with pytest.raises(DatasetError, match=r"could not download no-such-file\.gz"):
        download_fashion_mnist(
            tmp_path / "root", mirrors=[server.mirror("good")], checksums=checksums, progress=False
        )
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    assert _all_files(tmp_path / "root") == sorted(raw / f"{n}.gz" for n in tiny.files)


def test_a_failure_after_some_files_says_they_stay_and_another_try_fetches_the_rest(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """As a Ctrl-C's message does: the failure said nothing of the files already in place."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror("train-only")], timeout=0.3)
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    kept = [path.name for path in _all_files(raw)]
    assert len(kept) == 2 and all(name.startswith("train-") for name in kept)
    message = str(info.value)
    assert message.startswith("could not download t10k-"), message
    assert message.endswith(
        f"; the files downloaded before it stay in {shown_path(raw)}, verified: "
        f"{kept[0]}, {kept[1]}: another try fetches only the other 2"  # in the order fetched
    ), message


def test_a_fast_start_buys_no_slack_later(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    """The minimum speed holds over each window of ``timeout`` seconds, not on average."""
    start = time.monotonic()
    with pytest.raises(
        DatasetError, match=rf"burst/{FIRST}.gz: slower than 1 KiB/s for 0.2 s \(stalled\)"
    ):
        _get(tmp_path / "a", tiny, [server.mirror("burst")], timeout=0.2)
    assert time.monotonic() - start < 3  # the second window (not after all ~6 s of it)


@pytest.mark.parametrize("kind", ["limit", "limit-unannounced"])
def test_a_body_of_exactly_the_limit_is_received(
    server: Server, tiny: Tiny, tmp_path: Path, kind: str
) -> None:
    """The bound itself is allowed (zero padding after a gzip stream is, too: tapes add it)."""
    folder = _get(tmp_path / "a", tiny, [server.mirror(kind)])
    for name, (size, _) in tiny.files.items():
        assert (folder / f"{name}.gz").stat().st_size == size + size // 100 + 65536
        assert (
            read_verified(folder / f"{name}.gz", name, expected=tiny.files[name])[0]
            == tiny.raw[name]
        )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_stale_link_folder_or_fifo_named_like_a_part_is_never_opened(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    failing_after: Callable[[int, str], AbstractContextManager[None]],
) -> None:
    """Only regular files are temporary files: a link's target is not locked (nor its link removed),
    and opening a FIFO would block the download."""

    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    (tmp_path / "target").write_text("kept")
    link, folder, fifo = (raw / f".{FIRST}.gz.{k * 4}.part" for k in ("ln", "dr", "ff"))
    link.symlink_to(tmp_path / "target")
    folder.mkdir()
    os.mkfifo(fifo)
    then = time.time() - 120  # all of them old enough to be a killed download's
    for path in (tmp_path / "target", folder, fifo):
        os.utime(path, (then, then))
    os.utime(link, (then, then), follow_symlinks=False)
    with failing_after(5, "blocked opening a FIFO named like a temporary file"):
        _get(tmp_path / "root", tiny, [server.mirror("good")])
    assert link.is_symlink() and folder.is_dir() and stat.S_ISFIFO(fifo.lstat().st_mode)
    assert (tmp_path / "target").read_text() == "kept"


def test_each_failure_is_listed_in_order_in_one_message(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    mirrors = [server.mirror("missing"), server.mirror("garbage")]
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, mirrors)
    assert str(info.value).startswith(
        f"could not download {FIRST}.gz from any mirror ({mirrors[0]}{FIRST}.gz: HTTP 404 "
        f"Not Found; {mirrors[1]}{FIRST}.gz: "
    )
    # they answered (404, bad data): the network works, so "without a network" would mislead
    assert str(info.value).endswith(f"); {download.ANSWERED_FIX}")
    assert download.ANSWERED_FIX.startswith("a mirror answered, so the network works")


def test_a_connection_reset_mid_body_says_the_mirror_answered(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """The reset's bare "[Errno 104] Connection reset by peer" got the advice of a machine without
    a network, though the mirror had sent its headers and half the file (then, that of a mirror
    without the file, though another try may get it whole)."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror("reset")])
    half = len(tiny.gz[FIRST]) // 2
    assert (
        f"{server.mirror('reset')}{FIRST}.gz: the connection was reset after {half} bytes "
        "(truncated)); " in str(info.value)
    )
    assert str(info.value).endswith(f"; {download.UNFINISHED_FIX}")
    assert download.UNFINISHED_FIX.startswith("a mirror answered, so the network works")
    assert not (tmp_path / "root").exists()


# how far each failure got, and the advice it gets: a mirror that began to send the file and did
# not finish, or a server busy or failing, may serve it on another try; a mirror that answered with
# something else will not ("pass mirrors that serve Fashion-MNIST's original files")
HOW_FAR = {
    "short": (r"the transfer stopped after \d+ of \d+ bytes \(truncated\)", "unfinished"),
    "chunked-short": (r"the connection closed after 10 bytes \(truncated\)", "unfinished"),
    "reset": (r"the connection was reset after \d+ bytes \(truncated\)", "unfinished"),
    "hang": (r"sent its headers and \d+ bytes, then nothing for 0\.3 s \(stalled\)", "unfinished"),
    "trickle": (r"slower than 1 KiB/s for 0\.3 s \(stalled\)", "unfinished"),
    "status-500": (r"HTTP 500 Internal Server Error", "unfinished"),
    "status-503": (r"HTTP 503 Service Unavailable", "unfinished"),
    "status-429": (r"HTTP 429 Too Many Requests", "unfinished"),
    "status-408": (r"HTTP 408 Request Timeout", "unfinished"),
    "redirect-to-short": (r"redirected to \S+/short/\S+: the transfer stopped after", "unfinished"),
    "redirect-to-status-503": (r"redirected to \S+/status-503/\S+: HTTP 503", "unfinished"),
    # its end only the connection's close: a gzip stream cut short is a transfer cut short (it was
    # told the gzip stream is truncated, and "pass mirrors that serve Fashion-MNIST's original files")
    "close-short": (r"the connection closed after \d+ bytes, in the middle of the gzip stream \(truncated; no length was announced\)", "unfinished"),
    "redirect-to-close-short": (r"redirected to \S+/close-short/\S+: the connection closed after \d+ bytes, in the middle", "unfinished"),
    # so is the file not gzipped cut short, or no byte of it (a 200 then a close): it was told
    # "expected a gzip file or the N-byte file itself, got M bytes that are neither"
    "close-plain-short": (r"the connection closed after \d+ bytes, in the middle of the file \(truncated; no length was announced\)", "unfinished"),
    # a whole IDX file of another size (the test file for a training file) is no transfer cut
    # short, though shorter than the file expected: it was told "truncated ... try again later"
    "close-plain-other": (r"expected a gzip file or the \d+-byte file itself, got \d+ bytes that are neither\)", "answered"),
    "close-empty": (r"the connection closed after 0 bytes, before any byte of the file \(truncated; no length was announced\)", "unfinished"),
    # text is no part of the file: an answer, whatever ended it
    "close-html": (r"expected a gzip file or the \d+-byte file itself, got 49 bytes that are neither \(an HTML page", "answered"),
    "missing": (r"HTTP 404 Not Found", "answered"),
    "status-410": (r"HTTP 410 Gone", "answered"),
    "status-403": (r"HTTP 403 Forbidden", "answered"),
    "wrong": (r"expected \d+ bytes once decompressed, got \d+", "answered"),
    # the mirror's file, cut short (its length announced: the transfer was whole)
    "broken": (r"the file it sent: expected a complete gzip stream, got one cut short after \d+ decompressed bytes \(the gzip stream is truncated\)", "answered"),
    "html": (r"expected a gzip file or the \d+-byte file itself, got 49 bytes that are neither \(an HTML page", "answered"),
    "garbage": (r"answered with something that is not HTTP \('garbage'\)", "answered"),
    "huge": (r"announced 1000000000000 bytes, more than \d+ .*\(too big\)", "answered"),
    "redirect-to-missing": (r"redirected to \S+/missing/\S+: HTTP 404 Not Found", "answered"),
    # a captive portal's, not the mirror's: "the network works" misled
    "status-511": (r"HTTP 511 Network Authentication Required", "portal"),
    "redirect-to-status-511": (r"redirected to \S+/status-511/\S+: HTTP 511", "portal"),
}  # fmt: skip
_FIXES = {"unfinished": download.UNFINISHED_FIX, "answered": download.ANSWERED_FIX, "portal": download.PORTAL_FIX}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(HOW_FAR))
def test_the_fix_fits_how_far_the_mirror_got(
    server: Server, tiny: Tiny, tmp_path: Path, kind: str
) -> None:
    """Every answer got "not with the file: pass mirrors that serve Fashion-MNIST's original
    files", also a mirror stalled or cut short mid-transfer and an HTTP 500 or 503, which served
    the right file or may serve it next time."""
    reason, reached = HOW_FAR[kind]
    # /reset/ waits 0.3 s (the half it sent read by then) before its reset: at a timeout of 0.3 s
    # too the client saw a stall first, in 1 run of 3
    timeout = 2.0 if kind == "reset" else 0.3
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror(kind)], timeout=timeout)
    message = str(info.value)
    assert re.search(rf"\({re.escape(server.mirror(kind))}{FIRST}\.gz: {reason}", message), message
    assert message.endswith(f"); {_FIXES[reached]}")
    assert not (tmp_path / "root").exists()


def test_a_close_delimited_plain_file_cut_short_is_a_transfer_cut_short(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    mirror = server.mirror("close-plain-short")
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [mirror])
    assert str(info.value) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: the connection closed "
        f"after {len(tiny.raw[FIRST]) // 2} bytes, in the middle of the file (truncated; no length "
        f"was announced)); {download.UNFINISHED_FIX}"
    )


def test_a_close_delimited_whole_file_of_another_size_is_the_mirrors_answer(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """The whole t10k images (no length announced) for the training images: shorter than the
    file expected, it was told "the connection closed after N bytes, in the middle of the file
    (truncated ...)" and to try again later. Its IDX header says it is whole: another file."""
    mirror = server.mirror("close-plain-other")
    other = tiny.raw[FIRST.replace("train-", "t10k-")]
    assert len(other) < len(tiny.raw[FIRST])
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [mirror])
    assert str(info.value) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: expected a gzip file "
        f"or the {len(tiny.raw[FIRST])}-byte file itself, got {len(other)} bytes that are "
        f"neither); {download.ANSWERED_FIX}"
    )


def test_a_close_delimited_body_cut_short_is_a_transfer_cut_short(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """No length announced, half the file, then a close: told "the file it sent: expected a
    complete gzip stream, got one cut short ... (the gzip stream is truncated)" and "pass mirrors
    that serve Fashion-MNIST's original files", though the mirror's file may be whole."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror("close-short")])
    assert str(info.value) == (
        f"could not download {FIRST}.gz from any mirror ({server.mirror('close-short')}{FIRST}.gz: "
        f"the connection closed after {len(tiny.gz[FIRST]) // 2} bytes, in the middle of the gzip "
        f"stream (truncated; no length was announced)); {download.UNFINISHED_FIX}"
    )


@pytest.mark.parametrize(
    ("order", "without", "later"),
    [
        (["missing", "short"], [0], [1]),
        (["short", "missing"], [1], [0]),
        (["html", "status-503"], [0], [1]),
        (["status-503", "missing", "close", "html"], [1, 3], [0, 2]),
    ],
)
def test_mirrors_without_the_file_and_mirrors_that_may_send_it_later_are_both_named(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    order: list[str],
    without: list[int],
    later: list[int],
) -> None:
    """A mirror without the file (404, an HTML page) and one that may send it next time (cut
    short, 503, no answer) got "did not send the whole file ... try again later or pass other
    mirrors" only: nothing said the first would never serve it. Each is named with its fix, in
    the order tried."""
    mirrors = [server.mirror(kind) for kind in order]
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, mirrors)
    assert str(info.value).endswith(
        "); a mirror answered, so the network works, but none sent the file: "
        f"{and_list([mirrors[i] for i in without])} answered with something else (pass mirrors "
        "that serve Fashion-MNIST's original files instead), and "
        f"{and_list([mirrors[i] for i in later])} did not send the whole file (a transfer stalled "
        "or cut short, a server busy or failing, or no answer in time): try again later, or "
        "install the Debian package ('sudo apt-get install dataset-fashion-mnist'), or copy the "
        "four files (*-ubyte.gz) from a machine that has them into a folder and pass root=DIR (or "
        "set LINEARNETS_DATA)"
    )


@pytest.mark.parametrize(
    ("order", "fix"),
    [
        (["status-511", "status-503"], "unfinished"),
        (["missing", "status-511"], "answered"),
        (["status-511", "hangup"], "portal"),
    ],
)
def test_a_captive_portal_is_told_as_a_network_to_log_in_to(
    server: Server, tiny: Tiny, tmp_path: Path, order: list[str], fix: str
) -> None:
    """HTTP 511 got "a mirror answered, so the network works ... try again later": a portal asks
    for the network's login. A mirror that really answered still says the network works."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror(kind) for kind in order])
    assert str(info.value).endswith(f"); {_FIXES[fix]}")
    assert download.PORTAL_FIX.startswith(
        "the network asks for a login before it lets requests out (HTTP 511 Network "
        "Authentication Required, from a captive portal, as on hotel or campus Wi-Fi): open a web "
        "page in a browser, log in to the network, then try again, or install the Debian package"
    )


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("hangup", f"[Errno {errno.ECONNRESET}] {os.strerror(errno.ECONNRESET)}"),
        ("close", "Remote end closed connection without response"),
    ],
)
def test_a_mirror_that_hangs_up_before_answering_is_told_as_taking_the_connection(
    server: Server, tiny: Tiny, tmp_path: Path, kind: str, said: str
) -> None:
    """A reset before any header got the advice of a machine without a network, and a close
    "a mirror answered, so the network works": the mirror took the connection, no more."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror(kind)])
    assert str(info.value) == (
        f"could not download {FIRST}.gz from any mirror ({server.mirror(kind)}{FIRST}.gz: "
        f"{said}); {download.STALLED_FIX}"
    )
    assert download.STALLED_FIX.startswith("a mirror took the connection but sent no answer")
    assert not (tmp_path / "root").exists()


def test_a_failure_through_a_proxy_names_the_proxy(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy's own 404 was told as the mirror's, and the proxy never named."""
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", server.base)  # the local server answers the proxy request
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, ["http://fashion-mnist.invalid/fm/"])
    message = str(info.value)
    assert (
        f"(http://fashion-mnist.invalid/fm/{FIRST}.gz: HTTP 404 Not Found, through the proxy "
        f"{server.base})" in message
    )
    assert message.endswith(
        "; if the proxy is what failed, correct http_proxy / https_proxy, or name the mirror's "
        "host in no_proxy"
    )
    assert server.requests == [f"http://fashion-mnist.invalid/fm/{FIRST}.gz"]  # the proxy's request


def test_the_fix_is_the_most_telling_failures_whatever_came_last(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path
) -> None:
    """A mirror answered (404) before one that refused the connection: the network works, so the
    fix is not "without a network" although the last failure alone would say so."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror("missing"), dead])
    assert str(info.value).startswith(
        f"could not download {FIRST}.gz from any mirror ({server.mirror('missing')}{FIRST}.gz: "
        f"HTTP 404 Not Found; {dead}{FIRST}.gz: "
    )
    assert str(info.value).endswith(
        f"); {download.ANSWERED_FIX.partition(', or ')[0]}; {_refused_named(dead)}, or "
        f"{mirror_ranks.OFFLINE_WAYS}"
    )


def _refused_named(mirror: str) -> str:
    """Return what a download's failure says of ``mirror``, refused beside another failure."""
    return (
        f"the mirror {mirror} refused the connection (the host was reached, but nothing listens "
        "on that port, or a firewall refuses it): check its host and port"
    )


def test_a_refused_mirror_beside_a_busy_one_is_named_to_check_its_port(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path
) -> None:
    """Beside another mirror's 503 a refused connection (a mistyped port) got only "try again
    later or pass other mirrors", where a mistyped host name there is named."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [dead, server.mirror("status-503")])
    assert str(info.value).endswith(
        "); a mirror answered, so the network works, but did not send the whole file (a transfer "
        "stalled or cut short, or a server busy or failing): try again later or pass other "
        f"mirrors; {_refused_named(dead)}, or {mirror_ranks.OFFLINE_WAYS}"
    ), str(info.value)


def test_mirrors_that_all_refused_the_connection_are_told_as_nothing_listening(
    dead: str, tiny: Tiny, tmp_path: Path
) -> None:
    """A bare "[Errno 111] Connection refused" got "without a network, ...": a refused connection comes
    from a host reached, on whose port nothing listens (a mistyped port, a server not started)."""
    refused = f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [dead, dead.replace("127.0.0.1", "localhost")])
    other = dead.replace("127.0.0.1", "localhost")
    assert str(info.value) == (
        f"could not download {FIRST}.gz from any mirror ({dead}{FIRST}.gz: {refused}; "
        f"{other}{FIRST}.gz: {refused}); every mirror's host refused the connection (the host "
        "was reached, but nothing listens on that port, or a firewall refuses it): check each "
        "mirror's host and port, or install the Debian package ('sudo apt-get install "
        "dataset-fashion-mnist'), or copy the four files (*-ubyte.gz) from a machine that has "
        "them into a folder and pass root=DIR (or set LINEARNETS_DATA)"
    )
    assert str(info.value).partition(f"{refused}); ")[2] == download.REFUSED_FIX


def test_a_refused_connection_beside_no_network_keeps_the_no_network_advice(
    dead: str, unresolvable: str, tiny: Tiny, tmp_path: Path
) -> None:
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [dead, unresolvable])
    assert str(info.value).endswith(f"); {_refused_named(dead)}; {download.NO_NETWORK_FIX}")
    assert download.NO_NETWORK_FIX.startswith("without a network, ")


def test_a_proxy_that_refuses_the_connection_is_named_not_the_mirror(
    dead: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", dead.rstrip("/"))
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, ["http://fashion-mnist.invalid/fm/"])
    assert str(info.value).endswith(
        f", through the proxy {dead.rstrip('/')}); the proxy {dead.rstrip('/')} refused the "
        "connection (nothing listens on that port): correct http_proxy / https_proxy, or name the "
        "mirror's host in no_proxy, or install the Debian package ('sudo apt-get install "
        "dataset-fashion-mnist'), or copy the four files (*-ubyte.gz) from a machine that has "
        "them into a folder and pass root=DIR (or set LINEARNETS_DATA)"
    )


def test_the_proxy_advice_stays_when_a_later_mirror_went_direct(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first mirror failed through the proxy, the second (named in no_proxy) directly: the
    proxy may be what failed, whatever the last mirror did."""
    for name in ("NO_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", server.base)  # the local server answers the proxy request
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # dead's host: reached directly
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, ["http://fashion-mnist.invalid/fm/", dead])
    message = str(info.value)
    assert f"HTTP 404 Not Found, through the proxy {server.base}; {dead}{FIRST}.gz: " in message
    assert message.endswith(
        "; if the proxy is what failed, correct http_proxy / https_proxy, or name the mirror's "
        "host in no_proxy"
    )


def test_a_mirror_that_does_not_speak_http_is_given_up(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """http.client's BadStatusLine is an HTTPException, not an OSError: still the next mirror."""
    folder = _get(tmp_path, tiny, [server.mirror("garbage"), server.mirror("good")])
    assert server.requests[:2] == [f"/garbage/{FIRST}.gz", f"/good/{FIRST}.gz"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)


def test_a_url_that_http_client_refuses_is_a_failure_not_a_crash(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """A space in the file name makes http.client raise InvalidURL, an HTTPException."""
    checksums = {"a file": (1, "0" * 32)}
    with pytest.raises(DatasetError, match=r"could not download a file\.gz from any mirror"):
        download_fashion_mnist(
            tmp_path, mirrors=[server.mirror("good")], checksums=checksums, progress=False
        )


@pytest.mark.parametrize(
    "mirror", ["http://a\x01b/", "http://a\x1fb/"], ids=["control-1", "control-31"]
)
def test_control_characters_in_a_mirror_are_refused(mirror: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"mirrors must be http:// or https:// URLs with a host"):
        download_fashion_mnist(tmp_path, mirrors=[mirror])


def test_a_root_under_home_is_expanded(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # were "~" taken literally, the folder "~" lands here
    folder = _get(Path("~/data"), tiny, [server.mirror("good")])
    assert folder == tmp_path / "home" / "data" / "FashionMNIST" / "raw"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)


def test_a_corrupt_plain_file_next_to_a_valid_gz_is_removed(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """find_fashion_mnist reads the plain file first, so it is the one checked (and removed); the
    valid .gz beside it is kept, not downloaded again (it was)."""
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    (raw / FIRST).write_bytes(b"corrupt")
    _get(tmp_path, tiny, [server.mirror("good")])
    assert server.requests == [] and not (raw / FIRST).exists()
    assert (
        read_verified(raw / f"{FIRST}.gz", FIRST, expected=tiny.files[FIRST])[0] == tiny.raw[FIRST]
    )


def test_a_folder_named_like_a_file_is_no_file(server: Server, tiny: Tiny, tmp_path: Path) -> None:
    (tmp_path / FIRST).mkdir()  # e.g. an archive unpacked into a folder of that name
    folder = _get(tmp_path, tiny, [server.mirror("good")])
    assert folder == tmp_path / "FashionMNIST" / "raw" and (tmp_path / FIRST).is_dir()
    assert sorted(server.requests) == sorted(f"/good/{n}.gz" for n in tiny.files)


def test_a_present_file_that_cannot_be_read_is_downloaded_again(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    real = download_destination.read_verified

    def unreadable(path: Path, name: str, **kwargs: Any) -> Any:
        if name == FIRST:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, name, **kwargs)

    monkeypatch.setattr(download_destination, "read_verified", unreadable)
    assert _get(tmp_path, tiny, [server.mirror("good")]) == raw
    assert server.requests == [f"/good/{FIRST}.gz"]


def test_a_folder_that_cannot_be_written_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
    with pytest.raises(
        UsageError,
        match=r"root must be a folder that can hold the download, got .* \(not writable, and "
        r".*FashionMNIST/raw lacks train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz, "
        r"t10k-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz\); pass a folder you can write to$",
    ):
        download_fashion_mnist(tmp_path / "root", mirrors=["http://127.0.0.1:9/"])


def test_a_folder_that_cannot_be_written_names_the_file_it_rejected(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said only "(not writable)", though the folder held the files and one was damaged."""
    folder = tiny.write(tmp_path / "root")
    damaged = folder / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:10])
    monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
    with pytest.raises(UsageError) as info:
        _get(folder, tiny, ["http://127.0.0.1:9/"])
    message = str(info.value)
    assert "(not writable, and rejected " in message and str(damaged) in message
    assert "lacks" not in message  # the other three are there, valid


def test_folders_made_before_a_failing_mkdir_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mkdir = Path.mkdir

    def fail_at_raw(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.name == "raw":
            real_mkdir(self.parent, parents=True, exist_ok=True)
            raise OSError(28, "No space left on device", str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", fail_at_raw)
    with pytest.raises(UsageError, match=r"got '.*root' \(No space left on device\)"):
        download_fashion_mnist(tmp_path / "root", mirrors=["http://127.0.0.1:9/"])
    assert list(tmp_path.iterdir()) == []


def test_each_rename_is_made_durable(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder is synced after each file lands, so a crash cannot lose a verified file."""
    synced: list[list[str]] = []

    def fsync_dir(folder: Path) -> None:
        synced.append(sorted(p.name for p in folder.iterdir()))

    monkeypatch.setattr(mirror_order, "fsync_dir", fsync_dir)
    _get(tmp_path, tiny, [server.mirror("good")])
    names = [f"{n}.gz" for n in tiny.files]
    assert synced == [sorted(names[: i + 1]) for i in range(len(names))]


def test_a_redirect_to_a_malformed_url_is_given_up(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """urllib raises a bare ValueError there: the next mirror is tried all the same."""
    folder = _get(tmp_path / "a", tiny, [server.mirror("bad-redirect"), server.mirror("good")])
    assert server.requests[:2] == [f"/bad-redirect/{FIRST}.gz", f"/good/{FIRST}.gz"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)
    with pytest.raises(DatasetError, match=rf"bad-redirect/{FIRST}\.gz: Invalid IPv6 URL\)"):
        _get(tmp_path / "b", tiny, [server.mirror("bad-redirect")])
    assert not (tmp_path / "b").exists()


def test_a_mirror_silent_after_part_of_the_body_stalled(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """It answered (headers and bytes came): not "no answer", but stalled after what it sent."""
    half = len(tiny.gz[FIRST]) // 2
    with pytest.raises(
        DatasetError,
        match=rf"hang/{FIRST}\.gz: sent its headers and {half} bytes, then nothing for 0\.3 s "
        r"\(stalled\)\)",
    ):
        _get(tmp_path / "a", tiny, [server.mirror("hang")], timeout=0.3)
    assert not (tmp_path / "a").exists()


def test_a_read_only_folder_holding_every_valid_file_is_not_written(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """torchvision's FashionMNIST(download=True) skips the download when the files are there, so
    nothing needs writing: a read-only folder (here: os.access says so) is fine."""
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
    assert _get(tmp_path, tiny, [server.mirror("good")]) == raw
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    assert main(["data", "download", "--data-dir", str(tmp_path), "--mirror", server.mirror("good")]) == 0  # fmt: skip
    assert f"verified in {raw}" in capsys.readouterr().out
    assert server.requests == []
    (raw / f"{FIRST}.gz").unlink()  # now something must be written: refused as before
    with pytest.raises(UsageError, match=rf"got .* \(not writable, and .*raw lacks {FIRST}\.gz\)"):
        _get(tmp_path, tiny, [server.mirror("good")])


def test_a_folder_in_the_way_stops_at_once_naming_it(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """No mirror can fix a local problem: one message, no mirror tried, nothing blamed on them."""
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    (raw / f"{FIRST}.gz").unlink()
    (raw / f"{FIRST}.gz" / "sub").mkdir(parents=True)
    with pytest.raises(DatasetError) as info:
        _get(tmp_path, tiny, [server.mirror("good"), server.mirror("good2")])
    assert str(info.value) == (
        f"cannot save the download as {raw / FIRST}.gz (Is a directory: a folder is in the way); "
        f"move {raw / FIRST}.gz away, or pass root=DIR to download elsewhere"
    )
    assert server.requests == [] and (raw / f"{FIRST}.gz" / "sub").is_dir()


def test_a_full_disk_stops_at_once_naming_the_file(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fetch.os, "fsync", full)
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [server.mirror("good"), server.mirror("good2")])
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    assert str(info.value) == (
        f"cannot save the download as {raw / FIRST}.gz (No space left on device); free some space "
        f"on the disk that holds {raw} and try again (the same call), or pass root=DIR to "
        "download elsewhere"
    )
    assert server.requests == [f"/good/{FIRST}.gz"]  # the second mirror is not blamed too
    assert not (tmp_path / "root").exists()  # no temporary file, no empty folder


def test_a_full_disk_after_some_files_says_they_stay_and_another_try_fetches_the_rest(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a mirror's failure at that point does: the full disk hid that train-* were verified and
    stay, and the fix to free space came with no word of running the download again."""
    from linearnets.cli._report import one_line

    fetch_url = fetch.fetch_url

    def full_at_the_third(url: str, f: Any, **kwargs: Any) -> Any:
        if url.endswith(f"/{THIRD}.gz"):
            raise transfer.DiskError(OSError(errno.ENOSPC, "No space left on device"))
        return fetch_url(url, f, **kwargs)

    monkeypatch.setattr(fetch, "fetch_url", full_at_the_third)
    with pytest.raises(fetch.LocalFileError) as info:
        _get(tmp_path / "root", tiny, [server.mirror("good"), server.mirror("good2")])
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    kept = sorted(n for n in tiny.files if n.startswith("train-"))
    assert [path.name for path in _all_files(raw)] == [f"{n}.gz" for n in kept]
    said = (
        f"cannot save the download as {raw / THIRD}.gz (No space left on device); the files "
        f"downloaded before it stay in {raw}, verified: {kept[0]}.gz, {kept[1]}.gz: another try "
        f"fetches only the other 2; free some space on the disk that holds {raw} and "
    )
    assert str(info.value) == (
        f"{said}try again (the same call), or pass root=DIR to download elsewhere"
    )
    assert one_line(info.value) == (
        f"{said}run the same command again, or pass --data-dir DIR to download elsewhere"
    )


@pytest.mark.parametrize("in_root", ["train", "t10k"])
def test_valid_files_in_the_other_layout_are_refused_before_any_download(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    in_root: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The two files missing beside the others, but valid in the other layout, were downloaded
    again (a second copy left in raw/, nothing said), and offline the failure did not say they were
    there; ``linearnets data`` told to move them. Nothing is moved for the user: refused, with
    its advice, and nothing fetched."""
    root, raw = tmp_path / "d", tmp_path / "d" / "FashionMNIST" / "raw"
    for name in tiny.files:
        folder = root if name.startswith(in_root) else raw
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.gz").write_bytes(tiny.gz[name])
    before = _all_files(root)
    apart = [f"{n}.gz" for n in tiny.files if not n.startswith(in_root)]
    for mirrors in ([server.mirror("good")], ["http://127.0.0.1:9/"]):  # and with none reachable
        with pytest.raises(UsageError) as info:
            _get(root, tiny, mirrors)
        assert str(info.value) == (
            f"root must hold the 4 files in one folder, itself or its FashionMNIST/raw/, got "
            f"{quoted_path(root)}, where {raw} holds valid copies of {apart[0]} and {apart[1]}, "
            f"apart from the others in {root} (nothing was downloaded: they would be fetched "
            f"again); the 4 files must sit in one folder: move {apart[0]} and {apart[1]} from "
            f"{raw}/ into {root} (or the others into {raw}/)"
        )
    assert server.requests == [] and _all_files(root) == before
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    assert (
        main(["data", "download", "--data-dir", str(root), "--mirror", server.mirror("good")]) == 2
    )
    assert server.requests == [] and _all_files(root) == before
    assert capsys.readouterr().err == (
        f"linearnets data download: error: --data-dir must hold the 4 files in one folder, itself "
        f"or its FashionMNIST/raw/, got {quoted_path(root)}, where {raw} holds valid copies of "
        f"{apart[0]} and {apart[1]}, apart from the others in {root} (nothing was downloaded: "
        f"they would be fetched again); the 4 files must sit in one folder: move {apart[0]} and "
        f"{apart[1]} from {raw}/ into {root} (or the others into {raw}/)\n"
    )


def test_a_file_in_both_layouts_is_not_among_the_files_the_fix_moves(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """train-images in both layouts, train-labels in d, t10k-* in raw/: the refusal listed t10k-*
    (missing in d, where the files go) while its fix, read from the fuller raw/, moved
    train-labels the other way. Both now name the files moved, into d; no "the others" back,
    which would replace raw/'s train-images."""
    root, raw = tmp_path / "d", tmp_path / "d" / "FashionMNIST" / "raw"
    root.mkdir()
    raw.mkdir(parents=True)
    for name in tiny.files:
        for folder in [root] * name.startswith("train-") + [raw] * (
            name != "train-labels-idx1-ubyte"
        ):
            (folder / f"{name}.gz").write_bytes(tiny.gz[name])
    before = _all_files(root)
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    apart = "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
    assert str(info.value) == (
        f"root must hold the 4 files in one folder, itself or its FashionMNIST/raw/, got "
        f"{quoted_path(root)}, where {raw} holds valid copies of {apart}, apart from the others "
        f"in {root} (nothing was downloaded: they would be fetched again); the 4 files must sit "
        f"in one folder: move {apart} from {raw}/ into {root}"
    )
    assert server.requests == [] and _all_files(root) == before


def test_a_damaged_file_with_a_valid_copy_in_the_other_layout_is_told_which_to_move(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """t10k-labels cut short in the root, a valid copy in its FashionMNIST/raw: the fix was "move
    them into my d'y", naming no file and the folder unquoted for the shell."""
    root = tiny.write(tmp_path / "my d'y")
    raw = tiny.write(root / "FashionMNIST" / "raw")
    for name in tiny.files:
        if name != "t10k-labels-idx1-ubyte":
            (raw / f"{name}.gz").unlink()
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(tiny.gz["t10k-labels-idx1-ubyte"][:-10])
    before = _all_files(root)
    fix = (
        "the 4 files must sit in one folder: move t10k-labels-idx1-ubyte.gz from "
        f"{shell_word(raw)}/ into {shell_word(root)} (replacing the damaged one)"
    )
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    assert str(info.value).endswith(
        f"where {raw} holds a valid copy of t10k-labels-idx1-ubyte.gz, apart from the others in "
        f"{root} (nothing was downloaded: it would be fetched again); {fix}"
    ), str(info.value)  # one file: "they would be" (h379)
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    argv = ["data", "download", "--data-dir", str(root), "--mirror", server.mirror("good")]
    assert main(argv) == 2
    assert capsys.readouterr().err.endswith(f"; {fix}\n")
    assert server.requests == [] and _all_files(root) == before


def _no_such_host(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    """Make ``host`` a name the resolver does not know (EAI_NONAME), with no DNS asked."""
    getaddrinfo = socket.getaddrinfo

    def resolve(name: Any, *args: Any, **kwargs: Any) -> Any:
        if name == host:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return getaddrinfo(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_a_mistyped_mirror_host_is_named_to_check_its_spelling(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was ranked as no network ("[Errno -2] Name or service not known"), with no word of the
    host's spelling; beside another mirror's 503, only the 503 was advised on."""
    _no_such_host(monkeypatch, "fashion-mnsit.example")
    typo = "http://fashion-mnsit.example/fm/"
    with pytest.raises(DatasetError) as alone:
        _get(tmp_path / "a", tiny, [typo])
    assert str(alone.value).endswith(
        "; the host name fashion-mnsit.example was not found: check the spelling of the mirror "
        f"{typo}, or, {download.NO_NETWORK_FIX}"
    ), str(alone.value)
    busy = server.mirror("status-503")
    with pytest.raises(DatasetError) as beside:
        _get(tmp_path / "b", tiny, [typo, busy])
    assert (
        "try again later or pass other mirrors; the host name fashion-mnsit.example was not "
        f"found: check the spelling of the mirror {typo}, or install the Debian package"
    ) in str(beside.value)


@pytest.mark.parametrize(
    "mirror",
    [
        "https://ossci-datasets.s3.amazonaws.com/fashion-mnist",  # no trailing slash
        "https://OSSCI-Datasets.S3.amazonaws.com/fashion-mnist/",  # another case
        "HTTP://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
    ],
)
def test_a_default_mirror_typed_otherwise_is_not_called_misspelt(
    mirror: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A default mirror's host not found (a resolver that answers so, offline) is no typo: typed
    without its trailing slash or in another case, it was told to check its spelling."""
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    getaddrinfo = socket.getaddrinfo

    def resolve(name: Any, *args: Any, **kwargs: Any) -> Any:  # however the URL spelt it
        if str(name).lower().endswith(".amazonaws.com"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return getaddrinfo(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(DatasetError) as info:
        _get(tmp_path, tiny, [mirror])
    assert str(info.value).endswith(f"; {download.NO_NETWORK_FIX}"), str(info.value)
    assert "spelling" not in str(info.value)


def test_a_host_name_not_resolved_for_want_of_a_network_is_no_typo(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EAI_AGAIN (no DNS answer) is no network: the host's spelling is not in doubt."""

    def offline(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    with pytest.raises(DatasetError) as info:
        _get(tmp_path, tiny, ["http://fashion-mnsit.example/fm/"])
    assert str(info.value).endswith(f"; {download.NO_NETWORK_FIX}")
    assert "spelling" not in str(info.value)


def test_a_rejected_local_file_is_named_when_every_mirror_fails(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    (raw / f"{FIRST}.gz").write_bytes(tiny.gz[FIRST][:-100])  # truncated
    with pytest.raises(DatasetError) as info:
        _get(tmp_path, tiny, [server.mirror("missing")])
    message = str(info.value)
    assert message.startswith(f"could not download {FIRST}.gz from any mirror (")
    assert (
        f"; it was needed because the file there was rejected: {raw / FIRST}.gz: expected a "
        "complete gzip stream, got one cut short" in message
    )
    assert message.endswith(download.ANSWERED_FIX)  # the mirror answered: 404
    # the reader's fix for the file, "get it again ...: linearnets data download --data-dir DIR",
    # is the download that just failed: the message's own fix follows the reason alone
    assert "get it again" not in message and "data download" not in message
    assert "(the gzip stream is truncated); a mirror answered" in message


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda gz: gz[:10], r"\(the gzip stream is truncated\)"),
        (
            lambda gz: b"<html>",
            r"got 6 bytes that are neither \(an HTML page, starting '<html>'\): no gzip file but "
            r"a web page saved under the file's name \(a server's error page, or a page saved "
            r"from a browser\)",
        ),
    ],
)
def test_a_rejected_file_in_a_folder_that_cannot_be_written_is_named_without_a_circular_fix(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Any, reason: str
) -> None:
    """The rejected file's reason ended with the reader's fix, "get it again ...: linearnets data
    download --data-dir DIR", the very download refused for a folder it cannot write."""
    folder = tiny.write(tmp_path / "root")
    damaged = folder / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(damage(damaged.read_bytes()))
    monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
    with pytest.raises(UsageError) as info:
        _get(folder, tiny, ["http://127.0.0.1:9/"])
    assert re.search(
        rf"\(not writable, and rejected {re.escape(str(damaged))}: .*{reason}\); pass a folder "
        "you can write to$",
        str(info.value),
    ), str(info.value)


@pytest.mark.parametrize("kind", ["broken", "loop"])
def test_a_link_to_nowhere_as_the_root_is_named(tmp_path: Path, kind: str) -> None:
    """mkdir reports a link to nowhere as "File exists", which named nothing to fix."""
    link, what = broken_link(tmp_path, "dl", kind)
    with pytest.raises(
        UsageError,
        match="^"
        + re.escape(
            f"root must be a folder that can hold the download, got '{link}' ({what}); pass a "
            "folder you can write to"
        )
        + "$",
    ):
        download_fashion_mnist(link, mirrors=["http://127.0.0.1:9/"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dl"]  # nothing made


def test_a_root_whose_tilde_cannot_be_expanded_is_refused(tmp_path: Path) -> None:
    """pathlib raised RuntimeError ("Could not determine home directory")."""
    path = "~linearnets-nobody/data"
    if os.path.expanduser(path) != path:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    with pytest.raises(
        UsageError,
        match=r"^root must be a path whose ~linearnets-nobody can be expanded, got "
        r"'~linearnets-nobody/data', but the user database knows no user 'linearnets-nobody'",
    ):
        download_fashion_mnist(path, mirrors=["http://127.0.0.1:9/"])


def test_the_folder_for_a_mirror_that_needs_a_login_is_named_in_either_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """From Python "pass --data-dir DIR" named an option: the setting is root=DIR. The command
    prints --data-dir DIR, as it did."""
    with pytest.raises(UsageError) as info:
        download_fashion_mnist(tmp_path, mirrors=["http://u:p@127.0.0.1:9/"])
    assert str(info.value).endswith("into a folder and pass root=DIR (or set LINEARNETS_DATA)")
    argv = ["data", "download", "--data-dir", str(tmp_path), "--mirror", "http://u:p@127.0.0.1:9/"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        "linearnets data download: error: --mirror must be URLs without a user name or password "
        "(they are not used to log in, and would be printed in messages), got "
        "'http://***@127.0.0.1:9/'; pass the URL of the folder that holds the files, e.g. "
        "'https://ossci-datasets.s3.amazonaws.com/fashion-mnist/'; for a mirror that needs a "
        "login, download the four files (*-ubyte.gz) yourself into a folder and pass --data-dir "
        "DIR (or set LINEARNETS_DATA)\n"
    )


def test_a_redirect_whose_body_dribbles_is_followed_at_once(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """Its body was read first, with no time limit: the download hung (the hunt's ran 150 s,
    and the next mirror was never tried)."""
    start = time.monotonic()
    folder = _get(tmp_path, tiny, [server.mirror("redirect-dribble")], timeout=1.0)
    assert time.monotonic() - start < 5  # 4 files; each dribble lasts 10 s
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)
    assert server.requests[:2] == [f"/redirect-dribble/{FIRST}.gz", f"/good/{FIRST}.gz"]


def test_a_damaged_plain_file_beside_a_valid_gz_is_removed_not_downloaded(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path
) -> None:
    """torchvision's raw/ holds X.gz and X: an extraction cut short leaves X truncated, and X is
    read first. The download asked the network for what the folder already held."""
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    for name in tiny.files:
        (raw / name).write_bytes(tiny.raw[name])  # torchvision's extracted copies
    (raw / FIRST).write_bytes(tiny.raw[FIRST][:100])  # cut short
    assert _get(tmp_path, tiny, [dead]) == raw  # no mirror needed (this one refuses all)
    assert not (raw / FIRST).exists() and server.requests == []
    found = find_fashion_mnist(tmp_path, checksums=tiny.files)
    assert found.paths[FIRST] == raw / f"{FIRST}.gz"
    for name, path in found.paths.items():
        assert read_verified(path, name, expected=tiny.files[name])[0] == tiny.raw[name]


def test_a_damaged_plain_file_beside_a_damaged_gz_is_downloaded_again(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    (raw / FIRST).write_bytes(b"cut")
    (raw / f"{FIRST}.gz").write_bytes(tiny.gz[FIRST][:-10])
    _get(tmp_path, tiny, [server.mirror("good")])
    assert server.requests == [f"/good/{FIRST}.gz"] and not (raw / FIRST).exists()


def test_a_damaged_plain_file_that_cannot_be_removed_is_left_to_the_reader(
    server: Server, dead: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only folder: the valid .gz is there all the same, and reading falls back to it."""
    raw = tiny.write(tmp_path / "FashionMNIST" / "raw")
    (raw / FIRST).write_bytes(b"cut")
    real_unlink = Path.unlink

    def read_only(self: Path, missing_ok: bool = False) -> None:
        if self.parent == raw:
            raise PermissionError(13, "Permission denied", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    assert _get(tmp_path, tiny, [dead]) == raw and (raw / FIRST).exists()


def _the_other_download_cleans_up(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[Path]:
    """Make another download's clean-up remove ``root`` (empty) just before this one makes its first
    temporary file, as when two downloads into one new folder run and the other fails."""
    real = fetch.open_locked_temp
    removed: list[Path] = []

    def open_after_the_clean_up(folder: Path, **kwargs: Any) -> Any:
        if not removed:
            for gone in (folder, *folder.parents):
                gone.rmdir()
                removed.append(gone)
                if gone == root:
                    break
        return real(folder, **kwargs)

    monkeypatch.setattr(fetch, "open_locked_temp", open_after_the_clean_up)
    return removed


def test_a_download_survives_another_ones_clean_up_of_the_new_folder(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It failed with "cannot save the download as ... (No such file or directory); check that
    disk" in 3 of the hunt's 15 races: the folder is made again instead."""
    removed = _the_other_download_cleans_up(monkeypatch, tmp_path / "root")
    folder = _get(tmp_path / "root", tiny, [server.mirror("good")])
    assert removed == [folder, folder.parent, tmp_path / "root"]
    assert _all_files(tmp_path / "root") == sorted(folder / f"{n}.gz" for n in tiny.files)


def test_folders_made_again_are_removed_when_the_download_fails(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _the_other_download_cleans_up(monkeypatch, tmp_path / "root")
    with pytest.raises(DatasetError, match="HTTP 404"):
        _get(tmp_path / "root", tiny, [server.mirror("missing")])
    assert list(tmp_path.iterdir()) == []


def test_failures_give_the_fix_in_pythons_words_and_the_commands_in_its_own(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From Python the fix said "pass --data-dir DIR", an option of the command line."""
    from linearnets.cli._report import one_line

    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "a", tiny, [server.mirror("missing")])
    assert str(info.value).endswith(
        "from a machine that has them into a folder and pass root=DIR (or set LINEARNETS_DATA)"
    )
    assert one_line(info.value).endswith(
        "from a machine that has them into a folder and pass --data-dir DIR (or set "
        "LINEARNETS_DATA)"
    )

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fetch.os, "fsync", full)
    with pytest.raises(fetch.LocalFileError) as local:
        _get(tmp_path / "b", tiny, [server.mirror("good")])
    assert str(local.value).endswith(", or pass root=DIR to download elsewhere")
    assert one_line(local.value).endswith(", or pass --data-dir DIR to download elsewhere")


def _another_datasets(tiny: Tiny, name: str) -> bytes:
    """``name``'s IDX header over other items: MNIST's files have Fashion-MNIST's names and sizes."""
    raw = tiny.raw[name]
    header = 16 if "images" in name else 8
    return raw[:header] + bytes(255 - b if "images" in name else 9 - b for b in raw[header:])


@pytest.mark.parametrize("name", ["my data", "my\ndata"])
def test_another_datasets_files_under_the_same_names_are_kept_and_named(
    server: Server, tiny: Tiny, tmp_path: Path, name: str
) -> None:
    """A folder holding MNIST (the same names, the same sizes, complete) lost it to the download,
    as if each file were damaged; those of the wrong size stay damaged downloads, replaced. The
    files and their folder are named as the shell takes them (a line break split the message)."""
    root = tiny.write(tmp_path / name)
    labels = "t10k-labels-idx1-ubyte"
    # two of MNIST's gzipped files where Fashion-MNIST's would be
    others = [root / f"{FIRST}.gz", root / f"{labels}.gz"]
    for path in others:
        path.write_bytes(gzip.compress(_another_datasets(tiny, path.name[:-3])))
    kept = {path: path.read_bytes() for path in root.iterdir()}
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    files = ", ".join(map(shown_path, others))
    have, of, they, were, them = (
        ("have the decompressed sizes", "Fashion-MNIST's files of those names but other MD5s",
         "they are", "were", "them")
        if len(others) == 2
        else ("has the decompressed size", "Fashion-MNIST's file of that name but another MD5",
              "it is", "was", "it")
    )  # fmt: skip
    assert str(info.value) == (
        "root must hold no other dataset's files under Fashion-MNIST's names, which the download "
        f"would replace, got {quoted_path(root)}, where {files} {have} of {of}: {they} another "
        f"dataset's (MNIST's files have Fashion-MNIST's names and sizes) or {were} damaged in "
        f"place; move {them} out of {shown_path(root)} (or delete {them}, if damaged), or pass "
        "root=DIR to download elsewhere"
    )
    assert "\n" not in str(info.value)
    assert {path: path.read_bytes() for path in root.iterdir()} == kept
    assert server.requests == []
    for path in others:  # as advised
        path.rename(tmp_path / path.name)
    assert _get(root, tiny, [server.mirror("good")]) == root
    for name, path in find_fashion_mnist(root, checksums=tiny.files).paths.items():
        assert read_verified(path, name, expected=tiny.files[name])[0] == tiny.raw[name]


@pytest.mark.parametrize("through", ["the package's folder", "a link to it"])
def test_a_debian_package_file_of_another_md5_is_told_to_reinstall_not_to_move_it(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, through: str
) -> None:
    """A download into the Debian package's folder (or a link to it) holding a file of another
    MD5 was told to move it out of the package's folder, or delete it (h379): the package owns
    the file, and reading it is told to reinstall the package; the download says so too."""
    from linearnets.cli._cli_words import cli_words

    package = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    (package / f"{FIRST}.gz").write_bytes(gzip.compress(_another_datasets(tiny, FIRST)))
    root = package
    if through == "a link to it":
        root = tmp_path / "lnk"
        root.symlink_to(package, target_is_directory=True)
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    assert str(info.value).endswith(
        "(MNIST's files have Fashion-MNIST's names and sizes) or was damaged in place; get it "
        "again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores the Debian "
        "package's files; without the rights to, "
        "linearnets.data.download.download_fashion_mnist('DIR') fetches all four into DIR where a "
        "network exists, then pass root=DIR (or set LINEARNETS_DATA)"
    ), str(info.value)
    assert cli_words(str(info.value)).endswith(
        "without the rights to, linearnets data download --data-dir DIR fetches all four into "
        "DIR where a network exists, then pass --data-dir DIR (or set LINEARNETS_DATA)"
    )
    assert server.requests == []


# the fix a download into the Debian package's folder gives, as reading its files does
_REINSTALL_FIX = (
    "get it again: 'sudo apt-get install --reinstall dataset-fashion-mnist' restores the Debian "
    "package's files; without the rights to, linearnets.data.download.download_fashion_mnist('DIR') "
    "fetches all four into DIR where a network exists, then pass root=DIR (or set LINEARNETS_DATA)"
)


def test_a_debian_package_file_cut_short_is_told_to_reinstall_not_replaced(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download into the Debian package's folder replaced its file cut short (as root), where
    reading it is told to reinstall the package, and one of another MD5 is refused: refused
    alike, the file left as it was."""
    package = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    path = package / f"{FIRST}.gz"
    path.write_bytes(tiny.gz[FIRST][:-10])
    before = _all_files(package)
    with pytest.raises(UsageError) as info:
        _get(package, tiny, [server.mirror("good")])
    assert str(info.value) == (
        "root must hold no damaged file of the Debian package, which the download would replace "
        f"(the package owns it), got {str(package)!r}, where a file of it is damaged: {path}: "
        "expected a complete gzip stream, got one cut short after 3934 decompressed bytes (the "
        "gzip stream is truncated); "
        f"{_REINSTALL_FIX}"
    ), str(info.value)
    assert server.requests == [] and _all_files(package) == before


@pytest.mark.parametrize("name", ["my data", "my\ndata"])
def test_another_datasets_plain_file_beside_a_valid_gz_needs_no_download(
    server: Server, tiny: Tiny, tmp_path: Path, name: str
) -> None:
    """torchvision's extracted copies beside valid .gz files, one of them MNIST's: the download
    refused, saying it would replace the file, though the .gz read instead is valid and nothing
    was to download. The folder is verified, the file kept, and the warning reading gives (the
    file is read first) is given, advising to move it, not to delete it: it may be MNIST's."""
    root = tiny.write(tmp_path / name, gz=False)
    tiny.write(root)
    other = root / FIRST
    other.write_bytes(_another_datasets(tiny, FIRST))
    kept = {path: path.read_bytes() for path in root.iterdir()}
    with pytest.warns(DataWarning) as warned:
        assert _get(root, tiny, [server.mirror("good")]) == root
    assert server.requests == []
    assert {path: path.read_bytes() for path in root.iterdir()} == kept
    advice = (
        f"{shown_path(other)} has the size of Fashion-MNIST's file but another MD5 (another "
        f"dataset's, or damaged), so {FIRST}.gz beside it, which is intact, {{}} instead; move "
        f"{shown_path(other)} out of {shown_path(root)} (or delete it, if damaged): it is read first"
    )
    assert [str(w.message) for w in warned] == [advice.format("is read")]
    with pytest.warns(DataWarning) as warned:  # reading says the same
        arrays = read_fashion_mnist(root, checksums=tiny.files)
    assert [str(w.message) for w in warned] == [advice.format("was read")]
    assert torch.equal(arrays.train_images, torch.from_numpy(tiny.arrays[FIRST]))


def test_reading_another_datasets_file_says_to_move_it_before_the_download(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """The reader called such a file corrupt and advised the download, which then refused to
    replace it: its message names the other cause and the step the download needs first."""
    root = tiny.write(tmp_path / "mine", gz=False)
    path = root / FIRST
    path.write_bytes(_another_datasets(tiny, FIRST))
    size, md5 = tiny.files[FIRST]
    with pytest.raises(DatasetError) as info:
        read_verified(path, FIRST, expected=(size, md5))
    message = str(info.value)
    assert message.startswith(f"{path}: expected MD5 {md5} for the decompressed {FIRST}, got ")
    assert message.endswith(
        "; the file is corrupt, or another dataset's (MNIST's files have Fashion-MNIST's names "
        f"and sizes) — move it out of {root} (or delete it, if damaged), then get it again where "
        f"a network exists: {files.DOWNLOAD_CALL}({str(root)!r})"
    )
    path.rename(tmp_path / FIRST)  # as advised, then the download it names
    assert _get(root, tiny, [server.mirror("good")]) == root
    found = find_fashion_mnist(root, checksums=tiny.files).paths[FIRST]
    assert read_verified(found, FIRST, expected=(size, md5))[0] == tiny.raw[FIRST]


def _installed_advice(debian: Path, dest: Path) -> str:
    return (
        f"the Debian package dataset-fashion-mnist is installed here, with the files in {debian}: "
        "they are read from there when no root=DIR is passed (and LINEARNETS_DATA is unset), or "
        f"copy the four files (*-ubyte.gz) from there into {dest}"
    )


@pytest.mark.parametrize("kind", ["unresolvable", "missing"])
def test_with_the_debian_package_installed_a_failure_points_at_its_files(
    server: Server,
    unresolvable: str,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """A plain 'linearnets data download' without a network, on a machine with the Debian package,
    said to install the Debian package ('sudo apt-get install dataset-fashion-mnist')."""
    from linearnets.cli._report import one_line

    debian = tiny.write(tmp_path / "pkg")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    mirror = unresolvable if kind == "unresolvable" else server.mirror("missing")
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [mirror])
    dest = tmp_path / "root" / "FashionMNIST" / "raw"
    head = mirror_order.NO_NETWORK_FIX if kind == "unresolvable" else mirror_order.ANSWERED_FIX
    head = head.removesuffix(mirror_ranks.OFFLINE_WAYS)
    assert str(info.value).endswith(f"; {head}{_installed_advice(debian, dest)}")
    assert "apt-get install" not in str(info.value)
    assert one_line(info.value).endswith(
        f"they are read from there when no --data-dir DIR is passed (and LINEARNETS_DATA is "
        f"unset), or copy the four files (*-ubyte.gz) from there into {dest}"
    )
    assert not (tmp_path / "root").exists()  # nothing left where nothing was fetched


def test_a_debian_package_folder_without_the_file_keeps_the_advice_to_install_it(
    unresolvable: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The package's folder there, but not the file that failed: it cannot be read from there."""
    (tmp_path / "pkg").mkdir()
    monkeypatch.setattr(files, "_debian_dir", lambda: tmp_path / "pkg")
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [unresolvable])
    assert str(info.value).endswith(f"; {mirror_order.NO_NETWORK_FIX}")


@pytest.mark.parametrize("gone", ["all four files", "the file that failed", "two others"])
def test_an_installed_package_whose_files_are_gone_is_told_to_reinstall_when_mirrors_fail(
    unresolvable: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gone: str
) -> None:
    """dpkg has the Debian package installed, its files deleted: every mirror failing, the advice
    was to "install the Debian package ('sudo apt-get install dataset-fashion-mnist')", which does
    nothing for an installed package, where reading says to reinstall it: it says so too. With the
    file that failed there but others gone, it said to read or copy "the four files" from there."""
    from linearnets.cli._report import one_line

    from .conftest import dpkg_lists

    pkg = tmp_path / "pkg"
    dpkg_lists(monkeypatch, pkg)
    what = "its files are gone: get them"
    if gone == "the file that failed":  # the other three there: their copy is no fix
        tiny.write(pkg)
        (pkg / f"{FIRST}.gz").unlink()
        what = f"its file {FIRST} is gone from {pkg}: get it"
    if gone == "two others":  # the file that failed there: no copy of the four to read
        tiny.write(pkg)
        (pkg / f"{THIRD}.gz").unlink()
        (pkg / "t10k-labels-idx1-ubyte.gz").unlink()
        what = f"its files {THIRD} and t10k-labels-idx1-ubyte are gone from {pkg}: get them"
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [unresolvable])
    head = mirror_order.NO_NETWORK_FIX.removesuffix(mirror_ranks.OFFLINE_WAYS)
    assert str(info.value).endswith(
        f"; {head}the Debian package dataset-fashion-mnist is installed here, but {what} again "
        "with 'sudo apt-get install --reinstall dataset-fashion-mnist', or copy the four files "
        "(*-ubyte.gz) from a machine that has them into a folder and pass root=DIR (or set "
        "LINEARNETS_DATA)"
    ), str(info.value)
    assert "apt-get install dataset-fashion-mnist" not in str(info.value)
    assert one_line(info.value).endswith(
        "into a folder and pass --data-dir DIR (or set LINEARNETS_DATA)"
    )


@pytest.mark.parametrize("layout", ["flat", "FashionMNIST/raw"])
def test_a_package_folder_dpkg_does_not_list_missing_files_is_no_copy_to_read_when_mirrors_fail(
    unresolvable: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """The package's folder copied into an image without dpkg's record, two of its files gone:
    with the file that failed there, the advice said the package "is installed here, with the
    files in PKG: they are read from there ..., or copy the four files from there", two of
    which are not; the ways without it are given."""
    from .conftest import _DEBIAN_DIR_LOOKUP

    pkg = tmp_path / "pkg"
    monkeypatch.setattr(files, "_dpkg_dir", lambda: None)  # no dpkg record
    monkeypatch.setattr(files, "_debian_dir", _DEBIAN_DIR_LOOKUP)  # no_debian's undone
    monkeypatch.setattr(files, "DEBIAN_DIR", pkg)  # the folder found by its path
    held = pkg if layout == "flat" else pkg / layout
    tiny.write(held)
    with pytest.raises(DatasetError) as info:  # all four there: the copy is offered (either layout)
        _get(tmp_path / "root", tiny, [unresolvable])
    assert f"installed here, with the files in {pkg}: they are read from there" in str(info.value)
    source = "there" if layout == "flat" else str(held)  # where the four files are to copy from
    assert f"or copy the four files (*-ubyte.gz) from {source} into " in str(info.value)
    (held / f"{THIRD}.gz").unlink()
    (held / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [unresolvable])
    assert str(info.value).endswith(f"; {mirror_order.NO_NETWORK_FIX}"), str(info.value)
    assert f"with the files in {pkg}" not in str(info.value)


def test_a_file_under_another_s_name_in_a_folder_that_cannot_be_written_is_named_without_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader's reason for Fashion-MNIST's test labels under the training labels' name ends
    "put each file under its own name, or get it again ...": the fix is cut with its ", or"."""
    from .conftest import NO_REAL_DATA, REAL_DIR

    if not (REAL_DIR / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip(NO_REAL_DATA)
    root = tmp_path / "root"
    root.mkdir()
    swapped = root / "train-labels-idx1-ubyte.gz"
    swapped.write_bytes((REAL_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
    with pytest.raises(UsageError) as info:
        download_fashion_mnist(root, mirrors=["http://127.0.0.1:9/"], progress=False)
    assert str(info.value) == (
        f"root must be a folder that can hold the download, got {str(root)!r} (not writable, and "
        f"{root} lacks train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        f"t10k-labels-idx1-ubyte.gz and rejected {swapped}: expected 60008 bytes of "
        "train-labels-idx1-ubyte once decompressed, got 10008, the size and MD5 of "
        "t10k-labels-idx1-ubyte: that file is here under the name of train-labels-idx1-ubyte — "
        "put each file under its own name); pass a folder you can write to"
    )


@pytest.mark.parametrize(
    ("error", "said"),
    [(PermissionError(13, "Permission denied"), "Permission denied"), (OSError(), "OSError")],
)
def test_a_file_that_cannot_be_read_is_rejected_naming_why(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, said: str
) -> None:
    folder = tiny.write(tmp_path / "root")
    unreadable = folder / "t10k-labels-idx1-ubyte.gz"

    def reading(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path == unreadable:
            raise error
        return read_verified(path, *args, **kwargs)

    monkeypatch.setattr(download_destination, "read_verified", reading)
    monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
    with pytest.raises(UsageError) as info:
        _get(folder, tiny, ["http://127.0.0.1:9/"])
    assert str(info.value) == (
        f"root must be a folder that can hold the download, got {str(folder)!r} (not writable, "
        f"and rejected {unreadable} cannot be read ({said})); pass a folder you can write to"
    )


def test_a_folder_that_cannot_be_searched_is_refused_as_one_that_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are made in a folder only with both write and search (x) permission: a folder with
    write permission alone is refused too (faked: root may do anything)."""
    asked: list[int] = []

    def access(path: Any, mode: int) -> bool:
        asked.append(mode)
        return not mode & os.X_OK

    monkeypatch.setattr(download_destination.os, "access", access)
    with pytest.raises(
        UsageError, match=r"\(not writable, and .*\); pass a folder you can write to$"
    ):
        download_fashion_mnist(tmp_path / "root", mirrors=["http://127.0.0.1:9/"], progress=False)
    assert asked == [os.W_OK | os.X_OK]


def test_another_datasets_file_in_torchvision_s_layout_is_told_to_leave_that_folder(
    server: Server, tiny: Tiny, tmp_path: Path
) -> None:
    """The folder to move it out of is the one holding it, FashionMNIST/raw/, not root."""
    root = tmp_path / "data"
    raw = tiny.write(root / "FashionMNIST" / "raw")
    other = raw / f"{FIRST}.gz"
    other.write_bytes(gzip.compress(_another_datasets(tiny, FIRST)))
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    assert str(info.value) == (
        "root must hold no other dataset's files under Fashion-MNIST's names, which the download "
        f"would replace, got {str(root)!r}, where {other} has the decompressed size of "
        "Fashion-MNIST's file of that name but another MD5: it is another dataset's (MNIST's "
        "files have Fashion-MNIST's names and sizes) or was damaged in place; move it out of "
        f"{raw} (or delete it, if damaged), or pass root=DIR to download elsewhere"
    )
    assert server.requests == []


@pytest.mark.parametrize("case", ["file", "file-on-path", "not-writable", "FashionMNIST"])
def test_a_root_named_with_a_line_break_is_named_on_one_line_as_the_shell_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """repr named root '.../a\\nb' in Python's escapes, which the shell reads as a backslash and
    an n, beside the same folder's $'.../a\\nb' (shown_path) in the same message: named as that."""
    odd, said = tmp_path / "a\nb", f"$'{tmp_path}/a\\nb"
    root = odd
    if case == "file":
        odd.write_text("")
        expected = (
            f"root must be a folder to download into, got the file {said}'; pass a folder path"
        )
    elif case == "file-on-path":
        odd.write_text("")
        root = odd / "sub"
        expected = (
            f"root must be a folder that can hold the download, got {said}/sub' (Not a "
            f"directory: {said}' is a file, not a folder); pass a folder you can write to"
        )
    elif case == "not-writable":
        monkeypatch.setattr(download_destination.os, "access", lambda path, mode: False)
        expected = (
            f"root must be a folder that can hold the download, got {said}' (not writable, and "
            f"{said}/FashionMNIST/raw' lacks train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz); "
            "pass a folder you can write to"
        )
    else:  # the fix is Python to paste, root='...', as repr writes it
        root = odd / "FashionMNIST"
        expected = (
            "root must be the folder above FashionMNIST/, torchvision's root, not a FashionMNIST "
            f"folder itself, got {said}/FashionMNIST': the files would go into "
            f"{said}/FashionMNIST/FashionMNIST/raw'; pass root={str(odd)!r}, whose "
            "FashionMNIST/raw/ they go into (and are read from)"
        )
    with pytest.raises(UsageError) as info:
        download_fashion_mnist(root, mirrors=["http://127.0.0.1:9/"], progress=False)
    assert str(info.value) == expected


def test_files_under_near_miss_names_are_refused_before_any_download(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Files named ``train-images.idx3-ubyte.gz`` or ``...-UBYTE.GZ`` were passed over and fresh
    copies fetched beside them, unsaid, where ``linearnets data`` told to rename them: refused
    before any download, with the rename reading gives."""
    root = tmp_path / "near"
    root.mkdir()
    spelled = {
        "train-images-idx3-ubyte": "train-images.idx3-ubyte.gz",
        "train-labels-idx1-ubyte": "TRAIN-LABELS-IDX1-UBYTE.GZ",
    }
    for name in tiny.files:
        (root / spelled.get(name, f"{name}.gz")).write_bytes(tiny.gz[name])
    before = _all_files(root)
    renames = (
        f"rename {root / 'train-images.idx3-ubyte.gz'} to {root / 'train-images-idx3-ubyte.gz'} "
        f"and {root / 'TRAIN-LABELS-IDX1-UBYTE.GZ'} to {root / 'train-labels-idx1-ubyte.gz'}"
    )
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    found = f"{root / 'train-images.idx3-ubyte.gz'} and {root / 'TRAIN-LABELS-IDX1-UBYTE.GZ'}"
    assert str(info.value) == (
        f"root must hold the 4 files under their own names, got {quoted_path(root)}, which holds "
        f"copies under other names: {found} (nothing was downloaded: they would be fetched again "
        f"beside them); {renames}, the names linearnets and torchvision read"
    )
    assert server.requests == [] and _all_files(root) == before
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    args = ["data", "download", "--data-dir", str(root), "--mirror", server.mirror("good")]
    assert main(args) == 2
    assert server.requests == [] and _all_files(root) == before
    err = capsys.readouterr().err
    assert err.startswith("linearnets data download: error: --data-dir must hold the 4 files under")
    assert "(nothing was downloaded" in err and "rename " in err


def test_a_download_into_data_says_the_debian_copy_is_found_first(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``data download`` (into ./data) promised the copy would be found without --data-dir, where
    the Debian package's, searched before ./data, is read instead: it says which is found first."""
    debian = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "_debian_dir", lambda: debian)
    monkeypatch.setattr(download, "FASHION_MNIST_FILES", tiny.files)
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["data", "download", "--mirror", server.mirror("good")]) == 0
    raw = Path("data") / "FashionMNIST" / "raw"
    assert capsys.readouterr().out == (
        f"Fashion-MNIST is verified in {raw}; use it with --data-dir data (without --data-dir, "
        f"the copy in {debian} (Debian package dataset-fashion-mnist) is found first)\n"
    )
    # it said "the copy of the $LINEARNETS_DATA: /path is found first"
    monkeypatch.setenv("LINEARNETS_DATA", str(debian))
    assert main(["data", "download", "--mirror", server.mirror("good")]) == 0
    assert capsys.readouterr().out.endswith(
        f"(without --data-dir, the copy in {debian} (from $LINEARNETS_DATA) is found first)\n"
    )
    monkeypatch.delenv("LINEARNETS_DATA")
    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # ./data is then the one found
    assert main(["data", "download", "--mirror", server.mirror("good")]) == 0
    assert capsys.readouterr().out == (
        f"Fashion-MNIST is verified in {raw}; use it with --data-dir data\n"
    )


def test_a_mistyped_host_beside_a_refused_mirror_keeps_its_or(
    dead: str, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside a refused mirror, the mistyped host's fix ran into "without a network, install the
    Debian package" with no joining word: "...; without a network, ..."."""
    _no_such_host(monkeypatch, "fashion-mnsit.example")
    typo = "http://fashion-mnsit.example/fm/"
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "a", tiny, [typo, dead])
    assert str(info.value).endswith(
        "; the host name fashion-mnsit.example was not found: check the spelling of the mirror "
        f"{typo}; {_refused_named(dead)}, or, {download.NO_NETWORK_FIX}"
    ), str(info.value)


def test_a_link_in_your_folder_to_a_damaged_package_file_is_replaced(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of your own holding a link to the Debian package's file, cut short, was refused
    as the package's folder ("the package owns it"), where the download replaced the link by a
    real file; it does again, and the package's file is left as it was."""
    package = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    (package / f"{FIRST}.gz").write_bytes(tiny.gz[FIRST][:-10])
    mine = tmp_path / "lk"
    mine.mkdir()
    (mine / f"{FIRST}.gz").symlink_to(package / f"{FIRST}.gz")
    _get(mine, tiny, [server.mirror("good")])
    assert not (mine / f"{FIRST}.gz").is_symlink()
    assert {p.name: p.read_bytes() for p in mine.iterdir()} == {
        f"{name}.gz": tiny.gz[name] for name in tiny.files
    }
    assert (package / f"{FIRST}.gz").read_bytes() == tiny.gz[FIRST][:-10]


@pytest.mark.parametrize("through", ["the folder", "a link to it"])
def test_a_file_missing_from_the_package_s_folder_is_told_to_reinstall_not_downloaded(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, through: str
) -> None:
    """A file removed from the Debian package's folder was downloaded into it (as root), where
    one cut short there is refused, told to reinstall the package: refused alike."""
    package = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    gone = package / "train-labels-idx1-ubyte.gz"
    gone.unlink()
    root = package
    if through == "a link to it":
        root = tmp_path / "lnk"
        root.symlink_to(package, target_is_directory=True)
    before = _all_files(package)
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    assert str(info.value) == (
        "root must hold no missing file of the Debian package, which the download would write "
        f"(the package owns it), got {str(root)!r}, where a file of it is missing: "
        f"{root / gone.name} is missing; "
        f"{_REINSTALL_FIX}"
    ), str(info.value)
    assert server.requests == [] and _all_files(package) == before


@pytest.mark.parametrize(
    "through",
    [
        "the folder",
        "a link to it",
        "its FashionMNIST/raw",
        "a link to that",
        "a folder in it",
        "its FashionMNIST",
    ],
)
@pytest.mark.parametrize("gone", ["all four files", "the test files", "the folder"])
def test_a_package_folder_without_its_files_is_told_to_reinstall_not_downloaded(
    server: Server,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    through: str,
    gone: str,
) -> None:
    """With all four files gone from the Debian package's folder (or the folder itself), the
    download went into its FashionMNIST/raw, and the search read them as the package's, where
    one file gone is refused, told to reinstall the package: refused alike, nothing written; so
    was a root inside its folder (its FashionMNIST/raw, or a link to it), whichever were gone."""
    package = tmp_path / "debian"
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    if gone != "the folder":
        package.mkdir()
    if gone == "the test files":
        tiny.write(package)
        for name in (THIRD, "t10k-labels-idx1-ubyte"):
            (package / f"{name}.gz").unlink()
    inside = {
        "its FashionMNIST/raw": "FashionMNIST/raw",
        "a folder in it": "sub",
        "its FashionMNIST": "FashionMNIST",  # was told "pass root=PKG", then to reinstall
    }
    inside["a link to that"] = inside["its FashionMNIST/raw"]
    root = package / inside.get(through, "")
    if through.startswith("a link"):
        (tmp_path / "lnk").symlink_to(root, target_is_directory=True)
        root = tmp_path / "lnk"
    before = _all_files(package)  # (the verified files are cached elsewhere)
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    folder, where = root, ""
    if through in inside:
        folder, where = package, f" (inside its folder {package})"
    missing = "; ".join(
        f"{folder / name}.gz is missing"
        for name in tiny.files
        if gone != "the test files" or name.startswith("t10k")
    )
    assert str(info.value) == (
        "root must hold no missing file of the Debian package, which the download would write "
        f"(the package owns them), got {str(root)!r}{where}, where files of it are missing: "
        f"{missing}; {_REINSTALL_FIX}"
    ), str(info.value)
    assert server.requests == [] and _all_files(package) == before
    assert package.exists() is (gone != "the folder")
    assert not (package / "FashionMNIST").exists() and not (package / "sub").exists()


@pytest.mark.parametrize("through", ["a folder in it", "its FashionMNIST/raw", "a link to that"])
def test_a_root_inside_a_complete_package_folder_is_refused_not_downloaded_into_it(
    server: Server, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, through: str
) -> None:
    """The Debian package's folder holding all four files, a root inside it (sub/, its
    FashionMNIST/raw) was downloaded into: a second copy written into the package's folder,
    where the files it needs are there already. Refused, nothing asked of the mirror or written;
    the root it names verifies the package's files."""
    package = tiny.write(tmp_path / "debian")
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    root = package / ("sub" if through == "a folder in it" else "FashionMNIST/raw")
    if through == "a link to that":
        (tmp_path / "lnk").symlink_to(root, target_is_directory=True)
        root = tmp_path / "lnk"
    before = _all_files(package)
    with pytest.raises(UsageError) as info:
        _get(root, tiny, [server.mirror("good")])
    assert str(info.value) == (
        f"root must not lie inside the Debian package's folder {package}, which holds all four "
        f"files already, got {str(root)!r}: the download would write a second copy into the "
        f"package's folder (the package owns it); pass root={str(package)!r}, whose files it "
        "verifies (training finds them by itself)"
    )
    assert server.requests == [] and _all_files(package) == before
    assert _get(package, tiny, [server.mirror("good")]) == package  # the fix: verified there
    assert server.requests == []
    # two files asked for (checksums=): "all four" was said of them
    two = dict(list(tiny.files.items())[:2])
    with pytest.raises(UsageError, match=r"which holds the 2 files asked for already, got "):
        download_fashion_mnist(root, mirrors=[server.mirror("good")], checksums=two, progress=False)


def test_a_package_file_under_another_s_name_is_told_to_reinstall_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Debian package's train labels holding its test labels were told both "put each file
    under its own name" and to reinstall the package: its files are not the user's to rename."""
    from .conftest import NO_REAL_DATA, REAL_DIR

    if not (REAL_DIR / "t10k-labels-idx1-ubyte.gz").is_file():
        pytest.skip(NO_REAL_DATA)
    package = tmp_path / "debian"
    package.mkdir()
    monkeypatch.setattr(files, "DEBIAN_DIR", package)
    for name in download.FASHION_MNIST_FILES:
        if name != "train-labels-idx1-ubyte":
            (package / f"{name}.gz").symlink_to(REAL_DIR / f"{name}.gz")
    swapped = package / "train-labels-idx1-ubyte.gz"
    swapped.write_bytes((REAL_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    with pytest.raises(UsageError) as info:
        download_fashion_mnist(package, mirrors=["http://127.0.0.1:9/"], progress=False)
    assert str(info.value) == (
        "root must hold no damaged file of the Debian package, which the download would replace "
        f"(the package owns it), got {str(package)!r}, where a file of it is damaged: {swapped}: "
        "expected 60008 bytes of train-labels-idx1-ubyte once decompressed, got 10008, the size "
        "and MD5 of t10k-labels-idx1-ubyte: that file is here under the name of "
        "train-labels-idx1-ubyte; "
        f"{_REINSTALL_FIX}"
    ), str(info.value)
