"""``linearnets linreg --out DIR`` and ``--resume DIR``: a stopped run loses no finished epoch."""

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
from pathlib import Path
from typing import Any

import pytest

import linearnets as ln
from linearnets.cli import main
from linearnets.errors import UsageError
from linearnets.training.checkpoint import load_checkpoint

# an epoch of ~1 s: a signal sent as the first checkpoint appears lands in the second
_BIG = ["--num-examples", "30000", "--epochs", "3"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_real_signal_keeps_the_checkpoint_and_resume_ends_as_a_run_never_stopped(
    tmp_path: Path,
    signum: int,
    signal_at_first_checkpoint: Callable[[list[str], Path, int], tuple[int, str]],
    path_without_this_python: str,
) -> None:
    out = tmp_path / "run"
    status, err = signal_at_first_checkpoint(["linreg", *_BIG], out, signum)
    assert status == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    name = signal.Signals(signum).name
    assert re.match(
        rf"linearnets linreg: interrupted by {name} (after batch \d+ of epoch \d|at the end of epoch \d); "
        rf"the checkpoint of epoch \d is kept in {re.escape(str(out))}; ",
        lines[0],
    ), lines[0]
    # the command as it was started: the environment's linearnets is not on the PATH
    again = f"{shlex.quote(sys.executable)} -m linearnets linreg --resume {out}"
    assert lines[0].endswith(f"resume with: {again}")
    assert 1 <= load_checkpoint(out / "checkpoint.pt").epoch < 3
    assert not (out / "results.json").exists()

    resumed = subprocess.run(  # the command it printed, as the user pastes it
        [*shlex.split(lines[0].split("resume with: ")[1]), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, OMP_NUM_THREADS="1", PATH=path_without_this_python),
    )
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout.splitlines()[-1])
    never = ln.run_linreg(ln.LinregConfig(num_examples=30000, epochs=3))
    assert result["w"] == never.w and result["b"] == never.b
    assert [h["train_loss"] for h in result["history"]] == [
        m.train_loss for m in never.history.epochs
    ]
    assert result["run_dir"] == str(out)


def test_guard_turns_the_guard_back_on_in_a_resume_of_an_unguarded_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--no-guard held for every later resume with no way back (the divergence's own advice is
    --no-guard): --guard turns it on again, without --force (it checks, it changes no number)."""
    out = tmp_path / "run"

    def guard() -> bool:
        return bool(json.loads((out / "config.json").read_text())["config"]["guard"])

    assert main(["linreg", "--no-guard", "--lr", "1e30", "--epochs", "1", "--out", str(out)]) == 0
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 0  # still unguarded
    assert not guard()
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "3", "--guard"]) == 1
    said = capsys.readouterr().err
    assert re.search(r"linearnets linreg: error: training diverged at batch \d+ of epoch 3: ", said)
    assert guard()


def test_out_then_resume_for_more_epochs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "2", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if p.name != ".lock") == [
        "checkpoint.pt",
        "config.json",
        "metrics.csv",
        "metrics.jsonl",
        "results.json",
    ]
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    never = ln.run_linreg(ln.LinregConfig(epochs=4))
    assert (result["w"], result["b"]) == (never.w, never.b)
    assert result["config"]["epochs"] == 4
    assert (out / "metrics.csv").read_text().splitlines()[0] == (
        "epoch,train_loss,train_acc,test_loss,test_acc,seconds"
    )
    assert len((out / "metrics.csv").read_text().splitlines()) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "0.1", "--epochs", "2"], "--lr changed from 0.03 to 0.1: the run in {out} was "
         "trained with the first, and a changed setting changes its result; leave it out to "
         "resume the run as it was, or pass --force to continue with it"),
        # no epoch left to train at it: --force led on to "the run ... is complete"
        (["--lr", "0.1"], "--lr changed from 0.03 to 0.1, but the run in {out} already trained "
         "its 1 epoch (checkpoint.pt is of epoch 1), so no epoch would train with it; pass e.g. "
         "--epochs 6 --force to train further with it, or leave it out to keep the run as it "
         "was trained"),
        ([], "the run in {out} is complete: it finished its 1 epoch and wrote its results, so "
         "nothing is left to resume; pass e.g. --epochs 6 to train further"),
        (["--out", "x"], "--out cannot be combined with --resume: the run continues in {out}; "
         "drop --out"),
    ],
    ids=["changed-lr", "changed-lr-no-epoch-left", "finished", "out"],
)  # fmt: skip
def test_a_resume_refused_says_why_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), *args]) == 2
    assert capsys.readouterr().err == f"linearnets linreg: error: {message.format(out=out)}\n"


def test_force_accepts_a_changed_setting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    assert main(["linreg", "--resume", str(out), "--epochs", "2", "--seed", "3", "--force"]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"]["seed"] == 3 and saved["resumes"][-1]["forced"] == {"seed": [0, 3]}


def test_a_data_file_on_a_synthetic_run_is_refused_naming_the_data_it_replaces(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One clause, --data's, with the synthetic data the file replaces: it said four changes more,
    two in Python words ("true_w changed from [2.0, -3.4] to None", no --true-w being an
    option). --force still continues on the file."""
    data = tmp_path / "d.csv"
    data.write_text(
        "x1,x2,y\n" + "".join(f"{i % 7},{i % 3},{i % 7 - i % 3 + 1}\n" for i in range(20))
    )
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--num-examples", "100", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "2", "--data", str(data)]) == 2
    assert capsys.readouterr().err == (
        "linearnets linreg: error: --data changed from synthetic data (no --data; --num-examples "
        f"100, --noise-std 0.01, truth w [2.0, -3.4], b 4.2) to {data}: the run in {out} was "
        "trained with the first, and a changed setting changes its result; leave it out to resume "
        "the run as it was, or pass --force to continue with it\n"
    )
    resumed = ["linreg", "--resume", str(out), "--epochs", "2", "--data", str(data), "--force"]
    assert main(resumed) == 0
    assert json.loads((out / "config.json").read_text())["config"]["data"] == str(data)


