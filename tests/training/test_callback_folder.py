"""A writer of yours given the run's own folder (training/callback_folder.py's check_apart_from_run).

A ``MetricsWriter`` passed in ``callbacks=`` with the run's ``out`` wrote every epoch's row twice in
``metrics.csv`` and ``metrics.jsonl``; a ``CheckpointCallback`` there replaced the run's
``checkpoint.pt``. Each is refused before the folder is claimed, in runs and resumes of both
tasks, the folder as it was found; a writer of yours in the run folder under names of its own
trains.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.errors import UsageError
from linearnets.plotting.live import LiveCurves
from linearnets.tasks.linreg import run_linreg
from linearnets.tasks.linreg_resume import resume_linreg
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.callbacks import CurvesCallback
from linearnets.training.checkpoint import CheckpointCallback
from linearnets.training.metrics_files import MetricsWriter

_TWICE = "each epoch's row would be written twice"
_REPLACED = "yours would replace the run's, which its resume reads"
_FIGURE = "yours would replace the run's figure with your curves' lines"


def _refusal(index: int, cls: str, files: str, folder: Path, clash: str, them: str) -> str:
    return (
        f"callbacks[{index}], a {cls}, writes {files} in {folder}, the run folder, where the run "
        f"writes {them} itself: {clash}; leave it out of callbacks= (the run keeps its own "
        "there), or give it another folder"
    )


def _npz(path: Path) -> Path:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    np.savez(path, X=X, y=rng.integers(0, 3, 64))
    return path


def _softmax(out: Path, data: Path, epochs: int = 1) -> SoftmaxConfig:
    return SoftmaxConfig(
        epochs=epochs, batch_size=16, data=data, out=out, plot="none", device="cpu"
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _no_state() -> dict[str, Any]:
    raise AssertionError("never called: the run is refused before it trains")


def test_a_metrics_writer_of_yours_on_a_new_linreg_runs_folder_is_refused(tmp_path: Path) -> None:
    """It wrote each epoch twice (rows 1, 1, 2, 2 in metrics.csv); the folder stays empty."""
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(UsageError) as caught:
        run_linreg(LinregConfig(epochs=2, out=out), callbacks=[MetricsWriter(out)])
    assert str(caught.value) == _refusal(
        0, "MetricsWriter", "metrics.jsonl and metrics.csv", out, _TWICE, "them"
    )
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("spelled", ["link", "dot_dot"])
def test_the_run_folder_named_another_way_is_the_run_folder(tmp_path: Path, spelled: str) -> None:
    """A link to the run folder, or a path through ``..``, names the same folder: refused too,
    the folder never made (the run's out does not exist yet)."""
    out = tmp_path / "run"
    if spelled == "link":
        (tmp_path / "alias").symlink_to(out, target_is_directory=True)  # dangling until made
        given = tmp_path / "alias"
    else:
        (tmp_path / "sub").mkdir()
        given = tmp_path / "sub" / ".." / "run"
    writer = CheckpointCallback(given, get_state=_no_state)
    with pytest.raises(UsageError) as caught:
        run_linreg(LinregConfig(epochs=1, out=out), callbacks=[MetricsWriter(tmp_path), writer])
    assert str(caught.value) == _refusal(
        1, "CheckpointCallback", "checkpoint.pt", given, _REPLACED, "it"
    )
    assert not out.exists()


def test_a_writer_of_yours_in_the_run_folder_under_its_own_names_trains(tmp_path: Path) -> None:
    """Names of yours beside the run's: both files hold each epoch once, the same rows."""
    out = tmp_path / "run"
    mine = MetricsWriter(out)
    mine.jsonl, mine.csv = out / "mine.jsonl", out / "mine.csv"
    out.mkdir()
    run_linreg(LinregConfig(epochs=2, out=out), callbacks=[mine])
    with (out / "metrics.csv").open() as f:
        ours = list(csv.DictReader(f))
    with (out / "mine.csv").open() as f:
        yours = list(csv.DictReader(f))
    assert [row["epoch"] for row in ours] == ["1", "2"]
    assert [row["train_loss"] for row in yours] == [row["train_loss"] for row in ours]


def test_a_writer_of_yours_on_a_new_softmax_runs_folder_is_refused(tmp_path: Path) -> None:
    out, data = tmp_path / "run", _npz(tmp_path / "d.npz")
    with pytest.raises(UsageError) as caught:
        run_softmax(_softmax(out, data), callbacks=[CheckpointCallback(out, get_state=_no_state)])
    assert str(caught.value) == _refusal(
        0, "CheckpointCallback", "checkpoint.pt", out, _REPLACED, "it"
    )
    assert not out.exists()


def test_a_writer_of_yours_on_a_resumed_runs_folder_is_refused_its_files_unchanged(
    tmp_path: Path,
) -> None:
    """Both tasks' resumes: refused before config.json records the resume; every file as it was."""
    data = _npz(tmp_path / "d.npz")
    soft, lin = tmp_path / "soft", tmp_path / "lin"
    run_softmax(_softmax(soft, data))
    run_linreg(LinregConfig(epochs=1, out=lin))
    for run, resume in ((soft, resume_softmax), (lin, resume_linreg)):
        before = _files(run)
        with pytest.raises(UsageError) as caught:
            resume(run, epochs=2, callbacks=[MetricsWriter(run)])
        assert str(caught.value) == _refusal(
            0, "MetricsWriter", "metrics.jsonl and metrics.csv", run, _TWICE, "them"
        )
        assert _files(run) == before


def test_a_subclass_that_sets_none_of_the_paths_trains(tmp_path: Path) -> None:
    """A MetricsWriter subclass with its own __init__ (no jsonl, csv) failed with a bare
    AttributeError ('MyWriter' object has no attribute 'jsonl') where it trained before."""
    seen: list[int] = []

    class MyWriter(MetricsWriter):
        def __init__(self, where: Path) -> None:
            self.where = where

        def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
            pass

        def on_epoch_end(self, *, metrics: Any) -> None:
            seen.append(metrics.epoch)

    class MyCheckpoint(CheckpointCallback):
        def __init__(self) -> None:
            self.path = None  # no path: not looked at

        def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
            pass

        def on_epoch_end(self, *, metrics: Any) -> None:
            pass

    out = tmp_path / "run"
    run_linreg(LinregConfig(epochs=2, out=out), callbacks=[MyWriter(out), MyCheckpoint()])
    assert seen == [1, 2]


def test_the_refusal_names_the_folder_of_the_file_that_clashes(tmp_path: Path) -> None:
    """Its csv alone moved into the run folder: the message named the jsonl's folder as the run's."""
    out, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    mine = MetricsWriter(elsewhere)
    mine.csv = out / "metrics.csv"
    with pytest.raises(UsageError) as caught:
        run_linreg(LinregConfig(epochs=1, out=out), callbacks=[mine])
    assert str(caught.value) == _refusal(0, "MetricsWriter", "metrics.csv", out, _TWICE, "it")


def test_the_clash_is_with_the_files_the_task_writes(tmp_path: Path) -> None:
    """A CheckpointCallback of yours writing model.pt: a softmax run writes its weights there
    (refused), a linear-regression run writes none (it trains, the file yours)."""
    data, soft, lin = _npz(tmp_path / "d.npz"), tmp_path / "soft", tmp_path / "lin"
    with pytest.raises(UsageError) as caught:
        mine = CheckpointCallback(soft, get_state=_no_state)
        mine.path = soft / "model.pt"
        run_softmax(_softmax(soft, data), callbacks=[mine])
    assert str(caught.value) == _refusal(0, "CheckpointCallback", "model.pt", soft, _REPLACED, "it")
    state = {"model_state": {}, "optimizer_state": {}, "generators_state": {}, "history": []}
    mine = CheckpointCallback(lin, get_state=lambda: {**state, "config": {}})
    mine.path = lin / "model.pt"
    lin.mkdir()
    run_linreg(LinregConfig(epochs=2, out=lin), callbacks=[mine])
    assert mine.last_epoch == 2 and (lin / "model.pt").is_file()


def test_the_refusal_leaves_no_cycle_keeping_the_runs_frames_alive(tmp_path: Path) -> None:
    """Raised from a local, the refusal held its own traceback and so the frame holding it: the
    run's frames (its config, callbacks, in a process group its state) outlived the call until the
    garbage collector ran. With the collector off, the error is freed once it is let go."""
    import gc
    import weakref

    config = _softmax(tmp_path / "run", _npz(tmp_path / "d.npz"))
    held = None
    gc.disable()
    try:
        try:
            run_softmax(config, callbacks=[MetricsWriter(tmp_path / "run")])
        except UsageError as exc:
            held = weakref.ref(exc)
        assert held is not None, "the writer was not refused"
        assert held() is None, "the refusal outlived its handler: a reference cycle holds it"
    finally:
        gc.enable()


def test_curves_of_yours_drawn_in_the_run_folder_are_refused(tmp_path: Path) -> None:
    """A LiveCurves with out_dir the run folder silently replaced the run's curves.png and
    curves.svg with its own lines (only "train loss"); refused, in a run and in its resume, the
    folder as it was found."""
    out, data = tmp_path / "run", _npz(tmp_path / "d.npz")
    mine = LiveCurves(out_dir=out, metrics=("train loss",), mode="file")
    with pytest.raises(UsageError) as caught:
        run_softmax(_softmax(out, data), callbacks=[CurvesCallback(mine)])
    # a plot="none" run draws no curves: where it would with plotting on, its or a resume's
    assert str(caught.value) == (
        f"callbacks[0], a CurvesCallback, writes curves.png and curves.svg in {out}, the run "
        "folder, where the run draws them itself whenever plotting is on (its plot, or a later "
        f"resume's): {_FIGURE}; leave it out of callbacks= (the run keeps its own there), or give "
        "it another folder"
    )
    assert not out.exists()
    run_softmax(_softmax(out, data))
    before = _files(out)
    with pytest.raises(UsageError, match=r"^callbacks\[1\], a CurvesCallback, writes curves\.png "):
        resume_softmax(out, epochs=2, callbacks=[MetricsWriter(tmp_path), CurvesCallback(mine)])
    assert _files(out) == before


def test_curves_of_yours_elsewhere_or_drawing_no_files_train(tmp_path: Path) -> None:
    """Curves in another folder, curves in mode "none" (no files), and curves in a linear
    regression's folder (that run draws none) are yours: each trains."""
    data, soft, lin = _npz(tmp_path / "d.npz"), tmp_path / "soft", tmp_path / "lin"
    elsewhere = LiveCurves(out_dir=tmp_path / "mine", metrics=("train loss",), mode="file")
    silent = LiveCurves(mode="none", metrics=("train loss",))
    run_softmax(_softmax(soft, data), callbacks=[CurvesCallback(elsewhere), CurvesCallback(silent)])
    assert (tmp_path / "mine" / "curves.png").is_file()
    lin.mkdir()
    drawn = LiveCurves(out_dir=lin, metrics=("train loss",), mode="file")
    run_linreg(LinregConfig(epochs=2, out=lin), callbacks=[CurvesCallback(drawn)])
    assert (lin / "curves.png").is_file()
