"""Training side effects as callbacks: the book's epoch line, console output and metrics files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import struct
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import linearnets
from linearnets._bars import bar_size
from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.concise import softmax_concise
from linearnets.models.scratch import SGD, LinearRegressionScratch, squared_loss
from linearnets.plotting import Animator, LiveCurves
from linearnets.training.callbacks import (
    Callback,
    ConsoleLogger,
    CurvesCallback,
    MetricsWriter,
    fixed,
    format_epoch,
)
from linearnets.training.loop import EpochMetrics, History, fit


def _regression(gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    X, y = torch.randn(12, 2, generator=gen), torch.randn(12, 1, generator=gen)
    return [(X[i : i + 4], y[i : i + 4]) for i in range(0, 12, 4)]


def _classification(gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    X, y = torch.randn(12, 3, generator=gen), torch.randint(0, 2, (12,), generator=gen)
    return [(X[i : i + 5], y[i : i + 5]) for i in range(0, 12, 5)]


def _fit_linreg(gen: torch.Generator, num_epochs: int, **kwargs: Any) -> History:
    net = LinearRegressionScratch(2, generator=gen)
    return fit(
        net, _regression(gen), squared_loss, SGD(net.parameters(), lr=0.1), num_epochs, **kwargs
    )


def _fit_softmax(gen: torch.Generator, num_epochs: int, **kwargs: Any) -> History:
    net = softmax_concise(3, 2, generator=gen)
    batches = _classification(gen)
    loss = nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    return fit(net, batches, loss, updater, num_epochs, test_iter=batches, **kwargs)


# --- format_epoch --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metrics,line",
    [
        (EpochMetrics(1, 0.000235, None, None, None, 0.1), "epoch 1, loss 0.000235"),
        # the test set's loss was computed: it is regression's figure for the test set
        (
            EpochMetrics(3, 2.5e-5, None, 3.0e-5, None, 0.1),
            "epoch 3, loss 0.000025, test loss 0.000030",
        ),
        (
            EpochMetrics(2, 0.78512, 0.7491, 0.51, 0.70149, 1.234),
            "epoch 2, loss 0.7851, train acc 0.749, test acc 0.701, 1.23 s",
        ),
        (
            EpochMetrics(10, 0.44449, 0.8466, None, None, 12.0),
            "epoch 10, loss 0.4445, train acc 0.847, 12.00 s",
        ),
        (
            EpochMetrics(4, 0.44449, 0.8466, 0.51234, None, 2.0),
            "epoch 4, loss 0.4445, train acc 0.847, test loss 0.5123, 2.00 s",
        ),
    ],
    ids=[
        "regression",
        "regression-with-test",
        "classification",
        "classification-no-test",
        "classification-test-loss-only",
    ],
)
def test_format_epoch(metrics: EpochMetrics, line: str) -> None:
    assert format_epoch(metrics) == line


# --- ConsoleLogger -------------------------------------------------------------------------------


def test_console_logger_shows_a_regression_test_loss(gen: torch.Generator) -> None:
    """fit computes the test loss of a regression each epoch: the line is where a learner sees it."""
    stream = io.StringIO()
    batches = _regression(gen)
    history = _fit_linreg(
        gen, 2, test_iter=batches, callbacks=[ConsoleLogger(stream=stream, progress=False)]
    )
    assert all(m.test_loss is not None for m in history.epochs)
    assert stream.getvalue().splitlines() == [
        f"epoch {m.epoch}, loss {m.train_loss:.6f}, test loss {m.test_loss:.6f}"
        for m in history.epochs
    ]


def test_console_logger_writes_one_line_per_epoch(gen: torch.Generator) -> None:
    stream = io.StringIO()
    history = _fit_softmax(gen, 3, callbacks=[ConsoleLogger(stream=stream, progress=False)])
    assert stream.getvalue().splitlines() == [format_epoch(m) for m in history.epochs]


def test_console_logger_defaults_to_stdout(
    gen: torch.Generator, capsys: pytest.CaptureFixture[str]
) -> None:
    history = _fit_linreg(gen, 2, callbacks=[ConsoleLogger(progress=False)])
    out, err = capsys.readouterr()
    assert out.splitlines() == [format_epoch(m) for m in history.epochs]
    assert err == ""


class BarSpy(Callback):
    """Reads the logger's progress bar after each batch (tqdm throttles what it draws, not its count)."""

    def __init__(self, logger: ConsoleLogger) -> None:
        self.logger = logger
        self.ticks: list[tuple[int, int]] = []

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        bar = self.logger._bar
        self.ticks.append((bar.n, bar.total))


