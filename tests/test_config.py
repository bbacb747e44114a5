"""Run settings: the book's defaults, the limits at their exact edges, and the JSON round trip."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.errors import UsageError, UsageTypeError


def test_softmax_defaults_are_the_books_settings() -> None:
    # D2L §3.6.6/§3.7: lr 0.1, batch 256, 10 epochs; the fastest implementation, drawn where it can
    assert SoftmaxConfig().to_dict() == {
        "impl": "analytic", "epochs": 10, "lr": 0.1, "batch_size": 256, "seed": 0,
        "num_threads": 1, "data_dir": None, "data": None, "out": None, "plot": "auto",
        "resize": None, "device": "auto", "guard": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "pattern"),
    [
        ({"seed": 2**31}, r"seed must be a non-negative integer \(at most 2\*\*31 - 1\), got 2147483648"),
        ({"lr": 1e-38}, r"lr must be at least about 1\.18e-38 .*got 1e-38"),
        ({"resize": 4097, "batch_size": 1}, r"resize must be an integer in \[1, 4096\], got 4097; pass e.g. resize=64 \(a side from 1 to 4096\)"),
        # the book's `if resize:` reads 0 as "no resize": here that is None
        ({"resize": 0}, r"resize must be a positive integer \(>= 1\), got 0; pass e.g. resize=64 \(a side from 1 to 4096\), or resize=None for the images' own size$"),
        # 129 × 2048² float32 values are just over 2 GiB
        ({"resize": 2048, "batch_size": 129}, r"must fit in 2 GiB per batch, got 129 × 2048² \(2\.02 GiB\); lower resize or batch_size$"),
        ({"plot": "png"}, r"plot must be one of"),
        ({"lr": 3.5e38}, r"^lr must be a number from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), got 3\.5e\+38; pass e\.g\. lr=0\.1$"),
        ({"epochs": 2**62 + 1}, r"^epochs must be an integer in \[1, 4611686018427387904\], got"),
    ],
)  # fmt: skip
def test_softmax_limits_are_refused_just_past_their_edge(
    settings: dict[str, object], pattern: str
) -> None:
    with pytest.raises(UsageError, match=pattern):
        SoftmaxConfig(**settings)  # type: ignore[arg-type]


def test_softmax_limits_are_accepted_at_their_edge() -> None:
    SoftmaxConfig(seed=2**31 - 1, lr=1.2e-38, resize=2048, batch_size=128)  # exactly 2 GiB
    SoftmaxConfig(resize=4096, batch_size=32)  # exactly 2 GiB too


def test_linreg_needs_one_example_more_than_weights() -> None:
    assert LinregConfig(num_examples=3).num_examples == 3  # 2 weights and a bias: 3 rows suffice
    with pytest.raises(
        UsageError, match=r"num_examples must be an integer in \[4, 100000000\] .*got 3"
    ):
        LinregConfig(true_w=(1.0, 2.0, 3.0), num_examples=3)
    # the range named is the whole one, also for a value past its top
    with pytest.raises(
        UsageError, match=r"num_examples must be an integer in \[4, 100000000\] .*got 100000001"
    ):
        LinregConfig(true_w=(1.0, 2.0, 3.0), num_examples=100_000_001)
    assert LinregConfig(data=Path("d.csv")).num_examples is None  # the file's rows decide


def test_paths_are_expanded_and_data_paths_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    config = SoftmaxConfig(data="~/d.npz", data_dir="fm", out="~/runs/a")
    assert config.data == tmp_path / "home" / "d.npz"
    assert config.data_dir == tmp_path / "fm"  # a resume from another folder finds the same
    assert config.out == tmp_path / "home" / "runs" / "a"
    assert LinregConfig(data=Path("~/x.csv")).data == tmp_path / "home" / "x.csv"
    linreg_out = LinregConfig(out="~/runs/b").out  # checked as softmax's: a Path, ~ expanded
    assert type(linreg_out) is type(tmp_path) and linreg_out == tmp_path / "home" / "runs" / "b"
    # '' is a str: the rule broken is emptiness (Path('') would be this folder), not the type
    with pytest.raises(UsageError, match=r"^data must be a non-empty path or None, got ''; pass a"):
        SoftmaxConfig(data="")


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: LinregConfig(data=""), r"^data must be a non-empty path or None, got ''; pass a data file, e\.g\. data='train\.npz', or data=None$"),
        (lambda: SoftmaxConfig(data=""), r"^data must be a non-empty path or None, got ''; pass a data file, e\.g\. data='train\.npz', or data=None$"),
        (lambda: LinregConfig(out=""), r"^out must be a non-empty path or None, got ''; pass the run folder to create, e\.g\. out='runs/a', or out=None$"),
        (lambda: SoftmaxConfig(out=""), r"^out must be a non-empty path or None, got ''; pass the run folder to create, e\.g\. out='runs/a', or out=None$"),
        (lambda: SoftmaxConfig(data_dir=""), r"^data_dir must be a non-empty path or None, got ''; pass the folder holding the Fashion-MNIST files, e\.g\. data_dir='data/fashion-mnist', or data_dir=None$"),
        (lambda: LinregConfig(data=3), r"^data must be a path \(str, pathlib\.Path or another os\.PathLike\) or None, got 3; pass a data file, e\.g\. data='train\.npz'$"),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_a_bad_path_setting_is_told_the_path_that_setting_takes(
    make: Callable[[], object], pattern: str
) -> None:
    """Each example is a value the setting takes, checked here: both configs accept data='train.npz'
    (linear regression reads .npz as well as .csv; softmax only .npz)."""
    with pytest.raises(UsageError, match=pattern):
        make()
    assert LinregConfig(data="train.npz").data == Path("train.npz")
    assert SoftmaxConfig(data="train.npz", out="runs/a").out == Path("runs/a")


def test_a_config_survives_its_json_round_trip(tmp_path: Path) -> None:
    import json

    config = SoftmaxConfig(data=tmp_path / "d.npz", out=tmp_path / "run", lr=0.05, seed=3)
    saved = json.loads(json.dumps(config.to_dict()))
    assert saved["data"] == str(tmp_path / "d.npz") and saved["out"] == str(tmp_path / "run")
    assert SoftmaxConfig.from_dict(saved) == config
    with pytest.raises(UsageError, match=r"config has settings this linearnets does not know: "
                       r"'colour', 'momentum'; it was written by another version, or edited "
                       r"by hand"):  # fmt: skip
        SoftmaxConfig.from_dict({**saved, "momentum": 0.9, "colour": "red"})
    linreg = LinregConfig(data=tmp_path / "d.csv")
    assert json.loads(json.dumps(linreg.to_dict()))["data"] == str(tmp_path / "d.csv")
    assert dataclasses.replace(linreg, epochs=4).epochs == 4


def test_numpy_scalars_are_stored_as_plain_numbers_that_write_as_json() -> None:
    """A sweep over np.arange values: the config keeps Python numbers, so the run's JSON is written."""
    import json

    import numpy as np

    config = SoftmaxConfig(
        lr=np.float32(0.5), batch_size=np.int64(64), seed=np.int64(3), epochs=np.int32(2),
        num_threads=np.int16(1), resize=np.int64(14), guard=np.bool_(False),
    )  # fmt: skip
    for name, kind in [("lr", float), ("batch_size", int), ("seed", int), ("epochs", int),
                       ("num_threads", int), ("resize", int), ("guard", bool)]:  # fmt: skip
        assert type(getattr(config, name)) is kind, name
    assert json.loads(json.dumps(config.to_dict()))["batch_size"] == 64
    assert config.lr == 0.5 and config == SoftmaxConfig(
        lr=0.5, batch_size=64, seed=3, epochs=2, resize=14, guard=False
    )
    linreg = LinregConfig(
        lr=np.float64(0.03), true_w=np.array([2.0, -3.4]), true_b=np.float32(4.25),
        num_examples=np.int64(100), noise_std=np.float32(0.5), seed=np.uint8(1),
        guard=np.bool_(True),
    )  # fmt: skip
    assert json.loads(json.dumps(linreg.to_dict()))["true_w"] == [2.0, -3.4]
    assert linreg.guard is True
    assert type(linreg.true_b) is float and linreg.true_b == 4.25
    assert type(linreg.noise_std) is float and type(linreg.num_examples) is int


