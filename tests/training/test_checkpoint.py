"""Checkpoints: a round trip restores every state exactly; a crash mid-write or a bad file never costs work."""

from __future__ import annotations

import os
import pickle
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.errors import CheckpointError
from linearnets.models.scratch import SGD, SoftmaxRegressionScratch
from linearnets.seeding import seed_everything
from linearnets.training.checkpoint import (
    CHECKPOINT_FILE,
    FORMAT_VERSION,
    CheckpointCallback,
    check_history,
    checkpoint_history,
    global_rng_state,
    history_from_rows,
    load_checkpoint,
    record_epochs,
    save_checkpoint,
    set_global_rng_state,
)
from linearnets.training.loop import EpochMetrics

ROW = {
    "epoch": 1,
    "train_loss": 0.5,
    "train_acc": 0.8,
    "test_loss": 0.6,
    "test_acc": 0.79,
    "seconds": 0.1,
}


def _state(gens: Any = None) -> dict[str, Any]:
    gens = gens or seed_everything(0)
    net = torch.nn.Linear(4, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    return {
        "model_state": net.state_dict(),
        "optimizer_state": opt.state_dict(),
        "generators_state": {"run": gens.state_dict(), "global": global_rng_state()},
        "history": [ROW],
        "config": {"impl": "concise", "lr": 0.1, "out": None},
        "extra": {"guard": {"start_loss": 2.3}},
    }


def test_round_trip_restores_every_state(tmp_path: Path) -> None:
    state = _state()
    path = save_checkpoint(tmp_path / CHECKPOINT_FILE, epoch=3, **state)
    ckpt = load_checkpoint(path)
    assert ckpt.epoch == 3 and ckpt.path == path
    for key, value in state["model_state"].items():
        assert torch.equal(ckpt.model_state[key], value)
    assert ckpt.optimizer_state["param_groups"][0]["lr"] == 0.1
    assert ckpt.history == [ROW] and ckpt.config == state["config"]
    assert ckpt.extra == {"guard": {"start_loss": 2.3}}
    from linearnets import __version__

    assert ckpt.version == __version__
    assert history_from_rows(ckpt.history).epochs == [EpochMetrics(**ROW)]


def test_recording_an_epoch_count_changes_that_alone(tmp_path: Path) -> None:
    """A resume that ends the run at the checkpoint's epoch writes the new count into its config:
    the weights, states, history, extra and version stay as written, atomically replaced."""
    state = _state()
    state["config"] = {**state["config"], "epochs": 5}
    path = save_checkpoint(tmp_path / CHECKPOINT_FILE, epoch=1, **state)
    payload = torch.load(path, weights_only=True)
    payload["version"] = "0.0.1"  # an earlier linearnets' checkpoint keeps its own
    torch.save(payload, path)
    record_epochs(load_checkpoint(path), 1)
    after = torch.load(path, weights_only=True)
    assert after["config"] == {"impl": "concise", "lr": 0.1, "out": None, "epochs": 1}
    assert after["version"] == "0.0.1" and after["epoch"] == 1 and after["history"] == [ROW]
    assert after["extra"] == payload["extra"]
    assert after["generators_state"].keys() == {"run", "global"}
    for key, value in state["model_state"].items():
        assert torch.equal(after["model_state"][key], value)
    assert after["optimizer_state"] == payload["optimizer_state"]
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT_FILE]  # no temporary left
    written = path.stat().st_ino  # a write renames a new file over it
    record_epochs(load_checkpoint(path), 1)  # already its count: not written again
    assert path.stat().st_ino == written


