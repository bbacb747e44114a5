"""Whether a resume matches an uninterrupted run bit for bit: the threads and processes it ran on.

Unit tests of :mod:`linearnets.tasks.resume_exactness` on ``config.json`` objects built by hand;
the resumes that warn are in ``test_resume.py`` and ``test_linreg_resume.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from linearnets.errors import ResumeWarning
from linearnets.tasks.resume_exactness import warn_not_bit_exact


def _resumed_on(*threads_from: tuple[int, int]) -> dict[str, Any]:
    """config.json of a run started on 1 thread, then resumed on (threads, from_epoch) each."""
    return {
        "environment": {"num_threads": 1},
        "world_size": 1,
        "resumes": [
            {"from_epoch": start, "environment": {"num_threads": n}, "world_size": 1}
            for n, start in threads_from
        ],
    }


def _notes(saved: dict[str, Any], *, num_threads: int, epoch: int) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_not_bit_exact(saved, num_threads=num_threads, world_size=1, epoch=epoch)
    return [str(w.message) for w in caught if w.category is ResumeWarning]


def test_a_resume_that_trained_no_epoch_is_not_where_the_run_last_ran() -> None:
    """A run trained on 1 thread to epoch 5; a resume with --threads 4 that trained nothing (it
    only wrote the reports, or was stopped before its first epoch ended) was taken as where the
    run last ran: going back to 1 thread was told it matched only to rounding, and advised 4,
    which would have; the plain resume, on 4, was told nothing."""
    assert _notes(_resumed_on(), num_threads=1, epoch=5) == []  # never resumed: its start's
    assert len(_notes(_resumed_on(), num_threads=2, epoch=5)) == 1
    saved = _resumed_on((4, 5))
    assert _notes(saved, num_threads=1, epoch=5) == []
    assert _notes(saved, num_threads=4, epoch=5) == [
        "resumed with num_threads=4, where the run last ran with 1: it matches an uninterrupted "
        "run to rounding, not bit for bit (resume with num_threads=1 for that)"
    ]
    # one that trained (from epoch 5 to the checkpoint's 7, or to the next resume's 7) counts
    assert _notes(saved, num_threads=1, epoch=7) == [
        "resumed with num_threads=1, where the run last ran with 4: it matches an uninterrupted "
        "run to rounding, not bit for bit (resume with num_threads=4 for that)"
    ]
    assert _notes(_resumed_on((4, 5), (2, 7), (1, 7)), num_threads=4, epoch=7) == []
    assert _notes(_resumed_on((4, 5), (2, 7)), num_threads=2, epoch=9) == []  # the latest's
    # an entry without a from_epoch (an older or hand-edited file) is taken as one that trained
    assert (
        _notes({**saved, "resumes": [{"environment": {"num_threads": 4}}]}, num_threads=4, epoch=5)
        == []
    )


def test_where_the_run_last_ran_falls_back_to_what_was_recorded_before() -> None:
    """A resume entry that recorded no thread count (an older file) leaves the one before it, and
    a run never resumed last ran in the processes it started in (config.json's world_size)."""
    saved = {**_resumed_on(), "resumes": [{"from_epoch": 1, "environment": {}}]}
    for environment in ({}, {"num_threads": None}):
        saved["resumes"][0]["environment"] = environment
        assert _notes(saved, num_threads=2, epoch=3) == [
            "resumed with num_threads=2, where the run last ran with 1: it matches an "
            "uninterrupted run to rounding, not bit for bit (resume with num_threads=1 for that)"
        ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_not_bit_exact({**_resumed_on(), "world_size": 2}, num_threads=1, world_size=1, epoch=3)
        warn_not_bit_exact({**_resumed_on(), "world_size": 1}, num_threads=1, world_size=2, epoch=3)
    assert [str(w.message) for w in caught if w.category is ResumeWarning] == [
        "resumed in 1 process, where the run last ran in 2: it matches an uninterrupted run to "
        "rounding, not bit for bit (resume in 2 processes, torchrun --nproc_per_node=2, for that)",
        "resumed in 2 processes, where the run last ran in 1: it matches an uninterrupted run to "
        "rounding, not bit for bit (resume in one process, without torchrun, for that)",
    ]


def test_a_torch_release_is_compared_without_its_wheels_variant_but_a_source_build_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2.13.0 and 2.13.0+cpu, one release in two wheels, were told apart; dropping every '+...'
    then took two source builds of other commits (+git...) as one."""
    import torch

    def noted(recorded: str, running: str) -> list[str]:
        monkeypatch.setattr(torch, "__version__", running)
        saved = {**_resumed_on(), "environment": {"num_threads": 1, "torch": recorded}}
        return _notes(saved, num_threads=1, epoch=1)

    assert noted("2.13.0", "2.13.0+cpu") == []
    assert noted("2.13.0+cu124", "2.13.0+rocm6.2") == []
    assert noted("2.13.0a0+git1a2b3c4", "2.13.0a0+git5d4e3f2") == [
        "resumed with torch 2.13.0a0+git5d4e3f2, where the run last ran with 2.13.0a0+git1a2b3c4: "
        "it may match an uninterrupted run to rounding only, not bit for bit (resume with torch "
        "2.13.0a0+git1a2b3c4 to be sure of that)"
    ]
    assert len(noted("2.12.1", "2.13.0")) == 1


def test_a_resume_on_a_gpu_is_not_told_of_the_cpus_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CPU kind picks the CPU's kernels only: a run trained on a GPU was told its resume may
    match only to rounding because the machine's CPU differed."""
    import torch

    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    saved = {**_resumed_on(), "environment": {"num_threads": 1, "cpu_capability": "AVX512"}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_not_bit_exact(saved, num_threads=1, world_size=1, epoch=1, on_cpu=False)
        warn_not_bit_exact(saved, num_threads=1, world_size=1, epoch=1)
    assert [str(w.message) for w in caught if w.category is ResumeWarning] == [
        "resumed on a CPU torch runs AVX2 kernels on, where the run last ran on AVX512 ones: it may "
        "match an uninterrupted run to rounding only, not bit for bit (resume on a CPU that has "
        "AVX512, with ATEN_CPU_CAPABILITY unset or ATEN_CPU_CAPABILITY=avx512 to be sure of that)"
    ]
