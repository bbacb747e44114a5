"""Where a softmax run's figures are drawn: a plotting process for files, in-process otherwise."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import linearnets.plotting.background
from linearnets.config import SoftmaxConfig
from linearnets.plotting.background import PlotProcess
from linearnets.tasks.reports import plot_process
from linearnets.tasks.softmax import run_softmax

from ._remove_folder import remove_run_folder

REAL_DATA = Path("/usr/share/datasets/fashion-mnist")
FIGURES = ("curves.png", "curves.svg", "confusion.png", "predictions.png")
# the book's text labels (D2L §3.5.1), in class order
BOOK_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
               "bag", "ankle boot"]  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
@pytest.mark.parametrize("plot", ["auto", "file"])
def test_files_get_a_plotting_process(plot: str) -> None:
    plotter = plot_process(SoftmaxConfig(plot=plot))
    assert isinstance(plotter, PlotProcess)
    plotter.close()


def test_no_plots_no_process() -> None:
    assert plot_process(SoftmaxConfig(plot="none")) is None


def test_a_notebook_draws_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("linearnets.plotting._live_output.in_notebook", lambda: True)
    assert plot_process(SoftmaxConfig(plot="auto")) is None


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)")
def test_without_fork_the_figures_are_drawn_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    import linearnets.plotting.images

    monkeypatch.setattr(linearnets.plotting.background, "start_plot_process", lambda: None)
    started = []
    monkeypatch.setattr(PlotProcess, "__init__", lambda self: started.append(self))
    grids: list[list[str]] = []
    real_plot = linearnets.plotting.images.plot_predictions

    def recorded(images: Any, true: Any, pred: Any, **kwargs: Any) -> None:
        grids.append(list(true))
        real_plot(images, true, pred, **kwargs)

    monkeypatch.setattr(linearnets.plotting.images, "plot_predictions", recorded)
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(epochs=1, plot="file", num_threads=1, device="cpu", out=out))
    assert started == []  # no process: everything below was drawn here
    for name in FIGURES:
        assert (out / name).stat().st_size > 1000, name
    # the grid shows the first 12 test images, titled with their labels read here from the file
    with gzip.open(REAL_DATA / "t10k-labels-idx1-ubyte.gz") as f:
        first = list(f.read(8 + 12)[8:])
    assert grids == [[BOOK_LABELS[i] for i in first]]


def _features_file(path: Path) -> Path:
    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 3, size=60)
    np.savez(path, X=X, y=y, X_test=X[:20], y_test=y[:20])
    return path


def test_a_run_on_features_draws_no_image_grid(tmp_path: Path) -> None:
    """--data rows are not images: the confusion matrix is drawn, the prediction grid is not."""
    out = tmp_path / "run"
    config = SoftmaxConfig(data=_features_file(tmp_path / "d.npz"), epochs=1, plot="file", out=out)
    run_softmax(config)
    assert (out / "confusion.png").stat().st_size > 1000
    assert (out / "curves.png").is_file() and (out / "per_class.txt").is_file()
    assert (out / "curves.svg").stat().st_size > 1000  # the plotting process draws both formats
    assert not (out / "predictions.png").exists()


def test_a_bad_mplbackend_does_not_stop_a_run_that_draws_nothing(tmp_path: Path) -> None:
    """In a fresh process, where the bad backend would fail matplotlib's import."""
    import os
    import subprocess

    data, out = _features_file(tmp_path / "d.npz"), tmp_path / "run"
    cmd = [sys.executable, "-m", "linearnets", "softmax", "--data", str(data), "--epochs", "1"]
    env = dict(os.environ, MPLBACKEND="no_such_backend")
    proc = subprocess.run(
        [*cmd, "--plot", "none", "--out", str(out)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "results.json").is_file()


def test_a_resumed_run_redraws_the_epochs_before_the_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The curves of a resumed run start at epoch 1, not at the first epoch trained after it."""
    import linearnets.tasks.training_run
    from linearnets.tasks.resume import resume_softmax
    from linearnets.training.callbacks import CurvesCallback

    drawn: list[int] = []

    class Recording(CurvesCallback):
        def on_epoch_end(self, *, metrics: Any) -> None:
            drawn.append(metrics.epoch)
            super().on_epoch_end(metrics=metrics)

    out = tmp_path / "run"
    data = _features_file(tmp_path / "d.npz")
    run_softmax(SoftmaxConfig(data=data, epochs=1, plot="file", out=out))
    monkeypatch.setattr(linearnets.tasks.training_run, "CurvesCallback", Recording)
    resume_softmax(out, epochs=3)
    assert drawn == [1, 2, 3]
    assert (out / "curves.png").stat().st_size > 1000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")
def test_a_run_that_fails_closes_its_plotting_process_and_keeps_the_figures_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A divergence after epoch 1: the curves drawn are on disk and no plotting child is left."""
    import multiprocessing

    from linearnets.errors import DivergenceError
    from linearnets.tasks.resume import resume_softmax

    started: list[PlotProcess] = []
    real_start = linearnets.plotting.background.start_plot_process

    def recording() -> PlotProcess | None:
        plotter = real_start()
        if plotter is not None:
            started.append(plotter)
        return plotter

    monkeypatch.setattr(linearnets.plotting.background, "start_plot_process", recording)
    out = tmp_path / "run"
    data = _features_file(tmp_path / "d.npz")
    run_softmax(SoftmaxConfig(data=data, epochs=1, plot="file", out=out))
    (out / "curves.png").unlink()  # the resume redraws epoch 1 before it trains epoch 2
    with pytest.raises(DivergenceError, match=r"training diverged (at|in) epoch [23]"):
        resume_softmax(out, epochs=3, lr=1e4, force=True)
    assert len(started) == 2  # the run's and the resume's
    assert all(p._closed and p._process.exitcode is not None for p in started)
    assert not [c for c in multiprocessing.active_children() if c.name == "linearnets-plots"]
    assert (out / "curves.png").stat().st_size > 1000  # epoch 1, drawn before the blow-up


def _write_results(run: Path, num_classes: int) -> None:
    import json

    run.mkdir(exist_ok=True)
    per_class = {f"c{i}": 0.5 for i in range(num_classes)}
    (run / "results.json").write_text(json.dumps({"per_class_acc": per_class}))


REPORTS = ["per_class.txt", "confusion.pt"]  # with a test set, whatever the plot setting


@pytest.mark.parametrize(
    ("plot", "data", "num_classes", "expected"),
    [
        ("none", None, 10, REPORTS),
        ("file", None, 10, [*REPORTS, "curves.png", "curves.svg", "confusion.png", "predictions.png"]),
        ("auto", "d.npz", 3, [*REPORTS, "curves.png", "curves.svg", "confusion.png"]),  # no image grid
        ("file", "d.npz", 0, ["curves.png", "curves.svg"]),  # no test set: no reports
        ("none", "d.npz", 0, []),
        ("file", "d.npz", 200, [*REPORTS, "curves.png", "curves.svg", "confusion.png"]),
        ("file", "d.npz", 201, [*REPORTS, "curves.png", "curves.svg"]),  # too many classes to draw
    ],
)  # fmt: skip
def test_missing_reports_are_those_the_run_writes(
    tmp_path: Path, plot: str, data: str | None, num_classes: int, expected: list[str]
) -> None:
    from linearnets.tasks.reports import missing_reports

    config = SoftmaxConfig(plot=plot, data=None if data is None else tmp_path / data)
    _write_results(tmp_path, num_classes)
    assert missing_reports(config, tmp_path) == expected
    for name in expected:
        (tmp_path / name).write_bytes(b"x")
    assert missing_reports(config, tmp_path) == []


def _run_of_classes(tmp_path: Path, C: int) -> Path:
    """Train one epoch on noise of ``C`` classes, two examples each (the test set: one each), with
    the figures drawn to files; return the run folder."""
    import numpy as np

    rng = np.random.default_rng(0)
    y = np.arange(2 * C) % C
    X = rng.normal(size=(2 * C, 4)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X[:C], y_test=y[:C])
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="file", out=out))
    return out


