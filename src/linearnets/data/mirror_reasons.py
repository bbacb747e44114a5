"""Why a mirror failed, in a few words, and URLs shown without their logins (D2L §3.5.1).

:func:`failure_reason` turns what urllib, http.client or the transfer raised into a short reason
(``HTTP 404 Not Found``, ``no answer within 30 s (timed out)``, ``redirected to URL: ...``);
:func:`mask_passwords` replaces the login of every URL in a text with ``***``, so no message
prints a token or a password; :func:`mask_login` that of one URL, with a scheme or without. Used by :mod:`linearnets.data.fetch` and
:mod:`linearnets.data.mirror_order`.
"""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.parse
import urllib.request

from linearnets.data.http_deadline import RedirectError

__all__ = ["certificate_failed", "failure_reason", "mask_login", "mask_passwords", "proxy_for"]

_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)(\S*)")
_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*://")
# a Windows path given as a mirror (a drive, C:\ or C:/, or a share, \\server): no login in it
_WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/]|\\\\")


def mask_passwords(text: str) -> str:
    """Return ``text`` with the login (user name and password) of every URL in it replaced by
    ``***``: a user name alone is often a token (``https://TOKEN@host/``), and a password typed
    with an unencoded ``/``, ``?`` or ``#`` (``http://me:se/cret@host/``) is masked whole."""

    def masked(url: re.Match[str]) -> str:
        end = _login_end(url[2])
        return url[0] if end < 0 else f"{url[1]}***{url[2][end:]}"

    return _URL.sub(masked, text)


def mask_login(url: str) -> str:
    """Return the one URL ``url``, with a scheme or without (``me:pw@host/``), with its login
    replaced by ``***``: all before the ``@`` of its host (before its first ``/``, ``?`` or
    ``#``), blanks and quotes included, where :func:`mask_passwords`, finding URLs in a text,
    stops at a blank; and any URL after it (``?next=http://me:pw@host/``) masked too."""
    scheme = _SCHEME.match(url)
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


def proxy_for(url: str) -> str | None:
    """Return the proxy urllib sends ``url`` through (from ``http_proxy``, ``https_proxy``, ...,
    unless ``no_proxy`` names the host), its login masked; ``None`` for a direct connection."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return mask_passwords(proxy)


def failure_reason(exc: BaseException, timeout: float) -> str:
    """Return a short description of why one mirror failed, any password in a URL masked."""
    # urllib's refusal of a redirect quotes the whole target URL, a login included
    return mask_passwords(_reason(exc, timeout))


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
