"""How far a mirror's failure got, and the fix for the most telling of a file's failures (D2L §3.5.1).

:func:`reached` ranks one mirror's failure, from its connection refused (a host reached, with
nothing listening on the port), then no network, a certificate not trusted, a server that
answered an https request in plain HTTP, up to a proxy setting urllib refuses
(``http:/host:3128``), a proxy that refused the tunnel or asked
for a login (HTTP 407), a captive portal's HTTP 511 (a network to log in to), a redirect to a
host not reached there (the target named, to be corrected), a mirror that
answered with something else, up to one that began to send the file and did not finish, which
another try may get; :func:`fix_head` gives the advice for the most telling of them (where some
mirrors had no file and others may send it on another try, both, by name), to be followed by the
ways to the files offline (:data:`OFFLINE_WAYS`). Used by :mod:`linearnets.data.mirror_order`.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.parse

from linearnets._text import and_list
from linearnets.data.http_deadline import RedirectError, SilentError, StalledError, UnfinishedError
from linearnets.data.mirror_reasons import (
    certificate_failed,
    handshake_cut,
    malformed_proxy_fix,
    mask_passwords,
    not_tls,
    proxy_for,
    proxy_login_fix,
    proxy_malformed,
    tunnel_fix,
    tunnel_status,
)
from linearnets.errors import DatasetError

__all__ = [
    "ANSWERED_FIX",
    "CERTIFICATE_FIX",
    "INSTALL_PACKAGE",
    "NOT_TLS_FIX",
    "NO_NETWORK_FIX",
    "OFFLINE_WAYS",
    "PORTAL_FIX",
    "PROXY_LOGIN",
    "REFUSED_FIX",
    "STALLED_FIX",
    "UNFINISHED_FIX",
    "failed_at",
    "failed_url",
    "fix_head",
    "host_not_found",
    "outranked_proxy_fixes",
    "proxy_advised",
    "reached",
    "redirect_fix",
    "redirected_to",
    "unknown_hosts_fix",
]

# the first of the ways offline, where the package is not installed (see mirror_order._offline_ways)
INSTALL_PACKAGE = "install the Debian package ('sudo apt-get install dataset-fashion-mnist')"
OFFLINE_WAYS = (
    f"{INSTALL_PACKAGE}, or copy the four files (*-ubyte.gz) from a machine that has them into a "
    "folder and pass root=DIR (or set LINEARNETS_DATA)"
)
# the advice for the most telling failure, from no answer up to an answer that was wrong, then one
# that may come right on another try; up to the ways to the files offline that end it (see
# mirror_order._offline_ways)
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
    # a TLS handshake answered with no TLS (WRONG_VERSION_NUMBER): the host reached, and something
    # other than https on that port, most often plain HTTP
    "a mirror's host answered an https:// request, but not in TLS (it serves plain HTTP on that "
    "port, or another protocol): pass it as http://, or with the port that serves https, or ",
    # a proxy setting urllib refuses (http:/host:3128): no request sent. The advice names the
    # setting (mirror_reasons.malformed_proxy_fix)
    "",
    # a proxy that would not open an https request's tunnel (CONNECT): the mirror not reached.
    # The proxy's own advice names it (mirror_reasons.tunnel_fix)
    "",
    # HTTP 407 from the proxy, to a request or a CONNECT: its login is missing or wrong, and the
    # mirror not reached (mirror_reasons.proxy_login_fix)
    "",
    # a proxy busy or failing (502, 503, 504, ...) to an https request's CONNECT: the proxy
    # answered, not a mirror; another try may get through (mirror_reasons.tunnel_busy_fix).
    # Below a mirror's answer, whose fix it follows (see outranked_proxy_fixes)
    "",
    # HTTP 511: a captive portal (hotel, airport or campus Wi-Fi) answered for the mirror, and
    # would for any other (it also fails https's certificates): the network is not reached yet
    "the network asks for a login before it lets requests out (HTTP 511 Network Authentication "
    "Required, from a captive portal, as on hotel or campus Wi-Fi): open a web page in a browser, "
    "log in to the network, then try again, or ",
    # a mirror that redirected to a host not reached there (its name not found, its port refused,
    # no TLS on an https port): the mirror answered, so the network works, and the fix is the
    # target's, by name (redirect_fix)
    "",
    # when some mirror answered: the network works, and "without a network" would mislead
    "a mirror answered, so the network works, but not with the file: pass mirrors that serve "
    "Fashion-MNIST's original files, or ",
    # an answer that began well and did not finish (stalled, cut short), or a server busy or
    # failing (HTTP 5xx, 429, 408): the file may be the right one, and another try may get it
    "a mirror answered, so the network works, but did not send the whole file (a transfer "
    "stalled or cut short, or a server busy or failing): try again later or pass other mirrors, "
    "or ",
)
# reached's answers: indexes into _FIX_HEADS, the most telling last
(
    _REFUSED,
    _NONE,
    _STALLED,
    _CERTIFICATE,
    _NOT_TLS,
    _MALFORMED,
    _TUNNEL,
    PROXY_LOGIN,
    _PROXY_BUSY,
    _PORTAL,
    _REDIRECTED,
    _ANSWERED,
    _UNFINISHED,
) = range(len(_FIX_HEADS))
# the advice where the Debian package is not installed here (a proxy's names the proxy)
(
    REFUSED_FIX,
    NO_NETWORK_FIX,
    STALLED_FIX,
    CERTIFICATE_FIX,
    NOT_TLS_FIX,
    _,
    _,
    _,
    _,
    PORTAL_FIX,
    _,
    ANSWERED_FIX,
    UNFINISHED_FIX,
) = (head + OFFLINE_WAYS for head in _FIX_HEADS)
# statuses of a server that may answer another try with the file: a request timeout, too many
# requests, and any 5xx (a server error, or one busy: 503)
_TRY_AGAIN_STATUSES = frozenset({408, 429, *range(500, 600)})
# getaddrinfo's "Name or service not known" (and "No address associated with hostname"): the
# resolver answered that the host does not exist; no network is EAI_AGAIN
_NO_SUCH_NAME = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)
# HTTP 511 Network Authentication Required: a captive portal's, not the mirror's (RFC 6585)
_NETWORK_LOGIN = 511
# HTTP 407 Proxy Authentication Required: the proxy's, not the mirror's
_PROXY_AUTHENTICATION = 407
# HTTP 501 Not Implemented to a CONNECT: a proxy that opens no tunnel, not one busy or failing
_NO_CONNECT = 501
# the failures whose advice is the proxy's own (it names the proxy and the setting to correct)
_PROXYS_OWN = (_MALFORMED, _TUNNEL, PROXY_LOGIN, _PROXY_BUSY)
# the advice of a setting urllib refuses and of a 407 (mirror_reasons); a refused and a busy
# tunnel share one (tunnel_fix: each fix said once)
_PROXY_FIXES = {_MALFORMED: malformed_proxy_fix, PROXY_LOGIN: proxy_login_fix}


def fix_head(failed: list[tuple[int, str]]) -> str:
    """Return the advice for the mirrors that failed, ``failed`` each one's kind of failure (see
    :func:`reached`) and base URL, in the order tried: the most telling kind's advice; where some
    mirrors answered without the file and others may send it on another try, both, by name
    (one fix alone sends away the mirror the other fits); a mirror that refused the connection
    beside another kind of failure, by name (:func:`_refused_fix`)."""
    return _refused_fix(_top_fix(failed), failed)


def _refused_fix(head: str, failed: list[tuple[int, str]]) -> str:
    """Return the advice ``head`` for ``failed`` (see :func:`fix_head`) naming the mirrors asked
    directly that refused the connection, where another kind of failure outranks theirs: its
    advice alone ("try again later or pass other mirrors") said nothing of a mistyped port."""
    refused = [m for kind, m in failed if kind == _REFUSED and not proxy_for(m)]
    if not refused or max(kind for kind, _ in failed) == _REFUSED:
        return head
    which, its = ("the mirror", "its") if len(refused) == 1 else ("the mirrors", "each one's")
    said = (
        f"{which} {and_list(list(dict.fromkeys(refused)))} refused the connection (the host was "
        f"reached, but nothing listens on that port, or a firewall refuses it): check {its} host "
        "and port"
    )
    if head.endswith(", or "):  # after the advice for the most telling failure
        return f"{head.removesuffix(', or ')}; {said}, or "
    return f"{said}; {head}"


def _top_fix(failed: list[tuple[int, str]]) -> str:
    """Return :func:`fix_head`'s advice for ``failed`` but a refused mirror's name."""
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
        if top in _PROXYS_OWN:  # the proxy named, with the setting to change
            return _proxy_fix(top, failed, again=True)
        if top == _REDIRECTED:  # where each redirect led, and why it was not reached
            return redirect_fix([mirror for kind, mirror in failed if kind == _REDIRECTED])
        return _FIX_HEADS[top]
    return (
        "a mirror answered, so the network works, but none sent the file: "
        f"{and_list(answered)} answered with something else (pass mirrors that serve "
        f"Fashion-MNIST's original files instead), and {and_list(later)} did not send the whole "
        "file (a transfer stalled or cut short, a server busy or failing, or no answer in time): "
        "try again later, or "
    )


def _proxy_fix(kind: int, failed: list[tuple[int, str]], *, again: bool) -> str:
    """Return the advice of the proxy's failures of ``kind`` in ``failed`` (see :func:`fix_head`),
    a busy tunnel's with a refused one's (and ``again``: "try again later", see
    :func:`~linearnets.data.mirror_reasons.tunnel_fix`)."""
    if kind in (_TUNNEL, _PROXY_BUSY):
        tunnels = {k: [mirror for k2, mirror in failed if k2 == k] for k in (_TUNNEL, _PROXY_BUSY)}
        return tunnel_fix(tunnels[_TUNNEL], tunnels[_PROXY_BUSY], again=again)
    return _PROXY_FIXES[kind]([mirror for k, mirror in failed if k == kind])


def _says_try_again(failed: list[tuple[int, str]]) -> bool:
    """Whether :func:`fix_head`'s advice for ``failed`` says "try again later" (a transfer that
    stalled or did not finish is the most telling, or beside a mirror's answer)."""
    kinds = {kind for kind, _ in failed}
    later = bool(kinds & {_STALLED, _UNFINISHED})
    return max(kinds) in (_STALLED, _UNFINISHED) or (later and _ANSWERED in kinds)


