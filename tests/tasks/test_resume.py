"""No lost work: a run stopped by a real SIGINT/SIGTERM and resumed ends bit-identical to one never stopped.

Each test starts ``python -m linearnets softmax`` as a real subprocess on the real Fashion-MNIST, waits
for the first epoch's checkpoint, sends the signal, checks the exit status (130) and the resume hint,
resumes, and compares the final weights (``torch.equal``) and every metric but the timings with an
uninterrupted run of the same settings, all at one thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets.cli import main
from linearnets.config import SoftmaxConfig
from linearnets.errors import (
    CheckpointError,
    DivergenceError,
    LinearnetsError,
    ResumeWarning,
    UsageError,
)
from linearnets.tasks import training_run
from linearnets.tasks.resume import resume_softmax
from linearnets.tasks.softmax import run_softmax
from linearnets.training.callbacks import Callback
from linearnets.training.checkpoint import load_checkpoint
from linearnets.training.interrupt import TrainingInterrupted

from ._metrics_damage import CONFIG_REWRITTEN, DAMAGES

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

SETTINGS = ["--epochs", "3", "--threads", "1", "--seed", "0", "--plot", "none", "--device", "cpu"]


@pytest.fixture(scope="module", autouse=True)
def _fashion_mnist() -> None:
    from linearnets.data.fashion_mnist import read_fashion_mnist

    try:
        read_fashion_mnist(None)
    except LinearnetsError as exc:
        pytest.skip(f"Fashion-MNIST not found: {exc}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run of the same settings, in-process."""
    out = tmp_path_factory.mktemp("reference") / "run"
    assert main(["softmax", *SETTINGS, "--out", str(out)]) == 0
    return out


def _small_npz(tmp_path: Path, *, seed: int = 0, classes: int = 3) -> Path:
    """Write ``tmp_path / "d.npz"``: 80 examples of 4 normal features in ``classes`` classes, the
    first 60 to train on and the last 20 to test on; return its path."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(80, 4)).astype(np.float32), rng.integers(0, classes, size=80)
    path = tmp_path / "d.npz"
    np.savez(path, X=X[:60], y=y[:60], X_test=X[60:], y_test=y[60:])
    return path


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", weights_only=True)["state_dict"]


def _metrics(run: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def _assert_same_run(run: Path, reference: Path) -> None:
    a, b = _weights(run), _weights(reference)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert _metrics(run) == _metrics(reference)
    assert len(_metrics(run)) == 3


def test_sigint_then_resume_from_the_command_line(
    tmp_path: Path,
    reference: Path,
    signal_at_first_checkpoint: Callable[[list[str], Path, int], tuple[int, str]],
    path_without_this_python: str,
) -> None:
    out = tmp_path / "run"
    status, err = signal_at_first_checkpoint(["softmax", *SETTINGS], out, signal.SIGINT)
    assert status == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    # mid-epoch, or (when the signal beats the epoch's last callback) right after its checkpoint
    assert re.match(
        r"linearnets softmax: interrupted by SIGINT (after batch \d+ of epoch \d|at the end of epoch \d); "
        r"the checkpoint of epoch \d is kept in ",
        lines[0],
    )
    # the command as it was started: the environment's linearnets is not on the PATH
    again = f"{shlex.quote(sys.executable)} -m linearnets softmax --resume {out}"
    assert lines[0].endswith(f"resume with: {again}")
    assert 1 <= load_checkpoint(out / "checkpoint.pt").epoch < 3
    assert not (out / "model.pt").exists()  # the run did not finish

    # the command it printed, as the user pastes it
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg", PATH=path_without_this_python)
    resumed = subprocess.run(
        [*shlex.split(lines[0].split("resume with: ")[1]), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert summary["epochs"] == 3 and summary["run_dir"] == str(out)
    _assert_same_run(out, reference)


def test_sigterm_then_resume_in_process(
    tmp_path: Path,
    reference: Path,
    signal_at_first_checkpoint: Callable[[list[str], Path, int], tuple[int, str]],
) -> None:
    out = tmp_path / "run"
    status, err = signal_at_first_checkpoint(["softmax", *SETTINGS], out, signal.SIGTERM)
    assert status == 130, err
    assert "interrupted by SIGTERM" in err and f"--resume {out}" in err
    # metrics.jsonl holding a row the checkpoint does not (a damaged or hand-edited file): the
    # checkpoint's rows win
    with (out / "metrics.jsonl").open("a") as f:
        f.write(json.dumps({"epoch": 9, "train_loss": 0.0}) + "\n")
    assert main(["softmax", "--resume", str(out)]) == 0
    _assert_same_run(out, reference)
    config = json.loads((out / "config.json").read_text())
    assert config["resumes"][0]["from_epoch"] >= 1 and config["resumes"][0]["forced"] == {}
    # seconds per epoch of the resume: its training time over the epochs it trained, not all three
    done = config["resumes"][0]["from_epoch"]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    resumed = [row["seconds"] for row in rows if row["epoch"] > done]
    if resumed:
        results = json.loads((out / "results.json").read_text())
        assert results["seconds_per_epoch"] >= sum(resumed) / len(resumed)


def test_forced_change_is_recorded_and_continues(tmp_path: Path, reference: Path) -> None:
    out = tmp_path / "run"
    run_softmax(
        SoftmaxConfig(impl="concise", epochs=1, num_threads=1, plot="none", device="cpu", out=out)
    )
    result = resume_softmax(out, force=True, epochs=3, impl="scratch")
    forced = json.loads((out / "config.json").read_text())["resumes"][0]["forced"]
    assert forced == {"impl": ["concise", "scratch"]}
    # scratch and concise are the same model: the switched run follows the reference closely
    ref = [row["train_loss"] for row in _metrics(reference)]
    assert result.history.train_loss == pytest.approx(ref, rel=1e-4)


def test_divergence_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(epochs=1, num_threads=1, plot="none", device="cpu", out=out))
    before = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(DivergenceError) as info:
        resume_softmax(out, force=True, epochs=3, lr=1e4)
    message = str(info.value)
    assert re.search(
        r"diverged at batch \d+ of epoch 2: the batch loss is [\d.e+]+, more than 100", message
    )
    assert (
        "at lr 10000; try a far smaller learning rate (lr), e.g. 0.5 (the book trains at" in message
    )
    # the reference is the untrained model's loss, ln 10, kept in the checkpoint across the resume
    # (not the trained model's, ~0.6, that a guard starting afresh would take)
    start = re.search(r"its starting value ([\d.]+)", message)
    assert start is not None and float(start.group(1)) == pytest.approx(2.3026, abs=0.05)
    assert f"the checkpoint of epoch 1 is kept in {out} (continue it with a smaller lr: linearnets.resume_softmax('{out}', lr=0.5, force=True))" in message  # fmt: skip
    assert (out / "checkpoint.pt").read_bytes() == before
    assert len(_metrics(out)) == 1  # the blown-up epoch was not logged


def test_a_guard_turned_on_at_a_resume_measures_from_the_untrained_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`linearnets softmax --no-guard --lr 100 --epochs 1`, resumed with --guard: its checkpoint
    held no guard state, so the guard took the resumed epoch's blown-up loss (~460) as its start
    and the run trained on, exit 0. It now stops at once, measured from the untrained model's
    loss, which the run guarded from its start (the oracle) names: 2.306. At --lr 30 (a loss of
    111 after epoch 1, ~50 in epochs 2 and 3: under 100× 2.306) it trains on, from that start."""
    common = ["--threads", "1", "--plot", "none", "--device", "cpu"]
    for lr in ("100", "30"):
        guarded, run = tmp_path / f"guarded{lr}", tmp_path / f"run{lr}"
        assert main(["softmax", "--lr", lr, "--epochs", "3", *common, "--out", str(guarded)]) == 1
        said = capsys.readouterr().err
        assert "training diverged at batch " in said and " of epoch 1: the batch loss is " in said
        assert "more than 100× its starting value 2.306, " in said
        assert main(["softmax", "--no-guard", "--lr", lr, "--epochs", "1", *common, "--out",
                     str(run)]) == 0  # fmt: skip
        code = main(["softmax", "--resume", str(run), "--guard", "--epochs", "3"])
        said = capsys.readouterr().err
        if lr == "100":
            assert code == 1
            assert said.startswith(
                "linearnets softmax: error: training diverged at batch 1 of epoch 2: the batch "
                "loss is 464.5, more than 100× its starting value 2.306, before any update of "
                "epoch 2: "
            ), said
        else:
            assert code == 0, said
            start = load_checkpoint(run / "checkpoint.pt").extra["guard"]["start_loss"]
            assert f"{start:.4g}" == "2.306"


def test_a_run_stopped_before_its_first_checkpoint_starts_over(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    config = SoftmaxConfig(epochs=1, num_threads=1, plot="none", device="cpu", out=out)
    (out / "config.json").write_text(json.dumps({"config": config.to_dict()}))
    result = resume_softmax(out)
    assert len(result.history.epochs) == 1 and (out / "model.pt").is_file()


def test_a_run_stopped_after_its_last_epoch_writes_its_reports_on_resume(tmp_path: Path) -> None:
    """Ctrl-C after the last checkpoint but before model.pt and results.json: the resume the
    message advises trains nothing and writes them, with the checkpoint's metrics."""
    out = tmp_path / "run"
    done = run_softmax(SoftmaxConfig(epochs=1, num_threads=1, plot="none", device="cpu", out=out))
    weights = _weights(out)
    for name in ("model.pt", "results.json", "per_class.txt"):
        (out / name).unlink()
    result = resume_softmax(out)
    assert result.history.train_loss == done.history.train_loss
    assert all(torch.equal(weights[k], _weights(out)[k]) for k in weights)
    summary = json.loads((out / "results.json").read_text())
    assert summary["test_acc"] == done.history.last.test_acc and summary["epochs"] == 1
    assert summary["seconds_per_epoch"] == pytest.approx(done.history.last.seconds)
    assert (out / "per_class.txt").is_file()
    with pytest.raises(
        LinearnetsError,
        match=r"^the run in .* is complete: it finished its 1 epoch and wrote its results, so "
        r"nothing is left to resume; pass e.g. epochs=6 to train further$",
    ):
        resume_softmax(out)  # now finished: nothing left to do (in the API's words, not --epochs)


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_finished_run_whose_metrics_were_damaged_writes_them_again_on_resume(
    tmp_path: Path, damage: str
) -> None:
    """metrics.jsonl or metrics.csv removed, emptied, cut short or torn: the plain resume said
    the run was complete, and nothing but training further wrote them again. It writes them from
    the checkpoint's history now, trains nothing, says so, and the files are the run's own."""
    import shutil

    _small_npz(tmp_path)
    whole = tmp_path / "whole"
    config = SoftmaxConfig(
        data=tmp_path / "d.npz", epochs=2, num_threads=1, plot="none", device="cpu", out=whole
    )
    run_softmax(config)
    out = tmp_path / "run"
    shutil.copytree(whole, out)
    spoil, said = DAMAGES[damage]
    spoil(out)
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said.format(out=out))}$"):
        result = resume_softmax(out)
    assert len(result.history.epochs) == 2  # nothing trained
    for name in ("metrics.jsonl", "metrics.csv"):  # its timing too: the history's own
        assert (out / name).read_bytes() == (whole / name).read_bytes()
    with pytest.raises(LinearnetsError, match=r"is complete: it finished its 2 epochs"):
        resume_softmax(out)


def test_a_finished_run_missing_only_its_config_json_gets_it_back_from_a_plain_resume(
    tmp_path: Path,
) -> None:
    """config.json alone removed: the plain resume said the run was complete and left it
    missing, though a lost config.json is rebuilt from the checkpoint. It is written again,
    trains nothing, and says so."""
    _small_npz(tmp_path)
    out = tmp_path / "run"
    config = SoftmaxConfig(
        data=tmp_path / "d.npz", epochs=2, num_threads=1, plot="none", device="cpu", out=out
    )
    run_softmax(config)
    first = json.loads((out / "config.json").read_text())
    (out / "config.json").unlink()
    said = CONFIG_REWRITTEN.format(out=out)
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        result = resume_softmax(out)
    assert len(result.history.epochs) == 2  # nothing trained
    assert json.loads((out / "config.json").read_text())["config"] == first["config"]
    with pytest.raises(LinearnetsError, match=r"is complete: it finished its 2 epochs"):
        resume_softmax(out)