def test_a_run_of_too_many_classes_skips_the_confusion_figure_and_says_so(tmp_path: Path) -> None:
    """201 classes: no confusion.png (it took 76 s and 4.6 GB at 200 before), the table says why,
    and confusion.pt keeps every count."""
    import torch

    C = 201
    out = _run_of_classes(tmp_path, C)
    assert not (out / "confusion.png").exists() and (out / "curves.png").is_file()
    table = (out / "per_class.txt").read_text()
    assert table.rstrip().endswith(
        "no confusion.png: 201 classes are more than the 200 a heatmap can show; confusion.pt "
        "holds the whole matrix (torch.load)"
    )
    matrix = torch.load(out / "confusion.pt")
    assert matrix.shape == (C, C) and int(matrix.sum()) == C  # every test example counted


def test_a_confusion_matrix_on_a_full_disk_names_the_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The matrix (a tensor; checkpoints and weights are dicts) fails as torch's zip writer does on
    a full disk: the run's error names confusion.pt and the --resume that writes it again."""
    import re
    import shutil

    import torch

    from linearnets.errors import RunFileError

    real_save = torch.save

    def full_for_tensors(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(obj, torch.Tensor):
            raise RuntimeError("[enforce fail at inline_container.cc:588] . open file failed")
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", full_for_tensors)
    usage = shutil.disk_usage(tmp_path)._replace(free=100 << 20)  # not full: the error is named
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage)
    out = tmp_path / "run"
    config = SoftmaxConfig(data=_features_file(tmp_path / "d.npz"), epochs=1, plot="none", out=out)
    with pytest.raises(RunFileError, match=rf"^{re.escape(str(out / 'confusion.pt'))} could not be written: \[enforce fail at inline_container.cc:588\] . open file failed; the checkpoint of the run's last finished epoch is kept: fix that and continue it with linearnets\.resume_softmax\('{re.escape(str(out))}'\)$"):  # fmt: skip
        run_softmax(config)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert not (out / "results.json").exists()  # the run is not shown finished


