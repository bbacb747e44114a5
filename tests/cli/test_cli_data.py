"""``linearnets data`` in-process: the report on the real files, ``show``, and one-line errors."""

from __future__ import annotations

import errno
import gzip
import os
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli import main
from linearnets.data import fashion_mnist_memo, files
from linearnets.plotting._fonts import cjk_family

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def real_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not REAL_DIR.is_dir():
        pytest.skip(
            f"the real Fashion-MNIST is not in {REAL_DIR} (apt-get install dataset-fashion-mnist)"
        )
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def real(real_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The real files found by searching (Debian folder first), a private cache, nothing else around."""
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(real_cache))
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.setattr(files, "_debian_dir", lambda: REAL_DIR)
    monkeypatch.chdir(tmp_path)
    yield REAL_DIR


def test_report(real: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert f"found: Debian package dataset-fashion-mnist: {real}" in out
    assert re.search(
        r"^verified: 4 files, (size and MD5 checked now|unchanged since checked)", out, re.M
    )
    assert re.search(r"^\s+0  t-shirt\s+6000\s+1000$", out, re.M)
    assert re.search(r"^\s+9  ankle boot\s+6000\s+1000$", out, re.M)
    assert re.search(r"total\s+60000\s+10000$", out, re.M)


def test_a_report_lost_to_a_closed_stdout_fails_in_one_line(
    real: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``linearnets data >&-`` (stdout None) lost its whole report with status 0, where
    ``>/dev/full`` failed it: its printed lines are its result."""
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["data"]) == 1
    assert capsys.readouterr().err == (
        "linearnets data: error: its report could not be written to stdout (stdout is closed); "
        "run it again with stdout open (a terminal, a file or a pipe)\n"
    )


def test_a_report_lost_to_a_full_stdout_fails_in_one_line_naming_stdout(
    real: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``linearnets data >/dev/full`` said "a device is full (the disk, or where the output
    goes)", not that stdout was, where ``--help >/dev/full`` and ``>&-`` name stdout."""
    import io

    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    assert main(["data", "--data-dir", str(real)]) == 1
    assert capsys.readouterr().err == (
        "linearnets data: error: its report could not be written to stdout (No space left on "
        "device); free some space where stdout goes, or run it again with stdout elsewhere (a "
        "terminal, a file or a pipe)\n"
    )


