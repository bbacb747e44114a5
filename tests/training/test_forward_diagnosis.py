"""The diagnosis of what a model's forward raised (D2L §3.6, §3.7): a batch on another device, of
another dtype, or with another number of features than the model's first nn.Linear takes.

Every case is built from what torch itself raises on the same inputs, so a diagnosis is checked
against a real failure, not a made-up one.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from linearnets.errors import UsageError, UsageTypeError
from linearnets.training.forward_diagnosis import raise_forward_error
from linearnets.training.step import train_step

from .test_model_diagnosis import book_softmax


def test_a_batch_on_another_device_than_the_model_is_named_not_left_to_torch() -> None:
    """torch says "Tensor on device meta is not on the expected device cpu!", naming no argument."""
    net = torch.nn.Linear(4, 3).to("meta")
    X, y = torch.zeros(2, 4), torch.tensor([0, 1])
    loss, updater = torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)  # fmt: skip
    with pytest.raises(UsageError) as info:
        train_step(net, X, y, loss, updater, scale=0.5)
    assert str(info.value) == (
        "X must be on the device of the model's parameters, got a batch on cpu for the model's "
        "parameters on the meta device (shapes without values, which compute nothing); build the "
        "model again on the CPU (the default) or a GPU"
    )
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, RuntimeError)


def test_another_error_of_the_forward_is_raised_as_it_was() -> None:
    error = RuntimeError("mat1 and mat2 shapes cannot be multiplied (2x5 and 4x3)")

    class Broken(torch.nn.Linear):
        def forward(self, X: torch.Tensor) -> torch.Tensor:
            raise error

    net = Broken(4, 3)
    with pytest.raises(RuntimeError) as info:
        train_step(net, torch.zeros(2, 4), torch.tensor([0, 1]), torch.nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1), scale=0.5)  # fmt: skip
    assert info.value is error


# --- a batch the model's first nn.Linear cannot take (torch: "mat1 and mat2 ...") ----------------

_BAD_BATCHES = {
    # D2L §3.5 with resize=8, or 8×8 images, for the §3.7 model built for 28×28
    "8x8 images": (
        lambda: torch.rand(2, 1, 8, 8),
        UsageError,
        r"^X must hold 784 features per example for the model's first layer, nn\.Linear\(784, 10\), "
        r"shape \(B, 784\) or \(B, 1, H, W\), got shape \(2, 1, 8, 8\); check the image size "
        r"\(resize\) matches the model, or build the model for this data, with nn\.Linear\(64, 10\)$",
    ),
    # the dataset's raw bytes (mnist_train.data) without ToTensor
    "bytes": (
        lambda: torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8),
        UsageTypeError,
        r"^X must be floating point, the model's dtype torch\.float32, got torch\.uint8; convert "
        r"the batch with X\.to\(torch\.float32\) \(images of bytes 0–255: X\.to\(torch\.float32\) "
        r"/ 255, as ToTensor does\)$",
    ),
    # a NumPy array's float64 through torch.from_numpy
    "float64": (
        lambda: torch.rand(2, 784, dtype=torch.float64),
        UsageTypeError,
        r"^X must have the model's dtype torch\.float32, got torch\.float64; convert the batch "
        r"with X\.to\(torch\.float32\) \(or the model with net\.to\(torch\.float64\)\)$",
    ),
}


@pytest.mark.parametrize("entry", ["fit", "evaluate", "train_epoch_ch3", "predict_labels"])
@pytest.mark.parametrize("case", _BAD_BATCHES)
def test_a_batch_the_first_linear_layer_cannot_take_is_named(case: str, entry: str) -> None:
    """torch says "mat1 and mat2 shapes cannot be multiplied (2x64 and 784x10)" or "must have the
    same dtype, but got Byte and Float"; the error names the batch, the layer and the fix."""
    import linearnets as ln
    from linearnets import d2l
    from linearnets.inference import predict_labels

    make, kind, pattern = _BAD_BATCHES[case]
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    X, y = make(), torch.tensor([0, 1])
    loss = nn.CrossEntropyLoss(reduction="none")
    calls = {
        "fit": lambda: ln.fit(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 1),
        "evaluate": lambda: ln.evaluate(net, [(X, y)]),
        "train_epoch_ch3": lambda: d2l.train_epoch_ch3(net, [(X, y)], loss, lambda bs: None),
        "predict_labels": lambda: predict_labels(net, X),
    }
    with pytest.raises(kind, match=pattern) as info:
        calls[entry]()
    assert type(info.value) is kind and isinstance(info.value.__context__, RuntimeError)


