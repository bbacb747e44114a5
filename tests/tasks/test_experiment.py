"""What ``prepare`` builds from a config: shuffled training batches, test batches in file order."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.tasks.experiment import prepare


def _data(path: Path) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    X[:, 0] = np.arange(64)  # each row says which example it is
    y = rng.integers(0, 2, size=64)
    np.savez(path, X=X, y=y, X_test=X[:32], y_test=y[:32])
    return path


def _rows(batches: object) -> list[int]:
    return [int(i) for X, _ in batches for i in X[:, 0]]  # type: ignore[attr-defined]


def test_training_batches_are_reshuffled_every_epoch_and_test_batches_keep_file_order(
    tmp_path: Path,
) -> None:
    exp = prepare(SoftmaxConfig(data=_data(tmp_path / "d.npz"), batch_size=16, plot="none"))
    first, second = _rows(exp.train_iter), _rows(exp.train_iter)
    assert sorted(first) == sorted(second) == list(range(64))  # every example once an epoch
    assert first != list(range(64)) and second != first
    assert _rows(exp.test_iter) == list(range(32)) == _rows(exp.test_iter)
    # the order is the seed's: the same config draws the same batches
    again = prepare(SoftmaxConfig(data=_data(tmp_path / "d.npz"), batch_size=16, plot="none"))
    torch.rand(100)  # e.g. a notebook's own random draws: the run's data order is its own
    assert _rows(again.train_iter) == first


def test_the_seed_chooses_the_initial_weights_and_the_data_order(tmp_path: Path) -> None:
    data = _data(tmp_path / "d.npz")
    runs = [
        prepare(SoftmaxConfig(data=data, seed=s, batch_size=16, plot="none")) for s in (0, 0, 1)
    ]
    weights = [torch.cat([p.detach().reshape(-1) for p in e.setup.net.parameters()]) for e in runs]
    orders = [_rows(e.train_iter) for e in runs]
    assert torch.equal(weights[0], weights[1]) and orders[0] == orders[1]
    assert not torch.equal(weights[0], weights[2]) and orders[0] != orders[2]


def _four_classes(path: Path) -> Path:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    np.savez(path, X=X, y=np.arange(40) % 4)  # every class of 0..3 present
    return path


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_the_model_has_the_files_inputs_and_classes_and_the_configs_learning_rate(
    tmp_path: Path, impl: str
) -> None:
    exp = prepare(SoftmaxConfig(data=_four_classes(tmp_path / "d.npz"), impl=impl, lr=0.25))
    assert exp.classes == ["0", "1", "2", "3"] and exp.num_inputs == 3
    with torch.no_grad():
        assert tuple(exp.model(torch.zeros(5, 3, device=exp.device)).shape) == (
            5,
            4,
        )  # one logit per class
    assert [group["lr"] for group in exp.setup.updater.param_groups] == [0.25]


def test_the_data_file_is_named_counted_and_fingerprinted(tmp_path: Path) -> None:
    """data_sha256 lets a resume tell the file changed; compared with hashlib over the whole file."""
    path = _data(tmp_path / "d.npz")
    exp = prepare(SoftmaxConfig(data=path))
    assert exp.data_source == f"{path} (64 examples, 3 features, 2 classes, 32 test examples)"
    assert exp.data_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_data_file_is_described_with_the_models_classes_and_its_test_set(
    tmp_path: Path,
) -> None:
    """The report never said how many classes the model got: labels 0, 2 and 5 make 6 outputs
    (the largest label + 1, the oracle), which only a warning hinted at; nor that no test set
    was given, where its accuracy read 'n/a'."""
    path = tmp_path / "gaps.npz"
    y = np.array([0, 2, 5] * 4)
    np.savez(path, X=np.random.default_rng(0).normal(size=(12, 2)), y=y)
    with pytest.warns(UserWarning, match="no label is classes 1, 3, 4"):
        exp = prepare(SoftmaxConfig(data=path))
    assert len(exp.classes) == y.max() + 1 == 6
    assert exp.data_source == f"{path} (12 examples, 2 features, 6 classes, no test set)"


def test_a_file_of_one_feature_and_one_test_example_is_said_in_the_singular(
    tmp_path: Path,
) -> None:
    """It said "1 features, ..., 1 test examples"."""
    path = tmp_path / "one.npz"
    X = np.random.default_rng(0).normal(size=(12, 1))
    np.savez(path, X=X, y=np.arange(12) % 2, X_test=X[:1], y_test=np.array([0]))
    exp = prepare(SoftmaxConfig(data=path))
    assert exp.data_source == f"{path} (12 examples, 1 feature, 2 classes, 1 test example)"


def test_prepare_pins_the_configs_thread_count(tmp_path: Path) -> None:
    assert torch.get_num_threads() == 1  # the suite's
    try:
        prepare(SoftmaxConfig(data=_data(tmp_path / "d.npz"), num_threads=2))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"resize": 14}, r"^resize applies to Fashion-MNIST images only, got resize=14 with data='.*d\.npz'; drop one of them$"),
        ({"data_dir": Path("fm")}, r"^data_dir finds Fashion-MNIST, got data_dir='\S*fm' with data='.*d\.npz', which replaces it; drop one of them$"),
    ],
)  # fmt: skip
def test_options_only_fashion_mnist_takes_are_refused_with_a_data_file(
    tmp_path: Path, changes: dict[str, Any], pattern: str
) -> None:
    with pytest.raises(UsageError, match=pattern):
        prepare(SoftmaxConfig(data=_data(tmp_path / "d.npz"), **changes))


@pytest.mark.parametrize("config", [{"data_dir": "x"}, "LinregConfig"])
def test_prepare_refuses_what_is_no_softmax_config(config: object) -> None:
    """Once an AttributeError from inside (no attribute 'num_threads' / 'data_dir')."""
    from linearnets.config import LinregConfig
    from linearnets.errors import UsageTypeError

    given = LinregConfig() if config == "LinregConfig" else config
    with pytest.raises(
        UsageTypeError, match=r"^config must be a SoftmaxConfig, got (dict|LinregConfig)"
    ):
        prepare(given)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("folder", "pattern"),
    [
        ("missing", r"^data_dir must be an existing folder, got .*missing"),
        ("empty", r"^data_dir must hold the Fashion-MNIST files"),
    ],
)
def test_a_bad_data_dir_is_named_as_the_config_names_it(
    tmp_path: Path, folder: str, pattern: str
) -> None:
    """The reader's own parameter, root, was named: a SoftmaxConfig has none."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=pattern):
        prepare(SoftmaxConfig(data_dir=tmp_path / folder, device="cpu"))