def test_a_bad_mplbackend_names_plot_in_either_words(tmp_path: Path) -> None:
    """From Python "or pass --plot none" named an option: the setting is plot='none'. The command
    prints --plot none, as it did. In fresh processes, where the bad backend fails the import."""
    import os
    import subprocess

    env = dict(os.environ, MPLBACKEND="no_such_backend")
    code = (
        "from linearnets.config import SoftmaxConfig\n"
        "from linearnets.tasks.reports import check_backend\n"
        "try:\n"
        "    check_backend(SoftmaxConfig(plot='file'))\n"
        "except Exception as exc:\n"
        "    print(exc)\n"
    )
    said = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    fixes = "unset it, set MPLBACKEND=Agg to draw into files, or pass {}"
    first = "MPLBACKEND must name a matplotlib backend, got 'no_such_backend'; "
    assert said == first + fixes.format("plot='none'") + "\n"
    data, out = _features_file(tmp_path / "d.npz"), tmp_path / "run"
    cmd = [sys.executable, "-m", "linearnets", "softmax", "--data", str(data), "--epochs", "1"]
    proc = subprocess.run(
        [*cmd, "--plot", "file", "--out", str(out)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 2
    assert proc.stderr == f"linearnets softmax: error: {first}{fixes.format('--plot none')}\n"


def test_an_mplbackend_naming_a_missing_module_stops_the_command_before_it_runs(
    tmp_path: Path,
) -> None:
    """It ran and drew the files: only pyplot would have imported the module, and no figure of a
    run goes through it. Refused as MPLBACKEND=bogus is, exit 2 and one line."""
    import os
    import subprocess

    env = dict(os.environ, MPLBACKEND="module://nope")
    data, out = _features_file(tmp_path / "d.npz"), tmp_path / "run"
    cmd = [sys.executable, "-m", "linearnets", "softmax", "--data", str(data), "--epochs", "1"]
    proc = subprocess.run(
        [*cmd, "--plot", "file", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "linearnets softmax: error: MPLBACKEND must name a matplotlib backend, got "
        "'module://nope', whose module 'nope' cannot be imported; unset it, set MPLBACKEND=Agg "
        "to draw into files, or pass --plot none\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("results", [None, "{not json", "[1, 2]"])
def test_an_unreadable_results_json_expects_every_report_and_figure(
    tmp_path: Path, results: str | None
) -> None:
    """Missing, damaged, or JSON of another shape (a list has no .get): the resume writes them all;
    and a folder named as a figure is no figure."""
    from linearnets.tasks.reports import missing_reports

    if results is not None:
        (tmp_path / "results.json").write_text(results)
    everything = [*REPORTS, "curves.png", "curves.svg", "confusion.png", "predictions.png"]
    assert missing_reports(SoftmaxConfig(plot="file"), tmp_path) == everything
    for name in everything:
        (tmp_path / name).mkdir()
    assert missing_reports(SoftmaxConfig(plot="file"), tmp_path) == everything


@pytest.mark.parametrize(("num_classes", "plot"), [(3, "file"), (4, "file"), (4, "none")])
def test_the_confusion_figure_is_drawn_up_to_max_drawn_classes_and_its_absence_told_if_plotted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, num_classes: int, plot: str
) -> None:
    """At MAX_DRAWN_CLASSES classes (3 here) it is drawn; one more, the table says why it is not,
    unless no figure was asked for (plot='none'): then there is nothing to explain."""
    import numpy as np

    import linearnets.plotting.confusion

    monkeypatch.setattr(linearnets.plotting.confusion, "MAX_DRAWN_CLASSES", 3)
    rng = np.random.default_rng(0)
    y = np.arange(40) % num_classes
    X = rng.normal(size=(40, 2)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X[:20], y_test=y[:20])
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot=plot, out=out))
    table = (out / "per_class.txt").read_text()
    told = (
        f"no confusion.png: {num_classes} classes are more than the 3 a heatmap can show; "
        "confusion.pt holds the whole matrix (torch.load)"
    )
    assert (out / "confusion.png").is_file() == (plot == "file" and num_classes == 3)
    assert table.rstrip().endswith(told) == (plot == "file" and num_classes == 4)
    assert "no confusion.png" not in table or table.rstrip().endswith(told)


def test_the_live_curves_never_make_the_run_folder_again(tmp_path: Path) -> None:
    """The curves are drawn into the run's folder, which exists: one removed while the run trains
    is not made again holding curves.png alone (make_out_dir=False); drawing into it is refused,
    said as a checkpoint's write says it (not as an out_dir the run's user never passed)."""
    from linearnets.errors import RunFileError
    from linearnets.plotting import LiveCurves
    from linearnets.tasks.reports import live_curves

    run_dir = tmp_path / "run"
    curves = live_curves(SoftmaxConfig(plot="file", epochs=2), run_dir, None)
    assert isinstance(curves, LiveCurves)
    with pytest.raises(RunFileError) as info:
        curves.update(1, {"train loss": 1.0, "train acc": 0.5, "test acc": 0.5})
    assert str(info.value) == folder_gone(run_dir / "curves.png")
    assert list(tmp_path.iterdir()) == []
    run_dir.mkdir()  # the folder there: the same curves draw into it
    curves.update(1, {"train loss": 1.0, "train acc": 0.5, "test acc": 0.5})
    assert sorted(p.name for p in run_dir.iterdir()) == ["curves.png"]


def test_a_sparse_confusion_matrix_is_told_as_such(tmp_path: Path) -> None:
    """Past MAX_DENSE_CLASSES (1024) classes confusion.pt holds a sparse tensor of the nonzero
    cells: the table's note says so, as torch.load gives it."""
    import torch

    from linearnets.plotting.confusion import MAX_DENSE_CLASSES

    C = MAX_DENSE_CLASSES + 1
    out = _run_of_classes(tmp_path, C)
    table = (out / "per_class.txt").read_text()
    assert table.rstrip().endswith(
        "no confusion.png: 1025 classes are more than the 200 a heatmap can show; confusion.pt "
        "holds the whole matrix (torch.load; a sparse tensor of the nonzero cells)"
    )
    matrix = torch.load(out / "confusion.pt")
    assert matrix.is_sparse and matrix.shape == (C, C)
    assert int(matrix.to_dense().sum()) == C  # every test example counted


@pytest.mark.parametrize("resize", [None, 14], ids=["features", "images-resized"])
def test_rank_0_of_a_data_parallel_run_reports_on_the_whole_test_set(
    tmp_path: Path, resize: int | None
) -> None:
    """Its test loader yields rank 0's shard (rows 0, 2 of each batch); the per-class table and
    confusion.pt count every test example, in the test set's order, once, at the run's resize."""
    from types import SimpleNamespace

    import torch

    from linearnets.data.loader import ArrayLoader
    from linearnets.tasks.reports import write_reports
    from linearnets.training.distributed import DistContext

    gen = torch.Generator().manual_seed(0)
    if resize is None:
        X = torch.randn(9, 3, generator=gen)
    else:  # 28×28 images, which the run's model takes as 14×14
        X = torch.randint(0, 256, (9, 28, 28), dtype=torch.uint8, generator=gen)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 0, 1])
    shard = ArrayLoader(X, y, 4, shuffle=False, resize=resize, rank=0, world_size=2)
    assert sum(len(b) for _, b in shard) == 5  # the shard alone
    # the whole set as one process reads it: 9 examples, in order (resized, for images)
    whole = torch.cat([b for b, _ in ArrayLoader(X, y, 4, shuffle=False, resize=resize)])
    assert whole.shape == ((9, 3) if resize is None else (9, 1, 14, 14))
    seen: list[torch.Tensor] = []

    def model(batch: torch.Tensor) -> torch.Tensor:  # predicts class 0 for every example
        seen.append(batch)
        return torch.zeros(batch.shape[0], 3).index_fill_(1, torch.tensor([0]), 1.0)

    exp = SimpleNamespace(
        model=model,
        classes=["a", "b", "c"],
        test_iter=shard,
        dist=DistContext(rank=0, world_size=2),
        config=SimpleNamespace(
            data=None if resize else tmp_path / "d.npz", batch_size=4, resize=resize
        ),
    )
    accuracy = write_reports(exp, tmp_path, plots=False, plotter=None)  # type: ignore[arg-type]
    assert torch.equal(torch.cat(seen), whole)  # every example, in order, once
    matrix = torch.load(tmp_path / "confusion.pt")
    assert matrix.tolist() == [[4, 0, 0], [3, 0, 0], [2, 0, 0]]
    assert accuracy == [1.0, 0.0, 0.0]