def test_generators_continue_exactly(tmp_path: Path) -> None:
    gens = seed_everything(5)
    torch.randn(3, generator=gens.data)
    # one normal each: NumPy and Python then hold the pair's second half in a cache
    np.random.normal()
    random.gauss(0.0, 1.0)
    state = _state(gens)
    save_checkpoint(tmp_path / "c.pt", epoch=1, **state)
    expected = (
        torch.randn(4, generator=gens.data),
        torch.randn(4, generator=gens.init),
        torch.randn(4),
        np.random.rand(4),
        [random.random() for _ in range(4)],
    )
    cached = (np.random.normal(), random.gauss(0.0, 1.0))
    other = seed_everything(99)
    ckpt = load_checkpoint(tmp_path / "c.pt")
    other.load_state_dict(ckpt.generators_state["run"])
    set_global_rng_state(ckpt.generators_state["global"])
    assert torch.equal(torch.randn(4, generator=other.data), expected[0])
    assert torch.equal(torch.randn(4, generator=other.init), expected[1])
    assert torch.equal(torch.randn(4), expected[2])
    assert np.array_equal(np.random.rand(4), expected[3])
    assert [random.random() for _ in range(4)] == expected[4]
    assert (np.random.normal(), random.gauss(0.0, 1.0)) == cached


def test_scratch_model_and_optimizer_round_trip(tmp_path: Path) -> None:
    net = SoftmaxRegressionScratch(6, 3, generator=torch.Generator().manual_seed(1))
    opt = SGD(net.parameters(), lr=0.25)
    state = _state() | {"model_state": net.state_dict(), "optimizer_state": opt.state_dict()}
    save_checkpoint(tmp_path / "c.pt", epoch=2, **state)
    ckpt = load_checkpoint(tmp_path / "c.pt")
    fresh = SoftmaxRegressionScratch(6, 3)
    fresh.load_state_dict(ckpt.model_state)
    assert torch.equal(fresh.W, net.W) and torch.equal(fresh.b, net.b)
    fresh_opt = SGD(fresh.parameters(), lr=1.0)
    fresh_opt.load_state_dict(ckpt.optimizer_state)
    assert fresh_opt.param_groups[0]["lr"] == 0.25


def test_loads_with_weights_only(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "c.pt", epoch=1, **_state())
    payload = torch.load(path, weights_only=True)  # would raise on any pickled object
    assert payload["format"] == "linearnets-checkpoint" and payload["format_version"] == 1


def test_crash_mid_write_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_checkpoint(tmp_path / "c.pt", epoch=1, **_state())
    before = path.read_bytes()

    def crash(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        f.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(CheckpointError, match=r"c.pt could not be written: the disk is full \(\d+ KiB free\); the previous checkpoint is kept; fix that and run it again$"):  # fmt: skip
        save_checkpoint(path, epoch=2, **_state())
    assert path.read_bytes() == before
    assert load_checkpoint(path).epoch == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]  # no temp file left behind


def test_a_full_disk_that_torch_reports_as_a_runtime_error_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    def crash(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "[enforce fail at inline_container.cc:672] . unexpected pos 5760 vs 5654"
        )

    monkeypatch.setattr(torch, "save", crash)
    usage = shutil.disk_usage(tmp_path)._replace(free=4096)  # a disk with 4 KiB left
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage)
    with pytest.raises(CheckpointError, match=r"the disk is full \(4 KiB free\); no earlier checkpoint exists"):  # fmt: skip
        save_checkpoint(tmp_path / "c.pt", epoch=1, **_state())
    assert list(tmp_path.iterdir()) == []


def test_write_goes_through_fsync_and_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: Path) -> None:
        calls.append(f"replace in same folder: {Path(src).parent == Path(dst).parent}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save_checkpoint(tmp_path / "c.pt", epoch=1, **_state())
    # the data reach the disk before the rename, the rename stays in the folder, the folder is synced
    assert calls == ["fsync", "replace in same folder: True", "fsync"]


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _pickle(path: Path) -> None:
    path.write_bytes(pickle.dumps({"format": "linearnets-checkpoint"}))


def _foreign_torch_file(path: Path) -> None:
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)


def _not_a_dict(path: Path) -> None:
    torch.save([1, 2, 3], path)


def _newer_format(path: Path) -> None:
    payload = torch.load(path, weights_only=True)
    torch.save(payload | {"format_version": 99}, path)


