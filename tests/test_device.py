"""Device selection: auto falls back to the CPU here; unavailable or unknown devices are clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from linearnets import device as device_module
from linearnets.device import antialias_resize_runs_on, resolve_device
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


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend this machine has two CUDA GPUs (torch.device objects need no GPU to be built)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)  # not under torchrun


@pytest.mark.parametrize(
    ("device", "local_rank", "expected"),
    [
        ("auto", 0, "cuda:0"),
        (None, 1, "cuda:1"),
        ("cuda", 0, "cuda:0"),
        ("cuda", 1, "cuda:1"),  # a bare "cuda" under torchrun: this process's own GPU
        ("cuda:1", 0, "cuda:1"),  # an explicit index wins over the rank
        (torch.device("cuda", 0), 1, "cuda:0"),
    ],
)
def test_cuda_is_picked_per_process(
    two_gpus: None, device: str | torch.device | None, local_rank: int, expected: str
) -> None:
    assert resolve_device(device, local_rank=local_rank) == torch.device(expected)


def test_the_defaults_are_auto_and_rank_zero(two_gpus: None) -> None:
    assert resolve_device() == torch.device("cuda", 0)
    assert resolve_device("cuda") == torch.device("cuda", 0)


def test_a_gpu_past_the_last_is_named(two_gpus: None) -> None:
    with pytest.raises(
        UsageError,
        match=r"^device 'cuda:2' names GPU 2, but this machine has 2; pass cuda:0 … cuda:1$",
    ):
        resolve_device("cuda:2")


def test_mps_is_picked_after_cuda_and_refused_where_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(UsageError, match=r"^device 'mps' needs Apple's MPS, not available here"):
        resolve_device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    assert resolve_device("mps") == torch.device("mps")


def test_auto_picks_cuda_before_mps_where_both_are_there(
    two_gpus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda", 0)
    assert resolve_device(None, local_rank=1) == torch.device("cuda", 1)


def _refused_alike(name: str | torch.device, message: str) -> None:
    """Assert that ``resolve_device`` and the config both refuse ``name`` with ``message``."""
    from linearnets.config import SoftmaxConfig

    with pytest.raises(UsageError) as info:
        resolve_device(name)
    assert str(info.value) == message
    with pytest.raises(UsageError) as info:
        SoftmaxConfig(device=name)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "name,fix",
    [
        ("cpu ", "drop the blank: pass device='cpu'"),
        (" cuda:0", "drop the blank: pass device='cuda:0'"),
        ("\tauto\n", "drop the blanks: pass device='auto'"),
        ("CPU", "write it in lower case: pass device='cpu'"),
        (" Mps ", "drop the blanks and write it in lower case: pass device='mps'"),
        (" gpu", "pass e.g. device='auto'"),  # no name without its blank either
    ],
)
def test_a_name_with_blanks_or_capitals_is_told_the_name_it_is(name: str, fix: str) -> None:
    """'cpu ' (a script's variable, a pasted line) was refused as an unknown name, with no word
    of the blank that made it one, where path options say to drop it."""

    message = f"device must be one of auto, cpu, cuda, cuda:N, mps, got {name!r}; {fix}"
    _refused_alike(name, message)


@pytest.mark.parametrize("name", ["cpu:1", "cpu:7", torch.device("cpu", 2)])
def test_a_cpu_index_past_0_is_refused(name: str | torch.device) -> None:
    """torch takes cpu:1 and trains on the same CPU as cpu (a tensor there says it is on 'cpu'):
    the index chose nothing, so it is refused, by the config and by resolve_device alike."""

    assert torch.zeros(1, device=name).device == torch.device("cpu")  # torch's own: ignored
    message = (
        f"device must be one of auto, cpu, cuda, cuda:N, mps, got {str(name)!r}: the CPU has no "
        "index past 0 (torch has one CPU device and ignores it, training on the same cores); pass "
        "device='cpu' (num_threads=N sets how many cores it uses)"
    )
    _refused_alike(name, message)


@pytest.mark.parametrize("name", ["mps:1", "mps:3", torch.device("mps", 1)])
def test_an_mps_index_past_0_is_refused_as_a_cpu_index_is(name: str | torch.device) -> None:
    """torch has one MPS device: mps:1 was taken by the config (cpu:1 was refused), and failed
    only once a tensor went there (or, on a machine without MPS, was said to need MPS)."""
    from linearnets.config import SoftmaxConfig

    message = (
        f"device must be one of auto, cpu, cuda, cuda:N, mps, got {str(name)!r}: Apple's MPS has "
        "no index past 0 (torch has one MPS device, the Mac's GPU); pass device='mps'"
    )
    _refused_alike(name, message)
    assert SoftmaxConfig(device="mps:0").device == "mps:0"  # torch's full name of the one


def test_cpu_0_torchs_full_name_of_the_cpu_is_taken() -> None:
    from linearnets.config import SoftmaxConfig

    assert resolve_device("cpu:0") == torch.device("cpu", 0)
    assert SoftmaxConfig(device="cpu:0").device == "cpu:0"
    with pytest.raises(UsageError, match=r"got 'cpu:1 '; pass e\.g\. device='auto'$"):
        SoftmaxConfig(device="cpu:1 ")  # no respelling to a name refused too


@pytest.mark.parametrize("name", [1.5, ["cpu"]])
def test_a_device_of_the_wrong_type_is_a_usage_error(name: object) -> None:
    with pytest.raises(
        UsageError, match=r"device must be one of auto, cpu, cuda, cuda:N, mps, got"
    ):
        resolve_device(name)  # type: ignore[arg-type]


@pytest.fixture
def one_gpu(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Pretend this machine has one CUDA GPU, and no torchrun around."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    return monkeypatch


# NCCL refuses two ranks on one GPU ("Duplicate GPU detected"): torchrun's 2 processes on a 1-GPU
# machine once both got cuda:0 ("auto" wrapped LOCAL_RANK 1 around, "cuda" said "pass cuda:0")
_BY_TORCHRUN = (
    "needs a GPU for each process, but torchrun started 2 processes on this machine, which has 1 "
    "GPU; use --nproc_per_node=1, or pass e.g. device='cpu'"
)
_BY_HAND = (
    "needs a GPU for each process, but LOCAL_RANK=1 says 2 or more run on this machine, which has "
    "1 GPU; start at most 1 per machine, or pass e.g. device='cpu'"
)


@pytest.mark.parametrize("device", ["auto", None, "cuda", "cuda:0", torch.device("cuda", 0)])
@pytest.mark.parametrize("local_rank", [0, 1])
def test_more_torchrun_processes_than_gpus_are_refused_on_every_rank(
    one_gpu: pytest.MonkeyPatch, device: str | torch.device | None, local_rank: int
) -> None:
    one_gpu.setenv("LOCAL_WORLD_SIZE", "2")  # torchrun --nproc_per_node=2
    name = "auto" if device is None else str(device)
    with pytest.raises(UsageError, match=rf"^device '{name}' {re.escape(_BY_TORCHRUN)}$"):
        resolve_device(device, local_rank=local_rank)


@pytest.mark.parametrize("device", ["auto", "cuda", "cuda:0"])
def test_a_local_rank_past_the_gpus_is_refused_without_torchruns_count(
    one_gpu: pytest.MonkeyPatch, device: str
) -> None:
    """Processes started by hand (or by mp.spawn) have no LOCAL_WORLD_SIZE: LOCAL_RANK 1 says two."""
    with pytest.raises(UsageError, match=rf"^device '{device}' {re.escape(_BY_HAND)}$"):
        resolve_device(device, local_rank=1)
    # the argument wins over the environment, as local_rank does
    with pytest.raises(UsageError, match=r"torchrun started 3 processes on this machine"):
        resolve_device(device, local_rank=0, local_world_size=3)


def test_a_local_rank_at_or_past_local_world_size_counts_by_the_rank(
    one_gpu: pytest.MonkeyPatch,
) -> None:
    """LOCAL_WORLD_SIZE=1 beside LOCAL_RANK=1 (a stale variable): rank 1 says two processes run,
    not torchrun's one, so the 1-GPU machine is refused rather than handed cuda:1, which it lacks."""
    one_gpu.setenv("LOCAL_WORLD_SIZE", "1")
    with pytest.raises(UsageError, match=rf"^device 'auto' {re.escape(_BY_HAND)}$"):
        resolve_device("auto", local_rank=1)


def test_as_many_processes_as_gpus_each_get_their_own_and_the_cpu_takes_any(
    one_gpu: pytest.MonkeyPatch,
) -> None:
    one_gpu.setenv("LOCAL_WORLD_SIZE", "1")
    assert resolve_device("auto") == resolve_device("cuda") == torch.device("cuda", 0)
    one_gpu.setattr(torch.cuda, "device_count", lambda: 2)
    one_gpu.setenv("LOCAL_WORLD_SIZE", "2")
    assert resolve_device("auto", local_rank=1) == torch.device("cuda", 1)
    one_gpu.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("cpu", local_rank=1) == torch.device("cpu")  # gloo: any number


@pytest.mark.parametrize("value", ["two", "2_0", "٢"])
def test_a_malformed_local_world_size_is_named_as_the_distributed_setup_names_it(
    one_gpu: pytest.MonkeyPatch, value: str
) -> None:
    """resolve_device said "must be an integer, got 'two'; torchrun sets it ...", the setup of a
    data-parallel run (env_int) "must be an integer in the digits 0-9, ... torchrun sets
    LOCAL_WORLD_SIZE ..."; and it read 2_0 as 20 and ٢ as 2, which the setup refuses."""
    from linearnets.training.distributed import env_int

    one_gpu.setenv("LOCAL_WORLD_SIZE", value)
    message = (
        f"environment variable LOCAL_WORLD_SIZE must be an integer in the digits 0-9, got "
        f"{value!r}; torchrun sets LOCAL_WORLD_SIZE for each process it starts: unset it to run "
        "a single process, or start the processes with torchrun"
    )
    with pytest.raises(UsageError) as info:
        resolve_device("auto")
    assert str(info.value) == message
    with pytest.raises(UsageError) as info:
        env_int("LOCAL_WORLD_SIZE", 1)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("device", "dtype"),
    [
        ("cpu", torch.float64),
        ("cuda", torch.float64),
        ("cuda:1", torch.float64),
        ("mps", torch.float32),
    ],
)
def test_sums_are_kept_in_float64_except_on_mps_which_has_none(
    device: str, dtype: torch.dtype
) -> None:
    from linearnets.device import accumulation_dtype

    assert accumulation_dtype(torch.device(device)) == dtype