def test_a_run_from_a_numpy_config_writes_its_folder(tmp_path: Path) -> None:
    import numpy as np

    from linearnets.tasks.softmax import run_softmax

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(40, 3)).astype(np.float32),
             y=rng.integers(0, 2, size=40))  # fmt: skip
    out = tmp_path / "run"
    config = SoftmaxConfig(data=tmp_path / "d.npz", lr=np.float32(0.1), batch_size=np.int64(8),
                           epochs=1, plot="none", out=out)  # fmt: skip
    result = run_softmax(config)
    assert (out / "config.json").is_file() and (out / "results.json").is_file()
    assert len(result.history.epochs) == 1


@pytest.mark.parametrize(
    ("settings", "pattern"),
    [
        ({"true_w": "ab"}, r"true_w must be a sequence of numbers, got 'ab'"),
        ({"true_w": 5}, r"true_w must be a sequence of numbers, got 5"),
        ({"true_w": (1.0, "x")}, r"true_w must hold numbers, got 'x' in it"),
        ({"true_w": (1.0, float("inf"))}, r"true_w must hold finite numbers, got inf"),
        ({"true_w": ()}, r"^true_w must hold at least one weight, got \(\); pass"),
        # what was given: an empty list was said as "got ()", an iterator by its kind (its repr
        # is an address)
        ({"true_w": []}, r"^true_w must hold at least one weight, got \[\]; pass"),
        (
            {"true_w": iter(())},
            r"^true_w must hold at least one weight, got an empty tuple_iterator;",
        ),
        ({"true_b": "4.2"}, r"true_b must be a number, got '4.2'"),
        ({"true_b": float("nan")}, r"true_b must be a finite number, got nan"),
        # ints past float's range: float() raised a bare OverflowError naming no setting
        (
            {"true_w": (1.0, 10**400)},
            r"^true_w must hold finite numbers, got 1000000000\d+\.\.\.; pass",
        ),
        (
            {"true_b": 10**400},
            r"^true_b must be a finite number, got 1000000000\d+\.\.\.; pass e\.g\. 4\.2$",
        ),
        (
            {"lr": 10**400},
            r"^lr must be a finite number > 0, got 1000000000\d+\.\.\.; pass e\.g\. lr=0\.03$",
        ),
        (
            {"noise_std": -(10**400)},
            r"^noise_std must be a finite number >= 0, got -1000000000\d+\.\.\.",
        ),
        # bytes iterate as ints and bools are ints: neither is a weight someone meant
        ({"true_w": b"ab"}, r"true_w must be a sequence of numbers, got b'ab'"),
        ({"true_w": (True, 2.0)}, r"true_w must hold numbers, got True in it"),
        # the fix names a count the weights take (num_examples=1 would be refused next)
        (
            {"num_examples": 0},
            r"^num_examples must be a positive integer \(>= 1\), got 0; pass e\.g\. num_examples=1000 "
            r"\(from 3 to 100000000\)$",
        ),
        # a set has no order (and merges equal weights), a dict iterates its keys: neither is w
        (
            {"true_w": {-3.4, 2.0}},
            r"^true_w must be a sequence of numbers, in order, got a set \{.*\} \(it has no order\); "
            r"pass e\.g\. \(2\.0, -3\.4\)$",
        ),
        ({"true_w": frozenset({1.0})}, r"true_w must be a sequence of numbers, in order, got a"),
        (
            {"true_w": {1.5: 2.0}},
            r"^true_w must be a sequence of numbers, in order, got a dict \{1\.5: 2\.0\} \(its keys "
            r"would be the weights\); pass e\.g\. \(2\.0, -3\.4\)$",
        ),
        # nested lists other than a column [[w1], [w2]] (d, 1): rows, a mix, a deeper column
        (
            {"true_w": [[2.0, 1.0], [-3.4, 1.0]]},
            r"^true_w must be 1-d \(d,\) or a column \(d, 1\), got nested lists \[\[2\.0, 1\.0\], "
            r"\[-3\.4, 1\.0\]\]; pass e\.g\. \(2\.0, -3\.4\) or \[\[2\.0\], \[-3\.4\]\]$",
        ),
        ({"true_w": [[2.0], -3.4]}, r"^true_w must be 1-d \(d,\) or a column \(d, 1\), got nested"),
        (
            {"true_w": [[[2.0]], [[1.0]]]},
            r"^true_w must be 1-d \(d,\) or a column \(d, 1\), got nest",
        ),
        (
            {"true_w": [[]]},
            r"^true_w must be 1-d \(d,\) or a column \(d, 1\), got nested lists \[\[\]\]",
        ),
        ({"true_b": True}, r"true_b must be a number, got True"),
        ({"seed": True}, r"seed must be a non-negative integer \(at most 2\*\*31 - 1\), got True"),
    ],
)
def test_linreg_truth_is_checked(settings: dict[str, object], pattern: str) -> None:
    with pytest.raises(UsageError, match=pattern):
        LinregConfig(**settings)  # type: ignore[arg-type]


def test_a_bool_array_of_weights_is_refused_as_its_bools_not_cast_to_numbers() -> None:
    import numpy as np
    import torch

    for weights in (np.array([True, False]), torch.tensor([True, False])):
        with pytest.raises(
            UsageTypeError, match=r"^true_w must hold numbers, got True in it; pass"
        ):
            LinregConfig(true_w=weights)


def test_a_bool_seed_is_refused_by_softmax_too() -> None:
    with pytest.raises(UsageError, match=r"seed must be a non-negative integer .*got False"):
        SoftmaxConfig(seed=False)


