"""The mirrors a Fashion-MNIST download may use: the defaults, and the checks of the base URLs a user
gives (D2L §3.5.1).

A mirror is the base URL of a folder holding the four ``*-ubyte.gz`` files: each file's name is
appended to it. Any iterable of them is taken (a list, a tuple, a generator), read once: a generator
checked and then tried would be used up by the check. One that is no http(s) URL with a host, that holds a login, a query or a
fragment, or that is not ASCII or holds a blank in its path (a space, a tab, a no-break space:
its percent-encoded form is suggested for either, once it has no login, query or fragment to refuse), is refused before
anything is made or fetched; a refused URL is printed with its login
masked (:func:`~linearnets.data.mirror_reasons.mask_login`), and a folder on this machine (a
``file://`` URL, a path that exists) is told to be read as ``root``; one without its scheme
(``127.0.0.1:8000/fm/``) is told the URL with ``http://`` added, one without the scheme's colon
(``https//example.org/fm/``) the URL with it (a file's name, ``fm.gz``, is no host: an example;
another word's ``ftp//x/`` is offered no URL). A file's URL (its path ending in one of the
dataset's names, with or without ``.gz``) is refused, its folder offered, as a mistyped one's fix
offers the folder; a folder of another name ending in ``.gz`` (``http://host/fm.gz``) is a mirror.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from linearnets._text import drop_blanks
from linearnets.data.folder_contents import FASHION_MNIST_FILES
from linearnets.data.mirror_reasons import mask_login, mask_passwords
from linearnets.errors import UsageError

__all__ = ["DEFAULT_MIRRORS", "check_mirrors", "name_mirrors_setting"]

DEFAULT_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://ossci-datasets.s3.amazonaws.com/fashion-mnist/",
)


def _is_http_url(mirror: object) -> bool:
    """Whether ``mirror`` is an http(s) URL with a host and, if given, a port in range."""
    if not isinstance(mirror, str) or any(ch.isspace() or ord(ch) < 32 for ch in mirror):
        return False
    try:
        parts = urllib.parse.urlsplit(mirror)
        port = parts.port  # raises ValueError for a port above 65535 (or not a number)
    except ValueError:
        return False
    # port 0 is no port to connect to (urllib takes it; the connection is refused)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


def _blanks_encoded(mirror: str) -> str:
    """Return ``mirror`` without the blanks around it, each blank in it percent-encoded as UTF-8
    (a space ``%20``, a tab ``%09``, a no-break space ``%C2%A0``)."""
    return "".join(urllib.parse.quote(ch) if ch.isspace() else ch for ch in mirror.strip())


def _spaces_encoded(mirror: object) -> str | None:
    """Return ``mirror`` with the blanks after its host percent-encoded (a space, a tab, a no-break
    space; the blanks around it dropped) where that makes it an http(s) URL; ``None`` where it has
    none, or one in its host or login, which no encoding makes a URL of."""
    if not isinstance(mirror, str):
        return None
    blanks = {urllib.parse.quote(ch) for ch in mirror.strip() if ch.isspace()}
    if not blanks:
        return None
    encoded = _blanks_encoded(mirror)
    netloc = urllib.parse.urlsplit(encoded).netloc if _is_http_url(encoded) else None
    if netloc is None or any(blank in netloc for blank in blanks):
        return None
    return encoded if encoded.isascii() else _encoded(encoded)  # not one refusal after the other


def _shown(value: object) -> str:
    """Return a refused ``value`` (a mirror, or what was passed as the list of them) as its repr,
    with the login of each string in it masked (:func:`~linearnets.data.mirror_reasons.mask_login`):
    user name included (often a token), whatever the password holds, with a scheme or without; a
    URL in bytes (``b'http://***@host/'``), or in a list, a tuple, a set or a dict at any depth,
    too. Masked before the repr is made (a quote, a blank or a second URL in a string moves no
    mask); the repr of anything else has the logins of URLs naming a scheme masked."""
    return mask_passwords(repr(_masked(value, {})))


def _masked(value: object, done: dict[int, object]) -> object:
    """Return ``value`` with each string's and bytes' login masked, its lists, tuples, sets and
    dicts (not their subclasses) copied so; ``done``: the copies made, by id (a list in itself)."""
    if isinstance(value, str):
        return mask_login(value)
    if isinstance(value, bytes | bytearray):  # latin-1: each byte a character, and back
        return type(value)(mask_login(value.decode("latin-1")).encode("latin-1"))
    if id(value) in done:  # a list or dict that holds itself: its copy, as Python shows it
        return done[id(value)]
    kind = type(value)  # not a subclass (a namedtuple, an OrderedDict): it shows itself otherwise
    if kind is list or kind is dict:  # registered before its items, which may hold it
        copy: list[object] | dict[object, object] = done.setdefault(id(value), kind())  # type: ignore[assignment]
        if isinstance(value, dict) and isinstance(copy, dict):
            copy.update((_masked(k, done), _masked(v, done)) for k, v in value.items())
        elif isinstance(value, list) and isinstance(copy, list):
            copy.extend(_masked(item, done) for item in value)
        return copy
    if isinstance(value, tuple | set | frozenset) and kind in (tuple, set, frozenset):
        return kind(_masked(item, done) for item in value)
    return value


def _url_fix(mirror: object) -> str:
    """Return the fix for ``mirror``, which is no http(s) URL: the URL it holds where it is one
    with blanks around (pasted, or from a script's variable) or in bytes; else an example."""
    if isinstance(mirror, bytes):
        text = mirror.decode("ascii", errors="replace")
        if _is_http_url(text):
            return f"pass it as a str: {_shown(text)}"
    if isinstance(mirror, str):
        stripped = mirror.strip()
        blanks = drop_blanks(len(mirror) - len(stripped)) if stripped != mirror else ""
        if blanks and _is_http_url(stripped):
            return f"{blanks}: {_shown(stripped)}"
        port = _port_out_of_range(stripped)
        if port is not None:
            return f"its port {port} is outside 1-65535: pass the port the mirror listens on"
        local = _local_path(stripped)
        if local is not None:
            return _local_fix(*local)
        schemed = _with_scheme(stripped)
        if schemed is not None:
            what, url = schemed
            return f"{blanks + ' and ' if blanks else ''}{what}: {_shown(url)}"
    return f"pass e.g. {DEFAULT_MIRRORS[1]!r}"


def _port_out_of_range(mirror: str) -> str | None:
    """Return the port of the http(s) URL ``mirror`` where it is a number out of 1-65535 (urllib
    refuses those above, and 0 is no port to connect to); ``None`` otherwise."""
    match = re.match(r"(?i)https?://(?:[^/@]*@)?(?:\[[^\]]*\]|[^/:]*):(\d+)(?:[/?#]|$)", mirror)
    if match is None or 1 <= int(match.group(1)) <= 65535:
        return None
    return match.group(1)


def _with_scheme(mirror: str) -> tuple[str, str] | None:
    """Return what to add to ``mirror`` and the URL it makes, where its scheme is missing
    (``127.0.0.1:8000/fm/``, ``example.org/fm/``: "add http:// before it") or the scheme's colon
    (``https//example.org/fm/``: "add the colon after https") and that makes it a mirror taken;
    ``None`` otherwise: a scheme mistyped otherwise (``http:/x``), a login (which the URL would be
    refused for), or a file's name where the host would be (``fm.gz``,
    ``train-images-idx3-ubyte.gz``: no host name typed)."""
    colonless = re.match(r"(https?)//", mirror, re.IGNORECASE)
    if colonless:
        what, url = (
            f"add the colon after {colonless[1]}",
            f"{colonless[1]}:{mirror[len(colonless[1]) :]}",
        )
    else:
        # a scheme typed otherwise (ftp//x/ too: no http:// before it), or a bare word (no host
        # name typed): no URL to offer
        schemed = "://" in mirror or re.match(r"[a-z][a-z0-9+.-]*(:/|//)", mirror, re.IGNORECASE)
        if schemed or not any(mark in mirror for mark in "./:"):
            return None
        what, url = "add http:// before it", f"http://{mirror}"
    if not _is_http_url(url) or _base_url_problem(url) is not None or not url.isascii():
        return None
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host.endswith(".gz") or host.removesuffix(".gz") in FASHION_MNIST_FILES:
        return None
    folder = _file_folder(url)
    if folder is not None:  # a file's URL: its folder is the mirror
        return f"{what} and pass the file's folder ({_A_MIRROR})", folder
    return what, url


_A_MIRROR = "a mirror is the folder that holds the four files"


def _file_folder(url: str) -> str | None:
    """Return the URL of the folder holding the file the http(s) URL ``url`` names, where its
    path's last part is one of the dataset's files, with or without ``.gz``
    (``http://host/fm/train-images-idx3-ubyte.gz`` gives ``http://host/fm/``); ``None`` where it is
    not (``http://host/fm``, ``http://host/fm/``): each file's name is appended to a mirror, and
    to a file's URL it fetched ``.../train-images-idx3-ubyte.gz/train-images-idx3-ubyte.gz``.
    Another name ending in ``.gz`` may be a mirror's folder (``http://host/fm.gz``, the files
    fetched as ``http://host/fm.gz/train-images-idx3-ubyte.gz``): it is no file's."""
    parts = urllib.parse.urlsplit(url)
    last = parts.path.rsplit("/", 1)[-1].lower()
    if last.removesuffix(".gz") not in FASHION_MNIST_FILES:
        return None
    folder = parts.path[: len(parts.path) - len(last)] or "/"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, folder, "", ""))


