"""A figure's output path checked before anything is drawn (:mod:`linearnets.plotting._out_path`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from linearnets.errors import UsageError
from linearnets.plotting._out_path import check_out_path

needs_dev_null = pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null here")


@needs_dev_null
@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("/dev/null", "a device in /dev, the folder of the system's devices"),
        ("/dev/no-such-device-here", "in /dev, the folder of the system's devices"),
        # whatever the suffix: root wrote /dev/null.png among the devices
        ("/dev/null.png", "in /dev, the folder of the system's devices"),
        ("/dev/x.svg", "in /dev, the folder of the system's devices"),
        # a folder there was offered a file in it, /dev/predict-6.png
        ("/dev", "/dev, the folder of the system's devices"),
        ("/dev/", "/dev, the folder of the system's devices"),
        ("/sys/x.png", "in /sys, the kernel's folder of its settings"),
    ],
)
def test_a_device_or_a_name_in_dev_is_refused_with_a_name_in_the_working_folder(
    out: str, why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--out /dev/null`` was told "pass e.g. --out /dev/null.png", a file written into /dev;
    ``/dev/null.png`` itself was written there, and ``/dev`` offered ``/dev/predict-6.png``."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as raised:
        check_out_path("--out", out, file_name="predict-6.png")
    assert str(raised.value) == (
        f"--out must be a file in a folder of your own, got '{out.rstrip('/') or '/'}', which is "
        f"{why}; pass e.g. --out predict-6.png, in the working folder"
    )


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc here")
@pytest.mark.parametrize("out", ["/dev/fd", "/dev/fd/1", "/proc/self/fd/1", "/proc/self/fd/x.png"])
def test_a_path_that_leads_into_proc_is_refused_with_where_it_leads(
    out: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/dev/fd`` (really /proc/self/fd) was offered ``/dev/fd/predict-6.png``, ``/dev/fd/1``
    ``/dev/fd/1.png``."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as raised:
        check_out_path("--out", out, file_name="predict-6.png")
    assert re.fullmatch(
        rf"--out must be a file in a folder of your own, got '{re.escape(out)}', which is "
        r"(a device )?in (/proc, the kernel's folder of processes|/dev, the folder of the "
        r"system's devices) \(it leads to /\S+\); pass e\.g\. --out predict-6\.png, in the "
        r"working folder",
        str(raised.value),
    ), str(raised.value)


def test_the_name_offered_in_the_working_folder_is_a_free_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Following the advice overwrote a figure of the same name in the working folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "predict-6.png").write_bytes(b"mine")
    with pytest.raises(UsageError, match=r"pass e\.g\. --out predict-6-2\.png, in the working"):
        check_out_path("--out", "/dev/null.png", file_name="predict-6.png")


def test_a_name_without_an_extension_elsewhere_is_refused_with_its_own_name_kept(
    tmp_path: Path,
) -> None:
    """Only /dev's names are moved: a folder for files keeps the user's folder and name."""
    out = tmp_path / "grid"
    with pytest.raises(UsageError, match=rf"pass e\.g\. --out {re.escape(str(out))}\.png$"):
        check_out_path("--out", out)


@needs_dev_null
def test_data_show_out_dev_null_png_is_refused_with_its_default_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from linearnets.cli import main

    assert main(["data", "show", "--out", "/dev/null.png"]) == 2
    assert capsys.readouterr().err == (
        "linearnets data show: error: --out must be a file in a folder of your own, got "
        "'/dev/null.png', which is in /dev, the folder of the system's devices; pass e.g. --out "
        "fashion-mnist.png, in the working folder\n"
    )
