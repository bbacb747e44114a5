"""What a finished softmax run reports: ``results.json`` against the saved model, and its timing."""

from __future__ import annotations

import json
import shlex
import shutil
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli._report import one_line
from linearnets.config import SoftmaxConfig
from linearnets.errors import LinearnetsError, RunFileError
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.callbacks import Callback, MetricsWriter

from ._remove_folder import remove_run_folder

# a data-parallel run's processes started by torchrun or by hand, and the resume's ending for each
_BY_TORCHRUN_OR_HAND = pytest.mark.parametrize(
    ("torchrun", "again"),
    [(True, ", launched by torchrun as before"), (False, " in 2 processes, started as before")],
    ids=["torchrun", "by hand"],
)


def _launched_by(monkeypatch: pytest.MonkeyPatch, *, torchrun: bool) -> None:
    """Give the process torchrun's TORCHELASTIC_RUN_ID, or take it away (processes started by
    hand)."""
    if torchrun:
        monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job-1")
    else:
        monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)


def _blobs(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Three overlapping Gaussian blobs in 4 features, with a test split; return the test split."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=1.5, size=(3, 4))
    y = np.arange(120) % 3
    X = (centres[y] + rng.normal(size=(120, 4))).astype(np.float32)
    np.savez(path, X=X[:90], y=y[:90], X_test=X[90:], y_test=y[90:])
    return X[90:].astype(np.float64), y[90:]


def _rows(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_results_json_holds_the_last_epoch_and_the_saved_models_test_accuracy(
    tmp_path: Path,
) -> None:
    """The oracle: the saved weights applied with numpy to the test split, per class and overall."""
    X_test, y_test = _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    run_softmax(
        SoftmaxConfig(data=tmp_path / "d.npz", impl="concise", epochs=2, plot="none", out=out)
    )
    summary = json.loads((out / "results.json").read_text())
    last = _rows(out)[-1]
    assert summary["epochs"] == 2 and summary["impl"] == "concise"
    assert (summary["train_loss"], summary["train_acc"]) == (last["train_loss"], last["train_acc"])
    state = torch.load(out / "model.pt", weights_only=True)["state_dict"]
    scores = X_test @ state["1.weight"].double().numpy().T + state["1.bias"].double().numpy()
    top2 = np.sort(scores, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 1e-4  # no near-ties: float32 agrees with float64
    right = scores.argmax(axis=1) == y_test
    assert 0 < right.mean() < 1  # a test that could tell the classes apart
    assert summary["test_acc"] == pytest.approx(right.mean())
    per_class = {str(c): right[y_test == c].mean() for c in range(3)}
    assert len(set(per_class.values())) == 3  # distinct: a mix-up of classes would show
    assert summary["per_class_acc"] == pytest.approx(per_class)


def _clock(monkeypatch: pytest.MonkeyPatch, *times: float) -> None:
    """Make the run's own timer (only its) read ``times`` in turn."""
    import linearnets.tasks.training_run as training_run

    readings = iter(times)
    monkeypatch.setattr(training_run, "time", SimpleNamespace(perf_counter=lambda: next(readings)))


def test_seconds_per_epoch_is_the_time_trained_over_the_epochs_trained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    _clock(monkeypatch, 100.0, 112.0)
    result = run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=3, plot="none", out=out))
    assert result.seconds_per_epoch == 4.0  # 12 s over 3 epochs
    _clock(monkeypatch, 200.0, 209.0)
    resumed = resume_softmax(out, epochs=6)
    assert resumed.seconds_per_epoch == 3.0  # 9 s over the 3 epochs after the resume
    assert json.loads((out / "results.json").read_text())["seconds_per_epoch"] == 3.0


def test_a_resume_that_trains_nothing_reports_the_mean_of_the_epochs_own_times(
    tmp_path: Path,
) -> None:
    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=2, plot="none", out=out))
    for name in ("model.pt", "results.json"):  # stopped after its last checkpoint
        (out / name).unlink()
    seconds = [row["seconds"] for row in _rows(out)]
    assert resume_softmax(out).seconds_per_epoch == pytest.approx(sum(seconds) / 2)


def test_a_resume_that_only_draws_figures_keeps_the_measured_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It wrote the mean of metrics.csv's seconds over results.json's measured time: a figure
    drawn later (``plot="file"`` on a finished ``plot="none"`` run) lost the recorded number."""
    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    _clock(monkeypatch, 100.0, 112.0)
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=2, plot="none", out=out))
    before = json.loads((out / "results.json").read_text())
    assert before["seconds_per_epoch"] == 6.0  # 12 s over 2 epochs
    assert sum(row["seconds"] for row in _rows(out)) / 2 != pytest.approx(6.0)  # told apart
    _clock(monkeypatch, 300.0, 300.5)
    resumed = resume_softmax(out, plot="file")
    assert [m.epoch for m in resumed.history.epochs] == [1, 2]  # nothing trained
    assert (out / "confusion.png").is_file()
    assert resumed.seconds_per_epoch == 6.0
    assert json.loads((out / "results.json").read_text()) == before


@pytest.mark.parametrize("run_dir", ["two  sp", "it's"])
def test_the_resume_a_figure_failure_advises_can_be_pasted_into_a_shell(
    tmp_path: Path, run_dir: str
) -> None:
    """It read "linearnets softmax --resume two sp draws them": two arguments where the folder is one.
    Python gets the call, the command line the option (``cli._report``)."""
    from linearnets.errors import PlotError
    from linearnets.tasks.training_run import _finish

    def failed() -> None:
        raise PlotError("curves.png could not be drawn")

    out = tmp_path / run_dir
    out.mkdir()
    plotter: Any = SimpleNamespace(close=failed)
    result: Any = SimpleNamespace(summary=lambda: {"epochs": 1})
    # one process: the resume says nothing of how it is launched; no barrier is reached
    exp: Any = SimpleNamespace(dist=SimpleNamespace(enabled=False, is_main=True, world_size=1))
    with pytest.raises(PlotError) as info:
        _finish(exp, out, result, plotter)
    call = str(info.value).split("; draw them with: ", 1)[1]
    assert call == f"linearnets.resume_softmax({str(out)!r})"  # Python's words, a call to paste
    command = one_line(info.value).split("; draw them with: ", 1)[1]
    # the oracle: the shell's own word splitting (POSIX rules, as shlex implements them)
    assert shlex.split(command) == ["linearnets", "softmax", "--resume", str(out)]
    assert json.loads((out / "results.json").read_text()) == {"epochs": 1}


@_BY_TORCHRUN_OR_HAND
def test_a_figure_rank_0_cannot_draw_gives_the_resume_launched_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torchrun: bool, again: str
) -> None:
    """Rank 0's figure failing in a data-parallel run advised "draw them with: linearnets softmax
    --resume RUN": one process, where its other stops say how to start them all again."""
    from linearnets.errors import PlotError
    from linearnets.tasks.training_run import _finish

    _launched_by(monkeypatch, torchrun=torchrun)

    def failed() -> None:
        raise PlotError("curves.png could not be drawn")

    out = tmp_path / "my run"
    out.mkdir()
    plotter: Any = SimpleNamespace(close=failed)
    result: Any = SimpleNamespace(summary=lambda: {"epochs": 2})
    exp: Any = SimpleNamespace(dist=SimpleNamespace(enabled=True, is_main=True, world_size=2))
    with pytest.raises(PlotError) as info:
        _finish(exp, out, result, plotter)
    assert str(info.value) == (
        f"curves.png could not be drawn; draw them with: linearnets.resume_softmax({str(out)!r})"
        f"{again}"
    )
    assert one_line(info.value, command="linearnets softmax") == (
        "curves.png could not be drawn; draw them with: linearnets softmax --resume "
        f"{shlex.quote(str(out))}{again}"
    )