def _local_fix(path: str, kind: str) -> str:
    """Return the fix for a mirror that names ``path`` on this machine, of ``kind`` (see
    :func:`_local_path`): a folder or a file's folder to pass as root=, or that it does not exist."""
    example = f"a mirror is the http(s) URL of such a folder, e.g. {DEFAULT_MIRRORS[1]!r}"
    if kind == "missing":
        return (
            f"{_shown(path)} does not exist on this machine, and a mirror is the http(s) URL of a "
            f"folder that holds the four files (*-ubyte.gz), e.g. {DEFAULT_MIRRORS[1]!r}; to read "
            "the files from this machine, copy them into a folder and pass root=DIR"
        )
    where = "where it holds"
    if kind == "file":  # its folder is what would be read (a .gz file given: the files beside it)
        path = os.path.dirname(os.path.normpath(path)) or "."
        where = f"where its folder {_shown(path)} holds"
    return (
        f"a {kind} on this machine is no mirror: {where} the four files (*-ubyte.gz, or "
        f"FashionMNIST/raw/ with them), pass root={_shown(path)} to read them there (nothing to "
        f"download), or copy them into a folder and pass root=DIR; {example}"
    )


def _local_path(mirror: str) -> tuple[str, str] | None:
    """Return the path ``mirror`` names on this machine and what is there (``"folder"``,
    ``"file"``, or ``"missing"``): a ``file://`` URL's path (decoded), a path that exists, or one
    written as a path (``/``, ``./``, ``../``, ``~``) that does not; ``None`` for anything else
    (``example.org/fm``, a URL without its scheme, is no path)."""
    try:
        parts = urllib.parse.urlsplit(mirror)
    except ValueError:  # an unclosed [ ("http://[::1"): no path either
        return None
    url = parts.scheme == "file" and parts.netloc in ("", "localhost")
    path = urllib.parse.unquote(parts.path) or "/" if url else mirror
    if not path or (parts.netloc and not url):
        return None
    try:
        where = Path(path).expanduser()
        if where.is_dir():
            return path, "folder"
        if where.exists():
            return path, "file"
    except (OSError, ValueError, RuntimeError):  # a NUL in it, a name too long, ~nobody
        return None
    if url or path.startswith(("/", "./", "../", "~")):
        return path, "missing"
    return None


