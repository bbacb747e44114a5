"""``model.pt``: a trained model reloads exactly; a damaged one is refused, named, before any prediction."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.cli import main
from linearnets.data.labels import TEXT_LABELS
from linearnets.errors import CheckpointError, ResumeWarning, UsageError, UsageTypeError
from linearnets.tasks.weights import load_trained

from .conftest import SYSTEM_REFUSALS
from .test_resume import _SignalAt


@pytest.mark.parametrize("impl", ["scratch", "analytic", "concise"])
def test_a_trained_model_reloads_and_predicts_as_it_did(tmp_path: Path, impl: str) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), rng.integers(0, 3, size=60)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    run = tmp_path / "run"
    args = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--epochs", "2", "--impl", impl]
    assert main(["softmax", *args, "--out", str(run)]) == 0
    torch.manual_seed(7)  # a user's seed: the initial weights the load overwrites draw none of it
    state = torch.get_rng_state()
    net, meta = load_trained(run)
    assert torch.equal(torch.get_rng_state(), state)
    assert meta["impl"] == impl and meta["num_inputs"] == 4 and meta["num_outputs"] == 3
    assert meta["resize"] is None
    saved = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(net.state_dict()[k], saved[k]) for k in saved)


def test_a_model_reloaded_or_checked_by_a_resume_imports_no_compiler(tmp_path: Path) -> None:
    """``torch._dynamo`` took 1.2 s to import: the resume's check of a complete run's model.pt
    built it on the meta device (whose random draws import it) and every reload of a concise model
    built an optimizer beside it (the first torch.optim optimizer imports it), for nothing."""
    runs = {}
    for impl in ("scratch", "concise"):
        runs[impl] = tmp_path / impl
        _model(runs[impl], impl=impl, state_dict=_state_dict_of(impl))
    child = (
        "import sys\n"
        "from pathlib import Path\n"
        "from linearnets.tasks.weights import load_trained, weights_intact\n"
        f"assert weights_intact(Path({str(runs['scratch'] / 'model.pt')!r}))\n"
        f"assert weights_intact(Path({str(runs['concise'] / 'model.pt')!r}))\n"
        f"load_trained({str(runs['scratch'])!r}); load_trained({str(runs['concise'])!r})\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split("\n")[-2] == "False", done.stdout + done.stderr


def _state_dict_of(impl: str) -> Callable[[dict[str, Any]], dict[str, torch.Tensor]]:
    """The state_dict of a trained ``impl`` model of Fashion-MNIST's shape, for :func:`_model`."""
    from linearnets.models.factory import softmax_net

    def state_dict(payload: dict[str, Any]) -> dict[str, torch.Tensor]:
        net = softmax_net(impl, generator=torch.Generator().manual_seed(1))
        return {k: v.detach().clone() for k, v in net.state_dict().items()}

    return state_dict


def _model(run: Path, **changes: Any) -> None:
    """Write a Fashion-MNIST model.pt as ``save_weights`` does, with ``changes`` applied."""
    g = torch.Generator().manual_seed(0)
    payload = {
        "impl": "concise",
        "num_inputs": 784,
        "num_outputs": 10,
        "resize": None,
        "classes": [str(i) for i in range(10)],
        "state_dict": {"1.weight": torch.randn(10, 784, generator=g), "1.bias": torch.zeros(10)},
    }
    for key, value in changes.items():
        payload[key] = value(payload) if callable(value) else value
    run.mkdir()
    torch.save(payload, run / "model.pt")


def _with(name: str, value: float) -> Any:
    def change(payload: dict[str, Any]) -> dict[str, torch.Tensor]:
        state = dict(payload["state_dict"])
        state[name] = state[name].clone()
        state[name].view(-1)[3] = value
        return state

    return change


BAD_WEIGHTS = {
    # a run that diverged with the guard off: every prediction would be argmax of NaN
    "nan-weight": (
        {"state_dict": _with("1.weight", float("nan"))},
        r"holds non-finite weights: 1 of the 7840 values of '1\.weight' are NaN or inf, so every prediction would be meaningless; the run diverged \(trained with the guard off\?\): retrain with a smaller lr",
    ),
    "inf-bias": (
        {"state_dict": _with("1.bias", float("inf"))},
        r"holds non-finite weights: 1 of the 10 values of '1\.bias'",
    ),
    # the stored resize, not a --resize the user never gave
    "resize-negative": (
        {"resize": -1},
        r"is damaged: its resize must be None or an image side in \[1, 4096\], got -1; re-run training to recreate it",
    ),
    "resize-bool": (
        {"resize": True},
        r"is damaged: its resize must be None or an image side in \[1, 4096\], got True",
    ),
    "resize-not-the-inputs": (
        {"resize": 7},
        r"is damaged: its resize must be the side of the model's 784-pixel input images, got 7",
    ),
    "impl-unknown": (
        {"impl": "mlp"},
        r"is damaged: its impl must be one of scratch, concise, analytic, got 'mlp'",
    ),
    "num-inputs-text": (
        {"num_inputs": "784"},
        r"is damaged: its num_inputs must be a positive integer, got '784'",
    ),
    "num-outputs-huge": (
        {"num_outputs": 10**12},
        r"is damaged: its state_dict must be weights for 784 inputs and 1000000000000 outputs, got \{'1\.weight': \(10, 784\), '1\.bias': \(10,\)\}",
    ),
    "state-transposed": (
        {
            "state_dict": lambda p: {
                "1.weight": p["state_dict"]["1.weight"].T,
                "1.bias": p["state_dict"]["1.bias"],
            }
        },
        r"is damaged: its state_dict does not fit a concise model of 784 inputs and 10 outputs \(RuntimeError: .*size mismatch for 1\.weight",
    ),
    # another impl's parameter names: "a analytic model"
    "state-of-another-impl": (
        {"impl": "analytic"},
        r"is damaged: its state_dict does not fit an analytic model of 784 inputs and 10 outputs \(UsageError: the state must hold exactly the parameters \['W', 'b'\]",
    ),
    "state-integers": (
        {"state_dict": lambda p: {k: v.long() for k, v in p["state_dict"].items()}},
        r"is damaged: its state_dict\['1\.weight'\] must be a floating-point tensor, got torch\.int64",
    ),
    "num-inputs-bool": (
        {"num_inputs": True},
        r"is damaged: its num_inputs must be a positive integer, got True; re-run training",
    ),
    "num-outputs-zero": (
        {"num_outputs": 0},
        r"is damaged: its num_outputs must be a positive integer, got 0;",
    ),
    "num-outputs-text": (
        {"num_outputs": "10"},
        r"is damaged: its num_outputs must be a positive integer, got '10';",
    ),
    "resize-too-big": (
        {"resize": 4097},
        r"is damaged: its resize must be None or an image side in \[1, 4096\], got 4097;",
    ),
    # a value whose repr spans lines is quoted on one, its whitespace collapsed
    "state-a-tensor": (
        {"state_dict": torch.zeros(2, 2)},
        r"is damaged: its state_dict must be a dict of weight tensors, got tensor\(\[\[0\., 0\.\], \[0\., 0\.\]\]\); re-run training to recreate it$",
    ),
    "state-a-list-value": (
        {"state_dict": lambda p: {"1.weight": [0.5], "1.bias": p["state_dict"]["1.bias"]}},
        r"is damaged: its state_dict must be a dict of weight tensors, got \{'1\.weight': \[0\.5\], '1\.bias': tensor",
    ),
    "num-outputs-beyond-the-largest": (
        {"num_outputs": 2**62 + 1},
        r"is damaged: its num_outputs must be a positive integer, got 4611686018427387905;",
    ),
    "resize-zero": (
        {"resize": 0},
        r"is damaged: its resize must be None or an image side in \[1, 4096\], got 0;",
    ),
    # the largest side allowed passes the range check and fails the next: 4096² is not 784
    "resize-the-largest-side": (
        {"resize": 4096},
        r"is damaged: its resize must be the side of the model's 784-pixel input images, got 4096;",
    ),
    "not-ten-classes": (
        {
            "num_outputs": 3,
            "classes": ["0", "1", "2"],
            "state_dict": {"1.weight": torch.zeros(3, 784), "1.bias": torch.zeros(3)},
        },
        r"holds a model of 784 inputs and 3 outputs \(resize=None\), but predict needs 784 for Fashion-MNIST's 28×28 images and 10 for its classes",
    ),
    # classes: save_weights writes one name (str) per output; it crashed predict with
    # "unexpected TypeError: 'int' object is not iterable", or passed as a --data model's
    "classes-an-int": (
        {"classes": 5},
        r"is damaged: its classes must be a list of 10 class names \(one string per output\), got 5; re-run training to recreate it$",
    ),
    "classes-one-for-ten-outputs": (
        {"classes": ["t-shirt"]},
        r"is damaged: its classes must be a list of 10 class names \(one string per output\), got \['t-shirt'\];",
    ),
    "classes-not-strings": (
        {"classes": list(range(10))},
        r"is damaged: its classes must be a list of 10 class names .*, got \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9\];",
    ),
    "classes-a-string": (
        {"classes": "t-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, boot"},
        # the value is cut at 60 characters, as every damaged value is
        r"is damaged: its classes must be .*, got 't-shirt, trouser, pullover, dress, coat, sandal, shirt, sne; re-run",
    ),
    # pixels: save_weights writes True or False; absent in an older file (filled in on load)
    "pixels-a-string": (
        {"pixels": "yes"},
        r"is damaged: its pixels must be True or False, got 'yes'; re-run training to recreate it$",
    ),
    "pixels-none": (
        {"pixels": None},
        r"is damaged: its pixels must be True or False, got None;",
    ),
    "not-a-dict": (
        {"state_dict": [1, 2]},
        r"is damaged: its state_dict must be a dict of weight tensors, got \[1, 2\]",
    ),
    # tensors isfinite or load_state_dict cannot take: 'unexpected NotImplementedError' followed
    # by torch's list of every backend, or 'unexpected RuntimeError', exit 1
    "sparse-weight": (
        {
            "state_dict": lambda p: {
                **p["state_dict"],
                "1.weight": p["state_dict"]["1.weight"].to_sparse(),
            }
        },
        r"is damaged: its state_dict\['1\.weight'\] must be a dense tensor, got torch\.sparse_coo; re-run training to recreate it$",
    ),
    "meta-weight": (
        {
            "state_dict": lambda p: {
                **p["state_dict"],
                "1.weight": torch.empty(10, 784, device="meta"),
            }
        },
        r"is damaged: its state_dict\['1\.weight'\] must be a tensor holding values, not on the meta device, got device\(type='meta'\);",
    ),
    "float8-weight": (
        {
            "state_dict": lambda p: {
                **p["state_dict"],
                "1.bias": torch.zeros(10, dtype=torch.float8_e4m3fn),
            }
        },
        r"is damaged: its state_dict\['1\.bias'\] must be a tensor of float16, bfloat16, float32 or float64 values, got torch\.float8_e4m3fn;",
    ),
    "trained-on-other-data": (
        {
            "num_inputs": 49,
            "state_dict": {"1.weight": torch.zeros(10, 49), "1.bias": torch.zeros(10)},
        },
        r"holds a model of 49 inputs and 10 outputs \(resize=None\), but predict needs 784 for Fashion-MNIST's 28×28 images and 10 for its classes",
    ),
}


