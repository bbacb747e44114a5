"""What a resume leaves in the run folder: no file shows a model other than the one the run ends with.

A resume that trains removes the figures ``linearnets predict`` drew from the weights before it
(and says so); one that trains nothing keeps them. The oracle of the real-data test is a run never
stopped: its figures, byte for byte.
"""

from __future__ import annotations

import shlex
import warnings
from pathlib import Path

import numpy as np
import pytest

from linearnets.cli import main
from linearnets.config import SoftmaxConfig
from linearnets.errors import LinearnetsError, ResumeWarning
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax

PNG = b"\x89PNG\r\n\x1a\n"


def _data(path: Path) -> Path:
    """100 training and 30 test rows of 4 features, 3 classes."""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(130, 4)).astype(np.float32), rng.integers(0, 3, size=130)
    np.savez(path, X=X[:100], y=y[:100], X_test=X[100:], y_test=y[100:])
    return path


def _base(data: Path) -> dict[str, object]:
    return {"data": data, "plot": "none", "batch_size": 16, "num_threads": 1, "device": "cpu"}


def _drawn_by_predict(run: Path, *ns: int) -> None:
    """Stand-ins for ``linearnets predict RUN -n N``'s figures (predict draws Fashion-MNIST only)."""
    for n in ns:
        (run / f"predict-{n}.png").write_bytes(PNG + bytes([n]))


def _not_predicts(run: Path, tmp_path: Path) -> dict[str, bytes]:
    """Files and a folder named like predict's figures but not among them; return the files'
    contents."""
    names = ["predict-06.png", "predict-0.png", "predict-101.png", "predict-6.png.bak",
             "predict-x.png", "my-predict-6.png", "predict-6.gif", "predict-.png",
             "predict-wrong-0.png", "predict-wrong-101.png", "predict-wrong.png",
             "predict-wrong-6.jpg", "my-predict-wrong-6.png", "predict-6.svg.bak"]  # fmt: skip
    for name in names:
        (run / name).write_bytes(name.encode())
    (run / "predict-7.png").mkdir()  # a folder
    (tmp_path / "mine.png").write_bytes(b"mine")
    (run / "predict-8.png").symlink_to(tmp_path / "mine.png")  # a link: not predict's file
    return {name: name.encode() for name in names}


def test_a_resume_that_trains_removes_the_figures_predict_drew_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "my run"
    data = _data(tmp_path / "d.npz")
    run_softmax(SoftmaxConfig(**_base(data), epochs=1, out=run))
    _drawn_by_predict(run, 20, 6)
    others = _not_predicts(run, tmp_path)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    quoted = shlex.quote(str(run))
    assert capsys.readouterr().err == (
        f"linearnets: note: removed predict-6.png and predict-20.png from {run}: linearnets "
        "predict drew them from the weights before this resume (an older model than the run's); "
        f"once the run ends, draw them again with: linearnets predict {quoted} -n 6; "
        f"linearnets predict {quoted} -n 20\n"
    )
    assert not (run / "predict-6.png").exists() and not (run / "predict-20.png").exists()
    assert {name: (run / name).read_bytes() for name in others} == others  # left alone
    assert (run / "predict-7.png").is_dir() and (run / "predict-8.png").is_symlink()
    assert (tmp_path / "mine.png").read_bytes() == b"mine"
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2


def test_a_resume_that_trains_removes_the_mistakes_predict_drew_and_says_how_to_redraw_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """predict -n N --wrong's predict-wrong-N.png shows the old weights' mistakes: removed with
    predict-N.png, and the command that draws it again keeps its --wrong."""
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    _drawn_by_predict(run, 6)
    for n in (100, 6):
        (run / f"predict-wrong-{n}.png").write_bytes(PNG + bytes([n]))
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    assert capsys.readouterr().err == (
        f"linearnets: note: removed predict-6.png, predict-wrong-6.png and predict-wrong-100.png "
        f"from {run}: linearnets predict drew them from the weights before this resume (an older "
        f"model than the run's); once the run ends, draw them again with: linearnets predict "
        f"{run} -n 6; linearnets predict {run} -n 6 --wrong; linearnets predict {run} -n 100 "
        "--wrong\n"
    )
    assert sorted(p.name for p in run.iterdir() if p.name.startswith("predict")) == []


