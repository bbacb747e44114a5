"""``linearnets softmax`` options reach the run, and what it prints is the run's result."""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import linearnets as ln
from linearnets.cli import UsageExit, main
from linearnets.errors import UsageError

from ._rank_env import as_rank_1


@pytest.fixture
def npz(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 6)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)  # 3 classes, learnable
    np.savez(tmp_path / "d.npz", X=X[:100], y=y[:100], X_test=X[100:], y_test=y[100:])
    return tmp_path / "d.npz"


def test_every_option_reaches_the_run(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from linearnets.config import SoftmaxConfig
    from linearnets.tasks.softmax import run_softmax

    run = tmp_path / "cli"
    assert main(["softmax", "--data", str(npz), "--impl", "concise", "--epochs", "2", "--lr",
                 "0.05", "--batch-size", "16", "--seed", "3", "--threads", "1", "--plot", "none",
                 "--device", "cpu", "--no-guard", "--out", str(run), "--json"]) == 0  # fmt: skip
    given = {"data": str(npz), "impl": "concise", "epochs": 2, "lr": 0.05, "batch_size": 16,
             "seed": 3, "num_threads": 1, "plot": "none", "device": "cpu", "guard": False}  # fmt: skip
    saved = json.loads((run / "config.json").read_text())["config"]
    assert {k: saved[k] for k in given} == given and saved["out"] == str(run)
    assert not list(run.glob("*.png"))  # --plot none
    # the same run through the Python API: bit-identical at one thread
    api = run_softmax(SoftmaxConfig(**{**given, "data": npz}, out=tmp_path / "api"))
    ours = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    theirs = torch.load(api.run_dir / "model.pt", weights_only=True)["state_dict"]
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["epochs"] == 2 and summary["impl"] == "concise"
    # docs/cli.md lists its keys: all of them, and no other
    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    listed = " ".join(docs.split("softmax's holds ", 1)[1].split(". linreg's is listed")[0].split())
    assert set(re.findall(r"`(\w+)`", listed)) == set(summary)
    assert summary["test_acc"] == api.history.last.test_acc
    # the text report says the same as the JSON
    assert lines[-5] == f"data: {summary['data_source']}"
    assert lines[-4].startswith(
        f"final: train loss {summary['train_loss']:.4f}, train acc {summary['train_acc']:.3f}, "
        f"test acc {summary['test_acc']:.3f}, "
    )
    # one process: the line ends with the time, not "on N processes"
    assert lines[-4].endswith(f", {summary['seconds_per_epoch']:.3f} s/epoch")
    # three classes scored apart: the two below the best are the hardest, not all three
    ranked = sorted(summary["per_class_acc"].items(), key=lambda kv: kv[1])
    assert len(ranked) == 3 and len({a for _, a in ranked}) == 3
    assert lines[-3] == "hardest classes (test accuracy): " + ", ".join(
        f"class {c}: {a:.3f}" for c, a in ranked[:2]
    )
    assert lines[-2] == f"run folder: {run}"


def test_guard_and_no_guard_are_kept_by_a_resume_until_given_again(
    npz: Path, tmp_path: Path
) -> None:
    """A run trained with --no-guard stayed unguarded for every resume: --guard turns it back on,
    without --force."""
    run = tmp_path / "run"

    def guard() -> bool:
        return bool(json.loads((run / "config.json").read_text())["config"]["guard"])

    common = ["--plot", "none", "--device", "cpu"]
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--no-guard", "--out", str(run),
                 *common]) == 0  # fmt: skip
    assert main(["softmax", "--resume", str(run), "--epochs", "2", *common]) == 0
    assert not guard()
    assert main(["softmax", "--resume", str(run), "--epochs", "3", "--guard", *common]) == 0
    assert guard()
    assert main(["softmax", "--resume", str(run), "--epochs", "4", *common]) == 0
    assert guard()


def test_without_a_test_set_the_test_accuracy_is_na(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=(X[:, 0] > 0).astype(int))
    assert main(["softmax", "--data", str(tmp_path / "d.npz"), "--epochs", "1", "--plot", "none",
                 "--out", str(tmp_path / "run")]) == 0  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    final = [line for line in out if line.startswith("final: ")]
    assert len(final) == 1 and ", test acc n/a, " in final[0]
    assert not any(line.startswith("hardest class") for line in out)  # no class was scored