def test_a_misspelt_task_is_refused_naming_it_not_taken_for_a_softmax_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A linear-regression run's "task" written "Task" by hand was said as "holds no
    linear-regression run (its config.json is of a softmax run); resume it with: linearnets
    softmax --resume run". It is refused naming the key and the one it likely meant; a note of
    one's own is read past, and written back by the resume."""
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    path = out / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**{k: v for k, v in saved.items() if k != "task"}, "Task": "linreg"}))  # fmt: skip
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: {path}: a top-level key must be a section a run writes, or a "
        "note of your own named unlike any of them, got 'Task' (write it in lower case: 'task'), "
        "which would go unread; correct it, or put back the run's config.json from a copy of the "
        "run\n"
    )
    path.write_text(json.dumps({**saved, "notes": ["synthetic, the book's truth"]}))
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 0
    assert json.loads(path.read_text())["notes"] == ["synthetic, the book's truth"]


def test_a_relative_data_path_in_config_json_is_refused_with_the_file_it_would_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A "data": "x" written by hand in a --data run's config.json, resumed from another folder,
    was said as "the run in run was trained on --data /elsewhere/x, as the run's config records":
    a file the run never saw. It is refused naming the key, the rule (a run writes the path
    absolute), the value and where it would be read; --data FILE resumes, and writes it back."""
    data = tmp_path / "d.csv"
    data.write_text(
        "x1,x2,y\n" + "".join(f"{i % 7},{i % 3},{i % 7 - i % 3 + 1}\n" for i in range(20))
    )
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--data", str(data), "--out", str(out)]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["config"]["data"] == str(data)  # what a run writes: absolute
    saved["config"]["data"] = "x"
    (out / "config.json").write_text(json.dumps(saved))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    capsys.readouterr()
    assert main(["linreg", "--resume", "../run", "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        "linearnets linreg: error: ../run/config.json: its 'config' section's 'data' must be an "
        'absolute path (a run writes the file it trained on as one), got the string "x", a '
        "relative path, which a resume would look for in the current folder, as "
        f"{tmp_path / 'elsewhere' / 'x'}; write the file's absolute path there, or pass --data "
        "FILE to resume on that file (its SHA-256 is checked: the same content continues the run, "
        "without --force)\n"
    )
    assert main(["linreg", "--resume", "../run", "--epochs", "2", "--data", "../d.csv"]) == 0
    # absolute, and without its "..", as a run writes it
    assert json.loads((out / "config.json").read_text())["config"]["data"] == str(data)


@pytest.mark.parametrize("written", ["rel/x.csv", "ABS"], ids=["relative", "absolute"])
def test_a_data_path_edited_into_a_synthetic_runs_config_json_is_named_as_the_file_holds_it(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    written: str,
) -> None:
    """A "data" written by hand in a synthetic run's config.json, beside its num_examples ...,
    was refused as "num_examples and noise_std and true_w and true_b set the synthetic data and
    cannot be given with --data /cwd/rel/x.csv": an option never passed, the path made absolute.
    The file's keys and values are named as it holds them, with the rule and the fix (the run
    recorded no data file: "data" back to null), the same from Python; the fix resumes."""
    data = tmp_path / "d.csv"
    data.write_text("x1,y\n1,2\n2,3\n3,5\n")
    written = str(data) if written == "ABS" else written
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--num-examples", "50", "--out", str(out)]) == 0
    path = out / "config.json"
    saved = json.loads(path.read_text())
    saved["config"]["data"] = written
    path.write_text(json.dumps(saved))
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    said = (
        "run/config.json: its 'config' section holds \"data\": "
        f'"{written}" beside '
        '"num_examples": 50, "noise_std": 0.01, "true_w": [2.0, -3.4] and "true_b": 4.2, which no '
        "run records together (a run on a data file records the synthetic data's settings as "
        'null: the file decides the examples); set "data" to null, as the run was trained on no '
        'data file (its "data_sha256" is null), or put back the run\'s config.json from a copy '
        "of the run"
    )
    assert main(["linreg", "--resume", "run", "--epochs", "2"]) == 2
    assert capsys.readouterr().err == f"linearnets linreg: error: {said}\n"
    with pytest.raises(UsageError) as info:
        ln.resume_linreg("run", epochs=2)
    assert str(info.value) == said
    # a data file given to the resume changes nothing: the file's settings are refused first
    assert main(["linreg", "--resume", "run", "--epochs", "2", "--data", str(data)]) == 2
    assert capsys.readouterr().err == f"linearnets linreg: error: {said}\n"
    saved["config"]["data"] = None
    path.write_text(json.dumps(saved))
    assert main(["linreg", "--resume", "run", "--epochs", "2"]) == 0


def test_synthetic_settings_edited_into_a_data_files_runs_config_json_are_named_to_go(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The other way: a --data run's config.json given a num_examples by hand. Its data_sha256
    says the run trained on the file: the fix is the synthetic setting back to null."""
    data = tmp_path / "d.csv"
    data.write_text("x1,y\n1,2\n2,3\n3,5\n")
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--data", str(data), "--out", str(out)]) == 0
    path = out / "config.json"
    saved = json.loads(path.read_text())
    saved["config"]["num_examples"] = 50
    path.write_text(json.dumps(saved))
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f'linearnets linreg: error: {path}: its \'config\' section holds "data": "{data}" beside '
        '"num_examples": 50, which no run records together (a run on a data file records the '
        "synthetic data's settings as null: the file decides the examples); set "
        '"num_examples" to null, as the run was trained on the file (its "data_sha256" records '
        "the file's content), or put back the run's config.json from a copy of the run\n"
    )
    saved["config"]["num_examples"] = None
    path.write_text(json.dumps(saved))
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--num-examples", "100"], "--num-examples sets"),
        (["--noise-std", "0.5", "--force"], "--noise-std sets"),
        (["--num-examples", "100", "--noise-std", "0.5"], "--num-examples and --noise-std set"),
    ],
    ids=["num-examples", "noise-std-forced", "both"],
)
def test_a_synthetic_option_on_a_data_files_run_is_refused_in_the_command_lines_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], named: str
) -> None:
    """--resume of a --data run with --num-examples said "num_examples sets the synthetic data
    ...; leave num_examples out, or pass no --data": Python's names, and a fix that a resume,
    which keeps the run's file without --data, cannot take."""
    data = tmp_path / "d.csv"
    data.write_text(
        "x1,x2,y\n" + "".join(f"{i % 7},{i % 3},{i % 7 - i % 3 + 1}\n" for i in range(20))
    )
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--data", str(data), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "2", *args]) == 2
    dropped = named.rsplit(" ", 1)[0]
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: {named} the synthetic data, but the run in {out} was trained "
        f"on --data {data} (the file decides the examples); leave {dropped} out to resume it on "
        "that file\n"
    )


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("batch_size", 0, "batch_size must be a positive integer (>= 1), got 0"),
        # the file's words, not Python's: "True or False", "got None"
        ("guard", 1, "guard must be true or false, got 1"),
        ("seed", None, "seed must be a non-negative integer (at most 2**31 - 1), got null"),
        # a string in the file's quotes: "foo", not Python's 'foo'
        ("impl", "foo", 'impl must be one of "scratch", "analytic", "concise", got "foo"'),
        ("lr", {"a": 1}, 'lr must be a positive number, got {"a": 1}'),
        (
            "data",
            5,
            "data must be a path (a string) or null, got 5",  # the file's words: no None there
        ),
        # the rule whole, a "; " inside its parentheses: the fix after it goes
        (
            "device",
            "tpu",
            'device must be "cpu" for linear regression, got "tpu": it trains on the CPU (the '
            "book's thousand examples take milliseconds there; a GPU would add only transfers)",
        ),
        # a key that is no setting was dropped silently, the run resumed with the lr it had:
        # refused in softmax --resume's words, quoted (the blank of "lr " shows)
        (
            "learning_rate",
            0.5,
            "config has settings this linearnets does not know: 'learning_rate' (did you mean "
            "'lr'?)",
        ),
        (
            "lr ",
            0.5,
            "config has settings this linearnets does not know: 'lr ' (drop the blank: 'lr')",
        ),
    ],
    ids=[
        "batch_size",
        "guard",
        "seed",
        "impl",
        "lr-object",
        "data",
        "device",
        "unknown_key",
        "blank_key",
    ],
)
def test_a_hand_edited_config_json_value_is_refused_naming_the_file_and_its_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, key: str, value: object, rule: str
) -> None:
    """A bad value in config.json was said with the validator's fix, in option words that could
    not help ("pass e.g. --batch-size 1": the file is read first, and refused again) or in
    Python's ("pass e.g. impl='scratch'"); a data path of another type was an unexpected
    TypeError. The rule is said as the file's key, with the fix: correct the file (resume_softmax's
    words for the same edit)."""
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    saved = json.loads((out / "config.json").read_text())
    saved["config"][key] = value
    (out / "config.json").write_text(json.dumps(saved))
    capsys.readouterr()
    assert (
        main(["linreg", "--resume", str(out), "--epochs", "2", "--batch-size", "5", "--force"]) == 2
    )
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: {out / 'config.json'}: its 'config' section holds a value no "
        f"run takes ({rule}); correct it, or put back the run's config.json from a copy of the "
        "run\n"
    )


