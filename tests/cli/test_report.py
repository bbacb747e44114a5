"""How the command reports a failure: the one line, its exit status, and the JSON object."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import select
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linearnets import _dependencies as dependencies
from linearnets.cli import _report as report
from linearnets.errors import (
    CheckpointError,
    DatasetError,
    DivergenceError,
    UsageError,
    UsageTypeError,
)
from linearnets.training.distributed import PeerLostError


def test_the_exit_statuses_are_the_shells() -> None:
    assert (report.EXIT_OK, report.EXIT_RUNTIME, report.EXIT_USAGE) == (0, 1, 2)
    assert (report.EXIT_INTERRUPTED, report.EXIT_BROKEN_PIPE) == (
        128 + 2,
        128 + 13,
    )  # SIGINT, SIGPIPE


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (UsageError("x"), 2),
        (UsageTypeError("x"), 2),
        (DatasetError("x"), 1),
        (CheckpointError("x"), 1),
        (RuntimeError("x"), 1),
        (OSError("x"), 1),
    ],
)
def test_a_usage_error_exits_2_any_other_failure_1(exc: Exception, status: int) -> None:
    assert report.exit_status(exc) == status


def test_signal_name_tells_sigterm_from_ctrl_c() -> None:
    assert report.signal_name(KeyboardInterrupt("SIGTERM")) == "interrupted by SIGTERM"
    # a Ctrl-C's named too (it gave "", and the reports said "interrupted" alone)
    assert report.signal_name(KeyboardInterrupt()) == "interrupted by SIGINT"
    assert report.signal_name(KeyboardInterrupt("SIGINT")) == "interrupted by SIGINT"
    # a Ctrl-C cut short by a second signal (torchrun's SIGTERM at a second Ctrl-C) is the Ctrl-C
    second = KeyboardInterrupt("SIGTERM")
    second.__context__ = KeyboardInterrupt()
    assert report.signal_name(second) == "interrupted by SIGINT"


def test_the_json_error_is_one_object_without_empty_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report.print_json_error("boom", "DatasetError", 1, run_dir=None, epoch=3)
    report.print_json_error("stop", "KeyboardInterrupt", 130, run_dir="runs/a")
    first, second = capsys.readouterr().out.splitlines()
    assert json.loads(first) == {
        "error": "boom",
        "error_type": "DatasetError",
        "exit_status": 1,
        "epoch": 3,
    }
    assert json.loads(second) == {
        "error": "stop",
        "error_type": "KeyboardInterrupt",
        "exit_status": 130,
        "run_dir": "runs/a",
    }


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        # the library's Python names become the command line's options
        (UsageError("lr must be a finite number > 0, got 0; pass e.g. lr=0.1"),
         "--lr must be a finite number > 0, got 0; pass e.g. --lr 0.1"),
        (UsageError("num_threads must be at most 4, got 9; pass e.g. num_threads=4"),
         "--threads must be at most 4, got 9; pass e.g. --threads 4"),
        (UsageError("root must be an existing folder, got /x"), "--data-dir must be an existing folder, got /x"),
        (UsageError("device must be one of 'auto', 'cpu', got 'tpu'; pass e.g. device='auto'"),
         "--device must be one of 'auto', 'cpu', got 'tpu'; pass e.g. --device auto"),
        # only a leading name is an option's; other words are left alone
        (UsageError("the lr must be smaller"), "the lr must be smaller"),
        (UsageError("epochs must be more than 3; resume with force=True (force=True)"),
         "--epochs must be more than 3; resume with force=True"),
        (CheckpointError("start over (force=True)\n  or keep it"), "start over or keep it"),
        (DatasetError(), "DatasetError"),
        (OSError(errno.EACCES, "Permission denied"), "[Errno 13] Permission denied (PermissionError)"),
        (RuntimeError("boom\nagain"), "unexpected RuntimeError: boom again (re-run with --debug for the traceback)"),
    ],
)  # fmt: skip
def test_one_line_speaks_the_command_lines_words(exc: Exception, line: str) -> None:
    assert report.one_line(exc) == line


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        # a setting given with its value: the value as the option printed it, unquoted
        (UsageError("out='runs/a' is not writable; pass a folder you can write to"),
         "--out runs/a is not writable; pass a folder you can write to"),
        (UsageError("out=\"it's\" is not writable"), "--out it's is not writable"),
        # the call that resumes a run: the whole command (the options alone, "continue it with
        # --resume 'a b'", were no command to paste), its folder quoted for the shell, its
        # keywords as options, linreg's as linreg's
        (UsageError("out='a b' already holds a run (it has config.json); continue it with "
                    "linearnets.resume_softmax('a b'), or pass a new folder"),
         "--out a b already holds a run (it has config.json); continue it with linearnets "
         "softmax --resume 'a b', or pass a new folder"),
        (UsageError("out='a b' already holds a run (it has config.json); continue it with "
                    "linearnets.resume_linreg('a b'), or pass a new folder"),
         "--out a b already holds a run (it has config.json); continue it with linearnets "
         "linreg --resume 'a b', or pass a new folder"),
        (DivergenceError("kept in run (continue it with a smaller lr: "
                         "linearnets.resume_softmax(\"it's\", lr=1e-05, force=True))"),
         "kept in run (continue it with a smaller lr: linearnets softmax --resume 'it'\"'\"'s' "
         "--lr 1e-05 --force)"),
        (DivergenceError("kept in r (continue it with a smaller lr: "
                         "linearnets.resume_linreg('r', lr=1, force=True))"),
         "kept in r (continue it with a smaller lr: linearnets linreg --resume r --lr 1 --force)"),
        (UsageError("or restore it from a copy of the run: linearnets.resume_softmax('a b') "
                    "continues the run and rebuilds it"),
         "or restore it from a copy of the run: linearnets softmax --resume 'a b' continues the "
         "run and rebuilds it"),
        # but one that opens the message is the resume refused, said as the options given, as
        # "--out a b already holds a run" is
        (UsageError("linearnets.resume_softmax('a b'): the run folder is not writable, and "
                    "resuming rewrites its files"),
         "--resume 'a b': the run folder is not writable, and resuming rewrites its files"),
        (UsageError("rank 1 stopped: linearnets.resume_softmax('a b'): the run folder is not "
                    "writable"),
         "rank 1 stopped: --resume 'a b': the run folder is not writable"),
        # a call given as the command to run: the whole command line, as the interrupt's
        (PeerLostError("another process stopped; the checkpoint of epoch 1 is kept in trk; resume "
                       "with: linearnets.resume_softmax('my trk'), launched by torchrun as before"),
         "another process stopped; the checkpoint of epoch 1 is kept in trk; resume with: "
         "linearnets softmax --resume 'my trk', launched by torchrun as before"),
        # and one given as an example: "(e.g. --resume r --epochs 6)" was no command to paste
        (UsageError("a resume that trains further (e.g. linearnets.resume_softmax('a b', "
                    "epochs=6)), rebuilds it"),
         "a resume that trains further (e.g. linearnets softmax --resume 'a b' --epochs 6), "
         "rebuilds it"),
        (UsageError("or (e.g. linearnets.resume_linreg('r', lr=0.01)) does"),
         "or (e.g. linearnets linreg --resume r --lr 0.01) does"),
        (UsageError("it has no config.json, so linearnets.resume_softmax() cannot continue it"),
         "it has no config.json, so --resume cannot continue it"),
        # a placeholder, and a setting named in parentheses
        (UsageError("runs/ has no free name for x-1; pass out=DIR"),
         "runs/ has no free name for x-1; pass --out DIR"),
        (DivergenceError("at lr 10; try a smaller learning rate (lr), e.g. 1 (a tenth)"),
         "at lr 10; try a smaller learning rate (--lr), e.g. 1 (a tenth)"),
        # words that are no setting of the command, or already the command's, are left alone
        (UsageError("finish it with linearnets softmax --resume 'a b' (linearnets.resume_softmax "
                    "in Python), then predict"),
         "finish it with linearnets softmax --resume 'a b' (linearnets.resume_softmax in Python), "
         "then predict"),
        (UsageError("factor='x' is wrong (factor) (force)"), "factor='x' is wrong (factor) (force)"),
        (UsageError("the folder out='a' is taken"), "the folder out='a' is taken"),
        # None as --resize none, the word it takes for it (leaving --resize out keeps a resumed
        # run's resize); for an option with no word for None, as leaving the option out
        (UsageError("resize must be at most 256, got 999; pass e.g. resize=64 (a side from 1 to "
                    "256), or resize=None for the images' own size"),
         "--resize must be at most 256, got 999; pass e.g. --resize 64 (a side from 1 to 256), "
         "or --resize none for the images' own size"),
        (UsageError("no such file; pass e.g. data='d.npz', or data=None for Fashion-MNIST"),
         "no such file; pass e.g. --data d.npz, or leave --data out for Fashion-MNIST"),
        # guard=False is the flag that turns it off; another False keyword, no flag at all; a
        # number as the message wrote it (0.010, not 0.01)
        (DivergenceError("a loss that grew: linearnets.resume_softmax('r', guard=False) trains "
                         "on regardless"),
         "a loss that grew: linearnets softmax --resume r --no-guard trains on regardless"),
        (DivergenceError("x: linearnets.resume_softmax('r', force=False, lr=0.010)"),
         "x: linearnets softmax --resume r --lr 0.010"),
        # a resume asked for the images' own size: the word --resize takes ("None" was typed)
        (CheckpointError("resume it with: linearnets.resume_softmax('r', resize=None, "
                         "force=True)"),
         "resume it with: linearnets softmax --resume r --resize none --force"),
        (CheckpointError("fix that and continue it with --resume 'a b'"),
         "fix that and continue it with --resume 'a b'"),
    ],
)  # fmt: skip
def test_one_line_puts_the_python_apis_words_as_the_command_lines(
    exc: Exception, line: str
) -> None:
    """The library's messages speak Python (out='runs/a', linearnets.resume_softmax(...), (lr));
    the command prints them with its options, exactly as it did when the library spoke them."""
    assert report.one_line(exc) == line


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        # the setting a usage error is about, as its subject
        (UsageError("resize applies to Fashion-MNIST images only, got resize=14 with data='d.npz'; "
                    "drop one of them"),
         "--resize applies to Fashion-MNIST images only, got --resize 14 with --data d.npz; drop "
         "one of them"),
        (UsageError("data_dir finds Fashion-MNIST, got data_dir='/fm' with data=\"it's.npz\""),
         "--data-dir finds Fashion-MNIST, got --data-dir /fm with --data it's.npz"),
        (UsageError("run_dir must hold the trained weights model.pt"),
         "RUN_DIR must hold the trained weights model.pt"),
        # two settings as the subject, and the settings to leave out, "and" between them
        (UsageError("num_examples and noise_std set the synthetic data, but the run in r was "
                    "trained on data='d.csv' (the file decides); leave num_examples and noise_std "
                    "out to resume it on that file"),
         "--num-examples and --noise-std set the synthetic data, but the run in r was trained on "
         "--data d.csv (the file decides); leave --num-examples and --noise-std out to resume it "
         "on that file"),
        (UsageError("noise_std sets the synthetic data; leave noise_std out"),
         "--noise-std sets the synthetic data; leave --noise-std out"),
        # a resume's changes to leave out, named as passed: three, and impl (no validator's)
        (UsageError("which would change its result; leave impl, lr and batch_size out to "
                    "continue the same run, or pass force=True"),
         "which would change its result; leave --impl, --lr and --batch-size out to continue the "
         "same run, or pass --force"),
        (UsageError("put the file back and leave lr out; or leave them out"),
         "put the file back and leave --lr out; or leave them out"),
        # a change, clause by clause, None with what it means as the option takes it: none
        (UsageError("impl changed from 'analytic' to 'concise'; resize changed from None (28×28) "
                    "to 14; lr changed from 0.1 to 1e-05 since the run in r; started"),
         "--impl changed from analytic to concise; --resize changed from none (28×28) to 14; "
         "--lr changed from 0.1 to 1e-05 since the run in r; started"),
        # a setting with its value after the words that introduce one
        (UsageError("c.pt was trained with resize=None (28×28) and data=None (Fashion-MNIST), but "
                    "config.json asks for resize=14 and data='a b.npz' (another run?)"),
         "c.pt was trained with --resize none (28×28) and Fashion-MNIST (no --data), but "
         "config.json asks for --resize 14 and --data a b.npz (another run?)"),
        # a None the option does not take is the option left out: --data none reads a file none
        (UsageError("c.pt was trained with data='a.npz', but config.json asks for data=None "
                    "(Fashion-MNIST) (another run?)"),
         "c.pt was trained with --data a.npz, but config.json asks for Fashion-MNIST (no --data) "
         "(another run?)"),
        (UsageError("num_examples changed from 1000 to None; data changed from None (synthetic "
                    "data) to 'd.csv': the run"),
         "--num-examples changed from 1000 to no --num-examples; --data changed from synthetic "
         "data (no --data) to d.csv: the run"),
        # the synthetic data a --data file replaces, its settings after the colon: the truth,
        # which no option sets, as the run prints it; either way round
        (UsageError("lr changed from 0.03 to 0.1; data changed from None (synthetic data: "
                    "num_examples=50, noise_std=0.1, true_w=[2.0, -3.4], true_b=4.2) to 'a b.csv': "
                    "the run"),
         "--lr changed from 0.03 to 0.1; --data changed from synthetic data (no --data; "
         "--num-examples 50, --noise-std 0.1, truth w [2.0, -3.4], b 4.2) to a b.csv: the run"),
        (UsageError("data changed from 'd.csv' to None (synthetic data: num_examples=1000, "
                    "noise_std=1e-05, true_w=[2.0], true_b=-1.0): the run"),
         "--data changed from d.csv to synthetic data (no --data; --num-examples 1000, "
         "--noise-std 1e-05, truth w [2.0], b -1.0): the run"),
        (UsageError("data changed from 'd.npz' to None (Fashion-MNIST) since the run in r"),
         "--data changed from d.npz to Fashion-MNIST (no --data) since the run in r"),
        (CheckpointError("the weights of this run's impl='scratch' model, got; the weights of an "
                         "impl='concise' run, to convert to impl='analytic'"),
         "the weights of this run's --impl scratch model, got; the weights of an --impl concise "
         "run, to convert to --impl analytic"),
        (CheckpointError("the run was trained on data='/d.csv', as recorded"),
         "the run was trained on --data /d.csv, as recorded"),
        (DatasetError("data='my data.csv': X must have linearly independent columns"),
         "--data my data.csv: X must have linearly independent columns"),
        (UsageError("MPLBACKEND must name a backend; unset it, or pass plot='none'"),
         "MPLBACKEND must name a backend; unset it, or pass --plot none"),
        # ... and not elsewhere: a validator's suggestion inside another error, a value in
        # parentheses
        (CheckpointError("holds an unusable config: resize must be >= 1, got 0; pass e.g. "
                         "resize=64, or resize=None for the images' own size; restore it"),
         "holds an unusable config: resize must be >= 1, got 0; pass e.g. resize=64, or "
         "resize=None for the images' own size; restore it"),
        (CheckpointError("model.pt holds 4 outputs (resize=64)"),
         "model.pt holds 4 outputs (resize=64)"),
        # a placeholder anywhere; the flag force=True after with, without or pass
        (UsageError("they cannot carry over, not even with force=True; start a new run in another "
                    "folder (out=NEW_DIR)"),
         "they cannot carry over, not even with --force; start a new run in another folder "
         "(--out NEW_DIR)"),
        (UsageError("if the file moved, pass data=NEWPATH (the same content continues the run, "
                    "without force=True); or pass data=NEWPATH with force=True (no SHA-256)"),
         "if the file moved, pass --data NEWPATH (the same content continues the run, without "
         "--force); or pass --data NEWPATH with --force (no SHA-256)"),
        (CheckpointError("put it back, or pass force=True to start the run over"),
         "put it back, or pass --force to start the run over"),
        (UsageError("the force=True flag; forced (force)"), "the force=True flag; forced (force)"),
        # a quoted value Python cannot read back is left as written, not an error of its own
        (UsageError("got data='\\N{x}' here"), "got --data '\\N{x}' here"),
        # the setting to lower, and one named with its value after "at"
        (UsageError("2 GiB per batch, got 4 × 1000²; lower resize or batch_size"),
         "2 GiB per batch, got 4 × 1000²; lower --resize or --batch-size"),
        (UsageError("got batch_size=256 and resize=400: too big; lower batch_size to 23 or less "
                    "at resize=400, or lower resize"),
         "got --batch-size 256 and --resize 400: too big; lower --batch-size to 23 or less at "
         "--resize 400, or lower --resize"),
        (UsageError("too big; lower batch_size and resize"),
         "too big; lower --batch-size and --resize"),
        # a product of settings, as the rule's subject
        (UsageError("batch_size × resize² float32 values must fit in 2 GiB per batch, got 4 × "
                    "1000²; lower resize or batch_size"),
         "--batch-size × --resize² float32 values must fit in 2 GiB per batch, got 4 × 1000²; "
         "lower --resize or --batch-size"),
        # ... but not a setting's value, nor a word that is no setting, nor "a smaller lr"
        (UsageError("lower lr=0.1; lower seeds or batches; retrain with a smaller lr"),
         "lower lr=0.1; lower seeds or batches; retrain with a smaller lr"),
        # "asks for resize=None" holds no "or resize=None" ("or" inside "for")
        (UsageError("c.pt asks for resize=None (28×28)"), "c.pt asks for --resize none (28×28)"),
    ],
)  # fmt: skip
def test_one_line_puts_settings_named_mid_sentence_as_the_command_lines_options(
    exc: Exception, line: str
) -> None:
    """A setting named mid-sentence in Python's words (got resize=14, changed from None,
    force=True, out=NEW_DIR) is printed with the option, as the command printed it before the
    library spoke Python; elsewhere (a suggestion, a parenthesis) the words are left alone."""
    assert report.one_line(exc) == line


@pytest.mark.parametrize("path", ["plain.npz", "it's.npz", 'say "hi".npz', "a; b to c.npz"])
def test_a_changed_data_path_is_the_path_itself_on_the_command_line(path: str) -> None:
    """The oracle: Python's repr of the path, read back by the rule, gives the path unchanged."""
    exc = UsageError(f"data changed from None (Fashion-MNIST) to {path!r} since the run in r")
    assert report.one_line(exc) == (
        f"--data changed from Fashion-MNIST (no --data) to {path} since the run in r"
    )