def _base_url_problem(mirror: str) -> str | None:
    """Say why the http(s) URL ``mirror`` cannot take a file name appended (``None``: it can)."""
    if "@" in urllib.parse.urlsplit(mirror).netloc:
        return (
            "URLs without a user name or password (they are not used to log in, and would be "
            "printed in messages)"
        )
    if "?" in mirror or "#" in mirror:  # only a query or a fragment starts with either
        return "base URLs without a ?query or #fragment (each file's name is appended to the URL)"
    return None


def _encoded(mirror: str) -> str:
    """Return ``mirror`` with its host in IDNA and the rest percent-encoded (UTF-8), as browsers send it."""
    parts = urllib.parse.urlsplit(mirror)
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = urllib.parse.quote(host)
    host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = urllib.parse.quote(parts.path, safe="/%:@!$&'()*+,;=~")
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, "", ""))


def check_mirrors(mirrors: Iterable[str], *, setting: str | None = None) -> tuple[str, ...]:
    """Return ``mirrors`` as a tuple; raise UsageError unless they are a non-empty iterable of http(s)
    base URLs.

    Read once: a generator or a ``map`` is used up here, so the URLs to try are the tuple returned.
    A login, a query or a fragment is refused: the file name is appended to the URL, and a password
    would be echoed in every failure. ``setting``: where the mirrors come from when they are no
    argument (``"FashionMNIST.mirrors"``, the class attribute), named in the refusal instead of
    ``mirrors`` and set in its example (``set e.g. FashionMNIST.mirrors = [...]``), not passed.
    """
    name = setting or "mirrors"
    if setting is None:
        example, a_list = f"pass e.g. mirrors={list(DEFAULT_MIRRORS)!r}", "pass a list"
    else:
        example = f"set e.g. {setting} = {list(DEFAULT_MIRRORS)!r}"
        a_list = f"set {setting} to a list"
    try:
        return _checked_urls(mirrors, name=name, example=example, a_list=a_list)
    except UsageError as exc:
        if setting is None:
            raise
        raise UsageError(_as_setting(str(exc), setting)) from None