def test_a_runs_checkpoints_build_each_epochs_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every checkpoint holds all the rows: rebuilt at each epoch, they made a long run quadratic
    (a 1500-epoch run spent 46 s of its 86 s rebuilding them)."""
    from collections import Counter

    from linearnets.training.history import EpochMetrics

    built: Counter[int] = Counter()
    plain = EpochMetrics.as_dict

    def counted(m: EpochMetrics) -> dict[str, Any]:
        built[m.epoch] += 1
        return plain(m)

    monkeypatch.setattr(EpochMetrics, "as_dict", counted)
    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=4, plot="none", out=out))
    # once for the checkpoints and once for metrics.jsonl, whatever the epochs after it
    assert built == {epoch: 2 for epoch in range(1, 5)}
    built.clear()
    resume_softmax(out, epochs=7)
    # the epochs before: once to rewrite metrics.jsonl, once for the checkpoints; the new as above
    assert built == {epoch: 2 for epoch in range(1, 8)}
    stored = torch.load(out / "checkpoint.pt", weights_only=True)["history"]
    assert stored == _rows(out)  # the oracle: metrics.jsonl, written row by row


def test_a_resume_draws_the_epochs_before_it_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One redraw per past epoch made resuming a long run quadratic (29 s for 300 epochs)."""
    import linearnets.tasks.training_run as training_run
    from linearnets.plotting.live import LiveOutput

    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=5, plot="none", out=out))
    drawn: list[list[int]] = []  # per draw, the points on each line

    def publish(self: LiveOutput, fig: Any) -> None:
        drawn.append([len(line.get_xdata()) for line in fig.axes[0].lines])

    monkeypatch.setattr(LiveOutput, "publish", publish)
    monkeypatch.setattr(training_run, "plot_process", lambda config: None)  # drawn here, counted
    resume_softmax(out, epochs=6, plot="file")
    assert drawn == [[5, 5, 5], [6, 6, 6]]  # the 5 epochs before in one draw, then epoch 6


class _Plotter:
    """A plotting process whose pipe a signal interrupts when the resume queues the past curves."""

    def __init__(self, interrupt: KeyboardInterrupt) -> None:
        self.interrupt = interrupt
        self.closed: list[bool] = []

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        if fn.__name__ == "_update_curves":
            raise self.interrupt

    def close(self, *, raise_errors: bool = True) -> None:
        self.closed.append(raise_errors)


@pytest.mark.parametrize(
    ("interrupt", "name"),
    [(KeyboardInterrupt(), "SIGINT"), (KeyboardInterrupt("SIGTERM"), "SIGTERM")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_while_a_resume_redraws_the_past_epochs_names_the_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: KeyboardInterrupt, name: str
) -> None:
    """It said only "interrupted", and left the plotting process drawing into the folder."""
    import linearnets.tasks.training_run as training_run
    from linearnets.training.interrupt import TrainingInterrupted

    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=3, plot="none", out=out))
    plotter = _Plotter(interrupt)
    monkeypatch.setattr(training_run, "plot_process", lambda config: plotter)
    caught: BaseException | None = None
    try:  # not pytest.raises: a plain KeyboardInterrupt escaping it would stop the test session
        resume_softmax(out, epochs=4, plot="file")
    except KeyboardInterrupt as exc:
        caught = exc
    assert isinstance(caught, TrainingInterrupted), repr(caught)
    assert str(caught) == (
        f"interrupted by {name} at the end of epoch 3; the checkpoint of epoch 3 is kept in "
        f"{out}; resume with: linearnets.resume_softmax({str(out)!r})"
    )
    assert plotter.closed == [False]  # closed, its errors left unsaid: the interrupt is the news
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 3