def test_a_linear_layer_alone_names_the_features_of_the_last_dimension() -> None:
    net = nn.Linear(2, 1)  # D2L §3.3's layer, given three features
    with pytest.raises(
        UsageError, match=r"shape \(B, 2\), got shape \(4, 3\); .* nn\.Linear\(3, 1\)$"
    ):
        raise_forward_error(net, torch.zeros(4, 3), _forward_error(net, torch.zeros(4, 3)))
    one = nn.Linear(1, 1)  # one feature, said in the singular
    with pytest.raises(UsageError, match=r"^X must hold 1 feature per example for the model's "):
        raise_forward_error(one, torch.zeros(4, 3), _forward_error(one, torch.zeros(4, 3)))


@pytest.mark.parametrize(
    "net",
    [
        nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(144, 10)),  # channels
        nn.Sequential(nn.Embedding(5, 784), nn.Linear(784, 10)),  # takes integers, not floats
    ],
    ids=["convolution", "embedding"],
)
def test_a_model_whose_first_layer_is_no_linear_gets_torchs_own_error(net: nn.Module) -> None:
    X = torch.rand(2, 1, 8, 8) if isinstance(net[0], nn.Conv2d) else torch.rand(2, 2)  # not indices
    err = _forward_error(net, X)
    with pytest.raises(type(err)) as info:
        raise_forward_error(net, X, err)
    assert info.value is err


def test_a_modules_own_forward_is_not_second_guessed() -> None:
    """Registration order is not call order in a module's own forward: only nn.Sequential says it."""

    class Reshaping(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.out = nn.Linear(3, 2)

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.out(X.reshape(-1, 4))  # a wrong reshape of its own

    net = Reshaping()
    X = torch.zeros(2, 4)
    err = _forward_error(net, X)
    with pytest.raises(RuntimeError) as info:
        raise_forward_error(net, X, err)
    assert info.value is err


def _forward_error(net: nn.Module, X: torch.Tensor) -> RuntimeError:
    try:
        net(X)
    except RuntimeError as err:  # the error under test, as torch raises it
        return err
    raise AssertionError("the forward did not raise")


# --- an image batch with no nn.Flatten before the first nn.Linear (D2L §3.7) ---------------------


def _entry(entry: str, net: Any, X: torch.Tensor) -> Any:
    """Call the public ``entry`` that runs ``net(X)`` (a batch of labels 0, 1, ...)."""
    import linearnets as ln
    from linearnets.inference import predict_labels

    y = torch.arange(len(X), device=X.device) % 2
    loss = nn.CrossEntropyLoss(reduction="none")
    if entry == "fit":
        return ln.fit(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.1), 1)
    if entry == "evaluate":
        return ln.evaluate(net, [(X, y)])
    return predict_labels(net, X)


@pytest.mark.parametrize("entry", ["fit", "evaluate", "predict_labels"])
@pytest.mark.parametrize("wrapped", [True, False], ids=["sequential", "bare-linear"])
def test_an_image_batch_with_no_flatten_is_told_to_add_one(wrapped: bool, entry: str) -> None:
    """torch says "mat1 and mat2 shapes cannot be multiplied (56x28 and 784x10)": nn.Linear takes
    the last dimension, 28; the fix is nn.Flatten() (or a reshape), not nn.Linear(28, 10)."""
    linear = nn.Linear(784, 10)
    net = nn.Sequential(linear) if wrapped else linear
    X = torch.rand(2, 1, 28, 28)
    with pytest.raises(UsageError) as info:
        _entry(entry, net, X)
    assert str(info.value) == (
        "X must hold 784 features per example for the model's first layer, nn.Linear(784, 10), "
        "shape (B, 784), got shape (2, 1, 28, 28): 1×28×28 = 784 values per example, not "
        "flattened, as no nn.Flatten() comes before the layer; add nn.Flatten() before it, as in "
        "nn.Sequential(nn.Flatten(), nn.Linear(784, 10)) (D2L §3.7), or reshape the batch with "
        "X.reshape(-1, 784)"
    )
    assert "nn.Linear(28, 10)" not in str(info.value)  # the old, wrong advice
    _entry(entry, nn.Sequential(nn.Flatten(), linear), X)  # both fixes run
    _entry(entry, net, X.reshape(-1, 784))