@pytest.mark.parametrize("how", ["python", "cli", "earlier"])
def test_a_run_ended_early_stays_ended_when_its_config_json_is_rebuilt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """A run asked for 3 epochs, stopped after 2, ended there with epochs=2 (the refusal of fewer
    says "pass --epochs 2 to end the run there"): its checkpoint kept the count of 3, so once
    config.json was deleted (the fix a damaged one is given) the plain resume rebuilt 3 epochs
    from it and trained epoch 3 without a word, overwriting the finished model.pt and
    results.json. The checkpoint records the end: config.json comes back with 2 epochs and a
    note, nothing is trained, the run's files stay as they were. A folder an earlier linearnets
    left so ("earlier": the checkpoint's count of 3) is rebuilt by its results.json's count."""
    from .test_training_run import StopNow

    _small_npz(tmp_path)
    out = tmp_path / "run"
    config = SoftmaxConfig(
        data=tmp_path / "d.npz", epochs=3, num_threads=1, plot="none", device="cpu", out=out
    )
    with pytest.raises(KeyboardInterrupt):
        run_softmax(config, callbacks=[StopNow("on_epoch_start", 3)])
    assert load_checkpoint(out / "checkpoint.pt").epoch == 2
    if how != "cli":
        assert len(resume_softmax(out, epochs=2).history.epochs) == 2
    else:
        assert main(["softmax", "--resume", str(out), "--epochs", "2"]) == 0
    assert load_checkpoint(out / "checkpoint.pt").config["epochs"] == 2
    if how == "earlier":
        _edit_checkpoint(out, config=lambda p: {**p["config"], "epochs": 3})
    ended = {name: (out / name).read_bytes() for name in ("model.pt", "results.json")}
    asked = json.loads((out / "config.json").read_text())["config"]
    assert asked["epochs"] == 2
    (out / "config.json").unlink()
    said = CONFIG_REWRITTEN.format(out=out)
    capsys.readouterr()
    if how != "cli":
        with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
            assert len(resume_softmax(out).history.epochs) == 2  # nothing trained
    else:
        assert main(["softmax", "--resume", str(out)]) == 0
        assert f"linearnets: note: {said}\n" in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["config"] == asked
    assert {name: (out / name).read_bytes() for name in ended} == ended
    assert len((out / "metrics.csv").read_text().splitlines()) == 3  # a header and 2 epochs


def test_a_resume_for_more_epochs_keeps_a_metrics_csv_link_and_column_said(
    tmp_path: Path,
) -> None:
    """metrics.csv a link to a file with a column the user added: the resume for more epochs
    replaced the link by a file without the column, without a word. The file linked to is left
    as it was, and a note says the link is now a file of its own."""

    from ._metrics_damage import _noted

    _small_npz(tmp_path)
    out = tmp_path / "run"
    config = SoftmaxConfig(
        data=tmp_path / "d.npz", epochs=1, num_threads=1, plot="none", device="cpu", out=out
    )
    run_softmax(config)
    mine = tmp_path / "mine.csv"
    (out / "metrics.csv").rename(mine)
    _noted(mine)
    noted = mine.read_bytes()
    (out / "metrics.csv").symlink_to(mine)
    said = (
        f"before writing the metrics files in {out} again from its checkpoint.pt's history (1 epoch) to "
        f"resume it: metrics.csv was a link to {mine}, which is left as it was; it is now a "
        "file of its own"
    )
    with pytest.warns(ResumeWarning, match=f"^{re.escape(said)}$"):
        resume_softmax(out, epochs=2)
    assert mine.read_bytes() == noted
    assert not (out / "metrics.csv").is_symlink()
    assert len((out / "metrics.csv").read_bytes().splitlines()) == 3


def test_a_finished_run_whose_model_pt_was_damaged_writes_it_again_on_resume(
    tmp_path: Path,
) -> None:
    """The resume predict's message advises: it said the run was complete, and model.pt stayed
    damaged (only training further, a changed result, or a new run got weights back)."""
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(epochs=1, num_threads=1, plot="none", device="cpu", out=out))
    intact = (out / "model.pt").read_bytes()
    (out / "model.pt").write_bytes(intact[:500])
    result = resume_softmax(out)
    assert len(result.history.epochs) == 1  # nothing trained
    assert (out / "model.pt").read_bytes() == intact
    with pytest.raises(LinearnetsError, match=r"is complete: it finished its 1 epoch"):
        resume_softmax(out)


def _impl_edited(payload: dict[str, Any]) -> dict[str, Any]:
    return payload | {"impl": "concise"}


def _w_transposed(payload: dict[str, Any]) -> dict[str, Any]:
    state = payload["state_dict"]
    return payload | {"state_dict": {"W": state["W"].T.contiguous(), "b": state["b"]}}


@pytest.mark.parametrize(
    "edit,said",
    [
        (_impl_edited, r"does not fit a concise model of 784 inputs and 10 outputs \(RuntimeError: "
         r"Error\(s\) in loading state_dict for Sequential: Missing key\(s\) in state_dict: "
         r'"1\.weight", "1\.bias"\. Unexpected key\(s\) in state_dict: "W", "b"\.\)'),
        (_w_transposed, r"does not fit an analytic model of 784 inputs and 10 outputs \(UsageError: "
         r"state_dict\['W'\] must have shape \(784, 10\), got \(10, 784\); load a state saved "
         r"from the same model size\)"),
    ],
    ids=["impl-edited", "W-transposed"],
)  # fmt: skip
def test_a_model_pt_that_fits_no_model_of_its_impl_is_written_again_by_the_resume_predict_advises(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[dict[str, Any]], dict[str, Any]],
    said: str,
) -> None:
    """Each value sound, the state_dict fitting no model of the impl named (an impl edited by
    hand): predict refused it and advised the resume, which said the run was complete."""
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(epochs=1, num_threads=1, plot="none", device="cpu", out=out))
    intact = (out / "model.pt").read_bytes()
    torch.save(edit(torch.load(out / "model.pt", weights_only=True)), out / "model.pt")
    assert main(["predict", str(out), "-n", "2"]) == 1
    assert re.fullmatch(
        rf"linearnets predict: error: {re.escape(str(out))}/model\.pt is damaged: its state_dict "
        rf"{said}; write it again from the run's checkpoint with linearnets softmax --resume "
        rf"{re.escape(str(out))} \(linearnets\.resume_softmax in Python\)\n",
        capsys.readouterr().err,
    )
    assert main(["softmax", "--resume", str(out)]) == 0  # as it says: nothing trained
    assert (out / "model.pt").read_bytes() == intact
    assert main(["predict", str(out), "-n", "2"]) == 0
    assert main(["softmax", "--resume", str(out)]) == 2  # complete now
    assert "is complete: it finished its 1 epoch" in capsys.readouterr().err


def test_results_json_comes_last_so_lost_figures_are_redrawn_on_resume(tmp_path: Path) -> None:
    """Ctrl-C while the final figures are drawn: results.json, written once everything else is
    complete, is missing too, so --resume draws them again."""
    out = tmp_path / "run"
    config = SoftmaxConfig(epochs=1, num_threads=1, plot="file", device="cpu", out=out)
    run_softmax(config)
    stamps = {name: (out / name).stat().st_mtime_ns for name in ("results.json", "confusion.png")}
    assert stamps["results.json"] >= stamps["confusion.png"]  # the last file written
    for name in ("results.json", "predictions.png", "confusion.png"):
        (out / name).unlink()
    resume_softmax(out)
    for name in ("results.json", "predictions.png", "confusion.png", "curves.png"):
        assert (out / name).stat().st_size > 0


@pytest.mark.parametrize("removed", ["confusion.pt", "per_class.txt"])
def test_a_finished_runs_removed_report_is_written_again_by_resume(
    tmp_path: Path, removed: str
) -> None:
    """A removed figure, model.pt or results.json was written again; these two were not: the resume
    said the run was complete."""
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(epochs=1, num_threads=1, plot="none", device="cpu", out=out))
    before = (out / removed).read_bytes()
    (out / removed).unlink()
    resume_softmax(out)
    assert (out / removed).read_bytes() == before  # the same weights: the same report


def test_a_new_thread_count_on_resume_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 6)).astype(np.float32), rng.integers(0, 3, size=120)
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X[:30], y_test=y[:30])
    run = tmp_path / "run"
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--batch-size", "32"]
    assert main(["softmax", *common, "--epochs", "1", "--threads", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2", "--threads", "1"]) == 0
    assert "note:" not in capsys.readouterr().err  # the same count: nothing to say
    assert main(["softmax", "--resume", str(run), "--epochs", "3", "--threads", "2"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "linearnets: note: resumed with --threads 2, where the run last ran with 1: it matches an "
        "uninterrupted run to rounding, not bit for bit (resume with --threads 1 for that)"
    ]
    # the last run's count is what counts: back to 1 after a resume on 2 is named too
    assert main(["softmax", "--resume", str(run), "--epochs", "4", "--threads", "1"]) == 0
    assert "last ran with 2: " in capsys.readouterr().err
    saved = json.loads((run / "config.json").read_text())
    assert saved["environment"]["num_threads"] == 1  # where the run started stays recorded
    assert [r["environment"]["num_threads"] for r in saved["resumes"]] == [1, 2, 1]


@pytest.mark.parametrize("threads", [["--threads", "1"], []], ids=["threads-given", "plain"])
def test_a_resume_that_trains_nothing_neither_notes_nor_counts_its_thread_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], threads: list[str]
) -> None:
    """A finished 1-thread run missing its model.pt, resumed with --threads 2 to write it: the
    weights were the 1-thread run's, yet it was noted as matching only to rounding, and the next
    resume, back on 1 thread and bit-exact, was told it matched only to rounding (advising 2).
    And its --threads 2 was recorded as the run's: the next plain resume trained on 2 threads,
    not bit for bit, noting a --threads 2 never passed to it."""
    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 6)).astype(np.float32), rng.integers(0, 3, size=120)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    run, ref = tmp_path / "run", tmp_path / "ref"
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--threads", "1"]
    assert main(["softmax", *common, "--epochs", "1", "--out", str(run)]) == 0
    assert main(["softmax", *common, "--epochs", "2", "--out", str(ref)]) == 0
    (run / "model.pt").unlink()
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--threads", "2"]) == 0
    assert "note:" not in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["config"]["num_threads"] == 1
    assert main(["softmax", "--resume", str(run), "--epochs", "2", *threads]) == 0
    assert "note:" not in capsys.readouterr().err
    weights = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    expected = torch.load(ref / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(weights[k], expected[k]) for k in expected)  # bit for bit, as unnoted


def test_the_api_warns_of_a_resume_on_another_thread_count_or_number_of_processes(
    tmp_path: Path,
) -> None:
    """resume_softmax warns as the command notes: a ResumeWarning, in the API's words."""
    import warnings

    import numpy as np

    from linearnets.errors import ResumeWarning

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(64, 5)).astype(np.float32), rng.integers(0, 2, size=64)
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X[:16], y_test=y[:16])
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=str(tmp_path / "d.npz"), plot="none", epochs=1, out=str(run)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resume_softmax(run, epochs=2)  # the same count (1): nothing to say
        resume_softmax(run, epochs=3, num_threads=2)
    assert [str(w.message) for w in caught if w.category is ResumeWarning] == [
        "resumed with num_threads=2, where the run last ran with 1: it matches an uninterrupted "
        "run to rounding, not bit for bit (resume with num_threads=1 for that)"
    ]
    # a run that last ran in 2 processes (torchrun), resumed in one
    saved = json.loads((run / "config.json").read_text())
    saved["resumes"][-1]["world_size"] = 2
    (run / "config.json").write_text(json.dumps(saved))
    with pytest.warns(ResumeWarning) as caught_list:
        resume_softmax(run, epochs=4, num_threads=2)
    assert [str(w.message) for w in caught_list] == [
        "resumed in 1 process, where the run last ran in 2: it matches an uninterrupted run to "
        "rounding, not bit for bit (resume in 2 processes, torchrun --nproc_per_node=2, for that)"
    ]
    assert caught_list[0].filename == __file__  # the line that called resume_softmax


