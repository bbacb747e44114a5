"""A download through a proxy that refuses it, on a real local proxy: one that asks for a login
(HTTP 407, to a request or to an https request's CONNECT) or will not open the tunnel is told as
the proxy's, with the setting to change, not as a mirror without the file or no network
(D2L §3.5.1)."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from linearnets.data.download import download_fashion_mnist
from linearnets.errors import DatasetError

from ._servers import serve, stop
from .conftest import Tiny

FIRST = "train-images-idx3-ubyte"  # the first file a download asks for
OFFLINE_WAYS = (
    "install the Debian package ('sudo apt-get install dataset-fashion-mnist'), or copy the four "
    "files (*-ubyte.gz) from a machine that has them into a folder and pass root=DIR (or set "
    "LINEARNETS_DATA)"
)
pytestmark = pytest.mark.usefixtures("no_debian")  # the advice to install it


class Proxy:
    """A local proxy answering every request and every CONNECT with ``status`` (407: with a
    Proxy-Authenticate header), never reaching a mirror."""

    def __init__(self) -> None:
        self.status = 407
        self.redirect = False  # a plain http request answered 301, to the same URL in https
        self.statuses: dict[str, int] = {}  # by the host asked for, where not ``status``
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def refuse(self) -> None:
                owner.requests.append(f"{self.command} {self.path}")
                host = self.path.removeprefix("http://").split("/")[0].split(":")[0]
                status = owner.statuses.get(host, owner.status)
                if owner.redirect and self.command == "GET":
                    self.send_response(301)
                    self.send_header("Location", self.path.replace("http://", "https://", 1))
                else:
                    self.send_response(status)
                if status == 407:
                    self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

            def do_GET(self) -> None:
                self.refuse()

            def do_CONNECT(self) -> None:
                self.refuse()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd, self.base = serve(Handler)

    def close(self) -> None:
        stop(self.httpd)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """The proxy, as http_proxy and https_proxy (no other proxy setting, no no_proxy)."""
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    p = Proxy()
    monkeypatch.setenv("http_proxy", p.base)
    monkeypatch.setenv("https_proxy", p.base)
    yield p
    p.close()


def _failure(tmp_path: Path, tiny: Tiny, mirror: str) -> str:
    with pytest.raises(DatasetError) as info:
        download_fashion_mnist(
            tmp_path / "root", mirrors=[mirror], checksums=tiny.files, progress=False, timeout=5
        )
    assert not (tmp_path / "root").exists()
    return str(info.value)


@pytest.mark.parametrize(
    ("scheme", "said"),
    [
        ("http", "HTTP 407 Proxy Authentication Required"),
        ("https", "Tunnel connection failed: 407 Proxy Authentication Required"),
    ],
)
def test_a_proxy_asking_for_a_login_is_told_to_get_it(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, scheme: str, said: str
) -> None:
    """HTTP 407 was told "a mirror answered, so the network works, but not with the file: pass
    mirrors that serve Fashion-MNIST's original files", and a CONNECT's 407 "without a network":
    the proxy asks for its login, which goes into the proxy setting."""
    mirror = f"{scheme}://fashion-mnist.invalid/fm/"
    host = proxy.base.removeprefix("http://")
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: {said}, through the "
        f"proxy {proxy.base}); the proxy {proxy.base} asks for a login (HTTP 407 Proxy "
        f"Authentication Required): put it in {scheme}_proxy as http://USER:PASS@{host} "
        f"(percent-encoded), or {OFFLINE_WAYS}"
    )
    verb = "GET" if scheme == "http" else "CONNECT"
    target = f"{mirror}{FIRST}.gz" if scheme == "http" else "fashion-mnist.invalid:443"
    assert proxy.requests == [f"{verb} {target}"]


def test_a_login_the_proxy_refused_is_told_to_be_corrected_and_stays_masked(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = proxy.base.removeprefix("http://")
    monkeypatch.setenv("https_proxy", f"http://me:s3cret@{host}")
    message = _failure(tmp_path, tiny, "https://fashion-mnist.invalid/fm/")
    assert message.endswith(
        f"; the proxy http://***@{host} refused the login in https_proxy (HTTP 407 Proxy "
        f"Authentication Required): correct it there (https_proxy as http://USER:PASS@{host}, "
        f"percent-encoded), or {OFFLINE_WAYS}"
    )
    assert "s3cret" not in message and "me:" not in message


def test_a_proxy_refusing_the_tunnel_is_named_not_told_as_no_network(
    proxy: Proxy, tiny: Tiny, tmp_path: Path
) -> None:
    """A CONNECT answered 501 got "without a network, ...": the proxy answered, and refused."""
    proxy.status = 501
    mirror = "https://fashion-mnist.invalid/fm/"
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: Tunnel connection "
        f"failed: 501 Not Implemented, through the proxy {proxy.base}); the proxy "
        f"{proxy.base} refused to open a tunnel to the mirror (its answer to the https request's "
        "CONNECT), so no mirror was reached: check that it lets https through, correct "
        f"https_proxy, or name the mirror's host in no_proxy, or {OFFLINE_WAYS}"
    )


def test_a_407_with_no_proxy_set_is_told_as_a_proxy_on_the_network(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy on the network's way (a transparent one) answered for the mirror itself."""
    monkeypatch.delenv("http_proxy")
    mirror = f"{proxy.base}/fm/"
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: HTTP 407 Proxy "
        "Authentication Required); a proxy on the network asks for a login (HTTP 407 Proxy "
        "Authentication Required, though no http_proxy is set): set http_proxy to it as "
        f"http://USER:PASS@HOST:PORT, or {OFFLINE_WAYS}"
    )