@pytest.mark.parametrize("name", ["run", "two  sp", "it's", 'say "hi"', "ü\\x"])
def test_the_resume_call_becomes_a_command_the_shell_reads_back(name: str) -> None:
    call = f"linearnets.resume_softmax({name!r}, lr=0.05, force=True)"
    line = report.one_line(DivergenceError(f"continue it: {call}"))
    # the oracle: the shell's own word splitting gives back the folder as one argument
    assert shlex.split(line.removeprefix("continue it: ")) == [
        "linearnets",
        "softmax",
        "--resume",
        name,
        "--lr",
        "0.05",
        "--force",
    ]


def test_a_full_disk_says_what_to_do() -> None:
    line = report.one_line(OSError(errno.ENOSPC, "No space left on device"))
    assert line.startswith("[Errno 28] No space left on device (OSError): a device is full")
    # the whole command, the run's folder its placeholder ("--resume RUN_DIR" was none to paste)
    assert line.endswith("continue it with linearnets softmax --resume RUN_DIR)")


@pytest.mark.parametrize("command", ["linearnets linreg", "linearnets data", "linearnets predict"])
def test_a_full_disk_offers_no_resume_to_a_command_without_one(command: str) -> None:
    """linreg's, data's and predict's full disk told them to resume a softmax checkpoint."""
    line = report.one_line(OSError(errno.ENOSPC, "No space left on device"), command=command)
    assert line == (
        "[Errno 28] No space left on device (OSError): a device is full (the disk, or where the "
        "output goes); free some space and run it again"
    )