def test_a_resume_on_another_cpu_kind_or_torch_is_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run moved to a machine whose CPU torch runs other vector kernels on (AVX512 against AVX2)
    or resumed under another torch release matched an uninterrupted run to rounding only, and
    nothing said so (config.json recorded neither the CPU kind nor a check of the version)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 3, size=60)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    run = tmp_path / "run"
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--threads", "1"]
    assert main(["softmax", *common, "--epochs", "1", "--out", str(run)]) == 0
    saved = json.loads((run / "config.json").read_text())
    here = torch.backends.cpu.get_cpu_capability()
    assert saved["environment"]["cpu_capability"] == here
    other = "AVX2" if here != "AVX2" else "AVX512"
    saved["environment"].update(cpu_capability=other, torch="2.0.1")
    (run / "config.json").write_text(json.dumps(saved))
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"linearnets: note: resumed on a CPU torch runs {here} kernels on, where the run last ran "
        f"on {other} ones: it may match an uninterrupted run to rounding only, not bit for bit "
        f"(resume on a CPU that has {other}, with ATEN_CPU_CAPABILITY unset or "
        f"ATEN_CPU_CAPABILITY={other.lower()} to be sure of that)",
        f"linearnets: note: resumed with torch {torch.__version__}, where the run last ran with "
        "2.0.1: it may match an uninterrupted run to rounding only, not bit for bit (resume with "
        "torch 2.0.1 to be sure of that)",
    ]
    # where the run last trained is now here: nothing more to say
    assert main(["softmax", "--resume", str(run), "--epochs", "3"]) == 0
    assert "note:" not in capsys.readouterr().err
    # torch's plain kernels, which any CPU runs when told to; the same release in another build
    saved = json.loads((run / "config.json").read_text())
    release = torch.__version__.partition("+")[0]
    saved["resumes"][-1]["environment"].update(cpu_capability="DEFAULT", torch=f"{release}+cu124")
    (run / "config.json").write_text(json.dumps(saved))
    assert main(["softmax", "--resume", str(run), "--epochs", "4"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"linearnets: note: resumed on a CPU torch runs {here} kernels on, where the run last ran "
        "on DEFAULT ones: it may match an uninterrupted run to rounding only, not bit for bit "
        "(resume with ATEN_CPU_CAPABILITY=default set before Python starts to be sure of that)",
    ]


@pytest.mark.skipif(
    torch.backends.cpu.get_cpu_capability() in ("DEFAULT", "NO AVX"), reason="no vector kernels"
)
def test_a_resume_on_plain_cpu_kernels_differs_in_its_last_bits_and_says_so(
    tmp_path: Path,
) -> None:
    """torch told to use its plain kernels (ATEN_CPU_CAPABILITY=default, as on an older CPU)
    gives other bits than the vector ones: the resume says it matches to rounding only, and it
    does."""
    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 30)).astype(np.float32), rng.integers(0, 5, size=300)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--threads", "1"]
    run, ref = tmp_path / "run", tmp_path / "ref"
    assert main(["softmax", *common, "--epochs", "1", "--out", str(run)]) == 0
    assert main(["softmax", *common, "--epochs", "2", "--out", str(ref)]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "softmax", "--resume", str(run), "--epochs", "2"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "ATEN_CPU_CAPABILITY": "default"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    here = torch.backends.cpu.get_cpu_capability()
    assert done.stderr == (
        "linearnets: note: resumed on a CPU torch runs DEFAULT kernels on, where the run last ran "
        f"on {here} ones: it may match an uninterrupted run to rounding only, not bit for bit "
        f"(resume on a CPU that has {here}, with ATEN_CPU_CAPABILITY unset or "
        f"ATEN_CPU_CAPABILITY={here.lower()} to be sure of that)\n"
    )
    weights = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    expected = torch.load(ref / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.allclose(weights[k], expected[k], rtol=1e-4, atol=1e-6) for k in expected)
    assert not all(torch.equal(weights[k], expected[k]) for k in expected)


def test_a_run_whose_checkpoint_went_missing_is_not_silently_started_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _blobs(tmp_path / "d.npz", 1)
    run = tmp_path / "run"
    assert main(["softmax", "--data", str(tmp_path / "d.npz"), "--plot", "none", "--epochs", "3",
                 "--out", str(run)]) == 0  # fmt: skip
    for name in ("checkpoint.pt", "model.pt", "results.json"):
        (run / name).unlink()
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "4"]) == 1
    err = capsys.readouterr().err
    assert "logged 3 finished epochs in metrics.jsonl but has no checkpoint.pt" in err
    assert "or pass --force to start the run over" in err and "force=True" not in err  # CLI words
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3  # nothing overwritten
    assert main(["softmax", "--resume", str(run), "--epochs", "4", "--force"]) == 0
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 4  # started over, as asked


def _blobs(path: Path, seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(80, 4)).astype(np.float32), rng.integers(0, 2, size=80)
    np.savez(path, X=X, y=y)


def test_resume_reads_the_data_file_the_run_started_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A relative --data is kept as an absolute path, and its content is checked on resume."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    _blobs(tmp_path / "a" / "blobs.npz", 1)
    _blobs(tmp_path / "b" / "blobs.npz", 2)  # same name, other content, in another folder
    common = ["--data", "blobs.npz", "--plot", "none", "--threads", "1"]
    monkeypatch.chdir(tmp_path / "a")
    assert main(["softmax", *common, "--epochs", "3", "--out", str(tmp_path / "whole")]) == 0
    assert main(["softmax", *common, "--epochs", "2", "--out", str(tmp_path / "cut")]) == 0
    saved = json.loads((tmp_path / "cut" / "config.json").read_text())
    assert saved["config"]["data"] == str(tmp_path / "a" / "blobs.npz")
    assert len(saved["data_sha256"]) == 64
    monkeypatch.chdir(tmp_path / "b")
    assert main(["softmax", "--resume", str(tmp_path / "cut"), "--epochs", "3"]) == 0
    _assert_same_weights_and_metrics(tmp_path / "cut", tmp_path / "whole")
    # the file itself changed: refused, unless forced (and then recorded)
    _blobs(tmp_path / "a" / "blobs.npz", 3)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(tmp_path / "cut"), "--epochs", "4"]) == 2
    assert "changed since the run in" in capsys.readouterr().err
    assert main(["softmax", "--resume", str(tmp_path / "cut"), "--epochs", "4", "--force"]) == 0
    resumes = json.loads((tmp_path / "cut" / "config.json").read_text())["resumes"]
    assert list(resumes[-1]["forced"]) == ["data_sha256"]


class _StopAtFirstStep:
    """Raise KeyboardInterrupt at the first step: a resume stopped before its first checkpoint."""

    def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
        raise KeyboardInterrupt


def test_the_checkpoints_own_file_continues_after_a_forced_switch_stopped_before_its_checkpoint(
    tmp_path: Path,
) -> None:
    """A forced switch to file b, stopped before its first checkpoint, recorded b's SHA-256 in
    config.json: the checkpoint's own file a, passed back, was refused as a changed since the run
    started ("SHA-256 <b's> then, <a's> now"). Its content is the checkpoint's: it continues."""
    _blobs(tmp_path / "a.npz", 1)
    _blobs(tmp_path / "b.npz", 2)
    base = {"data": tmp_path / "a.npz", "plot": "none", "batch_size": 16}
    run_softmax(SoftmaxConfig(**base, epochs=3, out=tmp_path / "whole"))
    run = tmp_path / "cut"
    run_softmax(SoftmaxConfig(**base, epochs=2, out=run))
    with pytest.raises(TrainingInterrupted):
        resume_softmax(
            run, epochs=3, data=tmp_path / "b.npz", force=True, callbacks=[_StopAtFirstStep()]
        )
    resume_softmax(run, data=tmp_path / "a.npz")
    assert json.loads((run / "config.json").read_text())["resumes"][-1]["forced"] == {}
    _assert_same_weights_and_metrics(run, tmp_path / "whole")


def _assert_same_weights_and_metrics(run: Path, reference: Path) -> None:
    a, b = _weights(run), _weights(reference)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert _metrics(run) == _metrics(reference)


class _SignalAt:
    """A callback that sends SIGINT when an epoch starts, as a Ctrl-C during that epoch would."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


def test_the_advised_resume_keeps_the_options_of_the_resume_it_interrupted(tmp_path: Path) -> None:
    from linearnets.training.interrupt import TrainingInterrupted

    _blobs(tmp_path / "d.npz", 4)
    base = {"data": tmp_path / "d.npz", "plot": "none", "batch_size": 16}
    # the reference: 2 epochs, then a forced lr 0.05 up to 5 epochs, uninterrupted
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    resume_softmax(tmp_path / "whole", epochs=5, lr=0.05, force=True)
    # the same, but Ctrl-C in the resume's first epoch (3): only the checkpoint of epoch 2, lr 0.1
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "cut"))
    with pytest.raises(TrainingInterrupted) as info:
        resume_softmax(tmp_path / "cut", epochs=5, lr=0.05, force=True, callbacks=[_SignalAt(3)])
    assert str(info.value).endswith(f"linearnets.resume_softmax({str(tmp_path / 'cut')!r})")
    # the resume's own epochs had saved nothing yet: the checkpoint it started from is kept
    assert f"; the checkpoint of epoch 2 is kept in {tmp_path / 'cut'}; resume with:" in str(
        info.value
    )
    result = resume_softmax(tmp_path / "cut")  # as advised: no options
    assert result.config.epochs == 5 and result.config.lr == 0.05
    _assert_same_weights_and_metrics(tmp_path / "cut", tmp_path / "whole")


def test_a_resume_that_trains_nothing_records_the_settings_the_run_trained_with(
    tmp_path: Path,
) -> None:
    """A forced lr 0.05 stopped before its first checkpoint, then the run ended at its own 2
    epochs: config.json gave the finished run lr 0.05 and a second resume forcing it, though
    every epoch trained at 0.1."""
    _blobs(tmp_path / "d.npz", 4)
    run = tmp_path / "run"
    run_softmax(
        SoftmaxConfig(data=tmp_path / "d.npz", plot="none", batch_size=16, epochs=2, out=run)
    )
    with pytest.raises(TrainingInterrupted):
        resume_softmax(run, epochs=5, lr=0.05, force=True, callbacks=[_SignalAt(3)])
    assert resume_softmax(run, epochs=2).config.lr == 0.1  # ends the run where it is
    saved = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert (saved["config"]["lr"], saved["config"]["epochs"]) == (0.1, 2)
    assert [entry["forced"] for entry in saved["resumes"]] == [{"lr": ["0.1", "0.05"]}, {}]
    assert load_checkpoint(run / "checkpoint.pt").config["lr"] == 0.1


def test_a_resume_without_figures_removes_the_stale_ones(tmp_path: Path) -> None:
    _blobs(tmp_path / "d.npz", 5)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="file", out=run))
    assert (run / "curves.png").is_file() and (run / "curves.svg").is_file()
    resume_softmax(run, epochs=2, plot="none")
    assert not list(run.glob("*.png")) and not list(run.glob("*.svg"))
    assert (run / "model.pt").is_file() and len(_metrics(run)) == 2


def test_a_run_whose_config_json_went_missing_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    _blobs(tmp_path / "d.npz", 6)
    base = {"data": tmp_path / "d.npz", "plot": "none"}
    run_softmax(SoftmaxConfig(**base, epochs=3, out=tmp_path / "whole"))
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "cut"))
    (tmp_path / "cut" / "config.json").unlink()
    assert main(["softmax", "--resume", str(tmp_path / "cut"), "--epochs", "3"]) == 0  # the CLI
    assert json.loads((tmp_path / "cut" / "config.json").read_text())["config"]["epochs"] == 3
    _assert_same_weights_and_metrics(tmp_path / "cut", tmp_path / "whole")


def test_resume_of_a_folder_that_does_not_exist_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["softmax", "--resume", str(tmp_path / "nope")]) == 2
    assert f"got {str(tmp_path / 'nope')!r}, which does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_reports_are_written_gives_the_resume_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signum: int
) -> None:
    import linearnets.tasks.training_run as softmax_task

    _blobs(tmp_path / "d.npz", 7)
    run = tmp_path / "run"
    saved = softmax_task.save_weights

    def signalled(*args: Any, **kwargs: Any) -> None:
        saved(*args, **kwargs)
        os.kill(os.getpid(), signum)  # after the last epoch, while the run's files are written

    monkeypatch.setattr(softmax_task, "save_weights", signalled)
    args = ["softmax", "--data", str(tmp_path / "d.npz"), "--plot", "none", "--epochs", "2"]
    assert main([*args, "--out", str(run)]) == 130
    name = signal.Signals(signum).name
    assert capsys.readouterr().err == (
        f"linearnets softmax: interrupted by {name} at the end of epoch 2, the last, before the "
        f"run's files (its figures too) were all written; the checkpoint of epoch 2 is kept in "
        f"{run}; resume with: linearnets softmax --resume {run}\n"
    )
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is given back
    monkeypatch.setattr(softmax_task, "save_weights", saved)
    assert main(["softmax", "--resume", str(run)]) == 0  # trains nothing, writes the reports
    assert (run / "results.json").is_file() and len(_metrics(run)) == 2


def test_a_value_forced_for_other_epochs_needs_force_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _blobs(tmp_path / "d.npz", 8)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", plot="none", epochs=1, out=run))
    resume_softmax(run, epochs=2, lr=0.2, force=True)  # epoch 2 at lr 0.2
    resume_softmax(run, epochs=3, lr=0.1, force=True)  # epoch 3 back at 0.1
    capsys.readouterr()
    # 0.2 was forced from epoch 1 once; from epoch 3 it is a new change again
    assert main(["softmax", "--resume", str(run), "--epochs", "4", "--lr", "0.2"]) == 2
    err = capsys.readouterr().err
    assert "--lr changed from 0.1 to 0.2" in err
    # in the command line's words only: not the Python API's force=True
    assert err.endswith(
        "; leave --lr out to continue the same run, or pass --force to continue with the new "
        "value\n"
    )


def test_a_finished_run_folder_summarises_its_last_epoch_and_draws_nothing_with_plot_none(
    reference: Path,
) -> None:
    rows = [json.loads(line) for line in (reference / "metrics.jsonl").read_text().splitlines()]
    results = json.loads((reference / "results.json").read_text())
    assert results["epochs"] == 3 == rows[-1]["epoch"]
    for key in ("train_loss", "train_acc", "test_acc"):
        assert results[key] == rows[-1][key]
    assert rows[0]["train_loss"] != rows[-1]["train_loss"]
    assert sorted(p.name for p in reference.iterdir() if p.suffix in (".png", ".svg")) == []
    assert (reference / "confusion.pt").is_file() and (reference / "per_class.txt").is_file()


def _edit_checkpoint(run: Path, **changes: Any) -> None:
    """Change values of the run's checkpoint as a hand edit (or another tool) would: it still loads."""
    payload = torch.load(run / "checkpoint.pt", weights_only=True)
    for key, value in changes.items():
        payload[key] = value(payload) if callable(value) else value
    torch.save(payload, run / "checkpoint.pt")


