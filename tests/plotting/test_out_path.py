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
        ("/dev/null", "a device, not a file a figure can be written to"),
        ("/dev/no-such-device-here", "in /dev, the system's devices, no place for a figure"),
    ],
)
def test_a_device_or_a_name_in_dev_is_refused_with_a_name_in_the_working_folder(
    out: str, why: str
) -> None:
    """``--out /dev/null`` was told "pass e.g. --out /dev/null.png", a file written into /dev."""
    with pytest.raises(UsageError) as raised:
        check_out_path("--out", out, file_name="predict-6.png")
    assert str(raised.value) == (
        f"--out must end with one of .png, .svg, .pdf, got '{out}', {why}; pass e.g. --out "
        "predict-6.png, in the working folder"
    )


def test_a_name_without_an_extension_elsewhere_is_refused_with_its_own_name_kept(
    tmp_path: Path,
) -> None:
    """Only /dev's names are moved: a folder for files keeps the user's folder and name."""
    out = tmp_path / "grid"
    with pytest.raises(UsageError, match=rf"pass e\.g\. --out {re.escape(str(out))}\.png$"):
        check_out_path("--out", out)


@needs_dev_null
def test_data_show_out_dev_null_is_refused_with_its_default_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from linearnets.cli import main

    assert main(["data", "show", "--out", "/dev/null"]) == 2
    assert capsys.readouterr().err == (
        "linearnets data show: error: --out must end with one of .png, .svg, .pdf, got "
        "'/dev/null', a device, not a file a figure can be written to; pass e.g. --out "
        "fashion-mnist.png, in the working folder\n"
    )
