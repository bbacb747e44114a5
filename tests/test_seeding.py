"""Runs started from Python leave the caller's session as they found it (threads, global generators)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.seeding import default_dtype, grad_enabled, kept_global_state, seed_everything
from linearnets.tasks.linreg import run_linreg
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax


def _draws() -> tuple[float, float, float]:
    return float(torch.rand(1)), float(np.random.rand()), random.random()


def _npz(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(90, 5)).astype(np.float32), rng.integers(0, 3, size=90)
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X[:20], y_test=y[:20])
    return tmp_path / "d.npz"


def _softmax(tmp_path: Path) -> None:
    config = SoftmaxConfig(data=_npz(tmp_path), out=tmp_path / "run", epochs=1, plot="none", seed=5)
    run_softmax(config)
    resume_softmax(tmp_path / "run", epochs=2)


def _linreg(tmp_path: Path) -> None:
    run_linreg(LinregConfig(epochs=1, seed=5))


@pytest.mark.parametrize("run", [_softmax, _linreg], ids=["softmax", "linreg"])
def test_a_run_gives_back_the_thread_count_and_the_global_generators(
    tmp_path: Path, run: Callable[[Path], Any]
) -> None:
    threads = 2 if torch.get_num_threads() != 2 else 3  # not the runs' default of 1
    torch.set_num_threads(threads)
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    expected = _draws()
    torch.manual_seed(123), np.random.seed(123), random.seed(123)
    run(tmp_path)  # pins 1 thread, seeds everything with 5
    assert torch.get_num_threads() == threads
    assert _draws() == expected  # the caller's streams go on where they were


def test_kept_global_state_restores_on_error() -> None:
    torch.manual_seed(7)
    expected = float(torch.rand(1))
    torch.manual_seed(7)
    with pytest.raises(RuntimeError), kept_global_state():
        torch.manual_seed(0)
        torch.set_num_threads(torch.get_num_threads() + 1)
        raise RuntimeError("stopped")
    assert float(torch.rand(1)) == expected


def test_every_accepted_seed_gives_its_own_streams() -> None:
    """torch keeps a seed's low 32 bits only: 2**32 would silently repeat seed 0, so it is refused."""
    from linearnets.errors import UsageError
    from linearnets.seeding import seed_everything

    def draws(seed: int) -> tuple[list[float], list[float]]:
        gens = seed_everything(seed)
        return torch.randn(3, generator=gens.init).tolist(), torch.randn(
            3, generator=gens.data
        ).tolist()

    top = draws(2**31 - 1)
    assert top != draws(0) and top[0] != top[1]
    for seed in (2**31, 2**32):
        with pytest.raises(UsageError, match=r"seed must be a non-negative integer \(at most 2\*\*31 - 1\)"):  # fmt: skip
            seed_everything(seed)


def test_a_bool_is_no_seed_and_a_thread_count_below_one_is_refused() -> None:
    from linearnets.errors import UsageError
    from linearnets.seeding import pin_threads, seed_everything

    with pytest.raises(UsageError, match=r"seed must be a non-negative integer .*got True") as info:
        seed_everything(True)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)  # a UsageTypeError, as check_seed's is
    threads = torch.get_num_threads()
    with pytest.raises(UsageError, match=r"num_threads must be a positive integer \(>= 1\), got 0"):
        pin_threads(0)
    assert torch.get_num_threads() == threads
    assert pin_threads(2) == 2 and torch.get_num_threads() == 2


def test_seed_everything_seeds_each_global_generator_as_its_own_library_would() -> None:
    from linearnets.seeding import seed_everything

    gens = seed_everything(5)
    assert random.random() == random.Random(5).random()
    assert np.random.rand() == np.random.RandomState(5).rand()
    assert torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(5)))
    # the data stream 1,000,003 above: a run's data order is the same in every version
    assert gens.init.initial_seed() == 5 and gens.data.initial_seed() == 1_000_008


def test_a_negative_seed_is_refused() -> None:
    from linearnets.errors import UsageError
    from linearnets.seeding import seed_everything

    with pytest.raises(UsageError, match=r"seed must be a non-negative integer .*got -1; pass e.g. seed=0"):  # fmt: skip
        seed_everything(-1)
    assert seed_everything(0).init.initial_seed() == 0  # the lower edge is a seed