def test_a_resume_that_trains_removes_predicts_svg_and_pdf_figures_and_redraws_them_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """predict --out RUN/predict-6.svg draws the -n 6 figure as SVG (or PDF): a resume kept it,
    showing the weights before. Removed as predict-6.png is, redrawn with its --out."""
    run = tmp_path / "my run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    for name in ("predict-6.svg", "predict-wrong-20.pdf"):
        (run / name).write_bytes(name.encode())
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    quoted = shlex.quote(str(run))
    assert capsys.readouterr().err == (
        f"linearnets: note: removed predict-6.svg and predict-wrong-20.pdf from {run}: linearnets "
        "predict drew them from the weights before this resume (an older model than the run's); "
        f"once the run ends, draw them again with: linearnets predict {quoted} -n 6 --out "
        f"{shlex.quote(str(run / 'predict-6.svg'))}; linearnets predict {quoted} -n 20 --wrong "
        f"--out {shlex.quote(str(run / 'predict-wrong-20.pdf'))}\n"
    )
    assert sorted(p.name for p in run.iterdir() if p.name.startswith("predict")) == []


def test_the_api_warns_of_the_one_figure_it_removed(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    _drawn_by_predict(run, 100)  # predict's bound
    with pytest.warns(ResumeWarning) as caught:
        resume_softmax(run, epochs=2)
    assert [str(w.message) for w in caught] == [
        f"removed predict-100.png from {run}: linearnets predict drew it from the weights before "
        "this resume (an older model than the run's); once the run ends, draw it again with: "
        f"linearnets predict {run} -n 100"
    ]
    assert not (run / "predict-100.png").exists()


def test_three_removed_figures_are_listed_as_a_b_and_c(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    _drawn_by_predict(run, 12, 3, 6)
    with pytest.warns(ResumeWarning, match=r"^removed predict-3\.png, predict-6\.png and "
                      r"predict-12\.png from "):  # fmt: skip
        resume_softmax(run, epochs=2)


def test_a_resume_that_trains_nothing_keeps_the_figures_predict_drew(tmp_path: Path) -> None:
    """Stopped after its last epoch, before its summary: the weights predict read are the run's."""
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    _drawn_by_predict(run, 6)
    (run / "results.json").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no note: nothing removed
        resume_softmax(run)
    assert (run / "predict-6.png").read_bytes() == PNG + bytes([6])
    assert (run / "results.json").is_file()


def test_a_resume_without_figures_that_trains_nothing_keeps_the_runs_figures(
    tmp_path: Path,
) -> None:
    """Stopped after its last epoch, before its summary, then resumed with plot='none': the
    figures show the weights the run ends with. They were removed, and the run, complete again,
    refused any resume that could draw them back."""
    run = tmp_path / "run"
    run_softmax(
        SoftmaxConfig(**{**_base(_data(tmp_path / "d.npz")), "plot": "file"}, epochs=1, out=run)
    )
    drawn = {p.name: p.read_bytes() for p in run.iterdir() if p.suffix in (".png", ".svg")}
    assert set(drawn) == {"curves.png", "curves.svg", "confusion.png"}  # no predictions: not images
    (run / "results.json").unlink()
    resume_softmax(run, plot="none")
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.suffix in (".png", ".svg")} == drawn
    assert (run / "results.json").is_file()


def test_a_forced_start_over_removes_predicts_figures_too(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=2, out=run))
    _drawn_by_predict(run, 6)
    (run / "checkpoint.pt").unlink()
    with pytest.warns(ResumeWarning, match=r"^removed predict-6\.png from "):
        resume_softmax(run, force=True, epochs=1)
    assert not (run / "predict-6.png").exists()


def test_a_forced_start_over_without_figures_keeps_none_of_the_lost_runs(tmp_path: Path) -> None:
    """Its checkpoint lost, a 2-epoch run drawn to files is started over for 1 epoch with
    plot='none': its curves (2 epochs, another model) are gone with its other outputs."""
    run = tmp_path / "run"
    run_softmax(
        SoftmaxConfig(**{**_base(_data(tmp_path / "d.npz")), "plot": "file"}, epochs=2, out=run)
    )
    assert {"curves.png", "curves.svg", "confusion.png"} <= {p.name for p in run.iterdir()}
    (run / "checkpoint.pt").unlink()
    resume_softmax(run, force=True, epochs=1, plot="none")
    assert sorted(p.name for p in run.iterdir() if p.suffix in (".png", ".svg")) == []
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 1


