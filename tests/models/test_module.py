"""The ``nn.Module`` contract the scratch models share: ``to`` (and ``cpu``, ``float``, ``double``),
``train``/``eval``, ``zero_grad``, ``requires_grad_``, state dicts, repr.

The oracle is ``nn.Module`` itself: a twin module holding parameters of the same names and shapes is
given the same calls, and the two must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch import LinearRegressionScratch, SoftmaxRegressionScratch
from linearnets.models.scratch.module import ScratchModule


class Twin(nn.Module):
    """An ``nn.Module`` with the scratch model's parameters: same names, shapes and values."""

    def __init__(self, net: ScratchModule) -> None:
        super().__init__()
        for name, param in net.named_parameters():
            self.register_parameter(name, nn.Parameter(param.detach().clone()))


SCRATCH = {
    "softmax": lambda: SoftmaxRegressionScratch(6, 3, generator=torch.Generator().manual_seed(0)),
    "linreg": lambda: LinearRegressionScratch(4, generator=torch.Generator().manual_seed(0)),
}


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_to_train_and_eval_return_the_model_itself_as_nn_modules_do(
    build: Callable[[], ScratchModule],
) -> None:
    net, twin = build(), Twin(build())
    assert twin.to("cpu") is twin and twin.eval() is twin and twin.train() is twin  # the oracle
    assert net.to("cpu") is net and net.eval() is net and net.train() is net
    assert net.eval().training is twin.eval().training is False
    assert net.train().training is twin.train().training is True


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.to(torch.float64),
        lambda m: m.to(dtype=torch.float64),
        lambda m: m.to("cpu", torch.float64),
        lambda m: m.to(device="cpu", dtype=torch.float16),
        lambda m: m.to("cpu"),
    ],
    ids=["dtype", "dtype=", "device-dtype", "keywords", "device"],
)
def test_to_casts_as_nn_module_to_does_keeping_the_parameter_objects(
    build: Callable[[], ScratchModule], call: Callable[[Any], Any]
) -> None:
    net, twin = build(), Twin(build())
    before = list(net.parameters())
    call(net)
    call(twin)
    for (name, mine), theirs in zip(net.named_parameters(), twin.parameters(), strict=True):
        assert mine.dtype == theirs.dtype and mine.device == theirs.device, name
        assert torch.equal(mine.detach(), theirs.detach()), name
    # an optimizer built before the move keeps updating them
    assert all(a is b for a, b in zip(before, net.parameters(), strict=True))


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool])
def test_to_refuses_a_dtype_that_is_not_floating_point_as_nn_module_does(
    dtype: torch.dtype,
) -> None:
    with pytest.raises(TypeError):  # the oracle
        nn.Linear(2, 1).to(dtype)
    net = SoftmaxRegressionScratch(6, 3)
    with pytest.raises(
        UsageTypeError,
        match=rf"dtype must be a floating-point torch\.dtype, got {dtype}; pass e\.g\. "
        r"torch\.float32 or torch\.float64",
    ):
        net.to(dtype)
    assert net.W.dtype == torch.float32  # left as it was


def test_to_refuses_two_dtypes() -> None:
    with pytest.raises(UsageTypeError, match=r"to\(\) takes one dtype, got torch\.float64 and"):
        SoftmaxRegressionScratch(6, 3).to(torch.float64, torch.float32)


def test_train_refuses_a_mode_that_is_not_a_bool_as_nn_module_does() -> None:
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):  # the oracle
        nn.Linear(2, 1).train("no")  # type: ignore[arg-type]
    with pytest.raises(UsageTypeError, match=r"mode must be True or False, got 'no'"):
        SoftmaxRegressionScratch(6, 3).train("no")  # type: ignore[arg-type]