@pytest.mark.parametrize("make", [LinregConfig, SoftmaxConfig])
@pytest.mark.parametrize("seed", [True, "0", 1.5, None])
def test_a_seed_of_another_type_is_a_usage_type_error_as_epochs_and_lrs_are(
    make: Callable[..., object], seed: object
) -> None:
    """seed=True raised UsageError where epochs=True and lr=True raise UsageTypeError; a seed
    out of range stays a UsageError (no TypeError), as epochs=0 is."""
    with pytest.raises(UsageTypeError) as info:
        make(seed=seed)
    assert str(info.value) == (
        f"seed must be a non-negative integer (at most 2**31 - 1), got {seed!r}; pass e.g. seed=0"
    )
    for out_of_range in (-1, 2**31):
        with pytest.raises(UsageError, match=r"^seed must be a non-negative integer") as refused:
            make(seed=out_of_range)
        assert not isinstance(refused.value, TypeError)


def test_a_seed_computed_with_torch_or_numpy_is_its_int_as_a_size_is() -> None:
    """torch.tensor(3) was refused as a seed while sizes took it (a seed drawn in a sweep with
    torch.randint(...)[0], or np.array(3)); it is its int, the run's seed 3, and a float, bool or
    negative 0-d tensor is refused as before."""
    import numpy as np
    import torch

    for seed in (torch.tensor(3), torch.tensor(3, dtype=torch.int32), np.array(3), np.int16(3)):
        for config in (LinregConfig(seed=seed), SoftmaxConfig(seed=seed)):
            assert type(config.seed) is int and config.seed == 3
    for refused, shown in ((torch.tensor(3.0), "tensor"), (torch.tensor(True), "tensor"),
                           (torch.tensor(-1), "-1"), (np.array(2.5), "array")):  # fmt: skip
        with pytest.raises(
            UsageError, match=rf"^seed must be a non-negative integer .*, got {shown}"
        ):
            SoftmaxConfig(seed=refused)


def test_linreg_numpy_settings_are_stored_as_plain_numbers() -> None:
    """Every linear-regression setting a sweep passes as a NumPy scalar or array is stored as a
    Python int or float (the weights as a tuple of floats), so its JSON is written."""
    import json

    import numpy as np

    config = LinregConfig(
        lr=np.float32(0.5), epochs=np.int32(2), batch_size=np.int64(5), num_threads=np.int16(1),
        seed=np.int64(3), true_w=np.array([1.5, -2.0], dtype=np.float32),
    )  # fmt: skip
    for name, kind, value in [("lr", float, 0.5), ("epochs", int, 2), ("batch_size", int, 5),
                              ("num_threads", int, 1), ("seed", int, 3)]:  # fmt: skip
        assert type(getattr(config, name)) is kind and getattr(config, name) == value, name
    assert type(config.true_w) is tuple and config.true_w == (1.5, -2.0)
    assert all(type(w) is float for w in config.true_w)
    assert json.loads(json.dumps(config.to_dict()))["true_w"] == [1.5, -2.0]
    assert LinregConfig(true_w=[2, -3]).true_w == (2.0, -3.0)
    assert hash(config) == hash(dataclasses.replace(config))  # a frozen config stays hashable


def test_linreg_defaults_are_the_books_settings() -> None:
    # D2L §3.2: 1000 examples from w = [2, -3.4], b = 4.2 and noise σ = 0.01; lr 0.03, batch 10, 3 epochs
    assert LinregConfig().to_dict() == {
        "impl": "scratch", "epochs": 3, "lr": 0.03, "batch_size": 10, "num_examples": 1000,
        "noise_std": 0.01, "true_w": [2.0, -3.4], "true_b": 4.2, "seed": 0, "num_threads": 1,
        "data": None, "device": "cpu", "guard": True, "out": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "kind", "pattern"),
    [
        ({"lr": 1e-38}, UsageError, r"^lr must be at least about 1\.18e-38 .*got 1e-38; pass e\.g\. lr=0\.03$"),
        ({"lr": 3.5e38}, UsageError, r"^lr must be a number from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), got 3\.5e\+38"),
        ({"guard": "no"}, UsageTypeError, r"^guard must be True or False, got 'no'"),
        ({"device": "cuda"}, UsageError, r"^device must be 'cpu' for linear regression, got 'cuda'"),
        ({"epochs": 2**62 + 1}, UsageError, r"^epochs must be an integer in \[1, 4611686018427387904\]"),
        ({"noise_std": 1.0000001e15}, UsageError, r"^noise_std must be a number in \[0, 1e\+15\], got 1000000100000000\.0; pass at most 1e\+15$"),
        ({"num_threads": 1025}, UsageError, r"^num_threads must be an integer in \[1, 1024\], got 1025; pass at most 1024$"),
    ],
)  # fmt: skip
def test_linreg_limits_are_refused_just_past_their_edge(
    settings: dict[str, object], kind: type[Exception], pattern: str
) -> None:
    with pytest.raises(kind, match=pattern):
        LinregConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(("make", "example"), [(LinregConfig, "0.03"), (SoftmaxConfig, "0.1")])
def test_the_lr_floor_is_said_to_be_float32s_smallest_normal_number(
    make: Callable[..., object], example: str
) -> None:
    """lr 1e-39 was refused as "the updates would underflow to nothing", where lr 1e-30, taken,
    trains nothing as silently: the floor is float32's smallest normal number, below which lr
    itself is no float32 number a step can use, and is said so."""
    with pytest.raises(UsageError) as info:
        make(lr=1e-39)
    assert str(info.value) == (
        "lr must be at least about 1.18e-38 (float32's smallest normal number: the parameters and their "
        "updates are float32, and below it lr itself is no normal float32 number a step can use), "
        f"got 1e-39; pass e.g. lr={example}"
    )


def test_linreg_limits_are_accepted_at_their_edge() -> None:
    config = LinregConfig(lr=1.2e-38, epochs=2**62, num_threads=1024)
    assert config.lr == 1.2e-38 and config.epochs == 2**62 and config.num_threads == 1024
    assert LinregConfig(noise_std=1e15).noise_std == 1e15  # noise_std's limit
    assert LinregConfig(lr=3.4e38).lr == 3.4e38  # float32's largest value


def test_the_batch_limit_counts_bytes_not_values() -> None:
    # 2**29 + 1 float32 values are 2**31 + 4 bytes: four bytes past 2 GiB
    with pytest.raises(UsageError, match=r"must fit in 2 GiB per batch, got 536870913 × 1²"):
        SoftmaxConfig(resize=1, batch_size=2**29 + 1)
    assert SoftmaxConfig(resize=1, batch_size=2**29).batch_size == 2**29  # exactly 2 GiB


@pytest.mark.parametrize(
    ("resize", "batch_size", "past"),
    [(28, 684_785, "2 GiB + 2,112 bytes"), (256, 8193, "2 GiB + 262,144 bytes")],
)
def test_a_batch_one_image_past_2_gib_is_refused_as_past_it(
    resize: int, batch_size: int, past: str
) -> None:
    """One image more than 2 GiB holds was said as "(2.0 GiB)" against "must fit in 2 GiB", as if
    it were the limit itself: its size now reads as past it."""
    assert (batch_size - 1) * resize**2 * 4 <= 2**31 < batch_size * resize**2 * 4
    with pytest.raises(UsageError) as info:
        SoftmaxConfig(resize=resize, batch_size=batch_size)
    assert str(info.value) == (
        f"batch_size × resize² float32 values must fit in 2 GiB per batch, got {batch_size} × "
        f"{resize}² ({past}); lower resize or batch_size"
    )