def _as_setting(message: str, setting: str) -> str:
    """Return the refusal ``message`` of one mirror in ``setting`` (a class attribute, no
    argument) with its fix said as a setting: ``set e.g. S = ['https://...']``, not ``pass e.g.
    'https://...'``; ``set it percent-encoded``, ``set its folder``, not ``pass`` them."""
    message = message.replace(
        f"pass e.g. {DEFAULT_MIRRORS[1]!r}", f"set e.g. {setting} = [{DEFAULT_MIRRORS[1]!r}]"
    )
    for said in ("pass it percent-encoded", "pass its folder", "pass the URL of the folder"):
        message = message.replace(said, "set" + said.removeprefix("pass"))
    return message


def _checked_urls(
    mirrors: Iterable[str], *, name: str, example: str, a_list: str
) -> tuple[str, ...]:
    """:func:`check_mirrors`' checks, its refusals naming ``name`` and ending with ``example``
    (or ``a_list``, for an iterator used up)."""
    if isinstance(mirrors, str | bytes) or not isinstance(mirrors, Iterable):
        raise UsageError(
            f"{name} must be a non-empty list of base URLs, got {_shown(mirrors)}; {example}"
        )
    urls = tuple(mirrors)
    if not urls:
        # an iterator gives its items once: FashionMNIST.mirrors = map(...) serves one download.
        # Its repr says nothing but its address (<list_iterator object at 0x7f...>)
        if isinstance(mirrors, Collection):
            got = _shown(mirrors)
        else:
            got = (
                f"an iterator that gave no URLs (an iterator gives its URLs once: {a_list})"
                if isinstance(mirrors, Iterator)
                else "an iterable that gave no URLs"
            )
        raise UsageError(f"{name} must be a non-empty list of base URLs, got {got}; {example}")
    for mirror in urls:
        spaced = _spaces_encoded(mirror)
        if spaced is None and not _is_http_url(mirror):
            raise UsageError(
                f"{name} must be http:// or https:// URLs with a host (and a valid port), got "
                f"{_shown(mirror)}; {_url_fix(mirror)}"
            )
        # before the blanks: their encoded form would be refused for its login, query or fragment
        # (_encoded, for a URL not in ASCII, drops them: read where only the blanks are encoded)
        problem = _base_url_problem(mirror if spaced is None else _blanks_encoded(mirror))
        if problem:
            raise UsageError(
                f"{name} must be {problem}, got {_shown(mirror)}; pass the URL of the "
                f"folder that holds the files, e.g. {DEFAULT_MIRRORS[1]!r}; for a mirror that "
                "needs a login, download the four files (*-ubyte.gz) yourself into a folder and "
                "pass root=DIR (or set LINEARNETS_DATA)"
            )
        folder = _file_folder(mirror if spaced is None else spaced)
        if folder is not None:  # accepted, each file's name appended to the file's: HTTP 404
            raise UsageError(
                f"{name} must be the URLs of folders, each file's name appended to them, got "
                f"{_shown(mirror)}, a file's URL; {_A_MIRROR} (*-ubyte.gz): pass its folder, "
                f"{_shown(folder if folder.isascii() else _encoded(folder))}"
            )
        if spaced is not None:  # a space would end the path of the request line
            around = len(mirror) - len(mirror.strip())
            blanks = f"{drop_blanks(around)} around it and " if around else ""
            other = any(ch.isspace() and ch != " " for ch in mirror.strip())  # a tab, U+00A0
            raise UsageError(
                f"{name} must be URLs without spaces{' or other blanks' if other else ''}, as "
                f"HTTP sends them, got {_shown(mirror)}; {blanks}pass it percent-encoded: "
                f"{_shown(spaced)}"
            )
        # http.client sends the request line as ASCII: such a mirror failed mid-download
        if not mirror.isascii():
            raise UsageError(
                f"{name} must be ASCII URLs, as HTTP sends them, got {_shown(mirror)}; pass "
                f"it percent-encoded: {_shown(_encoded(mirror))}"
            )
    return urls


# the download's advice to pass other mirrors (its failures' fixes, :mod:`mirror_ranks`), said as
# download_fashion_mnist(root, mirrors=...) takes them
_PASS_MIRRORS = re.compile(
    r"\bpass (?:other mirrors|mirrors that serve Fashion-MNIST's original files)\b"
)


def name_mirrors_setting(text: str, how: str) -> str:
    """Return the download's failure ``text`` with ``how`` (in brackets) after its first advice to
    "pass other mirrors": said to a caller with no ``mirrors`` argument (``FashionMNIST(...,
    download=True)``, ``load_data_fashion_mnist``), ``how`` names the setting it reads them from.
    ``text`` holding no such advice is returned as it is."""
    return _PASS_MIRRORS.sub(lambda m: f"{m[0]} ({how})", text, count=1)