# state dicts: (what is loaded, what nn.Module's load_state_dict(strict=False) reports)
STATES: dict[str, Callable[[dict[str, torch.Tensor]], dict[str, Any]]] = {
    "all": lambda sd: dict(sd),
    "one missing": lambda sd: {k: v for k, v in list(sd.items())[:1]},
    "one extra": lambda sd: {**sd, "extra": torch.zeros(2)},
    "missing and extra": lambda sd: {"extra": torch.zeros(2), **dict(list(sd.items())[1:])},
    "none": lambda sd: {},
}


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
@pytest.mark.parametrize("state", STATES.values(), ids=STATES)
def test_load_state_dict_not_strict_loads_the_shared_names_and_reports_the_rest_as_nn_module(
    build: Callable[[], ScratchModule], state: Callable[[dict[str, torch.Tensor]], dict[str, Any]]
) -> None:
    net, twin = build(), Twin(build())
    source = {k: v + 1 for k, v in build().state_dict().items()}  # other values than the models'
    given = state(source)
    theirs = twin.load_state_dict(given, strict=False)
    mine = net.load_state_dict(given, strict=False)
    assert mine.missing_keys == theirs.missing_keys
    assert mine.unexpected_keys == theirs.unexpected_keys
    assert tuple(mine) == tuple(theirs)  # a (missing_keys, unexpected_keys) pair, as torch's
    assert repr(mine).startswith("<All keys") == repr(theirs).startswith("<All keys")
    for (name, a), b in zip(net.named_parameters(), twin.parameters(), strict=True):
        assert torch.equal(a.detach(), b.detach()), name


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_load_state_dict_strict_returns_no_incompatible_keys_as_nn_module(
    build: Callable[[], ScratchModule],
) -> None:
    net, twin = build(), Twin(build())
    theirs = twin.load_state_dict(twin.state_dict())
    mine = net.load_state_dict(net.state_dict())
    assert tuple(mine) == tuple(theirs) == ([], [])
    assert repr(mine) == repr(theirs) == "<All keys matched successfully>"


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_refuses_a_wrong_shape_strict_or_not_as_nn_module(strict: bool) -> None:
    net = SoftmaxRegressionScratch(6, 3)
    bad = {"W": torch.zeros(3, 6), "b": torch.ones(3)}
    with pytest.raises(RuntimeError, match="size mismatch"):  # the oracle refuses it either way
        Twin(net).load_state_dict(bad, strict=strict)
    with pytest.raises(
        UsageError, match=r"state_dict\['W'\] must have shape \(6, 3\), got \(3, 6\)"
    ):
        net.load_state_dict(bad, strict=strict)
    assert not bool((net.b == 1).any())  # checked before anything is copied


def test_load_state_dict_strict_names_the_names_and_the_way_out() -> None:
    with pytest.raises(
        UsageError,
        match=r"the state must hold exactly the parameters \['W', 'b'\], got a state_dict of "
        r"\['W'\]; .* or pass strict=False to load the names both share",
    ):
        SoftmaxRegressionScratch(6, 3).load_state_dict({"W": torch.zeros(6, 3)})


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: SoftmaxRegressionScratch(), "SoftmaxRegressionScratch(num_inputs=784, num_outputs=10, dtype=torch.float32)"),
        (lambda: SoftmaxRegressionScratch(6, 3, analytic=True).to(torch.float64), "SoftmaxRegressionScratch(num_inputs=6, num_outputs=3, analytic=True, dtype=torch.float64)"),
        (lambda: LinearRegressionScratch(2), "LinearRegressionScratch(num_inputs=2, dtype=torch.float32)"),
    ],
)  # fmt: skip
def test_repr_shows_the_sizes_and_dtype_as_nn_linears_does(
    build: Callable[[], ScratchModule], expected: str
) -> None:
    # the oracle's form: sizes by keyword, no values, no address
    assert repr(nn.Linear(784, 10)) == "Linear(in_features=784, out_features=10, bias=True)"
    assert repr(build()) == expected


