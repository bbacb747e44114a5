"""The command's parser: negative numbers are values, errors are one line, --debug goes anywhere."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from linearnets.cli import OneLineParser, UsageExit, build_parser, main
from linearnets.cli import _ranks as ranks

from ._rank_env import as_rank_1

# the images each command's -n shows by default (predict's 6, as the Python API's n=6; data
# show's 18): the value a -n past its most is told to pass, where -n 10 was told
SHOWN = {"predict": 6, "data": 18}
# the defaults --help names where the parser's is None (a resume tells an option given)
DEFAULTS = {("linreg", "--epochs"): 3, ("softmax", "--batch-size"): 256}


@pytest.mark.parametrize(
    "default,example",
    [(6, "-n 6"), (18, "-n 18"), (100, "-n 100"), (101, "-n 10"), (0, "-n 10"), (None, "-n 10"),
     (True, "-n 10"), ("6", "-n 10")],
)  # fmt: skip
def test_an_integer_past_the_most_is_told_the_options_default_where_it_takes_it(
    default: object, example: str
) -> None:
    """``-n 101`` was told "pass e.g. -n 10" by predict (default 6) and data show (18): the value
    advised is the option's default where it is an integer the option takes (1 to 100 for -n),
    else the converter's example."""
    import argparse

    from linearnets.cli._options import positive_int
    from linearnets.cli._usage_words import past_most

    action = argparse.ArgumentParser().add_argument("-n", type=positive_int, default=default)
    said = past_most(action, "-n", "must be a positive integer, got '101'")
    assert said == (f"must be an integer from 1 to 100, got '101'; pass e.g. {example}")


@pytest.mark.parametrize("value", ["-1e-3", "-1E+2", "-.5", "-2.", "-inf", "-Infinity", "-NaN"])
def test_a_negative_number_in_any_spelling_is_the_options_value(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read as --lr's value, so --lr's own rule names it (argparse alone says "expected one argument")."""
    with pytest.raises(UsageExit) as info:
        build_parser().parse_args(["linreg", "--lr", value])
    assert info.value.code == 2
    assert info.value.message == (
        f"argument --lr: must be a finite number > 0, got {value}; pass e.g. --lr 0.03 (see "
        "linearnets linreg --help)"
    )
    assert capsys.readouterr().err == f"linearnets linreg: error: {info.value.message}\n"


@pytest.mark.parametrize("value", ["-1e", "-1_0", "-0x1", "-1e3_0", "-2j"])
def test_a_word_that_starts_as_a_negative_number_is_the_options_value(value: str) -> None:
    """Not "expected one argument" (one was given): --lr's own rule names the value; a number
    float reads (-1_0 is -10) its range, as -10's is."""
    with pytest.raises(UsageExit) as info:
        build_parser().parse_args(["linreg", "--lr", value])
    rule = (
        f"must be a finite number > 0, got {value}"
        if "_" in value
        else f"must be a positive number, got {value!r}"
    )
    assert info.value.message == (
        f"argument --lr: {rule}; pass e.g. --lr 0.03 (see linearnets linreg --help)"
    )


@pytest.mark.parametrize(
    ("argv", "prog"),
    [(["predict", "runs/a", "-n"], "predict"), (["data", "show", "-n"], "data show")],
)
@pytest.mark.parametrize("value", ["-nan", "-nAn"])
def test_minus_nan_is_the_value_of_an_option_named_n(
    argv: list[str], prog: str, value: str
) -> None:
    """Once read as -n given "an", which left the first -n with no value."""
    with pytest.raises(UsageExit) as info:
        build_parser().parse_args([*argv, value])
    assert info.value.message == (
        f"argument -n: must be a positive integer, got {value!r}; pass e.g. -n "
        f"{ {'predict': 6, 'data show': 18}[prog] } (see linearnets {prog} --help)"
    )


@pytest.mark.parametrize("word", ["-e3", "-x", "--1"])
def test_a_word_that_is_no_number_stays_an_option(word: str) -> None:
    with pytest.raises(UsageExit) as info:
        build_parser().parse_args(["linreg", "--lr", word])
    assert info.value.message == (
        f"--lr takes a positive number and got no value: the next word, {word}, begins with - and "
        f"reads as an option; to give it as the value, write --lr={word} "
        "(see linearnets linreg --help)"
    )
    with pytest.raises(UsageExit) as info:  # the fix: --lr's own rule then names the word
        build_parser().parse_args(["linreg", f"--lr={word}"])
    assert info.value.message.startswith(f"argument --lr: must be a positive number, got {word!r}")


@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["linreg"], "linearnets linreg"),
        (["data"], "linearnets data"),
        (["data", "show"], "linearnets data show"),
        (["data", "download"], "linearnets data download"),
        (["predict", "run"], "linearnets predict"),
    ],
)
def test_given_is_the_innermost_command_parsed(argv: list[str], prog: str) -> None:
    parser = build_parser()
    assert parser.given(parser.parse_args(argv)).prog == prog


@pytest.mark.parametrize(
    ("argv", "debug"),
    [
        (["data", "show"], False),
        (["--debug", "data", "show"], True),  # not reset by the action's own --debug default
        (["data", "--debug", "show"], True),
        (["data", "show", "--debug"], True),
        (["linreg", "--debug"], True),
    ],
)
def test_debug_is_taken_before_or_after_any_command(argv: list[str], debug: bool) -> None:
    assert build_parser().parse_args(argv).debug is debug


def test_a_rank_other_than_0_exits_2_in_silence(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    waited: list[float] = []
    monkeypatch.setattr(ranks, "rank", lambda: 1)
    monkeypatch.setattr(ranks, "let_rank_0_speak", lambda seconds: waited.append(seconds))
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["linreg", "--epochs", "0"])
    assert info.value.code == 2 and not isinstance(info.value, UsageExit)
    assert waited == [2.0] and capsys.readouterr().err == ""


@pytest.mark.parametrize("launched", [False, True], ids=["by-hand", "torchrun"])
def test_a_rank_started_by_hand_says_its_own_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], launched: bool
) -> None:
    """Its command line is its own: rank 0 has no such error, and gives up waiting for it to join
    pointing to its output (it said nothing and exited 2). Under torchrun too: rank 0 stops the
    others where it has the error (the same argv), and it was said nowhere where its argv was
    the rank's own (a wrapper's per-rank options), rank 0 telling only of torchrun's SIGTERM."""
    as_rank_1(monkeypatch, launched=launched)
    waited: list[float] = []
    # nobody stopped it
    monkeypatch.setattr(ranks, "let_rank_0_speak", lambda seconds: waited.append(seconds) or True)
    with pytest.raises(SystemExit) as info:
        main(["softmax", "--lr", "-1", "--json"])
    assert info.value.code == 2
    assert waited == [5.0 if launched else 2.0]  # torchrun's rank 0 may parse a moment later
    out, err = capsys.readouterr()
    said = (
        "argument --lr: must be a finite number > 0, got -1; pass e.g. --lr 0.1 (see linearnets "
        "softmax --help)"
    )
    assert err == f"linearnets softmax (rank 1): error: {said}\n"
    if launched:
        assert out == ""  # stdout is rank 0's too: its object alone
        return
    # its own stdout: its own object, as for its other errors
    assert json.loads(out) == {"error": said, "error_type": "UsageError", "exit_status": 2}


@pytest.mark.parametrize("launched", [False, True], ids=["by-hand", "torchrun"])
@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--help"], "usage: linearnets "),
        (["softmax", "--help"], "usage: linearnets softmax "),
        (["data", "show", "-h"], "usage: linearnets data show "),
        (["--version"], "linearnets "),
    ],
    ids=["help", "command-help", "action-help", "version"],
)
def test_help_and_version_under_torchrun_are_printed_by_rank_0_alone(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    launched: bool,
    argv: list[str],
    said: str,
) -> None:
    """torchrun --nproc_per_node=2 -m linearnets softmax --help printed the help twice, once per
    rank, on the shared stdout; a process started by hand has its own terminal: it prints it."""
    as_rank_1(monkeypatch, launched=launched)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out, err = capsys.readouterr()
    assert err == ""
    if launched:
        assert out == ""
    else:
        assert out.startswith(said)


@pytest.mark.parametrize(
    "command",
    [["linreg"], ["softmax"], ["predict"], ["data"], ["data", "show"], ["data", "download"]],
)
def test_every_command_lists_debug_in_its_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """It is taken after every command, and the README says every --help lists all its options."""
    import re

    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    help_text = capsys.readouterr().out
    assert re.search(r"\n  --debug +add the traceback of an error to its line\n", help_text)