def test_console_logger_progress_bar_goes_to_stderr(
    gen: torch.Generator, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = ConsoleLogger(progress=True)
    spy = BarSpy(logger)
    history = _fit_softmax(gen, 2, callbacks=[logger, spy])
    out, err = capsys.readouterr()
    assert out.splitlines() == [format_epoch(m) for m in history.epochs]  # the bar stays off stdout
    assert "epoch 1" in err and "epoch 2" in err
    assert spy.ticks == [(1, 3), (2, 3), (3, 3)] * 2  # one tick per batch: 12 examples by 5
    assert logger._bar is None  # closed at the end of each epoch


def test_console_logger_progress_bar_without_a_batch_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger = ConsoleLogger(progress=True, stream=io.StringIO())
    logger.on_epoch_start(epoch=1, num_batches=None)
    for step in range(4):
        logger.on_batch_end(step, torch.zeros(2))
    logger.on_epoch_end(metrics=EpochMetrics(1, 0.5, None, None, None, 0.0))
    assert "epoch 1" in capsys.readouterr().err


@pytest.mark.parametrize(("delay", "drawn"), [(0.0, True), (30.0, False)])
def test_console_logger_delay_draws_no_bar_for_an_epoch_shorter_than_it(
    gen: torch.Generator, capsys: pytest.CaptureFixture[str], delay: float, drawn: bool
) -> None:
    """linreg's epochs of 1,000 examples take milliseconds: its bar waits a second (tqdm's delay)
    and is never drawn for them, while a delay of 0 draws one at once, as before."""
    logger = ConsoleLogger(progress=True, delay=delay)
    spy = BarSpy(logger)
    _fit_softmax(gen, 1, callbacks=[logger, spy])
    err = capsys.readouterr().err
    assert ("epoch 1:" in err) is drawn  # tqdm's "epoch 1: 100%|…" frames
    assert spy.ticks == [(1, 3), (2, 3), (3, 3)]  # counted all the same


@pytest.mark.parametrize("delay", [-1.0, float("nan"), "1"])
def test_console_logger_refuses_a_bad_delay(delay: Any) -> None:
    with pytest.raises(UsageError, match=r"^delay must be .*got .*; pass e.g. delay=1\.0$"):
        ConsoleLogger(delay=delay)


# --- MetricsWriter -------------------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]


def _csv(path: Path) -> list[dict[str, str]]:
    with (path / "metrics.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _as_csv_row(metrics: EpochMetrics) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in metrics.as_dict().items()}


def test_metrics_writer_rows_equal_the_metrics(gen: torch.Generator, tmp_path: Path) -> None:
    history = _fit_softmax(gen, 3, callbacks=[MetricsWriter(tmp_path)])
    assert _jsonl(tmp_path) == [m.as_dict() for m in history.epochs]
    rows = _csv(tmp_path)
    assert rows == [_as_csv_row(m) for m in history.epochs]
    assert list(rows[0]) == list(MetricsWriter.FIELDS)
    assert [float(r["train_loss"]) for r in rows] == history.train_loss  # no rounding on the way


def test_metrics_writer_leaves_regression_accuracies_empty(
    gen: torch.Generator, tmp_path: Path
) -> None:
    history = _fit_linreg(gen, 2, callbacks=[MetricsWriter(tmp_path)])
    assert [r["train_acc"] for r in _jsonl(tmp_path)] == [None, None]
    assert [r["train_acc"] for r in _csv(tmp_path)] == ["", ""]
    assert [float(r["train_loss"]) for r in _csv(tmp_path)] == history.train_loss


def test_metrics_writer_truncates_to_start_epoch_on_resume(
    gen: torch.Generator, tmp_path: Path
) -> None:
    first = _fit_softmax(gen, 3, callbacks=[MetricsWriter(tmp_path)])
    resumed = _fit_softmax(gen, 2, start_epoch=1, callbacks=[MetricsWriter(tmp_path)])
    expected = [first.epochs[0], resumed.epochs[0]]
    assert [m.epoch for m in expected] == [1, 2]
    assert _jsonl(tmp_path) == [m.as_dict() for m in expected]
    assert _csv(tmp_path) == [_as_csv_row(m) for m in expected]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_metrics_writer_keeps_a_non_finite_loss_of_the_kept_epochs_on_resume(
    tmp_path: Path, value: float
) -> None:
    """A resume rebuilt metrics.csv from metrics.jsonl, whose JSON wrote the diverged loss as null:
    the kept rows' nan became an empty cell (no value), unlike the rows written after, and unlike
    a run never stopped. The CSV keeps its own rows, as the uninterrupted run has them."""
    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=3, start_epoch=0)
    for epoch in (1, 2, 3):
        writer.on_epoch_end(metrics=EpochMetrics(epoch, value, None, None, None, 0.5))
    uninterrupted = (tmp_path / "metrics.csv").read_text()
    MetricsWriter(tmp_path).on_fit_start(num_epochs=3, start_epoch=2)
    writer.on_epoch_end(metrics=EpochMetrics(3, value, None, None, None, 0.5))
    assert (tmp_path / "metrics.csv").read_text() == uninterrupted
    assert [r["train_loss"] for r in _csv(tmp_path)] == [str(value)] * 3  # "nan", "inf", "-inf"
    assert [r["train_loss"] for r in _jsonl(tmp_path)] == [None] * 3  # strict JSON has no NaN


@pytest.mark.parametrize(
    "csv_text",
    [
        "",  # emptied
        "epoch,loss\r\n1,0.5\r\n2,0.4\r\n",  # another header
        "epoch,train_loss,train_acc,test_loss,test_acc,seconds\r\n1,0.5\r\n2,0.4,,,,1\r\n",
        "epoch,train_loss,train_acc,test_loss,test_acc,seconds\r\n2,0.4,,,,1\r\n",  # a row lost
    ],
    ids=["empty", "other-header", "row-cut-short", "row-lost"],
)
def test_metrics_writer_rebuilds_a_csv_it_cannot_keep_from_the_jsonl(
    gen: torch.Generator, tmp_path: Path, csv_text: str
) -> None:
    first = _fit_softmax(gen, 3, callbacks=[MetricsWriter(tmp_path)])
    (tmp_path / "metrics.csv").write_text(csv_text, newline="")
    MetricsWriter(tmp_path).on_fit_start(num_epochs=3, start_epoch=2)
    assert _csv(tmp_path) == [_as_csv_row(m) for m in first.epochs[:2]]


def test_metrics_writer_warns_of_an_epoch_that_reached_no_callback(tmp_path: Path) -> None:
    """An epoch whose test pass was refused is kept in the error's history but never reached
    on_epoch_end: resumed at start_epoch=len(history.epochs), metrics.csv went 1 then 3 silently."""
    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=3, start_epoch=0)
    writer.on_epoch_end(metrics=EpochMetrics(1, 0.5, 0.8, 0.6, 0.7, 1.0))
    with pytest.warns(
        UserWarning,
        match=r"MetricsWriter: .*metrics.jsonl holds no row of epoch 2, which "
        r"fit\(start_epoch=2\) goes on after, so the files skip it: an epoch whose test_iter "
        r"pass was refused is kept in the error's history",
    ):
        MetricsWriter(tmp_path).on_fit_start(num_epochs=3, start_epoch=2)


def test_metrics_writer_starts_afresh_without_start_epoch(
    gen: torch.Generator, tmp_path: Path
) -> None:
    _fit_linreg(gen, 3, callbacks=[MetricsWriter(tmp_path)])
    again = _fit_linreg(gen, 1, callbacks=[MetricsWriter(tmp_path)])
    assert _jsonl(tmp_path) == [again.last.as_dict()]
    assert len(_csv(tmp_path)) == 1


def test_metrics_writer_resume_without_files_starts_empty(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=5, start_epoch=2)
    assert (tmp_path / "metrics.jsonl").read_text() == ""
    assert _csv(tmp_path) == []


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_metrics_writer_in_a_folder_never_made_says_so_before_training(
    gen: torch.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """fit said, at on_fit_start, "the run folder never_made_dir is gone (removed or moved while
    the run trained), and its checkpoints with it", of a folder never made and nothing trained."""
    monkeypatch.chdir(tmp_path)
    if kind == "file":
        Path("never_made_dir").write_text("")
    stepped: list[int] = []

    class Steps(Callback):
        def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
            stepped.append(step)

    with pytest.raises(UsageError) as info:
        _fit_softmax(gen, 1, callbacks=[MetricsWriter(Path("never_made_dir")), Steps()])
    assert (
        str(info.value)
        == {
            "missing": "MetricsWriter's run_dir must be an existing folder, got 'never_made_dir', "
            "which does not exist; create it first (Path('never_made_dir').mkdir(parents=True)), or "
            "pass an existing folder",
            "file": "MetricsWriter's run_dir must be a folder, got 'never_made_dir', which is a file; "
            "pass a folder",
        }[kind]
    )
    assert stepped == []  # before any training
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["never_made_dir"] if kind == "file" else []
    )
    Path("never_made_dir").unlink(missing_ok=True)
    Path("never_made_dir").mkdir()  # the fix it gives
    _fit_softmax(gen, 1, callbacks=[MetricsWriter(Path("never_made_dir"))])
    assert len(_jsonl(tmp_path / "never_made_dir")) == 1


def _folder_writer(owner: str, run_dir: Path) -> Callback:
    """A MetricsWriter, or a CheckpointCallback of nothing but a step count, in ``run_dir``."""
    from linearnets.training.checkpoint import CheckpointCallback

    if owner == "MetricsWriter":
        return MetricsWriter(run_dir)
    state = {"model_state": {}, "optimizer_state": {}, "generators_state": {}, "history": []}
    return CheckpointCallback(run_dir, get_state=lambda: {**state, "config": {}})