def test_an_image_batch_of_another_size_with_no_flatten_names_its_flattened_size() -> None:
    net = nn.Sequential(nn.Linear(784, 10))
    with pytest.raises(
        UsageError,
        match=r"^X must hold 784 features per example for the model's first layer, "
        r"nn\.Linear\(784, 10\), shape \(B, 784\), got shape \(2, 1, 8, 8\): 1×8×8 = 64 values per "
        r"example, not flattened, as no nn\.Flatten\(\) comes before the layer; check the image "
        r"size \(resize\) matches the model, or build the model for this data, with "
        r"nn\.Flatten\(\) before nn\.Linear\(64, 10\)$",
    ):
        _entry("evaluate", net, torch.rand(2, 1, 8, 8))
    _entry("evaluate", nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), torch.rand(2, 1, 8, 8))


@pytest.mark.parametrize(
    ("size", "fix"),
    [
        (4, r"stack the examples as rows with X\.reshape\(-1, 2\)$"),
        (5, r"check that the data matches the model \(5 values make no rows of 2\)$"),
    ],
    ids=["whole-rows", "no-whole-rows"],
)
def test_a_vector_is_no_batch_of_rows(size: int, fix: str) -> None:
    """torch takes a vector (d,) as one example of d features: nn.Linear(d, 1) is no fix."""
    net = nn.Linear(2, 1)
    X = torch.zeros(size)
    with pytest.raises(
        UsageError,
        match=r"^X must hold 2 features per example for the model's first layer, nn\.Linear\(2, "
        rf"1\), shape \(B, 2\), got a vector of shape \({size},\); " + fix,
    ):
        raise_forward_error(net, X, _forward_error(net, X))
    if size == 4:
        assert net(X.reshape(-1, 2)).shape == (2, 1)  # the fix runs: two examples


# --- a diagnosis only where it holds: confirmed, and only where the order of layers is known ----


class _Casting(nn.Sequential):
    """A Sequential whose own forward converts the batch (float64 → float32) first."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return super().forward(X.float())


class _CastingLinear(nn.Linear):
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return super().forward(X.float())


@pytest.mark.parametrize(
    "make",
    [
        lambda: _Casting(nn.Linear(4, 3), nn.Linear(5, 2)),
        lambda: nn.Sequential(_Casting(nn.Linear(4, 3)), nn.Linear(5, 2)),
        lambda: nn.Sequential(_CastingLinear(4, 3), nn.Linear(5, 2)),
    ],
    ids=["sequential-own-forward", "nested-own-forward", "linear-own-forward"],
)
def test_a_layer_with_its_own_forward_is_not_second_guessed(make: Any) -> None:
    """The float64 batch is converted by the model itself; the error is the second layer's, (2x3
    and 5x2), not "X must have the model's dtype torch.float32"."""
    net, X = make(), torch.rand(2, 4, dtype=torch.float64)
    with pytest.raises(RuntimeError, match=r"shapes cannot be multiplied \(2x3 and 5x2\)") as info:
        _entry("evaluate", net, X)
    assert type(info.value) is RuntimeError


def test_a_sequential_subclass_with_nn_sequentials_forward_is_still_diagnosed() -> None:
    class Named(nn.Sequential):
        """A subclass for a name only: nn.Sequential's forward runs its layers in order."""

    net = Named(nn.Flatten(), nn.Linear(784, 10))
    with pytest.raises(UsageTypeError, match=r"^X must be floating point, the model's dtype"):
        _entry("evaluate", net, torch.zeros(2, 1, 28, 28, dtype=torch.uint8))