@pytest.mark.parametrize("impl", ["scratch", "concise", "analytic"])
def test_torchs_default_dtype_changes_no_weight_of_the_run(tmp_path: Path, impl: str) -> None:
    """A notebook set to float64 (torch.set_default_dtype) builds the float32 model the command
    builds, with the same first weights, and gets its own default dtype back."""
    config = SoftmaxConfig(data=_data(tmp_path / "d.npz"), impl=impl, batch_size=16, plot="none")
    expected = [p.detach().clone() for p in prepare(config).setup.net.parameters()]
    torch.set_default_dtype(torch.float64)
    try:
        exp = prepare(config)
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    got = [p.detach() for p in exp.setup.net.parameters()]
    assert [p.dtype for p in got] == [torch.float32] * len(expected)
    assert all(torch.equal(a, b) for a, b in zip(got, expected, strict=True))
    X, y = next(iter(exp.train_iter))
    exp.setup.loss(exp.setup.net(X), y)  # the batch fits the model: no dtype error


@pytest.mark.parametrize("changes", [{"resize": 14}, {"data_dir": Path("my fm")}])
def test_settings_only_fashion_mnist_takes_are_named_in_either_words(
    tmp_path: Path, changes: dict[str, Any]
) -> None:
    """From Python "--resize applies ..., got --resize 14 with --data d.npz" named options: the
    settings are resize=14, data='d.npz'. The command line prints the options, as it did."""
    from linearnets.cli._report import one_line

    data = _data(tmp_path / "d.npz")
    with pytest.raises(UsageError) as info:
        prepare(SoftmaxConfig(data=data, **changes))
    if "resize" in changes:
        python = (
            f"resize applies to Fashion-MNIST images only, got resize=14 with data={str(data)!r}"
        )
        command = (
            f"--resize applies to Fashion-MNIST images only, got --resize 14 with --data {data}"
        )
        tail = "; drop one of them"
    else:
        fm = Path("my fm").absolute()
        python = f"data_dir finds Fashion-MNIST, got data_dir={str(fm)!r} with data={str(data)!r}"
        command = f"--data-dir finds Fashion-MNIST, got --data-dir {fm} with --data {data}"
        tail = ", which replaces it; drop one of them"
    assert str(info.value) == python + tail
    assert one_line(info.value) == command + tail