@pytest.mark.parametrize("forced", [[], ["--force"]], ids=["unforced", "forced"])
def test_a_data_file_of_other_features_is_refused_even_forced_naming_both_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, forced: list[str]
) -> None:
    """--data of 3 features on a 2-feature run: without --force it was told to pass --force, and
    with it the checkpoint was said to be damaged, in the model's words ("(UsageError:
    state_dict['w'] must have shape (3, 1), got (2, 1); ...): it is damaged, or from a run of
    another model shape"). Refused either way, as softmax refuses a file of another shape; the
    run is left as it was."""
    data = tmp_path / "d3.csv"
    data.write_text("a,b,c,y\n" + "".join(f"{i % 7},{i % 3},{i % 5},{i % 4}\n" for i in range(20)))
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    before = (out / "config.json").read_text()
    capsys.readouterr()
    assert (
        main(["linreg", "--resume", str(out), "--epochs", "2", "--data", str(data), *forced]) == 2
    )
    assert capsys.readouterr().err == (
        "linearnets linreg: error: --data changed from synthetic data (no --data; --num-examples "
        f"1000, --noise-std 0.01, truth w [2.0, -3.4], b 4.2) to {data}: the model would take 3 "
        "features and the checkpoint's weights take 2, so they cannot carry over, not even with "
        "--force; leave --data out to resume on the run's own data, or start a new run in another "
        "folder (--out NEW_DIR)\n"
    )
    assert (out / "config.json").read_text() == before


def test_force_without_resume_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["linreg", "--force"]) == 2
    assert capsys.readouterr().err == (
        "linearnets linreg: error: --force only applies with --resume RUN_DIR; drop --force\n"
    )


def test_out_on_a_run_folder_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["linreg", "--out", str(out)]) == 2  # asks for the default 3 epochs
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: --out {out} already holds a run (it has config.json, "
        "checkpoint.pt, results.json, metrics.jsonl, metrics.csv); it is complete after 1 epoch: "
        f"train it further with linearnets linreg --resume {out} --epochs 3, or pass a new folder\n"
    )
    # the command it names works: a plain --resume of a complete run is refused in turn
    assert main(["linreg", "--resume", str(out), "--epochs", "3"]) == 0
    assert json.loads((out / "results.json").read_text())["epochs"] == 3


def test_resume_of_a_missing_folder_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["linreg", "--resume", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: the run folder {tmp_path / 'none'} does not exist or is not a "
        "folder; pass the folder a run kept with --out DIR\n"
    )