def test_a_batch_the_first_layer_takes_under_autocast_keeps_torchs_error() -> None:
    """Autocast runs the first nn.Linear on the float16 batch in bfloat16: the dtype is no error;
    the second layer's shapes are, and torch's error says so."""
    net = nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2))
    X = torch.rand(2, 4, dtype=torch.float16)
    with (
        torch.autocast("cpu", dtype=torch.bfloat16),
        pytest.raises(RuntimeError, match=r"\(2x3 and 5x2\)") as info,
    ):
        _entry("evaluate", net, X)
    assert type(info.value) is RuntimeError
    with pytest.raises(UsageTypeError, match=r"^X must have the model's dtype torch\.float32"):
        _entry("evaluate", net, X)  # without autocast the first layer fails on it: named


def test_a_model_that_moves_the_batch_itself_keeps_torchs_error() -> None:
    """The batch is on the CPU and the model on meta, but the model moves the batch: its error is a
    shape's, which a "device" message would hide."""

    class MovesBatch(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.out = nn.Linear(4, 3, device="meta")

        def forward(self, X: torch.Tensor) -> torch.Tensor:
            return self.out(X.to(self.out.weight.device))

    net = MovesBatch()
    loss, updater = nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1)  # fmt: skip
    with pytest.raises(RuntimeError, match=r"same reduction dim") as info:
        train_step(net, torch.zeros(2, 5), torch.tensor([0, 1]), loss, updater, scale=0.5)
    assert type(info.value) is RuntimeError


# --- a function model (D2L §3.6) on another device: no net.to to call ----------------------------


def _book_softmax_on(device: str) -> dict[str, Any]:
    book = book_softmax(0.0)
    book["W"] = torch.zeros((16, 3), requires_grad=True, device=device)
    book["b"] = torch.zeros(3, requires_grad=True, device=device)
    return book


def test_a_function_model_on_the_meta_device_is_told_to_create_its_tensors_again() -> None:
    book = _book_softmax_on("meta")
    with pytest.raises(UsageError) as info:
        _entry("evaluate", book["net"], torch.rand(2, 1, 4, 4))
    assert str(info.value) == (
        "X must be on the device of the model's tensors, got a batch on cpu for the model's "
        "tensors on the meta device (shapes without values, which compute nothing); create W and "
        "b again on the CPU (the default) or a GPU"
    )


def test_the_move_advised_for_a_function_models_tensors_keeps_them_trainable() -> None:
    """``W.to(device)`` alone is a copy that is no leaf (its .grad stays None); the advice is not."""
    from linearnets.training.forward_diagnosis import _device_words

    book = book_softmax(1.0)
    words = _device_words(book["net"], torch.device("meta"))
    move = words["move"].format(device="meta")
    assert move == (
        "the model's tensors: W = W.detach().to('meta').requires_grad_() and "
        "b = b.detach().to('meta').requires_grad_() (or create W and b on that device)"
    )
    assert words["of"] == "the model's tensors" and "net.to" not in str(words)
    exec(move.removeprefix("the model's tensors: ").split(" (or")[0].replace(" and ", "\n"), book)
    for name in ("W", "b"):
        assert book[name].is_meta and book[name].is_leaf and book[name].requires_grad


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a second device with values")
def test_a_function_model_on_the_gpu_is_told_to_move_its_tensors_or_the_batch() -> None:
    book = _book_softmax_on("cuda")
    X = torch.rand(2, 1, 4, 4)
    with pytest.raises(UsageError) as info:
        _entry("predict_labels", book["net"], X)
    assert str(info.value) == (
        "X must be on the device of the model's tensors, cuda:0, got a batch on cpu; move the "
        "batch with X.to('cuda:0'), or the model's tensors: W = W.detach().to('cpu')"
        ".requires_grad_() and b = b.detach().to('cpu').requires_grad_() (or create W and b on "
        "that device)"
    )
    _entry("predict_labels", book["net"], X.to("cuda:0"))  # the first fix runs
    exec(
        "W = W.detach().to('cpu').requires_grad_()\nb = b.detach().to('cpu').requires_grad_()", book
    )
    _entry("predict_labels", book["net"], X)  # and the second


class _NoTo:
    """A model the loop accepts (callable, with parameters()) that has no .to of its own."""

    def __init__(self) -> None:
        self.W = torch.zeros(4, 3, device="meta", requires_grad=True)

    def parameters(self) -> list[torch.Tensor]:
        return [self.W]

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return X[:, :3] + self.W[0]  # a meta tensor beside a CPU one: torch raises