@pytest.mark.parametrize("name", list(BAD_WEIGHTS))
def test_predict_refuses_a_damaged_model_naming_model_pt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Refused before any image is read (no Fashion-MNIST needed): exit 1, one line naming the
    file, what is wrong with the value found and the fix; never a --resize option not given."""
    changes, pattern = BAD_WEIGHTS[name]
    run = tmp_path / "run"
    _model(run, **changes)
    path = re.escape(str(run / "model.pt"))
    with pytest.raises(CheckpointError, match=rf"^{path} {pattern}"):
        main(["predict", str(run), "-n", "3", "--debug"])
    capsys.readouterr()
    assert main(["predict", str(run), "-n", "3"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "unexpected" not in err and "--resize must" not in err
    assert not (run / "predict-3.png").exists()


@pytest.mark.parametrize("name", list(BAD_WEIGHTS))
def test_weights_are_intact_to_a_resume_exactly_where_load_trained_takes_them(
    tmp_path: Path, name: str
) -> None:
    """A resume writes again the model.pt that load_trained refuses: a state_dict of another
    impl's names, or a weight transposed, was intact to it, the run "complete". The probe draws
    its initial weights on a generator of its own: the global one is left as it was."""
    from linearnets.tasks.weights import weights_intact

    run = tmp_path / "run"
    _model(run, **BAD_WEIGHTS[name][0])
    try:
        load_trained(run)
        taken = True
    except CheckpointError:
        taken = False
    state = torch.get_rng_state()
    assert weights_intact(run / "model.pt") is taken
    assert torch.equal(torch.get_rng_state(), state)


def test_a_model_pt_that_is_not_a_dict_is_named(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    torch.save([torch.zeros(2)], tmp_path / "run" / "model.pt")
    with pytest.raises(CheckpointError, match=r"model\.pt is not a linearnets weights file \(no impl and state_dict\); re-run training"):  # fmt: skip
        load_trained(tmp_path / "run")


def test_a_model_pt_without_its_state_dict_is_named(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    torch.save({"impl": "concise", "num_inputs": 784}, tmp_path / "run" / "model.pt")
    with pytest.raises(CheckpointError, match=r"model\.pt is not a linearnets weights file \(no impl and state_dict\); re-run training"):  # fmt: skip
        load_trained(tmp_path / "run")


def test_a_linreg_run_s_checkpoint_as_model_pt_is_named_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run's checkpoint.pt copied or renamed to model.pt was "not a linearnets weights file
    (no impl and state_dict)": a sound file, of a linear-regression run."""
    import linearnets as ln

    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=tmp_path / "linreg"))
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.pt").write_bytes((tmp_path / "linreg" / "checkpoint.pt").read_bytes())
    said = (
        f"{run / 'model.pt'} is a linreg run's checkpoint, not a softmax run's trained weights: "
        "a checkpoint.pt was copied or renamed to model.pt; re-run training to recreate it"
    )
    with pytest.raises(CheckpointError, match=f"^{re.escape(said)}$"):
        load_trained(run)
    assert main(["predict", str(run), "-n", "3"]) == 1
    assert capsys.readouterr().err == f"linearnets predict: error: {said}\n"


def _softmax_run(tmp_path: Path) -> Path:
    """Return the folder of a finished one-epoch softmax run on 30 examples of 4 features."""
    import linearnets as ln

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    run = tmp_path / "run"
    ln.run_softmax(ln.SoftmaxConfig(data=tmp_path / "d.npz", plot="none", epochs=1, out=run))
    return run


def test_load_trained_is_public_at_the_top_level_and_rebuilds_a_run_s_model(
    tmp_path: Path,
) -> None:
    """``ln.load_trained``, documented in docs/python.md, is the run folder's loader itself: the
    model it rebuilds predicts as the run's saved weights do."""
    import linearnets as ln
    from linearnets.inference import predict_labels

    run = _softmax_run(tmp_path)
    assert ln.load_trained is load_trained
    net, meta = ln.load_trained(run)
    assert (meta["num_inputs"], meta["num_outputs"], meta["classes"]) == (4, 3, ["0", "1", "2"])
    X = torch.as_tensor(np.load(tmp_path / "d.npz")["X"], dtype=torch.float32)
    saved = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    W, b = saved["W"], saved["b"]  # the default impl's, the book's (D2L §3.6)
    assert torch.equal(predict_labels(net, X), (X @ W + b).argmax(dim=1))