@pytest.mark.parametrize("where", ["logger.close", "shutdown_distributed"])
def test_a_ctrl_c_in_the_clean_up_after_the_run_says_the_run_is_complete(
    npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    """The run had returned; a signal in the clean-up before the summary (1-2 ms) printed a bare
    "interrupted", and with --json an error object after a complete run's."""
    from linearnets.training import callbacks, distributed

    run = tmp_path / "run"

    def interrupted(*args: object) -> None:
        if (run / "results.json").exists():  # the logger is closed at the end of fit too
            raise KeyboardInterrupt

    if where == "logger.close":
        monkeypatch.setattr(callbacks.ConsoleLogger, "close", interrupted)
    else:
        monkeypatch.setattr(distributed, "shutdown_distributed", interrupted)
    argv = ["softmax", "--data", str(npz), "--epochs", "1", "--plot", "none", "--out", str(run)]
    assert main([*argv, "--json"]) == 130
    out, err = capsys.readouterr()
    assert err.splitlines()[-1] == (
        f"linearnets softmax: interrupted by SIGINT after the run finished: its results are "
        f"complete in {run}"
    )
    (answer,) = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert answer["error"] == err.splitlines()[-1].removeprefix("linearnets softmax: ")
    assert (run / "results.json").is_file()


def test_an_interrupt_python_dropped_is_delivered_again(
    npz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C whose KeyboardInterrupt was raised inside a weakref callback was printed as
    "Exception ignored in ..." with a traceback and dropped: the command went on as if it had never
    come. It is now sent again, and stops the command where it can."""
    import weakref

    from linearnets.cli import softmax as cli_softmax

    def dropped_then_settings(*args: object) -> None:
        class Thing:
            pass

        def callback(_: object) -> None:
            raise KeyboardInterrupt  # as the default SIGINT handler raises it there

        thing = Thing()
        _ref = weakref.ref(thing, callback)
        del thing  # the callback runs: its KeyboardInterrupt is unraisable
        # the signal is sent again, and raised here, in a moment: a millisecond on a quiet machine,
        # but the thread sending it may wait its turn on a loaded one (1 s was too short, 2 runs in 24)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.001)
        raise AssertionError("the interrupt was dropped")

    monkeypatch.setattr(cli_softmax, "check_resume_options", dropped_then_settings)
    run = tmp_path / "run"
    code = main(["softmax", "--data", str(npz), "--plot", "none", "--out", str(run)])
    err = capsys.readouterr().err
    assert code == 130 and "Exception ignored" not in err and "Traceback" not in err
    # before any run began: the signal named, as every stop names it (it said "interrupted"),
    # and what to do, as any stop before training says
    assert err.splitlines()[-1] == (
        "linearnets softmax: interrupted by SIGINT before training began; nothing was trained or "
        "kept: run the same command again"
    )
    assert not run.exists()


def test_an_interrupt_on_another_rank_exits_130_silently(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under torchrun a rank other than 0 stops with 130 as rank 0 does, and leaves the saying to it."""
    import linearnets.cli.linreg as linreg_cmd

    as_rank_1(monkeypatch, launched=True)
    monkeypatch.setattr("linearnets.cli._ranks.let_rank_0_speak", lambda seconds=2.0: False)

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(linreg_cmd, "run", interrupted)
    assert main(["linreg"]) == 130
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["softmax", "--out", ""],
        ["softmax", "--data", ""],
        ["softmax", "--data-dir", ""],
        ["softmax", "--resume", ""],
        ["linreg", "--data", ""],
        ["data", "--data-dir", ""],
        ["data", "show", "--out", ""],
    ],
)
def test_an_empty_path_is_refused_not_taken_for_this_folder(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert f"argument {argv[-2]}: must be a path, got an empty string" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written into the working folder


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("--impl", "bogus", "invalid choice: 'bogus'"),
        ("--plot", "bogus", "invalid choice: 'bogus'"),
        ("--epochs", "0", "must be a positive integer (>= 1), got '0'"),
        ("--batch-size", "0", "must be a positive integer (>= 1), got '0'"),
        ("--seed", "-1", "must be an integer from 0 to 2147483647, got '-1'"),
        ("--threads", "0", "must be an integer from 1 to 1024, got '0'"),
        ("--resize", "0", "must be an integer from 1 to 4096 or none, got '0'"),
        (
            "--resize",
            "x",
            "must be a positive integer or none, got 'x'; pass e.g. --resize 64, "
            "or --resize none for the images' own size",
        ),
        ("--lr", "nan", "must be a finite number > 0, got nan"),
    ],
)
def test_a_bad_value_is_refused_while_parsing(
    option: str, value: str, rule: str, npz: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's exit 2 naming the option, before any run starts (main returns nothing)."""
    with pytest.raises(SystemExit) as info:
        main(["softmax", "--data", str(npz), option, value])
    assert info.value.code == 2
    assert f"linearnets softmax: error: argument {option}: {rule}" in capsys.readouterr().err


@pytest.mark.parametrize("word", ["none", "None", "NONE", " none"])
def test_resize_none_is_given_as_no_resize(
    word: str, npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The messages print a resize of None as "none (28×28)", yet --resize none was refused as no
    positive integer: it is resize=None, given (a resume tells it from --resize left out, which
    keeps the run's resize), and a new run trains as one without --resize."""
    from linearnets.cli import build_parser
    from linearnets.cli.softmax import _given

    assert _given(build_parser().parse_args(["softmax", "--resize", word])) == {"resize": None}
    assert "resize" not in _given(build_parser().parse_args(["softmax"]))
    settings = ["--data", str(npz), "--epochs", "1", "--plot", "none", "--device", "cpu"]
    runs = {}
    for name, resize in (("given", ["--resize", word]), ("left-out", [])):
        runs[name] = tmp_path / name
        assert main(["softmax", *settings, *resize, "--out", str(runs[name])]) == 0
    assert json.loads((runs["given"] / "config.json").read_text())["config"]["resize"] is None
    ours, theirs = (torch.load(run / "model.pt", weights_only=True) for run in runs.values())
    assert ours["resize"] is None and torch.equal(
        ours["state_dict"]["W"], theirs["state_dict"]["W"]
    )


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").is_dir(),
    reason="needs the real Fashion-MNIST (Debian package)",
)
def test_data_dir_resize_and_threads_reach_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The options test_every_option_reaches_the_run cannot give with an .npz file, or gives at their
    default: the images resized to 14×14 make a (196, 10) weight matrix."""
    root, run = "/usr/share/datasets/fashion-mnist", tmp_path / "run"
    assert main(["softmax", "--data-dir", root, "--resize", "14", "--threads", "2", "--epochs",
                 "1", "--batch-size", "1024", "--plot", "none", "--out", str(run)]) == 0  # fmt: skip
    saved = json.loads((run / "config.json").read_text())["config"]
    assert (saved["data_dir"], saved["resize"], saved["num_threads"]) == (root, 14, 2)
    state = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    assert state["W"].shape == (14 * 14, 10)
    assert capsys.readouterr().out.splitlines()[-1] == f"run folder: {run}"


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").is_dir(),
    reason="needs the real Fashion-MNIST (Debian package)",
)
def test_a_relative_data_dir_in_config_json_is_refused_with_the_folder_it_would_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A "data_dir": "fm" written by hand in a --data-dir run's config.json, resumed from another
    folder, was read there: from one holding an fm the run went on with that folder's files, from
    one without it was refused as "--data-dir must be an existing folder", an option never given.
    It is refused naming the key, the rule (a run writes the folder absolute), the value and
    where it would be read; --data-dir DIR resumes, and writes it back absolute."""
    root = "/usr/share/datasets/fashion-mnist"
    run = tmp_path / "run"
    common = ["--plot", "none", "--device", "cpu", "--batch-size", "1024"]
    assert main(["softmax", "--data-dir", root, "--epochs", "1", "--out", str(run), *common]) == 0
    saved = json.loads((run / "config.json").read_text())
    assert saved["config"]["data_dir"] == root  # what a run writes: absolute
    saved["config"]["data_dir"] = "fm"
    (run / "config.json").write_text(json.dumps(saved))
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "fm").mkdir(parents=True)  # another copy here: still not the run's folder
    for path in Path(root).glob("*.gz"):
        (elsewhere / "fm" / path.name).symlink_to(path)
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["softmax", "--resume", "../run", "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        "linearnets softmax: error: ../run/config.json: its 'config' section's 'data_dir' must be "
        "an absolute path (a run writes the Fashion-MNIST folder it trained on as one), got the "
        'string "fm", a relative path, which a resume would look for in the current folder, as '
        f"{elsewhere / 'fm'}; write the folder's absolute path there (or null, to search the "
        "usual places), or pass --data-dir DIR to resume on the files in that folder\n"
    )
    assert json.loads((run / "config.json").read_text())["resumes"] == []  # none recorded
    assert main(["softmax", "--resume", "../run", "--epochs", "2", "--data-dir", root]) == 0
    assert json.loads((run / "config.json").read_text())["config"]["data_dir"] == root


def test_data_given_from_another_folder_is_recorded_without_dot_dot_and_resumed_from_anywhere(
    npz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """linearnets softmax --data ../d.npz, in tmp/sub, recorded tmp/sub/../d.npz in config.json
    and results.json and printed it in its data line: it is tmp/d.npz, as linreg records its
    file. A resume from another folder finds it; an older run's record with ".." resumes too, and
    is written back without it."""
    run = tmp_path / "run"
    (tmp_path / "sub").mkdir()
    (tmp_path / "elsewhere" / "deeper").mkdir(parents=True)
    settings = ["--plot", "none", "--device", "cpu", "--threads", "1", "--json"]
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["softmax", "--data", "../d.npz", "--epochs", "1", "--out", str(run), *settings]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    source = f"{npz} (100 examples, 6 features, 3 classes, 50 test examples)"
    assert lines[-5] == f"data: {source}" and json.loads(lines[-1])["data_source"] == source
    saved = json.loads((run / "config.json").read_text())
    assert (saved["config"]["data"], saved["data_source"]) == (str(npz), source)
    assert json.loads((run / "results.json").read_text())["data_source"] == source
    monkeypatch.chdir(tmp_path / "elsewhere" / "deeper")
    assert main(["softmax", "--resume", "../../run", "--epochs", "2"]) == 0
    assert json.loads((run / "config.json").read_text())["config"]["data"] == str(npz)
    # an older run's record: tmp/sub/../d.npz, the same file
    saved = json.loads((run / "config.json").read_text())
    saved["config"]["data"] = str(tmp_path / "sub" / ".." / "d.npz")
    (run / "config.json").write_text(json.dumps(saved))
    capsys.readouterr()
    assert main(["softmax", "--resume", "../../run", "--epochs", "3"]) == 0
    assert "warning" not in capsys.readouterr().err.lower()  # no setting changed: none forced
    saved = json.loads((run / "config.json").read_text())
    assert (saved["config"]["data"], saved["resumes"][-1]["forced"]) == (str(npz), {})


@pytest.mark.parametrize(
    ("key", "value", "written"),
    [("data_dir", "fm", '"fm"'), ("resize", 14, "14"), ("data", "", None)],
    ids=["data_dir", "resize", "empty-data"],
)
def test_a_fashion_mnist_setting_edited_into_a_data_files_runs_config_json_is_named_so(
    npz: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    key: str,
    value: Any,
    written: str | None,
) -> None:
    """A "data_dir" (or "resize") written by hand beside a --data run's file was refused as
    "--data-dir finds Fashion-MNIST, got --data-dir /cwd/fm with --data d.npz, which replaces it;
    drop one of them": options never passed, the path made absolute. It is named as the file
    holds it, with the rule and the fix (the run trained on the file: the key back to null),
    the same from Python. "data": "" was this folder ("trained on --data /cwd"): a value no run
    takes."""
    run = tmp_path / "run"
    settings = ["--plot", "none", "--device", "cpu", "--threads", "1"]
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--out", str(run), *settings]) == 0
    path = run / "config.json"
    saved = json.loads(path.read_text())
    saved["config"][key] = value
    path.write_text(json.dumps(saved))
    rebuilt = (
        "delete config.json: a resume rebuilds it from checkpoint.pt, with the settings the run "
        "was trained with, but not the record of earlier resumes, nor your own notes, nor a value "
        "forced since that checkpoint (pass it again)"
    )
    if written is None:
        said = (
            f"{path}: its 'config' section holds a value no run takes (data must be a non-empty "
            f'path or null, got ""); correct it, or {rebuilt}'
        )
    else:
        said = (
            f'{path}: its \'config\' section holds "data": "{npz}" beside "{key}": {written}, '
            'which no run records together (a run on a data file records "resize" and "data_dir" '
            f'as null: they apply to Fashion-MNIST only); set "{key}" to null, as the run was '
            f'trained on the file (its "data_sha256" records the file\'s content), or {rebuilt}'
        )
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == f"linearnets softmax: error: {said}\n"
    with pytest.raises(UsageError) as info:
        ln.resume_softmax(run, epochs=2)
    assert str(info.value) == said
    saved["config"][key] = None if key != "data" else str(npz)
    path.write_text(json.dumps(saved))
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0


def test_the_run_folder_is_recorded_absolute_and_printed_as_given(
    npz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out ../run, in tmp/sub, was recorded as "../run": config.json's out and results.json's
    run_dir (the --json object) named another folder once read from elsewhere. They hold tmp/run;
    the "run folder:" line, for the shell the command was typed in, names it as given. The default
    folder, recorded as null, is recorded so too; an older run's relative out is resumed."""
    run, absolute = tmp_path / "run", str(tmp_path / "run")
    (tmp_path / "sub").mkdir()
    (tmp_path / "elsewhere").mkdir()
    settings = ["--data", str(npz), "--plot", "none", "--device", "cpu", "--threads", "1", "--json"]
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["softmax", *settings, "--epochs", "1", "--out", "../run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == "run folder: ../run" and json.loads(lines[-1])["run_dir"] == absolute
    assert json.loads((run / "config.json").read_text())["config"]["out"] == absolute
    assert json.loads((run / "results.json").read_text())["run_dir"] == absolute
    # an older run's record, relative: nothing reads it back, the resume writes the folder anew
    saved = json.loads((run / "config.json").read_text())
    saved["config"]["out"] = "../run"
    (run / "config.json").write_text(json.dumps(saved))
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["softmax", "--resume", "../run", "--epochs", "2", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2] == "run folder: ../run" and json.loads(lines[-1])["run_dir"] == absolute
    assert json.loads((run / "config.json").read_text())["config"]["out"] == absolute
    assert json.loads((run / "results.json").read_text())["run_dir"] == absolute
    # the default folder, runs/softmax-IMPL-TIME here
    assert main(["softmax", *settings, "--epochs", "1"]) == 0
    (default,) = (tmp_path / "elsewhere" / "runs").iterdir()
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["run_dir"] == str(default)
    assert json.loads((default / "config.json").read_text())["config"]["out"] == str(default)


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").is_dir(),
    reason="needs the real Fashion-MNIST (Debian package)",
)
def test_a_data_dir_given_from_another_folder_is_recorded_without_dot_dot_its_link_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data-dir ../fm, in tmp/sub, recorded tmp/sub/../fm; fm, a link to the real folder, is
    kept as named. The run resumed from another folder reads the same files."""
    fm, run = tmp_path / "fm", tmp_path / "run"
    fm.symlink_to("/usr/share/datasets/fashion-mnist")
    (tmp_path / "sub").mkdir()
    (tmp_path / "elsewhere").mkdir()
    common = ["--plot", "none", "--device", "cpu", "--batch-size", "1024"]
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["softmax", "--data-dir", "../fm", "--epochs", "1", "--out", str(run), *common]) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[-4] == f"data: --data-dir {fm}"
    saved = json.loads((run / "config.json").read_text())
    assert (saved["config"]["data_dir"], saved["data_source"]) == (str(fm), f"--data-dir {fm}")
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["softmax", "--resume", "../run", "--epochs", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["data_source"] == f"--data-dir {fm}"
    # given to a resume with "..", it is written so too: the same folder, no change
    assert main(["softmax", "--resume", "../run", "--epochs", "3", "--data-dir", "../sub/../fm"]) == 0  # fmt: skip
    assert json.loads((run / "config.json").read_text())["config"]["data_dir"] == str(fm)


def test_a_misspelt_top_level_section_is_refused_naming_it_and_notes_are_kept(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A "config" section misspelt "confg" was said as "is not a linearnets run config (it has no
    'config' section)", of a file holding the run's environment and resumes; a "resume" for
    "resumes" went unread, and the resume wrote the file without it, the record of the run's
    resumes lost. Both are refused naming the key and the one it likely meant. A note of one's
    own ("notes") is read past, and the resume writes it back, where it dropped it."""
    run = tmp_path / "run"
    common = ["--plot", "none", "--device", "cpu"]
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--out", str(run), *common]) == 0
    path = run / "config.json"
    saved = json.loads(path.read_text())
    capsys.readouterr()
    fix = (
        "delete config.json alone (not the folder), or restore it from a copy of the run: the "
        "run's weights (model.pt) do not need it; "
        f"linearnets softmax --resume {run} rebuilds it from checkpoint.pt (without the record of "
        "earlier resumes or your notes)"
    )
    path.write_text(json.dumps({**{k: v for k, v in saved.items() if k != "config"}, "confg": saved["config"]}))  # fmt: skip
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {path} has no 'config' section (the run's settings), but "
        f"keys no run writes: 'confg' (did you mean 'config'?); name the settings 'config' "
        f"again, or {fix}\n"
    )
    path.write_text(json.dumps({**saved, "resume": saved["resumes"]}))
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: {path}: a top-level key must be a section a run writes, or "
        "a note of your own named unlike any of them, got 'resume' (did you mean 'resumes'?), "
        f"which would go unread; correct it, or {fix}\n"
    )
    path.write_text(json.dumps({**saved, "notes": "lr 0.1, the book's"}))
    assert main(["softmax", "--resume", str(run), "--epochs", "2", *common]) == 0
    resumed = json.loads(path.read_text())
    assert resumed["notes"] == "lr 0.1, the book's" and len(resumed["resumes"]) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "elsewhere"], "--out cannot be combined with --resume: the run continues in "),
        (["--force"], "--force only applies with --resume RUN_DIR; drop --force"),
    ],
    ids=["out-with-resume", "force-without-resume"],
)
def test_resume_options_that_contradict_each_other_are_refused(
    extra: list[str], message: str, npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--plot", "none",
                 "--out", str(run)]) == 0  # fmt: skip
    capsys.readouterr()
    resume = ["--resume", str(run)] if extra[0] == "--out" else ["--data", str(npz)]
    assert main(["softmax", *resume, *extra]) == 2
    assert capsys.readouterr().err.startswith(f"linearnets softmax: error: {message}")
    assert json.loads((run / "results.json").read_text())["epochs"] == 1  # the run is untouched