def test_a_model_without_to_or_named_tensors_gets_a_whole_fix() -> None:
    """Its tensors have no names the message could give: the fix was left empty ("tensors:  (or")."""
    net, X = _NoTo(), torch.rand(2, 4)
    torchs = _torch_error(net, X)  # torch's own words for the two devices
    with pytest.raises(UsageError) as info:
        raise_forward_error(net, X, torchs)
    assert str(info.value) == (
        "X must be on the device of the model's parameters, got a batch on cpu for the model's "
        "parameters on the meta device (shapes without values, which compute nothing); build the "
        "model again on the CPU (the default) or a GPU"
    )


def _book_model(d: int = 16, q: int = 3, dtype: torch.dtype = torch.float32) -> dict[str, Any]:
    """The book's §3.6 model, a function of its globals W (d, q) and b, created in ``dtype``."""
    book = book_softmax(0.0)
    book["W"] = torch.normal(0, 0.01, (d, q), dtype=dtype).requires_grad_()
    book["b"] = torch.zeros(q, dtype=dtype, requires_grad=True)
    return book


def _torch_error(net: Any, X: torch.Tensor) -> RuntimeError:
    try:
        net(X)
    except RuntimeError as err:  # the error under test, as torch raises it
        return err
    raise AssertionError("the forward did not raise")


@pytest.mark.parametrize("entry", ["evaluate", "predict_labels"])
def test_images_of_another_size_for_the_books_function_model_are_named(entry: str) -> None:
    """load_data_fashion_mnist(resize=64) fed to §3.6's W (784, 10): torch says "shape '[-1, 784]'
    is invalid for input of size 131072"; the diagnosis names W, the sizes and the fix."""
    book = _book_model(16, 3)
    X = torch.rand(3, 1, 5, 5)  # 25 values per image, 75 in all: no rows of 16
    assert "is invalid for input of size 75" in str(_torch_error(book["net"], X))
    with pytest.raises(UsageError) as info:
        _entry(entry, book["net"], X)
    assert str(info.value) == (
        "X must hold 16 values per example for the model's W of shape (16, 3), got shape "
        "(3, 1, 5, 5): 1×5×5 = 25 values per example; check the image size (resize) matches the "
        "model, or create W for this data, with shape (25, 3)"
    )


@pytest.mark.parametrize("entry", ["evaluate", "predict_labels"])
def test_a_transposed_weight_of_the_books_function_model_is_named(entry: str) -> None:
    """W made (outputs, inputs), torch.normal(0, 0.01, size=(10, 784)): the batch's 784 values per
    example are W's second size. The fix offered was a W of shape (784, 784), 784 outputs."""
    book = _book_model(3, 16)  # (outputs, inputs) for images of 4×4 = 16 values, 3 classes
    X = torch.rand(2, 1, 4, 4)  # 32 values in all: no rows of 3
    assert "is invalid for input of size 32" in str(_torch_error(book["net"], X))
    with pytest.raises(UsageError) as info:
        _entry(entry, book["net"], X)
    assert str(info.value) == (
        "X must hold 3 values per example for the model's W of shape (3, 16), got shape "
        "(2, 1, 4, 4): 1×4×4 = 16 values per example, W's second size: W looks transposed; "
        "create it with shape (16, 3), (inputs, outputs) as the book's W = torch.normal(0, 0.01, "
        "size=(num_inputs, num_outputs)) (D2L §3.6.1)"
    )


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (
            torch.rand(2, 1, 4, 4),
            "X must have the dtype of the model's W, torch.float64, got torch.float32; convert "
            "the batch with X.to(torch.float64), or create the model's tensors in torch.float32",
        ),
        (
            torch.randint(0, 256, (2, 1, 4, 4), dtype=torch.uint8),
            "X must be floating point, the dtype of the model's W, torch.float64, got "
            "torch.uint8; convert the batch with X.to(torch.float64) / 255",
        ),
    ],
    ids=["float32", "bytes"],
)
def test_a_batch_of_another_dtype_for_the_books_function_model_is_named(
    X: torch.Tensor, message: str
) -> None:
    book = _book_model(16, 3, torch.float64)
    _torch_error(book["net"], X)  # torch fails on it
    with pytest.raises(UsageTypeError) as info:
        _entry("evaluate", book["net"], X)
    assert str(info.value) == message
    assert book["net"](X.to(torch.float64)).shape == (2, 3)  # the fix works