def test_a_softmax_run_s_checkpoint_as_model_pt_is_sent_to_the_resume_that_writes_it(
    tmp_path: Path,
) -> None:
    import linearnets as ln

    run = _softmax_run(tmp_path)
    (run / "model.pt").write_bytes((run / "checkpoint.pt").read_bytes())
    with pytest.raises(
        CheckpointError,
        match=rf"^{re.escape(str(run / 'model.pt'))} is a softmax run's checkpoint, not a softmax "
        r"run's trained weights: a checkpoint\.pt was copied or renamed to model\.pt; write it "
        rf"again from the run's checkpoint with linearnets softmax --resume {re.escape(str(run))} "
        r"\(linearnets\.resume_softmax in Python\)$",
    ):
        load_trained(run)
    ln.resume_softmax(run)  # as it says
    assert load_trained(run)[1]["num_inputs"] == 4


def _data_run(tmp_path: Path, name: str, *, callbacks: Any = (), **settings: Any) -> Path:
    """Return the folder of a softmax run on ``tmp_path``'s d.npz (30 examples of 4 features, 3
    classes, made if missing), with ``settings`` and ``callbacks``."""
    import linearnets as ln

    data = tmp_path / "d.npz"
    if not data.exists():
        rng = np.random.default_rng(0)
        np.savez(data, X=rng.normal(size=(30, 4)), y=np.arange(30) % 3)
    run = tmp_path / name
    ln.run_softmax(
        ln.SoftmaxConfig(data=data, plot="none", out=run, **settings), callbacks=callbacks
    )
    return run


@pytest.mark.parametrize("told_by", ["impl", "weights"])
def test_another_runs_model_pt_copied_in_is_refused_and_the_advised_resume_writes_the_own(
    tmp_path: Path, told_by: str
) -> None:
    """A model.pt copied in from another run of the same shape was loaded silently: the other
    run's impl beside the run's results.json, or its weights beside the complete run's
    checkpoint, tell it; moved out, the resume writes the run's own again, as the fix says."""
    import linearnets as ln

    run = _data_run(tmp_path, "run", epochs=1)
    own = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    other = _data_run(
        tmp_path, "other", **({"impl": "concise"} if told_by == "impl" else {"epochs": 2})
    )
    (run / "model.pt").write_bytes((other / "model.pt").read_bytes())
    why = {
        "impl": "its impl is 'concise', but the run's results.json says 'analytic'",
        "weights": "its weights are not those the run ended with (its last epoch, 1, which its "
        "checkpoint.pt holds and its results.json reports)",
    }[told_by]
    said = (
        f"{run / 'model.pt'} is not this run's: {why}, so it was copied from another run; put "
        "back the run's own model.pt, or move it out of the run folder (a resume keeps a model.pt "
        f"that loads), then write it again from the run's checkpoint with linearnets softmax "
        f"--resume {run} (linearnets.resume_softmax in Python)"
    )
    with pytest.raises(CheckpointError) as info:
        load_trained(run)
    assert str(info.value) == said
    (run / "model.pt").rename(tmp_path / "kept.pt")  # as it says
    ln.resume_softmax(run)
    net, _ = load_trained(run)
    assert own.keys() == net.state_dict().keys()
    assert all(torch.equal(net.state_dict()[k], own[k]) for k in own)
    assert load_trained(other)[1]["impl"] == ("concise" if told_by == "impl" else "analytic")


def test_a_run_stopped_before_its_last_epoch_is_offered_to_end_there(tmp_path: Path) -> None:
    """ "Finish it" alone sent a run stopped after 2 of its 6 epochs to train 4 more before any
    prediction; a resume with --epochs 2 writes model.pt from the checkpoint at once, training
    nothing, and a later one with more epochs goes on from there."""
    import linearnets as ln
    from linearnets.training.interrupt import TrainingInterrupted

    with pytest.raises(TrainingInterrupted):
        _data_run(tmp_path, "run", epochs=6, callbacks=[_SignalAt(3)])
    run = tmp_path / "run"
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; its run "
        "stopped before it finished, after 2 of its 6 epochs: finish it with linearnets softmax "
        f"--resume {run} (linearnets.resume_softmax in Python), then predict; or end it there, "
        f"with the weights of epoch 2, with linearnets softmax --resume {run} --epochs 2 "
        "(epochs=2 in linearnets.resume_softmax), then predict"
    )
    kept = torch.load(run / "checkpoint.pt", weights_only=True)["model_state"]
    result = ln.resume_softmax(run, epochs=2)  # as it says
    assert len(result.history.epochs) == 2
    net, _ = load_trained(run)
    assert all(torch.equal(net.state_dict()[k], kept[k]) for k in kept)
    assert len(ln.resume_softmax(run, epochs=6).history.epochs) == 6  # goes on from there


class _NotWeights:
    """An object of a class torch's weights_only loader does not allow."""


def test_a_model_pt_torch_refuses_to_load_is_named_in_one_short_line(tmp_path: Path) -> None:
    """torch's weights_only refusal runs to a thousand characters over many lines, most of them
    advice for its caller (weights_only=False would run the file's code): its first sentence only."""
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"impl": _NotWeights()}, run / "model.pt")  # an object weights_only refuses
    with pytest.raises(CheckpointError) as info:
        load_trained(run)
    message = str(info.value)
    prefix = f"{run / 'model.pt'} is not a linearnets weights file or is damaged (UnpicklingError: "
    assert message.startswith(prefix) and "\n" not in message
    assert message == prefix + "Weights only load failed.); re-run training to recreate it"


@pytest.mark.parametrize("unfinished", [False, True])
def test_a_folder_without_model_pt_is_a_usage_error_saying_what_to_do(
    tmp_path: Path, unfinished: bool, interrupted_checkpoint: Callable[[Path], Path]
) -> None:
    if unfinished:
        interrupted_checkpoint(tmp_path)  # what an interrupted run leaves
    advice = (
        r"its run stopped before it finished, after 1 of its 2 epochs: finish it with linearnets "
        rf"softmax --resume {re.escape(str(tmp_path))} "
        if unfinished
        else r"pass a folder written by a finished 'linearnets softmax' run$"
    )
    with pytest.raises(
        UsageError,
        match=rf"^run_dir must hold the trained weights model\.pt, got {re.escape(repr(str(tmp_path)))} without them; {advice}",
    ):
        load_trained(tmp_path)


@pytest.mark.parametrize(
    ("config_kept", "task_recorded"),
    [(True, True), (False, True), (False, False)],
    ids=["config-json", "checkpoint-only", "checkpoint-recording-no-task"],
)
def test_a_linreg_run_s_folder_is_said_to_keep_no_model_pt(
    tmp_path: Path, config_kept: bool, task_recorded: bool
) -> None:
    """It was sent to 'linearnets softmax --resume' to write model.pt "again", which refuses a
    linear-regression run: a linreg run never keeps one. A checkpoint recording no task (a hand
    edit) is told by its settings, as the resume tells it."""
    import linearnets as ln

    from .test_resume import _edit_checkpoint

    run = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=run))
    if not config_kept:
        (run / "config.json").unlink()
    if not task_recorded:
        _edit_checkpoint(run, extra=lambda payload: {**payload["extra"], "task": None})
    source = "config.json" if config_kept else "checkpoint.pt"
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; it "
        f"holds a linear-regression run (its {source} is of task 'linreg'), which keeps no "
        "model.pt (its learned w and b are in its results.json once it finishes); pass the "
        "folder of a 'linearnets softmax' run"
    )
    with pytest.raises(UsageError) as info:
        ln.resume_softmax(run)  # the resume the old message advised
    assert str(info.value) == (
        f"the run folder {run} holds a linear-regression run (its {source} is of task 'linreg'), "
        "not a softmax run; it is complete after 1 epoch: train it further with: "
        f"linearnets.resume_linreg('{run}', epochs=6)"
    )