@pytest.mark.parametrize("owner", ["MetricsWriter", "CheckpointCallback"])
@pytest.mark.parametrize("kind", ["missing", "file", "dangling-link", "under-a-file"])
def test_a_writing_callbacks_folder_that_is_none_is_named_with_a_fix_that_works(
    gen: torch.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: str, kind: str
) -> None:
    """MetricsWriter told a dangling link or a path under a file to
    Path(x).mkdir(parents=True), which then failed (FileExistsError, NotADirectoryError); a
    CheckpointCallback in a folder never made (a file, a dangling link) trained a whole epoch,
    then said "the run folder never_made is gone (removed or moved while the run trained)". Both
    refuse it as fit starts, naming what stands there, with a fix that works."""
    monkeypatch.chdir(tmp_path)
    given = Path("sub") if kind == "under-a-file" else Path("run")
    if kind == "file":
        Path("run").write_text("")
    elif kind == "dangling-link":
        Path("run").symlink_to(tmp_path / "gone")
    elif kind == "under-a-file":
        Path("afile").write_text("")
        given = Path("afile/sub")
    stepped: list[int] = []

    class Steps(Callback):
        def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
            stepped.append(step)

    with pytest.raises(UsageError) as info:
        _fit_softmax(gen, 1, callbacks=[_folder_writer(owner, given), Steps()])
    got = f"{owner}'s run_dir must be an existing folder, got {str(given)!r}"
    assert (
        str(info.value)
        == {
            "missing": f"{got}, which does not exist; create it first "
            f"(Path({str(given)!r}).mkdir(parents=True)), or pass an existing folder",
            "file": f"{owner}'s run_dir must be a folder, got 'run', which is a file; pass a folder",
            "dangling-link": f"{got}: run is a symbolic link to {tmp_path / 'gone'}, which does not "
            "exist; fix or remove the link, or pass an existing folder",
            "under-a-file": f"{got}, which cannot be made: afile is a file, not a folder; pass a "
            "folder not under a file",
        }[kind]
    )
    assert stepped == []  # before any training
    if kind in ("file", "under-a-file"):  # the fix it gives: a folder in the file's place
        Path("run" if kind == "file" else "afile").unlink()
    if kind == "dangling-link":
        (tmp_path / "gone").mkdir()  # the link fixed: its folder made
    else:
        given.mkdir(parents=True)
    _fit_softmax(gen, 1, callbacks=[_folder_writer(owner, given)])
    done = "metrics.jsonl" if owner == "MetricsWriter" else "checkpoint.pt"
    assert (given / done).is_file()


def _metrics(epoch: int) -> EpochMetrics:
    return EpochMetrics(epoch, 0.5, 0.75, None, 0.7, 0.01)


@pytest.mark.parametrize(
    ("files", "fix"),
    [
        (
            ("checkpoint.pt", "config.json"),
            "the checkpoint of the run's last finished epoch is kept: fix that and continue it with linearnets.resume_softmax('DIR')",
        ),
        (
            ("config.json",),
            "the run has no checkpoint yet: fix that and start it over with linearnets.resume_softmax('DIR')",
        ),
        ((), "the run has no checkpoint to continue from: fix that and run it again"),
    ],
    ids=["beside-a-checkpoint", "config-only", "nothing"],
)
def test_a_metrics_file_that_cannot_be_appended_to_is_named(
    tmp_path: Path, files: tuple[str, ...], fix: str
) -> None:
    """metrics.csv replaced by a folder mid-run (the same path as a full disk at the flush): the
    error names the file; --resume is advised only where it works (a checkpoint to continue from,
    or a config.json to start the run over from: resume_softmax's start-over)."""
    from linearnets.errors import RunFileError

    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=2, start_epoch=0)
    for name in files:
        (tmp_path / name).write_bytes(b"{}")
    (tmp_path / "metrics.csv").unlink()
    (tmp_path / "metrics.csv").mkdir()
    with pytest.raises(RunFileError) as info:
        writer.on_epoch_end(metrics=_metrics(1))
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'metrics.csv'} could not be written: [Errno 21] Is a directory")  # fmt: skip
    assert message.endswith("; " + fix.replace("DIR", str(tmp_path)))
    assert _jsonl(tmp_path) == [_metrics(1).as_dict()]  # the file before it was written


def test_a_metrics_rewrite_on_a_full_disk_keeps_the_files_and_names_the_one_that_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rewrite at a resume's start is atomic, as config.json's is: a full disk leaves both
    files whole (it once left metrics.jsonl truncated to nothing) and no temporary file."""
    import errno

    from linearnets.errors import RunFileError

    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=2, start_epoch=0)
    writer.on_epoch_end(metrics=_metrics(1))
    writer.on_epoch_end(metrics=_metrics(2))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(RunFileError, match=r"metrics.jsonl could not be written: the disk is full"):
        MetricsWriter(tmp_path).on_fit_start(num_epochs=3, start_epoch=1)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_rewrite_replaces_a_read_only_file_by_a_rename(tmp_path: Path) -> None:
    """A read-only metrics.jsonl (copied from a read-only share) in a writable folder no longer
    stops the rewrite: the rename needs only the folder's permission (root or not)."""
    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=2, start_epoch=0)
    writer.on_epoch_end(metrics=_metrics(1))
    (tmp_path / "metrics.jsonl").chmod(0o444)
    writer.rewrite([_metrics(1).as_dict()])
    assert _jsonl(tmp_path) == [_metrics(1).as_dict()]
    assert (tmp_path / "metrics.jsonl").stat().st_mode & 0o200  # a new file, writable by its owner
    assert _csv(tmp_path) == [_as_csv_row(_metrics(1))]


# --- CurvesCallback ------------------------------------------------------------------------------


class CurvesRecorder:
    """Stands in for LiveCurves (the drawing is tested elsewhere): records what it is given."""

    def __init__(self) -> None:
        self.points: list[tuple[int, dict[str, float]]] = []
        self.closed = 0

    def update(self, x: int, values: dict[str, float]) -> None:
        self.points.append((x, dict(values)))

    def close(self) -> None:
        self.closed += 1


def test_curves_callback_plots_each_epochs_metrics_and_closes_once(gen: torch.Generator) -> None:
    curves = CurvesRecorder()
    history = _fit_softmax(gen, 3, callbacks=[CurvesCallback(curves)])
    expected = [
        (m.epoch, {"train loss": m.train_loss, "train acc": m.train_acc, "test acc": m.test_acc})
        for m in history.epochs
    ]
    assert curves.points == expected
    assert all(acc is not None for _, v in curves.points for acc in v.values())
    assert curves.closed == 1


def test_curves_callback_plots_only_the_loss_of_a_regression(gen: torch.Generator) -> None:
    curves = CurvesRecorder()
    with pytest.warns(UserWarning) as caught:
        history = _fit_linreg(gen, 2, callbacks=[CurvesCallback(curves)])
    assert [str(w.message) for w in caught] == [
        "the curves plot 'train acc', 'test acc', which this fit does not report: fit was given "
        "no test_iter and this fit reports no accuracy (its loss or targets give none), so their "
        "lines stay empty; pass LiveCurves(metrics=('train loss',)) to plot what it reports (or "
        "pass test_iter to fit)"
    ]
    assert curves.points == [(m.epoch, {"train loss": m.train_loss}) for m in history.epochs]
    assert curves.closed == 1


