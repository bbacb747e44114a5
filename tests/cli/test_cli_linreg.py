"""``linearnets linreg`` from the command line, in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from linearnets.cli import main


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[list[str], dict]:  # type: ignore[type-arg]
    assert main(["linreg", "--json", *args]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    return lines, json.loads(lines[-1])


def test_prints_epochs_then_result(capsys: pytest.CaptureFixture[str]) -> None:
    lines, result = _run_json(capsys)
    assert [line.split(",")[0] for line in lines[:3]] == ["epoch 1", "epoch 2", "epoch 3"]
    assert lines[0].startswith("epoch 1, loss ")
    for key in ("w", "b", "w_error", "b_error", "loss", "epochs", "impl"):
        assert key in result
    assert result["epochs"] == 3 and result["impl"] == "scratch"
    assert abs(result["w"][0] - 2.0) < 0.01 and abs(result["b"] - 4.2) < 0.01
    assert float(lines[2].split("loss ")[1]) == pytest.approx(result["loss"], abs=1e-6)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_same_seed_same_output(capsys: pytest.CaptureFixture[str], impl: str) -> None:
    _, a = _run_json(capsys, "--impl", impl, "--seed", "3", "--epochs", "2")
    _, b = _run_json(capsys, "--impl", impl, "--seed", "3", "--epochs", "2")
    assert (a["w"], a["b"], a["loss"]) == (b["w"], b["b"], b["loss"])


@pytest.mark.parametrize(
    "args,pattern",
    [
        (["--lr", "0"], r"argument --lr: must be a finite number > 0, got 0"),
        (["--lr", "abc"], r"argument --lr: must be a positive number, got 'abc'"),
        (
            ["--batch-size", "0"],
            r"argument --batch-size: must be a positive integer \(>= 1\), got '0'",
        ),
        (["--epochs", "-2"], r"argument --epochs: must be a positive integer"),
        (
            ["--num-examples", "1.5"],
            r"argument --num-examples: must be an integer of at least one more than the weights "
            r"\(3 for the book's 2\), got '1\.5'; "
            r"pass e\.g\. --num-examples 1000",
        ),
        (["--impl", "fast"], r"argument --impl: invalid choice: 'fast'"),
        (["--seed", "-1"], r"argument --seed: must be an integer from 0 to 2147483647, got '-1'"),
        (["--noise-std", "inf"], r"argument --noise-std: must be a finite number >= 0, got inf"),
        (["--lr", "inf"], r"argument --lr: must be a finite number > 0, got inf"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], pattern: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["linreg", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("linearnets linreg: error: ")
    assert __import__("re").search(pattern, err)


def test_subprocess_module_entry_is_deterministic() -> None:
    cmd = [sys.executable, "-m", "linearnets", "linreg", "--json", "--epochs", "1", "--seed", "5"]
    # block-buffered stdout, as a pipe has without PYTHONUNBUFFERED: the entry point leaves
    # through os._exit, so it must flush the results itself
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    outs = [
        subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
        for _ in range(2)
    ]
    a, b = (json.loads(o.strip().splitlines()[-1]) for o in outs)
    for r in (a, b):
        for row in r["history"]:
            row.pop("seconds")
    assert a == b


def test_subprocess_exit_status_and_one_line_on_bad_input() -> None:
    # the entry point leaves through os._exit: the status and the flushed message must survive it
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "linreg", "--batch-size", "0"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--batch-size" in done.stderr


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    # `linearnets linreg | head -1`: the reader leaves after one line; the command must stop at its
    # next write with 141 (as a process stopped by SIGPIPE), not print a broken-pipe error
    proc = subprocess.Popen(
        [sys.executable, "-m", "linearnets", "linreg", "--epochs", "2000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"epoch 1, loss ")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert err == b""


def test_a_broken_pipe_elsewhere_is_still_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import linearnets.cli.linreg as linreg_cmd

    def broken(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")  # e.g. a child process that died

    monkeypatch.setattr(linreg_cmd, "run", broken)
    assert main(["linreg"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("linearnets linreg: error: ") and "Broken pipe" in err


def test_a_full_disk_is_said_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("linearnets.tasks.linreg.run_linreg", full)
    assert main(["linreg"]) == 1
    assert capsys.readouterr().err == (
        "linearnets linreg: error: [Errno 28] No space left on device (OSError): a device is full "
        "(the disk, or where the output goes); free some space and run it again\n"
    )


# the book's settings (D2L §3.2.1 and §3.2.7): what a plain `linearnets linreg` must train with
BOOK_CONFIG = {
    "impl": "scratch",
    "epochs": 3,
    "lr": 0.03,
    "batch_size": 10,
    "num_examples": 1000,
    "noise_std": 0.01,
    "true_w": [2.0, -3.4],
    "true_b": 4.2,
    "seed": 0,
    "num_threads": 1,
    "data": None,
    "device": "cpu",
    "guard": True,
    "out": None,
}


def test_the_defaults_are_the_books_settings(capsys: pytest.CaptureFixture[str]) -> None:
    _, result = _run_json(capsys)
    assert result["config"] == BOOK_CONFIG
    assert len(result["history"]) == 3


def test_every_option_reaches_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    from linearnets.config import LinregConfig
    from linearnets.tasks.linreg import run_linreg

    lines, result = _run_json(
        capsys,
        "--impl", "concise", "--epochs", "2", "--lr", "0.05", "--batch-size", "20",
        "--num-examples", "300", "--noise-std", "0.1", "--seed", "4", "--threads", "2",
        "--no-guard",
    )  # fmt: skip
    given = {"impl": "concise", "epochs": 2, "lr": 0.05, "batch_size": 20, "num_examples": 300,
             "noise_std": 0.1, "seed": 4, "num_threads": 2, "guard": False}  # fmt: skip
    assert result["config"] == BOOK_CONFIG | given
    # the same run through the Python API, which the CLI must only spell differently
    api = run_linreg(LinregConfig(**given)).summary()
    for summary in (result, api):
        for row in summary["history"]:
            row.pop("seconds")
    assert result == api
    assert [line.split(",")[0] for line in lines[:2]] == ["epoch 1", "epoch 2"]


def test_a_noise_std_of_minus_zero_runs_and_reports_as_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """float("-0") is -0.0: the run kept it, and its JSON said "noise_std": -0.0, a negative
    standard deviation to read; it is the 0 typed, as --noise-std 0 is."""
    _, result = _run_json(capsys, "--epochs", "1", "--noise-std", "-0")
    _, zero = _run_json(capsys, "--epochs", "1", "--noise-std", "0")
    assert '"noise_std": 0.0' in json.dumps(result["config"])
    for summary in (result, zero):
        for row in summary["history"]:
            row.pop("seconds")
    assert result == zero


def _printed_numbers(line: str) -> list[float]:
    import re

    return [float(v) for v in re.findall(r"[-+]?\d+\.\d+(?:e[-+]\d+)?", line)]


def test_the_printed_results_are_the_learned_values_and_their_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines, result = _run_json(capsys, "--seed", "2")
    w_line, true_line, solution_line, truth_line, closed_line = lines[3:8]
    assert w_line.startswith("w: [") and _printed_numbers(w_line) == pytest.approx(
        [*result["w"], result["b"]], abs=5e-7
    )  # printed to 6 decimals
    # the book's truth w = [2, -3.4], b = 4.2 (D2L §3.2.1), shown and in the JSON: the errors
    # could not be checked, nor their sign, without it
    assert true_line == "truth: w [2.000000, -3.400000]  b 4.200000"
    assert (result["true_w"], result["true_b"]) == ([2.0, -3.4], 4.2)
    # the closed form itself, beside the truth: torch's least squares on the same data, redone here
    import torch

    import linearnets as ln
    from linearnets.seeding import seed_everything

    X, y = ln.synthetic_data(
        torch.tensor([2.0, -3.4]), 4.2, 1000, generator=seed_everything(2).data
    )
    solution = torch.linalg.lstsq(torch.cat([X, torch.ones(len(X), 1)], 1), y).solution
    assert solution_line.startswith("closed form: w [")
    assert solution_line.endswith("  (least squares)")
    # float32 solutions by two routes: a few units in their last place apart
    assert _printed_numbers(solution_line) == pytest.approx(solution.flatten().tolist(), abs=1e-5)
    assert [*result["closed_form_w"], result["closed_form_b"]] == pytest.approx(
        solution.flatten().tolist(), abs=1e-5
    )
    assert _printed_numbers(solution_line) == pytest.approx(
        [*result["closed_form_w"], result["closed_form_b"]], abs=5e-7
    )  # printed to 6 decimals
    # errors against the book's truth, computed here: truth - learned, as the line says
    truth = [2.0 - result["w"][0], -3.4 - result["w"][1], 4.2 - result["b"]]
    assert truth_line.startswith("error vs truth:       w [")
    assert truth_line.endswith("  (truth - learned)")
    assert _printed_numbers(truth_line) == pytest.approx(truth, rel=6e-3)
    closed = [
        result["closed_form_w"][0] - result["w"][0],
        result["closed_form_w"][1] - result["w"][1],
        result["closed_form_b"] - result["b"],
    ]
    assert [*result["w_error_closed_form"], result["b_error_closed_form"]] == pytest.approx(
        closed, abs=1e-7
    )
    assert [*result["w_error"], result["b_error"]] == pytest.approx(truth, abs=1e-6)
    assert closed_line.startswith("error vs closed form: w [")
    assert closed_line.endswith("  (closed form - learned)")
    assert _printed_numbers(closed_line) == pytest.approx(closed, rel=6e-3)


def test_data_from_a_file_is_compared_with_numpys_least_squares(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.7 + rng.normal(scale=0.05, size=200)
    np.savez(tmp_path / "d.npz", X=X.astype(np.float32), y=y.astype(np.float32))
    lines, result = _run_json(capsys, "--data", str(tmp_path / "d.npz"), "--epochs", "20")
    coef = np.linalg.lstsq(np.c_[X, np.ones(200)].astype(np.float32), y.astype(np.float32),
                           rcond=None)[0]  # fmt: skip
    assert result["closed_form_w"] == pytest.approx(coef[:3], abs=1e-4)
    assert result["closed_form_b"] == pytest.approx(coef[3], abs=1e-4)
    assert result["w_error"] is None and result["b_error"] is None  # no truth to compare with
    assert result["true_w"] is None and result["true_b"] is None  # nor one to show
    assert result["config"]["data"] == str(tmp_path / "d.npz")
    assert "error vs truth:       n/a (--data has no known truth)" in lines
    assert not [line for line in lines if line.startswith("truth")]
    assert [*result["w"], result["b"]] == pytest.approx(coef, abs=0.01)  # it trained on the file


def test_tiny_weights_and_losses_are_printed_with_their_digits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """y = X·[3e-7, -2e-7] + 1e-7 printed "closed form: w [0.000000, -0.000000]  b 0.000000" and
    epoch losses of one digit, 0.00000x: values below 1e-5 are printed in scientific notation,
    each number the one NumPy's least squares (the oracle) and the run's history hold."""
    import numpy as np

    X = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    y = (X.astype(np.float64) @ [3e-7, -2e-7] + 1e-7).astype(np.float32)
    np.savez(tmp_path / "tiny.npz", X=X, y=y)
    lines, result = _run_json(capsys, "--data", str(tmp_path / "tiny.npz"), "--epochs", "3")
    closed = next(line for line in lines if line.startswith("closed form: w ["))
    assert closed.count("e-07") == 3, closed
    coef = np.linalg.lstsq(np.c_[X, np.ones(200)], y, rcond=None)[0]  # (3,)
    assert _printed_numbers(closed) == pytest.approx(coef, rel=1e-4)
    for line, loss in zip(lines[:3], [row["train_loss"] for row in result["history"]], strict=True):
        printed = float(line.split("loss ")[1])
        assert printed == pytest.approx(loss, rel=0.05), line  # 2 digits at least


def test_an_error_without_a_message_is_named_by_its_type(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from linearnets.errors import DatasetError

    def failing(*args: object, **kwargs: object) -> None:
        raise DatasetError()

    monkeypatch.setattr("linearnets.tasks.linreg.run_linreg", failing)
    assert main(["linreg"]) == 1
    assert capsys.readouterr().err == "linearnets linreg: error: DatasetError\n"


def _plain_csv(path: Path) -> Path:
    path.write_text("x1,x2,y\n" + "".join(f"{i},{i * i % 7},{2 * i + 1}\n" for i in range(20)))
    return path


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--num-examples", "5"], "--num-examples"),
        # fewer than the synthetic data's least (3): the file's weights decide, not the book's 2
        (["--num-examples", "1"], "--num-examples"),
        (["--num-examples", "2"], "--num-examples"),
        (["--noise-std", "3"], "--noise-std"),
        # the book's values given explicitly count as given: they too would be ignored
        (["--num-examples", "1000", "--noise-std", "0.01"], "--num-examples and --noise-std"),
    ],
)
def test_synthetic_data_options_are_refused_with_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, options: list[str], named: str
) -> None:
    """They were once ignored silently while --json recorded them as if they had applied."""
    path = _plain_csv(tmp_path / "d.csv")
    assert main(["linreg", "--data", str(path), *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"linearnets linreg: error: {named} {'set' if ' and ' in named else 'sets'} the synthetic "
        f"data and cannot be combined with --data {path} (the file decides the examples); drop "
        f"{named}, or drop --data\n"
    )


def test_a_resume_of_a_data_run_is_told_to_leave_a_small_num_examples_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--num-examples 2 was told to be at least 3 (the book's 2 weights), a fix the run refuses."""
    path, run = _plain_csv(tmp_path / "d.csv"), tmp_path / "run"
    _run_json(capsys, "--data", str(path), "--epochs", "1", "--lr", "0.001", "--out", str(run))
    assert main(["linreg", "--resume", str(run), "--num-examples", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"linearnets linreg: error: --num-examples sets the synthetic data, but the run in {run} "
        f"was trained on --data {path} (the file decides the examples); leave --num-examples out "
        "to resume it on that file\n"
    )


def test_a_resume_refused_for_too_few_examples_is_told_to_leave_num_examples_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--num-examples 2 on a resume of a synthetic run was told "pass e.g. --num-examples 1000",
    a fix the resume then refused as a changed setting (the run's was 50)."""
    run = tmp_path / "run"
    _run_json(capsys, "--epochs", "1", "--num-examples", "50", "--out", str(run))
    assert main(["linreg", "--resume", str(run), "--num-examples", "2", "--epochs", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "linearnets linreg: error: --num-examples must be an integer in [3, 100000000] (at least "
        "one more than the 2 weights, for a unique least-squares solution), got 2; leave "
        "--num-examples out to keep the run's value (see linearnets linreg --help)\n"
    )


def test_a_forced_resume_refused_for_too_few_examples_is_told_a_value_to_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With --force the change is meant: "leave --num-examples out" undid what was asked; the
    value is told (the oracle: the resume takes it)."""
    run = tmp_path / "run"
    _run_json(capsys, "--epochs", "1", "--num-examples", "50", "--out", str(run))
    argv = ["linreg", "--resume", str(run), "--num-examples", "2", "--force", "--epochs", "2"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "linearnets linreg: error: --num-examples must be an integer in [3, 100000000] (at least "
        "one more than the 2 weights, for a unique least-squares solution), got 2; pass e.g. "
        "--num-examples 1000 (see linearnets linreg --help)\n"
    )
    assert main([*argv[:4], "1000", *argv[5:]]) == 0


def test_a_run_on_data_records_no_synthetic_settings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _plain_csv(tmp_path / "d.csv")
    _, result = _run_json(capsys, "--data", str(path), "--epochs", "1", "--lr", "0.001")
    synthetic = {"num_examples": None, "noise_std": None, "true_w": None, "true_b": None}
    assert result["config"] == BOOK_CONFIG | synthetic | {
        "epochs": 1,
        "lr": 0.001,
        "data": str(path),
    }


@pytest.mark.parametrize(
    ("raised", "stopped"),
    [
        (KeyboardInterrupt(), "interrupted by SIGINT"),
        (KeyboardInterrupt("SIGTERM"), "interrupted by SIGTERM"),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stopped_run_without_out_says_nothing_was_kept_and_how_to_keep_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: KeyboardInterrupt,
    stopped: str,
) -> None:
    """It said "linearnets linreg: interrupted" alone: neither that nothing is kept nor the way on."""

    def interrupted(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr("linearnets.tasks.linreg.run_linreg", interrupted)
    assert main(["linreg", "--json"]) == 130
    out, err = capsys.readouterr()
    detail = (
        f"{stopped}; linear regression kept no run folder or checkpoint: run the same command "
        "again, with --out DIR to keep a checkpoint after every epoch to resume from "
        "(linearnets linreg --resume DIR)"
    )
    assert err == f"linearnets linreg: {detail}\n"
    assert json.loads(out.splitlines()[-1]) == {
        "error": detail,
        # nothing trained (the run call stopped before fit began): as the run with --out names it
        "error_type": "StoppedBeforeTraining",
        "exit_status": 130,
    }


@pytest.mark.parametrize("kept", [False, True], ids=["no-out", "out"])
def test_a_ctrl_c_while_the_data_are_made_is_named_alike_with_out_or_without(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kept: bool,
) -> None:
    """A SIGINT while the synthetic data were made (a --num-examples 30000000 run's first
    seconds) was "TrainingInterrupted" in --json without --out and "StoppedBeforeTraining" with
    it, where docs/reliability.md promises them named alike: both are StoppedBeforeTraining."""
    import signal

    import linearnets.tasks.linreg as linreg

    synthetic_data = linreg.synthetic_data

    def ctrl_c_while_made(*args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), signal.SIGINT)  # a real SIGINT, as `timeout -s INT 3` sends it
        return synthetic_data(*args, **kwargs)

    monkeypatch.setattr(linreg, "synthetic_data", ctrl_c_while_made)
    out = ["--out", str(tmp_path / "run")] if kept else []
    assert main(["linreg", "--json", *out]) == 130
    error = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert error["error_type"] == "StoppedBeforeTraining"
    assert error["error"].startswith("interrupted by SIGINT")


@pytest.mark.parametrize("kept", [False, True], ids=["no-out", "out"])
def test_a_ctrl_c_in_training_is_named_alike_with_out_or_without(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kept: bool,
) -> None:
    """The same stop, a SIGINT in epoch 2, was "TrainingInterrupted" in --json with --out and
    "LinregInterrupted" without; both now give softmax's name for it, TrainingInterrupted."""
    import signal

    import linearnets.training.loop as loop

    train_epoch, calls = loop.train_epoch, []

    def ctrl_c_in_epoch_2(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # delivered before kill returns
        return train_epoch(*args, **kwargs)

    monkeypatch.setattr(loop, "train_epoch", ctrl_c_in_epoch_2)
    out = ["--out", str(tmp_path / "run")] if kept else []
    assert main(["linreg", "--epochs", "3", "--json", *out]) == 130
    error = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert error["error_type"] == "TrainingInterrupted"
    assert error["error"].startswith("interrupted by SIGINT")
    assert ("run_dir" in error) is kept


def test_a_blow_up_on_the_synthetic_data_names_lr_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The run generates its data, refused if not finite: an inf loss after an update at lr 1e30
    is the lr's doing. It was told to "check the data holds no NaN or inf" too."""
    assert main(["linreg", "--lr", "1e30"]) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "linearnets linreg: error: training diverged at batch 2 of epoch 1: the batch loss is inf "
        "(not finite) at lr 1e+30; try a far smaller learning rate (--lr), e.g. 0.5 (the book "
        "trains at 0.03 and 0.1; a tenth, 1e+29, would most likely blow up too)\n"
    )


def test_a_data_file_too_large_for_float32_is_not_said_to_maybe_hold_inf(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The CSV reader refuses NaN and inf cells: a loss of inf before any update comes from values
    too large (y of 1e20: ½(ŷ − y)² is ~5e39, past float32's 3.4e38), never from an inf cell. Such
    a file is refused as it loads, naming it and its largest |y| by line (the guard's stop at step
    1 named neither)."""
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i + 1}e20\n" for i in range(5)))
    assert main(["linreg", "--data", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: {path}: y (the last column) is too large for the squared loss "
        "in float32: its largest in size is 5e+20, at line 6, column 2, and 5 of its 5 targets "
        "pass 1.8e+19, past which (ŷ − y)² overflows float32's 3.4e+38, so training would stop "
        "at its first step whatever the lr; rescale y, e.g. standardise it, "
        "y = (y - y.mean()) / y.std() (and map predictions back by y.std() and y.mean())\n"
    )


def test_a_data_file_is_named_with_its_examples_and_features_as_softmax_names_its_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """linreg printed no data line: nothing said which file (a relative path from where) it read."""
    path = _plain_csv(tmp_path / "d.csv")  # 20 rows of 2 features and y
    monkeypatch.chdir(tmp_path)
    assert main(["linreg", "--data", "d.csv", "--epochs", "1", "--lr", "0.001"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"data: {path} (20 examples, 2 features)"  # absolute, as softmax's
    assert lines[2].startswith("w: [")
    # the book's synthetic data: the truth line says what they are, no data line
    assert main(["linreg", "--epochs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == [
        "w",
        "truth",
        "closed form",
        "error vs truth",
        "error vs closed form",
    ]


def test_data_given_from_another_folder_is_recorded_and_named_without_dot_dot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """linearnets linreg --data ../d.csv recorded tmp/sub/../d.csv in config.json."""
    path = _plain_csv(tmp_path / "d.csv")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["linreg", "--data", "../d.csv", "--epochs", "1", "--lr", "0.001", "--out", "../run"]) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[1] == f"data: {path} (20 examples, 2 features)"
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["config"]["data"] == str(path)
    assert saved["data_source"] == f"{path} (20 examples, 2 features)"  # as the data line
    # without a folder, the data line names it so too
    assert main(["linreg", "--data", "../d.csv", "--epochs", "1", "--lr", "0.001"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == f"data: {path} (20 examples, 2 features)"


def test_the_json_names_the_data_file_absolute_with_its_source(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """linreg --data d.csv --json printed "config": {"data": "d.csv"}, relative to a folder it
    did not name, while "out" is made absolute, and no "data_source", which softmax's has: both
    now, the source as the "data:" line says it; the synthetic data's is "synthetic"."""
    path = _plain_csv(tmp_path / "d.csv")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    lines, printed = _run_json(capsys, "--data", "../d.csv", "--epochs", "1", "--lr", "0.001")
    assert printed["config"]["data"] == str(path)
    assert printed["data_source"] == f"{path} (20 examples, 2 features)"
    assert lines[1] == f"data: {printed['data_source']}"
    assert _run_json(capsys, "--epochs", "1")[1]["data_source"] == "synthetic"


def test_the_run_folder_is_recorded_absolute_and_printed_as_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """linearnets linreg --out ../run, in tmp/sub, recorded "out": "../run" in config.json and
    results.json, and "run_dir": "../run" there and in the --json object: read from elsewhere,
    another folder. They hold tmp/run; the "run folder:" line names it as given, for the shell
    the command was typed in. A resume from another folder records it so too."""
    run, absolute = tmp_path / "run", str(tmp_path / "run")
    (tmp_path / "sub").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for epochs, args in ((1, ["--out", "../run"]), (2, ["--resume", "../run"])):
        lines, printed = _run_json(capsys, *args, "--epochs", str(epochs))
        assert lines[-2] == "run folder: ../run" and printed["epochs"] == epochs
        assert (printed["run_dir"], printed["config"]["out"]) == (absolute, absolute)
        assert json.loads((run / "results.json").read_text()) == printed
        assert json.loads((run / "config.json").read_text())["config"]["out"] == absolute
        monkeypatch.chdir(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("out", "said"),
    [
        (False, "linear regression kept no run folder or checkpoint: run the same command again"),
        (True, "nothing was trained or kept: run the same command again"),
    ],
    ids=["no-folder", "out"],
)
def test_a_signal_while_the_run_is_loaded_says_nothing_was_kept(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    out: bool,
    said: str,
) -> None:
    """A SIGTERM as the training modules were imported (seen in a kill fuzz, ~1 s in) said
    "interrupted by SIGTERM" alone: neither that nothing had started nor what to do."""
    import signal

    from linearnets.training import callbacks

    real = callbacks.ConsoleLogger.__init__

    def signalled(self: callbacks.ConsoleLogger, *args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # a real one, as those modules are loaded
        real(self, *args, **kwargs)

    monkeypatch.setattr(callbacks.ConsoleLogger, "__init__", signalled)
    folder = ["--out", str(tmp_path / "run")] if out else []
    assert main(["linreg", "--epochs", "1", *folder]) == 130
    err = capsys.readouterr().err
    assert err.startswith(f"linearnets linreg: interrupted by SIGTERM{'' if out else ';'}")
    assert said in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_folder_named_tilde_user_of_no_user_is_kept_and_resumed_there(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--out ~old/run`` unquoted, ``~old`` a folder here and no user ``old``: the shell passes
    the word as it is, as ``ls ~old/run`` reads it; linearnets refused it as the home folder of a
    user the database does not know, though the message itself named the folder here."""
    head = "~linearnets-nobody"
    if os.path.expanduser(head) != head:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    monkeypatch.chdir(tmp_path)
    (tmp_path / head).mkdir()
    run = f"{head}/run"
    _, first = _run_json(capsys, "--out", run, "--epochs", "1", "--num-examples", "20")
    assert first["run_dir"] == str(tmp_path / run)  # the folder here, recorded absolute
    assert sorted(p.name for p in (tmp_path / head / "run").iterdir()) == [
        ".lock",
        "checkpoint.pt",
        "config.json",
        "metrics.csv",
        "metrics.jsonl",
        "results.json",
    ]
    lines, resumed = _run_json(capsys, "--resume", run, "--epochs", "2")
    assert lines[-2] == f"run folder: {run}" and resumed["epochs"] == 2
    # the oracle: the same two epochs in one run
    _, never = _run_json(capsys, "--epochs", "2", "--num-examples", "20")
    assert (resumed["w"], resumed["b"]) == (never["w"], never["b"])


def test_a_data_file_named_with_a_line_break_is_named_by_its_dollar_quoted_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusal joined the name's line break as a blank, naming a file "d .csv" that is not
    there, and the "data:" line broke in two; both name the file given, on one line."""
    data = tmp_path / "d\n.csv"
    data.write_text("x,y\n1,2\n3\n")
    assert main(["linreg", "--data", str(data)]) == 1  # a DatasetError
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: $'{tmp_path}/d\\n.csv': line 3 has 1 column, the others 2; "
        "every row must hold the same features, then y\n"
    )
    data.write_text("x,y\n1,2\n3,4\n")
    assert main(["linreg", "--data", str(data), "--epochs", "1"]) == 0
    assert f"data: $'{tmp_path}/d\\n.csv' (2 examples, 1 feature)" in capsys.readouterr().out


@pytest.mark.parametrize("resumed", [False, True], ids=["new-run", "resume"])
def test_a_full_disk_at_a_later_checkpoint_is_told_with_the_run_dir_in_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    resumed: bool,
) -> None:  # fmt: skip
    """`linreg --json` named the kept folder as run_dir for a full disk at epoch 1's checkpoint,
    and softmax's in any epoch, but linreg's not once epoch 1 was kept (a script reading run_dir
    found it in one epoch and not the next): epoch 2's checkpoint unwritten, of a new run or of
    a resume, names it too."""
    import errno

    import linearnets.training.checkpoint_write as checkpoint_write

    out = tmp_path / "F2"
    saves: list[int] = []
    save = checkpoint_write._torch_save

    def full_at_epoch_2(obj: object, f: object) -> None:
        saves.append(1)
        if len(saves) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        save(obj, f)

    argv = ["linreg", "--epochs", "2", "--out", str(out), "--json"]
    if resumed:
        assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
        argv = ["linreg", "--resume", str(out), "--epochs", "2", "--json"]
        saves.append(1)  # epoch 1's, made above
    capsys.readouterr()
    with monkeypatch.context() as patch:
        patch.setattr(checkpoint_write, "_torch_save", full_at_epoch_2)
        assert main(argv) == 1
    captured = capsys.readouterr()
    assert "the disk is full" in captured.err and "checkpoint of epoch 1" not in captured.out
    said = json.loads(captured.out.splitlines()[-1])
    assert said["error_type"] == "CheckpointError" and said["run_dir"] == str(out)
    assert main(["linreg", "--resume", str(out)]) == 0  # the folder named: its resume trains on


@pytest.mark.parametrize(
    ("resumed", "unwritten"),
    # a new run appends its metrics: a resume alone rewrites them, as it starts
    [(False, "results.json"), (True, "results.json"), (True, "metrics.csv"), (True, "config.json")],
    ids=["new-run-results", "resume-results", "resume-metrics", "resume-config"],
)
def test_a_run_file_unwritten_before_or_after_the_epochs_is_told_with_the_run_dir_in_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resumed: bool, unwritten: str
) -> None:
    """results.json unwritten at the end, or the config.json or metrics a resume rewrites as it
    starts (a folder stands in the way of its temporary file): `--json` named no run_dir for
    linreg, where softmax's names it; the folder stays, and the advised resume trains on once the
    way is clear (config.json unwritten, it is this resume again: --epochs 2 is not recorded, and
    the plain one was refused as complete)."""
    out = tmp_path / "T"
    argv = ["linreg", "--epochs", "2", "--out", str(out), "--json"]
    if resumed:
        assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
        argv = ["linreg", "--resume", str(out), "--epochs", "2", "--json"]
    (out / f".{unwritten}.tmp").mkdir(parents=True)
    capsys.readouterr()
    assert main(argv) == 1
    captured = capsys.readouterr()
    said = json.loads(captured.out.splitlines()[-1])
    assert said["error"].startswith(f"{out / unwritten} could not be written: "), said
    assert said["error_type"] == "RunFileError" and said["run_dir"] == str(out)
    advised = said["error"].rpartition("continue it with linearnets ")[2]
    (out / f".{unwritten}.tmp").rmdir()
    assert main(shlex.split(advised)) == 0


def test_a_full_disk_at_epoch_1s_checkpoint_gives_a_resume_that_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`linearnets linreg --epochs 2 --out F2` with checkpoint.pt unwritten (a full disk) said
    "fix that and start it over with linearnets linreg --resume F2", but the folder was removed:
    that resume said "the run folder F2 does not exist". The folder now stays, and --json names
    it."""
    import errno
    import shlex

    import linearnets.training.checkpoint_write as checkpoint_write

    def full(obj: object, f: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "F2"
    with monkeypatch.context() as patch:
        patch.setattr(checkpoint_write, "_torch_save", full)
        assert main(["linreg", "--epochs", "2", "--out", str(out), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err.endswith(
        "; no earlier checkpoint exists; fix that and start it over with linearnets linreg "
        f"--resume {shlex.quote(str(out))}\n"
    )
    assert json.loads(captured.out.splitlines()[-1])["run_dir"] == str(out)
    assert sorted(p.name for p in out.iterdir()) == [
        ".lock", "config.json", "metrics.csv", "metrics.jsonl"
    ]  # fmt: skip
    assert main(["linreg", "--resume", str(out)]) == 0
    assert (out / "checkpoint.pt").is_file() and (out / "results.json").is_file()


def test_a_run_folder_not_named_in_utf_8_is_a_surrogate_escape_in_the_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/cli.md's --json: a byte not in UTF-8 is written \\udcXX, which Python's json.loads and
    os.fsencode read back as the folder's bytes (jq reads it as U+FFFD)."""
    out = os.fsencode(tmp_path) + b"/j\xff"
    assert main(["linreg", "--epochs", "1", "--json", "--out", os.fsdecode(out)]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert '"run_dir": "' + str(tmp_path) + '/j\\udcff"' in line
    assert os.fsencode(json.loads(line)["run_dir"]) == out


def test_the_help_names_the_most_noise_std_takes(capsys: pytest.CaptureFixture[str]) -> None:
    """--noise-std 1e300 is refused past 1e+15, a limit its --help did not name."""
    with pytest.raises(SystemExit):
        main(["linreg", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "standard deviation of the synthetic noise, in [0, 1e+15] (" in shown
    assert "not with --data; default: 0.01)" in shown
