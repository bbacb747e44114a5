"""The checks of the command line around argparse's (:mod:`linearnets.cli._argv_checks`)."""

from __future__ import annotations

import pytest

from linearnets.cli import main


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["softmax", "--epochs", "0", "--help"], "usage: linearnets softmax "),
        (["softmax", "--help", "--epochs", "0"], "usage: linearnets softmax "),
        (["linreg", "--impl", "foo", "-h"], "usage: linearnets linreg "),
        (["data", "show", "-n", "0", "--he"], "usage: linearnets data show "),
        (["predict", "--wrong", "--nope", "--help"], "usage: linearnets predict "),
        (["--debug", "--epochs", "0", "--help"], "usage: linearnets "),
        (["--help", "softmax", "--epochs", "0"], "usage: linearnets [-h]"),
        (["--help", "sofmax"], "usage: linearnets [-h]"),
        # -h and -n glued, as argparse reads it: the help, -n given 3
        (["data", "show", "-hn", "3"], "usage: linearnets data show "),
        (["data", "show", "-hn3"], "usage: linearnets data show "),
        # data's own option value in the action's place is no action
        (["data", "--data-dir", "sho", "--help"], "usage: linearnets data [-h]"),
    ],
)
def test_help_anywhere_on_a_bad_line_is_printed_not_refused(
    argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``softmax --epochs 0 --help`` was told the --epochs error (exit 2) where ``softmax --help
    --epochs 0`` printed the help: -h/--help anywhere before ``--`` is its command's, as first."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out, err = capsys.readouterr()
    assert out.startswith(usage)
    assert err == ""


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["linreg", "--epochs", "0", "--", "--help"], "argument --epochs: must be a positive"),
        (["softmax", "--epochs", "0", "--help=1"], "argument --epochs: must be a positive"),
    ],
)
def test_help_after_dashes_or_given_a_value_leaves_the_bad_line_refused(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """After ``--`` a word is a value, not the help; ``--help=1`` is argparse's to refuse."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        # no -x: argparse refused -h given a value, not printed the help
        (
            ["softmax", "-hx"],
            "linearnets softmax: error: -h takes no value, got '-hx': write -h alone",
        ),
        (["data", "show", "-hx"], "-h takes no value, got '-hx': write -h alone"),
        # a mistyped command: its "did you mean", not linearnets' help
        (["sofmax", "--help"], "invalid choice: 'sofmax' (choose from"),
        (["sofmax", "-h"], "did you mean softmax?"),
        (["--json", "sofmax", "--help"], "did you mean softmax?"),
        # a mistyped action of data: its "write it in full", not data's help
        (["data", "sho", "--help"], "invalid choice: 'sho' (choose from 'show', 'download')"),
        (["data", "Show", "-h"], "write it in lower case: show"),
        (["data", "--data-dir", "d", "x", "-h"], "invalid choice: 'x'"),
    ],
)
def test_bad_glued_help_or_a_mistyped_command_before_help_is_refused(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``softmax -hx`` and ``sofmax --help`` printed a help (exit 0) once -h anywhere was the
    help: argparse's refusals, which name the mistake, stand."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert said in err + out  # --json: the error's object on stdout
    assert "usage:" not in out
