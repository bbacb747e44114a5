"""The environment of a data-parallel rank, for the command-line tests."""

from __future__ import annotations

import pytest


def as_rank_1(monkeypatch: pytest.MonkeyPatch, *, launched: bool) -> None:
    """Make this process rank 1 of 2 on 127.0.0.1:29500, started by torchrun (``launched``) or by
    hand (torchrun's TORCHELASTIC_RUN_ID unset)."""
    for name, value in {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": "29500"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    if launched:
        monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")
    else:
        monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