def test_a_second_ctrl_c_while_the_figures_close_keeps_the_first_stops_resume_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Ctrl-Cs 10 ms apart: the second landed in PlotProcess.close, and its plain
    KeyboardInterrupt replaced the first's TrainingInterrupted ("interrupted", no run folder)."""
    from linearnets.plotting.background import PlotProcess
    from linearnets.training.callbacks import Callback
    from linearnets.training.interrupt import TrainingInterrupted

    class StopAfterFirstEpoch(Callback):
        def on_epoch_end(self, **kwargs: Any) -> None:
            raise TrainingInterrupted(signal_name="SIGINT", epoch=1, step=0)

    real_close = PlotProcess.close

    def close_cut_short(self: PlotProcess, **kwargs: Any) -> None:
        real_close(self, **kwargs)
        raise KeyboardInterrupt  # the second Ctrl-C, while the figures close

    monkeypatch.setattr(PlotProcess, "close", close_cut_short)
    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    caught: BaseException | None = None
    try:  # not pytest.raises: a plain KeyboardInterrupt escaping it would stop the test session
        run_softmax(
            SoftmaxConfig(data=tmp_path / "d.npz", epochs=3, plot="file", out=out),
            callbacks=[StopAfterFirstEpoch()],
        )
    except KeyboardInterrupt as exc:
        caught = exc
    assert isinstance(caught, TrainingInterrupted), repr(caught)
    assert caught.run_dir == out
    assert "resume with: linearnets.resume_softmax(" in str(caught)


# what gloo raised in a survivor's all_reduce once the other worker was SIGKILLed (torch 2.13, CPU)
_GLOO_LOST = (
    "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:537] Read error "
    "[127.0.0.1]:12011: Connection reset by peer. This is typically caused by a remote worker "
    "hanging or bugs in the application. Check the logs of the remote worker before reporting an "
    "error. GLHF! 🏖️"
)


class _PeerDies:
    """torch.distributed.all_reduce of a 2-process run whose other process holds the same tensors,
    until that process dies: from then on every collective raises ``error``, as gloo's does."""

    def __init__(self, error: RuntimeError, *, at_epoch: int) -> None:
        self.error, self.at_epoch, self.dead = error, at_epoch, at_epoch <= 1

    def all_reduce(self, tensor: torch.Tensor, op: Any = None) -> None:
        if self.dead:
            raise self.error
        tensor.mul_(2)  # the twin's values, summed in

    def all_gather_object(self, out: list[Any], mine: Any) -> None:
        out[:] = [mine] * len(out)  # before training: the twin read its data as this rank did

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        self.dead = self.dead or epoch >= self.at_epoch


def _two_process_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    peer: _PeerDies,
    *,
    rank: int,
    epochs: int = 2,
) -> None:
    """Train rank ``rank`` of a 2-process run (scratch: no DistributedDataParallel) for ``epochs``."""
    import torch.distributed as dist

    from linearnets.tasks.experiment import prepare
    from linearnets.tasks.training_run import train_experiment
    from linearnets.training.distributed import DistContext

    _blobs(tmp_path / "d.npz")
    monkeypatch.setattr(dist, "all_reduce", peer.all_reduce)
    monkeypatch.setattr(dist, "all_gather_object", peer.all_gather_object)
    config = SoftmaxConfig(data=tmp_path / "d.npz", impl="scratch", epochs=epochs, plot="none")
    exp = prepare(config, dist=DistContext(rank=rank, world_size=2))
    (tmp_path / "run").mkdir()
    # rank 0 alone runs the user's callbacks; on rank 1 the peer dies at once (at_epoch 1)
    train_experiment(exp, tmp_path / "run", callbacks=[peer])


@_BY_TORCHRUN_OR_HAND
def test_a_process_that_dies_leaves_the_survivor_one_line_naming_the_checkpoint_and_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torchrun: bool, again: str
) -> None:
    """It printed gloo's raw error ("unexpected RuntimeError: [.../pair.cc:537] ... GLHF!")."""
    from linearnets.errors import LinearnetsError

    _launched_by(monkeypatch, torchrun=torchrun)
    run = tmp_path / "run"
    with pytest.raises(LinearnetsError) as info:
        _two_process_run(
            tmp_path, monkeypatch, _PeerDies(RuntimeError(_GLOO_LOST), at_epoch=2), rank=0
        )
    assert type(info.value).__name__ == "PeerLostError"
    assert str(info.value) == (
        "another process of the data-parallel run stopped (lost connection: Read error "
        f"[127.0.0.1]:12011: Connection reset by peer); the checkpoint of epoch 1 is kept in {run}; "
        f"resume with: linearnets.resume_softmax({str(run)!r}){again}"
    )
    assert torch.load(run / "checkpoint.pt", weights_only=True)["epoch"] == 1  # what it names
    assert isinstance(info.value.__cause__, RuntimeError)  # gloo's own, for --debug


def test_a_peer_lost_before_any_checkpoint_or_seen_from_rank_1_says_what_it_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NCCL reports a lost peer as torch.distributed's DistBackendError (a DistError)."""
    import torch.distributed as dist

    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job-1")
    run = tmp_path / "run"
    resume = f"linearnets.resume_softmax({str(run)!r}), launched by torchrun as before"
    lost = dist.DistBackendError("NCCL error in: ProcessGroupNCCL.cpp:1: remote process exited\n…")
    said = "another process of the data-parallel run stopped (lost connection: NCCL error in: "
    said += "ProcessGroupNCCL.cpp:1: remote process exited); "
    on_rank_0 = _error_of(tmp_path, monkeypatch, lost, rank=0)
    assert type(on_rank_0).__name__ == "PeerLostError"
    assert str(on_rank_0) == (
        f"{said}no epoch had finished, so no checkpoint was written; start it over with: {resume}"
    )
    # rank 0 writes the checkpoints, and may be the process that died
    on_rank_1 = _error_of(tmp_path, monkeypatch, lost, rank=1)
    assert str(on_rank_1) == f"{said}rank 0 keeps the checkpoints in {run}; resume with: {resume}"