def test_report_from_the_cache(real: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = dict(fashion_mnist_memo.MEMO)
    try:
        for _ in range(2):  # as two fresh processes: only the verification cache is shared
            fashion_mnist_memo.MEMO.clear()
            assert main(["data", "--data-dir", str(real)]) == 0
    finally:
        fashion_mnist_memo.MEMO.clear()
        fashion_mnist_memo.MEMO.update(saved)
    out = capsys.readouterr().out.split("found:")[-1]  # the second run's report
    assert out.startswith(f" --data-dir {real}\n")
    assert "verified: 4 files, unchanged since checked (verification cache" in out


def test_report_names_how_many_files_were_checked_now(
    real: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One file changed since it was verified is checked again, the other three come from the
    cache: the report said "4 files, size and MD5 checked now"."""
    import os
    import shutil

    monkeypatch.setenv("LINEARNETS_CACHE_DIR", str(tmp_path / "cache"))  # its own, empty
    folder = tmp_path / "fm"
    folder.mkdir()
    for path in real.glob("*.gz"):
        if path.name.startswith("t10k-labels"):
            shutil.copy(path, folder / path.name)  # 5 KB: the one to change
        else:
            (folder / path.name).symlink_to(path)
    saved = dict(fashion_mnist_memo.MEMO)
    try:
        reports = []
        for change in (False, False, True):  # as fresh processes: only the cache is shared
            if change:
                labels = folder / "t10k-labels-idx1-ubyte.gz"
                os.utime(labels, ns=(labels.stat().st_atime_ns, labels.stat().st_mtime_ns + 10**9))
            fashion_mnist_memo.MEMO.clear()
            assert main(["data", "--data-dir", str(folder)]) == 0
            out = capsys.readouterr().out
            reports.append(next(line for line in out.splitlines() if line.startswith("verified:")))
    finally:
        fashion_mnist_memo.MEMO.clear()
        fashion_mnist_memo.MEMO.update(saved)
    cached = f"unchanged since checked (verification cache {tmp_path / 'cache'})"
    assert reports == [
        "verified: 4 files, size and MD5 checked now",
        f"verified: 4 files, {cached}",
        f"verified: 4 files, 1 of them checked now (size and MD5), 3 {cached}",
    ]


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # no CJK font on the machine
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_show_writes_a_png(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    if lang == "zh" and cjk_family() is None:
        pytest.skip("no font with Chinese glyphs installed (scripts/setup.sh installs one)")
    out = tmp_path / "grid.png"
    assert main(["data", "show", "-n", "8", "--out", str(out), "--lang", lang]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out} (8 training images" in capsys.readouterr().out


def test_show_in_chinese_without_a_font_for_it_names_lang_zh_and_its_fix(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a CJK font, --lang zh was refused as "titles hold Chinese ... (titles[0] = ...)":
    the command has no titles."""
    import linearnets.plotting._fonts as fonts

    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    first = BOOK_LABELS_ZH[0]  # the first of the ten the font lacks: refused before reading
    out = tmp_path / "grid.png"
    assert main(["data", "show", "-n", "4", "--out", str(out), "--lang", "zh"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets data show: error: --lang zh gives Chinese label names ('{first}'), but no "
        "installed font has their characters (the figure would show empty boxes); pass --lang en "
        "for the book's English labels, or install a font that has them, e.g. 'sudo apt-get "
        "install fonts-wqy-microhei'\n"
    )
    assert not out.exists()


def test_show_says_where_a_tilde_path_was_written(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'--out ~/g.png' (quoted, so the shell left the ~) is written at home, and the line says
    where, as predict's does, not 'wrote ~/g.png'."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["data", "show", "-n", "1", "--out", "~/g.png"]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'g.png'} (1 training image from {real})\n"
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_names_one_image_as_one(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "one.png"
    assert main(["data", "show", "-n", "1", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out} (1 training image from {real})\n"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_default_out(real: Path, tmp_path: Path) -> None:
    assert main(["data", "--data-dir", str(real), "show", "-n", "3"]) == 0
    assert (tmp_path / "fashion-mnist.png").is_file()  # cwd is tmp_path


def _status(argv: list[str]) -> int:
    """Return the exit status, whether argparse exits or main returns."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize(
    ("argv", "status", "pattern"),
    [
        (["data", "--data-dir", "{empty}"], 2, r"^linearnets data: error: --data-dir must hold the Fashion-MNIST files .*got '.*empty', which lacks train-images-idx3-ubyte"),
        (["data", "show", "--data-dir", "{empty}"], 2, r"which lacks train-images-idx3-ubyte"),
        (["data", "--data-dir", "{empty}/nope"], 2, r"--data-dir must be an existing folder"),
        # the library's "pass root=DIR" is put as the option
        (["data", "--data-dir", "{empty}"], 2, r"where a network exists, then pass --data-dir DIR \(or set LINEARNETS_DATA\)$"),
        # and its download call as the command, quoted as the Debian package's install is
        (["data", "--data-dir", "{empty}"], 2, r"; get it with 'sudo apt-get install dataset-fashion-mnist', or 'linearnets data download --data-dir DIR' where a network exists, "),
        (["data", "show", "-n", "0"], 2, r"argument -n: must be an integer from 1 to 100, got '0'; pass e\.g\. -n 18 "),
        (["data", "show", "-n", "101", "--data-dir", "{empty}"], 2, r"argument -n: must be an integer from 1 to 100, got '101'; pass e\.g\. -n 18 "),
        (["data", "show", "--lang", "fr"], 2, r"argument --lang: invalid choice: 'fr'"),
        (["data", "unpack"], 2, r"invalid choice: 'unpack'"),
        # an unknown option is named by the action that got it, whose --help lists its options
        (["data", "show", "--bogus"], 2, r"^linearnets data show: error: unrecognized arguments: --bogus: linearnets data show has no option --bogus \(see linearnets data show --help\)$"),
        (["data", "download", "--bogus"], 2, r"^linearnets data download: error: unrecognized arguments: --bogus"),
        (["data", "download", "--mirror", "ftp://x/", "--data-dir", "{empty}"], 2, r"--mirror must be http:// or https:// URLs with a host"),
        (["data", "download", "--mirror", "127.0.0.1:18370/ok/", "--data-dir", "{empty}"], 2, r"^linearnets data download: error: --mirror must be http:// or https:// URLs with a host \(and a valid port\), got '127\.0\.0\.1:18370/ok/'; add http:// before it: 'http://127\.0\.0\.1:18370/ok/'$"),
        (["data", "download", "--mirror", "https//example.org/fm/", "--data-dir", "{empty}"], 2, r"^linearnets data download: error: --mirror must be http:// or https:// URLs with a host \(and a valid port\), got 'https//example\.org/fm/'; add the colon after https: 'https://example\.org/fm/'$"),
        (["data", "download", "--mirror", "fm.gz", "--data-dir", "{empty}"], 2, r"got 'fm\.gz'; pass e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'$"),
        (["data", "download", "--mirror", "http://127.0.0.1:18379/train-images-idx3-ubyte.gz", "--data-dir", "{empty}"], 2, r"^linearnets data download: error: --mirror must be the URLs of folders, each file's name appended to them, got 'http://127\.0\.0\.1:18379/train-images-idx3-ubyte\.gz', a file's URL; a mirror is the folder that holds the four files \(\*-ubyte\.gz\): pass its folder, 'http://127\.0\.0\.1:18379/'$"),
        (["data", "download", "--mirror", "ftp//127.0.0.1:18379/", "--data-dir", "{empty}"], 2, r"got 'ftp//127\.0\.0\.1:18379/'; pass e\.g\. 'https://ossci-datasets\.s3\.amazonaws\.com/fashion-mnist/'$"),
        (["data", "download", "--mirror", "http://127.0.0.1:8253/o k/", "--data-dir", "{empty}"], 2, r"^linearnets data download: error: --mirror must be URLs without spaces, as HTTP sends them, got 'http://127\.0\.0\.1:8253/o k/'; pass it percent-encoded: 'http://127\.0\.0\.1:8253/o%20k/'$"),
        (["data", "download", "--data-dir", "/proc/version/x"], 2, r"--data-dir must be a folder that can hold the download, got '/proc/version/x' \(Not a directory: /proc/version is a file, not a folder\)"),
    ],
)  # fmt: skip
def test_errors_are_one_line(
    argv: list[str],
    status: int,
    pattern: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a machine without the Debian package: the fix is to install it or download (with it, below)
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    (tmp_path / "empty").mkdir()
    assert _status([a.replace("{empty}", str(tmp_path / "empty")) for a in argv]) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(pattern, err[0]), err


def test_a_variable_naming_a_path_not_in_utf_8_is_shown_as_the_shell_word_of_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """LINEARNETS_DATA=$'/tmp/\\xff' was said as got '/tmp/\\udcff', Python's repr of its
    surrogate, which no shell reads back; other refusals of such a path say $'/tmp/\\xff'."""
    monkeypatch.chdir(tmp_path)
    word = f"$'{tmp_path}/\\xff'"
    monkeypatch.setenv("LINEARNETS_DATA", os.fsdecode(os.fsencode(tmp_path) + b"/\xff"))
    assert main(["data"]) == 2
    assert capsys.readouterr().err.startswith(
        "linearnets data: error: LINEARNETS_DATA must name an existing folder holding the "
        f"Fashion-MNIST files, got {word}, which does not exist; point it at "
    )
    monkeypatch.delenv("LINEARNETS_DATA")
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", os.fsdecode(b"c\xff"))
    assert main(["data"]) == 2
    assert capsys.readouterr().err.startswith(
        "linearnets data: error: LINEARNETS_CACHE_DIR must be an absolute path, got $'c\\xff', "
        f"which would put a cache in each folder a command runs in; point it at one (here, "
        f"$'{tmp_path}/c\\xff'), or unset it "
    )


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["data", "download", "--data-dir"], "the folder to download the Fashion-MNIST files into"),
        (["data", "--data-dir"], "the folder holding the Fashion-MNIST files"),
        (["data", "show", "--data-dir"], "the folder holding the Fashion-MNIST files"),
    ],
)
def test_a_data_dir_without_a_value_is_named_as_each_action_takes_it(
    argv: list[str], what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """download's --data-dir was called "the folder holding the Fashion-MNIST files", which a
    folder to download into does not yet hold (its --help: "folder to download into")."""
    assert _status(argv) == 2
    prog = " ".join(["linearnets", *argv[:-1]])
    assert capsys.readouterr().err == (
        f"{prog}: error: --data-dir takes {what} and got no value: nothing follows it; give its "
        f"value right after it, e.g. --data-dir data (see {prog} --help)\n"
    )


def test_a_cache_dir_that_cannot_be_made_is_refused_in_one_line(
    real: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """LINEARNETS_CACHE_DIR=/proc/foo linearnets data: every run verified again, without a word."""
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc file system here")
    monkeypatch.setenv("LINEARNETS_CACHE_DIR", "/proc/linearnets-cache")
    monkeypatch.setattr(fashion_mnist_memo, "MEMO", {})  # as a fresh process: the files are read
    assert main(["data"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "linearnets data: error: LINEARNETS_CACHE_DIR must name a folder for linearnets' cache of "
        "verified files (made if missing), got '/proc/linearnets-cache', but "
        "/proc/linearnets-cache cannot be made ("
    ), err
    assert err[0].endswith(
        "); point it at a folder you can write to, or unset it (unset LINEARNETS_CACHE_DIR) for "
        "the default cache folder"
    )


@pytest.mark.parametrize("where", ["empty", "missing"])
def test_a_data_dir_without_the_files_points_at_the_installed_debian_package(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """With the Debian package installed (real), a --data-dir lacking the files (or missing) was
    told to install it ("get it with 'sudo apt-get install dataset-fashion-mnist'")."""
    folder = tmp_path / "fm"
    if where == "empty":
        folder.mkdir()
    assert main(["data", "--data-dir", str(folder)]) == 2
    rule = (
        "must hold the Fashion-MNIST files (or FashionMNIST/raw/ with them), got "
        f"{str(folder)!r}, which lacks train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"
        if where == "empty"
        else f"must be an existing folder, got {str(folder)!r}"
    )
    assert capsys.readouterr().err == (
        f"linearnets data: error: --data-dir {rule}; the Debian package dataset-fashion-mnist is "
        f"installed here, with the files in {REAL_DIR}: they are read from there when no "
        f"--data-dir DIR is passed (and LINEARNETS_DATA is unset), or pass --data-dir {REAL_DIR}\n"
    )
    assert main(["data", "--data-dir", str(REAL_DIR)]) == 0  # the fix works
    assert f"{REAL_DIR}" in capsys.readouterr().out


def test_debug_after_an_action_shows_the_traceback(tmp_path: Path) -> None:
    from linearnets.errors import UsageError

    with pytest.raises(UsageError, match=r"root must be an existing folder"):
        main(["data", "show", "--data-dir", str(tmp_path / "nope"), "--debug"])


# the book's text labels (D2L §3.5.1), in class order
BOOK_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
               "bag", "ankle boot"]  # fmt: skip
BOOK_LABELS_ZH = ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]


def _idx(path: Path, count: int) -> np.ndarray:
    """Read the first ``count`` items of a gzipped IDX file with numpy alone: an oracle independent
    of the library's reader."""
    with gzip.open(path) as f:
        ndim = f.read(4)[3]
        shape = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        size = int(np.prod(shape[1:], dtype=np.int64))
        return np.frombuffer(f.read(count * size), dtype=np.uint8).reshape(count, *shape[1:])


def test_show_draws_the_first_training_images_with_their_labels(
    real: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.plotting

    drawn: list[tuple[Any, ...]] = []

    def record(imgs: Any, num_rows: int, num_cols: int, *, titles: Any, out: Any) -> None:
        drawn.append((np.asarray(imgs), num_rows, num_cols, list(titles), out))

    monkeypatch.setattr(linearnets.plotting, "show_images", record)
    images = _idx(real / "train-images-idx3-ubyte.gz", 18)
    labels = _idx(real / "train-labels-idx1-ubyte.gz", 18)
    assert main(["data", "show"]) == 0  # the book's 18 images in 2 rows of 9, English labels
    assert main(["data", "show", "-n", "11", "--out", "g.svg"]) == 0
    assert main(["data", "show", "-n", "4", "--lang", "zh"]) == 0
    (imgs, rows, cols, titles, out), (imgs11, rows11, cols11, _, out11), zh = drawn
    assert np.array_equal(imgs, images[:18]) and (rows, cols) == (2, 9)
    assert titles == [BOOK_LABELS[i] for i in labels[:18]]
    assert out == Path("fashion-mnist.png") and out11 == Path("g.svg")
    assert np.array_equal(imgs11, images[:11]) and (rows11, cols11) == (2, 6)  # not 9 and 2
    assert zh[1:4] == (1, 4, [BOOK_LABELS_ZH[i] for i in labels[:4]])  # one row of 4
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == [f"wrote fashion-mnist.png (18 training images from {real})",
                           f"wrote g.svg (11 training images from {real})"]  # fmt: skip


def test_show_needs_the_training_files_alone(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of the two training files was refused for lacking the test files, which 'data
    show' never draws; a folder of the test files alone is refused naming the training ones."""
    monkeypatch.setattr(files, "_debian_dir", lambda: None)  # the fix: install or download
    train, test = tmp_path / "train", tmp_path / "test"
    for folder, split in ((train, "train"), (test, "t10k")):
        folder.mkdir()
        for kind in ("images-idx3", "labels-idx1"):
            (folder / f"{split}-{kind}-ubyte.gz").symlink_to(real / f"{split}-{kind}-ubyte.gz")
    assert main(["data", "show", "--data-dir", str(train), "-n", "2", "--out", "g.png"]) == 0
    assert capsys.readouterr().out == f"wrote g.png (2 training images from {train})\n"
    assert main(["data", "show", "--data-dir", str(test), "-n", "2", "--out", "g.png"]) == 2
    assert capsys.readouterr().err.startswith(
        "linearnets data show: error: --data-dir must hold Fashion-MNIST's "
        "train-images-idx3-ubyte and train-labels-idx1-ubyte (or FashionMNIST/raw/ with them), "
        f"got '{test}', which lacks train-images-idx3-ubyte, train-labels-idx1-ubyte; "
    )


def test_a_data_dir_given_before_show_is_the_one_shown(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'data --data-dir DIR show' reads DIR, not whatever a search would find."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):  # fmt: skip
        (copy / name).symlink_to(real / name)
    monkeypatch.setattr(files, "_debian_dir", lambda: tmp_path / "nowhere")  # a search finds none
    assert main(["data", "--data-dir", str(copy), "show", "-n", "2", "--out", "g.png"]) == 0
    assert capsys.readouterr().out == f"wrote g.png (2 training images from {copy})\n"
    # torchvision's layout: the folder the files were read from, not the one searched
    raw = tmp_path / "tv" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):  # fmt: skip
        (raw / name).symlink_to(real / name)
    assert (
        main(["data", "--data-dir", str(tmp_path / "tv"), "show", "-n", "2", "--out", "g.png"]) == 0
    )
    assert capsys.readouterr().out == f"wrote g.png (2 training images from {raw})\n"


def test_download_goes_to_data_from_the_official_mirrors_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.data.download as download

    calls: list[tuple[Path, tuple[str, ...]]] = []

    def fake(root: Path, *, mirrors: Any) -> Path:  # no network here: record what was asked
        calls.append((Path(root), tuple(mirrors)))
        return Path(root) / "FashionMNIST" / "raw"

    monkeypatch.setattr(download, "download_fashion_mnist", fake)
    # no earlier copy than ./data's: the download would say which is found first
    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.delenv("LINEARNETS_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["data", "download"]) == 0
    assert main(["data", "--data-dir", "d1", "download"]) == 0
    assert main(["data", "download", "--data-dir", "d2", "--mirror", "https://a/", "--mirror",
                 "https://b/", "https://c/"]) == 0  # fmt: skip
    assert calls == [
        (Path("data"), download.DEFAULT_MIRRORS),
        (Path("d1"), download.DEFAULT_MIRRORS),
        (Path("d2"), ("https://a/", "https://b/", "https://c/")),
    ]
    assert capsys.readouterr().out.splitlines()[0] == (
        f"Fashion-MNIST is verified in {Path('data/FashionMNIST/raw')}; use it with --data-dir data"
    )
    # the option it advises can be pasted into a shell, whatever the folder's name
    assert main(["data", "download", "--data-dir", "my data"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("use it with --data-dir 'my data'")


@pytest.mark.parametrize(("raised", "said"), [((), "SIGINT"), (("SIGTERM",), "SIGTERM")])
def test_an_interrupted_download_says_what_stays_and_how_to_go_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    raised: tuple[str, ...],
    said: str,
) -> None:
    """It said "interrupted" alone: not that finished files stay, nor that a re-run goes on. What
    stays is the library's to tell (tests/data/test_download.py); a stop before the files were
    fetched (while those there were checked) comes as a plain KeyboardInterrupt."""
    import linearnets.data.download as download

    raw = tmp_path / "d" / "FashionMNIST" / "raw"
    stops = [
        KeyboardInterrupt(*raised),
        download.DownloadInterrupted(
            said, folder=raw, kept=[raw / "a.gz", raw / "b.gz"], missing=["c.gz"], removed=[]
        ),
        download.DownloadInterrupted(
            said,
            folder=raw,
            kept=[],
            missing=["a.gz"],
            removed=[raw, raw.parent, raw.parent.parent],
        ),
    ]

    def stopped(root: Path, *, mirrors: Any) -> Path:
        raise stops.pop(0)

    monkeypatch.setattr(download, "download_fashion_mnist", stopped)
    for _ in range(3):
        assert main(["data", "download", "--data-dir", str(tmp_path / "d")]) == 130
    head = f"linearnets data download: interrupted by {said} during the download"
    assert capsys.readouterr().err.splitlines() == [
        f"linearnets data download: interrupted by {said} while the files already under "
        f"{tmp_path / 'd'} were checked, before any was downloaded; none is left cut short: run "
        "the same command again (it fetches only what is missing or damaged)",
        f"{head}; the files verified stay in {raw}: a.gz, b.gz (none is left cut short): run the "
        "same command again to fetch the other one",
        f"{head}, before any file was verified; {tmp_path / 'd'}, made for the download, was "
        "removed: run the same command again to download the files",
    ]


def test_an_action_error_found_while_running_names_the_action(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same prefix as argparse's own errors for that action: 'linearnets data show'."""
    with pytest.raises(SystemExit):
        main(["data", "show", "-n", "1000"])
    assert capsys.readouterr().err.startswith("linearnets data show: error: argument -n: must be")
    with pytest.raises(SystemExit):
        main(["data", "show", "-n", "0"])
    assert capsys.readouterr().err.startswith("linearnets data show: error: argument -n:")


def test_show_draws_at_most_100_images_in_even_rows(
    real: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.plotting

    drawn: list[tuple[int, int, int]] = []

    def record(imgs: Any, num_rows: int, num_cols: int, *, titles: Any, out: Any) -> None:
        drawn.append((len(imgs), num_rows, num_cols))

    monkeypatch.setattr(linearnets.plotting, "show_images", record)
    assert main(["data", "show", "-n", "100"]) == 0
    # were 11 full rows of 9 and one of 1; 10 was 9 and 1 alone, 19 two of 9 and 1 alone
    for n in (10, 19, 6):
        assert main(["data", "show", "-n", str(n)]) == 0
    assert drawn == [(100, 10, 10), (10, 1, 10), (19, 2, 10), (6, 1, 6)]
    with pytest.raises(SystemExit, match=r"^2$"):
        main(["data", "show", "-n", "101"])
    said = capsys.readouterr().err
    # its default, which it shows in two rows of 9 (-n 10 was advised, no value of its own)
    assert "must be an integer from 1 to 100, got '101'; pass e.g. -n 18 " in said
    assert main(["data", "show", "-n", "18"]) == 0 and drawn[-1] == (18, 2, 9)


@pytest.mark.parametrize("kind", ["file", "dangling"])
def test_download_without_data_dir_names_the_default_folder_not_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """./data, the default, was reported as "--data-dir must be ...": an option not given."""
    monkeypatch.chdir(tmp_path)
    if kind == "file":
        Path("data").write_text("notes")
        got = "got the file 'data'"
    else:
        Path("data").symlink_to(tmp_path / "gone")
        got = f"got 'data' (data is a symbolic link to {tmp_path / 'gone'}, which does not exist)"
    rule = "a folder to download into" if kind == "file" else "a folder that can hold the download"
    assert main(["data", "download", "--mirror", "http://127.0.0.1:9/"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets data download: error: the default download folder ./data (no --data-dir "
        f"given) must be {rule}, {got}; move it away, or pass --data-dir DIR to download "
        "elsewhere\n"
    )
    # given, the option is the one to blame
    assert main(["data", "download", "--data-dir", "data", "--mirror", "http://127.0.0.1:9/"]) == 2
    assert capsys.readouterr().err.startswith(
        f"linearnets data download: error: --data-dir must be {rule}, {got}; pass a folder"
    )


def test_download_without_data_dir_keeps_the_rename_of_a_near_miss_file_in_the_default_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """./data holding train-images.idx3-ubyte.gz: the library's fix, to rename it, was dropped for
    "move it away, or pass --data-dir DIR" (--data-dir data kept it). It is kept."""
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    Path("data/train-images.idx3-ubyte.gz").write_bytes(b"x")
    assert main(["data", "download", "--mirror", "http://127.0.0.1:9/"]) == 2
    assert capsys.readouterr().err == (
        "linearnets data download: error: the default download folder ./data (no --data-dir "
        "given) must hold the 4 files under their own names, got 'data', which holds a copy under "
        "other names: data/train-images.idx3-ubyte.gz (nothing was downloaded: it would be "
        "fetched again beside it); rename data/train-images.idx3-ubyte.gz to "
        "data/train-images-idx3-ubyte.gz, the names linearnets and torchvision read\n"
    )


def test_download_without_data_dir_in_a_read_only_folder_has_nothing_to_move_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no ./data, in a folder that cannot be written (a read-only mount), the refusal said
    "move it away": there was nothing to move. It says the current folder cannot be written."""
    monkeypatch.chdir(tmp_path)
    mkdir = Path.mkdir

    def read_only(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.resolve().is_relative_to(tmp_path.resolve()):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    assert main(["data", "download", "--mirror", "http://127.0.0.1:9/"]) == 2
    assert capsys.readouterr().err == (
        "linearnets data download: error: the default download folder ./data (no --data-dir "
        f"given) must be a folder that can hold the download, got 'data' "
        f"({os.strerror(errno.EROFS)}): the current folder {tmp_path} cannot be written; pass "
        "--data-dir DIR, a folder you can write to\n"
    )
    assert not os.path.lexists(tmp_path / "data")


@pytest.mark.parametrize(
    "name", ["curves.png", "predictions.png", "predict-6.png", "predict-wrong-6.png"]
)
def test_show_refuses_an_out_over_a_runs_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """``data show --out RUN/curves.png`` drew training images over the run's curves."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / name).write_bytes(b"the run's figure")
    assert main(["data", "show", "--out", str(run / name)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"linearnets data show: error: --out {run / name} is {name}")
    assert err.endswith(
        "would pass for the run's; pass a file outside the run folder, e.g. --out "
        "fashion-mnist.png\n"
        if not name.startswith("predict-")
        else "would pass for them; pass a file outside the run folder, e.g. --out "
        "fashion-mnist.png\n"
    )
    assert (run / name).read_bytes() == b"the run's figure"


def test_show_judges_out_by_the_folder_it_lands_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``data show --out run/nd/../curves.png`` replaced the run's curves.png: the folder
    ``run/nd/..`` (nd made by the write) was judged as typed, as no run's."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / "curves.png").write_bytes(b"the run's figure")
    monkeypatch.chdir(tmp_path)
    assert main(["data", "show", "--out", "run/nd/../curves.png"]) == 2
    assert capsys.readouterr().err == (
        "linearnets data show: error: --out run/nd/../curves.png is curves.png, which the run in "
        "run writes: a figure written there would pass for the run's; pass a file outside the "
        "run folder, e.g. --out fashion-mnist.png\n"
    )
    assert (run / "curves.png").read_bytes() == b"the run's figure"
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "curves.png"]


def test_a_data_folder_and_figure_named_with_a_line_break_are_named_on_one_line(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report's "found:" and file lines and show's "wrote" line printed such a path raw, each
    as two lines: each is named by its $'...' word (as a run folder is)."""
    import shutil

    folder = tmp_path / "fm\nx"
    shutil.copytree(real, folder)
    word = f"$'{tmp_path}/fm\\nx'"
    assert main(["data", "--data-dir", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        f"found: --data-dir {word}",
        f"  train-images-idx3-ubyte  {word[:-1]}/train-images-idx3-ubyte.gz'",
    ]
    out = tmp_path / "a\nb.png"
    assert main(["data", "show", "-n", "1", "--data-dir", str(folder), "--out", str(out)]) == 0
    assert capsys.readouterr().out == (
        f"wrote $'{tmp_path}/a\\nb.png' (1 training image from {word})\n"
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_refused_for_a_figure_data_show_drew_does_not_blame_predict(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``data show --out nd/predict-3.png`` then ``softmax --out nd``: the refusal said the
    figure was one "linearnets predict drew from an earlier run's weights"; data show drew it."""
    assert main(["data", "show", "-n", "3", "--out", "nd/predict-3.png"]) == 0
    capsys.readouterr()
    assert main(["softmax", "--out", "nd", "--epochs", "1"]) == 2
    assert capsys.readouterr().err == (
        "linearnets softmax: error: --out nd already has figures such as linearnets predict "
        "draws from a run's weights (predict-3.png), which would pass for this run's; pass a new "
        "folder, or move those files away\n"
    )
    assert [p.name for p in (tmp_path / "nd").iterdir()] == ["predict-3.png"]


@pytest.mark.parametrize("argv", [["data", "download"], ["data"]])
def test_a_stop_while_the_present_files_are_checked_says_so_and_how_to_go_on(
    real: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    """A SIGINT while the four valid files there were checked: 'data download' said "during the
    download; ... run the same command again to fetch what is missing" with nothing missing, and
    'data' only "interrupted by SIGINT", with no fix. The stop comes once the real check ran."""
    import linearnets.data.download as download
    import linearnets.data.fashion_mnist as fashion_mnist

    def checked_then_stopped(check: Any) -> Any:
        def stopped(*args: Any, **kwargs: Any) -> Any:
            check(*args, **kwargs)
            raise KeyboardInterrupt  # a Ctrl-C as the check ends

        return stopped

    monkeypatch.setattr(download, "needed_files", checked_then_stopped(download.needed_files))
    monkeypatch.setattr(
        fashion_mnist, "read_fashion_mnist", checked_then_stopped(fashion_mnist.read_fashion_mnist)
    )
    assert main([*argv, "--data-dir", str(real)]) == 130
    said = (
        f"linearnets data download: interrupted by SIGINT while the files already under {real} "
        "were checked, before any was downloaded; none is left cut short: run the same command "
        "again (it fetches only what is missing or damaged)"
        if argv[-1] == "download"
        else "linearnets data: interrupted by SIGINT while the Fashion-MNIST files were found and "
        "checked; the files are as they were: run the same command again"
    )
    assert capsys.readouterr().err.splitlines() == [said]


@pytest.mark.parametrize(
    ("argv", "module", "said"),
    [
        (
            ["data", "download"],
            "linearnets.data.download",
            "linearnets data download: interrupted by SIGINT before the download began; nothing "
            "under {root} was read or written: run the same command again",
        ),
        (
            ["data"],
            "linearnets.data.fashion_mnist",
            "linearnets data: interrupted by SIGINT while the Fashion-MNIST files were found and "
            "checked; the files are as they were: run the same command again",
        ),
    ],
)
def test_a_stop_while_the_command_imports_its_modules_says_how_to_go_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    module: str,
    said: str,
) -> None:
    """A SIGINT in the imports made just before the guarded check or download (a window of about
    50 ms) gave a bare "interrupted by SIGINT", with no fix."""

    class Stopping(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):  # __spec__, __loader__: its repr, the import machinery's
                raise AttributeError(name)
            raise KeyboardInterrupt  # a Ctrl-C while the module is imported

    monkeypatch.setitem(sys.modules, module, Stopping(module))
    root = tmp_path / "d1"
    assert main([*argv, "--data-dir", str(root)]) == 130
    assert capsys.readouterr().err.splitlines() == [said.format(root=root)]
    assert not root.exists()


@pytest.mark.parametrize("where", ["read", "drawn"])
def test_a_stop_while_data_show_reads_or_draws_says_how_to_go_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """'data show' stopped by a SIGINT as it read the files or drew the figure said only
    "interrupted by SIGINT", with no fix (its neighbours 'data' and 'data download' say theirs)."""
    import linearnets.data.fashion_mnist as fashion_mnist
    import linearnets.plotting as plotting

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt  # a Ctrl-C there

    if where == "read":
        monkeypatch.setattr(fashion_mnist, "read_fashion_mnist", stopped)
    else:
        monkeypatch.setattr(plotting, "show_images", stopped)
        three = types.SimpleNamespace(  # three 28×28 images, as read_fashion_mnist has them
            train_images=torch.zeros(3, 28, 28, dtype=torch.uint8),
            train_labels=torch.tensor([0, 1, 2]),
        )
        monkeypatch.setattr(fashion_mnist, "read_fashion_mnist", lambda data_dir, test: three)
    out = tmp_path / "grid.png"
    assert main(["data", "show", "-n", "3", "--out", str(out)]) == 130
    assert capsys.readouterr().err.splitlines() == [
        f"linearnets data show: interrupted by SIGINT while the images were read and drawn; "
        f"{out} is not left half written: run the same command again"
    ]
    assert list(tmp_path.iterdir()) == []  # no figure, no temporary file


DOWNLOAD = "linearnets.data.download.download_fashion_mnist"


@pytest.mark.parametrize("name", ["try again (the same call)", f"{DOWNLOAD}('x')"])
def test_a_data_dir_named_like_the_words_the_command_rewrites_is_named_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A folder named 'try again (the same call)' was shown as 'run the same command again', and
    one named as the download's Python call as the command (h379): the command's words replaced
    the library's inside the user's own quoted path too. Only the words outside it are rewritten."""
    from linearnets.cli._cli_words import cli_words

    monkeypatch.setattr(files, "_debian_dir", lambda: None)
    monkeypatch.chdir(tmp_path)
    Path(name).mkdir()
    assert main(["data", "--data-dir", name]) == 2
    assert capsys.readouterr().err.startswith(
        "linearnets data: error: --data-dir must hold the Fashion-MNIST files (or "
        f"FashionMNIST/raw/ with them), got {name!r}, which lacks train-images-idx3-ubyte"
    )
    said = f"got {name!r}; try again (the same call), or the package's {DOWNLOAD}('d')"
    assert cli_words(said) == (
        f"got {name!r}; run the same command again, or the package's linearnets data download "
        "--data-dir d"
    )
    # a path shown as it is, a quote after its "/": no quoted path, the call after it rewritten
    # (h383: the call was left in Python's words)
    said = f"/tmp/'x/t10k-labels-idx1-ubyte.gz: cut short; get it again: {DOWNLOAD}(\"/tmp/'x\")"
    assert cli_words(said) == (
        "/tmp/'x/t10k-labels-idx1-ubyte.gz: cut short; get it again: linearnets data download "
        "--data-dir '/tmp/'\"'\"'x'"
    )


def _read_only_here(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` (the working folder) answer as a read-only mount does: no writing in it,
    and statvfs's read-only flag. As root every folder passes os.access: the answers are faked."""
    access, statvfs = os.access, os.statvfs

    def inside(path: Any) -> bool:
        resolved = Path(path).resolve()
        return resolved == folder.resolve() or folder.resolve() in resolved.parents

    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode, **kw: not (mode & os.W_OK and inside(p)) and access(p, mode, **kw),
    )
    monkeypatch.setattr(
        os,
        "statvfs",
        lambda p: types.SimpleNamespace(f_flag=os.ST_RDONLY) if inside(p) else statvfs(p),
    )
    monkeypatch.chdir(folder)


@pytest.mark.parametrize(
    ("args", "said", "held"),
    [
        (
            [],
            "the default figure fashion-mnist.png (no --out given) cannot be written: the folder "
            "{here} is on a read-only file system; pass --out FILE in a folder you can write to, "
            "e.g. --out ~/fashion-mnist.png",
            [],
        ),
        (
            [],
            "the default figure fashion-mnist.png (no --out given) cannot be written: the folder "
            "{here} is on a read-only file system; pass --out FILE in a folder you can write to, "
            "e.g. --out ~/fashion-mnist-2.png",
            ["fashion-mnist.png"],
        ),
        (
            ["--out", "sub/grid.svg"],
            "--out must be a file in a folder you can write to, got 'sub/grid.svg', but the "
            "folder {here} is on a read-only file system; pass e.g. --out ~/grid.svg",
            [],
        ),
        (
            ["--out", "sub/grid.svg"],
            "--out must be a file in a folder you can write to, got 'sub/grid.svg', but the "
            "folder {here} is on a read-only file system; pass e.g. --out ~/grid-3.svg",
            ["grid.svg", "grid-2.svg"],
        ),
    ],
    ids=["default", "default held at home", "given", "given held twice at home"],
)
def test_show_in_a_read_only_folder_is_refused_before_reading_with_a_writable_fix(
    real: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    said: str,
    held: list[str],
) -> None:
    """``data show`` in a read-only folder read the dataset, then blamed an --out never given
    ("--out must be a file in a folder you can write to, got 'fashion-mnist.png'") with a fix,
    --out figure.png, in the same read-only folder. A file the home folder holds by the name
    is not offered: following the advice overwrote it."""
    import linearnets.data.fashion_mnist as fashion_mnist

    here, home = tmp_path / "ro", tmp_path / "home"
    here.mkdir()
    home.mkdir()
    for name in held:
        (home / name).write_bytes(b"the user's")
    monkeypatch.setenv("HOME", str(home))
    _read_only_here(monkeypatch, here)
    read: list[Any] = []
    reader = fashion_mnist.read_fashion_mnist

    def recorded(*args: Any, **kwargs: Any) -> Any:
        read.append(args)
        return reader(*args, **kwargs)

    monkeypatch.setattr(fashion_mnist, "read_fashion_mnist", recorded)
    assert main(["data", "show", *args]) == 2
    assert capsys.readouterr().err == f"linearnets data show: error: {said.format(here=here)}\n"
    assert read == [] and list(here.iterdir()) == []
    fixed = home / said.rsplit("~/", 1)[1]  # as advised
    assert main(["data", "show", "-n", "2", "--out", str(fixed)]) == 0
    assert len(read) == 1 and fixed.is_file()
