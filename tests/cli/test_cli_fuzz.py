"""Fuzz: any command line of a command's options ends in its result or in one readable line.

The options of ``linearnets linreg`` and ``linearnets softmax`` (on a small ``--data`` file), each
alone, with a value of the kind it takes or with junk (empty, negative, NaN, a control character),
in any order: the command exits 0 with its output, or non-zero with one line ``...: error: ...``
on stderr (besides warnings), never a traceback. A ``--json`` run ends with one JSON object.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linearnets.cli import main
from linearnets.data.files import DEBIAN_DIR

EXAMPLES = 200  # per property; the README's Reliability section counts them
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

JUNK = st.one_of(
    st.sampled_from(
        ["", "-1", "0", "-0.0", "nan", "inf", "-inf", "1e39", "1_0", "0x10", " 2", "--"]
    ),
    st.text(max_size=4),
)
LINREG_VALUES = {
    "--impl": ["scratch", "analytic", "concise"],
    "--epochs": ["1", "2", "3"],
    "--lr": ["0.03", "1", "1e6", "1e-30"],
    "--batch-size": ["1", "7", "10", "5000"],
    "--num-examples": ["1", "2", "50"],
    "--noise-std": ["0", "0.01", "100"],
    "--seed": ["0", "1", "2147483647", "2147483648"],
    "--threads": ["1", "2", "64"],
    "--data": ["d.npz", "missing.npz", ".", "bad.csv", "empty.npz"],
    "--no-guard": [],
    "--json": [],
}
SOFTMAX_VALUES = {
    "--impl": ["scratch", "concise", "analytic"],
    "--epochs": ["1", "2", "3"],
    "--lr": ["0.1", "1", "100", "1e6", "1e-30"],
    "--batch-size": ["1", "7", "60", "1000"],
    "--seed": ["0", "1", "2147483647", "2147483648"],
    "--threads": ["1", "2", "64"],
    "--resize": ["2", "28", "none", "None"],
    "--device": ["cpu", "cuda", "meta", "mps", "cuda:0", "auto"],
    "--plot": ["auto", "file", "none"],
    "--resume": ["done", "missing", "d.npz", "."],
    "--out": ["fresh", "done", "/dev/null", ".", "d.npz", "done/config.json"],
    "--data": ["d.npz", "missing.npz", ".", "bad.csv", "empty.npz"],
    "--data-dir": [".", "missing", "d.npz"],
    "--no-guard": [],
    "--force": [],
    "--json": [],
}
PREDICT_VALUES = {
    "-n": ["1", "8", "100", "101"],
    "--out": ["p.png", "p.svg", "p.txt", "/dev/null", ".", "fm", "fresh.png"],
    "--data-dir": [".", "missing", "d.npz"],
    "--lang": ["en", "zh"],
    "--wrong": [],
    "--json": [],
}
PREDICT_EXAMPLES = 40  # each reads the test set and may draw 100 images: ~0.5 s
_fresh = itertools.count()  # a new folder name per run: "--out run3"


def _words(values: dict[str, list[str]]) -> st.SearchStrategy[list[str]]:
    """Return command-line words: options, each with a value of its kind, alone or with junk."""

    def given(option: str) -> st.SearchStrategy[list[str]]:
        kind = st.sampled_from(values[option] or [""]).map(lambda v: [option, v] if v else [option])
        # a value of its kind most often: a command line that runs goes further than the parser
        return st.one_of(kind, kind, kind, kind, JUNK.map(lambda v: [option, v]), st.just([option]))

    pairs = st.lists(st.sampled_from(sorted(values)).flatmap(given), max_size=4)
    return pairs.map(lambda words: [w for pair in words for w in pair])


def _data_files(folder: Path) -> None:
    """Write the files the options name beside ``d.npz``: a CSV of text and an empty .npz."""
    (folder / "bad.csv").write_text("a,b\n1,x\n")
    (folder / "empty.npz").write_bytes(b"")


def _check_outcome(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Run ``linearnets ARGV``: exit 0 with no error line (a JSON object last with --json), or
    non-zero with one error line on stderr; never a traceback."""
    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, (argv, err)
    lines = [line for line in err.splitlines() if not line.startswith("linearnets: warning:")]
    if status == 0:
        assert not lines, (argv, err)
        if "--json" in argv:
            assert isinstance(json.loads(out.splitlines()[-1]), dict), (argv, out)
    else:
        assert len(lines) == 1 and ": error: " in lines[0], (argv, status, err)


@FUZZ
@given(words=_words(LINREG_VALUES))
def test_any_linreg_command_line(
    words: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    blobs_npz: Path,
) -> None:
    monkeypatch.chdir(blobs_npz.parent)
    _data_files(blobs_npz.parent)
    _check_outcome(["linreg", "--num-examples", "50", *words], capsys)


@FUZZ
@given(words=_words(SOFTMAX_VALUES))
def test_any_softmax_command_line(
    words: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    blobs_npz: Path,
) -> None:
    monkeypatch.chdir(blobs_npz.parent)
    _data_files(blobs_npz.parent)
    if not (blobs_npz.parent / "done").exists():  # a finished run, for --resume and --out
        assert main(["softmax", "--data", "d.npz", "--plot", "none", "--epochs", "1",
                     "--out", "done"]) == 0  # fmt: skip
    words = [f"run{next(_fresh)}" if word == "fresh" else word for word in words]
    argv = ["softmax", "--data", "d.npz", "--plot", "none", "--epochs", "2"]
    _check_outcome([*argv, "--out", f"run{next(_fresh)}", *words], capsys)


@pytest.fixture(scope="module")
def fashion_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-epoch Fashion-MNIST run folder, ``fm``, beside a softmax run on a ``--data`` file."""
    if not DEBIAN_DIR.is_dir():
        pytest.skip("needs the real Fashion-MNIST (Debian package)")
    folder = tmp_path_factory.mktemp("predict")
    assert main(["softmax", "--epochs", "1", "--plot", "none", "--out", str(folder / "fm")]) == 0
    return folder


@settings(FUZZ, max_examples=PREDICT_EXAMPLES)
@given(
    run=st.sampled_from(["fm", "fm", "fm", "fm", "missing", "d.npz", "", "fm/model.pt", "-n"]),
    words=_words(PREDICT_VALUES),
)
def test_any_predict_command_line(
    run: str,
    words: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fashion_run: Path,
) -> None:
    monkeypatch.chdir(fashion_run)
    (fashion_run / "d.npz").write_bytes(b"")
    words = [f"run{next(_fresh)}.png" if word == "fresh.png" else word for word in words]
    _check_outcome(["predict", run, *words], capsys)