def _next_format(path: Path) -> None:
    payload = torch.load(path, weights_only=True)
    torch.save(payload | {"format_version": FORMAT_VERSION + 1}, path)


def _no_format_version(path: Path) -> None:
    payload = torch.load(path, weights_only=True)
    del payload["format_version"]
    torch.save(payload, path)


def _missing_keys(path: Path) -> None:
    payload = torch.load(path, weights_only=True)
    del payload["generators_state"]
    torch.save(payload, path)


def _text(path: Path) -> None:
    path.write_text("epoch = 3\n")


def _edited(**changes: Any) -> Any:
    """A damage: the checkpoint still loads, but ``changes`` replaced some of its values."""

    def edit(path: Path) -> None:
        payload = torch.load(path, weights_only=True)
        for key, value in changes.items():
            payload[key] = value(payload) if callable(value) else value
        torch.save(payload, path)

    return edit


def _row(**changes: Any) -> Any:
    return lambda payload: [ROW | changes]


def _row_without(key: str) -> Any:
    return lambda payload: [{k: v for k, v in ROW.items() if k != key}]


@pytest.mark.parametrize(
    "damage,pattern",
    [
        (_truncated, r"cannot be read: it is truncated, damaged or not a torch file"),
        (_empty, r"cannot be read"),
        (_text, r"cannot be read"),
        (_pickle, r"cannot be read"),  # weights_only refuses plain pickles
        (_foreign_torch_file, r"is not a linearnets checkpoint"),
        (_not_a_dict, r"is not a linearnets checkpoint"),
        (_newer_format, r"format version 99, this linearnets reads up to 1"),
        (_next_format, r"format version 2, this linearnets reads up to 1"),
        (_no_format_version, r"format version None, this linearnets reads up to 1"),
        (_missing_keys, r"is incomplete: it lacks generators_state"),
        # values a hand edit (or another tool) left: refused when read, each named with its fix
        (
            _edited(epoch="abc"),
            r"is damaged: its epoch must be the number of finished epochs, an integer >= 1, got str 'abc'; restore checkpoint.pt from a copy of the run, or delete it and resume with force=True",
        ),
        (_edited(epoch=-3), r"its epoch must be .*, got int -3;"),
        (_edited(epoch=0), r"its epoch must be .*, got int 0;"),
        (_edited(epoch=True), r"its epoch must be .*, got bool True;"),
        (_edited(epoch=1.0), r"its epoch must be .*, got float 1.0;"),
        (
            _edited(history=5),
            r"its history must be a list of one dict per finished epoch, got int 5",
        ),
        (
            _edited(history=_row_without("train_loss")),
            r"its history\[0\] must be a dict with the keys epoch, train_loss, .* \(it lacks train_loss\)",
        ),
        (
            _edited(history=lambda p: [[1, 2]]),
            r"its history\[0\] must be a dict of the epoch's metrics, got list \[1, 2\]",
        ),
        (
            _edited(history=_row(epoch=2)),
            r"its history\[0\]\['epoch'\] must be 1, its place in the list, got int 2",
        ),
        (
            _edited(history=_row(train_loss="0.5")),
            r"its history\[0\]\['train_loss'\] must be a number, got str '0.5'",
        ),
        (
            _edited(history=_row(test_acc=[0.7])),
            r"its history\[0\]\['test_acc'\] must be a number or None, got list",
        ),
        (_edited(config=7), r"its config must be a dict, got int 7"),
        (
            _edited(optimizer_state=[0.1]),
            r"its optimizer_state must be a dict, got list \[0.1\]",
        ),
        (
            _edited(generators_state=None),
            r"its generators_state must be a dict, got NoneType None",
        ),
        (
            _edited(model_state=[1]),
            r"its model_state must be a dict of the model's weights by name",
        ),
        (
            _edited(model_state={"weight": 1.5}),
            r"its model_state\['weight'\] must be a floating-point tensor, got float 1.5",
        ),
        (
            _edited(model_state={"weight": torch.zeros(2, dtype=torch.int64)}),
            r"its model_state\['weight'\] must be a floating-point tensor, got a tensor of shape \(2,\) and dtype torch.int64",
        ),
        (_edited(extra="guard"), r"its extra must be a dict \(or None\), got str 'guard'"),
        (
            _edited(extra={"data_sha256": "ABC"}),
            r"its extra\['data_sha256'\] must be the SHA-256 of the run's data file, 64 lower-case hex digits \(or None\), got str 'ABC'",
        ),
        (
            _edited(extra={"data_sha256": ["a" * 64]}),
            r"its extra\['data_sha256'\] must be the SHA-256 .*, got list \['aaaa",
        ),
        (
            _edited(extra={"data_since": "0"}),
            r"its extra\['data_since'\] must be the epoch the run's current data were used after, an integer from 0 to its epoch \(1\) \(or None\), got str '0'",
        ),
        (
            _edited(extra={"data_since": 2}),
            r"its extra\['data_since'\] must be .* from 0 to its epoch \(1\) \(or None\), got int 2;",
        ),
        (
            _edited(extra={"data_since": -1}),
            r"its extra\['data_since'\] must be .*, got int -1;",
        ),
        (
            _edited(extra={"data_since": True}),
            r"its extra\['data_since'\] must be .*, got bool True;",
        ),
        (
            _edited(extra={"guard": "zzz"}),
            r"its extra\['guard'\] must be the divergence guard's state, a dict, got str 'zzz'",
        ),
        (
            _edited(extra={"guard": {"start_loss": "2.3"}}),
            r"its extra\['guard'\]\['start_loss'\] must be a number, got str '2.3'",
        ),
        (
            _edited(extra={"guard": {"sum": None}}),
            r"its extra\['guard'\]\['sum'\] must be a number, got NoneType None",
        ),
        (
            _edited(extra={"guard": {"count": -1}}),
            r"its extra\['guard'\]\['count'\] must be an integer >= 0, got int -1",
        ),
        (
            _edited(extra={"guard": {"recent": [[1.0]]}}),
            r"its extra\['guard'\]\['recent'\] must be a list of \[loss sum, count\] pairs",
        ),
        (
            _edited(model_state={}),
            r"its model_state must be a dict of the model's weights by name, got dict \{\}",
        ),
        # equal to the row's place, but not an integer: True == 1 and 1.0 == 1 in Python
        (
            _edited(history=_row(epoch=True)),
            r"its history\[0\]\['epoch'\] must be 1, its place in the list, got bool True",
        ),
        (
            _edited(history=_row(epoch=1.0)),
            r"its history\[0\]\['epoch'\] must be 1, its place in the list, got float 1.0",
        ),
        (
            _edited(extra={"guard": {"first_loss": "2.3"}}),
            r"its extra\['guard'\]\['first_loss'\] must be a number, got str '2.3'",
        ),
        (
            _edited(extra={"guard": {"count": 1.5}}),
            r"its extra\['guard'\]\['count'\] must be an integer >= 0, got float 1.5",
        ),
        (
            _edited(extra={"guard": {"start_loss": True}}),
            r"its extra\['guard'\]\['start_loss'\] must be a number, got bool True",
        ),
        (
            _edited(extra={"guard": {"recent": [[1.0, 2.5]]}}),
            r"its extra\['guard'\]\['recent'\] must be a list of \[loss sum, count\] pairs, got list \[\[1.0, 2.5\]\]",
        ),
        (
            _edited(extra={"guard": {"recent": [["1.0", 2]]}}),
            r"its extra\['guard'\]\['recent'\] must be a list of \[loss sum, count\] pairs, got list \[\['1.0', 2\]\]",
        ),
        (
            _edited(extra={"guard": {"recent": {}}}),
            r"its extra\['guard'\]\['recent'\] must be a list of \[loss sum, count\] pairs, got dict \{\}",
        ),
        (
            _edited(extra={"guard": {"level": "5"}}),
            r"its extra\['guard'\]\['level'\] must be a number, got str '5'",
        ),
        (
            _edited(extra={"guard": {"after": [[5.0, 1.5]]}}),
            r"its extra\['guard'\]\['after'\] must be a list of \[mean loss, count\] pairs, got list \[\[5.0, 1.5\]\]",
        ),
        (
            _edited(extra={"guard": {"values": [5.0, "1.5"]}}),
            r"its extra\['guard'\]\['values'\] must be a list of numbers, got list \[5.0, '1.5'\]",
        ),
        # a long value is cut, so the message stays one readable line
        (
            _edited(history=lambda p: [list(range(40))]),
            r"its history\[0\] must be a dict of the epoch's metrics, got list \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16\.\.\.; restore",
        ),
    ],
)
def test_bad_files_raise_checkpoint_error_naming_the_file(
    tmp_path: Path, damage: Any, pattern: str
) -> None:
    path = save_checkpoint(tmp_path / "checkpoint.pt", epoch=1, **_state())
    damage(path)
    with pytest.raises(CheckpointError, match=pattern) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_saved_guard_state_and_no_extra_are_read(tmp_path: Path) -> None:
    """What the divergence guard saves (None before its reference is set) and older files without
    ``extra`` pass the checks."""
    guard = {"start_loss": None, "first_loss": None, "sum": 0.0, "count": 0, "recent": []}
    path = save_checkpoint(tmp_path / "c.pt", epoch=1, **(_state() | {"extra": {"guard": guard}}))
    assert load_checkpoint(path).extra == {"guard": guard}
    _edited(extra=None)(path)
    assert load_checkpoint(path).extra == {}