@pytest.mark.parametrize(
    ("torchrun", "world_size", "again"),
    [
        (True, 2, ", launched by torchrun as before"),
        (False, 2, " in 2 processes, started as before"),
        (True, 1, ""),
    ],
    ids=["torchrun", "by hand", "torchrun, one process"],
)
@pytest.mark.parametrize("file", ["metrics.jsonl", "checkpoint.pt"])
def test_a_file_rank_0_cannot_write_mid_run_gives_the_resume_launched_as_before(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    full_disk: Any,
    file: str,
    torchrun: bool,
    world_size: int,
    again: str,
) -> None:
    """Rank 0's disk full mid-run, for metrics.jsonl (a RunFileError) or checkpoint.pt (a
    CheckpointError). Under torchrun metrics.jsonl's message ended "continue it with --resume RUN",
    where a lost peer's or a Ctrl-C's says to launch it by torchrun as before; processes started by
    hand said no more either, where the other stops say "in 2 processes, started as before";
    checkpoint.pt's ended "fix that and continue with linearnets.resume_softmax()", the command's
    line "... with --resume": no folder. A data-parallel run says how its processes start again, a
    single process nothing; the error names the run folder for --json too."""
    from linearnets.errors import CheckpointError, RunFileError

    _launched_by(monkeypatch, torchrun=torchrun)
    if file == "metrics.jsonl":
        full_disk.metrics_at_epoch_2()
        error: type[Exception] = RunFileError
        kept = "the checkpoint of the run's last finished epoch is kept: fix that and continue it"
        resumed_epoch = 2
    else:
        full_disk.checkpoint_at_epoch(2)
        error, kept, resumed_epoch = (
            CheckpointError,
            "the previous checkpoint is kept; fix that and continue it",
            1,
        )
    run = tmp_path / "run"
    with pytest.raises(error) as info:
        if world_size == 2:  # rank 0, its twin alive throughout
            _two_process_run(tmp_path, monkeypatch, _PeerDies(RuntimeError(), at_epoch=99), rank=0)
        else:
            _blobs(tmp_path / "d.npz")
            run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=2, plot="none", out=run))
    assert str(info.value).startswith(f"{run / file} could not be written: the disk is full (")
    assert str(info.value).endswith(f"; {kept} with linearnets.resume_softmax({str(run)!r}){again}")
    assert one_line(info.value, command="linearnets softmax").endswith(
        f"; {kept} with linearnets softmax --resume {shlex.quote(str(run))}{again}"
    )
    assert getattr(info.value, "run_dir", None) == run
    saved = torch.load(run / "checkpoint.pt", weights_only=True)
    assert saved["epoch"] == resumed_epoch  # what it resumes


class _StdoutFull(_PeerDies):
    """A twin alive throughout, and rank 0's console line of epoch 2 on a full disk."""

    def on_epoch_end(self, *, metrics: Any) -> None:
        import errno

        if metrics.epoch == 2:  # after its checkpoint, as the console logger's print fails
            raise OSError(errno.ENOSPC, "No space left on device")


@_BY_TORCHRUN_OR_HAND
def test_rank_0s_stdout_on_a_full_disk_gives_the_resume_launched_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torchrun: bool, again: str
) -> None:
    """A data-parallel run whose rank 0 printed to a full disk (`> file` there) said "continue it
    with: linearnets softmax --resume RUN", where its other stops say how to start them again."""
    _launched_by(monkeypatch, torchrun=torchrun)
    run = tmp_path / "run"
    with pytest.raises(OSError) as info:
        _two_process_run(tmp_path, monkeypatch, _StdoutFull(RuntimeError(), at_epoch=99), rank=0)
    assert getattr(info.value, "launched_again", None) == again
    assert one_line(info.value, command="linearnets softmax").endswith(
        f"; the checkpoint of epoch 2 is kept in {run}; continue it with: linearnets softmax "
        f"--resume {shlex.quote(str(run))}{again}"
    )
    assert torch.load(run / "checkpoint.pt", weights_only=True)["epoch"] == 2  # what it names


def _error_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: RuntimeError, *, rank: int
) -> BaseException:
    """Return what rank ``rank`` raises when its peer is dead from the first collective on."""
    import shutil

    shutil.rmtree(tmp_path / "run", ignore_errors=True)
    with pytest.raises(Exception) as info:
        _two_process_run(tmp_path, monkeypatch, _PeerDies(error, at_epoch=1), rank=rank)
    return info.value


class _TwinBlowsUp(_PeerDies):
    """A twin alive throughout whose weights blow up in epoch ``at_epoch``: from then on its
    gradient of W (4 × 3, the one 2-D tensor summed) is NaN, so this rank's weights and loss are too,
    and the guard stops the run in that epoch. The epochs are counted as ``fit`` trains them, on
    rank 1 too (which runs no user callbacks)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, at_epoch: int) -> None:
        from linearnets.training import loop

        super().__init__(RuntimeError("no peer is lost"), at_epoch=99)
        self.epoch, self.blown_at = 0, at_epoch
        train_epoch = loop.train_epoch

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.epoch += 1
            return train_epoch(*args, **kwargs)

        monkeypatch.setattr(loop, "train_epoch", counted)

    def all_reduce(self, tensor: torch.Tensor, op: Any = None) -> None:
        super().all_reduce(tensor, op)
        if self.epoch >= self.blown_at and tensor.ndim == 2:
            tensor.fill_(float("nan"))


@pytest.mark.parametrize("at_epoch", [2, 3])
def test_a_divergence_seen_from_rank_1_names_the_checkpoint_rank_0_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_epoch: int
) -> None:
    """Rank 1 said "no epoch had finished, so no checkpoint was written; start it over with a
    smaller lr" (only rank 0 writes checkpoints), where rank 0 named the checkpoint of epoch 1 or 2
    and how to continue it: processes a user starts (mp.spawn of run_softmax) each print their own.
    Every rank now gives rank 0's advice."""
    from linearnets.errors import DivergenceError

    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    run, said = tmp_path / "run", []
    for rank in (0, 1):
        shutil.rmtree(run, ignore_errors=True)
        twin = _TwinBlowsUp(monkeypatch, at_epoch=at_epoch)
        with pytest.raises(DivergenceError) as info:
            _two_process_run(tmp_path, monkeypatch, twin, rank=rank, epochs=3)
        said.append(str(info.value))
        if rank == 0:  # the oracle: the checkpoint it wrote
            assert torch.load(run / "checkpoint.pt", weights_only=True)["epoch"] == at_epoch - 1
        else:
            assert not (run / "checkpoint.pt").exists()
    continued = (
        f"; the checkpoint of epoch {at_epoch - 1} is kept in {run} (continue it with a smaller "
        f"lr: linearnets.resume_softmax({str(run)!r}, lr="
    )
    assert continued in said[0]
    assert "force=True) in 2 processes, started as before)" in said[0]
    assert said[1] == said[0]


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(
            "mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)"
        ),  # a bug: not a peer
        RuntimeError("[enforce fail at /x/gloo/gloo/allreduce.cc:1] buffer sizes differ"),
    ],
)
def test_other_runtime_errors_pass_through_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: RuntimeError
) -> None:
    with pytest.raises(RuntimeError) as info:
        _two_process_run(tmp_path, monkeypatch, _PeerDies(error, at_epoch=2), rank=0)
    assert info.value is error