def test_curves_that_plot_the_test_loss_get_it(gen: torch.Generator) -> None:
    curves = LiveCurves(mode="none", num_epochs=2, metrics=("train loss", "test loss"))
    history = _fit_softmax(gen, 2, callbacks=[CurvesCallback(curves)])
    assert curves.values == {"train loss": history.train_loss, "test loss": history.test_loss}
    assert all(v is not None for v in history.test_loss)


def test_curves_naming_a_metric_fit_does_not_report_are_refused() -> None:
    """A misspelt line ("trian loss") stayed empty through the whole fit, without a word."""
    with pytest.raises(
        UsageError,
        match=r"^curves\.metrics must name metrics fit reports, \('train loss', 'train acc', "
        r"'test loss', 'test acc'\), got 'trian loss' in \['trian loss', 'test acc'\]; pass e\.g\. "
        r"LiveCurves\(metrics=\('train loss', 'train acc', 'test acc'\)\)$",
    ):
        CurvesCallback(LiveCurves(mode="none", metrics=("trian loss", "test acc")))


class _StopAtEpoch:
    """A callback that fails when ``epoch`` starts (an error, or a kernel interrupt, mid-fit)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        if epoch == self.epoch:
            raise RuntimeError(f"stopped in epoch {epoch}")


def test_curves_gone_over_by_a_continued_fit_are_refused_before_its_first_step(
    gen: torch.Generator,
) -> None:
    """start_epoch=1 after curves of 2 epochs would draw epoch 2 again: refused before training
    it (it was refused after), with a start_epoch that then continues the curves."""
    net = softmax_concise(3, 2, generator=gen)
    batches = _classification(gen)
    loss = nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    curves = LiveCurves(mode="none")  # the book's three lines: the fits are given a test_iter
    fit(net, batches, loss, updater, 2, test_iter=batches, callbacks=[CurvesCallback(curves)])
    before = net[1].weight.detach().clone()
    with pytest.raises(
        UsageError,
        match=r"^start_epoch must continue the curves after their last epoch, 2 \(of 'train "
        r"loss'\), got start_epoch=1, whose first epoch, 2, would be drawn over theirs; pass "
        r"start_epoch=2 \(and num_epochs=4, for 2 more\) to continue them, start_epoch=0",
    ):
        fit(net, batches, loss, updater, 3, start_epoch=1, callbacks=[CurvesCallback(curves)])
    assert torch.equal(net[1].weight, before)
    fit(net, batches, loss, updater, 4, start_epoch=2, test_iter=batches,
        callbacks=[CurvesCallback(curves)])  # fmt: skip
    assert curves.epochs["train loss"] == [1, 2, 3, 4]


def test_a_continued_fit_refused_by_its_curves_leaves_a_metrics_file_listed_before_them(
    gen: torch.Generator, tmp_path: Path
) -> None:
    """CurvesCallback refused the fit in its on_fit_start, after a MetricsWriter listed before it
    had cut metrics.jsonl back to start_epoch's rows (4 rows, then 2, for a fit never run)."""
    net = softmax_concise(3, 2, generator=gen)
    batches = _classification(gen)
    loss = nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    curves = LiveCurves(mode="none")  # the book's three lines: the fit is given a test_iter
    fit(net, batches, loss, updater, 4, test_iter=batches,
        callbacks=[MetricsWriter(tmp_path), CurvesCallback(curves)])  # fmt: skip
    rows = (tmp_path / "metrics.jsonl").read_text()
    table = (tmp_path / "metrics.csv").read_text()
    assert len(rows.splitlines()) == 4
    with pytest.raises(UsageError, match=r"^start_epoch must continue the curves after their last"):
        fit(net, batches, loss, updater, 3, start_epoch=2,
            callbacks=[MetricsWriter(tmp_path), CurvesCallback(curves)])  # fmt: skip
    assert (tmp_path / "metrics.jsonl").read_text() == rows
    assert (tmp_path / "metrics.csv").read_text() == table


class _OwnCheck:
    """A callback of the user's with a method named check_fit_start of its own signature."""

    def __init__(self) -> None:
        self.checked = 0

    def check_fit_start(self) -> None:
        self.checked += 1

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        pass


class _Flagged:
    """A callback of the user's with a flag named check_fit_start."""

    check_fit_start = True

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        pass


@pytest.mark.parametrize("make", [_OwnCheck, _Flagged], ids=["method", "flag"])
def test_a_check_fit_start_of_the_users_own_is_left_alone(gen: torch.Generator, make: Any) -> None:
    """fit called check_fit_start(num_epochs=..., start_epoch=...) on any callback having the
    attribute: a user's own method of another signature, or a flag, failed with a TypeError.
    Only linearnets' CurvesCallback's is called."""
    net = softmax_concise(3, 2, generator=gen)
    callback = make()
    history = fit(net, _classification(gen), nn.CrossEntropyLoss(reduction="none"),
                  torch.optim.SGD(net.parameters(), lr=0.1), 1, callbacks=[callback])  # fmt: skip
    assert len(history.epochs) == 1
    assert getattr(callback, "checked", 0) == 0


def test_live_curves_reused_by_a_new_fit_show_that_fit_only(gen: torch.Generator) -> None:
    """README's ``shown = [..., CurvesCallback(curves)]`` passed to fit again (a new cell, after a
    fit that failed, then after one that finished): each new fit's curves are its history's, not
    epochs 1, 1, 2, 1, 2 drawn as a zigzag; a fit continuing (start_epoch) extends them."""
    curves = LiveCurves(mode="none", num_epochs=2)
    shown = [CurvesCallback(curves)]
    with pytest.raises(RuntimeError, match="stopped in epoch 2"):
        _fit_softmax(gen, 2, callbacks=[*shown, _StopAtEpoch(2)])
    for _ in range(2):
        history = _fit_softmax(gen, 2, callbacks=shown)
        assert curves.epochs["train loss"] == [m.epoch for m in history.epochs] == [1, 2]
        assert curves.values["train loss"] == [m.train_loss for m in history.epochs]
    more = _fit_softmax(gen, 3, callbacks=shown, start_epoch=2)
    assert curves.epochs["test acc"] == [1, 2, 3]
    assert curves.values["test acc"][-1] == more.epochs[-1].test_acc


def test_base_callback_hooks_do_nothing() -> None:
    cb = Callback()
    metrics = EpochMetrics(1, 0.5, None, None, None, 0.0)
    cb.on_fit_start(num_epochs=1, start_epoch=0)
    cb.on_epoch_start(epoch=1, num_batches=None)
    cb.on_batch_end(0, torch.zeros(1))
    cb.on_epoch_end(metrics=metrics)
    cb.on_fit_end(history=History([metrics]))


@pytest.mark.parametrize(
    "curves,told",
    [
        (None, "None; pass e.g."),
        (3, "3; pass e.g."),
        (LiveCurves, "<class 'linearnets.plotting.live.LiveCurves'>; pass an instance, e.g."),
        # an instance, told to "pass an instance"
        (
            lambda: Animator(mode="none"),
            "an Animator, the book's, which has add(x, y), not update; pass a LiveCurves, which "
            "draws the same lines, in a notebook or to files:",
        ),
    ],
    ids=["None", "int", "the class", "the book's Animator"],
)
def test_curves_callback_refuses_what_cannot_draw_curves(curves: object, told: str) -> None:
    if callable(curves) and not isinstance(curves, type):
        curves = curves()
    with pytest.raises(
        UsageTypeError,
        match="^"
        + re.escape(
            f"curves must be a live-curves object with update(epoch, values), got {told} "
            "CurvesCallback(LiveCurves(num_epochs=10))"
        )
        + "$",
    ):
        CurvesCallback(curves)