def test_a_full_disk_names_the_file_that_could_not_be_written() -> None:
    """Its file first, as the shell takes it; the advice as for any full disk."""
    exc = OSError(errno.ENOSPC, "No space left on device", "my run/predict-20.png")
    assert report.one_line(exc, command="linearnets predict") == (
        "my run/predict-20.png could not be written: No space left on device (OSError): a device "
        "is full (the disk, or where the output goes); free some space and run it again"
    )
    exc = OSError(errno.ENOSPC, "No space left on device", "a\nb.png")
    assert report.one_line(exc, command="linearnets predict").startswith(
        "$'a\\nb.png' could not be written: No space left on device (OSError)"
    )


def test_a_disk_quota_used_up_is_said_as_a_full_disk() -> None:
    """It was "[Errno 122] Disk quota exceeded: 'my run/predict-20.png' (OSError)": no fix."""
    exc = OSError(errno.EDQUOT, "Disk quota exceeded", "my run/predict-20.png")
    assert report.one_line(exc, command="linearnets predict") == (
        "my run/predict-20.png could not be written: Disk quota exceeded (OSError): a device is "
        "full (the disk, or where the output goes); free some space and run it again"
    )


def test_a_full_disk_in_a_run_of_an_unknown_command_names_no_command() -> None:
    """The run's folder known but not the command: the advice is softmax's, said to be; naming
    the folder would need the command ("None --resume run")."""
    exc = OSError(errno.ENOSPC, "No space left on device")
    exc.run_dir = "run"  # type: ignore[attr-defined]
    assert report.one_line(exc) == (
        "[Errno 28] No space left on device (OSError): a device is full (the disk, or where the "
        "output goes); free some space and run it again (a softmax run keeps the checkpoint of "
        "its last finished epoch: continue it with linearnets softmax --resume RUN_DIR)"
    )