@pytest.mark.parametrize("impl", ["analytic", "scratch"])
def test_a_softmax_model_pt_copied_into_a_linreg_run_s_folder_is_refused_as_that(
    tmp_path: Path, impl: str
) -> None:
    """The linreg run's results.json says impl 'scratch', a softmax impl's name too: another
    impl's model.pt was told "put back the run's own model.pt, or re-run training", neither of
    which gives a linear-regression run one, and a 'scratch' one loaded silently."""
    import linearnets as ln

    source = _softmax_run(tmp_path)
    if impl != "analytic":
        (source / "model.pt").unlink()
        ln.resume_softmax(source, impl=impl, force=True, epochs=2)
    assert torch.load(source / "model.pt", weights_only=True)["impl"] == impl  # the oracle
    run = tmp_path / "linreg"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=run))
    assert json.loads((run / "results.json").read_text())["impl"] == "scratch"
    (run / "model.pt").write_bytes((source / "model.pt").read_bytes())
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must be a softmax run's folder, got {str(run)!r}, which holds a "
        "linear-regression run (its config.json is of task 'linreg'): such a run keeps no "
        f"model.pt, so {run / 'model.pt'} was put there from another run; pass the folder of "
        "the 'linearnets softmax' run it came from, or move it there"
    )
    assert load_trained(source)[1]["impl"] == impl  # the fix: the folder it came from


def test_a_softmax_run_s_folder_holding_a_linreg_config_json_names_config_json_as_the_copy(
    tmp_path: Path,
) -> None:
    """fc7400e1 read the folder as a linear-regression run's by its config.json alone, and told
    its own model.pt to go back to "the folder it came from", itself; the checkpoint and model.pt
    are a softmax run's (the oracle: predict's refusal of the same folder names config.json)."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=tmp_path / "linreg"))
    (run / "config.json").write_bytes((tmp_path / "linreg" / "config.json").read_bytes())
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"{run / 'config.json'} is a linear-regression run's (task 'linreg'), but model.pt beside "
        "it holds a softmax model and checkpoint.pt a softmax run: config.json was copied from "
        "another run; put back the run's own config.json, or delete it (predict reads only its "
        "data and data_dir, and draws without it)"
    )
    (run / "config.json").unlink()  # the fix
    assert load_trained(run)[1]["impl"] == "analytic"


def test_a_stopped_softmax_run_s_folder_holding_a_linreg_config_json_names_config_json(
    tmp_path: Path,
) -> None:
    """A softmax run stopped before its model.pt, a linear-regression run's config.json copied
    in: load_trained said "it holds a linear-regression run ... pass the folder of a 'linearnets
    softmax' run", which it is; predict (the oracle) names config.json or the checkpoint."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    (run / "model.pt").unlink()  # as a run stopped before it finished
    (run / "results.json").unlink()
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=tmp_path / "linreg"))
    (run / "config.json").write_bytes((tmp_path / "linreg" / "config.json").read_bytes())
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value).startswith(
        f"{run / 'config.json'} is a linear-regression run's (task 'linreg'), but checkpoint.pt "
        "beside it is a softmax run's: one of them was copied from another run; if config.json, "
        "put back the run's own, or delete it (a resume rebuilds it from checkpoint.pt)"
    )


@pytest.mark.parametrize("key", ["Task", "tsak"])
def test_a_linreg_run_whose_task_key_is_misspelt_is_still_said_to_keep_no_model_pt(
    tmp_path: Path, key: str
) -> None:
    """A misspelt "task" was read as none, a softmax run's: the finished linear-regression run was
    sent to write model.pt "again" with 'linearnets softmax --resume', which refuses the key. The
    task is read as the readers take it (their refusal names the key to correct)."""
    import linearnets as ln

    run = tmp_path / "run"
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=run))
    path = run / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({(key if k == "task" else k): v for k, v in saved.items()}))
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; it "
        "holds a linear-regression run (its config.json is of task 'linreg'), which keeps no "
        "model.pt (its learned w and b are in its results.json once it finishes); pass the "
        "folder of a 'linearnets softmax' run"
    )


def test_a_run_stopped_in_its_first_epoch_is_sent_to_start_over(tmp_path: Path) -> None:
    """Its folder holds config.json alone: it said "pass a folder written by a finished run", as of
    a folder holding no run, where a resume starts it over."""
    import linearnets as ln
    from linearnets.training.interrupt import TrainingInterrupted

    data = tmp_path / "d.npz"
    np.savez(data, X=np.random.default_rng(0).normal(size=(30, 4)), y=np.arange(30) % 3)
    run = tmp_path / "run"

    class Stop:  # the run's first step stops it: no epoch ends, no checkpoint
        def on_batch_end(self, step: int, losses: torch.Tensor) -> None:
            raise TrainingInterrupted(signal_name="SIGINT", epoch=1, step=step + 1)

    config = ln.SoftmaxConfig(epochs=1, data=data, plot="none", out=run)
    with pytest.raises(TrainingInterrupted):
        ln.run_softmax(config, callbacks=[Stop()])
    assert not (run / "checkpoint.pt").exists() and (run / "config.json").is_file()
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value).endswith(
        "without them; its run stopped before its first epoch ended, so nothing was trained: "
        f"start it over with linearnets softmax --resume {run} (linearnets.resume_softmax in "
        "Python), then predict"
    )
    ln.resume_softmax(run)  # as it says
    net, _ = load_trained(run)
    assert net is not None


@pytest.mark.parametrize("left", ["metrics.jsonl", "results.json"])
def test_a_folder_with_logged_epochs_or_results_but_no_checkpoint_is_not_sent_to_start_over(
    tmp_path: Path, left: str
) -> None:
    """config.json beside a logged epoch, or beside results.json, is no run stopped in its first
    epoch: the resume it would advise refuses to throw that away (or the run finished and lost
    its checkpoint), so no resume is advised."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    (run / left).write_text('{"epoch": 1}\n')
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; pass a "
        "folder written by a finished 'linearnets softmax' run"
    )


def test_a_finished_run_without_model_pt_is_sent_to_resume_as_finished(tmp_path: Path) -> None:
    """It said the run "stopped before it finished": it had finished, and model.pt was removed."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    (run / "model.pt").unlink()
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value).endswith(
        "without them; its run finished, and its checkpoint holds the weights: write model.pt "
        f"again with linearnets softmax --resume {run} (linearnets.resume_softmax in "
        "Python), then predict"
    )
    ln.resume_softmax(run)  # as it says
    assert load_trained(run)[1]["num_inputs"] == 4