# --- mutation audit: where the bar is shown, how it ends, what the files hold -------------------


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class _NoTerminalMethods:
    """A replaced stream with neither isatty nor fileno (e.g. a logging shim)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _closed() -> io.StringIO:
    stream = io.StringIO()
    stream.close()
    return stream


def _one_epoch(logger: ConsoleLogger, num_batches: int = 2) -> None:
    logger.on_epoch_start(epoch=1, num_batches=num_batches)
    for step in range(num_batches):
        logger.on_batch_end(step, torch.zeros(2))
    logger.on_epoch_end(metrics=EpochMetrics(1, 0.5, None, None, None, 0.0))


@pytest.mark.parametrize(
    ("stderr", "stdout", "shown"),
    [
        (_Terminal(), io.StringIO(), True),
        (io.StringIO(), _Terminal(), False),  # stdout a terminal, stderr redirected: no bar
        (_closed(), io.StringIO(), False),
        (_NoTerminalMethods(), io.StringIO(), False),
        (None, io.StringIO(), False),  # python started with 2>&-
    ],
    ids=["stderr a terminal", "only stdout a terminal", "closed", "no isatty", "None"],
)
def test_progress_none_shows_a_bar_only_when_stderr_is_a_terminal(
    monkeypatch: pytest.MonkeyPatch, stderr: Any, stdout: io.StringIO, shown: bool
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr("sys.stderr", stderr)
    monkeypatch.setattr("sys.stdout", stdout)
    logger = ConsoleLogger(stream=io.StringIO())
    logger.on_epoch_start(epoch=1, num_batches=2)
    assert (logger._bar is not None) is shown
    logger.close()
    if shown:
        assert "epoch 1:" in stderr.getvalue()


@pytest.mark.parametrize(("term", "shown"), [("dumb", False), ("xterm", True), (None, True)])
def test_progress_none_shows_no_bar_in_a_dumb_terminal(
    monkeypatch: pytest.MonkeyPatch, term: str | None, shown: bool
) -> None:
    """Emacs' M-x shell sets TERM=dumb: a terminal to isatty(), but the bar's carriage-return redraws pile up
    there as one ever longer line; the epoch lines alone are printed."""
    if term is None:
        monkeypatch.delenv("TERM", raising=False)
    else:
        monkeypatch.setenv("TERM", term)
    err, out = _Terminal(), io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    _one_epoch(ConsoleLogger(stream=out))
    assert ("epoch 1:" in err.getvalue()) is shown
    assert out.getvalue() == "epoch 1, loss 0.500000\n"


def test_the_bar_counts_batches_and_is_erased_when_the_epoch_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """leave=False: the finished bar is overwritten by blanks, so the epoch line starts clean."""
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    logger = ConsoleLogger(progress=True, stream=io.StringIO())
    logger.on_epoch_start(epoch=1, num_batches=3)
    bar = logger._bar
    assert bar is not None
    for step in range(3):
        logger.on_batch_end(step, torch.zeros(2))
    assert (bar.n, bar.total) == (3, 3)
    logger.on_epoch_end(metrics=EpochMetrics(1, 0.5, None, None, None, 0.0))
    text = err.getvalue()
    assert "batch/s" in text  # the unit is batches, not tqdm's "it"
    assert "\n" not in text and text.endswith("\r")
    assert text.split("\r")[-2].strip() == ""  # the last thing drawn is a blank line


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError], ids=["ctrl-c", "error"])
def test_a_fit_that_raises_erases_the_bar_before_the_error_shows(
    monkeypatch: pytest.MonkeyPatch, gen: torch.Generator, stop: type[BaseException]
) -> None:
    """fit's own callers (a script, run_softmax) have no close() to call: an epoch that raises (a
    Ctrl-C, a diverged loss) must not leave its bar on the line the traceback then starts on."""
    err = _Terminal()
    monkeypatch.setattr("sys.stderr", err)
    logger = ConsoleLogger(progress=True, stream=io.StringIO())

    class Stop(Callback):
        def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
            if step == 1:
                raise stop("stopped")

    with pytest.raises(stop):
        _fit_softmax(gen, 2, callbacks=[logger, Stop()])
    assert logger._bar is None
    text = err.getvalue()
    assert "epoch 1:" in text and text.endswith("\r")
    assert text.split("\r")[-2].strip() == ""  # the last thing drawn is a blank line


def test_the_epoch_line_is_flushed_as_it_is_printed() -> None:
    """Piped to a file or `tee`, each epoch's line must appear when it is printed, not at exit."""

    class Buffered(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.flushed: list[str] = []

        def flush(self) -> None:
            self.flushed.append(self.getvalue())

    stream = Buffered()
    _one_epoch(ConsoleLogger(stream=stream, progress=False))
    line = format_epoch(EpochMetrics(1, 0.5, None, None, None, 0.0))
    assert stream.flushed and stream.flushed[-1] == line + "\n"


@pytest.mark.parametrize(
    ("rows", "columns", "expected"),
    [
        # the bar ends 3 columns short of the edge, room for the "^C" a Ctrl-C echoes after it
        (0, 0, {"ncols": 77, "nrows": 24}),  # a new pseudo-terminal: tqdm would hide its bar
        (30, 100, {"ncols": 97, "nrows": 30}),
        (0, 100, {"ncols": 97, "nrows": 24}),
        (30, 0, {"ncols": 77, "nrows": 30}),
    ],
)
def test_a_terminal_without_a_size_gets_80_by_24(
    monkeypatch: pytest.MonkeyPatch, rows: int, columns: int, expected: dict[str, int]
) -> None:
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    monkeypatch.delenv("COLUMNS", raising=False)  # a shell's own, exported
    monkeypatch.delenv("LINES", raising=False)
    master, slave = os.openpty()
    with os.fdopen(master, "wb", buffering=0), os.fdopen(slave, "w") as terminal:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        assert os.get_terminal_size(slave) == (columns, rows)
        assert bar_size(terminal) == expected
        monkeypatch.setattr("sys.stderr", terminal)
        logger = ConsoleLogger(progress=True, stream=io.StringIO())
        logger.on_epoch_start(epoch=1, num_batches=2)
        assert (logger._bar.ncols, logger._bar.nrows) == (expected["ncols"], expected["nrows"])
        logger.close()


def test_the_bar_leaves_room_for_an_echoed_ctrl_c_and_is_erased_with_it(
    pseudo_terminal: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C's "^C", echoed where the bar ends, must fit on the bar's row (at the last column it
    wrapped, leaving the bar above the stop's message) and go when the bar does."""
    monkeypatch.setattr("sys.stderr", pseudo_terminal.stream)
    logger = ConsoleLogger(progress=True, stream=io.StringIO())
    logger.on_epoch_start(epoch=1, num_batches=2)
    logger.on_batch_end(0, torch.zeros(2))
    logger.close()
    text = pseudo_terminal.written()
    drawn = [part for part in text.split("\r") if part.strip()]
    assert drawn and all(len(part) <= 37 for part in drawn)  # 40 columns: 3 free on the right
    assert text.endswith("\r" + " " * 39 + "\r")  # the echo's columns blanked too


@pytest.mark.parametrize(("delay", "drawn"), [(0.0, True), (30.0, False)])
def test_only_a_bar_drawn_has_its_row_blanked(
    pseudo_terminal: Any, monkeypatch: pytest.MonkeyPatch, delay: float, drawn: bool
) -> None:
    """linreg's bar, held back by its delay and never drawn, blanked a row all the same each
    epoch: a carriage return and 39 spaces before every epoch line."""
    monkeypatch.setattr("sys.stderr", pseudo_terminal.stream)
    logger = ConsoleLogger(progress=True, stream=io.StringIO(), delay=delay)
    for epoch in (1, 2):
        logger.on_epoch_start(epoch=epoch, num_batches=2)
        logger.on_batch_end(0, torch.zeros(2))
        logger.close()
    text = pseudo_terminal.written()
    assert text.count("\r" + " " * 39 + "\r") == (2 if drawn else 0)
    assert (text == "") is not drawn


def test_a_second_ctrl_c_during_the_bars_close_still_leaves_its_row_blank(
    monkeypatch: pytest.MonkeyPatch, pseudo_terminal: Any
) -> None:
    """A second Ctrl-C that cut tqdm's close short (between its blanks and its carriage return;
    here, as it ends) left the row as it was: the command's own close() did nothing, and the stop's
    message began after a "^C" echoed at the bar's end."""
    monkeypatch.setattr("sys.stderr", pseudo_terminal.stream)
    logger = ConsoleLogger(progress=True, stream=io.StringIO())
    logger.on_epoch_start(epoch=1, num_batches=2)
    bar = logger._bar
    assert bar is not None
    real_close = bar.close

    def cut_short() -> None:  # the signal comes as tqdm's close ends
        real_close()
        raise KeyboardInterrupt

    monkeypatch.setattr(bar, "close", cut_short)
    with pytest.raises(KeyboardInterrupt):
        logger.close()  # fit's, as the epoch raised
    logger.close()  # the command's own, before it reports the stop
    text = pseudo_terminal.written()
    assert text.endswith("\r" + " " * 39 + "\r")  # the echo's columns blanked too


def test_a_ctrl_c_as_the_bar_draws_its_first_frame_leaves_the_next_bar_on_its_row(
    monkeypatch: pytest.MonkeyPatch, pseudo_terminal: Any
) -> None:
    """A Ctrl-C landing in tqdm's first frame of a bar (in IPython, whose traceback it keeps) left
    the half-made bar among tqdm's open ones, out of the logger's reach: every later bar, the next
    fit's and the learner's own, went to the row below (a newline, then a cursor move up)."""
    from tqdm import tqdm

    monkeypatch.setattr("sys.stderr", pseudo_terminal.stream)
    real_refresh = tqdm.refresh

    def interrupted(self: Any, *args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(tqdm, "refresh", real_refresh)  # this frame only
        raise KeyboardInterrupt

    monkeypatch.setattr(tqdm, "refresh", interrupted)
    logger = ConsoleLogger(progress=True, stream=io.StringIO())
    with pytest.raises(KeyboardInterrupt) as stop:  # kept, as IPython keeps sys.last_traceback
        logger.on_epoch_start(epoch=1, num_batches=2)
    logger.close()  # fit's, as the epoch raised
    assert stop.value.__traceback__ is not None
    pseudo_terminal.written()  # what the interrupted bar drew
    logger = ConsoleLogger(progress=True, stream=io.StringIO())
    logger.on_epoch_start(epoch=1, num_batches=2)
    logger.on_batch_end(0, torch.zeros(2))
    logger.close()
    with tqdm(range(2)) as own:  # the learner's own bar after it
        list(own)
    drawn = pseudo_terminal.written()
    assert "epoch 1:" in drawn and "2/2" in drawn
    assert "\x1b[A" not in drawn and "\n" not in drawn.rstrip("\r\n"), repr(drawn)


@pytest.mark.parametrize("stream", [io.StringIO(), _NoTerminalMethods(), _closed()])
def test_a_stream_without_a_terminal_size_asks_tqdm_for_nothing(stream: Any) -> None:
    assert bar_size(stream) == {}


def test_metrics_writer_resume_skips_blank_lines(tmp_path: Path) -> None:
    """A hand-edited or concatenated metrics.jsonl may hold blank lines: they are not rows."""
    rows = [EpochMetrics(e, 1.0 / e, 0.5, 0.9, 0.4, 1.0).as_dict() for e in (1, 2, 3)]
    (tmp_path / "metrics.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows[:2]) + "\n\n  \n" + json.dumps(rows[2]) + "\n\n"
    )
    MetricsWriter(tmp_path).on_fit_start(num_epochs=5, start_epoch=2)
    assert _jsonl(tmp_path) == rows[:2]
    assert _csv(tmp_path) == [{k: str(v) for k, v in r.items()} for r in rows[:2]]


def test_metrics_writer_writes_non_finite_values_as_standard_json_null(tmp_path: Path) -> None:
    """A run with the guard off can end an epoch with a NaN or inf loss: jq and JSON.parse refuse
    the bare words NaN and Infinity, so the file holds null."""
    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=2, start_epoch=0)
    writer.on_epoch_end(metrics=EpochMetrics(1, float("nan"), None, float("inf"), None, 0.5))

    def refuse(word: str) -> Any:
        raise ValueError(f"non-standard JSON: {word}")

    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line, parse_constant=refuse) for line in lines] == [
        {"epoch": 1, "train_loss": None, "train_acc": None, "test_loss": None, "test_acc": None, "seconds": 0.5}
    ]  # fmt: skip


def test_curves_without_close_are_fine() -> None:
    """close() is optional: an object with only update(epoch, values) is enough."""
    seen: list[tuple[int, dict[str, float]]] = []

    class UpdateOnly:
        def update(self, epoch: int, values: dict[str, float]) -> None:
            seen.append((epoch, values))

    callback = CurvesCallback(UpdateOnly())  # the book's three lines, each reported
    metrics = EpochMetrics(1, 0.5, 0.75, 0.25, 0.625, 0.0)
    callback.on_epoch_end(metrics=metrics)
    callback.on_fit_end(history=History([metrics]))
    assert seen == [(1, {"train loss": 0.5, "train acc": 0.75, "test acc": 0.625})]


def test_metrics_csv_columns_follow_the_epoch_metrics_fields(tmp_path: Path) -> None:
    """The header is EpochMetrics' own field order (epoch first), for readers that go by position."""
    writer = MetricsWriter(tmp_path)
    writer.on_fit_start(num_epochs=1, start_epoch=0)
    writer.on_epoch_end(metrics=EpochMetrics(1, 0.25, 0.5, 0.75, 0.125, 2.0))
    header, row = (tmp_path / "metrics.csv").read_text().splitlines()
    assert header.split(",") == [f.name for f in dataclasses.fields(EpochMetrics)]
    assert row == "1,0.25,0.5,0.75,0.125,2.0"


def test_curves_of_a_classification_without_a_test_set_have_no_test_acc() -> None:
    curves = CurvesRecorder()
    with pytest.warns(UserWarning) as caught:
        CurvesCallback(curves).on_epoch_end(metrics=EpochMetrics(2, 0.5, 0.75, None, None, 1.0))
    assert [str(w.message) for w in caught] == [
        "the curves plot 'test acc', which this fit does not report: fit was given no test_iter, "
        "so its line stays empty; pass LiveCurves(metrics=('train loss', 'train acc')) to plot "
        "what it reports (or pass test_iter to fit)"
    ]
    assert curves.points == [(2, {"train loss": 0.5, "train acc": 0.75})]


# --- arguments and metric subsets ----------------------------------------------------------------


def test_curves_callback_sends_only_the_metrics_the_curves_plot(gen: torch.Generator) -> None:
    """LiveCurves(metrics=("train loss", "test acc")) is a legitimate choice: the fit runs and each
    epoch gives exactly those two points (it crashed with "values must name metrics" before)."""
    curves = LiveCurves(mode="none", metrics=("train loss", "test acc"))
    history = _fit_softmax(gen, 2, callbacks=[CurvesCallback(curves)])
    assert curves.epochs == {"train loss": [1, 2], "test acc": [1, 2]}
    assert curves.values == {
        "train loss": [m.train_loss for m in history.epochs],
        "test acc": [m.test_acc for m in history.epochs],
    }


def test_live_curves_called_directly_still_refuse_an_unplotted_metric() -> None:
    curves = LiveCurves(mode="none", metrics=("train loss",))
    with pytest.raises(UsageError, match=r"values must name metrics among \['train loss'\]"):
        curves.update(1, {"train loss": 0.5, "train acc": 0.25})


@pytest.mark.parametrize("stream", ["log.txt", Path("log.txt"), 3], ids=["str", "Path", "int"])
def test_console_logger_refuses_a_stream_it_cannot_write_to_when_made(stream: object) -> None:
    """Before, a file name failed only after a whole epoch (str has no attribute 'write')."""
    with pytest.raises(
        UsageTypeError,
        match=r"stream must be a text stream with write\(\), such as sys\.stdout, got .*; to log "
        r"to a file pass stream=open\('log\.txt', 'w'\)",
    ):
        ConsoleLogger(stream=stream)  # type: ignore[arg-type]


def test_console_logger_and_curves_callback_reprs_say_what_they_do(tmp_path: Path) -> None:
    assert (
        repr(ConsoleLogger())
        == "ConsoleLogger(to stdout, progress bar when stderr is a terminal (not TERM=dumb) and the "
        "lines go to no pipe)"
    )
    with (tmp_path / "log.txt").open("w") as f:
        assert repr(ConsoleLogger(stream=f, progress=False)) == (
            f"ConsoleLogger(to {tmp_path / 'log.txt'}, progress bar never)"
        )
    curves = LiveCurves(mode="none", metrics=("train loss", "test acc"))
    assert (
        repr(CurvesCallback(curves))
        == "CurvesCallback(LiveCurves(mode='none', metrics=['train loss', 'test acc'], "
        "num_epochs=None, points=0))"
    )

    class Points:
        def update(self, epoch: int, values: dict[str, float]) -> None:
            pass

        def __repr__(self) -> str:
            return "Points()"

    # curves with a repr of their own are shown by it
    assert repr(CurvesCallback(Points())) == "CurvesCallback(Points())"


@pytest.mark.parametrize(("into", "shown"), [("pipe", False), ("file", True)])
def test_no_bar_when_the_lines_go_into_a_pipe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, into: str, shown: bool
) -> None:
    """``| tee log``: the lines reached the terminal through the pipe late and landed inside the
    next epoch's bar; a file (``> log``) keeps them apart, so the bar stays."""
    monkeypatch.setattr("sys.stderr", _Terminal())
    if into == "pipe":
        read_end, write_end = os.pipe()
        stream = os.fdopen(write_end, "w")
    else:
        stream = (tmp_path / "log.txt").open("w")
    try:
        logger = ConsoleLogger(stream=stream)
        logger.on_epoch_start(epoch=1, num_batches=2)
        assert (logger._bar is not None) is shown
        logger.close()
    finally:
        stream.close()
        if into == "pipe":
            os.close(read_end)


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (0.000052, 6, "0.000052"),  # the book's "epoch 1, loss 0.000052"
        (0.78512, 4, "0.7851"),
        (999999.0, 4, "999999.0000"),
        (3569583467208374093209780879360.0, 4, "3.5696e+30"),  # was 31 digits wide
        (-6.4e22, 6, "-6.400000e+22"),
        (float("inf"), 4, "inf"),
        (float("nan"), 4, "nan"),
        # tiny values printed 0.000000 or 0.000004: fewer than 2 significant digits
        (3e-7, 6, "3.000000e-07"),
        (-2e-7, 6, "-2.000000e-07"),
        (4.2e-6, 6, "4.200000e-06"),
        (1e-5, 6, "0.000010"),  # 2 significant digits: the book's decimals
        # judged as rounded: printed 1.000000e-05 beside 1e-05's 0.000010, the same magnitude
        (9.9999996e-06, 6, "0.000010"),
        (float(torch.tensor(1e-5)), 6, "0.000010"),  # a float32 loss of 1e-5: 9.99999975e-06
        (9.4e-6, 6, "9.400000e-06"),  # 0.000009: 1 significant digit
        (999999.99999, 4, "1.0000e+06"),  # printed 1000000.0000 beside 1e6's 1.0000e+06
        (4e-4, 4, "4.0000e-04"),
        (0.0, 6, "0.000000"),
        (-0.0, 4, "-0.0000"),
    ],
)
def test_fixed_prints_the_books_decimals_and_huge_values_in_scientific_notation(
    value: float, digits: int, shown: str
) -> None:
    assert fixed(value, digits) == shown
    assert float(shown) == pytest.approx(value, rel=10**-digits, nan_ok=True)  # the same number


