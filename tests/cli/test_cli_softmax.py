"""``linearnets softmax`` options reach the run, and what it prints is the run's result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.cli import main


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
    assert summary["test_acc"] == api.history.last.test_acc
    # the text report says the same as the JSON
    assert lines[-5] == f"data: {summary['data_source']}"
    assert lines[-4].startswith(
        f"final: train loss {summary['train_loss']:.4f}, train acc {summary['train_acc']:.3f}, "
        f"test acc {summary['test_acc']:.3f}, "
    )
    hardest = sorted(summary["per_class_acc"].items(), key=lambda kv: kv[1])[:3]
    assert lines[-3] == "hardest classes: " + ", ".join(f"{c} {a:.3f}" for c, a in hardest)
    assert lines[-2] == f"run folder: {run}"


def test_without_a_test_set_the_test_accuracy_is_na(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=(X[:, 0] > 0).astype(int))
    assert main(["softmax", "--data", str(tmp_path / "d.npz"), "--epochs", "1", "--plot", "none",
                 "--out", str(tmp_path / "run")]) == 0  # fmt: skip
    final = [line for line in capsys.readouterr().out.splitlines() if line.startswith("final: ")]
    assert len(final) == 1 and ", test acc n/a, " in final[0]


def test_an_interrupt_on_another_rank_exits_130_silently(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under torchrun a rank other than 0 stops with 130 as rank 0 does, and leaves the saying to it."""
    import linearnets.cli.linreg as linreg_cmd

    for name, value in {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": "29500"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("linearnets.cli._ranks.let_rank_0_speak", lambda seconds=2.0: None)

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