@pytest.mark.parametrize("seed", [np.int64(3), np.uint8(3), torch.tensor(3), np.array(3)])
def test_an_integer_scalar_seeds_as_its_int_does(seed: Any) -> None:
    """seed_everything(np.int64(3)) was refused as a type error, though the configs take a NumPy
    integer and a 0-d integer tensor: it uses their check (check_seed), seeding as 3 does."""
    gens = seed_everything(seed)
    assert type(gens.init.initial_seed()) is int
    assert (gens.init.initial_seed(), gens.data.initial_seed()) == (3, 1_000_006)
    assert random.random() == random.Random(3).random()


def test_a_float_seed_is_still_refused_as_the_configs_refuse_it() -> None:
    from linearnets.errors import UsageTypeError

    with pytest.raises(UsageTypeError, match=r"^seed must be a non-negative integer \(at most 2\*\*31 - 1\), got 3\.0; pass e\.g\. seed=0$"):  # fmt: skip
        seed_everything(3.0)  # type: ignore[arg-type]


def test_run_generators_state_round_trip_restores_each_stream_apart() -> None:
    from linearnets.seeding import RunGenerators

    gens = RunGenerators(
        init=torch.Generator().manual_seed(1), data=torch.Generator().manual_seed(2)
    )
    torch.rand(4, generator=gens.data)  # the streams stand at different places
    saved = gens.state_dict()
    expected = (torch.rand(3, generator=gens.init), torch.rand(3, generator=gens.data))
    # an independent oracle: generators built from scratch and advanced the same way
    init, data = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    torch.rand(4, generator=data)
    assert torch.equal(expected[0], torch.rand(3, generator=init))
    assert torch.equal(expected[1], torch.rand(3, generator=data))
    other = RunGenerators(
        init=torch.Generator().manual_seed(9), data=torch.Generator().manual_seed(9)
    )
    other.load_state_dict(saved)
    assert torch.equal(torch.rand(3, generator=other.init), expected[0])
    assert torch.equal(torch.rand(3, generator=other.data), expected[1])


def test_kept_global_state_gives_back_cudas_generators_where_cuda_was_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CUDA branch without a GPU: the states read on entry are the ones written back on exit."""
    saved: list[object] = []
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: ["state at entry"])
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", saved.append)
    with kept_global_state():
        pass
    assert saved == [["state at entry"]]


def test_default_dtype_sets_it_for_the_block_and_gives_the_callers_back_on_error() -> None:
    torch.set_default_dtype(torch.float64)
    try:
        with pytest.raises(RuntimeError, match="stop"), default_dtype(torch.float32):
            assert torch.get_default_dtype() == torch.float32
            assert torch.randn(2, generator=torch.Generator().manual_seed(0)).dtype == torch.float32
            raise RuntimeError("stop")
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize(
    "caller", [torch.no_grad, torch.inference_mode], ids=["no_grad", "inference"]
)
def test_grad_enabled_turns_autograd_on_for_the_block_and_gives_the_callers_mode_back(
    caller: Callable[[], Any],
) -> None:
    """The oracle is torch's own state: grad on and no inference mode inside (a parameter made
    there is a normal tensor that trains), the caller's mode again after the block, an error too."""
    with caller():
        with pytest.raises(RuntimeError, match="stop"), grad_enabled():
            assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
            w = torch.ones(2, requires_grad=True)
            (w * 3).sum().backward()
            assert not w.is_inference() and w.grad is not None and w.grad.tolist() == [3.0, 3.0]
            raise RuntimeError("stop")
        assert not torch.is_grad_enabled()
        assert torch.is_inference_mode_enabled() == (caller is torch.inference_mode)
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_kept_global_state_gives_back_the_mps_generator_a_run_reseeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """macOS: every torch.manual_seed reseeds the MPS generator (where torch was built with MPS),
    so code in a run that calls it (a callback, the book's code) would leave the caller's MPS draws
    reseeded. Without a Mac: a CPU generator stands in for the MPS one, and torch is told it has
    MPS."""
    stand_in = torch.Generator().manual_seed(123)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: True)
    monkeypatch.setattr(torch.mps, "_is_in_bad_fork", lambda: False)
    monkeypatch.setattr(torch.mps, "manual_seed", lambda seed: stand_in.manual_seed(seed))
    monkeypatch.setattr(torch.mps, "get_rng_state", lambda device="mps": stand_in.get_state())
    monkeypatch.setattr(
        torch.mps, "set_rng_state", lambda state, device="mps": stand_in.set_state(state)
    )
    expected = torch.rand(3, generator=torch.Generator().set_state(stand_in.get_state()))
    with kept_global_state():
        torch.manual_seed(7)
        assert not torch.equal(
            torch.rand(3, generator=torch.Generator().set_state(stand_in.get_state())), expected
        )  # the run reseeded it
    assert torch.equal(torch.rand(3, generator=stand_in), expected)