@pytest.mark.parametrize(
    ("epoch", "advice"),
    [
        (None, "no epoch had finished; start it over with: linearnets softmax --resume 'my run'"),
        (0, "no epoch had finished; start it over with: linearnets softmax --resume 'my run'"),
        (3, "the checkpoint of epoch 3 is kept in my run; continue it with: linearnets softmax "
            "--resume 'my run'"),
    ],
)  # fmt: skip
def test_resume_advice_says_a_checkpoint_of_no_epoch_starts_over(
    epoch: int | None, advice: str
) -> None:
    assert report.resume_advice("linearnets softmax", "my run", epoch) == advice


def test_a_full_disk_in_softmax_offers_its_resume() -> None:
    line = report.one_line(
        OSError(errno.ENOSPC, "No space left on device"), command="linearnets softmax"
    )
    assert line == (
        "[Errno 28] No space left on device (OSError): a device is full (the disk, or where the "
        "output goes); free some space, then continue the run with linearnets softmax --resume "
        "RUN_DIR (it keeps the checkpoint of its last finished epoch) or run it again"
    )


@pytest.mark.parametrize(
    "again", [", launched by torchrun as before", " in 2 processes, started as before"]
)
def test_a_full_disk_in_a_data_parallel_run_says_how_its_processes_start_again(
    again: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """stdout on a full disk (or closed by `| head`) in a data-parallel run advised a bare
    "--resume RUN", where its other stops say how its processes are started again."""
    from linearnets.cli._outcomes import report_output_closed

    exc = OSError(errno.ENOSPC, "No space left on device")
    exc.run_dir, exc.checkpoint_epoch = Path("runs/my run"), 3  # type: ignore[attr-defined]
    exc.launched_again = again  # type: ignore[attr-defined]
    resume = f"continue it with: linearnets softmax --resume 'runs/my run'{again}"
    line = report.one_line(exc, command="linearnets softmax")
    assert line == (
        "[Errno 28] No space left on device (OSError): a device is full (the disk, or where the "
        f"output goes); free some space; the checkpoint of epoch 3 is kept in runs/my run; {resume}"
    )
    closed = BrokenPipeError(errno.EPIPE, "Broken pipe")
    closed.__dict__.update(exc.__dict__)
    monkeypatch.delenv("RANK", raising=False)  # rank 0 says it
    report_output_closed(closed, "linearnets softmax")
    assert capsys.readouterr().err == (
        "linearnets softmax: stopped: its output was closed (a reader such as head quit); the "
        f"checkpoint of epoch 3 is kept in runs/my run; {resume}\n"
    )
    # rank 1 of the run (under torchrun or by hand): rank 0 says where the checkpoint is
    for name, value in {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": "29500"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    report_output_closed(closed, "linearnets softmax")
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(("epoch", "kept"), [(3, True), (None, False)])
def test_a_full_disk_in_a_run_names_its_folder_and_checkpoint(
    epoch: int | None, kept: bool
) -> None:
    """The run tells its folder (the default one's name holds the time: RUN_DIR named none)."""
    exc = OSError(errno.ENOSPC, "No space left on device")
    exc.run_dir, exc.checkpoint_epoch = Path("runs/my run"), epoch  # type: ignore[attr-defined]
    line = report.one_line(exc, command="linearnets softmax")
    full = (
        "[Errno 28] No space left on device (OSError): a device is full (the disk, or where the "
        "output goes); free some space; "
    )
    assert line == full + (
        "the checkpoint of epoch 3 is kept in runs/my run; continue it with: linearnets "
        "softmax --resume 'runs/my run'"
        if kept
        else "no epoch had finished; start it over with: linearnets softmax --resume 'runs/my run'"
    )


@pytest.mark.parametrize("name", ["--x", "-x", "-- two  sp"])
def test_a_resume_call_for_a_folder_named_like_an_option_parses_when_pasted(name: str) -> None:
    """Path("./--x") prints as --x, and "--resume --x" was "expected one argument"."""
    from linearnets.cli import build_parser

    call = f"linearnets.resume_softmax({name!r}, data={name + '.npz'!r}, force=True)"
    line = report.one_line(DivergenceError(f"continue it: {call}"))
    words = shlex.split(line.removeprefix("continue it: "))
    assert words == [
        "linearnets", "softmax", "--resume", f"./{name}", "--data", f"./{name}.npz", "--force"
    ]  # fmt: skip
    # the oracle: the command's own parser reads the folder and the file back
    args = build_parser().parse_args(words[1:])
    assert (args.resume, args.data, args.force) == (Path(name), Path(f"{name}.npz"), True)


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (UsageError("out='--x' already holds a run (it has config.json); continue it with "
                    "linearnets.resume_softmax('--x'), or pass a new folder"),
         "--out ./--x already holds a run (it has config.json); continue it with linearnets "
         "softmax --resume ./--x, or pass a new folder"),
        (UsageError("resize applies to Fashion-MNIST images only, got resize=14 with "
                    "data='-d.npz'; drop one of them"),
         "--resize applies to Fashion-MNIST images only, got --resize 14 with --data ./-d.npz; "
         "drop one of them"),
    ],
)  # fmt: skip
def test_a_path_named_like_an_option_is_written_as_the_parser_takes_it(
    exc: Exception, line: str
) -> None:
    """Path("./--x") prints as --x, and "--out --x" reads as two options: it is written ./--x."""
    assert report.one_line(exc) == line


@pytest.mark.parametrize("path", ["lr=0.5", "seed=3", "device=GPU", "runs/out=DIR"])
def test_a_quoted_path_that_looks_like_a_setting_is_left_as_written(path: str) -> None:
    """A sweep's folder "lr=0.5", quoted by the library, was printed as the option --lr 0.5; the
    library's own words around it are still translated."""
    exc = UsageError(f"RUN_DIR must be a run folder, got {path!r}; pass out=DIR (lr)")
    assert report.one_line(exc) == (
        f"RUN_DIR must be a run folder, got {path!r}; pass --out DIR (--lr)"
    )


def test_an_unexpected_error_points_at_debug_unless_its_traceback_was_shown() -> None:
    exc = KeyError("resize")
    assert report.one_line(exc) == (
        "unexpected KeyError: 'resize' (re-run with --debug for the traceback)"
    )
    assert report.one_line(exc, traceback_shown=True) == "unexpected KeyError: 'resize'"