def test_resume_of_a_softmax_folder_names_the_softmax_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"config": {}}))  # a softmax run's: no task
    assert main(["linreg", "--resume", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: the run folder {tmp_path} holds no linear-regression run (its "
        f"config.json is of a softmax run); resume it with: linearnets softmax --resume "
        f"{tmp_path}\n"
    )


def test_a_complete_run_of_the_other_task_is_sent_to_train_further_not_to_a_refused_resume(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, blobs_npz: Path
) -> None:
    """Each resume refused the other task's run with "resume it with: linearnets softmax
    --resume r1", which in turn refused the complete run ("it finished its 3 epochs"). Its advice
    is now the --out refusal's: the resume with 5 more epochs, which trains it further; the
    Python calls likewise."""
    soft, lin = tmp_path / "r1", tmp_path / "lr1"
    data = ["--data", str(blobs_npz), "--plot", "none"]
    assert main(["softmax", *data, "--epochs", "3", "--out", str(soft)]) == 0
    assert main(["linreg", "--epochs", "2", "--out", str(lin)]) == 0
    capsys.readouterr()
    assert main(["linreg", "--resume", str(soft)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: the run folder {soft} holds no linear-regression run (its "
        "config.json is of a softmax run); it is complete after 3 epochs: train it further with: "
        f"linearnets softmax --resume {soft} --epochs 8\n"
    )
    assert main(["softmax", "--resume", str(lin)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets softmax: error: the run folder {lin} holds a linear-regression run (its "
        "config.json is of task 'linreg'), not a softmax run; it is complete after 2 epochs: "
        f"train it further with: linearnets linreg --resume {lin} --epochs 7\n"
    )
    with pytest.raises(UsageError, match=re.escape(f"resume_softmax('{soft}', epochs=8)")):
        ln.resume_linreg(soft)
    with pytest.raises(UsageError, match=re.escape(f"resume_linreg('{lin}', epochs=7)")):
        ln.resume_softmax(lin)
    # as they say: each trains further
    assert main(["softmax", "--resume", str(soft), "--epochs", "8"]) == 0
    assert main(["linreg", "--resume", str(lin), "--epochs", "7"]) == 0
    assert json.loads((soft / "results.json").read_text())["epochs"] == 8
    assert json.loads((lin / "results.json").read_text())["epochs"] == 7


def test_resume_of_a_folder_of_another_task_names_it_and_both_fixes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A task no run writes ("task": "softmax" by hand, or "other") was said "its config.json is
    of softmax", which reads as no sentence, with only the softmax resume as the fix (a linreg
    run whose task was edited away needs its task back)."""
    (tmp_path / "config.json").write_text(json.dumps({"task": "softmax", "config": {}}))
    assert main(["linreg", "--resume", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: the run folder {tmp_path} holds no linear-regression run (its "
        'config.json is for a run of task "softmax", not linear regression); a softmax run '
        f"resumes with: linearnets softmax --resume {tmp_path}; a linear-regression run's "
        'config.json names task "linreg": correct it\n'
    )


def test_a_softmax_run_s_checkpoint_copied_in_is_refused_in_one_line_naming_its_task(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """It said the checkpoint "holds states this run cannot take (UsageError: ... or pass
    strict=False ...): it is damaged, or from a run of another model shape"."""
    import numpy as np

    out, softmax = tmp_path / "run", tmp_path / "softmax"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    np.savez(tmp_path / "d.npz", X=np.ones((20, 3), np.float32), y=np.arange(20) % 2)
    data = ["--data", str(tmp_path / "d.npz"), "--plot", "none"]
    assert main(["softmax", *data, "--epochs", "1", "--out", str(softmax)]) == 0
    (out / "checkpoint.pt").write_bytes((softmax / "checkpoint.pt").read_bytes())
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 1
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: checkpoint {out / 'checkpoint.pt'} is a softmax run's "
        "checkpoint, not a linreg run's: it was copied from another run's folder; restore "
        "checkpoint.pt from a copy of the run, or move it out of the folder, keeping it (a "
        "softmax run's weights), and resume with --force to start the run over\n"
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_results_are_printed_lets_them_be_printed_whole(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signum: int,
) -> None:
    """The run was complete, results.json written: a signal during its last lines stopped the
    command with a bare "interrupted" (exit 130), as if the run had not finished. As softmax's
    summary, they are printed whole, and the command succeeds."""
    from linearnets.cli import linreg as cli_linreg

    real = cli_linreg._print_errors

    def signalled(result: ln.LinregResult) -> None:
        os.kill(os.getpid(), signum)  # a real one, landing in the main thread here
        real(result)

    monkeypatch.setattr(cli_linreg, "_print_errors", signalled)
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "2", "--out", str(out), "--json"]) == 0
    printed, err = capsys.readouterr()
    assert err == ""
    lines = printed.splitlines()
    never = ln.run_linreg(ln.LinregConfig(epochs=2))
    assert lines[2].startswith("w: [") and lines[3].startswith("truth: w [")
    assert lines[4].startswith("closed form: w [")
    assert lines[5].startswith("error vs truth: ")
    assert lines[6].startswith("error vs closed form: ")
    result = json.loads(lines[-1])
    assert (result["w"], result["b"]) == (never.w, never.b)
    assert json.loads((out / "results.json").read_text())["w"] == never.w


@pytest.mark.parametrize("resumed", [False, True], ids=["run", "resume"])
def test_a_signal_once_the_run_returned_says_it_is_complete(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    resumed: bool,
) -> None:
    """A Ctrl-C as the folder's lock was released, after results.json: the command said
    "interrupted before training began; nothing was kept: run the same command again" of a
    complete run (and the same command was then refused: the folder holds a run)."""
    from linearnets.training import run_lock

    out = tmp_path / "run"
    if resumed:
        assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    real = run_lock.RunLock.release

    def release(self: run_lock.RunLock, *, remove: bool = False) -> None:
        held = self._fd is not None
        real(self, remove=remove)
        if held and (out / "results.json").is_file():
            raise KeyboardInterrupt

    monkeypatch.setattr(run_lock.RunLock, "release", release)
    args = (
        ["--resume", str(out), "--epochs", "2"] if resumed else ["--epochs", "2", "--out", str(out)]
    )
    capsys.readouterr()
    assert main(["linreg", *args, "--json"]) == 130
    printed, err = capsys.readouterr()
    detail = f"interrupted by SIGINT after the run finished: its results are complete in {out}"
    assert err == f"linearnets linreg: {detail}\n"
    assert json.loads(printed.splitlines()[-1]) == {
        "error": detail,
        "error_type": "TrainingInterrupted",
        "exit_status": 130,
        "run_dir": str(out),
    }
    never = ln.run_linreg(ln.LinregConfig(epochs=2))
    assert json.loads((out / "results.json").read_text())["w"] == never.w


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_before_training_keeps_nothing_and_the_same_command_runs(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signum: int,
) -> None:
    """Stopped as the data were made, when config.json was written before them: the folder held
    it alone, the command advised "start it over with: linearnets linreg --resume", and the same
    command was refused ("--out ... already holds a run")."""
    from linearnets.tasks import linreg_run

    real = linreg_run.prepare_linreg

    def signalled(config: ln.LinregConfig, **kwargs: Any) -> object:
        os.kill(os.getpid(), signum)
        return real(config, **kwargs)

    out = tmp_path / "runs" / "a"
    monkeypatch.setattr(linreg_run, "prepare_linreg", signalled)
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 130
    # in softmax's words for the same stop, the signal named (a Ctrl-C said "interrupted"
    # alone, and "nothing was kept")
    assert capsys.readouterr().err == (
        f"linearnets linreg: interrupted by {signal.Signals(signum).name} before training began; "
        "nothing was trained or kept: run the same command again\n"
    )
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(linreg_run, "prepare_linreg", real)
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("resumed", [False, True], ids=["run", "resume"])
def test_a_signal_before_training_is_told_in_softmax_words(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signum: int,
    resumed: bool,
) -> None:
    """A stop as the training modules load, before anything trained: linreg said "interrupted
    before training began; nothing was kept" (a Ctrl-C not named) and "run the same command
    again" of a resume, where softmax tells the same stops as its StoppedBeforeTraining does."""
    from linearnets.cli.softmax import StoppedBeforeTraining
    from linearnets.training import callbacks

    out = tmp_path / "run"
    if resumed:
        assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    kept = sorted(p.name for p in tmp_path.rglob("*"))
    real = callbacks.ConsoleLogger.__init__

    def signalled(self: callbacks.ConsoleLogger, *args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signum)  # a real one, held as those modules load
        real(self, *args, **kwargs)

    monkeypatch.setattr(callbacks.ConsoleLogger, "__init__", signalled)
    args = (
        ["--resume", str(out), "--epochs", "2"] if resumed else ["--epochs", "1", "--out", str(out)]
    )
    capsys.readouterr()
    assert main(["linreg", *args, "--json"]) == 130
    stop = KeyboardInterrupt("SIGTERM") if signum == signal.SIGTERM else KeyboardInterrupt()
    softmax = StoppedBeforeTraining(
        stop, resume=str(out) if resumed else None, given={"epochs": 2} if resumed else None
    )
    printed, err = capsys.readouterr()
    said = str(softmax).replace("linearnets softmax --resume", "linearnets linreg --resume")
    assert err == f"linearnets linreg: {said}\n"
    # --json names it as softmax's (it said LinregInterrupted), with the resumed run's folder
    assert json.loads(printed.splitlines()[-1]) == {
        "error": said,
        "error_type": "StoppedBeforeTraining",
        "exit_status": 130,
        **({"run_dir": str(out)} if resumed else {}),
    }
    name = signal.Signals(signum).name
    assert str(softmax) == (
        f"interrupted by {name} before the resume trained; the run is as it was: resume it "
        f"with: linearnets softmax --resume {out} --epochs 2"
        if resumed
        else f"interrupted by {name} before training began; nothing was trained or kept: run "
        "the same command again"
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == kept  # as it was


def test_a_forced_resume_stopped_before_training_gives_its_command_with_its_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped as a forced resume ("--lr 0.05 --force") loaded its modules: it said "resume DIR
    with the same command", and the plain --resume DIR trained at the run's old lr. It gives the
    command, its options with it, as softmax's stop does; pasted, it trains at 0.05."""
    from linearnets.training import callbacks

    out = tmp_path / "my run"
    assert main(["linreg", "--epochs", "1", "--lr", "0.03", "--out", str(out)]) == 0
    real = callbacks.ConsoleLogger.__init__

    def signalled(self: callbacks.ConsoleLogger, *args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # a real one, held as those modules load
        real(self, *args, **kwargs)

    capsys.readouterr()
    with monkeypatch.context() as m:
        m.setattr(callbacks.ConsoleLogger, "__init__", signalled)
        assert (
            main(["linreg", "--resume", str(out), "--lr", "0.05", "--force", "--epochs", "2"])
            == 130
        )
    command = f"linearnets linreg --resume {shlex.quote(str(out))} --epochs 2 --lr 0.05 --force"
    assert capsys.readouterr().err == (
        "linearnets linreg: interrupted by SIGINT before the resume trained; the run is as it "
        f"was: resume it with: {command}\n"
    )
    assert main(shlex.split(command)[1:]) == 0  # as pasted
    assert json.loads((out / "config.json").read_text())["config"]["lr"] == 0.05


@pytest.mark.parametrize("command", ["linreg", "softmax"])
def test_a_signal_as_the_options_are_checked_is_a_stop_before_training(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    """A Ctrl-C as the subcommand gathered its options, before its first check: the command said
    "interrupted by SIGINT" alone, not that nothing was trained nor what to do."""
    import importlib

    module = importlib.import_module(f"linearnets.cli.{command}")
    real = module._given

    def signalled(args: object) -> object:
        os.kill(os.getpid(), signal.SIGINT)  # a real one, raised in the main thread
        return real(args)

    monkeypatch.setattr(module, "_given", signalled)
    out = tmp_path / "run"
    assert main([command, "--epochs", "1", "--out", str(out)]) == 130
    assert capsys.readouterr().err == (
        f"linearnets {command}: interrupted by SIGINT before training began; nothing was trained "
        "or kept: run the same command again\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("complete", [False, True], ids=["stopped", "complete"])
def test_a_second_signal_cutting_the_stop_short_reports_the_first(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    complete: bool,
) -> None:
    """A second Ctrl-C while the first stop was on its way out (its handlers gone) raised a plain
    KeyboardInterrupt, which the command told as "interrupted before training began; nothing
    was kept" of a run that kept its checkpoint, or was complete. The first stop is told, as
    softmax tells it."""
    from linearnets.training.interrupt import TrainingInterrupted

    out = tmp_path / "run"
    first = TrainingInterrupted(signal_name="SIGTERM", epoch=2, step=5)
    first.run_dir, first.checkpoint_epoch = out, 1
    first.command, first.function = "linearnets linreg", "resume_linreg"
    first.complete = complete

    def interrupted(*args: object, **kwargs: object) -> None:
        try:
            raise first
        except TrainingInterrupted:
            raise KeyboardInterrupt from None  # the second signal, as the first leaves

    monkeypatch.setattr("linearnets.tasks.linreg.run_linreg", interrupted)
    assert main(["linreg", "--out", str(out)]) == 130
    detail = (
        f"interrupted by SIGTERM after the run finished: its results are complete in {out}"
        if complete
        else f"interrupted by SIGTERM after batch 5 of epoch 2; the checkpoint of epoch 1 is kept in "
        f"{out}; resume with: linearnets linreg --resume {out}"
    )
    assert capsys.readouterr().err == f"linearnets linreg: {detail}\n"


def test_a_kept_run_names_its_folder_and_a_run_without_out_names_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "lr"
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"run folder: {out}"
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"run folder: {out}"
    assert main(["linreg", "--epochs", "1"]) == 0
    assert "run folder" not in capsys.readouterr().out


def test_a_moved_data_file_is_told_with_its_option_and_its_new_path_resumes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--resume DIR alone, the --data file moved: it said "--data changed from .../lin2.csv
    (SHA-256 ...) to .../lin2.csv ... leave it out", the option the user had left out."""
    rows = [
        f"{i / 10:.1f},{(i * 7 % 5) / 4:.2f},{0.3 * i - (i * 7 % 5) + 1:.2f}" for i in range(30)
    ]
    data = tmp_path / "lin2.csv"
    data.write_text("x1,x2,y\n" + "\n".join(rows) + "\n")
    out = tmp_path / "lrm"
    args = ["linreg", "--lr", "0.01", "--epochs", "1", "--data", str(data), "--out", str(out)]
    assert main(args) == 0
    moved = data.rename(tmp_path / "lin3.csv")
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), "--epochs", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: the run in {out} was trained on --data {data}, as the run's "
        "config records, which does not exist or is not a file now; if the file moved, pass "
        "--data NEWPATH (its SHA-256 is checked: the same content continues the run, without "
        "--force)\n"
    )
    assert main(["linreg", "--resume", str(out), "--epochs", "2", "--data", str(moved)]) == 0
    never = ln.run_linreg(ln.LinregConfig(data=moved, epochs=2, lr=0.01))
    results = json.loads((out / "results.json").read_text())
    assert (results["w"], results["b"], results["epochs"]) == (never.w, never.b, 2)


def _regression_npz(path: Path, seed: int) -> Path:
    """Write README's --data .npz (X (N, D), y (N,)) drawn from ``seed``; return ``path``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    np.savez(path, X=X, y=(X @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32))
    return path


def test_a_lost_config_json_still_refuses_a_changed_data_file_unless_forced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The reported commands: new content in d.npz was refused with config.json there, and
    trained on without a word once it was removed (the rebuilt file recording the new SHA-256);
    the file deleted, it said "the run recorded no SHA-256", which it had. The checkpoint records
    it now, and the resume checks the file against it as against config.json's."""
    data = _regression_npz(tmp_path / "d.npz", 0)
    r3 = tmp_path / "r3"
    assert main(["linreg", "--out", str(r3), "--data", str(data), "--epochs", "2"]) == 0
    first = json.loads((r3 / "config.json").read_text())["data_sha256"]
    _regression_npz(data, 1)
    now = hashlib.sha256(data.read_bytes()).hexdigest()
    # no --data was given: the run's own file is to be put back (it said "--data changed from
    # ... leave it out to resume the run as it was", which the user had)
    said = (
        f"linearnets linreg: error: --data {data} changed since the run in {r3} started (SHA-256 "
        f"{first[:12]}… then, {now[:12]}… now), which would change its result; put the original "
        "file back, or pass --force to continue on the new content\n"
    )
    for lost in (False, True):
        if lost:
            (r3 / "config.json").unlink()
        capsys.readouterr()
        assert main(["linreg", "--resume", str(r3), "--epochs", "4"]) == 2
        # without config.json's record of resumes, the checkpoint's content is all that is known
        lost_said = said.replace(f"the run in {r3} started", "the checkpoint was trained on it")
        lost_said = lost_said.replace("put the original file back", "put that content back")
        assert capsys.readouterr().err == (lost_said if lost else said)
    assert not (r3 / "config.json").exists()
    assert main(["linreg", "--resume", str(r3), "--epochs", "4", "--force"]) == 0
    rebuilt = json.loads((r3 / "config.json").read_text())
    assert rebuilt["data_sha256"] != first and rebuilt["config"]["epochs"] == 4
    assert rebuilt["resumes"][-1]["forced"] == {
        "data": [f"{data} (SHA-256 {first[:12]})", str(data)],
        "data_sha256": [first, now],  # the content forced, as a softmax resume records it
    }
    # the file deleted: its SHA-256 is checked, so a moved copy continues unforced
    (r3 / "config.json").unlink()
    data.unlink()
    capsys.readouterr()
    assert main(["linreg", "--resume", str(r3), "--epochs", "5"]) == 2
    assert capsys.readouterr().err.endswith(
        "if the file moved, pass --data NEWPATH (its SHA-256 is checked: the same content "
        "continues the run, without --force)\n"
    )
    moved = _regression_npz(tmp_path / "moved.npz", 1)  # the content of epochs 3 and 4
    assert main(["linreg", "--resume", str(r3), "--epochs", "5", "--data", str(moved)]) == 0
    assert json.loads((r3 / "results.json").read_text())["epochs"] == 5


@pytest.mark.parametrize("resumed", [False, True], ids=["run", "resume"])
def test_results_json_is_the_object_json_prints(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, resumed: bool
) -> None:
    """docs/cli.md: results.json is "the object --json prints, with run_dir", as softmax's is;
    --json added the effective config, which results.json lacked. Both hold it now, the settings
    the run was given among them."""
    out = tmp_path / "run"
    args = ["linreg", "--epochs", "1", "--num-examples", "100", "--seed", "5", "--out", str(out)]
    if resumed:
        assert main(args) == 0
        args = ["linreg", "--resume", str(out), "--epochs", "2"]
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert json.loads((out / "results.json").read_text()) == printed
    assert printed["run_dir"] == str(out) and printed["epochs"] == 1 + resumed
    config = printed["config"]
    assert (config["seed"], config["num_examples"], config["epochs"]) == (5, 100, 1 + resumed)
    assert config["out"] == str(out)  # the folder it trained in (a resume's was null)


def test_a_run_folder_named_with_a_line_break_or_escape_is_named_on_one_line(
    tmp_path: Path,
) -> None:
    """``--out $'a\\nb'`` printed "run folder: .../a" and "b" as two lines, and an ESC in the
    name reached the terminal; errors joined the line break as a blank, naming a folder "a b"
    (and a --resume command that continued none). Each is named by its $'...' word, which bash
    reads back as the folder; the files are written at the name given."""
    out = tmp_path / "a\nb\x1b[31m"
    word = f"$'{tmp_path}/a\\nb\\x1b[31m'"
    ln = [sys.executable, "-m", "linearnets"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ln, *args], capture_output=True, text=True, check=False)

    done = run("linreg", "--epochs", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"run folder: {word}"
    assert all(line.isprintable() for line in done.stdout.splitlines())
    assert (out / "results.json").is_file()
    again = run("linreg", "--epochs", "1", "--out", str(out))
    refused = (
        f"linearnets linreg: error: --out {word} already holds a run (it has config.json, "
        "checkpoint.pt, results.json, metrics.jsonl, metrics.csv); it is complete after 1 epoch: "
        "train it further with "
    )
    assert again.returncode == 2 and again.stderr.startswith(refused), again.stderr
    # the whole command to continue it, the program as it was started ("--resume DIR" alone was
    # no command to paste)
    command = again.stderr.removeprefix(refused).removesuffix(", or pass a new folder\n")
    assert command.endswith(f" linreg --resume {word} --epochs 6"), again.stderr
    # the command it names, pasted into bash, continues that folder
    resumed = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[-1] == f"run folder: {word}"
    assert json.loads((out / "results.json").read_text())["epochs"] == 6
    refused = run("predict", str(out))
    assert (refused.returncode, refused.stderr) == (
        2,
        f"linearnets predict: error: the run folder {word} holds a linear-regression run (its "
        "config.json is of task 'linreg'), not a softmax run; predict draws a 'linearnets "
        "softmax' run's predictions: pass its folder\n",
    )


def test_a_change_beside_a_forced_lr_is_told_with_the_options_not_as_a_foreign_checkpoint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """After a forced --lr 0.05 stopped before its first checkpoint, --batch-size 20 was told
    "checkpoint.pt was trained with --lr 0.03, but config.json asks for --lr 0.05 (a checkpoint
    from another run?)", and to put the run's own checkpoint.pt back."""
    from linearnets.tasks.linreg_resume import resume_linreg
    from linearnets.training.interrupt import TrainingInterrupted

    class StopAtFirstStep:
        def on_batch_end(self, step: int, losses: object) -> None:
            raise KeyboardInterrupt

    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=2, num_examples=100, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(out, epochs=3, lr=0.05, force=True, callbacks=[StopAtFirstStep()])
    assert main(["linreg", "--resume", str(out), "--epochs", "3", "--batch-size", "20"]) == 2
    assert capsys.readouterr().err == (
        "linearnets linreg: error: --batch-size changed from 10 to 20: the run in "
        f"{out} was trained with the first, and a changed setting changes its result; leave it "
        "out to continue with --lr 0.05, as an earlier resume from epoch 2 forced, or pass "
        "--force to continue with it\n"
    )


def test_the_values_left_out_would_take_are_all_options_and_plural(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """config.json edited on lr, batch_size and seed, the three given: "config.json's lr=0.05 and
    --batch-size 20 and --seed 5 is taken" mixed Python's words with the options, in the
    singular; the Python API keeps its own words."""
    from linearnets.tasks.linreg_resume import resume_linreg

    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "1", "--num-examples", "100", "--out", str(out)]) == 0
    saved = json.loads((out / "config.json").read_text())
    saved["config"].update(lr=0.05, batch_size=20, seed=5)
    (out / "config.json").write_text(json.dumps(saved))
    capsys.readouterr()
    given = ["--lr", "0.07", "--batch-size", "30", "--seed", "6"]
    assert main(["linreg", "--resume", str(out), "--epochs", "2", *given]) == 2
    assert capsys.readouterr().err == (
        "linearnets linreg: error: --lr changed from 0.03 to 0.07; --batch-size changed from 10 "
        f"to 30; --seed changed from 0 to 6: the run in {out} was trained with the first, and a "
        "changed setting changes its result; pass --lr 0.03 and --batch-size 10 and --seed 0 to "
        "resume the run as it was (left out, config.json's --lr 0.05 and --batch-size 20 and "
        "--seed 5 are taken, which the checkpoint was not trained with), or pass --force to "
        "continue with them\n"
    )
    with pytest.raises(UsageError) as info:
        resume_linreg(out, epochs=2, lr=0.07, batch_size=30, seed=6)
    assert (
        "(left out, config.json's lr=0.05 and batch_size=20 and seed=5 are taken, which the "
        "checkpoint was not trained with), or pass force=True to continue with them"
    ) in str(info.value)


def test_a_change_after_a_forced_switch_to_synthetic_data_names_it_with_the_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """After a forced switch from a data file to synthetic data, stopped before its first
    checkpoint, --num-examples 50 was refused naming no change ("error: : the run in ... was
    trained with the first"), and --batch-size 20 told "leave it out to resume the run as it
    was", though leaving it out continues on the synthetic data forced."""
    from linearnets.tasks.linreg_resume import resume_linreg
    from linearnets.training.interrupt import TrainingInterrupted

    class StopAtFirstStep:
        def on_batch_end(self, step: int, losses: object) -> None:
            raise KeyboardInterrupt

    data = tmp_path / "a.csv"
    data.write_text("".join(f"{i % 7},{i % 3},{i % 7 - i % 3 + 1}\n" for i in range(20)))
    out = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(data=data, epochs=2, out=out))
    with pytest.raises(TrainingInterrupted):
        resume_linreg(
            out, epochs=3, data=None, num_examples=100, force=True, callbacks=[StopAtFirstStep()]
        )
    fix = (
        f": the run in {out} was trained with the first, and a changed setting changes its "
        "result; leave it out to continue with synthetic data (no --data; --num-examples 100, "
        "--noise-std 0.01, truth w [2.0, -3.4], b 4.2), as an earlier resume from epoch 2 forced, "
        "or pass --force to continue with it\n"
    )
    assert main(["linreg", "--resume", str(out), "--epochs", "3", "--num-examples", "50"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: --data changed from {data} to synthetic data (no --data; "
        f"--num-examples 50, --noise-std 0.01, truth w [2.0, -3.4], b 4.2){fix}"
    )
    assert main(["linreg", "--resume", str(out), "--epochs", "3", "--batch-size", "20"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets linreg: error: --batch-size changed from 10 to 20{fix}"
    )
    assert main(["linreg", "--resume", str(out), "--epochs", "3"]) == 0  # left out: it continues
    assert json.loads((out / "config.json").read_text())["config"]["num_examples"] == 100


@pytest.mark.parametrize("extra", [["--json"], ["--epochs", "3", "--force"]])
def test_a_folder_in_results_json_s_place_is_refused_in_one_readable_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str]
) -> None:
    """It ended in "error: [Errno 21] Is a directory: '.../results.json' (IsADirectoryError)"."""
    out = tmp_path / "run"
    assert main(["linreg", "--epochs", "2", "--out", str(out)]) == 0
    (out / "results.json").unlink()
    (out / "results.json").mkdir()
    capsys.readouterr()
    assert main(["linreg", "--resume", str(out), *extra]) == 2
    said = f"--resume {out}: the run folder holds a folder {out}/results.json where the run keeps a file, which resuming replaces; move that folder out of the run folder, then resume"  # fmt: skip
    captured = capsys.readouterr()
    if "--json" in extra:
        assert json.loads(captured.out)["error"] == said
    else:
        assert captured.err == f"linearnets linreg: error: {said}\n"


def test_a_refused_run_is_not_told_a_resume_command_no_option_can_say(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder of a run with other synthetic truth, or of a csv run asked for synthetic data, was
    told 'linearnets linreg --resume ... --true-w [2.0, -3.4] --true-b 4.2' (no such options) or
    '--data None' (a file named None; leaving --data out keeps the run's own): the Python call,
    saying why, and the clause in the command line's words, 'truth w [2.0, -3.5]'."""
    out = tmp_path / "S5"
    ln.run_linreg(ln.LinregConfig(out=out, epochs=1, true_w=[2, -3.5], true_b=4.0))
    capsys.readouterr()
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "; it ran with truth w [2.0, -3.5] and truth b 4.0, yours with truth w [2.0, -3.4] and "
        "truth b 4.2: it is complete after 1 epoch: train it further with "
        f"linearnets.resume_linreg({str(out)!r}, epochs=6, true_w=[2.0, -3.4], true_b=4.2, "
        "force=True) (in Python: no option sets true_w or true_b), or pass a new folder"
    ) in err
    assert "--true-w" not in err
    csv, out = tmp_path / "two.csv", tmp_path / "T2"
    csv.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 5}\n" for i in range(20)), "utf-8")
    ln.run_linreg(ln.LinregConfig(out=out, epochs=1, data=csv))
    capsys.readouterr()
    assert main(["linreg", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--data None" not in err and "--resume" not in err
    assert (
        "data=None, force=True) (in Python: no option sets true_w or true_b; a resume leaving "
        "--data out keeps the run's own), or pass a new folder"
    ) in err


def test_a_refused_softmax_run_of_another_plot_or_impl_is_told_the_resume_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--plot and --impl exist (and --resume takes them), but a folder refused for them was told
    the Python call, '(in Python: no option sets plot)'."""
    import numpy as np

    data = tmp_path / "blobs.npz"
    rng = np.random.default_rng(0)
    np.savez(data, X=rng.normal(size=(40, 3)).astype(np.float32), y=np.arange(40) % 2)
    out = tmp_path / "lr1"
    base = ["softmax", "--data", str(data), "--out", str(out), "--batch-size", "8"]
    assert main([*base, "--epochs", "1", "--plot", "none"]) == 0
    capsys.readouterr()
    assert main([*base, "--epochs", "2", "--plot", "file", "--impl", "concise"]) == 2
    err = capsys.readouterr().err
    assert "no option sets" not in err
    command = f"linearnets softmax --resume {out} --epochs 2 --impl concise --plot file --force"
    assert f"train it further with: {command}, or pass a new folder" in err or (
        f"train it further with {command}, or pass a new folder" in err
    ), err
    assert main(command.split()[1:]) == 0  # the advice runs


@pytest.mark.parametrize("task", ["linreg", "softmax"])
def test_a_run_refused_for_its_guard_names_the_flags_not_python_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], blobs_npz: Path, task: str
) -> None:
    """A folder of a run trained with --no-guard, asked for again without it, was refused as "it
    ran with guard=False, yours with guard=True": the Python words, where the command line's other
    settings are said as their options (--lr 0.1)."""
    data = ["--data", str(blobs_npz), "--plot", "none"] if task == "softmax" else []
    out = str(tmp_path / "g1")
    assert main([task, *data, "--epochs", "1", "--out", out, "--no-guard"]) == 0
    capsys.readouterr()
    assert main([task, *data, "--epochs", "1", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "; it ran with --no-guard, yours with --guard: it is complete after 1 epoch" in err
    assert "guard=" not in err
    out = str(tmp_path / "g2")
    assert main([task, *data, "--epochs", "1", "--out", out]) == 0
    capsys.readouterr()
    assert main([task, *data, "--epochs", "1", "--out", out, "--no-guard", "--lr", "0.2"]) == 2
    err = capsys.readouterr().err
    assert " and --guard, yours with --lr 0.2 and --no-guard: it is complete after 1 epoch" in err
    assert "guard=" not in err
