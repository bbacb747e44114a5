"""The command in unusual but real environments: closed or full output, ASCII locales, stray
torchrun variables, a deleted working folder. Each runs the real command in a subprocess."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.cli import main
from linearnets.errors import UsageError

from ._rank_env import as_rank_1

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX shell")


def _sh(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with ``$LN`` the command (``python -m linearnets``)."""
    environ = {**os.environ, "LN": f"{sys.executable} -m linearnets", "MPLBACKEND": "Agg", **env}
    return subprocess.run(
        ["sh", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120, env=environ
    )


def _lost(command: str, why: str = "No space left on device") -> str:
    """The line a command says as its first line to stdout cannot be written (/dev/full; ``why``
    "stdout is closed": >&-)."""
    return (
        f"linearnets {command}: warning: stdout could not be written ({why}): the lines it prints "
        "are lost from here on; the command goes on, and the files it writes are written as usual\n"
    )


def test_a_stdout_on_a_full_device_does_not_stop_the_run(
    tmp_path: Path, blobs_npz: Path, path_without_this_python: str
) -> None:
    """Printing is a side effect: the run stopped after epoch 1 (status 1), without its model,
    where a closed stdout (>&-) trained to the end; it trains to the end too, said once."""
    done = _sh(
        f"$LN softmax --data {blobs_npz} --epochs 3 --plot none --out run >/dev/full",
        tmp_path,
        PATH=path_without_this_python,  # the command is started as "$LN": python -m linearnets
    )
    assert (done.returncode, done.stderr) == (0, _lost("softmax"))
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["epoch"] == 3
    assert json.loads((tmp_path / "run" / "results.json").read_text())["epochs"] == 3
    assert (tmp_path / "run" / "model.pt").is_file()


def test_a_run_whose_stdout_and_stderr_are_both_full_trains_to_the_end(
    tmp_path: Path, blobs_npz: Path
) -> None:
    """>/dev/full 2>&1: the warning that stdout was lost, itself unwritable, escaped into the
    epoch's callback, and the run stopped after epoch 1 without its model (status 1)."""
    done = _sh(
        f"$LN softmax --data {blobs_npz} --epochs 3 --plot none --out run >/dev/full 2>&1",
        tmp_path,
    )
    assert done.returncode == 0
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["epoch"] == 3
    assert json.loads((tmp_path / "run" / "results.json").read_text())["epochs"] == 3
    assert (tmp_path / "run" / "model.pt").is_file()


def test_an_error_whose_stderr_is_full_keeps_its_json_object_and_its_status(
    tmp_path: Path,
) -> None:
    """2>/dev/full: the error's line, unwritable, raised past the --json object, which was never
    written, and the status became 1 where a usage error's is 2."""
    done = _sh("$LN linreg --resume nonexist --json 2>/dev/full", tmp_path)
    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "error": "the run folder nonexist does not exist or is not a folder; pass the folder a "
        "run kept with --out DIR",
        "error_type": "UsageError",
        "exit_status": 2,
    }
    assert _sh("$LN linreg --resume nonexist 2>/dev/full", tmp_path).returncode == 2


def test_a_json_object_that_cannot_be_written_fails_a_run_that_trained_to_the_end(
    tmp_path: Path, blobs_npz: Path
) -> None:
    """The object is the result --json asks for: lost, the command exits 1, its run whole."""
    done = _sh(
        f"$LN softmax --data {blobs_npz} --epochs 3 --plot none --out run --json >/dev/full",
        tmp_path,
    )
    assert (done.returncode, done.stderr) == (
        1,
        _lost("softmax") + "linearnets softmax: error: its --json object could not be written to "
        "stdout (No space left on device); the command's work is done and its files are written "
        "(a run's folder holds its results in results.json)\n",
    )
    assert json.loads((tmp_path / "run" / "results.json").read_text())["epochs"] == 3


@pytest.mark.parametrize("out", ["", " --out run"])
def test_a_json_object_lost_to_a_closed_stdout_fails_the_command_as_a_full_one(
    tmp_path: Path, out: str
) -> None:
    """``>&-`` lost the object unsaid with status 0 where ``>/dev/full`` failed the command: the
    object is the result --json asks for, so a closed stdout fails it the same way, its first
    lost line warned of where its run folder keeps the result (else that line would be untrue)."""
    done = _sh(f"$LN linreg --epochs 1{out} --json >&-", tmp_path)
    kept = (
        "the command's work is done and its files are written (a run's folder holds its results "
        "in results.json)"
    )
    assert (done.returncode, done.stderr) == (
        1,
        (_lost("linreg", "stdout is closed") if out else "")
        + "linearnets linreg: error: its --json object could not be written to stdout (stdout is "
        f"closed); {kept if out else _NOWHERE}\n",
    )
    if out:
        assert json.loads((tmp_path / "run" / "results.json").read_text())["epochs"] == 1
    else:  # no file was written to speak of
        assert list(tmp_path.iterdir()) == []


# a linreg's result without --out: no run folder keeps it ("its files are written" named none)
_NOWHERE = (
    "the command's work is done, but with no --out its result is kept nowhere; run it again with "
    "stdout open (a terminal, a file or a pipe), or with --out DIR to keep it in DIR/results.json"
)


