"""The settings a refused new run differs in from the run its folder holds (asked_settings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linearnets.data.files import FASHION_MNIST_FILES
from linearnets.training.asked_settings import AskedSettings, differing


def _run_with(out: Path, **config: object) -> Path:
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"config": config}), encoding="utf-8")
    return out


def test_data_dir_left_out_or_given_as_the_folder_found_is_no_difference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data_dir left out, beside the folder the search finds given explicitly, was named as a
    difference ("it ran with data_dir=None, yours with data_dir='/d/fm'") though both read the
    same files: compared by the folder each reads."""
    fm = tmp_path / "fm"
    fm.mkdir()
    for name in FASHION_MNIST_FILES:
        (fm / name).write_bytes(b"")
    monkeypatch.setenv("LINEARNETS_DATA", str(fm))
    left_out = _run_with(tmp_path / "F", data_dir=None, lr=0.1)
    given = _run_with(tmp_path / "G", data_dir=str(fm), lr=0.1)
    assert differing(left_out, AskedSettings({"data_dir": str(fm)}, forced=())) == {}
    assert differing(given, AskedSettings({"data_dir": None}, forced=())) == {}
    spelt = str(tmp_path / "." / "fm")  # the same folder spelt otherwise
    assert differing(given, AskedSettings({"data_dir": spelt}, forced=())) == {}
    other = tmp_path / "other"
    assert differing(given, AskedSettings({"data_dir": str(other)}, forced=())) == {
        "data_dir": (str(fm), str(other))
    }