@pytest.mark.parametrize("refused", [True, False])
def test_a_proxy_set_without_a_scheme_is_shown_with_its_login_masked(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused: bool
) -> None:
    """http_proxy='me:pw@127.0.0.1:1' (no scheme: urllib takes it as http://) was shown whole:
    "through the proxy me:pw@127.0.0.1:1", "the proxy me:pw@127.0.0.1:1 refused the connection"."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, not listening: a proxy that refuses the connection
    host = f"127.0.0.1:{sock.getsockname()[1]}" if refused else proxy.base.removeprefix("http://")
    monkeypatch.setenv("http_proxy", f"me:s3cret@{host}")
    try:
        message = _failure(tmp_path, tiny, "http://fashion-mnist.invalid/fm/")
    finally:
        sock.close()
    said = (
        f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
        if refused
        else "HTTP 407 Proxy Authentication Required"
    )
    assert message.startswith(
        f"could not download {FIRST}.gz from any mirror (http://fashion-mnist.invalid/fm/"
        f"{FIRST}.gz: {said}, through the proxy ***@{host}); the proxy ***@{host} "
    )
    assert "s3cret" not in message and "me:" not in message


def test_a_scheme_relative_proxy_is_shown_masked_with_its_host_in_the_advice(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """http_proxy='//me:pw@host:port' (urllib sends its login) was shown whole, "through the proxy
    //me:pw@...", and the advice said "http_proxy as http://USER:PASS@" with no host."""
    host = proxy.base.removeprefix("http://")
    monkeypatch.setenv("http_proxy", f"//me:s3cret@{host}")
    mirror = "http://fashion-mnist.invalid/fm/"
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: HTTP 407 Proxy "
        f"Authentication Required, through the proxy //***@{host}); the proxy //***@{host} "
        "refused the login in http_proxy (HTTP 407 Proxy Authentication Required): correct it "
        f"there (http_proxy as http://USER:PASS@{host}, percent-encoded), or {OFFLINE_WAYS}"
    )


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("http://me:2024/pw@{host}", "http://***@{host}"),
        ("http://me:12#34@{host}", "http://***@{host}"),
        ("http://me:1234?x@{host}", "http://***@{host}"),
        ("//me:12/34@{host}", "//***@{host}"),
        ("me:2024/pw@{host}", "***@{host}"),
        ("///me:s3cret@{host}", "//***@{host}"),
    ],
)
def test_a_proxy_login_urllib_sends_is_masked_whatever_it_holds(
    proxy: Proxy,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    shown: str,
) -> None:
    """http_proxy='http://me:2024/pw@host:port' (urllib sends the password '2024/pw': its
    authority ends at the first / after the first @) was printed whole, the mirrors' rule (an
    all-digit port, host:8080/a@b, has no login) read in a proxy, and the advice named the host
    'me:2024'; '///me:pw@host' (the user '/me') was printed whole, the advice naming no host."""
    host = proxy.base.removeprefix("http://")
    monkeypatch.setenv("http_proxy", setting.format(host=host))
    shown = shown.format(host=host)
    mirror = "http://fashion-mnist.invalid/fm/"
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: HTTP 407 Proxy "
        f"Authentication Required, through the proxy {shown}); the proxy {shown} refused the "
        "login in http_proxy (HTTP 407 Proxy Authentication Required): correct it there "
        f"(http_proxy as http://USER:PASS@{host}, percent-encoded), or {OFFLINE_WAYS}"
    )
    assert proxy.requests == [f"GET {mirror}{FIRST}.gz"]


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("setting", ["http:/me:SECRET@{host}", "/me:SECRET@{host}"])
def test_a_proxy_setting_urllib_refuses_is_masked_and_told_to_be_written_again(
    proxy: Proxy,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    scheme: str,
) -> None:
    """http_proxy='http:/me:SECRET@host:port' (one /: urllib raises 'proxy URL with no
    authority', quoting it) printed the password whole, in urllib's words and in the proxy note,
    and was told "without a network": the setting is what to correct."""
    host = proxy.base.removeprefix("http://")
    monkeypatch.setenv(f"{scheme}_proxy", setting.format(host=host))
    shown = setting.format(host=host).replace("me:SECRET", "***")
    mirror = f"{scheme}://fashion-mnist.invalid/fm/"
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: proxy URL with no "
        f"authority: '{shown}', through the proxy {shown}); {scheme}_proxy='{shown}' is not a "
        "valid proxy URL (the host must follow //), so no request was sent: write it as "
        f"http://USER:PASS@HOST:PORT, or {OFFLINE_WAYS}"
    )
    assert proxy.requests == []


