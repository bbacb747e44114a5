"""Downloading each file from the first mirror that serves it intact, the last good mirror first.

:mod:`linearnets.data.fetch` moves one file from one mirror into place, verified and atomically;
this module tries the mirrors in turn for each file, and when every one fails says each mirror's
failure and the fix for the most telling one (ranked by :mod:`linearnets.data.mirror_ranks`),
then the ways to the file offline, and the files fetched before it, which stay (another try
fetches only the others). A failure on this machine (a full disk, a folder where a file
goes) stops at once: no other mirror can fix it. Used by :mod:`linearnets.data.download`.
"""

from __future__ import annotations

import http.client
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from linearnets._fs import fsync_dir
from linearnets._text import shown_path
from linearnets.data import files
from linearnets.data.fetch import LocalFileError, try_mirror
from linearnets.data.folder_contents import FASHION_MNIST_FILES, current_file, files_in
from linearnets.data.mirror_ranks import (
    ANSWERED_FIX,
    CERTIFICATE_FIX,
    INSTALL_PACKAGE,
    NO_NETWORK_FIX,
    NOT_TLS_FIX,
    OFFLINE_WAYS,
    PORTAL_FIX,
    REFUSED_FIX,
    STALLED_FIX,
    UNFINISHED_FIX,
    failed_at,
    failed_url,
    fix_head,
    host_not_found,
    outranked_proxy_fixes,
    proxy_advised,
    unknown_hosts_fix,
)
from linearnets.data.mirror_reasons import failure_reason, proxy_for
from linearnets.data.mirrors import DEFAULT_MIRRORS
from linearnets.errors import DatasetError

__all__ = [  # the fixes, importable from here as before the ranking moved out
    "ANSWERED_FIX",
    "CERTIFICATE_FIX",
    "NOT_TLS_FIX",
    "NO_NETWORK_FIX",
    "PORTAL_FIX",
    "REFUSED_FIX",
    "STALLED_FIX",
    "UNFINISHED_FIX",
    "download_needed",
    "download_one",
]


def _offline_ways(name: str, expected: tuple[int, str], dest: Path) -> str:
    """Return how to get the file ``name`` without a download: where the Debian package is installed
    here and holds it, from there (installing it again, or from another machine, would not help);
    where it is installed but any of its four files is gone (``name`` or another: no copy of the
    four to read or copy), its reinstall, naming them (a plain install does nothing). A package
    folder that dpkg does not list (copied into an image) and that lacks any of the four is no
    copy to read either: the ways without it."""
    gone = files.package_files_gone()
    if gone is not None:
        return OFFLINE_WAYS.replace(INSTALL_PACKAGE, gone)
    installed = files.installed_copy({name: expected})
    held = None if installed is None else files_in(installed[0], FASHION_MNIST_FILES)
    if installed is None or held is None:  # the four in either layout, or no copy
        return OFFLINE_WAYS
    # from the folder that holds them: its FashionMNIST/raw where they are there
    source = "there" if held[name].parent == installed[0] else shown_path(held[name].parent)
    return (
        f"{installed[1]}, or copy the four files (*-ubyte.gz) from {source} into {shown_path(dest)}"
    )


def _proxy_note(url: str) -> str:
    """Return ", through the proxy P" when a proxy setting (``http_proxy``, ...) applies to ``url``
    (the URL that failed: after a redirect, where it led)."""
    proxy = proxy_for(url)
    return f", through the proxy {proxy}" if proxy else ""


def _default_host(mirror: str) -> bool:
    """Return whether ``mirror``'s host is a default mirror's, however the URL is typed (another
    case, no trailing slash, another path): a host name spelt right, never named as a typo."""
    host = (urllib.parse.urlsplit(mirror).hostname or "").lower()
    return host in {urllib.parse.urlsplit(m).hostname for m in DEFAULT_MIRRORS}


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
    failed: list[tuple[int, str]] = []  # each mirror's kind of failure (see reached)
    unknown: list[str] = []  # the mirrors whose host name does not exist: mistyped?
    proxied = False
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{name}.gz"
        try:
            try_mirror(url, name, expected, dest, timeout=timeout, progress=progress, made=made)
        except LocalFileError:
            raise  # this machine's problem (a full disk, a folder in the way): no mirror can help
        except (OSError, http.client.HTTPException, DatasetError, ValueError) as exc:
            note = _proxy_note(failed_url(exc, url))  # after a redirect, where it led
            failures.append(f"{url}: {failure_reason(exc, timeout)}{note}")
            failed.append(failed_at(exc, mirror, url))
            if host_not_found(exc, url) and not _default_host(mirror):  # those are spelt right
                unknown.append(mirror)
            proxied = proxied or bool(note)
            continue
        fsync_dir(dest)
        return mirror
    why = f"; it was needed because the file there was rejected: {defect}" if defect else ""
    head = fix_head(failed)
    if unknown:
        head = unknown_hosts_fix(head, unknown)
    proxy = outranked_proxy_fixes(failed)  # a proxy's failure outranked: its advice after
    if not proxy and proxied and not proxy_advised(failed):
        proxy = (
            "; if the proxy is what failed, correct http_proxy / https_proxy, or name the "
            "mirror's host in no_proxy"
        )
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
    fetched: list[str] = []  # this call's, for the failure of a later file
    for name, defect in needed.items():
        current = current_file(dest, name)
        try:
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
        except LocalFileError as exc:  # this machine's problem: its own message
            if not fetched:
                raise
            raise _kept_before(exc, dest, fetched, len(needed)) from None
        except DatasetError as exc:
            if not fetched:
                raise
            raise DatasetError(f"{exc}; {_kept_note(dest, fetched, len(needed))}") from None
        if current is not None and current.name == name:
            current.unlink()  # a corrupt plain file would shadow the new .gz
        if done is not None:
            done.append(name)
        fetched.append(name)
        order.remove(good)
        order.insert(0, good)


def _kept_note(dest: Path, fetched: list[str], needed: int) -> str:
    """Say that the files ``fetched`` (of ``needed``) stay in ``dest``, verified, and that another
    try fetches only the others (as a Ctrl-C's message does: see
    :class:`~linearnets.data.download.DownloadInterrupted`)."""
    left = needed - len(fetched)
    other = "the other one" if left == 1 else f"the other {left}"
    files = (
        "the file downloaded before it stays"
        if len(fetched) == 1
        else "the files downloaded before it stay"
    )
    return (
        f"{files} in {shown_path(dest)}, verified: "
        f"{', '.join(f'{name}.gz' for name in fetched)}: another try fetches only {other}"
    )


def _kept_before(
    exc: LocalFileError, dest: Path, fetched: list[str], needed: int
) -> LocalFileError:
    """Return the failure ``exc`` to save a file saying, before its fix, that the files ``fetched``
    stay (see :func:`_kept_note`): a full disk hid that they were verified and kept."""
    return LocalFileError(exc.problem, f"{_kept_note(dest, fetched, needed)}; {exc.fix}")