def _through_proxies(failed: list[tuple[int, str]]) -> bool:
    """Whether every mirror in ``failed`` (see :func:`fix_head`) was asked through a proxy."""
    return all(proxy_for(mirror) for _, mirror in failed)


def outranked_proxy_fixes(failed: list[tuple[int, str]]) -> str:
    """Return the advice of each proxy's failure in ``failed`` (see :func:`fix_head`) that another
    kind outranks (a 407 or a busy tunnel beside a mirror's 404), each after ``"; "``, to follow
    :func:`fix_head`'s: its own advice would not be given; ``""`` where there is none. A refused
    and a busy tunnel share one advice, and none repeats "try again later" said before it."""
    top = max(kind for kind, _ in failed)
    kinds = {kind for kind, _ in failed if kind in _PROXYS_OWN and kind != top}
    if top == _PROXY_BUSY:
        kinds.discard(_TUNNEL)  # said with the busy tunnel's, at the head
    if {_TUNNEL, _PROXY_BUSY} <= kinds:
        kinds.discard(_PROXY_BUSY)  # one advice for both
    again = not _says_try_again(failed)
    return "".join(
        f"; {_proxy_fix(kind, failed, again=again).removesuffix(', or ')}" for kind in sorted(kinds)
    )


def proxy_advised(failed: list[tuple[int, str]]) -> bool:
    """Whether :func:`fix_head`'s advice is the proxy's own (it says what to correct)."""
    top = max(kind for kind, _ in failed)
    return top in _PROXYS_OWN or (top == _REFUSED and _through_proxies(failed))