def test_a_device_that_does_not_exist_is_refused(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["softmax", "--data", str(npz), "--device", "bogus", "--plot", "none",
                 "--out", str(tmp_path / "run")]) == 2  # fmt: skip
    assert capsys.readouterr().err == (
        "linearnets softmax: error: --device must be one of auto, cpu, cuda, cuda:N, mps, got "
        "'bogus'; pass e.g. --device auto\n"
    )
    assert not (tmp_path / "run").exists()


def test_a_device_with_a_blank_is_told_to_drop_it(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["softmax", "--data", str(npz), "--device", "cpu ", "--plot", "none",
                 "--out", str(tmp_path / "run")]) == 2  # fmt: skip
    assert capsys.readouterr().err == (
        "linearnets softmax: error: --device must be one of auto, cpu, cuda, cuda:N, mps, got "
        "'cpu '; drop the blank: pass --device cpu\n"
    )
    assert not (tmp_path / "run").exists()


def test_the_device_comes_from_the_command_line_else_from_the_run_resumed(
    npz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.tasks.softmax

    asked: list[tuple[str, int]] = []
    resolve = linearnets.tasks.softmax.resolve_device

    def recording(name: str, *, local_rank: int) -> torch.device:
        asked.append((name, local_rank))
        return resolve(name, local_rank=local_rank)

    monkeypatch.delenv("LOCAL_RANK", raising=False)
    # where the command resolves it (device_for_group), before it joins any group
    monkeypatch.setattr(linearnets.tasks.softmax, "resolve_device", recording)
    run = tmp_path / "run"
    common = ["--plot", "none", "--threads", "1"]
    assert main(["softmax", "--data", str(npz), "--epochs", "1", *common, "--out", str(run)]) == 0
    assert main(["softmax", "--resume", str(run), "--epochs", "2", "--device", "cpu", *common]) == 0
    assert main(["softmax", "--resume", str(run), "--epochs", "3", *common]) == 0  # as last asked
    # the default, then the option given, then the one the run was last resumed with
    assert asked == [("auto", 0), ("cpu", 0), ("cpu", 0)]


@pytest.mark.parametrize(("threads", "noted"), [("2", True), ("1", False)])
def test_resuming_with_other_threads_notes_it_is_no_longer_bit_exact(
    threads: str, noted: bool, npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    common = ["--plot", "none"]
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--threads", "1", *common,
                 "--out", str(run)]) == 0  # fmt: skip
    capsys.readouterr()
    assert (
        main(["softmax", "--resume", str(run), "--epochs", "2", "--threads", threads, *common]) == 0
    )
    note = (
        f"linearnets: note: resumed with --threads {threads}, where the run last ran with 1: it "
        "matches an uninterrupted run to rounding, not bit for bit (resume with --threads 1 for "
        "that)\n"
    )
    out, err = capsys.readouterr()
    assert (note in err) is noted and "note:" not in out


