"""torchrun's integer environment variables, read by :func:`linearnets._env.env_int`."""

from __future__ import annotations

import pytest

from linearnets._env import env_int
from linearnets.errors import UsageError


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("2", 2), ("16", 16)])
def test_world_size_of_one_process_or_more_is_read(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    """At least 1 is the rule: one process (what torchrun --nproc-per-node 1 writes) is allowed."""
    monkeypatch.setenv("WORLD_SIZE", value)
    assert env_int("WORLD_SIZE", 5) == expected


@pytest.mark.parametrize("value", ["\u00a03", "3\u2003", "\u30003"])
def test_digits_padded_with_non_ascii_spaces_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """``int()`` skips Unicode spaces (a no-break space read as 3); torchrun writes none, and the rule
    is the digits 0-9: they were read as 3 without a word."""
    monkeypatch.setenv("RANK", value)
    with pytest.raises(UsageError) as info:
        env_int("RANK", 0)
    assert str(info.value) == (
        f"environment variable RANK must be an integer in the digits 0-9, got {value!r}; torchrun "
        "sets RANK for each process it starts: unset it to run a single process, or start the "
        "processes with torchrun"
    )


def test_a_given_environment_is_read_instead_of_the_processs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """quiet_torch_warnings reads the environment it is given the same way as the run reads its own."""
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert env_int("WORLD_SIZE", 1, environ={"WORLD_SIZE": "+2"}) == 2
    assert env_int("WORLD_SIZE", 1, environ={}) == 1
    with pytest.raises(
        UsageError, match=r"WORLD_SIZE must be an integer in the digits 0-9, got '2_0'"
    ):
        env_int("WORLD_SIZE", 1, environ={"WORLD_SIZE": "2_0"})