@pytest.mark.parametrize("entry", ["evaluate", "predict_labels"])
def test_a_function_model_using_its_matrix_transposed_keeps_torchs_error_on_its_bias(
    entry: str,
) -> None:
    """W made (outputs, inputs) and used as X @ W.T, nn.Linear's layout, fits the batch; the
    forward fails on a bias of the wrong size. The diagnosis said W looks transposed and told the
    learner to make it (16, 3), which their X @ W.T cannot take; torch's own error names the
    sizes that do not match, and stands."""
    W = torch.normal(0, 0.01, (3, 16)).requires_grad_()
    c = torch.zeros(5, requires_grad=True)  # the learner's bug: 5 biases for 3 outputs

    def net(X: torch.Tensor) -> torch.Tensor:
        return X.reshape(len(X), -1) @ W.T + c

    X = torch.rand(2, 1, 4, 4)
    message = str(_torch_error(net, X))
    assert "must match the size of tensor b (5)" in message
    with pytest.raises(RuntimeError) as info:
        _entry(entry, net, X)
    assert type(info.value) is RuntimeError and str(info.value) == message


def test_a_function_model_with_two_matrices_keeps_torchs_error() -> None:
    """Which matrix meets the batch first is not known: torch's own error stands."""
    W1, W2 = torch.randn(16, 8), torch.randn(8, 3)

    def mlp(X: torch.Tensor) -> torch.Tensor:
        return torch.relu(X.reshape(-1, 16) @ W1) @ W2

    X = torch.rand(3, 1, 5, 5)
    with pytest.raises(RuntimeError, match=r"is invalid for input of size 75"):
        _entry("evaluate", mlp, X)


def test_a_function_model_around_a_module_keeps_torchs_error() -> None:
    """The one matrix P a function names may not be what meets the batch: its module does."""
    layer, P = nn.Linear(16, 8), torch.randn(8, 3)

    def net(X: torch.Tensor) -> torch.Tensor:
        return layer(X.reshape(-1, 16)) @ P

    with pytest.raises(RuntimeError, match=r"is invalid for input of size 75"):
        _entry("evaluate", net, torch.rand(3, 1, 5, 5))


@pytest.mark.parametrize("entry", ["evaluate", "predict_labels"])
def test_a_bias_of_the_wrong_size_for_the_books_function_model_is_named(entry: str) -> None:
    """b = torch.zeros(784) for §3.6's W (784, 10): torch said "The size of tensor a (10) must
    match the size of tensor b (784) at non-singleton dimension 1", naming neither b nor its fix."""
    book = _book_model(16, 3)
    book["b"] = torch.zeros(16, requires_grad=True)  # the learner's bug: num_inputs biases
    X = torch.rand(2, 1, 4, 4)
    assert "must match the size of tensor b (16)" in str(_torch_error(book["net"], X))
    with pytest.raises(UsageError) as info:
        _entry(entry, book["net"], X)
    assert str(info.value) == (
        "the model's b must have shape (3,), one value per column of W (16, 3), got shape (16,): "
        "X @ W gives scores of shape (B, 3), and b cannot be added to them; create b with shape "
        "(3,), e.g. b = torch.zeros(3, requires_grad=True) (D2L §3.6.1)"
    )


@pytest.mark.parametrize("entry", ["evaluate", "predict_labels"])
def test_a_mis_sized_constant_met_before_the_matrix_keeps_torchs_error(entry: str) -> None:
    """A per-pixel mean taken over the wrong axes, mu (4,) for 16 values per image, subtracted
    before X @ W: torch says "The size of tensor a (16) must match the size of tensor b (4)". The
    diagnosis blamed mu as a bias for the scores (3,) and told the learner to make it
    torch.zeros(3); neither size is the scores', so torch's own error stands."""
    W = torch.normal(0, 0.01, (16, 3)).requires_grad_()
    b = torch.zeros(3, requires_grad=True)
    X = torch.rand(2, 1, 4, 4)
    mu = X.mean(dim=(0, 1, 2))  # the learner's bug: (4,), meant (16,)

    def net(X: torch.Tensor) -> torch.Tensor:
        return torch.softmax((X.reshape(-1, 16) - mu) @ W + b, 1)

    message = str(_torch_error(net, X))
    assert "size of tensor a (16) must match the size of tensor b (4)" in message
    with pytest.raises(RuntimeError) as info:
        _entry(entry, net, X)
    assert type(info.value) is RuntimeError and str(info.value) == message