def test_check_batch_device_names_the_holder_in_the_callers_words() -> None:
    from linearnets.models.scratch.module import check_batch_device

    words = {"of": "the thing's weights", "move": "it with t.to('{device}')", "build": "make it"}
    cpu = torch.zeros(2)
    check_batch_device(torch.zeros(3, 2), cpu, **words)  # same device: nothing to say
    meta = torch.zeros(2, device="meta")
    check_batch_device(torch.zeros(3, 2, device="meta"), meta, **words)  # shapes with shapes
    with pytest.raises(
        UsageError,
        match=r"^X must be on the device of the thing's weights, got a batch on cpu for the "
        r"thing's weights on the meta device \(shapes without values, which compute nothing\); "
        r"make it on the CPU \(the default\) or a GPU$",
    ):
        check_batch_device(torch.zeros(3, 2), meta, **words)
    with pytest.raises(UsageError, match=r"^X must hold values, got a tensor of shape \(3, 2\)"):
        check_batch_device(torch.zeros(3, 2, device="meta"), cpu, **words)


@pytest.mark.parametrize(
    "build", [lambda: LinearRegressionScratch(2), lambda: SoftmaxRegressionScratch(4, 3)]
)
def test_a_meta_state_is_refused_as_data_and_leaves_the_model_as_it_was(build: Any) -> None:
    """A state of meta tensors (shapes without values) failed in torch's words, "Cannot copy out
    of meta tensor; no data!", and only once an earlier parameter had been loaded."""
    net = build()
    before = net.state_dict()
    meta = {name: torch.zeros_like(value) for name, value in before.items()}
    last = list(meta)[-1]
    meta[last] = meta[last].to("meta")
    with pytest.raises(
        UsageError, match=rf"^state_dict\['{last}'\] must hold values, got .* meta device"
    ):
        net.load_state_dict(meta)
    assert all(torch.equal(p, before[name]) for name, p in net.named_parameters())


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
@pytest.mark.parametrize("method", ["double", "float", "cpu"])
def test_cpu_float_and_double_cast_as_nn_modules_do(
    build: Callable[[], ScratchModule], method: str
) -> None:
    net, twin = build().to(torch.float16), Twin(build()).to(torch.float16)
    before = list(net.parameters())
    assert getattr(net, method)() is net and getattr(twin, method)() is twin
    for (name, mine), theirs in zip(net.named_parameters(), twin.parameters(), strict=True):
        assert mine.dtype == theirs.dtype and mine.device == theirs.device, name
        assert torch.equal(mine.detach(), theirs.detach()), name
    assert all(a is b for a, b in zip(before, net.parameters(), strict=True))


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_resets_the_gradients_as_nn_modules_does(
    build: Callable[[], ScratchModule], set_to_none: bool
) -> None:
    net, twin = build(), Twin(build())
    for model in (net, twin):
        params = list(model.parameters())
        for param in params:
            param.requires_grad_(True)
        out = (torch.cat([p.reshape(-1) for p in params]) + 1).square().sum()
        out.backward()
        assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in params)
    net.zero_grad(set_to_none=set_to_none)
    twin.zero_grad(set_to_none=set_to_none)
    for mine, theirs in zip(net.parameters(), twin.parameters(), strict=True):
        if set_to_none:
            assert mine.grad is None and theirs.grad is None
        else:
            assert mine.grad is not None and theirs.grad is not None
            assert torch.equal(mine.grad, theirs.grad) and not bool(mine.grad.any())
    with pytest.raises(UsageError, match=r"set_to_none must be True or False, got 'no'"):
        net.zero_grad(set_to_none="no")  # type: ignore[arg-type]


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_requires_grad_freezes_and_unfreezes_as_nn_modules_does(
    build: Callable[[], ScratchModule],
) -> None:
    net, twin = build(), Twin(build())
    assert net.requires_grad_(False) is net and twin.requires_grad_(False) is twin
    assert [p.requires_grad for p in net.parameters()] == [
        p.requires_grad for p in twin.parameters()
    ]
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())
    with pytest.raises(UsageError, match=r"requires_grad must be True or False, got 'no'"):
        net.requires_grad_("no")  # type: ignore[arg-type]


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_the_initial_weights_are_drawn_on_the_generators_device(
    build: Callable[[], ScratchModule], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drawn without a device, the weights met a CUDA generator on the CPU (torch: "Expected a
    'cpu' device type for generator"), and a CPU one on a CUDA default device; they are drawn on
    the generator's device (here the CPU's), and the model is made on torch's default one."""
    randn, devices = torch.randn, []

    def spy(*args: Any, **kwargs: Any) -> torch.Tensor:
        devices.append((kwargs["generator"].device, kwargs.get("device")))
        return randn(*args, **kwargs)

    monkeypatch.setattr(torch, "randn", spy)
    build()
    with torch.device("meta"):  # torch's default device, as set_default_device sets it
        net = build()
    assert devices == [(torch.device("cpu"), torch.device("cpu"))] * 2
    assert all(p.is_meta for p in net.parameters())


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_state_dict_is_a_copy_that_later_training_leaves_alone(
    build: Callable[[], ScratchModule],
) -> None:
    """A state saved before training (a checkpoint, the best epoch's) must keep those values: an
    alias of the parameters would follow every later step (as nn.Module's, without a clone, do).
    The oracle: the values cloned aside when the state was taken."""
    net = build()
    state = net.state_dict()
    saved = {name: value.clone() for name, value in state.items()}
    with torch.no_grad():
        for param in net.parameters():
            param.add_(1.0)
    for name, param in net.named_parameters():
        assert torch.equal(state[name], saved[name]), name
        assert torch.equal(param.detach(), saved[name] + 1.0), name
        assert not state[name].requires_grad
    net.load_state_dict(state)
    for name, param in net.named_parameters():
        assert torch.equal(param.detach(), saved[name]), name


def test_initial_normal_draws_the_generators_standard_normal_values() -> None:
    """The oracle: torch.randn of the same shape from a generator of the same seed (mean 0, std 1,
    signs both ways), and the global stream when none is given."""
    from linearnets.models.scratch.module import initial_normal

    draws = initial_normal(300, 4, generator=torch.Generator().manual_seed(3))
    assert torch.equal(draws, torch.randn(300, 4, generator=torch.Generator().manual_seed(3)))
    assert float(draws.min()) < -1 and float(draws.max()) > 1
    torch.manual_seed(5)
    unseeded = initial_normal(2, 3, generator=None)
    torch.manual_seed(5)
    assert torch.equal(unseeded, torch.randn(2, 3))


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
@pytest.mark.parametrize(
    ("method", "dtype"), [("half", torch.float16), ("bfloat16", torch.bfloat16)]
)
def test_half_and_bfloat16_cast_as_nn_modules_do(
    build: Callable[[], ScratchModule], method: str, dtype: torch.dtype
) -> None:
    net, twin = build(), Twin(build())
    before = [(p, p.requires_grad) for p in net.parameters()]
    assert getattr(net, method)() is net and getattr(twin, method)() is twin
    for (name, mine), theirs in zip(net.named_parameters(), twin.parameters(), strict=True):
        assert mine.dtype == theirs.dtype == dtype, name
        assert torch.equal(mine.detach(), theirs.detach()), name
    # the same tensors, still trainable (or, analytic, not), as to() keeps them
    assert [(p, p.requires_grad) for p in net.parameters()] == before
    analytic = SoftmaxRegressionScratch(6, 3, analytic=True)
    assert getattr(analytic, method)().W.dtype == dtype and not analytic.W.requires_grad


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_type_casts_as_nn_modules_does_and_refuses_a_bad_dst_type(
    build: Callable[[], ScratchModule],
) -> None:
    net, twin = build(), Twin(build())
    assert net.type(torch.float64) is net and twin.type(torch.float64) is twin
    assert [p.dtype for p in net.parameters()] == [p.dtype for p in twin.parameters()]
    with pytest.raises(
        UsageTypeError, match=r"^dst_type must be a floating-point torch.dtype, got"
    ):
        net.type("torch.DoubleTensor")  # type: ignore[arg-type]
    before = [p.dtype for p in net.parameters()]
    for dtype in (torch.int64, torch.bool):  # named dst_type too, not to()'s dtype
        with pytest.raises(
            UsageTypeError,
            match=rf"^dst_type must be a floating-point torch\.dtype, got {dtype}; pass e\.g\. ",
        ):
            net.type(dtype)
    assert [p.dtype for p in net.parameters()] == before


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_apply_modules_children_and_buffers_as_nn_modules_do_for_a_leaf(
    build: Callable[[], ScratchModule],
) -> None:
    net, leaf = build(), nn.Linear(3, 2)
    seen: list[object] = []
    assert net.apply(seen.append) is net and seen == [net]
    theirs: list[object] = []
    assert leaf.apply(theirs.append) is leaf and theirs == [leaf]  # the oracle: a leaf module
    assert list(net.modules()) == [net] and list(leaf.modules()) == [leaf]
    assert list(net.named_modules()) == [("", net)] and list(leaf.named_modules()) == [("", leaf)]
    assert list(net.children()) == list(leaf.children()) == []
    assert list(net.named_children()) == list(leaf.named_children()) == []
    assert list(net.buffers()) == list(leaf.buffers()) == []
    assert list(net.named_buffers()) == list(leaf.named_buffers()) == []


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
@pytest.mark.parametrize(
    "name", ["register_forward_hook", "register_buffer", "get_submodule", "share_memory"]
)
def test_a_missing_nn_module_method_is_refused_naming_why_and_the_way_out(
    build: Callable[[], ScratchModule], name: str
) -> None:
    net = build()
    concise = "softmax_concise" if isinstance(net, SoftmaxRegressionScratch) else "linreg_concise"
    assert not hasattr(net, name)  # hasattr still tells the truth
    with pytest.raises(
        AttributeError,
        match=rf"^{type(net).__name__} has no {name}: a scratch model is built without torch.nn "
        rf".*docs/python.md.*use the concise model, ln.{concise}\(\.\.\.\)$",
    ):
        getattr(net, name)
    with pytest.raises(AttributeError, match=r"object has no attribute 'wieghts'$"):
        net.wieghts  # type: ignore[attr-defined]  # noqa: B018  # not nn.Module's: Python's words


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_state_dict_prefix_and_keep_vars_as_nn_modules_do(
    build: Callable[[], ScratchModule],
) -> None:
    net, twin = build(), Twin(build())
    mine, theirs = net.state_dict(prefix="m."), twin.state_dict(prefix="m.")
    assert list(mine) == list(theirs) == [f"m.{name}" for name in net.param_names()]
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)
    kept = net.state_dict(keep_vars=True)
    assert all(kept[name] is param for name, param in net.named_parameters())
    assert all(
        twin.state_dict(keep_vars=True)[name] is param for name, param in twin.named_parameters()
    )
    with pytest.raises(UsageTypeError, match=r"^prefix must be a str, got"):
        net.state_dict(prefix=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="positional"):
        net.state_dict("m.")  # type: ignore[misc]


@pytest.mark.parametrize("build", SCRATCH.values(), ids=SCRATCH)
def test_load_state_dict_assign_takes_the_states_tensors_as_nn_modules_does(
    build: Callable[[], ScratchModule],
) -> None:
    net, twin = build(), Twin(build())
    state = {k: v.double() * 2 for k, v in build().state_dict().items()}
    assert not net.load_state_dict(state, assign=True).missing_keys
    twin.load_state_dict(state, assign=True)
    for (name, mine), theirs in zip(net.named_parameters(), twin.parameters(), strict=True):
        assert mine.dtype == theirs.dtype == torch.float64, name  # the state's dtype kept
        assert mine.requires_grad == theirs.requires_grad, name  # the model's kept
        assert mine.data_ptr() == theirs.data_ptr() == state[name].data_ptr(), name
    with pytest.raises(UsageTypeError, match=r"^assign must be"):
        net.load_state_dict(state, assign="yes")  # type: ignore[arg-type]