def _help(command: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The --help of ``command``, its lines joined (argparse wraps them to the terminal's width)."""
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_the_help_maps_the_commands_to_the_books_sections_and_says_where_to_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A reader who knows only the book saw four commands and no word of which section each is,
    nor which to run first, nor that the figures a class is shown land in the run folder."""
    top = _help([], capsys)
    for command, section in [("linreg", "§3.2–3.3"), ("softmax", "§3.6–3.7"),
                             ("predict", "§3.6.7"), ("data", "§3.5")]:  # fmt: skip
        assert re.search(rf" {command} [^§]* \({section}\) ", top), command
    assert "Start with 'linearnets softmax': 10 epochs on Fashion-MNIST" in top
    assert "predictions, confusion matrix and each class's accuracy" in top
    assert "'linearnets predict RUN_DIR -n 20'" in top
    assert "(§3.6: autograd)" in _help(["softmax"], capsys)
    assert "(§3.2: autograd)" in _help(["linreg"], capsys)


def test_each_options_help_says_its_rule_and_default(capsys: pytest.CaptureFixture[str]) -> None:
    """linreg's --no-guard said "(see the divergence guard)", which no help explains, and --data
    no word of the arrays or columns it reads; softmax's --resize, --data-dir and --plot none left
    the default or the effect unsaid."""
    import inspect

    from linearnets.config import SoftmaxConfig
    from linearnets.training.guard import DivergenceGuard

    factor = inspect.signature(DivergenceGuard).parameters["factor"].default
    guard = f"--no-guard do not stop when the loss blows up (NaN or inf, or {factor:g}× its starting value)"
    linreg, softmax = _help(["linreg"], capsys), _help(["softmax"], capsys)
    assert guard in linreg and guard in softmax
    assert "FILE.npz (arrays X, y) or FILE.csv (the last column y, a header row skipped)" in linreg
    assert SoftmaxConfig().resize is None
    assert (
        "--resize N|none resize images to N×N, or none: the 28×28 images as stored (with "
        "--resume, the run's own; default: none)"
    ) in softmax
    assert "[--resize N|none]" in softmax  # the usage line shows none is a value it takes
    assert "files (with --resume, the run's own; default: search the usual places)" in softmax
    assert "none: no figures (with --resume, the run's own; default: auto)" in softmax
    assert "(with --resume, the run's own; default: auto: the fastest here)" in softmax


@pytest.mark.parametrize("command", ["softmax", "linreg"])
def test_the_threads_help_says_a_resume_keeps_the_runs_own_count(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--threads said only "(default: 1)", but a resume without it trains on the count the run
    last trained on (docs/reliability.md), as --resize, --data-dir, --device and --plot say of
    theirs. The oracle: a run on 2 threads, resumed without --threads, records 2."""
    from linearnets.config import LinregConfig, SoftmaxConfig

    threads = (SoftmaxConfig() if command == "softmax" else LinregConfig()).num_threads
    assert (
        f"--threads THREADS torch threads (with --resume, the run's own; default: {threads})"
        in (_help([command], capsys))
    )
    out = tmp_path / "run"
    data = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    np.savez(data, X=rng.normal(size=(60, 4)).astype(np.float32), y=rng.integers(0, 2, size=60))
    first = ["--data", str(data), "--plot", "none"] if command == "softmax" else []
    assert main([command, *first, "--threads", "2", "--epochs", "1", "--out", str(out)]) == 0
    assert main([command, "--resume", str(out), "--epochs", "2"]) == 0
    capsys.readouterr()
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"]["num_threads"] == 2
    assert saved["resumes"][-1]["environment"]["num_threads"] == 2


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["softmax"], ["--data-dir DIR", "--data FILE", "--out DIR", "--resume RUN_DIR"]),
        (["linreg"], ["--data FILE", "--out DIR", "--resume RUN_DIR"]),
        (["predict"], ["--out FILE", "--data-dir DIR"]),
        (["data"], ["--data-dir DIR"]),
        (["data", "show"], ["--out FILE", "--data-dir DIR"]),
        (["data", "download"], ["--data-dir DIR"]),
    ],
)
def test_each_path_option_shows_whether_it_takes_a_file_or_a_folder(
    command: list[str], shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """softmax showed --data DATA, --data-dir DATA_DIR and --out OUT where linreg showed --out DIR
    and data --data-dir DIR; predict's and data show's --out OUT is an image file."""
    text = _help(command, capsys)
    for option in shown:
        assert f"[{option}]" in text and f" {option} " in text, option


@pytest.mark.parametrize(
    ("command", "path", "example"),
    [
        ("softmax", "blobs.npz/", "--data train.npz"),
        ("linreg", "table.csv/", "--data table.csv"),
        ("predict", "fig.png/", "--out predictions.png"),
    ],
)
def test_each_file_option_refuses_a_folders_spelling(
    command: str, path: str, example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--data blobs.npz/`` was read as blobs.npz (``Path`` drops the separator) and trained on
    it, where predict's and data show's --out refused a file spelt as a folder."""
    option = example.split()[0]
    argv = [command, *(["runs/a"] if command == "predict" else []), option, path]
    assert _usage_error(argv, capsys) == (
        f"argument {option}: must name a file, got {path!r}, which ends with a separator as a "
        f"folder does; drop it for a file, or name a file in that folder, e.g. {example} (see "
        f"linearnets {command} --help)"
    )


@pytest.mark.parametrize(
    ("argv", "path", "example"),
    [
        (["linreg", "--data"], "x.npz/.", "--data table.csv"),
        (["softmax", "--data"], "x.npz/..", "--data train.npz"),
        (["data", "show", "-n", "2", "--out"], "f.png/.", "--out images.png"),
        (["predict", "runs/a", "--out"], ".", "--out predictions.png"),
    ],
)
def test_each_file_option_refuses_a_path_ending_in_a_dot(
    argv: list[str], path: str, example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--data 'x.npz/.'`` trained on x.npz (``Path`` drops the ``.``), and data show's ``--out
    'f.png/.'`` wrote f.png: a folder's spelling, as one ending in a separator is."""
    last = path.rpartition("/")[2]
    prog = " ".join(argv[: 1 + (argv[0] == "data")])
    assert _usage_error([*argv, path], capsys) == (
        f"argument {argv[-1]}: must name a file, got {path!r}, which ends with {last!r}, a folder "
        f"as a path names one; name a file, e.g. {example} (see linearnets {prog} --help)"
    )


@pytest.mark.parametrize(
    ("argv", "taken"),
    [
        (["softmax", "--epoch", "2"], ("epochs", 2)),  # an abbreviation of the command's own option
        (["data", "show", "--data-d", "d"], ("data_dir", "d")),
    ],
)
def test_abbreviations_of_a_commands_own_options_still_work(
    argv: list[str], taken: tuple[str, object]
) -> None:
    args = build_parser().parse_args(argv)
    assert str(getattr(args, taken[0])) == str(taken[1])


@pytest.mark.parametrize("command", [["predict", "runs/a"], ["data", "show"]])
def test_another_commands_whole_option_is_no_abbreviation(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``--data`` is softmax's and linreg's (a file); read as --data-dir it drew a wrong error."""
    with pytest.raises(UsageExit) as info:
        build_parser().parse_args([*command, "--data", "x.npz"])
    assert info.value.message.startswith("unrecognized arguments: --data x.npz")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "3", "softmax"], "--epochs is an option of linreg and softmax, not of "
            "linearnets: give it after its command, e.g. linearnets softmax --epochs 3 ..."),
        (["-n", "3"], "-n is an option of predict and data show, not of linearnets: give it "
            "after its command, e.g. linearnets predict -n 3 ..."),
        (["--json", "--lr=0.1", "linreg"], "--lr is an option of linreg and softmax, not of "
            "linearnets: give it after its command, e.g. linearnets linreg --lr=0.1 ..."),
        (["-n", "4", "data", "show"], "-n is an option of predict and data show, not of "
            "linearnets: give it after its command, e.g. linearnets data show -n 4 ..."),
        (["--epoch", "3", "softmax"], "--epoch (--epochs) is an option of linreg and softmax, "
            "not of linearnets: give it after its command, e.g. linearnets softmax --epoch 3 ..."),
        (["--data-d", "x", "data"], "--data-d (--data-dir) is an option of softmax, predict, data, "
            "data show and data download, not of linearnets: give it after its command, e.g. "
            "linearnets data --data-d x ..."),
        # argparse said "the following arguments are required: COMMAND"
        (["--bogus"], "unrecognized arguments: --bogus (no option of linearnets or its commands)"),
        # ambiguous in the command typed: once credited to another command that has it alone
        (["--re", "5", "softmax"], "--re is an abbreviation of more than one option of softmax "
            "(--resize, --resume), and not an option of linearnets: write the one you mean in "
            "full after its command, e.g. linearnets softmax --resize 5 ..."),
        (["--n", "3", "linreg"], "--n is an abbreviation of more than one option of linreg "
            "(--num-examples, --noise-std, --no-guard), and not an option of linearnets: write "
            "the one you mean in full after its command, e.g. linearnets linreg --num-examples 3 "
            "..."),
        (["--n", "3", "data"], "--n is not an option of linearnets; did you mean -n, an option "
            "of data show? Give it after its command, e.g. linearnets data show -n 3 ..."),
        # one dash for two: "no option of linearnets or its commands" named no fix
        (["-epochs", "3", "linreg"], "unrecognized arguments: -epochs: linearnets has no option "
            "-epochs; did you mean --epochs, an option of linreg and softmax? Give it after its "
            "command, e.g. linearnets linreg --epochs 3 ..."),
        (["-debug", "linreg"], "unrecognized arguments: -debug: linearnets has no option -debug; "
            "did you mean --debug?"),
        # a flag took the command for its value: "e.g. linearnets softmax --no-guard softmax",
        # which softmax refused; and a flag was shown with the word after it
        (["--no-guard", "softmax", "--epochs", "1"], "--no-guard is an option of linreg and "
            "softmax, not of linearnets: give it after its command, e.g. linearnets softmax "
            "--no-guard ..."),
        (["--guard", "linreg"], "--guard is an option of linreg and softmax, not of linearnets: "
            "give it after its command, e.g. linearnets linreg --guard ..."),
        (["--wrong", "predict", "r1"], "--wrong is an option of predict, not of linearnets: give "
            "it after its command, e.g. linearnets predict --wrong ..."),
        (["--w", "predict", "r1"], "--w (--wrong) is an option of predict, not of linearnets: "
            "give it after its command, e.g. linearnets predict --w ..."),
        (["--no", "3", "softmax"], "--no (--no-guard) is an option of softmax, not of linearnets: "
            "give it after its command, e.g. linearnets softmax --no ..."),
        (["--lr", "-0.1", "linreg"], "--lr is an option of linreg and softmax, not of linearnets: "
            "give it after its command, e.g. linearnets linreg --lr -0.1 ..."),
        # one dash and "=": once "e.g. linearnets linreg --lr ...", the value dropped
        (["-lr=0.1", "linreg"], "unrecognized arguments: -lr=0.1: linearnets has no option -lr; "
            "did you mean --lr, an option of linreg and softmax? Give it after its command, e.g. "
            "linearnets linreg --lr 0.1 ..."),
        (["-no-guard", "3", "linreg"], "unrecognized arguments: -no-guard: linearnets has no "
            "option -no-guard; did you mean --no-guard, an option of linreg and softmax? Give it "
            "after its command, e.g. linearnets linreg --no-guard ..."),
    ],
    ids=["epochs", "n", "lr-equals", "nested", "abbreviated", "abbreviated-many", "unknown",
         "ambiguous-in-softmax", "ambiguous-in-linreg", "two-dashes-for-n", "one-dash",
         "one-dash-own", "flag-then-command", "guard", "wrong", "wrong-abbreviated",
         "flag-abbreviated-with-a-word", "negative-value", "one-dash-equals", "one-dash-flag"],
)  # fmt: skip
def test_a_commands_option_before_the_command_is_named(argv: list[str], message: str) -> None:
    """argparse took its value for the command: "invalid choice: '3'", the option never named."""
    from linearnets.cli import main

    with pytest.raises(UsageExit) as info:
        main(argv)
    assert info.value.message == f"{message} (see linearnets --help)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data", "-n", "3"], "-n is an option of show, not of linearnets data: give it after its "
            "command, e.g. linearnets data show -n 3 ..."),
        (["--debug", "data", "--data-dir", "d", "--out", "g.png", "show"], "--out is an option of "
            "show, not of linearnets data: give it after its command, e.g. linearnets data show "
            "--out g.png ..."),
        (["data", "--mirror", "http://m/"], "--mirror is an option of download, not of linearnets "
            "data: give it after its command, e.g. linearnets data download --mirror http://m/ ..."),
        # --data-dir=d holds its value: -n is the next option, not --data-dir's value
        (["data", "--data-dir=d", "-n", "3", "show"], "-n is an option of show, not of "
            "linearnets data: give it after its command, e.g. linearnets data show -n 3 ..."),
        # another command's option: its owners named, and its value kept
        (["data", "--epochs", "2"], "unrecognized arguments: --epochs 2: --epochs is an option of "
            "linreg and softmax, not of linearnets data"),
        (["data", "--no-guard", "show"], "unrecognized arguments: --no-guard: --no-guard is an "
            "option of linreg and softmax, not of linearnets data"),
        # another command's whole option: once "--data (--data-dir) is an option of show and
        # download ... e.g. data show --data x.npz", which show refused in turn
        (["data", "--data", "x.npz", "show"], "unrecognized arguments: --data x.npz: --data is an "
            "option of linreg and softmax, not of linearnets data"),
        (["data", "-data-dir", "d"], "unrecognized arguments: -data-dir d: linearnets data has "
            "no option -data-dir; did you mean --data-dir?"),
        # --n for -n: once "--n (--no-guard) is an option of softmax"
        (["data", "--n", "3"], "--n is not an option of linearnets data; did you mean -n, an "
            "option of show? Give it after its command, e.g. linearnets data show -n 3 ..."),
    ],
    ids=["n", "out-after-data-dir", "mirror", "n-after-data-dir-equals", "other-command",
         "other-command-flag", "other-command-whole", "one-dash", "two-dashes-for-n"],
)  # fmt: skip
def test_an_actions_option_before_the_action_is_named(argv: list[str], message: str) -> None:
    """'data -n 3' said "invalid choice: '3' (choose from 'show', 'download')"."""
    from linearnets.cli import main

    with pytest.raises(UsageExit) as info:
        main(argv)
    assert info.value.message == f"{message} (see linearnets data --help)"


def test_two_dashes_for_a_sibling_actions_n_name_it() -> None:
    """'data download --n 3' credited --n to softmax's --no-guard; -n (data show's) was meant."""
    from linearnets.cli import main

    with pytest.raises(UsageExit) as info:
        main(["data", "download", "--n", "3"])
    assert info.value.message == (
        "unrecognized arguments: --n 3: linearnets data download has no option --n; did you "
        "mean -n, an option of data show? (see linearnets data download --help)"
    )


@pytest.mark.parametrize(
    ("argv", "prog", "message"),
    [
        (["softmax", "--impl", "scratch "], "linearnets softmax", "argument --impl: invalid choice: 'scratch ' (choose from 'scratch', 'concise', 'analytic'); drop the blank: pass --impl scratch"),
        (["linreg", "--impl", "Concise"], "linearnets linreg", "argument --impl: invalid choice: 'Concise' (choose from 'scratch', 'analytic', 'concise'); write it in lower case: pass --impl concise"),
        (["softmax", "--plot", " NONE\t"], "linearnets softmax", "argument --plot: invalid choice: ' NONE\\t' (choose from 'auto', 'file', 'none'); drop the blanks and write it in lower case: pass --plot none"),
        (["predict", "--lang", "zh ", "runs/a"], "linearnets predict", "argument --lang: invalid choice: 'zh ' (choose from 'en', 'zh'); drop the blank: pass --lang zh"),
        (["softmax "], "linearnets", "argument COMMAND: invalid choice: 'softmax ' (choose from 'linreg', 'softmax', 'predict', 'data'); drop the blank: softmax"),
        (["data", "Show"], "linearnets data", "argument [ACTION]: invalid choice: 'Show' (choose from 'show', 'download'); write it in lower case: show"),
        # the start of one choice alone, as argparse takes an option's abbreviation
        (["linreg", "--impl", "conc"], "linearnets linreg", "argument --impl: invalid choice: 'conc' (choose from 'scratch', 'analytic', 'concise'); write it in full: pass --impl concise"),
        (["softmax", "--impl", "an"], "linearnets softmax", "argument --impl: invalid choice: 'an' (choose from 'scratch', 'concise', 'analytic'); write it in full: pass --impl analytic"),
        (["softmax", "--plot", " Fi"], "linearnets softmax", "argument --plot: invalid choice: ' Fi' (choose from 'auto', 'file', 'none'); drop the blank and write it in lower case and in full: pass --plot file"),
        (["lin"], "linearnets", "argument COMMAND: invalid choice: 'lin' (choose from 'linreg', 'softmax', 'predict', 'data'); write it in full: linreg"),
        (["data", "Down"], "linearnets data", "argument [ACTION]: invalid choice: 'Down' (choose from 'show', 'download'); write it in lower case and in full: download"),
        # no choice but for its blanks or case, or the start of several: argparse's words alone
        (["softmax", "--impl", "fast "], "linearnets softmax", "argument --impl: invalid choice: 'fast ' (choose from 'scratch', 'concise', 'analytic')"),
        (["softmax", "--impl", "sc "], "linearnets softmax", "argument --impl: invalid choice: 'sc ' (choose from 'scratch', 'concise', 'analytic'); drop the blank and write it in full: pass --impl scratch"),
        (["softmax", "--plot", ""], "linearnets softmax", "argument --plot: invalid choice: '' (choose from 'auto', 'file', 'none')"),
    ],
)  # fmt: skip
def test_a_choice_with_a_blank_or_capitals_is_told_the_choice_it_is(
    argv: list[str], prog: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--impl 'scratch ' (a script's variable, a pasted line) was told only the choices, where
    the path options and --device say to drop the blank; --impl conc, the start of concise alone,
    too, where --impl Scratch was told its choice."""
    with pytest.raises(UsageExit) as info:
        main(argv)
    assert info.value.message == f"{message} (see {prog} --help)"
    assert capsys.readouterr().err == f"{prog}: error: {message} (see {prog} --help)\n"


def test_the_start_of_several_choices_is_told_none_of_them() -> None:
    """'s', the start of 'scratch' and 'sum' alike, names neither: the choices say which there
    are; 'scr', of 'scratch' alone, names it."""
    import argparse

    from linearnets.cli._usage_words import choice_fix

    parser = argparse.ArgumentParser()
    action = parser.add_argument("--pick", choices=["scratch", "sum", "mean"])
    assert choice_fix(action, "s") is None
    assert choice_fix(action, "scr") == "write it in full: pass --pick scratch"


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "linreg", "--epochs", "1"],
        ["--json", "linreg", "--epochs", "1"],
        ["--js", "linreg", "--epochs", "1"],  # linearnets' own option, abbreviated
    ],
)
def test_the_commands_own_options_before_it_still_parse(argv: list[str]) -> None:
    parser = build_parser()
    parser.refuse_options_before_command(argv)  # nothing refused
    assert parser.parse_args(argv).epochs == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-", "softmax"], "argument COMMAND: invalid choice: '-' (choose from 'linreg', "
            "'softmax', 'predict', 'data') (see linearnets --help)"),
        (["data", "-", "show"], "argument [ACTION]: invalid choice: '-' (choose from 'show', "
            "'download') (see linearnets data --help)"),
        (["softmax", "-", "--json=1"], "--json takes no value, got '--json=1': write --json "
            "alone (see linearnets softmax --help)"),
    ],
    ids=["before-command", "before-action", "before-a-flag-given-a-value"],
)  # fmt: skip
def test_a_lone_dash_is_a_word_not_an_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lone "-" (stdin's name, as argparse reads it: a value) failed with an IndexError traceback from
    argparse's search for the options it abbreviates, which reads a second letter."""
    assert _usage_error(argv, capsys) == message


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Return the one line ``linearnets ARGV`` refuses ``argv`` with, checking it exits 2."""
    from linearnets.cli import main

    with pytest.raises(UsageExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith(f": error: {info.value.message}\n")
    return info.value.message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["softmax", "--json=1"], "--json takes no value, got '--json=1': write --json alone "
            "(see linearnets softmax --help)"),
        (["linreg", "--js=yes"], "--json takes no value, got '--js=yes': write --json alone "
            "(see linearnets linreg --help)"),
        (["softmax", "--json="], "--json takes no value, got '--json=': write --json alone "
            "(see linearnets softmax --help)"),
        (["--json=1", "softmax"], "--json takes no value, got '--json=1': write --json alone "
            "(see linearnets --help)"),
        (["--debug=1", "linreg"], "--debug takes no value, got '--debug=1': write --debug alone "
            "(see linearnets --help)"),
        (["data", "show", "--debug=1"], "--debug takes no value, got '--debug=1': write --debug "
            "alone (see linearnets data show --help)"),
        (["linreg", "--no-guard=1"], "--no-guard takes no value, got '--no-guard=1': write "
            "--no-guard alone (see linearnets linreg --help)"),
        (["softmax", "--force=yes"], "--force takes no value, got '--force=yes': write --force "
            "alone (see linearnets softmax --help)"),
        (["--version=1"], "--version takes no value, got '--version=1': write --version alone "
            "(see linearnets --help)"),
        (["predict", "runs/a", "-h=1"], "-h takes no value, got '-h=1': write -h alone "
            "(see linearnets predict --help)"),
    ],
    ids=["json", "json-abbreviated", "json-empty", "json-before", "debug-before", "debug-action",
         "store-const", "force", "version", "help-short"],
)  # fmt: skip
def test_a_flag_given_a_value_is_told_to_come_alone(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse said "argument --json: ignored explicit argument '1'": no rule, no fix."""
    assert _usage_error(argv, capsys) == message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["softmax", "--epochs"], "--epochs takes a positive integer and got no value: nothing "
            "follows it; give its value right after it, e.g. --epochs 10"),
        (["softmax", "--lr", "--epochs", "3"], "--lr takes a positive number and got no value: "
            "the next word, --epochs, is an option; give its value right after it, e.g. --lr 0.1"),
        (["linreg", "--seed", "--json"], "--seed takes a non-negative integer and got no value: "
            "the next word, --json, is an option; give its value right after it, e.g. --seed 0"),
        (["linreg", "--noise-std"], "--noise-std takes a non-negative number and got no value: "
            "nothing follows it; give its value right after it, e.g. --noise-std 0.01"),
        (["softmax", "--epochs", "3", "--epo"], "--epochs takes a positive integer and got no "
            "value: nothing follows it; give its value right after it, e.g. --epochs 10"),
        (["softmax", "--impl"], "--impl takes one of scratch, concise, analytic and got no value: "
            "nothing follows it; give its value right after it, e.g. --impl scratch"),
        (["softmax", "--plot", "--json"], "--plot takes one of auto, file, none and got no value: "
            "the next word, --json, is an option; give its value right after it, e.g. --plot auto"),
        (["softmax", "--resize"], "--resize takes a positive integer or none and got no value: "
            "nothing follows it; give its value right after it, e.g. --resize 64"),
        (["softmax", "--plot"], "--plot takes one of auto, file, none and got no value: nothing "
            "follows it; give its value right after it, e.g. --plot auto"),
        (["softmax", "--resume", "--", "x"], "--resume takes the run folder to continue and got "
            "no value: the next word, --, ends the options; give its value right after it, e.g. "
            "--resume runs/a"),
        (["softmax", "--data-dir"], "--data-dir takes the folder holding the Fashion-MNIST files "
            "and got no value: nothing follows it; give its value right after it, e.g. "
            "--data-dir data"),
        (["linreg", "--data"], "--data takes a .npz or .csv data file and got no value: nothing "
            "follows it; give its value right after it, e.g. --data table.csv"),
        (["softmax", "--device"], "--device takes a value and got no value: nothing follows it; "
            "give its value right after it, e.g. --device DEVICE"),
        (["predict", "runs/a", "-n"], "-n takes a positive integer and got no value: nothing "
            "follows it; give its value right after it, e.g. -n 10"),
        (["data", "show", "--out"], "--out takes an image file and got no value: nothing follows "
            "it; give its value right after it, e.g. --out images.png"),
        (["data", "--data-dir"], "--data-dir takes the folder holding the Fashion-MNIST files and "
            "got no value: nothing follows it; give its value right after it, e.g. --data-dir "
            "data"),
        (["data", "download", "--mirror", "--data-dir", "d"], "--mirror takes one or more values "
            "and got no values: the next word, --data-dir, is an option; give its values right "
            "after it, e.g. --mirror URL"),
    ],
    ids=["end", "option-next", "json-next", "float", "abbreviated", "choices", "choices-json",
         "resize-none-is-a-value", "plot-none-is-a-value", "double-dash", "folder", "file",
         "untyped", "n", "out", "data-data-dir", "mirror"],
)  # fmt: skip
def test_an_option_given_no_value_says_what_it_takes(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse said "argument --epochs: expected one argument": not what it takes, nor what came
    instead, nor how to give it. "and got none" then read as the value none that --resize and
    --plot take: it says "no value"."""
    command = argv[:2] if argv[0] == "data" and argv[1] in ("show", "download") else argv[:1]
    prog = " ".join(["linearnets", *command])
    assert _usage_error(argv, capsys) == f"{message} (see {prog} --help)"
    if "--" not in argv:  # the example it gives parses in place of the option given alone
        example = message.rsplit("e.g. ", 1)[1].split()  # (--mirror's URL is checked as it runs)
        at = max(i for i, w in enumerate(argv) if w.startswith("-") and example[0].startswith(w))
        build_parser().parse_args([*argv[:at], *example, *argv[at + 1 :]])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["softmax", "--d", "x"], "--d is an abbreviation of more than one option (--data-dir, "
            "--data, --device, --debug): write the one you mean in full "
            "(see linearnets softmax --help)"),
        (["softmax", "--r=runs/a"], "--r is an abbreviation of more than one option (--resize, "
            "--resume): write the one you mean in full (see linearnets softmax --help)"),
        (["linreg", "--n", "3"], "--n is an abbreviation of more than one option "
            "(--num-examples, --noise-std, --no-guard): write the one you mean in full "
            "(see linearnets linreg --help)"),
        (["data", "--d", "x"], "--d is an abbreviation of more than one option "
            "(--data-dir, --debug): write the one you mean in full (see linearnets data --help)"),
        # argparse reads an action's words in its command's parser first: the action's --help
        (["data", "show", "--d", "x"], "--d is an abbreviation of more than one option "
            "(--data-dir, --debug): write the one you mean in full "
            "(see linearnets data show --help)"),
    ],
    ids=["softmax", "equals", "linreg", "data", "data-action"],
)  # fmt: skip
def test_an_ambiguous_abbreviation_lists_the_options_and_the_fix(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse said "ambiguous option: --d could match --data-dir, ...": no fix."""
    assert _usage_error(argv, capsys) == message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict"], "RUN_DIR is required and was not given: give the run folder a 'linearnets "
            "softmax' run wrote, e.g. linearnets predict runs/a (see linearnets predict --help)"),
        (["predict", "-n", "3"], "RUN_DIR is required and was not given: give the run folder a "
            "'linearnets softmax' run wrote, e.g. linearnets predict runs/a "
            "(see linearnets predict --help)"),
        ([], "COMMAND is required and was not given: give one of linreg, softmax, predict, data, "
            "e.g. linearnets linreg (see linearnets --help)"),
        (["--debug"], "COMMAND is required and was not given: give one of linreg, softmax, "
            "predict, data, e.g. linearnets linreg (see linearnets --help)"),
        (["predict", "--out", "p.png"], "RUN_DIR is required and was not given: give the run "
            "folder a 'linearnets softmax' run wrote, e.g. linearnets predict runs/a "
            "(see linearnets predict --help)"),
        (["predict", "--out", "p.png", "--bogus"], "unrecognized arguments: --bogus: "
            "linearnets predict has no option --bogus (see linearnets predict --help)"),
    ],
    ids=["predict", "predict-n", "nothing", "debug-alone", "predict-out", "predict-out-bogus"],
)  # fmt: skip
def test_a_missing_argument_says_what_to_give(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse said "the following arguments are required: RUN_DIR": not what it is; with an
    option's value left (``--out p.png``), "unexpected option string: p.png", argparse's lookup
    of the value as an option."""
    assert _usage_error(argv, capsys) == message


@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["softmax", "--version"], "softmax"),
        (["data", "show", "--version"], "data show"),
        (["softmax", "--bogus", "--version"], "softmax"),  # not the first word left over
    ],
    ids=["softmax", "data-show", "after-another-word"],
)
def test_version_after_a_command_says_it_is_linearnets_own(
    argv: list[str], prog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "unrecognized arguments: --version", as if linearnets had no version to give."""
    assert _usage_error(argv, capsys) == (
        "--version is an option of linearnets itself, not of its commands: write linearnets "
        f"--version (see linearnets {prog} --help)"
    )


def test_more_run_folders_than_one_are_named_with_the_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``linearnets predict runs/*`` matching several runs said "unrecognized arguments: runs/b";
    an option among the extra words is still named as unrecognized."""
    assert _usage_error(["predict", "runs/a", "my run", "runs/c"], capsys) == (
        "expected one RUN_DIR, got 3 (runs/a, my run and runs/c): give one per command, e.g. "
        "linearnets predict runs/a (see linearnets predict --help)"
    )
    assert _usage_error(["predict", "my run", "runs/b", "-n", "3"], capsys) == (
        "expected one RUN_DIR, got 2 (my run and runs/b): give one per command, e.g. "
        "linearnets predict 'my run' (see linearnets predict --help)"
    )
    assert _usage_error(["predict", "runs/a", "runs/b", "--data", "x"], capsys) == (
        "unrecognized arguments: runs/b --data x: no option of linearnets predict takes them; "
        "drop them (see linearnets predict --help)"
    )


@pytest.mark.parametrize(
    ("word", "shown"),
    [("a\nb", r"a\nb"), ("next\x85line", r"next\x85line"), (os.fsdecode(b"caf\xe9"), r"caf\xe9")],
    ids=["newline", "nel", "not-utf8"],
)
def test_a_word_a_terminal_would_not_show_is_named_by_its_escape(
    word: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse named the word as given: "a\\nb" broke the one line in two, and "\\x85" (NEL)
    too for str.splitlines and some terminals."""
    message = _usage_error(["linreg", "--no-guard", word], capsys)
    assert message == (
        f"unrecognized arguments: '{shown}': --no-guard is a flag and takes no value, got "
        f"'{shown}' after it; write --no-guard alone (see linearnets linreg --help)"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["softmax", "--ephocs", "3"], "unrecognized arguments: --ephocs 3: linearnets softmax "
            "has no option --ephocs; did you mean --epochs?"),
        (["softmax", "--no-gaurd"], "unrecognized arguments: --no-gaurd: linearnets softmax has "
            "no option --no-gaurd; did you mean --no-guard?"),
        (["linreg", "--sed=3"], "unrecognized arguments: --sed=3: linearnets linreg has no option "
            "--sed; did you mean --seed?"),
        (["linreg", "--bogus"], "unrecognized arguments: --bogus: linearnets linreg has no option "
            "--bogus"),
        # no command has --n (linreg refuses it as ambiguous): the command's own -n is meant
        (["predict", "runs/a", "--n", "3"], "unrecognized arguments: --n 3: linearnets predict has "
            "no option --n; did you mean -n?"),
        (["data", "show", "--n", "3"], "unrecognized arguments: --n 3: linearnets data show has "
            "no option --n; did you mean -n?"),
        (["linreg", "--plot", "x"], "unrecognized arguments: --plot x: --plot is an option "
            "of softmax, not of linearnets linreg"),
        # its value taken by the command (as RUN_DIR): named with the option it was given
        (["predict", "--epochs", "1", "runs/a"], "unrecognized arguments: --epochs 1 runs/a: "
            "--epochs is an option of linreg and softmax, not of linearnets predict"),
        (["softmax", "--json", "0"], "unrecognized arguments: 0: --json is a flag and takes no "
            "value, got 0 after it; write --json alone"),
        (["linreg", ""], "unrecognized arguments: '': no option of linearnets linreg takes it; "
            "drop it"),
        (["data", "show", "my grid.png"], "unrecognized arguments: 'my grid.png': no option of "
            "linearnets data show takes it; drop it"),
        # after an option with its value (no flag): a word no option takes, not a flag's value
        (["linreg", "--epochs=3", "4"], "unrecognized arguments: 4: no option of linearnets "
            "linreg takes it; drop it"),
        # "--" ends the options: no option named "--", and not --json abbreviated
        (["linreg", "--", "x"], "unrecognized arguments: -- x: no option of linearnets linreg "
            "takes them; drop them"),
        (["data", "show", "--"], "unrecognized arguments: --: no option of linearnets data show "
            "takes it; drop it"),
        # the option meant takes a value the command took (as RUN_DIR): named with it, not the
        # word after ("--n sm"), nor left out ("predict --n 3" alone)
        (["predict", "--n", "3", "sm"], "unrecognized arguments: --n 3 sm: linearnets predict has "
            "no option --n; did you mean -n?"),
        (["predict", "--n", "3"], "unrecognized arguments: --n 3: linearnets predict has no "
            "option --n; did you mean -n?"),
        (["predict", "-out", "f.png", "sm"], "unrecognized arguments: -out f.png sm: linearnets "
            "predict has no option -out; did you mean --out?"),
        (["predict", "--ot", "f.png", "sm"], "unrecognized arguments: --ot f.png sm: linearnets "
            "predict has no option --ot; did you mean --out?"),
        (["predict", "--wrnog", "sm"], "unrecognized arguments: --wrnog: linearnets predict has "
            "no option --wrnog; did you mean --wrong?"),
        # an option after "--" is an argument: once "-n is an option of data show, not of
        # linearnets predict" (it is predict's), or "no option ... takes them; drop them"
        (["predict", "--", "-run", "-n", "3"], "unrecognized arguments: -n 3: -n after -- is "
            "taken as an argument, not an option, and linearnets predict takes one RUN_DIR; put "
            "options before --"),
        (["data", "show", "--", "-n", "3"], "unrecognized arguments: -- -n 3: -n after -- is "
            "taken as an argument, not an option, and linearnets data show takes no argument; put "
            "options before --"),
    ],
    ids=["typo", "typo-flag", "typo-equals", "unknown", "double-dash-n", "double-dash-n-show",
         "other-command", "other-command-value-taken", "flag-value", "empty",
         "spaces", "after-a-valued-option", "double-dash", "double-dash-alone",
         "meant-n-value-taken", "meant-n-value-taken-alone", "meant-out-value-taken",
         "typo-value-taken", "meant-flag", "option-after-dashes", "option-after-dashes-show"],
)  # fmt: skip
def test_an_unrecognized_word_is_named_with_what_to_do(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse said "unrecognized arguments: --ephocs 3", "... 0" after --json, and "...: " for
    an empty word: no rule, no fix, and a word that could not be seen."""
    assert (
        _usage_error(argv, capsys)
        == f"{message} (see linearnets {' '.join(argv[: 1 + (argv[0] == 'data')])} --help)"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # the option mistyped, said before the RUN_DIR it left out
        (["predict", "--wrnog"], "unrecognized arguments: --wrnog: linearnets predict has no "
            "option --wrnog; did you mean --wrong?"),
        (["predict", "-weird"], "unrecognized arguments: -weird: linearnets predict has no "
            "option -weird"),
        # letters glued to -n: not -n given 'um'
        (["predict", "runs/a", "-num", "3"], "-num is not an option of linearnets predict (-n "
            "would take 'um' as its value); did you mean -n 3?"),
        (["data", "show", "-nx"], "-nx is not an option of linearnets data show (-n would take "
            "'x' as its value); did you mean -n 10?"),
    ],
    ids=["long-no-run-dir", "short-no-run-dir", "glued", "glued-no-value"],
)  # fmt: skip
def test_an_unknown_option_is_named_not_hidden_behind_another_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``predict --wrnog`` said "RUN_DIR is required and was not given" (with a RUN_DIR: "did you
    mean --wrong?"), and "predict RUN -num 3" "argument -n: must be a positive integer, got
    'um'"."""
    prog = " ".join(argv[: 1 + (argv[0] == "data")])
    assert _usage_error(argv, capsys) == f"{message} (see linearnets {prog} --help)"


def _number_options() -> list[tuple[list[str], str]]:
    """Return each (command words, option) of the command whose value is a number."""
    from linearnets.cli._options import takes

    found = []
    for words, command in build_parser()._commands():
        for action in command._actions:
            if action.option_strings and takes(action.type) and "path" not in action.type.__name__:
                found.append((words.split(), max(action.option_strings, key=len)))
    return found


def test_every_number_option_is_found() -> None:
    """The list below is what the command has: a new option of numbers is checked too."""
    assert sorted(f"{' '.join(w)} {o}" for w, o in _number_options()) == sorted(
        [f"linreg {o}" for o in ("--epochs", "--lr", "--batch-size", "--num-examples")]
        + [f"linreg {o}" for o in ("--noise-std", "--seed", "--threads")]
        + [f"softmax {o}" for o in ("--epochs", "--lr", "--batch-size", "--seed", "--threads")]
        + ["softmax --resize", "predict -n", "data show -n"]
    )


@pytest.mark.parametrize(("words", "option"), _number_options())
def test_every_number_option_refuses_digits_other_than_ascii(words: list[str], option: str) -> None:
    """Python's int() and float() read '３' (full-width) and '٣' (Arabic-Indic) as 3: each option
    refuses them alike, naming the number in 0-9, as the CSV reader does."""
    argv = [*words, "runs/a"] if words == ["predict"] else words
    with pytest.raises(UsageExit) as info:
        build_parser().parse_args([*argv, option, "３"])
    assert info.value.code == 2
    assert info.value.message.startswith(f"argument {option}: must be a")  # "a", "an"
    assert info.value.message.endswith(
        f" in the digits 0-9, got '３'; write it as 3 (see linearnets {' '.join(words)} --help)"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["softmax", "--epochs", "0"], "argument --epochs: must be a positive integer (>= 1), got "
            "'0'; pass e.g. --epochs 10"),
        (["softmax", "--lr", "nan"], "argument --lr: must be a finite number > 0, got nan; pass "
            "e.g. --lr 0.1"),
        (["linreg", "--lr", "0"], "argument --lr: must be a finite number > 0, got 0; pass e.g. "
            "--lr 0.03"),
        (["softmax", "--batch-size", "-1"], "argument --batch-size: must be a positive integer "
            "(>= 1), got '-1'; pass e.g. --batch-size 256"),
        # -n, --seed and --threads are told their range below it as past it: a most a user may pass
        (["data", "show", "-n", "0"], "argument -n: must be an integer from 1 to 100, got '0'; "
            "pass e.g. -n 18"),
        (["predict", "r", "-n", "0.0"], "argument -n: must be an integer from 1 to 100, got "
            "'0.0'; pass e.g. -n 6"),
        (["softmax", "--seed", "-1"], "argument --seed: must be an integer from 0 to 2147483647, "
            "got '-1'; pass e.g. --seed 0"),
        (["linreg", "--noise-std", "-1"], "argument --noise-std: must be a finite number >= 0, "
            "got -1; pass e.g. --noise-std 0.01"),
        # an integer spelt as a float or in hex: the same number in decimal digits
        (["softmax", "--epochs", "1e3"], "argument --epochs: must be a positive integer, got "
            "'1e3'; write it as 1000"),
        (["linreg", "--epochs", "10.0"], "argument --epochs: must be a positive integer, got "
            "'10.0'; write it as 10"),
        (["softmax", "--seed", "0x10"], "argument --seed: must be a non-negative integer, got "
            "'0x10'; write it as 16"),
        # where that number breaks the rule too, an example to pass (docs/cli.md); none for a
        # fraction
        (["softmax", "--epochs", "0e3"], "argument --epochs: must be a positive integer, got "
            "'0e3'; pass e.g. --epochs 10"),
        (["linreg", "--epochs", "0.0"], "argument --epochs: must be a positive integer, got "
            "'0.0'; pass e.g. --epochs 3"),
        (["linreg", "--batch-size", "0.0"], "argument --batch-size: must be a positive integer, "
            "got '0.0'; pass e.g. --batch-size 10"),
        (["linreg", "--seed", "-1.0"], "argument --seed: must be an integer from 0 to 2147483647, "
            "got '-1.0'; pass e.g. --seed 0"),
        (["linreg", "--epochs", "-0x10"], "argument --epochs: must be a positive integer, got "
            "'-0x10'; pass e.g. --epochs 3"),
        # nor a number below --num-examples' least (3 for the book's 2 weights): "write it as 2"
        # was refused in turn; its rule in full and its default instead
        *[
            (["linreg", "--num-examples", text], "argument --num-examples: must be an integer of "
                f"at least one more than the weights (3 for the book's 2), got {text!r}, which is "
                f"{number}; pass e.g. --num-examples 1000")
            for text, number in (("1e0", 1), ("2.0", 2), ("0x2", 2), ("２", 2), ("0_2", 2))
        ],
        # one it takes, with its own rule (">= 1" was the converter's)
        (["linreg", "--num-examples", "3.0"], "argument --num-examples: must be an integer of at "
            "least one more than the weights (3 for the book's 2), got '3.0'; write it as 3"),
        # digits grouped by underscores: those are the fault, not the rule
        (["linreg", "--num-examples", "1_000"], "argument --num-examples: must be written "
            "without underscores, got '1_000'; write it as 1000"),
        (["softmax", "--epochs", "1_0"], "argument --epochs: must be written without "
            "underscores, got '1_0'; write it as 10"),
        (["linreg", "--num-examples", "1_000_000_000"], "argument --num-examples: must be an integer of at least one more than the weights (3 for the book's 2) and at most "
            "100000000, got '1_000_000_000', which is 1000000000; pass e.g. --num-examples 1000"),
        (["softmax", "--epochs", "0_0"], "argument --epochs: must be a positive integer, got "
            "'0_0'; pass e.g. --epochs 10"),
        # and a float option's, as an integer option's: --lr 1_0 was "must be a positive number"
        (["linreg", "--lr", "1_0"], "argument --lr: must be written without underscores, got "
            "'1_0'; write it as 10"),
        (["softmax", "--lr", "0.0_5"], "argument --lr: must be written without underscores, "
            "got '0.0_5'; write it as 0.05"),
        (["linreg", "--noise-std", "0.0_1"], "argument --noise-std: must be written without "
            "underscores, got '0.0_1'; write it as 0.01"),
        # the plain number: "write it as 01" (float reads 0_1 as 1, as int does)
        (["linreg", "--lr", "0_1"], "argument --lr: must be written without underscores, got "
            "'0_1'; write it as 1"),
        # --noise-std past its most (the configuration's) as the option's other values are
        (["linreg", "--noise-std", "1e300"], "argument --noise-std: must be a number in [0, "
            "1e+15], got 1e300; pass e.g. --noise-std 0.01"),
        # nor a number the option's own bound refuses: "write it as 1000" was refused in turn
        (["predict", "sm", "-n", "1e3"], "argument -n: must be an integer from 1 to 100, got '1e3', which is 1000; pass e.g. -n 6"),  # its default
        (["linreg", "--seed", "2e19"], "argument --seed: must be an integer from 0 to 2147483647, got '2e19', which is 20000000000000000000; "
            "pass e.g. --seed 0"),
        # 1e30 is no 1000000000000000019884624838656 (float's), nor worked out at all; from 1e20
        # on it was told "must be a positive integer", a rule 10**20 meets
        (["linreg", "--epochs", "1e30"], "argument --epochs: must be an integer from 1 to 4611686018427387904, got '1e30'; pass e.g. "
            "--epochs 3"),
        (["linreg", "--epochs", "1e999999999"], "argument --epochs: must be an integer from 1 to 4611686018427387904, got '1e999999999'; "
            "pass e.g. --epochs 3"),
        (["linreg", "--epochs", "1e20"], "argument --epochs: must be an integer from 1 to 4611686018427387904, got '1e20'; pass e.g. "
            "--epochs 3"),
        # written out, it passed the parser and was refused after torch loaded ("pass at most")
        (["linreg", "--epochs", "1" + "0" * 20], "argument --epochs: must be an integer from 1 to "
            "4611686018427387904, got '100000000000000000000'; pass e.g. --epochs 3"),
        (["softmax", "--resize", "9" * 25], "argument --resize: must be an integer from 1 to "
            "4096 or none, got '9999999999999999999999999'; pass e.g. --resize 64, or --resize none for the images' own size"),
        (["softmax", "--resize", "1e20"], "argument --resize: must be an integer from 1 to 4096 or none, got '1e20'; pass e.g. "
            "--resize 64, or --resize none for the images' own size"),
        (["softmax", "--resize", "1e3"], "argument --resize: must be a positive integer or none, "
            "got '1e3'; write it as 1000"),
        (["linreg", "--seed", "1e20"], "argument --seed: must be an integer from 0 to 2147483647, got '1e20'; pass e.g. --seed 0"),
        (["linreg", "--num-examples", "1e20"], "argument --num-examples: must be an integer of at least one more than the weights (3 for the book's 2) and at most 100000000, got '1e20'; pass e.g. --num-examples 1000"),
        (["linreg", "--threads", "1e20"], "argument --threads: must be an integer from 1 to 1024, got '1e20'; pass e.g. --threads 1"),
        (["softmax", "--batch-size", "1e20"], "argument --batch-size: must be an integer from 1 to "
            "4611686018427387904, got '1e20'; pass e.g. --batch-size 256"),
        (["predict", "sm", "-n", "1e20"], "argument -n: must be an integer from 1 to 100, got '1e20'; pass e.g. -n 6"),
        # written out between an option's most and 1e20, refused only after torch loaded ("pass
        # at most 4611686018427387904" for --epochs), where 1e19 was refused here: both are
        *[
            ([command, *before, option, text], f"argument {option}: must be {kind}, got "
                f"{text!r}; pass e.g. "
                f"{option} {SHOWN.get(command, example) if option == '-n' else DEFAULTS.get((command, option), example)}{fix}")
            for command, before in (("linreg", ()), ("softmax", ()), ("predict", ("sm",)),
                                    ("data", ("show",)))
            for option, most, kind, example, fix in (
                ("--epochs", 2**62, f"an integer from 1 to {2**62}", 10, ""),
                ("--batch-size", 2**62, f"an integer from 1 to {2**62}", 10, ""),
                ("--seed", 2**31 - 1, f"an integer from 0 to {2**31 - 1}", 0, ""),
                ("--threads", 1024, "an integer from 1 to 1024", 1, ""),
                ("--num-examples", 10**8, "an integer of at least one more than the weights "
                    "(3 for the book's 2) and at most 100000000", 1000, ""),
                ("--resize", 4096, "an integer from 1 to 4096 or none", 64,
                    ", or --resize none for the images' own size"),
                ("-n", 100, "an integer from 1 to 100", 10, ""),
            )
            if (option, command) in {
                ("--epochs", "linreg"), ("--batch-size", "linreg"), ("--seed", "linreg"),
                ("--threads", "linreg"), ("--num-examples", "linreg"), ("--epochs", "softmax"),
                ("--batch-size", "softmax"), ("--seed", "softmax"), ("--threads", "softmax"),
                ("--resize", "softmax"), ("-n", "predict"), ("-n", "data"),
            }
            for text in (str(most + 1), "1" + "0" * 19, "9" * 20)
        ],
        # a negative one is refused by the rule it breaks
        (["linreg", "--epochs", "-1e20"], "argument --epochs: must be a positive integer, got "
            "'-1e20'; pass e.g. --epochs 3"),
        (["linreg", "--epochs", "1e18"], "argument --epochs: must be a positive integer, got "
            "'1e18'; write it as 1000000000000000000"),
        # a number that is none the option takes: its example too (none was given)
        (["softmax", "--epochs", "1.5"], "argument --epochs: must be a positive integer, got "
            "'1.5'; pass e.g. --epochs 10"),
        (["linreg", "--epochs", "abc"], "argument --epochs: must be a positive integer, got "
            "'abc'; pass e.g. --epochs 3"),
        (["linreg", "--epochs", ""], "argument --epochs: must be a positive integer, got ''; "
            "pass e.g. --epochs 3"),
        (["linreg", "--epochs", "nan"], "argument --epochs: must be a positive integer, got "
            "'nan'; pass e.g. --epochs 3"),
        (["linreg", "--epochs", "inf"], "argument --epochs: must be a positive integer, got "
            "'inf'; pass e.g. --epochs 3"),
        (["linreg", "--epochs", "1e-3"], "argument --epochs: must be a positive integer, got "
            "'1e-3'; pass e.g. --epochs 3"),
        # linreg's default, 0.03 (the number its --help names): softmax's 0.1 was advised
        (["linreg", "--lr", "0x10"], "argument --lr: must be a positive number, got '0x10'; "
            "pass e.g. --lr 0.03"),
        (["linreg", "--seed", "1.5"], "argument --seed: must be a non-negative integer, got "
            "'1.5'; pass e.g. --seed 0"),
        # an example each option takes well: more threads than free cores slow training down
        (["linreg", "--threads", "0"], "argument --threads: must be an integer from 1 to 1024, "
            "got '0'; pass e.g. --threads 1"),
        (["softmax", "--threads", "x"], "argument --threads: must be a positive integer, got "
            "'x'; pass e.g. --threads 1"),
        # the rule told as the configuration checks it (it was ">= 1", where 1 and 2 are refused),
        # the least (one more than the weights) the configuration's, once a --data file or a
        # resumed run has told them; its example the book's 1000
        (["linreg", "--num-examples", "0"], "argument --num-examples: must be an integer of at "
            "least one more than the weights (3 for the book's 2), got '0'; pass e.g. "
            "--num-examples 1000"),
        # typed > 0, but below the smallest float: read as 0
        (["softmax", "--lr", "1e-400"], "argument --lr: must be a finite number > 0, got 1e-400, "
            "which underflows to 0 (a step needs at least about 1.18e-38, float32's smallest normal "
            "number); pass e.g. --lr 0.1"),
    ],
)  # fmt: skip
def test_a_value_out_of_range_is_told_a_value_to_pass(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "argument --epochs: must be a positive integer (>= 1), got 0" named no fix; "--epochs 1e3"
    not the 1000 it spells, and "--lr 1e-400" (typed > 0) was told it must be > 0."""
    prog = " ".join(argv[: 1 + (argv[0] == "data")])
    assert _usage_error(argv, capsys) == f"{message} (see linearnets {prog} --help)"


_RESUMED_EPOCHS = (
    "pass more --epochs than the run already finished to train further, or leave --epochs out "
    "to finish the run's own"
)


@pytest.mark.parametrize(
    ("given", "fix"),
    [
        (["--batch-size", "0"], "must be a positive integer (>= 1), got '0'; leave --batch-size out "
            "to keep the run's value"),
        (["--lr", "0"], "must be a finite number > 0, got 0; leave --lr out to keep the run's "
            "value"),
        (["--epochs", "0"], f"must be a positive integer (>= 1), got '0'; {_RESUMED_EPOCHS}"),
        (["--epochs", "1e30"], "must be an integer from 1 to 4611686018427387904, got '1e30'; " + _RESUMED_EPOCHS),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["linreg", "softmax"])
def test_a_value_refused_on_a_resume_is_told_to_leave_it_out(
    tmp_path: Path,
    command: str,
    given: list[str],
    fix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``linreg --resume R1 --batch-size 0`` was told "pass e.g. --batch-size 10", the --help
    default, which the resume then refused as a changed setting (R1 trained at 20), and
    ``--epochs 0`` "--epochs 3", not more than the 5 R1 finished: on a resume the fix is to leave
    the option out, the run's value kept (an --epochs count no parser can know)."""
    option = given[0]
    message = _usage_error([command, "--resume", str(tmp_path / "R1"), *given], capsys)
    assert message == f"argument {option}: {fix} (see linearnets {command} --help)"
    # --resume=DIR too, and a new run keeps its example
    message = _usage_error([command, *given, f"--resume={tmp_path / 'R1'}"], capsys)
    assert message == f"argument {option}: {fix} (see linearnets {command} --help)"
    assert "; pass e.g. " in _usage_error([command, *given], capsys)


@pytest.mark.parametrize(
    ("given", "fix"),
    [
        (["--batch-size", "0"], "must be a positive integer (>= 1), got '0'; pass e.g. --batch-size "),
        (["--lr", "-1"], "must be a finite number > 0, got -1; pass e.g. --lr "),
        (["--epochs", "0"], f"must be a positive integer (>= 1), got '0'; {_RESUMED_EPOCHS}"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["linreg", "softmax"])
def test_a_value_refused_on_a_forced_resume_is_told_a_value_to_pass(
    tmp_path: Path,
    command: str,
    given: list[str],
    fix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``linreg --resume R --lr -1 --force`` was told "leave --lr out", where --force asks for
    the change: a value is told, as to a new run (--epochs' fix stays: no parser knows the
    epochs a run finished)."""
    option = given[0]
    for argv in (
        [command, "--resume", str(tmp_path / "R1"), *given, "--force"],
        [command, "--force", *given, "--resume", str(tmp_path / "R1")],
    ):
        message = _usage_error(argv, capsys)
        assert message.startswith(f"argument {option}: {fix}"), message
        assert "keep the run's value" not in message


def test_the_fix_a_resume_is_told_is_one_it_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The old fix, the --help default, refused by the resume; the new one, the option left out,
    taken (the oracle: the resume itself)."""
    import linearnets as ln

    out = tmp_path / "R1"
    ln.run_linreg(ln.LinregConfig(epochs=2, batch_size=20, num_examples=200, out=out))
    assert "leave --batch-size out" in _usage_error(
        ["linreg", "--resume", str(out), "--epochs", "3", "--batch-size", "0"], capsys
    )
    # what "pass e.g. --batch-size 10" led to
    assert main(["linreg", "--resume", str(out), "--epochs", "3", "--batch-size", "10"]) == 2
    assert "--batch-size changed from 20 to 10" in capsys.readouterr().err
    assert main(["linreg", "--resume", str(out), "--epochs", "3"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("spelling", ["--res", "--resu", "--resum"])
@pytest.mark.parametrize("glued", [False, True], ids=["apart", "glued"])
def test_an_abbreviated_resume_is_told_to_leave_the_bad_value_out(
    tmp_path: Path, spelling: str, glued: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse takes "--res R1" for --resume, but "--epochs 0" beside it was told "pass e.g.
    --epochs 3", the advice of a new run, which the resume then refused (R1 finished more)."""
    words = [f"{spelling}={tmp_path}"] if glued else [spelling, str(tmp_path)]
    message = _usage_error(["linreg", *words, "--epochs", "0"], capsys)
    assert message == (
        f"argument --epochs: must be a positive integer (>= 1), got '0'; {_RESUMED_EPOCHS} "
        "(see linearnets linreg --help)"
    )


def _cli_md_resume_abbreviations() -> tuple[list[str], list[str]]:
    """Return the abbreviations of --resume docs/cli.md says every command with it takes, and
    those it says only linreg takes."""
    page = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    said = re.search(r"or an abbreviation argparse takes, ([^()]*?); only a command", page, re.S)
    assert said is not None, "docs/cli.md's abbreviations of --resume"
    both, _, linreg = said[1].partition(";")
    return re.findall(r"`(--res\w*)`", both), re.findall(
        r"`(--res\w*)` for\s+`linreg` only", linreg
    )


def test_the_abbreviations_of_resume_cli_md_names_are_taken_by_the_commands_it_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/cli.md gave "--res" as an abbreviation of --resume argparse takes, but softmax refuses
    it: short for --resize too. Each it names is tried on the commands it names, and --res on
    softmax is refused as it says."""
    both, linreg_only = _cli_md_resume_abbreviations()
    assert both == ["--resu", "--resum"] and linreg_only == ["--res"]
    for command, spellings in (("softmax", both), ("linreg", both + linreg_only)):
        for spelling in spellings:
            message = _usage_error([command, spelling, str(tmp_path), "--epochs", "0"], capsys)
            assert message.endswith(f"{_RESUMED_EPOCHS} (see linearnets {command} --help)")
    assert "--res is an abbreviation of more than one option (--resize, --resume)" in (
        _usage_error(["softmax", "--res", str(tmp_path)], capsys)
    )


@pytest.mark.parametrize(
    ("argv", "prog", "example"),
    [
        (["predict", "s1", "-n", "0", "--resume", "s1"], "predict", "-n 6"),
        (["data", "show", "-n", "0", "--resume", "x"], "data show", "-n 18"),
        (["linreg", "--epochs", "0", "--", "--resume"], "linreg", "--epochs 3"),
    ],
)
def test_a_resume_word_a_command_does_not_take_is_not_told_to_keep_the_run_s_value(
    argv: list[str], prog: str, example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """predict and data show have no --resume, and a word after "--" is no option, yet a bad -n
    beside one was told "leave -n out to keep the run's value", a run they resume none of."""
    message = _usage_error(argv, capsys)
    option = example.split()[0]
    rule = "an integer from 1 to 100" if option == "-n" else "a positive integer (>= 1)"
    assert message == (
        f"argument {option}: must be {rule}, got '0'; pass e.g. {example} "
        f"(see linearnets {prog} --help)"
    )


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("0", "must be an integer from 1 to 4096 or none, got '0'"),
        ("abc", "must be a positive integer or none, got 'abc'"),
        ("5000", "must be an integer from 1 to 4096 or none, got '5000'"),
    ],
)  # fmt: skip
def test_a_bad_resize_on_a_resume_is_told_to_leave_it_out(
    tmp_path: Path, value: str, rule: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``softmax --resume R1 --resize 0`` was told "pass e.g. --resize 64, or --resize none",
    which the resume refuses even with --force (the weights' size): the converter's own fix went
    around pass_fix. A new run keeps it."""
    message = _usage_error(["softmax", "--resume", str(tmp_path), "--resize", value], capsys)
    assert message == (
        f"argument --resize: {rule}; leave --resize out to keep the run's value "
        "(see linearnets softmax --help)"
    )
    assert _usage_error(["softmax", "--resize", value], capsys) == (
        f"argument --resize: {rule}; pass e.g. --resize 64, or --resize none for the images' own "
        "size (see linearnets softmax --help)"
    )


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1e3", "must be a positive integer or none, got '1e3'"),
        ("1_000", "must be written without underscores, got '1_000'"),
        ("\uff13", "must be a positive integer or none in the digits 0-9, got '\uff13'"),
    ],
)  # fmt: skip
def test_a_respelled_resize_on_a_resume_is_told_to_leave_it_out(
    tmp_path: Path, value: str, rule: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``softmax --resume R1 --resize 1e3`` was told "write it as 1000", which the resume then
    refuses even with --force (another size, other weights): told to leave --resize out, as
    ``--resize 0`` is. A new run keeps "write it as"."""
    message = _usage_error(["softmax", "--resume", str(tmp_path), "--resize", value], capsys)
    assert message == (
        f"argument --resize: {rule}; leave --resize out to keep the run's value "
        "(see linearnets softmax --help)"
    )
    assert _usage_error(["softmax", "--resize", value], capsys).startswith(
        f"argument --resize: {rule}; write it as "
    )


def _own_parser() -> OneLineParser:
    """A parser of options the command lacks: a typed list, a choice with a short name too, a
    positional with no metavar."""
    from linearnets.cli._options import positive_int

    parser = OneLineParser(prog="tool")
    parser.add_argument("--sizes", type=positive_int, nargs="+")
    parser.add_argument("-m", "--mode", choices=["fast", "slow"])
    parser.add_argument("source")
    return parser


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["s", "--sizes"], "--sizes takes one or more, each a positive integer and got no values: "
            "nothing follows it; give its values right after it, e.g. --sizes 10"),
        (["s", "-m"], "--mode takes one of fast, slow and got no value: nothing follows it; give "
            "its value right after it, e.g. --mode fast"),
        (["s", "-m", "Fast"], "argument -m/--mode: invalid choice: 'Fast' (choose from 'fast', "
            "'slow'); write it in lower case: pass --mode fast"),
        ([], "source is required and was not given: give a value, e.g. tool SOURCE"),
    ],
    ids=["typed-list", "short-and-long", "choice-fix", "positional-by-dest"],
)  # fmt: skip
def test_the_usage_words_name_any_options_long_name_and_what_each_value_takes(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's options have one name each and no typed list: these are another parser's."""
    with pytest.raises(UsageExit) as info:
        _own_parser().parse_args(argv)
    assert info.value.message == f"{message} (see tool --help)"
    assert capsys.readouterr().err == f"tool: error: {info.value.message}\n"


@pytest.mark.parametrize(
    "argv",
    [["--json", "predict"], ["predict", "--json"], ["predict", "X", "--json"]],
    ids=["before", "after-no-run-dir", "after-run-dir"],
)
def test_json_with_predict_is_worded_one_way_wherever_typed(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``--json predict`` said "RUN_DIR is required", ``predict --json`` "--json is an option of
    linreg and softmax, not of linearnets predict", ``predict X --json`` this."""
    assert _usage_error(argv, capsys) == (
        "--json is an option of linearnets softmax and linreg only (they end with one JSON object "
        "of their results); linearnets predict has no results as JSON, only this error's object: "
        "drop --json (see linearnets predict --help)"
    )


@pytest.mark.parametrize("value", ["1.18e-38", "1.1754944e-38", "3.4028234663852886e38"])
def test_lr_at_float32s_own_limits_is_taken(value: str) -> None:
    """--lr 1.18e-38 was refused as below float32's smallest normal number, which it is not: the
    limits are float32's exact ones (the largest as given: torch refuses a step size past it)."""
    assert build_parser().parse_args(["linreg", "--lr", value]).lr == float(value)


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["--json", "predict", "--help"], "usage: linearnets predict "),
        (["--json", "data", "--help"], "usage: linearnets data "),
        (["--json", "data", "show", "--help"], "usage: linearnets data show "),
        (["--json", "data", "download", "-h"], "usage: linearnets data download "),
        (["--js", "predict", "--he"], "usage: linearnets predict "),  # both abbreviated
        (["--json", "--help", "predict"], "usage: linearnets "),  # linearnets' own --help
    ],
    ids=["predict", "data", "data-show", "data-download", "abbreviated", "top-help"],
)
def test_help_wins_over_json_before_a_command_without_it(
    argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``linearnets --json predict --help`` refused --json (exit 2, a JSON error object) where
    ``linearnets predict --json --help`` printed the help: --help wins wherever --json is."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out, err = capsys.readouterr()
    assert out.startswith(usage)
    assert err == ""


def test_json_before_a_command_without_it_is_refused_where_help_follows_dashes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--help after ``--`` is RUN_DIR, not the help: --json is still refused."""
    assert _usage_error(["--json", "predict", "--", "--help"], capsys).startswith(
        "--json is an option of linearnets softmax and linreg only"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["softmx"], "argument COMMAND: invalid choice: 'softmx' (choose from 'linreg', "
            "'softmax', 'predict', 'data'); did you mean softmax? (see linearnets --help)"),
        (["predcit", "runs/a"], "argument COMMAND: invalid choice: 'predcit' (choose from "
            "'linreg', 'softmax', 'predict', 'data'); did you mean predict? (see linearnets "
            "--help)"),
        (["data", "shw"], "argument [ACTION]: invalid choice: 'shw' (choose from 'show', "
            "'download'); did you mean show? (see linearnets data --help)"),
        (["linreg", "--impl", "scrach"], "argument --impl: invalid choice: 'scrach' (choose from "
            "'scratch', 'analytic', 'concise'); did you mean --impl scratch? (see linearnets "
            "linreg --help)"),
        # nothing close: argparse's words alone
        (["train"], "argument COMMAND: invalid choice: 'train' (choose from 'linreg', 'softmax', "
            "'predict', 'data') (see linearnets --help)"),
    ],
    ids=["command", "command-swapped", "action", "option-choice", "none-close"],
)  # fmt: skip
def test_a_misspelt_command_is_told_the_one_it_likely_meant(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``linearnets softmx`` was told only the choices, where a misspelt option of a command is
    told "did you mean --json?"."""
    assert _usage_error(argv, capsys) == message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--jsn", "linreg"], "unrecognized arguments: --jsn (no option of linearnets or its "
            "commands); did you mean --json?"),
        (["--debg", "softmax"], "unrecognized arguments: --debg (no option of linearnets or its "
            "commands); did you mean --debug?"),
        (["--verison"], "unrecognized arguments: --verison (no option of linearnets or its "
            "commands); did you mean --version?"),
        # the option it reverses is no fix: it does the opposite (it said "did you mean --json?")
        (["--no-json", "linreg"], "unrecognized arguments: --no-json (no option of linearnets or "
            "its commands)"),
    ],
    ids=["json", "debug", "version", "no-json"],
)  # fmt: skip
def test_a_misspelt_option_of_linearnets_is_told_the_one_it_likely_meant(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``linearnets --verison`` was told no fix, where ``linreg --jsn`` is told --json."""
    assert _usage_error(argv, capsys) == f"{message} (see linearnets --help)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["linreg", "--learning-rate", "0.1"], "unrecognized arguments: --learning-rate 0.1: "
            "linearnets linreg has no option --learning-rate; did you mean --lr? (see linearnets "
            "linreg --help)"),
        (["softmax", "--num-epochs=2"], "unrecognized arguments: --num-epochs=2: linearnets "
            "softmax has no option --num-epochs; did you mean --epochs? (see linearnets softmax "
            "--help)"),
    ],
    ids=["learning-rate", "num-epochs"],
)  # fmt: skip
def test_another_librarys_name_for_an_option_is_told_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``linreg --learning-rate 0.1`` said "has no option --learning-rate" and no fix; the
    configs' table of other libraries' names (``learning_rate`` for ``lr``) names it."""
    assert _usage_error(argv, capsys) == message


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--", "softmax", "--help"], "argument COMMAND: no command was given before --, which "
            "ends the options (every word after it is an argument): put the command first, e.g. "
            "linearnets softmax --help (see linearnets --help)"),
        (["--debug", "--", "predict", "-x"], "argument COMMAND: no command was given before --, "
            "which ends the options (every word after it is an argument): put the command first, "
            "e.g. linearnets --debug predict -- -x (see linearnets --help)"),
        (["data", "--", "show"], "argument [ACTION]: no action was given before --, which ends "
            "the options (every word after it is an argument): put the action first, e.g. "
            "linearnets data show (see linearnets data --help)"),
        # a word no command is close to: the commands, not the first of them to run
        (["--", "x y"], "argument COMMAND: no command was given before --, which ends the "
            "options (every word after it is an argument): put the command first (linreg, "
            "softmax, predict, data) (see linearnets --help)"),
        # the example, followed, runs what was meant (review: "-- data show -n 3" was told
        # "linearnets data -- show -n 3", refused; "-- softmx" and "-- --help" were told
        # "linearnets linreg", a training run; "--json -- softmax" lost --json)
        (["--", "data", "show", "-n", "3"], "argument COMMAND: no command was given before --, "
            "which ends the options (every word after it is an argument): put the command first, "
            "e.g. linearnets data show -n 3 (see linearnets --help)"),
        (["--", "softmx"], "argument COMMAND: no command was given before --, which ends the "
            "options (every word after it is an argument): put the command first, e.g. "
            "linearnets softmax (see linearnets --help)"),
        (["--", "--help"], "argument COMMAND: no command was given before --, which ends the "
            "options (every word after it is an argument): put the command first, e.g. "
            "linearnets --help (see linearnets --help)"),
        (["data", "--", "shw"], "argument [ACTION]: no action was given before --, which ends "
            "the options (every word after it is an argument): put the action first, e.g. "
            "linearnets data show (see linearnets data --help)"),
    ],
    ids=["softmax-help", "after-debug", "data-action", "no-command-after", "data-show-options",
         "misspelt", "help", "misspelt-action"],
)  # fmt: skip
def test_dashes_before_the_command_say_to_put_the_command_first(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``linearnets -- softmax --help`` said "argument COMMAND: invalid choice: '--'"."""
    assert _usage_error(argv, capsys) == message