class _RemoveFolder(Callback):
    """Removes the run folder at the end of epoch 1, as a user cleaning up runs/ might."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def on_epoch_end(self, *, metrics: Any) -> None:
        if metrics.epoch == 1:
            remove_run_folder(self.run_dir)


def test_a_run_folder_removed_while_it_trains_is_named_gone_and_not_made_again(
    tmp_path: Path,
) -> None:
    """The error advised a resume, which the folder, made again by the plotting process holding
    curves.png and curves.svg alone, refused; so did a new run with the same --out."""
    out = tmp_path / "run"
    config = SoftmaxConfig(epochs=3, num_threads=1, plot="file", device="cpu", out=out)
    with pytest.raises(LinearnetsError) as info:
        run_softmax(config, callbacks=[_RemoveFolder(out)])
    assert str(info.value) == (
        f"{out / 'checkpoint.pt'} could not be written: the run folder {out} is gone (removed or "
        "moved while the run trained), and its checkpoints with it; start the run again (a folder "
        "moved elsewhere holds the checkpoints up to then: resume it there)"
    )
    assert not hasattr(info.value, "run_dir")  # --json names no folder that is gone
    assert not out.exists()
    assert run_softmax(replace(config, epochs=1, plot="none")).history.epochs[-1].epoch == 1


class _FolderForCurves(Callback):
    """Makes a folder curves.png in the run folder as epoch 1 starts (before the plotting process
    writes the file there), as a user might while the run trains."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        if epoch == 1:
            (self.run_dir / "curves.png").mkdir()


def test_a_folder_made_where_the_curves_go_is_named_with_its_fix_then_the_resume(
    tmp_path: Path,
) -> None:
    """It said "out_dir must be a figure file, got 'RUN/curves.png', which is a folder; pass a file
    name in it, e.g. RUN/curves.png/figure.png ... draw them with: linearnets softmax --resume
    RUN": a setting the command line has not, a fix no user can make, and a resume refused until
    the folder is moved. Moved, the resume draws the figures."""
    from linearnets.errors import PlotError

    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    config = SoftmaxConfig(data=tmp_path / "d.npz", epochs=2, plot="file", out=out)
    with pytest.raises(PlotError) as info:
        run_softmax(config, callbacks=[_FolderForCurves(out)])
    assert one_line(info.value, command="linearnets softmax") == (
        "the figures were not all drawn: the run folder holds a folder "
        f"{out / 'curves.png'} where the run writes a file; the other files of the run are saved; "
        "move that folder out of the run folder, then draw them with: linearnets softmax "
        f"--resume {shlex.quote(str(out))}"
    )
    (out / "curves.png").rmdir()
    result = resume_softmax(out)
    assert [m.epoch for m in result.history.epochs] == [1, 2]  # nothing trained again
    assert (out / "curves.png").stat().st_size > 1000 and (out / "curves.svg").is_file()


def test_a_figure_failure_with_no_folder_in_the_way_keeps_the_drawings_own_message(
    tmp_path: Path,
) -> None:
    """Only a folder where the run writes a file changes the message: another failure is told as
    the plotting process told it, with the resume after it."""
    from linearnets.errors import PlotError
    from linearnets.tasks.training_run import _finish

    def failed() -> None:
        raise PlotError("the figures were not all drawn: drawing the curves failed with OSError")

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "curves.pdf").mkdir()  # the user's name, not a run's file: no obstacle
    plotter: Any = SimpleNamespace(close=failed)
    result: Any = SimpleNamespace(summary=lambda: {"epochs": 1})
    exp: Any = SimpleNamespace(dist=SimpleNamespace(enabled=False, is_main=True, world_size=1))
    with pytest.raises(PlotError) as info:
        _finish(exp, tmp_path / "run", result, plotter)
    assert str(info.value) == (
        "the figures were not all drawn: drawing the curves failed with OSError; draw them with: "
        f"linearnets.resume_softmax({str(tmp_path / 'run')!r})"
    )


def test_a_figure_that_needs_a_dependency_fixed_gives_the_resume_once_that_is_fixed(
    tmp_path: Path,
) -> None:
    """A stray PIL.py shadowing pillow's: the bare "draw them with: ... --resume" failed the same
    way; the resume is said to draw them once the fix named before it is made."""
    from linearnets.errors import PlotError
    from linearnets.tasks.training_run import _finish

    def failed() -> None:
        error = PlotError("the figures were not all drawn: ...; rename or remove it")
        error.fix_first = True
        raise error

    (tmp_path / "run").mkdir()
    plotter: Any = SimpleNamespace(close=failed)
    result: Any = SimpleNamespace(summary=lambda: {"epochs": 1})
    exp: Any = SimpleNamespace(dist=SimpleNamespace(enabled=False, is_main=True, world_size=1))
    with pytest.raises(PlotError) as info:
        _finish(exp, tmp_path / "run", result, plotter)
    assert one_line(info.value, command="linearnets softmax") == (
        "the figures were not all drawn: ...; rename or remove it; once that is fixed, draw them "
        f"with: linearnets softmax --resume {shlex.quote(str(tmp_path / 'run'))}"
    )