def test_a_json_object_lost_to_a_full_device_without_out_is_said_kept_nowhere(
    tmp_path: Path,
) -> None:
    """``linreg --json >/dev/full`` without --out was told its files are written, none being:
    in its warning and its error; the error alone says it now."""
    done = _sh("$LN linreg --epochs 1 --impl analytic --json >/dev/full", tmp_path)
    assert (done.returncode, done.stderr) == (
        1,
        "linearnets linreg: error: its --json object could not be written to stdout (No space "
        f"left on device); {_NOWHERE}\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_run_stopped_by_head_says_on_stderr_where_its_checkpoint_is(
    tmp_path: Path, blobs_npz: Path, path_without_this_python: str
) -> None:
    """`linearnets softmax | head -1`: the run stops at its next line (141, as the shell's own
    commands do), and stderr, still read, gets the resume that continues it; it worked."""
    done = _sh(
        f"$LN softmax --data {blobs_npz} --epochs 400 --plot none --out ./--run | head -1; "
        "echo status ${PIPESTATUS:-} >&2",
        tmp_path,
        PATH=path_without_this_python,  # the command is started as "$LN": python -m linearnets
    )
    assert done.stdout.startswith("epoch 1, loss ") and done.stdout.count("\n") == 1
    (line,) = [l for l in done.stderr.splitlines() if l.startswith("linearnets softmax:")]
    epoch = torch.load(tmp_path / "--run" / "checkpoint.pt", weights_only=True)["epoch"]
    assert 1 <= epoch < 400
    assert line == (
        "linearnets softmax: stopped: its output was closed (a reader such as head quit); the "
        f"checkpoint of epoch {epoch} is kept in --run; continue it with: "
        f"{shlex.quote(sys.executable)} -m linearnets softmax --resume ./--run"
    )
    again = _sh(f"$LN softmax --resume ./--run --epochs {epoch + 1} --plot none", tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"epoch {epoch + 1}, loss" in again.stdout


def test_a_linreg_run_on_a_full_output_trains_to_the_end(
    tmp_path: Path, path_without_this_python: str
) -> None:
    """It stopped after epoch 1 (status 1); as softmax's, it trains on, said once."""
    done = _sh(
        "$LN linreg --epochs 3 --out run >/dev/full", tmp_path, PATH=path_without_this_python
    )
    assert (done.returncode, done.stderr) == (0, _lost("linreg"))
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["epoch"] == 3


def test_a_linreg_run_stopped_by_head_says_on_stderr_where_its_checkpoint_is(
    tmp_path: Path, path_without_this_python: str
) -> None:
    """`linearnets linreg | head -1` exited 141 with nothing on stderr, its checkpoint kept but
    not named (docs/reliability.md: it says where it is and how to continue it)."""
    done = _sh(
        "$LN linreg --epochs 400 --num-examples 100 --out run | head -1; "
        "echo status ${PIPESTATUS:-} >&2",
        tmp_path,
        PATH=path_without_this_python,
    )
    assert done.stdout.startswith("epoch 1, loss ") and done.stdout.count("\n") == 1
    (line,) = [l for l in done.stderr.splitlines() if l.startswith("linearnets linreg:")]
    epoch = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["epoch"]
    assert 1 <= epoch < 400
    assert line == (
        "linearnets linreg: stopped: its output was closed (a reader such as head quit); the "
        f"checkpoint of epoch {epoch} is kept in run; continue it with: "
        f"{shlex.quote(sys.executable)} -m linearnets linreg --resume run"
    )
    again = _sh(f"$LN linreg --resume run --epochs {epoch + 1}", tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"epoch {epoch + 1}, loss" in again.stdout


def test_a_closed_stderr_is_no_error(tmp_path: Path) -> None:
    done = _sh("$LN linreg --epochs 1 2>&-", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "command",
    ["linreg --epochs 1 --out run", "softmax --data {blobs} --epochs 1 --plot none --out run"],
)
def test_a_closed_stdout_is_warned_of_as_a_full_one_and_the_run_kept(
    tmp_path: Path, blobs_npz: Path, command: str
) -> None:
    """``>&-`` lost every printed line unsaid (status 0, nothing on stderr), where ``>/dev/full``
    warned of it once: it is warned of the same way, the run written whole."""
    done = _sh(f"$LN {command.format(blobs=blobs_npz)} >&-", tmp_path)
    name = command.split()[0]
    assert (done.returncode, done.stderr) == (0, _lost(name, "stdout is closed"))
    assert json.loads((tmp_path / "run" / "results.json").read_text())["epochs"] == 1


@pytest.mark.parametrize(
    ("lost", "why"), [(">&-", "stdout is closed"), (">/dev/full", "No space left on device")]
)
def test_a_linreg_result_kept_nowhere_and_lost_fails_in_one_line(
    tmp_path: Path, lost: str, why: str
) -> None:
    """Without --out a linreg's printed w and b are its only result: lost, it exited 0, told
    nothing (>&-) or "the files it writes are written as usual" (>/dev/full), none being; it
    fails as ``linearnets data`` does, and as its --json variant did."""
    done = _sh(f"$LN linreg --epochs 1 {lost}", tmp_path)
    assert (done.returncode, done.stderr) == (
        1,
        f"linearnets linreg: error: its results could not be written to stdout ({why}); "
        f"{_NOWHERE}\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_an_ascii_terminal_gets_escaped_names_not_a_failed_run(
    tmp_path: Path, blobs_npz: Path
) -> None:
    """Python's backslashreplace wrote a run folder "rü2" as r\\xfc2, an escape that runs into
    the digit after it, quoted for the shell as a word naming another file ('r\\xfc2'), and the
    command's own § and × as \\xa73.2 and 28\\xd728: a path is the shell's $'...' word of its
    bytes, which bash reads back, and the command's words are spelt in ASCII."""
    run = f"--data {blobs_npz} --epochs 1 --plot none --out rü2"
    done = _sh(
        f"$LN softmax {run} && $LN softmax --help && $LN softmax {run}",
        tmp_path,
        PYTHONIOENCODING="ascii",
    )
    assert done.returncode == 2, done.stderr
    assert (tmp_path / "rü2" / "results.json").is_file()
    word = "$'rü2'".replace("ü", "\\xc3\\xbc")
    assert f"run folder: {word}\n" in done.stdout
    assert "--resize N|none       resize images to NxN, or none: the 28x28 images" in done.stdout
    assert "(section 3.6: autograd)" in done.stdout
    assert done.stdout.isascii() and "\\x" not in done.stdout.replace(word, "")
    (again,) = done.stderr.splitlines()
    assert again.startswith(f"linearnets softmax: error: --out {word} already holds a run ")
    assert "complete after 1 epoch: train it further with " in again
    assert f" softmax --resume {word} --epochs 6, or pass a new folder" in again
    pasted = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, check=True)
    assert pasted.stdout == os.fsencode("rü2")  # the word, pasted into bash, names the folder


def test_a_home_matplotlib_cannot_write_in_leaves_the_output_as_it_is(
    tmp_path: Path, blobs_npz: Path
) -> None:
    """HOME=/proc: matplotlib's two lines ("mkdir -p failed for path /proc/.config/matplotlib",
    "Matplotlib created a temporary cache directory at /tmp/matplotlib-... set the MPLCONFIGDIR
    environment variable") came amid the run's output, and its folder was left in /tmp."""
    (tmp_path / "tmp").mkdir()
    done = _sh(
        f"$LN softmax --data {blobs_npz} --epochs 1 --plot file --out run",
        tmp_path,
        HOME="/proc",
        TMPDIR=str(tmp_path / "tmp"),
        MPLCONFIGDIR="",  # matplotlib's and ours: unset
        XDG_CONFIG_HOME="",
        XDG_CACHE_HOME="",
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "run" / "curves.png").is_file()
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == [
        f"linearnets-matplotlib-{os.getuid()}"
    ]


def test_a_deleted_working_folder_is_one_line(tmp_path: Path) -> None:
    done = _sh("mkdir gone && cd gone && rmdir ../gone && exec $LN --version", tmp_path)
    assert (done.returncode, done.stderr) == (
        1,
        "linearnets: error: the working folder no longer exists; cd to a folder that does and "
        "run it again\n",
    )


def test_a_stray_rank_without_world_size_still_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # the softmax run's runs/NAME-TIME, made and removed: not here
    monkeypatch.setenv("RANK", "1")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    for name in ("MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as info:  # argparse's exit
        main(["linreg", "--lr", "-1"])
    assert info.value.code == 2
    assert "argument --lr: must be a finite number > 0, got -1" in capsys.readouterr().err
    assert main(["softmax", "--data", "/nonexistent.npz"]) == 2  # a check after parsing
    assert "/nonexistent.npz" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["RANK", "LOCAL_RANK"])
def test_a_malformed_rank_without_world_size_is_refused_as_local_rank_is(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    blobs_npz: Path,
    name: str,
) -> None:
    """RANK=abc with no WORLD_SIZE trained as if unset, while LOCAL_RANK=abc was refused: both are
    refused in one line naming the variable, before a run folder is made."""
    for variable in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(name, "abc")
    out = tmp_path / "run"
    argv = [
        "softmax",
        "--data",
        str(blobs_npz),
        "--epochs",
        "1",
        "--plot",
        "none",
        "--out",
        str(out),
    ]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: environment variable {name} must be an integer in the digits "
        f"0-9, got 'abc'; torchrun sets {name} for each process it starts: unset it to run a "
        "single process, or start the processes with torchrun\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("env", "pattern"),
    [
        (
            {"WORLD_SIZE": "2"},
            r"WORLD_SIZE=2 asks for a data-parallel run, but RANK, MASTER_ADDR, MASTER_PORT are not set; start the 2 processes with torchrun",
        ),
        (
            {"WORLD_SIZE": "2", "RANK": "1"},  # as if rank 1 of two, but no launcher: it speaks
            r"WORLD_SIZE=2 asks for a data-parallel run, but MASTER_ADDR, MASTER_PORT are not set",
        ),
        (
            {"WORLD_SIZE": "2", "RANK": "5", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1"},
            r"RANK must be in \[0, 2\) for WORLD_SIZE=2, got 5",
        ),
        # a number of processes below 1 trained one process without a word
        (
            {"WORLD_SIZE": "0"},
            r"^linearnets softmax: error: environment variable WORLD_SIZE must be the number of processes, at least 1, got '0'; torchrun sets WORLD_SIZE for each process it starts: unset it to run a single process, or start the processes with torchrun\n$",
        ),
        (
            {"WORLD_SIZE": "-1"},
            r"^linearnets softmax: error: environment variable WORLD_SIZE must be the number of processes, at least 1, got '-1'; ",
        ),
        # int() read 2_0 as 20 and ٢ as 2
        (
            {"WORLD_SIZE": "2_0"},
            r"^linearnets softmax: error: environment variable WORLD_SIZE must be an integer in the digits 0-9, got '2_0'; torchrun sets WORLD_SIZE",
        ),
        (
            {"WORLD_SIZE": "٢"},
            r"^linearnets softmax: error: environment variable WORLD_SIZE must be an integer in the digits 0-9, got '٢'; ",
        ),
    ],
    ids=[
        "world-size-alone",
        "rank-1-by-hand",
        "rank-too-big",
        "world-size-0",
        "world-size-negative",
        "world-size-underscore",
        "world-size-arabic-indic",
    ],
)
def test_torchrun_variables_set_by_hand_are_named(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    pattern: str,
) -> None:
    import re

    for name in ("RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("linearnets.cli._ranks.let_rank_0_speak", lambda seconds=2.0: False)
    assert main(["softmax", "--data", "/nonexistent.npz", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err), err


def test_a_bad_mplbackend_is_named_before_a_run_starts(tmp_path: Path, blobs_npz: Path) -> None:
    """Each command gives the fixes it has: only softmax has --plot none (predict and data show
    advised it too before, and refused it as an unknown option when it was taken)."""
    (tmp_path / "empty").mkdir()  # predict names the backend before it reads the run folder
    done = _sh(
        f"$LN softmax --data {blobs_npz} --epochs 1 --out run; echo $?; "
        "$LN data show --out g.png; echo $?; $LN predict empty --out p.png; echo $?",
        tmp_path,
        MPLBACKEND="nonsense",
    )
    named = "error: MPLBACKEND must name a matplotlib backend, got 'nonsense'; "
    softmax = named + "unset it, set MPLBACKEND=Agg to draw into files, or pass --plot none"
    others = named + "unset it or set MPLBACKEND=Agg to draw into files\n"
    assert done.stdout.split() == ["2", "2", "2"]
    lines = done.stderr.splitlines(keepends=True)
    assert [line.split(":")[0] for line in lines] == [
        "linearnets softmax",
        "linearnets data show",
        "linearnets predict",
    ], done.stderr
    assert lines[0].endswith(softmax + "\n") and lines[1].endswith(others), done.stderr
    assert lines[2].endswith(others), done.stderr
    assert "--plot" not in "".join(lines[1:])
    assert not (tmp_path / "run").exists()  # refused before the run folder was made
    assert _sh(f"$LN softmax --data {blobs_npz} --epochs 1 --plot none --out run", tmp_path,
               MPLBACKEND="nonsense").returncode == 0  # fmt: skip


def test_the_predict_table_aligns_chinese_labels_by_terminal_columns() -> None:
    from linearnets._text import padded

    assert padded("T恤", 12, right=True) == " " * 9 + "T恤"  # 1 + 2 columns
    assert padded("t-shirt", 12, right=True) == " " * 5 + "t-shirt"
    assert padded("ankle boot and more", 12, right=True) == "ankle boot and more"


@pytest.mark.parametrize("command", ["linreg", "predict", "data", "data show", "data download"])
def test_commands_that_run_in_one_process_refuse_torchrun(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: str,
) -> None:
    """``data`` ran on every rank: its report and "wrote fashion-mnist.png" printed once per
    process, each drawing the same file or downloading into the same folder at once."""
    for name, value in {"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": "29500", "TORCHELASTIC_RUN_ID": "x"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    argv = {
        "predict": ["predict", str(tmp_path)],
        "data show": ["data", "show", "--out", str(tmp_path / "f.png")],
        # nowhere to download from: the old command tried it
        "data download": ["data", "download", "--data-dir", str(tmp_path), "--mirror",
                          "http://127.0.0.1:9/"],
    }.get(command, [command])  # fmt: skip
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"linearnets {command}: error: {command} runs in one process, got 2 processes (torchrun); "
        "run it without torchrun (only 'linearnets softmax' trains data-parallel)\n"
    )


@pytest.mark.parametrize(
    "env",
    [
        {"RANK": "first", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"},
        {"RANK": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"},
        {"RANK": "-1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"},
        {"RANK": "1", "MASTER_ADDR": "127.0.0.1"},  # no MASTER_PORT: no launcher set this
    ],
    ids=["malformed", "rank-equals-world-size", "negative", "no-master-port"],
)
def test_a_rank_no_launcher_could_set_still_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """RANK malformed, outside [0, WORLD_SIZE) or without a launcher: the error must be said."""
    monkeypatch.delenv("MASTER_PORT", raising=False)
    for name, value in {"WORLD_SIZE": "2", **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("linearnets.cli._ranks.let_rank_0_speak", lambda seconds=2.0: False)
    with pytest.raises(SystemExit) as info:
        main(["linreg", "--lr", "-1"])
    assert info.value.code == 2
    assert "argument --lr: must be a finite number > 0, got -1" in capsys.readouterr().err


def test_a_broken_pipe_elsewhere_is_an_error_while_the_output_is_open(tmp_path: Path) -> None:
    """Only a closed reader of the command's own output ends it quietly with 141."""
    script = (
        "import sys\n"
        "import linearnets.cli.linreg as cmd\n"
        "from linearnets.cli import main\n"
        "def broken(args):\n"
        "    raise BrokenPipeError(32, 'Broken pipe')  # e.g. a child process that died\n"
        "cmd.run = broken\n"
        "sys.exit(main(['linreg']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr == "linearnets linreg: error: [Errno 32] Broken pipe (BrokenPipeError)\n"


def test_sigterm_stops_a_download_like_ctrl_c_leaving_no_partial_files(tmp_path: Path) -> None:
    """SIGTERM (a container stopped, `timeout`) while a mirror keeps the command waiting: exit 130
    with one line, and the half-made download folder cleaned up as after a Ctrl-C."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    asked = threading.Event()
    held: list[socket.socket] = []

    def accept_and_say_nothing() -> None:
        conn, _ = listener.accept()
        held.append(conn)
        conn.recv(4096)  # the request arrived: the command now waits for an answer
        asked.set()

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    mirror = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linearnets",
            "data",
            "download",
            "--data-dir",
            "dl",
            "--mirror",
            mirror,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert asked.wait(60), "the command never asked the mirror"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        listener.close()
        for conn in held:
            conn.close()
    assert proc.returncode == 130
    assert err.splitlines() == [
        "linearnets data download: interrupted by SIGTERM during the download, before any file "
        "was verified; dl, made for the download, was removed: run the same command again to "
        "download the files"
    ]
    assert not (tmp_path / "dl").exists()


def test_sigterm_while_starting_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def terminated() -> None:
        raise KeyboardInterrupt("SIGTERM")  # what the command's SIGTERM handler raises

    monkeypatch.setattr("linearnets.cli.build_parser", terminated)
    assert main(["softmax"]) == 130
    assert (
        capsys.readouterr().err
        == "linearnets: interrupted by SIGTERM while starting; nothing was done: run the same command again\n"
    )


def test_an_unexpected_error_on_another_rank_is_named_with_its_command_and_rank(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It may be that rank's alone: it says so itself, prefixed as rank 0's line would be."""
    as_rank_1(monkeypatch, launched=False)

    def broken(args: object) -> int:
        raise RuntimeError("CUDA error: an illegal memory access")

    monkeypatch.setattr("linearnets.cli.linreg.run", broken)
    assert main(["linreg", "--json"]) == 1
    out, err = capsys.readouterr()
    assert err == (
        "linearnets linreg (rank 1): error: unexpected RuntimeError: CUDA error: an illegal memory "
        "access (re-run with --debug for the traceback)\n"
    )
    assert out == ""  # rank 0 alone ends stdout with the object


def test_a_lost_peer_is_said_by_the_rank_that_survived_even_when_rank_0_is_gone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rank 1 keeps the library's errors to itself for rank 0 to say, but not this one: rank 0 may
    be the process that died."""
    from linearnets.training.distributed import PeerLostError

    as_rank_1(monkeypatch, launched=False)

    def lost(args: object) -> int:
        raise PeerLostError("another process of the data-parallel run stopped (lost connection)")

    monkeypatch.setattr("linearnets.cli.linreg.run", lost)
    assert main(["linreg"]) == 1
    assert capsys.readouterr() == (
        "",
        "linearnets linreg (rank 1): error: another process of the data-parallel run stopped "
        "(lost connection)\n",
    )


@pytest.mark.parametrize("reported", [True, False], ids=["rank 0 reports", "rank 0 killed"])
def test_under_torchrun_a_lost_peer_is_left_to_rank_0_when_rank_0_reports_its_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], reported: bool
) -> None:
    """Rank 0 stopping with an error of its own (a full disk, mid-run) says it with the resume; rank
    1, which lost it, said the resume too, in other words. It now waits for torchrun silently when
    rank 0 marked in torchrun's store that it reports the stop, and speaks where no mark came."""
    from datetime import timedelta

    import torch.distributed as dist

    from linearnets.cli import _ranks
    from linearnets.training.distributed import PeerLostError

    as_rank_1(monkeypatch, launched=True)
    store = dist.TCPStore(  # torchrun's agent's, which outlives rank 0
        "127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=10), wait_for_workers=False
    )
    monkeypatch.setenv("MASTER_PORT", str(store.port))
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "True")
    if reported:
        _ranks.rank_0_reports()  # as rank 0 does, before it leaves the process group
    waits: list[float] = []

    def stopped_while_waiting(seconds: float = 2.0) -> bool:
        waits.append(seconds)
        return False  # torchrun's SIGTERM, once rank 0 exited

    monkeypatch.setattr(_ranks, "let_rank_0_speak", stopped_while_waiting)

    def lost(args: object) -> int:
        raise PeerLostError(
            "another process of the data-parallel run stopped (lost connection); rank 0 keeps the "
            "checkpoints in run; resume with: linearnets.resume_softmax('run'), launched by "
            "torchrun as before"
        )

    monkeypatch.setattr("linearnets.cli.linreg.run", lost)
    assert main(["linreg", "--json"]) == 1
    if reported:
        assert (waits, capsys.readouterr()) == ([2.0], ("", ""))
    else:
        assert (waits, capsys.readouterr()) == (
            [],
            (
                "",
                "linearnets linreg (rank 1): error: another process of the data-parallel run "
                "stopped (lost connection); rank 0 keeps the checkpoints in run; resume with: "
                "linearnets softmax --resume run, launched by torchrun as before\n",
            ),
        )


def test_a_lost_peer_is_said_when_torchruns_stop_lands_while_it_is_on_its_way_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """torchrun stops every worker once one dies: its SIGTERM reached rank 1 in the clean-up after
    it lost a killed rank 0, the stop replaced the error, and rank 1 kept silent as on any stop,
    so nothing named the checkpoint or the resume (a CI failure under load)."""
    from linearnets.training.distributed import PeerLostError

    as_rank_1(monkeypatch, launched=True)

    def lost(args: object) -> int:
        try:
            raise PeerLostError(
                "another process of the data-parallel run stopped (lost connection); rank 0 keeps "
                "the checkpoints in run; resume with: linearnets.resume_softmax('run'), launched "
                "by torchrun as before"
            )
        finally:
            raise KeyboardInterrupt("SIGTERM")  # torchrun's, during the clean-up

    monkeypatch.setattr("linearnets.cli.linreg.run", lost)
    assert main(["linreg"]) == 1
    assert capsys.readouterr() == (
        "",
        "linearnets linreg (rank 1): error: another process of the data-parallel run stopped "
        "(lost connection); rank 0 keeps the checkpoints in run; resume with: linearnets softmax "
        "--resume run, launched by torchrun as before\n",
    )


def test_the_command_runs_outside_the_main_thread_and_gives_back_sigterm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook's or a GUI's worker thread, where no signal handler can be set: the command runs
    as usual; in the main thread its SIGTERM handler is there only while it runs."""
    import threading

    before = signal.getsignal(signal.SIGTERM)
    missing = str(tmp_path / "missing.npz")
    statuses: list[object] = []

    def command() -> None:
        try:
            statuses.append(main(["linreg", "--data", missing]))
        except BaseException as exc:  # what the thread would otherwise swallow
            statuses.append(exc)

    worker = threading.Thread(target=command)
    worker.start()
    worker.join(timeout=60)
    assert statuses == [2]
    assert main(["linreg", "--data", missing]) == 2  # and in the main thread
    assert signal.getsignal(signal.SIGTERM) is before
    assert capsys.readouterr().err.count(f"--data {missing} does not exist") == 2


def _without_unbuffered() -> dict[str, str]:
    """The environment with Python's own block buffering of a piped stdout (CI may set it off)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def test_buffered_output_is_flushed_before_the_fast_exit(tmp_path: Path) -> None:
    """The command leaves with os._exit: what a piped stdout still buffers must be written first."""
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "linreg", "--epochs", "1", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=_without_unbuffered(),
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2].startswith("error vs closed form: w [")
    result = json.loads(lines[-1])
    assert result["epochs"] == 1 and result["config"]["epochs"] == 1


def test_a_reader_gone_before_the_first_write_ends_quietly_with_141(tmp_path: Path) -> None:
    """``| true``: the pipe has no reader at all; the final flush must fail quietly, not trace back."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "linearnets", "linreg", "--epochs", "1"],
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env=_without_unbuffered(),
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")


@pytest.mark.parametrize(
    ("exc", "status", "err"),
    [
        (BrokenPipeError(32, "Broken pipe"), 141, ""),
        (
            OSError(28, "No space left on device"),
            1,
            "linearnets linreg: error: [Errno 28] No space left on device (OSError): a device is "
            "full",
        ),
    ],
    ids=["broken-pipe", "other-os-error"],
)
def test_only_a_broken_pipe_to_a_gone_reader_is_quiet(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: OSError,
    status: int,
    err: str,
) -> None:
    """The reader has gone (``| head``): a BrokenPipeError is 141 and silent; any other error is said."""

    def failing(args: object) -> int:
        raise exc

    monkeypatch.setattr("linearnets.cli.output_closed", lambda: True)
    monkeypatch.setattr("linearnets.cli.linreg.run", failing)
    assert main(["linreg"]) == status
    out, said = capsys.readouterr()
    assert out == "" and said.startswith(err) and (said == "") == (err == "")


@pytest.mark.parametrize(
    ("exc", "status"),
    [(KeyboardInterrupt(), 130), (UsageError("bad"), 2)],
    ids=["interrupt", "library-error"],
)
def test_a_silent_rank_waits_for_rank_0_to_speak(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: BaseException,
    status: int,
) -> None:
    """torchrun stops every worker once one exits: rank 1 waits so that rank 0's line gets out,
    and says nothing once torchrun's signal ends the wait (rank 0 said it)."""
    as_rank_1(monkeypatch, launched=True)
    waits: list[float] = []

    def stopped_while_waiting(seconds: float = 2.0) -> bool:
        waits.append(seconds)
        return False  # torchrun's SIGTERM ended the wait

    monkeypatch.setattr("linearnets.cli._ranks.let_rank_0_speak", stopped_while_waiting)

    def failing(args: object) -> int:
        raise exc

    monkeypatch.setattr("linearnets.cli.linreg.run", failing)
    assert main(["linreg"]) == status
    assert waits == [2.0]
    assert capsys.readouterr() == ("", "")


def test_torchruns_stop_landing_in_an_import_as_another_rank_reports_a_usage_error_is_not_said(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A usage error found before torch loads (``--force`` without ``--resume``): rank 1 imported
    torch to tell whether it had lost a peer, rank 0 said the error and exited meanwhile, and
    torchrun's SIGTERM landed in that import; the stop got out as a second line. Here any import
    of torch or of the training code is where the signal lands."""
    import builtins

    from linearnets.cli import _ranks
    from linearnets.cli._outcomes import report_error

    as_rank_1(monkeypatch, launched=True)
    for name in ("linearnets.training.dist_failures", "linearnets.training.distributed"):
        monkeypatch.delitem(sys.modules, name, raising=False)  # as before torch loaded
    real_import = builtins.__import__

    def signalled(name: str, *args: object, **kwargs: object) -> object:
        if name.partition(".")[0] == "torch" or name.startswith("linearnets.training"):
            raise KeyboardInterrupt("SIGTERM")  # torchrun's, as rank 0 exited
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_ranks, "let_rank_0_speak", lambda seconds=2.0: False)  # ended by it
    monkeypatch.setattr(builtins, "__import__", signalled)
    try:
        status = report_error(
            UsageError("--force only applies with --resume RUN_DIR; drop --force"),
            "linearnets softmax",
            json_errors=True,
        )
    except KeyboardInterrupt:  # let out, it would stop pytest itself
        pytest.fail("rank 1 let torchrun's stop out while it reported rank 0's usage error")
    finally:
        monkeypatch.setattr(builtins, "__import__", real_import)
    assert (status, capsys.readouterr()) == (2, ("", ""))


@pytest.mark.parametrize("launched", [True, False], ids=["torchrun", "by hand"])
def test_a_signal_while_another_rank_decides_is_quiet_under_torchrun_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], launched: bool
) -> None:
    """Under torchrun rank 0 speaks for the run: its SIGTERM to rank 1, wherever it lands as rank 1
    reports, leaves rank 1 with its error's status, silent; started by hand, the stop goes on."""
    from linearnets.cli import _outcomes

    as_rank_1(monkeypatch, launched=launched)

    def stopped(exc: Exception) -> bool:
        raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr(_outcomes, "_lost_a_peer", stopped)
    error = UsageError("--force only applies with --resume RUN_DIR; drop --force")
    if launched:
        try:
            assert _outcomes.report_error(error, "linearnets softmax", json_errors=False) == 2
        except KeyboardInterrupt:  # let out, it would stop pytest itself
            pytest.fail("rank 1 let torchrun's stop out while it reported an error")
    else:
        with pytest.raises(KeyboardInterrupt):
            _outcomes.report_error(error, "linearnets softmax", json_errors=False)
    assert capsys.readouterr() == ("", "")


# the console command as rank 1 of 2 under torchrun, given a usage error found before torch loads;
# torchrun's SIGTERM (rank 0 said the error and exited) comes at whichever is first: the import of
# torch, or rank 1's wait for rank 0 to speak
_RANK_1_STOPPED_BY_TORCHRUN = """
import os, signal, sys
import linearnets.cli._ranks as ranks

sent = []

def sigterm():
    if not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.SIGTERM)

wait = ranks.let_rank_0_speak

def stopped_in_the_wait(seconds=2.0):
    sigterm()
    return wait(seconds)

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "torch":
            sigterm()
        return None

ranks.let_rank_0_speak = stopped_in_the_wait
sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["linearnets", *sys.argv[1:]]
from linearnets.cli import entry
entry()
"""


@pytest.mark.parametrize(
    "argv",
    [("--epochs", "1", "--force"), ("--out", "x1", "--resume", "nonexist")],
    ids=["force", "resume"],
)
def test_rank_1_stopped_by_torchrun_after_rank_0s_usage_error_says_nothing(
    tmp_path: Path, blobs_npz: Path, argv: tuple[str, ...]
) -> None:
    """The reviewer's case, 2 runs in 3: ``linearnets: interrupted by SIGTERM`` after rank 0's line."""
    env = {**os.environ, "RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2",
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500", "TORCHELASTIC_RUN_ID": "x"}  # fmt: skip
    command = [
        sys.executable,
        "-c",
        _RANK_1_STOPPED_BY_TORCHRUN,
        "softmax",
        "--data",
        str(blobs_npz),
    ]
    done = subprocess.run(
        [*command, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "")


def test_a_stop_escaping_the_command_is_said_by_rank_0_alone_under_torchrun(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console command's last resort for a stop that escaped the command's own reports."""
    import linearnets.cli as cli

    def stopped(argv: list[str], **kwargs: object) -> int:
        raise KeyboardInterrupt("SIGTERM")

    left: list[int] = []
    monkeypatch.setattr(cli, "_main", stopped)
    monkeypatch.setattr(cli, "leave", left.append)
    monkeypatch.setattr(sys, "argv", ["linearnets", "softmax"])
    as_rank_1(monkeypatch, launched=True)
    cli.entry()
    assert (left, capsys.readouterr()) == ([130], ("", ""))
    monkeypatch.delenv("RANK")  # rank 0
    cli.entry()
    assert (left, capsys.readouterr()) == ([130, 130], ("", "linearnets: interrupted by SIGTERM\n"))


@pytest.mark.parametrize("launched", [True, False], ids=["torchrun", "by hand"])
def test_a_ranks_own_error_is_said_once_rank_0_did_not_stop_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], launched: bool
) -> None:
    """Its data, its environment, its options given by hand: rank 0 had no such error, so nobody
    said it (rank 0 said only that a process stopped); with --json, a process started by hand has
    its own stdout, and its object."""
    as_rank_1(monkeypatch, launched=launched)
    monkeypatch.setattr("linearnets.cli._ranks.let_rank_0_speak", lambda seconds=2.0: True)

    def failing(args: object) -> int:
        raise UsageError("data_dir must hold the data, got 'nowhere'; pass another")

    monkeypatch.setattr("linearnets.cli.linreg.run", failing)
    assert main(["linreg", "--json"]) == 2
    out, err = capsys.readouterr()
    assert err == (
        "linearnets linreg (rank 1): error: --data-dir must hold the data, got 'nowhere'; pass "
        "another\n"
    )
    assert (out != "") == (not launched) and (not out or json.loads(out)["exit_status"] == 2)


def test_a_rank_started_by_hand_says_its_own_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopped while waiting for the others, it exited 130 without a word."""
    as_rank_1(monkeypatch, launched=False)
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)

    def stopped(args: object) -> int:
        raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr("linearnets.cli.linreg.run", stopped)
    assert main(["linreg"]) == 130
    assert capsys.readouterr().err == "linearnets linreg (rank 1): interrupted by SIGTERM\n"


def test_the_command_shows_a_data_warning_on_one_line(tmp_path: Path) -> None:
    """The real entry point (os._exit after it), not only main(): Python's own format would add
    the library's file, line and source line to the user's terminal."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=rng.integers(0, 2, size=40), X_test=X[:8],
             y_test=np.array([0, 1, 2, 2, 0, 1, 0, 1]))  # fmt: skip
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "linearnets",
            "softmax",
            "--data",
            "d.npz",
            "--epochs",
            "1",
            "--plot",
            "none",
            "--out",
            "run",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "linearnets: warning: d.npz: y_test holds labels that y never has (2; y's go up to 1): "
        "the model cannot learn those classes, so their examples mostly count as mistakes; if "
        "the two sets were numbered apart, number their original labels with "
        "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1], both together "
        "(numbered apart, a class one lacks shifts the other's numbers): its first len(y) "
        "numbers are y's, the rest y_test's"
    ]


# the command stopped (SIGTERM, as Ctrl-C) while it parses its command line: exit status 130
_SIGNALLED_WHILE_STARTING = """\
import os, signal
import linearnets.cli as cli
parse = cli._parse
def parse_signalled(argv):
    os.kill(os.getpid(), signal.SIGTERM)
    return parse(argv)
cli._parse = parse_signalled
"""


def test_run_m_in_ipython_returns_to_the_session(tmp_path: Path) -> None:
    """``%run -m linearnets`` runs the command in IPython's own process: its end must not end the
    session (os._exit would kill a Jupyter kernel, and its work with it). A failure is its one
    line, as in a terminal: a SystemExit added a 20-line traceback and IPython's "Unknown failure
    executing module"; the exit status is kept in ``_exit_code``, as a ``!`` command keeps its."""
    pytest.importorskip("IPython")
    cell = (
        "x = 42\n"
        "%run -m linearnets linreg --epochs 1\n"
        "codes = [_exit_code]\n"
        "%run -m linearnets linreg --epochs 0\n"
        "codes.append(_exit_code)\n"
        + _SIGNALLED_WHILE_STARTING
        + "%run -m linearnets linreg --json\n"
        "codes.append(_exit_code)\n"
        "cli._parse = parse\n"
        "print('still here', x, codes)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", "-c", cell],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg", "IPYTHONDIR": str(tmp_path / "ipython")},
    )
    assert "epoch 1, loss" in done.stdout
    assert (
        done.stderr.splitlines()
        == [
            "linearnets linreg: error: argument --epochs: must be a positive integer (>= 1), got '0'; "
            "pass e.g. --epochs 3 (see %run -m linearnets linreg --help)",  # as IPython's prompt takes it
            "linearnets: interrupted by SIGTERM while starting; nothing was done: run the same command again",
        ]
    )
    assert json.loads(done.stdout.splitlines()[-2]) == {  # --json: the object, as in a terminal
        "error": "interrupted by SIGTERM while starting; nothing was done: run the same command again",
        "error_type": "KeyboardInterrupt",
        "exit_status": 130,
    }
    # the session goes on, with each command's exit status
    assert done.stdout.splitlines()[-1] == "still here 42 [0, 2, 130]"


def test_python_i_gets_its_prompt_after_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-i", "-m", "linearnets", "linreg", "--epochs", "1"],
        cwd=tmp_path,
        input="print('prompt reached')\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "epoch 1, loss" in done.stdout and "prompt reached" in done.stdout


def test_python_i_gets_its_prompt_after_an_interrupted_command(tmp_path: Path) -> None:
    """``python -i``: the status as ``SystemExit(130)``, as any script leaves, then the prompt."""
    script = _SIGNALLED_WHILE_STARTING + "cli.entry()\n"
    done = subprocess.run(
        [sys.executable, "-i", "-c", script, "linreg"],
        cwd=tmp_path,
        input="print('prompt reached')\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr.startswith(
        "linearnets: interrupted by SIGTERM while starting; nothing was done: run the same command again\n"
    )
    assert "SystemExit: 130\n" in done.stderr
    assert "prompt reached" in done.stdout


def test_a_ctrl_c_before_the_commands_handlers_are_set_is_one_line(tmp_path: Path) -> None:
    """Between :mod:`linearnets._command` putting Python's handlers back and ``command_signals``
    setting the command's (~70 µs), a Ctrl-C is Python's ``KeyboardInterrupt``: it printed a
    traceback and ended the command with status 1; it is a stop while starting, in one line (and in
    JSON where asked), status 130."""
    script = (
        "import os, signal\n"
        "import linearnets.cli as cli\n"
        "escape = cli.escape_what_cannot_be_shown\n"
        "def escape_signalled():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    escape()\n"
        "cli.escape_what_cannot_be_shown = escape_signalled\n"
        "cli.entry()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "linreg", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    detail = "interrupted by SIGINT while starting; nothing was done: run the same command again"
    assert (done.returncode, done.stderr) == (130, f"linearnets: {detail}\n")
    assert json.loads(done.stdout) == {
        "error": detail,
        "error_type": "KeyboardInterrupt",
        "exit_status": 130,
    }


_SIGNALLED_WHILE_TRACING = """
import os, signal, traceback
printed = traceback.print_exc

def print_exc(*args, **kwargs):  # torchrun's SIGTERM as the traceback is read and printed
    os.kill(os.getpid(), signal.SIGTERM)
    printed(*args, **kwargs)

traceback.print_exc = print_exc
from linearnets._command import entry
entry()
"""


def test_a_signal_while_debug_prints_the_traceback_leaves_the_errors_line(
    tmp_path: Path,
) -> None:
    """Under torchrun the workers get SIGTERM once one failed: with --debug it could cut the
    traceback, and the process said "linearnets: interrupted" (status 130) and not its error."""
    import numpy as np

    bad = tmp_path / "neg.npz"
    np.savez(bad, X=np.ones((4, 2), np.float32), y=np.array([0, 1, -1, 0]))
    done = subprocess.run(
        [sys.executable, "-c", _SIGNALLED_WHILE_TRACING, "softmax", "--data", str(bad), "--debug",
         "--plot", "none", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    *trace, line = done.stderr.splitlines()
    assert trace[0] == "Traceback (most recent call last):" and "DatasetError" in trace[-1]
    assert line == (
        f"linearnets softmax: error: {bad}: y must hold labels >= 0, got -1 at index 2 (the only "
        "one); -1 usually marks an unlabelled example: drop that example, e.g. keep = y >= 0; "
        "X, y = X[keep], y[keep]; if -1 is a class, relabel them as class indices 0..C-1 (-1 "
        "becomes class 0, every other class one more), e.g. with numpy.unique(y, "
        "return_inverse=True)[1]"
    )


@pytest.mark.parametrize(("code", "status"), [(2, 2), (0, 0), (None, 0), ("said", 1)])
def test_a_system_exit_leaves_with_pythons_status_for_its_code(code: object, status: int) -> None:
    """As Python ends a process on an uncaught SystemExit: None is 0, any other non-int 1."""
    from linearnets.cli import _exit_status

    assert _exit_status(SystemExit(code)) == status


def test_more_threads_than_the_cores_the_command_may_use_are_warned_of_in_one_line(
    tmp_path: Path,
) -> None:
    """The process held to one core (its affinity, set before the command starts)."""
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "linreg", "--threads", "2", "--epochs", "1",
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True, preexec_fn=lambda: os.sched_setaffinity(0, {0}),
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "linearnets: warning: the run's thread count, 2, is more than the 1 CPU core this process "
        "may use: the threads take turns, and training slows, often many times over; pass "
        "--threads 1\n"
    )


_BOLD_MISSING = (  # a font matplotlib ships, in one weight: bold titles and labels fall back
    "font.family: cmr10\naxes.titleweight: bold\naxes.labelweight: bold\n"
    "axes.formatter.use_mathtext: True\n"  # cmr10 has no minus sign: ticks through mathtext
)
_NO_SUCH_FONT = "font.family: NoSuchFontInstalledAnywhere\n"


@pytest.mark.parametrize(
    ("epochs", "rc", "said"),
    [
        ("1", _NO_SUCH_FONT, "Font family 'NoSuchFontInstalledAnywhere' not found."),
        ("3", _NO_SUCH_FONT, "Font family 'NoSuchFontInstalledAnywhere' not found."),
        ("1", _BOLD_MISSING, "Failed to find font weight bold for cmr10, now using 400."),
    ],
)
def test_a_matplotlibrc_naming_a_font_not_installed_is_told_once(
    tmp_path: Path, epochs: str, rc: str, said: str
) -> None:
    """matplotlib said "findfont: Font family ... not found." for each size and style a figure
    asked for (804 lines in a Fashion-MNIST run), and once more in each process drawing the last
    figures side by side (the curves and the confusion matrix), a missing bold weight too: the
    line is said once, and the figures are written."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 4)).astype(np.float32), rng.integers(0, 3, size=80)
    np.savez(tmp_path / "d.npz", X=X[:60], y=y[:60], X_test=X[60:], y_test=y[60:])
    (tmp_path / "matplotlibrc").write_text(rc)
    done = _sh(
        f"$LN softmax --data d.npz --epochs {epochs} --plot file --out run",
        tmp_path,
        MATPLOTLIBRC=str(tmp_path / "matplotlibrc"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"findfont: {said}\n"
    assert (tmp_path / "run" / "curves.png").stat().st_size > 0
    assert (tmp_path / "run" / "confusion.png").stat().st_size > 0
