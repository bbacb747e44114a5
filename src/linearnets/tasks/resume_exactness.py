"""Whether a resume matches an uninterrupted run bit for bit: the threads, processes, CPU kind
and torch it ran on.

A resume on another thread count or number of processes than the run last trained on takes its
sums in another order, so it matches to rounding only; one on a CPU whose vector instructions
differ (torch picks its kernels by them: AVX512, AVX2, ...) or with another torch release runs
other kernels, so it may. :func:`warn_not_bit_exact` says so (a
:class:`~linearnets.errors.ResumeWarning`), reading ``config.json``'s resumes
(:func:`last_ran_on`). Used by :mod:`linearnets.tasks.resume` and
:mod:`linearnets.tasks.linreg_resume`.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import torch

from linearnets._warn import warn
from linearnets.errors import ResumeWarning
from linearnets.tasks.resume_saved import started_environment

__all__ = ["LastRan", "last_ran_on", "warn_not_bit_exact"]

_FACTS = ("num_threads", "cpu_capability", "torch")  # of a record's environment


class LastRan(NamedTuple):
    """Where a run last trained, as ``config.json`` says (``None``: not recorded)."""

    threads: Any
    processes: Any
    cpu: Any  # torch's CPU capability, e.g. "AVX2"
    torch: Any  # the torch version


def last_ran_on(saved: dict[str, Any], *, epoch: int) -> LastRan:
    """Return where ``config.json`` says the run last trained: its latest resume's that trained
    an epoch, else its start's, each fact from the latest record that holds it.

    A resume trained epochs when the next one (or the checkpoint, of ``epoch`` epochs, after the
    last) starts from a later epoch than it did; one that trained none (stopped before its first
    epoch ended, or only writing a finished run's reports) left the weights as they were.
    ``saved``'s entries are as :func:`~linearnets.tasks.resume_entries.check_entries` took them
    (both resumes read ``config.json`` through it: a ``from_epoch`` of ``"1"`` is refused there);
    one built otherwise, without an integer ``from_epoch``, is taken as one that trained.
    """
    entries = [entry for entry in saved.get("resumes", []) if isinstance(entry, dict)]
    starts = [entry.get("from_epoch") for entry in entries]
    ends = [*starts[1:], epoch][: len(starts)]

    def trained(start: Any, end: Any) -> bool:  # unknown (not checked): it did
        numbers = all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end))
        return not numbers or end > start

    facts = dict.fromkeys(_FACTS)
    facts.update(_recorded(started_environment(saved)))
    processes = saved.get("world_size")
    for entry, start, end in zip(entries, starts, ends, strict=True):
        if not trained(start, end):
            continue
        facts.update(_recorded(entry.get("environment")))
        processes = entry.get("world_size", processes)
    return LastRan(facts["num_threads"], processes, facts["cpu_capability"], facts["torch"])


def _recorded(environment: Any) -> dict[str, Any]:
    """Return those of :data:`_FACTS` ``environment`` (a record's, if an object) holds, not null."""
    if not isinstance(environment, dict):
        return {}
    return {key: environment[key] for key in _FACTS if environment.get(key) is not None}


def warn_not_bit_exact(
    saved: dict[str, Any], *, num_threads: int, world_size: int, epoch: int, on_cpu: bool = True
) -> None:
    """Warn (:class:`~linearnets.errors.ResumeWarning`) that a resume on another thread count or
    number of processes than the run last trained on matches an uninterrupted run to rounding
    only (sums are then taken in another order), and that one on another CPU kind or torch
    release may (other kernels: AVX2's and AVX512's gave the same bits for the default impl, the
    plain ones others). It is not refused: the result is as good.

    Args:
        epoch: the epochs the checkpoint holds (where the latest resume recorded ended).
        on_cpu: whether the resume trains on the CPU, whose kernels the CPU kind picks (a GPU's
            are its own: the kind is then not compared).
    """
    threads, processes, cpu, version = last_ran_on(saved, epoch=epoch)
    changes: list[tuple[str, str, str]] = []  # (now, was, how to resume for bits)
    if isinstance(threads, int) and threads != num_threads:
        changes.append(
            (f"with num_threads={num_threads}", f"with {threads}", f"with num_threads={threads}")
        )
    if isinstance(processes, int) and processes != world_size:
        plural = "es" if world_size != 1 else ""
        fix = (
            f"in {processes} processes, torchrun --nproc_per_node={processes},"
            if processes > 1
            else "in one process, without torchrun,"
        )
        changes.append((f"in {world_size} process{plural}", f"in {processes}", fix))
    for now, was, fix in changes:
        warn(
            f"resumed {now}, where the run last ran {was}: it matches an uninterrupted run to "
            f"rounding, not bit for bit (resume {fix} for that)",
            ResumeWarning,
        )
    others: list[tuple[str, str, str]] = []
    here = torch.backends.cpu.get_cpu_capability()
    if on_cpu and isinstance(cpu, str) and cpu != here:  # other kernels: see runs.environment
        others.append((f"on a CPU torch runs {here} kernels on", f"on {cpu} ones", _on_kind(cpu)))
    if isinstance(version, str) and _release(version) != _release(torch.__version__):
        others.append(
            (f"with torch {torch.__version__}", f"with {version}", f"with torch {version}")
        )
    for now, was, fix in others:
        warn(
            f"resumed {now}, where the run last ran {was}: it may match an uninterrupted run to "
            f"rounding only, not bit for bit (resume {fix} to be sure of that)",
            ResumeWarning,
        )


def _on_kind(cpu: str) -> str:
    """How to resume on torch's ``cpu`` kernels (a capability, e.g. ``AVX512``): every CPU runs
    the plain ones when told to (``ATEN_CPU_CAPABILITY=default``); the others need a CPU that has
    the instructions, where torch picks them unless ``ATEN_CPU_CAPABILITY`` says otherwise."""
    if cpu in _PLAIN:  # read as torch starts: in a notebook, before the kernel starts
        return "with ATEN_CPU_CAPABILITY=default set before Python starts"
    return (
        f"on a CPU that has {cpu}, with ATEN_CPU_CAPABILITY unset or "
        f"ATEN_CPU_CAPABILITY={cpu.lower()}"
    )


_PLAIN = ("DEFAULT", "NO AVX")  # torch's names of its plain kernels (older releases: NO AVX)


def _release(version: str) -> str:
    """Return a torch version without the tag of a prebuilt wheel's variant (``2.13.0+cpu``,
    ``+cu124``, ``+rocm6.2``: ``2.13.0``); a source build's ``+git5d4e3f2`` is its commit, other
    code, and stays."""
    return re.sub(r"\+(cpu|cu\d+|rocm[\d.]+|xpu)$", "", version)