def _renamed(payload: dict[str, Any]) -> dict[str, Any]:
    return {"V": payload["model_state"]["W"], "c": payload["model_state"]["b"]}


DAMAGED = {
    "epoch-text": (
        {"epoch": "abc"},
        (),
        r"its epoch must be the number of finished epochs, an integer >= 1, got str 'abc'",
    ),
    "epoch-negative": ({"epoch": -3}, (), r"its epoch must be .*, got int -3"),
    "history-int": (
        {"history": 5},
        (),
        r"its history must be a list of one dict per finished epoch, got int 5",
    ),
    "row-without-loss": (
        {"history": lambda p: [{k: v for k, v in p["history"][0].items() if k != "train_loss"}]},
        (),
        r"its history\[0\] must be a dict with the keys .* \(it lacks train_loss\)",
    ),
    "row-a-list": (
        {"history": [[1, 2]]},
        (),
        r"its history\[0\] must be a dict of the epoch's metrics, got list \[1, 2\]",
    ),
    "config-int": ({"config": 7}, (), r"its config must be a dict, got int 7"),
    "config-bad-value": (
        {"config": lambda p: p["config"] | {"lr": "fast"}},
        (),
        r"holds an unusable config: lr must be a positive number.*'fast'.*; restore checkpoint.pt from a copy",
    ),
    "guard-text": (
        {"extra": {"guard": "zzz"}},
        (),
        r"its extra\['guard'\] must be the divergence guard's state, a dict, got str 'zzz'",
    ),
    # epoch 1 with no row: resuming would rewrite metrics.jsonl without epoch 1's row
    "history-short": (
        {"history": []},
        (),
        r"its history must hold one row per finished epoch \(1\), got 0",
    ),
    # refused before the epochs asked for are compared with its 12: "at least the epochs the
    # run already finished (12), got 2; pass e.g. --epochs 17" advised a resume refusing it
    "epoch-past-its-history": (
        {"epoch": 12},
        (),
        r"its history must hold one row per finished epoch \(12\), got 1",
    ),
    "model-renamed": (
        {"model_state": _renamed},
        (),
        r"its model_state must be the weights \['W', 'b'\] of this run's impl='analytic' model, got list \['V', 'c'\]",
    ),
    "model-renamed-impl-changed": (
        {"model_state": _renamed},
        ("--impl", "concise", "--force"),
        r"its model_state must be the weights \['W', 'b'\] of an impl='analytic' run, to convert to impl='concise', got dict \{'V': \(4, 2\), 'c': \(2,\)\}",
    ),
    "model-1d-impl-changed": (
        {"model_state": lambda p: {"W": torch.zeros(4), "b": torch.zeros(2)}},
        ("--impl", "concise", "--force"),
        r"its model_state must be the weights \['W', 'b'\] of an impl='analytic' run, to convert to impl='concise', got dict \{'W': \(4,\), 'b': \(2,\)\}",
    ),
    "model-shape": (
        {"model_state": lambda p: {"W": torch.zeros(5, 2), "b": torch.zeros(2)}},
        (),
        r"holds model weights that do not fit this run: 'W' has shape \(5, 2\), this run's model needs \(4, 2\)",
    ),
    "optimizer-lr-text": (
        {"optimizer_state": {"lr": "fast"}},
        (),
        r"its optimizer or generator states do not fit this run \(UsageTypeError: lr must be",
    ),
    "generators-missing": (
        {"generators_state": {}},
        (),
        r"its optimizer or generator states do not fit this run \(KeyError: 'run'\)",
    ),
}


@pytest.mark.parametrize("name", list(DAMAGED))
def test_a_checkpoint_holding_bad_values_is_refused_and_nothing_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A checkpoint.pt that loads but holds values linearnets never writes: a CheckpointError
    naming the file, the value and the fix (exit 1, not "unexpected ..."); no file is rewritten."""
    changes, options, pattern = DAMAGED[name]
    _blobs(tmp_path / "d.npz", 9)
    run = tmp_path / "run"
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none"]
    assert main(["softmax", *common, "--epochs", "1", "--out", str(run)]) == 0
    _edit_checkpoint(run, **changes)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    resume = ["softmax", "--resume", str(run), "--epochs", "2", *options]
    path = re.escape(str(run / "checkpoint.pt"))
    with pytest.raises(CheckpointError, match=rf"^checkpoint {path} (is damaged: )?{pattern}"):
        main([*resume, "--debug"])
    capsys.readouterr()
    assert main(resume) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "unexpected" not in err, err
    assert re.search(r"; (restore checkpoint.pt from a copy of the run, or delete it and resume with --force to start the run over; the run finished: starting it over replaces its trained weights and results \(model.pt, results.json; each old file is kept as NAME.bak, e.g. model.pt.bak\)|resume with the run's own --data and --resize, or start a new run)$", err.strip())  # fmt: skip
    assert {
        p.name: p.read_bytes() for p in run.iterdir()
    } == before  # nothing rewritten, no lock left


def test_a_checkpoint_epoch_past_its_history_is_refused_as_damaged_before_any_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A complete two-epoch run whose checkpoint's epoch was edited to 12: the plain resume
    advised --epochs 17 to train further or --epochs 12 to end the run there, and each was then
    refused as damaged. The damage is said first, whatever is given, and its fix works."""
    _blobs(tmp_path / "d.npz", 9)
    run = tmp_path / "run"
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none"]
    assert main(["softmax", *common, "--epochs", "2", "--out", str(run)]) == 0
    _edit_checkpoint(run, epoch=12)
    capsys.readouterr()
    for given in ([], ["--epochs", "17"], ["--epochs", "12"], ["--epochs", "3"], ["--lr", "0.5"]):
        assert main(["softmax", "--resume", str(run), *given]) == 1, given
        assert capsys.readouterr().err == (
            f"linearnets softmax: error: checkpoint {run / 'checkpoint.pt'} is damaged: its "
            "history must hold one row per finished epoch (12), got 2; restore checkpoint.pt "
            "from a copy of the run, or delete it and resume with --force to start the run "
            "over; the run finished: starting it over replaces its trained weights and results "
            "(model.pt, results.json; each old file is kept as NAME.bak, e.g. model.pt.bak)\n"
        ), given
    (run / "checkpoint.pt").unlink()  # as it says
    assert main(["softmax", "--resume", str(run), "--force"]) == 0
    assert load_checkpoint(run / "checkpoint.pt").epoch == 2
    assert main(["softmax", "--resume", str(run), "--epochs", "3"]) == 0


def test_a_linreg_run_s_checkpoint_copied_in_is_refused_naming_its_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A linear-regression run's checkpoint.pt copied over a softmax run's was said to hold "an
    unusable config: config has settings this linearnets does not know: 'noise_std', ...; it was
    written by another version, or edited by hand": a sound file, of the other task's run."""
    from linearnets import LinregConfig, run_linreg

    _blobs(tmp_path / "d.npz", 12)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", plot="none", epochs=1, out=run))
    run_linreg(LinregConfig(epochs=1, num_examples=100, out=tmp_path / "linreg"))
    (run / "checkpoint.pt").write_bytes((tmp_path / "linreg" / "checkpoint.pt").read_bytes())
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    said = (
        f"checkpoint {run / 'checkpoint.pt'} is a linreg run's checkpoint, not a softmax run's: "
        "it was copied from another run's folder; restore checkpoint.pt from a copy of the run, "
        "or move it out of the folder, keeping it (a linreg run's weights), and resume with "
        "force=True to start the run over"
    )
    for force in (False, True):  # forced too: its states cannot be loaded
        with pytest.raises(CheckpointError, match=f"^{re.escape(said)}$"):
            resume_softmax(run, epochs=2, force=force)
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 1
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {said.replace('force=True', '--force')}\n"
    )
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before  # nothing rewritten


def test_a_forced_new_seed_draws_a_new_data_order(tmp_path: Path) -> None:
    """The checkpoint's generators are for the old seed: with a new one forced they are not loaded."""
    _blobs(tmp_path / "d.npz", 10)
    base = {"data": tmp_path / "d.npz", "plot": "none", "batch_size": 16}
    for name in ("same", "reseeded"):
        run_softmax(SoftmaxConfig(**base, epochs=1, out=tmp_path / name))
    resume_softmax(tmp_path / "same", epochs=2)
    resume_softmax(tmp_path / "reseeded", epochs=2, seed=1, force=True)
    same, reseeded = _weights(tmp_path / "same"), _weights(tmp_path / "reseeded")
    assert _metrics(tmp_path / "same")[0] == _metrics(tmp_path / "reseeded")[0]  # epoch 1 shared
    assert not torch.equal(same["W"], reseeded["W"])  # epoch 2 saw the batches in another order


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_a_forced_switch_of_impl_continues_the_same_model(tmp_path: Path, impl: str) -> None:
    """scratch keeps analytic's W (d, q) and b; concise gets them as nn.Linear's weight (q, d) and
    bias: either way the same model goes on, close to the run never switched."""
    _blobs(tmp_path / "d.npz", 11)
    base = {"data": tmp_path / "d.npz", "plot": "none", "batch_size": 16, "impl": "analytic"}
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run_softmax(SoftmaxConfig(**base, epochs=1, out=tmp_path / "cut"))
    resume_softmax(tmp_path / "cut", epochs=2, impl=impl, force=True)
    forced = json.loads((tmp_path / "cut" / "config.json").read_text())["resumes"][0]["forced"]
    assert forced == {"impl": ["analytic", impl]}
    whole, cut = _weights(tmp_path / "whole"), _weights(tmp_path / "cut")
    if impl == "concise":
        cut = {"W": cut["1.weight"].T, "b": cut["1.bias"]}
    assert sorted(cut) == ["W", "b"]
    assert all(torch.allclose(cut[k], whole[k], rtol=1e-4, atol=1e-6) for k in whole)


def test_a_resumed_run_draws_the_curves_of_every_epoch(tmp_path: Path) -> None:
    """The epochs before the resume are redrawn: its curves.png is the uninterrupted run's."""
    _blobs(tmp_path / "d.npz", 12)
    base = {"data": tmp_path / "d.npz", "plot": "file", "batch_size": 16}
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run_softmax(SoftmaxConfig(**base, epochs=1, out=tmp_path / "cut"))
    resume_softmax(tmp_path / "cut", epochs=2)
    _assert_same_weights_and_metrics(tmp_path / "cut", tmp_path / "whole")
    png = (tmp_path / "cut" / "curves.png").read_bytes()
    assert png == (tmp_path / "whole" / "curves.png").read_bytes()


def test_a_run_stopped_by_an_error_closes_its_plotting_process(tmp_path: Path) -> None:
    """The figures of the epochs saved are finished and the drawing process is gone."""
    import multiprocessing

    _blobs(tmp_path / "d.npz", 13)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", plot="file", epochs=1, out=run))
    with pytest.raises(DivergenceError):
        resume_softmax(run, force=True, epochs=3, lr=1e6)
    assert multiprocessing.active_children() == []
    assert (run / "curves.png").stat().st_size > 0


def _no_confusion_matrix(*args: Any, **kwargs: Any) -> None:
    raise ValueError("no usable font")


def test_a_figure_that_fails_is_reported_once_the_run_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PlotError comes after results.json: the run is finished, only that figure is missing."""

    import linearnets.plotting.confusion as confusion
    from linearnets.errors import PlotError

    _small_npz(tmp_path, seed=14, classes=2)
    monkeypatch.setattr(confusion, "plot_confusion_matrix", _no_confusion_matrix)
    run = tmp_path / "run"
    with pytest.raises(
        PlotError, match=r"drawing no confusion matrix failed with ValueError: no usable font"
    ):
        run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", plot="file", epochs=1, out=run))
    assert json.loads((run / "results.json").read_text())["epochs"] == 1
    assert (run / "model.pt").is_file() and not (run / "confusion.png").exists()


class _GlobalDraws:
    """A callback drawing from torch's, NumPy's and Python's global generators as each epoch starts."""

    def __init__(self) -> None:
        self.draws: dict[int, tuple[float, float, float]] = {}

    def on_epoch_start(self, *, epoch: int, num_batches: int | None) -> None:
        import random

        import numpy as np

        self.draws[epoch] = (float(torch.rand(())), float(np.random.rand()), random.random())


def test_a_resume_gives_the_global_generators_back_their_checkpointed_state(
    tmp_path: Path,
) -> None:
    """Code drawing from the global generators during training (a callback, a model with dropout)
    draws in epoch 2 of a resume what it drew in epoch 2 of the run never stopped."""
    _blobs(tmp_path / "d.npz", 15)
    base = {"data": tmp_path / "d.npz", "plot": "none", "batch_size": 16}
    whole, cut = _GlobalDraws(), _GlobalDraws()
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"), callbacks=[whole])
    run_softmax(SoftmaxConfig(**base, epochs=1, out=tmp_path / "cut"), callbacks=[cut])
    resume_softmax(tmp_path / "cut", epochs=2, callbacks=[cut])
    assert cut.draws == whole.draws
    assert whole.draws[1] != whole.draws[2]


