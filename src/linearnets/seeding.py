"""One place that seeds everything a run uses, and pins the thread count for bit-exact results.

A run from Python also sets, for its own duration, what else of the caller's session would change its
numbers: torch's default dtype (:func:`default_dtype`) and autograd's grad mode (:func:`grad_enabled`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from linearnets._cores import usable_cores
from linearnets._signals import held_signals
from linearnets._warn import warn
from linearnets.config_checks import check_seed
from linearnets.errors import ThreadsWarning
from linearnets.validation import check_positive_int

__all__ = [
    "RunGenerators",
    "default_dtype",
    "grad_enabled",
    "kept_global_state",
    "pin_threads",
    "seed_everything",
]


@dataclass
class RunGenerators:
    """The random generators of one run: parameter initialisation and data order, seeded apart."""

    init: torch.Generator
    data: torch.Generator

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return every generator's state (for checkpoints)."""
        return {"init": self.init.get_state(), "data": self.data.get_state()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore the states saved by :meth:`state_dict`."""
        self.init.set_state(state["init"])
        self.data.set_state(state["data"])


def seed_everything(seed: int) -> RunGenerators:
    """Seed Python's, NumPy's and torch's global CPU generators and return the run's own generators.

    The run's generators are derived from ``seed`` with fixed offsets so that parameter
    initialisation and data order do not share a stream (changing the batch size must not change
    the initial weights). Both are CPU generators, whatever the device: a run draws nothing from a
    GPU's generators, so they are not seeded (``torch.manual_seed`` would also queue a seed for
    CUDA before it starts, which :func:`kept_global_state` could not take back, and reseed MPS).

    ``seed`` is checked as the configs check it (a NumPy integer or a 0-d integer tensor is the
    int it holds): an integer in [0, 2**31 - 1].
    """
    # the configs' check: a NumPy integer, a 0-d integer tensor or array taken as the int it
    # holds; True, a float or a value past 2**31 - 1 refused naming seed. torch's CPU generator
    # keeps a seed's low 32 bits only (2**32 repeats seed 0); below 2**31 the data stream's offset
    # stays inside them too, so no two seeds share both streams (one seed's data stream is the
    # init stream of the seed 1,000,003 above it)
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.default_generator.manual_seed(seed)  # torch.manual_seed's CPU part
    return RunGenerators(
        init=torch.Generator().manual_seed(seed),
        data=torch.Generator().manual_seed(seed + 1_000_003),
    )


def pin_threads(num_threads: int, *, processes: int = 1, told: bool = True) -> int:
    """Set torch's intra-op thread count (results are bit-identical only at a fixed count).

    More threads than the cores this process may use (each of ``processes`` on this machine with
    as many: a data-parallel run's) is allowed, the results being that count's, but warned of
    (:class:`~linearnets.errors.ThreadsWarning`, where ``told``: rank 0 says it once): the
    threads take turns, and an epoch takes many times as long.
    """
    num_threads = check_positive_int("num_threads", num_threads)
    cores = usable_cores()
    if told and num_threads * processes > cores:
        warn(_too_many_threads(num_threads, processes, cores), ThreadsWarning)
    torch.set_num_threads(num_threads)
    return num_threads


def _too_many_threads(num_threads: int, processes: int, cores: int) -> str:
    """Say that ``num_threads`` in each of ``processes`` is more than the ``cores``, and the fix."""
    each = (
        f" in each of its {processes} processes on this machine ({num_threads * processes} threads)"
        if processes > 1
        else ""
    )
    who = "they" if processes > 1 else "this process"
    fits = cores // processes
    if fits > 1:
        fix = f"pass num_threads={fits} or fewer"
    elif fits == 1:
        fix = "pass num_threads=1"
    else:
        fewer = f"start at most {cores} process{'es' if cores > 1 else ''}"
        fix = fewer if num_threads == 1 else f"pass num_threads=1, and {fewer}"
    return (
        f"the run's thread count, {num_threads}{each}, is more than the {cores} CPU "
        f"core{'s' if cores > 1 else ''} {who} may use: the threads take turns, and "
        f"training slows, often many times over; {fix}"
    )


@contextmanager
def kept_global_state() -> Iterator[None]:
    """Give back torch's thread count and the global generators' states on exit (also as a decorator).

    A run seeds the global generators and pins the thread count for its own sake; called from Python
    (a notebook, say), it must not leave the caller's session reseeded or on another thread count.
    Python's, NumPy's and torch's generators are restored, CUDA's where CUDA was started, and on a
    Mac Apple's MPS generator (``torch.manual_seed`` reseeds it in every macOS build of torch,
    whichever device the run used); where MPS is built but cannot give its state (no Metal device)
    it is left as it is. The restore runs whole: a Ctrl-C or SIGTERM during it is dropped (the
    block has ended, returning or raising, and that outcome stands).
    """
    threads = torch.get_num_threads()
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    mps = _mps_rng_state()
    try:
        yield
    finally:
        # never cut short (the caller's session half restored); a Ctrl-C in these milliseconds,
        # after the block ended either way, is dropped: the block's own outcome stands
        with held_signals(raise_after=False):
            torch.set_num_threads(threads)
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])
            if cuda is not None:
                torch.cuda.set_rng_state_all(cuda)
            if mps is not None:
                torch.mps.set_rng_state(mps)


def _mps_rng_state() -> torch.Tensor | None:
    """Return the MPS generator's state where torch was built with MPS (macOS), else ``None``."""
    backend = getattr(torch.backends, "mps", None)
    if backend is None or not backend.is_built():
        return None
    try:
        return torch.mps.get_rng_state()
    except (AttributeError, RuntimeError):  # an older torch, or no Metal device to ask
        return None


@contextmanager
def default_dtype(dtype: torch.dtype) -> Iterator[None]:
    """Make ``dtype`` torch's default while a run builds its models, then give the caller's back.

    The models draw their initial weights in the default dtype and take no dtype of their own; a
    float64 draw rounded to float32 afterwards is not the float32 draw, so a run in a notebook set to
    float64 (``torch.set_default_dtype``) sets it before, and draws what the command draws.
    """
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


@contextmanager
def grad_enabled() -> Iterator[None]:
    """Run the block with autograd on, outside inference mode, whatever the caller's (also as a decorator).

    A whole run trains the same in any notebook cell: inside the caller's ``torch.no_grad()`` the
    autograd implementations (``scratch``, ``concise``) would find no graph to differentiate, while
    ``analytic`` (no graph) trained; inside ``torch.inference_mode()`` the models' parameters would
    be inference tensors, which no update may change. The caller's mode comes back on exit.
    See D2L §2.5 (automatic differentiation).
    """
    modes = (torch.inference_mode(False), torch.enable_grad())
    for mode in modes:
        mode.__enter__()
    try:
        yield
    finally:
        with held_signals(
            raise_after=False
        ):  # the caller's mode back whole (see kept_global_state)
            for mode in reversed(modes):
                mode.__exit__(None, None, None)