@pytest.mark.parametrize("rows", [0, 2])
def test_a_history_without_one_row_per_epoch_is_refused(tmp_path: Path, rows: int) -> None:
    """Resuming rewrites metrics.jsonl from the checkpoint's rows: a missing row would be lost."""
    history = [ROW | {"epoch": i + 1} for i in range(rows)]
    path = save_checkpoint(tmp_path / CHECKPOINT_FILE, epoch=1, **(_state() | {"history": history}))
    ckpt = load_checkpoint(path)
    said = rf"checkpoint {re.escape(str(path))} is damaged: its history must hold one row per finished epoch \(1\), got {rows}; restore checkpoint.pt from a copy"  # fmt: skip
    with pytest.raises(CheckpointError, match=said):
        checkpoint_history(ckpt)
    with pytest.raises(CheckpointError, match=said):  # what a resume checks before its advice
        check_history(ckpt)
    good = load_checkpoint(save_checkpoint(path, epoch=1, **_state()))
    check_history(good)
    assert checkpoint_history(good).epochs == [EpochMetrics(**ROW)]


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        CheckpointError, match=r"checkpoint.pt does not exist: the run never finished"
    ):
        load_checkpoint(tmp_path / "checkpoint.pt")


def test_callback_writes_each_epoch(tmp_path: Path) -> None:
    cb = CheckpointCallback(tmp_path, get_state=_state)
    for epoch in (1, 2):
        cb.on_epoch_end(metrics=EpochMetrics(**(ROW | {"epoch": epoch})))
        assert load_checkpoint(tmp_path / CHECKPOINT_FILE).epoch == epoch
    assert cb.last_epoch == 2


