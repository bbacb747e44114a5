"""Device selection: auto falls back to the CPU here; unavailable or unknown devices are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from linearnets.device import resolve_device
from linearnets.errors import UsageError


def test_cpu_and_auto() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on machines without CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_gpu_is_a_usage_error(name: str) -> None:
    # in the API's words (the command line says --device auto)
    with pytest.raises(
        UsageError,
        match=r"needs CUDA, but no CUDA GPU is available here.*; pass e.g. device='auto'",
    ):
        resolve_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on machines without CUDA")
def test_the_command_line_names_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linearnets.cli import main

    monkeypatch.chdir(tmp_path)  # a run folder, if one were left, goes there

    assert main(["softmax", "--device", "cuda", "--epochs", "1", "--plot", "none"]) == 2
    assert "needs CUDA, but no CUDA GPU is available here" in (err := capsys.readouterr().err)
    assert "pass e.g. --device auto (CUDA when there is one, else the CPU)" in err


@pytest.mark.parametrize("name", ["gpu", "tpu:0", "cuda:x", "", "xla", "meta"])
def test_unknown_names(name: str) -> None:
    """Unknown to torch, or known to torch (xla, meta) but not a device to train on: the same fix."""
    with pytest.raises(UsageError, match=r"device must be one of auto, cpu, cuda, cuda:N, mps, got .*; pass e.g. device='auto'"):  # fmt: skip
        resolve_device(name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_index_out_of_range() -> None:
    with pytest.raises(UsageError, match=r"names GPU 99"):
        resolve_device("cuda:99")