def test_one_line_keeps_the_spaces_inside_a_line() -> None:
    """Every run of spaces was collapsed: "--resume 'two  sp'" became "--resume 'two sp'", a command
    for another folder. Only the line breaks go, with the blanks around them."""
    exc = CheckpointError(
        "kept in two  sp  \n   resume with: linearnets softmax --resume 'two  sp'\n"
    )
    line = report.one_line(exc)
    assert line == "kept in two  sp resume with: linearnets softmax --resume 'two  sp'"
    # the oracle: the shell reads the folder back as it was named
    assert shlex.split(line.split("resume with: ")[1])[-1] == "two  sp"
    assert "\t" in report.one_line(UsageError("a\tb"))  # a tab inside a line is kept too


def test_one_line_names_the_option_of_a_data_file_that_cannot_be_used() -> None:
    exc = UsageError("data must be a path whose ~x can be expanded, got '~x/d.npz'")
    assert report.one_line(exc) == "--data must be a path whose ~x can be expanded, got '~x/d.npz'"


@pytest.mark.parametrize(
    ("said", "line"),
    [
        ("run_dir must be a run folder, got '/r', which does not exist; pass the folder",
         "RUN_DIR must be a run folder, got '/r', which does not exist; pass the folder"),
        # "device 'cuda'" stays: the device may not be an option given (softmax --resume takes
        # the run's from config.json, another rank its own), so "--device cuda needs CUDA" would
        # name an option the user never typed; it is a setting and its value, not Python syntax
        ("device 'cuda' needs CUDA, but no CUDA GPU is available here; pass e.g. device='auto'",
         "device 'cuda' needs CUDA, but no CUDA GPU is available here; pass e.g. --device auto"),
        ("out='runs/a' is not writable", "--out runs/a is not writable"),
    ],
)  # fmt: skip
def test_another_ranks_refusal_relayed_by_rank_0_is_in_the_command_lines_words(
    said: str, line: str
) -> None:
    """Rank 0 relays another rank's refusal as "rank 1 stopped: ..."; it kept the library's
    run_dir, where the rank itself (and a single process) says RUN_DIR."""
    assert report.one_line(UsageError(said)) == line
    assert report.one_line(UsageError(f"rank 1 stopped: {said}")) == f"rank 1 stopped: {line}"


def test_a_figure_that_cannot_be_written_names_out_in_the_command_lines_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """predict's figure in a read-only run folder said only "pass a path in a folder you can write
    to": --out, which moves it, went unnamed."""
    from matplotlib.figure import Figure

    from linearnets.plotting import _mpl

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_mpl, "open", refused, raising=False)  # root may write anywhere: faked
    with pytest.raises(UsageError) as info:
        _mpl.save_figure(Figure(), tmp_path / "predict-9.png")
    assert report.one_line(info.value) == (
        f"--out must be a file in a folder you can write to, got {str(tmp_path / 'predict-9.png')!r}, "
        "but "
        f"the folder {tmp_path} is not writable; pass e.g. --out figure.png"
    )


@contextlib.contextmanager
def _stdout_on_a_pipe(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """stdout the write end of a fresh pipe, stderr no file at all; yields the read end.

    Entered in the test itself: pytest's capture puts its own sys.stdout back between a fixture's
    setup and the test.
    """
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "w", closefd=False) as out:
            monkeypatch.setattr(sys, "stdout", out)
            monkeypatch.setattr(sys, "stderr", io.StringIO())  # fileno() fails: skipped
            yield read_fd
            monkeypatch.undo()
    finally:
        with contextlib.suppress(OSError):
            os.close(read_fd)
        os.close(write_fd)


@pytest.mark.skipif(not hasattr(select, "poll"), reason="poll is POSIX")
def test_output_closed_tells_a_pipe_whose_reader_left_from_one_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _stdout_on_a_pipe(monkeypatch) as read_fd:
        assert not report.output_closed()
        os.close(read_fd)  # `| head` has read what it wanted
        assert report.output_closed()


class _HangUpPoll:
    """``select.poll`` as macOS's kernel answers it for a pipe whose reader is gone: ``POLLHUP``,
    not Linux's ``POLLERR`` (xnu's poll_callback turns the pipe's EV_EOF into POLLHUP)."""

    def __init__(self) -> None:
        self.fds: list[int] = []

    def register(self, fd: int, events: int) -> None:
        self.fds.append(fd)

    def poll(self, timeout: int) -> list[tuple[int, int]]:
        return [(fd, select.POLLHUP) for fd in self.fds]


@pytest.mark.skipif(not hasattr(select, "poll"), reason="poll is POSIX")
def test_output_closed_takes_macos_hang_up_as_the_reader_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _stdout_on_a_pipe(monkeypatch):
        assert not report.output_closed()  # the reader is there: Linux's poll says POLLOUT only
        monkeypatch.setattr(select, "poll", _HangUpPoll)
        assert report.output_closed()


def test_without_poll_any_broken_pipe_counts_as_the_outputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(select, "poll", raising=False)  # Windows
    assert report.output_closed()


@pytest.mark.parametrize(
    "exc",
    [UsageError("data='a\\x0bb.npz' does not exist"), DivergenceError("in 'runs/a\x85b': diverged"),
     OSError(errno.ENOENT, "No such file", "a\x1bb")],
    ids=["usage", "library", "os"],
)  # fmt: skip
def test_a_character_a_terminal_would_not_show_is_written_as_its_escape(exc: Exception) -> None:
    """A path holding a vertical tab, NEL or ESC broke the one line (str.splitlines, terminals)
    or sent a terminal escape sequence: it is shown by its escape, as repr writes it."""
    line = report.one_line(exc)
    assert line.isprintable() and len(line.splitlines()) == 1
    assert any(escape in line for escape in (r"a\x0bb", r"a\x85b", r"a\x1bb")), line


@pytest.mark.parametrize(
    ("exc", "line"),
    [(UsageError("out='runs/a\\nb' already holds a run; continue it with "
                 "linearnets.resume_linreg('runs/a\\nb'), or pass a new folder"),
      r"--out $'runs/a\nb' already holds a run; continue it with linearnets linreg --resume "
      r"$'runs/a\nb', or pass a new folder"),
     (UsageError("epochs must be 3, got 2 with data='d\\x1b[2J.npz'"),
      r"--epochs must be 3, got 2 with --data $'d\x1b[2J.npz'")],
)  # fmt: skip
def test_a_path_read_back_from_its_repr_is_named_as_its_dollar_quoted_word(
    exc: Exception, line: str
) -> None:
    """``out='runs/a\\nb'`` was read back to the path and printed raw: its line break, joined
    as a blank, named "runs/a b", and so did the --resume command to paste."""
    assert report.one_line(exc) == line


def test_resume_advice_names_a_folder_with_a_line_break_on_one_line() -> None:
    assert report.resume_advice("linearnets softmax", Path("runs/a\nb"), 3) == (
        r"the checkpoint of epoch 3 is kept in $'runs/a\nb'; continue it with: "
        r"linearnets softmax --resume $'runs/a\nb'"
    )


