"""Why a mirror failed, in a few words, and URLs shown without their logins (D2L §3.5.1).

:func:`failure_reason` turns what urllib, http.client or the transfer raised into a short reason
(``HTTP 404 Not Found``, ``no answer within 30 s (timed out)``, ``redirected to URL: ...``);
:func:`mask_passwords` replaces the login of every URL in a text with ``***``, so no message
prints a token or a password; :func:`mask_login` that of one URL, with a scheme or without;
:func:`tunnel_status` reads the status of a proxy that refused an https request's tunnel, and
:func:`proxy_login_fix` / :func:`tunnel_fix` say what to do about a proxy that asked for a
login (HTTP 407), refused the tunnel, or answered it as busy or failing (both, said once);
:func:`proxy_malformed` / :func:`malformed_proxy_fix` about a proxy setting urllib refuses.
Used by :mod:`linearnets.data.fetch`,
:mod:`linearnets.data.mirror_order` and :mod:`linearnets.data.mirror_ranks`.
"""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.parse
import urllib.request

from linearnets.data.http_deadline import RedirectError

__all__ = [
    "certificate_failed",
    "failure_reason",
    "malformed_proxy_fix",
    "mask_login",
    "mask_passwords",
    "proxy_for",
    "proxy_login_fix",
    "proxy_malformed",
    "tunnel_fix",
    "tunnel_status",
]

_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)(\S*)")
_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*://")
# a scheme-relative URL, //me:pw@host:3128 (a proxy setting urllib takes as http://, login and all)
_RELATIVE = re.compile(r"\s*//(?!/)")
# a Windows path given as a mirror (a drive, C:\ or C:/, or a share, \\server): no login in it
_WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/]|\\\\")
# http.client's refusal of a CONNECT the proxy answered with another status than 200
_TUNNEL_FAILED = re.compile(r"Tunnel connection failed: (\d{3})\b")
# urllib's refusal of a proxy setting with a scheme and one / (http:/host:3128): no URL to it
_NO_AUTHORITY = "proxy URL with no authority: "


def mask_passwords(text: str) -> str:
    """Return ``text`` with the login (user name and password) of every URL in it replaced by
    ``***``: a user name alone is often a token (``https://TOKEN@host/``), and a password typed
    with an unencoded ``/``, ``?`` or ``#`` (``http://me:se/cret@host/``) is masked whole."""

    def masked(url: re.Match[str]) -> str:
        end = _login_end(url[2])
        return url[0] if end < 0 else f"{url[1]}***{url[2][end:]}"

    return _URL.sub(masked, text)


def mask_login(url: str) -> str:
    """Return the one URL ``url``, with a scheme or without (``me:pw@host/``, ``//me:pw@host/``),
    with its login replaced by ``***``: all before the ``@`` of its host (before its first ``/``, ``?`` or
    ``#``), blanks and quotes included, where :func:`mask_passwords`, finding URLs in a text,
    stops at a blank; and any URL after it (``?next=http://me:pw@host/``) masked too."""
    scheme = _SCHEME.match(url) or _RELATIVE.match(url)
    if scheme is None and _WINDOWS_PATH.match(url):
        return url  # C:\data\fm@v2, \\server\share@x: a path's @, no login (nor a URL)
    start = scheme.end() if scheme else 0
    end = _login_end(url[start:])
    return mask_passwords(url if end < 0 else f"{url[:start]}***{url[start + end :]}")


def _login_end(rest: str) -> int:
    """Return where the login of the URL ``scheme://rest`` ends (its ``@``), or -1 if it has none."""
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in netloc:  # as urlsplit reads it: up to the netloc's last @
        return netloc.rindex("@")
    # urlsplit reads "me:se/cret@host" as the host "me" with the port "se": no port, so a
    # password goes on to the @ (the last one before the host's own /, ? or #)
    _, colon, port = netloc.partition(":")
    first = rest.find("@", len(netloc))
    if not colon or port.isdigit() or first < 0:
        return -1  # host:8080/a@b, host/?q=u:v@w: an @ of the path or query
    after = re.search(r"[/?#]", rest[first:])
    return rest.rindex("@", 0, first + after.start() if after else len(rest))


