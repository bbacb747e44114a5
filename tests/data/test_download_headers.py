"""A mirror that trickles its response headers is given up once ``timeout`` has passed in all.

The socket timeout bounds each read only: one byte every 20 ms never trips a 1 s timeout, so
without a deadline for the whole status line and headers such a mirror holds a download forever.
The timeout is also the good mirror's, which answers from a thread of this process: 0.3 s was too
short for its TLS handshake on a loaded machine (1 run of the https test in about 55).
"""

from __future__ import annotations

import io
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from linearnets.data import download, http_deadline
from linearnets.data.download import download_fashion_mnist
from linearnets.data.mirror_ranks import OFFLINE_WAYS
from linearnets.errors import DatasetError

from ._servers import serve, stop
from .conftest import Tiny

# this machine as one without the Debian package, whose failures advise installing it (installed,
# the advice is to read its files: the tests at the end of test_download.py)
pytestmark = pytest.mark.usefixtures("no_debian")

FIRST = "train-images-idx3-ubyte"
PAUSE = 0.02  # seconds between header bytes: far below any timeout used here
GIVE_UP_AFTER = (
    20.0  # the trickling mirror hangs up then, so a client without a deadline fails in time
)
GIVEN_UP_BY = GIVE_UP_AFTER / 2  # a client with the deadline is done long before


def _get(root: Path, tiny: Tiny, mirrors: list[str], *, timeout: float = 1.0) -> Path:
    """Download the tiny files into ``root`` from ``mirrors``, quietly, each waited on ``timeout``."""
    return download_fashion_mnist(
        root, mirrors=mirrors, checksums=tiny.files, timeout=timeout, progress=False
    )


class Mirrors:
    """A local server: /stall/ sends its status line and headers one byte at a time and never ends
    them; /silent/ sends nothing; /good/ serves the files. Over TLS with ``context`` (an https:// mirror)."""

    def __init__(self, tiny: Tiny, context: ssl.SSLContext | None = None) -> None:
        self.closed = threading.Event()
        self.requests: list[str] = []
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def setup(self) -> None:
                if context is not None:
                    self.request = context.wrap_socket(self.request, server_side=True)
                super().setup()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    # the server closes the socket it accepted, which the wrap emptied: the TLS one
                    # holds the connection, and left open it warned "unclosed" in a later test
                    if context is not None:
                        self.request.close()

            def handle(self) -> None:
                path = self.rfile.readline().split()[1].decode()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                owner.requests.append(path)
                kind, _, file = path.strip("/").partition("/")
                try:
                    if kind == "stall":
                        self.trickle()
                    elif kind == "silent":  # the connection taken, not one byte sent
                        owner.closed.wait(GIVE_UP_AFTER)
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
        scheme = "http" if context is None else "https"
        self.base = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
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
    folder = _get(tmp_path / "a", tiny, [mirrors.mirror("stall"), mirrors.mirror("good")])
    assert time.monotonic() - start < GIVEN_UP_BY  # 1 s on the stalling mirror, then the good one
    assert mirrors.requests[:2] == [f"/stall/{FIRST}.gz", f"/good/{FIRST}.gz"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)


def test_only_a_trickling_mirror_fails_in_one_line_and_leaves_nothing(
    mirrors: Mirrors, tiny: Tiny, tmp_path: Path
) -> None:
    start = time.monotonic()
    with pytest.raises(
        DatasetError,
        match=rf"could not download {FIRST}\.gz from any mirror \({mirrors.mirror('stall')}"
        rf"{FIRST}\.gz: no response headers within 1 s \(stalled\)\); a mirror took the "
        r"connection but sent no answer \(it stalled or hung up\): try again later or pass other "
        r"mirrors, or install",
    ):
        _get(tmp_path / "root", tiny, [mirrors.mirror("stall")])
    assert time.monotonic() - start < GIVEN_UP_BY
    assert not (tmp_path / "root").exists()  # no .part file, no empty folder


def test_a_mirror_that_takes_the_connection_and_says_nothing_is_not_called_no_network(
    mirrors: Mirrors, tiny: Tiny, tmp_path: Path
) -> None:
    """Its socket timeout (no byte at all) got the advice of a machine without a network."""
    with pytest.raises(DatasetError) as info:
        _get(tmp_path / "root", tiny, [mirrors.mirror("silent")])
    assert str(info.value) == (
        f"could not download {FIRST}.gz from any mirror ({mirrors.mirror('silent')}{FIRST}.gz: "
        f"no answer within 1 s (timed out)); {download.STALLED_FIX}"
    )
    assert not (tmp_path / "root").exists()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for 127.0.0.1 (its key next to it), made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl tool makes the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if made.returncode != 0:  # e.g. an openssl before 1.1.1, without -addext
        pytest.skip(f"openssl could not make the test certificate: {made.stderr.strip()[:200]}")
    return folder / "cert.pem"