def test_an_epochs_sums_and_the_guards_use_the_devices_accumulation_dtype(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where float64 is missing (MPS, not on this machine), the totals and the guard sum in float32."""
    import linearnets.training.guard_stats as guard_stats
    import linearnets.training.totals as totals

    monkeypatch.setattr(totals, "accumulation_dtype", lambda device: torch.float32)
    # the guard's sums are guard_stats' code, which looks the name up there
    monkeypatch.setattr(guard_stats, "accumulation_dtype", lambda device: torch.float32)
    losses = [torch.tensor([0.5, 1.5, 2.0]), torch.tensor([1.0, 1.0, 1.0])]
    epoch = totals.EpochTotals(summed=False)
    for l in losses:
        epoch.add(torch.zeros(3, 1), torch.zeros(3, 1), l)
    epoch._reduce()
    assert epoch.loss_sum.dtype == torch.float32 and float(epoch.loss_sum) == 7.0
    means = totals.EpochTotals(summed=False)
    means.add(torch.zeros(3, 1), torch.zeros(3, 1), torch.tensor(2.0))  # a 0-d mean of 3 losses
    means._reduce()
    assert means.loss_sum.dtype == torch.float32 and float(means.loss_sum) == 6.0
    sums = guard_stats.step_sums(losses)
    assert sums.dtype == torch.float32 and sums.tolist() == [4.0, 3.0]
    assert guard_stats.step_sums([torch.tensor(1.5), torch.tensor(2.5)]).dtype == torch.float32
    assert guard_stats.scalar(3, losses[0]).dtype == torch.float32
    # a data-parallel step's (sum, count), all-reduced over the processes
    pair = guard_stats.sum_and_count(losses[0])
    assert pair.dtype == torch.float32 and pair.tolist() == [4.0, 3.0]


def test_the_analytic_loss_check_compares_in_the_devices_accumulation_dtype(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where float64 is missing (MPS), check_same_loss compares and reports in float32: no op of
    the check makes a float64 tensor, for a loss that matches or one that differs."""
    from torch.overrides import TorchFunctionMode

    import linearnets.training.step as step
    from linearnets.models.scratch import SoftmaxRegressionScratch

    class Float64Spy(TorchFunctionMode):
        def __init__(self) -> None:
            super().__init__()
            self.made: list[str] = []

        def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            out = func(*args, **(kwargs or {}))
            if isinstance(out, torch.Tensor) and out.dtype == torch.float64:
                self.made.append(getattr(func, "__name__", str(func)))
            return out

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(8, 6, generator=gen), torch.randint(0, 3, (8,), generator=gen)
    net = SoftmaxRegressionScratch(6, 3, analytic=True, generator=gen)
    smoothed = torch.nn.CrossEntropyLoss(reduction="none", label_smoothing=0.1)
    # on the CPU the check widens to float64: the spy sees it, so it would see it on MPS too
    with Float64Spy() as spy, pytest.raises(UsageError, match="differs on the first batch"):
        step.check_same_loss(net, smoothed, X, y)
    assert spy.made
    monkeypatch.setattr(step, "accumulation_dtype", lambda device: torch.float32)
    with Float64Spy() as spy:
        step.check_same_loss(net, torch.nn.CrossEntropyLoss(reduction="none"), X, y)
        with pytest.raises(UsageError, match=r"differs on the first batch \(mean \S+ against \S+;"):
            step.check_same_loss(net, smoothed, X, y)
    assert spy.made == []


@pytest.mark.parametrize(
    ("device", "version", "here"),
    [
        ("mps", "2.6.0", False),  # the kernel came in torch 2.7 (pytorch/pytorch#145526)
        ("mps", "2.7.0", True),
        ("mps", "2.13.0+cpu", True),
        ("cpu", "2.3.0", True),
        ("cuda", "2.3.0", True),
    ],
)
def test_antialias_resize_runs_on(
    device: str, version: str, here: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(device_module.torch, "__version__", version)
    assert antialias_resize_runs_on(torch.device(device)) is here