@pytest.mark.parametrize("failure", [RuntimeError("no Metal device"), AttributeError("old")])
def test_an_mps_build_without_its_generator_is_left_alone(
    failure: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(device: str = "mps") -> torch.Tensor:
        raise failure

    written: list[object] = []
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: True)
    monkeypatch.setattr(torch.mps, "get_rng_state", refuse)
    monkeypatch.setattr(torch.mps, "set_rng_state", lambda *a, **k: written.append(a))
    with kept_global_state():
        pass
    assert not written


def test_seed_everything_leaves_the_accelerators_generators_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run draws only from CPU generators. torch.manual_seed would queue a CUDA seed before CUDA
    starts (which kept_global_state cannot take back: the caller's own queued seed would be lost)
    and reseed MPS on a Mac."""
    reseeded: list[str] = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: reseeded.append("cuda"))
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: True)
    monkeypatch.setattr(torch.mps, "_is_in_bad_fork", lambda: False)
    monkeypatch.setattr(torch.mps, "manual_seed", lambda seed: reseeded.append("mps"))
    torch.manual_seed(1)  # the oracle: torch's own seeding reaches both
    assert reseeded == ["cuda", "mps"]
    reseeded.clear()
    seed_everything(7)
    assert reseeded == []
    assert torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(7)))


def test_more_threads_than_the_processs_cores_are_taken_and_warned_of(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """num_threads=1000 on 2 cores trained silently at about 150 times an epoch's time (39 s,
    0.25 s at 1); it is taken, and warned of, naming the cores the process may use (its affinity)."""
    import os
    import warnings

    from linearnets.errors import ThreadsWarning
    from linearnets.seeding import pin_threads

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    with kept_global_state(), pytest.warns(ThreadsWarning) as caught:
        assert pin_threads(3) == 3
        assert torch.get_num_threads() == 3
    assert [str(w.message) for w in caught] == [
        "the run's thread count, 3, is more than the 2 CPU cores this process may use: the threads "
        "take turns, and training slows, often many times over; pass num_threads=2 or fewer"
    ]
    with kept_global_state(), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pin_threads(2) == 2  # as many as the cores: no warning


@pytest.mark.parametrize(
    ("threads", "processes", "cores", "said"),
    [
        (1, 2, 1, "1 in each of its 2 processes on this machine (2 threads), is more than the 1 "
                  "CPU core they may use: {} start at most 1 process"),
        (2, 3, 2, "2 in each of its 3 processes on this machine (6 threads), is more than the 2 "
                  "CPU cores they may use: {} pass num_threads=1, and start at most 2 processes"),
        (2, 2, 2, "2 in each of its 2 processes on this machine (4 threads), is more than the 2 "
                  "CPU cores they may use: {} pass num_threads=1"),
        (3, 2, 4, "3 in each of its 2 processes on this machine (6 threads), is more than the 4 "
                  "CPU cores they may use: {} pass num_threads=2 or fewer"),
        (2, 1, 1, "2, is more than the 1 CPU core this process may use: {} pass num_threads=1"),
    ],
)  # fmt: skip
def test_the_threads_of_every_process_on_the_machine_count_against_its_cores(
    monkeypatch: pytest.MonkeyPatch, threads: int, processes: int, cores: int, said: str
) -> None:
    """A data-parallel run's processes share the machine: torchrun --nproc_per_node 2 with
    --threads 2 on 2 cores ran 4 threads, unwarned (each rank compared its own count alone), and
    a warning was said once per rank. Rank 0 alone tells it (told), counting every process."""
    import os
    import warnings

    from linearnets.errors import ThreadsWarning
    from linearnets.seeding import pin_threads

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    turns = "the threads take turns, and training slows, often many times over;"
    with kept_global_state(), pytest.warns(ThreadsWarning) as caught:
        pin_threads(threads, processes=processes)
    assert [str(w.message) for w in caught] == ["the run's thread count, " + said.format(turns)]
    with kept_global_state(), warnings.catch_warnings():
        warnings.simplefilter("error")
        pin_threads(threads, processes=processes, told=False)  # another rank's: rank 0 says it