@pytest.mark.parametrize("target", ["gone.pt", "/dev/null"], ids=["broken", "not-a-file"])
def test_a_model_pt_link_to_no_file_is_named_as_the_link(tmp_path: Path, target: str) -> None:
    """A model.pt linking to nothing was reported as missing ("without them"): the link went
    unsaid, and "where is my file?" with it. The resume it advises replaces the link."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    (run / "model.pt").unlink()
    (run / "model.pt").symlink_to(target)
    kind = "a broken link" if target == "gone.pt" else "a link to something that is no file"
    with pytest.raises(UsageError) as info:
        load_trained(run)
    shown = str(run / target) if target == "gone.pt" else target  # the link folder's gone.pt
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} whose model.pt is "
        f"{kind} (to {shown!r}): restore the file it points to, or replace the link as follows; "
        "its run finished, and its checkpoint holds the weights: write model.pt again with "
        f"linearnets softmax --resume {run} (linearnets.resume_softmax in Python), then predict"
    )
    ln.resume_softmax(run)  # as it says
    assert not os.path.islink(run / "model.pt")
    assert load_trained(run)[1]["num_inputs"] == 4


_LOST = "so its weights are lost: "
_AGAIN = (
    "train the run again in this folder with linearnets.resume_softmax({run!r}, force=True) (its "
    "saved settings; its metrics and results replaced), then predict"
)


@pytest.mark.parametrize("checkpoint", [b"", b"x", "truncated"])
def test_a_finished_run_without_model_pt_whose_checkpoint_cannot_be_read_has_lost_them(
    tmp_path: Path, checkpoint: Any
) -> None:
    """It said "its checkpoint holds the weights: write model.pt again with --resume" of an empty
    or damaged checkpoint.pt, which that resume refuses. The weights are lost: restore the
    checkpoint, or delete it and train again (as the resume's own refusal says)."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    (run / "model.pt").unlink()
    saved = (run / "checkpoint.pt").read_bytes()
    (run / "checkpoint.pt").write_bytes(saved[:300] if checkpoint == "truncated" else checkpoint)
    with pytest.raises(CheckpointError):
        ln.resume_softmax(run)  # what it advised
    said = (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; its run "
        f"finished, but its checkpoint.pt cannot be read (truncated, damaged or not a torch file), {_LOST}restore checkpoint.pt "
        f"from a copy of the run, or delete it and {_AGAIN.format(run=str(run))}"
    )
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == said
    (run / "checkpoint.pt").unlink()  # as it says
    ln.resume_softmax(run, force=True)
    assert load_trained(run)[1]["num_inputs"] == 4


@pytest.mark.parametrize("checkpoint", [b"", b"x", "truncated"])
def test_an_unfinished_run_whose_checkpoint_cannot_be_read_is_told_so_not_sent_to_resume(
    tmp_path: Path, checkpoint: Any
) -> None:
    """It said "its run stopped before it finished: finish it with --resume", and that resume
    refused the checkpoint: the refusal, with its fix, is now said at once, in the resume's
    own words (the oracle), and the fix it gives trains the run again."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    for name in ("model.pt", "results.json"):  # as a run interrupted after its checkpoint
        (run / name).unlink()
    saved = (run / "checkpoint.pt").read_bytes()
    (run / "checkpoint.pt").write_bytes(saved[:300] if checkpoint == "truncated" else checkpoint)
    with pytest.raises(CheckpointError) as refused:
        ln.resume_softmax(run)
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; its run "
        f"stopped before it finished, and its {refused.value}"
    )
    assert str(info.value).endswith(
        "; restore checkpoint.pt from a copy of the run, or delete it and resume with force=True "
        "to start the run over"
    )
    (run / "checkpoint.pt").unlink()  # as it says
    ln.resume_softmax(run, force=True)
    assert load_trained(run)[1]["num_inputs"] == 4


@pytest.mark.parametrize("finished", [False, True], ids=["unfinished", "finished"])
def test_a_linreg_checkpoint_copied_into_a_softmax_run_is_told_not_sent_to_resume(
    tmp_path: Path, finished: bool
) -> None:
    """A linear-regression run's checkpoint.pt copied into a softmax run's folder (its config.json
    still the softmax run's) sent predict to "finish it with --resume" (or "write model.pt again
    with --resume"), which refuses that checkpoint: its refusal, the oracle, is said at once, and
    the fix it gives trains the run again."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=tmp_path / "linreg"))
    (run / "checkpoint.pt").write_bytes((tmp_path / "linreg" / "checkpoint.pt").read_bytes())
    (run / "model.pt").unlink()
    if not finished:
        (run / "results.json").unlink()
    with pytest.raises(CheckpointError) as refused:
        ln.resume_softmax(run)
    assert "is a linreg run's checkpoint, not a softmax run's" in str(refused.value)
    with pytest.raises(UsageError) as info:
        load_trained(run)
    state = "finished, but" if finished else "stopped before it finished, and"
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; its run "
        f"{state} its {refused.value}"
    )
    (run / "checkpoint.pt").unlink()  # as it says
    ln.resume_softmax(run, force=True)
    assert load_trained(run)[1]["num_inputs"] == 4


@pytest.mark.parametrize(("errno_", "said"), SYSTEM_REFUSALS)
def test_a_finished_run_without_model_pt_whose_checkpoint_the_system_refuses_has_not_lost_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    refuse_open: Callable[[Path, int], None],
    capsys: pytest.CaptureFixture[str],
    errno_: int,
    said: str,
) -> None:
    """A checkpoint.pt its permissions (or the disk) deny reading was said to be "truncated,
    damaged or not a torch file, so its weights are lost: ... delete it and train the run again",
    of weights a chmod gives back. It now names the error and the fix, then the resume. (Tests run
    as root, which reads any file: the refusal is stood in for.)"""
    run = _softmax_run(tmp_path)
    (run / "model.pt").unlink()
    checkpoint = run / "checkpoint.pt"
    refuse_open(checkpoint, errno_)
    message = (
        f"must hold the trained weights model.pt, got {str(run)!r} without them; its run "
        f"finished, but its checkpoint.pt, which holds its weights, "
        f"{said.format(path=checkpoint)}, then write model.pt again with linearnets softmax "
        f"--resume {run} (linearnets.resume_softmax in Python), then predict"
    )
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == f"run_dir {message}"
    # predict refuses a --data run before it looks for weights: its config.json is let go (the
    # resume rebuilds it from the checkpoint)
    (run / "config.json").unlink()
    assert main(["predict", str(run), "-n", "2"]) == 2
    assert capsys.readouterr().err == f"linearnets predict: error: RUN_DIR {message}\n"
    monkeypatch.undo()  # readable again: the resume it advises writes model.pt
    import linearnets as ln

    with pytest.warns(ResumeWarning, match=r"^wrote config\.json in .* config\.json was missing"):
        ln.resume_softmax(run)  # and config.json, let go above
    assert load_trained(run)[1]["num_inputs"] == 4


def test_a_finished_run_without_model_pt_or_checkpoint_is_said_to_have_lost_them(
    tmp_path: Path,
) -> None:
    """Its config.json and results.json left: it said "pass a folder written by a finished
    'linearnets softmax' run", of one. Now: the weights are gone, and the command that trains the
    run again there (said as the command on the command line)."""
    import linearnets as ln
    from linearnets.cli._cli_words import cli_words

    run = _softmax_run(tmp_path)
    (run / "model.pt").unlink()
    (run / "checkpoint.pt").unlink()
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got {str(run)!r} without them; its run "
        f"finished, but its checkpoint.pt is gone too, {_LOST}{_AGAIN.format(run=str(run))}"
    )
    assert cli_words(str(info.value)).endswith(  # as predict says it
        f"{_LOST}train the run again in this folder with linearnets softmax --resume {run} --force "
        "(its saved settings; its metrics and results replaced), then predict"
    )
    ln.resume_softmax(run, force=True)  # as it says
    assert load_trained(run)[1]["num_inputs"] == 4


