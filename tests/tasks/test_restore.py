"""Loading a checkpoint into a freshly prepared run: weights (translated across impls), optimizer, RNGs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.config import SoftmaxConfig
from linearnets.errors import CheckpointError
from linearnets.tasks.experiment import prepare
from linearnets.tasks.restore import restore_states
from linearnets.tasks.softmax import run_softmax
from linearnets.training.checkpoint import Checkpoint, load_checkpoint


def _data(path: Path, features: int = 4) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, features)).astype(np.float32)
    np.savez(path, X=X, y=np.arange(60) % 3)
    return path


def _trained(tmp_path: Path, impl: str) -> tuple[SoftmaxConfig, Checkpoint]:
    """One epoch of ``impl`` at lr 0.1; return its config and checkpoint."""
    config = SoftmaxConfig(  # on the CPU: the checkpoint is compared bit for bit with the model
        data=_data(tmp_path / "d.npz"),
        impl=impl,
        epochs=1,
        plot="none",
        out=tmp_path / "run",
        device="cpu",
    )
    run_softmax(config)
    return config, load_checkpoint(tmp_path / "run" / "checkpoint.pt")


def test_unchanged_settings_restore_the_weights_and_every_generator(tmp_path: Path) -> None:
    config, ckpt = _trained(tmp_path, "concise")
    exp = prepare(config)
    torch.rand(3)  # the global generator moves on, as it does between a run and its resume
    restore_states(exp, ckpt, config, {})
    state = exp.model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in ckpt.model_state.items())
    ours = exp.generators.state_dict()
    assert all(torch.equal(ours[k], v) for k, v in ckpt.generators_state["run"].items())
    assert torch.equal(torch.get_rng_state(), ckpt.generators_state["global"]["torch"])


def test_a_forced_new_seed_keeps_the_new_runs_generators(tmp_path: Path) -> None:
    config, ckpt = _trained(tmp_path, "concise")
    new = dataclasses.replace(config, seed=5)
    exp = prepare(new)
    fresh = {k: v.clone() for k, v in exp.generators.state_dict().items()}
    restore_states(exp, ckpt, config, {"seed": (0, 5)})
    assert all(torch.equal(exp.generators.state_dict()[k], v) for k, v in fresh.items())
    assert not torch.equal(fresh["data"], ckpt.generators_state["run"]["data"])


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_a_forced_learning_rate_is_the_one_the_optimizer_steps_with(
    tmp_path: Path, impl: str
) -> None:
    """The checkpoint's optimizer state says lr 0.1; a step after the restore moves by 0.5 · grad."""
    config, ckpt = _trained(tmp_path, impl)
    exp = prepare(dataclasses.replace(config, lr=0.5))
    restore_states(exp, ckpt, config, {"lr": (0.1, 0.5)})
    params = list(exp.model.parameters())
    before = [p.detach().clone() for p in params]
    for p in params:
        p.grad = torch.ones_like(p)
    exp.setup.updater.step()
    for p, b in zip(params, before, strict=True):
        torch.testing.assert_close(p.detach(), b - 0.5, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("old", "new"), [("scratch", "concise"), ("concise", "analytic")])