@pytest.mark.parametrize(
    "run_dir, got",
    [(SoftmaxConfig(epochs=1), r"SoftmaxConfig\("), (None, "None"), (3, "3")],
)
def test_resume_refuses_anything_but_a_folder_path(run_dir: Any, got: str) -> None:
    with pytest.raises(
        LinearnetsError,
        match=rf"run_dir must be the path of a run folder, got {got}.*; pass e.g. "
        r"resume_softmax\('runs/a'\) \(a new run from a config is run_softmax\(config\)\)",
    ):
        resume_softmax(run_dir)


def test_resume_refuses_a_force_that_is_not_a_bool(tmp_path: Path) -> None:
    with pytest.raises(LinearnetsError, match=r"force must be True or False, got 'yes'"):
        resume_softmax(tmp_path, force="yes")  # type: ignore[arg-type]


def _files(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in run.iterdir()}


def test_a_new_image_size_is_refused_even_forced_and_nothing_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Weights for 28 × 28 = 784 inputs cannot take 14 × 14 = 196: --force cannot help either."""
    run = tmp_path / "run"
    settings = ["--threads", "1", "--plot", "none", "--device", "cpu"]
    assert main(["softmax", *settings, "--epochs", "1", "--out", str(run)]) == 0
    before = _files(run)
    capsys.readouterr()
    for force in ([], ["--force"]):
        assert (
            main(["softmax", "--resume", str(run), "--epochs", "2", "--resize", "14", *force]) == 2
        )
        assert capsys.readouterr().err == (
            "linearnets softmax: error: --resize changed from none (28×28) to 14 since the run "
            f"in {run} started: the model would take 196 inputs (14×14 pixels) into 10 classes and "
            "the checkpoint's weights take 784 inputs into 10 classes, so they cannot carry over, "
            "not even with --force; leave --resize out, or start a new run in another folder "
            "(--out NEW_DIR)\n"
        )
        assert _files(run) == before


def test_resize_none_on_a_resume_asks_for_the_images_own_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--resize none, how the messages print no resize, was refused as no positive integer: a run
    made with --resize 14 had no way to ask for the 28×28 images back. Given, it is that change, a
    new image size refused even forced as any other; left out, the run keeps its 14; on a run made
    without --resize it is no change, and the run goes on as one never stopped."""
    settings = ["--threads", "1", "--plot", "none", "--device", "cpu", "--batch-size", "1024"]
    resized = tmp_path / "resized"
    assert (
        main(["softmax", *settings, "--epochs", "1", "--resize", "14", "--out", str(resized)]) == 0
    )
    before = _files(resized)
    capsys.readouterr()
    for force in ([], ["--force"]):
        argv = ["softmax", "--resume", str(resized), "--epochs", "2", "--resize", "none", *force]
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            "linearnets softmax: error: --resize changed from 14 to none (28×28) since the run in "
            f"{resized} started: the model would take 784 inputs (28×28 pixels) into 10 classes "
            "and the checkpoint's weights take 196 inputs into 10 classes, so they cannot carry "
            "over, not even with --force; leave --resize out, or start a new run in another "
            "folder (--out NEW_DIR)\n"
        )
        assert _files(resized) == before
    assert main(["softmax", "--resume", str(resized), "--epochs", "2"]) == 0  # the fix it names
    assert json.loads((resized / "config.json").read_text())["config"]["resize"] == 14
    plain, never = tmp_path / "plain", tmp_path / "never"
    assert main(["softmax", *settings, "--epochs", "1", "--out", str(plain)]) == 0
    assert main(["softmax", "--resume", str(plain), "--epochs", "2", "--resize", "NONE"]) == 0
    saved = json.loads((plain / "config.json").read_text())
    assert saved["config"]["resize"] is None and saved["resumes"][-1]["forced"] == {}
    assert main(["softmax", *settings, "--epochs", "2", "--out", str(never)]) == 0
    ours, theirs = _weights(plain), _weights(never)
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_a_run_made_in_two_processes_resumed_in_one_is_told_what_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run made under torchrun --nproc_per_node 2 with a batch each process held half of, but
    one process could not, was refused resumed in one as a damaged config.json ("its 'config'
    section holds a value no run takes ...; correct it, or delete config.json"), --batch-size
    and --force no help: the saved settings were checked before any option applied. Here 2 GiB
    is 30,000 images of 1×1 (the rule's arithmetic, patched down), and the run's config.json says
    2 processes as torchrun's run writes it: the fixes it names work, a smaller --batch-size
    forced continues the run."""
    from linearnets import config_checks

    run = tmp_path / "run"
    settings = ["--threads", "1", "--plot", "none", "--device", "cpu", "--resize", "1"]
    assert (
        main(["softmax", *settings, "--batch-size", "60000", "--epochs", "1", "--out", str(run)])
        == 0
    )
    saved = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**saved, "world_size": 2}))
    monkeypatch.setattr(config_checks, "MAX_BATCH_BYTES", 30000 * 1**2 * 4)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    before = _files(run)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"linearnets softmax: error: the run in {run} trains with --batch-size 60000 at --resize "
        "1, "
    )
    assert err.endswith(
        "; resume it under torchrun with as many processes as it ran in (torchrun "
        "--nproc_per_node=2), or pass --batch-size 30000 or less with --force (a new batch size "
        "changes its result)\n"
    )
    assert _files(run) == before
    assert main(["softmax", "--resume", str(run), "--epochs", "2", "--batch-size", "30001"]) == 2
    assert "pass --batch-size 30000 or less (with --force: " in capsys.readouterr().err
    assert main(["softmax", "--resume", str(run), "--epochs", "2", "--batch-size", "30000"]) == 2
    assert "pass --force to continue with the new value" in capsys.readouterr().err
    assert _files(run) == before
    argv = ["softmax", "--resume", str(run), "--epochs", "2", "--batch-size", "30000", "--force"]
    assert main(argv) == 0
    saved = json.loads((run / "config.json").read_text())
    assert saved["config"]["batch_size"] == 30000 and len(_metrics(run)) == 2
    assert saved["resumes"][-1]["forced"] == {"batch_size": ["60000", "30000"]}


def test_a_resize_to_the_images_own_size_is_no_change_either_way(
    tmp_path: Path, reference: Path
) -> None:
    """--resize 28 on Fashion-MNIST's 28×28 images resamples nothing: it was refused as a change
    "which would change its result", yet the run goes on bit-identical to the reference, never
    resized nor stopped; and a run made with resize=28 resumed with resize=None, too."""
    plain = tmp_path / "plain"
    assert main(["softmax", *SETTINGS, "--epochs", "1", "--out", str(plain)]) == 0
    assert main(["softmax", "--resume", str(plain), "--epochs", "3", "--resize", "28"]) == 0
    _assert_same_run(plain, reference)
    saved = json.loads((plain / "config.json").read_text())
    assert saved["config"]["resize"] == 28 and saved["resumes"][-1]["forced"] == {}
    resized = tmp_path / "resized"
    config = SoftmaxConfig(epochs=1, num_threads=1, resize=28, plot="none", device="cpu")
    run_softmax(replace(config, out=resized))
    assert resume_softmax(resized, epochs=3, resize=None).config.resize is None
    _assert_same_run(resized, reference)


def test_a_lost_config_json_still_checks_the_data_file_against_the_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checkpoint records the --data file's SHA-256, which stands in for a lost config.json's:
    new content at the run's path trained on without a word, the rebuilt config.json recording its
    SHA-256 as the run's; a file gone was told "the run recorded no SHA-256", which it had. A
    checkpoint of an earlier linearnets records none: said so, the file's content unchecked."""
    from linearnets._fs import sha256_file

    data = tmp_path / "d.npz"
    _blobs(data, 1)
    run, old = tmp_path / "run", tmp_path / "old"
    common = ["--data", str(data), "--plot", "none", "--threads", "1", "--epochs", "1"]
    for out in (run, old):
        assert main(["softmax", *common, "--out", str(out)]) == 0
    first = json.loads((run / "config.json").read_text())["data_sha256"]
    assert load_checkpoint(run / "checkpoint.pt").extra["data_sha256"] == first
    for out in (run, old):
        (out / "config.json").unlink()
    _blobs(data, 2)
    now = sha256_file(data)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: --data {data} changed since the checkpoint was trained on it "
        f"(SHA-256 {first[:12]}… then, {now[:12]}… now), which would change its result; put that "
        "content back, or pass --force to continue on the new content\n"
    )
    assert not (run / "config.json").exists()  # refused: nothing written
    assert main(["softmax", "--resume", str(run), "--epochs", "2", "--force"]) == 0
    rebuilt = json.loads((run / "config.json").read_text())
    assert rebuilt["data_sha256"] == now
    assert rebuilt["resumes"][-1]["forced"]["data_sha256"] == [first, now]
    # in Python: the same refusal, and force=True trains on
    (run / "config.json").unlink()
    _blobs(data, 3)
    with pytest.raises(UsageError, match=rf"^data={re.escape(repr(str(data)))} changed since"):
        resume_softmax(run, epochs=3)
    assert len(resume_softmax(run, epochs=3, force=True).history.epochs) == 3
    # a checkpoint of an earlier linearnets: no SHA-256 to check the moved file against
    _edit_checkpoint(
        old, extra=lambda p: {k: v for k, v in p["extra"].items() if k != "data_sha256"}
    )
    data.unlink()
    with pytest.raises(UsageError) as info:
        resume_softmax(old, epochs=2)
    assert str(info.value).endswith(
        "if the file moved, pass data=NEWPATH with force=True (config.json is lost, and "
        "checkpoint.pt, which stands in for it, is an earlier linearnets' that recorded no "
        "SHA-256 to check the content against)"
    )
    _blobs(data, 4)
    with pytest.warns(ResumeWarning, match=r"continues on data=.* unchecked: config\.json is lost"):
        assert len(resume_softmax(old, epochs=2).history.epochs) == 2


def test_a_data_file_of_the_same_shape_may_be_forced_another_shape_never(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    _blobs(tmp_path / "a.npz", 1)  # 4 features, 2 classes
    _blobs(tmp_path / "b.npz", 2)  # the same shape
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(80, 5)).astype(np.float32), rng.integers(0, 2, size=80)
    np.savez(tmp_path / "c.npz", X=X, y=y)  # 5 features
    run = tmp_path / "run"
    common = ["--plot", "none", "--threads", "1", "--out", str(run), "--epochs", "1"]
    assert main(["softmax", "--data", str(tmp_path / "a.npz"), *common]) == 0
    capsys.readouterr()
    resume = ["softmax", "--resume", str(run), "--epochs", "2", "--data"]
    assert main([*resume, str(tmp_path / "c.npz"), "--force"]) == 2
    err = capsys.readouterr().err
    assert (
        f"--data changed from {tmp_path / 'a.npz'} to {tmp_path / 'c.npz'} since the run in {run} "
        "started: the model would take 5 inputs into 2 classes and the checkpoint's weights take "
        "4 inputs into 2 classes, so they cannot carry over, not even with --force; leave "
        "--data out, or start a new run in another folder (--out NEW_DIR)\n"
    ) in err
    assert main([*resume, str(tmp_path / "b.npz")]) == 2
    sha_a = hashlib.sha256((tmp_path / "a.npz").read_bytes()).hexdigest()
    assert capsys.readouterr().err.endswith(
        f"--data changed from {tmp_path / 'a.npz'} (SHA-256 {sha_a[:12]}) to {tmp_path / 'b.npz'} "
        f"since the run in {run} "
        "started, which would change its result; leave --data out to continue the same run, or "
        "pass --force to continue with the new value\n"
    )
    assert main([*resume, str(tmp_path / "b.npz"), "--force"]) == 0
    forced = json.loads((run / "config.json").read_text())["resumes"][-1]["forced"]
    assert forced["data"] == [str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]


def test_a_checkpoint_copied_from_another_run_is_named_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --lr was given: the option is not what changed, the checkpoint is (another run's)."""
    _blobs(tmp_path / "d.npz", 4)
    common = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--epochs", "1"]
    assert main(["softmax", *common, "--lr", "0.1", "--out", str(tmp_path / "mine")]) == 0
    assert main(["softmax", *common, "--lr", "0.2", "--out", str(tmp_path / "other")]) == 0
    copied = (tmp_path / "other" / "checkpoint.pt").read_bytes()
    (tmp_path / "mine" / "checkpoint.pt").write_bytes(copied)
    capsys.readouterr()
    assert main(["softmax", "--resume", str(tmp_path / "mine"), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {tmp_path / 'mine' / 'checkpoint.pt'} was trained with --lr "
        f"0.2, but {tmp_path / 'mine' / 'config.json'} asks for --lr 0.1 (a checkpoint from "
        "another run?), which would change its result; put the run's own checkpoint.pt back, or "
        "pass --lr 0.2 to continue as the checkpoint was trained, or pass --force to continue "
        "with the settings of config.json\n"
    )
    # as advised: the checkpoint's lr given back continues it as trained
    assert (
        main(["softmax", "--resume", str(tmp_path / "mine"), "--epochs", "2", "--lr", "0.2"]) == 0
    )
    saved = json.loads((tmp_path / "mine" / "config.json").read_text())
    assert saved["config"]["lr"] == 0.2 and saved["resumes"][-1]["forced"] == {}


def _dies_drawing(*args: Any, **kwargs: Any) -> None:
    os._exit(3)  # in the plotting process: as if it were killed (the OOM killer, kill -9)


def test_a_run_whose_plotting_process_died_gets_its_figures_from_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """results.json is written, but the figures are missing: the error names --resume, and that
    resume trains nothing and draws them (it said "no epochs left" before)."""

    import linearnets.plotting._plot_child as plot_child
    import linearnets.plotting.confusion as confusion
    from linearnets.errors import PlotError

    _small_npz(tmp_path, seed=16)
    config = SoftmaxConfig(data=tmp_path / "d.npz", plot="file", epochs=2, out=tmp_path / "run")
    with monkeypatch.context() as patch:
        patch.setattr(confusion, "plot_confusion_matrix", _dies_drawing)
        # one core: the plotting process draws its last figures itself, and dies of it
        patch.setattr(plot_child, "usable_cores", lambda: 1)
        with pytest.raises(
            PlotError,
            match=r"the plotting process died \(exit code 3\); the other files of the run are "
            r"saved; draw them with: linearnets\.resume_softmax\('.*run'\)$",
        ):
            run_softmax(config)
    run = tmp_path / "run"
    before = json.loads((run / "results.json").read_text())
    weights = _weights(run)
    assert not (run / "confusion.png").exists()
    result = resume_softmax(run)
    assert [m.epoch for m in result.history.epochs] == [1, 2]  # nothing trained again
    assert all(torch.equal(weights[k], _weights(run)[k]) for k in weights)
    after = json.loads((run / "results.json").read_text())
    assert after == before  # the measured seconds_per_epoch too: no epoch was trained
    assert result.seconds_per_epoch == before["seconds_per_epoch"]
    for name in ("confusion.png", "curves.png", "curves.svg"):
        assert (run / name).stat().st_size > 1000, name
    with pytest.raises(LinearnetsError, match=r"is complete: it finished its 2 epochs"):
        resume_softmax(run)  # now complete: nothing left to do


def _rank_1_sends(change: dict[str, Any], drop: tuple[str, ...] = ()) -> Any:
    """all_gather_object on rank 0 of 2: rank 1 sends what rank 0 does, but with ``change`` made
    (and the settings in ``drop`` not given at all)."""

    def all_gather_object(gathered: list[Any], mine: Any) -> None:
        status, settings = mine
        theirs = {k: v for k, v in {**settings, **change}.items() if k not in drop}
        gathered[:] = [mine, (status, theirs)]

    return all_gather_object


@pytest.mark.parametrize(
    ("change", "drop", "message"),
    [
        ({"epochs": 3}, (), "rank 1 was started with epochs=3, rank 0 with epochs=2"),
        ({}, ("epochs",), "rank 1 was started without epochs, rank 0 with epochs=2"),
        ({"force": True}, (), "rank 1 was started with force=True, rank 0 with force=False"),
    ],
    ids=["epochs", "epochs-on-rank-0-only", "force"],
)
def test_a_data_parallel_resume_refuses_processes_given_other_overrides(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    drop: tuple[str, ...],
    message: str,
) -> None:
    """Processes started by hand with another --epochs once waited on each other for 30 minutes;
    another --force would let one process continue what the others refuse."""
    import torch.distributed as dist

    from linearnets.errors import UsageError
    from linearnets.training.distributed import DistContext

    _blobs(tmp_path / "d.npz", 0)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=run))
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    monkeypatch.setattr(dist, "all_gather_object", _rank_1_sends(change, drop))
    with pytest.raises(
        UsageError, match=rf"^{message}; start every process with the same options$"
    ):
        resume_softmax(run, epochs=2, dist=DistContext(rank=0, world_size=2))
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before  # untouched


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a device this machine lacks: CUDA")
def test_a_data_parallel_resume_on_a_device_one_process_lacks_is_refused_by_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process without the device sends its refusal in the settings' agreement, as one
    without the folder does; rank 0 names it; nothing is written."""
    import torch.distributed as dist

    from linearnets.errors import UsageError
    from linearnets.training.distributed import DistContext

    _blobs(tmp_path / "d.npz", 0)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=run))
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    sent: list[Any] = []

    def all_gather_object(gathered: list[Any], mine: Any) -> None:
        sent.append(mine)
        gathered[:] = [("ok", {}), mine]

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    no_cuda = r"device 'cuda' needs CUDA, but no CUDA GPU is available here"
    with pytest.raises(UsageError, match=rf"^{no_cuda}"):
        resume_softmax(run, epochs=2, device="cuda", dist=DistContext(rank=1, world_size=2))
    assert [status for status, _ in sent] == ["error"]
    monkeypatch.setattr(dist, "all_gather_object", lambda gathered, mine: gathered.__setitem__(
        slice(None), [mine, sent[0]]))  # fmt: skip
    with pytest.raises(UsageError, match=rf"^rank 1 stopped: {no_cuda}"):
        resume_softmax(run, epochs=2, dist=DistContext(rank=0, world_size=2))
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before  # untouched


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_a_resume_inside_the_callers_no_grad_ends_as_the_run_never_stopped(
    tmp_path: Path, impl: str, mode: str
) -> None:
    """Inside ``torch.no_grad()`` or ``torch.inference_mode()`` a scratch or concise resume once
    failed ("gradients are disabled in the calling code"); analytic trained. The oracle is the
    uninterrupted run outside them: the same weights and metrics, bit for bit."""
    _blobs(tmp_path / "d.npz", 13)
    base = {"data": tmp_path / "d.npz", "plot": "none", "batch_size": 16, "impl": impl}
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run_softmax(SoftmaxConfig(**base, epochs=1, out=tmp_path / "cut"))
    with getattr(torch, mode)():
        resume_softmax(tmp_path / "cut", epochs=2)
        assert not torch.is_grad_enabled()
        assert torch.is_inference_mode_enabled() == (mode == "inference_mode")
    _assert_same_weights_and_metrics(tmp_path / "cut", tmp_path / "whole")
    assert len(_metrics(tmp_path / "cut")) == 2


class _Kill(Callback):
    """Sends SIGINT to this process at the end of epoch ``epoch``, or (``epoch=None``) as fit
    closes its callbacks, after the last epoch's own check."""

    def __init__(self, epoch: int | None) -> None:
        self.epoch = epoch

    def on_epoch_end(self, *, metrics: Any) -> None:
        if metrics.epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)

    def on_fit_end(self, *, history: Any) -> None:
        if self.epoch is None:
            os.kill(os.getpid(), signal.SIGINT)