def test_a_permission_refused_past_every_check_names_the_path_and_the_fix() -> None:
    """A folder on the path this user cannot search (Path.is_dir raises there in Python 3.11)
    was said as "[Errno 13] Permission denied: 'runs/nx/a' (PermissionError)"."""
    exc = PermissionError(errno.EACCES, "Permission denied", "runs/nx/a")
    assert report.one_line(exc, command="linearnets softmax") == (
        "runs/nx/a: permission denied: this user may not read, write or search it, or a folder "
        "on its path; give it the access (chmod u+rwx on the folder that refuses it, ls -ld "
        "shows which), or pass another path"
    )
    # no path to name: as before
    assert report.one_line(PermissionError(errno.EACCES, "Permission denied")) == (
        "[Errno 13] Permission denied (PermissionError)"
    )


class _Writes(io.StringIO):
    """A stderr that keeps each write apart, as the pipe torchrun's workers share receives them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_the_one_line_is_written_whole_so_no_other_process_lands_inside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # print() wrote the line and its break apart: torchrun's "Closing process ... via signal
    # SIGTERM", written between them, ran on the same line as the lost peer's
    from linearnets.cli import _outcomes

    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    stderr = _Writes()
    monkeypatch.setattr(sys, "stderr", stderr)
    lost = PeerLostError(
        "another process of the data-parallel run stopped (lost connection: Connection reset by "
        "peer); the checkpoint of epoch 3 is kept in runs/a"
    )
    assert _outcomes.report_error(lost, "linearnets softmax", json_errors=False) == 1
    assert stderr.writes == [f"linearnets softmax: error: {lost}\n"]
    report.say("linearnets: interrupted by SIGTERM")
    assert stderr.writes[1:] == ["linearnets: interrupted by SIGTERM\n"]


def _full(what: str) -> str:
    """The line of ``what`` a full stdout lost, stdout named as a lost result names it."""
    return (
        f"{what} could not be written to stdout (No space left on device); free some space "
        "where stdout goes, or run it again with stdout elsewhere (a terminal, a file or a pipe)"
    )


@pytest.mark.parametrize(
    ("argv", "prog", "what"),
    [
        (["softmax", "--help"], "linearnets softmax", "its help"),
        (["--help"], "linearnets", "its help"),
        (["--version"], "linearnets", "the version"),
    ],
)
def test_help_and_version_that_cannot_be_written_exit_1_in_one_line(
    tmp_path: Path, argv: list[str], prog: str, what: str
) -> None:
    """argparse swallowed the OSError: ``--help >/dev/full`` exited 0 with nothing written; then
    it said "a device is full (the disk, or where the output goes)", not that stdout was."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "linearnets", *argv],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert (done.returncode, done.stderr) == (1, f"{prog}: error: {_full(what)}\n")


def test_a_last_flush_that_fails_on_a_full_device_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's output waiting in stdout's buffer as it leaves: its ENOSPC was suppressed."""
    import linearnets.cli as cli

    class Full(io.StringIO):
        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    assert cli._flush_output(0, ["data", "show", "-n", "3"]) == 1
    assert capsys.readouterr().err == f"linearnets data show: error: {_full('its output')}\n"
    assert cli._flush_output(0, ["data"]) == 1
    assert capsys.readouterr().err == f"linearnets data: error: {_full('its report')}\n"
    assert cli._flush_output(0, ["softmax", "--epochs", "0", "--help"]) == 1
    assert capsys.readouterr().err == f"linearnets softmax: error: {_full('its help')}\n"
    assert cli._flush_output(2, ["data"]) == 2  # its error was said already: not a second line
    assert capsys.readouterr().err == ""


def _made_by_make() -> bool:
    """Return whether this Python is the .venv of the checkout these tests run (make test's)."""
    checkout = Path(report.__file__).resolve().parents[3]
    return Path(sys.prefix).resolve() == (checkout / ".venv").resolve()


def _reinstall(package: str) -> str:
    python, prefix = shlex.quote(sys.executable), shlex.quote(sys.prefix)
    make = f", or remove the venv (rm -rf {prefix}) and run `make run` again"
    return (
        f"its install in {sys.prefix} is damaged or incomplete; reinstall it ({python} -m pip "
        f"install --force-reinstall --no-deps {package})" + (make if _made_by_make() else "")
    )


def test_a_torch_that_cannot_load_its_library_is_named_with_the_reinstall(tmp_path: Path) -> None:
    """A damaged torch (libtorch_cpu.so gone) was said as "unexpected ImportError: libtorch_cpu.so:
    ... (re-run with --debug for the traceback)", nothing naming torch or the fix."""
    damaged = tmp_path / "site" / "torch"
    damaged.mkdir(parents=True)
    (damaged / "__init__.py").write_text(
        "raise ImportError('libtorch_cpu.so: cannot open shared object file: No such file or "
        "directory')\n"
    )
    src = Path(report.__file__).parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "linearnets", "softmax", "--epochs", "1", "--plot", "none"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{damaged.parent}{os.pathsep}{src}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (
        1,
        "linearnets softmax: error: torch could not be loaded: libtorch_cpu.so: cannot open shared "
        f"object file: No such file or directory (ImportError); {_reinstall('torch')}\n",
    )


def test_a_dependency_without_its_init_or_gone_is_named_with_the_reinstall() -> None:
    """torch's __init__.py gone (a namespace package is imported in its place): "unexpected
    AttributeError: module 'torch' has no attribute 'Tensor'"."""
    import types

    import torch

    hollow = types.ModuleType("torch")  # what `import torch` gives without its __init__.py
    missing = AttributeError("module 'torch' has no attribute 'Tensor'", name="Tensor", obj=hollow)
    assert report.one_line(missing) == (
        "torch could not be loaded: module 'torch' has no attribute 'Tensor' (AttributeError); "
        f"{_reinstall('torch')}"
    )
    gone = ModuleNotFoundError("No module named 'numpy'", name="numpy")
    assert report.one_line(gone) == (
        f"numpy could not be loaded: No module named 'numpy' (ModuleNotFoundError); "
        f"{_reinstall('numpy')}"
    )
    # a whole torch's missing attribute is this code's mistake, not torch's install
    ours = AttributeError("module 'torch' has no attribute 'tensr'", name="tensr", obj=torch)
    assert report.one_line(ours).startswith("unexpected AttributeError: module 'torch' has no")
    other = ModuleNotFoundError("No module named 'yaml'", name="yaml")
    assert report.one_line(other).startswith("unexpected ModuleNotFoundError:")


def test_a_dependency_not_installed_is_told_to_install_never_to_remove_the_system() -> None:
    """/usr/bin/python3 without torch was told torch's install in /usr was damaged, to reinstall it
    with --no-deps, or to remove it: rm -rf /usr."""
    gone = ModuleNotFoundError("No module named 'torch'", name="torch")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "prefix", "/usr")
        patch.setattr(sys, "base_prefix", "/usr")
        patch.setattr(sys, "executable", "/usr/bin/python3")
        patch.setattr(dependencies, "_findable", lambda name: False)
        line = report.one_line(gone)
    checkout = Path(report.__file__).resolve().parents[3]
    assert line == (
        "torch could not be loaded: No module named 'torch' (ModuleNotFoundError); it is not "
        "installed in /usr: install it (/usr/bin/python3 -m pip install 'torch>=2.3'), or run "
        f"`make run` in {checkout}"
    )
    damaged = ModuleNotFoundError("No module named 'torch._C'", name="torch._C")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "prefix", "/usr")
        patch.setattr(sys, "base_prefix", "/usr")
        line = report.one_line(damaged)
    assert "rm -rf" not in line and "damaged or incomplete; reinstall it" in line