def test_rank_0_reports_on_the_whole_test_set_in_batches_no_larger_than_a_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data-parallel run is taken when each process's share of a batch fits in 2 GiB; rank 0
    then read the whole test set in global batches, twice its share, refused once training was
    over. Here 2 GiB is three 28x28 float32 images: the shards (rows 0, 2, 4 / 1, 3, 5 of each
    batch of 6) fit; rank 0's report counts every example once, in batches of 3."""
    from types import SimpleNamespace

    import torch

    from linearnets.data import loader as loader_module
    from linearnets.data.loader import ArrayLoader
    from linearnets.errors import UsageError
    from linearnets.tasks.reports import write_reports
    from linearnets.training.distributed import DistContext

    monkeypatch.setattr(loader_module, "MAX_BATCH_BYTES", 3 * 28 * 28 * 4)
    X = torch.randint(0, 256, (9, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))  # fmt: skip
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 0, 1])
    shards = [ArrayLoader(X, y, 6, shuffle=False, resize=14, rank=r, world_size=2) for r in (0, 1)]
    with pytest.raises(UsageError, match=r"got batch_size=6: 6 images of 28×28 pixels"):
        ArrayLoader(X, y, 6, shuffle=False, resize=14)  # a whole batch in one process
    sizes: list[int] = []

    def model(batch: torch.Tensor) -> torch.Tensor:  # predicts class 0 for every example
        sizes.append(batch.shape[0])
        return torch.zeros(batch.shape[0], 3).index_fill_(1, torch.tensor([0]), 1.0)

    exp = SimpleNamespace(
        model=model,
        classes=["a", "b", "c"],
        test_iter=shards[0],
        dist=DistContext(rank=0, world_size=2),
        config=SimpleNamespace(data=None, batch_size=6, resize=14),
    )
    accuracy = write_reports(exp, tmp_path, plots=False, plotter=None)  # type: ignore[arg-type]
    most = max(len(b) for shard in shards for _, b in shard)  # the shards' largest batch
    assert sizes == [most] * 3 and sum(sizes) == len(y)
    matrix = torch.load(tmp_path / "confusion.pt")
    counts = torch.bincount(y, minlength=3)  # every example predicted class 0, counted once
    assert matrix.tolist() == [[int(c), 0, 0] for c in counts]
    assert accuracy == [1.0, 0.0, 0.0]


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="needs the real Fashion-MNIST (Debian package)")
@pytest.mark.parametrize("fork", [True, False], ids=["plotting process", "in process"])
def test_a_run_folder_removed_as_the_run_ends_is_not_made_again_by_its_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    """The confusion matrix and the prediction grid made the folder again, holding them alone;
    results.json was then written there, and the run said its other files were saved (the CLI
    exited 0). Removed after its last report file, the folder is said gone, as a checkpoint's
    write says it, and nothing is written where it was."""
    import linearnets.tasks.reports
    from linearnets.errors import RunFileError

    if not fork:  # as in a notebook, or where no process can be forked
        monkeypatch.setattr(linearnets.plotting.background, "start_plot_process", lambda: None)
    out = tmp_path / "run"
    real_save = linearnets.tasks.reports.save_run_file

    def save_then_remove(path: Path, obj: Any) -> None:  # confusion.pt, the last file but figures
        real_save(path, obj)
        remove_run_folder(out)

    monkeypatch.setattr(linearnets.tasks.reports, "save_run_file", save_then_remove)
    config = SoftmaxConfig(epochs=1, plot="file", num_threads=1, device="cpu", out=out)
    with pytest.raises(RunFileError) as info:
        run_softmax(config)
    # the plotting process's figures fail, then results.json is refused; here the first figure
    name = "results.json" if fork else "confusion.png"
    assert str(info.value) == folder_gone(out / name)
    assert not out.exists()


