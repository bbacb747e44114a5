"""One file from one mirror: the body's bounds, the reasons given, locking and clean-up (D2L §3.5.1).

Downloads go to a server started on 127.0.0.1 in the test.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import io
import os
import re
import sys
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from linearnets.data import fetch, locked_temps
from linearnets.data.fetch import remove_stale_parts, try_mirror
from linearnets.data.folder_contents import FASHION_MNIST_FILES
from linearnets.data.http_deadline import RedirectError
from linearnets.data.mirror_reasons import failure_reason
from linearnets.errors import DatasetError

from ._servers import serve, stop
from .conftest import Tiny

FIRST = "train-images-idx3-ubyte"


class Mirror:
    """A local server: GET /<name>.gz answers with ``headers`` and the tiny gzip of <name>."""

    def __init__(self, tiny: Tiny, headers: dict[str, str] | None = None) -> None:
        owner = self
        self.headers = headers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = tiny.gz[self.path.strip("/").removesuffix(".gz")]
                self.send_response(200)
                for key, value in (owner.headers or {"Content-Length": str(len(body))}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd, self.base = serve(Handler)

    def close(self) -> None:
        stop(self.httpd)


@pytest.fixture
def mirror(tiny: Tiny) -> Iterator[Mirror]:
    m = Mirror(tiny)
    yield m
    m.close()


def _try(mirror: Mirror, tiny: Tiny, dest: Path, **kwargs: Any) -> None:
    options: dict[str, Any] = {"timeout": 5.0, "progress": False, **kwargs}
    try_mirror(f"{mirror.base}/{FIRST}.gz", FIRST, tiny.files[FIRST], dest, **options)


def _age(path: Path, seconds: float = 120.0) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_a_download_lands_verified_under_the_gz_name_and_synced(
    mirror: Mirror, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(fetch.os, "fsync", fsync)
    _try(mirror, tiny, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{FIRST}.gz"]
    assert (tmp_path / f"{FIRST}.gz").read_bytes() == tiny.gz[FIRST]
    assert synced == [len(tiny.gz[FIRST])]  # the whole file on disk before the rename


@pytest.mark.parametrize("length", ["12abc", "-5", ""])
def test_a_content_length_that_is_no_count_is_ignored(
    tiny: Tiny, tmp_path: Path, length: str
) -> None:
    m = Mirror(tiny, {"Content-Length": length, "Connection": "close"})
    try:
        _try(m, tiny, tmp_path)
    finally:
        m.close()
    assert (tmp_path / f"{FIRST}.gz").read_bytes() == tiny.gz[FIRST]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_bar_without_progress_even_on_a_terminal(
    mirror: Mirror, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _try(mirror, tiny, tmp_path, progress=False)
    assert terminal.getvalue() == ""
    (tmp_path / "b").mkdir()
    _try(mirror, tiny, tmp_path / "b", progress=True)
    assert f"{FIRST}.gz" in terminal.getvalue()


def test_a_running_download_keeps_its_temporary_file_from_another_clean_up(
    mirror: Mirror, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another download cleaning the folder while this one checks its file: the file is locked."""
    real_check = fetch._check
    cleaned: list[list[str]] = []

    def check_while_another_cleans(tmp: Path, expected: tuple[int, str], name: str) -> None:
        _age(tmp)  # as old as a killed download's file
        remove_stale_parts(tmp.parent, [FIRST])
        cleaned.append(sorted(p.name for p in tmp.parent.iterdir()))
        real_check(tmp, expected, name)

    monkeypatch.setattr(fetch, "_check", check_while_another_cleans)
    _try(mirror, tiny, tmp_path)
    assert len(cleaned) == 1 and len(cleaned[0]) == 1 and cleaned[0][0].endswith(".part")
    assert (tmp_path / f"{FIRST}.gz").read_bytes() == tiny.gz[FIRST]


def test_a_file_locked_by_a_download_is_not_stale_and_is_kept(tmp_path: Path) -> None:
    part = tmp_path / f".{FIRST}.gz.abcd1234.part"
    part.write_bytes(b"partial")
    _age(part)
    with part.open("rb") as held:
        assert locked_temps.try_lock(held)  # held as a running download holds it
        with part.open("rb") as other:
            assert not locked_temps.try_lock(other)  # another open file cannot take it
        remove_stale_parts(tmp_path, [FIRST])
        assert part.exists()
    remove_stale_parts(tmp_path, [FIRST])  # its download was killed: the lock went with it
    assert not part.exists()


