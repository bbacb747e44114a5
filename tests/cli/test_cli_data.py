"""``linearnets data`` in-process: the report on the real files, ``show``, and one-line errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from linearnets.cli import main
from linearnets.data import fashion_mnist, files

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


def test_report_from_the_cache(real: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = dict(fashion_mnist._MEMO)
    try:
        for _ in range(2):  # as two fresh processes: only the verification cache is shared
            fashion_mnist._MEMO.clear()
            assert main(["data", "--data-dir", str(real)]) == 0
    finally:
        fashion_mnist._MEMO.clear()
        fashion_mnist._MEMO.update(saved)
    out = capsys.readouterr().out.split("found:")[-1]  # the second run's report
    assert out.startswith(f" --data-dir {real}\n")
    assert "verified: 4 files, unchanged since checked (verification cache" in out


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # no CJK font on the machine
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_show_writes_a_png(
    real: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    out = tmp_path / "grid.png"
    assert main(["data", "show", "-n", "8", "--out", str(out), "--lang", lang]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out} (8 training images" in capsys.readouterr().out


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
        (["data", "--data-dir", "{empty}"], 2, r"^linearnets data: error: --data-dir must hold the Fashion-MNIST files .*got .*empty, which lacks train-images-idx3-ubyte"),
        (["data", "show", "--data-dir", "{empty}"], 2, r"which lacks train-images-idx3-ubyte"),
        (["data", "--data-dir", "{empty}/nope"], 2, r"--data-dir must be an existing folder"),
        (["data", "show", "-n", "0"], 2, r"argument -n: must be a positive integer \(>= 1\), got 0"),
        (["data", "show", "-n", "101", "--data-dir", "{empty}"], 2, r"-n must be at most 100 images, got 101"),
        (["data", "show", "--lang", "fr"], 2, r"argument --lang: invalid choice: 'fr'"),
        (["data", "unpack"], 2, r"invalid choice: 'unpack'"),
        # an unknown option is named by the action that got it, whose --help lists its options
        (["data", "show", "--bogus"], 2, r"^linearnets data show: error: unrecognized arguments: --bogus \(see linearnets data show --help\)$"),
        (["data", "download", "--bogus"], 2, r"^linearnets data download: error: unrecognized arguments: --bogus"),
        (["data", "download", "--mirror", "ftp://x/", "--data-dir", "{empty}"], 2, r"--mirror must be http:// or https:// URLs with a host"),
        (["data", "download", "--data-dir", "/proc/version/x"], 2, r"--data-dir must be a folder that can hold the download, got /proc/version/x \(Not a directory\)"),
    ],
)  # fmt: skip
def test_errors_are_one_line(
    argv: list[str],
    status: int,
    pattern: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "empty").mkdir()
    assert _status([a.replace("{empty}", str(tmp_path / "empty")) for a in argv]) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(pattern, err[0]), err


def test_debug_after_an_action_shows_the_traceback(tmp_path: Path) -> None:
    from linearnets.errors import UsageError

    with pytest.raises(UsageError, match=r"root must be an existing folder"):
        main(["data", "show", "--data-dir", str(tmp_path / "nope"), "--debug"])
