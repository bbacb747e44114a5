"""Synthetic data and minibatch iterators (D2L §3.2.1–3.2.2, §3.3.2)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from book.chapter3 import data_iter as books_data_iter

from linearnets.data.synthetic import data_iter, load_array, synthetic_data
from linearnets.errors import UsageError, UsageTypeError

TRUE_W = torch.tensor([2.0, -3.4])


def test_shapes_and_dtypes(gen: torch.Generator) -> None:
    X, y = synthetic_data(TRUE_W, 4.2, 1000, generator=gen)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    assert X.dtype == y.dtype == torch.float32


@pytest.mark.parametrize("noise_std", [0.01, 0.5, 2.0])
def test_noise_has_requested_standard_deviation(noise_std: float) -> None:
    g = torch.Generator().manual_seed(1)
    X, y = synthetic_data(TRUE_W, 4.2, 200_000, noise_std=noise_std, generator=g)
    residuals = y.reshape(-1) - (X @ TRUE_W + 4.2)
    # the sample std of 200k normals is within ~0.5% of sigma (4+ standard errors)
    assert residuals.std().item() == pytest.approx(noise_std, rel=0.01)
    assert residuals.mean().item() == pytest.approx(0.0, abs=0.01 * noise_std + 1e-6)


def test_features_are_standard_normal() -> None:
    X, _ = synthetic_data(TRUE_W, 0.0, 100_000, generator=torch.Generator().manual_seed(2))
    assert X.mean().item() == pytest.approx(0.0, abs=0.01)
    assert X.std().item() == pytest.approx(1.0, abs=0.01)


def test_zero_noise_is_exact() -> None:
    X, y = synthetic_data(
        TRUE_W, 4.2, 50, noise_std=0.0, generator=torch.Generator().manual_seed(3)
    )
    torch.testing.assert_close(y.reshape(-1), X @ TRUE_W + 4.2)


def test_same_seed_same_data() -> None:
    a = synthetic_data(TRUE_W, 4.2, 10, generator=torch.Generator().manual_seed(5))
    b = synthetic_data(TRUE_W, 4.2, 10, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def _visit(batches: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    return torch.cat([y.reshape(-1) for _, y in batches])


@pytest.mark.parametrize("n,batch_size", [(103, 10), (100, 10), (5, 7), (1, 1)])
def test_data_iter_visits_every_example_once(n: int, batch_size: int, gen: torch.Generator) -> None:
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 2)
    labels = torch.arange(n)
    batches = list(data_iter(batch_size, features, labels, generator=gen))
    sizes = [len(y) for _, y in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    seen = _visit(batches)
    assert sorted(seen.tolist()) == list(range(n))
    for X, y in batches:  # rows stay paired with their labels
        assert torch.equal(X[:, 0].long(), y)


def test_data_iter_shuffles_and_is_seeded() -> None:
    features, labels = torch.randn(50, 2), torch.arange(50)
    a = _visit(list(data_iter(8, features, labels, generator=torch.Generator().manual_seed(9))))
    b = _visit(list(data_iter(8, features, labels, generator=torch.Generator().manual_seed(9))))
    assert torch.equal(a, b)
    assert not torch.equal(a, labels)


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@CUDA
@pytest.mark.parametrize(
    "label_device,gen_device", [("cuda", "cpu"), ("cuda", "cuda"), ("cpu", "cpu"), ("cpu", None)]
)
def test_data_iter_batches_data_on_a_gpu(label_device: str, gen_device: str | None) -> None:
    """Features on a GPU (labels there or on the CPU, a CPU or CUDA generator) are batched as on
    the CPU, as the book's features[indices] batches them; index_select once failed there, its
    CPU permutation on another device than the data."""
    features, labels = torch.arange(23.0).reshape(23, 1).repeat(1, 2), torch.arange(23)
    gen = None if gen_device is None else torch.Generator(gen_device).manual_seed(4)
    batches = list(data_iter(5, features.cuda(), labels.to(label_device), generator=gen))
    assert [(X.device.type, y.device.type) for X, y in batches] == [("cuda", label_device)] * 5
    assert sorted(_visit(batches).tolist()) == list(range(23))
    for X, y in batches:  # rows kept together
        torch.testing.assert_close(X[:, 0].cpu(), y.cpu().float(), rtol=0, atol=0)
    if gen_device == "cpu":  # the CPU generator's order, wherever the data live
        on_cpu = list(data_iter(5, features, labels, generator=torch.Generator().manual_seed(4)))
        assert torch.equal(_visit(batches).cpu(), _visit(on_cpu))


def test_data_iter_does_not_copy_the_dataset() -> None:
    # a lazy generator: nothing is gathered before the first batch is asked for
    features = torch.randn(10, 2)
    it = data_iter(4, features, torch.arange(10))
    features.zero_()
    X, _ = next(it)
    assert torch.count_nonzero(X) == 0


def test_each_batch_is_gathered_from_the_dataset_itself() -> None:
    """No shuffled copy made at the first batch either: a change to the data after it shows in
    every later batch, as it would not in a copy (the test above passes for one)."""
    features, labels = torch.arange(12.0).reshape(6, 2), torch.arange(6.0)
    it = data_iter(2, features, labels, generator=torch.Generator().manual_seed(0))
    next(it)
    features.add_(100.0)
    labels.add_(100.0)
    rest = list(it)
    assert len(rest) == 2  # the 4 rows the first batch left
    for X, y in rest:
        assert bool((X >= 100).all()) and bool((y >= 100).all())
        torch.testing.assert_close(X[:, 0], 2 * (y - 100) + 100, rtol=0, atol=0)


def _python_peak(batches: Iterator[tuple[torch.Tensor, torch.Tensor]]) -> int:
    """Return the peak of Python's own allocations (tensor storage is not among them) while the
    batches are drawn."""
    tracemalloc.start()
    try:
        for _ in batches:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_data_iter_builds_no_python_list_of_indices() -> None:
    """The book's list of n Python ints costs ~36 bytes each (7 MB for 200,000 examples): the
    measurement sees it there, and ours stays a small fraction of it."""
    n = 200_000
    features, labels = torch.zeros(n, 2), torch.zeros(n, 1)
    book = _python_peak(books_data_iter(50_000, features, labels))
    ours = _python_peak(data_iter(50_000, features, labels))
    assert book > 5_000_000  # n ints and the list that holds them
    assert ours < 500_000


@pytest.mark.parametrize("is_train", [True, False])
def test_load_array_visits_every_example_once(is_train: bool, gen: torch.Generator) -> None:
    features, labels = torch.randn(23, 2), torch.arange(23)
    batches = list(load_array((features, labels), 5, is_train, generator=gen))
    assert [len(y) for _, y in batches] == [5, 5, 5, 5, 3]
    seen = _visit(batches)
    assert sorted(seen.tolist()) == list(range(23))
    assert torch.equal(seen, labels) is (not is_train)


def test_load_array_seeded_order() -> None:
    arrays = (torch.randn(40, 2), torch.arange(40))
    a = _visit(list(load_array(arrays, 6, generator=torch.Generator().manual_seed(4))))
    b = _visit(list(load_array(arrays, 6, generator=torch.Generator().manual_seed(4))))
    assert torch.equal(a, b)


def test_load_array_yields_lists_of_tensors_as_its_docstring_says() -> None:
    """A DataLoader's default collate makes a list of the dataset's tuple, as the book prints
    next(iter(data_iter)); the docstring said tuples."""
    features, labels = torch.randn(6, 2), torch.randn(6, 1)
    batch = next(iter(load_array((features, labels), 4, False)))
    assert type(batch) is list and len(batch) == 2
    assert torch.equal(batch[0], features[:4]) and torch.equal(batch[1], labels[:4])
    returns = (load_array.__doc__ or "").split("Returns:")[1]
    assert "yielding lists ``[X, y]`` of tensors" in returns and "tuple" not in returns


BAD_INPUT = [
    (
        lambda: synthetic_data(torch.tensor([[1.0, 2.0]]), 1.0, 10),
        UsageError,
        r"w must be a non-empty 1-d",
    ),
    (
        lambda: synthetic_data(TRUE_W, 1.0, 0),
        UsageError,
        r"num_examples must be a positive integer.*got 0",
    ),
    (
        lambda: synthetic_data(TRUE_W, 1.0, 10.5),
        TypeError,
        r"num_examples must be a positive integer",
    ),
    (
        lambda: synthetic_data(TRUE_W, 1.0, 10, noise_std=-1),
        UsageError,
        r"noise_std must be a finite number >= 0",
    ),
    (  # an int past float's range: float() raised a bare OverflowError naming nothing
        lambda: synthetic_data(TRUE_W, 1.0, 10, noise_std=10**400),
        UsageError,
        r"^noise_std must be a finite number >= 0, got 1000000000\d+\.\.\.; pass e\.g\.",
    ),
    (
        lambda: next(data_iter(0, torch.randn(3, 2), torch.randn(3, 1))),
        UsageError,
        r"batch_size.*got 0",
    ),
    (
        lambda: next(data_iter(2, torch.randn(3, 2), torch.randn(4, 1))),
        UsageError,
        r"same number of examples",
    ),
    (
        lambda: next(data_iter(2, torch.ones(3, 2, dtype=torch.int64), torch.randn(3, 1))),
        TypeError,
        r"floating",
    ),
    (
        lambda: next(data_iter(2, torch.randn(0, 2), torch.randn(0, 1))),
        UsageError,
        r"at least one example",
    ),
    (
        lambda: load_array((torch.randn(3, 2), torch.randn(2, 1)), 2),
        UsageError,
        r"same number of examples",
    ),
    (
        lambda: load_array((torch.randn(3, 2),), -1),
        UsageError,
        r"batch_size must be a positive integer",
    ),
    (lambda: load_array([], 2), UsageError, r"non-empty tuple"),
]


@pytest.mark.parametrize("call,error,pattern", BAD_INPUT)
def test_bad_input(call, error, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=pattern):
        call()


def test_integer_weights_give_float32_data() -> None:
    X, y = synthetic_data(torch.tensor([2, -3]), 4, 50, generator=torch.Generator().manual_seed(0))
    Xf, yf = synthetic_data(torch.tensor([2.0, -3.0]), 4.0, 50, generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert X.dtype == y.dtype == torch.float32
    assert torch.equal(X, Xf) and torch.equal(y, yf)


def test_integer_weights_give_torch_s_default_dtype_as_float_weights_do() -> None:
    """After torch.set_default_dtype(torch.float64) integer weights gave float32 data, where
    [2.0, -3.0] (and the book's torch.normal draws) give float64."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        X, y = synthetic_data([2, -3], 4, 50, generator=torch.Generator().manual_seed(0))
        Xf, yf = synthetic_data([2.0, -3.0], 4.0, 50, generator=torch.Generator().manual_seed(0))
    finally:
        torch.set_default_dtype(before)
    assert X.dtype == y.dtype == Xf.dtype == torch.float64
    assert torch.equal(X, Xf) and torch.equal(y, yf)


def test_float64_weights_give_float64_data() -> None:
    w = torch.tensor([2.0, -3.4], dtype=torch.float64)
    X, y = synthetic_data(w, 4.2, 50, noise_std=0.0, generator=torch.Generator().manual_seed(0))
    assert X.dtype == y.dtype == torch.float64
    torch.testing.assert_close(y, (X @ w + 4.2).reshape(-1, 1), rtol=0, atol=1e-12)


def test_one_element_tensor_bias_equals_the_number(gen: torch.Generator) -> None:
    """A bias given as a 0-d or one-element tensor (e.g. a fitted ``b``) is the number it holds."""
    for b in (
        torch.tensor(4.25),
        torch.tensor([4.25]),
        torch.tensor([[4.25]], dtype=torch.float64),
    ):
        X, y = synthetic_data(
            TRUE_W, b, 20, noise_std=0.0, generator=torch.Generator().manual_seed(6)
        )
        torch.testing.assert_close(y.reshape(-1), X @ TRUE_W + 4.25, rtol=0, atol=1e-6)


BAD_W_OR_B: list[tuple[object, object, type[Exception], str]] = [
    ([True, False], 1.0, UsageTypeError, r"w must hold real numbers, got dtype torch\.bool"),
    (torch.tensor([1j, 2j]), 1.0, UsageTypeError, r"w must hold real numbers, got dtype torch\.complex64"),
    # a number: named, with the order (synthetic_data(4.2, w, 1000) said only "got shape ()")
    (torch.tensor(2.0), 1.0, UsageError, r"^w must be a 1-d tensor of weights \(d,\), got the number tensor\(2\.\); the arguments go in the order synthetic_data\(w, b, num_examples\): pass e\.g\. synthetic_data\(torch\.tensor\(\[2, -3\.4\]\), 4\.2, 1000\)$"),
    (4.2, TRUE_W, UsageError, r"^w must be a 1-d tensor of weights \(d,\), got the number 4\.2; the arguments go in the order synthetic_data\(w, b, num_examples\)"),
    (1234567, TRUE_W, UsageError, r"^w must be a 1-d tensor of weights \(d,\), got the number 1234567; the arguments go in the order"),
    (1e300, 4.2, UsageError, r"^w must be a 1-d tensor of weights \(d,\), got the number 1e\+300; the arguments go in the order"),  # as passed, not float32's inf
    (torch.tensor([]), 1.0, UsageError, r"w must be a non-empty 1-d tensor of weights \(d,\), got shape \(0,\)"),
    # the weights drawn with, not data: they were told to "clean or impute the data first"
    ([2.0, float("nan")], 1.0, UsageError, r"^w must hold only finite values, got 1 NaN/inf entries in a tensor of shape \(2,\) and dtype torch\.float32; pass finite weights, e\.g\. w=torch\.tensor\(\[2, -3\.4\]\)$"),
    # finite Python numbers past float32's range: named as such, not as NaN/inf data to clean
    ([1e39, 1.0], 1.0, UsageError, r"^w must hold numbers within float32's range \(±3\.4e\+38\), as a list of numbers becomes float32, got 1e\+39; pass smaller weights, or w=torch\.tensor\(w, dtype=torch\.float64\)$"),
    # integers torch cannot hold: past int64's range in a list of integers (torch's "Overflow when
    # unpacking long long" was named as no sequence of numbers), past float's (a bare OverflowError)
    pytest.param([10**20, 1], 4.2, UsageError, r"^w must hold integers within int64's range \(±9\.2e\+18\), as a list of integers becomes int64, got 100000000000000000000; write it as a float, e\.g\. 1e\+20$", id="w-int-past-int64"),
    pytest.param([[-(2**63) - 1], [1]], 4.2, UsageError, r"^w must hold integers within int64's range .*, got -9223372036854775809; write it as a float, e\.g\. -9\.22337e\+18$", id="w-column-int-past-int64"),
    pytest.param([10**400, 1.0], 4.2, UsageError, r"^w must hold finite numbers, got 1000000000\d+\.\.\.; pass e\.g\. w=torch\.tensor\(\[2, -3\.4\]\)$", id="w-int-past-float"),
    pytest.param([10**20, "a"], 4.2, UsageTypeError, r"^w must be a 1-d tensor or sequence of numbers, got \[100000000000000000000, 'a'\]", id="w-int-past-int64-and-text"),
    ("ab", 1.0, UsageTypeError, r"w must be a 1-d tensor or sequence of numbers, got 'ab'"),  # TypeError in torch
    ([[1.0, 2.0], [3.0]], 1.0, UsageTypeError, r"w must be a 1-d tensor or sequence of numbers"),  # ValueError
    (None, 1.0, UsageTypeError, r"w must be a 1-d tensor or sequence of numbers, got None"),  # RuntimeError
    (TRUE_W, True, UsageTypeError, r"b must be a number, got True"),
    (TRUE_W, torch.tensor(True), UsageTypeError, r"b must be a number, got tensor\(True\)"),
    (TRUE_W, torch.tensor(1j), UsageTypeError, r"b must be a number, got tensor\(0\.\+1\.j\)"),
    (TRUE_W, torch.tensor([1.0, 2.0]), UsageTypeError, r"b must be a number, got tensor\(\[1\., 2\.\]\)"),
    (TRUE_W, "4.2", UsageTypeError, r"b must be a number, got '4\.2'"),
    (TRUE_W, float("inf"), UsageError, r"b must be a finite number, got inf"),
    (TRUE_W, torch.tensor(float("nan")), UsageError, r"b must be a finite number, got nan"),
    # an int past float's range: float() raised a bare OverflowError naming nothing
    pytest.param(TRUE_W, 10**400, UsageError, r"^b must be a finite number, got 1000000000\d+\.\.\.; pass e\.g\. b=4\.2$", id="b-int-past-float"),
]  # fmt: skip


@pytest.mark.parametrize(("w", "b", "error", "pattern"), BAD_W_OR_B)
def test_synthetic_data_refuses_bad_weights_and_bias(
    w: object, b: object, error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        synthetic_data(w, b, 10)  # type: ignore[arg-type]


NAN = torch.tensor([[float("nan")], [1.0]])
LAZY_BAD_INPUT = [
    (lambda: synthetic_data(TRUE_W, 1.0, 10, generator=3), UsageTypeError, r"generator must be a torch\.Generator or None, got 3"),  # type: ignore[arg-type]
    (lambda: data_iter(0, torch.randn(3, 2), torch.randn(3, 1)), UsageError, r"batch_size must be a positive integer \(>= 1\), got 0"),
    (lambda: data_iter(2, NAN, torch.randn(2, 1)), UsageError, r"features must hold only finite values, got 1 NaN/inf"),
    (lambda: data_iter(2, torch.randn(2, 1), NAN), UsageError, r"labels must hold only finite values, got 1 NaN/inf"),
    (lambda: data_iter(2, torch.randn(2, 1), torch.randn(2, 1), generator=3), UsageTypeError, r"generator must be a torch\.Generator or None, got 3"),  # type: ignore[arg-type]
    (lambda: load_array((torch.randn(0, 2), torch.randn(0)), 2), UsageError, r"^data_arrays must hold at least one example, got 0 rows; pass a non-empty dataset$"),
    (lambda: load_array((torch.randn(2, 1), NAN), 2), UsageError, r"data_arrays\[1\] must hold only finite values"),
    (lambda: load_array((torch.randn(2, 1),), 2, "no"), UsageTypeError, r"is_train must be True or False, got 'no'"),  # type: ignore[arg-type]
    (lambda: load_array((torch.randn(2, 1),), 2, generator=1), UsageTypeError, r"generator must be a torch\.Generator or None, got 1"),  # type: ignore[arg-type]
    (lambda: load_array(torch.randn(2, 1), 2), UsageError, r"data_arrays must be a non-empty tuple of tensors, got Tensor"),  # type: ignore[arg-type]
]  # fmt: skip


@pytest.mark.parametrize("call,error,pattern", LAZY_BAD_INPUT)
def test_bad_input_is_refused_when_called_not_at_the_first_batch(call, error, pattern) -> None:  # type: ignore[no-untyped-def]
    """No ``next()``: data_iter checks its arguments when called, like load_array and DataLoader."""
    with pytest.raises(error, match=pattern):
        call()


def test_load_array_refuses_a_batch_size_the_loader_cannot_iterate() -> None:
    """A batch_size past a Python index (sys.maxsize) is refused when called, naming it: the
    DataLoader took it and failed only at the first batch, in islice's words."""
    arrays = (torch.randn(3, 2), torch.randn(3, 1))
    with pytest.raises(
        UsageError, match=r"^batch_size must be an integer in \[1, \d+\], got 9223372036854775808"
    ):
        load_array(arrays, 2**63)
    assert [len(X) for X, _ in load_array(arrays, 2**62)] == [3]  # the largest taken still works


def test_load_array_takes_a_list_and_any_number_of_aligned_arrays(gen: torch.Generator) -> None:
    """``data_arrays`` may be a list, and every array it holds comes back, rows kept together."""
    n = 7
    ids = torch.arange(n)
    arrays = [ids.float().reshape(n, 1), ids, ids * 10, ids.double() / 2]
    batches = list(load_array(arrays, 3, generator=gen))
    assert [len(b) for b in batches] == [4, 4, 4]  # a tuple of four tensors per batch
    assert [len(b[0]) for b in batches] == [3, 3, 1]
    rows = [torch.cat([b[k] for b in batches]) for k in range(4)]
    assert sorted(rows[1].tolist()) == list(range(n))
    torch.testing.assert_close(rows[0].reshape(-1), rows[1].float(), rtol=0, atol=0)
    torch.testing.assert_close(rows[2], rows[1] * 10, rtol=0, atol=0)
    torch.testing.assert_close(rows[3], rows[1].double() / 2, rtol=0, atol=0)


def test_load_array_takes_a_generator_of_arrays_as_the_book_s_tensordataset_unpacks_it() -> None:
    """``load_array((a.double() for a in arrays), ...)`` was refused as not a tuple: the book's
    ``TensorDataset(*data_arrays)`` unpacks any iterable, a generator or a map too."""
    features, labels = torch.randn(5, 2), torch.arange(5)
    for given in ((a for a in (features, labels)), map(torch.as_tensor, (features, labels))):
        batches = list(load_array(given, 2, False))
        assert [len(b) for b in batches] == [2, 2, 2]
        assert torch.equal(torch.cat([b[0] for b in batches]), features)
        assert torch.equal(torch.cat([b[1] for b in batches]), labels)


def test_float64_noise_is_drawn_in_float64() -> None:
    """With w = 0 and b = 0, y is the noise itself: float64 draws, not float32 ones cast up."""
    w = torch.zeros(1, dtype=torch.float64)
    _, y = synthetic_data(w, 0.0, 1000, noise_std=1.0, generator=torch.Generator().manual_seed(8))
    assert y.dtype == torch.float64
    assert (y.float().double() != y).float().mean().item() > 0.99  # float32 drops the low bits
    assert y.std().item() == pytest.approx(1.0, abs=0.1)


def _books_synthetic_data(
    w: torch.Tensor, b: float, num_examples: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """D2L §3.2.1's synthetic_data, written out: it takes w of shape (d,) or (d, 1)."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


@pytest.mark.parametrize("shape", [(2,), (2, 1)])
def test_column_weights_give_the_books_data(shape: tuple[int, ...]) -> None:
    """The book's code and our ``linreg`` take w of shape (d, 1); it was once refused here."""
    w = TRUE_W.reshape(shape)
    torch.manual_seed(11)
    X_book, y_book = _books_synthetic_data(w, 4.2, 30)
    torch.manual_seed(11)
    X, y = synthetic_data(w, 4.2, 30)
    assert X.shape == (30, 2) and y.shape == (30, 1)
    assert torch.equal(X, X_book)
    torch.testing.assert_close(y, y_book, rtol=0, atol=1e-6)


def test_a_tensor_noise_std_is_the_number_it_holds() -> None:
    X, y = synthetic_data(
        TRUE_W, 4.2, 20, noise_std=torch.tensor(0.5), generator=torch.Generator().manual_seed(4)
    )  # type: ignore[arg-type]
    X2, y2 = synthetic_data(TRUE_W, 4.2, 20, noise_std=float(torch.tensor(0.5)), generator=torch.Generator().manual_seed(4))  # fmt: skip
    assert torch.equal(X, X2) and torch.equal(y, y2)


def test_numpy_arrays_of_one_number_are_the_number_they_hold() -> None:
    """w was taken as a NumPy array, and LinregConfig takes true_b=np.array(4.2), but b and
    noise_std as such arrays were refused: "b must be a number, got array(4.2)"."""
    X, y = synthetic_data(
        np.array([2.0, -3.4]), np.array(4.2), 20, noise_std=np.array([0.0]), generator=torch.Generator().manual_seed(6)
    )  # fmt: skip
    assert X.dtype == y.dtype == torch.float64  # the array's dtype
    torch.testing.assert_close(
        y.reshape(-1), X @ torch.tensor([2.0, -3.4], dtype=torch.float64) + 4.2
    )
    X2, y2 = synthetic_data(
        TRUE_W, np.array([4.2]), 20, noise_std=np.array(0.5), generator=torch.Generator().manual_seed(6)
    )  # fmt: skip
    X3, y3 = synthetic_data(
        TRUE_W, 4.2, 20, noise_std=0.5, generator=torch.Generator().manual_seed(6)
    )
    assert torch.equal(X2, X3) and torch.equal(y2, y3)
    with pytest.raises(UsageTypeError, match=r"^b must be a number, got array\(\[1, 2\]\)"):
        synthetic_data(TRUE_W, np.array([1, 2]), 5)
    with pytest.raises(UsageTypeError, match=r"^b must be a number, got True"):
        synthetic_data(TRUE_W, np.array([True]), 5)


def test_labels_that_overflow_the_weights_dtype_are_refused() -> None:
    """float16 ends at 65504: b = 70000 is finite as a Python float, but every label is inf."""
    w = torch.tensor([2, -3.4], dtype=torch.float16)
    assert torch.isinf(
        torch.tensor(70000.0, dtype=torch.float16)
    )  # the overflow, in torch's own terms
    with pytest.raises(
        UsageError,
        match=r"^y = Xw \+ b \+ noise must be finite in w's dtype torch\.float16, got 3 of 3 labels "
        r"infinite or NaN \(past its largest value, 65504\); pass w as float32, e\.g\. w\.float\(\)",
    ):
        synthetic_data(w, 70000.0, 3)
    _, y = synthetic_data(w.float(), 70000.0, 3)  # the fix named
    assert torch.isfinite(y).all()


SIZE_LIMITS = [
    # LinregConfig's limit, 10⁸ examples: 10¹⁰ once died in torch's allocator (80 GB)
    (lambda: synthetic_data(TRUE_W, 4.2, 10**10), r"^num_examples must be an integer in \[1, 100000000\], got 10000000000; pass e\.g\. num_examples=1000"),
    # X of 10⁴ × 10⁵ float32 is 4·10⁹ bytes > 2³¹; 2³¹ // (10⁵ × 4) = 5368, computed by hand
    (lambda: synthetic_data(torch.ones(10**5), 4.2, 10**4), r"^num_examples × the 100000 weights of w must give features X of at most 2 GiB of float32, got 10000 × 100000 × 4 bytes \(3\.7 GiB\); pass num_examples=5368 or fewer, or fewer weights$"),
    # w's dtype counts: 10⁸ × 3 float64 values are 2.4·10⁹ bytes; 2³¹ // 24 = 89478485
    (lambda: synthetic_data(torch.ones(3, dtype=torch.float64), 4.2, 10**8), r"of float64, got 100000000 × 3 × 8 bytes \(2\.2 GiB\); pass num_examples=89478485 or fewer"),
    # a meta tensor has a shape but no values: refused by name before anything reads them
    (lambda: synthetic_data(torch.ones(2, device="meta"), 4.2, 5), r"^w must hold values, got a tensor of shape \(2,\) on the meta device"),
    (lambda: data_iter(5, torch.ones(5, 2, device="meta"), torch.ones(5, 1)), r"^features must hold values, got a tensor of shape \(5, 2\) on the meta device"),
    (lambda: data_iter(5, torch.ones(5, 2), torch.ones(5, 1, device="meta")), r"^labels must hold values, got a tensor of shape \(5, 1\) on the meta device"),
    (lambda: load_array((torch.ones(5, 2), torch.ones(5, 1, device="meta")), 2), r"^data_arrays\[1\] must hold values, got a tensor of shape \(5, 1\) on the meta device"),
]  # fmt: skip


@pytest.mark.parametrize("call,pattern", SIZE_LIMITS)
def test_sizes_past_the_limits_and_meta_tensors_are_refused_by_name(call, pattern) -> None:  # type: ignore[no-untyped-def]
    """Refused before any drawing, so without allocating the gigabytes asked for."""
    with pytest.raises(UsageError, match=pattern):
        call()


def test_weights_that_require_grad_give_constant_data() -> None:
    """A ``true_w`` built with ``requires_grad=True`` (as the book builds the model's ``w``) gave
    labels carrying its graph: the book's loop then failed at its second ``backward()`` with
    torch's "Trying to backward through the graph a second time"."""
    w = torch.tensor([2.0, -3.4], requires_grad=True)
    X, y = synthetic_data(w, 4.2, 20, generator=torch.Generator().manual_seed(9))
    X2, y2 = synthetic_data(w.detach(), 4.2, 20, generator=torch.Generator().manual_seed(9))
    assert not y.requires_grad and y.grad_fn is None
    assert torch.equal(X, X2) and torch.equal(y, y2)
    # the book's loop, two steps: the second backward used to raise
    w_hat = torch.zeros(2, 1, requires_grad=True)
    for X_batch, y_batch in data_iter(10, X, y, generator=torch.Generator().manual_seed(1)):
        ((X_batch @ w_hat - y_batch) ** 2 / 2).sum().backward()
    assert w.grad is None  # the truth is not trained
    # the two batches' gradient: Xᵀ(X·0 − y) summed over all 20 rows
    torch.testing.assert_close(w_hat.grad, -(X.T @ y), rtol=1e-5, atol=1e-5)


def test_data_computed_inside_an_autograd_graph_is_refused_by_name() -> None:
    """The book's own synthetic_data given a true_w with requires_grad=True: its labels carry a
    graph, and the book's loop over d2l.load_array failed at the second backward() with torch's
    "Trying to backward through the graph a second time"."""
    w = torch.tensor([2.0, -3.4], requires_grad=True)
    torch.manual_seed(12)
    X, y = _books_synthetic_data(w, 4.2, 20)
    assert y.grad_fn is not None  # the book's function keeps the graph
    pattern = (
        r"^{0} must be data outside any autograd graph, got a tensor of shape \(20, 1\) and dtype "
        r"torch\.float32 computed by ViewBackward0: every batch would share that graph, and a "
        r"training loop's second backward\(\) would fail .*; detach it first, e\.g\. "
        r"{0}\.detach\(\), or build it under torch\.no_grad\(\)$"
    )
    with pytest.raises(UsageError, match=pattern.format("labels")):
        data_iter(10, X, y)
    with pytest.raises(UsageError, match=pattern.format(r"data_arrays\[1\]")):
        load_array((X, y), 10)
    # features computed in a graph: the fix names them, not the labels
    X2 = torch.ones(4, 2, requires_grad=True) * 2
    features = pattern.replace(r"\(20, 1\)", r"\(4, 2\)").replace("View", "Mul")
    with pytest.raises(UsageError, match=features.format("features")):
        data_iter(2, X2, torch.arange(4))
    with pytest.raises(UsageError, match=features.format(r"data_arrays\[0\]")):
        load_array((X2, torch.arange(4)), 2)
    # the fix named trains two batches, as the book's loop does
    w_hat = torch.zeros(2, 1, requires_grad=True)
    for X_batch, y_batch in load_array(
        (X, y.detach()), 10, generator=torch.Generator().manual_seed(0)
    ):
        ((X_batch @ w_hat - y_batch) ** 2 / 2).sum().backward()
    torch.testing.assert_close(w_hat.grad, -(X.T @ y.detach()), rtol=1e-5, atol=1e-5)


def test_leaf_tensors_that_require_grad_are_still_batched(gen: torch.Generator) -> None:
    """A leaf that requires grad has no graph to share: each batch is a new node, and the
    gradients of every batch reach it (the input-gradient exercises use this)."""
    X = torch.randn(6, 2, generator=gen, requires_grad=True)
    y = torch.randn(6, 1, generator=gen)
    for X_batch, _ in data_iter(4, X, y, generator=gen):
        (X_batch.sum() * 2).backward()
    torch.testing.assert_close(X.grad, torch.full((6, 2), 2.0))