def test_fashion_mnist_not_found_is_told_to_pass_data_dir_from_a_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The search's fix said "pass root=DIR", the reader's parameter: a SoftmaxConfig has data_dir."""
    import linearnets.data.files as files
    from linearnets.errors import DatasetError

    monkeypatch.setattr(files, "_candidates", lambda: [])
    with pytest.raises(DatasetError) as info:
        prepare(SoftmaxConfig(device="cpu"))
    message = str(info.value)
    assert message.startswith("Fashion-MNIST was not found")
    assert (
        message.endswith("then pass data_dir=DIR (or set LINEARNETS_DATA)")
        and "root" not in message
    )


def test_a_readers_error_reworded_for_data_dir_keeps_its_class_and_attributes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A file of the Debian package's folder with the right size but another MD5 raises an
    OtherContentError (it takes the file's path) whose fix names root=: rewording it for
    data_dir= rebuilt it as type(err)(text), a TypeError in place of the message."""
    import linearnets.data.fashion_mnist as fashion_mnist
    from linearnets.data.verify import OtherContentError

    damaged = tmp_path / "train-labels-idx1-ubyte.gz"

    def read(root: object) -> None:
        raise OtherContentError(
            f"{damaged}: ... then pass root=DIR (or set LINEARNETS_DATA)", path=damaged
        )

    monkeypatch.setattr(fashion_mnist, "read_fashion_mnist", read)
    with pytest.raises(OtherContentError) as info:
        prepare(SoftmaxConfig(device="cpu"))
    assert str(info.value) == f"{damaged}: ... then pass data_dir=DIR (or set LINEARNETS_DATA)"
    assert info.value.path == damaged


@pytest.mark.parametrize(
    ("rank", "local_rank", "warned"),
    [(0, 0, True), (1, 1, False), (2, 0, True)],
    ids=["rank-0", "rank-1-same-machine", "rank-2-first-on-its-machine"],
)
def test_a_data_warning_is_said_once_per_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rank: int, local_rank: int, warned: bool
) -> None:
    """Under torchrun every process read the file and said its warning: two processes printed it
    twice on their one terminal, where only rank 0 prints. Another machine's first process reads
    its own files, to its own terminal: it still says it."""
    import warnings

    import torch.distributed as dist

    from linearnets.errors import DataWarning
    from linearnets.training.distributed import DistContext

    path = tmp_path / "sparse.npz"  # labels 0 and 3: classes 1 and 2 have no example
    np.savez(path, X=np.ones((8, 2), np.float32), y=np.array([0, 3] * 4))
    monkeypatch.setattr(
        dist, "all_gather_object", lambda out, mine: out.__setitem__(slice(None), [mine] * len(out))
    )
    context = DistContext(rank=rank, world_size=3, local_rank=local_rank)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        # on the CPU: "auto" is cuda:1 for local rank 1, which a one-GPU machine lacks
        config = SoftmaxConfig(data=path, impl="scratch", plot="none", device="cpu")
        exp = prepare(config, dist=context)
    said = [str(w.message) for w in seen if issubclass(w.category, DataWarning)]
    assert len(said) == (1 if warned else 0), said
    if warned:
        assert "no label is classes 1, 2" in said[0]
    assert len(exp.classes) == 4  # read all the same