def test_only_the_checkouts_own_venv_is_ever_said_to_be_removed(tmp_path: Path) -> None:
    """The advice to remove the environment and run make run again is for the .venv make made,
    not any venv (nor /usr)."""
    checkout = str(Path(report.__file__).resolve().parents[3])
    damaged = ImportError("libtorch_cpu.so: cannot open shared object file", name="torch")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "base_prefix", "/usr")
        patch.setattr(sys, "prefix", str(tmp_path / "other-venv"))
        assert "rm -rf" not in report.one_line(damaged)
        patch.setattr(sys, "prefix", f"{checkout}/.venv")
        assert report.one_line(damaged).endswith(
            f"--no-deps torch), or remove the venv (rm -rf {shlex.quote(checkout + '/.venv')}) "
            "and run `make run` again"
        )


def test_a_missing_requirement_of_a_dependency_is_named_with_an_install_that_brings_it() -> None:
    """matplotlib without packaging was told to reinstall matplotlib with --no-deps: which left
    packaging missing, the same advice again."""
    gone = ModuleNotFoundError("No module named 'packaging'", name="packaging")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dependencies, "_damaged_dependency", lambda exc: "matplotlib")
        line = report.one_line(gone)
        broken = ImportError("cannot import name 'Version' from 'packaging'", name="packaging")
        # no install known to hold it
        patch.setattr(dependencies, "_distribution", lambda module: None)
        other = report.one_line(broken)
    python = shlex.quote(sys.executable)
    assert line.startswith(
        "matplotlib could not be loaded: No module named 'packaging' (ModuleNotFoundError); the "
        f"module packaging that matplotlib needs is not installed in {sys.prefix}; install "
        f"matplotlib's requirements ({python} -m pip install matplotlib)"
    )
    assert "--no-deps" not in line + other
    assert f"({python} -m pip install --force-reinstall matplotlib)" in other


def test_a_broken_requirement_of_a_dependency_is_reinstalled_alone(tmp_path: Path) -> None:
    """A module matplotlib needs that is installed but fails to load (Pillow's C extension: an
    ImportError without a name) was told to `pip install --force-reinstall matplotlib`, which
    reinstalls every requirement, numpy too, at its newest version (or, unnamed, to reinstall
    matplotlib alone, which changed nothing): the distribution that holds it is reinstalled alone."""
    holders = {"PIL": "pillow", "packaging": "packaging"}
    broken = _import_fakes(tmp_path, "matplotlib", "PIL", "PIL C part broken")
    named = ImportError("cannot import name 'Version' from 'packaging'", name="packaging")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dependencies, "_distribution", holders.get)
        # the fake PIL stands for pillow's own broken file, not one that shadows it
        patch.setattr(dependencies, "_shadowing_file", lambda module, distribution, exc: None)
        lines = [report.one_line(broken)]
        patch.setattr(dependencies, "_damaged_dependency", lambda exc: "matplotlib")  # no traceback
        lines.append(report.one_line(named))
    python = shlex.quote(sys.executable)
    make = f", or remove the venv (rm -rf {shlex.quote(sys.prefix)}) and run `make run` again"
    for line, (module, text) in zip(
        lines,
        [
            ("PIL", "PIL C part broken"),
            ("packaging", "cannot import name 'Version' from 'packaging'"),
        ],
        strict=True,
    ):
        assert line == (
            f"matplotlib could not be loaded: {text} (ImportError); the module {module} that "
            f"matplotlib needs could not be loaded in {sys.prefix}; reinstall it ({python} -m pip "
            f"install --force-reinstall --no-deps {holders[module]})"
            + (make if _made_by_make() else "")
        )


def test_a_missing_requirement_is_blamed_on_the_dependency_that_imports_it(tmp_path: Path) -> None:
    """The dependency is found from the traceback: matplotlib's own code imported packaging."""
    fake = tmp_path / "site" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("import packaging_gone_for_this_test\n")
    sys.path.insert(0, str(fake.parent))
    saved = sys.modules.pop("matplotlib", None)
    try:
        with pytest.raises(ModuleNotFoundError) as raised:
            import matplotlib  # noqa: F401
    finally:
        sys.path.remove(str(fake.parent))
        sys.modules.pop("matplotlib", None)
        if saved is not None:
            sys.modules["matplotlib"] = saved
    assert report.one_line(raised.value).startswith(
        "matplotlib could not be loaded: No module named 'packaging_gone_for_this_test' "
        "(ModuleNotFoundError); the module packaging_gone_for_this_test that matplotlib needs is "
        "not installed in"
    )


def _import_fakes(tmp_path: Path, outer: str, inner: str, error: str) -> ImportError:
    """Return the ImportError of importing a fake ``outer`` whose code imports a fake ``inner``,
    which raises ``error`` (as numpy's C extension does: an ImportError without a name)."""
    site = tmp_path / "site"
    for name, code in ((outer, f"import {inner}\n"), (inner, f"raise ImportError({error!r})\n")):
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(code)
    sys.path.insert(0, str(site))
    saved = {name: sys.modules.pop(name, None) for name in (outer, inner)}
    try:
        with pytest.raises(ImportError) as raised:
            __import__(outer)
    finally:
        sys.path.remove(str(site))
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module
    return raised.value


@pytest.mark.parametrize(("outer", "inner"), [("matplotlib", "tqdm"), ("torch", "numpy")])
def test_a_broken_dependency_imported_by_another_is_the_one_named(
    tmp_path: Path, outer: str, inner: str
) -> None:
    """A dependency that failed to load inside another's import (numpy's C extension under torch's
    import: an ImportError without a name) was blamed on the outer one, whose reinstall with
    --no-deps changed nothing: the innermost dependency in the traceback is the one named."""
    broken = _import_fakes(tmp_path, outer, inner, f"{inner} C part broken")
    assert broken.name is None
    assert report.one_line(broken) == (
        f"{inner} could not be loaded: {inner} C part broken (ImportError); {_reinstall(inner)}"
    )