def test_a_407_from_a_mirror_no_proxy_sends_direct_does_not_blame_the_proxy_set(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """http_proxy set, no_proxy naming the mirror's host: the request went direct, and the 407 came
    from the network's way, not from http_proxy, which was told to get the login."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    mirror = f"{proxy.base}/fm/"
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: HTTP 407 Proxy "
        "Authentication Required); a proxy on the network asks for a login (HTTP 407 Proxy "
        "Authentication Required, to a request no_proxy sent past http_proxy, straight to the "
        "mirror): set http_proxy to it as http://USER:PASS@HOST:PORT and take the mirror's host "
        f"out of no_proxy, or {OFFLINE_WAYS}"
    )
    assert proxy.requests == [f"GET /fm/{FIRST}.gz"]  # asked as the mirror, not as a proxy


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_busy_or_failing_is_told_to_try_again_whatever_the_scheme(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, scheme: str, status: int
) -> None:
    """A CONNECT answered 502, 503 or 504 was told as a proxy that blocks https ("check that it
    lets https through"), where the same status to a plain http request is told to try again;
    then as "a mirror answered, so the network works", where only the proxy answered the CONNECT
    (to a plain http request, the status may be the mirror's, passed on)."""
    proxy.status = status
    phrase = HTTPStatus(status).phrase
    said = (
        f"Tunnel connection failed: {status} {phrase}"
        if scheme == "https"
        else f"HTTP {status} {phrase}"
    )
    mirror = f"{scheme}://fashion-mnist.invalid/fm/"
    fix = (
        f"the proxy {proxy.base} answered the https request's tunnel (CONNECT) as busy or failing, "
        "so no mirror was reached: try again later, correct https_proxy, or name the mirror's "
        f"host in no_proxy, or {OFFLINE_WAYS}"
        if scheme == "https"
        else "a mirror answered, so the network works, but did not send the whole file (a "
        "transfer stalled or cut short, or a server busy or failing): try again later or pass "
        f"other mirrors, or {OFFLINE_WAYS}; if the proxy is what failed, correct http_proxy / "
        "https_proxy, or name the mirror's host in no_proxy"
    )
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: {said}, through the "
        f"proxy {proxy.base}); {fix}"
    )


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (
            503,
            "answered the https request's tunnel (CONNECT) as busy or failing, so no mirror was "
            "reached: try again later, correct https_proxy, or name the mirror's host in no_proxy",
        ),
        (
            403,
            "refused to open a tunnel to the mirror (its answer to the https request's CONNECT), "
            "so no mirror was reached: check that it lets https through, correct https_proxy, or "
            "name the mirror's host in no_proxy",
        ),
        (
            407,
            "asks for a login (HTTP 407 Proxy Authentication Required): put it in https_proxy as "
            "http://USER:PASS@{host} (percent-encoded)",
        ),
    ],
)
def test_a_proxys_failure_after_a_redirect_to_https_names_https_proxy(
    proxy: Proxy,
    tiny: Tiny,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    fix: str,
) -> None:
    """An http mirror redirecting to https, whose CONNECT the proxy answered busy (503) or refused
    (403), was told "a mirror answered, so the network works, but not with the file", and the
    note named http_proxy's proxy, though the https request went through https_proxy's."""
    host = proxy.base.removeprefix("http://")
    monkeypatch.setenv("http_proxy", f"http://me:s3cret@{host}")  # the first request's
    proxy.redirect, proxy.status = True, status
    mirror = "http://fashion-mnist.invalid/fm/"
    phrase = HTTPStatus(status).phrase
    assert _failure(tmp_path, tiny, mirror) == (
        f"could not download {FIRST}.gz from any mirror ({mirror}{FIRST}.gz: redirected to "
        f"https://fashion-mnist.invalid/fm/{FIRST}.gz: Tunnel connection failed: {status} "
        f"{phrase}, through the proxy {proxy.base}); the proxy {proxy.base} "
        f"{fix.format(host=host)}, or {OFFLINE_WAYS}"
    )
    assert proxy.requests == [f"GET {mirror}{FIRST}.gz", "CONNECT fashion-mnist.invalid:443"]


