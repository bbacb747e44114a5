"""Tests for linearnets.path_checks: the path settings' length limits (``~`` and links are
exercised through the configs in test_config.py and test_run_config.py)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from linearnets import path_checks
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.path_checks import expand_user


def _name_max(folder: Path) -> int:
    return os.pathconf(folder, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255


def test_a_name_the_file_system_takes_is_accepted_one_byte_longer_is_refused(
    tmp_path: Path,
) -> None:
    """The oracle is the file system itself: mkdir takes the longest name and refuses one more."""
    longest = tmp_path / ("x" * _name_max(tmp_path))
    assert expand_user("out", longest) == longest
    longest.mkdir()  # the limit is the system's own
    too_long = tmp_path / ("x" * (_name_max(tmp_path) + 1))
    with pytest.raises(OSError) as system:
        too_long.mkdir()
    assert system.value.errno == errno.ENAMETOOLONG
    with pytest.raises(
        UsageError,
        match=rf"^out must be a path whose every file or folder name is at most "
        rf"{_name_max(tmp_path)} bytes \(the file system's limit\), got '/.*…x+', whose name "
        rf"'x+…x+' has {_name_max(tmp_path) + 1} bytes; shorten that name$",
    ):
        expand_user("out", too_long)


def test_a_long_name_alone_is_shown_shortened_with_its_size() -> None:
    """pathlib's is_dir() raised "File name too long" on it: the check must not call it."""
    limit = _name_max(Path.cwd())
    with pytest.raises(UsageError) as info:
        expand_user("data_dir", "x" * (limit + 1))
    assert str(info.value) == (
        f"data_dir must be a path whose every file or folder name is at most {limit} bytes (the "
        f"file system's limit), got '{'x' * 44}…{'x' * 15}' ({limit + 1} bytes); shorten that name"
    )


def test_names_are_measured_in_bytes_as_the_file_system_counts_them(tmp_path: Path) -> None:
    """128 characters of "é" are 256 bytes in UTF-8: too long, though fewer than 255 characters."""
    name = "é" * 128
    assert len(os.fsencode(name)) == 256
    with pytest.raises(UsageError, match="has 256 bytes"):
        expand_user("out", tmp_path / name / "a")
    assert expand_user("out", tmp_path / ("é" * 127)) == tmp_path / ("é" * 127)


def test_a_path_longer_than_the_system_takes_is_refused(tmp_path: Path) -> None:
    path_max = os.pathconf(tmp_path, "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    long = Path(*["abcdefgh"] * (path_max // 9 + 1))  # short names, a long whole
    assert len(os.fsencode(long)) >= path_max
    with pytest.raises(
        UsageError,
        match=rf"^RUN_DIR must be a path of at most {path_max - 1} bytes \(the file system's "
        rf"limit\), got 'abcdefgh/abcdefgh/.*' \({len(os.fsencode(long))} bytes\); pass a shorter "
        r"path$",
    ):
        expand_user("RUN_DIR", long)


def test_without_pathconf_a_name_is_held_to_255_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no pathconf; a file system that cannot say is taken as Linux's and macOS's."""
    monkeypatch.delattr(os, "pathconf", raising=False)
    assert expand_user("out", "x" * 255) == Path("x" * 255)
    with pytest.raises(UsageError, match=r"at most 255 bytes .* \(256 bytes\)"):
        expand_user("out", "x" * 256)
    assert path_checks.DEFAULT_NAME_MAX == 255


def test_every_path_setting_of_the_configs_is_held_to_the_limit() -> None:
    with pytest.raises(UsageError, match=r"^out must be a path whose every file or folder name"):
        SoftmaxConfig(out="runs/" + "x" * 256)
    with pytest.raises(UsageError, match=r"^data must be a path whose every file or folder name"):
        SoftmaxConfig(data="x" * 256 + ".npz")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["softmax", "--epochs", "1", "--plot", "none", "--out", "{long}"], "--out"),
        (["softmax", "--resume", "{long}"], "RUN_DIR"),  # --resume's value, as its --help names it
        (["predict", "{long}"], "RUN_DIR"),
        (["data", "--data-dir", "{long}"], "--data-dir"),
        (["linreg", "--data", "{long}.csv"], "--data"),
    ],
)
def test_every_command_names_the_option_of_a_name_too_long(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was a raw "[Errno 36] File name too long (OSError)", exit 1, no option named."""
    from linearnets.cli import main

    long = str(tmp_path / ("x" * 256))
    assert main([word.format(long=long) for word in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        f"linearnets {argv[0]}: error: {named} must be a path whose every file or folder name is "
        "at most 255 bytes (the file system's limit), got '"
    )


def test_the_shown_value_keeps_both_ends() -> None:
    assert path_checks._shortened("short") == "short"
    text = "a" * 50 + "MIDDLE" + "b" * 50
    assert path_checks._shortened(text) == "a" * 44 + "…" + "b" * 15