def test_a_damaged_model_pt_beside_a_checkpoint_is_sent_to_resume(tmp_path: Path) -> None:
    """ "re-run training to recreate it" threw the run away: its checkpoint holds the weights."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    kept = (run / "checkpoint.pt").read_bytes()
    (run / "checkpoint.pt").unlink()
    (run / "model.pt").write_bytes((run / "model.pt").read_bytes()[:500])  # cut short
    with pytest.raises(CheckpointError, match=r"; re-run training to recreate it$"):
        load_trained(run)  # no checkpoint: training again is the way
    (run / "checkpoint.pt").write_bytes(kept)
    with pytest.raises(
        CheckpointError,
        match=r"is not a linearnets weights file or is damaged \(.*\); write it again from the "
        rf"run's checkpoint with linearnets softmax --resume {re.escape(str(run))} "
        r"\(linearnets\.resume_softmax in Python\)$",
    ):
        load_trained(run)
    spaced = tmp_path / "my run"  # the command is pasted into a shell: quoted
    run.rename(spaced)
    quoted = re.escape(shlex.quote(str(spaced)))  # the oracle: Python's own shell quoting
    with pytest.raises(CheckpointError, match=rf"--resume {quoted} \(linearnets\.resume_softmax"):
        load_trained(spaced)
    ln.resume_softmax(spaced)  # as it says
    assert load_trained(spaced)[1]["num_inputs"] == 4


def test_a_model_pt_with_a_flipped_bit_in_its_weights_is_damaged_not_predicted_with(
    tmp_path: Path,
) -> None:
    """torch.load checks no CRC-32: a bit flipped in W's bytes loaded silently, and predict gave
    another model's labels with exit 0. It is the damaged file now, and the resume it advises
    writes model.pt again from the checkpoint."""
    import zipfile

    import linearnets as ln

    run = _softmax_run(tmp_path)
    path = run / "model.pt"
    saved = torch.load(path, weights_only=True)["state_dict"]["W"]
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:  # the oracle: where W's bytes lie
        member = next(
            i for i in archive.infolist() if i.file_size == saved.numel() * saved.element_size()
        )
    name_len = int.from_bytes(data[member.header_offset + 26 : member.header_offset + 28], "little")
    extra_len = int.from_bytes(
        data[member.header_offset + 28 : member.header_offset + 30], "little"
    )
    data[member.header_offset + 30 + name_len + extra_len + 3] ^= 0x7E  # W[0, 0]'s top byte
    path.write_bytes(bytes(data))
    assert not torch.equal(torch.load(path, weights_only=True)["state_dict"]["W"], saved)
    said = (
        f"{path} is not a linearnets weights file or is damaged (ChecksumError: the CRC-32 of "
        f"{member.filename} does not match its bytes); write it again from the run's checkpoint "
        f"with linearnets softmax --resume {run} (linearnets.resume_softmax in Python)"
    )
    with pytest.raises(CheckpointError) as info:
        load_trained(run)
    assert str(info.value) == said  # predict's refusal: it loads with load_trained
    ln.resume_softmax(run)  # as it says
    assert torch.equal(load_trained(run)[1]["state_dict"]["W"], saved)


@pytest.mark.parametrize("checkpoint", ["linreg", "damaged"])
def test_a_damaged_model_pt_beside_a_checkpoint_no_resume_takes_is_sent_to_train_again(
    tmp_path: Path, checkpoint: str
) -> None:
    """Beside a linear-regression run's checkpoint (copied in from its folder), or a damaged one,
    it was sent to write model.pt again with 'linearnets softmax --resume', which refuses that
    checkpoint."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    if checkpoint == "linreg":
        ln.run_linreg(ln.LinregConfig(epochs=1, num_examples=100, out=tmp_path / "linreg"))
        (run / "checkpoint.pt").write_bytes((tmp_path / "linreg" / "checkpoint.pt").read_bytes())
        held = "is a linreg run's, not a softmax run's"
    else:
        (run / "checkpoint.pt").write_bytes(b"x")
        held = "cannot be read"
    torch.save([torch.zeros(2)], run / "model.pt")
    said = (
        f"{run / 'model.pt'} is not a linearnets weights file (no impl and state_dict); re-run "
        f"training to recreate it (the run's checkpoint.pt {held}, so no resume writes it again)"
    )
    with pytest.raises(CheckpointError, match=f"^{re.escape(said)}$"):
        load_trained(run)
    with pytest.raises(CheckpointError, match=rf"^checkpoint {re.escape(str(run))}/checkpoint\.pt"):
        ln.resume_softmax(run)  # the resume the old message advised


def test_the_checkpoint_is_read_for_the_fix_of_a_damaged_model_pt_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which resume writes model.pt again is told by the run's checkpoint: it is not loaded where
    model.pt is missing as a resume probes it. Where model.pt is sound it is loaded once, to tell
    the complete run's weights from another run's copied in (its last epoch's, which model.pt
    holds)."""
    from linearnets.tasks.weights import weights_intact
    from linearnets.training import run_config

    run = _softmax_run(tmp_path)
    real, read = run_config.load_checkpoint, []
    monkeypatch.setattr(
        run_config, "load_checkpoint", lambda path: (read.append(path), real(path))[1]
    )
    assert load_trained(run)[1]["num_inputs"] == 4
    assert read == [run / "checkpoint.pt"]
    read.clear()
    (run / "model.pt").unlink()
    assert not weights_intact(run / "model.pt")  # an unfinished run's, at each resume
    assert read == []
    (run / "model.pt").write_bytes(b"x")
    with pytest.raises(CheckpointError, match=r"; write it again from the run's checkpoint"):
        load_trained(run)
    assert read == [run / "checkpoint.pt"]


def test_a_folder_named_model_pt_is_named_as_such_not_sent_to_a_resume_that_refuses_it(
    tmp_path: Path,
) -> None:
    """It said the run had no model.pt and to write it with --resume, which refuses the folder."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    (run / "model.pt").unlink()
    (run / "model.pt").mkdir()
    with pytest.raises(CheckpointError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"{run / 'model.pt'} must be the trained weights file, got a folder; move that folder out "
        "of the run folder, then write it again from the run's checkpoint with linearnets "
        f"softmax --resume {run} (linearnets.resume_softmax in Python)"
    )
    (run / "model.pt").rename(tmp_path / "moved")  # as it says
    ln.resume_softmax(run)
    assert load_trained(run)[1]["num_inputs"] == 4


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_a_model_pt_linked_to_a_folder_is_named_a_link_whose_removal_is_the_fix(
    tmp_path: Path, relative: bool
) -> None:
    """A model.pt that is a link to a folder elsewhere was told "got a folder; move that folder
    out of the run folder", a folder that is not in it: it is named a link to that folder, and
    removing the link, then the resume, writes the weights again; the folder is kept."""
    import linearnets as ln

    run = _softmax_run(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("kept")
    (run / "model.pt").unlink()
    # a relative target is the link folder's (../elsewhere), said as the folder it is from here
    target = os.path.relpath(elsewhere, run) if relative else elsewhere
    (run / "model.pt").symlink_to(target, target_is_directory=True)
    with pytest.raises(CheckpointError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"{run / 'model.pt'} must be the trained weights file, got a link to the folder "
        f"{str(elsewhere)!r}; remove the link (the folder it points to is kept), then write it "
        f"again from the run's checkpoint with linearnets softmax --resume {run} "
        "(linearnets.resume_softmax in Python)"
    )
    (run / "model.pt").unlink()  # as it says
    ln.resume_softmax(run)
    assert load_trained(run)[1]["num_inputs"] == 4
    assert (elsewhere / "keep.txt").read_text() == "kept"


@pytest.mark.parametrize(
    "classes", [None, tuple(f"c{i}" for i in range(10))], ids=["none", "a-tuple"]
)
def test_classes_none_or_a_tuple_of_names_still_load(tmp_path: Path, classes: Any) -> None:
    """The length check leaves what a weights_only load can give for names alone."""
    _model(tmp_path / "run", classes=classes)
    assert load_trained(tmp_path / "run")[1]["classes"] == classes


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
@pytest.mark.parametrize("checkpointed", [True, False], ids=["after-an-epoch", "first-epoch"])
def test_a_run_still_training_is_named_with_its_process_not_sent_to_resume(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    checkpointed: bool,
    lock_held_by_a_child: Callable[[Path], AbstractContextManager[int]],
) -> None:
    """It said the run "stopped before it finished" and to --resume it, which is refused while
    the run is written ("being written by another linearnets run (process N)"); once that process
    is gone (kill -9 leaves the lock file), the resume advice is right again."""
    run = tmp_path / "run"
    run.mkdir()
    if checkpointed:
        (run / "checkpoint.pt").write_bytes(b"epoch 1")
    with lock_held_by_a_child(run) as child:
        message = (
            f"must hold the trained weights model.pt, got {str(run)!r} without them; its run is "
            f"still training (linearnets process {child}), and model.pt is written when it "
            "finishes: wait for that process to end, then predict"
        )
        with pytest.raises(UsageError) as info:
            load_trained(run)
        assert str(info.value) == f"run_dir {message}"  # load_trained's parameter
        assert main(["predict", str(run), "-n", "2"]) == 2
        assert capsys.readouterr().err == f"linearnets predict: error: RUN_DIR {message}\n"
    assert (run / ".lock").is_file()
    after = "its run stopped before it finished" if checkpointed else "pass a folder written by"
    with pytest.raises(UsageError, match=after):
        load_trained(run)


@pytest.mark.parametrize("run_dir, got", [(None, "None"), (123, "123")])
def test_load_trained_refuses_what_is_no_path(run_dir: Any, got: str) -> None:
    with pytest.raises(
        UsageTypeError, match=rf"^run_dir must be the path of a run folder, got {got}; pass e\.g\."
    ):
        load_trained(run_dir)


def test_load_trained_given_the_weights_file_names_its_folder(tmp_path: Path) -> None:
    (tmp_path / "model.pt").write_bytes(b"weights")
    with pytest.raises(
        UsageError,
        match=rf"^run_dir must be the run folder, got the file {re.escape(str(tmp_path / 'model.pt'))}; "
        rf"pass the folder that holds it: {re.escape(str(tmp_path))}$",
    ):
        load_trained(tmp_path / "model.pt")


def _experiment() -> Any:
    """What save_weights reads of an Experiment: the model, its config and its sizes."""
    from types import SimpleNamespace

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    config = SimpleNamespace(impl="concise", resize=None)
    return SimpleNamespace(
        model=model, config=config, num_inputs=4, classes=["a", "b", "c"], pixels=False
    )


def test_weights_on_a_full_disk_name_the_file_and_leave_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's zip writer on a full disk raised "unexpected RuntimeError: [enforce fail at
    inline_container.cc:672] ..." and left .model.pt.tmp; now the checkpoint's kind of error,
    with the resume that finishes the run (its last checkpoint is there), quoted for the shell."""
    import shutil

    from linearnets.errors import RunFileError
    from linearnets.tasks.weights import save_weights

    run = tmp_path / "my run"
    run.mkdir()
    (run / "checkpoint.pt").write_bytes(b"the last epoch's")
    (run / "model.pt").write_bytes(b"an earlier model")
    usage = shutil.disk_usage(tmp_path)._replace(free=8192)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage)
    real_save = torch.save

    def full(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        real_save(obj, io.BytesIO())  # as far as torch gets, elsewhere
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 1024 vs 918")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(RunFileError, match=rf"^{re.escape(str(run / 'model.pt'))} could not be written: the disk is full \(8 KiB free\); the checkpoint of the run's last finished epoch is kept: fix that and continue it with linearnets\.resume_softmax\('{re.escape(str(run))}'\)$"):  # fmt: skip
        save_weights(run / "model.pt", _experiment())
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.pt", "model.pt"]
    assert (run / "model.pt").read_bytes() == b"an earlier model"


def test_weights_are_written_atomically_and_reload(tmp_path: Path) -> None:
    from linearnets.tasks.weights import save_weights

    exp = _experiment()
    save_weights(tmp_path / "model.pt", exp)
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    assert payload["num_inputs"] == 4 and payload["classes"] == ["a", "b", "c"]
    assert torch.equal(payload["state_dict"]["1.weight"], exp.model[1].weight.detach())


def test_the_resume_that_finishes_a_run_is_quoted_for_the_shell(
    tmp_path: Path, interrupted_checkpoint: Callable[[Path], Path]
) -> None:
    run = tmp_path / "two  sp"
    interrupted_checkpoint(run)
    with pytest.raises(UsageError, match=rf"finish it with linearnets softmax --resume '{re.escape(str(run))}' \(linearnets.resume_softmax in Python\), then predict; or end it there, with the weights of epoch 1, with linearnets softmax --resume '{re.escape(str(run))}' --epochs 1 \(epochs=1 in linearnets.resume_softmax\), then predict$"):  # fmt: skip
        load_trained(run)


def test_load_trained_expands_a_leading_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'~/run' is the home folder's run (os.path.expanduser, the shell), as out='~/…' is."""
    import os

    monkeypatch.setenv("HOME", str(tmp_path))
    assert os.path.expanduser("~/run") == str(tmp_path / "run")  # the oracle
    _model(tmp_path / "run")
    net, meta = load_trained("~/run")
    saved = torch.load(tmp_path / "run" / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(net.state_dict()[k], saved[k]) for k in saved)
    assert meta["num_inputs"] == 784