def test_a_checkpoint_gets_the_usual_permissions(tmp_path: Path) -> None:
    """Not mkstemp's 0o600: the other files of a run folder are readable by its group and others."""
    import os
    import stat

    saved = os.umask(0o022)
    try:
        path = save_checkpoint(tmp_path / "c.pt", epoch=1, **_state())
    finally:
        os.umask(saved)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_saved_tensors_are_detached_copies_wherever_they_sit(tmp_path: Path) -> None:
    """Tensors that require grad (a ``keep_vars`` state dict, an optimizer's buffers) come back as
    plain data, however deeply a dict, list or tuple holds them."""
    net = torch.nn.Linear(4, 3)
    buf = torch.arange(3.0).requires_grad_()
    state = _state() | {
        "model_state": net.state_dict(keep_vars=True),  # the nn.Parameters themselves
        "optimizer_state": {
            "state": {0: {"momentum_buffer": buf}},
            "bufs": [buf],
            "pair": (buf, 1),
        },
        "generators_state": {"run": (buf,), "global": {"torch": buf}},
    }
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "c.pt", epoch=1, **state))
    loaded = [
        *ckpt.model_state.values(),
        ckpt.optimizer_state["state"][0]["momentum_buffer"],
        ckpt.optimizer_state["bufs"][0],
        ckpt.optimizer_state["pair"][0],
        ckpt.generators_state["run"][0],
        ckpt.generators_state["global"]["torch"],
    ]
    assert [t.requires_grad for t in loaded] == [False] * 7
    assert all(type(t) is torch.Tensor for t in loaded)  # not nn.Parameter
    assert torch.equal(ckpt.model_state["weight"], net.weight.detach())
    assert all(torch.equal(t, torch.tensor([0.0, 1.0, 2.0])) for t in loaded[2:])