def test_a_signal_while_fit_closes_its_callbacks_stops_the_run_with_its_resume(
    tmp_path: Path,
) -> None:
    """It was dropped: the run went on, wrote its reports and ended as if nothing had come."""
    out = tmp_path / "run"
    config = SoftmaxConfig(epochs=2, num_threads=1, plot="none", device="cpu", out=out)
    with pytest.raises(TrainingInterrupted) as info:
        run_softmax(config, callbacks=[_Kill(None)])
    assert str(info.value) == (
        f"interrupted by SIGINT at the end of epoch 2; the checkpoint of epoch 2 is kept in {out}; "
        f"resume with: linearnets.resume_softmax({str(out)!r})"
    )
    assert not (out / "results.json").exists()
    resume_softmax(out)  # trains nothing: writes what the stop left out
    assert json.loads((out / "results.json").read_text())["epochs"] == 2


def test_a_second_signal_while_the_first_stop_goes_out_keeps_the_run_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training's handlers were gone, so the second signal raised a plain KeyboardInterrupt in the
    first stop's place: the run was told as never started ("nothing was trained or kept") and its
    config.json removed, though its checkpoint was kept."""
    named = training_run.name_resume

    def name_then_second_signal(*args: Any) -> None:
        named(*args)
        os.kill(os.getpid(), signal.SIGINT)  # lands while the first stop is handled

    monkeypatch.setattr(training_run, "name_resume", name_then_second_signal)
    out = tmp_path / "run"
    config = SoftmaxConfig(epochs=3, num_threads=1, plot="none", device="cpu", out=out)
    with pytest.raises(TrainingInterrupted) as info:
        run_softmax(config, callbacks=[_Kill(1)])
    assert str(info.value).startswith(
        f"interrupted by SIGINT at the end of epoch 1; the checkpoint of epoch 1 is kept in {out}"
    )
    assert (out / "config.json").is_file() and (out / "checkpoint.pt").is_file()
    monkeypatch.undo()
    assert resume_softmax(out).history.epochs[-1].epoch == 3


@pytest.mark.parametrize("resumed", [False, True], ids=["run", "resume"])
def test_a_second_signal_as_the_lock_goes_reaches_the_caller_as_the_first_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resumed: bool
) -> None:
    """Two Ctrl-Cs at a run's end in Python: the second, landing as the folder's lock was released
    on the first stop's way out (training's handlers gone), reached the caller of run_softmax /
    resume_softmax as a bare KeyboardInterrupt, naming neither the folder nor its resume."""
    from linearnets.training import run_lock

    out = tmp_path / "run"
    config = SoftmaxConfig(epochs=2, num_threads=1, plot="none", device="cpu", out=out)
    if resumed:
        with pytest.raises(TrainingInterrupted):
            run_softmax(config, callbacks=[_Kill(1)])
    real, sent = run_lock.RunLock.release, []

    def release(self: run_lock.RunLock, *, remove: bool = False) -> None:
        real(self, remove=remove)
        if isinstance(sys.exc_info()[1], TrainingInterrupted) and not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)  # a real one: Python's handler raises it here

    monkeypatch.setattr(run_lock.RunLock, "release", release)
    with pytest.raises(KeyboardInterrupt) as info:  # a bare one is a failure, not pytest's stop
        if resumed:
            resume_softmax(out, callbacks=[_Kill(2)])
        else:
            run_softmax(config, callbacks=[_Kill(2)])
    assert sent == [1]
    assert type(info.value) is TrainingInterrupted
    assert str(info.value) == (
        f"interrupted by SIGINT at the end of epoch 2; the checkpoint of epoch 2 is kept in {out}; "
        f"resume with: linearnets.resume_softmax({str(out)!r})"
    )


def test_the_processes_of_a_resume_agree_on_the_checkpoint_they_resume(tmp_path: Path) -> None:
    """Ranks resuming different checkpoints (each its own --resume DIR) trained a silently wrong
    run, or waited forever on a rank with fewer epochs left: the checkpoint is a setting compared."""
    import hashlib

    from linearnets.tasks.resume_shared import shared_overrides

    for name in ("a", "b"):
        run_softmax(
            SoftmaxConfig(
                epochs=1, num_threads=1, plot="none", device="cpu", out=tmp_path / name,
                seed=0 if name == "a" else 1,
            )
        )  # fmt: skip
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "checkpoint.pt").write_bytes((tmp_path / "a" / "checkpoint.pt").read_bytes())
    a, b, c = (shared_overrides(tmp_path / n, {}, force=False) for n in "abc")
    assert a["checkpoint"] != b["checkpoint"] and a["checkpoint"].content.startswith("SHA-256 ")
    assert a == c  # the same file, wherever it is mounted
    assert shared_overrides(tmp_path / "none", {}, force=False)["checkpoint"].content == "none"
    (tmp_path / "d" / "checkpoint.pt").mkdir(parents=True)  # unreadable here: named, not raised
    unreadable = shared_overrides(tmp_path / "d", {}, force=False)["checkpoint"]
    assert unreadable.content == "unreadable (Is a directory)"
    # only the settings given are compared: the others come from each process's config.json, and
    # one given at its default (lr=0.1 to a run of lr=0.5) is still a change another lacks
    digest = hashlib.sha256((tmp_path / "a" / "checkpoint.pt").read_bytes()).hexdigest()
    assert list(a) == ["mode", "force", "checkpoint"]  # the mode first: a new run's is told apart
    assert (str(a["mode"]), a["force"]) == (f"resumes the run in {str(tmp_path / 'a')!r}", False)
    assert repr(a["checkpoint"]) == (
        f"{str(tmp_path / 'a' / 'checkpoint.pt')!r} (SHA-256 {digest[:16]})"
    )
    assert shared_overrides(tmp_path / "a", {"lr": 0.1}, force=True) == {
        "mode": a["mode"],
        "force": True,
        "lr": 0.1,
        "checkpoint": a["checkpoint"],
    }


def test_processes_resuming_different_runs_are_told_the_folders(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Ranks given different --resume folders were told two SHA-256s alone; a rank resuming and
    a rank starting a new run were told "rank 1 was started without force, rank 0 with
    force=False", the first of the names a resume's settings and a new run's do not share."""
    import torch.distributed as dist

    from linearnets.tasks.group_settings import shared_settings
    from linearnets.tasks.resume_shared import shared_overrides
    from linearnets.training.distributed import DistContext
    from linearnets.training.rank_agreement import RunMode, check_same_settings

    for name in ("rx", "ry"):
        run_softmax(
            SoftmaxConfig(
                epochs=1, num_threads=1, plot="none", device="cpu", out=tmp_path / name,
                seed=0 if name == "rx" else 1,
            )
        )  # fmt: skip
    rx, ry = (shared_overrides(tmp_path / name, {}, force=False) for name in ("rx", "ry"))
    new_run = {"mode": RunMode(resumes=False), **shared_settings(SoftmaxConfig(epochs=1))}

    def gathered(theirs: dict[str, Any]) -> Any:
        def all_gather_object(out: list[Any], mine: Any) -> None:
            out[:] = [mine, ("ok", theirs)]

        return all_gather_object

    group = DistContext(rank=0, world_size=2)
    monkeypatch.setattr(dist, "all_gather_object", gathered(new_run))
    with pytest.raises(UsageError) as info:
        check_same_settings(group, lambda: rx)
    assert str(info.value) == (
        f"rank 0 resumes the run in {str(tmp_path / 'rx')!r}, rank 1 starts a new run; start every "
        "process the same way: all resuming one run (linearnets softmax --resume RUN_DIR, "
        "resume_softmax) or all starting a new one, with the same options"
    )
    # rank 1 in other/, given --resume ../ry: shown to rank 0 as its absolute path, not '../ry'
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    ry = shared_overrides(Path("../ry"), {}, force=False)
    monkeypatch.setattr(dist, "all_gather_object", gathered(ry))
    with pytest.raises(UsageError) as info:
        check_same_settings(group, lambda: rx)
    assert str(info.value) == (
        f"rank 1 resumes the run in {str(tmp_path / 'ry')!r}, rank 0 the run in "
        f"{str(tmp_path / 'rx')!r}; resume the same run on every process"
    )
    new_run_1 = {"mode": RunMode(resumes=False), **shared_settings(SoftmaxConfig(epochs=1))}
    monkeypatch.setattr(dist, "all_gather_object", gathered(new_run_1))
    with pytest.raises(UsageError, match=r"^rank 0 resumes the run in '/"):
        check_same_settings(group, lambda: shared_overrides(Path("../rx"), {}, force=False))
    # one path on both machines, another run in it: the checkpoints' contents are told too
    copy = {**ry, "mode": rx["mode"]}
    monkeypatch.setattr(dist, "all_gather_object", gathered(copy))
    with pytest.raises(UsageError) as info:
        check_same_settings(group, lambda: rx)
    assert str(info.value) == (
        f"rank 1 resumes the run in {str(tmp_path / 'rx')!r}, rank 0 the run in "
        f"{str(tmp_path / 'rx')!r}, whose checkpoints differ ({ry['checkpoint'].content}, rank "
        f"0's {rx['checkpoint'].content}); resume the same run on every process"
    )


