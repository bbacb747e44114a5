"""The ``type=`` converters: every value on both sides of each rule, and the one line a bad one gets."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from linearnets.cli._options import (
    learning_rate,
    noise_std_value,
    non_negative_int,
    path_arg,
    path_arg_for,
    positive_float,
    positive_int,
    resize_side,
)

ACCEPTED = [
    (positive_int, "1", 1),
    (positive_int, " 3\n", 3),  # the blanks int() skips: they cannot change the number
    (positive_int, "3\xa0", 3),  # a no-break space too, as the CSV reader skips it
    (positive_int, "+3", 3),
    (positive_int, "250", 250),
    (non_negative_int, "0", 0),
    (non_negative_int, "7", 7),
    (positive_float, "1e-300", 1e-300),
    (positive_float, "0.03", 0.03),
    (noise_std_value, "0", 0.0),
    (noise_std_value, "0.5", 0.5),
    (path_arg, ".", Path(".")),
    (path_arg, "runs/a", Path("runs/a")),
    (resize_side, "14", 14),
    (resize_side, " 64\n", 64),
    # the word the messages print for a resize of None ("none (28×28)"), in any capitals
    (resize_side, "none", "none"),
    (resize_side, "None", "none"),
    (resize_side, " NONE\n", "none"),
]


@pytest.mark.parametrize(("convert", "text", "expected"), ACCEPTED)
def test_values_that_keep_the_rule_are_converted(
    convert: Callable[[str], Any], text: str, expected: object
) -> None:
    value = convert(text)
    assert value == expected and type(value) is type(expected)


REFUSED = [
    (positive_int, "0", r"^must be a positive integer \(>= 1\), got '0'$"),
    (positive_int, "-3", r"^must be a positive integer \(>= 1\), got '-3'$"),
    (positive_int, "2.0", r"^must be a positive integer, got '2\.0'; write it as 2$"),
    (non_negative_int, "-1", r"^must be a non-negative integer \(>= 0\), got '-1'$"),
    (non_negative_int, "x", r"^must be a non-negative integer, got 'x'$"),
    (positive_float, "0", r"^must be a finite number > 0, got 0$"),
    (positive_float, "-0.0", r"^must be a finite number > 0, got -0\.0$"),
    (positive_float, "inf", r"^must be a finite number > 0, got inf$"),
    (positive_float, "nan", r"^must be a finite number > 0, got nan$"),
    (positive_float, "fast", r"^must be a positive number, got 'fast'$"),
    # float() and int() read _ between digits: a typo (3e-2_0 is 3e-20) went through silently
    # and as an integer's are, the underscores are the fault, told with the number without them
    (positive_float, "3e-2_0", r"^must be written without underscores, got '3e-2_0'; write it as 3e-20$"),
    (noise_std_value, "1_0.5", r"^must be written without underscores, got '1_0\.5'; write it as 10\.5$"),
    (learning_rate, "1_0", r"^must be written without underscores, got '1_0'; write it as 10$"),
    # the plain number offered, as an integer's is: "write it as 01" (float reads 0_1 as 1)
    (learning_rate, "0_1", r"^must be written without underscores, got '0_1'; write it as 1$"),
    (noise_std_value, "0_0", r"^must be written without underscores, got '0_0'; write it as 0$"),
    (noise_std_value, "0_0.5", r"^must be written without underscores, got '0_0\.5'; write it as 0\.5$"),
    (positive_float, "1__0", r"^must be a positive number, got '1__0'$"),  # no number float reads
    # out of range unspelt: the range told (it said "a positive number", as for "fast")
    (positive_float, "0_0", r"^must be a finite number > 0, got 0_0$"),
    (noise_std_value, "1e1_6", r"^must be a number in \[0, 1e\+15\], got 1e1_6$"),
    (noise_std_value, "9_99e13", r"^must be a number in \[0, 1e\+15\], got 9_99e13$"),
    (noise_std_value, "1_000_000_000_000_000_0", r"^must be a number in \[0, 1e\+15\], got 1_000_000_000_000_000_0$"),
    (learning_rate, "1e3_00", r"^must be a number from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), got 1e3_00$"),
    # its most, the configuration's, refused here as its other values are
    (noise_std_value, "1e300", r"^must be a number in \[0, 1e\+15\], got 1e300$"),
    # an integer's digits grouped as Python writes them: the underscores are the fault (the rule
    # is met), told with the number without them; elsewhere (1_0e3, 0x_10) no number is read
    (positive_int, "1_0", r"^must be written without underscores, got '1_0'; write it as 10$"),
    (non_negative_int, "1_000", r"^must be written without underscores, got '1_000'; write it as 1000$"),
    (positive_int, "0_0", r"^must be a positive integer, got '0_0'$"),
    (positive_int, "1_0e3", r"^must be a positive integer, got '1_0e3'$"),
    (positive_int, "0x_10", r"^must be a positive integer, got '0x_10'$"),
    (noise_std_value, "-1e-9", r"^must be a finite number >= 0, got -1e-9$"),
    (noise_std_value, "inf", r"^must be a finite number >= 0, got inf$"),
    (noise_std_value, "nan", r"^must be a finite number >= 0, got nan$"),
    (noise_std_value, "", r"^must be a non-negative number, got ''$"),
    # int() and float() read any script's digits: --epochs ٣ trained 3 epochs, 1٣ (a stray key)
    # 13, a number no shell history shows as such; the CSV reader refuses them too
    (positive_int, "٣", r"^must be a positive integer in the digits 0-9, got '٣'; write it as 3$"),
    (positive_int, "1٣", r"^must be a positive integer in the digits 0-9, got '1٣'; write it as 13$"),
    (positive_int, " ３ ", r"^must be a positive integer in the digits 0-9, got ' ３ '; write it as 3$"),
    (non_negative_int, "１０", r"^must be a non-negative integer in the digits 0-9, got '１０'; write it as 10$"),
    (positive_float, "٠.٥", r"^must be a positive number in the digits 0-9, got '٠\.٥'; write it as 0\.5$"),
    (positive_float, "１e-3", r"^must be a positive number in the digits 0-9, got '１e-3'; write it as 1e-3$"),
    (noise_std_value, "٣", r"^must be a non-negative number in the digits 0-9, got '٣'; write it as 3$"),
    # no fix where the number in 0-9 breaks the rule too, nor for what is no number at all
    (positive_int, "٠", r"^must be a positive integer in the digits 0-9, got '٠'$"),
    (positive_float, "-٣", r"^must be a positive number in the digits 0-9, got '-٣'$"),
    (positive_float, "３．５", r"^must be a positive number, got '３．５'$"),
    (positive_int, "é", r"^must be a positive integer, got 'é'$"),
    # --resize: a side or none, each bad value with both fixes
    (resize_side, "0", r"^must be an integer from 1 to 4096 or none, got '0'; pass e\.g\. --resize 64, or --resize none for the images' own size$"),
    # below 1 quoted as typed, as every integer option quotes it: "00" was said as "got 0"
    (resize_side, "00", r"^must be an integer from 1 to 4096 or none, got '00'; pass e\.g\. --resize 64, or --resize none for the images' own size$"),
    (resize_side, "-1", r"^must be an integer from 1 to 4096 or none, got '-1'; pass e\.g\. --resize 64, or --resize none"),
    (resize_side, "nones", r"^must be a positive integer or none, got 'nones'; pass e\.g\. --resize 64, or --resize none for the images' own size$"),
    (resize_side, "", r"^must be a positive integer or none, got ''; pass e\.g\. --resize 64, or --resize none"),
    (resize_side, "1_4", r"^must be written without underscores, got '1_4'; write it as 14$"),
    (resize_side, "5_000", r"^must be an integer from 1 to 4096 or none, got '5_000', which is 5000; pass e\.g\. --resize 64, or --resize none"),
    (resize_side, "１４", r"^must be a positive integer or none in the digits 0-9, got '１４'; write it as 14$"),
    # an integer spelt otherwise, read as the integer options read it: its spelling in digits, or
    # more than --resize takes (4096); it was "must be a positive integer or none", no more
    (resize_side, "1e3", r"^must be a positive integer or none, got '1e3'; write it as 1000$"),
    (resize_side, "4096.0", r"^must be a positive integer or none, got '4096\.0'; write it as 4096$"),
    (resize_side, "1e4", r"^must be an integer from 1 to 4096 or none, got '1e4', which is 10000; pass e\.g\. --resize 64, or --resize none for the images' own size$"),
    (resize_side, "1e19", r"^must be an integer from 1 to 4096 or none, got '1e19', which is 10000000000000000000; pass e\.g\. --resize 64, or --resize none for the images' own size$"),
    (resize_side, "1e20", r"^must be an integer from 1 to 4096 or none, got '1e20'; pass e\.g\. --resize 64, or --resize none for the images' own size$"),
    (resize_side, "-1e3", r"^must be an integer from 1 to 4096 or none, got '-1e3'; pass e\.g\. --resize 64, or --resize none for the images' own size$"),
    # not "(. for this folder)": --data . is then refused as no .npz or .csv file
    (path_arg, "", r"^must be a path, got an empty string; pass the file or folder name the option takes$"),
    # a stray blank made a new folder "runs/a ", printed as "run folder: runs/a" (nothing of that
    # name is here, where the tests run)
    (path_arg, "runs/a ", r"^must not begin or end with whitespace \(unless a file or folder of that name exists\), got 'runs/a '; drop it: 'runs/a'$"),
    (path_arg, "\tfigure.png", r"^must not begin or end with whitespace .*, got \$'\\tfigure\.png'; drop it: 'figure\.png'$"),
    (path_arg, " ", r"^must not begin or end with whitespace .*, got ' '; pass the file or folder name the option takes$"),
]  # fmt: skip


@pytest.mark.parametrize(("convert", "text", "pattern"), REFUSED)
def test_values_that_break_the_rule_are_refused_naming_it(
    convert: Callable[[str], Any], text: str, pattern: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=pattern):
        convert(text)


@pytest.mark.parametrize("name", ["a ", " a", "a\t"])
def test_a_path_with_blanks_at_its_ends_is_taken_when_it_exists(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file or folder of that very name: what was typed, no typo to refuse."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).mkdir()
    assert path_arg(name) == Path(name)
    assert path_arg_for("a run folder", "--out runs/a")(name) == Path(name)


@pytest.mark.parametrize(
    ("what", "example", "fix"),
    [
        ("a .npz or .csv data file", "--data table.csv", "a .npz or .csv data file, e.g. --data table.csv"),
        ("the run folder to create", "--out runs/a", "the run folder to create, e.g. --out runs/a"),
        ("a folder holding the Fashion-MNIST files", "--data-dir data", "a folder holding the Fashion-MNIST files, e.g. --data-dir data"),
    ],
)  # fmt: skip
def test_an_option_names_the_path_it_wants_when_given_an_empty_one(
    what: str, example: str, fix: str
) -> None:
    """Through a real parser: argparse's own prefix names the option, the fix names its path."""
    option = example.split()[0]
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument(option, type=path_arg_for(what, example))
    assert getattr(parser.parse_args([option, "runs/a"]), option[2:].replace("-", "_")) == Path(
        "runs/a"
    )
    with pytest.raises(argparse.ArgumentError) as info:
        parser.parse_args([option, ""])
    assert str(info.value) == f"argument {option}: must be a path, got an empty string; pass {fix}"


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["linreg", "--data", ""], "a .npz or .csv data file, e.g. --data table.csv"),
        (["softmax", "--data", ""], "a .npz data file, e.g. --data train.npz"),
        (["softmax", "--out", ""], "a run folder, e.g. --out runs/a"),
        (["softmax", "--resume", ""], "the run folder to continue, e.g. --resume runs/a"),
        (["softmax", "--data-dir", ""], "the Fashion-MNIST files, e.g. --data-dir data"),
        (["data", "show", "--out", ""], "an image file, e.g. --out images.png"),
        (["data", "show", "--data-dir", ""], "the Fashion-MNIST files, e.g. --data-dir data"),
    ],
)
def test_each_command_line_path_option_asks_for_its_own_kind_of_path(
    argv: list[str], wanted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty path is refused with the kind of path the option takes, never "." (this folder)."""
    from linearnets.cli import main
    from linearnets.cli._parser import UsageExit

    with pytest.raises(UsageExit):
        main(argv)
    err = capsys.readouterr().err
    assert f"argument {argv[-2]}: must be a path, got an empty string; pass " in err
    assert f"{wanted} (see linearnets {' '.join(argv[:-2])} --help)" in err


@pytest.mark.parametrize("command", ["softmax", "linreg"])
def test_the_help_says_a_resume_keeps_the_runs_own_training_settings(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--epochs, --lr, --batch-size, --seed and --impl said "default: 10" and so on, and --resume
    "other options override its settings", yet a resume without them keeps the run's own (and a
    changed --seed is refused without --force). The oracle: a run made with other settings,
    resumed without them, records its own."""
    import json
    import re

    import numpy as np

    from linearnets.cli import build_parser, main

    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    said = " ".join(capsys.readouterr().out.split())
    for option in ("--impl", "--epochs", "--lr", "--batch-size", "--seed"):
        help_text = re.split(r" --(?!resume)[a-z-]+ ", said.split(f" {option} ", 1)[1])[0]
        assert "with --resume, the run's own" in help_text, option
    assert (
        "continue the run in RUN_DIR from its last checkpoint, with its own settings: an option "
        "left out keeps the run's, not the default shown; --epochs N goes on to epoch N, and "
        "another changed training setting needs --force"
    ) in said
    out, data = tmp_path / "run", tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    np.savez(data, X=rng.normal(size=(60, 4)).astype(np.float32), y=rng.integers(0, 2, size=60))
    first = ["--data", str(data), "--plot", "none"] if command == "softmax" else []
    mine = ["--impl", "concise", "--lr", "0.05", "--batch-size", "7", "--seed", "3"]
    assert main([command, *first, *mine, "--epochs", "3", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([command, "--resume", str(out), "--epochs", "4"]) == 0
    config = json.loads((out / "config.json").read_text())["config"]
    assert (config["impl"], config["lr"], config["batch_size"], config["seed"]) == (
        "concise",
        0.05,
        7,
        3,
    )
    assert config["epochs"] == 4
    capsys.readouterr()
    assert main([command, "--resume", str(out), "--seed", "4"]) == 2  # changed: needs --force
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "switches"),
    [
        ("softmax", ["--guard", "--no-guard"]),
        ("linreg", ["--no-guard", "--guard"]),
        ("linreg", ["--no-gu", "--epochs", "2", "--gua"]),
    ],
)
def test_guard_and_no_guard_on_one_line_are_refused_in_one_line_and_exits(
    command: str, switches: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``softmax --guard --no-guard`` recorded the guard off without a word: the last one won."""
    from linearnets.cli import main
    from linearnets.cli._parser import UsageExit

    with pytest.raises(UsageExit) as raised:
        main([command, *switches])
    assert raised.value.code == 2
    assert capsys.readouterr().err == (
        f"linearnets {command}: error: --guard and --no-guard were both given, and they "
        "contradict each other (the divergence guard on, and off); give one of them: --guard to "
        f"stop when the loss blows up, --no-guard not to (see linearnets {command} --help)\n"
    )


@pytest.mark.parametrize("switch", ["--guard", "--no-guard"])
def test_a_guard_switch_given_twice_is_taken_as_once(switch: str) -> None:
    """Repeated options take the last value (docs/cli.md), as an alias's may be overridden."""
    from linearnets.cli import build_parser

    args = build_parser().parse_args(["linreg", switch, "--epochs", "1", "--epochs", "2", switch])
    assert (args.guard, args.epochs) == (switch == "--guard", 2)


@pytest.mark.parametrize(
    "command", [["predict", "r"], ["data", "show"]], ids=["predict", "data show"]
)
@pytest.mark.parametrize("text", ["0", "-3", "101", "99999999999999999999"])
def test_an_n_out_of_range_is_refused_quoting_it_alike(
    command: list[str], text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "-n 0" and "-n -3" said "got 0" and "got -3", where "-n 101" and a 20-digit -n said
    "got '101'": each is quoted as typed now."""
    from linearnets.cli import main

    with pytest.raises(SystemExit) as info:
        main([*command, "-n", text])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert (
        f"error: argument -n: must be an integer from 1 to 100, got {text!r}; pass e.g. -n " in err
    )