def test_a_view_saves_only_its_own_elements(tmp_path: Path) -> None:
    """Weights and buffers that are views into one flat buffer (4 MB of float32): the file holds
    their 15 floats, not the whole buffer once or twice."""
    flat = torch.arange(1_000_000, dtype=torch.float32)
    state = _state() | {
        "model_state": {"weight": flat[:12].view(3, 4)},
        "optimizer_state": {"state": {0: {"momentum_buffer": flat[12:15]}}},
    }
    path = save_checkpoint(tmp_path / "c.pt", epoch=1, **state)
    assert path.stat().st_size < 4 * 1_000_000 // 10
    ckpt = load_checkpoint(path)
    assert torch.equal(ckpt.model_state["weight"], torch.arange(12.0).view(3, 4))
    assert torch.equal(
        ckpt.optimizer_state["state"][0]["momentum_buffer"], torch.tensor([12.0, 13.0, 14.0])
    )


def test_a_numpy_epoch_count_is_stored_as_an_int(tmp_path: Path) -> None:
    """weights_only refuses NumPy scalars: an epoch counted by NumPy must still load."""
    path = save_checkpoint(tmp_path / "c.pt", epoch=np.int64(2), **_state())  # type: ignore[arg-type]
    ckpt = load_checkpoint(path)
    assert ckpt.epoch == 2 and type(ckpt.epoch) is int


def test_a_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path: Path) -> None:
    """A file with every field right but one object whose unpickling runs code: nothing runs."""
    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
            return (Path.touch, (ran,))

    path = save_checkpoint(tmp_path / "c.pt", epoch=1, **_state())
    payload = torch.load(path, weights_only=True)
    torch.save(payload | {"extra": {"note": Payload()}}, path)
    with pytest.raises(CheckpointError, match=r"c.pt cannot be read: it is truncated, damaged or not a torch file \(UnpicklingError: "):  # fmt: skip
        load_checkpoint(path)
    assert not ran.exists()


def _foreign_object(path: Path) -> None:
    """A fraction in ``extra``: weights_only refuses the global, in a message of several lines."""
    from fractions import Fraction

    payload = torch.load(path, weights_only=True)
    torch.save(payload | {"extra": {"scale": Fraction(1, 2)}}, path)


@pytest.mark.parametrize("damage", [_truncated, _empty, _pickle, _foreign_object])
def test_an_unreadable_file_names_torchs_reason_on_one_line(tmp_path: Path, damage: Any) -> None:
    """The reason is torch's own error: its type and the start of its text, up to the end of its
    first sentence (the rest is advice for torch.load's caller, e.g. weights_only=False)."""
    path = save_checkpoint(tmp_path / "checkpoint.pt", epoch=1, **_state())
    damage(path)
    import warnings

    with pytest.raises(Exception) as oracle, warnings.catch_warnings():  # torch's own words
        warnings.simplefilter("ignore")
        torch.load(path, weights_only=True)
    text = " ".join(str(oracle.value).split())
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message and "weights_only=False" not in message
    found = re.search(rf"\({type(oracle.value).__name__}(: (.*))?\); restore ", message)
    assert found is not None
    reason = found.group(2) or ""
    kept = reason.removesuffix("...")
    assert len(reason) <= 200 and text.startswith(kept)
    # whole sentences (or, for a long one, whole words) of torch's text
    assert kept == text or (reason.endswith((".", "!", "?", "...")) and text[len(kept)] == " ")