@pytest.mark.parametrize(("test_set", "plot"), [(False, "file"), (True, "none")])
def test_the_reports_are_written_with_a_test_set_and_figures_only_when_plotted(
    tmp_path: Path, test_set: bool, plot: str
) -> None:
    """Without a test set there is nothing to score: no per-class accuracy, no per_class.txt nor
    confusion matrix (a run without one still ends, and says per_class_acc {}); with plot='none'
    the table and counts are written but no figure is drawn."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    y = np.arange(30) % 3
    tests = {"X_test": X[:12], "y_test": y[:12]} if test_set else {}
    np.savez(tmp_path / "d.npz", X=X, y=y, **tests)
    out = tmp_path / "run"
    result = run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot=plot, out=out))
    saved = json.loads((out / "results.json").read_text())
    if test_set:
        # the oracle: the counts' diagonal over their row sums, per class
        counts = torch.load(out / "confusion.pt").to_dense().double()
        expected = (counts.diag() / counts.sum(1)).tolist()
        assert result.per_class_acc == pytest.approx(expected)
        assert saved["per_class_acc"] == dict(
            zip(["0", "1", "2"], result.per_class_acc, strict=True)
        )
        assert (out / "per_class.txt").is_file()
    else:
        assert result.per_class_acc == [] and saved["per_class_acc"] == {}
        assert not (out / "per_class.txt").exists() and not (out / "confusion.pt").exists()
    assert not (out / "confusion.png").exists()  # no test set, or no figure asked for
    assert (out / "curves.png").is_file() == (plot == "file")


def test_a_figure_a_full_disk_cannot_take_is_named_with_the_advice_then_the_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "... failed with OSError: [Errno 28] No space left on device: 'RUN/confusion.png'
    -> None; ...": the Python error as printed, a stray "-> None", and no word of what to do. The
    figure is named as the command line names one it writes itself, with the same advice, then
    the resume that draws it (here, once there is space again)."""
    import errno

    from matplotlib.figure import Figure

    from linearnets.errors import PlotError

    savefig = Figure.savefig

    def full(self: Figure, fname: Any, **kwargs: Any) -> None:
        if "confusion" not in fname.name:  # the temporary file beside the figure
            return savefig(self, fname, **kwargs)
        fname.write(b"\x89PNG")  # part of it written
        raise OSError(errno.ENOSPC, "No space left on device")

    _blobs(tmp_path / "d.npz")
    out = tmp_path / "my run"
    config = SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="file", out=out)
    with monkeypatch.context() as patch:
        patch.setattr(Figure, "savefig", full)  # the plotting process is forked: it has it
        with pytest.raises(PlotError) as info:
            run_softmax(config)
    assert one_line(info.value, command="linearnets softmax") == (
        "the figures were not all drawn: drawing the confusion matrix failed: "
        f"{out / 'confusion.png'} could not be written: No space left on device "
        "(OSError): a device is full (the disk, or where the output goes); free some space; the "
        "other files of the run are saved; draw them with: linearnets softmax --resume "
        f"{shlex.quote(str(out))}"
    )
    assert not (out / "confusion.png").exists() and (out / "curves.png").is_file()
    resume_softmax(out)
    assert (out / "confusion.png").stat().st_size > 1000


class StopNow(Callback):
    """The user's "stop training now": a plain KeyboardInterrupt from ``hook`` in ``epoch``."""

    def __init__(self, hook: str, epoch: int) -> None:
        self.hook, self.at, self.epoch = hook, epoch, 0

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        if self.hook == "on_fit_start":
            raise KeyboardInterrupt

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        self.epoch = epoch
        if self.hook == "on_epoch_start" and epoch == self.at:
            raise KeyboardInterrupt

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        if self.hook == "on_batch_end" and self.epoch == self.at and step == 1:
            raise KeyboardInterrupt

    def on_epoch_end(self, *, metrics: Any) -> None:
        if self.hook == "on_epoch_end" and metrics.epoch == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("hook", "epoch", "kept", "where"),
    [
        ("on_epoch_end", 2, 2, "at the end of epoch 2"),
        ("on_batch_end", 2, 1, "after batch 2 of epoch 2"),  # raised at its step=1 (from 0)
        ("on_epoch_end", 1, 1, "at the end of epoch 1"),
        ("on_epoch_start", 2, 1, "at the end of epoch 1"),
    ],
)
def test_a_callbacks_own_keyboard_interrupt_once_an_epoch_is_kept_stops_as_a_signal_does(
    tmp_path: Path, hook: str, epoch: int, kept: int, where: str
) -> None:
    """A bare KeyboardInterrupt carrying fit's advice ("call fit again with start_epoch=2"), and
    the folder's config.json removed: the run could not be resumed, nor run again. Then it was
    told as "interrupted by SIGINT at the end of epoch 1", raised at epoch 2's second step: no
    signal came, and the run was in epoch 2."""
    from linearnets.training.interrupt import TrainingInterrupted

    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    config = SoftmaxConfig(data=tmp_path / "d.npz", batch_size=16, epochs=3, plot="none", out=out)
    with pytest.raises(KeyboardInterrupt) as caught:  # a bare one must fail here, not stop pytest
        run_softmax(config, callbacks=[StopNow(hook, epoch)])
    assert isinstance(caught.value, TrainingInterrupted)
    assert str(caught.value) == (
        f"stopped by a KeyboardInterrupt raised in the run (by a callback) {where}; the checkpoint "
        f"of epoch {kept} is kept in {out}; resume with: linearnets.resume_softmax({str(out)!r})"
    )
    assert not getattr(caught.value, "__notes__", None)
    assert (out / "config.json").is_file()
    assert [row["epoch"] for row in _rows(out)] == list(range(1, kept + 1))
    assert len(resume_softmax(out).history.epochs) == 3


@pytest.mark.parametrize("hook", ["on_fit_start", "on_batch_end"])
def test_a_callbacks_own_keyboard_interrupt_before_the_first_checkpoint_leaves_the_folder_as_found(
    tmp_path: Path, hook: str
) -> None:
    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    config = SoftmaxConfig(data=tmp_path / "d.npz", batch_size=16, epochs=3, plot="none", out=out)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_softmax(config, callbacks=[StopNow(hook, 1)])
    assert type(caught.value) is KeyboardInterrupt
    # the run's word, not fit's note ("call fit again with start_epoch=0 and history=..."): the
    # caller of run_softmax never called fit
    said = (
        "the run was stopped by a KeyboardInterrupt raised in it (by a callback) before its first "
        "checkpoint was kept, so no epoch of it is kept to resume from; the same call starts it "
        "over"
    )
    assert caught.value.__notes__ == [said]
    assert caught.value._render_traceback_() == [f"KeyboardInterrupt: {said}"]  # type: ignore[attr-defined]
    assert not out.exists()
    assert len(run_softmax(config).history.epochs) == 3


