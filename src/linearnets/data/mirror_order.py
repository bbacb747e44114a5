"""Downloading each file from the first mirror that serves it intact, the last good mirror first.

:mod:`linearnets.data.fetch` moves one file from one mirror into place, verified and atomically;
this module tries the mirrors in turn for each file, and when every one fails says each mirror's
failure and the fix for the most telling one (from every mirror's connection refused (a host
reached, with nothing listening on the port), then no network, up to a proxy that refused the
tunnel or asked for a login (HTTP 407), and a captive portal's HTTP 511 (a network to log in to),
a mirror that answered with something else, up to one that began to
send the file and did not finish, which another try may get); where some mirrors had no file and
others may send it on another try, both, by name. A failure on this machine (a full disk, a folder where a file goes) stops at once:
no other mirror can fix it. Used by :mod:`linearnets.data.download`.
"""

from __future__ import annotations

import http.client
import urllib.error
from collections.abc import Sequence
from pathlib import Path

from linearnets._fs import fsync_dir
from linearnets._text import and_list, shown_path
from linearnets.data import files
from linearnets.data.fetch import LocalFileError, try_mirror
from linearnets.data.folder_contents import current_file
from linearnets.data.http_deadline import RedirectError, SilentError, StalledError, UnfinishedError
from linearnets.data.mirror_reasons import (
    certificate_failed,
    failure_reason,
    proxy_for,
    proxy_login_fix,
    tunnel_fix,
    tunnel_status,
)
from linearnets.errors import DatasetError

__all__ = [
    "ANSWERED_FIX",
    "CERTIFICATE_FIX",
    "NO_NETWORK_FIX",
    "PORTAL_FIX",
    "REFUSED_FIX",
    "STALLED_FIX",
    "UNFINISHED_FIX",
    "download_needed",
    "download_one",
]

_OFFLINE_WAYS = (
    "install the Debian package ('sudo apt-get install dataset-fashion-mnist'), or copy the four "
    "files (*-ubyte.gz) from a machine that has them into a folder and pass root=DIR (or set "
    "LINEARNETS_DATA)"
)
# the advice for the most telling failure, from no answer up to an answer that was wrong, then one
# that may come right on another try; up to the ways to the files offline that end it (see
# _offline_ways)
_FIX_HEADS = (
    # every connection refused (a TCP reset to the SYN): each host was reached, and nothing
    # listens on the port (or a firewall refuses it); one failure of another kind outranks it
    "every mirror's host refused the connection (the host was reached, but nothing listens on that "
    "port, or a firewall refuses it): check each mirror's host and port, or ",
    "without a network, ",
    # took the connection, then no (complete) headers in time, or hung up before them: reached,
    # but not answering
    "a mirror took the connection but sent no answer (it stalled or hung up): try again later or "
    "pass other mirrors, or ",
    # a TLS handshake that failed on the mirror's certificate: reached, but not trusted
    "a mirror's certificate could not be verified: if a proxy or your organisation's own "
    "certificate authority signs it, point SSL_CERT_FILE at that bundle of certificates, or ",
    # a proxy that would not open an https request's tunnel (CONNECT): the mirror not reached.
    # The proxy's own advice names it (mirror_reasons.tunnel_fix)
    "",
    # HTTP 407 from the proxy, to a request or a CONNECT: its login is missing or wrong, and the
    # mirror not reached (mirror_reasons.proxy_login_fix)
    "",
    # HTTP 511: a captive portal (hotel, airport or campus Wi-Fi) answered for the mirror, and
    # would for any other (it also fails https's certificates): the network is not reached yet
    "the network asks for a login before it lets requests out (HTTP 511 Network Authentication "
    "Required, from a captive portal, as on hotel or campus Wi-Fi): open a web page in a browser, "
    "log in to the network, then try again, or ",
    # when some mirror answered: the network works, and "without a network" would mislead
    "a mirror answered, so the network works, but not with the file: pass mirrors that serve "
    "Fashion-MNIST's original files, or ",
    # an answer that began well and did not finish (stalled, cut short), or a server busy or
    # failing (HTTP 5xx, 429, 408): the file may be the right one, and another try may get it
    "a mirror answered, so the network works, but did not send the whole file (a transfer "
    "stalled or cut short, or a server busy or failing): try again later or pass other mirrors, "
    "or ",
)
# _reached's answers: indexes into _FIX_HEADS, the most telling last
(
    _REFUSED,
    _NONE,
    _STALLED,
    _CERTIFICATE,
    _TUNNEL,
    _PROXY_LOGIN,
    _PORTAL,
    _ANSWERED,
    _UNFINISHED,
) = range(len(_FIX_HEADS))
# the advice where the Debian package is not installed here (a proxy's names the proxy)
(
    REFUSED_FIX,
    NO_NETWORK_FIX,
    STALLED_FIX,
    CERTIFICATE_FIX,
    _,
    _,
    PORTAL_FIX,
    ANSWERED_FIX,
    UNFINISHED_FIX,
) = (head + _OFFLINE_WAYS for head in _FIX_HEADS)
# statuses of a server that may answer another try with the file: a request timeout, too many
# requests, and any 5xx (a server error, or one busy: 503)
_TRY_AGAIN_STATUSES = frozenset({408, 429, *range(500, 600)})
# HTTP 511 Network Authentication Required: a captive portal's, not the mirror's (RFC 6585)
_NETWORK_LOGIN = 511
# HTTP 407 Proxy Authentication Required: the proxy's, not the mirror's
_PROXY_AUTHENTICATION = 407
# HTTP 501 Not Implemented to a CONNECT: a proxy that opens no tunnel, not one busy or failing
_NO_CONNECT = 501