def test_a_refused_resume_removes_nothing(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**_base(_data(tmp_path / "d.npz")), epochs=1, out=run))
    _drawn_by_predict(run, 6)
    with pytest.raises(LinearnetsError, match=r"lr changed from 0\.1 to 0\.5"):
        resume_softmax(run, epochs=2, lr=0.5)
    with pytest.raises(LinearnetsError, match=r"is complete"):
        resume_softmax(run)
    assert (run / "predict-6.png").read_bytes() == PNG + bytes([6])


@pytest.mark.slow
@pytest.mark.realdata
def test_after_a_resume_every_figure_is_the_uninterrupted_runs_and_predict_redraws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On Fashion-MNIST: a 1-epoch run, predict, a resume to 2 epochs, predict again. The curves
    (PNG and SVG), prediction grid and confusion matrix, and predict's figure drawn over an old
    one, are those of a 2-epoch run never stopped."""
    from linearnets.data.fashion_mnist import read_fashion_mnist

    try:
        read_fashion_mnist(None)
    except LinearnetsError as exc:
        pytest.skip(f"Fashion-MNIST not found: {exc}")
    settings = ["--threads", "1", "--seed", "0", "--plot", "file", "--device", "cpu"]
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main(["softmax", *settings, "--epochs", "2", "--out", str(whole)]) == 0
    assert main(["softmax", *settings, "--epochs", "1", "--out", str(cut)]) == 0
    assert main(["predict", str(cut), "-n", "20"]) == 0
    old = (cut / "predict-20.png").read_bytes()
    assert main(["softmax", "--resume", str(cut), "--epochs", "2"]) == 0
    assert "linearnets: note: removed predict-20.png from " in capsys.readouterr().err
    assert not (cut / "predict-20.png").exists()
    for name in ("curves.png", "curves.svg", "predictions.png", "confusion.png"):
        assert (cut / name).read_bytes() == (whole / name).read_bytes(), name
    (whole / "predict-20.png").write_bytes(old)  # predict draws over an earlier figure
    assert main(["predict", str(cut), "-n", "20"]) == 0
    assert main(["predict", str(whole), "-n", "20"]) == 0
    drawn = capsys.readouterr().out.splitlines()
    assert drawn[:20] == drawn[21:41]  # the same labels predicted
    assert (cut / "predict-20.png").read_bytes() == (whole / "predict-20.png").read_bytes()
    assert (whole / "predict-20.png").read_bytes() != old  # the 1-epoch model's: replaced


def test_a_resume_without_figures_removes_only_the_figures_a_run_draws(tmp_path: Path) -> None:
    """A run draws curves.png and .svg; a curves.pdf in its folder is the user's (exported from
    the curves, say), which --plot none once removed with the run's figures."""
    run = tmp_path / "run"
    run_softmax(
        SoftmaxConfig(**{**_base(_data(tmp_path / "d.npz")), "plot": "file"}, epochs=1, out=run)
    )
    (run / "curves.pdf").write_bytes(b"%PDF-1.4 mine")
    resume_softmax(run, epochs=2, plot="none")
    assert sorted(p.name for p in run.iterdir() if p.suffix in (".png", ".svg", ".pdf")) == [
        "curves.pdf"
    ]
    assert (run / "curves.pdf").read_bytes() == b"%PDF-1.4 mine"


def test_a_resume_stopped_after_drawing_in_process_leaves_no_svg_of_the_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn in this process (a notebook, or no fork), the curves' SVG is drawn once, as training
    ends: a resume stopped after an epoch left the earlier run's curves.svg beside a current
    curves.png. The resume that trains removes it, as it removes the other final outputs."""
    import linearnets.plotting.background
    from linearnets.training.callback_base import Callback

    class StopAfter(Callback):
        def on_epoch_end(self, *, metrics: object) -> None:
            if getattr(metrics, "epoch", 0) == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(linearnets.plotting.background, "start_plot_process", lambda: None)
    run = tmp_path / "run"
    config = SoftmaxConfig(
        **{**_base(_data(tmp_path / "d.npz")), "plot": "file"}, epochs=1, out=run
    )
    run_softmax(config)
    assert (run / "curves.svg").is_file()
    with pytest.raises(KeyboardInterrupt):
        resume_softmax(run, epochs=3, callbacks=[StopAfter()])
    assert (run / "curves.png").is_file()  # epochs 1 and 2
    assert not (run / "curves.svg").exists()