class _StopForTime(Callback):
    """A callback's stop with a reason of its own, at the first step of epoch 1."""

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        raise KeyboardInterrupt("time budget of 5 s reached")


def test_a_callbacks_own_reason_leads_the_ipython_line_before_the_first_checkpoint(
    tmp_path: Path,
) -> None:
    """IPython showed only the run's note: the callback's own reason was lost. It leads it now."""
    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    config = SoftmaxConfig(data=tmp_path / "d.npz", batch_size=16, epochs=3, plot="none", out=out)
    with pytest.raises(KeyboardInterrupt) as caught:
        run_softmax(config, callbacks=[_StopForTime()])
    said = (
        "the run was stopped by a KeyboardInterrupt raised in it (by a callback) before its first "
        "checkpoint was kept, so no epoch of it is kept to resume from; the same call starts it "
        "over"
    )
    assert str(caught.value) == "time budget of 5 s reached"  # as raised
    assert caught.value.__notes__ == [said]
    assert caught.value._render_traceback_() == [  # type: ignore[attr-defined]
        f"KeyboardInterrupt: time budget of 5 s reached; {said}"
    ]


class _MyStop(KeyboardInterrupt):
    """A callback's own stop, of a class of its own."""


class _RaisesMyStop:
    """Raises :class:`_MyStop` at the second step of epoch ``at``."""

    def __init__(self, at: int) -> None:
        self.at, self.epoch = at, 0

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        self.epoch = epoch

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        if self.epoch == self.at and step == 1:
            raise _MyStop("mine")


@pytest.mark.parametrize("task", ["softmax", "linreg"])
def test_a_callbacks_own_keyboard_interrupt_subclass_stops_a_run_as_a_plain_one_does(
    tmp_path: Path, task: str
) -> None:
    """A subclass of KeyboardInterrupt was not told as the callback's stop: in epoch 1 it left the
    folder holding config.json (the same call then refused, "already holds a run"), and linreg's
    said "interrupted by SIGINT at the start", though no signal came."""
    import linearnets as ln
    from linearnets.training.interrupt import TrainingInterrupted

    def run(out: Path, at: int) -> Any:
        if task == "linreg":
            config = ln.LinregConfig(epochs=2, out=out)
            return ln.run_linreg(config, callbacks=[_RaisesMyStop(at)])
        _blobs(tmp_path / "d.npz")
        config = SoftmaxConfig(
            data=tmp_path / "d.npz", batch_size=16, epochs=2, plot="none", out=out
        )
        return run_softmax(config, callbacks=[_RaisesMyStop(at)])

    out = tmp_path / "first"
    with pytest.raises(_MyStop) as caught:
        run(out, 1)
    said = (
        "the run was stopped by a KeyboardInterrupt raised in it (by a callback) before its first "
        "checkpoint was kept, so no epoch of it is kept to resume from; the same call starts it "
        "over"
    )
    assert caught.value.__notes__ == [said]  # the run's word, not fit's note
    assert not out.exists()
    out = tmp_path / "second"
    with pytest.raises(TrainingInterrupted) as stopped:
        run(out, 2)
    resume = f"linearnets.resume_{task}({str(out)!r})"
    assert str(stopped.value) == (
        "stopped by a KeyboardInterrupt raised in the run (by a callback) after batch 2 of epoch "
        f"2; the checkpoint of epoch 1 is kept in {out}; resume with: {resume}"
    )


@pytest.mark.parametrize(("hook", "kept"), [("on_fit_start", 1), ("on_epoch_end", 2)])
def test_a_callbacks_own_keyboard_interrupt_in_a_resume_names_the_resume(
    tmp_path: Path, hook: str, kept: int
) -> None:
    """The resume ended with a bare KeyboardInterrupt, its message empty."""
    from linearnets.training.interrupt import TrainingInterrupted

    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=out))
    with pytest.raises(KeyboardInterrupt) as caught:  # a bare one must fail here, not stop pytest
        resume_softmax(out, epochs=3, callbacks=[StopNow(hook, 2)])
    assert isinstance(caught.value, TrainingInterrupted)
    assert str(caught.value) == (
        f"stopped by a KeyboardInterrupt raised in the run (by a callback) at the end of epoch "
        f"{kept}; the checkpoint of epoch {kept} is kept in {out}; resume with: "
        f"linearnets.resume_softmax({str(out)!r})"
    )
    assert (out / "config.json").is_file()
    assert len(resume_softmax(out).history.epochs) == 3


class _InTheWay(Callback):
    """After epoch 1, a folder where ``path`` is: the next append to it fails (as a full disk)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_epoch_end(self, *, metrics: Any) -> None:
        if metrics.epoch == 1:
            self.path.unlink()
            self.path.mkdir()


def test_a_metrics_writer_of_yours_elsewhere_advises_the_runs_resume(tmp_path: Path) -> None:
    """A MetricsWriter of yours writing in another folder stops the run as its own writers do,
    and advised from its own folder: "the run has no checkpoint to continue from: fix that and
    run it again", the run holding epoch 2's (a run again refused: "already holds a run"). It now
    names the run's resume, which, followed, ends as the run would have."""
    _blobs(tmp_path / "d.npz")
    mine, out = tmp_path / "mine", tmp_path / "run"
    mine.mkdir()
    config = SoftmaxConfig(data=tmp_path / "d.npz", batch_size=16, epochs=3, plot="none", out=out)
    with pytest.raises(RunFileError) as caught:
        run_softmax(config, callbacks=[MetricsWriter(mine), _InTheWay(mine / "metrics.jsonl")])
    assert str(caught.value) == (
        f"{mine / 'metrics.jsonl'} could not be written: [Errno 21] Is a directory: "
        f"'{mine / 'metrics.jsonl'}'; the checkpoint of the run's last finished epoch is kept in "
        f"{out}: fix that and continue it with linearnets.resume_softmax({str(out)!r})"
    )
    assert caught.value.run_dir == out  # type: ignore[attr-defined]
    (mine / "metrics.jsonl").rmdir()
    resumed = resume_softmax(out, callbacks=[MetricsWriter(mine)])
    whole = run_softmax(replace(config, out=tmp_path / "whole"))
    assert resumed.history.train_loss == whole.history.train_loss
    assert [row["epoch"] for row in _rows(mine)] == [3]  # the file was removed: the resumed epoch