def _fix_head(failed: list[tuple[int, str]]) -> str:
    """Return the advice for the mirrors that failed, ``failed`` each one's kind of failure (see
    :func:`_reached`) and base URL, in the order tried: the most telling kind's advice; where some
    mirrors answered without the file and others may send it on another try, both, by name
    (one fix alone sends away the mirror the other fits)."""
    answered = [mirror for kind, mirror in failed if kind == _ANSWERED]
    later = [mirror for kind, mirror in failed if kind in (_STALLED, _UNFINISHED)]
    if not answered or not later:
        top = max(kind for kind, _ in failed)
        if top == _REFUSED and _through_proxies(failed):  # the proxy's port, not the mirrors'
            proxies = dict.fromkeys(proxy_for(mirror) or "" for _, mirror in failed)
            return (
                f"the proxy {and_list(list(proxies))} refused the "
                "connection (nothing listens on that port): correct http_proxy / https_proxy, or "
                "name the mirror's host in no_proxy, or "
            )
        if top in (_TUNNEL, _PROXY_LOGIN):  # the proxy named, with the setting to change
            fix = proxy_login_fix if top == _PROXY_LOGIN else tunnel_fix
            return fix([mirror for kind, mirror in failed if kind == top])
        return _FIX_HEADS[top]
    return (
        "a mirror answered, so the network works, but none sent the file: "
        f"{and_list(answered)} answered with something else (pass mirrors that serve "
        f"Fashion-MNIST's original files instead), and {and_list(later)} did not send the whole "
        "file (a transfer stalled or cut short, a server busy or failing, or no answer in time): "
        "try again later, or "
    )


def _through_proxies(failed: list[tuple[int, str]]) -> bool:
    """Whether every mirror in ``failed`` (see :func:`_fix_head`) was asked through a proxy."""
    return all(proxy_for(mirror) for _, mirror in failed)


def _proxy_advised(failed: list[tuple[int, str]]) -> bool:
    """Whether :func:`_fix_head`'s advice is the proxy's own (it says what to correct)."""
    top = max(kind for kind, _ in failed)
    return top in (_TUNNEL, _PROXY_LOGIN) or (top == _REFUSED and _through_proxies(failed))


def _offline_ways(name: str, expected: tuple[int, str], dest: Path) -> str:
    """Return how to get the file ``name`` without a download: where the Debian package is installed
    here and holds it, from there (installing it again, or from another machine, would not help)."""
    installed = files.installed_copy({name: expected})
    if installed is None:
        return _OFFLINE_WAYS
    return f"{installed[1]}, or copy the four files (*-ubyte.gz) from there into {shown_path(dest)}"