@pytest.mark.parametrize("joined", [False, True], ids=["torchrun", "group-joined-by-caller"])
def test_a_data_parallel_run_counts_each_processs_share_of_a_batch(
    joined: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under torchrun (WORLD_SIZE=2), or in a process group its caller joined, a process holds
    rank 0's rows 0, 2, 4, ... of a batch at most: a batch just past 2 GiB fits in two processes
    (it was refused as if one held it whole); a share past 2 GiB is refused, said per process."""
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    if joined:
        import torch.distributed as dist

        monkeypatch.setattr(dist, "is_initialized", lambda: True)
        monkeypatch.setattr(dist, "get_world_size", lambda: 2)
    else:
        monkeypatch.setenv("WORLD_SIZE", "2")
    for batch_size in (2**29 + 1, 2**30):  # × 1² float32 values: 4 bytes past 2 GiB, and 4 GiB
        share = len(range(0, batch_size, 2))  # rank 0's rows of the batch
        assert share * 4 <= 2**31 < batch_size * 4
        assert SoftmaxConfig(resize=1, batch_size=batch_size).batch_size == batch_size
    share = len(range(0, 2**30 + 1, 2))
    assert share * 4 == 2**31 + 4
    with pytest.raises(UsageError) as info:
        SoftmaxConfig(resize=1, batch_size=2**30 + 1)
    assert str(info.value) == (
        "batch_size × resize² float32 values must fit in 2 GiB per process's share of a batch, "
        f"got batch_size=1073741825 over 2 processes, up to {share} each: {share} × 1² (2 GiB + 4 "
        "bytes); lower resize or batch_size, or start more processes (torchrun --nproc_per_node)"
    )


@pytest.mark.parametrize("world_size", [1, 2, 3, 8])
@pytest.mark.parametrize("resize", [1, 28, 1024])
def test_the_batch_check_takes_the_largest_share_to_the_byte(world_size: int, resize: int) -> None:
    """Rank r holds rows r, r + W, ... of a batch of B: the largest B whose rank-0 share of
    resize² float32 images fits in 2 GiB is taken, one more is refused."""
    from linearnets.config_checks import check_batch_bytes

    def fits(batch_size: int) -> bool:
        return len(range(0, batch_size, world_size)) * resize**2 * 4 <= 2**31

    most = 2**31 // (resize**2 * 4) * world_size
    assert fits(most) and not fits(most + 1)
    check_batch_bytes(most, resize, world_size=world_size)
    per = "batch" if world_size == 1 else "process's share of a batch"  # one process: as always
    with pytest.raises(UsageError, match=rf"must fit in 2 GiB per {per}, got "):
        check_batch_bytes(most + 1, resize, world_size=world_size)


def test_a_saved_config_loads_without_the_batch_rule_of_this_process_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run's settings taken in 2 processes (a batch 4 bytes past 2 GiB, half in each) load in
    one with from_dict(check_batch=False), every other rule still checked; a config made from
    them here (dataclasses.replace) is held to this process's 2 GiB, refused with the values
    it judged (a resume words its own fixes from them), which survive pickling."""
    import pickle

    from linearnets.config_checks import BatchBytesError

    monkeypatch.setenv("WORLD_SIZE", "2")
    saved = SoftmaxConfig(resize=1, batch_size=2**29 + 1).to_dict()
    monkeypatch.delenv("WORLD_SIZE")
    with pytest.raises(BatchBytesError, match=r"must fit in 2 GiB per batch"):
        SoftmaxConfig.from_dict(saved)
    config = SoftmaxConfig.from_dict(saved, check_batch=False)
    assert config.to_dict() == saved
    for bad, rule in (({"resize": 0}, r"resize must be a positive integer"),
                      ({"resize": 4097}, r"resize must be an integer in \[1, 4096\], got 4097"),
                      ({"lr": -1}, r"lr must be a finite number > 0, got -1")):  # fmt: skip
        with pytest.raises(UsageError, match=rule):
            SoftmaxConfig.from_dict({**saved, **bad}, check_batch=False)
    with pytest.raises(BatchBytesError) as info:
        dataclasses.replace(config, epochs=20)
    exc = pickle.loads(pickle.dumps(info.value))
    assert (exc.batch_size, exc.resize, exc.world_size) == (2**29 + 1, 1, 1)
    assert str(exc) == str(info.value) and isinstance(exc, UsageError)
    assert dataclasses.replace(config, batch_size=2**29).batch_size == 2**29  # exactly 2 GiB


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"num_examples": 5}, "num_examples sets"),
        ({"noise_std": 0.01}, "noise_std sets"),  # the book's value, given: it would be ignored
        ({"true_w": (1.0,), "true_b": 0.0}, "true_w and true_b set"),
    ],
)
def test_linreg_refuses_synthetic_settings_with_data(
    settings: dict[str, object], named: str
) -> None:
    """They were once ignored silently while the run's config recorded them as applied."""
    with pytest.raises(
        UsageError,
        match=rf"^{named} the synthetic data and cannot be given with data='d.csv' \(the file "
        r"decides the examples\); leave .* out, or pass data=None$",
    ):
        LinregConfig(data="d.csv", **settings)  # type: ignore[arg-type]


def test_linreg_writes_its_paths_as_json_strings() -> None:
    import json

    saved = LinregConfig(data="d.csv", out="runs/a").to_dict()
    assert (saved["data"], saved["out"]) == ("d.csv", "runs/a")
    assert json.loads(json.dumps(saved)) == saved


def test_linreg_synthetic_gives_the_books_settings_or_refuses_with_data() -> None:
    assert LinregConfig().synthetic() == ((2.0, -3.4), 4.2, 1000, 0.01)  # D2L §3.2.1
    with pytest.raises(
        UsageError,
        match=r"^a run on data='d\.csv' has no synthetic data settings; read the file instead$",
    ):
        LinregConfig(data="d.csv").synthetic()


def test_linreg_records_no_synthetic_settings_with_data() -> None:
    saved = LinregConfig(data=Path("d.csv"), epochs=2).to_dict()
    assert [saved[k] for k in ("num_examples", "noise_std", "true_w", "true_b")] == [None] * 4
    assert saved["data"] == "d.csv" and saved["epochs"] == 2


def test_a_numpy_scalar_refused_is_shown_as_given() -> None:
    """A NumPy scalar is a number, judged as it is (a one-element tensor or array is unwrapped):
    the refusal shows the value received, as lr's and the other options' checks show it."""
    import re

    import numpy as np

    for settings, value in [
        ({"true_b": np.float64("nan")}, np.float64("nan")),
        ({"true_w": [np.float64("inf"), 1.0]}, np.float64("inf")),
        ({"noise_std": np.float64(-1.0)}, np.float64(-1.0)),
    ]:
        with pytest.raises(UsageError, match=rf" must .* finite .*, got {re.escape(repr(value))};"):
            LinregConfig(**settings)  # type: ignore[arg-type]


