"""Tests for linearnets.data.mirror_reasons: why a mirror failed, in a few words; logins masked."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request

import pytest

from linearnets.data.http_deadline import RedirectError
from linearnets.data.mirror_reasons import failure_reason, mask_login, mask_passwords, proxy_for
from linearnets.errors import DatasetError

REASONS = [
    (urllib.error.HTTPError("u", 404, "Not Found", {}, None), "HTTP 404 Not Found"),  # type: ignore[arg-type]
    (TimeoutError(), "no answer within 0.5 s (timed out)"),
    (urllib.error.URLError("timed out"), "no answer within 0.5 s (timed out)"),
    (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")), "[Errno 111] Connection refused"),
    (http.client.IncompleteRead(b"abcd", 10), "the connection closed after 4 bytes (truncated)"),
    (DatasetError("expected  MD5\n x"), "expected MD5 x"),
    (http.client.RemoteDisconnected(""), "RemoteDisconnected"),
    # urllib's own words for a redirect it refuses quote the target, a login included
    (urllib.error.HTTPError("u", 302, "Found - Redirection to url 'gopher://u:pw@h/x' is not allowed", {}, None), "HTTP 302 Found - Redirection to url 'gopher://***@h/x' is not allowed"),  # type: ignore[arg-type]
    (urllib.error.URLError("no host in http://me:pw@/x"), "no host in http://***@/x"),
    # http.client's text was the line received, as if it were the reason
    (http.client.BadStatusLine("HELLO WORLD\r\n"), "answered with something that is not HTTP ('HELLO WORLD')"),
    (http.client.BadStatusLine("x" * 100), f"answered with something that is not HTTP ({'x' * 40!r})"),
    # the server asked answered: the failure is the one it redirected to
    (RedirectError("http://b:81/f.gz", urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))), "redirected to http://b:81/f.gz: [Errno 111] Connection refused"),
    (RedirectError("http://b/f.gz", TimeoutError()), "redirected to http://b/f.gz: no answer within 0.5 s (timed out)"),
    (RedirectError("http://b/f.gz", urllib.error.HTTPError("u", 404, "Not Found", {}, None)), "redirected to http://b/f.gz: HTTP 404 Not Found"),  # type: ignore[arg-type]
    (RedirectError("http://tok@b/f.gz", DatasetError("x")), "redirected to http://***@b/f.gz: x"),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "reason"), REASONS, ids=[type(r[0]).__name__ + str(i) for i, r in enumerate(REASONS)])  # fmt: skip
def test_failure_reason_says_why_in_one_line(exc: BaseException, reason: str) -> None:
    assert failure_reason(exc, 0.5) == reason


URLS = [
    "http://u:secret@127.0.0.1:8765/ok",
    "https://a@b:pw@host/x",  # the user holds an @: the netloc's last @ ends the login
    "http://u:p@ss@host/",  # the password holds one
    "ftp://u:@host/",  # an empty password
    "http://u@host:8080/x",  # a user, no password: often a token (https://TOKEN@host/)
    "http://u:p@host/a@b",  # an @ in the path too
    "http://host:8080/a@b",  # an @ in the path: no login
    "http://host/?q=u:v@w",  # nor in the query
    "http://host/a:b@c",  # nor in a path with a colon
    "s3://key:secret@bucket/x",  # a scheme with a digit (RFC 3986: letters, digits, + - .)
]


@pytest.mark.parametrize("url", URLS)
def test_mask_passwords_hides_what_urlsplit_reads_as_the_login(url: str) -> None:
    """urllib.parse.urlsplit is the oracle: the host and path stay; the user name and password,
    if any, become ***."""
    before, after = urllib.parse.urlsplit(url), urllib.parse.urlsplit(mask_passwords(url))
    assert (after.hostname, after.port, after.path, after.query) == (before.hostname, before.port, before.path, before.query)  # fmt: skip
    assert after.username == (None if before.username is None else "***")
    assert after.password is None
    assert mask_passwords(f"failed: {url}; {url}") == f"failed: {mask_passwords(url)}; {mask_passwords(url)}"  # fmt: skip


@pytest.mark.parametrize("url", URLS)
def test_mask_login_masks_one_url_as_mask_passwords_does(url: str) -> None:
    assert mask_login(url) == mask_passwords(url)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("me:pa'ss@host/fm/", "***@host/fm/"),  # a quote: masked from it on in a repr
        ("http://me:pa ss@host/fm/", "http://***@host/fm/"),  # a blank: a URL in a text ends there
        (" http://me:pw@host/fm/ ", " http://***@host/fm/ "),
        ("me:pw@host/?next=http://x/", "***@host/?next=http://x/"),  # not seen as a URL at the query
        ("me:pw@host/?next=http://u:v@x/", "***@host/?next=http://***@x/"),
        ("me:p@ss@host/", "***@host/"),  # the host's @, the last before its /
        ("me:se/cret@host/", "***@host/"),
        ("//me:SECRETpw@127.0.0.1:8672", "//***@127.0.0.1:8672"),  # scheme-relative: urllib sends it
        ("//host/fm@v2/", "//host/fm@v2/"),
        ("host/fm@v2/", "host/fm@v2/"),  # an @ in the path: no login
        ("http://host/it's a@b/", "http://host/it's a@b/"),
        ("host:8080/a@b", "host:8080/a@b"),
        # Windows paths: a drive's colon is no password's, a share no host with a login
        ("C:/data/fm@v2/", "C:/data/fm@v2/"),
        ("C:\\Users\\me@corp\\fm", "C:\\Users\\me@corp\\fm"),
        ("\\\\server\\share@x\\fm", "\\\\server\\share@x\\fm"),
    ],
)  # fmt: skip
def test_mask_login_masks_the_login_of_one_url_with_a_scheme_or_without(
    url: str, masked: str
) -> None:
    assert mask_login(url) == masked


@pytest.mark.parametrize(
    "url",
    [
        "http://user:se#cret@127.0.0.1/fm/",
        "http://user:se/cret@127.0.0.1/fm/",
        "http://user:se?cret@127.0.0.1/fm/",
        "http://user:se/cr@t@127.0.0.1/fm/",
        "http://user:se'cret@127.0.0.1/fm/",
    ],
)
def test_a_password_typed_unencoded_is_masked_whole(url: str) -> None:
    """urlsplit reads "user:se" as a host and a port there (the rest as the path or fragment), and
    the password was printed in full: what a user typed is masked up to the @ before the host."""
    assert mask_passwords(url) == "http://***@127.0.0.1/fm/"
    shown = mask_passwords(f"got {url!r}; pass")  # as a message quotes it
    assert "cret" not in shown and "user" not in shown and "@127.0.0.1/fm/" in shown


def test_an_unencoded_password_is_masked_up_to_the_hosts_at_not_one_in_the_path() -> None:
    """The @ that ends the login is the last before the host's own /, not an @ further on."""
    assert mask_passwords("http://user:se/cret@127.0.0.1/fm/a@b/") == "http://***@127.0.0.1/fm/a@b/"