def failed_at(exc: BaseException, mirror: str, url: str) -> tuple[int, str]:
    """Return how far the failure ``exc`` of ``url``, from ``mirror``, got (:func:`reached`) and
    what to name for it in ``failed`` (see :func:`fix_head`): the mirror; for a proxy's own
    failure, the URL that went through that proxy: after a redirect, where it led (an http
    mirror's redirect to https goes through https_proxy, not http_proxy); for a redirect to a host
    not reached, the mirror, where it led and why (:func:`redirected_to`)."""
    kind = reached(exc)
    if kind in _PROXYS_OWN:
        return kind, failed_url(exc, url)
    if kind == _REDIRECTED and isinstance(exc, RedirectError):
        return kind, redirected_to(mirror, exc)
    return kind, mirror


def redirected_to(mirror: str, exc: RedirectError) -> str:
    """Return ``"MIRROR redirected to FOLDER, which WHY"`` for a redirect of ``mirror`` whose
    target was not reached (``exc.error``): the folder of the URL it led to (what to pass as the
    mirror, corrected) and why that host was not reached, logins masked."""
    folder = exc.url.rpartition("/")[0] + "/" if exc.url.endswith(".gz") else exc.url
    error = exc.error
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if reached(error) == _REFUSED:
        why = "refused the connection (nothing listens on that port)"
    elif not_tls(error):
        why = "did not answer its https:// request in TLS (it serves plain HTTP on that port)"
    elif isinstance(reason, socket.gaierror):
        why = "has a host name that was not found"
    else:
        why = "could not be reached"
    return mask_passwords(f"{mirror} redirected to {folder}, which {why}")