def test_a_process_resumes_with_others_in_its_group_or_under_torchrun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A folder one process lacks is said to every process only when there are others (``dist``'s
    group, or torchrun's WORLD_SIZE for a script that passes none); alone, it is raised at once."""
    from linearnets.tasks.resume_shared import with_others
    from linearnets.training.distributed import DistContext

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert with_others(None) is False
    for size, together in (("1", False), ("2", True), ("3", True)):
        monkeypatch.setenv("WORLD_SIZE", size)
        assert with_others(None) is together
    monkeypatch.setenv("WORLD_SIZE", "2")  # dist given: its group decides, not the variables
    assert with_others(DistContext()) is False
    assert with_others(DistContext(rank=1, world_size=2)) is True


def test_a_run_started_over_keeps_its_start_and_names_its_lost_data_file(tmp_path: Path) -> None:
    """A run stopped before its first checkpoint starts over in place: config.json keeps the
    environment it started in and records the resume from epoch 0, forcing nothing; a data file
    its config names that is gone is said as the run's, with the fix data=NEWPATH."""
    _blobs(tmp_path / "d.npz", 0)
    out = tmp_path / "run"
    out.mkdir()
    config = SoftmaxConfig(
        data=tmp_path / "d.npz", epochs=1, num_threads=1, plot="none", device="cpu", out=out
    )
    started = {"num_threads": 7, "python": "the start's"}  # not this process's: kept as it was
    (out / "config.json").write_text(
        json.dumps({"config": config.to_dict(), "environment": started})
    )
    resume_softmax(out)
    saved = json.loads((out / "config.json").read_text())
    assert saved["environment"] == started
    assert [(entry["from_epoch"], entry["forced"]) for entry in saved["resumes"]] == [(0, {})]
    gone = tmp_path / "gone"
    gone.mkdir()
    lost = replace(config, data=tmp_path / "lost.npz", out=gone)
    (gone / "config.json").write_text(json.dumps({"config": lost.to_dict()}))
    with pytest.raises(UsageError) as info:
        resume_softmax(gone)
    assert str(info.value) == (
        f"the run in {gone} was trained on data={str(tmp_path / 'lost.npz')!r}, as the run's "
        "config records, which does not exist or is not a file now; if the file moved, pass "
        "data=NEWPATH with force=True (the run recorded no SHA-256 to check the content against)"
    )


def test_a_resume_that_draws_refuses_a_bad_mplbackend_before_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a new run is: the resume's plot setting (here given) is checked before config.json
    records the resume, not when its first figure fails to draw."""
    from linearnets.plotting import _mpl

    _blobs(tmp_path / "d.npz", 0)
    out = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=out))
    before = (out / "config.json").read_text()
    bad = "MPLBACKEND must name a matplotlib backend, got 'no_such_backend'"

    def refused(*, alternative: str) -> Any:  # matplotlib's import fails on this machine
        raise UsageError(f"{bad}; or {alternative}")

    monkeypatch.setattr(_mpl, "matplotlib_module", refused)
    monkeypatch.setenv("MPLBACKEND", "no_such_backend")
    with pytest.raises(UsageError, match=rf"^{bad}; or pass plot='none'$"):
        resume_softmax(out, epochs=2, plot="file")
    assert (out / "config.json").read_text() == before


def test_a_run_whose_data_dir_went_is_named_as_the_runs_on_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A resume of a run trained on --data-dir fm, moved away since, said "--data-dir must be an
    existing folder, got '.../fm'", an option never passed to the resume, and that the installed
    copy "is read from there when no --data-dir DIR is passed". It names the run's config as the
    folder's source, the command line in its words and Python in its own; --data-dir NEWDIR,
    the fix, continues the run without --force."""
    from linearnets.data.files import find_fashion_mnist

    found = find_fashion_mnist(None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fm").mkdir()
    for path in found.paths.values():
        (tmp_path / "fm" / path.name).symlink_to(path)
    run = ["--threads", "1", "--plot", "none", "--device", "cpu"]
    assert main(["softmax", "--data-dir", "fm", "--epochs", "1", "--out", "run", *run]) == 0
    (tmp_path / "fm").rename(tmp_path / "moved")
    capsys.readouterr()
    assert main(["softmax", "--resume", "run", "--epochs", "2", *run]) == 2
    said = (
        "the run in run was trained on {}, as the run's config records, which is no longer a "
        "folder; if the Fashion-MNIST files moved, pass {} (they are checked against "
        "Fashion-MNIST's MD5s: any folder with the four continues the run); a copy is found here "
        f"({found.source}): pass {{}} to resume on it"
    )
    where = os.path.abspath(found.directory)
    fm = str(tmp_path / "fm")
    assert (
        capsys.readouterr().err
        == "linearnets softmax: error: "
        + said.format(f"--data-dir {fm}", "--data-dir NEWDIR", f"--data-dir {where}")
        + "\n"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(tmp_path / "run", epochs=2)
    assert str(info.value) == said.format(
        f"data_dir={fm!r}", "data_dir=NEWDIR", f"data_dir={where!r}"
    ).replace("the run in run", f"the run in {tmp_path / 'run'}")
    assert main(["softmax", "--resume", "run", "--epochs", "2", "--data-dir", "moved", *run]) == 0


def test_a_checkpoint_copied_from_a_run_on_another_data_file_is_named(tmp_path: Path) -> None:
    """The checkpoint's extra["data_sha256"] was never compared with config.json's: a checkpoint
    of a run on another file resumed silently on this run's file (the moved-file rule dropped
    the path's change, the content at config.json's path being the run's)."""
    from linearnets.cli._report import one_line
    from linearnets.tasks.linreg_run import data_sha256

    _blobs(tmp_path / "a.npz", 1)
    _blobs(tmp_path / "b.npz", 2)
    out, other = tmp_path / "run", tmp_path / "other"
    for run, data in ((out, "a.npz"), (other, "b.npz")):
        run_softmax(SoftmaxConfig(data=tmp_path / data, plot="none", epochs=1, out=run))
    (out / "checkpoint.pt").write_bytes((other / "checkpoint.pt").read_bytes())
    a, b = data_sha256(tmp_path / "a.npz"), data_sha256(tmp_path / "b.npz")
    assert a is not None and b is not None
    assert load_checkpoint(out / "checkpoint.pt").extra["data_sha256"] == b
    with pytest.raises(UsageError) as info:
        resume_softmax(out, epochs=2)
    assert one_line(info.value) == (
        f"{out}/checkpoint.pt was trained on --data {tmp_path / 'b.npz'} (SHA-256 {b[:12]}…), "
        f"but {out}/config.json is of the run on --data {tmp_path / 'a.npz'} (SHA-256 "
        f"{a[:12]}…) (a checkpoint from another run?), which would change its result; put the "
        "run's own checkpoint.pt back, or pass --force to continue from this one on "
        "config.json's data"
    )
    with pytest.warns(
        ResumeWarning, match=r"the old metrics\.jsonl is kept as metrics\.jsonl\.bak"
    ):  # the other run's checkpoint: its metrics written, this run's kept
        assert len(resume_softmax(out, epochs=2, force=True).history.epochs) == 2


@pytest.mark.parametrize("lr", [None, 0.5])
def test_a_new_data_path_refused_where_the_runs_own_file_is_gone_advises_its_return(
    tmp_path: Path, lr: float | None
) -> None:
    """ "drop the option to continue the same run" was refused next: the recorded file does not
    exist. The fix is the file put back, or its moved copy passed (which then resumes)."""
    _blobs(tmp_path / "d.npz", 0)
    _blobs(tmp_path / "e.npz", 1)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=run))
    (tmp_path / "d.npz").rename(tmp_path / "moved.npz")
    extra = {} if lr is None else {"lr": lr}
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2, data=tmp_path / "e.npz", **extra)
    others = "" if lr is None else " and leave lr out"
    assert str(info.value).endswith(
        f"which would change its result; to continue the same run, put the run's own file back "
        f"in its place, {tmp_path / 'd.npz'}, or pass data=NEWPATH for a copy of it moved "
        f"elsewhere (its SHA-256 is checked: the same content continues the run){others}; or "
        f"pass force=True to continue with the new value{'' if lr is None else 's'}"
    )
    assert "leave data out" not in str(info.value)  # refused next: the file is gone
    assert len(resume_softmax(run, epochs=2, data=tmp_path / "moved.npz").history.epochs) == 2


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_checkpoints_own_file_moved_or_copied_continues_after_a_forced_switch(
    tmp_path: Path,
) -> None:
    """After a forced switch from a to b stopped before its first checkpoint, a moved (or
    copied) a passed with data=NEWPATH, as the refusal advised, was refused as "data changed
    from a to a2": the paths were compared, never the checkpoint's SHA-256. Its content is the
    checkpoint's: it continues unforced, as a run never stopped."""
    _blobs(tmp_path / "a.npz", 1)
    _blobs(tmp_path / "b.npz", 2)
    base = {"data": tmp_path / "a.npz", "plot": "none", "batch_size": 16}
    run_softmax(SoftmaxConfig(**base, epochs=3, out=tmp_path / "whole"))
    runs = [tmp_path / "moved", tmp_path / "copied"]
    for run in runs:
        run_softmax(SoftmaxConfig(**base, epochs=2, out=run))
        with pytest.raises(TrainingInterrupted):
            resume_softmax(
                run, epochs=3, data=tmp_path / "b.npz", force=True, callbacks=[_StopAtFirstStep()]
            )
    (tmp_path / "a_copy.npz").write_bytes((tmp_path / "a.npz").read_bytes())
    resume_softmax(runs[1], data=tmp_path / "a_copy.npz")  # while a is in place
    (tmp_path / "a.npz").rename(tmp_path / "a2.npz")
    resume_softmax(runs[0], data=tmp_path / "a2.npz")
    for run in runs:
        assert json.loads((run / "config.json").read_text())["resumes"][-1]["forced"] == {}
        _assert_same_weights_and_metrics(run, tmp_path / "whole")