def test_a_forced_switch_of_impl_transposes_the_weights(tmp_path: Path, old: str, new: str) -> None:
    """Scratch keeps W (d, q); nn.Linear keeps weight (q, d): the same model either way."""
    config, ckpt = _trained(tmp_path, old)
    exp = prepare(dataclasses.replace(config, impl=new))
    restore_states(exp, ckpt, config, {"impl": (old, new)})
    saved, state = ckpt.model_state, exp.model.state_dict()
    if old == "concise":
        assert torch.equal(state["W"], saved["1.weight"].T) and state["W"].shape == (4, 3)
        assert torch.equal(state["b"], saved["1.bias"])
    else:
        assert torch.equal(state["1.weight"], saved["W"].T) and state["1.weight"].shape == (3, 4)
        assert torch.equal(state["1.bias"], saved["b"])
    # the restored model scores as the saved weights do, computed here in the scratch layout
    W = saved["W"] if old == "scratch" else saved["1.weight"].T  # (d, q)
    b = saved["b"] if old == "scratch" else saved["1.bias"]
    X = torch.randn(20, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(exp.model(X).argmax(1), (X @ W + b).argmax(1))


def test_weights_for_other_features_are_refused_naming_the_shapes(tmp_path: Path) -> None:
    config, ckpt = _trained(tmp_path, "scratch")
    wider = dataclasses.replace(config, data=_data(tmp_path / "wide.npz", features=5))
    with pytest.raises(
        CheckpointError,
        match=rf"^checkpoint {re.escape(str(ckpt.path))} holds model weights that do not fit this "
        r"run: 'W' has shape \(4, 3\), this run's model needs \(5, 3\), so they were trained on "
        r"other data or another image size; resume with the run's own --data and --resize, or "
        r"start a new run$",
    ):
        restore_states(prepare(wider), ckpt, config, {})


def test_weights_under_other_names_are_refused(tmp_path: Path) -> None:
    config, ckpt = _trained(tmp_path, "scratch")
    renamed = dataclasses.replace(
        ckpt, model_state={"weight": ckpt.model_state["W"], "b": ckpt.model_state["b"]}
    )
    with pytest.raises(
        CheckpointError,
        match=rf"^checkpoint {re.escape(str(ckpt.path))} is damaged: its model_state must be the "
        r"weights \['W', 'b'\] of this run's impl='scratch' model, got",
    ):
        restore_states(prepare(config), renamed, config, {})


@pytest.mark.parametrize(("old", "new"), [("scratch", "scratch"), ("analytic", "concise")])
def test_the_impl_of_weights_that_do_not_fit_is_named_in_either_words(
    tmp_path: Path, old: str, new: str
) -> None:
    """From Python "this run's --impl scratch model" named an option: the setting is
    impl='scratch', and the fix force=True. The command line prints both as it did."""
    from linearnets.cli._report import one_line

    config, ckpt = _trained(tmp_path, old)
    renamed = dataclasses.replace(ckpt, model_state={"V": torch.zeros(4, 3)})
    changed = {"impl": (old, new)} if old != new else {}
    with pytest.raises(CheckpointError) as info:
        restore_states(prepare(dataclasses.replace(config, impl=new)), renamed, config, changed)
    if old == new:
        python = f"of this run's impl={new!r} model"
        command = f"of this run's --impl {new} model"
    else:
        python = f"of an impl={old!r} run, to convert to impl={new!r}"
        command = f"of an --impl {old} run, to convert to --impl {new}"
    assert python in str(info.value) and "--" not in str(info.value)
    assert str(info.value).endswith(
        "delete it and resume with force=True to start the run over" + _FINISHED
    )
    assert one_line(info.value) == (
        f"checkpoint {ckpt.path} is damaged: its model_state must be the weights ['W', 'b'] "
        f"{command}, got {'list' if old == new else 'dict'} "
        f"{['V'] if old == new else {'V': (4, 3)}}; restore checkpoint.pt from a copy of the "
        "run, or delete it and resume with --force to start the run over" + _FINISHED
    )


# a finished run's checkpoint damaged: the start over replaces its trained weights, kept
_FINISHED = (
    "; the run finished: starting it over replaces its trained weights and results (model.pt, "
    "results.json; each old file is kept as NAME.bak, e.g. model.pt.bak)"
)


def test_states_that_do_not_fit_name_force_in_either_words(tmp_path: Path) -> None:
    """The optimizer's state damaged: "resume with --force" from Python named an option; the
    setting is force=True. The command line prints --force, as it did."""
    from linearnets.cli._report import one_line

    config, ckpt = _trained(tmp_path, "scratch")
    damaged = dataclasses.replace(ckpt, optimizer_state={"lr": "fast"})
    with pytest.raises(CheckpointError) as info:
        restore_states(prepare(config), damaged, config, {})
    fix = "or delete it and resume with {} to start the run over" + _FINISHED
    assert str(info.value).endswith(fix.format("force=True"))
    assert one_line(info.value) == str(info.value).replace("force=True", "--force")
    assert one_line(info.value).endswith(fix.format("--force"))