def redirect_fix(redirects: list[str]) -> str:
    """Return the advice where each mirror of ``redirects`` (:func:`redirected_to`'s texts)
    redirected to a host not reached: the mirror answered, so the network works; the target is to
    be corrected (or another mirror passed)."""
    urls = "that URL" if len(redirects) == 1 else "one of those URLs"
    return (
        f"the mirror {and_list(list(dict.fromkeys(redirects)))}: pass another mirror, or {urls}, "
        "corrected, as the mirror, or "
    )


def host_not_found(exc: BaseException, url: str) -> bool:
    """Whether ``url`` failed with ``exc`` because its own host name does not exist (EAI_NONAME:
    the resolver answered, not "Temporary failure in name resolution", which is no network), not
    a proxy's name (one applies to ``url``) nor where a redirect led (see :func:`redirected_to`)."""
    if isinstance(exc, RedirectError) or proxy_for(url):
        return False
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, socket.gaierror) and reason.errno in _NO_SUCH_NAME


def unknown_hosts_fix(head: str, mirrors: list[str]) -> str:
    """Return :func:`fix_head`'s advice ``head`` saying that the host names of ``mirrors`` (see
    :func:`host_not_found`) were not found, and to check their spelling: "without a network" alone
    hid a mistyped host, and beside another mirror's failure (a 503) nothing was said of it."""
    hosts = list(dict.fromkeys(urllib.parse.urlsplit(m).hostname or m for m in mirrors))
    names, was = ("the host name", "was") if len(hosts) == 1 else ("the host names", "were")
    which = "the mirror" if len(mirrors) == 1 else "the mirrors"
    said = (
        f"{names} {and_list(hosts)} {was} not found: check the spelling of {which} "
        f"{and_list(mirrors)}"
    )
    none = _FIX_HEADS[_NONE]
    if head.endswith(none):  # no mirror got further (a refused one named first): a typo, or none
        before = head.removesuffix(none).removesuffix("; ")
        return f"{said}; {before}, or, {none}" if before else f"{said}, or, {none}"
    if head.endswith(", or "):  # after the advice for the most telling failure
        return f"{head.removesuffix(', or ')}; {said}, or "
    return f"{said}; {head}"


def failed_url(exc: BaseException, url: str) -> str:
    """Return the URL whose request failed with ``exc``: ``url``, or where its redirect led."""
    return exc.url if isinstance(exc, RedirectError) else url