def test_proxy_for_names_the_proxy_of_the_scheme_masked_unless_no_proxy_names_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", "http://me:pw@proxy.example:3128")
    monkeypatch.setenv("https_proxy", "http://tls-proxy.example:3129")
    assert proxy_for("http://mirror.example/f.gz") == "http://***@proxy.example:3128"
    assert proxy_for("https://mirror.example/f.gz") == "http://tls-proxy.example:3129"
    monkeypatch.setenv("no_proxy", "mirror.example")
    assert proxy_for("http://mirror.example/f.gz") is None  # reached directly
    assert proxy_for("http://other.example/f.gz") == "http://***@proxy.example:3128"
    # without a scheme (urllib takes it as http://): mask_passwords found no URL in it
    monkeypatch.setenv("http_proxy", "me:pw@proxy.example:3128")
    assert proxy_for("http://other.example/f.gz") == "***@proxy.example:3128"


@pytest.mark.parametrize(
    "setting",
    [
        "http://me:2024/pw@proxy.example:3128",
        "http://me:12#34@proxy.example:3128",
        "http://me:1234?x@proxy.example:3128",
        "//me:12/34@proxy.example:3128",
        "me:2024/pw@proxy.example:3128",
        "///me:s3cret@proxy.example:3128",
        "http://me:se/cret@proxy.example:3128/",
        "HTTP://me:s3cret@proxy.example:3128",
    ],
)
def test_proxy_for_masks_the_login_urllib_sends_as_urllib_splits_the_setting(
    monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """A proxy's authority ends at the first / after its first @ (urllib's _parse_proxy, the
    oracle): 'me:2024/pw' is a login there, where a mirror's 'host:8080/a@b' has none."""
    for name in ("HTTP_PROXY", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", setting)
    _, user, password, hostport = urllib.request._parse_proxy(setting)  # type: ignore[attr-defined]
    shown = proxy_for("http://mirror.example/f.gz")
    assert shown is not None and f"***@{hostport}" in shown
    assert user and password and password not in shown and user not in shown


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("http:/me:s3cret@proxy.example:3128", "http:/***@proxy.example:3128"),
        ("/me:s3cret@proxy.example:3128", "/***@proxy.example:3128"),
        ("http:/me:12/34@proxy.example:3128/", "http:/***@proxy.example:3128/"),
    ],
)
def test_a_proxy_setting_urllib_refuses_has_its_login_masked_in_its_words_too(
    monkeypatch: pytest.MonkeyPatch, setting: str, shown: str
) -> None:
    """A setting with one / is refused by urllib ('proxy URL with no authority', the oracle),
    quoting it whole: the password was printed in that reason and in proxy_for's name."""
    for name in ("HTTP_PROXY", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", setting)
    with pytest.raises(ValueError) as refused:
        urllib.request.build_opener().open("http://mirror.example/f.gz", timeout=1)
    assert proxy_for("http://mirror.example/f.gz") == shown
    assert failure_reason(refused.value, 1) == f"proxy URL with no authority: {shown!r}"