def test_an_unreadable_file_gets_the_fix_of_any_damaged_checkpoint(tmp_path: Path) -> None:
    """Delete it and resume with --force (the resume then starts the run over), or restore a copy:
    the advice of every damaged checkpoint (restore_hint). "Delete it to resume from scratch" alone
    led to another refusal: a run with logged epochs or weights starts over only with --force."""
    path = save_checkpoint(tmp_path / "checkpoint.pt", epoch=1, **_state())
    _truncated(path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert str(info.value).endswith(
        "; restore checkpoint.pt from a copy of the run, or delete it and resume with force=True "
        "to start the run over"
    )


def test_a_run_s_model_pt_copied_over_its_checkpoint_is_refused_with_the_run_s_fix(
    tmp_path: Path,
) -> None:
    """Another linearnets file (the run's model.pt) found as checkpoint.pt in a run folder: "pass
    the checkpoint.pt a linearnets run wrote" named nothing anyone passed. The fix is the run's
    own checkpoint, restored, or the start over, as for a truncated one; the folder holding a
    finished run's weights, the start over replaces them, said too."""
    path = tmp_path / "checkpoint.pt"
    torch.save({"format": "linearnets-weights", "state": {"W": torch.zeros(4, 3)}}, path)
    said = (
        f"checkpoint {path} is not a linearnets checkpoint (no 'linearnets-checkpoint' format "
        "marker); restore checkpoint.pt from a copy of the run, or delete it and resume with "
        "force=True to start the run over"
    )
    with pytest.raises(CheckpointError, match=f"^{re.escape(said)}$"):
        load_checkpoint(path)
    (tmp_path / "model.pt").write_bytes(path.read_bytes())
    finished = (
        "; the run finished: starting it over replaces its trained weights and results "
        "(model.pt; each old file is kept as NAME.bak, e.g. model.pt.bak)"
    )
    with pytest.raises(CheckpointError, match=f"^{re.escape(said + finished)}$"):
        load_checkpoint(path)


def test_a_foreign_pickle_is_refused_without_a_warning(tmp_path: Path) -> None:
    """torch warns about the pickle's protocol before failing: the error alone says it all."""
    import warnings

    path = tmp_path / "checkpoint.pt"
    _pickle(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(
            CheckpointError,
            match=rf"^checkpoint {re.escape(str(path))} cannot be read: it is truncated, damaged "
            r"or not a torch file \(UnpicklingError: .+\); restore checkpoint\.pt from a copy of "
            r"the run, or delete it and resume with force=True to start the run over$",
        ):
            load_checkpoint(path)
    assert [str(w.message) for w in caught] == []


def test_a_history_of_several_epochs_is_rebuilt_row_by_row(tmp_path: Path) -> None:
    rows = [ROW | {"epoch": i, "train_loss": 1.0 / i} for i in (1, 2, 3)]
    ckpt = load_checkpoint(
        save_checkpoint(tmp_path / "c.pt", epoch=3, **(_state() | {"history": rows}))
    )
    expected = [EpochMetrics(**row) for row in rows]
    assert checkpoint_history(ckpt).epochs == expected
    assert history_from_rows(rows).epochs == expected


def test_load_failure_keeps_the_first_sentence_and_whole_words() -> None:
    from linearnets.training.checkpoint import load_failure

    advice = RuntimeError(
        "Weights only load failed. This file can still be loaded:\n (1) re-run torch.load with "
        "weights_only set to False"
    )
    assert load_failure(advice) == "RuntimeError: Weights only load failed."
    assert load_failure(KeyError("101")) == "KeyError: '101'"
    assert load_failure(ValueError("")) == "ValueError"
    long = load_failure(ValueError("abcdefghi " * 30))  # 300 characters, no sentence end
    reason = long.removeprefix("ValueError: ")
    assert reason.endswith("abcdefghi...") and len(reason) <= 200


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda p: p.mkdir(), "is a folder, not a checkpoint file"),
        (lambda p: os.mkfifo(p), "is a FIFO, not a checkpoint file"),
        (lambda p: p.symlink_to(p), "cannot be read: {path} is a symbolic link that loops back"),
    ],
    ids=["folder", "fifo", "loop"],
)
def test_what_stands_in_place_of_the_checkpoint_is_named(
    tmp_path: Path, make: Any, what: str
) -> None:
    """A folder there was reported as "does not exist: ... start a new run", which throws the run
    away; the fix is the one for a damaged checkpoint."""
    path = tmp_path / CHECKPOINT_FILE
    make(path)
    assert not path.is_file()  # the oracle: the file system's own word on it
    with pytest.raises(
        CheckpointError,
        match="^"
        + re.escape(f"checkpoint {path} {what.format(path=path)}")
        + r".*; restore checkpoint\.pt from a copy of the run, or delete it and resume with "
        r"force=True to start the run over$",
    ):
        load_checkpoint(path)