class _MyWriter(MetricsWriter):
    """A MetricsWriter of yours by class too: its error is marked as a callback's own."""


@pytest.mark.parametrize("writer", [MetricsWriter, _MyWriter], ids=["library's", "subclass"])
def test_a_metrics_writer_of_yours_elsewhere_unwritten_at_the_start_leaves_the_folder_as_found(
    tmp_path: Path, writer: type[MetricsWriter]
) -> None:
    """Before the first checkpoint, a writer of yours outside the run folder is a callback of
    yours, whatever its class: the new run's folder is left as it was found and the same call,
    fixed, runs. A subclass's advised the run's resume of a folder gone; the library's class kept
    the folder and advised, from its own folder, "run it again", which "already holds a run"."""
    _blobs(tmp_path / "d.npz")
    mine, out = tmp_path / "mine", tmp_path / "run"
    (mine / ".metrics.jsonl.tmp").mkdir(parents=True)
    config = SoftmaxConfig(data=tmp_path / "d.npz", batch_size=16, epochs=2, plot="none", out=out)
    with pytest.raises(RunFileError) as caught:
        run_softmax(config, callbacks=[writer(mine)])
    assert str(caught.value) == (
        f"{mine / 'metrics.jsonl'} could not be written: [Errno 21] Is a directory: "
        f"'{mine / '.metrics.jsonl.tmp'}'; the run in {out} has no checkpoint yet: fix that and "
        "run it again"
    )
    assert not out.exists()
    (mine / ".metrics.jsonl.tmp").rmdir()
    assert len(run_softmax(config, callbacks=[writer(mine)]).history.epochs) == 2


class _OwnNames(MetricsWriter):
    """A writer of yours, by class, of files of its own names in the folder it is given."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(run_dir)
        self.jsonl, self.csv = run_dir / "mine.jsonl", run_dir / "mine.csv"


class _Best(Callback):
    """A checkpoint of yours under another name in the run folder, saved as the fit starts."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "best.pt"

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        from linearnets.training.checkpoint import save_checkpoint

        save_checkpoint(self.path, model_state={}, optimizer_state={}, epoch=0,
                        generators_state={}, history=[], config={})  # fmt: skip


@pytest.mark.parametrize(
    ("writer", "blocked", "said"),
    [(_OwnNames, ".mine.jsonl.tmp", ""), (_Best, "best.pt", "; no earlier best.pt exists")],
    ids=["metrics-writer-subclass", "checkpoint-of-another-name"],
)
def test_a_file_of_yours_in_the_run_folder_unwritten_at_the_start_is_the_runs(
    tmp_path: Path, writer: Any, blocked: str, said: str
) -> None:
    """A MetricsWriter subclass's error was a callback's own (its class not the library's): the
    new folder was emptied, though the message advised the resume that starts the run over there,
    then refused ("holding config.json, got ... without one"); and a checkpoint of yours under
    another name advised "run it again", then refused as "already holds a run". A file of the run
    folder is now the run's: the folder stays, and the advice, followed, trains the run."""
    from linearnets.errors import CheckpointError

    _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    (out / blocked).mkdir(parents=True)
    config = SoftmaxConfig(data=tmp_path / "d.npz", batch_size=16, epochs=2, plot="none", out=out)
    with pytest.raises((RunFileError, CheckpointError)) as caught:
        run_softmax(config, callbacks=[writer(out)])
    assert str(caught.value).endswith(
        f"{said}; the run has no checkpoint yet: fix that and start it over with "
        f"linearnets.resume_softmax({str(out)!r})"
    ), str(caught.value)
    assert (out / "config.json").is_file()
    (out / blocked).rmdir()
    assert len(resume_softmax(out, callbacks=[writer(out)]).history.epochs) == 2


class _RunsAnother(Callback):
    """A run of its own started as the fit starts, in ``out``."""

    def __init__(self, config: SoftmaxConfig) -> None:
        self.config = config

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        run_softmax(self.config)


def test_a_run_inside_a_callback_of_another_is_that_callbacks_error_to_the_outer_run(
    tmp_path: Path,
) -> None:
    """The inner run's file unwritten is its own run's file, not the outer run's: the outer run,
    refused before its first checkpoint by its callback, leaves its folder as it was found, so
    the same call runs (it kept the folder, and refused the call: "already holds a run")."""
    _blobs(tmp_path / "d.npz")
    outer, inner = tmp_path / "outer", tmp_path / "inner"
    (inner / ".metrics.jsonl.tmp").mkdir(parents=True)
    config = SoftmaxConfig(data=tmp_path / "d.npz", batch_size=16, epochs=1, plot="none", out=outer)
    callbacks = [_RunsAnother(replace(config, out=inner))]
    with pytest.raises(RunFileError) as caught:
        run_softmax(config, callbacks=callbacks)
    assert str(caught.value).endswith(
        "; the run has no checkpoint yet: fix that and start it over with "
        f"linearnets.resume_softmax({str(inner)!r})"
    ), str(caught.value)
    assert not outer.exists()
    assert (inner / "config.json").is_file()  # the inner run's folder, as its advice has it
    shutil.rmtree(inner)  # the inner run given up: the outer call, fixed, runs
    assert len(run_softmax(config, callbacks=callbacks).history.epochs) == 1