def _dist_info(site: Path, name: str, **files: str | bytes) -> None:
    """Write ``site/{name}-1.0.dist-info`` holding ``files`` (METADATA, RECORD, top_level.txt)."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    for file, text in files.items():
        target = info / file.replace("top_level", "top_level.txt")
        target.write_bytes(text if isinstance(text, bytes) else text.encode())


def _metadata(name: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"


@contextlib.contextmanager
def _on_path(*sites: Path, modules: tuple[str, ...]) -> Iterator[None]:
    """Put ``sites`` first on sys.path, and ``modules`` out of sys.modules, while inside; then
    restore both (the report reads the distributions on sys.path, so they stay there for it)."""
    sys.path[:0] = [str(site) for site in sites]
    saved = {name: sys.modules.pop(name, None) for name in modules}
    try:
        yield
    finally:
        for site in sites:
            sys.path.remove(str(site))
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module


def _import_error(outer: str) -> ImportError:
    with pytest.raises(ImportError) as raised:
        __import__(outer)
    return raised.value


def test_a_broken_dist_info_anywhere_leaves_the_advice_a_line_read_once(tmp_path: Path) -> None:
    """A .dist-info whose RECORD has a blank line or a row of 4 fields (and no top_level.txt) made
    packages_distributions() raise TypeError, and the one-line report a traceback; it was also
    read again for each frame of the traceback (about 85 ms each)."""
    site = tmp_path / "site"
    for name, code in (("torch", "import zzzinner\n"), ("zzzinner", "raise ImportError('C')\n")):
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text(code)
    _dist_info(site, "zzzgood", METADATA=_metadata("zzzgood"), RECORD="zzzinner/__init__.py,,\n")
    _dist_info(site, "bad", METADATA=_metadata("bad"), RECORD="bad/a.py,,\n\nbad/x.py,a,b,c\n")
    import importlib.metadata

    reads = []
    every = importlib.metadata.distributions
    with _on_path(site, modules=("torch", "zzzinner")), pytest.MonkeyPatch.context() as patch:
        broken = _import_error("torch")
        patch.setattr(importlib.metadata, "distributions", lambda: reads.append(1) or every())
        line = report.one_line(broken)
    python = shlex.quote(sys.executable)
    make = f", or remove the venv (rm -rf {shlex.quote(sys.prefix)}) and run `make run` again"
    assert line == (
        f"torch could not be loaded: C (ImportError); the module zzzinner that torch needs could "
        f"not be loaded in {sys.prefix}; reinstall it ({python} -m pip install --force-reinstall "
        "--no-deps zzzgood)" + (make if _made_by_make() else "")
    )
    assert len(reads) == 1


def test_a_module_shadowed_by_a_stray_file_names_the_file_not_a_reinstall(tmp_path: Path) -> None:
    """A stray PIL.py in the working folder was told to reinstall pillow, which left it in the
    way: the file that shadows the distribution's is named, to rename or remove."""
    stray, site = tmp_path / "work", tmp_path / "site"
    stray.mkdir()
    (stray / "zzzpil.py").write_text("x = 1\n")
    (site / "matplotlib").mkdir(parents=True)
    (site / "matplotlib" / "__init__.py").write_text("from zzzpil import Image\n")
    (site / "zzzpil").mkdir()
    (site / "zzzpil" / "__init__.py").write_text("Image = 1\n")
    _dist_info(site, "zzzpillow", METADATA=_metadata("zzzpillow"), RECORD="zzzpil/__init__.py,,\n")
    with _on_path(stray, site, modules=("matplotlib", "zzzpil")):
        line = report.one_line(_import_error("matplotlib"))
    shadow = stray / "zzzpil.py"
    assert line == (
        f"matplotlib could not be loaded: cannot import name 'Image' from 'zzzpil' ({shadow}) "
        f"(ImportError); zzzpil is loaded from {shadow}, which shadows zzzpillow's; rename or "
        "remove it"
    )


def test_a_second_install_of_the_distribution_is_no_shadow(tmp_path: Path) -> None:
    """pillow installed twice (the venv's, and a --user or system one further on sys.path): the
    second, which does not list the venv's file, was taken for all, and the venv's own
    PIL/__init__.py was said to shadow pillow's, to be removed; a reinstall is what works."""
    site, other = tmp_path / "site", tmp_path / "other"
    (site / "matplotlib").mkdir(parents=True)
    (site / "matplotlib" / "__init__.py").write_text("import zzzpil\n")
    (site / "zzzpil").mkdir()
    (site / "zzzpil" / "__init__.py").write_text("raise ImportError('its C part is broken')\n")
    record = "zzzpil/__init__.py,,\n"
    for folder in (site, other):
        _dist_info(folder, "zzzpillow", METADATA=_metadata("zzzpillow"), RECORD=record)
    with _on_path(site, other, modules=("matplotlib", "zzzpil")):
        line = report.one_line(_import_error("matplotlib"))
    assert "shadows" not in line, line
    assert "--force-reinstall --no-deps zzzpillow" in line, line


@pytest.mark.parametrize(
    ("module", "holders"),
    [
        ("zzznodist", {}),  # held by no distribution
        ("zzznsp.mod", {}),  # a namespace package's module
        ("zzztwo", {"one": _metadata("one"), "two": _metadata("two")}),  # claimed by two
        ("zzznometa", {"nometa": None}),  # a dist-info without METADATA
        ("zzzlatin", {"latin": b"Metadata-Version: 2.1\nName: b\xffad\nVersion: 1.0\n"}),
    ],
)
def test_a_failing_module_no_one_distribution_holds_is_named_with_its_file(
    tmp_path: Path, module: str, holders: dict[str, str | bytes | None]
) -> None:
    """A module torch imports that failed, held by no one distribution, was blamed on torch:
    "reinstall torch --no-deps", which changed nothing. The module and its file are named."""
    site = tmp_path / "site"
    top, _, sub = module.partition(".")
    (site / "torch").mkdir(parents=True)
    (site / "torch" / "__init__.py").write_text(f"import {module}\n")
    (site / top).mkdir()
    file = site / top / (f"{sub}.py" if sub else "__init__.py")
    file.write_text("raise ImportError('broken')\n")
    for name, metadata in holders.items():
        files = {"top_level": top} if metadata is None else {"top_level": top, "METADATA": metadata}
        _dist_info(site, name, **files)
    with _on_path(site, modules=("torch", top, module)):
        line = report.one_line(_import_error("torch"))
    assert line == (
        f"torch could not be loaded: broken (ImportError); the module {module} ({file}) that "
        "torch imports could not be loaded and no single installed distribution holds it; fix or "
        "remove that file, or reinstall what put it there"
    )


def test_the_requirements_said_are_pyprojects() -> None:
    """The install advised for a dependency not installed allows what pyproject.toml allows."""
    import re

    pyproject = (Path(report.__file__).resolve().parents[3] / "pyproject.toml").read_text()
    block = pyproject.split("\ndependencies = [", 1)[1].split("\n]", 1)[0]
    listed = re.findall(r'^\s*"([^"]+)"', block, flags=re.M)
    assert sorted(dependencies.REQUIREMENTS.values()) == sorted(listed)


def test_in_ipython_the_dependency_advice_is_percent_pip_and_bang_make_never_rm_rf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a notebook the %pip install sat next to shell words (`make run` in DIR, rm -rf VENV) that
    its cell cannot run as given, and the rm -rf removed the venv the kernel runs on."""
    import types

    shell = types.SimpleNamespace()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    checkout = str(Path(report.__file__).resolve().parents[3])
    gone = ModuleNotFoundError("No module named 'torch'", name="torch")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dependencies, "_findable", lambda name: False)
        line = report.one_line(gone)
    assert line.endswith(
        f"install it (%pip install 'torch>=2.3'), or run `!make -C {shlex.quote(checkout)} run`"
    )
    damaged = ImportError("libtorch_cpu.so: cannot open shared object file", name="torch")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "prefix", f"{checkout}/.venv")
    assert report.one_line(damaged).endswith(
        "reinstall it (%pip install --force-reinstall --no-deps torch)"
    )