# --- a learning-rate scheduler, as Callback's docstring steps it ---------------------------------


def _hand_written_epochs(
    net: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], opt: Any, step_lr: Any, n: int
) -> list[float]:
    """The oracle: torch's own loop, the scheduler stepped after each epoch; its mean losses."""
    means = []
    for _ in range(n):
        total = 0.0
        for X, y in batches:
            l = nn.functional.cross_entropy(net(X), y)
            opt.zero_grad()
            l.backward()
            opt.step()
            total += float(l.detach()) * len(y)
        step_lr()
        means.append(total / sum(len(y) for _, y in batches))
    return means


@pytest.mark.parametrize("momentum", [0.0, 0.9], ids=["plain-sgd", "momentum"])
def test_the_docstrings_scheduler_callback_trains_as_a_hand_written_loop(momentum: float) -> None:
    """The example in Callback's docstring, run as printed: the same lr each epoch, the same
    parameters and losses as torch's own loop with scheduler.step() after each epoch (a plain SGD
    is streamlined by fit: the scheduler's lr must reach it too)."""
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(24, 3, generator=gen), torch.randint(0, 3, (24,), generator=gen)
    batches = [(X[i : i + 5], y[i : i + 5]) for i in range(0, 24, 5)]
    ours, theirs = nn.Linear(3, 3), nn.Linear(3, 3)
    theirs.load_state_dict(ours.state_dict())
    doc = Callback.__doc__ or ""
    code = textwrap.dedent(doc[doc.index("::\n") + 3 : doc.index("    and ``fit(")])
    updater = torch.optim.SGD(ours.parameters(), lr=0.5, momentum=momentum)
    scope: dict[str, Any] = {"torch": torch, "linearnets": linearnets, "updater": updater}
    exec(code, scope)
    history = fit(ours, batches, nn.CrossEntropyLoss(), updater, 5, callbacks=[scope["Schedule"]()])
    opt = torch.optim.SGD(theirs.parameters(), lr=0.5, momentum=momentum)
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    expected = _hand_written_epochs(theirs, batches, opt, schedule.step, 5)
    assert updater.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.125
    assert history.train_loss == pytest.approx(expected, rel=1e-6)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_reduce_lr_on_plateau_steps_on_the_metrics_fit_passes() -> None:
    """``scheduler.step(metrics.train_loss)`` sees the epoch's mean loss, as a hand-written loop's."""
    gen = torch.Generator().manual_seed(1)
    X, y = torch.randn(24, 3, generator=gen), torch.randint(0, 3, (24,), generator=gen)
    batches = [(X[i : i + 6], y[i : i + 6]) for i in range(0, 24, 6)]
    ours, theirs = nn.Linear(3, 3), nn.Linear(3, 3)
    theirs.load_state_dict(ours.state_dict())
    updater = torch.optim.SGD(ours.parameters(), lr=3.0)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(updater, patience=0, factor=0.5)

    class Schedule(Callback):
        def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
            plateau.step(metrics.train_loss)

    history = fit(ours, batches, nn.CrossEntropyLoss(), updater, 6, callbacks=[Schedule()])
    opt = torch.optim.SGD(theirs.parameters(), lr=3.0)
    their_plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    means: list[float] = []
    for _ in range(6):  # one epoch at a time: the plateau steps on the epoch's own mean loss
        means += _hand_written_epochs(theirs, batches, opt, lambda: None, 1)
        their_plateau.step(means[-1])
    assert history.train_loss == pytest.approx(means, rel=1e-6)
    assert updater.param_groups[0]["lr"] == opt.param_groups[0]["lr"] < 3.0  # it did reduce
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_fixed_switches_to_scientific_notation_from_a_million_on() -> None:
    from linearnets.training.callbacks import fixed

    assert fixed(999999.0, 4) == "999999.0000"
    assert fixed(1e6, 4) == "1.0000e+06"
    assert fixed(-1e6, 2) == "-1.00e+06"


