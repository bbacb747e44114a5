"""The concise models (D2L §3.3, §3.7): init_weights and the input checks run before nn.Linear."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from linearnets.errors import UsageError
from linearnets.models.concise import init_weights, linreg_concise, softmax_concise
from linearnets.models.scratch import SoftmaxRegressionScratch


def test_init_weights_leaves_other_modules_untouched(gen: torch.Generator) -> None:
    """Only nn.Linear layers are re-initialised, even where another module has a weight and a bias."""
    conv = nn.Conv2d(1, 2, 3)
    before = {k: v.clone() for k, v in conv.state_dict().items()}
    init_weights(conv, generator=gen)
    assert all(torch.equal(conv.state_dict()[k], v) for k, v in before.items())


@pytest.mark.parametrize("name", ["SoftmaxRegressionScratch", "LinearRegressionScratch"])
def test_apply_init_weights_leaves_a_scratch_model_as_it_was_and_says_so(name: str) -> None:
    import linearnets.models.scratch as scratch

    net = getattr(scratch, name)(4, **({"num_outputs": 3} if "Softmax" in name else {}))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.warns(
        UserWarning,
        match=rf"^init_weights leaves the {name} as it was: it initialises nn.Linear layers only.*"
        rf"build it again: {name}\(\.\.\., sigma=0\.01",
    ):
        assert net.apply(init_weights) is net  # the book's §3.7 idiom: no crash
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())


def test_init_weights_handles_a_linear_layer_without_bias() -> None:
    layer = nn.Linear(5, 3, bias=False)
    init_weights(layer, std=0.5, generator=torch.Generator().manual_seed(2))
    expected = torch.empty(3, 5).normal_(0.0, 0.5, generator=torch.Generator().manual_seed(2))
    assert torch.equal(layer.weight, expected) and layer.bias is None


@pytest.mark.parametrize(
    "kwargs,error,pattern",
    [
        ({"std": -0.01}, UsageError, r"std must be a finite number >= 0, got -0\.01; pass e\.g\. std=0\.01"),
        ({"generator": 0}, TypeError, r"generator must be a torch\.Generator or None, got 0"),
    ],
    ids=["std", "generator"],
)  # fmt: skip
def test_init_weights_refuses_bad_options(
    kwargs: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        init_weights(nn.Linear(2, 1), **kwargs)


def test_init_weights_refuses_a_std_that_draws_infinite_weights_and_leaves_the_layer_as_it_was() -> (
    None
):
    """std = 1e40 is finite, but N(0, 1e40²) draws are inf in float32 (the first loss then NaN)."""
    layer = nn.Linear(3, 2)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    # a draw within 0.034 of 0 stays finite (3.4e38 / 1e40): seeded, so the count is known
    gen = torch.Generator().manual_seed(0)
    drawn = torch.empty(2, 3).normal_(0.0, 1e40, generator=torch.Generator().manual_seed(0))
    assert int(drawn.isinf().sum()) == 6
    with pytest.raises(
        UsageError,
        match=r"^std must give finite initial weights in torch\.float32 \(largest value 3\.4e\+38\), "
        r"got std=1e\+40, which drew 6 of 6 weights infinite; pass a smaller std, e\.g\. std=0\.01",
    ):
        init_weights(layer, std=1e40, generator=gen)
    assert all(torch.equal(layer.state_dict()[k], v) for k, v in before.items())
    # a std that float32 holds is drawn as before: the same values as normal_ in place
    init_weights(layer, std=1e30, generator=torch.Generator().manual_seed(3))
    expected = torch.empty(2, 3).normal_(0.0, 1e30, generator=torch.Generator().manual_seed(3))
    assert torch.equal(layer.weight, expected)


BAD_INPUT = [
    (  # the linear model takes (B, d) only: no flattening
        lambda: linreg_concise(2)(torch.zeros(4, 3)),
        UsageError,
        r"X must hold 2 features per example, shape \(B, 2\), got shape \(4, 3\); check the data",
    ),
    (
        lambda: linreg_concise(4)(torch.zeros(3, 2, 2)),
        UsageError,
        r"X must hold 4 features per example, shape \(B, 4\), got shape \(3, 2, 2\)",
    ),
    (  # one feature per example still needs the batch dimension
        lambda: softmax_concise(1, 3)(torch.zeros(5)),
        UsageError,
        r"X must hold 1 feature per example, shape \(B, 1\) or \(B, 1, 1, 1\), got shape \(5,\); "
        r"for one feature per example make it a column with X\.reshape\(-1, 1\)$",
    ),
    (  # one feature, said in the singular
        lambda: linreg_concise(1)(torch.randn(5)),
        UsageError,
        r"^X must hold 1 feature per example, shape \(B, 1\), got shape \(5,\); for one feature "
        r"per example make it a column with X\.reshape\(-1, 1\)$",
    ),
    (  # the scratch softmax model alike
        lambda: SoftmaxRegressionScratch(1, 3)(torch.zeros(4, 2)),
        UsageError,
        r"^X must hold 1 feature per example, e\.g\. shape \(B, 1\) ",
    ),
    (  # one example's 2 features: a batch of one, as the scratch linreg says
        lambda: linreg_concise(2)(torch.zeros(2)),
        UsageError,
        r"X must hold 2 features per example, shape \(B, 2\), got shape \(2,\); for one example of "
        r"its 2 features use X\.reshape\(1, -1\), a batch of one$",
    ),
    (  # a 1-d X of another length: no reshape to guess
        lambda: linreg_concise(2)(torch.zeros(5)),
        UsageError,
        r"got shape \(5,\); check the data matches the model's num_inputs$",
    ),
    (
        lambda: linreg_concise(2)(torch.zeros(4, 2, dtype=torch.float64)),
        TypeError,
        r"X must have the model's dtype torch\.float32, got torch\.float64; .*net\.to\(torch\.float64\)",
    ),
    (
        lambda: softmax_concise().double()(torch.zeros(4, 784)),
        TypeError,
        r"X must have the model's dtype torch\.float64, got torch\.float32",
    ),
    (
        lambda: linreg_concise(2)(torch.zeros(4, 2, dtype=torch.int64)),
        TypeError,
        r"X must be a floating-point tensor",
    ),
    (
        lambda: linreg_concise(0),
        UsageError,
        r"num_inputs must be a positive integer \(>= 1\), got 0",
    ),
    (
        lambda: softmax_concise(784, 0),
        UsageError,
        r"num_outputs must be a positive integer \(>= 1\), got 0",
    ),
]


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call: Any, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize(
    ("num_inputs", "shape", "example", "fix"),
    [
        # a model trained after --resize 14 fed the 28×28 images: named as the scratch model does
        (196, (3, 1, 28, 28), "(B, 1, 14, 14)", "image size (resize)"),
        (784, (3, 1, 32, 32), "(B, 1, 28, 28)", "image size (resize)"),
        # rows of features, as a --data file's, are no image size to resize
        (196, (3, 784), "(B, 1, 14, 14)", "data"),
        (4, (3, 5), "(B, 1, 2, 2)", "data"),
        (10, (3, 1, 28, 28), "(B, 1, H, W) with H·W = 10", "image size (resize)"),
        (10, (3, 9), "(B, 1, H, W) with H·W = 10", "data"),
    ],
    ids=["resized", "default", "features-784", "features-4", "not-square", "not-square-features"],
)
def test_softmax_shape_error_names_the_image_shape_of_num_inputs(
    num_inputs: int, shape: tuple[int, ...], example: str, fix: str
) -> None:
    """The image shape holds num_inputs pixels, as SoftmaxRegressionScratch's (its own helper); the
    concise model said "(B, 1, H, W)" and "check the data" for 28×28 images fed a resize-14 model."""
    with pytest.raises(UsageError) as info:
        softmax_concise(num_inputs)(torch.zeros(shape))
    assert str(info.value) == (
        f"X must hold {num_inputs} features per example, shape (B, {num_inputs}) or {example}, "
        f"got shape {shape}; check the {fix} matches the model's num_inputs"
    )
    if fix != "data":  # the scratch model names the same image shape and fix for these
        with pytest.raises(
            UsageError, match=re.escape(f"or {example}, got shape {shape}; check the {fix}")
        ):
            SoftmaxRegressionScratch(num_inputs)(torch.zeros(shape))


def test_linreg_concise_fed_images_is_told_to_check_its_data() -> None:
    """A linear regression takes rows of features: images are no image size to resize."""
    with pytest.raises(UsageError) as info:
        linreg_concise(4)(torch.zeros(3, 1, 2, 2))
    assert str(info.value) == (
        "X must hold 4 features per example, shape (B, 4), got shape (3, 1, 2, 2); check the data "
        "matches the model's num_inputs"
    )


def test_a_float64_model_takes_float64_batches(gen: torch.Generator) -> None:
    net = softmax_concise(generator=gen).double()
    X = torch.rand(3, 1, 28, 28, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(net(X), F.linear(X.reshape(3, 784), net[1].weight, net[1].bias))


def test_linreg_concise_is_one_seeded_linear_layer(gen: torch.Generator) -> None:
    net = linreg_concise(3, generator=torch.Generator().manual_seed(4))
    assert isinstance(net, nn.Sequential) and len(net) == 1 and isinstance(net[0], nn.Linear)
    expected = torch.empty(1, 3).normal_(0.0, 0.01, generator=torch.Generator().manual_seed(4))
    assert torch.equal(net[0].weight, expected) and torch.equal(net[0].bias, torch.zeros(1))
    X = torch.randn(5, 3, generator=gen)
    torch.testing.assert_close(net(X), X @ expected.T)


@pytest.mark.parametrize("extra", [nn.Softmax(dim=1), nn.ReLU(), nn.Identity()])
def test_a_layer_appended_keeps_the_model_working(extra: nn.Module, gen: torch.Generator) -> None:
    """The returned model is a plain nn.Sequential: appending to it (a softmax for probabilities,
    the next chapter's layers) must work, and the input check must still read the Linear."""
    net = softmax_concise(generator=gen)
    net.append(extra)
    X = torch.rand(3, 1, 28, 28, generator=gen)
    expected = extra(F.linear(X.reshape(3, 784), net[1].weight, net[1].bias))
    torch.testing.assert_close(net(X), expected)
    with pytest.raises(UsageError, match=r"X must hold 784 features per example"):
        net(torch.rand(3, 1, 14, 14))
    with pytest.raises(TypeError, match=r"X must have the model's dtype torch\.float32"):
        net(X.double())
    line = linreg_concise(2)
    line.append(extra)
    Z = torch.randn(4, 2, generator=gen)
    torch.testing.assert_close(line(Z), extra(Z @ line[0].weight.T + line[0].bias))


def test_the_check_reads_a_replaced_first_layer(gen: torch.Generator) -> None:
    """A first Linear replaced for 14×14 images is checked for 196 features, not the 784 it had."""
    net = softmax_concise(generator=gen)
    net[1] = nn.Linear(196, 10)
    X = torch.rand(2, 1, 14, 14, generator=gen)
    torch.testing.assert_close(net(X), net[1](X.reshape(2, 196)))
    with pytest.raises(UsageError, match=r"X must hold 196 features per example"):
        net(torch.rand(2, 1, 28, 28))


def test_no_check_when_the_input_meets_another_layer_first(gen: torch.Generator) -> None:
    """A layer inserted before the Linear may change the shape: the check stands aside."""
    net = softmax_concise(28 * 14, generator=gen)
    net.insert(0, nn.AvgPool2d((1, 2)))  # (B, 1, 28, 28) -> (B, 1, 28, 14)
    X = torch.rand(2, 1, 28, 28, generator=gen)
    torch.testing.assert_close(net(X), net[2](F.avg_pool2d(X, (1, 2)).reshape(2, -1)))


@pytest.mark.parametrize("make", [lambda g: softmax_concise(4, 3, generator=g), lambda g: linreg_concise(4, generator=g)])  # fmt: skip
def test_a_concise_model_pickles_and_takes_its_input_by_keyword(
    make: Any, gen: torch.Generator, tmp_path: Any
) -> None:
    """A plain nn.Sequential saves whole (torch.save(net, path)) and takes net(input=X): the input
    check, a closure, failed the first ("Can't pickle local object") and read args[0] of the
    second (IndexError). The oracle: the layer's own F.linear; the copy checks its input too."""
    net = make(gen)
    X = torch.randn(5, 4, generator=gen)
    linear = net[-1]
    expected = F.linear(X, linear.weight, linear.bias)
    torch.testing.assert_close(net(input=X), expected)
    torch.save(net, tmp_path / "net.pt")
    copy = torch.load(tmp_path / "net.pt", weights_only=False)
    torch.testing.assert_close(copy(X), expected)
    with pytest.raises(UsageError, match=r"^X must hold 4 features per example"):
        copy(input=torch.randn(5, 3))


def test_init_weights_initialises_a_meta_model_as_nn_init_does() -> None:
    """A model built on the meta device (initialised first, made real by to_empty later) failed in
    the finite-weights check with "Tensor.item() cannot be called on meta tensors"."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3, device="meta"))
    net.apply(init_weights)
    assert net[1].weight.is_meta and net[1].weight.shape == (3, 4)
    layer = nn.Linear(4, 3, device="meta").to_empty(device="cpu")
    init_weights(layer, std=0.5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(layer.bias, torch.zeros(3))
    expected = torch.empty(3, 4).normal_(0.0, 0.5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(layer.weight, expected)