def test_an_https_mirror_trickling_its_headers_is_given_up(
    certificate: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second default mirror is https: its responses have the same deadline."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # trusted by urllib's default context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, certificate.with_name("key.pem"))
    mirrors = Mirrors(tiny, context)
    try:
        start = time.monotonic()
        folder = _get(tmp_path / "a", tiny, [mirrors.mirror("stall"), mirrors.mirror("good")])
        assert time.monotonic() - start < GIVEN_UP_BY
        assert mirrors.requests[:2] == [f"/stall/{FIRST}.gz", f"/good/{FIRST}.gz"]
        assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.gz" for n in tiny.files)
        with pytest.raises(
            DatasetError, match=rf"{FIRST}\.gz: no response headers within 1 s \(stalled\)\)"
        ):
            _get(tmp_path / "b", tiny, [mirrors.mirror("stall")])
    finally:
        mirrors.close()


def test_an_untrusted_certificate_gets_the_certificate_advice(
    certificate: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mirror was reached (its handshake failed on the certificate): the advice was that of a
    machine without a network."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the self-signed certificate: not trusted
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, certificate.with_name("key.pem"))
    mirrors = Mirrors(tiny, context)
    try:
        with pytest.raises(DatasetError) as info:
            _get(tmp_path / "b", tiny, [mirrors.mirror("good")], timeout=5)
    finally:
        mirrors.close()
    message = str(info.value)
    assert "certificate verify failed" in message
    assert message.endswith(download.CERTIFICATE_FIX) and "without a network" not in message
    assert download.CERTIFICATE_FIX.startswith(
        "a mirror's certificate could not be verified: if a proxy or your organisation's own "
        "certificate authority signs it, point SSL_CERT_FILE at that bundle of certificates"
    )


class _Flowing(io.RawIOBase):
    """A socket file with a byte ready at every read: no read ever waits, so none times out."""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        b[0] = ord("x")
        return 1


class _Socket:
    """Records the timeouts set on it."""

    def __init__(self, timeout: float) -> None:
        self.timeouts = [timeout]

    def gettimeout(self) -> float:
        return self.timeouts[-1]

    def settimeout(self, timeout: float) -> None:
        self.timeouts.append(timeout)


def test_the_deadline_holds_for_headers_that_never_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes may come faster than any read times out: the deadline is checked at each read too.

    On a clock of its own: each read waits at most what is left, and the socket gets its own
    timeout back for the body once the headers are in.
    """
    now = [1000.0]
    monkeypatch.setattr(http_deadline, "time", SimpleNamespace(monotonic=lambda: now[0]))
    sock = _Socket(1.0)
    reader = http_deadline._Wire(_Flowing(), sock)  # type: ignore[arg-type]
    buf = bytearray(4)
    assert reader.readinto(buf) == 1
    now[0] += 0.75
    assert reader.readinto(buf) == 1
    assert sock.timeouts[-2:] == [0.25, 1.0]  # what was left for this read; then its own again
    now[0] += 0.25
    with pytest.raises(DatasetError, match=r"^no response headers within 1 s \(stalled\)$"):
        reader.readinto(buf)
    assert sock.gettimeout() == 1.0
    reader.deadline = None  # the headers are in (as the response sets it): no deadline for the body
    now[0] += 60
    assert reader.readinto(buf) == 1 and sock.gettimeout() == 1.0


class _Redirector:
    """A local server whose every answer is a 301 to ``target`` with the file's name appended."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(301)
                self.send_header("Location", target + self.path.rpartition("/")[2])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd, base = serve(Handler)
        self.mirror = f"{base}/fm/"


@pytest.mark.parametrize("target", ["certificate", "refused", "unresolvable"])
def test_a_redirect_to_a_host_not_reached_gets_that_hosts_advice(
    certificate: Path, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """A redirect to an untrusted certificate, a refused port or a name no DNS resolves got "a
    mirror answered, so the network works, but not with the file: pass mirrors that serve
    Fashion-MNIST's original files", though the file may well be there. An untrusted certificate
    gets the advice it would get asked directly (SSL_CERT_FILE: the target is what is fetched); a
    refused port or a name not found there got, after that, the advice of the user's own mirror
    ("check each mirror's host and port", "without a network"), though the mirror answered: they
    are now told as the target's, by name, to be corrected or another mirror passed."""
    for name in ("SSL_CERT_FILE", *(f"{scheme}_proxy" for scheme in ("http", "https", "all"))):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, certificate.with_name("key.pem"))
    tls = Mirrors(tiny, context)
    unbound = socket.socket()
    unbound.bind(("127.0.0.1", 0))  # bound, not listening: refused
    there, reason, which = {
        "certificate": (tls.mirror("good"), "certificate verify failed", ""),
        "refused": (
            f"http://127.0.0.1:{unbound.getsockname()[1]}/fm/",
            "Connection refused",
            "refused the connection (nothing listens on that port)",
        ),
        "unresolvable": (
            "http://fashion-mnist.invalid/fm/",
            "",
            "has a host name that was not found",
        ),
    }[target]
    redirector = _Redirector(there)
    fix = (
        f"the mirror {redirector.mirror} redirected to {there}, which {which}: pass another "
        f"mirror, or that URL, corrected, as the mirror, or {OFFLINE_WAYS}"
        if which
        else download.CERTIFICATE_FIX
    )
    try:
        with pytest.raises(DatasetError) as info:
            _get(tmp_path / "root", tiny, [redirector.mirror], timeout=5)
    finally:
        stop(redirector.httpd)
        tls.close()
        unbound.close()
    message = str(info.value)
    assert f"({redirector.mirror}{FIRST}.gz: redirected to {there}{FIRST}.gz: " in message
    assert reason in message
    assert message.endswith(f"); {fix}"), message
    assert "the network works" not in message and "without a network" not in message
    assert "check each mirror's host" not in message


class _Plain(BaseHTTPRequestHandler):
    """An HTTP server's answer to a TLS handshake: 400 Bad Request, in plain HTTP."""

    def log_message(self, *args: Any) -> None:
        pass


class _HangsUp(socketserver.StreamRequestHandler):
    """A server that reads a TLS ClientHello whole and hangs up without a byte of answer.

    The good mirror stood in for it once, but it reads the ClientHello as an HTTP request line:
    where the bytes split into a path that decodes, it waited for a blank line that never came
    while the client waited for a ServerHello, until the client's timeout (about 1 run in 12,
    with a message of a stall, not of a hang-up). Read to the record's end, the close is a clean
    EOF, never a reset of unread bytes."""

    def handle(self) -> None:
        head = self.rfile.read(5)  # content type, version, length of the record
        if len(head) == 5:
            self.rfile.read(int.from_bytes(head[3:5], "big"))


def _hangs_up() -> tuple[socketserver.ThreadingTCPServer, str]:
    """Start a :class:`_HangsUp` server and return it with its ``https://`` mirror."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _HangsUp)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    return server, f"https://127.0.0.1:{server.server_address[1]}/fm/"


@pytest.mark.parametrize("redirected", [False, True])
@pytest.mark.parametrize("server", ["plain-http", "hangs-up"])
def test_an_https_url_to_a_port_without_tls_is_told_what_answered(
    tiny: Tiny, tmp_path: Path, redirected: bool, server: str
) -> None:
    """``[SSL: WRONG_VERSION_NUMBER]`` (a server answering in plain HTTP) and ``[SSL:
    UNEXPECTED_EOF_WHILE_READING]`` (one that hung up in the handshake) got the advice of a
    machine without a network (or, after a redirect, of a mirror without the file), though the
    host answered: the first is told to pass http://, the second as a connection taken, no answer."""
    plain, base = serve(_Plain)
    hangs_up, hangs_up_mirror = _hangs_up()
    there = f"{base.replace('http://', 'https://', 1)}/fm/"
    if server == "hangs-up":
        there = hangs_up_mirror
    redirector = _Redirector(there) if redirected else None
    mirror = there if redirector is None else redirector.mirror
    try:
        with pytest.raises(DatasetError) as info:
            # the servers answer (or hang up) at once: the timeout is never reached
            _get(tmp_path / "root", tiny, [mirror], timeout=30)
    finally:
        stop(plain)
        hangs_up.shutdown()
        hangs_up.server_close()
        if redirector is not None:
            stop(redirector.httpd)
    message = str(info.value)
    # a stall after a redirect is told as a transfer that did not finish, as before
    stalled = download.UNFINISHED_FIX if redirected else download.STALLED_FIX
    not_tls = download.NOT_TLS_FIX
    if redirected:  # the user's mirror is http://: the fix is the target's, by name
        not_tls = (
            f"the mirror {mirror} redirected to {there}, which did not answer its https:// "
            "request in TLS (it serves plain HTTP on that port): pass another mirror, or that "
            f"URL, corrected, as the mirror, or {OFFLINE_WAYS}"
        )
    assert message.endswith(f"); {not_tls if server == 'plain-http' else stalled}"), message
    assert download.NOT_TLS_FIX.startswith(
        "a mirror's host answered an https:// request, but not in TLS (it serves plain HTTP on "
        "that port, or another protocol): pass it as http://, or with the port that serves https"
    )
    assert "without a network" not in message and "not with the file" not in message
