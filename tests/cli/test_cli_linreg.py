"""``linearnets linreg`` from the command line, in-process and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

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
            r"argument --batch-size: must be a positive integer \(>= 1\), got 0",
        ),
        (["--epochs", "-2"], r"argument --epochs: must be a positive integer"),
        (
            ["--num-examples", "1.5"],
            r"argument --num-examples: must be a positive integer, got '1.5'",
        ),
        (["--impl", "fast"], r"argument --impl: invalid choice: 'fast'"),
        (["--seed", "-1"], r"argument --seed: must be a non-negative integer"),
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
    outs = [
        subprocess.run(cmd, capture_output=True, text=True, check=True).stdout for _ in range(2)
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
        "(the disk, or where the output goes); free some space and run it again (a softmax run "
        "keeps the checkpoint of its last finished epoch: continue it with --resume RUN_DIR)\n"
    )