@pytest.mark.parametrize("unfinished", [False, True])
def test_a_folder_without_model_pt_names_run_dir_in_either_words(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    unfinished: bool,
    interrupted_checkpoint: Callable[[Path], Path],
) -> None:
    """From Python, "RUN_DIR must hold ..." named the command's argument: load_trained's parameter
    is run_dir. predict still says RUN_DIR, as its usage does."""
    if unfinished:
        interrupted_checkpoint(tmp_path)
    with pytest.raises(UsageError) as info:
        load_trained(tmp_path)
    said = str(info.value)
    assert said.startswith(
        f"run_dir must hold the trained weights model.pt, got {str(tmp_path)!r} "
    )
    assert main(["predict", str(tmp_path), "-n", "2"]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: RUN_DIR{said.removeprefix('run_dir')}\n"
    )


def test_a_folder_that_does_not_exist_is_named_as_such(tmp_path: Path) -> None:
    """A misspelt run folder was said to be "without" model.pt, as if it existed and lacked the
    file; read_config and resume_softmax say it does not exist."""
    from linearnets.training.run_config import read_config

    missing = tmp_path / "runs" / "typo"
    expected = (
        f"run_dir must be a run folder, got {str(missing)!r}, which does not exist; pass the "
        "folder a run wrote, its config's out (the result's run_dir)"
    )
    with pytest.raises(UsageError) as info:
        load_trained(missing)
    assert str(info.value) == expected
    with pytest.raises(UsageError) as same:
        read_config(missing)
    assert str(same.value) == expected
    assert not missing.exists()  # nothing made


def _pixel_images(tmp_path: Path, dtype: Any) -> tuple[Path, np.ndarray, np.ndarray]:
    """A --data file of 3 classes of 4×4 images, pixels 0..255 of ``dtype`` (uint8, or a wider
    integer type), each class brighter in its own rows; return it, X_test and y_test."""
    rng = np.random.default_rng(1)
    y = np.arange(90) % 3
    X = rng.integers(0, 120, size=(90, 4, 4))
    for c in range(3):
        X[y == c, c] += 135  # class c: row c bright, up to 254
    X = X.astype(dtype)
    np.savez(tmp_path / "px.npz", X=X[:60], y=y[:60], X_test=X[60:], y_test=y[60:])
    return tmp_path / "px.npz", X[60:], y[60:]