def certificate_failed(exc: BaseException) -> bool:
    """Whether ``exc`` (or the reason urllib wrapped it in) is a TLS certificate that failed its check."""
    try:
        import ssl
    except ImportError:  # a Python built without ssl: no https at all
        return False
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, ssl.SSLCertVerificationError)


# OpenSSL's reasons for a reply that is no TLS record (a server speaking plain HTTP on the port):
# 1.1.1 and 3.0 say WRONG_VERSION_NUMBER, 3.2 and later RECORD_LAYER_FAILURE or
# PACKET_LENGTH_TOO_LONG, older ones UNKNOWN_PROTOCOL
_NOT_TLS_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"}
)


def not_tls(exc: BaseException) -> bool:
    """Whether ``exc`` (or the reason urllib wrapped it in) is a TLS handshake answered with no
    TLS: an https:// URL to a port that serves plain HTTP (``[SSL: WRONG_VERSION_NUMBER]``)."""
    try:
        import ssl
    except ImportError:  # a Python built without ssl: no https at all
        return False
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, ssl.SSLError) and getattr(reason, "reason", None) in _NOT_TLS_REASONS


def handshake_cut(exc: BaseException) -> bool:
    """Whether ``exc`` (or the reason urllib wrapped it in) is a TLS handshake the server closed
    before answering it (``[SSL: UNEXPECTED_EOF_WHILE_READING]``): the connection taken, no answer."""
    try:
        import ssl
    except ImportError:  # a Python built without ssl: no https at all
        return False
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, ssl.SSLEOFError | ssl.SSLZeroReturnError)


def proxy_for(url: str) -> str | None:
    """Return the proxy urllib sends ``url`` through (from ``http_proxy``, ``https_proxy``, ...,
    unless ``no_proxy`` names the host), the login urllib sends from it masked (one written
    without a scheme, ``me:pw@host:3128``, or with an unencoded ``/``, ``me:2024/pw@host:3128``,
    too: :func:`_proxy_login`); ``None`` for a direct connection."""
    proxy, _ = _proxy_of(url)
    return _mask_proxy(proxy) if proxy else None


def _proxy_of(url: str) -> tuple[str | None, bool]:
    """Return the proxy setting urllib sends ``url`` through, raw (``None``: a direct connection),
    and whether ``no_proxy`` sent it past one that is set, as urllib's ProxyHandler decides (on the
    request's host and port)."""
    proxy = urllib.request.getproxies().get(urllib.parse.urlsplit(url).scheme)
    if not proxy:
        return None, False
    if urllib.request.proxy_bypass(urllib.request.Request(url).host):
        return None, True
    return proxy, False


def _proxy_login(proxy: str) -> tuple[int, int]:
    """Return where the authority of the proxy setting ``proxy`` starts and where its login's
    ``@`` is (-1: no login), split as urllib's ProxyHandler splits it (``_parse_proxy``): after
    ``scheme://`` or ``//`` the authority ends at the first ``/`` after its first ``@``, a setting
    without them (``me:pw@host:3128``) is all authority, and the login is all before the
    authority's last ``@``. So ``http://me:2024/pw@host:3128`` sends the password ``2024/pw`` and
    ``///me:pw@host:3128`` the user ``/me``, where a mirror ``host:8080/a@b`` has no login. One
    urllib refuses (``http:/me:pw@host:3128``, one ``/``) is split as if it had ``//``."""
    scheme = re.match(r"[^/:]+:(?=/)", proxy)
    rest = proxy[scheme.end() :] if scheme else proxy
    start = len(proxy) - len(rest) + 2 if rest.startswith("//") else 0
    if rest.startswith("/") and not start:  # http:/me:pw@host: urllib refuses it, login unsent
        start = len(proxy) - len(rest.lstrip("/"))  # but the password typed is masked all the same
    first = proxy.find("@", start)
    if first < 0:
        return start, -1
    close = proxy.find("/", first) if start else -1
    return start, proxy.rindex("@", start, close if close >= 0 else len(proxy))