def test_linreg_takes_the_books_tensors_as_plain_floats() -> None:
    """D2L §3.2.1 writes ``true_w = torch.tensor([2, -3.4])``; the values stored are the tensor's
    own float32 values, as Python floats (so the config writes as JSON)."""
    import json

    import numpy as np
    import torch

    config = LinregConfig(
        true_w=torch.tensor([2, -3.4]),  # type: ignore[arg-type]
        true_b=torch.tensor(4.2),  # type: ignore[arg-type]
        noise_std=torch.tensor(0.1),  # type: ignore[arg-type]
    )
    assert config.true_w == (2.0, float(np.float32(-3.4)))
    assert config.true_b == float(np.float32(4.2)) and config.noise_std == float(np.float32(0.1))
    assert all(type(v) is float for v in (*config.true_w, config.true_b, config.noise_std))
    json.dumps(config.to_dict())
    # a column (d, 1), a one-element bias and a list of 0-d tensors are the same weights
    column = LinregConfig(true_w=torch.tensor([[2.0], [-3.4]]), true_b=torch.tensor([4.2]))  # type: ignore[arg-type]
    assert column.true_w == config.true_w and column.true_b == config.true_b
    assert LinregConfig(true_w=[torch.tensor(2.0), torch.tensor(-3.4)]).true_w == config.true_w  # type: ignore[list-item]
    with pytest.raises(
        UsageError, match=r"true_w must be 1-d \(d,\) or a column \(d, 1\), got shape \(1, 2\)"
    ):
        LinregConfig(true_w=torch.tensor([[2.0, -3.4]]))  # type: ignore[arg-type]
    with pytest.raises(
        UsageTypeError, match=r"true_b must be a number, got tensor\(\[1\., 2\.\]\)"
    ):
        LinregConfig(true_b=torch.tensor([1.0, 2.0]))  # type: ignore[arg-type]