def _beside_a_404(
    tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], str]:
    """Download through the proxy from an https mirror and, directly (no_proxy), from a local one
    without the file (404); return the mirrors and what the refusal said."""
    other = Proxy()  # asked directly (no_proxy), as a mirror without the file
    other.status = 404
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    mirrors = ["https://fashion-mnist.invalid/fm/", f"{other.base}/fm/"]
    try:
        with pytest.raises(DatasetError) as info:
            download_fashion_mnist(
                tmp_path / "root", mirrors=mirrors, checksums=tiny.files, progress=False, timeout=5
            )
    finally:
        other.close()
    return mirrors, str(info.value)


def test_a_proxys_407_outranked_by_another_mirrors_answer_keeps_its_login_advice(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 407 beside a mirror's 404 got only "pass mirrors that serve ...": the login to give the
    proxy was not said."""
    mirrors, said = _beside_a_404(tiny, tmp_path, monkeypatch)
    host = proxy.base.removeprefix("http://")
    assert said == (
        f"could not download {FIRST}.gz from any mirror ({mirrors[0]}{FIRST}.gz: Tunnel connection "
        f"failed: 407 Proxy Authentication Required, through the proxy {proxy.base}; "
        f"{mirrors[1]}{FIRST}.gz: HTTP 404 Not Found); a mirror answered, so the network works, "
        "but not with the file: pass mirrors that serve Fashion-MNIST's original files, or "
        f"{OFFLINE_WAYS}; the proxy {proxy.base} asks for a login (HTTP 407 Proxy Authentication "
        f"Required): put it in https_proxy as http://USER:PASS@{host} (percent-encoded)"
    )


def test_a_busy_proxy_beside_a_mirrors_404_is_named_after_the_mirrors_fix(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CONNECT answered 503 beside a mirror's 404 was told "https://...invalid/fm/ did not send
    the whole file (a transfer stalled ...)", the proxy not named: only the proxy answered it."""
    proxy.status = 503
    mirrors, said = _beside_a_404(tiny, tmp_path, monkeypatch)
    assert said == (
        f"could not download {FIRST}.gz from any mirror ({mirrors[0]}{FIRST}.gz: Tunnel connection "
        f"failed: 503 Service Unavailable, through the proxy {proxy.base}; {mirrors[1]}{FIRST}.gz: "
        "HTTP 404 Not Found); a mirror answered, so the network works, but not with the file: "
        f"pass mirrors that serve Fashion-MNIST's original files, or {OFFLINE_WAYS}; the proxy "
        f"{proxy.base} answered the https request's tunnel (CONNECT) as busy or failing, so no "
        "mirror was reached: try again later, correct https_proxy, or name the mirror's host in "
        "no_proxy"
    )


def test_a_refused_a_busy_tunnel_and_a_try_again_beside_them_give_each_fix_once(
    proxy: Proxy, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tunnel refused (403), one busy (503) and one asking for a login (407), beside a mirror's
    404 and another's 503: "try again later" and "correct https_proxy, or name the mirror's host
    in no_proxy" each came twice in the line (the busy tunnel's advice repeating both)."""
    proxy.statuses = {"busy.invalid": 503, "refuse.invalid": 403, "login.invalid": 407}
    gone, busy = Proxy(), Proxy()  # asked directly (no_proxy), as mirrors
    gone.status, busy.status = 404, 503
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    mirrors = [
        "https://busy.invalid/fm/",
        "https://refuse.invalid/fm/",
        "https://login.invalid/fm/",
        f"{gone.base}/fm/",
        f"{busy.base}/fm/",
    ]
    host = proxy.base.removeprefix("http://")
    try:
        with pytest.raises(DatasetError) as info:
            download_fashion_mnist(
                tmp_path / "root", mirrors=mirrors, checksums=tiny.files, progress=False, timeout=5
            )
    finally:
        gone.close()
        busy.close()
    via = f", through the proxy {proxy.base}"
    assert str(info.value) == (
        f"could not download {FIRST}.gz from any mirror ({mirrors[0]}{FIRST}.gz: Tunnel connection "
        f"failed: 503 Service Unavailable{via}; {mirrors[1]}{FIRST}.gz: Tunnel connection failed: "
        f"403 Forbidden{via}; {mirrors[2]}{FIRST}.gz: Tunnel connection failed: 407 Proxy "
        f"Authentication Required{via}; {mirrors[3]}{FIRST}.gz: HTTP 404 Not Found; "
        f"{mirrors[4]}{FIRST}.gz: HTTP 503 Service Unavailable); a mirror answered, so the network "
        f"works, but none sent the file: {mirrors[3]} answered with something else (pass mirrors "
        f"that serve Fashion-MNIST's original files instead), and {mirrors[4]} did not send the "
        "whole file (a transfer stalled or cut short, a server busy or failing, or no answer in "
        f"time): try again later, or {OFFLINE_WAYS}; the proxy {proxy.base} refused to open a "
        "tunnel to the mirror (its answer to the https request's CONNECT) and answered another's "
        "tunnel as busy or failing, so no mirror was reached: check that it lets https through, "
        f"correct https_proxy, or name the mirror's host in no_proxy; the proxy {proxy.base} asks "
        "for a login (HTTP 407 Proxy Authentication Required): put it in https_proxy as "
        f"http://USER:PASS@{host} (percent-encoded)"
    )


def test_a_busy_tunnel_beside_a_refused_one_says_both_in_one_advice(
    proxy: Proxy, tiny: Tiny, tmp_path: Path
) -> None:
    """The busy tunnel's advice, at the head, then the refused one's after it repeated "correct
    https_proxy, or name the mirror's host in no_proxy"."""
    proxy.statuses = {"busy.invalid": 503, "refuse.invalid": 403}
    mirrors = ["https://busy.invalid/fm/", "https://refuse.invalid/fm/"]
    with pytest.raises(DatasetError) as info:
        download_fashion_mnist(
            tmp_path / "root", mirrors=mirrors, checksums=tiny.files, progress=False, timeout=5
        )
    assert str(info.value).endswith(
        f"); the proxy {proxy.base} refused to open a tunnel to the mirror (its answer to the "
        "https request's CONNECT) and answered another's tunnel as busy or failing, so no mirror "
        "was reached: try again later, check that it lets https through, correct https_proxy, or "
        f"name the mirror's host in no_proxy, or {OFFLINE_WAYS}"
    )