def _counts(true: np.ndarray, pred: torch.Tensor, classes: int) -> torch.Tensor:
    """The confusion matrix (C, C) as numpy counts it: row = true class, column = predicted."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (true, pred.numpy()), 1)
    return torch.from_numpy(counts)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64], ids=["uint8", "int64-within-0..255"])
def test_a_run_on_pixels_says_so_and_its_recipe_predicts_as_the_run_did(
    tmp_path: Path, dtype: Any
) -> None:
    """A --data X of 8-bit pixels trains on X / 255; model.pt did not say so, and a reloaded
    model given the raw values as floats predicted wrong with nothing to tell."""
    from linearnets.errors import DataWarning
    from linearnets.inference import predict_labels

    data, X_test, y_test = _pixel_images(tmp_path, dtype)
    run = tmp_path / "run"
    args = ["--data", str(data), "--plot", "none", "--epochs", "3", "--out", str(run)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # int64's "taken for 8-bit pixels"
        assert main(["softmax", *args]) == 0
    assert torch.load(run / "model.pt", weights_only=True)["pixels"] is True
    net, meta = load_trained(run)
    assert meta["pixels"] is True
    # the documented recipe: as the run flattened and scaled its X_test, its confusion.pt's counts
    X = torch.from_numpy(X_test).reshape(len(X_test), -1).float()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scaled inputs: no warning
        pred = predict_labels(net, X / 255)
    assert torch.equal(_counts(y_test, pred, 3), torch.load(run / "confusion.pt"))
    with pytest.warns(DataWarning) as caught:  # the raw values, as floats
        predict_labels(net, X)
    assert [str(w.message) for w in caught] == [
        "X must be scaled as the model's training inputs were, 8-bit pixels divided by 255 (in "
        f"[0, 1]; its model.pt says pixels=True), got values up to {float(X_test.max()):g}: raw "
        "pixels give wrong predictions; pass X / 255"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per model
        predict_labels(net, X)


def test_a_run_on_uint8_flags_trains_as_on_int64_ones_and_says_they_were_not_scaled(
    tmp_path: Path,
) -> None:
    """uint8 features of 0 and 1 alone are kept: the run is the int64 run, bit for bit (it was
    the run on X / 255: 200 random flags trained to accuracy 0.555 where int64 ones reached
    0.900), model.pt says pixels=False, and the reloaded model takes the flags as they are, with
    no warning, predicting as the run did."""
    from linearnets.inference import predict_labels

    rng = np.random.default_rng(0)
    X = rng.random((200, 6)) < 0.5
    y = (X[:, :3].sum(1) >= 2).astype(np.int64) + 2 * X[:, 3]
    runs = {}
    for dtype in (np.uint8, np.int64):
        data, run = tmp_path / f"{np.dtype(dtype).name}.npz", tmp_path / np.dtype(dtype).name
        np.savez(data, X=X[:150].astype(dtype), y=y[:150], X_test=X[150:].astype(dtype),
                 y_test=y[150:])  # fmt: skip
        args = ["--data", str(data), "--plot", "none", "--epochs", "10", "--out", str(run)]
        args += ["--batch-size", "16"]
        assert main(["softmax", *args]) == 0
        runs[dtype] = run
    u8, i64 = (json.loads((runs[d] / "results.json").read_text()) for d in (np.uint8, np.int64))
    for key in ("train_loss", "train_acc", "test_acc", "per_class_acc"):
        assert u8[key] == i64[key]
    assert u8["train_acc"] > 0.75
    assert torch.load(runs[np.uint8] / "model.pt", weights_only=True)["pixels"] is False
    net, meta = load_trained(runs[np.uint8])
    assert meta["pixels"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = predict_labels(net, torch.from_numpy(X[150:]).float())
    assert torch.equal(_counts(y[150:], pred, 4), torch.load(runs[np.uint8] / "confusion.pt"))


def test_a_run_on_float_features_says_they_were_not_scaled(tmp_path: Path) -> None:
    """Floats are trained on as they are: pixels=False, and large ones are no misuse."""
    from linearnets.inference import predict_labels

    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(60, 4)).astype(np.float32), np.arange(60) % 3
    X[np.arange(60), y] += 3.0
    np.savez(tmp_path / "d.npz", X=X[:45], y=y[:45], X_test=X[45:], y_test=y[45:])
    run = tmp_path / "run"
    args = ["--data", str(tmp_path / "d.npz"), "--plot", "none", "--epochs", "3"]
    assert main(["softmax", *args, "--out", str(run)]) == 0
    assert torch.load(run / "model.pt", weights_only=True)["pixels"] is False
    net, meta = load_trained(run)
    assert meta["pixels"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = predict_labels(net, torch.from_numpy(X[45:]))
        predict_labels(net, torch.from_numpy(X[45:]) * 100)  # no warning: not pixels
    assert torch.equal(_counts(y[45:], pred, 3), torch.load(run / "confusion.pt"))


@pytest.mark.parametrize(
    ("classes", "pixels"),
    [
        ([str(i) for i in range(10)], None),  # a --data run's: scaled or not, it did not say
        (list(TEXT_LABELS), True),
        (None, None),
    ],
    ids=["data-run", "fashion-mnist", "no-classes"],
)
def test_a_model_pt_written_before_pixels_was_recorded_still_loads(
    tmp_path: Path, classes: Any, pixels: bool | None
) -> None:
    """Without the key: a Fashion-MNIST model was trained on pixels / 255, as every one was; a
    --data one is unknown (None), and goes unchecked."""
    from linearnets.errors import DataWarning
    from linearnets.inference import predict_labels

    _model(tmp_path / "run", classes=classes)
    assert "pixels" not in torch.load(tmp_path / "run" / "model.pt", weights_only=True)
    net, meta = load_trained(tmp_path / "run")
    assert meta["pixels"] is pixels
    assert all(torch.equal(net.state_dict()[k], v) for k, v in meta["state_dict"].items())
    raw = torch.full((2, 784), 200.0)
    if pixels:
        with pytest.warns(DataWarning, match=r"got values up to 200: raw pixels"):
            predict_labels(net, raw)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            predict_labels(net, raw)


def _denied(monkeypatch: pytest.MonkeyPatch, path: Path, where: Any, name: str) -> None:
    """Have ``where.name`` refuse ``path`` as a mode the user may not read does (faked: root,
    which runs the suite, reads anything)."""
    real = getattr(where, name)

    def refused(target: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(target) == path:
            raise PermissionError(13, "Permission denied", str(target))
        return real(target, *args, **kwargs)

    monkeypatch.setattr(where, name, refused)


def test_a_model_pt_the_user_may_not_read_is_named_as_such_not_as_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "not a linearnets weights file or is damaged" and sent a sound file to a resume
    that writes it again; the fix is its permissions. A resume still writes it again."""
    from linearnets.tasks.weights import weights_intact

    run = tmp_path / "run"
    _model(run)
    (run / "checkpoint.pt").write_bytes(b"x")
    _denied(monkeypatch, run / "model.pt", torch, "load")
    message = (
        f"{run / 'model.pt'} cannot be read (Permission denied); make it readable "
        f"(chmod u+r {run / 'model.pt'}) and try again"
    )
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == message
    assert main(["predict", str(run), "-n", "2"]) == 2
    assert capsys.readouterr().err == f"linearnets predict: error: {message}\n"
    assert not weights_intact(run / "model.pt")  # a resume writes it again, as before


def test_a_run_folder_the_user_may_not_open_is_named_with_its_fix_not_a_bare_oserror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """chmod 000 on the folder: load_trained (and predict --out elsewhere) raised the bare
    "[Errno 13] Permission denied: 'run/model.pt' (PermissionError)", exit 1."""
    run = tmp_path / "run"
    _model(run)
    _denied(monkeypatch, run / "model.pt", Path, "stat")
    with pytest.raises(UsageError) as info:
        load_trained(run)
    got = (
        f"must be a folder you can open, got {str(run)!r}, whose model.pt cannot be reached "
        f"(Permission denied); make the folder readable (chmod u+rx {run}) and try again"
    )
    assert str(info.value) == f"run_dir {got}"
    out = tmp_path / "p.png"
    assert main(["predict", str(run), "-n", "2", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"linearnets predict: error: RUN_DIR {got}\n"
    assert not out.exists()


def test_a_run_folder_named_with_a_line_break_is_named_as_the_shell_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """repr named it '/tmp/.../a\\nb', Python's escape, which the shell reads as a backslash and
    an n (beside the chmod fix's $'...' in the same message): named as shown_path names it."""
    run = tmp_path / "a\nb"
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must be a run folder, got $'{tmp_path}/a\\nb', which does not exist; pass the "
        "folder a run wrote, its config's out (the result's run_dir)"
    )
    _model(run)
    _denied(monkeypatch, run / "model.pt", Path, "stat")
    out = tmp_path / "p.png"
    assert main(["predict", str(run), "-n", "2", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"linearnets predict: error: RUN_DIR must be a folder you can open, got "
        f"$'{tmp_path}/a\\nb', whose model.pt cannot be reached (Permission denied); make the "
        f"folder readable (chmod u+rx $'{tmp_path}/a\\nb') and try again\n"
    )


@pytest.mark.parametrize("unfinished", [False, True])
def test_a_run_folder_without_model_pt_named_with_a_line_break_is_named_as_the_shell_takes_it(
    tmp_path: Path, unfinished: bool, interrupted_checkpoint: Callable[[Path], Path]
) -> None:
    """repr named it '.../a\\nb', Python's escape, which the shell reads as a backslash and an n,
    beside the resume's $'.../a\\nb' in the same message: named as shown_path names it."""
    run = tmp_path / "a\nb"
    run.mkdir()
    if unfinished:
        interrupted_checkpoint(run)  # what an interrupted run leaves
    advice = (
        "its run stopped before it finished, after 1 of its 2 epochs: finish it with linearnets "
        f"softmax --resume $'{tmp_path}/a\\nb' (linearnets.resume_softmax in Python), then "
        f"predict; or end it there, with the weights of epoch 1, with linearnets softmax --resume "
        f"$'{tmp_path}/a\\nb' --epochs 1 (epochs=1 in linearnets.resume_softmax), then predict"
        if unfinished
        else "pass a folder written by a finished 'linearnets softmax' run"
    )
    with pytest.raises(UsageError) as info:
        load_trained(run)
    assert str(info.value) == (
        f"run_dir must hold the trained weights model.pt, got $'{tmp_path}/a\\nb' without them; "
        f"{advice}"
    )