def test_a_bias_of_the_wrong_size_added_before_the_scores_is_named() -> None:
    """b + X @ W: torch names the bias first, "The size of tensor a (16) must match the size of
    tensor b (3)"; the bias is named all the same."""
    W = torch.normal(0, 0.01, (16, 3)).requires_grad_()
    b = torch.zeros(16, requires_grad=True)  # the learner's bug: num_inputs biases

    def net(X: torch.Tensor) -> torch.Tensor:
        return b + X.reshape(-1, 16) @ W

    X = torch.rand(2, 1, 4, 4)
    assert "size of tensor a (16) must match the size of tensor b (3)" in str(_torch_error(net, X))
    with pytest.raises(UsageError, match=r"^the model's b must have shape \(3,\), one value per "):
        _entry("evaluate", net, X)


@pytest.mark.parametrize("entry", ["evaluate", "predict_labels"])
def test_a_mis_sized_constant_multiplying_the_scores_keeps_torchs_error(entry: str) -> None:
    """(X @ W + b) * scale, scale = torch.ones(5) for 3 classes: the diagnosis called scale a bias
    and told the learner to create it as torch.zeros(3, requires_grad=True), zeroing every score.
    A constant is no trained bias: torch's own error stands."""
    W = torch.normal(0, 0.01, (16, 3)).requires_grad_()
    b = torch.zeros(3, requires_grad=True)
    scale = torch.ones(5)

    def net(X: torch.Tensor) -> torch.Tensor:
        return (X.reshape(-1, 16) @ W + b) * scale

    X = torch.rand(2, 1, 4, 4)
    message = str(_torch_error(net, X))
    assert "size of tensor a (3) must match the size of tensor b (5)" in message
    with pytest.raises(RuntimeError) as info:
        _entry(entry, net, X)
    assert type(info.value) is RuntimeError and str(info.value) == message


def test_a_books_bias_of_num_inputs_beside_a_constant_of_that_size_is_named() -> None:
    """b = torch.zeros(16, requires_grad=True) for W (16, 3), with a constant mean mu (16,) in the
    function too: two vectors of 16 values, so neither was named; only b trains, so b is."""
    book = _book_model(16, 3)
    book["b"] = torch.zeros(16, requires_grad=True)  # the learner's bug: num_inputs biases
    book["mu"] = torch.full((16,), 0.3)
    W = book["W"]
    # the names the function's code gives: W, b and mu as globals, as the book's notebook has them
    namespace = {"torch": torch, "W": W, "b": book["b"], "mu": book["mu"]}
    exec(
        "def net(X):\n    return torch.softmax((X.reshape(-1, W.shape[0]) - 0 * mu) @ W + b, 1)\n",
        namespace,
    )
    with pytest.raises(UsageError) as info:
        _entry("evaluate", namespace["net"], torch.rand(2, 1, 4, 4))
    assert str(info.value).startswith(
        "the model's b must have shape (3,), one value per column of W (16, 3), got shape (16,)"
    )


def test_a_matrix_of_the_wrong_column_count_names_both_fixes() -> None:
    """W (16, 2) for b (3,) of 3 classes: the diagnosis told the learner to make b (2,), a model
    of 2 classes; W's columns may be the wrong ones, so both ways out are named."""
    book = _book_model(16, 2)
    book["b"] = torch.zeros(3, requires_grad=True)
    X = torch.rand(2, 1, 4, 4)
    assert "size of tensor a (2) must match the size of tensor b (3)" in str(
        _torch_error(book["net"], X)
    )
    with pytest.raises(UsageError) as info:
        _entry("evaluate", book["net"], X)
    assert str(info.value) == (
        "the model's b (3,) cannot be added to the scores X @ W of shape (B, 2): b has 3 values "
        "but W 2 columns, one per class; give W shape (16, 3) for 3 classes, or b shape (2,) "
        "(D2L §3.6.1)"
    )
