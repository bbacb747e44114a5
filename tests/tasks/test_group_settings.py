"""The settings every process of a data-parallel run compares (unit tests of tasks/group_settings.py).

The per-setting and missing-file cases are in test_softmax_task.py; these pin how a ``data`` file
that cannot be read on a process is shown and compared.
"""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from linearnets import _fs
from linearnets.config import SoftmaxConfig
from linearnets.tasks.group_settings import shared_settings


def _data(path: Path) -> Path:
    np.savez(path, X=np.ones((4, 2), np.float32), y=np.array([0, 1, 0, 1]))
    return path


def test_an_oserror_without_an_errno_is_named_by_its_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OSError("...") has no strerror: the file was shown as '(oserror there)', the class name
    lowercased with the strerror it stood in for; an errno's strerror is still lowercased."""
    data = _data(tmp_path / "d.npz")

    def failing(path: Path) -> str:
        raise OSError("the share went away")

    monkeypatch.setattr(_fs, "sha256_file", failing)
    assert (
        repr(shared_settings(SoftmaxConfig(data=data))["data"]) == f"{str(data)!r} (OSError there)"
    )

    def stale(path: Path) -> str:
        raise OSError(errno.ESTALE, "Stale file handle", str(path))

    monkeypatch.setattr(_fs, "sha256_file", stale)
    assert repr(shared_settings(SoftmaxConfig(data=data))["data"]) == (
        f"{str(data)!r} (stale file handle there)"
    )


def test_a_file_unreadable_on_two_processes_for_other_reasons_is_not_told_as_other_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both processes then fail to load it, each naming its reason: their settings agree (the
    reason is shown, not compared), where a readable copy and an unreadable one differ."""
    data = _data(tmp_path / "d.npz")
    readable = shared_settings(SoftmaxConfig(data=data))["data"]
    seen = []
    for code, text in ((errno.EIO, "Input/output error"), (errno.ESTALE, "Stale file handle")):

        def failing(path: Path, code: int = code, text: str = text) -> str:
            raise OSError(code, text, str(path))

        monkeypatch.setattr(_fs, "sha256_file", failing)
        seen.append(shared_settings(SoftmaxConfig(data=data))["data"])
    assert seen[0] == seen[1] and repr(seen[0]) != repr(seen[1])
    assert seen[0] != readable