def _reached(exc: BaseException) -> int:
    """Say how far a mirror's failure ``exc`` got, as an index into :data:`_FIX_HEADS`:
    8 an answer that did not finish (a body stalled, too slow or cut short, the status of a server
    busy or failing: 5xx, 429, 408; also where a redirect led), 7 an answer that was not the file
    (another HTTP error status, 404 or 410, a reply that is no HTTP, a redirect refused, a file
    that fails the check: the network works), 6 HTTP 511 (a captive portal: the network asks for
    a login), 5 HTTP 407 (the proxy asks for its login), 4 a proxy that refused an https
    request's tunnel (CONNECT) with another status (one busy or failing, 502, 503, 504, 408 or
    429, is 8, as the same status to a plain http request is), 3 a certificate not trusted, 2 stalled, silent
    or hung up before its headers (the connection taken), 1 none (a name not found, a network
    unreachable, a connection timed out), 0 the connection refused (a host reached, nothing
    listening on the port: no network failed), told apart only where every mirror was refused.

    8 outranks 7: its fix (try again later, or other mirrors) also fits a mirror without the file,
    and 4's alone would send away a mirror that may serve it next time; where both failed, both
    are named (see :func:`_fix_head`)."""
    if isinstance(exc, RedirectError):  # the mirror answered with a redirect; where it led:
        # stalled or unfinished there may come right on another try; else an answer, not the file
        there = _reached(exc.error)
        if there in (_PORTAL, _PROXY_LOGIN):  # a redirect to a 511 or 407: that login first
            return there
        return _UNFINISHED if there in (_STALLED, _UNFINISHED) else _ANSWERED
    reason = getattr(exc, "reason", None)
    # a reset (RST) or close before any header: the connection was taken (one refused is a
    # ConnectionRefusedError); it got "without a network", or (closed) "a mirror answered"
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError) or isinstance(
        reason, ConnectionResetError | ConnectionAbortedError
    ):
        return _STALLED
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code == _NETWORK_LOGIN:  # not the mirror's answer: the network's own
            return _PORTAL
        if exc.code == _PROXY_AUTHENTICATION:  # the proxy's, to a plain http request
            return _PROXY_LOGIN
        return _UNFINISHED if exc.code in _TRY_AGAIN_STATUSES else _ANSWERED
    if isinstance(exc, UnfinishedError | http.client.IncompleteRead):
        return _UNFINISHED
    if isinstance(exc, http.client.HTTPException):
        return _ANSWERED
    # raised reading the headers (getresponse), which urllib passes on as it is (it wraps only
    # errors sending the request in a URLError); a wrapped one is taken the same way
    if isinstance(exc, StalledError | SilentError) or isinstance(reason, SilentError):
        return _STALLED
    if isinstance(exc, DatasetError):
        return _ANSWERED
    if isinstance(exc, ConnectionRefusedError) or isinstance(reason, ConnectionRefusedError):
        return _REFUSED
    tunnel = tunnel_status(exc)  # the proxy's answer to an https request's CONNECT
    if tunnel is not None:
        if tunnel in _TRY_AGAIN_STATUSES and tunnel != _NO_CONNECT:  # busy or failing, as to http
            return _UNFINISHED
        return {_PROXY_AUTHENTICATION: _PROXY_LOGIN, _NETWORK_LOGIN: _PORTAL}.get(tunnel, _TUNNEL)
    return _CERTIFICATE if certificate_failed(exc) else _NONE


def _proxy_note(url: str) -> str:
    """Return ", through the proxy P" when a proxy setting (``http_proxy``, ...) applies to ``url``."""
    proxy = proxy_for(url)
    return f", through the proxy {proxy}" if proxy else ""


def download_one(
    name: str,
    expected: tuple[int, str],
    dest: Path,
    mirrors: list[str],
    *,
    timeout: float,
    progress: bool,
    made: list[Path],
    defect: str | None = None,
) -> str:
    """Download ``name`` into ``dest`` from the first mirror that serves it intact; return that mirror.

    ``defect`` says why the file present there was rejected, for the error when every mirror fails;
    ``made`` lists the folders to remove if the download fails (see :func:`try_mirror`).
    """
    failures = []
    failed: list[tuple[int, str]] = []  # each mirror's kind of failure (see _reached)
    proxied = False
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{name}.gz"
        try:
            try_mirror(url, name, expected, dest, timeout=timeout, progress=progress, made=made)
        except LocalFileError:
            raise  # this machine's problem (a full disk, a folder in the way): no mirror can help
        except (OSError, http.client.HTTPException, DatasetError, ValueError) as exc:
            note = _proxy_note(url)
            failures.append(f"{url}: {failure_reason(exc, timeout)}{note}")
            failed.append((_reached(exc), mirror))
            proxied = proxied or bool(note)
            continue
        fsync_dir(dest)
        return mirror
    why = f"; it was needed because the file there was rejected: {defect}" if defect else ""
    head = _fix_head(failed)
    logins = [mirror for kind, mirror in failed if kind == _PROXY_LOGIN]
    if logins and max(kind for kind, _ in failed) != _PROXY_LOGIN:  # outranked: said after
        proxy = f"; {proxy_login_fix(logins).removesuffix(', or ')}"
    elif proxied and not _proxy_advised(failed):
        proxy = (
            "; if the proxy is what failed, correct http_proxy / https_proxy, or name the "
            "mirror's host in no_proxy"
        )
    else:
        proxy = ""  # the proxy's own advice says what to correct
    raise DatasetError(
        f"could not download {name}.gz from any mirror ({'; '.join(failures)}){why}; "
        f"{head}{_offline_ways(name, expected, dest)}{proxy}"
    )


def download_needed(
    dest: Path,
    names: dict[str, tuple[int, str]],
    needed: dict[str, str | None],
    mirrors: Sequence[str],
    *,
    timeout: float,
    progress: bool,
    made: list[Path],
    done: list[str] | None = None,
) -> None:
    """Download each file in ``needed`` (missing or rejected) into ``dest``, the last good mirror
    first; ``made`` lists the folders to remove if it fails (see :func:`try_mirror`), and each
    file's name is added to ``done`` once it is in place, verified."""
    order = list(mirrors)
    for name, defect in needed.items():
        current = current_file(dest, name)
        good = download_one(
            name,
            names[name],
            dest,
            order,
            timeout=timeout,
            progress=progress,
            made=made,
            defect=defect,
        )
        if current is not None and current.name == name:
            current.unlink()  # a corrupt plain file would shadow the new .gz
        if done is not None:
            done.append(name)
        order.remove(good)
        order.insert(0, good)