def test_a_stream_whose_write_is_no_method_is_refused() -> None:
    from types import SimpleNamespace

    from linearnets.training.callbacks import ConsoleLogger

    with pytest.raises(UsageTypeError, match=r"^stream must be a text stream with write\(\), such as sys\.stdout, got "):  # fmt: skip
        ConsoleLogger(stream=SimpleNamespace(write="log.txt"))  # type: ignore[arg-type]


def test_a_socket_counts_as_a_pipe_for_the_lines() -> None:
    """Lines sent into a socket (a remote shell's) reach the terminal late, as a pipe's do."""
    import socket

    from linearnets.training import callbacks

    a, b = socket.socketpair()
    try:
        with a.makefile("w") as stream:
            assert callbacks._is_pipe(stream)
    finally:
        a.close(), b.close()


def test_no_bar_when_stdout_goes_into_a_pipe_and_no_stream_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`linearnets softmax | tee log` in a terminal: the lines go to sys.stdout, a pipe, so the
    bar on stderr stays off (the piped lines would land inside it)."""
    import sys

    from linearnets.training import callbacks

    r, w = os.pipe()
    with os.fdopen(w, "w") as piped:
        monkeypatch.setattr(sys, "stdout", piped)
        monkeypatch.setattr(callbacks, "_is_terminal", lambda stream: True)
        monkeypatch.setattr(callbacks, "dumb_terminal", lambda: False)
        logger = callbacks.ConsoleLogger()
        logger.on_epoch_start(epoch=1, num_batches=3)
        assert logger._bar is None
    os.close(r)


def test_curves_warn_of_missing_accuracy_once_per_run_not_again_on_a_resumed_fit() -> None:
    """A BCEWithLogitsLoss fit's 0/1 targets were called 'no class labels (a regression ...)', and
    the warning came again on a resumed fit (start_epoch > 0)."""
    X = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    y = (X[:, :1] > 0).float()
    net = nn.Linear(3, 1)
    callback = CurvesCallback(LiveCurves(mode="none"))
    run = (net, [(X, y)], nn.BCEWithLogitsLoss(), torch.optim.SGD(net.parameters(), lr=0.1))
    with pytest.warns(UserWarning) as caught:
        fit(*run, 1, test_iter=[(X, y)], callbacks=[callback])
    said = [str(w.message) for w in caught if "curves plot" in str(w.message)]
    assert (
        len(said) == 1 and "this fit reports no accuracy (its loss or targets give none)" in said[0]
    )
    assert "regression" not in said[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(*run, 2, test_iter=[(X, y)], callbacks=[callback], start_epoch=1)


def test_curves_warn_once_of_the_metrics_a_regression_fit_does_not_report() -> None:
    """LiveCurves()' book three on a regression with a test_iter drew train loss alone, without a
    word: now one warning at the first epoch names the empty lines and the metrics to pass."""
    import warnings

    X = torch.randn(200, 3, generator=torch.Generator().manual_seed(0))
    y = X @ torch.tensor([1.0, 2.0, 3.0])
    batches = [(X[i : i + 50], y[i : i + 50, None]) for i in range(0, 200, 50)]
    net = nn.Linear(3, 1)
    curves = LiveCurves(mode="none")
    with pytest.warns(UserWarning) as caught:
        fit(net, batches, nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.01), 3,
            test_iter=batches, callbacks=[CurvesCallback(curves)])  # fmt: skip
    said = [str(w.message) for w in caught if "curves plot" in str(w.message)]
    assert said == [
        "the curves plot 'train acc', 'test acc', which this fit does not report: this fit "
        "reports no accuracy (its loss or targets give none), so their lines stay empty; pass "
        "LiveCurves(metrics=('train loss', 'test loss')) to plot what it reports"
    ]
    assert caught[0].filename == __file__  # the user's line
    net = softmax_concise(num_inputs=3, num_outputs=3)
    with pytest.warns(UserWarning, match=r"^the curves plot 'test acc', which this fit does not "
                      r"report: fit was given no test_iter, so its line stays empty; pass "
                      r"LiveCurves\(metrics=\('train loss', 'train acc'\)\) to plot what it "
                      r"reports \(or pass test_iter to fit\)$"):  # fmt: skip
        fit(net, [(X, torch.tensor([0, 1, 2] * 66 + [0, 1]))], nn.CrossEntropyLoss(),
            torch.optim.SGD(net.parameters(), lr=0.01), 1,
            callbacks=[CurvesCallback(LiveCurves(mode="none", metrics=("train loss", "test acc")))])  # fmt: skip
    with warnings.catch_warnings():  # what it reports: no word
        warnings.simplefilter("error")
        fit(net, [(X, torch.tensor([0, 1, 2] * 66 + [0, 1]))], nn.CrossEntropyLoss(),
            torch.optim.SGD(net.parameters(), lr=0.01), 1,
            callbacks=[CurvesCallback(LiveCurves(mode="none", metrics=("train loss", "train acc")))])  # fmt: skip