def test_a_flipped_bit_in_the_weights_is_refused_as_a_damaged_file(tmp_path: Path) -> None:
    """torch.load never checks the zip's CRC-32s: a bit flipped inside the saved weights loaded
    without a word (and the divergence guard then blamed the lr). It is the damaged file now,
    named with the member whose bytes do not match, and the fix of every damaged checkpoint."""
    import zipfile

    state = _state()
    path = save_checkpoint(tmp_path / "checkpoint.pt", epoch=1, **state)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:  # the oracle: where the weight's bytes lie
        weight = state["model_state"]["weight"]
        member = next(
            i for i in archive.infolist() if i.file_size == weight.numel() * weight.element_size()
        )
    # past the local header (30 bytes, the name, the extra field): the stored bytes themselves
    name_len = int.from_bytes(data[member.header_offset + 26 : member.header_offset + 28], "little")
    extra_len = int.from_bytes(
        data[member.header_offset + 28 : member.header_offset + 30], "little"
    )
    start = member.header_offset + 30 + name_len + extra_len
    data[start + 5] ^= 0x10
    path.write_bytes(bytes(data))
    flipped = torch.load(path, weights_only=True)["model_state"]["weight"]
    assert not torch.equal(flipped, weight)  # torch alone takes the damaged weights
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert str(info.value) == (
        f"checkpoint {path} cannot be read: it is truncated, damaged or not a torch file "
        f"(ChecksumError: the CRC-32 of {member.filename} does not match its bytes); restore "
        "checkpoint.pt from a copy of the run, or delete it and resume with force=True to start "
        "the run over"
    )


def test_a_bad_data_since_is_fixed_by_setting_it_to_none_not_by_starting_over(
    tmp_path: Path,
) -> None:
    """The fix said was to delete the checkpoint and start over, all its training lost, where
    setting the one value to None (a checkpoint from before it was recorded) loads it whole."""
    path = save_checkpoint(tmp_path / "checkpoint.pt", epoch=1, **_state())
    _edited(extra={"guard": {"start_loss": 2.3}, "data_since": "0"})(path)
    with pytest.raises(
        CheckpointError,
        match=r"got str '0'; set it to None \(torch.load checkpoint.pt with weights_only=True, "
        r"set extra\['data_since'\] = None, torch.save it\) and resume: the run keeps all its "
        r"training, its divergence guard then reading all its epochs; or restore checkpoint.pt",
    ):
        load_checkpoint(path)
    payload = torch.load(path, weights_only=True)  # the fix, as said
    payload["extra"]["data_since"] = None
    torch.save(payload, path)
    ckpt = load_checkpoint(path)
    assert ckpt.epoch == 1 and ckpt.extra == {"guard": {"start_loss": 2.3}, "data_since": None}