def test_the_feature_scale_is_the_largest_magnitude_negative_values_included(
    tmp_path: Path,
) -> None:
    """Features reaching -500 (and +3 at most) are far from unit size as +500 ones are: the scale
    is max |X| over the training features (numpy's oracle), not their maximum."""
    X = np.random.default_rng(0).uniform(-1, 1, size=(20, 3)).astype(np.float32)
    X[4, 1], X[7, 2] = -500.0, 3.0
    X_test = np.full((4, 3), 900.0, np.float32)  # the test set's values are not trained on
    y = np.arange(20) % 2
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X_test, y_test=y[:4])
    exp = prepare(SoftmaxConfig(data=tmp_path / "d.npz", plot="none"))
    assert exp.feature_scale == float(np.abs(X).max()) == 500.0


@pytest.mark.parametrize(("dtype", "pixels"), [(np.uint8, True), (np.float32, False)])
def test_a_data_files_uint8_features_are_recorded_as_pixels(
    tmp_path: Path, dtype: type, pixels: bool
) -> None:
    """model.pt records whether new inputs must be divided by 255: a uint8 X was, a float X not."""
    X = np.random.default_rng(0).integers(0, 256, size=(20, 4)).astype(dtype)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(20) % 2)
    exp = prepare(SoftmaxConfig(data=tmp_path / "d.npz", plot="none"))
    assert exp.pixels is pixels
    X_first, _ = next(iter(exp.train_iter))
    assert float(X_first.max()) <= (1.0 if pixels else 255.0)


@pytest.mark.parametrize(
    ("env", "world_size", "processes"),
    [
        ({}, 1, 1),
        ({}, 3, 3),
        ({"LOCAL_WORLD_SIZE": "2"}, 4, 2),
        ({"LOCAL_WORLD_SIZE": "1", "LOCAL_RANK": "0"}, 2, 1),
        ({"LOCAL_RANK": "0"}, 2, 1),
    ],
    ids=["alone", "mp-spawn", "torchrun-2-of-4", "torchrun-1-of-2", "by-hand-with-local-rank"],
)
def test_the_processes_sharing_the_machines_cores_are_torchruns_local_ones_or_the_whole_group(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], world_size: int, processes: int
) -> None:
    """A group joined in Python (mp.spawn: no LOCAL_WORLD_SIZE, no LOCAL_RANK) was counted as one
    process, so its 2 processes of 2 threads on 2 cores went unwarned where torchrun's warned; as
    group_context has it, they run on one machine. Processes started by hand with their
    LOCAL_RANK may be on machines of their own: each counts itself."""
    from linearnets.tasks.experiment import processes_here
    from linearnets.training.distributed import DistContext

    for name in ("LOCAL_WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert processes_here(DistContext(rank=0, world_size=world_size)) == processes


@pytest.mark.parametrize(
    ("env", "rank", "local_rank", "tells"),
    [
        ({}, 0, 0, True),
        ({}, 1, 1, False),
        ({"LOCAL_WORLD_SIZE": "2", "LOCAL_RANK": "0"}, 2, 0, True),
        ({"LOCAL_WORLD_SIZE": "2", "LOCAL_RANK": "1"}, 1, 1, False),
        ({"LOCAL_WORLD_SIZE": "2", "LOCAL_RANK": "0"}, 0, 0, True),
        ({"LOCAL_RANK": "0"}, 1, 0, True),
    ],
    ids=[
        "mp-spawn-rank-0",
        "mp-spawn-rank-1",
        "torchrun-second-machine",
        "torchrun-second-process",
        "torchrun-rank-0",
        "by-hand-with-local-rank",
    ],
)
def test_the_first_process_of_each_machine_tells_of_its_threads(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], rank: int, local_rank: int, tells: bool
) -> None:
    """torchrun on 2 machines of 2 processes: rank 0 alone checked its machine's threads, so the
    second machine's (rank 2, its local rank 0) went unwarned; each machine's first process tells
    of its own. A process started by hand with its LOCAL_RANK counts, and tells, itself."""
    from linearnets.tasks.experiment import tells_its_machine
    from linearnets.training.distributed import DistContext

    for name in ("LOCAL_WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    dist = DistContext(rank=rank, world_size=4, local_rank=local_rank)
    assert tells_its_machine(dist) is tells