def test_only_this_modules_temporary_file_names_are_removed(tmp_path: Path) -> None:
    """All of these are old enough and unlocked: only the names mkstemp gave a download go."""
    stale = [f".{FIRST}.gz.abcd_123.part", f".{FIRST}.gz.z9z9z9z9.part", ".t10k-labels-idx1-ubyte.gz.abcdefgh.part"]  # fmt: skip
    kept = [
        f".{FIRST}.gz.abc.part",  # not mkstemp's 8 characters
        f".{FIRST}.gz.abcdefg.part",  # 7
        f".{FIRST}.gz.abcdefghi.part",  # 9
        f".{FIRST}.gz.ABCDEFGH.part",  # mkstemp's are lower case
        f".{FIRST}.gz.abcd-123.part",
        f".{FIRST}.gz.abcdefgh.part.bak",
        f"{FIRST}.gz.abcdefgh.part",
        f".{FIRST}.abcdefgh.part",
        f".{FIRST}xgz.abcdefgh.part",  # the dot is a dot
        ".other-file.gz.abcdefgh.part",
    ]
    for name in stale + kept:
        (tmp_path / name).write_text("x")
        _age(tmp_path / name)
    remove_stale_parts(tmp_path, [FIRST, "t10k-labels-idx1-ubyte"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_a_killed_downloads_file_is_removed_however_recent(tmp_path: Path) -> None:
    """kill -9, then the retry at once: the part is seconds old, but nobody holds it locked."""
    part = tmp_path / f".{FIRST}.gz.aaaaaaaa.part"
    part.write_text("x")  # just written
    with part.open("rb") as held:
        assert locked_temps.try_lock(held)  # a live download's
        remove_stale_parts(tmp_path, [FIRST])
        assert part.exists()
    remove_stale_parts(tmp_path, [FIRST])  # its writer is gone
    assert not part.exists()


def test_a_file_removed_before_its_writer_locked_it_is_made_again(
    mirror: Mirror, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another download's clean-up runs between mkstemp and the lock: the download makes a new file."""
    real_mkstemp = locked_temps.tempfile.mkstemp
    made: list[str] = []

    def mkstemp_then_cleanup(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)
        made.append(name)
        if len(made) == 1:
            remove_stale_parts(tmp_path, [FIRST])  # not locked yet: taken for a killed one's
            assert not Path(name).exists()
        return fd, name

    monkeypatch.setattr(locked_temps.tempfile, "mkstemp", mkstemp_then_cleanup)
    _try(mirror, tiny, tmp_path)
    assert len(made) == 2  # the first was removed, so a second was made
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{FIRST}.gz"]
    assert (tmp_path / f"{FIRST}.gz").read_bytes() == tiny.gz[FIRST]


def test_a_folder_that_cannot_be_listed_is_nothing_to_clean(tmp_path: Path) -> None:
    remove_stale_parts(tmp_path / "missing", [FIRST])
    (tmp_path / "file").write_text("x")
    remove_stale_parts(tmp_path / "file", [FIRST])
    assert (tmp_path / "file").read_text() == "x"


def test_a_lock_refused_by_the_file_system_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_locks(fd: int, op: int) -> None:
        raise OSError(37, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    part = tmp_path / f".{FIRST}.gz.abcdefgh.part"
    part.write_text("x")
    _age(part)
    remove_stale_parts(tmp_path, [FIRST])
    assert part.exists()


@pytest.mark.parametrize("extra", [1, 1000])
def test_a_file_bigger_than_expected_is_told_its_size(tmp_path: Path, extra: int) -> None:
    """A gzip of more than the expected size under its name was told "expected at most 100 bytes
    once decompressed, got more": inflated up to the longest Fashion-MNIST file, its size is
    told."""
    size = 100
    tmp = tmp_path / "download.part"
    tmp.write_bytes(gzip.compress(bytes(size + extra), mtime=0))
    expected = (size, hashlib.md5(bytes(size)).hexdigest())
    with pytest.raises(DatasetError) as info:
        fetch._check(tmp, expected, "f")
    assert str(info.value) == f"expected {size} bytes once decompressed, got {size + extra}"


def test_a_gzip_bomb_is_not_inflated_past_the_longest_fashion_mnist_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inflating stops after the longest Fashion-MNIST file's size (train-images, 47,040,016
    bytes), plus one byte: memory stays bounded whatever the gzip holds."""
    longest = 47_040_016  # 60000 images of 28x28 bytes, and the IDX header's 16
    assert longest == fetch._LONGEST
    tmp = tmp_path / "download.part"
    tmp.write_bytes(gzip.compress(bytes(longest + 1), mtime=0))
    expected = (100, hashlib.md5(bytes(100)).hexdigest())
    with pytest.raises(DatasetError) as info:
        fetch._check(tmp, expected, "f")
    assert str(info.value) == f"expected 100 bytes once decompressed, got more than {longest}"
    produced: list[int] = []
    real = fetch.inflate_chunks

    def counted(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        for chunk in real(*args, **kwargs):
            produced.append(len(chunk))
            yield chunk

    monkeypatch.setattr(fetch, "_LONGEST", 1000)
    tmp.write_bytes(gzip.compress(bytes(10**6), mtime=0))
    with pytest.raises(DatasetError, match=r"^expected 100 bytes once decompressed, got more than 1000$"):  # fmt: skip
        monkeypatch.setattr(fetch, "inflate_chunks", counted)
        fetch._check(tmp, expected, "f")
    assert sum(produced) == 1001  # the cap and one byte, not the million


def test_a_file_smaller_or_other_than_expected_is_refused(tmp_path: Path) -> None:
    tmp = tmp_path / "download.part"
    tmp.write_bytes(gzip.compress(bytes(99), mtime=0))
    with pytest.raises(DatasetError, match=r"^expected 100 bytes once decompressed, got 99$"):
        fetch._check(tmp, (100, hashlib.md5(bytes(100)).hexdigest()), "f")
    tmp.write_bytes(gzip.compress(b"\x01" * 100, mtime=0))
    md5 = hashlib.md5(bytes(100)).hexdigest()
    found = hashlib.md5(b"\x01" * 100).hexdigest()
    with pytest.raises(DatasetError, match=rf"^expected MD5 {md5} once decompressed, got {found}$"):
        fetch._check(tmp, (100, md5), "f")
    fetch._check(tmp, (100, found), "f")  # the right file passes


BODY = gzip.compress(bytes(100), mtime=0)  # the gzip of the expected file: 100 zero bytes
DAMAGED = [
    # zlib (the oracle) inflates as much of the cut stream as the reader can
    ("cut short", BODY[:-12], rf"expected a complete gzip stream, got one cut short after {len(zlib.decompressobj(31).decompress(BODY[:-12]))} decompressed bytes \(the gzip stream is truncated\)"),
    ("extra bytes", BODY + b"GARBAGE", r"expected nothing after the gzip stream, got 7 extra bytes \(starting 47 41 52 42\)"),
    ("corrupt", BODY[:10] + bytes(len(BODY) - 10), r"expected a valid gzip stream, got a corrupt one \(.*\)"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "reason"), [d[1:] for d in DAMAGED], ids=[d[0] for d in DAMAGED])
def test_a_damaged_download_says_what_the_mirror_sent_and_no_fix(
    tmp_path: Path, body: bytes, reason: str
) -> None:
    """The reason is one mirror's, in a list the caller ends with its one fix: the damaged-file
    fix ("delete it and get it again: ... apt-get ... linearnets data download") told to delete a
    file already gone and to run the command that had just failed."""
    tmp = tmp_path / "download.part"
    tmp.write_bytes(body)
    with pytest.raises(DatasetError, match=rf"^the file it sent: {reason}$"):
        fetch._check(tmp, (100, hashlib.md5(bytes(100)).hexdigest()), "f")


TEXTS = [
    ("html", b"\n  <!DOCTYPE html><html><body>Please log in</body></html>", " (an HTML page, starting '<!DOCTYPE html><html><body>Please log in')"),
    ("HTML", b"<HTML><BODY>Moved</BODY></HTML>", " (an HTML page, starting '<HTML><BODY>Moved</BODY></HTML>')"),
    ("text", b"Access denied\r\nby policy\r\n", " (text, starting 'Access denied by policy')"),
    ("bytes", b"\x00\x00\x08\x03" + bytes(50), ""),  # an IDX file of the wrong size: no text
    # a page known by its doctype alone (no <html> tag in its first 200 bytes), after blank lines
    ("doctype", b"\r\n\n<!doctype html>\n<title>Sign in</title>\n", " (an HTML page, starting '<!doctype html> <title>Sign in</title>')"),
    ("DEL", b"Access\x7fdenied", ""),  # DEL is a control byte, as those below 32: no text
]  # fmt: skip


@pytest.mark.parametrize(("body", "looks"), [t[1:] for t in TEXTS], ids=[t[0] for t in TEXTS])
def test_a_body_that_is_not_the_file_says_what_it_looks_like(
    tmp_path: Path, body: bytes, looks: str
) -> None:
    """A login page served with status 200 gave "expected 10008 bytes once decompressed, got
    390": nothing said that no gzip came, nor that it was a web page."""
    tmp = tmp_path / "download.part"
    tmp.write_bytes(body)
    expected = (100, hashlib.md5(bytes(100)).hexdigest())
    with pytest.raises(DatasetError) as info:
        fetch._check(tmp, expected, "f")
    assert str(info.value) == (
        f"expected a gzip file or the 100-byte file itself, got {len(body)} bytes that are "
        f"neither{looks}"
    )
    tmp.write_bytes(gzip.compress(body, mtime=0))  # the same, gzipped (Content-Encoding: gzip)
    with pytest.raises(DatasetError) as gzipped:
        fetch._check(tmp, expected, "f")
    assert str(gzipped.value) == f"expected 100 bytes once decompressed, got {len(body)}{looks}"


SENT = "train-labels-idx1-ubyte"  # what the mirror sends under the name of the test labels


@pytest.mark.parametrize(
    ("asked", "body", "got"),
    [
        # the training labels, gzipped, for the test labels: more than the 10008 bytes asked
        ("t10k-labels-idx1-ubyte", lambda gz: gz[SENT], "expected 10008 bytes once decompressed, got 60008"),
        # the same, not gzipped
        ("t10k-labels-idx1-ubyte", lambda gz: gzip.decompress(gz[SENT]), "expected a gzip file or the 10008-byte file itself, got 60008 bytes that are neither"),
        # the test labels for the training labels: fewer than the 60008 asked
        (SENT, lambda gz: gz["t10k-labels-idx1-ubyte"], "expected 60008 bytes once decompressed, got 10008"),
    ],
    ids=["longer", "plain", "shorter"],
)  # fmt: skip
def test_a_mirror_sending_another_fashion_mnist_file_is_told_which(
    tmp_path: Path, asked: str, body: Any, got: str
) -> None:
    """A mirror that sent the training labels under the test labels' name was told "expected at
    most 10008 bytes once decompressed, got more": the same bytes read from a folder are named
    for the file they are. The download names it too, by its size and MD5."""
    from linearnets.data.mirror_reasons import failure_reason

    from .conftest import NO_REAL_DATA, REAL_DIR

    names = ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte")
    if not all((REAL_DIR / f"{n}.gz").is_file() for n in names):
        pytest.skip(NO_REAL_DATA)
    gz = {n: (REAL_DIR / f"{n}.gz").read_bytes() for n in names}
    sent = body(gz)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(sent)))
            self.end_headers()
            self.wfile.write(sent)

        def log_message(self, *args: Any) -> None:
            pass

    httpd, base = serve(Handler)
    real_table = {n: FASHION_MNIST_FILES[n] for n in names}
    try:
        with pytest.raises(DatasetError) as info:
            try_mirror(f"{base}/fm/{asked}.gz", asked, real_table[asked], tmp_path, timeout=5.0, progress=False)  # fmt: skip
    finally:
        stop(httpd)
    other = next(n for n in names if n != asked)
    assert failure_reason(info.value, 5.0) == (
        f"{got}, the size and MD5 of {other}: the mirror sent {other} under the name of {asked}"
    )
    assert list(tmp_path.iterdir()) == []  # nothing kept


def test_a_body_failure_after_a_redirect_names_where_it_went(tmp_path: Path) -> None:
    """The transfer and the check of the file are the redirect target's: its URL is named."""
    from .test_http_deadline import FILE, RedirectServer

    server = RedirectServer()
    try:
        for route, target, reason in [
            ("to-short", "short", rf"the transfer stopped after 10 of {len(FILE)} bytes \(truncated\)"),
            ("dribble", "file", rf"expected a gzip file or the 10-byte file itself, got {len(FILE)} bytes that are neither \(text, starting 'x+'\)"),
        ]:  # fmt: skip
            with pytest.raises(RedirectError) as info:
                try_mirror(f"{server.base}/{route}", "f", (10, "0" * 32), tmp_path, timeout=2.0, progress=False)  # fmt: skip
            assert info.value.url == f"{server.base}/{target}"
            assert re.fullmatch(rf"redirected to {server.base}/{target}: {reason}", failure_reason(info.value, 2.0))  # fmt: skip
    finally:
        server.close()
    assert list(tmp_path.iterdir()) == []  # no temporary file left


def test_a_folder_removed_before_the_temporary_file_is_made_again(
    mirror: Mirror, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another download into the same new folder failed and removed the folders it had made, still
    empty: this one's file could not be made ("No such file or directory; check that disk")."""
    real = fetch.open_locked_temp
    dest = tmp_path / "root" / "FashionMNIST" / "raw"
    dest.mkdir(parents=True)  # made by the other download, which this one found there
    calls: list[bool] = []

    def after_the_others_clean_up(folder: Path, **kwargs: Any) -> Any:
        calls.append(folder.is_dir())
        if len(calls) == 1:
            for gone in (dest, dest.parent, dest.parent.parent):  # remove_empty_folders' order
                gone.rmdir()
        return real(folder, **kwargs)

    monkeypatch.setattr(fetch, "open_locked_temp", after_the_others_clean_up)
    made: list[Path] = []
    _try(mirror, tiny, dest, made=made)
    assert calls == [True, True]  # gone at the first try, made again for the second
    assert made == [dest, dest.parent, dest.parent.parent]  # for the caller to remove on failure
    assert (dest / f"{FIRST}.gz").read_bytes() == tiny.gz[FIRST]


def test_a_folder_that_keeps_vanishing_is_a_local_error(
    mirror: Mirror, tiny: Tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(folder: Path, **kwargs: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(fetch, "open_locked_temp", missing)
    with pytest.raises(
        fetch.LocalFileError, match=r"\(No such file or directory\); check that disk"
    ):
        _try(mirror, tiny, tmp_path)
    assert fetch.OPEN_TRIES == 3


LOCAL_ERRORS = [
    (errno.EEXIST, "File exists", "(File exists); move {target} away, or pass root=DIR to download elsewhere"),
    (errno.EROFS, "Read-only file system", "(Read-only file system); pass root=DIR, a folder you can write to"),
    (errno.EDQUOT, "Disk quota exceeded", "(Disk quota exceeded); free some space on the disk that holds {folder} and try again (the same call), or pass root=DIR to download elsewhere"),
    (errno.EIO, "Input/output error", "(Input/output error); check that disk, or pass root=DIR to download elsewhere"),
    (None, None, "(OSError); check that disk, or pass root=DIR to download elsewhere"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "strerror", "said"), LOCAL_ERRORS, ids=["EEXIST", "EROFS", "EDQUOT", "EIO", "bare"]
)
def test_a_local_error_names_the_file_the_problem_and_its_fix(
    tmp_path: Path, code: int | None, strerror: str | None, said: str
) -> None:
    """A read-only disk is one to write elsewhere, not to check; "a folder is in the way" only where
    one is."""
    target = tmp_path / f"{FIRST}.gz"  # nothing there: no folder in the way
    exc = OSError() if code is None else OSError(code, strerror)
    assert str(fetch.local_error(exc, target)) == (
        f"cannot save the download as {target} " + said.format(target=target, folder=target.parent)
    )


def test_a_plain_file_served_is_saved_as_one_gzip_stream_of_no_date(
    tmp_path: Path,
) -> None:
    """Compressible content gzips smaller than it is: the plain bytes past the gzip's end are cut
    (they made trailing garbage that gzip tools refuse), and the gzip header's MTIME is 0 (RFC 1952:
    no time stamp), so two downloads give the same bytes."""
    content = b"0123456789" * 300
    plain = Tiny(
        {},
        {FIRST: content},
        {FIRST: content},
        {FIRST: (len(content), hashlib.md5(content).hexdigest())},
    )
    server = Mirror(plain)
    try:
        _try(server, plain, tmp_path)
    finally:
        server.close()
    saved = (tmp_path / f"{FIRST}.gz").read_bytes()
    stream = zlib.decompressobj(31)  # the oracle: zlib, one gzip member
    assert stream.decompress(saved) == content and stream.eof and stream.unused_data == b""
    assert saved[4:8] == bytes(4)  # MTIME