def _mask_proxy(proxy: str) -> str:
    """Return the proxy setting ``proxy`` with the login urllib sends from it
    (:func:`_proxy_login`) replaced by ``***``, and any URL after it masked too."""
    start, at = _proxy_login(proxy)
    return mask_passwords(proxy if at < 0 else f"{proxy[:start]}***{proxy[at:]}")


def tunnel_status(exc: BaseException) -> int | None:
    """Return the HTTP status with which a proxy refused to open the tunnel of an https request
    (``CONNECT``), where ``exc`` (or the reason urllib wrapped it in) is that refusal; else ``None``."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    found = _TUNNEL_FAILED.match(str(reason)) if isinstance(reason, OSError) else None
    return int(found[1]) if found else None


def _proxy_settings(urls: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """Return the proxy variable each of ``urls`` goes through (``https_proxy``) and its value, raw
    (``None``: none set, or ``no_proxy`` sent the request past it: the proxy is on the network's
    way), in the order first named; and the variables set that ``no_proxy`` sent a request past."""
    settings: dict[str, str | None] = {}
    bypassed: list[str] = []
    for url in urls:
        variable = f"{urllib.parse.urlsplit(url).scheme}_proxy"
        proxy, passed = _proxy_of(url)
        if proxy or variable not in settings:  # one request through it names it
            settings[variable] = proxy
        if passed and variable not in bypassed:
            bypassed.append(variable)
    return settings, bypassed


def _proxy_parts(proxy: str) -> tuple[str, str, bool]:
    """Return the scheme (``http`` where none is written, as urllib takes it), the host and port,
    and whether urllib sends a login (a user and a password) to the proxy setting ``proxy``
    (``http://me:pw@host:3128``), split as :func:`_proxy_login` splits it."""
    start, at = _proxy_login(proxy)
    scheme = re.match(r"([^/:]+)://", proxy)
    host = re.split(r"[/?#]", proxy[at + 1 if at >= 0 else start :], maxsplit=1)[0]
    user, _, password = proxy[start:at].partition(":")
    name = scheme[1].strip().lower() if scheme else "http"
    return name, host, at >= 0 and bool(user and password)


def proxy_login_fix(urls: list[str]) -> str:
    """Return the advice where the proxy of each of ``urls`` answered HTTP 407 Proxy Authentication
    Required: the login goes into the proxy setting (as urllib reads it) before its host and port;
    one already there was refused. The logins are masked."""
    settings, bypassed = _proxy_settings(urls)
    set_ = {variable: proxy for variable, proxy in settings.items() if proxy}
    status = "HTTP 407 Proxy Authentication Required"
    if not set_:  # none used: a proxy on the network's way (a transparent one)
        variables = " and ".join(settings)
        if bypassed:  # the one set was not asked: its login would not be sent
            return (
                f"a proxy on the network asks for a login ({status}, to a request no_proxy sent "
                f"past {' and '.join(bypassed)}, straight to the mirror): set {variables} to it "
                "as http://USER:PASS@HOST:PORT and take the mirror's host out of no_proxy, or "
            )
        return (
            f"a proxy on the network asks for a login ({status}, though no "
            f"{' or '.join(settings)} is set): set {variables} to it as "
            "http://USER:PASS@HOST:PORT, or "
        )
    names = " and ".join(dict.fromkeys(_mask_proxy(proxy) for proxy in set_.values()))
    parts = {variable: _proxy_parts(proxy) for variable, proxy in set_.items()}
    ways = " and ".join(
        f"{variable} as {scheme}://USER:PASS@{host}"
        for variable, (scheme, host, _) in parts.items()
    )
    if all(login for _, _, login in parts.values()):
        return (
            f"the proxy {names} refused the login in {' and '.join(set_)} ({status}): correct "
            f"it there ({ways}, percent-encoded), or "
        )
    return f"the proxy {names} asks for a login ({status}): put it in {ways} (percent-encoded), or "


def tunnel_fix(refused: list[str], busy: list[str], *, again: bool = True) -> str:
    """Return the advice where the proxy of each of the https URLs ``refused`` would not open a
    tunnel to the mirror (it answered the ``CONNECT`` with an error status), and that of each of
    ``busy`` answered it as a proxy busy or failing (502, 503, 504, 408 or 429: another try may get
    through): no mirror was reached. Where both failed, one advice says both, each fix once;
    ``again=False`` leaves out "try again later", where the advice before it says so."""
    settings, _ = _proxy_settings([*refused, *busy])
    names = " and ".join(dict.fromkeys(_mask_proxy(p) for p in settings.values() if p))
    proxy = f"the proxy {names}" if names else "a proxy on the network"
    what: list[str] = []
    fixes: list[str] = []
    if busy and again:
        fixes.append("try again later")
    if refused:
        what.append(
            "refused to open a tunnel to the mirror (its answer to the https request's CONNECT)"
        )
        fixes.append("check that it lets https through")
    if busy:  # beside a refused one, the request named once
        whose = "another's tunnel" if refused else "the https request's tunnel (CONNECT)"
        what.append(f"answered {whose} as busy or failing")
    fixes.append(f"correct {' and '.join(settings)}")
    return (
        f"{proxy} {' and '.join(what)}, so no mirror was reached: {', '.join(fixes)}, or name the "
        "mirror's host in no_proxy, or "
    )


def failure_reason(exc: BaseException, timeout: float) -> str:
    """Return a short description of why one mirror failed, any password in a URL or in a proxy
    setting it quotes masked."""
    # urllib's refusal of a redirect quotes the whole target URL, a login included, and its
    # refusal of a proxy setting the setting ('proxy URL with no authority: 'http:/me:pw@...'')
    text = _reason(exc, timeout)
    for variable, proxy in urllib.request.getproxies().items():
        if variable != "no" and proxy and proxy in text:
            text = text.replace(proxy, _mask_proxy(proxy))
    return mask_passwords(text)


def proxy_malformed(exc: BaseException) -> bool:
    """Whether ``exc`` is urllib's refusal of a proxy setting that is no URL it can read
    (``http:/me:pw@host:3128``: one ``/``), before any request was sent."""
    return isinstance(exc, ValueError) and str(exc).startswith(_NO_AUTHORITY)


def malformed_proxy_fix(urls: list[str]) -> str:
    """Return the advice where the proxy setting of each of ``urls`` is one urllib refuses
    (:func:`proxy_malformed`): nothing was sent, and the setting is to be written again."""
    settings, _ = _proxy_settings(urls)
    shown = " and ".join(f"{v}={_mask_proxy(p)!r}" for v, p in settings.items() if p)
    verb = "are not valid proxy URLs" if " and " in shown else "is not a valid proxy URL"
    return (
        f"{shown} {verb} (the host must follow //), so no request was sent: write it as "
        "http://USER:PASS@HOST:PORT, or "
    )


def _reason(exc: BaseException, timeout: float) -> str:
    """Return :func:`failure_reason`'s description before masking."""
    if isinstance(exc, RedirectError):  # the mirror answered: name the server that failed
        return f"redirected to {exc.url}: {_reason(exc.error, timeout)}"
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    # a TimeoutError here came before the headers were in (one in the body says "stalled")
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return f"no answer within {timeout:g} s (timed out)"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, http.client.IncompleteRead):
        return f"the connection closed after {len(exc.partial)} bytes (truncated)"
    # its text is the line received (RemoteDisconnected, an empty one, is a ConnectionResetError)
    if isinstance(exc, http.client.BadStatusLine) and not isinstance(exc, ConnectionError):
        line = " ".join(str(exc.args[0] if exc.args else "").split())
        return f"answered with something that is not HTTP ({line[:40]!r})"
    return " ".join(str(exc).split()) or type(exc).__name__