@pytest.mark.parametrize("fork", [True, False], ids=["plotting process", "in process"])
def test_a_run_folder_removed_in_the_last_epoch_is_said_gone_not_an_out_dir_to_make_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    """Drawn in process, the curves' SVG, drawn as training ends, said 'out_dir must be a folder
    that exists ...; make it again', naming a setting the run's user never passed; it is said gone
    as a checkpoint's write says it, as the plotting process's run says it."""
    import numpy as np

    from linearnets.errors import RunFileError
    from linearnets.training.callback_base import Callback

    if not fork:  # as in a notebook, or where no process can be forked
        monkeypatch.setattr(linearnets.plotting.background, "start_plot_process", lambda: None)
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(130, 4)).astype(np.float32), rng.integers(0, 3, size=130)
    data = tmp_path / "d.npz"
    np.savez(data, X=X[:100], y=y[:100], X_test=X[100:], y_test=y[100:])
    out = tmp_path / "run"

    class RemoveInTheLastEpoch(Callback):
        def on_epoch_end(self, *, metrics: Any) -> None:
            if metrics.epoch == 2:
                remove_run_folder(out)

    config = SoftmaxConfig(
        data=data, plot="file", batch_size=16, num_threads=1, device="cpu", epochs=2, out=out
    )
    with pytest.raises(RunFileError) as info:
        run_softmax(config, callbacks=[RemoveInTheLastEpoch()])
    # the first file written after: the final weights there, the SVG drawn at the end here
    name = "model.pt" if fork else "curves.svg"
    assert str(info.value) == folder_gone(out / name)
    assert not out.exists()


def folder_gone(path: Path) -> str:
    """What a run says of ``path`` written after its folder was removed, as a checkpoint's write."""
    return (
        f"{path} could not be written: the run folder {path.parent} is gone (removed or moved "
        "while the run trained), and its checkpoints with it; start the run again (a folder "
        "moved elsewhere holds the checkpoints up to then: resume it there)"
    )