def test_linreg_takes_a_column_of_nested_lists_as_its_weights() -> None:
    """``[[2.0], [-3.4]]`` is a column (d, 1), as synthetic_data and a (2, 1) array take it: it
    was refused ("true_w must hold numbers, got [2.0] in it")."""
    import numpy as np
    import torch

    from linearnets.data.synthetic import synthetic_data

    column = [[2.0], [-3.4]]
    assert LinregConfig(true_w=column).true_w == (2.0, -3.4)  # type: ignore[arg-type]
    assert LinregConfig(true_w=((2,), (-3,))).true_w == (2.0, -3.0)  # type: ignore[arg-type]
    assert LinregConfig(true_w=np.array(column)).true_w == (2.0, -3.4)
    # synthetic_data draws the same labels from the column as from the weights (d,)
    X, y = synthetic_data(column, 4.2, 5, generator=torch.Generator().manual_seed(0))
    X1, y1 = synthetic_data([2.0, -3.4], 4.2, 5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(X, X1) and torch.equal(y, y1)


def test_numpy_strings_and_a_torch_device_are_stored_as_plain_strings(tmp_path: Path) -> None:
    """A loop over np.array(["scratch", "concise"]) gives np.str_ values: once stored as given, they
    made the run's checkpoint.pt and model.pt unreadable with torch.load(weights_only=True)."""
    import numpy as np
    import torch

    config = SoftmaxConfig(
        impl=np.str_("concise"), plot=np.str_("none"), device=torch.device("cpu")
    )
    assert [type(v) for v in (config.impl, config.plot, config.device)] == [str] * 3
    assert (config.impl, config.plot, config.device) == ("concise", "none", "cpu")
    torch.save({"config": config.to_dict()}, tmp_path / "c.pt")
    assert torch.load(tmp_path / "c.pt", weights_only=True)["config"]["impl"] == "concise"
    linreg = LinregConfig(impl=np.str_("analytic"), device=torch.device("cpu"))
    assert type(linreg.impl) is str and type(linreg.device) is str and linreg.device == "cpu"


def test_linreg_takes_the_cpu_by_torchs_full_name_too() -> None:
    """'cpu:0' is torch's full name of its one CPU (str(torch.device("cpu", 0))), taken by
    SoftmaxConfig; linear regression refused it as not the CPU. It is stored as 'cpu'."""
    import torch

    assert torch.device("cpu:0") == torch.device("cpu", 0) and torch.device("cpu:0").type == "cpu"
    for device in ("cpu:0", torch.device("cpu", 0), torch.device("cpu")):
        config = LinregConfig(device=device)
        assert type(config.device) is str and config.device == "cpu"


@pytest.mark.parametrize("device", ["cpu:1", "cpu ", "CPU", Path("cpu")])
def test_linreg_refuses_any_other_device(device: object) -> None:
    """Not the CPU under another name: a second CPU index, a misspelling, a path that reads 'cpu'."""
    with pytest.raises(
        UsageError,
        match=r"^device must be 'cpu' for linear regression, got .*: it trains on the CPU .*; "
        r"pass device='cpu' or leave it out$",
    ):
        LinregConfig(device=device)  # type: ignore[arg-type]


@pytest.mark.parametrize("device", ["gpu", None, 3, "cuda:x", ""])
def test_softmax_device_names_are_checked_when_built(device: object) -> None:
    """They once passed the config and failed (or, None, passed) only once the run started."""
    with pytest.raises(
        UsageError,
        match=r"^device must be one of auto, cpu, cuda, cuda:N, mps, got .*; pass e\.g\. "
        r"device='auto'$",
    ):
        SoftmaxConfig(device=device)  # type: ignore[arg-type]


def test_a_device_name_is_not_checked_for_this_machine_when_built() -> None:
    """A config may be written here for a GPU machine; the run checks the device is there."""
    assert SoftmaxConfig(device="cuda:1").device == "cuda:1"
    import torch

    assert SoftmaxConfig(device=torch.device("cuda", 1)).device == "cuda:1"  # its index kept


def test_data_paths_are_made_absolute_but_their_links_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """absolute(), not resolve(): the config records the path named, a link in it not followed."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    config = SoftmaxConfig(data_dir="link", data="link/d.npz")
    assert config.data_dir == tmp_path / "link" and config.data == tmp_path / "link" / "d.npz"


def test_data_paths_are_made_absolute_without_their_dot_dot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SoftmaxConfig(data_dir="../fm") in tmp/sub held tmp/sub/../fm (Path.absolute() keeps "..")
    and config.json recorded that; it holds tmp/fm, as a linreg run records its data file. A
    saved config with a ".." (an older run's) is read back so too."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "fm").mkdir()
    (tmp_path / "d.npz").write_bytes(b"")
    monkeypatch.chdir(tmp_path / "sub")
    config = SoftmaxConfig(data_dir="../fm", data=Path("./../sub/../d.npz"))
    assert (config.data_dir, config.data) == (tmp_path / "fm", tmp_path / "d.npz")
    assert config.to_dict()["data_dir"] == str(tmp_path / "fm")
    saved = {"data_dir": str(tmp_path / "sub" / ".." / "fm"), "data": str(tmp_path / "d.npz")}
    assert SoftmaxConfig.from_dict(saved).data_dir == tmp_path / "fm"


@pytest.mark.parametrize("cls", [LinregConfig, SoftmaxConfig])
def test_private_fields_are_out_of_the_public_signature_and_refused(cls: type) -> None:
    """``_defaulted`` and ``_data_given`` showed in ``inspect.signature``/``help`` and were taken
    unchecked (``LinregConfig(_data_given=True)``); ``_carried``, replace's, is taken as its type only."""
    import inspect
    import pickle
    import pydoc

    shown = inspect.signature(cls)
    assert [name for name in shown.parameters if name.startswith("_")] == []
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    (line,) = [line for line in text.splitlines() if f"{cls.__name__}(*, impl" in line]
    assert "impl: 'str'" in line and "out: " in line and " _" not in line
    for name in ("_data_given", "_defaulted"):
        with pytest.raises(
            TypeError, match=rf"^{cls.__name__} has no field '{name}'; its settings"
        ):
            cls(**{name: True})
    with pytest.raises(TypeError, match=rf"^{cls.__name__} has no setting '_carried' \(private"):
        cls(_carried=frozenset())
    config = cls(data="d.npz")
    again = pickle.loads(pickle.dumps(dataclasses.replace(config, epochs=2)))
    assert again.data_as_given() == Path("d.npz") and again == dataclasses.replace(config, epochs=2)
    assert again.to_dict() == dataclasses.replace(config, epochs=2).to_dict()
    assert "_carried" not in config.to_dict() and "_carried" not in repr(config)


def test_replace_with_a_data_file_drops_the_synthetic_settings_filled_in() -> None:
    """dataclasses.replace passes the book's values filled in when built, which were then taken as
    given: replace(LinregConfig(), data=...) was refused for settings the user never set."""
    config = dataclasses.replace(LinregConfig(epochs=2), data="d.csv")
    assert (config.num_examples, config.noise_std, config.true_w, config.true_b) == (None,) * 4
    assert config.epochs == 2 and config.data == Path("d.csv")
    back = dataclasses.replace(config, data=None)
    assert back == LinregConfig(epochs=2) and back.true_w == (2.0, -3.4)
    twice = dataclasses.replace(dataclasses.replace(LinregConfig(), seed=1), data="d.csv")
    assert twice.num_examples is None
    assert "_defaulted" not in config.to_dict()


@pytest.mark.parametrize(
    "config",
    [
        LinregConfig(num_examples=500),
        dataclasses.replace(LinregConfig(), num_examples=500),
        dataclasses.replace(LinregConfig(), noise_std=0.5),
        # the book's value, given once the data file is dropped: given, not filled in
        dataclasses.replace(LinregConfig(data="e.csv"), data=None, num_examples=1000),
    ],
)
def test_replace_with_a_data_file_still_refuses_a_synthetic_setting_given(
    config: LinregConfig,
) -> None:
    with pytest.raises(UsageError, match=r"^(num_examples|noise_std) sets the synthetic data"):
        dataclasses.replace(config, data="d.csv")


def test_a_tilde_user_that_does_not_exist_is_refused_naming_the_setting() -> None:
    """pathlib raised RuntimeError ("Could not determine home directory") from the config."""
    import os

    path = "~linearnets-nobody/runs/a"
    if os.path.expanduser(path) != path:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    for key in ("out", "data_dir", "data"):
        with pytest.raises(
            UsageError,
            match=rf"^{key} must be a path whose ~linearnets-nobody can be expanded, got "
            r"'~linearnets-nobody/runs/a', but the user database knows no user "
            r"'linearnets-nobody'; write the path out in full \(e\.g\. "
            r"/home/linearnets-nobody/runs/a\), or pass "
            + re.escape(str(Path.cwd() / "~linearnets-nobody" / "runs" / "a"))
            + r" for a folder named ~linearnets-nobody here$",
        ):
            SoftmaxConfig(**{key: path})  # type: ignore[arg-type]


def test_a_tilde_user_that_does_not_exist_is_the_folder_of_that_name_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``predict ~old/run`` where ``~old`` is a folder here and no user ``old`` exists: the shell
    passes the word as it is (``ls ~old/run`` lists it), and it was refused as the home folder of
    a user the database does not know."""
    import os
    import shutil
    import subprocess

    head = "~linearnets-nobody"
    if os.path.expanduser(head) != head:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    monkeypatch.chdir(tmp_path)
    (tmp_path / head / "runs").mkdir(parents=True)
    bash = shutil.which("bash")
    if bash is not None:  # the shell's own reading of the word: left as it is
        said = subprocess.run(
            [bash, "-c", f"echo {head}/runs/a"], capture_output=True, text=True, check=True
        )
        assert said.stdout == f"{head}/runs/a\n"
    given = f"{head}/runs/a"
    assert SoftmaxConfig(out=given).out == Path(head, "runs", "a")
    assert LinregConfig(out=given).out == Path(head, "runs", "a")
    # made absolute, so that a resume from another folder finds the same
    assert SoftmaxConfig(data_dir=given).data_dir == Path.cwd() / head / "runs" / "a"


def test_a_tilde_without_a_home_folder_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No HOME and no user-database entry (a bare uid under env -i): pathlib cannot expand ~."""
    pwd = pytest.importorskip("pwd")

    def unknown(*args: object) -> None:
        raise KeyError(args)

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", unknown)
    with pytest.raises(RuntimeError, match="Could not determine home directory"):
        Path.home()  # the oracle: pathlib itself cannot tell a home folder
    with pytest.raises(
        UsageError,
        match=r"^out must be a path whose ~ can be expanded, got '~/runs', but HOME is not set "
        r"and the user database has no entry for this user; write the path out in full "
        r"\(e\.g\. /home/me/runs\), or set HOME$",
    ):
        SoftmaxConfig(out="~/runs")  # type: ignore[arg-type]
    assert SoftmaxConfig(out="runs/~a").out == Path("runs/~a")  # only a leading ~ is expanded


def test_link_problem_names_the_link_that_leads_nowhere(tmp_path: Path) -> None:
    import os

    from linearnets.path_checks import link_problem

    (tmp_path / "real").mkdir()
    (tmp_path / "good").symlink_to(tmp_path / "real")
    (tmp_path / "broken").symlink_to("gone")
    (tmp_path / "loop").symlink_to("loop")
    assert link_problem(tmp_path / "good" / "a" / "b.png") is None  # a missing file is no link's
    assert link_problem(tmp_path / "broken" / "a" / "b.png") == (
        # its relative target said from here, not as written (read from the working folder)
        f"{tmp_path / 'broken'} is a symbolic link to {tmp_path / 'gone'}, which does not exist"
    )
    assert link_problem(tmp_path / "loop") == (
        f"{tmp_path / 'loop'} is a symbolic link that loops back to itself"
    )
    # the oracle: the system itself refuses to go through them
    with pytest.raises(FileNotFoundError):
        os.stat(tmp_path / "broken")
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        os.stat(tmp_path / "loop")


@pytest.mark.parametrize("cls", [LinregConfig, SoftmaxConfig])
def test_the_signature_type_checkers_see_is_the_dataclasss_own(cls: type) -> None:
    """Type checkers read a hand-written ``__init__`` (under ``TYPE_CHECKING``) that takes wider
    types than the fields store (``out="runs/a"``, ``lr=np.float32(0.1)``, a ``torch.device``):
    it must list the dataclass's fields, in order, with their defaults."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(cls))
    (init,) = [
        node
        for block in tree.body[0].body  # type: ignore[attr-defined]
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    ]
    assert [a.arg for a in init.args.args] == ["self"]  # every setting keyword-only, as at run time
    args = init.args.kwonlyargs
    settings = [f for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    assert [a.arg for a in args] == [f.name for f in settings]
    assert [ast.unparse(d) for d in init.args.kw_defaults if d is not None] == [
        repr(f.default) for f in settings
    ]
    runtime = inspect.signature(cls).parameters
    assert list(runtime) == [a.arg for a in args]
    assert {p.kind for p in runtime.values()} == {inspect.Parameter.KEYWORD_ONLY}


@pytest.mark.parametrize(
    ("cls", "positional"), [(LinregConfig, ("concise", 5)), (SoftmaxConfig, ("concise", 5))]
)
def test_settings_are_passed_by_name(cls: type, positional: tuple[object, ...]) -> None:
    """Thirteen optional settings in a row: by position, ``SoftmaxConfig("concise", 0.1)`` would
    take 0.1 as the epochs (STYLE: optional knobs keyword-only)."""
    with pytest.raises(TypeError, match="positional argument"):
        cls(*positional)
    assert cls(impl="concise", epochs=5).epochs == 5


def test_any_path_like_is_taken_for_a_path_setting_and_stored_as_a_path(tmp_path: Path) -> None:
    """The signature says ``str | os.PathLike[str]``: what ``open()`` takes, not only a Path."""
    import os
    from pathlib import PurePosixPath

    class RunFolder:  # a PathLike of the user's own (e.g. a project's run-folder object)
        def __fspath__(self) -> str:
            return str(tmp_path / "runs" / "a")

    assert os.fspath(RunFolder()) == str(tmp_path / "runs" / "a")  # the oracle: what it stands for
    config = SoftmaxConfig(out=RunFolder(), data_dir=PurePosixPath(tmp_path))
    assert config.out == tmp_path / "runs" / "a" and type(config.out) is type(tmp_path)
    assert config.data_dir == tmp_path
    assert LinregConfig(data=PurePosixPath("tiny.csv")).data == Path("tiny.csv")
    with pytest.raises(
        UsageTypeError,
        match=r"out must be a path \(str, pathlib\.Path or another os\.PathLike\) or None",
    ):
        SoftmaxConfig(out=3)  # type: ignore[arg-type]


def test_sizes_given_as_0d_integer_tensors_are_stored_as_ints() -> None:
    """torch.tensor(10) as batch_size (as lr takes torch.tensor(0.03)) was refused as no positive
    integer; it is stored as the plain int, so the config writes as JSON."""
    import json

    import torch

    config = LinregConfig(
        batch_size=torch.tensor(10),  # type: ignore[arg-type]
        epochs=torch.tensor(2, dtype=torch.int32),  # type: ignore[arg-type]
        num_examples=torch.tensor(100),  # type: ignore[arg-type]
    )
    assert config == LinregConfig(batch_size=10, epochs=2, num_examples=100)
    assert all(type(v) is int for v in (config.batch_size, config.epochs, config.num_examples))
    saved = json.loads(json.dumps(config.to_dict()))
    assert (saved["batch_size"], saved["epochs"], saved["num_examples"]) == (10, 2, 100)
    softmax = SoftmaxConfig(batch_size=torch.tensor(256), resize=torch.tensor(14))  # type: ignore[arg-type]
    assert (softmax.batch_size, softmax.resize) == (256, 14) and type(softmax.resize) is int
    with pytest.raises(
        UsageTypeError, match=r"^batch_size must be a positive integer, got a tensor"
    ):
        LinregConfig(batch_size=torch.tensor(10.0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "message"),
    [(dict(impl="Scratch"), "impl must be one of 'scratch', 'concise', 'analytic', got 'Scratch'; write it in lower case: pass impl='scratch'"),
     (dict(impl="scratch "), "impl must be one of 'scratch', 'concise', 'analytic', got 'scratch '; drop the blank: pass impl='scratch'"),
     (dict(plot=" None "), "plot must be one of 'auto', 'file', 'none', got ' None '; drop the blanks and write it in lower case: pass plot='none'"),
     (dict(plot="never"), "plot must be one of 'auto', 'file', 'none', got 'never'; pass e.g. plot='auto'")],
)  # fmt: skip
def test_a_choice_with_blanks_or_capitals_is_told_the_choice_it_is(
    settings: dict[str, str], message: str
) -> None:
    """plot='None' (Python's None spelt as a string) was told "pass e.g. plot='auto'"."""
    with pytest.raises(UsageError) as info:
        SoftmaxConfig(**settings)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("settings", "message"),
    [(dict(out="runs/a "), "out must not begin or end with whitespace (unless a file or folder of that name exists), got 'runs/a '; drop it: 'runs/a'"),
     (dict(out=" "), "out must not begin or end with whitespace (unless a file or folder of that name exists), got ' '; pass the run folder to create, e.g. out='runs/a'"),
     (dict(data="\td.npz"), "data must not begin or end with whitespace (unless a file or folder of that name exists), got $'\\td.npz'; drop it: 'd.npz'"),
     (dict(data_dir=Path("data ")), "data_dir must not begin or end with whitespace (unless a file or folder of that name exists), got 'data '; drop it: 'data'")],
)  # fmt: skip
def test_a_path_with_a_blank_around_it_is_told_to_drop_it(
    settings: dict[str, object], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """out='runs/a ' (a script's variable) made the folder 'runs/a ', shown as runs/a and not
    found again; the command line refuses it with 'drop it', the configs now do too."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        SoftmaxConfig(**settings)  # type: ignore[arg-type]
    assert str(info.value) == message
    name, value = next(iter(settings.items()))
    # a file or folder of that very name is taken
    Path(str(value)).mkdir(parents=True) if name != "data" else Path(str(value)).write_text("")
    taken = getattr(SoftmaxConfig(**settings), name)  # type: ignore[arg-type]
    assert (tmp_path / taken).resolve() == (tmp_path / str(value)).resolve()


@pytest.mark.parametrize("make", [LinregConfig, SoftmaxConfig])
def test_the_lr_limits_are_float32s_own(make: Callable[..., object]) -> None:
    """The limits were 1.2e-38 and 3.4e38, rounded: lr 1.18e-38, a normal float32 number, was
    refused as below float32's smallest normal number. Now the limits are exact: the floor judged
    as float32 rounds lr; the largest, 3.4028234663852886e38, as given (torch refuses a step size
    past it, 3.4028235e38 too: "value cannot be converted to type float without overflow")."""
    import numpy as np

    assert make(lr=1.18e-38).lr == 1.18e-38  # type: ignore[attr-defined]
    smallest = float(np.finfo(np.float32).smallest_normal)
    assert make(lr=smallest).lr == smallest  # type: ignore[attr-defined]
    largest = float(np.finfo(np.float32).max)
    assert make(lr=largest).lr == largest  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match=r"^lr must be at least about 1\.18e-38 .*got 1\.17e-38"):
        make(lr=1.17e-38)  # a subnormal float32
    for past in (3.4028235e38, 3.41e38):  # the first rounds to float32's largest: torch refuses it
        with pytest.raises(
            UsageError,
            match=r"from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), got "
            + re.escape(repr(past)),
        ):
            make(lr=past)


@pytest.mark.parametrize(
    "config_type,settings,pattern",
    [
        # the book's name for the epochs, said with the value passed
        (
            SoftmaxConfig,
            {"num_epochs": 3},
            r"^SoftmaxConfig has no field 'num_epochs'; did you mean epochs=3\?$",
        ),
        (
            LinregConfig,
            {"num_epochs": 3},
            r"^LinregConfig has no field 'num_epochs'; did you mean epochs=3\?$",
        ),
        (
            SoftmaxConfig,
            {"learning_rate": 0.5},
            r"^SoftmaxConfig has no field 'learning_rate'; did you mean lr=0\.5\?$",
        ),
        (SoftmaxConfig, {"epoch": 2}, r"did you mean epochs=2\?$"),
        (  # the book's later SyntheticRegressionData(w, b, noise=0.01) calls it noise
            LinregConfig,
            {"noise": 0.5},
            r"^LinregConfig has no field 'noise'; did you mean noise_std=0\.5\?$",
        ),
        (  # nothing close: the settings it has
            SoftmaxConfig,
            {"zzz": 1},
            r"^SoftmaxConfig has no field 'zzz'; its settings are impl, epochs, lr, batch_size, seed, "
            r"num_threads, data_dir, data, out, plot, resize, device and guard$",
        ),
    ],
)
def test_an_unknown_keyword_is_told_the_setting_it_likely_meant(
    config_type: type, settings: dict[str, object], pattern: str
) -> None:
    with pytest.raises(UsageTypeError, match=pattern):
        config_type(**settings)
    with pytest.raises(
        UsageTypeError, match=pattern
    ):  # dataclasses.replace builds through __init__
        dataclasses.replace(config_type(), **settings)


@pytest.mark.parametrize(
    "config_type,settings,said",
    [
        # the field it likely meant is given too: "did you mean epochs=9?" asked for a keyword
        # the call already holds
        (
            LinregConfig,
            {"epoch": 9, "epochs": 3},
            "LinregConfig has no field 'epoch'; drop epoch (epochs=3 is given too)",
        ),
        (
            SoftmaxConfig,
            {"num_epochs": 3, "epochs": 5},
            "SoftmaxConfig has no field 'num_epochs'; drop num_epochs (epochs=5 is given too)",
        ),
        # two keywords meant for one field: it named only the first
        (
            LinregConfig,
            {"epoch": 9, "epochz": 4},
            "LinregConfig has no fields 'epoch' and 'epochz'; epoch and epochz both look meant "
            "for epochs: pass epochs once",
        ),
        # one close, one not: both named, with the settings it has
        (
            SoftmaxConfig,
            {"epoch": 9, "zzz": 1},
            "SoftmaxConfig has no fields 'epoch' and 'zzz'; did you mean epochs=9? its settings "
            "are impl, epochs, lr, batch_size, seed, num_threads, data_dir, data, out, plot, "
            "resize, device and guard",
        ),
    ],
)
def test_unknown_keywords_are_told_the_advice_a_resume_gives_on_them(
    config_type: type, settings: dict[str, object], said: str
) -> None:
    """A config's refusal gives the resume's advice (:func:`meant_advice`): LinregConfig(epoch=9,
    epochs=3) said "did you mean epochs=9?" where resume_linreg(..., epoch=9, epochs=3) says
    "drop epoch (epochs=3 is given too)"."""
    with pytest.raises(UsageTypeError) as info:
        config_type(**settings)
    assert str(info.value) == said


class _ReprRaises:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_an_unknown_keywords_value_is_described_short_and_its_class_named() -> None:
    # a value whose repr raises: the refusal still, its value unsaid (it gave RuntimeError)
    with pytest.raises(
        UsageTypeError,
        match=r"^SoftmaxConfig has no field 'num_epochs'; did you mean epochs=\.\.\.\?$",
    ):
        SoftmaxConfig(num_epochs=_ReprRaises())
    # a long value cut as every message cuts one (it gave a 100 KB message)
    with pytest.raises(UsageTypeError) as info:
        LinregConfig(num_epochs="x" * 100_000)
    assert str(info.value) == (
        "LinregConfig has no field 'num_epochs'; did you mean epochs='" + "x" * 56 + "...?"
    )

    class Sub2(SoftmaxConfig):
        pass

    # the class the caller built, not the one it derives from
    with pytest.raises(
        UsageTypeError, match=r"^Sub2 has no field 'num_epochs'; did you mean epochs=1\?$"
    ):
        Sub2(num_epochs=1)


def test_a_data_file_is_read_by_the_name_it_was_given_and_recorded_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SoftmaxConfig(data="d.npz") holds it absolute, as a run records it: its messages named
    the file /tmp/x/d.npz where the caller typed d.npz (linreg's named it d.npz). The spelling
    is kept for reading it, through replace while it names the same file, and not recorded."""
    import dataclasses

    monkeypatch.chdir(tmp_path)
    config = SoftmaxConfig(data="d.npz")
    assert (config.data, config.data_as_given()) == (tmp_path / "d.npz", Path("d.npz"))
    assert "_data_given" not in config.to_dict() and "_data_given" not in repr(config)
    assert config == SoftmaxConfig(data=tmp_path / "d.npz")
    same = dataclasses.replace(config, epochs=2, data=config.data)
    assert same.data_as_given() == Path("d.npz")
    assert dataclasses.replace(config, data="e.npz").data_as_given() == Path("e.npz")
    typed_absolute = SoftmaxConfig(data=tmp_path / "d.npz")
    assert typed_absolute.data_as_given() == tmp_path / "d.npz"
    assert SoftmaxConfig().data_as_given() is None
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # d.npz names another file from here: the absolute one
    assert config.data_as_given() == tmp_path / "d.npz"


def test_a_linreg_data_file_keeps_the_name_it_was_given_once_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A linear-regression resume made data absolute, losing the name typed after --data, and
    its refusals named /tmp/x/d.csv; LinregConfig keeps it as SoftmaxConfig does (one
    data_as_given for both), carried by replace while it names the same file, not recorded."""
    import dataclasses

    monkeypatch.chdir(tmp_path)
    config = LinregConfig(data="d.csv")
    assert (config.data, config.data_as_given()) == (Path("d.csv"), Path("d.csv"))
    absolute = dataclasses.replace(config, data=tmp_path / "d.csv", epochs=2)
    assert (absolute.data, absolute.data_as_given()) == (tmp_path / "d.csv", Path("d.csv"))
    assert "_data_given" not in absolute.to_dict() and "_data_given" not in repr(absolute)
    assert absolute == LinregConfig(data=tmp_path / "d.csv", epochs=2)
    assert dataclasses.replace(absolute, data=tmp_path / "e.csv").data_as_given() == (
        tmp_path / "e.csv"
    )
    assert LinregConfig().data_as_given() is None
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # d.csv names another file from here: the absolute one
    assert absolute.data_as_given() == tmp_path / "d.csv"