def test_a_class_missing_from_the_test_set_is_null_and_not_among_the_hardest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its accuracy is 0/0 (NaN): standard JSON has no NaN, and it is no "hardest" class."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 4)).astype(np.float32)
    y = np.arange(150) % 5  # five classes to train on
    test = y[100:] != 2  # the test set has none of class 2
    np.savez(tmp_path / "d.npz", X=X[:100], y=y[:100], X_test=X[100:][test], y_test=y[100:][test])
    assert main(["softmax", "--data", str(tmp_path / "d.npz"), "--epochs", "1", "--plot", "none",
                 "--out", str(tmp_path / "run"), "--json"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()

    def refuse(word: str) -> None:
        raise AssertionError(f"{word} is not standard JSON")

    assert sum(line.startswith("epoch 1, loss ") for line in lines) == 1  # the logger was given
    per_class = json.loads(lines[-1], parse_constant=refuse)["per_class_acc"]
    assert len(per_class) == 5 and list(per_class.values())[2] is None
    scored = sorted(((c, a) for c, a in per_class.items() if a is not None), key=lambda kv: kv[1])
    assert len(scored) == 4  # the three lowest of the four scored are shown
    assert lines[-3] == "hardest classes (test accuracy): " + ", ".join(
        f"class {c}: {a:.3f}" for c, a in scored[:3]
    )


NAN = float("nan")


@pytest.mark.parametrize(
    ("accuracies", "line"),
    [
        ({"a": 0.9, "b": 0.5, "c": 0.7}, "hardest classes (test accuracy): b 0.500, c 0.700"),
        ({"a": 0.8, "b": 0.6}, "hardest class (test accuracy): b 0.600"),
        (
            {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.9},
            "hardest class (test accuracy): d 0.900",
        ),  # ties at the top
        (
            {"a": NAN, "b": 0.5, "c": 0.9},
            "hardest class (test accuracy): b 0.500",
        ),  # a: no test example
        (  # ties below: in class order
            {"a": 0.5, "b": 0.5, "c": 0.9, "d": 0.5, "e": 0.5},
            "hardest classes (test accuracy): a 0.500, b 0.500, d 0.500",
        ),
        (
            {str(c): 1 - c / 20 for c in range(10)},
            "hardest classes (test accuracy): class 9: 0.550, class 8: 0.600, class 7: 0.650",
        ),  # a --data file without class names: "9 0.550" read as two numbers
        (
            {"t-shirt/top": 0.8, "shirt": 0.6, "bag": 0.9},
            "hardest classes (test accuracy): shirt 0.600, t-shirt/top 0.800",
        ),  # Fashion-MNIST's names as they were
        ({"a": 0.7, "b": 0.7}, None),  # none harder than another
        ({"a": 0.7}, None),
        ({"a": 0.7, "b": NAN}, None),
    ],
)
def test_the_hardest_classes_are_those_below_the_best_at_most_three(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    accuracies: dict[str, float],
    line: str | None,
) -> None:
    """With 3 classes or fewer the 3 lowest were every class, the best among them."""
    from linearnets.cli.softmax import _print_summary
    from linearnets.config import SoftmaxConfig
    from linearnets.tasks.training_run import SoftmaxResult
    from linearnets.training.distributed import DistContext
    from linearnets.training.history import EpochMetrics, History

    result = SoftmaxResult(
        config=SoftmaxConfig(),
        history=History([EpochMetrics(1, 0.5, 0.8, 0.6, 0.7, 0.25)]),
        run_dir=tmp_path,
        seconds_per_epoch=0.25,
        data_source="d.npz",
        per_class_acc=list(accuracies.values()),
        classes=list(accuracies),
    )
    _print_summary(result, DistContext(), as_json=False)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "data: d.npz" and printed[1].startswith("final: train loss 0.5000, ")
    assert printed[2:] == ([] if line is None else [line]) + [f"run folder: {tmp_path}"]


def test_force_lets_a_resumed_run_change_a_setting_that_changes_its_result(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--lr", "0.1", "--plot", "none",
                 "--out", str(run)]) == 0  # fmt: skip
    changed = ["softmax", "--resume", str(run), "--epochs", "2", "--lr", "0.2"]
    assert main(changed) == 2
    assert "error: --lr changed from 0.1 to 0.2 since the run in" in capsys.readouterr().err
    assert main([*changed, "--force"]) == 0
    saved = json.loads((run / "config.json").read_text())
    assert (saved["config"]["lr"], saved["config"]["epochs"]) == (0.2, 2)
    assert saved["resumes"][-1]["forced"] == {"lr": ["0.1", "0.2"]}


def test_a_data_warning_is_one_line_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Test labels the training set never has: allowed, said once on one line (no source line)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=rng.integers(0, 2, size=40), X_test=X[:8],
             y_test=np.array([0, 1, 2, 2, 0, 1, 0, 1]))  # fmt: skip
    out = tmp_path / "run"
    args = ["softmax", "--data", str(tmp_path / "d.npz"), "--epochs", "1", "--plot", "none"]
    assert main([*args, "--out", str(out)]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warned == [
        f"linearnets: warning: {tmp_path / 'd.npz'}: y_test holds labels that y never has (2; "
        "y's go up to 1): the model cannot learn those classes, so their examples mostly count as "
        "mistakes; if the two sets were numbered apart, number their original labels with "
        "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1], both together "
        "(numbered apart, a class one lacks shifts the other's numbers): its first len(y) "
        "numbers are y's, the rest y_test's"
    ]


def test_a_non_finite_loss_on_a_data_file_names_lr_not_nan_in_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file's reader refuses NaN and inf features: a NaN loss after an update at lr 1e36 (the
    weights overflow float32, and the scores with them) is the lr's doing, not the data's. It was
    told to "check the data holds no NaN or inf" too."""
    import numpy as np

    X = (np.random.default_rng(0).normal(size=(64, 3)) * 1e4).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(64) % 2)
    out = tmp_path / "run"
    assert main(["softmax", "--data", str(tmp_path / "d.npz"), "--epochs", "1", "--batch-size",
                 "16", "--lr", "1e36", "--plot", "none", "--device", "cpu", "--out", str(out)]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith(
        "linearnets softmax: error: training diverged at batch 2 of epoch 1: the batch loss is nan "
        "(not finite) at lr 1e+36; try a far smaller learning rate (--lr), e.g. 0.5 (the book "
        "trains at 0.03 and 0.1; a tenth, 1e+35, would most likely blow up too); or scale the "
        "features, which reach "
    ), err
    assert "NaN" not in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("lr", "status", "line"),
    [
        # finite losses of ~1e29 past an untrained one of ~1: was not stopped (exit 0, loss 0)
        ("1e30", 1, r"training diverged at batch \d of epoch 1: the batch loss is \S+e\+29, more than "
         r"100× its starting value \S+, at lr 1e\+30; try a far smaller learning rate \(--lr\), "
         r"e\.g\. 0\.5 \(the book trains at 0\.03 and 0\.1; a tenth, 1e\+29, would most likely blow "
         r"up too\); no epoch had finished"),
        # float32 overflows: the scores, then the loss, are NaN
        ("1e38", 1, r"training diverged at batch 2 of epoch 1: the batch loss is nan \(not finite\) at "
         r"lr 1e\+38; try a far smaller learning rate \(--lr\), e\.g\. 0\.5 "),
        ("3.4e38", 1, r"training diverged at batch 2 of epoch 1: the batch loss is nan \(not finite\) "
         r"at lr 3\.4e\+38; try a far smaller learning rate \(--lr\), e\.g\. 0\.5 "),
        # past float32's range: refused before training
        ("1e300", 2, r"argument --lr: must be a number from about 1\.18e-38 \(float32's smallest normal number\) to 3\.4028234663852886e\+38 \(its largest\), got 1e300; pass e\.g\. --lr 0\.1 \(see linearnets softmax --help\)$"),
    ],
)  # fmt: skip
def test_a_tiny_file_at_an_absurd_lr_ends_in_one_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lr: str, status: int, line: str
) -> None:
    """64 examples of 3 blobs at batch 16 (the guard's whole reference window): every absurd lr
    ends in one line naming it, never a traceback or a run that "trained"."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=64)
    centers = rng.standard_normal((3, 5)) * 4
    X = (centers[y] + rng.standard_normal((64, 5))).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    args = ["softmax", "--data", str(tmp_path / "d.npz"), "--epochs", "3", "--batch-size", "16",
            "--lr", lr, "--plot", "none", "--device", "cpu", "--out", str(tmp_path / "run")]  # fmt: skip
    if status == 2:  # refused by the parser (--lr past float32's range), which exits with 2
        with pytest.raises(UsageExit) as info:
            main(args)
        assert info.value.code == 2
    else:
        assert main(args) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert re.match(rf"linearnets softmax: error: {line}", err), err


def test_a_second_ctrl_c_still_names_the_run_folder_and_its_resume(
    npz: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Two Ctrl-C in epoch 2: the second aborts at once (exit 130), and still says where the run
    is and how to resume it; --json carries run_dir, as for one Ctrl-C."""
    import os
    import signal

    import linearnets.training.loop as loop

    train_epoch, calls = loop.train_epoch, []

    def ctrl_c_twice_in_epoch_2(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # the clean stop, after the step
            os.kill(os.getpid(), signal.SIGINT)  # the user insists: at once
        return train_epoch(*args, **kwargs)

    monkeypatch.setattr(loop, "train_epoch", ctrl_c_twice_in_epoch_2)
    run = tmp_path / "run"
    args = ["softmax", "--data", str(npz), "--epochs", "3", "--plot", "none", "--json"]
    assert main([*args, "--out", str(run)]) == 130
    captured = capsys.readouterr()
    hint = (
        f"aborted by a second SIGINT during epoch 2; the checkpoint of epoch 1 is kept in {run}; "
        f"resume with: linearnets softmax --resume {run}"
    )
    assert captured.err == f"linearnets softmax: {hint}\n"
    assert json.loads(captured.out.strip().splitlines()[-1]) == {
        "error": hint,
        "error_type": "TrainingInterrupted",
        "exit_status": 130,
        "run_dir": str(run),
    }
    monkeypatch.setattr(loop, "train_epoch", train_epoch)
    assert main(["softmax", "--resume", str(run)]) == 0  # the resume it gives works
    assert json.loads((run / "results.json").read_text())["epochs"] == 3


def _torchrun_rank_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rank 0 of ``torchrun --nproc_per_node=2`` on this machine; joining the group must not happen."""
    import torch.distributed as dist

    for name, value in {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "2",
                        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500",
                        "TORCHELASTIC_RUN_ID": "job-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(dist, "is_initialized", lambda: False)


def test_two_torchrun_processes_on_one_gpu_are_refused_in_the_command_lines_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both ranks once took cuda:0, which NCCL refuses; now every rank refuses before joining."""
    import torch.distributed as dist

    _torchrun_rank_0(monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)

    def no_group(**kwargs: object) -> None:
        raise AssertionError("refused before the process group is joined")

    monkeypatch.setattr(dist, "init_process_group", no_group)
    monkeypatch.chdir(tmp_path)
    assert main(["softmax", "--epochs", "1", "--plot", "none"]) == 2
    assert capsys.readouterr().err == (
        "linearnets softmax: error: device 'auto' needs a GPU for each process, but torchrun "
        "started 2 processes on this machine, which has 1 GPU; use --nproc_per_node=1, or pass "
        "e.g. --device cpu\n"
    )
    assert not (tmp_path / "runs").exists()


def test_a_dead_peer_is_said_in_one_line_with_the_resume_in_the_command_lines_words(
    npz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The survivor printed "unexpected RuntimeError: [.../gloo/transport/tcp/pair.cc:537] Read
    error ...: Connection reset by peer ... GLHF!" and no resume, though the checkpoint was kept."""
    import torch.distributed as dist

    import linearnets.training.loop as loop

    _torchrun_rank_0(monkeypatch)
    monkeypatch.setattr(dist, "init_process_group", lambda **kwargs: None)

    def twin_gather(gathered: list[object], mine: object) -> None:
        gathered[:] = [mine, mine]  # rank 1: started with the same options

    def twin_sum(tensor: torch.Tensor, op: object = None) -> None:
        tensor.mul_(2)

    monkeypatch.setattr(dist, "all_gather_object", twin_gather)
    monkeypatch.setattr(dist, "broadcast_object_list", lambda objects, src: None)
    monkeypatch.setattr(dist, "all_reduce", twin_sum)
    train_epoch, calls = loop.train_epoch, []

    def peer_killed_in_epoch_2(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:  # what gloo raised in the survivor of a SIGKILL (torch 2.13)
            raise RuntimeError(
                "[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:537] Read "
                "error [127.0.0.1]:12011: Connection reset by peer. This is typically caused by a "
                "remote worker hanging or bugs in the application. Check the logs of the remote "
                "worker before reporting an error. GLHF! 🏖️"
            )
        return train_epoch(*args, **kwargs)

    monkeypatch.setattr(loop, "train_epoch", peer_killed_in_epoch_2)
    run = tmp_path / "my run"
    args = ["softmax", "--data", str(npz), "--impl", "scratch", "--epochs", "3", "--plot", "none"]
    assert main([*args, "--device", "cpu", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert err == (
        "linearnets softmax: error: another process of the data-parallel run stopped (lost "
        "connection: Read error [127.0.0.1]:12011: Connection reset by peer); the checkpoint of "
        f"epoch 1 is kept in {run}; resume with: linearnets softmax --resume '{run}', launched by torchrun as before\n"
    )


def test_the_command_line_refuses_a_cpu_index_before_training(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, blobs_npz: Path
) -> None:
    out = tmp_path / "run"
    argv = ["softmax", "--data", str(blobs_npz), "--device", "cpu:1", "--out", str(out)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "linearnets softmax: error: --device must be one of auto, cpu, cuda, cuda:N, mps, got "
        "'cpu:1': the CPU has no index past 0 (torch has one CPU device and ignores it, training "
        "on the same cores); pass --device cpu (--threads N sets how many cores it uses)\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("enabled", "ending"), [(True, " s/epoch on 2 processes"), (False, " s/epoch")]
)
def test_the_summary_of_a_data_parallel_run_names_its_processes(
    capsys: pytest.CaptureFixture[str], enabled: bool, ending: str
) -> None:
    from types import SimpleNamespace

    from linearnets.cli.softmax import _print_summary

    summary = {"train_loss": 0.5, "train_acc": 0.8, "test_acc": 0.75, "seconds_per_epoch": 1.25,
               "per_class_acc": {"a": 0.9, "b": 0.6}}  # fmt: skip
    result = SimpleNamespace(summary=lambda: summary, data_source="d.npz", run_dir="runs/a")
    dist = SimpleNamespace(enabled=enabled, world_size=2 if enabled else 1)
    _print_summary(result, dist, as_json=False)  # type: ignore[arg-type]
    assert capsys.readouterr().out.splitlines() == [
        "data: d.npz",
        f"final: train loss 0.5000, train acc 0.800, test acc 0.750, 1.250{ending}",
        "hardest class (test accuracy): b 0.600",
        "run folder: runs/a",
    ]


def test_results_json_is_the_object_json_prints_after_a_run_and_a_resume(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/cli.md: results.json is the object --json prints (linreg's is held to the same)."""
    run = tmp_path / "run"
    settings = ["--threads", "1", "--plot", "none", "--device", "cpu"]
    for epochs, args in (
        (1, ["softmax", "--data", str(npz), "--epochs", "1", *settings, "--out", str(run)]),
        (2, ["softmax", "--resume", str(run), "--epochs", "2"]),
    ):
        capsys.readouterr()
        assert main([*args, "--json"]) == 0
        printed = json.loads(capsys.readouterr().out.splitlines()[-1])
        assert json.loads((run / "results.json").read_text()) == printed
        assert printed["run_dir"] == str(run) and printed["epochs"] == epochs


def test_a_run_folder_named_with_a_line_break_is_named_on_one_line(
    tmp_path: Path, npz: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The last line said "run folder: .../a" and "b", two lines: the folder is named by its
    $'...' word, and the run is written at the name given."""
    run = tmp_path / "a\nb"
    argv = ["softmax", "--data", str(npz), "--epochs", "1", "--plot", "none", "--out", str(run)]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"run folder: $'{tmp_path}/a\\nb'"
    assert (run / "results.json").is_file()


@pytest.mark.parametrize("dangling", [False, True])
def test_a_link_at_the_run_folders_lock_is_replaced_and_its_target_kept(
    tmp_path: Path, npz: Path, capsys: pytest.CaptureFixture[str], dangling: bool
) -> None:
    """``ln -s victim.txt run/.lock``: a run, and a resume, wrote their process id through the
    link, over the user's file; a link to nowhere made the file outside the folder. The link is
    replaced by the run's own lock file, as the run's other files replace links."""
    victim, run = tmp_path / "victim.txt", tmp_path / "run"
    run.mkdir()
    for args in (
        ["--data", str(npz), "--epochs", "1", "--plot", "none", "--out", str(run)],
        ["--resume", str(run), "--epochs", "2"],
    ):
        if not dangling:
            victim.write_text("precious\n")
        (run / ".lock").unlink(missing_ok=True)
        (run / ".lock").symlink_to(victim)
        assert main(["softmax", *args]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == f"run folder: {run}"
        assert not (run / ".lock").is_symlink() and (run / ".lock").is_file()
        if dangling:
            assert not os.path.lexists(victim)
        else:
            assert victim.read_text() == "precious\n"
    assert json.loads((run / "results.json").read_text())["epochs"] == 2


@pytest.mark.parametrize("name", ["d.npz", "D.NPZ", "t.csv", "small data.npz", "it's.NPZ"])
def test_a_data_file_given_as_data_dir_is_also_told_data_trains_on_it(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """softmax --data-dir d.npz was told only "it is no Fashion-MNIST file: pass the folder that
    holds the Fashion-MNIST files": the file was likely meant as --data, which trains on it; said
    where --data reads it (.npz), not of a .csv it refuses, nor by the data command, which has no
    --data. The path is quoted for the shell, as a resume's folder is: "pass --data /a/small
    data.npz" was two arguments."""
    given = tmp_path / name
    if name != "d.npz":
        given.write_bytes(npz.read_bytes())
    refused = (
        f"must be an existing folder, got the file {str(given)!r}; it is no Fashion-MNIST file: pass "
        "the folder that holds the Fashion-MNIST files instead"
    )
    also = name != "t.csv"
    assert main(["softmax", "--data-dir", str(given), "--epochs", "1", "--plot", "none"]) == 2
    cli = f", or pass --data {shlex.quote(str(given))} to train on that file" if also else ""
    assert capsys.readouterr().err == f"linearnets softmax: error: --data-dir {refused}{cli}\n"
    with pytest.raises(UsageError) as info:
        ln.run_softmax(ln.SoftmaxConfig(data_dir=given, epochs=1, plot="none"))
    python = f", or pass data={str(given)!r} to train on that file" if also else ""
    assert str(info.value) == f"data_dir {refused}{python}"
    assert main(["data", "--data-dir", str(given)]) == 2
    assert capsys.readouterr().err == f"linearnets data: error: --data-dir {refused}\n"
    if also:  # as it says
        run = ["--out", str(tmp_path / "run")]
        assert main(["softmax", "--data", str(given), "--epochs", "1", "--plot", "none", *run]) == 0


def test_a_data_dir_given_to_resume_a_data_files_run_names_the_runs_file_not_a_data_never_passed(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--resume RUN --data-dir FM`` of a --data run said "got --data-dir FM with --data d.npz,
    which replaces it; drop one of them": the --data came from the run's config.json, not the
    command, so it could not be dropped. It now names the run's file, that a resume keeps it,
    and the fix that works: leave --data-dir out (checked by running it)."""
    run = tmp_path / "run"
    settings = ["--plot", "none", "--device", "cpu", "--threads", "1"]
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--out", str(run), *settings]) == 0
    capsys.readouterr()
    fm = tmp_path / "fm"
    assert main(["softmax", "--resume", str(run), "--data-dir", str(fm), "--epochs", "2"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"linearnets softmax: error: --data-dir finds Fashion-MNIST, got --data-dir {fm} for a "
        f"run trained on --data {npz} (its config.json), which a resume keeps; leave --data-dir "
        "out to resume it, or train on Fashion-MNIST in a new run folder"
    ]
    with pytest.raises(UsageError) as info:
        ln.resume_softmax(run, data_dir=str(fm), epochs=2)
    assert str(info.value) == (
        f"data_dir finds Fashion-MNIST, got data_dir={str(fm)!r} for a run trained on "
        f"data={str(npz)!r} (its config.json), which a resume keeps; leave data_dir out to "
        "resume it, or train on Fashion-MNIST in a new run folder"
    )
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0  # the fix


@pytest.mark.parametrize("unwritten", ["metrics.csv", "config.json"])
def test_a_run_file_a_resume_cannot_rewrite_as_it_starts_is_told_with_the_run_dir_in_json(
    npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], unwritten: str
) -> None:
    """The metrics and config.json a resume rewrites before its first epoch, unwritten (a folder
    stands in the way of the temporary file), named no run_dir in --json, where the same file
    unwritten in training names it; and advised the plain --resume, which, --epochs 2 unrecorded,
    was refused as complete: it advises this resume again, which trains on."""
    run = tmp_path / "S"
    common = ["--plot", "none"]
    assert main(["softmax", "--data", str(npz), "--epochs", "1", "--out", str(run), *common]) == 0
    (run / f".{unwritten}.tmp").mkdir()
    capsys.readouterr()
    assert main(["softmax", "--resume", str(run), "--epochs", "2", "--json"]) == 1
    said = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert said["error"].startswith(f"{run / unwritten} could not be written: "), said
    assert said["error_type"] == "RunFileError" and said["run_dir"] == str(run)
    assert said["error"].endswith(f"continue it with linearnets softmax --resume {run} --epochs 2")
    (run / f".{unwritten}.tmp").rmdir()
    assert main(["softmax", "--resume", str(run)]) == 2  # the plain one: complete, refused
    assert main(["softmax", "--resume", str(run), "--epochs", "2"]) == 0


def _bad_data_files(folder: Path) -> None:
    """Write into ``folder`` a data file of each kind a run refuses by its path's name."""
    (folder / "bad.txt").write_text("x\n")
    np.savez(folder / "m.npz", A=np.ones(3))
    (folder / "g.npz").write_text("garbage\n")


@pytest.mark.parametrize("command", ["softmax", "linreg", "linreg --out run"])
@pytest.mark.parametrize("name", ["nothere.npz", "bad.txt", "m.npz", "g.npz", "./sub/../g.npz"])
def test_the_data_file_is_named_as_typed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    name: str,
) -> None:
    """softmax (and linreg --out) named --data nothere.npz by its absolute path, /tmp/x/nothere.npz,
    where linreg named it as typed: missing, of another suffix, without X and y, unreadable."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    _bad_data_files(tmp_path)
    plot = ["--plot", "none"] if command == "softmax" else []  # linreg draws nothing
    assert main([*command.split(), "--data", name, "--epochs", "1", *plot]) != 0
    err = capsys.readouterr().err
    assert str(tmp_path) not in err
    typed = Path(name)  # as pathlib spells it (./sub/../g.npz is sub/../g.npz), in both
    shown = {
        "nothere.npz": f"--data {typed} does not exist or is not a file",
        "bad.txt": f"got '{typed}'",
        "m.npz": f"error: {typed} must hold arrays X and y",
        "g.npz": f"--data {typed} is not a readable .npz file",
    }
    assert shown[Path(name).name] in err, err