def test_a_file_after_two_forced_switches_is_named_with_its_own_sha256(tmp_path: Path) -> None:
    """Forced switches from a to b, then to d, each stopped before its first checkpoint: b
    passed back was refused as "data=b changed since the run started (SHA-256 <d's> then, <b's>
    now)", d's SHA-256 paired with b, and the second entry recorded b's content as the one
    left, though the checkpoint was trained on a. b, forced from that epoch, carries on; other
    content is a change from the checkpoint's file a, named with a's SHA-256."""
    for name, seed in (("a", 1), ("b", 2), ("d", 4), ("e", 5)):
        _blobs(tmp_path / f"{name}.npz", seed)
    a, b, d = (tmp_path / f"{n}.npz" for n in "abd")
    base = {"plot": "none", "batch_size": 16}
    run, reference = tmp_path / "run", tmp_path / "reference"
    for folder in (run, reference):
        run_softmax(SoftmaxConfig(data=a, **base, epochs=2, out=folder))
    for data in (b, d):
        with pytest.raises(TrainingInterrupted):
            resume_softmax(run, epochs=3, data=data, force=True, callbacks=[_StopAtFirstStep()])
    saved = json.loads((run / "config.json").read_text())
    assert saved["resumes"][-1]["forced"]["data_sha256"] == [_sha(a), _sha(d)]
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.json", "checkpoint.pt", "metrics.jsonl"):
        (copy / name).write_bytes((run / name).read_bytes())
    with pytest.raises(UsageError) as info:
        resume_softmax(copy, data=tmp_path / "e.npz")
    assert str(info.value) == (
        f"data changed from '{a} (SHA-256 {_sha(a)[:12]})' to '{tmp_path / 'e.npz'}' since the "
        f"run in {copy} started, which would change its result; leave data out to continue with "
        f"data='{d}', as an earlier resume from epoch 2 forced, or pass force=True to continue "
        "with the new value"
    )
    resume_softmax(run, data=b)
    resume_softmax(reference, epochs=3, data=b, force=True)
    _assert_same_weights_and_metrics(run, reference)


def test_a_data_sha256_deleted_from_config_json_is_checked_against_the_checkpoints(
    tmp_path: Path,
) -> None:
    """config.json's data_sha256 deleted and the file edited: the resume trained on the new
    content silently, though checkpoint.pt records the content it was trained on. It is refused
    as a change unless forced, as with the record in place."""
    path = tmp_path / "d.npz"
    _blobs(path, 1)
    sha = _sha(path)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=path, plot="none", batch_size=16, epochs=1, out=run))
    saved = json.loads((run / "config.json").read_text())
    del saved["data_sha256"]
    (run / "config.json").write_text(json.dumps(saved))
    _blobs(path, 2)
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2)
    assert str(info.value) == (
        f"data={str(path)!r} changed since the run in {run} started (SHA-256 {sha[:12]}… then, "
        f"{_sha(path)[:12]}… now), which would change its result; put the original file back, or "
        "pass force=True to continue on the new content"
    )
    resume_softmax(run, epochs=2, force=True)
    forced = json.loads((run / "config.json").read_text())["resumes"][-1]["forced"]
    assert forced == {"data_sha256": [sha, _sha(path)]}


def test_a_given_change_beside_a_hand_edited_config_json_is_offered_the_checkpoints_value(
    tmp_path: Path,
) -> None:
    """As resume_linreg: "drop the option to continue the same run" was refused next, dropped
    (config.json's lr 0.05, a hand edit); lr=0.1, the checkpoint's, is offered."""
    _blobs(tmp_path / "d.npz", 1)
    base = {"data": tmp_path / "d.npz", "plot": "none", "batch_size": 16, "lr": 0.1}
    run_softmax(SoftmaxConfig(**base, epochs=2, out=tmp_path / "whole"))
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(**base, epochs=1, out=run))
    saved = json.loads((run / "config.json").read_text())
    saved["config"]["lr"] = 0.05
    (run / "config.json").write_text(json.dumps(saved))
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=2, lr=0.07)
    assert str(info.value) == (
        f"lr changed from 0.1 to 0.07 since the run in {run} started, which would change its "
        "result; pass lr=0.1 to continue the same run (left out, config.json's lr=0.05 is taken, "
        "which the checkpoint was not trained with), or pass force=True to continue with the new "
        "value"
    )
    resume_softmax(run, epochs=2, lr=0.1)
    _assert_same_weights_and_metrics(run, tmp_path / "whole")


def test_a_forced_file_changed_since_is_named_so_in_the_drop_the_option_fix(
    tmp_path: Path,
) -> None:
    """A forced switch from a to b, stopped, then b edited: a resume given d was told "drop the
    option to continue the same run", but dropping it was refused next, b's content changed."""
    for name, seed in (("a", 1), ("b", 2), ("d", 4)):
        _blobs(tmp_path / f"{name}.npz", seed)
    a, b, d = (tmp_path / f"{n}.npz" for n in "abd")
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=a, plot="none", batch_size=16, epochs=2, out=run))
    with pytest.raises(TrainingInterrupted):
        resume_softmax(run, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    _blobs(b, 5)
    with pytest.raises(UsageError) as info:
        resume_softmax(run, data=d)
    assert str(info.value) == (
        f"data changed from '{a} (SHA-256 {_sha(a)[:12]})' to '{d}' since the run in {run} "
        "started, which would change its result; leave data out to continue with "
        f"data='{b}', as an earlier resume from epoch 2 forced, once that file's content is put "
        "back (it changed since), or pass force=True to continue with the new value"
    )
    with pytest.raises(UsageError, match="changed since an earlier resume from epoch 2"):
        resume_softmax(run)
    _blobs(b, 2)
    resume_softmax(run)


def test_two_options_given_are_told_to_be_dropped_both(tmp_path: Path) -> None:
    """Two changes given were told "drop the option to continue the same run", "continue with
    the new value"; after a forced switch to b, lr with data=d "drop the option to continue with
    data=b", though dropping data alone was refused next, for lr."""
    for name, seed in (("a", 1), ("b", 2), ("d", 4)):
        _blobs(tmp_path / f"{name}.npz", seed)
    a, b, d = (tmp_path / f"{n}.npz" for n in "abd")
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=a, plot="none", batch_size=16, epochs=2, out=run))
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=3, batch_size=20, seed=4)
    assert str(info.value).endswith(
        "leave batch_size and seed out to continue the same run, or pass force=True to continue "
        "with the new values"
    )
    with pytest.raises(TrainingInterrupted):
        resume_softmax(run, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    with pytest.raises(UsageError) as info:
        resume_softmax(run, lr=0.5, data=d)
    assert str(info.value).endswith(
        f"leave lr and data out to continue with data='{b}', as an earlier resume from epoch 2 "
        "forced, or pass force=True to continue with the new values"
    )


def test_a_data_file_edited_since_is_named_beside_another_change(tmp_path: Path) -> None:
    """A forced switch from a to b, stopped before its first checkpoint, then b edited:
    batch_size=20 was told only "drop the option to continue the same run" (dropping it was
    refused next, b's content changed), and with force=True trained on the edited content
    without a word. The run's own file edited alike. The file's change is named beside the
    setting's, as resume_linreg names it; b's content put back, the run continues as forced."""
    from linearnets.cli._report import one_line

    for name, seed in (("a", 1), ("b", 2), ("c", 3)):
        _blobs(tmp_path / f"{name}.npz", seed)
    a, b, c = (tmp_path / f"{n}.npz" for n in "abc")
    base = {"plot": "none", "batch_size": 16}
    run, reference, own = tmp_path / "run", tmp_path / "reference", tmp_path / "own"
    for folder in (run, reference):
        run_softmax(SoftmaxConfig(data=a, **base, epochs=2, out=folder))
    with pytest.raises(TrainingInterrupted):
        resume_softmax(run, epochs=3, data=b, force=True, callbacks=[_StopAtFirstStep()])
    was = _sha(b)
    _blobs(b, 5)
    with pytest.raises(UsageError) as info:
        resume_softmax(run, batch_size=20)
    change = (
        f"changed since an earlier resume from epoch 2 switched to it (SHA-256 {was[:12]}… then, "
        f"{_sha(b)[:12]}… now)"
    )
    assert str(info.value) == (
        f"batch_size changed from 16 to 20 since the run in {run} started, and data='{b}' "
        f"{change}, which would change its result; leave batch_size out to continue the same run "
        "and put that file's content back, or pass force=True to continue with the new values"
    )
    assert one_line(info.value).startswith(
        f"--batch-size changed from 16 to 20 since the run in {run} started, and --data {b} "
        f"{change}"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(run)  # the option dropped, as the fix says: the file's content is refused
    assert str(info.value) == (
        f"data='{b}' {change}, which would change its result; put its content back to continue "
        "with it, as that resume forced, or pass force=True to continue on the new content"
    )
    _blobs(b, 2)
    resume_softmax(run)
    resume_softmax(reference, epochs=3, data=b, force=True)
    _assert_same_weights_and_metrics(run, reference)
    run_softmax(SoftmaxConfig(data=c, **base, epochs=1, out=own))
    was = _sha(c)
    _blobs(c, 6)
    with pytest.raises(UsageError) as info:
        resume_softmax(own, epochs=2, batch_size=20)
    assert str(info.value) == (
        f"batch_size changed from 16 to 20 since the run in {own} started, and data='{c}' "
        f"changed since the run in {own} started (SHA-256 {was[:12]}… then, {_sha(c)[:12]}… "
        "now), which would change its result; leave batch_size out to continue the same run and "
        "put the original file back, or pass force=True to continue with the new values"
    )


def test_the_original_npz_put_back_after_new_content_forced_at_its_path_is_told_so(
    tmp_path: Path,
) -> None:
    """New content forced at the run's own path from epoch 1, then the original file put back:
    the refusal said the file "changed since the run in R started" (the forced content's SHA-256
    "then", the run's first "now"), its fix "put the original file back", the file there. It names
    the forced resume and the content to put back, as resume_linreg does."""
    data = tmp_path / "q.npz"
    _blobs(data, 1)
    first = _sha(data)
    run = tmp_path / "run"
    run_softmax(SoftmaxConfig(data=data, plot="none", batch_size=16, epochs=1, out=run))
    _blobs(data, 2)
    forced = _sha(data)
    resume_softmax(run, epochs=2, force=True)
    _blobs(data, 1)
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=3)
    assert str(info.value) == (
        f"data='{data}' changed since an earlier resume from epoch 1 forced new content at this "
        f"path (SHA-256 {forced[:12]}… then, {first[:12]}… now), which would change its result; "
        "put that content back, or pass force=True to continue on the new content"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=3, batch_size=20)
    assert str(info.value).endswith(
        "leave batch_size out to continue the same run and put that content back, or pass "
        "force=True to continue with the new values"
    )
    _blobs(data, 2)  # as the fix says: the forced content continues unforced
    assert len(resume_softmax(run, epochs=3).history.train_loss) == 3


def test_an_npz_switched_to_then_edited_is_refused_as_switched_to_not_new_content_here(
    tmp_path: Path,
) -> None:
    """A forced switch from q to o, then o edited: the refusal said o "changed since an earlier
    resume from epoch 1 forced new content at this path", though that resume switched to it;
    switching back to q, then q edited, said the same of the run's own file. Each is said
    switched to, as resume_linreg says it."""
    q, o = tmp_path / "q.npz", tmp_path / "o.npz"
    _blobs(q, 1)
    _blobs(o, 2)
    first, switched = _sha(q), _sha(o)
    run, back = tmp_path / "run", tmp_path / "back"
    base = {"plot": "none", "batch_size": 16}
    run_softmax(SoftmaxConfig(data=q, **base, epochs=1, out=run))
    resume_softmax(run, epochs=2, data=o, force=True)
    _blobs(o, 3)
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=3)
    assert str(info.value) == (
        f"data='{o}' changed since an earlier resume from epoch 1 switched to it (SHA-256 "
        f"{switched[:12]}… then, {_sha(o)[:12]}… now), which would change its result; put its "
        "content back to continue with it, as that resume forced, or pass force=True to continue "
        "on the new content"
    )
    _blobs(o, 2)
    run_softmax(SoftmaxConfig(data=q, **base, epochs=1, out=back))
    resume_softmax(back, epochs=2, data=o, force=True)
    resume_softmax(back, epochs=3, data=q, force=True)
    _blobs(q, 3)
    with pytest.raises(UsageError) as info:
        resume_softmax(back, epochs=4)
    assert str(info.value).startswith(
        f"data='{q}' changed since an earlier resume from epoch 2 switched to it (SHA-256 "
        f"{first[:12]}… then, {_sha(q)[:12]}… now)"
    )
    _blobs(q, 1)
    assert len(resume_softmax(back, epochs=4).history.train_loss) == 4


def test_a_lost_config_json_s_refused_npz_is_said_changed_since_the_checkpoint(
    tmp_path: Path,
) -> None:
    """New content forced at the run's path, then config.json lost and the original file put
    back: it was said "changed since the run in R started", the fix "put the original file
    back", the file there. It is said changed since the checkpoint was trained on it."""
    data, run = tmp_path / "q.npz", tmp_path / "run"
    _blobs(data, 1)
    run_softmax(SoftmaxConfig(data=data, plot="none", batch_size=16, epochs=1, out=run))
    _blobs(data, 2)
    forced = _sha(data)
    resume_softmax(run, epochs=2, force=True)
    (run / "config.json").rename(run / "config.json.bak")
    _blobs(data, 1)
    change = (
        f"data='{data}' changed since the checkpoint was trained on it (SHA-256 {forced[:12]}… "
        f"then, {_sha(data)[:12]}… now)"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=3)
    assert str(info.value) == (
        f"{change}, which would change its result; put that content back, or pass force=True to "
        "continue on the new content"
    )
    with pytest.raises(UsageError) as info:
        resume_softmax(run, epochs=3, batch_size=20)
    assert str(info.value).endswith(
        f"and {change}, which would change its result; leave batch_size out to continue the same "
        "run and put that content back, or pass force=True to continue with the new values"
    )
    _blobs(data, 2)  # as the fix says
    assert len(resume_softmax(run, epochs=3).history.train_loss) == 3