def reached(exc: BaseException) -> int:
    """Say how far a mirror's failure ``exc`` got, as an index into :data:`_FIX_HEADS`:
    12 an answer that did not finish (a body stalled, too slow or cut short, the status of a
    server busy or failing: 5xx, 429, 408; also where a redirect led), 11 an answer that was not
    the file (another HTTP error status, 404 or 410, a reply that is no HTTP, a redirect refused,
    a file that fails the check: the network works), 10 a redirect to a host not reached there (its
    name not found, its port refused, no TLS on an https port: the mirror answered, the target is
    to be corrected), 9 HTTP 511 (a captive portal: the network asks for a login), 8 a proxy that
    answered an https request's tunnel (CONNECT) as one busy or failing (502, 503, 504, 408 or
    429: try again, the proxy named, as no mirror answered), 7 HTTP 407 (the proxy asks for its
    login), 6 a proxy that refused an https request's tunnel (CONNECT) with another status, 5 a
    proxy setting urllib refuses (``http:/host:3128``: no request sent), 4 a TLS handshake
    answered with no TLS (plain HTTP on an https:// URL's port), 3 a certificate not trusted, 2
    stalled, silent or hung up before its headers (the connection taken; closed in the TLS
    handshake, too), 1 none (a name not found, a network unreachable, a connection timed out), 0
    the connection refused (a host reached, nothing listening on the port: no network failed),
    told apart only where every mirror was refused. After a redirect, a certificate not trusted
    where it led, a 511 and a proxy's failure there are ranked as if asked directly (the target is
    what is fetched); a stall there is 12, the rest 11.

    12 and 2 (try again later, or other mirrors) with 11 name both, by mirror (see
    :func:`fix_head`): 11's fix alone would send away a mirror that may serve the file next time.
    A proxy's failure (5 to 8) that another outranks has its advice said after that one's
    (:func:`outranked_proxy_fixes`)."""
    if isinstance(exc, RedirectError):  # the mirror answered with a redirect; where it led:
        # stalled or unfinished there may come right on another try; a host not reached there
        # (its name not found, its port refused, no TLS) is the target's fault, told by name; an
        # untrusted certificate there gets the advice it would get asked directly (the reason
        # says "redirected to URL"); else an answer, not the file
        there = reached(exc.error)
        if there in (_REFUSED, _NONE, _NOT_TLS):  # the mirror answered: the target is at fault
            return _REDIRECTED
        if there in (_CERTIFICATE, _PORTAL, *_PROXYS_OWN):
            return there  # a 511 or a proxy's, too: not the mirror's
        return _UNFINISHED if there in (_STALLED, _UNFINISHED) else _ANSWERED
    reason = getattr(exc, "reason", None)
    # a reset (RST) or close before any header: the connection was taken (one refused is a
    # ConnectionRefusedError); it got "without a network", or (closed) "a mirror answered"
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError) or isinstance(
        reason, ConnectionResetError | ConnectionAbortedError
    ):
        return _STALLED
    if handshake_cut(exc):  # closed in the TLS handshake: taken, and hung up before any answer
        return _STALLED
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code == _NETWORK_LOGIN:  # not the mirror's answer: the network's own
            return _PORTAL
        if exc.code == _PROXY_AUTHENTICATION:  # the proxy's, to a plain http request
            return PROXY_LOGIN
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
    if proxy_malformed(exc):  # a proxy setting urllib cannot read: nothing sent
        return _MALFORMED
    tunnel = tunnel_status(exc)  # the proxy's answer to an https request's CONNECT
    if tunnel is not None:
        if tunnel in _TRY_AGAIN_STATUSES and tunnel != _NO_CONNECT:  # busy or failing: try again
            return _PROXY_BUSY
        return {_PROXY_AUTHENTICATION: PROXY_LOGIN, _NETWORK_LOGIN: _PORTAL}.get(tunnel, _TUNNEL)
    if not_tls(exc):  # the host answered, in plain HTTP most often: the network works
        return _NOT_TLS
    return _CERTIFICATE if certificate_failed(exc) else _NONE
